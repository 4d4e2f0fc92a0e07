/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp.h - the XDP attachment: the kfunc of mos's XDP program and the
 * record of the devices it is attached to (xdp.c)
 */
#ifndef _MOS_XDP_H
#define _MOS_XDP_H

#include <linux/types.h>

struct mos_net;
struct net;
struct netlink_ext_ack;
struct xdp_md;

int mos_xdp_input(struct xdp_md *ctx, u32 flags);

int mos_xdp_init(void);
bool mos_xdp_linked(const struct mos_net *mn, int ifindex);
int mos_xdp_link_add(struct net *net, int ifindex,
		     struct netlink_ext_ack *extack);
int mos_xdp_link_del(struct net *net, int ifindex,
		     struct netlink_ext_ack *extack);
void mos_xdp_link_stats(const struct mos_net *mn, unsigned int slot,
			u64 *sum);

#endif /* _MOS_XDP_H */
