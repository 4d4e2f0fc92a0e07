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
 * Packets are read with skb_header_pointer(), which copes with non-linear
 * skbs and GSO aggregates; they are written only when a consumer rewrites
 * a held one (below).
 *
 * Held packets (inline mode, verdict.c): the packet path may take a
 * packet for a consumer's verdict; the hook then returns NF_STOLEN.  The
 * packet waits in a &struct nf_queue_entry filled as net/netfilter's
 * nf_queue does: the hook state copied, the devices, the socket and the
 * bridge's physical devices referenced (nf_queue_entry_get_refs()), the
 * dst made to last (skb_dst_force()), a socket assigned early (bpf
 * sk_assign) referenced, and at LOCAL_OUT the addresses, TOS and mark
 * the route was chosen by.  mos_nf_release() sends it on from the hook
 * after mos's in the namespace's current hook entries, found again by
 * identity at release (nf_hook_slow() from there, then the hook's okfn,
 * as nf_reinject() does; nf_reinject() itself is not exported from 6.8
 * on), after routing a LOCAL_OUT packet again if its route keys changed
 * (ip_route_me_harder(), nf_ip6_route_me_harder()); or drops it.  Either
 * way it frees the entry (nf_queue_entry_free() drops the references).
 * With mos's hook gone (monitoring disabled meanwhile) the packet is
 * dropped.  mos_nf_rewrite() writes a consumer's new bytes into it
 * (skb_ensure_writable()) and fixes its checksums.
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
#include <linux/netfilter_bridge.h>
#include <linux/tcp.h>
#include <net/addrconf.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/netfilter/nf_queue.h>
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
 * @state: the hook's state, for holding the packet
 */
struct mos_nf_pkt {
	struct mos_pkt pkt;
	unsigned int hook;
	struct net *net;
	const struct net_device *in;
	const struct nf_hook_state *state;
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

static unsigned int mos_nf_prerouting(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state);
static unsigned int mos_nf_local_out(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state);

/* Room for what a held packet's route was chosen by (as nf_queue's) */
static unsigned int mos_nf_route_key_size(const struct nf_hook_state *state)
{
	return state->pf == NFPROTO_IPV4 ? sizeof(struct ip_rt_info) :
					   sizeof(struct ip6_rt_info);
}

static void mos_nf_save_route(struct nf_queue_entry *e)
{
	const struct sk_buff *skb = e->skb;

	if (e->state.hook != NF_INET_LOCAL_OUT)
		return;
	if (e->state.pf == NFPROTO_IPV4) {
		struct ip_rt_info *rt = nf_queue_entry_reroute(e);
		const struct iphdr *iph = ip_hdr(skb);

		rt->tos = iph->tos;
		rt->daddr = iph->daddr;
		rt->saddr = iph->saddr;
		rt->mark = skb->mark;
	} else {
		struct ip6_rt_info *rt = nf_queue_entry_reroute(e);
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		rt->daddr = ip6->daddr;
		rt->saddr = ip6->saddr;
		rt->mark = skb->mark;
	}
}

/*
 * &mos_pkt.hold: the packet in an nf_queue_entry with its references
 * (see the DOC).  Context: the hook, bottom halves disabled.
 */
static void *mos_skb_hold(const struct mos_pkt *pkt)
{
	const struct mos_nf_pkt *np = container_of(pkt, struct mos_nf_pkt, pkt);
	const struct nf_hook_state *state = np->state;
	struct sk_buff *skb = (struct sk_buff *)pkt->src.pkt;
	unsigned int size = sizeof(struct nf_queue_entry) +
			    mos_nf_route_key_size(state);
	struct nf_queue_entry *e;

	/* A socket assigned before the stack looked it up (bpf sk_assign) */
	if (skb_sk_is_prefetched(skb)) {
		struct sock *sk = skb->sk;

		if (!sk_is_refcounted(sk)) {
			if (!refcount_inc_not_zero(&sk->sk_refcnt))
				return NULL;
			/* The reference goes with skb_orphan() */
			skb->destructor = sock_edemux;
		}
	}
	e = kzalloc(size, GFP_ATOMIC | __GFP_NOWARN);
	if (!e)
		return NULL;
	/* The route must outlive the RCU section: refcounted */
	if (skb_dst(skb) && !skb_dst_force(skb)) {
		kfree(e);
		return NULL;
	}
	e->skb = skb;
	e->skb_dev = skb->dev;
	e->state = *state;
	e->size = size;
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	e->physin = nf_bridge_get_physindev(skb, state->net);
	e->physout = nf_bridge_get_physoutdev(skb);
#endif
	if (!nf_queue_entry_get_refs(e)) {
		kfree(e);
		return NULL;
	}
	mos_nf_save_route(e);
	return e;
}

/* The index of mos's hook in @hooks, or -1 */
static int mos_nf_index(const struct nf_hook_entries *hooks,
			nf_hookfn *fn)
{
	unsigned int i;

	for (i = 0; hooks && i < hooks->num_hook_entries; i++)
		if (hooks->hooks[i].hook == fn)
			return i;
	return -1;
}

/* A LOCAL_OUT packet whose route keys changed is routed again */
static int mos_nf_reroute(struct nf_queue_entry *e)
{
	struct sk_buff *skb = e->skb;

	if (e->state.hook != NF_INET_LOCAL_OUT)
		return 0;
	if (e->state.pf == NFPROTO_IPV4) {
		const struct ip_rt_info *rt = nf_queue_entry_reroute(e);
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->tos == rt->tos && iph->daddr == rt->daddr &&
		    iph->saddr == rt->saddr && skb->mark == rt->mark)
			return 0;
		return ip_route_me_harder(e->state.net, e->state.sk, skb,
					  RTN_UNSPEC);
	} else {
		const struct ip6_rt_info *rt = nf_queue_entry_reroute(e);
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		if (ipv6_addr_equal(&ip6->daddr, &rt->daddr) &&
		    ipv6_addr_equal(&ip6->saddr, &rt->saddr) &&
		    skb->mark == rt->mark)
			return 0;
		return nf_ip6_route_me_harder(e->state.net, e->state.sk, skb);
	}
}

/**
 * mos_nf_release() - send a held packet on, or drop it; free its entry
 * @held: what mos_skb_hold() returned
 * @accept: send it on from the hook after mos's
 *
 * Context: any but hard interrupt; no lock held that the hooks take (the
 * packet may pass mos's hooks again on this CPU).
 */
void mos_nf_release(void *held, bool accept)
{
	struct nf_queue_entry *e = held;
	struct sk_buff *skb = e->skb;
	const struct nf_hook_entries *hooks;
	struct nf_hook_state *st = &e->state;
	int i = -1, ret = 0;

	rcu_read_lock();
	local_bh_disable();
	if (accept) {
		if (st->pf == NFPROTO_IPV4)
			hooks = rcu_dereference(st->net->nf.hooks_ipv4[st->hook]);
		else
			hooks = rcu_dereference(st->net->nf.hooks_ipv6[st->hook]);
		i = mos_nf_index(hooks, st->hook == NF_INET_PRE_ROUTING ?
				 mos_nf_prerouting : mos_nf_local_out);
		if (i >= 0 && mos_nf_reroute(e) >= 0)
			ret = nf_hook_slow(skb, st, hooks, i + 1);
		else
			i = -1;
	}
	if (i < 0)
		kfree_skb(skb);
	else if (ret == 1)
		st->okfn(st->net, st->sk, skb);
	local_bh_enable();
	rcu_read_unlock();
	nf_queue_entry_free(e);
}

/*
 * The packet path's descriptor of held packet @qe, as the hook made it
 * but for &mos_pkt.hold: it is held already
 */
static void mos_nf_held_pkt(struct mos_nf_pkt *np, struct nf_queue_entry *qe)
{
	struct sk_buff *skb = qe->skb;

	*np = (struct mos_nf_pkt){
		.pkt = {
			.src = {
				.pkt = skb,
				.len = skb->len,
				.read = mos_skb_read,
				.copy = mos_skb_copy,
			},
			.family = qe->state.pf == NFPROTO_IPV4 ? 4 : 6,
			.gso = skb_is_gso(skb),
			.csum_bad = mos_skb_csum_bad,
			.filter = mos_skb_filter,
			.local = mos_skb_local,
		},
		.hook = qe->state.hook,
		.net = qe->state.net,
		.in = qe->state.in,
		.state = &qe->state,
	};
}

/**
 * mos_nf_resume() - track the receiver's side of a held packet that
 * leaves, with the bytes it leaves with
 * @mn: its namespace's state
 * @held: what mos_skb_hold() returned
 * @pd: what the tracker left of it when it was held
 * @pv: the consumers that have its bytes already (mos_dev_pkt_prev())
 *
 * Context: any but hard interrupt, no lock held; before mos_nf_release().
 * Return: false if the packet must be dropped rather than sent on.
 */
bool mos_nf_resume(struct mos_net *mn, void *held, const struct tm_pend *pd,
		   const struct mos_pkt_prev *pv)
{
	struct mos_nf_pkt np;

	mos_nf_held_pkt(&np, held);
	return mos_pkt_resume(mn, &np.pkt, pd, pv);
}

/**
 * mos_nf_retrack() - track a packet that waited untracked behind a held
 * packet of its flow, its turn come (mos_pkt_retrack())
 * @mn: its namespace's state
 * @c: the consumer whose queue has it
 * @e: its entry there
 * @held: what mos_skb_hold() returned
 *
 * A packet the tracker answers with a reset is answered as the hook
 * would have; the queue entry says what becomes of it.
 *
 * Context: mos_vq_drain(), no lock held.
 */
void mos_nf_retrack(struct mos_net *mn, struct mos_consumer *c,
		    struct mos_held *e, void *held)
{
	struct nf_queue_entry *qe = held;
	struct sk_buff *skb = qe->skb;
	struct mos_nf_pkt np;
	enum tm_verdict v;
	struct tm_pkt p;

	mos_nf_held_pkt(&np, qe);
	v = mos_pkt_retrack(mn, c, e, &np.pkt, &p);
	if (v != TM_VERDICT_RESET && v != TM_VERDICT_KILL)
		return;
	rcu_read_lock();
	local_bh_disable();
	if (v == TM_VERDICT_RESET)
		mos_send_reset(mn, skb, qe->state.hook, np.pkt.family);
	else
		mos_reset_answer(mn, &p);
	local_bh_enable();
	rcu_read_unlock();
}

/**
 * mos_nf_free() - free a held packet's entry, the packet not taken after
 * all
 * @held: what mos_skb_hold() returned
 */
void mos_nf_free(void *held)
{
	nf_queue_entry_free(held);
}

/* The sum of @len bytes at @off, of a buffer starting 4-byte aligned */
static __wsum mos_nf_sum(const u8 *buf, unsigned int off, unsigned int len)
{
	return csum_partial(buf + off, len, 0);
}

/**
 * mos_nf_rewrite() - write new bytes into a held packet, fix checksums
 * @held: what mos_skb_hold() returned
 * @off: where, from the IP header
 * @len: how many
 * @bytes: the new bytes
 * @flags: %MOS_VERDICT_F_IP_CSUM: the IPv4 header checksum is computed
 *	again; %MOS_VERDICT_F_TCP_CSUM: the TCP checksum is updated for
 *	every changed byte of the TCP header and payload and of the
 *	addresses of its pseudo-header (the checksum field of @bytes is
 *	ignored then)
 *
 * The packet keeps its length: @off + @len must be within it.
 *
 * Context: bottom halves disabled (the queue's lock held).
 * Return: 0, -EINVAL (out of the packet, not IP + TCP, a GSO aggregate
 * asking for a TCP checksum), -ENOMEM.
 */
int mos_nf_rewrite(void *held, u32 off, u32 len, const void *bytes,
		   u32 flags)
{
	struct nf_queue_entry *e = held;
	struct sk_buff *skb = e->skb;
	unsigned int l4off, ahead, n;
	u8 *old = NULL, *new;
	bool v4 = e->state.pf == NFPROTO_IPV4;
	struct tcphdr *th;
	__wsum diff;

	if ((u64)off + len > skb->len)
		return -EINVAL;
	/* Bytes to the end of the TCP header, or to the end of @len */
	if (v4) {
		if (skb->len < sizeof(struct iphdr))
			return -EINVAL;
		l4off = ip_hdr(skb)->ihl * 4;
		if (ip_hdr(skb)->protocol != IPPROTO_TCP)
			return -EINVAL;
	} else {
		u8 nh = ipv6_hdr(skb)->nexthdr;

		/* Rewrites of IPv6 with extension headers: not supported */
		if (nh != IPPROTO_TCP)
			return -EINVAL;
		l4off = sizeof(struct ipv6hdr);
	}
	if (l4off + sizeof(*th) > skb->len)
		return -EINVAL;
	ahead = max_t(unsigned int, off + len, l4off + sizeof(*th));
	if (skb_ensure_writable(skb, ahead))
		return -ENOMEM;
	/* Keep what was there, to update the TCP checksum by difference */
	n = off + len;
	if ((flags & MOS_VERDICT_F_TCP_CSUM) && len) {
		if (skb_is_gso(skb) && skb->ip_summed != CHECKSUM_PARTIAL)
			return -EINVAL;
		old = kmalloc(ahead, GFP_ATOMIC | __GFP_NOWARN);
		if (!old)
			return -ENOMEM;
		memcpy(old, skb->data, ahead);
	}
	new = skb->data;
	if (len)
		memcpy(new + off, bytes, len);
	th = (struct tcphdr *)(new + l4off);
	if (old) {
		/* The checksum field keeps its old value while we sum */
		th->check = ((struct tcphdr *)(old + l4off))->check;
		if (n > l4off) {
			diff = csum_sub(mos_nf_sum(new, l4off, n - l4off),
					mos_nf_sum(old, l4off, n - l4off));
			inet_proto_csum_replace_by_diff(&th->check, skb, diff,
							false, !v4);
		}
		/* The pseudo-header's addresses */
		if (v4)
			diff = csum_sub(mos_nf_sum(new, 12, 8),
					mos_nf_sum(old, 12, 8));
		else
			diff = csum_sub(mos_nf_sum(new, 8, 32),
					mos_nf_sum(old, 8, 32));
		inet_proto_csum_replace_by_diff(&th->check, skb, diff, true,
						!v4);
		kfree(old);
	}
	if (v4 && (flags & MOS_VERDICT_F_IP_CSUM))
		ip_send_check(ip_hdr(skb));
	/* A device's sum of the packet as received no longer holds */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/**
 * mos_nf_tuple() - the addresses and ports of a held packet
 * @held: what mos_skb_hold() returned
 * @p: set: its family, addresses and ports (the rest zero)
 *
 * Context: the packet held (its bytes do not change under the caller).
 * Return: 0, or -EINVAL if it is not IPv4 or IPv6 + TCP (IPv6 without
 * extension headers, as mos_nf_rewrite() takes it).
 */
int mos_nf_tuple(void *held, struct tm_pkt *p)
{
	struct nf_queue_entry *e = held;
	struct sk_buff *skb = e->skb;
	__be16 ports[2], *pp;
	unsigned int l4off;

	memset(p, 0, sizeof(*p));
	if (e->state.pf == NFPROTO_IPV4) {
		struct iphdr _ih, *ih;

		ih = skb_header_pointer(skb, 0, sizeof(_ih), &_ih);
		if (!ih || ih->protocol != IPPROTO_TCP)
			return -EINVAL;
		p->family = 4;
		p->saddr.a4 = ih->saddr;
		p->daddr.a4 = ih->daddr;
		l4off = ih->ihl * 4;
	} else {
		struct ipv6hdr _h6, *h6;

		h6 = skb_header_pointer(skb, 0, sizeof(_h6), &_h6);
		if (!h6 || h6->nexthdr != IPPROTO_TCP)
			return -EINVAL;
		p->family = 6;
		memcpy(&p->saddr, &h6->saddr, sizeof(h6->saddr));
		memcpy(&p->daddr, &h6->daddr, sizeof(h6->daddr));
		l4off = sizeof(*h6);
	}
	pp = skb_header_pointer(skb, l4off, sizeof(ports), ports);
	if (!pp)
		return -EINVAL;
	p->sport = pp[0];
	p->dport = pp[1];
	return 0;
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
			.hold = mos_skb_hold,
		},
		.hook = state->hook,
		.net = state->net,
		.in = state->in,
	};
	enum tm_verdict v;
	struct tm_pkt p;
	bool held;

	if (this_cpu_read(mos_own_xmit))
		return NF_ACCEPT;

	np.state = state;
	local_bh_disable();
	v = mos_pkt_input(mn, &np.pkt, &p, &held, NULL);
	if (held) {
		local_bh_enable();
		return NF_STOLEN;
	}
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
