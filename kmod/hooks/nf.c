// SPDX-License-Identifier: GPL-2.0
/*
 * nf.c - netfilter attachment: the IPv4 and IPv6 hooks of a namespace
 *
 * DOC: Theory of Operation
 *
 * Four hooks per monitored namespace: PRE_ROUTING and LOCAL_OUT, for IPv4
 * and IPv6.  Together they see every IP packet of the namespace once:
 *
 * - received packets, for this host or forwarded, at PRE_ROUTING;
 * - locally generated packets at LOCAL_OUT;
 * - loopback packets pass LOCAL_OUT, then PRE_ROUTING on the loopback
 *   device: they are taken at LOCAL_OUT and skipped at PRE_ROUTING;
 * - so are the local copies of multicast and broadcast packets this host
 *   sends (PACKET_LOOPBACK), which re-enter PRE_ROUTING on the sending
 *   device.
 *
 * Seen elsewhere: packets received on a device where mos's XDP program
 * is attached and recorded (%MOS_CMD_LINK_ADD): the program handed them
 * over before the stack got them (xdp.c), and PRE_ROUTING lets them by.
 *
 * Not seen: packets injected with AF_PACKET (they bypass LOCAL_OUT and go
 * straight to the device) and bridged traffic (it never reaches the IP
 * hooks of the bridging namespace).
 *
 * Seen but not tracked: received packets the stack drops after the hook
 * for reasons known at PRE_ROUTING (mos_nf_host_drops(), &mos_pkt.host_drops):
 *
 * - a unicast packet not for a local address whose IPv4 TTL or IPv6 hop
 *   limit is 1 or less: it would be forwarded, and ip_forward() /
 *   ip6_forward() drop it (and send ICMP time exceeded); a local address
 *   takes it whatever its TTL, and so do multicast and broadcast;
 * - an IPv4 packet with a loose or strict source route option (LSRR,
 *   SSRR) received on a device where accept_source_route is off (for the
 *   device and "all"): ip_rcv_options() drops it.
 *
 * They are counted and passed: the stack drops them.  The verdict stays
 * at PRE_ROUTING, before the stack, so that the rules drop before
 * anything else sees the packet; drops decided later (an nftables or
 * iptables drop in INPUT or FORWARD, reverse path filtering, martians, a
 * DNAT after the hook that changes where the packet goes) are not known
 * there, and such packets are tracked (Documentation/tcpmon.rst, "What the
 * receiver accepts").
 *
 * Placement: priority %MOS_NF_PRI, just after defragmentation
 * (NF_IP_PRI_CONNTRACK_DEFRAG, -400) and before raw (-300) and conntrack
 * (-200).  nf_defrag_ipv4/ipv6 are enabled for each monitored namespace,
 * so TCP inside IP fragments is seen reassembled, whether or not conntrack
 * is in use.
 *
 * Each hook turns the skb into a &struct mos_pkt and hands it to
 * mos_pkt_input() (pkt.c), which parses, tracks, delivers and counts it
 * and returns a verdict; the hook applies it: %NF_ACCEPT for
 * %TM_VERDICT_PASS, %NF_DROP for the others, after sending the resets
 * %TM_VERDICT_RESET and %TM_VERDICT_KILL ask for (reset.c).
 *
 * Context: PRE_ROUTING runs in softirq, LOCAL_OUT in process context with
 * bottom halves enabled.  The hooks disable bottom halves around
 * mos_pkt_input() and the resets, as both need.  The resets are sent from
 * inside the hook; they pass LOCAL_OUT on this CPU before the send
 * returns, and the per-CPU flag mos_own_xmit marks them as mos's own, so
 * the hooks let them through untracked, before anything else.
 *
 * Checksums (&mos_pkt.csum_bad) are verified with nf_checksum(), which
 * trusts what the device or the stack already established
 * (CHECKSUM_UNNECESSARY, and CHECKSUM_PARTIAL: locally generated packets,
 * whose checksum the device or the GSO code fills in) and computes the
 * rest, as conntrack does.
 *
 * Filters: classic BPF programs run on the skb with
 * bpf_prog_run_save_cb(), which sees the packet from its IP header.
 *
 * Packets are never modified: headers are read with skb_header_pointer(),
 * which copes with non-linear skbs and GSO aggregates.
 */

#include <linux/filter.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/addrconf.h>
#include <net/route.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include "../netns.h"
#include "../pkt.h"
#include "hooks.h"
#include "xdp.h"

/* Between defrag (-400) and raw (-300); IPv4 and IPv6 use the same values. */
#define MOS_NF_PRI	(NF_IP_PRI_CONNTRACK_DEFRAG + 50)

static_assert((int)NF_IP_PRI_CONNTRACK_DEFRAG ==
	      (int)NF_IP6_PRI_CONNTRACK_DEFRAG);

/**
 * struct mos_nf_pkt - an skb at a hook, as the packet path sees it
 * @pkt: the descriptor; its &tm_src.pkt is the skb
 * @hook: the netfilter hook
 * @net: its namespace
 * @in: the device it came in on, at PRE_ROUTING
 */
struct mos_nf_pkt {
	struct mos_pkt pkt;
	unsigned int hook;
	struct net *net;
	const struct net_device *in;
};

/* &tm_src.read and &tm_src.copy: an skb, linear or not */
static const void *mos_skb_read(const void *pkt, unsigned int off,
				unsigned int len, void *buf)
{
	return skb_header_pointer(pkt, off, len, buf);
}

static int mos_skb_copy(const void *pkt, unsigned int off, void *dst,
			unsigned int len)
{
	return skb_copy_bits(pkt, off, dst, len);
}

/* &mos_pkt.csum_bad: nf_checksum() at the packet's hook */
static bool mos_skb_csum_bad(const struct mos_pkt *pkt, unsigned int l4off)
{
	const struct mos_nf_pkt *np = container_of(pkt, struct mos_nf_pkt, pkt);

	return nf_checksum((struct sk_buff *)pkt->src.pkt, np->hook, l4off,
			   IPPROTO_TCP,
			   pkt->family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

/* &mos_pkt.filter: the program sees the skb from its IP header */
static u32 mos_skb_filter(const struct mos_pkt *pkt, struct bpf_prog *prog)
{
	return bpf_prog_run_save_cb(prog, (struct sk_buff *)pkt->src.pkt);
}

/*
 * &mos_pkt.local, for a SYN: its sender is this host at LOCAL_OUT; its
 * destination is when the address is one of the namespace's, as the
 * stack's own input route will find (the local table, RTN_LOCAL;
 * ipv6_chk_addr()).  One lookup per SYN, none for other segments.
 */
static unsigned int mos_skb_local(const struct mos_pkt *pkt,
				  const struct tm_pkt *p)
{
	const struct mos_nf_pkt *np = container_of(pkt, struct mos_nf_pkt, pkt);
	unsigned int fl = np->hook == NF_INET_LOCAL_OUT ? TM_IN_SRC_LOCAL : 0;

	if (p->family == 4) {
		if (inet_addr_type_dev_table(np->net, np->in, p->daddr.a4) ==
		    RTN_LOCAL)
			fl |= TM_IN_DST_LOCAL;
	} else if (ipv6_chk_addr(np->net,
				 (const struct in6_addr *)p->daddr.a6, NULL, 0)) {
		fl |= TM_IN_DST_LOCAL;
	}
	return fl;
}

/* Whether IPv4 options @opt (@len bytes) carry a loose or strict source route */
static bool mos_ip_srr(const u8 *opt, unsigned int len)
{
	unsigned int i = 0;

	while (i < len) {
		if (opt[i] == IPOPT_END)
			break;
		if (opt[i] == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (opt[i] == IPOPT_LSRR || opt[i] == IPOPT_SSRR)
			return true;
		/* A bad length: malformed, for the parser to judge */
		if (i + 1 >= len || opt[i + 1] < 2)
			break;
		i += opt[i + 1];
	}
	return false;
}

/**
 * mos_nf_host_drops() - whether the stack drops a received packet itself
 * @skb: the packet, at PRE_ROUTING, from its IP header
 * @state: the hook's state
 *
 * See the DOC above: a forwarded packet whose TTL or hop limit runs out,
 * an IPv4 source route the receiving device refuses.
 *
 * Context: softirq, inside an RCU read section.
 * Return: true if the packet will not get past the stack.
 */
static bool mos_nf_host_drops(struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	if (state->pf == NFPROTO_IPV4) {
		u8 buf[MAX_IPOPTLEN];
		const struct iphdr *iph;
		struct iphdr _iph;
		const u8 *opt;
		unsigned int olen;

		iph = skb_header_pointer(skb, 0, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5)
			return false;
		/* Forwarded: unicast, not to a local address */
		if (iph->ttl <= 1 &&
		    inet_addr_type_dev_table(state->net, state->in,
					     iph->daddr) == RTN_UNICAST)
			return true;
		olen = iph->ihl * 4 - sizeof(*iph);
		if (!olen)
			return false;
		opt = skb_header_pointer(skb, sizeof(*iph), olen, buf);
		if (!opt || !mos_ip_srr(opt, olen))
			return false;
		/* ip_rcv_options(): no device, no check */
		return state->in && __in_dev_get_rcu(state->in) &&
		       !IN_DEV_SOURCE_ROUTE(__in_dev_get_rcu(state->in));
	}
	if (state->pf == NFPROTO_IPV6) {
		const struct ipv6hdr *ip6;
		struct ipv6hdr _ip6;

		ip6 = skb_header_pointer(skb, 0, sizeof(_ip6), &_ip6);
		return ip6 && ip6->hop_limit <= 1 &&
		       !ipv6_addr_is_multicast(&ip6->daddr) &&
		       !ipv6_chk_addr(state->net, &ip6->daddr, NULL, 0);
	}
	return false;
}

/**
 * mos_nf_input() - hand one packet to the packet path, apply its verdict
 * @skb: the packet, from its IP header
 * @state: the hook it is at, and its namespace
 * @host_drops: the stack drops it after the hook (mos_nf_host_drops())
 *
 * Context: an RCU read section (netfilter's).
 * Return: the netfilter verdict: NF_ACCEPT, or NF_DROP in inline mode.
 */
static unsigned int mos_nf_input(struct sk_buff *skb,
				 const struct nf_hook_state *state,
				 bool host_drops)
{
	struct mos_net *mn = mos_pernet(state->net);
	struct mos_nf_pkt np = {
		.pkt = {
			.src = {
				.pkt = skb,
				.len = skb->len,
				.read = mos_skb_read,
				.copy = mos_skb_copy,
			},
			.family = state->pf == NFPROTO_IPV4 ? 4 : 6,
			.gso = skb_is_gso(skb),
			.host_drops = host_drops,
			.csum_bad = mos_skb_csum_bad,
			.filter = mos_skb_filter,
			.local = mos_skb_local,
		},
		.hook = state->hook,
		.net = state->net,
		.in = state->in,
	};
	enum tm_verdict v;
	struct tm_pkt p;

	if (this_cpu_read(mos_own_xmit))
		return NF_ACCEPT;

	local_bh_disable();
	v = mos_pkt_input(mn, &np.pkt, &p);
	if (v == TM_VERDICT_RESET)
		mos_send_reset(mn, skb, state->hook, np.pkt.family);
	else if (v == TM_VERDICT_KILL)
		mos_reset_answer(mn, &p);
	local_bh_enable();
	return v == TM_VERDICT_PASS ? NF_ACCEPT : NF_DROP;
}

static unsigned int mos_nf_prerouting(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	/*
	 * Counted at LOCAL_OUT already: packets over the loopback device, and
	 * the local copies of multicast and broadcast this host sent
	 * (dev_loopback_xmit() marks them PACKET_LOOPBACK).
	 */
	if (skb->pkt_type == PACKET_LOOPBACK ||
	    (state->in && (state->in->flags & IFF_LOOPBACK)))
		return NF_ACCEPT;
	/* Counted by mos's XDP program on the device (xdp.c) */
	if (state->in &&
	    mos_xdp_linked(mos_pernet(state->net), state->in->ifindex))
		return NF_ACCEPT;
	return mos_nf_input(skb, state, mos_nf_host_drops(skb, state));
}

static unsigned int mos_nf_local_out(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return mos_nf_input(skb, state, false);
}

static const struct nf_hook_ops mos_nf_ops[] = {
	{
		.hook = mos_nf_prerouting,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = MOS_NF_PRI,
	},
	{
		.hook = mos_nf_local_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = MOS_NF_PRI,
	},
	{
		.hook = mos_nf_prerouting,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = MOS_NF_PRI,
	},
	{
		.hook = mos_nf_local_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = MOS_NF_PRI,
	},
};

/**
 * mos_hooks_register() - attach mos to a namespace
 * @net: the namespace
 *
 * Enables IPv4 and IPv6 defragmentation for @net, then registers the
 * hooks.  Undone by mos_hooks_unregister().
 *
 * Context: process, may sleep; the namespace's mos lock held.
 * Return: 0 or negative errno, with nothing left registered.
 */
int mos_hooks_register(struct net *net)
{
	int err;

	err = nf_defrag_ipv4_enable(net);
	if (err)
		return err;
	err = nf_defrag_ipv6_enable(net);
	if (err)
		goto err_defrag4;
	err = nf_register_net_hooks(net, mos_nf_ops, ARRAY_SIZE(mos_nf_ops));
	if (err)
		goto err_defrag6;
	return 0;

err_defrag6:
	nf_defrag_ipv6_disable(net);
err_defrag4:
	nf_defrag_ipv4_disable(net);
	return err;
}

/**
 * mos_hooks_unregister() - detach mos from a namespace
 * @net: the namespace
 *
 * The hooks may still run on other CPUs until the caller has waited
 * (synchronize_net()).
 *
 * Context: process, may sleep; the namespace's mos lock held.
 */
void mos_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, mos_nf_ops, ARRAY_SIZE(mos_nf_ops));
	nf_defrag_ipv6_disable(net);
	nf_defrag_ipv4_disable(net);
}
