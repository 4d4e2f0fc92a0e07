// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * ring.c - the consumer side of a /dev/mos ring (Documentation/uapi.rst),
 * and the split query of its file
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "libmosuser.h"

int mos_ring__open(struct mos_ring_user *r, int fd, uint64_t data_size)
{
	return mos_ring__open_split(r, fd, data_size, 0, 0);
}

int mos_ring__open_split(struct mos_ring_user *r, int fd, uint64_t data_size,
			 uint32_t split_count, uint32_t split_index)
{
	struct mos_ring_opts o = {
		.sz = sizeof(o), .data_size = data_size,
		.split_count = split_count, .split_index = split_index,
	};

	return mos_ring__open_opts(r, fd, &o);
}

_Static_assert(offsetof(struct mos_ring_opts, wakeup_bytes) ==
	       MOS_RING_OPTS_SZ_VER0, "mos_ring_opts grew at its end");
#define WAKEUP_END	(MOS_RING_OPTS_SZ_VER0 + sizeof(uint32_t))

/* The bytes of @opts past what this library knows are zero */
static int opts_known(const struct mos_ring_opts *opts)
{
	const uint8_t *b = (const uint8_t *)opts;
	size_t i;

	if (opts->sz < MOS_RING_OPTS_SZ_VER0)
		return -EINVAL;
	for (i = sizeof(*opts); i < opts->sz; i++)
		if (b[i])
			return -E2BIG;
	return 0;
}

int mos_ring__open_opts(struct mos_ring_user *r, int fd,
			const struct mos_ring_opts *opts)
{
	struct mos_ioc_ring a = { .size = sizeof(a) };
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t data_size;
	void *cons, *ro;
	bool ver0;
	int err;

	memset(r, 0, sizeof(*r));
	if (!opts)
		return -EINVAL;
	err = opts_known(opts);
	if (err)
		return err;
	data_size = opts->data_size;
	a.data_size = data_size;
	a.split_count = opts->split_count;
	a.split_index = opts->split_index;
	a.pkt_max = opts->pkt_max;
	a.flags = opts->flags & ~MOS_RING_F_WAKEUP;
	if (opts->sz >= WAKEUP_END && opts->wakeup_bytes) {
		a.wakeup_bytes = opts->wakeup_bytes;
		a.flags |= MOS_RING_F_WAKEUP;
	}
	/*
	 * Without a packet copy limit or a wake-up threshold, ABI 0.4's
	 * struct and number: a module that predates the limit sets the ring
	 * up too
	 */
	ver0 = !a.pkt_max && !a.wakeup_bytes;
	if (ver0)
		a.size = MOS_IOC_RING_SIZE_VER0;
	if (ioctl(fd, ver0 ? MOS_IOC_RING_SETUP_VER0 : MOS_IOC_RING_SETUP, &a))
		return -errno;
	cons = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    MOS_RING_PGOFF_CONS * pg);
	if (cons == MAP_FAILED)
		return -errno;
	ro = mmap(NULL, 2 * pg + 2 * data_size, PROT_READ, MAP_SHARED, fd,
		  MOS_RING_PGOFF_HDR * pg);
	if (ro == MAP_FAILED) {
		int err = -errno;

		munmap(cons, pg);
		return err;
	}
	r->fd = fd;
	r->page_size = pg;
	r->cons = cons;
	r->hdr = ro;
	r->prod = (const void *)((const uint8_t *)ro + pg);
	r->data = (const uint8_t *)ro + 2 * pg;
	r->mask = data_size - 1;
	if (r->hdr->magic != MOS_RING_MAGIC ||
	    r->hdr->abi_major != MOS_ABI_MAJOR ||
	    r->hdr->data_size != data_size) {
		mos_ring__close(r);
		return -EPROTO;
	}
	return 0;
}

void mos_ring__close(struct mos_ring_user *r)
{
	if (r->cons)
		munmap(r->cons, r->page_size);
	if (r->hdr)
		munmap((void *)r->hdr, 2 * r->page_size + 2 * (r->mask + 1));
	memset(r, 0, sizeof(*r));
}

const struct mos_rec *mos_ring__next(struct mos_ring_user *r)
{
	uint64_t c = r->cons->pos;
	uint64_t p = __atomic_load_n(&r->prod->pos, __ATOMIC_ACQUIRE);
	const struct mos_rec *rec;

	if (c == p)
		return NULL;
	rec = (const void *)(r->data + (c & r->mask));
	if (__atomic_load_n(&rec->len, __ATOMIC_ACQUIRE) & MOS_REC_BUSY)
		return NULL;
	return rec;
}

void mos_ring__advance(struct mos_ring_user *r, const struct mos_rec *rec)
{
	uint64_t n = sizeof(*rec) + (rec->len & MOS_REC_LEN_MASK);

	n = (n + MOS_REC_ALIGN - 1) & ~(uint64_t)(MOS_REC_ALIGN - 1);
	__atomic_store_n(&r->cons->pos, r->cons->pos + n, __ATOMIC_RELEASE);
}

int mos_flow__split_index(int fd, int family, const void *saddr,
			  const void *daddr, uint16_t sport, uint16_t dport,
			  uint32_t count)
{
	struct mos_ioc_split a = {
		.size = sizeof(a), .count = count,
		.sport = sport, .dport = dport,
	};
	size_t alen;
	int err;

	if (family == AF_INET || family == 4)
		a.family = 4;
	else if (family == AF_INET6 || family == 6)
		a.family = 6;
	if (!a.family || !saddr || !daddr)
		return -EINVAL;
	alen = a.family == 4 ? 4 : 16;
	memcpy(a.saddr, saddr, alen);
	memcpy(a.daddr, daddr, alen);
	if (fd < 0)
		err = mos_offline__ioctl(NULL, MOS_IOC_SPLIT, &a);
	else
		err = ioctl(fd, MOS_IOC_SPLIT, &a) ? -errno : 0;
	return err ? err : (int)a.index;
}
