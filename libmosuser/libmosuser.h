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

#include <stdint.h>
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

/**
 * struct mos_ring_user - a mapped ring, the consumer's view
 * @fd: the /dev/mos file
 * @page_size: the kernel's page size
 * @cons: the consumer position (written here)
 * @hdr: the header page
 * @prod: the producer position
 * @data: the data area (mapped twice in a row)
 * @mask: data size minus one
 */
struct mos_ring_user {
	int fd;
	long page_size;
	struct mos_ring_pos *cons;
	const struct mos_ring_hdr *hdr;
	const struct mos_ring_pos *prod;
	const uint8_t *data;
	uint64_t mask;
};

/**
 * mos_ring__open() - set up the ring of an open /dev/mos and map it
 * @r: filled
 * @fd: from mos_dev__open()
 * @data_size: bytes of the data area (a power of two, %MOS_RING_MIN to
 *	%MOS_RING_MAX)
 *
 * Return: 0 or -errno (-EPROTO: the ring's header is not what this
 * library knows).
 */
int mos_ring__open(struct mos_ring_user *r, int fd, uint64_t data_size);

/**
 * mos_ring__close() - unmap a ring (the file stays open)
 * @r: the ring
 */
void mos_ring__close(struct mos_ring_user *r);

/**
 * mos_ring__next() - the next complete record
 * @r: the ring
 *
 * Return: the record (valid until mos_ring__advance()), or NULL when none
 * is ready.  Records with %MOS_REC_DISCARD are returned too.
 */
const struct mos_rec *mos_ring__next(struct mos_ring_user *r);

/**
 * mos_ring__advance() - give a record's room back to the kernel
 * @r: the ring
 * @rec: what mos_ring__next() returned
 */
void mos_ring__advance(struct mos_ring_user *r, const struct mos_rec *rec);

#ifdef __cplusplus
}
#endif

#endif /* _LIBMOSUSER_H */
