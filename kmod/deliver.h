/* SPDX-License-Identifier: GPL-2.0 */
/*
 * deliver.h - who gets which /dev/mos record, and the records written
 *
 * The routing of the tracker's callbacks to the consumers' records
 * (deliver.c) builds into mos.ko, whose consumers are the open /dev/mos
 * files of a namespace, and into libmosuser's offline backend, whose one
 * consumer reads a capture: the same source, so the two cannot disagree.
 * What differs between them is the backend, below: in the kernel the
 * static inlines of deliver_kern.h, in userspace the functions
 * libmosuser/offline.c defines.
 */
#ifndef _MOS_DELIVER_H
#define _MOS_DELIVER_H

#include "rec.h"

struct bpf_prog;

/**
 * struct mos_msock - a monitor socket of a consumer
 * @type: %MOS_MSOCK_STREAM or %MOS_MSOCK_RAW
 * @events: subscribed events per hook
 * @buf: stream bytes wanted per receiving side
 * @filter: its filters, by %MOS_FILTER_SYN etc.; NULL: all pass.  A
 *	&struct bpf_prog is the backend's: the kernel's classic BPF program,
 *	or offline the instructions libpcap's interpreter runs.
 */
struct mos_msock {
	u8 type;
	u64 events[MOS_HOOKS];
	u32 buf[2];
	struct bpf_prog __rcu *filter[MOS_FILTER_RAW + 1];
};

/**
 * struct mos_dlv - what routes records to one consumer
 * @slot: its bit in the flows' &mos_flow_dev masks (offline: 0)
 * @split_count: &mos_ioc_ring.split_count; 0 or 1: every flow
 * @split_index: &mos_ioc_ring.split_index
 * @nsocks: sockets created
 * @nraw: raw sockets among them
 * @nev: (socket, hook, event) subscriptions, for the room a packet needs
 * @socks: the sockets, by id - 1
 * @any: events some socket subscribed to, per hook
 * @buf: largest @mos_msock.buf per side
 * @lost_lock: guards @lost
 * @lost_owed: @lost holds losses to report (read without the lock)
 * @lost: losses not yet reported
 *
 * The ioctls write it (serialised by the backend); the packet path reads
 * the subscriptions with READ_ONCE() and the filters under RCU.
 */
struct mos_dlv {
	u8 slot;
	u32 split_count;
	u32 split_index;
	u32 nsocks;
	u32 nraw;
	u32 nev;
	struct mos_msock socks[MOS_SOCKS_MAX];
	u64 any[MOS_HOOKS];
	u32 buf[2];
	spinlock_t lost_lock;	/* @lost */
	bool lost_owed;
	struct mos_rec_lost lost;
};

/**
 * struct mos_flow_dev - what a flow means to the consumers (the tracker's
 * per-flow private area)
 * @want: consumers, by &mos_dlv.slot bit, that get the records about
 *	each side: events about it, the bytes it receives
 * @opened: consumers that got %MOS_REC_FLOW_OPEN and are owed the close
 *
 * Written with the flow locked; @want also read without the lock.
 */
struct mos_flow_dev {
	u64 want[2];
	u64 opened;
};

/**
 * struct mos_hold - the holds of the packet being processed (inline mode)
 * @on: inside mos_dev_reserve() .. mos_dev_unhold()
 * @left: what is left of each consumer's hold, by &mos_dlv.slot
 *
 * One per CPU in the kernel, one per capture offline.
 */
struct mos_hold {
	bool on;
	u32 left[MOS_CONSUMERS_MAX];
};

/* The callbacks the tracker's table calls: deliver.c */
extern const struct tm_ops mos_deliver_ops;

void mos_dev_raw(void *priv, const struct tm_src *src);
void mos_dev_unhold(void *priv);

void mos_dlv_init(struct mos_dlv *d);
int mos_dlv_socket(struct mos_dlv *d, struct mos_ioc_socket *a, bool raw);
int mos_dlv_subscribe(struct mos_dlv *d, const struct mos_ioc_subscribe *a);
int mos_dlv_filter_check(const struct mos_dlv *d,
			 const struct mos_ioc_filter *a);
int mos_dlv_flow_op(struct mos_dlv *d, struct tm_table *t,
		    const struct mos_ioc_flow *a, const struct tm_key *k);

#ifdef __KERNEL__
#include "deliver_kern.h"
#else
/*
 * The offline backend (libmosuser/offline.c): @priv is its struct
 * mos_offline, and its one consumer's &struct mos_dlv.
 */
#define rcu_dereference(p)	(p)
#define smp_store_release(p, v)	WRITE_ONCE(*(p), v)
#define hweight64(w)		((unsigned int)__builtin_popcountll(w))
#define ALIGN(x, a)		(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

struct mos_dlv *mos_dlv_next(void *priv, struct mos_dlv *d);
bool mos_dlv_any(void *priv);
struct mos_hold *mos_dlv_holds(void *priv);
bool mos_dlv_inline(void *priv);
void *mos_dlv_reserve(struct mos_dlv *d, u32 len, u16 type, u16 sock,
		      u32 *hold);
void mos_dlv_commit(struct mos_dlv *d, void *body, bool discard);
bool mos_dlv_hold(struct mos_dlv *d, u64 bytes);
void mos_dlv_unhold(struct mos_dlv *d, u32 bytes);
u64 mos_dlv_size(struct mos_dlv *d);
bool mos_dlv_filter(struct bpf_prog *prog, const struct tm_src *src);
u32 mos_dlv_split_hash(const struct tm_flow *f);
u64 mos_dlv_now(void *priv);
void mos_dlv_stat(void *priv, unsigned int stat);
void mos_dlv_flow_note(void *priv, const struct tm_flow *f, bool end);
unsigned int mos_dlv_classify(void *priv, const struct tm_src *src,
			      u32 *rule);
#endif

#endif /* _MOS_DELIVER_H */
