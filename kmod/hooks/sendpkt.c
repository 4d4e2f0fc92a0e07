// SPDX-License-Identifier: GPL-2.0
/*
 * sendpkt.c - packets a consumer sends as one end of a flow
 *
 * DOC: Theory of Operation
 *
 * %MOS_IOC_SENDPKT (libmosuser's mtcp_sendpkt()) sends a TCP segment that
 * a consumer built, IP header included, as one end of a live flow would
 * send it to the other: the way mos sends its own resets (reset.c),
 * routed with the source address of the end it pretends to come from
 * (FLOWI_FLAG_ANYSRC) and sent with ip_local_out() or ip6_local_out(),
 * with the per-CPU mos_own_xmit flag set so that the LOCAL_OUT hooks let
 * it go untracked.  The tracker sees what the ends answer.
 *
 * mos must not become a way to send packets of any tuple: the packet's
 * addresses and ports must be those of the flow the request names (its
 * id and endpoints, as its %MOS_REC_FLOW_OPEN record gave them), from the
 * side given to the other, the flow must be tracked now, and the packet a
 * plain TCP segment (mos_sendpkt_pkt_check(), rec.h: no IPv4 options, no
 * IPv6 extension header, no fragment, lengths that agree).  The consumer
 * holds CAP_NET_ADMIN over the namespace: /dev/mos was opened with it.
 * Inline mode only: a passive monitor sends nothing (-EOPNOTSUPP).
 *
 * The request is copied into the skb that is sent (at most
 * %MOS_SENDPKT_MAX bytes, allocated in process context before any lock),
 * checked there, so the bytes checked are the bytes sent.  The IPv4
 * header checksum is always computed (ip_local_out()); the TCP checksum
 * with %MOS_SENDPKT_F_TCP_CSUM, else it goes as the consumer wrote it.  A
 * packet larger than its route's MTU is refused (-EMSGSIZE), not
 * fragmented.
 *
 * Rate: at most %MOS_SENDPKT_RATE packets a second per namespace
 * (&mos_net.sendpkt_rl, apart from the resets' limit); a request over it
 * fails with -EAGAIN.  Counters: %MOS_STAT_SENDPKT (sent),
 * %MOS_STAT_SENDPKT_LIMITED (over the rate), %MOS_STAT_SENDPKT_INVALID
 * (a packet that is not the flow's, or no such flow),
 * %MOS_STAT_SENDPKT_FAILED (no route, too large, no memory, dropped on
 * the way out).
 */

#include <linux/skbuff.h>
#include <linux/uaccess.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/tcp.h>
#include "../netns.h"
#include "../rec.h"
#include "hooks.h"

/*
 * The flow found is the one named, in the same orientation, and live: not
 * one kept only to be reset or to stay quiet (as mos_tm_drop())
 */
static int mos_sendpkt_flow(struct tm_flow *f, void *arg)
{
	const struct tm_key *k = arg;

	if (f->flags & (TM_FF_QUIET | TM_FF_RESET))
		return -ENOENT;
	if (memcmp(&f->addr[TM_CLI], &k->addr[TM_CLI], sizeof(k->addr[0])) ||
	    f->port[TM_CLI] != k->port[TM_CLI])
		return -ENOENT;
	return 0;
}

/* What ip_local_out() returned, as an errno: congestion is no failure */
static int mos_sendpkt_res(int ret)
{
	ret = net_xmit_eval(ret);
	return ret > 0 ? -ENOBUFS : ret;
}

/* Route and send @skb; it is consumed either way */
static int mos_sendpkt_xmit4(struct net *net, struct sk_buff *skb)
{
	struct iphdr *iph = ip_hdr(skb);
	struct tcphdr *th = tcp_hdr(skb);
	struct flowi4 fl4 = {
		.daddr = iph->daddr,
		.saddr = iph->saddr,
		.flowi4_proto = IPPROTO_TCP,
		.flowi4_flags = FLOWI_FLAG_ANYSRC,
		.fl4_sport = th->source,
		.fl4_dport = th->dest,
	};
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	if (skb->len > dst_mtu(&rt->dst)) {
		ip_rt_put(rt);
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	skb->protocol = htons(ETH_P_IP);
	skb_dst_set(skb, &rt->dst);
	/* ip_local_out() sets the header checksum */
	return mos_sendpkt_res(ip_local_out(net, NULL, skb));
}

static int mos_sendpkt_xmit6(struct net *net, struct sk_buff *skb)
{
	struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct tcphdr *th = tcp_hdr(skb);
	struct flowi6 fl6 = {
		.flowi6_proto = IPPROTO_TCP,
		.fl6_sport = th->source,
		.fl6_dport = th->dest,
		.saddr = ip6h->saddr,
		.daddr = ip6h->daddr,
	};
	struct dst_entry *dst;
	int err;

	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		err = dst->error;
		dst_release(dst);
		kfree_skb(skb);
		return err;
	}
	if (skb->len > dst_mtu(dst)) {
		dst_release(dst);
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	skb->protocol = htons(ETH_P_IPV6);
	skb_dst_set(skb, dst);
	return mos_sendpkt_res(ip6_local_out(net, NULL, skb));
}

/* @skb's TCP checksum, over its pseudo-header */
static void mos_sendpkt_csum(struct sk_buff *skb, u8 family)
{
	unsigned int tlen = skb->len - skb_transport_offset(skb);
	struct tcphdr *th = tcp_hdr(skb);
	__wsum sum;

	th->check = 0;
	sum = csum_partial(th, tlen, 0);
	if (family == 4)
		th->check = tcp_v4_check(tlen, ip_hdr(skb)->saddr,
					 ip_hdr(skb)->daddr, sum);
	else
		th->check = csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
					    &ipv6_hdr(skb)->daddr, tlen,
					    IPPROTO_TCP, sum);
}

static void mos_sendpkt_stat(struct mos_net *mn, unsigned int stat)
{
	local_bh_disable();
	mos_stat_inc(mn, stat);
	local_bh_enable();
}

/**
 * mos_sendpkt() - send a consumer's packet as one end of a flow
 * @mn: the namespace's state
 * @a: the request, copied in
 *
 * See the DOC above: the request is checked (mos_sendpkt_arg_check()),
 * the packet copied in, checked against the flow, rate-limited, routed
 * and sent untracked.
 *
 * Context: process, may sleep; called with no lock the hooks take.
 * Return: 0; -EOPNOTSUPP outside inline mode or for an unknown flag;
 * -EFAULT; -EINVAL for a bad request or a packet that is not the flow's
 * (mos_sendpkt_arg_check(), mos_sendpkt_pkt_check()); -ENOENT if
 * the flow is not tracked; -EAGAIN over the rate; -ENOMEM, -EMSGSIZE
 * (larger than the route's MTU), a routing error (-ENETUNREACH, ...) or
 * -ENOBUFS (dropped on the way out).
 */
int mos_sendpkt(struct mos_net *mn, const struct mos_ioc_sendpkt *a)
{
	struct sk_buff *skb;
	struct tm_table *t;
	struct tm_key k;
	u32 l4;
	int err;

	/* Not monitored: nothing counted (disabling froze the counters) */
	if (!rcu_access_pointer(mn->tm))
		return -ENOENT;
	if (READ_ONCE(mn->mode) != MOS_MODE_INLINE)
		return -EOPNOTSUPP;
	err = mos_sendpkt_arg_check(a, &k);
	if (err) {
		if (err == -EINVAL)
			mos_sendpkt_stat(mn, MOS_STAT_SENDPKT_INVALID);
		return err;
	}
	skb = alloc_skb(LL_MAX_HEADER + a->len, GFP_KERNEL_ACCOUNT);
	if (!skb) {
		mos_sendpkt_stat(mn, MOS_STAT_SENDPKT_FAILED);
		return -ENOMEM;
	}
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	if (copy_from_user(skb_put(skb, a->len), u64_to_user_ptr(a->pkt),
			   a->len)) {
		kfree_skb(skb);
		return -EFAULT;
	}
	err = mos_sendpkt_pkt_check(&k, a->side, skb->data, a->len, &l4);
	if (!err) {
		rcu_read_lock();
		t = rcu_dereference(mn->tm);
		err = t ? mos_tm_find(t, &k, a->flow.flow, mos_sendpkt_flow,
				      &k) : -ENOENT;
		rcu_read_unlock();
	}
	if (err) {
		mos_sendpkt_stat(mn, MOS_STAT_SENDPKT_INVALID);
		kfree_skb(skb);
		return err;
	}
	if (!__ratelimit(&mn->sendpkt_rl)) {
		mos_sendpkt_stat(mn, MOS_STAT_SENDPKT_LIMITED);
		kfree_skb(skb);
		return -EAGAIN;
	}
	skb_set_transport_header(skb, l4);
	skb->ip_summed = CHECKSUM_NONE;
	if (a->flags & MOS_SENDPKT_F_TCP_CSUM)
		mos_sendpkt_csum(skb, k.family);

	local_bh_disable();
	this_cpu_write(mos_own_xmit, true);
	if (k.family == 4)
		err = mos_sendpkt_xmit4(mn->net, skb);
	else
		err = mos_sendpkt_xmit6(mn->net, skb);
	this_cpu_write(mos_own_xmit, false);
	mos_stat_inc(mn, err ? MOS_STAT_SENDPKT_FAILED : MOS_STAT_SENDPKT);
	local_bh_enable();
	return err;
}
