/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * compat.h - what compat.c needs from the rest of libmosuser; not
 * installed
 */
#ifndef _MOSUSER_COMPAT_H
#define _MOSUSER_COMPAT_H

#include <stdint.h>

/*
 * The index, below @count, of the consumer that gets the flow of these
 * endpoints (ports in network order): the kernel's split through /dev/mos
 * @fd, or with @fd < 0 the offline backend's; -errno on failure.  Weak
 * until the native call is part of the library: GetRSSCPUCore() fails
 * with ENOSYS without it.
 */
int mos_flow__split_index(int fd, int family, const void *saddr,
			  const void *daddr, uint16_t sport, uint16_t dport,
			  uint32_t count) __attribute__((weak));

#endif /* _MOSUSER_COMPAT_H */
