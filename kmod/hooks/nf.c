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
 * Not seen: packets injected with AF_PACKET (they bypass LOCAL_OUT and go
 * straight to the device) and bridged traffic (it never reaches the IP
 * hooks of the bridging namespace).
 *
 * Placement: priority %MOS_NF_PRI, just after defragmentation
 * (NF_IP_PRI_CONNTRACK_DEFRAG, -400) and before raw (-300) and conntrack
 * (-200).  nf_defrag_ipv4/ipv6 are enabled for each monitored namespace,
 * so TCP inside IP fragments is seen reassembled, whether or not conntrack
 * is in use.
 *
 * Context: PRE_ROUTING runs in softirq, LOCAL_OUT in process context with
 * bottom halves enabled.  The hooks disable bottom halves around their
 * work, so a softirq cannot interrupt it on the same CPU: this CPU's
 * counters need no lock, and the flow tracker (tcpmon) takes its
 * per-flow spinlocks without _bh.
 *
 * Verdicts: in passive mode every hook returns NF_ACCEPT.  In inline mode
 * the rules may drop a flow's packets or answer its first packet with a
 * reset (rules.c), and a flow reset with %MOS_CMD_FLOW_RESET has its
 * packets dropped and answered at both ends.  The resets are sent from
 * inside the hook with bottom halves disabled (reset.c); they pass
 * LOCAL_OUT on this CPU before the send returns, and the per-CPU flag
 * mos_own_xmit marks them as mos's own, so the hooks let them through
 * untracked.
 *
 * Checksums: a TCP segment whose checksum is wrong would be dropped by its
 * receiver, so it must not enter a stream the monitor reports.  The hooks
 * verify it with nf_checksum(), which trusts what the device or the stack
 * already established (CHECKSUM_UNNECESSARY, and CHECKSUM_PARTIAL: locally
 * generated packets, whose checksum the device or the GSO code fills in)
 * and computes the rest, as conntrack does.  A bad segment is passed to
 * the tracker flagged, which counts it and keeps it out of the stream.
 *
 * Packets are never modified: headers are read with skb_header_pointer(),
 * which copes with non-linear skbs and GSO aggregates.
 */

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/sched/mm.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include "../mos.h"
#include "../tcpmon/tcpmon.h"

/* Between defrag (-400) and raw (-300); IPv4 and IPv6 use the same values. */
#define MOS_NF_PRI	(NF_IP_PRI_CONNTRACK_DEFRAG + 50)

static_assert((int)NF_IP_PRI_CONNTRACK_DEFRAG ==
	      (int)NF_IP6_PRI_CONNTRACK_DEFRAG);

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

/**
 * mos_nf_count() - account one packet to its namespace and track it
 * @skb: the packet, from its IP header
 * @net: its namespace
 * @hook: NF_INET_PRE_ROUTING or NF_INET_LOCAL_OUT
 * @family: 4 or 6
 *
 * Context: an RCU read section (netfilter's).
 * Return: the netfilter verdict: NF_ACCEPT, or NF_DROP in inline mode.
 */
static unsigned int mos_nf_count(struct sk_buff *skb, struct net *net,
				 unsigned int hook, u8 family)
{
	struct mos_net *mn = mos_pernet(net);
	struct mos_pcpu_stats *s;
	const struct tm_src src = {
		.pkt = skb,
		.len = skb->len,
		.read = mos_skb_read,
		.copy = mos_skb_copy,
	};
	enum tm_verdict v = TM_VERDICT_PASS;
	unsigned int flags = 0;
	struct tm_table *t;
	enum tm_parse_res r;
	struct tm_pkt p;

	if (this_cpu_read(mos_own_xmit))
		return NF_ACCEPT;

	r = mos_tm_parse(skb, skb->len, family,
			 skb_is_gso(skb) ? TM_PARSE_F_GSO : 0, mos_skb_read,
			 &p);
	if (r == TM_PKT_TCP &&
	    nf_checksum(skb, hook, p.l4off, IPPROTO_TCP,
			family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6))
		flags |= TM_IN_CSUM_BAD;
	/* Inline, a segment the out-of-order store has no room for is
	 * dropped for its sender to retransmit, rather than skipped.
	 */
	if (READ_ONCE(mn->mode) == MOS_MODE_INLINE)
		flags |= TM_IN_LOSSLESS;

	local_bh_disable();
	t = rcu_dereference(mn->tm);
	if (t && r != TM_PKT_BAD) {
		struct mem_cgroup *old = set_active_memcg(mn->memcg);

		v = mos_tm_input(t, &src, r, &p, ktime_get_coarse_ns(), flags);
		set_active_memcg(old);
		if (v == TM_VERDICT_PASS && atomic_read(&mn->nraw))
			mos_dev_raw(mn, &src);
		mos_dev_unhold(mn);
	}
	if (v != TM_VERDICT_PASS && READ_ONCE(mn->mode) != MOS_MODE_INLINE)
		v = TM_VERDICT_PASS;
	if (v == TM_VERDICT_RESET)
		mos_send_reset(mn, skb, hook, family);
	else if (v == TM_VERDICT_KILL)
		mos_reset_answer(mn, &p);
	s = this_cpu_ptr(mn->stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->c[MOS_STAT_PACKETS]);
	u64_stats_add(&s->c[MOS_STAT_BYTES], skb->len);
	switch (r) {
	case TM_PKT_TCP:
		u64_stats_inc(&s->c[family == 4 ? MOS_STAT_TCP4 :
				    MOS_STAT_TCP6]);
		if (p.tcp_flags & TM_TCPF_SYN)
			u64_stats_inc(&s->c[MOS_STAT_SYN]);
		break;
	case TM_PKT_OTHER:
		u64_stats_inc(&s->c[MOS_STAT_NONTCP]);
		break;
	case TM_PKT_BAD:
		u64_stats_inc(&s->c[MOS_STAT_PARSE_ERR]);
		break;
	}
	u64_stats_update_end(&s->syncp);
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
	return mos_nf_count(skb, state->net, state->hook,
			    state->pf == NFPROTO_IPV4 ? 4 : 6);
}

static unsigned int mos_nf_local_out(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return mos_nf_count(skb, state->net, state->hook,
			    state->pf == NFPROTO_IPV4 ? 4 : 6);
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
