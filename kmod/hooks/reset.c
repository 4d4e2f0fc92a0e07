// SPDX-License-Identifier: GPL-2.0
/*
 * reset.c - the TCP resets mos sends
 *
 * DOC: Theory of Operation
 *
 * mos ends connections in three ways, all in inline mode only:
 *
 * - A rule with %MOS_ACTION_RESET answers a flow's first packet (a SYN)
 *   with nf_send_reset() or nf_send_reset6(): the client sees
 *   ECONNREFUSED.  No flow is created.  In a namespace whose rules fail
 *   closed (pkt.c), the same answers a segment of no flow that such a
 *   rule matches.
 * - %MOS_CMD_FLOW_RESET (and %MOS_IOC_FLOW) resets an established flow
 *   at both ends (mos_net_flow_reset(), pkt.c).  The tracker
 *   (mos_tm_reset()) gives the highest sequence number each end has
 *   sent; a reset carrying it is exactly what the other end expects (RFC
 *   5961 accepts nothing else) once what was sent has arrived, which
 *   holds for a connection that is not sending at that moment.  If bytes
 *   were in flight, the end answers with a challenge ACK instead: the
 *   flow is marked reset, so that ACK, like any later packet of the flow,
 *   comes back as %TM_VERDICT_KILL.
 * - A packet of a reset flow (%TM_VERDICT_KILL) is dropped and answered
 *   at both ends: its sender gets the packet's acknowledgment number,
 *   which is exactly what the sender expects next, and its receiver the
 *   packet's sequence number.
 *
 * nf_send_reset() answers only the sender of a packet, so the resets of
 * the last two cases are built here: a bare IPv4 or IPv6 header and a TCP
 * header with RST, routed with the source address of the end it pretends
 * to come from (FLOWI_FLAG_ANYSRC: that address is usually not local) and
 * sent with ip_local_out() or ip6_local_out().
 *
 * Every reset passes the LOCAL_OUT hooks on this CPU before the send
 * returns.  The per-CPU flag mos_own_xmit, set around the send with
 * bottom halves disabled, tells the hooks it is mos's own: they let it go
 * untracked.  A reset to a local socket comes back over the loopback
 * device, which the hooks skip at PRE_ROUTING.
 *
 * Resets answering packets are rate-limited per namespace (&mos_net.rst_rl,
 * 1000 a second); those refused are counted in %MOS_STAT_RESET_LIMITED,
 * those sent in %MOS_STAT_RESETS.
 */

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip6_checksum.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include "../netns.h"
#include "hooks.h"

DEFINE_PER_CPU(bool, mos_own_xmit);

/**
 * struct mos_rst - one reset to send
 * @family: 4 or 6
 * @has_ack: set the ACK flag, with @ack
 * @saddr: source address: the end the reset pretends to come from
 * @daddr: destination address
 * @sport: source port, network order
 * @dport: destination port, network order
 * @seq: sequence number
 * @ack: acknowledgment number
 */
struct mos_rst {
	u8 family;
	bool has_ack;
	const union tm_addr *saddr;
	const union tm_addr *daddr;
	__be16 sport;
	__be16 dport;
	u32 seq;
	u32 ack;
};

static struct sk_buff *mos_rst_alloc(unsigned int nhlen)
{
	struct sk_buff *skb;

	skb = alloc_skb(LL_MAX_HEADER + nhlen + sizeof(struct tcphdr),
			GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	return skb;
}

static struct tcphdr *mos_rst_tcp(struct sk_buff *skb, const struct mos_rst *r)
{
	struct tcphdr *th;

	skb_set_transport_header(skb, skb->len);
	th = skb_put_zero(skb, sizeof(*th));
	th->source = r->sport;
	th->dest = r->dport;
	th->seq = htonl(r->seq);
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	if (r->has_ack) {
		th->ack = 1;
		th->ack_seq = htonl(r->ack);
	}
	skb->ip_summed = CHECKSUM_NONE;
	return th;
}

static int mos_rst_xmit4(struct net *net, const struct mos_rst *r)
{
	struct flowi4 fl4 = {
		.daddr = r->daddr->a4,
		.saddr = r->saddr->a4,
		.flowi4_proto = IPPROTO_TCP,
		.flowi4_flags = FLOWI_FLAG_ANYSRC,
		.fl4_sport = r->sport,
		.fl4_dport = r->dport,
	};
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb = mos_rst_alloc(sizeof(*iph));
	if (!skb) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_TCP;
	iph->saddr = r->saddr->a4;
	iph->daddr = r->daddr->a4;
	th = mos_rst_tcp(skb, r);
	th->check = tcp_v4_check(sizeof(*th), iph->saddr, iph->daddr,
				 csum_partial(th, sizeof(*th), 0));
	skb->protocol = htons(ETH_P_IP);
	skb_dst_set(skb, &rt->dst);
	/* ip_local_out() sets the total length and the header checksum. */
	ip_local_out(net, NULL, skb);
	return 0;
}

static int mos_rst_xmit6(struct net *net, const struct mos_rst *r)
{
	struct flowi6 fl6 = {
		.flowi6_proto = IPPROTO_TCP,
		.fl6_sport = r->sport,
		.fl6_dport = r->dport,
	};
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *skb;
	struct tcphdr *th;
	int err;

	memcpy(&fl6.saddr, r->saddr->a6, sizeof(fl6.saddr));
	memcpy(&fl6.daddr, r->daddr->a6, sizeof(fl6.daddr));
	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		err = dst->error;
		dst_release(dst);
		return err;
	}
	skb = mos_rst_alloc(sizeof(*ip6h));
	if (!skb) {
		dst_release(dst);
		return -ENOMEM;
	}
	ip6h = skb_put_zero(skb, sizeof(*ip6h));
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->saddr = fl6.saddr;
	ip6h->daddr = fl6.daddr;
	th = mos_rst_tcp(skb, r);
	th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, sizeof(*th),
				    IPPROTO_TCP, csum_partial(th, sizeof(*th), 0));
	skb->protocol = htons(ETH_P_IPV6);
	skb_dst_set(skb, dst);
	/* ip6_local_out() sets the payload length. */
	ip6_local_out(net, NULL, skb);
	return 0;
}

/* Context: bottom halves disabled, mos_own_xmit set. */
static void mos_rst_xmit(struct mos_net *mn, const struct mos_rst *r)
{
	int err;

	if (r->family == 4)
		err = mos_rst_xmit4(mn->net, r);
	else
		err = mos_rst_xmit6(mn->net, r);
	mos_stat_inc(mn, err ? MOS_STAT_RESET_FAILED : MOS_STAT_RESETS);
}

/**
 * mos_send_reset() - answer a packet with a TCP reset, rate-limited
 * @mn: the namespace's state
 * @skb: the packet, a TCP segment from its IP header
 * @hook: the netfilter hook it is at
 * @family: 4 or 6
 *
 * Context: bottom halves disabled.
 * Return: true if the reset was sent, false if over the rate limit.
 */
bool mos_send_reset(struct mos_net *mn, struct sk_buff *skb,
		    unsigned int hook, u8 family)
{
	if (!__ratelimit(&mn->rst_rl)) {
		mos_stat_inc(mn, MOS_STAT_RESET_LIMITED);
		return false;
	}
	this_cpu_write(mos_own_xmit, true);
	if (family == 4)
		nf_send_reset(mn->net, NULL, skb, hook);
	else
		nf_send_reset6(mn->net, NULL, skb, hook);
	this_cpu_write(mos_own_xmit, false);
	mos_stat_inc(mn, MOS_STAT_RESETS);
	return true;
}

/**
 * mos_reset_answer() - reset both ends of a packet's connection
 * @mn: the namespace's state
 * @p: the packet, of a flow that was reset (%TM_VERDICT_KILL)
 *
 * The sender gets the packet's acknowledgment number as sequence number,
 * the receiver the packet's sequence number.  An RST is not answered.
 * Rate-limited: one answer per packet.
 *
 * Context: bottom halves disabled.
 */
void mos_reset_answer(struct mos_net *mn, const struct tm_pkt *p)
{
	bool ack = p->tcp_flags & TM_TCPF_ACK;
	struct mos_rst to_rcv = {
		.family = p->family,
		.has_ack = ack,
		.saddr = &p->saddr,
		.daddr = &p->daddr,
		.sport = p->sport,
		.dport = p->dport,
		.seq = p->seq,
		.ack = p->ack_seq,
	};
	struct mos_rst to_snd = {
		.family = p->family,
		.saddr = &p->daddr,
		.daddr = &p->saddr,
		.sport = p->dport,
		.dport = p->sport,
		.seq = p->ack_seq,
	};

	if (p->tcp_flags & TM_TCPF_RST)
		return;
	if (!__ratelimit(&mn->rst_rl)) {
		mos_stat_inc(mn, MOS_STAT_RESET_LIMITED);
		return;
	}
	this_cpu_write(mos_own_xmit, true);
	/* Without an ACK the sender's receive sequence is not known. */
	if (ack)
		mos_rst_xmit(mn, &to_snd);
	mos_rst_xmit(mn, &to_rcv);
	this_cpu_write(mos_own_xmit, false);
}

/**
 * mos_reset_flow() - send the resets that end a flow at both ends
 * @mn: the namespace's state
 * @r: what the tracker gave for the flow (mos_tm_reset())
 *
 * See the DOC above: one reset to each end whose expected sequence number
 * is known.  Not rate-limited: a control operation asked for it.
 *
 * Context: process.
 */
void mos_reset_flow(struct mos_net *mn, const struct tm_reset *r)
{
	struct mos_rst rst = { .family = r->family };
	unsigned int s;

	local_bh_disable();
	this_cpu_write(mos_own_xmit, true);
	for (s = 0; s < 2; s++) {
		if (!(r->valid & (TM_RST_SEQ(s) | TM_RST_ACK(s))))
			continue;
		rst.saddr = &r->addr[!s];
		rst.daddr = &r->addr[s];
		rst.sport = r->port[!s];
		rst.dport = r->port[s];
		rst.seq = r->seq[s];
		rst.has_ack = r->valid & TM_RST_ACK(s);
		rst.ack = r->ack[s];
		mos_rst_xmit(mn, &rst);
	}
	this_cpu_write(mos_own_xmit, false);
	local_bh_enable();
}
