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
#include <linux/math64.h>
#include <linux/build_bug.h>
#include <linux/string.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/rbtree.h>
#include <linux/rculist.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/random.h>
#include <linux/vmalloc.h>
#include <asm/byteorder.h>

/*
 * Allocation on the packet path: never sleeps, quiet (failures are
 * counted), and charged to the memory cgroup the caller made active
 * (set_active_memcg(): the hooks make it that of whoever enabled
 * monitoring).  GFP_NOWAIT rather than GFP_ATOMIC: a monitor must not dip
 * into the atomic reserves, and memcg lets __GFP_HIGH allocations go past
 * a cgroup's limit, which would make that limit no bound on mos.
 */
#define TM_GFP_PKT	(GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT)

/* All tables share one flow cache, made at module load (table.c) */
#define TM_PORT_SHARED_CACHE	true

static inline void *tm_alloc_pkt(size_t size)
{
	return kmalloc(size, TM_GFP_PKT);
}

static inline void tm_free(void *p)
{
	kfree(p);
}

static inline void *tm_alloc_flow(struct kmem_cache *c)
{
	return kmem_cache_zalloc(c, TM_GFP_PKT);
}

#else /* userspace: the same names over libc, tools/tcpmon/tm_user.h */

#include "tm_user.h"

#endif /* __KERNEL__ */

#endif /* _MOS_TM_PORT_H */
