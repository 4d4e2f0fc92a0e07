/* SPDX-License-Identifier: GPL-2.0 */
/*
 * deliver.h - who gets which /dev/mos record, and the records written
 *
 * The routing of the tracker's callbacks to the consumers' records
 * (deliver.c) builds into mos.ko, whose consumers are the open /dev/mos
 * files of a namespace, and into libmosuser's offline backend, whose one
 * consumer reads a capture: the same source, so the two cannot disagree.
 * What differs between them is the backend: in the kernel the static
 * inlines of deliver_kern.h, in userspace the functions of
 * libmosuser/offline.c (declared in libmosuser/deliver_user.h).  @priv
 * is the tracker's table's user pointer (struct mos_net, struct
 * mos_offline); a backend gives:
 *
 * - mos_dlv_next(), mos_dlv_any(): its consumers (under RCU);
 * - mos_dlv_reserve(), mos_dlv_commit(): a record's room, then the record
 *   published (or discarded);
 * - mos_dlv_holds(), mos_dlv_inline(), mos_dlv_hold(), mos_dlv_unhold(),
 *   mos_dlv_size(): inline mode's room held for a packet;
 * - mos_dlv_filter(): a socket filter run on a packet;
 * - mos_dlv_split_hash(), mos_dlv_key_hash(): the hash that splits flows
 *   between consumers, of a flow and of a flow's endpoints;
 * - mos_dlv_now(): the clock of event records;
 * - mos_dlv_stat(), mos_dlv_flow_note(), mos_dlv_classify(): the
 *   namespace's counters, flow announcements and rules, where it has them.
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
 * @pkt_max: packet bytes an event record carries at most
 *	(&mos_ioc_ring.pkt_max, %MOS_PKT_COPY_MAX for 0)
 * @pkt_once: %MOS_RING_F_PKT_ONCE: a packet's bytes in its first event
 *	record only
 * @verdict: %MOS_RING_F_VERDICT: its events' packets wait for its verdict
 *	(the kernel's verdict.c; offline, nothing waits)
 * @data_pkt: %MOS_RING_F_DATA_PKT: stream bytes that record carried are
 *	not copied again (%MOS_DATAF_PKT)
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
	u32 pkt_max;
	bool pkt_once;
	bool verdict;
	bool data_pkt;
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
 * @pkt_gen: packets whose bytes went to a %MOS_RING_F_PKT_ONCE consumer in
 *	a record of the flow (wraps): unchanged since a held packet's
 *	sender's records, the consumers still have that packet
 *	(&struct mos_pkt_prev)
 *
 * Written with the flow locked; @want also read without the lock.
 */
struct mos_flow_dev {
	u64 want[2];
	u64 opened;
	u32 pkt_gen;
};

/**
 * struct mos_pkt_prev - the consumers that have a packet's bytes from its
 * sender's records, for the records of its receiver's side made when it
 * leaves (a held packet, kernel only): with %MOS_RING_F_PKT_ONCE and
 * %MOS_RING_F_DATA_PKT these refer to those bytes rather than copy them
 * again, if the packet was not rewritten and no other packet of the
 * flow's went to a consumer in between
 * @sent: the consumers (bit &mos_dlv.slot) that got the bytes; 0: none,
 *	or the packet was rewritten
 * @gen: the flow's &mos_flow_dev.pkt_gen after them
 * @len: the packet's length then (&tm_src.len)
 */
struct mos_pkt_prev {
	u64 sent;
	u32 gen;
	u32 len;
};

/**
 * struct mos_hold - the packet being processed: its holds (inline mode),
 * the consumers that got its bytes
 * @on: inside mos_dev_reserve() .. mos_dev_unhold()
 * @left: what is left of each consumer's hold, by &mos_dlv.slot
 * @pkt_flow: the flow whose records @pkt_sent is about (0: none)
 * @pkt_sent: the consumers (bit &mos_dlv.slot) with %MOS_RING_F_PKT_ONCE
 *	that got the packet's bytes in a record of @pkt_flow
 * @verdict: the consumers (bit &mos_dlv.slot) with %MOS_RING_F_VERDICT
 *	that got an event record of the packet about a flow
 * @vflow: that flow's id
 * @vfrom: the side that sent the packet
 * @pkt_src: the packet those records copied (&tm_src.pkt), valid while
 *	@pkt_sent is not zero
 * @pkt_len: its length (&tm_src.len)
 * @pkt_gen: @pkt_flow's &mos_flow_dev.pkt_gen once the packet's bytes
 *	went to a consumer
 * @prev: set by mos_dev_pkt_reuse() for the receiver's side of a held
 *	packet that leaves: who has its bytes already
 * @prev_flow: its flow's id (&tm_flow.id)
 * @prev_src: that packet, as it leaves (&tm_src.pkt)
 * @batch: the packet's records become visible together: each ring's first
 *	record of the packet is committed by mos_dev_flush() (kernel only)
 * @ndefer: rings in @defer
 * @defer: those first records, not committed yet
 * @now: within @batch, the time of the packet's event records, read at
 *	its first (0: none yet; kernel only)
 *
 * One per CPU in the kernel, one per capture offline.  mos_dev_unhold()
 * ends the packet.
 */
struct mos_hold {
	bool on;
	u32 left[MOS_CONSUMERS_MAX];
	u64 pkt_flow;
	u64 pkt_sent;
	u64 verdict;
	u64 vflow;
	u8 vfrom;
	const void *pkt_src;
	u32 pkt_len;
	u32 pkt_gen;
	struct mos_pkt_prev prev;
	u64 prev_flow;
	const void *prev_src;
	bool batch;
	u8 ndefer;
	struct mos_defer {
		void *ring;
		void *body;
		bool discard;
	} defer[MOS_CONSUMERS_MAX];
	u64 now;
};

/* The callbacks the tracker's table calls: deliver.c */
extern const struct tm_ops mos_deliver_ops;

void mos_dev_raw(void *priv, const struct tm_src *src);
void mos_dev_unhold(void *priv);
void mos_dev_pkt_prev(void *priv, u64 flow, struct mos_pkt_prev *pv);
void mos_dev_pkt_reuse(void *priv, const struct mos_pkt_prev *pv, u64 flow,
		       const struct tm_src *src);

void mos_dlv_init(struct mos_dlv *d);
void mos_dlv_ring(struct mos_dlv *d, const struct mos_ioc_ring *a);
int mos_dlv_split_query(void *priv, struct mos_ioc_split *a);
int mos_dlv_socket(struct mos_dlv *d, struct mos_ioc_socket *a, bool raw);
int mos_dlv_subscribe(struct mos_dlv *d, const struct mos_ioc_subscribe *a);
int mos_dlv_filter_check(const struct mos_dlv *d,
			 const struct mos_ioc_filter *a);
void mos_flow_dev_stop(struct mos_flow_dev *fd, u64 bit, u32 sides);
int mos_dlv_flow_op(struct mos_dlv *d, struct tm_table *t,
		    const struct mos_ioc_flow *a, const struct tm_key *k);

#ifdef __KERNEL__
#include "deliver_kern.h"
#else
#include "deliver_user.h"	/* libmosuser/: the offline backend */
#endif

#endif /* _MOS_DELIVER_H */
