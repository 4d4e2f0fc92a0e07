// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - how a table's out-of-order store is shared among its flows
 *
 * DOC: Theory of Operation
 *
 * Goal: a flow that keeps bytes behind a hole it never fills must not
 * take the store every other flow needs.  Three rules apply where a
 * segment is admitted to the store (reasm.c) and where a flow is seen (its
 * packets, the expiry sweep).  None walks a store (reasm.c does, in
 * tm_reasm_flush()) and none scans the table.
 *
 * Share: a flow that holds stored bytes may hold at most
 *
 *	share = max(%TM_STORE_SHARE_MIN, buf_total / holders)
 *
 * bytes, both sides together, where holders counts the flows whose stores
 * hold bytes, the asking flow included (&tm_table.holders).  This is the
 * fair split of the budget among the flows that use it: while they all
 * keep to it, the budget is never full, and a flow that needs little
 * leaves its part to those that need more.  A fixed fraction would either
 * waste the budget when few flows store or let a few hundred flows fill
 * it.  A flow with nothing stored is over no share: its first piece is let
 * in by this rule (the side's and the table's limits still apply).  The
 * floor keeps two pieces' worth when very many flows hold bytes; the
 * shares then add up to more than the budget (past buf_total /
 * %TM_STORE_SHARE_MIN holders, 16384 at the defaults) and pressure
 * applies.  A segment that would take its flow over its share: passive,
 * the side's store is given up (its holes reported as gaps, reason
 * %TM_GAP_SHARE) and the stream goes on from the segment; with
 * %TM_IN_LOSSLESS the packet is dropped, for its sender to send again.
 * Counted in %TM_STAT_STORE_SHARE.
 *
 * Pressure: shares shrink as holders come, so flows that filled the budget
 * earlier may be over their share when a newcomer needs room.  When a
 * segment of a flow within its share does not fit the budget, the table's
 * biggest known holder (&tm_table.big: the flow with the most stored
 * bytes among those the packet path and the expiry sweep saw last) gives
 * up its stores if it is over its share (reason %TM_GAP_PRESSURE,
 * %TM_STAT_STORE_TRIMMED).  One flow per segment at most, taken with
 * spin_trylock() and never waited for (two flows' locks have no order):
 * the work is bounded.  If no flow can be trimmed, the store's limits
 * apply as they always did.
 *
 * Ageing: each side remembers when its store's hole opened
 * (&tm_half.hole_since, renewed when the stream moves on).  A store whose
 * hole is older than &tm_table_cfg.store_age_ms is given up (reason
 * %TM_GAP_AGED, %TM_STAT_STORE_AGED) at the flow's next packet, or when
 * the expiry sweep (mos_tm_expire()) passes the flow: no timer per piece.
 * The clock is the packets' (ms, to about one ms); the sweep's time may
 * be a little older than a packet's that another CPU just took, so a
 * hole that seems to open after "now" is young, not old.
 *
 * Locking: a flow's fields under its lock; &tm_table.holders is atomic;
 * &tm_table.big is a hint, read under RCU, written with its flow locked
 * and alive, cleared when the flow dies (tm_store_forget(), before the
 * grace period that frees it): a pointer read from it stays valid until
 * rcu_read_unlock().
 */

#include "tm_int.h"

/* A share never drops below two full pieces. */
#define TM_STORE_SHARE_MIN	4096

/**
 * tm_store_share() - the bytes a flow that holds stored bytes may hold
 * @total: the table's budget, &tm_table_cfg.buf_total
 * @holders: flows whose stores hold bytes, the asking one included
 *
 * Return: max(%TM_STORE_SHARE_MIN, @total / @holders).
 */
u32 tm_store_share(u64 total, u32 holders)
{
	u64 s = holders > 1 ? div_u64(total, holders) : total;

	if (s < TM_STORE_SHARE_MIN)
		s = TM_STORE_SHARE_MIN;
	return s > 0xffffffffULL ? 0xffffffffU : (u32)s;
}

static u32 tm_flow_stored(const struct tm_flow *f)
{
	return f->half[TM_CLI].ooo_bytes + f->half[TM_SVR].ooo_bytes;
}

/* Holders, @f counted whether or not it holds bytes yet */
static u32 tm_holders(struct tm_table *t, const struct tm_flow *f)
{
	return (u32)atomic_read(&t->holders) + !(f->flags & TM_FF_HOLDS);
}

/**
 * tm_store_admit() - may a flow store this much more?
 * @t: table
 * @f: flow, locked
 * @charge: what the new pieces would be charged
 *
 * Return: false when @f holds bytes and would go over its share.
 */
bool tm_store_admit(struct tm_table *t, const struct tm_flow *f, u64 charge)
{
	u32 held = tm_flow_stored(f);

	if (!held)
		return true;
	return held + charge <= tm_store_share(READ_ONCE(t->cfg.buf_total),
					       tm_holders(t, f));
}

/**
 * tm_store_make_room() - make the table's budget fit a flow's new pieces
 * by trimming the biggest holder, if it is over its share
 * @t: table
 * @f: flow, locked, within its share
 * @charge: what its new pieces would be charged
 *
 * Trims one flow at most, and only one whose lock is free.
 *
 * Context: bottom halves disabled; @f's lock held.
 */
void tm_store_make_room(struct tm_table *t, const struct tm_flow *f,
			u64 charge)
{
	u64 total = READ_ONCE(t->cfg.buf_total);
	struct tm_flow *v;
	unsigned int i;
	u32 share;

	if (atomic_long_read(&t->ooo_bytes) + charge <= total)
		return;
	share = tm_store_share(total, tm_holders(t, f));
	if (tm_flow_stored(f) + charge > share)
		return;
	rcu_read_lock();
	v = READ_ONCE(t->big);
	if (v && v != f && spin_trylock(&v->lock)) {
		if (!(v->flags & TM_FF_DEAD) && tm_flow_stored(v) > share) {
			bool trimmed = false;

			for (i = 0; i < 2; i++) {
				struct tm_half *h = &v->half[i];

				/* A SYN's bytes wait for the SYN-ACK, at no hole */
				if (!h->ooo_bytes || (h->aflags & TM_HA_SYN_HELD))
					continue;
				tm_track_give_up(t, v, i, TM_GAP_PRESSURE);
				trimmed = true;
			}
			if (trimmed)
				tm_stat_inc(t, TM_STAT_STORE_TRIMMED);
			tm_store_account(t, v, v->last);
		}
		spin_unlock(&v->lock);
	}
	rcu_read_unlock();
}

/**
 * tm_store_account() - note what a flow's stores hold after a change
 * @t: table
 * @f: flow, locked
 * @now: time, ns, on the packets' clock
 *
 * Counts the flow in &tm_table.holders while it holds bytes, starts a
 * side's hole age when its hole opens or the stream moves on, and keeps
 * &tm_table.big on the biggest holder it sees.
 */
void tm_store_account(struct tm_table *t, struct tm_flow *f, u64 now)
{
	struct tm_flow *big;
	unsigned int i;
	u32 ms, held = 0;

	/* Most flows, most packets: nothing stored, nothing counted */
	if (!tm_flow_stored(f) && !(f->flags & TM_FF_HOLDS)) {
		f->half[TM_CLI].hole_since = 0;
		f->half[TM_SVR].hole_since = 0;
		if (READ_ONCE(t->big) == f)
			WRITE_ONCE(t->big, NULL);
		return;
	}
	ms = (u32)div_u64(now, 1000000) | 1;
	for (i = 0; i < 2; i++) {
		struct tm_half *h = &f->half[i];

		if (!h->ooo_bytes) {
			h->hole_since = 0;
			continue;
		}
		held += h->ooo_bytes;
		if (!h->hole_since || h->hole_seq != h->rcv_nxt) {
			h->hole_seq = h->rcv_nxt;
			h->hole_since = ms;
		}
	}
	if (held && !(f->flags & TM_FF_HOLDS)) {
		f->flags |= TM_FF_HOLDS;
		atomic_inc(&t->holders);
	} else if (!held && (f->flags & TM_FF_HOLDS)) {
		f->flags &= ~TM_FF_HOLDS;
		atomic_dec(&t->holders);
	}
	big = READ_ONCE(t->big);
	if (!held) {
		if (big == f)
			WRITE_ONCE(t->big, NULL);
	} else if (!(f->flags & TM_FF_DEAD) &&
		   (!big || big == f || held > READ_ONCE(t->big_bytes))) {
		WRITE_ONCE(t->big_bytes, held);
		WRITE_ONCE(t->big, f);
	}
}

/**
 * tm_store_age() - give up the stores whose hole is too old
 * @t: table
 * @f: flow, locked
 * @now: time, ns, on the packets' clock
 */
void tm_store_age(struct tm_table *t, struct tm_flow *f, u64 now)
{
	u32 age = READ_ONCE(t->cfg.store_age_ms), ms;
	unsigned int i;

	if (!tm_flow_stored(f))
		goto out;
	ms = (u32)div_u64(now, 1000000) | 1;
	for (i = 0; i < 2; i++) {
		struct tm_half *h = &f->half[i];

		if (!h->ooo_bytes || !h->hole_since ||
		    h->hole_seq != h->rcv_nxt ||
		    (h->aflags & TM_HA_SYN_HELD) ||
		    (s32)(ms - h->hole_since) < (s32)age)
			continue;
		tm_stat_inc(t, TM_STAT_STORE_AGED);
		tm_track_give_up(t, f, i, TM_GAP_AGED);
	}
out:
	tm_store_account(t, f, now);
}

/**
 * tm_store_forget() - a flow dies: it holds nothing any more
 * @t: table
 * @f: flow, locked, marked %TM_FF_DEAD
 */
void tm_store_forget(struct tm_table *t, struct tm_flow *f)
{
	if (f->flags & TM_FF_HOLDS) {
		f->flags &= ~TM_FF_HOLDS;
		atomic_dec(&t->holders);
	}
	if (READ_ONCE(t->big) == f)
		WRITE_ONCE(t->big, NULL);
}
