// SPDX-License-Identifier: GPL-2.0
/*
 * input.c - the per-packet pipeline: one packet from its parse result to
 * its verdict
 *
 * DOC: Theory of Operation
 *
 * mos_tm_input() is the only entry of the packet path.  A TCP segment is
 * hashed and looked up (tm_int.h), then, in this order: a flow kept only
 * to drop its packets drops it; the user may refuse it (&tm_ops.reserve,
 * no room to report it); a bad checksum is reported and the segment not
 * tracked; a SYN on the 4-tuple of a closing flow ends that flow; a reset
 * flow answers it; a packet without a flow creates one (a SYN, or any
 * segment with mid-stream pickup), after the user's classification;
 * a lossless caller's segment that the out-of-order store could not take
 * is dropped; then both sides are tracked (track.c, reasm.c) and a flow
 * that closed is unlinked (table.c).  Anything else is an orphan, but
 * for a caller whose rules must fail closed (%TM_IN_FAILCLOSED): a segment
 * of no flow that a drop or reset rule matches is dropped (tm_noflow()).
 *
 * Locking: the flow's lock is held from the lookup to the end of its
 * tracking, and dropped before a closed flow is unlinked (table.c gives
 * the lock order).
 */

#include "tm_int.h"

/**
 * tm_error() - raise %TM_EV_ERROR
 * @t: table
 * @f: flow, or NULL
 * @side: the side concerned
 * @err: &enum tm_err
 * @off: stream offset, where it applies
 * @len: length, where it applies
 * @src: the packet, or NULL
 * @p: its headers, or NULL
 */
void tm_error(struct tm_table *t, struct tm_flow *f, unsigned int side,
	      unsigned int err, u64 off, u32 len, const struct tm_src *src,
	      const struct tm_pkt *p)
{
	struct tm_ev ev = {
		.type = TM_EV_ERROR,
		.hook = TM_HK_NULL,
		.side = side,
		.err = err,
		.off = off,
		.len = len,
	};

	tm_emit_ev(t, f, &ev, src, p);
}

static void tm_orphan(struct tm_table *t, const struct tm_src *src,
		      const struct tm_pkt *p)
{
	tm_stat_inc(t, TM_STAT_ORPHANS);
	tm_emit(t, NULL, TM_EV_ORPHAN, TM_HK_NULL, 0, src, p);
}

/**
 * tm_noflow() - the verdict on a TCP segment that has no flow
 * @t: table
 * @src: the segment
 * @p: its headers
 * @flags: %TM_IN_*
 *
 * With %TM_IN_FAILCLOSED the rules are asked again (&tm_ops.classify,
 * %TM_RULE_NOFLOW): a drop or reset rule drops the segment, and a reset
 * rule answers it too unless it is an RST or its checksum is bad (its
 * receiver would not have answered it).  Anything else passes.
 *
 * Return: %TM_VERDICT_PASS, %TM_VERDICT_DROP or %TM_VERDICT_RESET.
 */
static enum tm_verdict tm_noflow(struct tm_table *t, const struct tm_src *src,
				 const struct tm_pkt *p, unsigned int flags)
{
	u32 rule = TM_RULE_NOFLOW;
	unsigned int act;

	if (!(flags & TM_IN_FAILCLOSED) || !t->ops->classify)
		return TM_VERDICT_PASS;
	act = t->ops->classify(t->priv, src, p, &rule);
	if (act != TM_ACT_DROP && act != TM_ACT_RESET)
		return TM_VERDICT_PASS;
	tm_stat_inc(t, TM_STAT_DROPPED_NOFLOW);
	if (act == TM_ACT_RESET && !(flags & TM_IN_CSUM_BAD) &&
	    !(p->tcp_flags & TM_TCPF_RST))
		return TM_VERDICT_RESET;
	return TM_VERDICT_DROP;
}

/**
 * tm_midstream_client() - guess the client of a connection seen mid-stream
 * @p: its first packet seen
 *
 * The end with the lower port is taken for the server (services listen on
 * low, well-known ports; clients use ephemeral ones).
 *
 * Return: %TM_CLI when the sender of @p is taken for the client.
 */
static int tm_midstream_client(const struct tm_pkt *p)
{
	return ntohs(p->sport) > ntohs(p->dport) ? TM_CLI : TM_SVR;
}

/*
 * After a packet's update: a flow that closed is unlinked, a store that
 * holds bytes is accounted; the flow's lock is dropped.  Inlined: every
 * tracked packet ends here.
 */
static __always_inline void tm_track_done(struct tm_table *t,
					  struct tm_flow *f, u64 now)
{
	bool dead = tm_track_closed(f);

	if (dead) {
		tm_track_drain(t, f);
		tm_flow_kill(t, f);
	} else if (tm_store_busy(f)) {
		tm_store_account(t, f, now);
	}
	spin_unlock(&f->lock);
	if (dead)
		tm_flow_unlink(t, f);
}

/**
 * mos_tm_input() - track one packet
 * @t: table
 * @src: the packet's bytes
 * @res: what mos_tm_parse() made of it; %TM_PKT_BAD is not passed here
 * @p: its parsed headers
 * @now: current time, ns (monotonic; a capture's timestamps in replay)
 * @flags: %TM_IN_*
 *
 * A TCP segment updates its flow (created from a SYN, or from any segment
 * when mid-stream pickup is on); everything else is an orphan.  Events and
 * stream bytes go to the table's &struct tm_ops as they happen.  A packet
 * that would create a flow is first classified (&tm_ops.classify): the
 * flow may be tracked silently, kept only so that its packets are
 * dropped, or not created and the packet answered with a reset.  With
 * %TM_IN_LOSSLESS, a segment whose bytes would not fit the out-of-order
 * store is dropped untracked (tm_reasm_fits()).  A flow for a drop that
 * cannot be created still has its packet dropped; with
 * %TM_IN_FAILCLOSED, a segment of no flow is classified too
 * (tm_noflow()).
 *
 * Context: bottom halves disabled; does not sleep; allocates with
 * GFP_NOWAIT only (flows, out-of-order pieces), bounded by the table's
 * limits.
 * Return: what the packet's path should do with it.
 */
enum tm_verdict mos_tm_input(struct tm_table *t, const struct tm_src *src,
			     enum tm_parse_res res, const struct tm_pkt *p,
			     u64 now, unsigned int flags)
{
	return mos_tm_input_split(t, src, res, p, now, flags, NULL);
}

/**
 * mos_tm_input_split() - track one packet, maybe its sender's side only
 * @t: table
 * @src: the packet's bytes
 * @res: what mos_tm_parse() made of it
 * @p: its parsed headers
 * @now: current time, ns
 * @flags: %TM_IN_*
 * @sp: NULL (as mos_tm_input()), or where the caller says, after the
 *	sender's update of a tracked segment, whether its receiver's update
 *	waits (&tm_split.wait).  If it does, %TM_PEND_WAITS is set in
 *	&tm_split.pend, which the caller gives to mos_tm_resume() when the
 *	packet goes on to its receiver, or forgets if it never does (a
 *	dropped packet: its receiver never had it).  Until then the packets
 *	of the flow that the receiver would get after it must wait too: the
 *	caller keeps their order.
 *
 * Context and return: as mos_tm_input().
 */
enum tm_verdict mos_tm_input_split(struct tm_table *t,
				   const struct tm_src *src,
				   enum tm_parse_res res,
				   const struct tm_pkt *p, u64 now,
				   unsigned int flags, struct tm_split *sp)
{
	struct tm_flow *f;
	u32 hash;
	int s;

	if (res != TM_PKT_TCP) {
		if (res == TM_PKT_OTHER)
			tm_orphan(t, src, p);
		return TM_VERDICT_PASS;
	}

	f = tm_lookup_last(t, p, &s);
	if (f) {
		hash = f->hash;
	} else {
		hash = tm_hash(t, p);
		f = tm_lookup(t, p, hash, &s);
		if (!f)
			f = tm_alias_lookup(t, p, hash, &s);
		if (f)
			tm_set_last(t, f);
	}

	if (f && (f->flags & TM_FF_DROP)) {
		/*
		 * Kept only for this (a rule, or mos_tm_drop()): its
		 * packets never reach the peer.
		 */
		f->last = now;
		spin_unlock(&f->lock);
		tm_stat_inc(t, TM_STAT_DROPPED);
		return TM_VERDICT_DROP;
	}

	if (t->ops->reserve && !t->ops->reserve(t->priv, f, f ? s : 0, src, p)) {
		if (f)
			spin_unlock(&f->lock);
		return TM_VERDICT_DROP;
	}

	if (flags & TM_IN_CSUM_BAD) {
		/* The receiver discards it: so does the monitor. */
		tm_stat_inc(t, TM_STAT_CSUM);
		tm_error(t, f, f ? s : 0, TM_ERR_CSUM, 0, 0, src, p);
		if (f) {
			spin_unlock(&f->lock);
			return TM_VERDICT_PASS;
		}
		/* The rules see it as they see any segment of no flow */
		return tm_noflow(t, src, p, flags);
	}

	if (f && (p->tcp_flags & (TM_TCPF_SYN | TM_TCPF_ACK)) == TM_TCPF_SYN &&
	    tm_track_reusable(f, s, p)) {
		/* A new connection on the 4-tuple of a closing one */
		tm_track_end(t, f, TM_END_REUSE);
		tm_flow_kill(t, f);
		spin_unlock(&f->lock);
		tm_flow_unlink(t, f);
		f = NULL;
	}

	if (f && (f->flags & TM_FF_RESET)) {
		/* Reset: what either end still sends is answered, not passed */
		f->last = now;
		spin_unlock(&f->lock);
		tm_stat_inc(t, TM_STAT_DROPPED);
		return TM_VERDICT_KILL;
	}

	if (!f) {
		u8 fl = p->tcp_flags & (TM_TCPF_SYN | TM_TCPF_ACK | TM_TCPF_RST);
		unsigned int act = TM_ACT_MONITOR;
		bool mid = false;
		u32 rule = 0;

		if (fl == TM_TCPF_SYN) {
			s = TM_CLI;
		} else if (READ_ONCE(t->cfg.midstream) &&
			   fl == (TM_TCPF_SYN | TM_TCPF_ACK)) {
			/* A SYN-ACK names its sender: the server */
			s = TM_SVR;
			mid = true;
		} else if (READ_ONCE(t->cfg.midstream) &&
			   !(fl & (TM_TCPF_RST | TM_TCPF_SYN)) &&
			   (fl & TM_TCPF_ACK)) {
			s = tm_midstream_client(p);
			mid = true;
		} else {
			enum tm_verdict v = tm_noflow(t, src, p, flags);

			if (v == TM_VERDICT_PASS)
				tm_orphan(t, src, p);
			return v;
		}
		if (t->ops->classify) {
			act = t->ops->classify(t->priv, src, p, &rule);
			if (act == TM_ACT_RESET)
				return TM_VERDICT_RESET;
			if (act > TM_ACT_DROP)
				act = TM_ACT_MONITOR;
		}
		f = tm_flow_new(t, src, p, hash, s, now, act, rule);
		if (f)
			tm_set_last(t, f);
		if (!f) {
			/* Lost a race to another CPU: take its flow. */
			f = tm_lookup(t, p, hash, &s);
			if (!f && act == TM_ACT_DROP) {
				/* Not tracked (limit, memory): still dropped */
				tm_stat_inc(t, TM_STAT_DROPPED_NOFLOW);
				return TM_VERDICT_DROP;
			}
			if (!f) {
				tm_orphan(t, src, p);
				return TM_VERDICT_PASS;
			}
		} else {
			s = s == TM_CLI ? TM_CLI : TM_SVR;
			if (mid) {
				f->flags |= TM_FF_MIDSTREAM;
				tm_stat_inc(t, TM_STAT_FLOWS_MIDSTREAM);
			}
			tm_track_init(f, s, p, mid);
			if (flags & TM_IN_SRC_LOCAL)
				f->half[s].aflags |= TM_HA_LOCAL;
			if (flags & TM_IN_DST_LOCAL)
				f->half[!s].aflags |= TM_HA_LOCAL;
			if (t->ops->flow && !(f->flags & TM_FF_QUIET))
				t->ops->flow(t->priv, f, src, p);
		}
		if (f->flags & TM_FF_DROP) {
			spin_unlock(&f->lock);
			tm_stat_inc(t, TM_STAT_DROPPED);
			return TM_VERDICT_DROP;
		}
	}

	/* Stores whose hole is too old go before the packet counts */
	if (tm_store_busy(f))
		tm_store_age(t, f, now);
	if ((flags & TM_IN_LOSSLESS) && !tm_reasm_fits(t, f, !s, p)) {
		/* Its sender sends it again once the hole is filled. */
		spin_unlock(&f->lock);
		tm_stat_inc(t, TM_STAT_STORE_FULL);
		return TM_VERDICT_DROP;
	}

	f->flags |= TM_FF_HEARD(s);
	if (sp)
		sp->pend.flags = 0;
	tm_track(t, f, s, src, p, now, sp);
	tm_track_done(t, f, now);
	return TM_VERDICT_PASS;
}

/**
 * mos_tm_resume() - the receiver's update of a packet whose sender's
 * update waited for it (mos_tm_input_split())
 * @t: table
 * @pd: what the sender's update left, %TM_PEND_WAITS set
 * @src: the packet's bytes, as it goes on to its receiver
 * @p: its headers, as it goes on (the caller may have rewritten them)
 * @now: current time, ns
 *
 * The flow is found again by its endpoints and id: one that ended
 * meanwhile, or was reset or dropped, is not updated.  The user makes
 * room for the records first (&tm_ops.reserve): if it cannot, the flow is
 * not updated and the caller drops the packet, so the receiver does not
 * get bytes no one saw.
 *
 * Context: bottom halves disabled.
 * Return: 0; -ENOENT: no such flow any more (the packet goes on
 * untracked); -ENOBUFS: no room for its records, -EPERM: its flow drops
 * or resets its packets (drop the packet).
 */
int mos_tm_resume(struct tm_table *t, const struct tm_pend *pd,
		  const struct tm_src *src, const struct tm_pkt *p, u64 now)
{
	struct tm_pkt kp;
	struct tm_flow *f;
	int side;

	if (!(pd->flags & TM_PEND_WAITS))
		return -ENOENT;
	tm_key_pkt(&pd->key, &kp);
	f = tm_lookup(t, &kp, tm_hash(t, &kp), &side);
	if (!f)
		return -ENOENT;
	if (f->id != pd->id) {
		spin_unlock(&f->lock);
		return -ENOENT;
	}
	if (f->flags & (TM_FF_DROP | TM_FF_RESET)) {
		spin_unlock(&f->lock);
		return -EPERM;
	}
	if (t->ops->reserve && !t->ops->reserve(t->priv, f, pd->side, src, p)) {
		spin_unlock(&f->lock);
		return -ENOBUFS;
	}
	tm_track_resume(t, f, pd, src, p, now);
	tm_track_done(t, f, now);
	return 0;
}
