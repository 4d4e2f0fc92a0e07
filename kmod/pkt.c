// SPDX-License-Identifier: GPL-2.0
/*
 * pkt.c - the packet path of a namespace, independent of netfilter
 *
 * DOC: Theory of Operation
 *
 * The attachment (the netfilter hooks, hooks/nf.c) turns each packet of a
 * monitored namespace into a &struct mos_pkt: its length and family, and
 * callbacks that read and copy its bytes, verify its TCP checksum and run
 * a classic BPF program on it.  mos_pkt_input() does the rest, knowing
 * nothing of skbs or hooks:
 *
 * 1. it parses the IP and TCP headers (tcpmon/parse.c); in inline mode a
 *    packet that does not parse is dropped, unless the namespace's
 *    policy says pass (below);
 * 2. it has a TCP segment's checksum verified;
 * 3. it hands the packet to the flow tracker (tcpmon) with the memory
 *    cgroup of whoever enabled monitoring active (set_active_memcg(), see
 *    netns.c), and the tracker calls back into netns.c for the rules and
 *    the consumers' records;
 * 4. it gives a packet that passes to the raw monitor sockets (deliver.c);
 *    in inline mode, a TCP packet that passes may then be held for a
 *    verdict-mode consumer's verdict (verdict.c), which the attachment
 *    learns from mos_pkt_input()'s @held.  While a verdict consumer is
 *    set up, the attachment can hold packets and a segment is held for a
 *    verdict on its sender's events, or behind a held packet of its flow
 *    (mos_verdict_due()), the tracker updates only its sender's side
 *    (mos_tm_input_split()); its receiver's side is updated when it
 *    leaves, with the bytes it leaves with (mos_pkt_resume()), or never
 *    if it is dropped: the receiver's stream is what the receiver got;
 * 5. it gives back the ring room set aside for the packet's records;
 * 6. it counts the packet in this CPU's counters of the namespace.
 *
 * It returns the tracker's verdict, and the attachment applies it:
 * %TM_VERDICT_PASS lets the packet go, %TM_VERDICT_DROP drops it,
 * %TM_VERDICT_RESET drops it and answers it with a reset, and
 * %TM_VERDICT_KILL drops it and resets both ends of its connection
 * (hooks/reset.c).  In passive mode the verdict is always
 * %TM_VERDICT_PASS.  In inline mode the rules may drop a flow's packets
 * or answer its first packet with a reset (rules.c), and a flow reset
 * (mos_net_flow_reset()) has its packets dropped and answered at both
 * ends.
 *
 * Checksums: a TCP segment whose checksum is wrong would be dropped by its
 * receiver, so it must not enter a stream the monitor reports.  The
 * attachment verifies it (&mos_pkt.csum_bad), trusting what the device or
 * the stack already established; a bad segment is passed to the tracker
 * flagged, which counts it and keeps it out of the stream.  With no flow,
 * it is classified by the rules like any segment of no flow (below).
 *
 * Fail closed (inline mode): nothing lets a packet past a drop or reset
 * rule.  In a namespace with such a rule (mos_rules_drop_any()) the
 * tracker gets %TM_IN_FAILCLOSED: a SYN a drop rule matches is dropped
 * even when its flow cannot be created (flow limit, memory limit, failed
 * allocation), and every TCP segment of no tracked flow (the rest of such
 * a connection, a segment with a bad checksum) runs the rules again and
 * is dropped if a drop or reset rule matches it
 * (%MOS_STAT_DROPPED_NOFLOW).  A packet that does not parse runs no rule:
 * it is dropped (%MOS_STAT_UNPARSED_DROP) unless the namespace's policy
 * (%MOS_LIMIT_UNPARSED, mosctl set unparsed) says %MOS_UNPARSED_PASS.
 * Passive mode passes everything.
 *
 * Packets the host drops itself: the attachment flags them
 * (&mos_pkt.host_drops: a forwarded packet whose TTL or hop limit runs
 * out, an IPv4 source route the device refuses); they are counted
 * (%MOS_STAT_HOST_DROPS) and passed untracked, so that a segment no
 * receiver gets never enters a stream.
 *
 * Context: the attachment calls with bottom halves disabled, so a softirq
 * cannot interrupt the work on the same CPU: this CPU's counters need no
 * lock, and the flow tracker takes its per-flow spinlocks without _bh.
 * It also holds an RCU read section, in which the flow table and the
 * rules are read.
 *
 * Filters: the classic BPF programs of the rules (rules.c) and of the
 * monitor sockets (deliver.c) read the packet from its IP header on.
 * They run through mos_pkt_filter(), which finds the packet's descriptor
 * from the &struct tm_src the tracker passes around.
 */

#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/sched/mm.h>
#include "pkt.h"
#include "netns.h"
#include "deliver.h"
#include "rules.h"
#include "hooks/hooks.h"

/* Count @pkt, parsed as @r into @p, in this CPU's counters of @mn */
static void mos_pkt_count(struct mos_net *mn, const struct mos_pkt *pkt,
			  enum tm_parse_res r, const struct tm_pkt *p)
{
	struct mos_pcpu_stats *s = this_cpu_ptr(mn->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->c[MOS_STAT_PACKETS]);
	u64_stats_add(&s->c[MOS_STAT_BYTES], pkt->src.len);
	switch (r) {
	case TM_PKT_TCP:
		u64_stats_inc(&s->c[pkt->family == 4 ? MOS_STAT_TCP4 :
				    MOS_STAT_TCP6]);
		if (p->tcp_flags & TM_TCPF_SYN)
			u64_stats_inc(&s->c[MOS_STAT_SYN]);
		break;
	case TM_PKT_OTHER:
		u64_stats_inc(&s->c[MOS_STAT_NONTCP]);
		break;
	case TM_PKT_BAD:
		u64_stats_inc(&s->c[MOS_STAT_PARSE_ERR]);
		break;
	case TM_PKT_FRAG:
		u64_stats_inc(&s->c[MOS_STAT_IP_FRAG]);
		break;
	case TM_PKT_IP6_OPT_DROP:
		u64_stats_inc(&s->c[MOS_STAT_IP6_OPT_DISCARD]);
		break;
	case TM_PKT_IP6_HBH_DROP:
		u64_stats_inc(&s->c[MOS_STAT_IP6_HBH_NOT_FIRST]);
		break;
	case TM_PKT_IP6_RH_DROP:
		u64_stats_inc(&s->c[MOS_STAT_IP6_RH_DISCARD]);
		break;
	case TM_PKT_IP4_OPT_DROP:
		u64_stats_inc(&s->c[MOS_STAT_IP4_OPT_DISCARD]);
		break;
	}
	u64_stats_update_end(&s->syncp);
}

/* &tm_split.wait */
static bool mos_pkt_wait(void *arg, const struct tm_pkt *p)
{
	return mos_verdict_due(arg, p);
}

/*
 * The tracking of the receiver's side of a segment whose sender's side
 * was tracked before (@pd), with the packet as it leaves (@pkt): a packet
 * of its own for the consumers, whose records about the flow end with a
 * token-0 %MOS_REC_HELD at the verdict consumers (no verdict of theirs is
 * due: the packet was decided).  The consumers that have its bytes from
 * its sender's records (@pv, NULL: none) get no copy of them again.
 * Inside a packet's context (mos_dev_batch(), RCU, bottom halves
 * disabled), none of it reserved.
 * Return: false if the packet must be dropped: its flow drops its packets
 * now, or a consumer's ring has no room for its records.
 */
static bool mos_pkt_resume_one(struct mos_net *mn, struct tm_table *t,
			       const struct mos_pkt *pkt,
			       const struct tm_pend *pd,
			       const struct mos_pkt_prev *pv)
{
	const struct tm_src *src = &pkt->src;
	struct mem_cgroup *old;
	struct tm_pkt p;
	int err;

	if (mos_tm_parse(src->pkt, src->len, pkt->family,
			 pkt->gso ? TM_PARSE_F_GSO : 0, src->read, &p) !=
	    TM_PKT_TCP)
		return true;	/* rewritten into what no receiver takes */
	mos_dev_pkt_reuse(mn, pv, pd->id, src);
	old = set_active_memcg(mn->memcg);
	err = mos_tm_resume(t, pd, src, &p, ktime_get_coarse_ns());
	set_active_memcg(old);
	if (err == -ENOENT)
		mos_stat_inc(mn, MOS_STAT_HELD_UNTRACKED);
	mos_verdict_skip(mn, pkt, false);
	return err != -ENOBUFS && err != -EPERM;
}

/**
 * mos_pkt_resume() - track the receiver's side of a held segment that
 * leaves
 * @mn: the namespace's state
 * @pkt: the packet, as it leaves (the consumer's verdict may have
 *	rewritten it); &mos_pkt.hold is NULL
 * @pd: what the tracker left of it when it was held
 * @pv: the consumers that have its bytes from its sender's records, if
 *	it was not rewritten (mos_dev_pkt_prev())
 *
 * Context: any but hard interrupt; takes RCU and disables bottom halves.
 * Return: false if the packet must be dropped rather than go on (see
 * mos_tm_resume()).
 */
bool mos_pkt_resume(struct mos_net *mn, const struct mos_pkt *pkt,
		    const struct tm_pend *pd, const struct mos_pkt_prev *pv)
{
	struct tm_table *t;
	bool ok = true, own;

	rcu_read_lock();
	local_bh_disable();
	t = rcu_dereference(mn->tm);
	if (t) {
		own = mos_dev_batch();
		ok = mos_pkt_resume_one(mn, t, pkt, pd, pv);
		mos_dev_unhold(mn);
		mos_dev_flush(own);
	}
	local_bh_enable();
	rcu_read_unlock();
	return ok;
}

/* The input flags of a packet parsed as @r, @p */
static __always_inline unsigned int
mos_pkt_flags(struct mos_net *mn, const struct mos_pkt *pkt,
	      const struct tm_pkt *p, enum tm_parse_res r, bool inl)
{
	unsigned int flags = 0;

	if (r == TM_PKT_TCP && !pkt->host_drops &&
	    pkt->csum_bad(pkt, p->l4off))
		flags |= TM_IN_CSUM_BAD;
	/* Inline, a segment the out-of-order store has no room for is
	 * dropped for its sender to retransmit, rather than skipped.
	 */
	if (inl)
		flags |= TM_IN_LOSSLESS;
	if (inl && mos_rules_drop_any(mn))
		flags |= TM_IN_FAILCLOSED;
	/* Where the ends are, once per flow: only a SYN creates one */
	if (r == TM_PKT_TCP && (p->tcp_flags & TM_TCPF_SYN) && pkt->local)
		flags |= pkt->local(pkt, p);
	return flags;
}

/*
 * Track a packet parsed as @r, @p; inline, hold it for a verdict, or let
 * its receiver's side be tracked now.  @e: NULL for a packet that comes
 * (mos_verdict_take() may hold it), or the entry of a packet that waited
 * untracked in @c's queue (mos_verdict_keep() may hold it there again).
 * Inlined: in mos_pkt_input() it is every packet's path.
 */
static __always_inline enum tm_verdict
mos_pkt_track(struct mos_net *mn, struct tm_table *t, const struct mos_pkt *pkt,
	      struct tm_pkt *p, enum tm_parse_res r, unsigned int flags,
	      struct mos_consumer *c, struct mos_held *e, bool *held)
{
	bool inl = READ_ONCE(mn->mode) == MOS_MODE_INLINE;
	struct mem_cgroup *old = set_active_memcg(mn->memcg);
	const struct tm_src *src = &pkt->src;
	struct tm_split sp, *split = NULL;
	bool own = mos_dev_batch();
	bool drop = false, waits;
	enum tm_verdict v;

	*held = false;
	/* Packets that can be held: the receiver's side may wait */
	if (inl && (pkt->hold || e) && r == TM_PKT_TCP &&
	    atomic_read(&mn->nverdict)) {
		sp.wait = mos_pkt_wait;
		sp.arg = mn;
		sp.pend.flags = 0;
		split = &sp;
	}
	v = mos_tm_input_split(t, src, r, p, ktime_get_coarse_ns(), flags,
			       split);
	set_active_memcg(old);
	waits = split && (sp.pend.flags & TM_PEND_WAITS);
	/* As offline: raw sockets see what a receiver may take */
	if (v == TM_VERDICT_PASS && atomic_read(&mn->nraw) &&
	    !tm_parse_undelivered(r))
		mos_dev_raw(mn, src);
	/* Inline: a verdict consumer's event, or its flow's turn */
	if (v == TM_VERDICT_PASS && inl && r == TM_PKT_TCP) {
		if (e)
			*held = mos_verdict_keep(mn, c, e, pkt,
						 waits ? &sp.pend : NULL);
		else
			*held = mos_verdict_take(mn, pkt, p,
						 waits ? &sp.pend : NULL,
						 &drop);
		if (drop) {
			v = TM_VERDICT_DROP;
		} else if (!*held && waits) {
			struct mos_pkt_prev pv;

			/* Not held after all: it leaves now */
			mos_dev_pkt_prev(mn, sp.pend.id, &pv);
			mos_dev_unhold(mn);
			if (!mos_pkt_resume_one(mn, t, pkt, &sp.pend, &pv))
				v = TM_VERDICT_DROP;
		}
	} else if (e) {
		mos_verdict_untracked(mn, c, e, pkt,
				      inl && v != TM_VERDICT_PASS);
	} else {
		mos_verdict_skip(mn, pkt, true);
	}
	mos_dev_unhold(mn);
	mos_dev_flush(own);
	return v;
}

/**
 * mos_pkt_input() - account one packet to its namespace and track it
 * @mn: the namespace's state
 * @pkt: the packet
 * @p: filled with its parsed headers, for the reset of %TM_VERDICT_KILL
 * @held: set when the packet was held for a verdict (verdict.c): the
 *	attachment must not touch it any more
 * @parsed: if not NULL, set to what the parser made of the packet, for
 *	the attachment's own counters
 *
 * Context: bottom halves disabled, inside an RCU read section.
 * Return: the verdict: %TM_VERDICT_PASS, or in inline mode any other.
 */
enum tm_verdict mos_pkt_input(struct mos_net *mn, const struct mos_pkt *pkt,
			      struct tm_pkt *p, bool *held,
			      enum tm_parse_res *parsed)
{
	const struct tm_src *src = &pkt->src;
	bool inl = READ_ONCE(mn->mode) == MOS_MODE_INLINE;
	enum tm_verdict v = TM_VERDICT_PASS;
	unsigned int flags;
	struct tm_table *t;
	enum tm_parse_res r;

	*held = false;
	r = mos_tm_parse(src->pkt, src->len, pkt->family,
			 pkt->gso ? TM_PARSE_F_GSO : 0, src->read, p);
	flags = mos_pkt_flags(mn, pkt, p, r, inl);
	t = rcu_dereference(mn->tm);
	if (pkt->host_drops) {
		/* No receiver gets it: it stays out of every stream. */
		mos_stat_inc(mn, MOS_STAT_HOST_DROPS);
	} else if (r == TM_PKT_BAD) {
		/* No rule can run on it: inline, it passes only if allowed. */
		if (inl && READ_ONCE(mn->unparsed) == MOS_UNPARSED_DROP) {
			mos_stat_inc(mn, MOS_STAT_UNPARSED_DROP);
			v = TM_VERDICT_DROP;
		}
	} else if (t && inl && r == TM_PKT_TCP &&
		   mos_verdict_wait(mn, pkt, p)) {
		/* Behind a held packet of its flow: tracked in its turn */
		*held = true;
	} else if (t) {
		v = mos_pkt_track(mn, t, pkt, p, r, flags, NULL, NULL, held);
	}
	if (v != TM_VERDICT_PASS && READ_ONCE(mn->mode) != MOS_MODE_INLINE)
		v = TM_VERDICT_PASS;
	mos_pkt_count(mn, pkt, r, p);
	if (parsed)
		*parsed = r;
	return v;
}

/**
 * mos_pkt_retrack() - track a packet that waited untracked behind a held
 * packet of its flow, now its turn has come
 * @mn: the namespace's state
 * @c: the consumer whose queue has it, at its head
 * @e: its entry there
 * @pkt: the packet; &mos_pkt.hold is NULL (it is held already)
 * @p: filled with its parsed headers, for the reset of %TM_VERDICT_KILL
 *
 * As mos_pkt_input() but for the counters, which counted it when it came;
 * it is either held again where it is for a verdict of its own
 * (mos_verdict_keep()), or decided: accept, or drop (@e's state says).
 *
 * Context: mos_vq_drain(), no lock held; takes RCU and disables bottom
 * halves.
 * Return: the tracker's verdict (%TM_VERDICT_RESET, %TM_VERDICT_KILL: the
 * caller answers as the hook would; the packet is dropped).
 */
enum tm_verdict mos_pkt_retrack(struct mos_net *mn, struct mos_consumer *c,
				struct mos_held *e, const struct mos_pkt *pkt,
				struct tm_pkt *p)
{
	const struct tm_src *src = &pkt->src;
	bool inl = READ_ONCE(mn->mode) == MOS_MODE_INLINE;
	enum tm_verdict v = TM_VERDICT_PASS;
	struct tm_table *t;
	enum tm_parse_res r;
	bool held;

	rcu_read_lock();
	local_bh_disable();
	r = mos_tm_parse(src->pkt, src->len, pkt->family,
			 pkt->gso ? TM_PARSE_F_GSO : 0, src->read, p);
	t = rcu_dereference(mn->tm);
	if (t && r == TM_PKT_TCP)
		v = mos_pkt_track(mn, t, pkt, p, r,
				  mos_pkt_flags(mn, pkt, p, r, inl), c, e,
				  &held);
	else
		mos_verdict_keep(mn, c, e, pkt, NULL);
	if (v != TM_VERDICT_PASS && READ_ONCE(mn->mode) != MOS_MODE_INLINE)
		v = TM_VERDICT_PASS;
	local_bh_enable();
	rcu_read_unlock();
	return v;
}

/**
 * mos_pkt_filter() - run a classic BPF program on the packet being tracked
 * @src: the packet's bytes, as mos_pkt_input() gave them to the tracker
 * @prog: the program
 *
 * Context: inside mos_pkt_input().
 * Return: true if the program accepts the packet (returns non-zero).
 */
bool mos_pkt_filter(const struct tm_src *src, struct bpf_prog *prog)
{
	const struct mos_pkt *pkt = container_of(src, struct mos_pkt, src);

	return pkt->filter(pkt, prog) != 0;
}

/**
 * mos_net_flow_reset() - reset one flow of a namespace at both ends
 * @net: the namespace
 * @id: the flow's id
 * @k: its endpoints, or NULL: look for @id in the whole table
 * @extack: for error messages, or NULL
 *
 * The control side of %MOS_CMD_FLOW_RESET and of %MOS_IOC_FLOW: the
 * tracker ends the flow's sides at once and marks it reset, and the
 * resets go to each end whose expected sequence number is known
 * (mos_reset_flow(), hooks/reset.c, whose DOC tells why they are
 * accepted).
 *
 * Context: process.
 * Return: 0, -ENOENT if monitoring is off or there is no such flow,
 * -EINVAL in passive mode.
 */
int mos_net_flow_reset(struct net *net, u64 id, const struct tm_key *k,
		       struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct tm_reset r;
	struct tm_table *t;
	int err;

	/*
	 * By endpoints, a hash lookup under RCU; by id alone, a walk of the
	 * whole table that reschedules, with the table kept by the lock
	 * that disabling takes.
	 */
	if (k)
		rcu_read_lock();
	else
		mutex_lock(&mn->lock);
	t = rcu_dereference_check(mn->tm, lockdep_is_held(&mn->lock));
	if (!t) {
		NL_SET_ERR_MSG(extack, "monitoring is not enabled in this namespace");
		err = -ENOENT;
	} else if (READ_ONCE(mn->mode) != MOS_MODE_INLINE) {
		NL_SET_ERR_MSG(extack, "resetting a flow needs inline mode");
		err = -EINVAL;
	} else {
		err = mos_tm_reset(t, id, k, ktime_get_coarse_ns(), &r);
		if (err)
			NL_SET_ERR_MSG(extack, "no such flow in this namespace");
	}
	if (k)
		rcu_read_unlock();
	else
		mutex_unlock(&mn->lock);
	if (err)
		return err;
	mos_reset_flow(mn, &r);
	return 0;
}
