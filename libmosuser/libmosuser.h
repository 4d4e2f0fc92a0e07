/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libmosuser.h - userspace side of mos
 *
 * Native calls are named mos_<object>__<verb> and return a negative errno
 * on failure; they never exit or abort.  The mOS API (mtcp_*) is built on
 * them.
 */
#ifndef _LIBMOSUSER_H
#define _LIBMOSUSER_H

#include <linux/mos.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * mos_dev__open() - open /dev/mos
 *
 * Return: a file descriptor, or -errno (-ENOENT: the module is not loaded;
 * -EPERM: CAP_NET_ADMIN is missing over this network namespace).
 */
int mos_dev__open(void);

/**
 * mos_dev__version() - the ABI versions of the running module
 * @fd: from mos_dev__open()
 * @v: filled
 *
 * Return: 0, -EPROTO if the module speaks an incompatible ABI, or -errno.
 */
int mos_dev__version(int fd, struct mos_ioc_version *v);

#ifdef __cplusplus
}
#endif

#endif /* _LIBMOSUSER_H */
