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
 * consumer's queue is queued behind it (already decided: accept) even if
 * it raises no event, so a flow's packets leave in order.  Packets that
 * raise no event of a verdict consumer and whose flow has nothing held
 * never wait.
 *
 * Time and failure: each held packet has a deadline, %MOS_LIMIT_VERDICT_MS
 * after it was taken; the queue's timer gives the packets past it the
 * namespace's %MOS_LIMIT_VERDICT_POLICY (%MOS_STAT_VERDICT_TIMEOUT).  A
 * consumer that closes (or dies) has its packets released by policy at
 * once (mos_vq_close(), %MOS_STAT_HELD_RELEASED); disabling monitoring
 * releases everything by policy before the hooks go, a namespace being
 * dismantled drops everything (mos_verdict_release_all()).
 *
 * Limits: %MOS_LIMIT_HELD_MAX packets per consumer and per namespace; a
 * packet that finds no room (or no memory) is not held and gets the
 * policy at once (%MOS_STAT_HELD_FULL).
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
 * Several verdict consumers: a packet is held for the first consumer on
 * the namespace's list (by setup order) that got one of its events; the
 * others' records of it carry no %MOS_REC_HELD.
 */

#include <linux/jiffies.h>
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
};

/**
 * struct mos_held - a packet in a consumer's queue
 * @node: in &mos_vq.q
 * @pkt: the attachment's (hooks/nf.c), released by mos_nf_release()
 * @token: &mos_rec_held.token; 0: queued behind a packet of its flow
 * @deadline: ktime_get_ns() after which the policy applies
 * @state: &enum mos_held_state
 * @family: 4 or 6
 * @sport: source port, as the packet came
 * @dport: destination port
 * @saddr: source address
 * @daddr: destination address
 */
struct mos_held {
	struct list_head node;
	void *pkt;
	u64 token;
	u64 deadline;
	u8 state;
	u8 family;
	__be16 sport;
	__be16 dport;
	union tm_addr saddr;
	union tm_addr daddr;
};

static void mos_vq_timer(struct timer_list *t);

/**
 * mos_vq_init() - set up an empty queue
 * @vq: the queue
 */
void mos_vq_init(struct mos_vq *vq)
{
	spin_lock_init(&vq->lock);
	INIT_LIST_HEAD(&vq->q);
	timer_setup(&vq->timer, mos_vq_timer, 0);
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

/* Is @e of the flow of @p, in either direction? */
static bool mos_held_flow(const struct mos_held *e, const struct tm_pkt *p)
{
	size_t n = p->family == 4 ? 4 : 16;

	if (e->family != p->family)
		return false;
	if (e->sport == p->sport && e->dport == p->dport &&
	    !memcmp(&e->saddr, &p->saddr, n) && !memcmp(&e->daddr, &p->daddr, n))
		return true;
	return e->sport == p->dport && e->dport == p->sport &&
	       !memcmp(&e->saddr, &p->daddr, n) &&
	       !memcmp(&e->daddr, &p->saddr, n);
}

/* Has @vq a packet of @p's flow?  Context: bottom halves disabled. */
static bool mos_vq_has_flow(struct mos_vq *vq, const struct tm_pkt *p)
{
	struct mos_held *e;
	bool found = false;

	spin_lock(&vq->lock);
	list_for_each_entry(e, &vq->q, node) {
		if (mos_held_flow(e, p)) {
			found = true;
			break;
		}
	}
	spin_unlock(&vq->lock);
	return found;
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
		spin_unlock_bh(&vq->lock);
		mos_nf_release(e->pkt, e->state == MOS_HELD_ACCEPT);
		spin_lock_bh(&vq->lock);
		list_del(&e->node);
		vq->n--;
		atomic_dec(&mn->nheld);
		kfree(e);
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

/* The consumer a packet is held for: its events' or its flow's */
static struct mos_consumer *mos_verdict_owner(struct mos_net *mn, u64 want,
					      const struct tm_pkt *p)
{
	struct mos_consumer *c;

	list_for_each_entry_rcu(c, &mn->consumers, node) {
		if (!c->dlv.verdict)
			continue;
		if (want) {
			if (want & BIT_ULL(c->dlv.slot))
				return c;
		} else if (READ_ONCE(c->vq.n) && mos_vq_has_flow(&c->vq, p)) {
			return c;
		}
	}
	return NULL;
}

/**
 * mos_verdict_take() - hold the packet being processed, if it must be
 * @mn: the namespace's state
 * @pkt: the packet, which the tracker passed
 * @p: its parsed headers
 * @drop: set if the packet could not be held and the policy drops it
 *
 * Context: the packet path, bottom halves disabled, RCU, before
 * mos_dev_unhold().
 * Return: true if the attachment has taken the packet (it must not touch
 * it any more).
 */
bool mos_verdict_take(struct mos_net *mn, const struct mos_pkt *pkt,
		      const struct tm_pkt *p, bool *drop)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	struct mos_rec_held *r = NULL;
	struct mos_held *e = NULL;
	struct mos_consumer *c;
	u64 want = h->verdict;
	void *held = NULL;
	struct mos_vq *vq;
	u32 max;

	*drop = false;
	if (!pkt->hold || READ_ONCE(mn->vclosing) ||
	    (!want && !atomic_read(&mn->nheld)))
		return false;
	c = mos_verdict_owner(mn, want, p);
	if (!c)
		return false;
	vq = &c->vq;
	max = READ_ONCE(mn->held_max);
	e = kmalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);
	if (e && want)
		r = mos_ring_reserve(c->ring, sizeof(*r), MOS_REC_HELD, 0,
				     h->on ? &h->left[c->dlv.slot] : NULL);
	if (e && (!want || r))
		held = pkt->hold(pkt);
	spin_lock(&vq->lock);
	if (!held || vq->dead || vq->n >= max ||
	    atomic_inc_return(&mn->nheld) > max) {
		if (held && !vq->dead && vq->n < max)
			atomic_dec(&mn->nheld);
		spin_unlock(&vq->lock);
		if (held)
			mos_nf_free(held);
		if (r)
			mos_ring_commit(c->ring, r, true);
		kfree(e);
		mos_stat_inc(mn, MOS_STAT_HELD_FULL);
		*drop = mos_vq_policy(mn) == MOS_HELD_DROP;
		return false;
	}
	e->pkt = held;
	e->token = want ? ((u64)(c->dlv.slot + 1) << MOS_TOKEN_SHIFT) |
			  (++vq->seq & MOS_TOKEN_SEQ) : 0;
	e->deadline = ktime_get_ns() +
		      (u64)READ_ONCE(mn->verdict_ms) * NSEC_PER_MSEC;
	e->state = want ? MOS_HELD_WAIT : MOS_HELD_ACCEPT;
	e->family = p->family;
	e->sport = p->sport;
	e->dport = p->dport;
	e->saddr = p->saddr;
	e->daddr = p->daddr;
	list_add_tail(&e->node, &vq->q);
	vq->n++;
	if (want && !timer_pending(&vq->timer))
		mos_vq_arm(vq);
	if (r) {
		/* The consumer cannot name the packet before this commit */
		memset(r, 0, sizeof(*r));
		r->token = e->token;
		r->flow = h->vflow;
		r->pkt_total = pkt->src.len;
		r->pkt_from = h->vfrom;
	}
	spin_unlock(&vq->lock);
	if (r)
		mos_ring_commit(c->ring, r, false);
	mos_stat_inc(mn, MOS_STAT_HELD);
	return true;
}

/**
 * mos_verdict_apply() - one verdict of %MOS_IOC_VERDICT
 * @mn: the namespace's state
 * @c: the consumer
 * @v: the verdict, copied in
 *
 * The new bytes are written into the packet (hooks/nf.c) while it waits,
 * then the queue's head is released.
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
		err = mos_nf_rewrite(found->pkt, v->off, v->len, bytes,
				     v->flags);
		if (err)
			goto out;
		mos_stat_inc(mn, MOS_STAT_VERDICT_MODIFIED);
	}
	found->state = MOS_HELD_ACCEPT;
	mos_stat_inc(mn, MOS_STAT_VERDICT_ACCEPT);
out:
	spin_unlock_bh(&vq->lock);
	kfree(bytes);
	if (err == -EINVAL)
		mos_vq_stat(mn, MOS_STAT_VERDICT_BAD);
	else if (!err)
		mos_vq_drain(mn, c);
	return err;
}
