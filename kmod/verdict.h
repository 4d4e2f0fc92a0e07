/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verdict.h - packets held for a consumer's verdict (verdict.c)
 */
#ifndef _MOS_VERDICT_H
#define _MOS_VERDICT_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>
#include "tcpmon/tcpmon.h"

struct mos_consumer;
struct mos_held;
struct mos_net;
struct mos_pkt;
struct mos_verdict;
struct mos_vflow;

/**
 * struct mos_vq - a consumer's held packets, in the order they came
 * @lock: guards the rest; taken with bottom halves disabled
 * @q: &struct mos_held, oldest first
 * @n: entries in @q
 * @seq: last token sequence number given out
 * @draining: a CPU is releasing the head of @q (mos_vq_drain())
 * @dead: the consumer is closing: nothing more is queued
 * @timer: fires at the deadline of the oldest packet still waiting
 * @cap: entries of the pool, %MOS_LIMIT_HELD_MAX when the ring was set up
 * @slots: the pool's @cap packet entries, each in @q or in @free
 * @free: the entries not in @q
 * @flows: the pool's @cap flow entries, each in @buckets or in @free_flows
 * @free_flows: the flow entries not in @buckets
 * @buckets: the flows with packets in @q, by a keyed hash of the flow
 * @hmask: the number of @buckets less one (a power of two less one)
 * @seed: the hash's random key
 */
struct mos_vq {
	spinlock_t lock;	/* all of it */
	struct list_head q;
	u32 n;
	u64 seq;
	bool draining;
	bool dead;
	struct timer_list timer;
	u32 cap;
	struct mos_held *slots;
	struct list_head free;
	struct mos_vflow *flows;
	struct hlist_head free_flows;
	struct hlist_head *buckets;
	u32 hmask;
	u32 seed;
};

void mos_vq_init(struct mos_vq *vq);
int mos_vq_alloc(struct mos_vq *vq, u32 cap);
void mos_vq_free(struct mos_vq *vq);
void mos_vq_close(struct mos_net *mn, struct mos_consumer *c);
bool mos_verdict_due(struct mos_net *mn, const struct tm_pkt *p);
bool mos_verdict_take(struct mos_net *mn, const struct mos_pkt *pkt,
		      const struct tm_pkt *p, const struct tm_pend *pd,
		      bool *drop);
int mos_verdict_apply(struct mos_net *mn, struct mos_consumer *c,
		      struct mos_verdict *v);
void mos_verdict_skip(struct mos_net *mn, const struct mos_pkt *pkt,
		      bool count);
bool mos_verdict_wait(struct mos_net *mn, const struct mos_pkt *pkt,
		      const struct tm_pkt *p);
bool mos_verdict_keep(struct mos_net *mn, struct mos_consumer *c,
		      struct mos_held *e, const struct mos_pkt *pkt,
		      const struct tm_pend *pd);
void mos_verdict_untracked(struct mos_net *mn, struct mos_consumer *c,
			   struct mos_held *e, const struct mos_pkt *pkt,
			   bool drop);
void mos_verdict_release_all(struct mos_net *mn, bool dying);

#endif /* _MOS_VERDICT_H */
