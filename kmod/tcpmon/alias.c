// SPDX-License-Identifier: GPL-2.0
/*
 * alias.c - a flow's second 4-tuple: the addresses and ports its packets
 * carry past an address translation (NAT) done by a verdict
 *
 * DOC: Theory of Operation
 *
 * A verdict-mode consumer may rewrite the addresses and ports of the
 * packets it holds (mtcp_setlastpkt(), kmod/verdict.c).  A source NAT
 * rewrites a client's packets from (C, c) -> (S, s) to (N, n) -> (S, s):
 * the server answers (S, s) -> (N, n), a 4-tuple the flow table does not
 * know.  mos_tm_alias(), told a held packet's 4-tuple as it came and as
 * it leaves, gives the packet's flow that second 4-tuple (its alias), so
 * that the server's packets are tracked as the same connection, from the
 * server's side, and raise the same flow's events: the consumer can then
 * translate them back.  The flow keeps its name (the 4-tuple its first
 * packet came with); only the lookup of a packet that matches no flow
 * looks at the aliases (tm_alias_lookup()).
 *
 * Storage: a chain array of its own, a quarter of the flow table's (64
 * chains at least), keyed by the table's symmetric hash of the alias; an
 * entry names its flow by 4-tuple and id, not by pointer, so a flow that
 * ends needs no unlinking here: an entry whose flow is gone (or was
 * replaced by a newer one on the same 4-tuple) is stale, ignored by the
 * lookup and freed by the sweep (tm_alias_sweep(), from
 * mos_tm_expire()), or replaced when the same alias is given again.
 *
 * A new alias takes the place of an older flow's with the same 4-tuple
 * (a translator that gives a port to a new connection while the tracker
 * still keeps the old one, in TIME_WAIT): the last rewrite says which
 * connection the 4-tuple names now; the older flow's later packets from
 * that side are orphans.
 *
 * Limits: &tm_table_cfg.max_flows aliases; one more, a failed allocation,
 * or an alias that is another live flow's own 4-tuple is refused and
 * counted (%TM_STAT_ALIAS_FAIL); the packets of that 4-tuple are then
 * orphans.
 * Each entry is charged to the memory limit of all tables (tm_charge()).
 *
 * Locking: lookups walk a chain under RCU; changes take &tm_table.alock
 * (bottom halves disabled), and under it a flow's lock (lock order: alias
 * lock, then flow lock; never a stripe lock).  Entries are freed after a
 * grace period.
 */

#include "tm_int.h"

/**
 * struct tm_alias - a flow's second 4-tuple
 * @node: in &tm_table.abuckets (RCU)
 * @rcu: for freeing after readers are gone
 * @hash: tm_hash() of the alias
 * @family: 4 or 6
 * @addr: the alias's addresses, indexed by &enum tm_side
 * @port: its ports, network order, the same
 * @oaddr: the flow's own addresses (&tm_flow.addr)
 * @oport: its own ports
 * @id: the flow's &tm_flow.id
 */
struct tm_alias {
	struct hlist_node node;
	struct rcu_head rcu;
	u32 hash;
	u8 family;
	union tm_addr addr[2];
	__be16 port[2];
	union tm_addr oaddr[2];
	__be16 oport[2];
	u64 id;
};

/**
 * tm_alias_buckets() - the number of alias chains of a table
 * @flow_buckets: its flow chains
 *
 * Return: a quarter of @flow_buckets, 64 at least (a power of two).
 */
u32 tm_alias_buckets(u32 flow_buckets)
{
	return max_t(u32, flow_buckets / 4, 64);
}

static void tm_alias_free_rcu(struct rcu_head *head)
{
	tm_free(container_of(head, struct tm_alias, rcu));
	tm_uncharge(sizeof(struct tm_alias));
}

/* The side that sends @p under alias @a, or -1 */
static int tm_alias_match(const struct tm_alias *a, const struct tm_pkt *p)
{
	if (a->family != p->family)
		return -1;
	if (a->port[TM_CLI] == p->sport && a->port[TM_SVR] == p->dport &&
	    tm_addr_eq(&a->addr[TM_CLI], &p->saddr) &&
	    tm_addr_eq(&a->addr[TM_SVR], &p->daddr))
		return TM_CLI;
	if (a->port[TM_SVR] == p->sport && a->port[TM_CLI] == p->dport &&
	    tm_addr_eq(&a->addr[TM_SVR], &p->saddr) &&
	    tm_addr_eq(&a->addr[TM_CLI], &p->daddr))
		return TM_SVR;
	return -1;
}

/* @a's flow, locked, if it is alive; BH disabled */
static struct tm_flow *tm_alias_flow(struct tm_table *t,
				     const struct tm_alias *a, int *side)
{
	struct tm_pkt q;
	struct tm_flow *f;

	memset(&q, 0, sizeof(q));
	q.family = a->family;
	q.saddr = a->oaddr[TM_CLI];
	q.daddr = a->oaddr[TM_SVR];
	q.sport = a->oport[TM_CLI];
	q.dport = a->oport[TM_SVR];
	f = tm_lookup(t, &q, tm_hash(t, &q), side);
	if (f && f->id != a->id) {
		spin_unlock(&f->lock);
		f = NULL;
	}
	return f;
}

/**
 * tm_alias_lookup() - the flow a packet belongs to by its alias
 * @t: table
 * @p: TCP packet that matched no flow
 * @hash: tm_hash() of @p
 * @side: set to the sending side
 *
 * Context: bottom halves disabled.
 * Return: the flow with its lock held, or NULL.
 */
struct tm_flow *tm_alias_lookup(struct tm_table *t, const struct tm_pkt *p,
				u32 hash, int *side)
{
	struct tm_flow *f = NULL;
	struct tm_alias *a;

	if (!atomic_read(&t->naliases))
		return NULL;
	rcu_read_lock();
	hlist_for_each_entry_rcu(a, &t->abuckets[hash & t->amask], node) {
		int s, fs;

		if (a->hash != hash)
			continue;
		s = tm_alias_match(a, p);
		if (s < 0)
			continue;
		f = tm_alias_flow(t, a, &fs);
		if (f) {
			*side = s;
			break;
		}
	}
	rcu_read_unlock();
	return f;
}

/* The alias @a would be, in @k: @p's sender is side @s */
static void tm_alias_fill(struct tm_alias *a, const struct tm_pkt *p, int s)
{
	a->family = p->family;
	a->addr[s] = p->saddr;
	a->addr[!s] = p->daddr;
	a->port[s] = p->sport;
	a->port[!s] = p->dport;
}

static bool tm_alias_same(const struct tm_alias *a, const struct tm_alias *b)
{
	return a->family == b->family && a->id == b->id &&
	       a->port[0] == b->port[0] && a->port[1] == b->port[1] &&
	       tm_addr_eq(&a->addr[0], &b->addr[0]) &&
	       tm_addr_eq(&a->addr[1], &b->addr[1]);
}

/* Take @a out of its chain; &tm_table.alock held */
static void tm_alias_del(struct tm_table *t, struct tm_alias *a)
{
	hlist_del_init_rcu(&a->node);
	atomic_dec(&t->naliases);
	call_rcu(&a->rcu, tm_alias_free_rcu);
}

/**
 * mos_tm_alias() - give a packet's flow the 4-tuple it leaves with
 * @t: table
 * @in: the packet's headers as it came (its addresses and ports)
 * @out: the same packet's as it leaves, after a rewrite
 *
 * If @in is a tracked flow's packet and @out names it differently, @out
 * becomes the flow's alias: a packet with @out's 4-tuple, either way, is
 * tracked as the flow's, sent by the side @in's sender is when it comes
 * from @out's source.  Nothing is done when @out is the flow's own
 * 4-tuple (a packet translated back), when @in is already an alias (a
 * packet of the translated side) or when the flow has this alias
 * already.  An older flow's alias for @out is replaced.
 *
 * Context: process or softirq; takes RCU, &tm_table.alock and the flow's
 * lock with bottom halves disabled; does not sleep.
 * Return: 0; -ENOENT: @in is no tracked flow's; -EEXIST: @out is another
 * live flow's own 4-tuple; -ENOSPC: &tm_table_cfg.max_flows aliases
 * already; -ENOMEM; -EINVAL: two families.  Each error but -ENOENT is
 * counted (%TM_STAT_ALIAS_FAIL).
 */
int mos_tm_alias(struct tm_table *t, const struct tm_pkt *in,
		 const struct tm_pkt *out)
{
	struct tm_alias c, *a, *o, *stale = NULL;
	struct tm_flow *f;
	struct hlist_node *n;
	int s, fs, err = 0;
	u32 hash;

	if (in->family != out->family)
		return -EINVAL;
	local_bh_disable();
	f = tm_lookup(t, in, tm_hash(t, in), &s);
	if (!f) {
		/* A packet of the translated side: its flow has its alias */
		f = tm_alias_lookup(t, in, tm_hash(t, in), &s);
		if (f)
			spin_unlock(&f->lock);
		err = f ? 0 : -ENOENT;
		goto out;
	}
	if (tm_match(f, out) >= 0) {
		/* Translated back to the flow's own 4-tuple */
		spin_unlock(&f->lock);
		goto out;
	}
	memset(&c, 0, sizeof(c));
	tm_alias_fill(&c, out, s);
	c.oaddr[TM_CLI] = f->addr[TM_CLI];
	c.oaddr[TM_SVR] = f->addr[TM_SVR];
	c.oport[TM_CLI] = f->port[TM_CLI];
	c.oport[TM_SVR] = f->port[TM_SVR];
	c.id = f->id;
	spin_unlock(&f->lock);
	hash = tm_hash(t, out);
	c.hash = hash;

	/* Given already: each packet of the side says it again */
	rcu_read_lock();
	hlist_for_each_entry_rcu(o, &t->abuckets[hash & t->amask], node) {
		if (o->hash == hash && tm_alias_same(o, &c)) {
			rcu_read_unlock();
			goto out;
		}
	}
	rcu_read_unlock();

	/* Another live flow's own 4-tuple wins over an alias */
	f = tm_lookup(t, out, hash, &fs);
	if (f) {
		spin_unlock(&f->lock);
		err = -EEXIST;
		goto out;
	}

	spin_lock(&t->alock);
	hlist_for_each_entry_safe(o, n, &t->abuckets[hash & t->amask], node) {
		if (o->hash != hash || tm_alias_match(o, out) < 0)
			continue;
		if (tm_alias_same(o, &c)) {
			spin_unlock(&t->alock);
			goto out;
		}
		/*
		 * Stale, or an older flow's (one that lingers in TIME_WAIT
		 * while its port is given to a new connection): the last
		 * rewrite names the connection that 4-tuple is now
		 */
		stale = o;
	}
	if (!stale && (u32)atomic_read(&t->naliases) >=
		      READ_ONCE(t->cfg.max_flows)) {
		spin_unlock(&t->alock);
		err = -ENOSPC;
		goto out;
	}
	a = tm_alloc_pkt(sizeof(*a));
	if (a && !tm_charge(sizeof(*a))) {
		tm_free(a);
		a = NULL;
	}
	if (!a) {
		spin_unlock(&t->alock);
		err = -ENOMEM;
		goto out;
	}
	*a = c;
	if (stale)
		tm_alias_del(t, stale);
	hlist_add_head_rcu(&a->node, &t->abuckets[hash & t->amask]);
	atomic_inc(&t->naliases);
	tm_stat_inc(t, TM_STAT_ALIASES);
	spin_unlock(&t->alock);
out:
	if (err && err != -ENOENT)
		tm_stat_inc(t, TM_STAT_ALIAS_FAIL);
	local_bh_enable();
	return err;
}

/**
 * tm_alias_sweep() - free the aliases of flows that are gone
 * @t: table
 * @budget: chains to visit (the sweep resumes there next time)
 *
 * Context: process or softirq; takes bottom-half-safe locks.
 */
void tm_alias_sweep(struct tm_table *t, unsigned int budget)
{
	struct hlist_node *n;
	struct tm_alias *a;
	struct tm_flow *f;
	int s;

	if (!atomic_read(&t->naliases))
		return;
	budget = min(budget, t->amask + 1);
	spin_lock_bh(&t->alock);
	while (budget--) {
		hlist_for_each_entry_safe(a, n, &t->abuckets[t->agc_next],
					  node) {
			f = tm_alias_flow(t, a, &s);
			if (f)
				spin_unlock(&f->lock);
			else
				tm_alias_del(t, a);
		}
		t->agc_next = (t->agc_next + 1) & t->amask;
	}
	spin_unlock_bh(&t->alock);
}

/**
 * tm_alias_free_all() - free every alias of a table being freed
 * @t: table; no reader left
 */
void tm_alias_free_all(struct tm_table *t)
{
	struct hlist_node *n;
	struct tm_alias *a;
	u32 i;

	for (i = 0; i <= t->amask; i++) {
		hlist_for_each_entry_safe(a, n, &t->abuckets[i], node) {
			hlist_del_init_rcu(&a->node);
			tm_free(a);
			tm_uncharge(sizeof(*a));
		}
	}
	atomic_set(&t->naliases, 0);
}
