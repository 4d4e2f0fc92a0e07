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
 *   (mos_xdp_csum_bad()), unless the program was loaded with
 *   %MOS_XDP_F_TRUST_CSUM: then none is, and each segment is counted
 *   (%MOS_LSTAT_CSUM_TRUSTED) and tracked as if its checksum were right;
 * - no defragmentation: IP fragments reach the tracker as they are, and
 *   are counted and passed untracked (%MOS_STAT_IP_FRAG, as at LOCAL_OUT);
 * - no GRO: every frame is one segment;
 * - no skb: the reset a %MOS_ACTION_RESET rule answers a packet with is
 *   the frame itself, rewritten in place into that reset (mos_xdp_rst():
 *   Ethernet addresses swapped, VLAN tags kept, a bare IP and TCP header
 *   as nf_send_reset() builds them) and sent back by the device it came
 *   in by (XDP_TX), when the program returns XDP_TX (%MOS_XDP_F_TX) and
 *   was attached inline; a multi-buffer frame's reset is an skb of its
 *   own, sent out of that device; otherwise, or for a frame that cannot be
 *   rewritten (decapsulated, a bad checksum, a multicast or broadcast
 *   address), the packet is dropped without its reset
 *   (%MOS_STAT_XDP_RESET_UNSENT).  The resets of a flow reset, built from
 *   the tracked flow, are sent as on the netfilter path;
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
 * Per-device counters (&enum mos_link_stat): each recorded device has a
 * slot in &mos_net.xdp_links and the same slot of this CPU's
 * &struct mos_xdp_lstats, zeroed when the device is recorded.  Forgetting
 * a device clears its slot, then waits for the kfuncs in flight
 * (synchronize_rcu(): they run with bottom halves disabled), so that none
 * counts into the slot once another device may take it.
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
#include <linux/etherdevice.h>
#include <linux/tcp.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/tcp.h>
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
 * @mn: its namespace's state
 * @slot: its device's slot in &mos_net.xdp_links
 * @flags: &enum mos_xdp_flags
 * @csum_bad: set by mos_xdp_csum_bad() when the TCP checksum is wrong
 */
struct mos_xdp_pkt {
	struct mos_pkt pkt;
	struct xdp_buff *xdp;
	u8 *ip;
	unsigned int head;
	struct mos_net *mn;
	int slot;
	u32 flags;
	bool *csum_bad;
};

/* Add @n to counter @i of device slot @slot, on this CPU; BHs disabled */
static void mos_xdp_lstat(struct mos_net *mn, int slot, unsigned int i,
			  u64 n)
{
	struct mos_xdp_lstats *s = this_cpu_ptr(mn->xdp_stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[slot][i], n);
	u64_stats_update_end(&s->syncp);
}

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

/* The checksum of the TCP segment at @l4off; true if it is wrong */
static bool mos_xdp_csum_check(const struct mos_xdp_pkt *xp,
			       unsigned int l4off)
{
	const struct mos_pkt *pkt = &xp->pkt;
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
 * mos_xdp_csum_bad() - verify a TCP checksum in software, or trust it
 * @pkt: the packet
 * @l4off: offset of the TCP header from the IP header
 *
 * The sum covers the TCP header and payload to the end of the IP packet,
 * in the linear part and the fragments, and the pseudo-header (RFC 9293
 * section 3.1, RFC 8200 section 8.1).  With %MOS_XDP_F_TRUST_CSUM nothing
 * is summed: the segment is counted as trusted.  A wrong checksum is
 * counted for the device and noted for mos_xdp_rst().
 *
 * Context: inside mos_pkt_input(), bottom halves disabled.
 * Return: true if the checksum is wrong.
 */
static bool mos_xdp_csum_bad(const struct mos_pkt *pkt, unsigned int l4off)
{
	const struct mos_xdp_pkt *xp = container_of(pkt, struct mos_xdp_pkt,
						     pkt);

	if (xp->flags & MOS_XDP_F_TRUST_CSUM) {
		mos_xdp_lstat(xp->mn, xp->slot, MOS_LSTAT_CSUM_TRUSTED, 1);
		return false;
	}
	if (!mos_xdp_csum_check(xp, l4off))
		return false;
	mos_xdp_lstat(xp->mn, xp->slot, MOS_LSTAT_CSUM_BAD, 1);
	*xp->csum_bad = true;
	return true;
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

/*
 * The slot of device @ifindex in &mos_net.xdp_links, or -1.  Lockless:
 * pairs with the release in mos_xdp_link_add(), so that the slot's
 * counters are zeroed and &mos_net.xdp_stats set for whoever finds it.
 */
static int mos_xdp_slot(const struct mos_net *mn, int ifindex)
{
	int i;

	if (!READ_ONCE(mn->xdp_nlinks))
		return -1;
	for (i = 0; i < MOS_XDP_LINKS_MAX; i++)
		/* Pairs with the release in mos_xdp_link_add() */
		if (smp_load_acquire(&mn->xdp_links[i]) == ifindex)
			return i;
	return -1;
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
	return mos_xdp_slot(mn, ifindex) >= 0;
}

/*
 * Whether the frame @xp, of parsed headers @p, may be answered in place
 * (mos_xdp_rst()): as nf_reject, not a reset, nor to or from a multicast
 * or broadcast address, nor from 0.0.0.0/8; not a decapsulated frame (its
 * reset would need the encapsulation).  A multi-buffer frame's headers
 * are in its first buffer, as the parser found them.
 */
static bool mos_xdp_rst_ok(const struct mos_xdp_pkt *xp,
			   const struct tm_decap *d, const struct tm_pkt *p)
{
	struct xdp_buff *xdp = xp->xdp;
	const struct ethhdr *eth = xdp->data;
	unsigned int nhlen;

	if (d->depth || (p->tcp_flags & TM_TCPF_RST) ||
	    is_multicast_ether_addr(eth->h_dest))
		return false;
	if (p->family == 4) {
		if (ipv4_is_multicast(p->daddr.a4) || ipv4_is_lbcast(p->daddr.a4) ||
		    ipv4_is_multicast(p->saddr.a4) || ipv4_is_lbcast(p->saddr.a4) ||
		    ipv4_is_zeronet(p->saddr.a4))
			return false;
		nhlen = sizeof(struct iphdr);
	} else {
		if (!(ipv6_addr_type((const struct in6_addr *)p->daddr.a6) &
		      IPV6_ADDR_UNICAST) ||
		    !(ipv6_addr_type((const struct in6_addr *)p->saddr.a6) &
		      IPV6_ADDR_UNICAST))
			return false;
		nhlen = sizeof(struct ipv6hdr);
	}
	/* The segment had at least these headers: the reset fits in place */
	return d->off + nhlen + sizeof(struct tcphdr) <=
	       (const u8 *)xdp->data_end - (const u8 *)xdp->data;
}

/*
 * The reset that answers the segment @p (parsed headers), written over
 * @frame: its Ethernet header and VLAN tags (@d->off bytes) are kept with
 * their addresses swapped, the IP and TCP headers follow.  Returns the
 * reset's length, from @frame.
 */
static unsigned int mos_xdp_rst_write(u8 *frame, const struct tm_decap *d,
				      const struct tm_pkt *p,
				      const struct net *net)
{
	struct ethhdr *eth = (struct ethhdr *)frame;
	u8 *ip = frame + d->off;
	unsigned int nhlen = p->family == 4 ? sizeof(struct iphdr) :
					      sizeof(struct ipv6hdr);
	u8 mac[ETH_ALEN];
	struct tcphdr *th;
	u32 end;

	/* Everything the segment occupied in sequence space */
	end = p->seq + p->l4len - p->doff + !!(p->tcp_flags & TM_TCPF_SYN) +
	      !!(p->tcp_flags & TM_TCPF_FIN);

	ether_addr_copy(mac, eth->h_dest);
	ether_addr_copy(eth->h_dest, eth->h_source);
	ether_addr_copy(eth->h_source, mac);

	th = (struct tcphdr *)(ip + nhlen);
	memset(th, 0, sizeof(*th));
	th->source = p->dport;
	th->dest = p->sport;
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	if (p->tcp_flags & TM_TCPF_ACK) {
		th->seq = htonl(p->ack_seq);
	} else {
		th->ack = 1;
		th->ack_seq = htonl(end);
	}
	if (p->family == 4) {
		struct iphdr *iph = (struct iphdr *)ip;

		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->tot_len = htons(sizeof(*iph) + sizeof(*th));
		iph->frag_off = htons(IP_DF);
		iph->ttl = READ_ONCE(net->ipv4.sysctl_ip_default_ttl);
		iph->protocol = IPPROTO_TCP;
		iph->saddr = p->daddr.a4;
		iph->daddr = p->saddr.a4;
		iph->check = ip_fast_csum(iph, iph->ihl);
		th->check = tcp_v4_check(sizeof(*th), iph->saddr, iph->daddr,
					 csum_partial(th, sizeof(*th), 0));
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)ip;

		ip6_flow_hdr(ip6h, 0, 0);
		ip6h->payload_len = htons(sizeof(*th));
		ip6h->nexthdr = IPPROTO_TCP;
		ip6h->hop_limit = READ_ONCE(net->ipv6.devconf_all->hop_limit);
		memcpy(&ip6h->saddr, p->daddr.a6, sizeof(ip6h->saddr));
		memcpy(&ip6h->daddr, p->saddr.a6, sizeof(ip6h->daddr));
		th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr,
					    sizeof(*th), IPPROTO_TCP,
					    csum_partial(th, sizeof(*th), 0));
	}
	return (u8 *)(th + 1) - frame;
}

/*
 * mos_xdp_rst() - the reset that answers a segment, sent back by the
 * device it came in by
 * @xp: the frame, a TCP segment a reset rule matched, mos_xdp_rst_ok()
 * @d: where its IP header is
 * @p: its parsed headers
 *
 * The answer nf_send_reset() and nf_send_reset6() give (RFC 9293 section
 * 3.10.7.1): to the sender, from the receiver's address and port; with
 * the segment's acknowledgment number as sequence number if it had one,
 * else sequence number 0 and an ACK of everything the segment occupied.
 * The Ethernet addresses are swapped and the VLAN tags kept, so that the
 * device sends it back where the segment came from; the IP header is a
 * bare one (no options, no extension headers), with the namespace's
 * default TTL or hop limit, and the frame ends after the TCP header.
 *
 * A frame of one buffer becomes the reset, in place, and the program
 * sends it (XDP_TX).  A multi-buffer frame cannot: its fragments would
 * have to be cut off (bpf_xdp_adjust_tail()), which on 6.12 gives the
 * page_pool pages a veth or generic XDP puts there back to the page
 * allocator as ordinary pages ("BUG: Bad page state", page_pool leak).
 * Its reset is an skb of its own (GFP_ATOMIC, at most as many as the
 * rate limit of resets lets through), sent out of the device by
 * dev_queue_xmit() as a bridge sends a frame, and the segment is dropped.
 *
 * Context: bottom halves disabled.
 * Return: XDP_TX, or XDP_DROP (sent as an skb, or not: *@sent).
 */
static int mos_xdp_rst(struct mos_xdp_pkt *xp, const struct tm_decap *d,
		       const struct tm_pkt *p, bool *sent)
{
	struct xdp_buff *xdp = xp->xdp;
	struct net_device *dev = xdp->rxq->dev;
	unsigned int nhlen = p->family == 4 ? sizeof(struct iphdr) :
					      sizeof(struct ipv6hdr);
	unsigned int len = d->off + nhlen + sizeof(struct tcphdr);
	struct sk_buff *skb;
	u8 *frame;

	*sent = true;
	if (!xdp_buff_has_frags(xdp)) {
		/* What bpf_xdp_adjust_tail() does to shrink a linear frame */
		xdp->data_end = xdp->data +
				mos_xdp_rst_write(xdp->data, d, p, xp->mn->net);
		return XDP_TX;
	}
	skb = alloc_skb(LL_RESERVED_SPACE(dev) + len, GFP_ATOMIC);
	if (!skb) {
		*sent = false;
		return XDP_DROP;
	}
	skb_reserve(skb, LL_RESERVED_SPACE(dev));
	frame = skb_put(skb, len);
	memcpy(frame, xdp->data, d->off);
	mos_xdp_rst_write(frame, d, p, xp->mn->net);
	skb->dev = dev;
	skb->protocol = ((struct ethhdr *)frame)->h_proto;
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, d->off);
	skb_set_transport_header(skb, d->off + nhlen);
	if (dev_queue_xmit(skb) != NET_XMIT_SUCCESS)
		*sent = false;
	return XDP_DROP;
}

/*
 * A reset rule matched the packet @p of @xp: send its reset with XDP_TX if
 * the program can, rate-limited as the netfilter path's; XDP_DROP for a
 * program attached inline otherwise, XDP_PASS for one attached passive
 */
static int mos_xdp_reset(struct mos_xdp_pkt *xp, const struct tm_decap *d,
			 const struct tm_pkt *p, bool csum_bad)
{
	struct mos_net *mn = xp->mn;
	bool sent;
	int ret;

	if (!(xp->flags & MOS_XDP_F_INLINE)) {
		mos_stat_inc(mn, MOS_STAT_XDP_RESET_UNSENT);
		mos_xdp_lstat(mn, xp->slot, MOS_LSTAT_RESET_UNSENT, 1);
		return XDP_PASS;
	}
	/*
	 * A trusted checksum was not summed: verify it before answering.  A
	 * frame of a generic-mode device may come from an skb whose checksum
	 * is still partial (transmit offload); the device would then
	 * complete the checksum of the reset written over it.
	 */
	if ((xp->flags & MOS_XDP_F_TRUST_CSUM) && !csum_bad)
		csum_bad = mos_xdp_csum_check(xp, p->l4off);
	/* A multi-buffer frame's reset is an skb: no XDP_TX (mos_xdp_rst()) */
	if ((!(xp->flags & MOS_XDP_F_TX) && !xdp_buff_has_frags(xp->xdp)) ||
	    csum_bad || !mos_xdp_rst_ok(xp, d, p)) {
		mos_stat_inc(mn, MOS_STAT_XDP_RESET_UNSENT);
		mos_xdp_lstat(mn, xp->slot, MOS_LSTAT_RESET_UNSENT, 1);
		return XDP_DROP;
	}
	if (!__ratelimit(&mn->rst_rl)) {
		mos_stat_inc(mn, MOS_STAT_RESET_LIMITED);
		mos_xdp_lstat(mn, xp->slot, MOS_LSTAT_RESET_UNSENT, 1);
		return XDP_DROP;
	}
	ret = mos_xdp_rst(xp, d, p, &sent);
	if (!sent) {
		mos_stat_inc(mn, MOS_STAT_XDP_RESET_UNSENT);
		mos_xdp_lstat(mn, xp->slot, MOS_LSTAT_RESET_UNSENT, 1);
		return ret;
	}
	mos_stat_inc(mn, MOS_STAT_RESETS);
	mos_xdp_lstat(mn, xp->slot, MOS_LSTAT_RESETS, 1);
	return ret;
}

/**
 * mos_xdp_input() - the kfunc: hand one XDP frame to the packet path
 * @ctx: the program's context, the frame
 * @flags: &enum mos_xdp_flags
 *
 * Context: an XDP program, in an RCU read section, softirq or process
 * context; does not sleep.  Disables bottom halves for the whole frame:
 * the packet path and the device's counters need it.
 * Return: XDP_PASS, XDP_DROP for a packet dropped with %MOS_XDP_F_INLINE
 * (a multi-buffer frame a reset rule matched too: its reset is sent as
 * an skb), XDP_TX for one rewritten into its reset (%MOS_XDP_F_TX; never
 * a multi-buffer frame), XDP_ABORTED for unknown @flags.
 */
__bpf_kfunc int mos_xdp_input(struct xdp_md *ctx, u32 flags)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct net_device *dev = xdp->rxq->dev;
	struct mos_net *mn = mos_pernet(dev_net(dev));
	u8 *data = xdp->data, *end = xdp->data_end;
	bool csum_bad = false;
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
		.mn = mn,
		.flags = flags,
		.csum_bad = &csum_bad,
	};
	struct tm_decap d = { 0 };
	enum tm_decap_res dr;
	enum tm_parse_res r;
	enum tm_verdict v;
	int ret = XDP_PASS;
	struct tm_pkt p;
	bool held;

	if (flags & ~MOS_XDP_F_ALL)
		return XDP_ABORTED;
	local_bh_disable();
	xp.slot = mos_xdp_slot(mn, dev->ifindex);
	if (xp.slot >= 0) {
		mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_FRAMES, 1);
		mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_BYTES,
			      xdp_get_buff_len(xdp));
	}
	if (!rcu_access_pointer(mn->tm))
		goto out;
	/* The whole frame, from its Ethernet header, for mos_tm_decap() */
	xp.ip = data;
	xp.head = end - data;
	xp.pkt.src.len = xdp_get_buff_len(xdp);
	dr = mos_tm_decap(&xp, xp.pkt.src.len, mos_xdp_read, TM_LINK_ETH,
			  flags & MOS_XDP_F_DECAP ? TM_DECAP_F_TUNNELS : 0, &d);
	/* Not IP, or not even Ethernet: passed untouched, as the stack's */
	if (dr == TM_DECAP_NONIP || (dr == TM_DECAP_BAD && !d.depth)) {
		if (xp.slot >= 0)
			mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_NONIP, 1);
		goto out;
	}
	if (xp.slot < 0) {
		mos_stat_inc(mn, MOS_STAT_XDP_UNLINKED);
		goto out;
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
		mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_DECAP_ERR, 1);
		goto out;
	}
	if (d.depth) {
		mos_stat_inc(mn, MOS_STAT_DECAP);
		mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_DECAP, 1);
	}
	mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_TRACKED, 1);
	xp.pkt.family = d.family;
	xp.ip = data + d.off;
	xp.head = end - xp.ip;
	avail = d.len;
	xp.pkt.src.len = avail;
	xp.pkt.src.len = mos_xdp_ip_len(&xp, xp.pkt.family, avail);
	xp.head = min(xp.head, xp.pkt.src.len);

	/* No &mos_pkt.hold: a frame is never held for a verdict here */
	v = mos_pkt_input(mn, &xp.pkt, &p, &held, &r);
	if (r == TM_PKT_BAD)
		mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_PARSE_ERR, 1);
	if (v == TM_VERDICT_KILL)
		mos_reset_answer(mn, &p);
	if (v == TM_VERDICT_RESET)
		ret = mos_xdp_reset(&xp, &d, &p, csum_bad);
	else if (v != TM_VERDICT_PASS && (flags & MOS_XDP_F_INLINE))
		ret = XDP_DROP;
	if (ret == XDP_DROP)
		mos_xdp_lstat(mn, xp.slot, MOS_LSTAT_DROPPED, 1);
out:
	local_bh_enable();
	return ret;
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
 * The device takes a free slot, whose counters are zeroed before the slot
 * is published; the namespace's per-CPU counters of devices are allocated
 * with its first device (%MOS_XDP_LINKS_MAX slots, once).
 *
 * Context: process; takes the namespace's mos lock.
 * Return: 0, -ENODEV, -EEXIST, -ENOSPC (%MOS_XDP_LINKS_MAX) or -ENOMEM.
 */
int mos_xdp_link_add(struct net *net, int ifindex,
		     struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct net_device *dev;
	int err = 0, i, cpu, slot = -1;

	dev = dev_get_by_index(net, ifindex);
	if (!dev) {
		NL_SET_ERR_MSG(extack, "no such device in this namespace");
		return -ENODEV;
	}
	dev_put(dev);
	mutex_lock(&mn->lock);
	for (i = 0; i < MOS_XDP_LINKS_MAX; i++) {
		if (mn->xdp_links[i] == ifindex) {
			NL_SET_ERR_MSG(extack, "device already recorded");
			err = -EEXIST;
			goto out;
		}
		if (!mn->xdp_links[i] && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		NL_SET_ERR_MSG(extack, "too many XDP-attached devices");
		err = -ENOSPC;
		goto out;
	}
	if (!mn->xdp_stats) {
		struct mos_xdp_lstats __percpu *st;

		st = alloc_percpu(struct mos_xdp_lstats);
		if (!st) {
			err = -ENOMEM;
			goto out;
		}
		for_each_possible_cpu(cpu)
			u64_stats_init(&per_cpu_ptr(st, cpu)->syncp);
		/* Published by the release of the slot below */
		mn->xdp_stats = st;
	}
	/* No kfunc counts into a free slot (mos_xdp_link_del()) */
	for_each_possible_cpu(cpu) {
		struct mos_xdp_lstats *ls = per_cpu_ptr(mn->xdp_stats, cpu);

		for (i = 0; i < __MOS_LSTAT_MAX; i++)
			u64_stats_set(&ls->c[slot][i], 0);
	}
	/* The counters and the pointer before the slot (mos_xdp_slot()) */
	smp_store_release(&mn->xdp_links[slot], ifindex);
	WRITE_ONCE(mn->xdp_nlinks, mn->xdp_nlinks + 1);
out:
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_xdp_link_del() - forget a device recorded by mos_xdp_link_add()
 * @net: its namespace
 * @ifindex: the device
 * @extack: for error messages
 *
 * Its slot is cleared, then the kfuncs in flight, which may have found it
 * and count into it, are waited for before the slot can be taken again.
 *
 * Context: process; takes the namespace's mos lock, and sleeps.
 * Return: 0 or -ENOENT.
 */
int mos_xdp_link_del(struct net *net, int ifindex,
		     struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	int err = -ENOENT;
	unsigned int i;

	mutex_lock(&mn->lock);
	for (i = 0; i < MOS_XDP_LINKS_MAX; i++) {
		if (mn->xdp_links[i] != ifindex)
			continue;
		WRITE_ONCE(mn->xdp_links[i], 0);
		WRITE_ONCE(mn->xdp_nlinks, mn->xdp_nlinks - 1);
		/* The kfunc runs with bottom halves disabled */
		synchronize_rcu();
		err = 0;
		break;
	}
	mutex_unlock(&mn->lock);
	if (err)
		NL_SET_ERR_MSG(extack, "device not recorded");
	return err;
}

/**
 * mos_xdp_link_stats() - sum a recorded device's counters over all CPUs
 * @mn: the namespace's state
 * @slot: the device's slot in &mos_net.xdp_links
 * @sum: filled with the &enum mos_link_stat counters
 *
 * Context: process, with the namespace's mos lock held (the slot stays
 * the device's).
 */
void mos_xdp_link_stats(const struct mos_net *mn, unsigned int slot,
			u64 *sum)
{
	unsigned int start, i;
	int cpu;

	memset(sum, 0, sizeof(u64) * __MOS_LSTAT_MAX);
	if (!mn->xdp_stats || slot >= MOS_XDP_LINKS_MAX)
		return;
	for_each_possible_cpu(cpu) {
		const struct mos_xdp_lstats *ls = per_cpu_ptr(mn->xdp_stats, cpu);
		u64 v[__MOS_LSTAT_MAX];

		do {
			start = u64_stats_fetch_begin(&ls->syncp);
			for (i = 0; i < __MOS_LSTAT_MAX; i++)
				v[i] = u64_stats_read(&ls->c[slot][i]);
		} while (u64_stats_fetch_retry(&ls->syncp, start));
		for (i = 0; i < __MOS_LSTAT_MAX; i++)
			sum[i] += v[i];
	}
}
