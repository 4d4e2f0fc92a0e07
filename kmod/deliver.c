// SPDX-License-Identifier: GPL-2.0
/*
 * deliver.c - the tracker's callbacks, routed to the consumers' records
 *
 * DOC: Theory of Operation
 *
 * The tracker (kmod/tcpmon/) reports through &struct tm_ops; this file is
 * those callbacks (mos_deliver_ops), for mos.ko and for libmosuser's
 * offline backend alike (see deliver.h for what differs: the backend).
 * A consumer (an open /dev/mos, or the reader of a capture) has monitor
 * sockets, each subscribed to events per hook with the stream bytes it
 * wants per side (&struct mos_dlv), and gets:
 *
 * - %MOS_REC_FLOW_OPEN and %MOS_REC_FLOW_CLOSE for each flow that is for
 *   it: its split takes the flow and a stream socket's SYN filter (or
 *   the lack of one) accepts the flow's first packet; the flow's
 *   &mos_flow_dev remembers it, per side, by the consumer's slot;
 * - one %MOS_REC_EVENT per socket subscribed to the event at its hook,
 *   with the packet's first bytes, for the sides it follows (orphans:
 *   the sockets whose orphan filter accepts; raw sockets: every packet
 *   their filter accepts, mos_dev_raw()); nothing for events nobody
 *   subscribed.  A consumer with %MOS_RING_F_PKT_ONCE gets a flow's
 *   packet's bytes in the first of the packet's records only, the next
 *   ones say %MOS_EVF_PKT_PREV (&mos_hold.pkt_sent);
 * - %MOS_REC_DATA for the stream bytes of a side some socket wants.  With
 *   %MOS_RING_F_DATA_PKT too, in-order bytes of the packet that a record
 *   of it carried already are not copied again: the data record says
 *   where they are in that packet (%MOS_DATAF_PKT, mos_data_in_pkt()).
 *   That record is before it in the ring, of the same flow, and the
 *   flow's next packet's records come after it (the flow is locked while
 *   its packet is processed): the consumer keeps the flow's last packet
 *   (or does not release its record) until the flow's next packet.
 *
 * %MOS_IOC_FLOW stops a consumer's records about a side of a flow
 * (mos_dlv_flow_op()).
 *
 * Losses (passive mode): a record the backend has no room for is counted,
 * with the flow it belonged to, and a %MOS_REC_LOST record goes before
 * the next record that fits.  Stream offsets in %MOS_REC_DATA tell the
 * consumer exactly which bytes it missed.  Inline mode holds room first
 * (mos_dev_reserve()) and drops the packet instead.  Offline, the record
 * buffer grows: nothing is lost but for lack of memory, which stops the
 * capture.
 *
 * Locking: the backend serialises the ioctls that change a &struct
 * mos_dlv.  The packet path reads the subscriptions with READ_ONCE() and
 * the filters and the consumers under RCU, and takes only the backend's
 * record lock and &mos_dlv.lost_lock, with bottom halves disabled.
 */

#include "deliver.h"

/* Times one subscribed event may be raised for one packet, at most */
#define MOS_EV_PER_PKT		4

#define MOS_REC_ROOM(body)	ALIGN(sizeof(struct mos_rec) + (body), \
				      MOS_REC_ALIGN)

static void mos_lost_flow(struct mos_rec_lost *l, u64 flow)
{
	u32 i;

	if (!flow)
		return;
	for (i = 0; i < min_t(u32, l->nflows, MOS_LOST_FLOWS); i++)
		if (l->flows[i] == flow)
			return;
	if (l->nflows < MOS_LOST_FLOWS)
		l->flows[l->nflows++] = flow;
	else
		l->nflows = MOS_LOST_FLOWS + 1;
}

/*
 * Reserve a record, after the LOST record owed, if any, against the
 * packet's hold on the ring when there is one.  On failure the loss is
 * counted: @type says in which counter, @bytes how many stream bytes went
 * with it.
 */
static void *mos_rec_reserve(void *priv, struct mos_dlv *d, u32 len,
			     u16 type, u16 sock, u64 flow, u32 bytes)
{
	struct mos_hold *h = mos_dlv_holds(priv);
	u32 *hold = h->on ? &h->left[d->slot] : NULL;
	struct mos_rec_lost *l = &d->lost;
	void *body = NULL;

	/* No loss owed (the usual case): no lock but the ring's */
	if (!READ_ONCE(d->lost_owed)) {
		body = mos_dlv_reserve(d, len, type, sock, hold);
		if (body)
			return body;
	}
	spin_lock(&d->lost_lock);
	if (d->lost_owed) {
		struct mos_rec_lost *r;

		r = mos_dlv_reserve(d, sizeof(*r), MOS_REC_LOST, 0, hold);
		if (!r)
			goto lost;
		*r = *l;
		mos_dlv_commit(d, r, false);
		memset(l, 0, sizeof(*l));
		WRITE_ONCE(d->lost_owed, false);
	}
	body = mos_dlv_reserve(d, len, type, sock, hold);
	if (body)
		goto out;
lost:
	if (type == MOS_REC_EVENT) {
		l->events++;
	} else if (type == MOS_REC_DATA) {
		l->data++;
		l->bytes += bytes;
	} else {
		l->other++;
	}
	mos_lost_flow(l, flow);
	WRITE_ONCE(d->lost_owed, true);
	mos_dlv_stat(priv, MOS_STAT_RING_LOST);
out:
	spin_unlock(&d->lost_lock);
	return body;
}

/* Run a socket's filter on a packet: true if it has none or it accepts */
static bool mos_filter_pass(struct mos_msock *m, unsigned int which,
			    const struct tm_src *src)
{
	struct bpf_prog *prog = rcu_dereference(m->filter[which]);

	if (!prog)
		return true;
	if (!src)
		return false;
	return mos_dlv_filter(prog, src);
}

/* Does consumer @d get records about @side of flow @f? */
static bool mos_flow_wants(const struct mos_dlv *d, const struct tm_flow *f,
			   int side)
{
	const struct mos_flow_dev *fd = mos_tm_flow_priv((struct tm_flow *)f);

	return READ_ONCE(fd->want[side]) & BIT_ULL(d->slot);
}

static void mos_rec_flow(void *priv, struct mos_dlv *d,
			 const struct tm_flow *f, bool end, u64 socks)
{
	struct mos_rec_flow *r;

	r = mos_rec_reserve(priv, d, sizeof(*r),
			    end ? MOS_REC_FLOW_CLOSE : MOS_REC_FLOW_OPEN, 0,
			    f->id, 0);
	if (!r)
		return;
	mos_rec_flow_fill(r, f);
	r->socks = socks;
	mos_dlv_commit(d, r, false);
}

/* The stream sockets of @d a new flow is for: SYN filters, hash split */
static u64 mos_flow_socks(struct mos_dlv *d, const struct tm_flow *f,
			  const struct tm_src *src)
{
	unsigned int i, n = min_t(u32, READ_ONCE(d->nsocks), MOS_SOCKS_MAX);
	u64 socks = 0;

	if (d->split_count > 1 &&
	    mos_split_index(mos_dlv_split_hash(f), d->split_count) !=
	    d->split_index)
		return 0;
	for (i = 0; i < n; i++)
		if (READ_ONCE(d->socks[i].type) == MOS_MSOCK_STREAM &&
		    mos_filter_pass(&d->socks[i], MOS_FILTER_SYN, src))
			socks |= BIT_ULL(i);
	return socks;
}

/*
 * &tm_ops.flow: a new flow is for the consumers whose split takes it and
 * some of whose stream sockets' SYN filters accept @src: they get
 * %MOS_REC_FLOW_OPEN, and the flow's &mos_flow_dev says so.  At the end
 * (@src NULL), those that still monitor a side of it get
 * %MOS_REC_FLOW_CLOSE.
 *
 * Context: bottom halves disabled, flow locked.
 */
static void mos_dlv_flow_cb(void *priv, struct tm_flow *f,
			    const struct tm_src *src, const struct tm_pkt *p)
{
	struct mos_flow_dev *fd = mos_tm_flow_priv(f);
	struct mos_dlv *d;

	(void)p;	/* the flow holds what the records need */
	mos_dlv_flow_note(priv, f, !src);
	if (!mos_dlv_any(priv))
		return;
	rcu_read_lock();
	for (d = mos_dlv_next(priv, NULL); d; d = mos_dlv_next(priv, d)) {
		u64 bit = BIT_ULL(d->slot), socks;

		if (!src) {
			if (fd->opened & bit)
				mos_rec_flow(priv, d, f, true, 0);
			continue;
		}
		socks = mos_flow_socks(d, f, src);
		if (!socks)
			continue;
		WRITE_ONCE(fd->want[TM_CLI], fd->want[TM_CLI] | bit);
		WRITE_ONCE(fd->want[TM_SVR], fd->want[TM_SVR] | bit);
		fd->opened |= bit;
		mos_rec_flow(priv, d, f, false, socks);
	}
	rcu_read_unlock();
}

/*
 * The packet being processed has records about @f now: which consumers
 * have its bytes.  None yet, unless it is a held packet leaving whose
 * sender's records gave them its bytes, and they still have them
 * (&struct mos_pkt_prev).
 */
static void mos_hold_flow(struct mos_hold *h, const struct tm_flow *f)
{
	const struct mos_flow_dev *fd = mos_tm_flow_priv((struct tm_flow *)f);
	const struct mos_pkt_prev *pv = &h->prev;

	h->pkt_flow = f->id;
	h->pkt_sent = 0;
	if (pv->sent && h->prev_flow == f->id && pv->gen == fd->pkt_gen) {
		h->pkt_sent = pv->sent;
		h->pkt_gen = pv->gen;
		h->pkt_src = h->prev_src;
		h->pkt_len = pv->len;
	}
}

static void mos_rec_event(void *priv, struct mos_dlv *d, unsigned int sock,
			  const struct tm_flow *f, const struct tm_ev *ev,
			  const struct tm_src *src, const struct tm_pkt *p,
			  u64 now)
{
	u32 max = READ_ONCE(d->pkt_max), plen = mos_rec_pkt_len(src, max);
	struct mos_hold *h = NULL;
	struct mos_rec_event *r;
	bool prev = false;

	/* The packet's bytes once per packet, flow and consumer */
	if (f && plen && d->pkt_once) {
		h = mos_dlv_holds(priv);
		if (h->pkt_flow != f->id)
			mos_hold_flow(h, f);
		prev = h->pkt_sent & BIT_ULL(d->slot);
	}
	r = mos_rec_reserve(priv, d, sizeof(*r) + (prev ? 0 : plen),
			    MOS_REC_EVENT, sock, f ? f->id : 0, 0);
	if (!r)
		return;
	mos_rec_event_fill(r, f, ev, src, p, now, max, prev);
	if (h && r->pkt_len) {
		if (!h->pkt_sent) {
			/* A new packet of the flow at the consumers */
			struct mos_flow_dev *fd = mos_tm_flow_priv((struct tm_flow *)f);

			h->pkt_gen = ++fd->pkt_gen;
		}
		h->pkt_sent |= BIT_ULL(d->slot);
		h->pkt_src = src->pkt;
		h->pkt_len = src->len;
	}
	if (d->verdict && f)
		mos_dlv_verdict_note(priv, d, f, r->pkt_from);
	mos_dlv_commit(d, r, false);
}

/*
 * &tm_ops.event: a flow's events go to the consumers that monitor the
 * side the event is about; an orphan to the sockets whose orphan filter
 * accepts it (with a split, to the consumer of index 0 only).
 *
 * Context: bottom halves disabled.
 */
static void mos_dlv_event_cb(void *priv, struct tm_flow *f,
			     const struct tm_ev *ev, const struct tm_src *src,
			     const struct tm_pkt *p)
{
	u64 bit = BIT_ULL(ev->type), now = 0;
	bool orphan = ev->type == TM_EV_ORPHAN;
	struct mos_dlv *d;
	unsigned int i, n;

	if (!mos_dlv_any(priv) || ev->hook >= MOS_HOOKS)
		return;
	rcu_read_lock();
	for (d = mos_dlv_next(priv, NULL); d; d = mos_dlv_next(priv, d)) {
		if (!(READ_ONCE(d->any[ev->hook]) & bit))
			continue;
		if (f && !mos_flow_wants(d, f, ev->side))
			continue;
		if (orphan && d->split_count > 1 && d->split_index)
			continue;
		if (!now)
			now = mos_dlv_now(priv);
		n = min_t(u32, READ_ONCE(d->nsocks), MOS_SOCKS_MAX);
		for (i = 0; i < n; i++) {
			struct mos_msock *m = &d->socks[i];

			if (!(READ_ONCE(m->events[ev->hook]) & bit))
				continue;
			if (orphan && !mos_filter_pass(m, MOS_FILTER_ORPHAN,
						       src))
				continue;
			mos_rec_event(priv, d, i + 1, f, ev, src, p, now);
		}
	}
	rcu_read_unlock();
}

/**
 * mos_dev_raw() - write a packet to the raw sockets whose filter takes it
 * @priv: the backend's (the kernel: the namespace's &struct mos_net)
 * @src: the packet
 *
 * Each gets a PKT_IN event record at hook %MOS_HOOK_NULL, flow 0.
 *
 * Context: bottom halves disabled.
 */
void mos_dev_raw(void *priv, const struct tm_src *src)
{
	const struct tm_ev ev = { .type = TM_EV_PKT_IN, .hook = MOS_HOOK_NULL };
	struct mos_dlv *d;
	unsigned int i, n;
	u64 now = 0;

	rcu_read_lock();
	for (d = mos_dlv_next(priv, NULL); d; d = mos_dlv_next(priv, d)) {
		if (!READ_ONCE(d->nraw))
			continue;
		n = min_t(u32, READ_ONCE(d->nsocks), MOS_SOCKS_MAX);
		for (i = 0; i < n; i++) {
			struct mos_msock *m = &d->socks[i];

			if (READ_ONCE(m->type) != MOS_MSOCK_RAW ||
			    !(READ_ONCE(m->events[MOS_HOOK_NULL]) &
			      BIT_ULL(TM_EV_PKT_IN)) ||
			    !mos_filter_pass(m, MOS_FILTER_RAW, src))
				continue;
			if (!now)
				now = mos_dlv_now(priv);
			mos_rec_event(priv, d, i + 1, NULL, &ev, src, NULL,
				      now);
		}
	}
	rcu_read_unlock();
}

/*
 * Where in the packet @d got in an event record of @f the @n stream bytes
 * at @off of @src are, if they are there: %MOS_RING_F_DATA_PKT's data
 * records refer to them instead of copying them again.
 *
 * Return: their offset in the packet, or -1.
 */
static int mos_data_in_pkt(void *priv, struct mos_dlv *d,
			   const struct tm_flow *f, const void *src,
			   unsigned int off, u32 n)
{
	struct mos_hold *h;

	if (!d->data_pkt)
		return -1;
	h = mos_dlv_holds(priv);
	/* A held packet leaving whose bytes the consumer got before */
	if (h->pkt_flow != f->id && h->prev.sent && h->prev_flow == f->id)
		mos_hold_flow(h, f);
	/* The bytes of this packet, which this consumer got, up to pkt_max */
	if (h->pkt_flow != f->id || !(h->pkt_sent & BIT_ULL(d->slot)) ||
	    src != h->pkt_src ||
	    off + n > min_t(u32, h->pkt_len, READ_ONCE(d->pkt_max)))
		return -1;
	return off;
}

/*
 * One data record of @n stream bytes at stream offset @off: the bytes
 * copied after the body, or with %MOS_DATAF_PKT a reference to them in
 * the packet's record.
 */
static void mos_rec_data(void *priv, struct mos_dlv *d, struct tm_flow *f,
			 int side, u64 off, tm_copy_t copy, const void *src,
			 unsigned int off_in_src, u32 n)
{
	int at = mos_data_in_pkt(priv, d, f, src, off_in_src, n);
	struct mos_rec_data *r;

	r = mos_rec_reserve(priv, d, sizeof(*r) + (at < 0 ? n : 0),
			    MOS_REC_DATA, 0, f->id, n);
	if (!r)
		return;
	r->flow = f->id;
	r->off = off;
	r->side = side;
	r->len = n;
	if (at >= 0) {
		r->flags = MOS_DATAF_PKT;
		r->pkt_off = at;
		mos_dlv_commit(d, r, false);
		return;
	}
	r->flags = 0;
	r->pkt_off = 0;
	mos_dlv_commit(d, r, copy(src, off_in_src, r + 1, n) != 0);
}

/*
 * &tm_ops.data: stream bytes to the consumers that want them, in records
 * of %MOS_DATA_CHUNK bytes at most.
 *
 * Context: bottom halves disabled, flow locked.
 */
static void mos_dlv_data_cb(void *priv, struct tm_flow *f, int side, u64 off,
			    tm_copy_t copy, const void *src,
			    unsigned int off_in_src, unsigned int len)
{
	struct mos_dlv *d;

	if (!mos_dlv_any(priv))
		return;
	rcu_read_lock();
	for (d = mos_dlv_next(priv, NULL); d; d = mos_dlv_next(priv, d)) {
		unsigned int done = 0;

		if (!READ_ONCE(d->buf[side]) || !mos_flow_wants(d, f, side))
			continue;
		while (done < len) {
			u32 n = min_t(u32, len - done, MOS_DATA_CHUNK);

			mos_rec_data(priv, d, f, side, off + done, copy, src,
				     off_in_src + done, n);
			done += n;
		}
	}
	rcu_read_unlock();
}

/*
 * The most a packet can make the tracker write to @d: every subscribed
 * event a few times over with the packet's first bytes, flow records, a
 * LOST record, and the stream bytes it can release (its payload and what
 * waits out of order behind it) in chunks.
 */
static u64 mos_dev_bound(struct mos_dlv *d, const struct tm_flow *f,
			 int side, const struct tm_src *src,
			 const struct tm_pkt *p)
{
	u32 plen = mos_rec_pkt_len(src, READ_ONCE(d->pkt_max));
	u32 payload = p->l4len > p->doff ? p->l4len - p->doff : 0;
	u64 need, bytes = 0;
	int s;

	need = (u64)MOS_EV_PER_PKT * READ_ONCE(d->nev) *
	       MOS_REC_ROOM(sizeof(struct mos_rec_event) + plen);
	need += 4 * MOS_REC_ROOM(sizeof(struct mos_rec_flow)) +
		MOS_REC_ROOM(sizeof(struct mos_rec_lost));
	if (d->verdict)
		need += MOS_REC_ROOM(sizeof(struct mos_rec_held));
	for (s = 0; s < 2; s++) {
		/* A new flow's receiving side is not known yet */
		if (f && s == side)
			continue;
		if (!READ_ONCE(d->buf[s]))
			continue;
		bytes = max_t(u64, bytes, payload +
			      (f ? f->half[s].ooo_bytes : 0));
	}
	need += bytes + DIV_ROUND_UP(bytes, MOS_DATA_CHUNK) *
			MOS_REC_ROOM(sizeof(struct mos_rec_data));
	return need;
}

/**
 * mos_dev_pkt_prev() - who got the bytes of the packet being processed in
 * its records about a flow, for the records of its receiver's side made
 * when it leaves (mos_dev_pkt_reuse())
 * @priv: the backend's
 * @flow: the flow's id
 * @pv: filled; @pv->sent is 0 if no consumer got them
 *
 * Context: the packet path, before mos_dev_unhold().
 */
void mos_dev_pkt_prev(void *priv, u64 flow, struct mos_pkt_prev *pv)
{
	const struct mos_hold *h = mos_dlv_holds(priv);

	pv->sent = h->pkt_flow == flow ? h->pkt_sent : 0;
	pv->gen = h->pkt_gen;
	pv->len = h->pkt_len;
}

/**
 * mos_dev_pkt_reuse() - the packet being processed is a held packet that
 * leaves, its receiver's side tracked now: the consumers that got its
 * bytes in its sender's records and still have them get no copy again
 * @priv: the backend's
 * @pv: what mos_dev_pkt_prev() said when it was held, or NULL
 * @flow: the id of the flow it was held in
 * @src: the packet, as it leaves: not rewritten since
 *
 * A consumer still has them when no other packet of the flow's bytes went
 * to a consumer since (&mos_flow_dev.pkt_gen).  Live only: offline, the
 * consumer forgets a flow's packet between its batches of records.
 *
 * Context: the packet path, before the tracker runs; mos_dev_unhold()
 * forgets it.
 */
void mos_dev_pkt_reuse(void *priv, const struct mos_pkt_prev *pv, u64 flow,
		       const struct tm_src *src)
{
	struct mos_hold *h = mos_dlv_holds(priv);

	h->prev.sent = 0;
	if (!pv || !pv->sent || pv->len != src->len)
		return;
	h->prev = *pv;
	h->prev_flow = flow;
	h->prev_src = src->pkt;
}

/**
 * mos_dev_unhold() - end a packet: give back what it did not use of its
 * holds, forget which consumers got its bytes
 * @priv: the backend's (the kernel: the namespace's &struct mos_net)
 *
 * Context: bottom halves disabled, after mos_tm_input() (every packet).
 */
void mos_dev_unhold(void *priv)
{
	struct mos_hold *h = mos_dlv_holds(priv);
	struct mos_dlv *d;

	h->pkt_flow = 0;
	h->pkt_sent = 0;
	h->prev.sent = 0;
	h->verdict = 0;
	if (!h->on)
		return;
	rcu_read_lock();
	for (d = mos_dlv_next(priv, NULL); d; d = mos_dlv_next(priv, d))
		if (h->left[d->slot])
			mos_dlv_unhold(d, h->left[d->slot]);
	rcu_read_unlock();
	memset(h->left, 0, sizeof(h->left));
	h->on = false;
}

/*
 * &tm_ops.reserve: room in every ring a packet's records may go to.
 *
 * Inline mode only: a packet that might not fit is dropped before it
 * changes anything, and its sender sends it again later, so no record of
 * it is lost.  A consumer that left its full ring unread for the
 * namespace's stall timeout is passed over instead: it loses the records
 * (%MOS_REC_LOST tells it), the namespace's traffic goes on.  A packet
 * whose records could never fit in a ring (the ring is too small for it)
 * is not held back: what does not fit is counted as lost.
 * mos_dev_unhold() gives back the rest after the packet.
 *
 * Context: bottom halves disabled.
 * Return: false if the packet must be dropped (counted in
 * %MOS_STAT_RING_FULL).
 */
static bool mos_dev_reserve(void *priv, struct tm_flow *f, int side,
			    const struct tm_src *src, const struct tm_pkt *p)
{
	struct mos_hold *h;
	struct mos_dlv *d;
	bool ok = true;

	if (!mos_dlv_any(priv) || !mos_dlv_inline(priv))
		return true;
	h = mos_dlv_holds(priv);
	h->on = true;
	rcu_read_lock();
	for (d = mos_dlv_next(priv, NULL); d; d = mos_dlv_next(priv, d)) {
		u64 need;

		if (!READ_ONCE(d->nsocks))
			continue;
		if (f && !mos_flow_wants(d, f, TM_CLI) &&
		    !mos_flow_wants(d, f, TM_SVR))
			continue;
		need = mos_dev_bound(d, f, side, src, p);
		if (need > mos_dlv_size(d))
			continue;
		if (!mos_dlv_hold(d, need)) {
			/* A stalled consumer holds no one hostage: it loses */
			if (mos_dlv_stalled(priv, d))
				continue;
			ok = false;
			break;
		}
		h->left[d->slot] = need;
	}
	rcu_read_unlock();
	if (!ok) {
		mos_dev_unhold(priv);
		mos_dlv_stat(priv, MOS_STAT_RING_FULL);
	}
	return ok;
}

/* &tm_ops.classify: the backend's rules, if it has any */
static unsigned int mos_dlv_classify_cb(void *priv, const struct tm_src *src,
					const struct tm_pkt *p, u32 *rule)
{
	(void)p;	/* the rules run on the packet's bytes */
	return mos_dlv_classify(priv, src, rule);
}

const struct tm_ops mos_deliver_ops = {
	.event = mos_dlv_event_cb,
	.data = mos_dlv_data_cb,
	.classify = mos_dlv_classify_cb,
	.flow = mos_dlv_flow_cb,
	.reserve = mos_dev_reserve,
};

/* --- the ioctls' state changes -------------------------------------------- */

/**
 * mos_dlv_init() - set up a consumer's routing state, zeroed
 * @d: the state
 */
void mos_dlv_init(struct mos_dlv *d)
{
	spin_lock_init(&d->lost_lock);
	d->pkt_max = MOS_PKT_COPY_MAX;
}

/**
 * mos_dlv_ring() - %MOS_IOC_RING_SETUP: a consumer's split, packet
 * copy limit, %MOS_RING_F_PKT_ONCE and %MOS_RING_F_DATA_PKT
 * @d: the consumer
 * @a: the argument, checked (mos_ioc_ring_check())
 *
 * Context: the consumer's ioctls serialised, before the packet path can
 * reach @d (the kernel publishes it on its namespace's list after).
 */
void mos_dlv_ring(struct mos_dlv *d, const struct mos_ioc_ring *a)
{
	d->split_count = max_t(u32, a->split_count, 1);
	d->split_index = a->split_index;
	d->pkt_max = a->pkt_max ? a->pkt_max : MOS_PKT_COPY_MAX;
	d->pkt_once = a->flags & MOS_RING_F_PKT_ONCE;
	d->verdict = a->flags & MOS_RING_F_VERDICT;
	d->data_pkt = a->flags & MOS_RING_F_DATA_PKT;
}

/**
 * mos_dlv_split_query() - %MOS_IOC_SPLIT: the consumer a split gives a
 * flow
 * @priv: the backend's (the kernel: the namespace's &struct mos_net)
 * @a: the argument, copied in; @a->index is set on success
 *
 * The index is the one mos_flow_socks() compares with a consumer's
 * &mos_dlv.split_index, from the same hash of the same endpoints.
 *
 * Context: process.
 * Return: 0, -EINVAL (mos_ioc_split_check()), or the backend's error
 * (the kernel: -ENOENT while the namespace is not monitored).
 */
int mos_dlv_split_query(void *priv, struct mos_ioc_split *a)
{
	struct tm_key k;
	u32 hash;
	int err;

	err = mos_ioc_split_check(a, &k);
	if (!err)
		err = mos_dlv_key_hash(priv, &k, &hash);
	if (err)
		return err;
	a->index = mos_split_index(hash, a->count);
	return 0;
}

/**
 * mos_dlv_socket() - %MOS_IOC_SOCKET: a new monitor socket
 * @d: the consumer
 * @a: the argument, copied in; @a->id is set on success
 * @raw: raw sockets are possible (else -EOPNOTSUPP)
 *
 * Context: the consumer's ioctls serialised.
 * Return: 0 or the negative errno the ioctl fails with.
 */
int mos_dlv_socket(struct mos_dlv *d, struct mos_ioc_socket *a, bool raw)
{
	int err = mos_ioc_socket_check(a, d->nsocks, raw);

	if (err)
		return err;
	d->socks[d->nsocks].type = a->type;
	if (a->type == MOS_MSOCK_RAW)
		WRITE_ONCE(d->nraw, d->nraw + 1);
	a->id = d->nsocks + 1;
	/* The slot is ready before the packet path may look at it. */
	smp_store_release(&d->nsocks, d->nsocks + 1);
	return 0;
}

/* The type of socket @id of @d, or 0 if there is none */
static unsigned int mos_dlv_sock_type(const struct mos_dlv *d, u32 id)
{
	return id && id <= d->nsocks ? d->socks[id - 1].type : 0;
}

/**
 * mos_dlv_subscribe() - %MOS_IOC_SUBSCRIBE: a socket's events at a hook
 * @d: the consumer
 * @a: the argument, copied in
 *
 * Context: the consumer's ioctls serialised.
 * Return: 0 or the negative errno the ioctl fails with.
 */
int mos_dlv_subscribe(struct mos_dlv *d, const struct mos_ioc_subscribe *a)
{
	struct mos_msock *m;
	unsigned int i, h;
	u32 buf, nev = 0;
	u64 any;
	int err;

	err = mos_ioc_subscribe_check(a, d->nsocks,
				      mos_dlv_sock_type(d, a->sock));
	if (err)
		return err;
	m = &d->socks[a->sock - 1];
	WRITE_ONCE(m->events[a->hook], a->events);
	m->buf[0] = a->buf[0];
	m->buf[1] = a->buf[1];
	for (h = 0; h < MOS_HOOKS; h++) {
		for (any = 0, i = 0; i < d->nsocks; i++) {
			any |= d->socks[i].events[h];
			nev += hweight64(d->socks[i].events[h]);
		}
		WRITE_ONCE(d->any[h], any);
	}
	WRITE_ONCE(d->nev, nev);
	for (h = 0; h < 2; h++) {
		for (buf = 0, i = 0; i < d->nsocks; i++)
			buf = max(buf, d->socks[i].buf[h]);
		WRITE_ONCE(d->buf[h], buf);
	}
	return 0;
}

/**
 * mos_dlv_filter_check() - check a %MOS_IOC_FILTER argument
 * @d: the consumer
 * @a: the argument, copied in
 *
 * The backend then loads the program (checking it) and puts it in
 * @d->socks[@a->sock - 1].filter[@a->which].
 *
 * Return: 0, or -EINVAL.
 */
int mos_dlv_filter_check(const struct mos_dlv *d,
			 const struct mos_ioc_filter *a)
{
	return mos_ioc_filter_check(a, d->nsocks,
				    mos_dlv_sock_type(d, a->sock));
}

/**
 * struct mos_stop_arg - what mos_flow_stop() stops
 * @bit: the consumer's bit
 * @sides: %MOS_SIDE_BIT_CLI, %MOS_SIDE_BIT_SVR
 */
struct mos_stop_arg {
	u64 bit;
	u32 sides;
};

/**
 * mos_flow_dev_stop() - a consumer stops following sides of a flow
 * @fd: the flow's &struct mos_flow_dev
 * @bit: the consumer's bit (&struct mos_dlv.slot)
 * @sides: %MOS_SIDE_BIT_CLI, %MOS_SIDE_BIT_SVR
 *
 * Once it follows neither side, not even the flow's close is for it.
 *
 * Context: the flow locked, or no packet path can reach the flow for
 * this consumer (its slot is being freed).
 */
void mos_flow_dev_stop(struct mos_flow_dev *fd, u64 bit, u32 sides)
{
	if (sides & MOS_SIDE_BIT_CLI)
		WRITE_ONCE(fd->want[TM_CLI], fd->want[TM_CLI] & ~bit);
	if (sides & MOS_SIDE_BIT_SVR)
		WRITE_ONCE(fd->want[TM_SVR], fd->want[TM_SVR] & ~bit);
	if (!((fd->want[TM_CLI] | fd->want[TM_SVR]) & bit))
		fd->opened &= ~bit;
}

static int mos_flow_stop(struct tm_flow *f, void *arg)
{
	struct mos_flow_dev *fd = mos_tm_flow_priv(f);
	struct mos_stop_arg *a = arg;

	if (f->flags & TM_FF_QUIET || !(fd->opened & a->bit))
		return -ENOENT;
	mos_flow_dev_stop(fd, a->bit, a->sides);
	return 0;
}

/* The side bits are the tracker's: bit TM_CLI, bit TM_SVR */
static_assert(BIT_ULL(TM_CLI) == MOS_SIDE_BIT_CLI &&
	      BIT_ULL(TM_SVR) == MOS_SIDE_BIT_SVR);
static_assert((int)MOS_OVERLAP_LAST == (int)TM_OVERLAP_LAST &&
	      (int)MOS_OVERLAP_LINUX == (int)TM_OVERLAP_LINUX);
/* &mos_hold.pkt_sent has a bit per consumer slot */
static_assert(MOS_CONSUMERS_MAX <= 64);

/**
 * mos_dlv_flow_op() - %MOS_IOC_FLOW's %MOS_FLOW_STOP and %MOS_FLOW_OVERLAP
 * @d: the consumer
 * @t: the flow table, or NULL (monitoring is off)
 * @a: the argument, checked (mos_ioc_flow_check())
 * @k: the flow it names
 *
 * Context: the consumer's ioctls serialised; @t held (RCU in the kernel).
 * Return: 0; -ENOENT if the flow is not there, or (STOP) not the
 * consumer's.
 */
int mos_dlv_flow_op(struct mos_dlv *d, struct tm_table *t,
		    const struct mos_ioc_flow *a, const struct tm_key *k)
{
	struct mos_stop_arg stop = {
		.bit = BIT_ULL(d->slot),
		.sides = a->sides,
	};

	if (!t)
		return -ENOENT;
	if (a->op == MOS_FLOW_STOP)
		return mos_tm_find(t, k, a->flow.flow, mos_flow_stop, &stop);
	return mos_tm_overlap(t, a->flow.flow, k, a->sides, a->arg);
}
