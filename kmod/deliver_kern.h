/* SPDX-License-Identifier: GPL-2.0 */
/*
 * deliver_kern.h - the kernel's backend of deliver.c: the consumers are
 * the open /dev/mos files of a namespace, their records go to their rings
 *
 * Included by deliver.h only.  @priv is the namespace's &struct mos_net
 * (the tracker's table's user pointer).
 */
#ifndef _MOS_DELIVER_KERN_H
#define _MOS_DELIVER_KERN_H

#include <linux/ktime.h>
#include <linux/rculist.h>
#include <linux/wait.h>
#include "genl.h"
#include "netns.h"
#include "pkt.h"
#include "ring.h"
#include "rules.h"
#include "verdict.h"

/**
 * struct mos_consumer - an open /dev/mos
 * @net: its namespace (referenced)
 * @lock: serialises the ioctls
 * @ring: the ring, once set up (release store); then constant until
 *	release
 * @wq: poll() waits here
 * @node: in &mos_net.consumers (RCU), from ring setup to release
 * @dlv: what routes records to it (deliver.c)
 * @vq: its packets held for its verdict (verdict.c)
 * @rcu: for freeing after the packet path is done with it
 */
struct mos_consumer {
	struct net *net;
	struct mutex lock;	/* ioctls */
	struct mos_ring *ring;
	wait_queue_head_t wq;
	struct list_head node;
	struct mos_dlv dlv;
	struct mos_vq vq;
	struct rcu_head rcu;
};

/* This CPU's holds for the packet it is processing (chardev.c) */
DECLARE_PER_CPU(struct mos_hold, mos_hold);

static inline struct mos_consumer *mos_dlv_cons(struct mos_dlv *d)
{
	return container_of(d, struct mos_consumer, dlv);
}

/* The consumer after @d (NULL: the first), or NULL.  Under RCU. */
static inline struct mos_dlv *mos_dlv_next(void *priv, struct mos_dlv *d)
{
	struct list_head *head = &((struct mos_net *)priv)->consumers;
	struct list_head *n;

	n = list_next_rcu(d ? &mos_dlv_cons(d)->node : head);
	n = rcu_dereference(n);
	return n == head ? NULL : &list_entry(n, struct mos_consumer, node)->dlv;
}

/* Has the namespace a consumer at all?  Skips the walks when not. */
static inline bool mos_dlv_any(void *priv)
{
	return !list_empty(&((struct mos_net *)priv)->consumers);
}

static inline struct mos_hold *mos_dlv_holds(void *priv)
{
	return this_cpu_ptr(&mos_hold);
}

static inline bool mos_dlv_inline(void *priv)
{
	return READ_ONCE(((struct mos_net *)priv)->mode) == MOS_MODE_INLINE;
}

static inline void *mos_dlv_reserve(struct mos_dlv *d, u32 len, u16 type,
				    u16 sock, u32 *hold)
{
	return mos_ring_reserve(mos_dlv_cons(d)->ring, len, type, sock, hold);
}

/*
 * Within a packet (&mos_hold.batch), a ring's first record of the packet
 * stays busy until mos_dev_flush(): the consumer stops there, so it never
 * reads part of a packet's records.  The ring's next records are
 * committed at once: they are behind it.
 */
static inline void mos_dlv_commit(struct mos_dlv *d, void *body,
				  bool discard)
{
	struct mos_ring *rb = mos_dlv_cons(d)->ring;
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	unsigned int i;

	if (h->batch) {
		for (i = 0; i < h->ndefer && h->defer[i].ring != rb; i++)
			;
		if (i == h->ndefer && i < ARRAY_SIZE(h->defer)) {
			h->defer[i].ring = rb;
			h->defer[i].body = body;
			h->defer[i].discard = discard;
			h->ndefer++;
			return;
		}
	}
	mos_ring_commit(rb, body, discard);
}

/**
 * mos_dev_batch() - start a packet whose records become visible together
 *
 * Context: bottom halves disabled, inside an RCU read section that lasts
 * until mos_dev_flush() (the rings stay allocated).
 * Return: true if this call started the batch (a nested packet joins the
 * one under way); pass it to mos_dev_flush().
 */
static inline bool mos_dev_batch(void)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);

	if (h->batch)
		return false;
	h->batch = true;
	return true;
}

/**
 * mos_dev_flush() - end a batch: commit each ring's first record of it
 * @own: what mos_dev_batch() returned
 *
 * Context: as mos_dev_batch().
 */
static inline void mos_dev_flush(bool own)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	unsigned int i;

	if (!own)
		return;
	for (i = 0; i < h->ndefer; i++)
		mos_ring_commit(h->defer[i].ring, h->defer[i].body,
				h->defer[i].discard);
	h->ndefer = 0;
	h->now = 0;
	h->batch = false;
}

static inline bool mos_dlv_hold(struct mos_dlv *d, u64 bytes)
{
	return mos_ring_hold(mos_dlv_cons(d)->ring, bytes);
}

/* After a failed hold: whether the consumer stalled (counted once) */
static inline bool mos_dlv_stalled(void *priv, struct mos_dlv *d)
{
	struct mos_net *mn = priv;
	bool newly, stalled;

	stalled = mos_ring_stalled(mos_dlv_cons(d)->ring,
				   (u64)READ_ONCE(mn->stall_ms) * NSEC_PER_MSEC,
				   ktime_get_ns(), &newly);
	if (newly)
		mos_stat_inc(mn, MOS_STAT_CONS_STALLED);
	return stalled;
}

/* A verdict consumer got an event record of @f's packet (verdict.c) */
static inline void mos_dlv_verdict_note(void *priv, struct mos_dlv *d,
					const struct tm_flow *f, u8 from)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);

	h->verdict |= BIT_ULL(d->slot);
	h->vflow = f->id;
	h->vfrom = from;
}

static inline void mos_dlv_unhold(struct mos_dlv *d, u32 bytes)
{
	mos_ring_unhold(mos_dlv_cons(d)->ring, bytes);
}

static inline u64 mos_dlv_size(struct mos_dlv *d)
{
	return mos_ring_size(mos_dlv_cons(d)->ring);
}

static inline bool mos_dlv_filter(struct bpf_prog *prog,
				  const struct tm_src *src)
{
	return mos_pkt_filter(src, prog);
}

/* The split takes the table's flow hash */
static inline u32 mos_dlv_split_hash(const struct tm_flow *f)
{
	return f->hash;
}

/* The table's hash of a flow's endpoints: -ENOENT if there is no table */
static inline int mos_dlv_key_hash(void *priv, const struct tm_key *k,
				   u32 *hash)
{
	struct tm_table *t;
	int err = -ENOENT;

	rcu_read_lock();
	t = rcu_dereference(((struct mos_net *)priv)->tm);
	if (t) {
		*hash = mos_tm_key_hash(t, k);
		err = 0;
	}
	rcu_read_unlock();
	return err;
}

/* A packet's event records share one time, read at the first of them */
static inline u64 mos_dlv_now(void *priv)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);

	if (!h->batch)
		return ktime_get_ns();
	if (!h->now)
		h->now = ktime_get_ns();
	return h->now;
}

static inline void mos_dlv_stat(void *priv, unsigned int stat)
{
	mos_stat_inc(priv, stat);
}

/* A flow's start and end also go to the "flows" multicast group */
static inline void mos_dlv_flow_note(void *priv, const struct tm_flow *f,
				     bool end)
{
	mos_genl_flow_event(priv, f, end);
}

/* The tracker's actions are numbered as the rules' */
static inline unsigned int mos_dlv_classify(void *priv,
					    const struct tm_src *src,
					    u32 *rule)
{
	return mos_rules_classify(priv, src, rule);
}

#endif /* _MOS_DELIVER_KERN_H */
