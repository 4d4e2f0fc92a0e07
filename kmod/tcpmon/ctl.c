// SPDX-License-Identifier: GPL-2.0
/*
 * ctl.c - control operations on a live table: limits, counters, walks,
 * and what the control plane does to one flow (drop, overlap, reset)
 *
 * DOC: Theory of Operation
 *
 * The control plane (generic netlink in mos.ko, the offline backend and
 * tests in userspace) reaches the flows the packet path tracks only
 * through these calls.  A flow is found by its endpoints and its id
 * (mos_tm_find(): a hash lookup) or by walking the table (mos_tm_walk(),
 * resumable for netlink dumps); either way @fn runs with the flow's lock
 * held, so a change it makes is seen whole by the next packet.  Limits
 * change with WRITE_ONCE(), which the packet path reads once where each
 * applies.
 *
 * Locking: as table.c's; these calls take RCU and flow locks with bottom
 * halves disabled, and never a stripe lock, so they run in process
 * context or softirq.
 */

#include "tm_int.h"

/**
 * mos_tm_set_limits() - change the limits of a live table
 * @t: table
 * @cfg: new limits; zero fields take their defaults.  Only @max_flows,
 *	@buf_side, @buf_total, @seg_side, @timeout, @timeout_rst, @midstream,
 *	@overlap and @paws (for flows created from now on) and @store_age_ms
 *	are taken.
 *
 * The packet path reads each limit once where it applies (READ_ONCE()),
 * so a change takes effect with the next packet.  A lower @max_flows
 * removes no flow; it refuses new ones until enough have ended.
 *
 * Context: any.
 */
void mos_tm_set_limits(struct tm_table *t, const struct tm_table_cfg *cfg)
{
	struct tm_table_cfg c = *cfg;
	unsigned int i;

	mos_tm_cfg_defaults(&c);
	WRITE_ONCE(t->cfg.max_flows, c.max_flows);
	WRITE_ONCE(t->cfg.buf_side, c.buf_side);
	WRITE_ONCE(t->cfg.buf_total, c.buf_total);
	WRITE_ONCE(t->cfg.seg_side, c.seg_side);
	WRITE_ONCE(t->cfg.timeout_rst, c.timeout_rst);
	for (i = 0; i < TM_NSTATES; i++)
		WRITE_ONCE(t->cfg.timeout[i], c.timeout[i]);
	WRITE_ONCE(t->cfg.midstream, c.midstream);
	WRITE_ONCE(t->cfg.overlap, c.overlap);
	WRITE_ONCE(t->cfg.paws, c.paws);
	WRITE_ONCE(t->cfg.store_age_ms, c.store_age_ms);
}

/**
 * mos_tm_set_heard() - say what anyone listens to of a table's events and
 * stream bytes
 * @t: table
 * @events: per hook (&enum tm_hook, %TM_HK_RCV + 1 of them), the events
 *	(bit &enum tm_event) that &tm_ops.event would not discard; NULL:
 *	none
 * @bytes: false while &tm_ops.data would discard every stream byte
 *
 * A new table is heard in full.  Events and stream bytes nobody listens
 * to are still counted but not handed over: the packet path saves the
 * calls.  Whoever attaches a listener, or makes one listen to more, says
 * so before the attaching call returns; an event raised in between may be
 * lost, as one raised just before would be.
 *
 * Context: any.
 */
void mos_tm_set_heard(struct tm_table *t, const u64 *events, bool bytes)
{
	unsigned int h;

	for (h = 0; h < ARRAY_SIZE(t->unheard); h++)
		WRITE_ONCE(t->unheard[h], events ? ~events[h] : ~0ULL);
	WRITE_ONCE(t->unheard_bytes, !bytes);
}

/**
 * mos_tm_stats() - sum a table's counters over the CPUs
 * @t: table
 * @sum: %TM_STAT_MAX counters, overwritten
 */
void mos_tm_stats(struct tm_table *t, u64 *sum)
{
	int cpu, i;

	memset(sum, 0, TM_STAT_MAX * sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct tm_pcpu *c = per_cpu_ptr(t->stats, cpu);

		for (i = 0; i < TM_STAT_MAX; i++)
			sum[i] += READ_ONCE(c->c[i]);
	}
}

/**
 * mos_tm_flows() - flows in a table now
 * @t: table
 *
 * Return: the count.
 */
unsigned int mos_tm_flows(struct tm_table *t)
{
	return atomic_read(&t->nflows);
}

/**
 * mos_tm_ooo_bytes() - bytes held in the table's out-of-order stores
 * @t: table
 *
 * Return: the count, headers of pieces included.
 */
u64 mos_tm_ooo_bytes(struct tm_table *t)
{
	return atomic_long_read(&t->ooo_bytes);
}

/**
 * mos_tm_cfg() - a table's configuration, defaults filled in
 * @t: table
 *
 * Return: the configuration.
 */
const struct tm_table_cfg *mos_tm_cfg(const struct tm_table *t)
{
	return &t->cfg;
}

/**
 * mos_tm_walk() - call @fn for the live flows of a table, resumably
 * @t: table
 * @bucket: first bucket to look at; where to go on from, on return
 * @skip: flows of *@bucket already seen; updated the same way
 * @fn: called with each live flow locked
 * @arg: its argument
 *
 * For netlink dumps, which come back for more: when @fn returns non-zero
 * the walk stops, and a later call with the same @bucket and @skip starts
 * again at that flow.  Flows added or removed in between may be missed or
 * seen twice, as in any table dump.
 *
 * Context: process or softirq; takes RCU and each flow's lock.
 * Return: 0 when the table was walked to its end, else @fn's value.
 */
int mos_tm_walk(struct tm_table *t, u32 *bucket, u32 *skip, tm_walk_fn fn,
		void *arg)
{
	struct tm_flow *f;
	int ret = 0;
	u32 i, n;

	rcu_read_lock();
	for (i = *bucket; i <= t->mask; i++, *skip = 0) {
		n = 0;
		hlist_for_each_entry_rcu(f, &t->buckets[i], node) {
			if (n++ < *skip)
				continue;
			spin_lock_bh(&f->lock);
			if (!(f->flags & TM_FF_DEAD))
				ret = fn(f, arg);
			spin_unlock_bh(&f->lock);
			if (ret) {
				*bucket = i;
				*skip = n - 1;
				goto out;
			}
		}
	}
	*bucket = i;
	*skip = 0;
out:
	rcu_read_unlock();
	return ret;
}

/**
 * mos_tm_walk_chains() - call @fn for the live flows of whole chains
 * @t: table
 * @bucket: the first chain to walk; on return, the chain to go on from
 *	(&tm_table_cfg.buckets once the table was walked to its end)
 * @budget: flows to visit before returning: the walk stops at the end of
 *	the chain in which it reaches @budget, never inside a chain
 * @fn: called with each live flow locked
 * @arg: its argument
 *
 * For walks of the whole table that reschedule between calls (a flush of
 * a consumer's marks, a search by id): each chain is walked whole in one
 * RCU section and no position inside a chain is carried from one call to
 * the next, so flows unlinked or added between calls make the walk skip
 * none of the flows that stay (mos_tm_walk(), which resumes at a position
 * inside a chain, may).  When @fn returns non-zero the walk stops at once,
 * *@bucket then being the chain of that flow.
 *
 * Context: process or softirq; takes RCU and each flow's lock.
 * Return: 0, or @fn's non-zero value.
 */
int mos_tm_walk_chains(struct tm_table *t, u32 *bucket, u32 budget,
		       tm_walk_fn fn, void *arg)
{
	struct tm_flow *f;
	u32 i, n = 0;
	int ret = 0;

	rcu_read_lock();
	for (i = *bucket; i <= t->mask && n < budget; i++) {
		hlist_for_each_entry_rcu(f, &t->buckets[i], node) {
			n++;
			spin_lock_bh(&f->lock);
			if (!(f->flags & TM_FF_DEAD))
				ret = fn(f, arg);
			spin_unlock_bh(&f->lock);
			if (ret)
				goto out;
		}
	}
out:
	*bucket = i;
	rcu_read_unlock();
	return ret;
}

/* Flows a search by id visits between reschedules */
#define TM_WALK_BATCH	1024

struct tm_reset_arg {
	u64 id;
	u64 now;
	struct tm_reset *r;
};

static int tm_reset_one(struct tm_flow *f, void *arg)
{
	struct tm_reset_arg *a = arg;
	struct tm_table *t = f->table;
	struct tm_reset *r = a->r;
	unsigned int s;

	if (f->id != a->id)
		return 0;
	if (f->flags & TM_FF_QUIET)
		return -ENOENT;

	memset(r, 0, sizeof(*r));
	r->family = f->family;
	for (s = 0; s < 2; s++) {
		const struct tm_half *me = &f->half[s], *peer = &f->half[!s];

		r->addr[s] = f->addr[s];
		r->port[s] = f->port[s];
		if (peer->flags & TM_HF_SND_SYNCED) {
			r->seq[s] = peer->snd_end;
			r->valid |= TM_RST_SEQ(s);
		}
		if (me->flags & TM_HF_SND_SYNCED) {
			r->ack[s] = me->snd_end;
			r->valid |= TM_RST_ACK(s);
		}
	}
	if (!(f->flags & TM_FF_RESET)) {
		tm_track_end(t, f, TM_END_RST);
		for (s = 0; s < 2; s++) {
			f->half[s].state = TM_CLOSED;
			f->half[s].flags |= TM_HF_RST_PENDING;
		}
		f->flags |= TM_FF_RESET;
		tm_stat_inc(t, TM_STAT_FLOWS_RESET);
	}
	f->last = a->now;
	return 1;
}

/**
 * mos_tm_key_hash() - the hash the table gives the flow of some endpoints
 * @t: table
 * @k: the endpoints, in either order
 *
 * The flow's &tm_flow.hash, were it tracked: the table's keyed symmetric
 * hash (tm_hash()), so both orders of @k give the same value.
 *
 * Context: any.
 * Return: the hash.
 */
u32 mos_tm_key_hash(const struct tm_table *t, const struct tm_key *k)
{
	struct tm_pkt p;

	tm_key_pkt(k, &p);
	return tm_hash(t, &p);
}

/**
 * mos_tm_find() - call @fn for one live flow, found by its endpoints
 * @t: table
 * @k: the flow's endpoints
 * @id: its id (&tm_flow.id): a newer flow on the same endpoints is not it
 * @fn: called with the flow locked
 * @arg: its argument
 *
 * A hash lookup, where mos_tm_walk() walks the whole table.
 *
 * Context: process or softirq; takes RCU and the flow's lock.
 * Return: @fn's value, or -ENOENT if no such flow is tracked.
 */
int mos_tm_find(struct tm_table *t, const struct tm_key *k, u64 id,
		tm_walk_fn fn, void *arg)
{
	struct tm_pkt p;
	struct tm_flow *f;
	int ret = -ENOENT, side;

	if (k->family != 4 && k->family != 6)
		return -ENOENT;
	tm_key_pkt(k, &p);
	local_bh_disable();
	f = tm_lookup(t, &p, tm_hash(t, &p), &side);
	if (f) {
		if (f->id == id)
			ret = fn(f, arg);
		spin_unlock(&f->lock);
	}
	local_bh_enable();
	return ret;
}

static int tm_drop_one(struct tm_flow *f, void *arg)
{
	if (f->flags & (TM_FF_QUIET | TM_FF_RESET))
		return -ENOENT;
	f->flags |= TM_FF_DROP;
	f->last = *(u64 *)arg;
	return 0;
}

/**
 * mos_tm_drop() - drop every later packet of a flow
 * @t: table
 * @id: the flow's id
 * @k: its endpoints
 * @now: time, ns
 *
 * The flow stays in the table, untracked from now on, until it idles out;
 * its packets get %TM_VERDICT_DROP and count in %TM_STAT_DROPPED.
 *
 * Context: process or softirq.
 * Return: 0, or -ENOENT if no such flow is monitored.
 */
int mos_tm_drop(struct tm_table *t, u64 id, const struct tm_key *k, u64 now)
{
	return mos_tm_find(t, k, id, tm_drop_one, &now);
}

/* tm_overlap_one()'s argument: the sides' bits, and the policy's flag */
#define TM_OVL_SIDES		0x3

static int tm_overlap_one(struct tm_flow *f, void *arg)
{
	unsigned int a = *(unsigned int *)arg, side;

	if (f->flags & TM_FF_QUIET)
		return -ENOENT;
	for (side = TM_CLI; side <= TM_SVR; side++) {
		if (!(a & (1U << side)))
			continue;
		f->half[side].flags &= ~(TM_HF_OVERLAP_LAST |
					 TM_HF_OVERLAP_LINUX);
		f->half[side].flags |= a & ~TM_OVL_SIDES;
	}
	return 0;
}

/**
 * tm_overlap_flags() - the side flags of an overlap policy
 * @policy: &enum tm_overlap, valid
 *
 * Return: %TM_HF_OVERLAP_LAST, %TM_HF_OVERLAP_LINUX or 0 (FIRST).
 */
u16 tm_overlap_flags(unsigned int policy)
{
	if (policy == TM_OVERLAP_LAST)
		return TM_HF_OVERLAP_LAST;
	if (policy == TM_OVERLAP_LINUX)
		return TM_HF_OVERLAP_LINUX;
	return 0;
}

/**
 * mos_tm_overlap() - set the overlap policy of sides of a flow
 * @t: table
 * @id: the flow's id
 * @k: its endpoints
 * @sides: the receiving sides it applies to: bit %TM_CLI, bit %TM_SVR
 * @policy: &enum tm_overlap
 *
 * Applies to the segments the flow sees from now on; bytes already in the
 * stream stay as they are.
 *
 * Context: process or softirq.
 * Return: 0, -EINVAL for a bad @sides or @policy, or -ENOENT if no such
 * flow is monitored.
 */
int mos_tm_overlap(struct tm_table *t, u64 id, const struct tm_key *k,
		   unsigned int sides, unsigned int policy)
{
	unsigned int a = sides;

	if (!sides || sides & ~TM_OVL_SIDES || policy > TM_OVERLAP_LINUX)
		return -EINVAL;
	a |= tm_overlap_flags(policy);
	return mos_tm_find(t, k, id, tm_overlap_one, &a);
}

/**
 * mos_tm_reset() - reset a connection at both ends
 * @t: table
 * @id: the flow's id (&tm_flow.id)
 * @k: its endpoints, or NULL: then the table is walked for @id
 * @now: time, ns
 * @r: filled with what the resets need
 *
 * The flow's open sides end (%TM_EV_CONN_END, %TM_END_RST) and it stays
 * in the table, silent, until it idles out (&tm_table_cfg.timeout_rst):
 * until then every packet of it gets %TM_VERDICT_KILL.  The caller sends
 * the resets @r describes.  Their sequence numbers are the highest each
 * end has sent: exact, as RFC 5961 requires, once each end has received
 * what was sent to it; if not (bytes in flight), the end answers with a
 * challenge ACK, and that packet, seen by the tracker, gets the exact
 * numbers through %TM_VERDICT_KILL.  Resetting a flow again gives the
 * numbers again.  Flows of %TM_ACT_IGNORE and %TM_ACT_DROP are not found.
 *
 * Without @k the table is walked chain by chain (mos_tm_walk_chains()),
 * rescheduling every %TM_WALK_BATCH flows: a table holds up to 2^24.
 *
 * Context: with @k, process or softirq; takes RCU and the flow's lock.
 * Without, process, may sleep: the caller keeps the table (not by RCU).
 * Return: 0, or -ENOENT if no such flow is tracked.
 */
int mos_tm_reset(struct tm_table *t, u64 id, const struct tm_key *k,
		 u64 now, struct tm_reset *r)
{
	struct tm_reset_arg a = { .id = id, .now = now, .r = r };
	u32 bucket = 0;
	int ret;

	if (k)
		return mos_tm_find(t, k, id, tm_reset_one, &a) < 0 ? -ENOENT : 0;
	do {
		cond_resched();
		ret = mos_tm_walk_chains(t, &bucket, TM_WALK_BATCH,
					 tm_reset_one, &a);
	} while (!ret && bucket <= t->mask);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ENOENT;
}
