/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_int.h - definitions shared by the files of the tcpmon core only
 */
#ifndef _MOS_TM_INT_H
#define _MOS_TM_INT_H

#include "tcpmon.h"

/**
 * struct tm_pcpu - one CPU's counters of a table
 * @c: indexed by &enum tm_stat
 */
struct tm_pcpu {
	u64 c[TM_STAT_MAX];
};

/**
 * struct tm_table - a flow table: one per monitored namespace
 * @cfg: limits and policies, defaults filled in
 * @ops: the user's callbacks
 * @priv: their argument
 * @key: hsiphash key, random per table
 * @buckets: hash chains, RCU
 * @locks: bucket locks; bucket i is under lock i & @lock_mask
 * @mask: number of buckets minus one
 * @lock_mask: number of locks minus one
 * @gc_next: next bucket mos_tm_expire() looks at
 * @nflows: flows in the table
 * @ooo_bytes: bytes charged to all out-of-order stores
 * @holders: flows whose stores hold bytes (%TM_FF_HOLDS, store.c)
 * @big: a flow that held many stored bytes when last seen, or NULL: the
 *	one a full store trims first (store.c); RCU, cleared when it dies
 * @big_bytes: what @big held then
 * @next_id: last flow id given out
 * @stats: per-CPU counters
 * @last: per CPU, the flow of the last packet this CPU tracked, or NULL:
 *	tm_lookup_last().  Set under the flow's lock while it is not dead,
 *	cleared on every CPU when the flow leaves its chain, before its
 *	grace period starts (tm_flow_forget_last())
 * @cache: where flows come from (sizeof(struct tm_flow) + priv_size)
 * @abuckets: alias chains, RCU (alias.c)
 * @alock: guards changes of @abuckets; taken before a flow's lock
 * @amask: number of alias chains minus one
 * @agc_next: next alias chain tm_alias_sweep() looks at
 * @naliases: aliases in @abuckets
 * @unheard: per hook (&enum tm_hook), the events nobody listens to
 *	(mos_tm_set_heard()): counted, not handed to &tm_ops.event
 * @unheard_bytes: nobody listens to stream bytes: counted, not handed to
 *	&tm_ops.data
 */
struct tm_table {
	struct tm_table_cfg cfg;
	const struct tm_ops *ops;
	void *priv;
	hsiphash_key_t key;
	struct hlist_head *buckets;
	spinlock_t *locks;	/* stripes of @buckets: insert, unlink */
	u32 mask;
	u32 lock_mask;
	u32 gc_next;
	atomic_t nflows;
	atomic_long_t ooo_bytes;
	atomic_t holders;
	struct tm_flow *big;
	u32 big_bytes;
	atomic64_t next_id;
	struct tm_pcpu __percpu *stats;
	struct tm_flow * __percpu *last;
	struct kmem_cache *cache;
	struct hlist_head *abuckets;
	spinlock_t alock;	/* changes of @abuckets (alias.c) */
	u32 amask;
	u32 agc_next;
	atomic_t naliases;
	u64 unheard[TM_HK_RCV + 1];
	bool unheard_bytes;
};

/**
 * struct tm_seg - a piece of the out-of-order store
 * @node: in &tm_half.ooo, keyed by @seq
 * @seq: sequence number of @data[0]
 * @len: bytes in @data
 * @org: under %TM_OVERLAP_LINUX, the sequence number where the segment
 *	the receiver keeps these bytes in starts (its out-of-order queue
 *	delivers, of overlapping segments, the one that starts first)
 * @cap: room for bytes in @data (the allocation, a power of two, less
 *	the header): bytes that follow @data[@len - 1] in the stream are
 *	appended here while they fit
 * @data: the bytes
 */
struct tm_seg {
	struct rb_node node;
	u32 seq;
	u32 len;
	u32 org;
	u32 cap;
	u8 data[];
};

/**
 * struct tm_lnx - an skb of the receiver's out-of-order queue, without its
 * bytes (%TM_OVERLAP_LINUX, &tm_flow.lnx)
 * @node: in &tm_lnxq.root, keyed by @seq, where the receiver's
 *	tcp_data_queue_ofo() put the skb
 * @seq: its first sequence number
 * @end: one past its last (its FIN included)
 * @joins: segments appended to it (tcp_try_coalesce()), each a page
 *	fragment of it
 * @fin: its last segment had a FIN, at @end - 1
 * @nfin: FINs inside it: a segment was appended right after each
 *	(tcp_try_coalesce() ORs the flags, and the skb's bytes run on), at
 *	the sequence numbers &tm_lnx_fins.fin; the skb carries a FIN when
 *	@fin or @nfin
 * @big: the node is the head of a &struct tm_lnx_fins
 */
struct tm_lnx {
	struct rb_node node;
	u32 seq;
	u32 end;
	u16 joins;
	bool fin;
	u8 nfin;
	bool big;
};

/**
 * struct tm_lnx_fins - a shadow node whose skb has FINs inside
 * @q: the node, in the shadow's tree
 * @fin: the FINs' sequence numbers, in order: each takes a sequence
 *	number and no byte of the skb
 *
 * A node becomes one (rb_replace_node(), the tree's shape kept) when the
 * first segment is appended right after its FIN; one more FIN per
 * segment appended, so %TM_LNX_FRAGS at most.
 */
struct tm_lnx_fins {
	struct tm_lnx q;
	u32 fin[];
};

/**
 * struct tm_lnxq - the shadows of a flow's receivers' out-of-order queues
 * @root: a side's: its &struct tm_lnx, shaped as the receiver's tree,
 *	indexed by &enum tm_side
 */
struct tm_lnxq {
	struct rb_root root[2];
};

/*
 * Fragments an skb holds at most (MAX_SKB_FRAGS, 17 in the kernels mos
 * runs on): skb_try_coalesce() appends no segment to one that has them.
 */
#define TM_LNX_FRAGS	17

/* What a &struct tm_lnx_fins costs, in place of a &struct tm_lnx */
#define TM_LNX_FINS_SIZE	(sizeof(struct tm_lnx_fins) + \
				 TM_LNX_FRAGS * sizeof(u32))

/* A piece and its header fit the 2 KiB kmalloc cache. */
#define TM_SEG_MAX	(2048 - sizeof(struct tm_seg))

/* Sequence number comparison, safe across wraparound (RFC 1982) */
static inline bool tm_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool tm_after(u32 a, u32 b)
{
	return tm_before(b, a);
}

static inline void tm_stat_add(struct tm_table *t, unsigned int i, u64 n)
{
	this_cpu_add(t->stats->c[i], n);
}

static inline void tm_stat_inc(struct tm_table *t, unsigned int i)
{
	tm_stat_add(t, i, 1);
}

/**
 * tm_emit_ev() - count an event and hand it to the user, if it takes
 * events; a quiet flow's events are neither
 * @t: table
 * @f: flow, or NULL
 * @ev: the event
 * @src: the packet, or NULL
 * @p: its headers, or NULL
 */
static inline void tm_emit_ev(struct tm_table *t, struct tm_flow *f,
			      struct tm_ev *ev, const struct tm_src *src,
			      const struct tm_pkt *p)
{
	if (unlikely(f && (f->flags & TM_FF_QUIET)))
		return;
	tm_stat_inc(t, TM_STAT_EV + ev->type);
	if (t->ops->event &&
	    !(READ_ONCE(t->unheard[ev->hook]) & BIT_ULL(ev->type)))
		t->ops->event(t->priv, f, ev, src, p);
}

/**
 * tm_emit() - raise an event that carries no detail
 * @t: table
 * @f: flow, or NULL
 * @type: &enum tm_event
 * @hook: &enum tm_hook
 * @side: &enum tm_side
 * @src: the packet, or NULL
 * @p: its headers, or NULL
 */
static __always_inline void tm_emit(struct tm_table *t, struct tm_flow *f,
				    unsigned int type, unsigned int hook,
				    unsigned int side,
				    const struct tm_src *src,
				    const struct tm_pkt *p)
{
	struct tm_ev ev;

	if (unlikely(f && (f->flags & TM_FF_QUIET)))
		return;
	tm_stat_inc(t, TM_STAT_EV + type);
	if (!t->ops->event || (READ_ONCE(t->unheard[hook]) & BIT_ULL(type)))
		return;
	/* Built only for a user that takes it */
	ev = (struct tm_ev){
		.type = type,
		.hook = hook,
		.side = side,
	};
	t->ops->event(t->priv, f, &ev, src, p);
}

/*
 * Lookup (table.c's chains, read by the packet path, the control
 * operations and insertion): inline, as they were when one file held
 * them all, so that the packet path pays no call it did not pay before.
 */

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
static inline u32 tm_hash(const struct tm_table *t, const struct tm_pkt *p)
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
		return hsiphash_3u32(a, b, (u32)plo << 16 | phi, &t->key);
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
	return hsiphash(&k, sizeof(k), &t->key);
}

static inline bool tm_addr_eq(const union tm_addr *a, const union tm_addr *b)
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
static __always_inline int tm_match(const struct tm_flow *f,
				    const struct tm_pkt *p)
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
static inline struct tm_flow *tm_lookup(struct tm_table *t,
					const struct tm_pkt *p, u32 hash,
					int *side)
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

/**
 * tm_lookup_last() - the flow of a packet, if it is this CPU's last one
 * @t: table
 * @p: TCP packet
 * @side: set to the sending side
 *
 * Consecutive packets of one flow (a burst, a segment and its ACK) skip
 * the hash and the chain.  The slot is read under RCU: a flow leaves
 * every CPU's slot before its grace period starts, so the one read here
 * is not freed before rcu_read_unlock().  A dead flow is not taken (a
 * newer one may follow it in the chain): tm_lookup() looks then.
 *
 * Context: bottom halves disabled.
 * Return: the flow with its lock held, as tm_lookup() would find it, or
 * NULL.
 */
static inline struct tm_flow *tm_lookup_last(struct tm_table *t,
					     const struct tm_pkt *p, int *side)
{
	struct tm_flow *f;
	int s;

	rcu_read_lock();
	f = READ_ONCE(*this_cpu_ptr(t->last));
	if (f) {
		s = tm_match(f, p);
		if (s >= 0) {
			spin_lock(&f->lock);
			if (!(f->flags & TM_FF_DEAD)) {
				rcu_read_unlock();
				*side = s;
				return f;
			}
			spin_unlock(&f->lock);
		}
	}
	rcu_read_unlock();
	return NULL;
}

/**
 * tm_set_last() - make a flow this CPU's last one
 * @t: table
 * @f: flow, locked and not dead
 *
 * Context: bottom halves disabled.
 */
static inline void tm_set_last(struct tm_table *t, struct tm_flow *f)
{
	lockdep_assert_held(&f->lock);
	WRITE_ONCE(*this_cpu_ptr(t->last), f);
}

/* alias.c */
u32 tm_alias_buckets(u32 flow_buckets);
struct tm_flow *tm_alias_lookup(struct tm_table *t, const struct tm_pkt *p,
				u32 hash, int *side);
void tm_alias_sweep(struct tm_table *t, unsigned int budget);
void tm_alias_free_all(struct tm_table *t);

/* ctl.c */
u16 tm_overlap_flags(unsigned int policy);

/* table.c: flows in and out of the table */
bool tm_charge(unsigned long bytes);
void tm_uncharge(unsigned long bytes);
struct tm_flow *tm_flow_new(struct tm_table *t, const struct tm_src *src,
			    const struct tm_pkt *p, u32 hash, int client,
			    u64 now, unsigned int act, u32 rule);
void tm_flow_kill(struct tm_table *t, struct tm_flow *f);
void tm_flow_unlink(struct tm_table *t, struct tm_flow *f);

/* input.c */
void tm_error(struct tm_table *t, struct tm_flow *f, unsigned int side,
	      unsigned int err, u64 off, u32 len, const struct tm_src *src,
	      const struct tm_pkt *p);

/**
 * struct tm_rx - what one segment did to a receive stream
 * @rexmit: some of its bytes had been seen before
 * @fin: the stream stopped at a FIN of the sender, at &tm_half.rcv_nxt:
 *	the segment's own, in order, or one the receiver's out-of-order queue
 *	gave (%TM_OVERLAP_LINUX, tcp_ofo_queue() -> tcp_fin())
 * @delivered: bytes that entered the stream in order
 */
struct tm_rx {
	bool rexmit;
	bool fin;
	u32 delivered;
};

void tm_reasm_data(struct tm_table *t, struct tm_flow *f, unsigned int side,
		   const struct tm_src *src, const struct tm_pkt *p, u32 seq,
		   unsigned int payload_off, u32 len, struct tm_rx *rx);
bool tm_reasm_flush(struct tm_table *t, struct tm_flow *f, unsigned int side,
		    const u32 *lim, const struct tm_src *src,
		    const struct tm_pkt *p);
void tm_reasm_free(struct tm_table *t, struct tm_flow *f,
		   unsigned int side);
void tm_reasm_fin(struct tm_table *t, struct tm_flow *f, unsigned int side,
		  u32 seq);
bool tm_reasm_seen(const struct tm_half *h, u32 seq, u32 len);
bool tm_reasm_hold(struct tm_table *t, struct tm_flow *f, unsigned int side,
		   const struct tm_src *src, const struct tm_pkt *p, u32 seq,
		   unsigned int poff, u32 len, struct tm_rx *rx);
bool tm_reasm_fits(struct tm_table *t, struct tm_flow *f, unsigned int r,
		   const struct tm_pkt *p);

/* store.c: each flow's share of the table's store, ageing, trimming */
u32 tm_store_share(u64 total, u32 holders);
bool tm_store_admit(struct tm_table *t, const struct tm_flow *f, u64 charge);
void tm_store_make_room(struct tm_table *t, const struct tm_flow *f,
			u64 charge);
void tm_store_account(struct tm_table *t, struct tm_flow *f, u64 now);

/*
 * Whether a flow's stores hold bytes or are still counted as holding
 * them.  When neither, tm_store_age() and tm_store_account() have nothing
 * to do: no hole has a time (hole_since is 0) and the flow is not the
 * table's biggest holder.
 */
static inline bool tm_store_busy(const struct tm_flow *f)
{
	return f->half[TM_CLI].ooo_bytes || f->half[TM_SVR].ooo_bytes ||
	       (f->flags & TM_FF_HOLDS);
}

/* The headers of a packet from @k's client to its server */
static inline void tm_key_pkt(const struct tm_key *k, struct tm_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->family = k->family;
	p->saddr = k->addr[TM_CLI];
	p->daddr = k->addr[TM_SVR];
	p->sport = k->port[TM_CLI];
	p->dport = k->port[TM_SVR];
}

void tm_store_age(struct tm_table *t, struct tm_flow *f, u64 now);
void tm_store_forget(struct tm_table *t, struct tm_flow *f);

void tm_track(struct tm_table *t, struct tm_flow *f, unsigned int s,
	      const struct tm_src *src, const struct tm_pkt *p, u64 now,
	      struct tm_split *sp);
void tm_track_resume(struct tm_table *t, struct tm_flow *f,
		     const struct tm_pend *pd, const struct tm_src *src,
		     const struct tm_pkt *p, u64 now);
void tm_track_end(struct tm_table *t, struct tm_flow *f, unsigned int reason);
void tm_track_drain(struct tm_table *t, struct tm_flow *f);
void tm_track_init(struct tm_flow *f, unsigned int s,
		   const struct tm_pkt *p, bool midstream);
bool tm_track_closed(const struct tm_flow *f);
bool tm_track_reusable(const struct tm_flow *f, unsigned int s,
		       const struct tm_pkt *p);
u64 tm_track_deadline(const struct tm_table *t, const struct tm_flow *f);
void tm_track_give_up(struct tm_table *t, struct tm_flow *f,
		      unsigned int side, unsigned int why);

#endif /* _MOS_TM_INT_H */
