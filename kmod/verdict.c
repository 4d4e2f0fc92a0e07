// SPDX-License-Identifier: GPL-2.0
/*
 * verdict.c - packets held until a consumer gives its verdict
 *
 * DOC: Theory of Operation
 *
 * A consumer that sets up its ring with %MOS_RING_F_VERDICT decides the
 * fate of the packets that raise its events, in inline mode: the packet
 * path (pkt.c) asks mos_verdict_take() after the tracker passed the
 * packet.  If an event record about a flow went to such a consumer for
 * this packet (&mos_hold.verdict, set in deliver.c), the attachment takes
 * the packet (hooks/nf.c: an nf_queue_entry with its references, the
 * netfilter verdict NF_STOLEN), it is queued on the consumer's &struct
 * mos_vq, and a %MOS_REC_HELD record with its token follows the
 * packet's event records.  The consumer answers with %MOS_IOC_VERDICT
 * (mos_verdict_apply()): accept, drop, or accept with new bytes; the
 * attachment then sends the packet on from the next hook, or drops it.
 *
 * Order: a consumer's queue is released from its head only, in the order
 * packets came.  A packet of a flow that has a packet in some verdict
 * consumer's queue is queued behind it untracked (mos_verdict_wait()),
 * so a flow's packets leave in order, and the tracker takes them in that
 * order: when it reaches the head it is tracked (mos_nf_retrack()), then
 * leaves, or is held there for a verdict of its own (mos_verdict_keep()).
 * Packets that raise no event of a verdict consumer and whose flow has
 * nothing held never wait.
 *
 * What the tracker sees: a segment held for its sender's events has only
 * its sender's side tracked (mos_tm_input_split()); its receiver's side
 * is tracked as it leaves, with the bytes it leaves with (&mos_held.pend,
 * mos_nf_resume()), or never if it is dropped.
 *
 * Time and failure: each held packet has a deadline, %MOS_LIMIT_VERDICT_MS
 * after it was taken; the queue's timer gives the packets past it the
 * namespace's %MOS_LIMIT_VERDICT_POLICY (%MOS_STAT_VERDICT_TIMEOUT).  A
 * consumer that closes (or dies) has its packets released by policy at
 * once (mos_vq_close(), %MOS_STAT_HELD_RELEASED); disabling monitoring
 * releases everything by policy before the hooks go, a namespace being
 * dismantled drops everything (mos_verdict_release_all()).
 *
 * Flows with packets held: each queue keeps, in a hash keyed by the flow
 * (both directions the same, jhash with a random key per queue), one
 * &struct mos_vflow per flow that has packets in it, with their count, so
 * that the packet path learns in O(1) whether a packet must queue behind
 * one of its flow.  The entry belongs to the queue, not to the tracker's
 * flow: it is taken with the flow's first packet queued and given back
 * when its last one leaves the head, under &mos_vq.lock, whatever
 * happened to the tracked flow meanwhile (ended, evicted, monitoring
 * disabled); closing the consumer empties the queue, so no entry
 * outlives it.  %MOS_STAT_HELD_NOW and %MOS_STAT_HELD_FLOWS show the
 * packets and flows held now.
 *
 * Storage: nothing is allocated per packet here.  When a consumer sets
 * up its ring with %MOS_RING_F_VERDICT, its queue gets a pool
 * (mos_vq_alloc()) of %MOS_LIMIT_HELD_MAX packet entries and as many flow
 * entries and hash buckets; a packet takes an entry from it and gives it
 * back when released.  The attachment's own entry for a held packet
 * (hooks/nf.c) is bounded by the same count.
 *
 * Limits: %MOS_LIMIT_HELD_MAX packets per consumer and per namespace (a
 * consumer's pool keeps the size the limit had when its ring was set up;
 * a higher limit set later applies to consumers set up after it); a
 * packet that finds no room (or whose attachment cannot hold it) is not
 * held and gets the policy at once (%MOS_STAT_HELD_FULL).
 *
 * Locking: &mos_vq.lock, with bottom halves disabled, guards a queue; it
 * is never held while a packet is sent on, since sending may run the
 * hooks again on this CPU (a local delivery answered at once).  One CPU
 * at a time releases a queue's head (&mos_vq.draining); a packet being
 * sent on stays at the head until it is gone, so the next packet of its
 * flow still queues behind it.  A new packet is queued only by the
 * packet path, under RCU, while the consumer is on its namespace's list;
 * closing takes it off the list and waits for a grace period first.
 *
 * Several verdict consumers: a packet is held once, in one queue, for
 * its owner: the consumer whose queue has a packet of its flow already
 * (so that the flow's packets leave in order), else the first consumer
 * on the namespace's list (by setup order) that got one of its events.
 * The owner's %MOS_REC_HELD carries the token if it got the packet's
 * events (else the packet waits there, decided, for its flow's turn).
 * Every other verdict consumer that got its events gets a %MOS_REC_HELD
 * with token 0: not held for it, no verdict of its is due.  So does
 * every verdict consumer whose packet is not held at all (the limits
 * below, a packet the tracker drops, XDP, passive mode): each packet's
 * event records at a verdict consumer end with its %MOS_REC_HELD, and
 * what its callbacks asked of one packet never reaches another
 * (%MOS_STAT_HELD_NONE counts the token-0 records).  Consumers that
 * split the flows between them (one per core, mOS's contexts) never get
 * the same flow's events: each holds its own flows' packets.
 *
 * Rewritten addresses (NAT): the tracker gives the flow the 4-tuple its
 * packet leaves with as a second name (mos_verdict_alias()) before the
 * packet can be released, so that the first answer to it is the flow's.
 */

#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "deliver.h"
#include "netns.h"
#include "pkt.h"
#include "ring.h"
#include "verdict.h"
#include "hooks/hooks.h"

/* A token: the consumer's slot + 1 in the top bits, a sequence number */
#define MOS_TOKEN_SHIFT		48
#define MOS_TOKEN_SEQ		(BIT_ULL(MOS_TOKEN_SHIFT) - 1)

enum mos_held_state {
	MOS_HELD_WAIT,
	MOS_HELD_ACCEPT,
	MOS_HELD_DROP,
	MOS_HELD_TRACK,		/* waits, untracked, for its flow's turn */
};

/**
 * struct mos_vkey - a flow, the same for both directions
 * @addr: the endpoints' addresses, the lower endpoint first
 * @port: their ports, in the same order
 * @family: 4 or 6
 * @pad: zero
 */
struct mos_vkey {
	union tm_addr addr[2];
	__be16 port[2];
	u8 family;
	u8 pad[3];
};

static_assert(sizeof(struct mos_vkey) % sizeof(u32) == 0);

/**
 * struct mos_vflow - a flow that has packets in a consumer's queue
 * @node: in a bucket of &mos_vq.buckets, or in &mos_vq.free_flows
 * @n: its packets in &mos_vq.q
 * @key: the flow
 */
struct mos_vflow {
	struct hlist_node node;
	u32 n;
	struct mos_vkey key;
};

/**
 * struct mos_held - a packet in a consumer's queue
 * @node: in &mos_vq.q, or in &mos_vq.free
 * @flow: its flow's entry, counting it
 * @pkt: the attachment's (hooks/nf.c), released by mos_nf_release()
 * @token: &mos_rec_held.token; 0: queued behind a packet of its flow
 * @deadline: ktime_get_ns() after which the policy applies
 * @state: &enum mos_held_state
 * @pend: the tracker's update of its receiver, when it waits for the
 *	packet to go on (%TM_PEND_WAITS): made as it leaves, not if dropped
 * @prev: the consumers that have its bytes from its sender's records;
 *	none once a verdict rewrote it
 */
struct mos_held {
	struct list_head node;
	struct mos_vflow *flow;
	void *pkt;
	u64 token;
	u64 deadline;
	u8 state;
	struct tm_pend pend;
	struct mos_pkt_prev prev;
};

static void mos_vq_timer(struct timer_list *t);

/**
 * mos_vq_init() - set up an empty queue, without its pool
 * @vq: the queue
 */
void mos_vq_init(struct mos_vq *vq)
{
	spin_lock_init(&vq->lock);
	INIT_LIST_HEAD(&vq->q);
	INIT_LIST_HEAD(&vq->free);
	INIT_HLIST_HEAD(&vq->free_flows);
	timer_setup(&vq->timer, mos_vq_timer, 0);
}

/**
 * mos_vq_alloc() - the pool of a verdict consumer's queue
 * @vq: the queue, initialised, not yet reachable by the packet path
 * @cap: packets it can hold at most (%MOS_LIMIT_HELD_MAX)
 *
 * Every packet entry and every flow entry the queue will ever use is
 * allocated here: @cap of each (a flow in the queue has one packet there
 * at least), and a power of two of buckets, @cap at least.
 *
 * Context: process, may sleep.
 * Return: 0 or -ENOMEM.
 */
int mos_vq_alloc(struct mos_vq *vq, u32 cap)
{
	u32 i, nb;

	cap = clamp_t(u32, cap, 1, MOS_HELD_MAX_LIMIT);
	nb = roundup_pow_of_two(cap);
	vq->slots = kvcalloc(cap, sizeof(*vq->slots), GFP_KERNEL_ACCOUNT);
	vq->flows = kvcalloc(cap, sizeof(*vq->flows), GFP_KERNEL_ACCOUNT);
	vq->buckets = kvcalloc(nb, sizeof(*vq->buckets), GFP_KERNEL_ACCOUNT);
	if (!vq->slots || !vq->flows || !vq->buckets) {
		mos_vq_free(vq);
		return -ENOMEM;
	}
	for (i = 0; i < cap; i++) {
		list_add_tail(&vq->slots[i].node, &vq->free);
		hlist_add_head(&vq->flows[i].node, &vq->free_flows);
	}
	for (i = 0; i < nb; i++)
		INIT_HLIST_HEAD(&vq->buckets[i]);
	vq->hmask = nb - 1;
	vq->seed = get_random_u32();
	vq->cap = cap;
	return 0;
}

/**
 * mos_vq_free() - free a queue's pool
 * @vq: the queue, empty (mos_vq_close()) or never reachable
 *
 * A queue that still has packets keeps its pool (leaked, never freed
 * under them).
 */
void mos_vq_free(struct mos_vq *vq)
{
	if (WARN_ON_ONCE(!list_empty(&vq->q)))
		return;
	kvfree(vq->slots);
	kvfree(vq->flows);
	kvfree(vq->buckets);
	vq->slots = NULL;
	vq->flows = NULL;
	vq->buckets = NULL;
	vq->cap = 0;
}

static u8 mos_vq_policy(struct mos_net *mn)
{
	return READ_ONCE(mn->vpolicy) == MOS_VPOLICY_DROP ? MOS_HELD_DROP :
							    MOS_HELD_ACCEPT;
}

static void mos_vq_stat(struct mos_net *mn, unsigned int stat)
{
	local_bh_disable();
	mos_stat_inc(mn, stat);
	local_bh_enable();
}

/* @p's flow, the lower (address, port) endpoint first */
static void mos_vkey_of(struct mos_vkey *k, const struct tm_pkt *p)
{
	size_t n = p->family == 4 ? 4 : 16;
	int d;

	memset(k, 0, sizeof(*k));
	d = memcmp(&p->saddr, &p->daddr, n);
	if (!d)
		d = memcmp(&p->sport, &p->dport, sizeof(p->sport));
	memcpy(&k->addr[d > 0], &p->saddr, n);
	memcpy(&k->addr[d <= 0], &p->daddr, n);
	k->port[d > 0] = p->sport;
	k->port[d <= 0] = p->dport;
	k->family = p->family;
}

/* @k's bucket of @vq */
static struct hlist_head *mos_vq_bucket(struct mos_vq *vq,
					const struct mos_vkey *k)
{
	return &vq->buckets[jhash2((const u32 *)k, sizeof(*k) / sizeof(u32),
				   vq->seed) & vq->hmask];
}

/* @k's entry in @vq, or NULL; @vq locked */
static struct mos_vflow *mos_vq_flow(struct mos_vq *vq,
				     const struct mos_vkey *k)
{
	struct mos_vflow *f;

	hlist_for_each_entry(f, mos_vq_bucket(vq, k), node)
		if (!memcmp(&f->key, k, sizeof(*k)))
			return f;
	return NULL;
}

/* Has @vq a packet of flow @k?  Context: bottom halves disabled. */
static bool mos_vq_has_flow(struct mos_vq *vq, const struct mos_vkey *k)
{
	bool found;

	spin_lock(&vq->lock);
	found = vq->buckets && mos_vq_flow(vq, k);
	spin_unlock(&vq->lock);
	return found;
}

/*
 * Count a packet of flow @k in @vq: its entry, taken from the pool if the
 * flow had no packet there.  @vq locked, with fewer than &mos_vq.cap
 * packets (so a free flow entry is left).
 */
static struct mos_vflow *mos_vq_flow_get(struct mos_net *mn,
					 struct mos_vq *vq,
					 const struct mos_vkey *k)
{
	struct mos_vflow *f = mos_vq_flow(vq, k);

	if (!f) {
		f = hlist_entry(vq->free_flows.first, struct mos_vflow, node);
		hlist_del(&f->node);
		f->key = *k;
		f->n = 0;
		hlist_add_head(&f->node, mos_vq_bucket(vq, k));
		atomic_inc(&mn->nheld_flows);
	}
	f->n++;
	return f;
}

/* A packet of @f left @vq; the flow's entry goes back with its last */
static void mos_vq_flow_put(struct mos_net *mn, struct mos_vq *vq,
			    struct mos_vflow *f)
{
	if (--f->n)
		return;
	hlist_del(&f->node);
	hlist_add_head(&f->node, &vq->free_flows);
	atomic_dec(&mn->nheld_flows);
}

/* (Re)arm @vq's timer for its oldest waiting packet; @vq locked */
static void mos_vq_arm(struct mos_vq *vq)
{
	struct mos_held *e;
	u64 now = ktime_get_ns();

	if (vq->dead)
		return;
	list_for_each_entry(e, &vq->q, node) {
		if (e->state != MOS_HELD_WAIT)
			continue;
		mod_timer(&vq->timer, jiffies + 1 +
			  nsecs_to_jiffies(e->deadline > now ?
					   e->deadline - now : 0));
		return;
	}
}

/*
 * Send on or drop the decided packets at the head of @c's queue, in
 * order, until one still waits.  One CPU at a time; the lock is dropped
 * while a packet is sent on (see the DOC).
 */
static void mos_vq_drain(struct mos_net *mn, struct mos_consumer *c)
{
	struct mos_vq *vq = &c->vq;
	struct mos_held *e;

	spin_lock_bh(&vq->lock);
	if (vq->draining) {
		spin_unlock_bh(&vq->lock);
		return;
	}
	vq->draining = true;
	while ((e = list_first_entry_or_null(&vq->q, struct mos_held,
					     node)) &&
	       e->state != MOS_HELD_WAIT) {
		bool accept = e->state == MOS_HELD_ACCEPT;

		spin_unlock_bh(&vq->lock);
		if (e->state == MOS_HELD_TRACK) {
			/*
			 * Its turn: tracked now, which decides it, or holds
			 * it again here for a verdict of its own
			 */
			mos_nf_retrack(mn, c, e, e->pkt);
			spin_lock_bh(&vq->lock);
			continue;
		}
		/* Its receiver's tracking, with the packet as it leaves */
		if (accept && (e->pend.flags & TM_PEND_WAITS))
			accept = mos_nf_resume(mn, e->pkt, &e->pend,
					       &e->prev);
		mos_nf_release(e->pkt, accept);
		spin_lock_bh(&vq->lock);
		list_move(&e->node, &vq->free);
		mos_vq_flow_put(mn, vq, e->flow);
		e->flow = NULL;
		e->pkt = NULL;
		vq->n--;
		atomic_dec(&mn->nheld);
	}
	vq->draining = false;
	mos_vq_arm(vq);
	spin_unlock_bh(&vq->lock);
}

/* The timer: the packets past their deadline get the policy */
static void mos_vq_timer(struct timer_list *t)
{
	struct mos_consumer *c = from_timer(c, t, vq.timer);
	struct mos_net *mn = mos_pernet(c->net);
	struct mos_vq *vq = &c->vq;
	u64 now = ktime_get_ns();
	struct mos_held *e;

	spin_lock_bh(&vq->lock);
	list_for_each_entry(e, &vq->q, node) {
		if (e->state != MOS_HELD_WAIT)
			continue;
		if (e->deadline > now)
			break;
		e->state = mos_vq_policy(mn);
		mos_stat_inc(mn, MOS_STAT_VERDICT_TIMEOUT);
	}
	spin_unlock_bh(&vq->lock);
	mos_vq_drain(mn, c);
}

/*
 * Give every waiting packet of @c's queue @state (all of them, decided or
 * not, with @all), counted in @stat, and release them
 */
static void mos_vq_flush(struct mos_net *mn, struct mos_consumer *c,
			 u8 state, bool all, unsigned int stat)
{
	struct mos_vq *vq = &c->vq;
	struct mos_held *e;

	spin_lock_bh(&vq->lock);
	list_for_each_entry(e, &vq->q, node) {
		if (e->state == MOS_HELD_WAIT)
			mos_stat_inc(mn, stat);
		else if (!all)
			continue;
		e->state = state;
	}
	spin_unlock_bh(&vq->lock);
	mos_vq_drain(mn, c);
}

/**
 * mos_vq_close() - a consumer closes: its held packets get the policy
 * @mn: its namespace's state
 * @c: the consumer, off the namespace's list for a grace period already
 *
 * Context: process, may sleep.
 */
void mos_vq_close(struct mos_net *mn, struct mos_consumer *c)
{
	spin_lock_bh(&c->vq.lock);
	c->vq.dead = true;
	spin_unlock_bh(&c->vq.lock);
	del_timer_sync(&c->vq.timer);
	mos_vq_flush(mn, c, mos_vq_policy(mn), false, MOS_STAT_HELD_RELEASED);
	WARN_ON_ONCE(!list_empty(&c->vq.q));
}

/**
 * mos_verdict_release_all() - release every held packet of a namespace
 * @mn: the namespace's state
 * @dying: the namespace is being dismantled: drop them all; else they get
 *	the policy
 *
 * No packet is held after this until mos_net_enable() clears
 * &mos_net.vclosing.  Called before the hooks are removed, so that the
 * accepted packets go on from the right place.
 *
 * Context: process, may sleep; &mos_net.lock held.
 */
void mos_verdict_release_all(struct mos_net *mn, bool dying)
{
	struct mos_consumer *c;

	lockdep_assert_held(&mn->lock);
	WRITE_ONCE(mn->vclosing, true);
	/* No packet path is taking a packet any more */
	synchronize_net();
	list_for_each_entry(c, &mn->consumers, node) {
		if (!c->dlv.verdict)
			continue;
		mos_vq_flush(mn, c, dying ? MOS_HELD_DROP : mos_vq_policy(mn),
			     dying, MOS_STAT_HELD_RELEASED);
	}
}

/*
 * The consumer a packet is held for: the one whose queue has a packet of
 * its flow (@by_flow), so that the flow's packets leave in order, else
 * the first on the list (setup order) that got one of its events (@want)
 */
static struct mos_consumer *mos_verdict_owner(struct mos_net *mn, u64 want,
					      const struct mos_vkey *k,
					      bool by_flow)
{
	struct mos_consumer *c;

	if (by_flow && atomic_read(&mn->nheld)) {
		list_for_each_entry_rcu(c, &mn->consumers, node)
			if (c->dlv.verdict && READ_ONCE(c->vq.n) &&
			    mos_vq_has_flow(&c->vq, k))
				return c;
	}
	if (!want)
		return NULL;
	list_for_each_entry_rcu(c, &mn->consumers, node)
		if (c->dlv.verdict && (want & BIT_ULL(c->dlv.slot)))
			return c;
	return NULL;
}

/*
 * Fill and commit @r, reserved in @c's ring, as a token-0 %MOS_REC_HELD;
 * counted in %MOS_STAT_HELD_NONE with @count (not for the records of a
 * decided packet's receiver's side)
 */
static void mos_held_none(struct mos_net *mn, struct mos_consumer *c,
			  struct mos_rec_held *r, const struct mos_hold *h,
			  const struct mos_pkt *pkt, bool count)
{
	memset(r, 0, sizeof(*r));
	r->flow = h->vflow;
	r->pkt_total = pkt->src.len;
	r->pkt_from = h->vfrom;
	mos_ring_commit(c->ring, r, false);
	if (count)
		mos_stat_inc(mn, MOS_STAT_HELD_NONE);
}

/* Fill @r, reserved in a consumer's ring, as packet @e's %MOS_REC_HELD */
static void mos_held_rec(struct mos_rec_held *r, const struct mos_held *e,
			 const struct mos_hold *h, const struct mos_pkt *pkt)
{
	memset(r, 0, sizeof(*r));
	r->token = e->token;
	r->flow = h->vflow;
	r->pkt_total = pkt->src.len;
	r->pkt_from = h->vfrom;
}

/*
 * A %MOS_REC_HELD with token 0 after the records of the packet being
 * processed, for each verdict consumer of @mask: the packet is not held
 * for it, no verdict of its is due (%MOS_STAT_HELD_NONE).  A verdict
 * consumer that got a packet's event records always gets its
 * %MOS_REC_HELD (mos_dev_bound() keeps room for it), so that it ends
 * what its callbacks asked of that packet there, and nothing of it goes
 * to a later packet of the same flow, side and length.
 */
static void mos_verdict_none(struct mos_net *mn, const struct mos_pkt *pkt,
			     u64 mask, bool count)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	struct mos_rec_held *r;
	struct mos_consumer *c;

	if (!mask)
		return;
	list_for_each_entry_rcu(c, &mn->consumers, node) {
		if (!c->dlv.verdict || !(mask & BIT_ULL(c->dlv.slot)))
			continue;
		r = mos_ring_reserve(c->ring, sizeof(*r), MOS_REC_HELD, 0,
				     h->on ? &h->left[c->dlv.slot] : NULL);
		if (r)
			mos_held_none(mn, c, r, h, pkt, count);
	}
}

/**
 * mos_verdict_skip() - the packet being processed is not held: the
 * verdict consumers that got its event records learn it
 * @mn: the namespace's state
 * @pkt: the packet
 * @count: count the records in %MOS_STAT_HELD_NONE (not for the records
 *	of the receiver's side of a packet decided already)
 *
 * For the packets mos_verdict_take() is not asked about (the tracker
 * dropped them, passive mode, not TCP), and after the receiver's side of
 * a packet whose sender's side was held is tracked.
 *
 * Context: the packet path, bottom halves disabled, RCU, before
 * mos_dev_unhold().
 */
void mos_verdict_skip(struct mos_net *mn, const struct mos_pkt *pkt,
		      bool count)
{
	u64 mask = this_cpu_read(mos_hold.verdict);

	/* Most packets: no verdict consumer got their records */
	if (mask)
		mos_verdict_none(mn, pkt, mask, count);
}

/**
 * mos_verdict_due() - whether the tracking of a segment's receiver waits
 * until the segment leaves (&tm_split.wait)
 * @mn: the namespace's state
 * @p: the segment, its sender's side tracked
 *
 * It does when a verdict consumer got one of its event records (so far:
 * its sender's), so that its verdict decides what the receiver's side
 * sees, or when its flow has a packet held, so that the receiver's side
 * takes the flow's packets in the order they leave.
 *
 * Context: the packet path, the flow locked.
 * Return: true if it waits.
 */
bool mos_verdict_due(struct mos_net *mn, const struct tm_pkt *p)
{
	struct mos_vkey k;

	if (this_cpu_ptr(&mos_hold)->verdict)
		return true;
	if (!atomic_read(&mn->nheld))
		return false;
	mos_vkey_of(&k, p);
	return mos_verdict_owner(mn, 0, &k, true);
}

/**
 * mos_verdict_wait() - queue a packet untracked behind a held packet of
 * its flow
 * @mn: the namespace's state
 * @pkt: the packet, parsed as @p, not tracked yet
 * @p: its parsed headers
 *
 * So that the tracker takes the flow's packets in the order they leave:
 * the packet is tracked when its turn comes (mos_vq_drain(), with
 * mos_nf_retrack()), then leaves, or waits there for a verdict of its
 * own (mos_verdict_keep()).  Counted in %MOS_STAT_HELD at once.
 *
 * Context: the packet path, bottom halves disabled, RCU.
 * Return: true if the attachment has taken the packet; false: track it
 * now (its flow has nothing held, or there is no room: the policy is
 * then accept, for a packet that is not waiting for a verdict).
 */
bool mos_verdict_wait(struct mos_net *mn, const struct mos_pkt *pkt,
		      const struct tm_pkt *p)
{
	struct mos_consumer *c;
	struct mos_held *e;
	struct mos_vkey k;
	struct mos_vq *vq;
	void *held;
	u32 max;

	if (!pkt->hold || !atomic_read(&mn->nverdict) ||
	    !atomic_read(&mn->nheld) || READ_ONCE(mn->vclosing))
		return false;
	mos_vkey_of(&k, p);
	c = mos_verdict_owner(mn, 0, &k, true);
	if (!c)
		return false;
	vq = &c->vq;
	max = min(READ_ONCE(mn->held_max), vq->cap);
	held = pkt->hold(pkt);
	if (!held)
		return false;
	spin_lock(&vq->lock);
	if (!mos_vq_flow(vq, &k) || vq->dead || vq->n >= max)
		goto full;
	if (atomic_inc_return(&mn->nheld) > max) {
		atomic_dec(&mn->nheld);
		goto full;
	}
	e = list_first_entry(&vq->free, struct mos_held, node);
	e->flow = mos_vq_flow_get(mn, vq, &k);
	e->pkt = held;
	e->token = 0;
	e->deadline = 0;
	e->state = MOS_HELD_TRACK;
	e->pend.flags = 0;
	list_move_tail(&e->node, &vq->q);
	vq->n++;
	spin_unlock(&vq->lock);
	mos_stat_inc(mn, MOS_STAT_HELD);
	return true;

full:
	spin_unlock(&vq->lock);
	mos_nf_free(held);
	return false;
}

/**
 * mos_verdict_keep() - a packet that waited untracked was tracked: hold
 * it where it is for its consumer's verdict, or let it go
 * @mn: the namespace's state
 * @c: the consumer whose queue has it, at its head
 * @e: its entry, %MOS_HELD_TRACK
 * @pkt: the packet
 * @pd: NULL, or the tracking of its receiver that waits until it leaves
 *
 * As mos_verdict_take() decides for a packet that comes: held again if
 * @c got its event records (a %MOS_REC_HELD with a new token, a new
 * deadline), unless @c is closing or monitoring is being disabled; else
 * it is decided, accept (%MOS_STAT_HELD_ORDER), and the caller makes the
 * receiver's tracking.  The other verdict consumers that got its records
 * get a token-0 %MOS_REC_HELD.
 *
 * Context: mos_vq_drain() (the head's only writer then, with the timer
 * and the verdicts leaving a %MOS_HELD_TRACK entry alone), bottom halves
 * disabled, RCU, before mos_dev_unhold().
 * Return: true if the packet waits for a verdict again.
 */
bool mos_verdict_keep(struct mos_net *mn, struct mos_consumer *c,
		      struct mos_held *e, const struct mos_pkt *pkt,
		      const struct tm_pend *pd)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	u64 want = h->verdict, mine = want & BIT_ULL(c->dlv.slot);
	struct mos_vq *vq = &c->vq;
	struct mos_rec_held *r = NULL;
	bool wait = false;

	if (mine && !READ_ONCE(mn->vclosing))
		r = mos_ring_reserve(c->ring, sizeof(*r), MOS_REC_HELD, 0,
				     h->on ? &h->left[c->dlv.slot] : NULL);
	spin_lock(&vq->lock);
	if (e->state == MOS_HELD_TRACK) {
		wait = r && !vq->dead;
		e->state = wait ? MOS_HELD_WAIT : MOS_HELD_ACCEPT;
		e->pend.flags = 0;
		if (wait) {
			e->token = ((u64)(c->dlv.slot + 1) << MOS_TOKEN_SHIFT) |
				   (++vq->seq & MOS_TOKEN_SEQ);
			e->deadline = ktime_get_ns() +
				      (u64)READ_ONCE(mn->verdict_ms) *
				      NSEC_PER_MSEC;
			if (pd) {
				e->pend = *pd;
				mos_dev_pkt_prev(mn, pd->id, &e->prev);
			}
			mos_held_rec(r, e, h, pkt);
		}
	}
	spin_unlock(&vq->lock);
	if (wait) {
		mos_ring_commit(c->ring, r, false);
		want &= ~mine;
	} else {
		if (r) {
			mos_held_none(mn, c, r, h, pkt, true);
			want &= ~mine;
		}
		mos_stat_inc(mn, MOS_STAT_HELD_ORDER);
	}
	mos_verdict_none(mn, pkt, want, true);
	return wait;
}

/**
 * mos_verdict_untracked() - a packet that waited untracked was decided
 * when its turn came, not held: the tracker dropped it (@drop), or it
 * was not tracked (passive mode since)
 * @mn: the namespace's state
 * @c: the consumer whose queue has it
 * @e: its entry
 * @pkt: the packet
 * @drop: it does not leave
 *
 * Context: as mos_verdict_keep().
 */
void mos_verdict_untracked(struct mos_net *mn, struct mos_consumer *c,
			   struct mos_held *e, const struct mos_pkt *pkt,
			   bool drop)
{
	spin_lock(&c->vq.lock);
	if (e->state == MOS_HELD_TRACK) {
		e->state = drop ? MOS_HELD_DROP : MOS_HELD_ACCEPT;
		e->pend.flags = 0;
	}
	spin_unlock(&c->vq.lock);
	if (!drop)
		mos_stat_inc(mn, MOS_STAT_HELD_ORDER);
	mos_verdict_none(mn, pkt, this_cpu_ptr(&mos_hold)->verdict, true);
}

/**
 * mos_verdict_take() - hold the packet being processed, if it must be
 * @mn: the namespace's state
 * @pkt: the packet, which the tracker passed
 * @p: its parsed headers
 * @pd: NULL, or the tracking of its receiver that waits until it leaves
 *	(kept with it if it is held; else the caller makes it)
 * @drop: set if the packet could not be held and the policy drops it
 *
 * Context: the packet path, bottom halves disabled, RCU, before
 * mos_dev_unhold().
 * Return: true if the attachment has taken the packet (it must not touch
 * it any more).
 */
bool mos_verdict_take(struct mos_net *mn, const struct mos_pkt *pkt,
		      const struct tm_pkt *p, const struct tm_pend *pd,
		      bool *drop)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	struct mos_rec_held *r = NULL;
	u64 want = h->verdict, mine;
	struct mos_consumer *c;
	bool by_flow = true;
	struct mos_held *e;
	struct mos_vkey k;
	void *held = NULL;
	struct mos_vq *vq;
	bool room;
	u32 max;

	*drop = false;
	if (!pkt->hold || READ_ONCE(mn->vclosing) ||
	    (!want && !atomic_read(&mn->nheld)))
		goto none;
	mos_vkey_of(&k, p);
again:
	c = mos_verdict_owner(mn, want, &k, by_flow);
	if (!c)
		goto none;
	vq = &c->vq;
	/* Its owner's verdict is due if it got the packet's events */
	mine = want & BIT_ULL(c->dlv.slot);
	/* The pool's size, or a lower limit set since */
	max = min(READ_ONCE(mn->held_max), vq->cap);
	if (mine)
		r = mos_ring_reserve(c->ring, sizeof(*r), MOS_REC_HELD, 0,
				     h->on ? &h->left[c->dlv.slot] : NULL);
	if (!mine || r)
		held = pkt->hold(pkt);
	spin_lock(&vq->lock);
	/*
	 * A packet held only to keep its flow's order: the flow's held
	 * packets may all have left since mos_verdict_owner() looked (a
	 * verdict, a deadline); then it goes on now, in order, rather than
	 * wait behind nothing for a verdict that no one will give, or it is
	 * held for the first consumer that got its events.
	 */
	if (!mine && !mos_vq_flow(vq, &k)) {
		spin_unlock(&vq->lock);
		if (held)
			mos_nf_free(held);
		held = NULL;
		by_flow = false;
		if (want)
			goto again;
		return false;
	}
	room = held && !vq->dead && vq->n < max;
	if (room && atomic_inc_return(&mn->nheld) > max) {
		atomic_dec(&mn->nheld);
		room = false;
	}
	if (!room) {
		spin_unlock(&vq->lock);
		if (held)
			mos_nf_free(held);
		if (r) {
			/*
			 * Token 0: the packet the records just before name
			 * is not held, so the consumer keeps no state for it
			 * to give a later packet of the same length
			 */
			mos_held_none(mn, c, r, h, pkt, true);
			want &= ~mine;
		}
		mos_stat_inc(mn, MOS_STAT_HELD_FULL);
		*drop = mos_vq_policy(mn) == MOS_HELD_DROP;
		goto none;
	}
	/* vq->n < vq->cap: an entry and a flow entry are free */
	e = list_first_entry(&vq->free, struct mos_held, node);
	e->flow = mos_vq_flow_get(mn, vq, &k);
	e->pkt = held;
	e->token = mine ? ((u64)(c->dlv.slot + 1) << MOS_TOKEN_SHIFT) |
			  (++vq->seq & MOS_TOKEN_SEQ) : 0;
	e->deadline = ktime_get_ns() +
		      (u64)READ_ONCE(mn->verdict_ms) * NSEC_PER_MSEC;
	e->state = mine ? MOS_HELD_WAIT : MOS_HELD_ACCEPT;
	if (pd) {
		e->pend = *pd;
		mos_dev_pkt_prev(mn, pd->id, &e->prev);
	} else {
		e->pend.flags = 0;
	}
	list_move_tail(&e->node, &vq->q);
	vq->n++;
	if (mine && !timer_pending(&vq->timer))
		mos_vq_arm(vq);
	/* The consumer cannot name the packet before this commit */
	if (r)
		mos_held_rec(r, e, h, pkt);
	spin_unlock(&vq->lock);
	if (r)
		mos_ring_commit(c->ring, r, false);
	mos_stat_inc(mn, MOS_STAT_HELD);
	if (!mine)
		mos_stat_inc(mn, MOS_STAT_HELD_ORDER);
	/* The other verdict consumers that got its events: not theirs */
	mos_verdict_none(mn, pkt, want & ~mine, true);
	return true;

none:
	mos_verdict_none(mn, pkt, want, true);
	return false;
}

/*
 * A held packet's addresses or ports were rewritten (@in as it came, @out
 * as it leaves): the tracker gives its flow @out as a second 4-tuple
 * (tcpmon/alias.c), so that the answers to @out are the same flow's
 */
static void mos_verdict_alias(struct mos_net *mn, const struct tm_pkt *in,
			      const struct tm_pkt *out)
{
	struct mem_cgroup *old;
	struct tm_table *t;

	rcu_read_lock();
	t = rcu_dereference(mn->tm);
	if (t) {
		/* Charged as the tracker's own memory (pkt.c) */
		old = set_active_memcg(mn->memcg);
		(void)mos_tm_alias(t, in, out);
		set_active_memcg(old);
	}
	rcu_read_unlock();
}

/**
 * mos_verdict_apply() - one verdict of %MOS_IOC_VERDICT
 * @mn: the namespace's state
 * @c: the consumer
 * @v: the verdict, copied in
 *
 * The new bytes are written into the packet (hooks/nf.c) while it waits;
 * if they move it to another 4-tuple, the flow gets it as a second name
 * before the packet is decided; then the queue's head is released.
 *
 * Context: process, the consumer's ioctls serialised.
 * Return: 0; -EINVAL for a bad verdict, a token that is not this
 * consumer's or not given out, or one already decided; -ETIMEDOUT for a
 * packet released already (by its deadline); -ENOMEM, -EFAULT.
 */
int mos_verdict_apply(struct mos_net *mn, struct mos_consumer *c,
		      struct mos_verdict *v)
{
	struct mos_vq *vq = &c->vq;
	struct mos_held *e, *found = NULL;
	u64 seq = v->token & MOS_TOKEN_SEQ;
	struct tm_pkt in, out;
	bool moved = false;
	void *bytes = NULL;
	int err = 0;

	if (v->reserved ||
	    (v->verdict != MOS_VERDICT_ACCEPT &&
	     v->verdict != MOS_VERDICT_DROP) ||
	    (v->flags & ~(MOS_VERDICT_F_IP_CSUM | MOS_VERDICT_F_TCP_CSUM)) ||
	    (v->len && v->verdict != MOS_VERDICT_ACCEPT) ||
	    v->len > MOS_PKT_COPY_LIMIT || v->off > MOS_PKT_COPY_LIMIT ||
	    (v->token >> MOS_TOKEN_SHIFT) != (u64)c->dlv.slot + 1 || !seq)
		return -EINVAL;
	if (v->len) {
		bytes = memdup_user(u64_to_user_ptr(v->data), v->len);
		if (IS_ERR(bytes))
			return PTR_ERR(bytes);
	}
	spin_lock_bh(&vq->lock);
	if (seq > vq->seq) {
		err = -EINVAL;
		goto out;
	}
	list_for_each_entry(e, &vq->q, node) {
		if (e->token == v->token) {
			found = e;
			break;
		}
	}
	if (!found) {
		err = -ETIMEDOUT;
		goto out;
	}
	if (found->state != MOS_HELD_WAIT) {
		err = found->token ? -ETIMEDOUT : -EINVAL;
		goto out;
	}
	if (v->verdict == MOS_VERDICT_DROP) {
		found->state = MOS_HELD_DROP;
		mos_stat_inc(mn, MOS_STAT_VERDICT_DROP);
		goto out;
	}
	if (v->len || v->flags) {
		bool tuple = !mos_nf_tuple(found->pkt, &in);

		err = mos_nf_rewrite(found->pkt, v->off, v->len, bytes,
				     v->flags);
		if (err)
			goto out;
		/* The consumers' copies of it are not what leaves */
		found->prev.sent = 0;
		mos_stat_inc(mn, MOS_STAT_VERDICT_MODIFIED);
		/* Addresses or ports changed: the flow's second 4-tuple */
		moved = tuple && !mos_nf_tuple(found->pkt, &out) &&
			(memcmp(&in.saddr, &out.saddr, sizeof(in.saddr)) ||
			 memcmp(&in.daddr, &out.daddr, sizeof(in.daddr)) ||
			 in.sport != out.sport || in.dport != out.dport);
	}
	/*
	 * New addresses or ports: the packet stays undecided (nothing
	 * releases it) until the flow has its second name
	 */
	if (!moved) {
		found->state = MOS_HELD_ACCEPT;
		mos_stat_inc(mn, MOS_STAT_VERDICT_ACCEPT);
	}
out:
	spin_unlock_bh(&vq->lock);
	kfree(bytes);
	if (moved) {
		mos_verdict_alias(mn, &in, &out);
		/*
		 * The entry is the pool's, the consumer's as long as it is
		 * open: its token says whether it still is the packet's (a
		 * deadline may have released it meanwhile, by policy)
		 */
		spin_lock_bh(&vq->lock);
		if (found->token == v->token &&
		    found->state == MOS_HELD_WAIT) {
			found->state = MOS_HELD_ACCEPT;
			mos_stat_inc(mn, MOS_STAT_VERDICT_ACCEPT);
		} else {
			err = -ETIMEDOUT;
		}
		spin_unlock_bh(&vq->lock);
	}
	if (err == -EINVAL)
		mos_vq_stat(mn, MOS_STAT_VERDICT_BAD);
	else if (!err)
		mos_vq_drain(mn, c);
	return err;
}
