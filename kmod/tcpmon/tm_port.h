/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_port.h - what the tcpmon core may use, in the kernel and in userspace
 *
 * The files of kmod/tcpmon/ include this header and nothing else from the
 * system, so that they build unchanged into mos.ko and into the userspace
 * library (build/lib/libtcpmon.a) that unit tests, fuzzers, benchmarks and
 * pcap replay link against.
 */
#ifndef _MOS_TM_PORT_H
#define _MOS_TM_PORT_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/build_bug.h>
#include <linux/string.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <asm/byteorder.h>

#else /* userspace */

#include <assert.h>	/* static_assert */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>	/* before the linux/ headers: libc-compat.h */
#include <linux/types.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#endif /* __KERNEL__ */

#endif /* _MOS_TM_PORT_H */
