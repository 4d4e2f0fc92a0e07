// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - the flow table: its life, the flows' allocation, insertion,
 * eviction, unlinking and expiry, and the memory limit of all tables
 *
 * DOC: Theory of Operation
 *
 * A table holds the TCP flows of one monitored namespace.  A flow is found
 * from either direction of its connection: its key is symmetric (the two
 * endpoints, address and port, sorted) and hashed with hsiphash (the
 * kernel's hash for hash tables, SipHash-1-3 on 64-bit) under a key
 * drawn at random for each table, so that a sender who does not know the
 * key cannot aim many flows at one hash chain.
 *
 * Hashing and lookup are inline in tm_int.h (the packet path, input.c,
 * and the control operations, ctl.c, use them too).
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
 * Limits: &tm_table_cfg.max_flows flows.  A new flow (a SYN, or a packet
 * picked up mid-stream) that finds the table full first evicts one
 * (tm_evict()), chosen among a bounded set of candidates near its own
 * chain: the least recently active flow that never completed its
 * handshake or was picked up mid-stream and heard from one end only,
 * else the least recently active flow idle for %TM_EVICT_IDLE seconds at
 * least.  So neither a
 * flood of spoofed SYNs nor one of spoofed ACKs can hold the table
 * against new connections, nor push out a connection heard from both
 * ends within %TM_EVICT_IDLE seconds.  When no candidate may go, the new
 * flow is counted (%TM_STAT_FLOW_LIMIT) and raises %TM_ERR_FLOW_LIMIT,
 * and its connection is not tracked: its packets are orphans.
 *
 * Memory: each flow and out-of-order piece is also counted against one
 * limit of all tables together (tm_charge(), mos_tm_set_mem_limit()).
 *
 * In userspace (libtcpmon.a) the table is used by one thread: tm_port.h
 * makes the locks and RCU no-ops.
 */

#include "tm_int.h"

/*
 * Per-flow memory, both sides included, buffered bytes excluded: at most
 * 320 bytes where spinlock_t is four bytes, that is without lock
 * debugging (the kernel's production configuration) and in userspace.
 */
#if !defined(CONFIG_DEBUG_SPINLOCK) && !defined(CONFIG_DEBUG_LOCK_ALLOC)
static_assert(sizeof(struct tm_flow) <= 320, "per-flow memory budget");
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

/*
 * The flows' cache.  In the kernel all tables share one, made at module
 * load (a cache per table would put one sysfs name per namespace under
 * /sys/kernel/slab), with room for the largest private area announced
 * then.  The userspace build (%TM_PORT_SHARED_CACHE false) makes one per
 * table, and its users need not call mos_tm_init().
 */
static struct kmem_cache *tm_flow_cache;
static u32 tm_flow_priv_size;

/*
 * The memory limit of all tables together (tm_charge()), and what they
 * hold against it: flows and out-of-order pieces.
 */
static unsigned long tm_mem_limit = ULONG_MAX;
static atomic_long_t tm_mem_used = ATOMIC_LONG_INIT(0);

/**
 * mos_tm_init() - create the flow cache
 * @priv_size: the largest &tm_table_cfg.priv_size tables will ask for
 *
 * Context: module load.
 * Return: 0 or -ENOMEM.
 */
int mos_tm_init(u32 priv_size)
{
	if (!TM_PORT_SHARED_CACHE)
		return 0;
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
	if (TM_PORT_SHARED_CACHE) {
		rcu_barrier();
		kmem_cache_destroy(tm_flow_cache);
	}
	WARN_ON(atomic_long_read(&tm_mem_used));
}

static struct kmem_cache *tm_cache_get(u32 priv_size)
{
	if (!TM_PORT_SHARED_CACHE)
		return kmem_cache_create("mos_flow",
					 sizeof(struct tm_flow) + priv_size,
					 0, 0, NULL);
	return priv_size <= tm_flow_priv_size ? tm_flow_cache : NULL;
}

static void tm_cache_put(struct kmem_cache *c)
{
	if (!TM_PORT_SHARED_CACHE)
		kmem_cache_destroy(c);
}

/**
 * mos_tm_set_mem_limit() - bound the memory of all tables together
 * @bytes: bytes of flows and out-of-order pieces at most; %ULONG_MAX, the
 *	value at start, for no bound
 *
 * Every table has its own limits (flows, buffered bytes); this one bounds
 * their sum, so that many tables (namespaces) cannot take the host's
 * memory between them.  A lower limit frees nothing: it refuses new
 * flows and pieces (%TM_STAT_MEM_LIMIT) until enough are gone.
 *
 * Context: any.
 */
void mos_tm_set_mem_limit(unsigned long bytes)
{
	WRITE_ONCE(tm_mem_limit, bytes);
}

/**
 * tm_charge() - count bytes of flows and out-of-order pieces against the
 * limit of all tables together
 * @bytes: what is about to be allocated
 *
 * Context: any; lock-free.
 * Return: false, with nothing counted, if the limit would be passed.
 */
bool tm_charge(unsigned long bytes)
{
	unsigned long max = READ_ONCE(tm_mem_limit);

	if ((unsigned long)atomic_long_add_return(bytes, &tm_mem_used) > max) {
		atomic_long_sub(bytes, &tm_mem_used);
		return false;
	}
	return true;
}

/**
 * tm_uncharge() - give back what tm_charge() counted
 * @bytes: the same size
 *
 * Context: any.
 */
void tm_uncharge(unsigned long bytes)
{
	atomic_long_sub(bytes, &tm_mem_used);
}

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
	if (!cfg->seg_side)
		cfg->seg_side = TM_DEF_SEG_SIDE;
	if (!cfg->timeout_rst)
		cfg->timeout_rst = TM_DEF_TIMEOUT_RST;
	if (!cfg->store_age_ms)
		cfg->store_age_ms = TM_DEF_STORE_AGE_MS;
	for (i = 0; i < TM_NSTATES; i++)
		if (!cfg->timeout[i])
			cfg->timeout[i] = tm_def_timeout[i];
	if (cfg->overlap > TM_OVERLAP_LINUX)
		cfg->overlap = TM_OVERLAP_LINUX;
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
	t->last = alloc_percpu(struct tm_flow *);
	t->cache = tm_cache_get(t->cfg.priv_size);
	t->amask = tm_alias_buckets(n) - 1;
	t->abuckets = kvcalloc(t->amask + 1, sizeof(*t->abuckets),
			       GFP_KERNEL_ACCOUNT);
	spin_lock_init(&t->alock);
	atomic_set(&t->naliases, 0);
	if (!t->buckets || !t->locks || !t->stats || !t->last || !t->cache ||
	    !t->abuckets)
		goto err;
	for (i = 0; i <= t->lock_mask; i++)
		spin_lock_init(&t->locks[i]);
	return t;

err:
	if (t->cache)
		tm_cache_put(t->cache);
	free_percpu(t->last);
	free_percpu(t->stats);
	kvfree(t->locks);
	kvfree(t->buckets);
	kvfree(t->abuckets);
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

/**
 * tm_flow_forget_last() - take a flow out of every CPU's last-flow slot
 * @t: table
 * @f: flow, dead and out of its chain
 *
 * Its slots were set under its lock before it died (tm_set_last()), and
 * none is set after: once cleared here, only RCU readers that read a
 * slot before may still hold it, and its grace period waits for them.
 */
static void tm_flow_forget_last(struct tm_table *t, struct tm_flow *f)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct tm_flow **slot = per_cpu_ptr(t->last, cpu);

		if (READ_ONCE(*slot) == f)
			(void)cmpxchg(slot, f, NULL);
	}
}

/*
 * Give back the place of a dead flow just taken out of its chain, count
 * it ended and free it after a grace period (RCU readers may hold it).
 */
static void tm_flow_release(struct tm_table *t, struct tm_flow *f)
{
	tm_flow_forget_last(t, f);
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
void tm_flow_unlink(struct tm_table *t, struct tm_flow *f)
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
void tm_flow_kill(struct tm_table *t, struct tm_flow *f)
{
	lockdep_assert_held(&f->lock);
	if (!(f->flags & (TM_FF_DEAD | TM_FF_QUIET)) && t->ops->flow)
		t->ops->flow(t->priv, f, NULL, NULL);
	f->flags |= TM_FF_DEAD;
	tm_store_forget(t, f);
	tm_reasm_free(t, f, TM_CLI);
	tm_reasm_free(t, f, TM_SVR);
}

/**
 * mos_tm_table_free() - free a table and every flow in it
 * @t: table; no packet may be in mos_tm_input() on it any more
 *
 * A flow's stores are delivered first, their holes reported as gaps,
 * with NEW_DATA (tm_track_drain()): no other event.  After mos_tm_flush()
 * they are empty.
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
			spin_lock_bh(&f->lock);
			tm_track_drain(t, f);
			spin_unlock_bh(&f->lock);
			tm_reasm_free(t, f, TM_CLI);
			tm_reasm_free(t, f, TM_SVR);
			call_rcu(&f->rcu, tm_flow_free_rcu);
		}
		cond_resched();
	}
	tm_alias_free_all(t);
	rcu_barrier();
	kvfree(t->abuckets);
	tm_cache_put(t->cache);
	free_percpu(t->last);
	free_percpu(t->stats);
	kvfree(t->locks);
	kvfree(t->buckets);
	kfree(t);
}

/*
 * A new flow at the flow limit looks into this many non-empty chains for
 * a flow to evict, among at most TM_EVICT_SCAN chains: a table sized for
 * more flows than its limit (max-flows lowered) is sparse, and empty
 * chains are passed over.  Of each chain it looks at TM_EVICT_CHAIN_LEN
 * flows at most.
 */
#define TM_EVICT_CHAINS		16
#define TM_EVICT_SCAN		4096
#define TM_EVICT_CHAIN_LEN	8
/* Times a new flow looks again when another CPU was quicker */
#define TM_EVICT_TRIES		3
#define TM_EVICT_IDLE_NS	((u64)TM_EVICT_IDLE * 1000000000)

/**
 * enum tm_evict_class - what a flow is to eviction at the flow limit
 * @TM_EVC_EMBRYONIC: its handshake never completed (a SYN flood's)
 * @TM_EVC_MID: picked up mid-stream and heard from one end only (what
 *	spoofed ACKs make)
 * @TM_EVC_IDLE: heard from both ends, silent for %TM_EVICT_IDLE seconds
 *	at least
 * @TM_EVC_NONE: not evictable: heard from both ends within the last
 *	%TM_EVICT_IDLE seconds, reset (mos_tm_reset()), or dead
 *
 * The first two are unconfirmed: nothing shows that two real ends are
 * talking.  They go first, the least recently active first; the idle
 * ones only when no candidate is unconfirmed.
 */
enum tm_evict_class {
	TM_EVC_EMBRYONIC,
	TM_EVC_MID,
	TM_EVC_IDLE,
	TM_EVC_NONE,
};

/* The counter of each class's evictions */
static const u8 tm_evict_stat[] = {
	[TM_EVC_EMBRYONIC]	= TM_STAT_FLOWS_EVICTED,
	[TM_EVC_MID]		= TM_STAT_FLOWS_EVICTED_MID,
	[TM_EVC_IDLE]		= TM_STAT_FLOWS_EVICTED_IDLE,
};

static_assert(ARRAY_SIZE(tm_evict_stat) == TM_EVC_NONE,
	      "a counter per class");

/* Which goes first: 0 (unconfirmed), 1 (idle), 2 (never) */
static unsigned int tm_evict_rank(unsigned int cls)
{
	return cls <= TM_EVC_MID ? 0 : cls - TM_EVC_MID;
}

/**
 * tm_evict_class() - the eviction class of a flow
 * @f: flow, locked or not: read once, the answer is checked again under
 *	the flow's lock before anything is done
 * @now: time, ns
 *
 * Return: &enum tm_evict_class.
 */
static unsigned int tm_evict_class(const struct tm_flow *f, u64 now)
{
	u8 fl = READ_ONCE(f->flags);
	u64 last;

	if (fl & (TM_FF_DEAD | TM_FF_RESET))
		return TM_EVC_NONE;
	if (!(fl & TM_FF_MIDSTREAM) &&
	    READ_ONCE(f->half[TM_CLI].state) <= TM_SYN_RCVD &&
	    READ_ONCE(f->half[TM_SVR].state) <= TM_SYN_RCVD)
		return TM_EVC_EMBRYONIC;
	if ((fl & TM_FF_MIDSTREAM) &&
	    (fl & TM_FF_HEARD_BOTH) != TM_FF_HEARD_BOTH)
		return TM_EVC_MID;
	last = READ_ONCE(f->last);
	if (now > last && now - last >= TM_EVICT_IDLE_NS)
		return TM_EVC_IDLE;
	return TM_EVC_NONE;
}

/**
 * tm_evict() - end a flow to make room for a new one
 * @t: table, at its flow limit
 * @hash: the hash of the packet that needs room
 * @now: time, ns
 *
 * The candidates are the flows of the packet's chain and those after it,
 * %TM_EVICT_CHAINS non-empty chains at most among %TM_EVICT_SCAN, and
 * %TM_EVICT_CHAIN_LEN flows at most of each: bounded work, and not
 * aimable, the hash key being secret.  The victim is the least recently
 * active unconfirmed candidate (a flow that never completed its
 * handshake, or one picked up mid-stream that only one end was heard
 * from), else the least recently active candidate idle for
 * %TM_EVICT_IDLE seconds at least.  A flow heard from both ends more
 * recently is never evicted: a flood of spoofed SYNs or ACKs cannot push
 * out a live connection, and its own flows, older than a handshake in
 * progress, go before it.
 *
 * The victim ends as a flow that idles out does, with %TM_END_EVICT: its
 * stores are delivered, their holes reported as gaps, its open sides get
 * CONN_END, and it is freed after a grace period.  Each class's evictions
 * are counted apart (%TM_STAT_FLOWS_EVICTED, %TM_STAT_FLOWS_EVICTED_MID,
 * %TM_STAT_FLOWS_EVICTED_IDLE).
 *
 * Locking: the candidates are read under RCU, with no lock; the victim's
 * stripe lock, then its lock, are taken and its class checked again: if
 * the packet path moved it on meanwhile, or another CPU's eviction took
 * it (two new flows at once find the same least recently active one), the
 * search starts again, %TM_EVICT_TRIES times at most.
 *
 * Context: bottom halves disabled; no flow lock and no stripe lock held.
 * Return: true if a flow was ended (its place in &tm_table.nflows freed).
 */
static bool tm_evict(struct tm_table *t, u32 hash, u64 now)
{
	u32 i, c, n, seen, scan = min_t(u32, TM_EVICT_SCAN, t->mask + 1);
	unsigned int cls, rank, best, tries = 0;
	struct tm_flow *f, *victim;
	spinlock_t *lock;	/* the victim's stripe lock */
	bool done = false;
	u64 vlast, last;

	rcu_read_lock();
again:
	best = tm_evict_rank(TM_EVC_NONE);
	victim = NULL;
	vlast = 0;
	seen = 0;
	for (i = 0; i < scan && seen < TM_EVICT_CHAINS; i++) {
		c = (hash + i) & t->mask;
		if (hlist_empty(&t->buckets[c]))
			continue;
		seen++;
		n = 0;
		hlist_for_each_entry_rcu(f, &t->buckets[c], node) {
			if (n++ == TM_EVICT_CHAIN_LEN)
				break;
			rank = tm_evict_rank(tm_evict_class(f, now));
			if (rank == tm_evict_rank(TM_EVC_NONE) || rank > best)
				continue;
			last = READ_ONCE(f->last);
			if (rank < best || last < vlast) {
				best = rank;
				victim = f;
				vlast = last;
			}
		}
	}
	if (!victim)
		goto out;

	lock = &t->locks[victim->hash & t->lock_mask];
	spin_lock(lock);
	spin_lock(&victim->lock);
	cls = tm_evict_class(victim, now);
	if (!hlist_unhashed(&victim->node) && tm_evict_rank(cls) <= best) {
		tm_track_end(t, victim, TM_END_EVICT);
		tm_flow_kill(t, victim);
		spin_unlock(&victim->lock);
		hlist_del_init_rcu(&victim->node);
		spin_unlock(lock);
		tm_stat_inc(t, tm_evict_stat[cls]);
		tm_flow_release(t, victim);
		done = true;
	} else {
		spin_unlock(&victim->lock);
		spin_unlock(lock);
		/* Another CPU evicted it, or its packets moved it on */
		if (++tries < TM_EVICT_TRIES)
			goto again;
	}
out:
	rcu_read_unlock();
	return done;
}

/*
 * Take a place in the table's flow count, evicting for it if full; another
 * CPU may take the place an eviction made, then evict again, a bounded
 * number of times
 */
static bool tm_flow_slot(struct tm_table *t, u32 hash, u64 now)
{
	int max = (int)READ_ONCE(t->cfg.max_flows);
	unsigned int i;

	for (i = 0; ; i++) {
		if (atomic_inc_return(&t->nflows) <= max)
			return true;
		atomic_dec(&t->nflows);
		if (i == TM_EVICT_TRIES || !tm_evict(t, hash, now))
			return false;
	}
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
struct tm_flow *tm_flow_new(struct tm_table *t, const struct tm_src *src,
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

	if (!tm_flow_slot(t, hash, now)) {
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
	f->half[TM_CLI].flags |= tm_overlap_flags(READ_ONCE(t->cfg.overlap));
	f->half[TM_SVR].flags |= f->half[TM_CLI].flags;
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
			tm_store_age(t, f, now);
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
	unsigned int ended = 0, budget_all = budget;
	u32 i = t->gc_next;

	/*
	 * Most chains of a large table are empty: they are skipped without
	 * their lock.  A flow linked after the test waits for the next
	 * sweep, as one linked behind the sweep does.
	 */
	for (budget = min(budget, t->mask + 1); budget;
	     budget--, i = (i + 1) & t->mask)
		if (!hlist_empty(&t->buckets[i]))
			ended += tm_expire_chain(t, i, now, false);
	t->gc_next = i;
	tm_alias_sweep(t, budget_all);
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
		/* As in mos_tm_expire(): an empty chain is skipped unlocked */
		if (!hlist_empty(&t->buckets[i]))
			tm_expire_chain(t, i, 0, true);
		cond_resched();
	}
}
