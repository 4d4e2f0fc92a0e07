// SPDX-License-Identifier: GPL-2.0
/*
 * xdp.c - XDP attachment: the kfunc mos's XDP program calls on each frame
 *
 * DOC: Theory of Operation
 *
 * mos's XDP program (xdp/mos_xdp.bpf.c, loaded and attached by mosctl
 * link attach) is one call: mos_xdp_input(ctx, flags), a kfunc this
 * module registers for XDP programs.  It turns the frame into a
 * &struct mos_pkt and hands it to mos_pkt_input() (pkt.c), as the
 * netfilter hooks (nf.c) do with an skb: nothing of the tracker is
 * specific to XDP.  Its verdict becomes XDP_DROP for a dropped packet
 * when the program was attached inline (%MOS_XDP_F_INLINE), XDP_PASS
 * otherwise.
 *
 * The frame: an Ethernet header, up to two 802.1Q or 802.1ad tags, then
 * IPv4 or IPv6, found by mos_tm_decap() (tcpmon/decap.c, which the
 * capture reader runs too); anything else is passed untouched and
 * uncounted (ARP, ...).  With %MOS_XDP_F_DECAP the walk also removes
 * encapsulations (IP in IP, GRE, ERSPAN, VXLAN, Geneve, PPPoE, GTP-U; at
 * most %MOS_DECAP_DEPTH_MAX) and the tracker gets the inner packet
 * (%MOS_STAT_DECAP); a frame whose encapsulation carries something else,
 * is malformed or nests too deep is passed untracked and counted
 * (%MOS_STAT_DECAP_UNKNOWN, %MOS_STAT_DECAP_BAD, %MOS_STAT_DECAP_DEEP).
 * The inner IP header must be in the frame's linear part (the classic
 * BPF filters read from there); it is else counted as unknown.  The IP
 * packet ends where its header says (total length, payload length), not
 * where the frame or the layer around it ends: a short frame's Ethernet
 * padding is not part of it.  Multi-buffer frames (XDP_FLAGS_HAS_FRAGS)
 * are read across their fragments.
 *
 * Reading: &tm_src.read returns a pointer into the frame when the bytes
 * are in its linear part and aligned as the IP header is; otherwise it
 * copies, which is the case with an Ethernet header of 14 bytes before a
 * 4-byte aligned IP header.  &tm_src.copy copies across fragments.
 *
 * What XDP does not have, and how it is handled:
 *
 * - no checksum state: every TCP checksum is computed in software
 *   (mos_xdp_csum_bad());
 * - no defragmentation: IP fragments reach the tracker as they are, and
 *   are counted and passed untracked (%MOS_STAT_IP_FRAG, as at LOCAL_OUT);
 * - no GRO: every frame is one segment;
 * - no skb: the resets a %MOS_ACTION_RESET rule asks for are not sent
 *   (%MOS_STAT_XDP_RESET_UNSENT; the packet is dropped inline), while
 *   the resets of a flow reset, built from the tracked flow, are;
 * - classic BPF filters (rules, monitor sockets) run on an sk_buff: one
 *   is made on the stack that describes the frame from its IP header
 *   (mos_xdp_filter()), and is never seen by anything else.
 *
 * Which frames count: only those from a device recorded for the
 * device's namespace (%MOS_CMD_LINK_ADD, which mosctl link attach sends
 * before attaching); a frame from any other device is passed and counted
 * (%MOS_STAT_XDP_UNLINKED).  The netfilter hook at PRE_ROUTING skips the
 * packets of recorded devices (mos_xdp_linked()), so that a namespace can
 * use both attachments and still see each packet once: the XDP program
 * saw it before the stack did.  LOCAL_OUT is unaffected: XDP sees only
 * what a device receives.
 *
 * Limits: %MOS_XDP_LINKS_MAX devices per namespace (-ENOSPC).
 *
 * Context: the kfunc runs where the program runs: in the driver's NAPI
 * poll (native XDP) or on the receive path of an skb (generic XDP), in
 * an RCU read section.  It disables bottom halves around the packet path
 * as mos_pkt_input() needs; nothing sleeps.
 *
 * Module lifetime: a loaded program that calls the kfunc holds a
 * reference to this module (its BTF), so the module cannot be removed
 * while a program is attached; detaching (or removing the device)
 * releases it.
 */

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <net/xdp.h>
#include "../netns.h"
#include "../pkt.h"
#include "hooks.h"
#include "xdp.h"

/* Kernels before 6.3 have no __bpf_kfunc, before 6.9 no BTF_KFUNCS_START */
#ifndef __bpf_kfunc
#define __bpf_kfunc __used
#endif
#ifndef BTF_KFUNCS_START
#define BTF_KFUNCS_START BTF_SET8_START
#define BTF_KFUNCS_END BTF_SET8_END
#endif

/**
 * struct mos_xdp_pkt - an XDP frame, as the packet path sees it
 * @pkt: the descriptor; its &tm_src.pkt is this structure
 * @xdp: the frame
 * @ip: its IP header, in the linear part
 * @head: bytes of the IP packet in the linear part
 */
struct mos_xdp_pkt {
	struct mos_pkt pkt;
	struct xdp_buff *xdp;
	u8 *ip;
	unsigned int head;
};

/* &tm_src.copy: @len bytes at @off from the IP header, across fragments */
static int mos_xdp_copy(const void *pkt, unsigned int off, void *dst,
			unsigned int len)
{
	const struct mos_xdp_pkt *xp = pkt;
	struct skb_shared_info *sinfo;
	unsigned int i, n;

	if (off > xp->pkt.src.len || len > xp->pkt.src.len - off)
		return -EFAULT;
	if (off < xp->head) {
		n = min(len, xp->head - off);
		memcpy(dst, xp->ip + off, n);
		dst += n;
		len -= n;
		off = 0;
	} else {
		off -= xp->head;
	}
	if (!len)
		return 0;
	/* Past the linear part: only a multi-buffer frame has bytes there */
	if (!xdp_buff_has_frags(xp->xdp))
		return -EFAULT;
	sinfo = xdp_get_shared_info_from_buff(xp->xdp);
	for (i = 0; i < sinfo->nr_frags && len; i++) {
		const skb_frag_t *f = &sinfo->frags[i];
		unsigned int fl = skb_frag_size(f);

		if (off >= fl) {
			off -= fl;
			continue;
		}
		n = min(len, fl - off);
		memcpy(dst, skb_frag_address(f) + off, n);
		dst += n;
		len -= n;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

/* &tm_src.read: in place when linear and aligned as the offset is */
static const void *mos_xdp_read(const void *pkt, unsigned int off,
				unsigned int len, void *buf)
{
	const struct mos_xdp_pkt *xp = pkt;

	if (off <= xp->head && len <= xp->head - off &&
	    IS_ALIGNED((unsigned long)xp->ip, 4))
		return xp->ip + off;
	return mos_xdp_copy(pkt, off, buf, len) ? NULL : buf;
}

/**
 * mos_xdp_csum_bad() - verify a TCP checksum in software
 * @pkt: the packet
 * @l4off: offset of the TCP header from the IP header
 *
 * The sum covers the TCP header and payload to the end of the IP packet,
 * in the linear part and the fragments, and the pseudo-header (RFC 9293
 * section 3.1, RFC 8200 section 8.1).
 *
 * Return: true if the checksum is wrong.
 */
static bool mos_xdp_csum_bad(const struct mos_pkt *pkt, unsigned int l4off)
{
	const struct mos_xdp_pkt *xp = container_of(pkt, struct mos_xdp_pkt,
						     pkt);
	unsigned int len = pkt->src.len - l4off, off = l4off, pos = 0, n, i;
	__wsum sum = 0;

	if (off < xp->head) {
		n = min(len, xp->head - off);
		sum = csum_partial(xp->ip + off, n, 0);
		pos = n;
		off = 0;
	} else {
		off -= xp->head;
	}
	if (pos < len) {
		struct skb_shared_info *sinfo;

		if (!xdp_buff_has_frags(xp->xdp))
			return true;
		sinfo = xdp_get_shared_info_from_buff(xp->xdp);
		for (i = 0; i < sinfo->nr_frags && pos < len; i++) {
			const skb_frag_t *f = &sinfo->frags[i];
			unsigned int fl = skb_frag_size(f);

			if (off >= fl) {
				off -= fl;
				continue;
			}
			n = min(len - pos, fl - off);
			sum = csum_block_add(sum,
					     csum_partial(skb_frag_address(f) +
							  off, n, 0), pos);
			pos += n;
			off = 0;
		}
		if (pos < len)
			return true;
	}
	if (pkt->family == 4) {
		const struct iphdr *iph = (const struct iphdr *)xp->ip;

		return csum_tcpudp_magic(iph->saddr, iph->daddr, len,
					 IPPROTO_TCP, sum) != 0;
	}
	return csum_ipv6_magic(&((const struct ipv6hdr *)xp->ip)->saddr,
			       &((const struct ipv6hdr *)xp->ip)->daddr, len,
			       IPPROTO_TCP, sum) != 0;
}

/**
 * mos_xdp_filter() - run a classic BPF program on the frame
 * @pkt: the packet
 * @prog: the program, as for an skb from its IP header
 *
 * Classic BPF reads its packet through an sk_buff (skb->data, len,
 * data_len, and skb_copy_bits() past the linear part).  The sk_buff made
 * here on the stack describes the frame as the stack would build it from
 * an xdp_buff (xdp_build_skb_from_frame()): the head is the frame's
 * buffer, whose end holds the shared info with the fragments of a
 * multi-buffer frame; data is the IP header.  Its length never goes past
 * the linear part of a frame without fragments, whose shared info is not
 * initialised, so nothing reads it there.
 *
 * Return: the program's return value.
 */
static u32 mos_xdp_filter(const struct mos_pkt *pkt, struct bpf_prog *prog)
{
	const struct mos_xdp_pkt *xp = container_of(pkt, struct mos_xdp_pkt,
						     pkt);
	struct xdp_buff *xdp = xp->xdp;
	unsigned int len = pkt->src.len;
	struct sk_buff skb;

	memset(&skb, 0, sizeof(skb));
	skb.head = xdp->data_hard_start;
	skb.data = xp->ip;
	skb.len = len;
	skb.data_len = len > xp->head ? len - xp->head : 0;
	skb_set_tail_pointer(&skb, min(len, xp->head));
	skb.end = xdp->frame_sz - SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	skb.protocol = htons(pkt->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	return bpf_prog_run_save_cb(prog, &skb);
}

/*
 * The length of the IP packet at @ip, of at most @avail bytes: what its
 * header says, or @avail when the header is cut or claims more (for the
 * parser to judge)
 */
static unsigned int mos_xdp_ip_len(const struct mos_xdp_pkt *xp, u8 family,
				   unsigned int avail)
{
	const struct ipv6hdr *ip6;
	const struct iphdr *iph;
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} buf;
	unsigned int l;

	if (family == 4) {
		iph = mos_xdp_read(xp, 0, sizeof(buf.v4), &buf);
		if (!iph)
			return avail;
		l = ntohs(iph->tot_len);
		return l >= sizeof(*iph) && l <= avail ? l : avail;
	}
	ip6 = mos_xdp_read(xp, 0, sizeof(buf.v6), &buf);
	if (!ip6 || !ip6->payload_len)
		return avail;
	l = sizeof(*ip6) + ntohs(ip6->payload_len);
	return l <= avail ? l : avail;
}

/**
 * mos_xdp_linked() - whether a device is recorded as XDP-attached
 * @mn: its namespace's state
 * @ifindex: the device
 *
 * Context: any; reads the record locklessly.
 * Return: true if mos_xdp_link_add() recorded it.
 */
bool mos_xdp_linked(const struct mos_net *mn, int ifindex)
{
	/* Pairs with the release in mos_xdp_link_add(): entries below n are set */
	unsigned int i, n = smp_load_acquire(&mn->xdp_nlinks);

	for (i = 0; i < n && i < MOS_XDP_LINKS_MAX; i++)
		if (READ_ONCE(mn->xdp_links[i]) == ifindex)
			return true;
	return false;
}

/**
 * mos_xdp_input() - the kfunc: hand one XDP frame to the packet path
 * @ctx: the program's context, the frame
 * @flags: &enum mos_xdp_flags
 *
 * Context: an XDP program, in an RCU read section, softirq or process
 * context; does not sleep.
 * Return: XDP_PASS, XDP_DROP for a packet dropped with %MOS_XDP_F_INLINE,
 * XDP_ABORTED for unknown @flags.
 */
__bpf_kfunc int mos_xdp_input(struct xdp_md *ctx, u32 flags)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct net_device *dev = xdp->rxq->dev;
	struct mos_net *mn = mos_pernet(dev_net(dev));
	u8 *data = xdp->data, *end = xdp->data_end;
	unsigned int avail;
	struct mos_xdp_pkt xp = {
		.pkt = {
			.src = {
				.pkt = &xp,
				.read = mos_xdp_read,
				.copy = mos_xdp_copy,
			},
			.csum_bad = mos_xdp_csum_bad,
			.filter = mos_xdp_filter,
		},
		.xdp = xdp,
	};
	struct tm_decap d = { 0 };
	enum tm_decap_res dr;
	enum tm_verdict v;
	struct tm_pkt p;
	bool held;

	if (flags & ~MOS_XDP_F_ALL)
		return XDP_ABORTED;
	if (!rcu_access_pointer(mn->tm))
		return XDP_PASS;
	/* The whole frame, from its Ethernet header, for mos_tm_decap() */
	xp.ip = data;
	xp.head = end - data;
	xp.pkt.src.len = xdp_get_buff_len(xdp);
	dr = mos_tm_decap(&xp, xp.pkt.src.len, mos_xdp_read, TM_LINK_ETH,
			  flags & MOS_XDP_F_DECAP ? TM_DECAP_F_TUNNELS : 0, &d);
	/* Not IP, or not even Ethernet: passed untouched, as the stack's */
	if (dr == TM_DECAP_NONIP || (dr == TM_DECAP_BAD && !d.depth))
		return XDP_PASS;

	local_bh_disable();
	if (!mos_xdp_linked(mn, dev->ifindex)) {
		mos_stat_inc(mn, MOS_STAT_XDP_UNLINKED);
		local_bh_enable();
		return XDP_PASS;
	}
	/*
	 * The inner IP header's fixed part must be in the linear part, as
	 * the filter and the checksum's addresses read it there
	 */
	if (dr == TM_DECAP_IP &&
	    d.off + (d.family == 6 ? sizeof(struct ipv6hdr) :
		     sizeof(struct iphdr)) > end - data)
		dr = TM_DECAP_UNKNOWN;
	if (dr != TM_DECAP_IP) {
		mos_stat_inc(mn, dr == TM_DECAP_DEEP ? MOS_STAT_DECAP_DEEP :
			     dr == TM_DECAP_BAD ? MOS_STAT_DECAP_BAD :
			     MOS_STAT_DECAP_UNKNOWN);
		local_bh_enable();
		return XDP_PASS;
	}
	if (d.depth)
		mos_stat_inc(mn, MOS_STAT_DECAP);
	xp.pkt.family = d.family;
	xp.ip = data + d.off;
	xp.head = end - xp.ip;
	avail = d.len;
	xp.pkt.src.len = avail;
	xp.pkt.src.len = mos_xdp_ip_len(&xp, xp.pkt.family, avail);
	xp.head = min(xp.head, xp.pkt.src.len);

	/* No &mos_pkt.hold: a frame is never held for a verdict here */
	v = mos_pkt_input(mn, &xp.pkt, &p, &held);
	if (v == TM_VERDICT_KILL)
		mos_reset_answer(mn, &p);
	else if (v == TM_VERDICT_RESET)
		mos_stat_inc(mn, MOS_STAT_XDP_RESET_UNSENT);
	local_bh_enable();
	if (v == TM_VERDICT_PASS || !(flags & MOS_XDP_F_INLINE))
		return XDP_PASS;
	return XDP_DROP;
}

BTF_KFUNCS_START(mos_xdp_kfunc_ids)
BTF_ID_FLAGS(func, mos_xdp_input)
BTF_KFUNCS_END(mos_xdp_kfunc_ids)

static const struct btf_kfunc_id_set mos_xdp_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &mos_xdp_kfunc_ids,
};

/**
 * mos_xdp_init() - register the kfunc for XDP programs
 *
 * A module built without BTF cannot: netfilter works regardless, and
 * loading mos's XDP program fails (the kfunc is not found), which mosctl
 * reports (Documentation/xdp.rst).
 *
 * Context: module load.
 * Return: 0; a failure to register is only logged.
 */
int __init mos_xdp_init(void)
{
	int err = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP,
					    &mos_xdp_kfunc_set);

	if (err)
		pr_notice("mos: XDP attachment unavailable: kfunc not registered (%d)\n",
			  err);
	return 0;
}

/**
 * mos_xdp_link_add() - record a device as XDP-attached
 * @net: its namespace
 * @ifindex: the device
 * @extack: for error messages
 *
 * Context: process; takes the namespace's mos lock.
 * Return: 0, -ENODEV, -EEXIST or -ENOSPC (%MOS_XDP_LINKS_MAX).
 */
int mos_xdp_link_add(struct net *net, int ifindex,
		     struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct net_device *dev;
	int err = 0;

	dev = dev_get_by_index(net, ifindex);
	if (!dev) {
		NL_SET_ERR_MSG(extack, "no such device in this namespace");
		return -ENODEV;
	}
	dev_put(dev);
	mutex_lock(&mn->lock);
	if (mos_xdp_linked(mn, ifindex)) {
		NL_SET_ERR_MSG(extack, "device already recorded");
		err = -EEXIST;
	} else if (mn->xdp_nlinks >= MOS_XDP_LINKS_MAX) {
		NL_SET_ERR_MSG(extack, "too many XDP-attached devices");
		err = -ENOSPC;
	} else {
		WRITE_ONCE(mn->xdp_links[mn->xdp_nlinks], ifindex);
		/* The entry before the count that covers it (mos_xdp_linked()) */
		smp_store_release(&mn->xdp_nlinks, mn->xdp_nlinks + 1);
	}
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_xdp_link_del() - forget a device recorded by mos_xdp_link_add()
 * @net: its namespace
 * @ifindex: the device
 * @extack: for error messages
 *
 * The last entry moves into the freed slot before the count shrinks, so
 * that a lockless reader always finds every other device.
 *
 * Context: process; takes the namespace's mos lock.
 * Return: 0 or -ENOENT.
 */
int mos_xdp_link_del(struct net *net, int ifindex,
		     struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	unsigned int i, n;
	int err = -ENOENT;

	mutex_lock(&mn->lock);
	n = mn->xdp_nlinks;
	for (i = 0; i < n; i++) {
		if (mn->xdp_links[i] != ifindex)
			continue;
		WRITE_ONCE(mn->xdp_links[i], mn->xdp_links[n - 1]);
		/* The last entry moved before the count drops it */
		smp_store_release(&mn->xdp_nlinks, n - 1);
		err = 0;
		break;
	}
	mutex_unlock(&mn->lock);
	if (err)
		NL_SET_ERR_MSG(extack, "device not recorded");
	return err;
}
