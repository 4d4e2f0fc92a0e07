// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - the flow table: keys, hashing, lookup, creation, expiry
 *
 * DOC: Theory of Operation
 *
 * A table holds the TCP flows of one monitored namespace.  A flow is found
 * from either direction of its connection: its key is symmetric (the two
 * endpoints, address and port, sorted) and hashed with siphash under a
 * key drawn at random for each table, so that a sender who does not know
 * the key cannot aim many flows at one hash chain.
 *
 * Storage: an array of hash chains (hlist), a power of two sized from the
 * flow limit (one chain per two flows), and an array of spinlocks, each
 * guarding a stripe of chains.  Flows come from a kmem_cache, allocated
 * with GFP_NOWAIT on the packet path and counted against
 * &tm_table_cfg.max_flows.
 *
 * Locking:
 *
 * - lookup walks a chain under RCU, with no lock;
 * - a chain changes (insert, unlink) under its stripe lock;
 * - a flow's state changes under its own lock, &tm_flow.lock: the two
 *   directions of a connection can arrive on two CPUs at once;
 * - lock order: stripe lock, then flow lock.  The packet path holds a flow
 *   lock and never takes a stripe lock under it: a flow that closes is
 *   marked %TM_FF_DEAD under its lock, and unlinked after the lock is
 *   dropped.  Whoever unlinks a flow (packet path, expiry, flush) frees
 *   it, after an RCU grace period; a reader that finds a flow marked dead
 *   once it holds its lock treats it as absent.
 * - the packet path runs with bottom halves disabled (softirq, or the
 *   caller's local_bh_disable()); expiry and flush run in process context
 *   and take stripe locks with spin_lock_bh().
 *
 * Expiry: each flow's deadline follows from its two sides' states
 * (tm_track_deadline()).  mos_tm_expire() visits a bounded number of
 * chains per call, resuming where the last call stopped, so a timer or a
 * worker sweeps the table in slices and nothing on the packet path scans.
 *
 * Limits: &tm_table_cfg.max_flows flows.  A SYN that finds the table full
 * first evicts a flow that never completed its handshake (tm_evict(): the
 * least recently active such flow of the first of %TM_EVICT_CHAINS
 * non-empty chains, from the SYN's own, that has one), so a SYN flood
 * cannot keep established connections from being tracked, nor new ones
 * for long.  When there is none, the SYN is counted (%TM_STAT_FLOW_LIMIT)
 * and raises %TM_ERR_FLOW_LIMIT, and its connection is not tracked: its
 * packets are orphans.
 *
 * In userspace (libtcpmon.a) the table is used by one thread: tm_port.h
 * makes the locks and RCU no-ops.
 */

#include "tm_int.h"

/*
 * Per-flow memory, both sides included, buffered bytes excluded: at most
 * 256 bytes (192 on x86_64) where spinlock_t is four bytes, that is
 * without lock debugging (the kernel's production configuration) and in
 * userspace.
 */
#if !defined(CONFIG_DEBUG_SPINLOCK) && !defined(CONFIG_DEBUG_LOCK_ALLOC)
static_assert(sizeof(struct tm_flow) <= 256, "per-flow memory budget");
#endif

static const u32 tm_def_timeout[TM_NSTATES] = {
	[TM_CLOSED]		= 10,
	[TM_LISTEN]		= 120,
	[TM_SYN_SENT]		= 120,
	[TM_SYN_RCVD]		= 60,
	[TM_ESTABLISHED]	= 5 * 24 * 3600,
	[TM_FIN_WAIT_1]		= 120,
	[TM_FIN_WAIT_2]		= 120,
	[TM_CLOSE_WAIT]		= 60,
	[TM_CLOSING]		= 120,
	[TM_LAST_ACK]		= 30,
	[TM_TIME_WAIT]		= 120,
};

static const char * const tm_state_names[TM_NSTATES] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT",
};

static const char * const tm_event_names[TM_EV_MAX] = {
	"PKT_IN", "PKT_OUT", "CONN_START", "CONN_SETUP", "NEW_DATA", "ERROR",
	"TIMEOUT", "STATE_CHANGE", "ORPHAN", "REXMIT", "CONN_END",
};

static const char * const tm_err_names[TM_ERR_MAX] = {
	"none", "flow_limit", "nomem", "buf_side", "buf_total", "gap", "oow",
	"csum", "overlap_diff", "rst_inwin", "rst_oow", "mem_limit",
};

static_assert(ARRAY_SIZE(tm_state_names) == TM_NSTATES, "state names");
static_assert(ARRAY_SIZE(tm_event_names) == TM_EV_MAX, "event names");
static_assert(ARRAY_SIZE(tm_err_names) == TM_ERR_MAX, "error names");

/**
 * mos_tm_state_name() - name of a TCP state
 * @state: &enum tm_state
 *
 * Return: "ESTABLISHED" and so on, "?" when out of range.
 */
const char *mos_tm_state_name(unsigned int state)
{
	return state < TM_NSTATES ? tm_state_names[state] : "?";
}

/**
 * mos_tm_event_name() - name of an event
 * @ev: &enum tm_event
 *
 * Return: "CONN_START" and so on, "?" when out of range.
 */
const char *mos_tm_event_name(unsigned int ev)
{
	return ev < TM_EV_MAX ? tm_event_names[ev] : "?";
}

/**
 * mos_tm_err_name() - name of an error code
 * @err: &enum tm_err
 *
 * Return: "gap" and so on, "?" when out of range.
 */
const char *mos_tm_err_name(unsigned int err)
{
	return err < TM_ERR_MAX ? tm_err_names[err] : "?";
}

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

#ifdef __KERNEL__
/*
 * In the kernel all tables share one cache (a cache per table would put
 * one sysfs name per namespace under /sys/kernel/slab); they carry no
 * private area.  The userspace build makes a cache per table.
 */
static struct kmem_cache *tm_flow_cache;
static u32 tm_flow_priv_size;

/**
 * mos_tm_init() - create the flow cache
 * @priv_size: the largest &tm_table_cfg.priv_size tables will ask for
 *
 * Context: module load.
 * Return: 0 or -ENOMEM.
 */
int mos_tm_init(u32 priv_size)
{
	tm_flow_priv_size = priv_size;
	tm_flow_cache = kmem_cache_create("mos_flow",
					  sizeof(struct tm_flow) + priv_size,
					  0, 0, NULL);
	return tm_flow_cache ? 0 : -ENOMEM;
}

/**
 * mos_tm_exit() - destroy the flow cache, once every table is freed
 *
 * Context: module unload.
 */
void mos_tm_exit(void)
{
	rcu_barrier();
	kmem_cache_destroy(tm_flow_cache);
}

static struct kmem_cache *tm_cache_get(u32 priv_size)
{
	return priv_size <= tm_flow_priv_size ? tm_flow_cache : NULL;
}

static void tm_cache_put(struct kmem_cache *c)
{
}
#else
int mos_tm_init(u32 priv_size)
{
	(void)priv_size;
	return 0;
}

void mos_tm_exit(void)
{
}

static struct kmem_cache *tm_cache_get(u32 priv_size)
{
	return kmem_cache_create("mos_flow", sizeof(struct tm_flow) + priv_size,
				 0, 0, NULL);
}

static void tm_cache_put(struct kmem_cache *c)
{
	kmem_cache_destroy(c);
}
#endif

/**
 * mos_tm_cfg_defaults() - give the zero fields of a configuration their
 * defaults
 * @cfg: the configuration
 */
void mos_tm_cfg_defaults(struct tm_table_cfg *cfg)
{
	unsigned int i;

	if (!cfg->max_flows)
		cfg->max_flows = TM_DEF_MAX_FLOWS;
	if (!cfg->buf_side)
		cfg->buf_side = TM_DEF_BUF_SIDE;
	if (!cfg->buf_total)
		cfg->buf_total = TM_DEF_BUF_TOTAL;
	if (!cfg->timeout_rst)
		cfg->timeout_rst = TM_DEF_TIMEOUT_RST;
	for (i = 0; i < TM_NSTATES; i++)
		if (!cfg->timeout[i])
			cfg->timeout[i] = tm_def_timeout[i];
	if (cfg->overlap > TM_OVERLAP_LAST)
		cfg->overlap = TM_OVERLAP_FIRST;
}

/**
 * mos_tm_set_limits() - change the limits of a live table
 * @t: table
 * @cfg: new limits; zero fields take their defaults.  Only @max_flows,
 *	@buf_side, @buf_total, @timeout, @timeout_rst, @midstream and
 *	@overlap (for flows created from now on) are taken.
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
	WRITE_ONCE(t->cfg.timeout_rst, c.timeout_rst);
	for (i = 0; i < TM_NSTATES; i++)
		WRITE_ONCE(t->cfg.timeout[i], c.timeout[i]);
	WRITE_ONCE(t->cfg.midstream, c.midstream);
	WRITE_ONCE(t->cfg.overlap, c.overlap);
}

/**
 * mos_tm_table_new() - create a flow table
 * @cfg: limits and policies; zero fields take their defaults
 * @ops: callbacks, kept by reference
 * @priv: their argument
 *
 * Context: process, may sleep.
 * Return: the table, or NULL when memory is short.
 */
struct tm_table *mos_tm_table_new(const struct tm_table_cfg *cfg,
				  const struct tm_ops *ops, void *priv)
{
	struct tm_table *t;
	u32 n, i;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->cfg = *cfg;
	mos_tm_cfg_defaults(&t->cfg);

	n = t->cfg.buckets;
	if (!n || (n & (n - 1))) {
		/* One chain per two flows, a power of two, 2^8 to 2^20. */
		for (n = 256; n < t->cfg.max_flows / 2 && n < (1U << 20); n <<= 1)
			;
	}
	t->cfg.buckets = n;
	t->mask = n - 1;
	t->lock_mask = min_t(u32, n, 1024) - 1;
	t->ops = ops;
	t->priv = priv;
	get_random_bytes(&t->key, sizeof(t->key));
	atomic_set(&t->nflows, 0);
	atomic_long_set(&t->ooo_bytes, 0);
	atomic64_set(&t->next_id, 0);

	t->buckets = kvcalloc(n, sizeof(*t->buckets), GFP_KERNEL_ACCOUNT);
	t->locks = kvcalloc(t->lock_mask + 1, sizeof(*t->locks), GFP_KERNEL);
	t->stats = alloc_percpu(struct tm_pcpu);
	t->cache = tm_cache_get(t->cfg.priv_size);
	if (!t->buckets || !t->locks || !t->stats || !t->cache)
		goto err;
	for (i = 0; i <= t->lock_mask; i++)
		spin_lock_init(&t->locks[i]);
	return t;

err:
	if (t->cache)
		tm_cache_put(t->cache);
	free_percpu(t->stats);
	kvfree(t->locks);
	kvfree(t->buckets);
	kfree(t);
	return NULL;
}

/* Bytes a flow takes: the tracker's, then its user's */
static u32 tm_flow_size(const struct tm_table *t)
{
	return sizeof(struct tm_flow) + t->cfg.priv_size;
}

static void tm_flow_free_rcu(struct rcu_head *head)
{
	struct tm_flow *f = container_of(head, struct tm_flow, rcu);
	struct tm_table *t = f->table;

	kmem_cache_free(t->cache, f);
	tm_uncharge(tm_flow_size(t));
}

/*
 * Give back the place of a dead flow just taken out of its chain, count
 * it ended and free it after a grace period (RCU readers may hold it).
 */
static void tm_flow_release(struct tm_table *t, struct tm_flow *f)
{
	atomic_dec(&t->nflows);
	tm_stat_inc(t, TM_STAT_FLOWS_ENDED);
	call_rcu(&f->rcu, tm_flow_free_rcu);
}

/**
 * tm_flow_unlink() - take a dead flow out of its chain and free it
 * @t: table
 * @f: flow, marked %TM_FF_DEAD, its store already freed
 *
 * Whoever finds the flow still linked frees it; a second caller (expiry
 * racing the packet path) finds it unlinked and does nothing.
 *
 * Context: flow lock not held; stripe lock not held.
 */
static void tm_flow_unlink(struct tm_table *t, struct tm_flow *f)
{
	spinlock_t *lock = &t->locks[f->hash & t->lock_mask];
	bool unlinked = false;

	spin_lock_bh(lock);
	if (!hlist_unhashed(&f->node)) {
		hlist_del_init_rcu(&f->node);
		unlinked = true;
	}
	spin_unlock_bh(lock);
	if (unlinked)
		tm_flow_release(t, f);
}

/**
 * tm_flow_kill() - mark a flow dead and release its stores
 * @t: table
 * @f: flow, locked
 */
static void tm_flow_kill(struct tm_table *t, struct tm_flow *f)
{
	lockdep_assert_held(&f->lock);
	if (!(f->flags & (TM_FF_DEAD | TM_FF_QUIET)) && t->ops->flow)
		t->ops->flow(t->priv, f, NULL, NULL);
	f->flags |= TM_FF_DEAD;
	tm_reasm_free(t, &f->half[TM_CLI]);
	tm_reasm_free(t, &f->half[TM_SVR]);
}

/**
 * mos_tm_table_free() - free a table and every flow in it, silently
 * @t: table; no packet may be in mos_tm_input() on it any more
 *
 * Context: process, may sleep.
 */
void mos_tm_table_free(struct tm_table *t)
{
	struct hlist_node *n;
	struct tm_flow *f;
	u32 i;

	if (!t)
		return;
	for (i = 0; i <= t->mask; i++) {
		hlist_for_each_entry_safe(f, n, &t->buckets[i], node) {
			hlist_del_init_rcu(&f->node);
			tm_reasm_free(t, &f->half[TM_CLI]);
			tm_reasm_free(t, &f->half[TM_SVR]);
			call_rcu(&f->rcu, tm_flow_free_rcu);
		}
		cond_resched();
	}
#ifdef __KERNEL__
	rcu_barrier();
#endif
	tm_cache_put(t->cache);
	free_percpu(t->stats);
	kvfree(t->locks);
	kvfree(t->buckets);
	kfree(t);
}

/**
 * tm_hash() - symmetric hash of a packet's endpoints
 * @t: table, for its key
 * @p: TCP packet
 *
 * The two endpoints are put in a fixed order (the lower address, or port,
 * first), so both directions hash alike.  IPv4 hashes 12 bytes, IPv6 36:
 * the lengths differ, so the two families never share an input.
 *
 * Return: the same value for both directions of a connection.
 */
static u32 tm_hash(const struct tm_table *t, const struct tm_pkt *p)
{
	struct {
		union tm_addr a[2];
		u16 port[2];
	} k;
	const union tm_addr *lo = &p->saddr, *hi = &p->daddr;
	u16 plo = (__force u16)p->sport, phi = (__force u16)p->dport;
	int c;

	if (p->family == 4) {
		u32 a = (__force u32)p->saddr.a4, b = (__force u32)p->daddr.a4;

		if (a > b || (a == b && plo > phi)) {
			swap(a, b);
			swap(plo, phi);
		}
		return (u32)siphash_3u32(a, b, (u32)plo << 16 | phi, &t->key);
	}

	c = memcmp(lo, hi, sizeof(*lo));
	if (c > 0 || (c == 0 && plo > phi)) {
		swap(lo, hi);
		swap(plo, phi);
	}
	k.a[0] = *lo;
	k.a[1] = *hi;
	k.port[0] = plo;
	k.port[1] = phi;
	return (u32)siphash(&k, sizeof(k), &t->key);
}

static bool tm_addr_eq(const union tm_addr *a, const union tm_addr *b)
{
	return !((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) |
		 (a->w[2] ^ b->w[2]) | (a->w[3] ^ b->w[3]));
}

/**
 * tm_match() - does @f carry @p, and from which side?
 * @f: flow
 * @p: TCP packet
 *
 * Return: the sending side, or -1.
 */
static int tm_match(const struct tm_flow *f, const struct tm_pkt *p)
{
	if (f->family != p->family)
		return -1;
	if (p->family == 4) {
		__be32 a = p->saddr.a4, b = p->daddr.a4;

		if (f->port[TM_CLI] == p->sport && f->port[TM_SVR] == p->dport &&
		    f->addr[TM_CLI].a4 == a && f->addr[TM_SVR].a4 == b)
			return TM_CLI;
		if (f->port[TM_SVR] == p->sport && f->port[TM_CLI] == p->dport &&
		    f->addr[TM_SVR].a4 == a && f->addr[TM_CLI].a4 == b)
			return TM_SVR;
		return -1;
	}
	if (f->port[TM_CLI] == p->sport && f->port[TM_SVR] == p->dport &&
	    tm_addr_eq(&f->addr[TM_CLI], &p->saddr) &&
	    tm_addr_eq(&f->addr[TM_SVR], &p->daddr))
		return TM_CLI;
	if (f->port[TM_SVR] == p->sport && f->port[TM_CLI] == p->dport &&
	    tm_addr_eq(&f->addr[TM_SVR], &p->saddr) &&
	    tm_addr_eq(&f->addr[TM_CLI], &p->daddr))
		return TM_SVR;
	return -1;
}

/**
 * tm_lookup() - find the live flow of a packet, locked
 * @t: table
 * @p: TCP packet
 * @hash: tm_hash() of @p
 * @side: set to the sending side
 *
 * Context: bottom halves disabled.
 * Return: the flow with its lock held, or NULL.
 */
static struct tm_flow *tm_lookup(struct tm_table *t, const struct tm_pkt *p,
				 u32 hash, int *side)
{
	struct tm_flow *f;

	rcu_read_lock();
	hlist_for_each_entry_rcu(f, &t->buckets[hash & t->mask], node) {
		int s;

		if (f->hash != hash)
			continue;
		s = tm_match(f, p);
		if (s < 0)
			continue;
		spin_lock(&f->lock);
		if (f->flags & TM_FF_DEAD) {
			/* A closing flow: a newer one may follow it. */
			spin_unlock(&f->lock);
			continue;
		}
		rcu_read_unlock();
		*side = s;
		return f;
	}
	rcu_read_unlock();
	return NULL;
}

/*
 * A SYN at the flow limit looks into this many non-empty chains for a flow
 * to evict, among at most TM_EVICT_SCAN chains: a table sized for more
 * flows than its limit (max-flows lowered) is sparse, and empty chains
 * are passed over without their lock.
 */
#define TM_EVICT_CHAINS	16
#define TM_EVICT_SCAN	4096

/* A flow whose handshake never completed, and that nothing else holds */
static bool tm_evictable(const struct tm_flow *f)
{
	return !(f->flags & (TM_FF_DEAD | TM_FF_MIDSTREAM | TM_FF_RESET)) &&
	       f->half[TM_CLI].state <= TM_SYN_RCVD &&
	       f->half[TM_SVR].state <= TM_SYN_RCVD;
}

/**
 * tm_evict() - end a flow that never completed its handshake
 * @t: table, at its flow limit
 * @hash: the hash of the SYN that needs room
 *
 * Looks into the SYN's chain and those after it, %TM_EVICT_CHAINS
 * non-empty ones at most among %TM_EVICT_SCAN, and ends the least
 * recently active evictable flow of the first that has one: its open
 * sides get CONN_END with %TM_END_EVICT, its stores are delivered, and it
 * is freed after a grace period.  Bounded, and not aimable: the hash key
 * is secret.
 *
 * Context: bottom halves disabled; no flow lock and no stripe lock held.
 * Return: true if a flow was ended (its place in &tm_table.nflows freed).
 */
static bool tm_evict(struct tm_table *t, u32 hash)
{
	u32 i, c, seen = 0, scan = min_t(u32, TM_EVICT_SCAN, t->mask + 1);
	struct tm_flow *f, *victim;
	spinlock_t *lock;	/* the stripe lock of chain @c */

	for (i = 0; i < scan && seen < TM_EVICT_CHAINS; i++) {
		c = (hash + i) & t->mask;
		if (hlist_empty(&t->buckets[c]))
			continue;
		seen++;
		lock = &t->locks[c & t->lock_mask];
		victim = NULL;
		spin_lock(lock);
		hlist_for_each_entry_rcu(f, &t->buckets[c], node) {
			if (tm_evictable(f) &&
			    (!victim || READ_ONCE(f->last) < READ_ONCE(victim->last)))
				victim = f;
		}
		if (victim) {
			spin_lock(&victim->lock);
			/* The packet path may have moved it on meanwhile */
			if (!tm_evictable(victim)) {
				spin_unlock(&victim->lock);
				spin_unlock(lock);
				continue;
			}
			tm_track_end(t, victim, TM_END_EVICT);
			tm_flow_kill(t, victim);
			spin_unlock(&victim->lock);
			hlist_del_init_rcu(&victim->node);
			spin_unlock(lock);
			tm_stat_inc(t, TM_STAT_FLOWS_EVICTED);
			tm_flow_release(t, victim);
			return true;
		}
		spin_unlock(lock);
	}
	return false;
}

/* Take a place in the table's flow count, evicting for it if full */
static bool tm_flow_slot(struct tm_table *t, u32 hash)
{
	int max = (int)READ_ONCE(t->cfg.max_flows);

	if (atomic_inc_return(&t->nflows) <= max)
		return true;
	atomic_dec(&t->nflows);
	if (!tm_evict(t, hash))
		return false;
	/* Another CPU may have taken the place meanwhile */
	if (atomic_inc_return(&t->nflows) <= max)
		return true;
	atomic_dec(&t->nflows);
	return false;
}

/**
 * tm_flow_new() - create and insert the flow of a packet, locked
 * @t: table
 * @src: the packet that opens it, for the events it may raise
 * @p: its headers
 * @hash: tm_hash() of @p
 * @client: which end of @p is the client: %TM_CLI for its sender
 * @now: time, ns
 * @act: &enum tm_action, not %TM_ACT_RESET
 * @rule: the rule that chose @act
 *
 * Context: bottom halves disabled.
 * Return: the new flow with its lock held, or NULL (limit, memory, or a
 * flow for the same connection inserted meanwhile by another CPU).
 */
static struct tm_flow *tm_flow_new(struct tm_table *t, const struct tm_src *src,
				   const struct tm_pkt *p, u32 hash, int client,
				   u64 now, unsigned int act, u32 rule)
{
	static const u8 act_flags[] = {
		[TM_ACT_IGNORE] = TM_FF_QUIET,
		[TM_ACT_DROP] = TM_FF_QUIET | TM_FF_DROP,
	};
	static const u8 act_stat[] = {
		[TM_ACT_MONITOR] = TM_STAT_FLOWS,
		[TM_ACT_IGNORE] = TM_STAT_FLOWS_IGNORED,
		[TM_ACT_DROP] = TM_STAT_FLOWS_DROPPED,
	};
	spinlock_t *lock = &t->locks[hash & t->lock_mask];
	struct tm_flow *f, *o;

	if (!tm_flow_slot(t, hash)) {
		tm_stat_inc(t, TM_STAT_FLOW_LIMIT);
		tm_error(t, NULL, 0, TM_ERR_FLOW_LIMIT, 0, 0, src, p);
		return NULL;
	}
	if (!tm_charge(tm_flow_size(t))) {
		atomic_dec(&t->nflows);
		tm_stat_inc(t, TM_STAT_MEM_LIMIT);
		tm_error(t, NULL, 0, TM_ERR_MEM_LIMIT, 0, 0, src, p);
		return NULL;
	}
	f = tm_alloc_flow(t->cache);
	if (!f) {
		tm_uncharge(tm_flow_size(t));
		atomic_dec(&t->nflows);
		tm_stat_inc(t, TM_STAT_NOMEM);
		tm_error(t, NULL, 0, TM_ERR_NOMEM, 0, 0, src, p);
		return NULL;
	}

	spin_lock_init(&f->lock);
	f->table = t;
	f->family = p->family;
	f->hash = hash;
	if (client == TM_CLI) {
		f->addr[TM_CLI] = p->saddr;
		f->addr[TM_SVR] = p->daddr;
		f->port[TM_CLI] = p->sport;
		f->port[TM_SVR] = p->dport;
	} else {
		f->addr[TM_CLI] = p->daddr;
		f->addr[TM_SVR] = p->saddr;
		f->port[TM_CLI] = p->dport;
		f->port[TM_SVR] = p->sport;
	}
	if (READ_ONCE(t->cfg.overlap) == TM_OVERLAP_LAST) {
		f->half[TM_CLI].flags |= TM_HF_OVERLAP_LAST;
		f->half[TM_SVR].flags |= TM_HF_OVERLAP_LAST;
	}
	f->flags |= act_flags[act];
	f->rule = rule;
	f->created = now;
	f->last = now;
	f->id = atomic64_inc_return(&t->next_id);

	spin_lock(lock);
	hlist_for_each_entry_rcu(o, &t->buckets[hash & t->mask], node) {
		if (o->hash == hash && tm_match(o, p) >= 0 &&
		    !(READ_ONCE(o->flags) & TM_FF_DEAD)) {
			spin_unlock(lock);
			atomic_dec(&t->nflows);
			kmem_cache_free(t->cache, f);
			tm_uncharge(tm_flow_size(t));
			return NULL;
		}
	}
	spin_lock(&f->lock);
	hlist_add_head_rcu(&f->node, &t->buckets[hash & t->mask]);
	spin_unlock(lock);
	tm_stat_inc(t, act_stat[act]);
	return f;
}

static void tm_orphan(struct tm_table *t, const struct tm_src *src,
		      const struct tm_pkt *p)
{
	tm_stat_inc(t, TM_STAT_ORPHANS);
	tm_emit(t, NULL, TM_EV_ORPHAN, TM_HK_NULL, 0, src, p);
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
 * store is dropped untracked (tm_reasm_fits()).
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
	struct tm_flow *f;
	bool dead;
	u32 hash;
	int s;

	if (res != TM_PKT_TCP) {
		if (res == TM_PKT_OTHER)
			tm_orphan(t, src, p);
		return TM_VERDICT_PASS;
	}

	hash = tm_hash(t, p);
	f = tm_lookup(t, p, hash, &s);

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
		if (f)
			spin_unlock(&f->lock);
		return TM_VERDICT_PASS;
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
			   !(fl & (TM_TCPF_RST | TM_TCPF_SYN)) &&
			   (fl & TM_TCPF_ACK)) {
			s = tm_midstream_client(p);
			mid = true;
		} else {
			tm_orphan(t, src, p);
			return TM_VERDICT_PASS;
		}
		if (t->ops->classify) {
			act = t->ops->classify(t->priv, src, p, &rule);
			if (act == TM_ACT_RESET)
				return TM_VERDICT_RESET;
			if (act > TM_ACT_DROP)
				act = TM_ACT_MONITOR;
		}
		f = tm_flow_new(t, src, p, hash, s, now, act, rule);
		if (!f) {
			/* Lost a race to another CPU: take its flow. */
			f = tm_lookup(t, p, hash, &s);
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
			if (t->ops->flow && !(f->flags & TM_FF_QUIET))
				t->ops->flow(t->priv, f, src, p);
		}
		if (f->flags & TM_FF_DROP) {
			spin_unlock(&f->lock);
			tm_stat_inc(t, TM_STAT_DROPPED);
			return TM_VERDICT_DROP;
		}
	}

	if ((flags & TM_IN_LOSSLESS) && !tm_reasm_fits(t, f, !s, p)) {
		/* Its sender sends it again once the hole is filled. */
		spin_unlock(&f->lock);
		tm_stat_inc(t, TM_STAT_STORE_FULL);
		return TM_VERDICT_DROP;
	}

	tm_track(t, f, s, src, p, now);
	dead = tm_track_closed(f);
	if (dead)
		tm_flow_kill(t, f);
	spin_unlock(&f->lock);
	if (dead)
		tm_flow_unlink(t, f);
	return TM_VERDICT_PASS;
}

/**
 * tm_expire_chain() - end the flows of one chain whose deadline passed
 * @t: table
 * @i: chain
 * @now: time, ns
 * @all: end every flow (flush), not only the expired
 *
 * Return: flows ended.
 */
static unsigned int tm_expire_chain(struct tm_table *t, u32 i, u64 now,
				    bool all)
{
	spinlock_t *lock = &t->locks[i & t->lock_mask];
	struct hlist_node *n;
	struct tm_flow *f;
	unsigned int ended = 0;

	spin_lock_bh(lock);
	hlist_for_each_entry_safe(f, n, &t->buckets[i], node) {
		spin_lock(&f->lock);
		if (f->flags & TM_FF_DEAD) {
			/* Closed by the packet path, not yet unlinked */
		} else if (all) {
			tm_track_end(t, f, TM_END_FLUSH);
		} else if (now >= tm_track_deadline(t, f)) {
			tm_track_end(t, f, TM_END_TIMEOUT);
		} else {
			spin_unlock(&f->lock);
			continue;
		}
		tm_flow_kill(t, f);
		spin_unlock(&f->lock);
		hlist_del_init_rcu(&f->node);
		tm_flow_release(t, f);
		ended++;
	}
	spin_unlock_bh(lock);
	return ended;
}

/**
 * mos_tm_expire() - end flows that idled out
 * @t: table
 * @now: time, ns, on the clock mos_tm_input() is given
 * @budget: chains to visit at most (the sweep resumes there next time)
 *
 * Each flow that idled out raises %TM_EV_TIMEOUT, unless both its sides
 * were closing anyway (TIME_WAIT, CLOSED), then %TM_EV_CONN_END for each
 * side still open, and is freed.
 *
 * Context: process or softirq; takes bottom-half-safe locks.
 * Return: flows ended.
 */
unsigned int mos_tm_expire(struct tm_table *t, u64 now, unsigned int budget)
{
	unsigned int ended = 0;

	budget = min(budget, t->mask + 1);
	while (budget--) {
		ended += tm_expire_chain(t, t->gc_next, now, false);
		t->gc_next = (t->gc_next + 1) & t->mask;
	}
	return ended;
}

/**
 * mos_tm_flush() - end every flow, with its CONN_END events
 * @t: table
 *
 * Context: process; takes bottom-half-safe locks.
 */
void mos_tm_flush(struct tm_table *t)
{
	u32 i;

	for (i = 0; i <= t->mask; i++) {
		tm_expire_chain(t, i, 0, true);
		cond_resched();
	}
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
	struct tm_pkt p = {
		.family = k->family,
		.saddr = k->addr[TM_CLI],
		.daddr = k->addr[TM_SVR],
		.sport = k->port[TM_CLI],
		.dport = k->port[TM_SVR],
	};
	struct tm_flow *f;
	int ret = -ENOENT, side;

	if (k->family != 4 && k->family != 6)
		return -ENOENT;
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

/* tm_overlap_one()'s argument: the sides' bits, and this for LAST */
#define TM_OVL_SET_LAST		0x4

static int tm_overlap_one(struct tm_flow *f, void *arg)
{
	unsigned int a = *(unsigned int *)arg, side;

	if (f->flags & TM_FF_QUIET)
		return -ENOENT;
	for (side = TM_CLI; side <= TM_SVR; side++) {
		if (!(a & (1U << side)))
			continue;
		if (a & TM_OVL_SET_LAST)
			f->half[side].flags |= TM_HF_OVERLAP_LAST;
		else
			f->half[side].flags &= ~TM_HF_OVERLAP_LAST;
	}
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

	if (!sides || sides & ~((1U << TM_CLI) | (1U << TM_SVR)) ||
	    policy > TM_OVERLAP_LAST)
		return -EINVAL;
	if (policy == TM_OVERLAP_LAST)
		a |= TM_OVL_SET_LAST;
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
 * Context: process or softirq; takes RCU and the flow's lock.
 * Return: 0, or -ENOENT if no such flow is tracked.
 */
int mos_tm_reset(struct tm_table *t, u64 id, const struct tm_key *k,
		 u64 now, struct tm_reset *r)
{
	struct tm_reset_arg a = { .id = id, .now = now, .r = r };
	u32 bucket = 0, skip = 0;
	int ret;

	if (k)
		return mos_tm_find(t, k, id, tm_reset_one, &a) < 0 ? -ENOENT : 0;
	ret = mos_tm_walk(t, &bucket, &skip, tm_reset_one, &a);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ENOENT;
}
