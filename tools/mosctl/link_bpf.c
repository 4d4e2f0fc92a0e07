// SPDX-License-Identifier: GPL-2.0
/*
 * link_bpf.c - mosctl's libbpf side: load mos's XDP program, attach it,
 * detach it, tell what a device has attached (link.c)
 *
 * Apart from link.c because libbpf's <linux/bpf.h> and libpcap's
 * <pcap/bpf.h> (mosctl.h) both define struct bpf_insn.
 */

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/mos.h>
#include "link_bpf.h"
#include "mos_xdp.skel.h"

/* The program's name: how link detach and link show recognise it */
#define MOS_XDP_PROG_NAME	"mos_xdp"

/* libbpf's warnings only: its information lines are noise here */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/**
 * link_bpf_load() - load mos's XDP program
 * @flags: &enum mos_xdp_flags: %MOS_XDP_F_INLINE applies the namespace's
 *	drops, %MOS_XDP_F_DECAP removes encapsulations
 * @lb: set to the loaded program, for link_bpf_attach() and
 *	link_bpf_free()
 *
 * Return: 0 or negative errno (the kfunc missing: -EINVAL, -ESRCH, ...).
 */
int link_bpf_load(unsigned int flags, struct link_bpf **lb)
{
	struct mos_xdp *skel;
	int err;

	libbpf_set_print(libbpf_print);
	skel = mos_xdp__open();
	if (!skel)
		return -errno;
	skel->rodata->mos_xdp_flags = flags;
	err = mos_xdp__load(skel);
	if (err) {
		mos_xdp__destroy(skel);
		return err;
	}
	*lb = (struct link_bpf *)skel;
	return 0;
}

/**
 * link_bpf_free() - close the program (a device it is attached to keeps it)
 * @lb: from link_bpf_load()
 */
void link_bpf_free(struct link_bpf *lb)
{
	mos_xdp__destroy((struct mos_xdp *)lb);
}

/**
 * link_bpf_attach() - attach the program to a device, replacing nothing
 * @lb: from link_bpf_load()
 * @ifindex: the device, in the current namespace
 * @generic: generic (skb) mode rather than native
 *
 * Return: 0 or negative errno: -EBUSY when another program is attached,
 * -EOPNOTSUPP without native XDP.
 */
int link_bpf_attach(struct link_bpf *lb, unsigned int ifindex, bool generic)
{
	struct mos_xdp *skel = (struct mos_xdp *)lb;

	return bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.mos_xdp),
			      XDP_FLAGS_UPDATE_IF_NOEXIST |
			      (generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE),
			      NULL);
}

/**
 * link_bpf_detach() - detach the program link_bpf_query() found
 * @ifindex: the device
 * @lp: what is attached, mos's program
 *
 * Only that very program is detached (XDP_FLAGS_REPLACE).
 *
 * Return: 0 or negative errno.
 */
int link_bpf_detach(unsigned int ifindex, const struct link_prog *lp)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	__u32 flags = lp->mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
		      XDP_FLAGS_DRV_MODE;
	int err;

	o.old_prog_fd = bpf_prog_get_fd_by_id(lp->id);
	if (o.old_prog_fd < 0)
		return -errno;
	err = bpf_xdp_detach(ifindex, flags | XDP_FLAGS_REPLACE, &o);
	close(o.old_prog_fd);
	return err;
}

/*
 * The flags mos's program @fd was loaded with: mos_xdp_flags, in its
 * read-only data map ("mos_xdp.rodata", frozen at load; the kernel lets
 * the map be read, never written).  0 with @lp->flags set, or -errno.
 */
static int link_bpf_flags(int fd, struct link_prog *lp)
{
	const size_t off = offsetof(struct mos_xdp__rodata, mos_xdp_flags);
	struct bpf_prog_info info;
	__u32 len = sizeof(info), ids[8], i, key = 0;
	int err = -ENOENT;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]);
	     i++) {
		struct bpf_map_info mi;
		__u32 mlen = sizeof(mi);
		unsigned char val[64];
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			return -errno;
		memset(&mi, 0, sizeof(mi));
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) &&
		    strstr(mi.name, ".rodata") &&
		    mi.value_size >= off + sizeof(__u32) &&
		    mi.value_size <= sizeof(val)) {
			if (bpf_map_lookup_elem(mfd, &key, val)) {
				err = -errno;
			} else {
				memcpy(&lp->flags, val + off, sizeof(__u32));
				lp->flags_known = true;
				err = 0;
			}
		}
		close(mfd);
		if (lp->flags_known)
			break;
	}
	return err;
}

/**
 * link_bpf_query() - what is attached to a device
 * @ifindex: the device
 * @lp: filled in; the flags of mos's program when they can be read
 *
 * Return: 0 or negative errno.
 */
int link_bpf_query(unsigned int ifindex, struct link_prog *lp)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd, err;

	memset(lp, 0, sizeof(*lp));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	lp->mode = q.attach_mode;
	lp->id = q.prog_id;
	if (!lp->id)
		return 0;
	fd = bpf_prog_get_fd_by_id(lp->id);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		lp->mos = !strcmp(info.name, MOS_XDP_PROG_NAME);
	if (lp->mos)
		link_bpf_flags(fd, lp);
	close(fd);
	return 0;
}

/**
 * link_bpf_mode_name() - native, generic, ...
 * @mode: XDP_ATTACHED_*
 *
 * Return: the name.
 */
const char *link_bpf_mode_name(unsigned int mode)
{
	switch (mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

