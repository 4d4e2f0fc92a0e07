// SPDX-License-Identifier: GPL-2.0
/*
 * reasm.c - stream reassembly: in-order delivery, out-of-order store
 *
 * DOC: Theory of Operation
 *
 * Each side of a flow receives a byte stream (what its peer sends).  The
 * side's &tm_half.rcv_nxt is the next sequence number the stream waits
 * for, &tm_half.rcv_off the stream offset of that byte.
 *
 * In-order bytes go straight to the user (&tm_ops.data), read from the
 * packet itself: nothing is copied for them here.  Bytes after a hole wait
 * in the side's out-of-order store: non-overlapping pieces (&struct
 * tm_seg, at most %TM_SEG_MAX bytes each, so that every allocation fits
 * the 2 KiB kmalloc cache) in a red-black tree keyed by sequence number,
 * as Linux keeps its out-of-order queue since CVE-2018-5390 (a list
 * walked from its head for every segment costs quadratic time to a
 * sender of many small segments behind a hole).  Finding where a segment
 * goes, and whether bytes were seen (tm_reasm_seen()), is one descent of
 * the tree; a segment costs O(log n) plus the pieces it overlaps.  Bytes
 * that follow a piece contiguously go into it while it has room, and
 * contiguous pieces are joined up to %TM_SEG_MAX bytes (tm_coalesce()),
 * so that a flow's segments that arrive in order behind a hole make few
 * pieces.  When a segment fills the hole, its bytes and then the stored
 * pieces that follow are delivered, in order (rb_next()).
 *
 * Overlaps: where a segment covers bytes already stored, the flow's
 * policy decides which bytes win: the first seen (%TM_OVERLAP_FIRST), the
 * last (%TM_OVERLAP_LAST), or those a Linux receiver reads
 * (%TM_OVERLAP_LINUX, decided by a shadow of its out-of-order queue:
 * tm_lnx_queue()).  Either way, stored bytes that
 * differ from the segment's are reported (%TM_ERR_OVERLAP_DIFF): the two
 * ends of the connection may not agree on the stream, an evasion signal.
 * Bytes already delivered are final: a retransmission of them is reported
 * as such (%TM_EV_REXMIT), and its bytes are not compared, since the
 * core keeps no copy of delivered bytes.
 *
 * Limits: a side stores at most &tm_table_cfg.buf_side bytes and
 * &tm_table_cfg.seg_side pieces, a table at most &tm_table_cfg.buf_total
 * bytes, pieces' headers included, and all tables together what
 * tm_charge() allows; allocations are GFP_NOWAIT and may fail.  When a
 * segment cannot be stored, the error is raised (%TM_ERR_BUF_SIDE, also
 * for the piece limit, %TM_ERR_BUF_TOTAL, %TM_ERR_MEM_LIMIT,
 * %TM_ERR_NOMEM), and the side's stream skips ahead: every hole up to and including the segment's
 * is reported as a gap (%TM_ERR_GAP, with its offset and length) and
 * passed over, the stored pieces and the segment are delivered, and the
 * store is empty again.  Nothing is dropped without a report, and stream
 * offsets stay those of the sequence space, so a consumer knows exactly
 * which bytes it never got.  Where the packet itself may be dropped
 * (%TM_IN_LOSSLESS, inline mode), a segment that would not fit the side's
 * or the table's limit is dropped instead, before it changes anything
 * (tm_reasm_fits(), %TM_STAT_STORE_FULL): its sender sends it again, and
 * no hole is skipped for want of room.
 *
 * A side that ends (FIN, RST from either side, timeout, eviction, reuse,
 * flush, the table freed) empties its store with tm_reasm_flush(), up to
 * the last acknowledgment its receiver sent: stored bytes before it were
 * read by the receiver (the monitor missed what filled the hole: capture
 * loss) and are delivered after a gap for the hole; stored bytes after it
 * never were, since the receiver's read() stops at the hole: they are
 * reported as a gap, counted (%TM_STAT_END_UNREAD), and not delivered.
 *
 * How much of the table's store one flow may hold, how old a hole may grow
 * and which flow gives up its store when the table's is full are
 * store.c's: here it is asked where a segment is admitted
 * (tm_store_admit(), tm_store_make_room()), and each gap carries its
 * reason (&tm_flow.gap_why).
 */

#include "tm_int.h"

static int tm_mem_copy(const void *src, unsigned int off, void *dst,
		       unsigned int len)
{
	memcpy(dst, (const u8 *)src + off, len);
	return 0;
}

/* &tm_half.hist_len counts up to TM_HIST */
static_assert(TM_HIST <= 255, "hist_len is a u8");

/**
 * tm_hist_add() - keep the last of the bytes a side delivers
 * @h: receiving side
 * @copy: how to read the bytes
 * @src: where they are
 * @off: offset in @src
 * @len: bytes, about to enter the stream at &tm_half.rcv_off
 */
static void tm_hist_add(struct tm_half *h, tm_copy_t copy, const void *src,
			unsigned int off, u32 len)
{
	if (len >= TM_HIST) {
		/* A full segment, the common case: one copy of its end */
		if (copy(src, off + len - TM_HIST, h->hist, TM_HIST)) {
			h->hist_len = 0;
			return;
		}
		h->hist_len = TM_HIST;
		return;
	}
	memmove(h->hist, h->hist + len, TM_HIST - len);
	if (copy(src, off, h->hist + TM_HIST - len, len)) {
		h->hist_len = 0;
		return;
	}
	h->hist_len = min_t(u32, TM_HIST, h->hist_len + len);
}

/**
 * tm_hist_diff() - do a segment's bytes differ from those delivered?
 * @h: receiving side
 * @src: the packet
 * @poff: offset of the segment's first byte in it
 * @seq: its sequence number
 * @len: bytes
 *
 * Only the bytes of &tm_half.hist are compared: the last %TM_HIST
 * delivered, none before a gap.
 *
 * Return: true if some differ.
 */
static bool tm_hist_diff(const struct tm_half *h, const struct tm_src *src,
			 unsigned int poff, u32 seq, u32 len)
{
	/* The peer's FIN took a sequence number, and no stream offset. */
	u32 nxt = h->rcv_nxt - !!(h->flags & TM_HF_FIN_RCVD);
	u32 lo = nxt - h->hist_len, end = seq + len, n;
	u8 buf[TM_HIST];

	if (tm_after(end, nxt))
		end = nxt;
	if (tm_before(seq, lo)) {
		poff += lo - seq;
		seq = lo;
	}
	if (!tm_before(seq, end))
		return false;
	n = end - seq;
	if (src->copy(src->pkt, poff, buf, n))
		return false;
	/* @seq is nxt - seq bytes before the end of the history */
	return memcmp(buf, h->hist + TM_HIST - (nxt - seq), n) != 0;
}

/**
 * tm_hand() - hand in-order bytes to the user and advance the stream
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @copy: how to read the bytes
 * @src: where they are
 * @off: offset in @src
 * @len: bytes
 */
static void tm_hand(struct tm_table *t, struct tm_flow *f, unsigned int side,
		    tm_copy_t copy, const void *src, unsigned int off, u32 len)
{
	struct tm_half *h = &f->half[side];

	if (!len)
		return;
	if (!(f->flags & TM_FF_QUIET)) {
		if (!READ_ONCE(t->unheard_bytes))
			t->ops->data(t->priv, f, side, h->rcv_off, copy, src,
				     off, len);
		tm_stat_add(t, side == TM_SVR ? TM_STAT_BYTES_C2S :
			    TM_STAT_BYTES_S2C, len);
		tm_hist_add(h, copy, src, off, len);
	}
	h->rcv_nxt += len;
	h->rcv_off += len;
}

/*
 * tm_deliver()'s rare case, out of its line: an urgent byte is pending.
 * Return: what remains of @len after the urgent byte; @off moves with it.
 */
static u32 tm_deliver_urg(struct tm_table *t, struct tm_flow *f,
			  unsigned int side, tm_copy_t copy, const void *src,
			  unsigned int *off, u32 len)
{
	struct tm_half *h = &f->half[side];
	u32 n;

	/* Skipped in a gap: nothing to step over any more */
	if (tm_before(h->urg_seq, h->rcv_nxt)) {
		h->aflags &= ~TM_HA_URG;
		return len;
	}
	if (h->urg_seq - h->rcv_nxt >= len)
		return len;
	n = h->urg_seq - h->rcv_nxt;
	tm_hand(t, f, side, copy, src, *off, n);
	h->aflags &= ~TM_HA_URG;
	h->rcv_nxt++;
	tm_stat_inc(t, TM_STAT_NACC_URG);
	tm_error(t, f, side, TM_ERR_URG, h->rcv_off, 1, NULL, NULL);
	*off += n + 1;
	return len - (n + 1);
}

/**
 * tm_deliver() - hand in-order bytes to the user, but the urgent byte
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @copy: how to read the bytes
 * @src: where they are
 * @off: offset in @src
 * @len: bytes
 *
 * The urgent byte (&tm_half.urg_seq, track.c) takes a sequence number and
 * no stream offset: a reader without SO_OOBINLINE never gets it from
 * read() (tcp_recvmsg() steps over it).  It is reported, at the stream
 * offset where it would have been (%TM_ERR_URG).  Without one pending,
 * the bytes go to tm_hand() at once.
 */
static inline void tm_deliver(struct tm_table *t, struct tm_flow *f,
			      unsigned int side, tm_copy_t copy,
			      const void *src, unsigned int off, u32 len)
{
	if (unlikely(f->half[side].aflags & TM_HA_URG))
		len = tm_deliver_urg(t, f, side, copy, src, &off, len);
	tm_hand(t, f, side, copy, src, off, len);
}

/* The store's tree, in sequence order */
static struct tm_seg *tm_seg_of(struct rb_node *n)
{
	return n ? rb_entry(n, struct tm_seg, node) : NULL;
}

/* The first piece; the common case, an empty store, without a call */
static struct tm_seg *tm_seg_first(const struct tm_half *h)
{
	return RB_EMPTY_ROOT(&h->ooo) ? NULL : tm_seg_of(rb_first(&h->ooo));
}

static struct tm_seg *tm_seg_next(struct tm_seg *seg)
{
	return tm_seg_of(rb_next(&seg->node));
}

/**
 * tm_seg_from() - the first stored piece that ends after a sequence number
 * @h: receiving side
 * @seq: the sequence number
 *
 * Pieces do not overlap, so their ends are in the order of their starts:
 * one descent of the tree, O(log n).  Sequence numbers compare as Linux's
 * before() and after() do: every piece is within the window after
 * &tm_half.rcv_nxt, so no two are 2^31 apart.
 *
 * Return: the piece that holds @seq, else the first after it, or NULL.
 */
static struct tm_seg *tm_seg_from(const struct tm_half *h, u32 seq)
{
	struct rb_node *n = h->ooo.rb_node;
	struct tm_seg *best = NULL;

	while (n) {
		struct tm_seg *seg = rb_entry(n, struct tm_seg, node);

		if (tm_after(seg->seq + seg->len, seq)) {
			best = seg;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/* Put a new piece, which overlaps none, into the tree */
static void tm_seg_link(struct tm_half *h, struct tm_seg *seg)
{
	struct rb_node **link = &h->ooo.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (tm_before(seg->seq, rb_entry(parent, struct tm_seg,
						 node)->seq))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&seg->node, parent, link);
	rb_insert_color(&seg->node, &h->ooo);
	h->ooo_segs++;
}

/* Uncharge and free a piece, out of the tree */
static void tm_seg_drop(struct tm_table *t, struct tm_half *h,
			struct tm_seg *seg)
{
	u32 charge = sizeof(*seg) + seg->len;

	rb_erase(&seg->node, &h->ooo);
	h->ooo_segs--;
	h->ooo_bytes -= charge;
	atomic_long_sub(charge, &t->ooo_bytes);
	tm_uncharge(charge);
	tm_free(seg);
}

/*
 * The shadow of the receiver's out-of-order queue (%TM_OVERLAP_LINUX)
 *
 * Which bytes Linux's read() returns where out-of-order segments overlap
 * depends on the skbs its out-of-order queue holds and on the shape of
 * their red-black tree: tcp_data_queue_ofo() walks it from the root and
 * acts on the first node that decides (a node that holds the segment: it
 * is dropped; one that starts where it does and is shorter: replaced; one
 * that ends where it starts: the segment is appended to that one when
 * skb_try_coalesce() can).  The shadow keeps a node per skb, its range
 * only, and changes the tree with the same calls in the same order (the
 * kernel's rbtree, or rbtree_user.c that rebalances as it does), so its
 * shape is the receiver's.  A flow has the shadows of both sides in one
 * &struct tm_lnxq, allocated with the first node and freed with the last.
 */

/*
 * A node is charged its size, and counts as a piece against the side's
 * piece limit (tm_lnx_new(), tm_store_cost()).
 */

static struct tm_lnx *tm_lnx_of(struct rb_node *n)
{
	return n ? rb_entry(n, struct tm_lnx, node) : NULL;
}

/* The side's first node, or NULL */
static struct tm_lnx *tm_lnx_first(const struct tm_flow *f,
				   unsigned int side)
{
	return f->lnx ? tm_lnx_of(rb_first(&f->lnx->root[side])) : NULL;
}

/* What a node is charged: its size */
static u32 tm_lnx_size(const struct tm_lnx *q)
{
	return q->big ? TM_LNX_FINS_SIZE : sizeof(*q);
}

/* The FINs inside a node's skb (&tm_lnx.nfin of them) */
static const u32 *tm_lnx_fins(const struct tm_lnx *q)
{
	return container_of(q, struct tm_lnx_fins, q)->fin;
}

/* Take a node out of the shadow and free it; the last one frees @f->lnx */
static void tm_lnx_drop(struct tm_table *t, struct tm_flow *f,
			unsigned int side, struct tm_lnx *q)
{
	struct tm_half *h = &f->half[side];
	u32 size = tm_lnx_size(q);

	rb_erase(&q->node, &f->lnx->root[side]);
	h->ooo_segs--;
	h->ooo_bytes -= size;
	atomic_long_sub(size, &t->ooo_bytes);
	tm_uncharge(size);
	/* A &struct tm_lnx_fins starts with its node */
	tm_free(q);
	if (RB_EMPTY_ROOT(&f->lnx->root[TM_CLI]) &&
	    RB_EMPTY_ROOT(&f->lnx->root[TM_SVR])) {
		tm_free(f->lnx);
		tm_uncharge(sizeof(*f->lnx));
		f->lnx = NULL;
	}
}

/* Empty a side's shadow */
static void tm_lnx_free(struct tm_table *t, struct tm_flow *f,
			unsigned int side)
{
	struct tm_lnx *q;

	while ((q = tm_lnx_first(f, side)))
		tm_lnx_drop(t, f, side, q);
}

/*
 * The receiver moves to its receive queue, from the first, the skbs that
 * the stream has reached (tcp_ofo_queue()): those that start at or before
 * &tm_half.rcv_nxt.
 */
static void tm_lnx_advance(struct tm_table *t, struct tm_flow *f,
			   unsigned int side)
{
	struct tm_lnx *q;

	while ((q = tm_lnx_first(f, side)) &&
	       !tm_after(q->seq, f->half[side].rcv_nxt))
		tm_lnx_drop(t, f, side, q);
}

/**
 * tm_lnx_fin() - does the receiver's out-of-order queue stop the stream at
 * a FIN?
 * @f: flow
 * @side: receiving side
 * @nxt: set to the receiver's rcv_nxt when it dequeues that FIN's skb
 *
 * tcp_ofo_queue() on the shadow, from its first node: each skb that
 * starts at or before the receiver's rcv_nxt is dequeued; one that ends
 * at or before it is dropped, and a FIN it carries with it (the stream
 * went past that one); any other moves rcv_nxt to its end, and if it
 * carries a FIN, tcp_fin() purges the queue: the stream ends with that
 * skb, whatever the skbs after it hold.  Nothing changes here:
 * tm_reasm_fin_stop() delivers the bytes, and track.c takes the FIN.
 *
 * Return: the node of the skb whose FIN stops the stream, or NULL.
 */
static struct tm_lnx *tm_lnx_fin(const struct tm_flow *f, unsigned int side,
				 u32 *nxt)
{
	struct tm_lnx *q;

	*nxt = f->half[side].rcv_nxt;
	for (q = tm_lnx_first(f, side); q && !tm_after(q->seq, *nxt);
	     q = tm_lnx_of(rb_next(&q->node))) {
		if (!tm_after(q->end, *nxt))
			continue;
		if (q->fin || q->nfin)
			return q;
		*nxt = q->end;
	}
	return NULL;
}

/**
 * tm_skip() - pass over a hole the stream will never get, and report it
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @to: sequence number the stream resumes at
 * @src: current packet, or NULL
 * @p: its headers, or NULL
 *
 * The gap's reason is &tm_flow.gap_why.
 */
static void tm_skip(struct tm_table *t, struct tm_flow *f, unsigned int side,
		    u32 to, const struct tm_src *src, const struct tm_pkt *p)
{
	struct tm_half *h = &f->half[side];
	u32 n = to - h->rcv_nxt;
	struct tm_ev ev = {
		.type = TM_EV_ERROR,
		.hook = TM_HK_NULL,
		.side = side,
		.err = TM_ERR_GAP,
		.reason = f->gap_why,
		.off = h->rcv_off,
		.len = n,
	};

	if (!tm_after(to, h->rcv_nxt))
		return;
	tm_stat_inc(t, TM_STAT_GAPS);
	tm_stat_add(t, TM_STAT_GAP_BYTES, n);
	tm_emit_ev(t, f, &ev, src, p);
	h->rcv_nxt = to;
	h->rcv_off += n;
	h->hist_len = 0;
}

/**
 * tm_drain() - deliver stored pieces that the stream has reached
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 */
static void tm_drain(struct tm_table *t, struct tm_flow *f, unsigned int side)
{
	struct tm_half *h = &f->half[side];
	struct tm_seg *seg, *next;

	for (seg = tm_seg_first(h); seg && !tm_after(seg->seq, h->rcv_nxt);
	     seg = next) {
		u32 skip = h->rcv_nxt - seg->seq;

		if (skip < seg->len)
			tm_deliver(t, f, side, tm_mem_copy, seg->data, skip,
				   seg->len - skip);
		next = tm_seg_next(seg);
		tm_seg_drop(t, h, seg);
	}
}

/**
 * tm_drain_to() - tm_drain(), up to a FIN the stream stops at
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @stop: the FIN's sequence number: no byte at or after it is delivered,
 *	and the piece that holds it stays
 */
static void tm_drain_to(struct tm_table *t, struct tm_flow *f,
			unsigned int side, u32 stop)
{
	struct tm_half *h = &f->half[side];
	struct tm_seg *seg, *next;

	for (seg = tm_seg_first(h); seg && !tm_after(seg->seq, h->rcv_nxt);
	     seg = next) {
		u32 send = seg->seq + seg->len, to = send;

		if (tm_after(send, stop))
			to = stop;
		if (tm_after(to, h->rcv_nxt))
			tm_deliver(t, f, side, tm_mem_copy, seg->data,
				   h->rcv_nxt - seg->seq, to - h->rcv_nxt);
		if (to != send)
			break;
		next = tm_seg_next(seg);
		tm_seg_drop(t, h, seg);
	}
}

static void tm_drain_fins(struct tm_table *t, struct tm_flow *f,
			  unsigned int side, const struct tm_lnx *q, u32 nxt,
			  const struct tm_src *src, const struct tm_pkt *p);

/*
 * tm_lnx_fin_read() - under %TM_OVERLAP_LINUX, the first stored skb with
 * a FIN that the receiver dequeued before acknowledging @lim
 * @f: flow
 * @side: receiving side
 * @lim: the receiver's highest acknowledgment
 * @nxt: set to the receiver's rcv_nxt when it dequeued that skb
 *
 * As tm_lnx_fin(), for a receiver that had bytes the monitor did not see:
 * a hole before a stored skb was filled when its acknowledgment passed
 * it, so each skb that starts before @lim was dequeued in its turn, from
 * its start at the latest.  The first one with a FIN ended its read(),
 * and the acknowledgment then is that skb's end.
 *
 * Return: that skb's node, or NULL when none ends at or before @lim.
 */
static struct tm_lnx *tm_lnx_fin_read(const struct tm_flow *f,
				      unsigned int side, u32 lim, u32 *nxt)
{
	struct tm_lnx *q;

	*nxt = f->half[side].rcv_nxt;
	for (q = tm_lnx_first(f, side); q && tm_before(q->seq, lim);
	     q = tm_lnx_of(rb_next(&q->node))) {
		if (tm_after(q->seq, *nxt))
			*nxt = q->seq;
		if (!tm_after(q->end, *nxt))
			continue;
		if (q->fin || q->nfin)
			return tm_after(q->end, lim) ? NULL : q;
		*nxt = q->end;
	}
	return NULL;
}

/*
 * tm_flush_to() - deliver a side's stored pieces before @lim (all of them
 * for NULL), each hole before one reported as a gap
 */
static void tm_flush_to(struct tm_table *t, struct tm_flow *f,
			unsigned int side, const u32 *lim,
			const struct tm_src *src, const struct tm_pkt *p)
{
	struct tm_half *h = &f->half[side];
	struct tm_seg *seg;

	while ((seg = tm_seg_first(h))) {
		u32 send = seg->seq + seg->len, to = send;

		if (lim && !tm_before(seg->seq, *lim))
			break;
		tm_skip(t, f, side, seg->seq, src, p);
		/* The receiver's ACK may end inside the piece: its head */
		if (lim && tm_after(send, *lim))
			to = *lim;
		if (tm_after(to, h->rcv_nxt))
			tm_deliver(t, f, side, tm_mem_copy, seg->data,
				   h->rcv_nxt - seg->seq, to - h->rcv_nxt);
		if (to != send)
			break;
		tm_seg_drop(t, h, seg);
	}
}

/* The stored bytes from the side's @rcv_nxt on */
static u32 tm_store_unread(const struct tm_half *h)
{
	struct tm_seg *seg;
	u32 n = 0;

	for (seg = tm_seg_first(h); seg; seg = tm_seg_next(seg)) {
		u32 send = seg->seq + seg->len;

		if (!tm_after(send, h->rcv_nxt))
			continue;
		n += tm_before(seg->seq, h->rcv_nxt) ?
			send - h->rcv_nxt : seg->len;
	}
	return n;
}

/**
 * tm_reasm_flush() - empty a side's store: deliver what its receiver took,
 * report the rest
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @lim: NULL to deliver every stored byte; else the sequence number the
 *	receiver acknowledged last (&tm_half.ack_max): stored bytes before it
 *	are delivered, those at or after it are reported lost
 * @src: current packet, or NULL
 * @p: its headers, or NULL
 *
 * Holes before a delivered piece are reported as gaps (%TM_ERR_GAP): the
 * receiver got them, the monitor did not see them.  Stored bytes at or
 * after @lim never reached the receiver's read(): one gap covers them and
 * the hole before them, they are counted (%TM_STAT_END_UNREAD) and freed.
 * Every stored byte is either delivered or inside a reported gap, and the
 * stream's offset moves past them all (NEW_DATA covers gaps too).
 *
 * Under %TM_OVERLAP_LINUX, a FIN the receiver took before @lim ends the
 * stream as in tm_reasm_fin_stop(): the skb that carries it is read as
 * tcp_recvmsg() reads it (tm_drain_fins(), over the FINs inside), and
 * the stream stops at its FIN, @rcv_nxt there; tcp_fin() purged the
 * bytes stored after it, which are counted (%TM_STAT_END_UNREAD) and
 * freed, with no gap: the stream has ended.
 *
 * Return: true when the stream stopped at such a FIN, which the caller
 * takes (the receiver did).
 */
bool tm_reasm_flush(struct tm_table *t, struct tm_flow *f, unsigned int side,
		    const u32 *lim, const struct tm_src *src,
		    const struct tm_pkt *p)
{
	struct tm_half *h = &f->half[side];
	struct tm_lnx *q = NULL;
	struct tm_seg *seg;
	u32 end, nxt;

	if (lim && f->lnx)
		q = tm_lnx_fin_read(f, side, *lim, &nxt);
	if (q) {
		tm_flush_to(t, f, side, &nxt, src, p);
		tm_skip(t, f, side, nxt, src, p);
		if (q->nfin) {
			tm_drain_fins(t, f, side, q, nxt, src, p);
		} else {
			tm_drain_to(t, f, side, q->end - 1);
			tm_skip(t, f, side, q->end - 1, src, p);
		}
		tm_stat_add(t, TM_STAT_END_UNREAD, tm_store_unread(h));
		tm_reasm_free(t, f, side);
		return true;
	}
	tm_flush_to(t, f, side, lim, src, p);
	seg = tm_seg_first(h);
	if (!seg) {
		tm_lnx_free(t, f, side);
		return false;
	}
	end = h->rcv_nxt;
	for (; seg; seg = tm_seg_next(seg)) {
		u32 send = seg->seq + seg->len;

		if (tm_after(send, end))
			end = send;
	}
	tm_stat_add(t, TM_STAT_END_UNREAD, tm_store_unread(h));
	tm_skip(t, f, side, end, src, p);
	tm_reasm_free(t, f, side);
	return false;
}

/**
 * tm_reasm_free() - free a side's store without delivering it
 * @t: table
 * @f: flow, locked
 * @side: the side
 */
void tm_reasm_free(struct tm_table *t, struct tm_flow *f, unsigned int side)
{
	struct tm_half *h = &f->half[side];
	struct tm_seg *seg;

	while ((seg = tm_seg_first(h)))
		tm_seg_drop(t, h, seg);
	tm_lnx_free(t, f, side);
}

/**
 * tm_overlap() - compare a segment's bytes with stored bytes
 * @src: the packet
 * @poff: offset of the overlapping bytes in it
 * @mem: the stored bytes
 * @len: how many
 * @last: overlap policy LAST: the segment's bytes replace the stored ones
 *
 * Return: true if they differ.
 */
static bool tm_overlap(const struct tm_src *src, unsigned int poff, u8 *mem,
		       u32 len, bool last)
{
	u8 buf[128];
	bool diff = false;

	while (len) {
		u32 n = min_t(u32, len, sizeof(buf));

		if (src->copy(src->pkt, poff, buf, n))
			break;
		if (memcmp(buf, mem, n)) {
			diff = true;
			if (last)
				memcpy(mem, buf, n);
		}
		poff += n;
		mem += n;
		len -= n;
	}
	return diff;
}

/**
 * tm_seg_charge() - count bytes against the store's limits
 * @t: table
 * @h: receiving side
 * @charge: bytes, a new piece's header included
 * @piece: they make a new piece, which &tm_table_cfg.seg_side counts
 *
 * Return: %TM_ERR_NONE, the bytes counted in the table's and the global
 * charge (not yet in the side's), or the limit they would exceed (the
 * piece limit is the side's: %TM_ERR_BUF_SIDE, counted in
 * %TM_STAT_SEG_SIDE).
 */
static unsigned int tm_seg_charge(struct tm_table *t, struct tm_half *h,
				  u32 charge, bool piece)
{
	if (piece && h->ooo_segs >= READ_ONCE(t->cfg.seg_side)) {
		tm_stat_inc(t, TM_STAT_SEG_SIDE);
		return TM_ERR_BUF_SIDE;
	}
	if (h->ooo_bytes + charge > READ_ONCE(t->cfg.buf_side))
		return TM_ERR_BUF_SIDE;
	if (atomic_long_add_return(charge, &t->ooo_bytes) >
	    (long)READ_ONCE(t->cfg.buf_total)) {
		atomic_long_sub(charge, &t->ooo_bytes);
		return TM_ERR_BUF_TOTAL;
	}
	if (!tm_charge(charge)) {
		atomic_long_sub(charge, &t->ooo_bytes);
		return TM_ERR_MEM_LIMIT;
	}
	return TM_ERR_NONE;
}

/* Undo tm_seg_charge() */
static void tm_seg_uncharge(struct tm_table *t, u32 charge)
{
	atomic_long_sub(charge, &t->ooo_bytes);
	tm_uncharge(charge);
}

/*
 * tcp_try_coalesce(): the segment [@seq, @end) is appended to @q if it
 * starts where @q ends and @q has room for one more page fragment (the
 * receiver's skbs from a tap or a NIC hold their bytes in one); @q then
 * carries the segment's FIN too.  It is appended even right after a FIN
 * of @q's (at @end - 1): tcp_try_coalesce() only compares sequence
 * numbers, and the skb's bytes then run on past that FIN (tm_lnx_join()).
 */
static bool tm_lnx_joins(const struct tm_lnx *q, u32 seq)
{
	return q->end == seq && q->joins < TM_LNX_FRAGS;
}

/* What the receiver does with a segment it queues out of order */
enum tm_lnx_act {
	TM_LNX_NEW,	/* a new skb, linked at @parent, @link */
	TM_LNX_JOIN,	/* appended to @q */
	TM_LNX_REPLACE,	/* @q, which starts where it does, is replaced */
	TM_LNX_DROP,	/* a queued skb holds all of it */
};

struct tm_lnx_pos {
	struct tm_lnx *q;
	struct rb_node *parent;
	struct rb_node **link;
};

/*
 * tcp_data_queue_ofo()'s decision for [@seq, @end), without acting on
 * it: the last skb first (the segment is appended to it, or goes after
 * it), else a walk from the root.  For %TM_LNX_NEW in an empty shadow,
 * @pos->link is NULL: the root's, once there is one.
 */
static enum tm_lnx_act tm_lnx_find(struct tm_flow *f, unsigned int side,
				   u32 seq, u32 end, struct tm_lnx_pos *pos)
{
	struct rb_node **link, *parent;
	struct tm_lnx *q;

	pos->q = NULL;
	pos->parent = NULL;
	pos->link = NULL;
	if (!tm_lnx_first(f, side))
		return TM_LNX_NEW;
	q = tm_lnx_of(rb_last(&f->lnx->root[side]));
	if (tm_lnx_joins(q, seq)) {
		pos->q = q;
		return TM_LNX_JOIN;
	}
	if (!tm_before(seq, q->end)) {
		pos->parent = &q->node;
		pos->link = &q->node.rb_right;
		return TM_LNX_NEW;
	}
	link = &f->lnx->root[side].rb_node;
	parent = NULL;
	while (*link) {
		parent = *link;
		q = tm_lnx_of(parent);
		if (tm_before(seq, q->seq)) {
			link = &parent->rb_left;
			continue;
		}
		if (tm_before(seq, q->end)) {
			if (!tm_after(end, q->end))
				return TM_LNX_DROP;
			if (seq == q->seq) {
				pos->q = q;
				return TM_LNX_REPLACE;
			}
		} else if (tm_lnx_joins(q, seq)) {
			pos->q = q;
			return TM_LNX_JOIN;
		}
		link = &parent->rb_right;
	}
	pos->parent = parent;
	pos->link = link;
	return TM_LNX_NEW;
}

/**
 * tm_lnx_join() - append a segment to a node, as tcp_try_coalesce() does
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @qp: the node, which ends where the segment starts; replaced by a
 *	&struct tm_lnx_fins the first time a segment follows its FIN
 * @end: the segment's end, its FIN included
 * @fin: it carries a FIN
 *
 * The skb's end_seq becomes the segment's and its flags take the
 * segment's FIN.  When the skb ended with a FIN, that one is now inside
 * it: a sequence number without a byte, which tm_reasm_fin_stop() steps
 * over as tcp_recvmsg() reads the skb's bytes in one run.
 *
 * Return: %TM_ERR_NONE, or the limit or failure that kept the segment out
 * (nothing changed).
 */
static unsigned int tm_lnx_join(struct tm_table *t, struct tm_flow *f,
				unsigned int side, struct tm_lnx **qp, u32 end,
				bool fin)
{
	struct tm_half *h = &f->half[side];
	struct tm_lnx *q = *qp;
	struct tm_lnx_fins *x;
	unsigned int err;
	u32 more;

	if (q->fin && !q->big) {
		more = TM_LNX_FINS_SIZE - sizeof(*q);
		err = tm_seg_charge(t, h, more, false);
		if (err)
			return err;
		x = tm_alloc_pkt(TM_LNX_FINS_SIZE);
		if (!x) {
			tm_seg_uncharge(t, more);
			return TM_ERR_NOMEM;
		}
		x->q = *q;
		x->q.big = true;
		rb_replace_node(&q->node, &x->q.node, &f->lnx->root[side]);
		tm_free(q);
		h->ooo_bytes += more;
		q = &x->q;
		*qp = q;
	}
	if (q->fin)
		container_of(q, struct tm_lnx_fins, q)->fin[q->nfin++] =
			q->end - 1;
	q->end = end;
	q->joins++;
	q->fin = fin;
	return TM_ERR_NONE;
}

/* A new node for [@seq, @end), charged to the side, or an error */
static unsigned int tm_lnx_new(struct tm_table *t, struct tm_flow *f,
			       unsigned int side, u32 seq, u32 end, bool fin,
			       struct tm_lnx **qp)
{
	struct tm_half *h = &f->half[side];
	struct tm_lnx *q;
	unsigned int err;

	if (!f->lnx) {
		if (!tm_charge(sizeof(*f->lnx)))
			return TM_ERR_MEM_LIMIT;
		f->lnx = tm_alloc_pkt(sizeof(*f->lnx));
		if (!f->lnx) {
			tm_uncharge(sizeof(*f->lnx));
			return TM_ERR_NOMEM;
		}
		f->lnx->root[TM_CLI] = RB_ROOT;
		f->lnx->root[TM_SVR] = RB_ROOT;
	}
	err = tm_seg_charge(t, h, sizeof(*q), true);
	if (err)
		goto fail;
	q = tm_alloc_pkt(sizeof(*q));
	if (!q) {
		tm_seg_uncharge(t, sizeof(*q));
		err = TM_ERR_NOMEM;
		goto fail;
	}
	q->seq = seq;
	q->end = end;
	q->joins = 0;
	q->fin = fin;
	q->nfin = 0;
	q->big = false;
	h->ooo_segs++;
	h->ooo_bytes += sizeof(*q);
	*qp = q;
	return TM_ERR_NONE;
fail:
	if (RB_EMPTY_ROOT(&f->lnx->root[TM_CLI]) &&
	    RB_EMPTY_ROOT(&f->lnx->root[TM_SVR])) {
		tm_free(f->lnx);
		tm_uncharge(sizeof(*f->lnx));
		f->lnx = NULL;
	}
	return err;
}

/**
 * tm_lnx_queue() - queue a segment in the shadow as the receiver does
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @seq: the segment's first sequence number, after &tm_half.rcv_nxt
 * @end: one past its last, its FIN included
 * @fin: it carries a FIN (at @end - 1)
 * @drop: set when the receiver drops it: a stored skb holds all of it
 * @org: set to where the skb that holds its bytes starts: @seq, or the
 *	start of the skb it was appended to
 *
 * tcp_data_queue_ofo(): the last skb first (the segment is appended to it,
 * or goes after it), else a walk from the root; a new node, or one that
 * the segment replaced, takes the place of the nodes after it that it
 * covers.  The last skb (ooo_last_skb) is always the last node: a node
 * the segment makes or replaces becomes it when no node follows.
 *
 * Return: %TM_ERR_NONE, or the limit or failure that kept the node out
 * (nothing changed).
 */
static unsigned int tm_lnx_queue(struct tm_table *t, struct tm_flow *f,
				 unsigned int side, u32 seq, u32 end, bool fin,
				 bool *drop, u32 *org)
{
	struct tm_lnx_pos pos;
	struct tm_lnx *q, *next;
	enum tm_lnx_act act;
	struct rb_root *root;
	unsigned int err;

	*drop = false;
	*org = seq;
	act = tm_lnx_find(f, side, seq, end, &pos);
	if (act == TM_LNX_DROP) {
		*drop = true;
		return TM_ERR_NONE;
	}
	if (act == TM_LNX_JOIN) {
		err = tm_lnx_join(t, f, side, &pos.q, end, fin);
		if (err)
			return err;
		*org = pos.q->seq;
		return TM_ERR_NONE;
	}
	if (act == TM_LNX_REPLACE) {
		/* rb_replace_node(): the shape stays; the FIN is the new
		 * skb's (a &struct tm_lnx_fins stays one, empty)
		 */
		q = pos.q;
		q->end = end;
		q->joins = 0;
		q->fin = fin;
		q->nfin = 0;
	} else {
		err = tm_lnx_new(t, f, side, seq, end, fin, &q);
		if (err)
			return err;
		root = &f->lnx->root[side];
		rb_link_node(&q->node, pos.parent,
			     pos.link ? pos.link : &root->rb_node);
		rb_insert_color(&q->node, root);
	}
	while ((next = tm_lnx_of(rb_next(&q->node))) &&
	       tm_after(end, next->seq) && !tm_before(end, next->end))
		tm_lnx_drop(t, f, side, next);
	return TM_ERR_NONE;
}

/*
 * Room for bytes in a piece that holds @len: its allocation is a power of
 * two from 64 bytes to 2 KiB, as the kmalloc caches its size would come
 * from anyway, so that the bytes that follow it can be appended.
 */
static u32 tm_seg_cap(u32 len)
{
	u32 size = 64;

	while (size < sizeof(struct tm_seg) + len)
		size <<= 1;
	return size - sizeof(struct tm_seg);
}

/*
 * May bytes of the segment that starts at @org follow @seg's in one
 * piece?  Under LINUX, only bytes of the same segment (&tm_seg.org).
 */
static bool tm_seg_joins(const struct tm_half *h, const struct tm_seg *seg,
			 u32 org)
{
	return !(h->flags & TM_HF_OVERLAP_LINUX) || seg->org == org;
}

/**
 * tm_store_new() - store bytes of a segment where no piece has them
 * @t: table
 * @h: receiving side
 * @prev: the piece before them, or NULL; set to the last piece that holds
 *	them
 * @seq: sequence number of the first byte
 * @org: &tm_seg.org of the bytes
 * @src: the packet
 * @poff: offset of the bytes in it
 * @len: bytes
 *
 * Bytes that follow @prev go into its room; the others into new pieces,
 * at most %TM_SEG_MAX bytes each.
 *
 * Return: %TM_ERR_NONE, or the limit or failure that stopped it (bytes
 * already stored stay).
 */
static unsigned int tm_store_new(struct tm_table *t, struct tm_half *h,
				 struct tm_seg **prev, u32 seq, u32 org,
				 const struct tm_src *src, unsigned int poff,
				 u32 len)
{
	struct tm_seg *seg = *prev;
	unsigned int err;

	while (len) {
		u32 n, charge;

		if (seg && seg->seq + seg->len == seq && seg->len < seg->cap &&
		    tm_seg_joins(h, seg, org)) {
			n = min_t(u32, len, seg->cap - seg->len);
			charge = n;
			err = tm_seg_charge(t, h, charge, false);
			if (err)
				return err;
			if (src->copy(src->pkt, poff, seg->data + seg->len, n)) {
				tm_seg_uncharge(t, charge);
				return TM_ERR_NOMEM;
			}
			seg->len += n;
		} else {
			u32 cap;

			n = min_t(u32, len, TM_SEG_MAX);
			charge = sizeof(*seg) + n;
			err = tm_seg_charge(t, h, charge, true);
			if (err)
				return err;
			cap = tm_seg_cap(n);
			seg = tm_alloc_pkt(sizeof(*seg) + cap);
			if (!seg || src->copy(src->pkt, poff, seg->data, n)) {
				tm_seg_uncharge(t, charge);
				tm_free(seg);
				return TM_ERR_NOMEM;
			}
			seg->seq = seq;
			seg->len = n;
			seg->org = org;
			seg->cap = cap;
			tm_seg_link(h, seg);
			*prev = seg;
		}
		h->ooo_bytes += charge;
		seq += n;
		poff += n;
		len -= n;
	}
	return TM_ERR_NONE;
}

/**
 * tm_seg_split() - cut a stored piece in two
 * @t: table
 * @h: receiving side
 * @seg: the piece
 * @at: sequence number of the second piece's first byte, inside @seg
 *
 * The second piece keeps &tm_seg.org; both are charged.
 *
 * Return: %TM_ERR_NONE, or the limit or failure that stopped it (@seg
 * unchanged).
 */
static unsigned int tm_seg_split(struct tm_table *t, struct tm_half *h,
				 struct tm_seg *seg, u32 at)
{
	u32 head = at - seg->seq, n = seg->len - head;
	u32 charge = sizeof(struct tm_seg) + n, cap;
	struct tm_seg *tail;
	unsigned int err;

	err = tm_seg_charge(t, h, charge, true);
	if (err)
		return err;
	cap = tm_seg_cap(n);
	tail = tm_alloc_pkt(sizeof(*tail) + cap);
	if (!tail) {
		tm_seg_uncharge(t, charge);
		return TM_ERR_NOMEM;
	}
	memcpy(tail->data, seg->data + head, n);
	tail->seq = at;
	tail->len = n;
	tail->org = seg->org;
	tail->cap = cap;
	/* The first piece keeps its allocation, and is charged for less. */
	seg->len = head;
	tm_seg_link(h, tail);
	h->ooo_bytes += charge - n;
	tm_seg_uncharge(t, n);
	return TM_ERR_NONE;
}

/**
 * tm_seg_join() - make two contiguous pieces one
 * @t: table
 * @h: receiving side
 * @a: the first piece
 * @b: the piece that starts where @a ends, no more than %TM_SEG_MAX bytes
 *	with it
 *
 * @b's bytes go into @a's room, or both into a larger allocation; @b's
 * header is no longer charged.
 *
 * Return: the piece, or NULL if there was no memory for it (both stay).
 */
static struct tm_seg *tm_seg_join(struct tm_table *t, struct tm_half *h,
				  struct tm_seg *a, struct tm_seg *b)
{
	u32 len = a->len + b->len;

	if (len > a->cap) {
		u32 cap = tm_seg_cap(len);
		struct tm_seg *n = tm_alloc_pkt(sizeof(*n) + cap);

		if (!n)
			return NULL;
		memcpy(n->data, a->data, a->len);
		n->seq = a->seq;
		n->len = a->len;
		n->org = a->org;
		n->cap = cap;
		rb_replace_node(&a->node, &n->node, &h->ooo);
		tm_free(a);
		a = n;
	}
	memcpy(a->data + a->len, b->data, b->len);
	a->len = len;
	rb_erase(&b->node, &h->ooo);
	h->ooo_segs--;
	h->ooo_bytes -= sizeof(*b);
	tm_seg_uncharge(t, sizeof(*b));
	tm_free(b);
	return a;
}

/**
 * tm_coalesce() - join contiguous pieces around a stored range
 * @t: table
 * @h: receiving side
 * @seq: first sequence number of the range
 * @end: one past its last
 *
 * Each piece from the one before @seq to the one at @end takes the
 * pieces that follow it contiguously while they fit %TM_SEG_MAX bytes
 * (and, under LINUX, hold bytes of the same segment): a flow whose
 * segments arrive in order behind a hole keeps a few large pieces.
 */
static void tm_coalesce(struct tm_table *t, struct tm_half *h, u32 seq,
			u32 end)
{
	struct tm_seg *seg = tm_seg_from(h, seq - 1), *next, *j;

	while (seg && !tm_after(seg->seq, end) && (next = tm_seg_next(seg))) {
		j = NULL;
		if (next->seq == seg->seq + seg->len &&
		    seg->len + next->len <= TM_SEG_MAX &&
		    tm_seg_joins(h, seg, next->org))
			j = tm_seg_join(t, h, seg, next);
		seg = j ? j : next;
	}
}

/*
 * Where the receiver's skb for the segment of @p that ends at @end ends:
 * after the FIN it carries, if it does.
 */
static u32 tm_skb_end(const struct tm_pkt *p, u32 end)
{
	return end + (p && (p->tcp_flags & TM_TCPF_FIN) &&
		      end == p->seq + !!(p->tcp_flags & TM_TCPF_SYN) +
			     p->l4len - p->doff);
}

/**
 * tm_store() - put a segment after a hole into the store
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @src: the packet
 * @p: its headers
 * @seq: sequence number of its first byte, after @rcv_nxt
 * @poff: offset of that byte in the packet
 * @len: bytes
 * @rx: what it did
 * @queue: under %TM_OVERLAP_LINUX, the receiver queues the segment out of
 *	order: the shadow of its queue decides (tm_lnx_queue())
 *
 * One walk over the pieces the segment overlaps, from the one that holds
 * or follows @seq (tm_seg_from(), O(log n)): the segment's bytes that no
 * piece holds are stored, and where a piece holds some, the overlap
 * policy decides which bytes win: the stored ones (%TM_OVERLAP_FIRST),
 * the segment's (%TM_OVERLAP_LAST), or as Linux queues segments out of
 * order (%TM_OVERLAP_LINUX).
 *
 * Linux keeps the segments themselves (tcp_data_queue_ofo()), overlapping
 * or not, and reads them in the order they start (tcp_ofo_queue()): of
 * two that hold a byte, the one that starts first gives it.  The store
 * keeps, per byte, the start of the skb that gives it (&tm_seg.org).  The
 * shadow of the receiver's queue (tm_lnx_queue()) says what the receiver
 * did with the segment: dropped it (a stored skb holds it: all its bytes
 * are compared), or put its bytes in an skb that starts at @seq (a new
 * one, or one it replaced) or before (one it was appended to).  Then the
 * segment gives every byte of its range that no skb starting earlier
 * gives.
 *
 * Return: %TM_ERR_NONE, or why not all of it could be stored.
 */
static unsigned int tm_store(struct tm_table *t, struct tm_flow *f,
			     unsigned int side, const struct tm_src *src,
			     const struct tm_pkt *p, u32 seq,
			     unsigned int poff, u32 len, struct tm_rx *rx,
			     bool queue)
{
	struct tm_half *h = &f->half[side];
	bool lnx = h->flags & TM_HF_OVERLAP_LINUX;
	bool last = !lnx && (h->flags & TM_HF_OVERLAP_LAST);
	u32 cur = seq, end = seq + len, org = seq;
	unsigned int err = TM_ERR_NONE;
	struct tm_seg *seg, *prev;
	bool diff = false, keep = false;

	if (lnx && queue) {
		u32 skb_end = tm_skb_end(p, end);

		/* The receiver's skb ends after the FIN it carries */
		err = tm_lnx_queue(t, f, side, seq, skb_end, skb_end != end,
				   &keep, &org);
		if (err)
			return err;
	}
	seg = tm_seg_from(h, seq);
	prev = tm_seg_of(seg ? rb_prev(&seg->node) : rb_last(&h->ooo));
	while (seg && tm_before(cur, end)) {
		u32 send = seg->seq + seg->len;
		u32 oend;

		if (tm_before(cur, seg->seq)) {
			u32 n = (tm_before(end, seg->seq) ? end : seg->seq) - cur;

			/* A contained segment's bytes are all stored. */
			if (!keep) {
				err = tm_store_new(t, h, &prev, cur, org, src,
						   poff + (cur - seq), n);
				if (err)
					goto out;
			}
			cur += n;
			continue;
		}
		oend = tm_before(end, send) ? end : send;
		rx->rexmit = true;
		if (!lnx || keep || tm_before(seg->org, org)) {
			/* FIRST, LAST, or bytes of a segment that starts
			 * earlier
			 */
			if (tm_overlap(src, poff + (cur - seq),
				       seg->data + (cur - seg->seq), oend - cur,
				       last))
				diff = true;
		} else {
			/* A piece that does not start before @cur, since
			 * those that do hold bytes of earlier segments.
			 */
			if (tm_before(end, send)) {
				err = tm_seg_split(t, h, seg, end);
				if (err)
					goto out;
			}
			if (tm_overlap(src, poff + (cur - seq),
				       seg->data + (cur - seg->seq), oend - cur,
				       true))
				diff = true;
			seg->org = org;
		}
		cur = oend;
		prev = seg;
		seg = tm_seg_next(seg);
	}
	if (!keep && tm_before(cur, end))
		err = tm_store_new(t, h, &prev, cur, org, src,
				   poff + (cur - seq), end - cur);
	if (!err)
		tm_coalesce(t, h, seq, end);
out:
	if (diff) {
		tm_stat_inc(t, TM_STAT_OVERLAP_DIFF);
		tm_error(t, f, side, TM_ERR_OVERLAP_DIFF,
			 h->rcv_off + (seq - h->rcv_nxt), len, src, p);
	}
	return err;
}

/*
 * The bytes of a run at @cur that no piece holds, @n of them, cost their
 * own charge and a header per new piece: those that follow @prev (whose
 * bytes are of the skb @prev_org) go into its room first, as
 * tm_store_new() puts them.
 */
static u32 tm_cost_run(const struct tm_half *h, const struct tm_seg *prev,
		       u32 prev_org, u32 cur, u32 org, u32 n)
{
	if (prev && prev->seq + prev->len == cur && prev->len < prev->cap &&
	    (!(h->flags & TM_HF_OVERLAP_LINUX) || prev_org == org))
		n -= min_t(u32, n, prev->cap - prev->len);
	return (n + TM_SEG_MAX - 1) / TM_SEG_MAX;
}

/**
 * tm_store_cost() - what storing a segment after a hole would add to its
 * side's store
 * @f: flow, locked
 * @side: receiving side
 * @p: the packet's headers, or NULL
 * @seq: sequence number of the segment's first byte, after @rcv_nxt
 * @len: bytes
 * @pieces: set to the pieces and shadow nodes it would add
 *
 * The walk tm_store() makes, without storing: the segment's bytes that no
 * piece holds, each run of them first in the room of the piece it
 * follows (of the same receiver skb, under %TM_OVERLAP_LINUX), then in
 * new pieces of up to %TM_SEG_MAX bytes, each with its header; under
 * %TM_OVERLAP_LINUX a header for a piece the segment's end cuts, and a
 * node of the shadow only where the receiver makes a new skb for the
 * segment (tm_lnx_find(): one it is appended to, or replaces, costs
 * nothing, but what a node grows by when the segment follows its FIN,
 * tm_lnx_join(); one that holds all of it, the segment's bytes are not
 * stored).  What tm_coalesce() and the shadow's merges free afterwards
 * is not subtracted: the store never charges more than this.
 *
 * Return: the charge, bytes and headers, as the store's limits and the
 * flow's share count it.
 */
static u64 tm_store_cost(struct tm_flow *f, unsigned int side,
			 const struct tm_pkt *p, u32 seq, u32 len, u32 *pieces)
{
	const struct tm_half *h = &f->half[side];
	bool lnx = h->flags & TM_HF_OVERLAP_LINUX;
	u32 cur = seq, end = seq + len, org = seq, prev_org = 0, n;
	struct tm_seg *seg, *prev;
	u64 bytes = 0, nodes = 0, fins = 0;
	struct tm_lnx_pos pos;

	*pieces = 0;
	if (lnx) {
		switch (tm_lnx_find(f, side, seq, tm_skb_end(p, end), &pos)) {
		case TM_LNX_DROP:
			return 0;
		case TM_LNX_JOIN:
			org = pos.q->seq;
			/* tm_lnx_join(): a node that grows to hold a FIN */
			if (pos.q->fin && !pos.q->big)
				fins = TM_LNX_FINS_SIZE - sizeof(struct tm_lnx);
			break;
		case TM_LNX_NEW:
			nodes = 1;
			break;
		case TM_LNX_REPLACE:
			break;
		}
	}
	seg = tm_seg_from(h, seq);
	prev = tm_seg_of(seg ? rb_prev(&seg->node) : rb_last(&h->ooo));
	if (prev)
		prev_org = prev->org;
	while (seg && tm_before(cur, end)) {
		u32 send = seg->seq + seg->len;

		if (tm_before(cur, seg->seq)) {
			n = (tm_before(end, seg->seq) ? end : seg->seq) - cur;
			bytes += n;
			*pieces += tm_cost_run(h, prev, prev_org, cur, org, n);
			cur += n;
			continue;
		}
		prev_org = seg->org;
		if (lnx && !tm_before(seg->org, org)) {
			/* tm_store(): the segment's skb gives these bytes */
			if (tm_before(end, send))
				(*pieces)++;
			prev_org = org;
		}
		cur = tm_before(end, send) ? end : send;
		prev = seg;
		seg = tm_seg_next(seg);
	}
	if (tm_before(cur, end)) {
		bytes += end - cur;
		*pieces += tm_cost_run(h, prev, prev_org, cur, org, end - cur);
	}
	bytes += (u64)*pieces * sizeof(struct tm_seg) +
		 nodes * sizeof(struct tm_lnx) + fins;
	*pieces += nodes;
	return bytes;
}

/**
 * tm_inorder() - deliver a segment that starts at the stream's edge
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @src: the packet
 * @p: its headers
 * @seq: sequence number of its first byte, equal to @rcv_nxt
 * @poff: offset of that byte in the packet
 * @len: bytes
 * @rx: what it did
 *
 * Stored pieces the segment overlaps are delivered in its place under the
 * FIRST policy (their bytes were seen first), replaced under LAST; under
 * LINUX the segment's bytes are delivered, and tm_drain() passes over
 * what the pieces hold of them.
 */
static void tm_inorder(struct tm_table *t, struct tm_flow *f,
		       unsigned int side, const struct tm_src *src,
		       const struct tm_pkt *p, u32 seq, unsigned int poff,
		       u32 len, struct tm_rx *rx)
{
	struct tm_half *h = &f->half[side];
	bool last = h->flags & TM_HF_OVERLAP_LAST;
	u32 cur = seq, end = seq + len;
	u64 off0 = h->rcv_off;
	struct tm_seg *seg;
	bool diff = false;

	if (h->flags & TM_HF_OVERLAP_LINUX) {
		/* Linux queues the segment whole, then reads from its
		 * out-of-order queue only what follows it (tcp_ofo_queue()).
		 */
		for (seg = tm_seg_first(h); seg && tm_before(seg->seq, end);
		     seg = tm_seg_next(seg)) {
			u32 send = seg->seq + seg->len;
			u32 oend = tm_before(end, send) ? end : send;

			rx->rexmit = true;
			if (tm_overlap(src, poff + (seg->seq - seq), seg->data,
				       oend - seg->seq, false))
				diff = true;
		}
		tm_deliver(t, f, side, src->copy, src->pkt, poff, len);
		cur = end;
	}
	while (tm_before(cur, end)) {
		u32 send, oend, skip;

		seg = tm_seg_first(h);
		if (!seg || !tm_before(seg->seq, end)) {
			tm_deliver(t, f, side, src->copy, src->pkt,
				   poff + (cur - seq), end - cur);
			break;
		}
		if (tm_before(cur, seg->seq)) {
			tm_deliver(t, f, side, src->copy, src->pkt,
				   poff + (cur - seq), seg->seq - cur);
			cur = seg->seq;
		}
		/* Here the piece starts at or before @cur. */
		send = seg->seq + seg->len;
		skip = cur - seg->seq;
		if (tm_after(send, cur)) {
			oend = tm_before(end, send) ? end : send;
			rx->rexmit = true;
			if (tm_overlap(src, poff + (cur - seq),
				       seg->data + skip, oend - cur, last))
				diff = true;
			tm_deliver(t, f, side, tm_mem_copy, seg->data, skip,
				   seg->len - skip);
			cur = send;
		}
		tm_seg_drop(t, h, seg);
	}
	if (diff) {
		tm_stat_inc(t, TM_STAT_OVERLAP_DIFF);
		tm_error(t, f, side, TM_ERR_OVERLAP_DIFF, off0, len, src, p);
	}
}

/**
 * tm_reasm_seen() - has a side's stream seen any of these bytes?
 * @h: receiving side
 * @seq: sequence number of the first byte
 * @len: bytes
 *
 * Return: true when some of them were delivered, skipped or are stored.
 */
bool tm_reasm_seen(const struct tm_half *h, u32 seq, u32 len)
{
	const struct tm_seg *seg;

	if (!(h->flags & TM_HF_RCV_SYNCED))
		return false;
	if (tm_before(seq, h->rcv_nxt))
		return true;
	seg = tm_seg_from(h, seq);
	return seg && tm_before(seg->seq, seq + len);
}

/**
 * tm_reasm_fits() - would a packet's payload fit its receiver's store?
 * @t: table
 * @f: flow, locked
 * @r: receiving side
 * @p: the packet's headers
 *
 * For %TM_IN_LOSSLESS, before the packet changes anything: a segment that
 * starts after the hole at &tm_half.rcv_nxt goes to the out-of-order
 * store.  What storing it costs (tm_store_cost(): its bytes that no piece
 * holds, the headers of the pieces and the shadow's node they take) must
 * fit the side's and the table's byte limits, its pieces and node the
 * side's piece limit (%TM_STAT_SEG_SIDE counts a refusal for it), and the
 * charge its flow's share of the table's store (%TM_STAT_STORE_SHARE),
 * once an over-share flow was trimmed to make room (store.c): the share
 * is checked against the same charge as without %TM_IN_LOSSLESS, so a
 * flow stores the same bytes in both modes.  The store never charges
 * more, so a segment that fits is stored whole.
 * In-order segments always fit: they fill the hole and drain the store.
 *
 * Return: false when the packet is better dropped, for its sender to
 * send again, than stored.
 */
bool tm_reasm_fits(struct tm_table *t, struct tm_flow *f, unsigned int r,
		   const struct tm_pkt *p)
{
	const struct tm_half *h = &f->half[r];
	u32 len = p->l4len - p->doff;
	u32 seq = p->seq + !!(p->tcp_flags & TM_TCPF_SYN);
	u32 pieces;
	u64 charge;

	if (!len || !(h->flags & TM_HF_RCV_SYNCED) ||
	    !tm_after(seq, h->rcv_nxt))
		return true;
	charge = tm_store_cost(f, r, p, seq, len, &pieces);
	if (h->ooo_segs + pieces > READ_ONCE(t->cfg.seg_side)) {
		tm_stat_inc(t, TM_STAT_SEG_SIDE);
		return false;
	}
	if (h->ooo_bytes + charge > READ_ONCE(t->cfg.buf_side))
		return false;
	if (!tm_store_admit(t, f, charge)) {
		tm_stat_inc(t, TM_STAT_STORE_SHARE);
		return false;
	}
	tm_store_make_room(t, f, charge);
	return atomic_long_read(&t->ooo_bytes) + charge <=
	       READ_ONCE(t->cfg.buf_total);
}

/**
 * tm_drain_fins() - deliver what the receiver reads of an skb with FINs
 * inside, up to its end
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @q: the skb's node, whose FIN stops the stream
 * @nxt: the receiver's rcv_nxt when it dequeues the skb, at or after
 *	@q->seq and before @q->end
 * @src: current packet
 * @p: its headers
 *
 * tcp_recvmsg() reads an skb from byte rcv_nxt - seq of it, and then its
 * bytes to the end in one run, and then takes its FIN: the FINs inside
 * (&tm_lnx.nfin, segments appended after them) take no byte, so a read
 * that starts after one of them starts that many bytes further in
 * sequence space (the bytes in between are never read), and the run goes
 * on over them.  The stored bytes before @nxt (skbs that start earlier)
 * are delivered first; then the skb's own (the store has the skb's bytes
 * from @nxt on: every skb that starts earlier ends at or before @nxt),
 * stepping over the FINs' sequence numbers, which another skb's bytes may
 * fill in the store.  Stepping takes a sequence number and no stream
 * offset, as the FIN does, and forgets the delivered bytes kept for
 * comparison (&tm_half.hist), whose sequence numbers are no longer the
 * stream's.  @rcv_nxt is left at @q->end - 1, where track.c takes the
 * FIN: the receiver's rcv_nxt is then @q->end.
 */
static void tm_drain_fins(struct tm_table *t, struct tm_flow *f,
			  unsigned int side, const struct tm_lnx *q, u32 nxt,
			  const struct tm_src *src, const struct tm_pkt *p)
{
	const u32 *fin = tm_lnx_fins(q);
	struct tm_half *h = &f->half[side];
	u32 at = nxt, lo = q->seq, hi;
	unsigned int i;

	tm_drain_to(t, f, side, nxt);
	tm_skip(t, f, side, nxt, src, p);
	/* Byte nxt - seq of the skb: one sequence number on per FIN before */
	for (i = 0; i < q->nfin && !tm_after(fin[i], at); i++)
		at++;
	/* The runs of bytes between the FINs */
	for (i = 0; i <= q->nfin; i++) {
		hi = i < q->nfin ? fin[i] : q->end - q->fin;
		if (tm_after(at, lo))
			lo = at;
		if (tm_before(lo, hi)) {
			if (lo != h->rcv_nxt) {
				h->rcv_nxt = lo;
				h->hist_len = 0;
			}
			tm_drain_to(t, f, side, hi);
			tm_skip(t, f, side, hi, src, p);
		}
		lo = hi + 1;
	}
	h->rcv_nxt = q->end - 1;
	h->hist_len = 0;
}

/**
 * tm_reasm_fin_stop() - under %TM_OVERLAP_LINUX, does the stream stop at a
 * FIN once a segment is in order?
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @src: the packet
 * @p: its headers
 * @rx: what it did; @rx->fin set when the stream stops at a FIN
 *
 * tcp_data_queue(): a segment in order that carries a FIN is queued whole
 * and tcp_fin() purges the out-of-order queue before tcp_ofo_queue() could
 * read it: no stored byte is delivered, even one that the segment's
 * sequence space runs into.  Otherwise tcp_ofo_queue() dequeues the
 * stored skbs in the order they start and stops at the first one with a
 * FIN (tm_lnx_fin()): the stored bytes are delivered up to that FIN and no
 * further (tm_drain_to()), or, when segments were appended to the skb
 * after a FIN of its own, up to the skb's end as tcp_recvmsg() reads it
 * (tm_drain_fins()).  A gap is reported where bytes the receiver reads
 * are not stored (none are missing but after a limit: the store then
 * skipped ahead).  The store is emptied when track.c takes the FIN
 * (tcp_fin()).
 *
 * Return: true when it does, @rcv_nxt at the FIN.
 */
static noinline bool tm_reasm_fin_stop(struct tm_table *t,
				       struct tm_flow *f, unsigned int side,
				       const struct tm_src *src,
				       const struct tm_pkt *p,
				       struct tm_rx *rx)
{
	struct tm_lnx *q;
	u32 nxt;

	if (!(p->tcp_flags & TM_TCPF_FIN)) {
		q = tm_lnx_fin(f, side, &nxt);
		if (!q)
			return false;
		if (q->nfin) {
			tm_drain_fins(t, f, side, q, nxt, src, p);
		} else {
			tm_drain_to(t, f, side, q->end - 1);
			tm_skip(t, f, side, q->end - 1, src, p);
		}
	}
	rx->fin = true;
	return true;
}

/**
 * tm_reasm_data() - take a segment's payload into a side's stream
 * @t: table
 * @f: flow, locked
 * @side: receiving side, whose @rcv_nxt is known
 * @src: the packet
 * @p: its headers
 * @seq: sequence number of the first payload byte
 * @poff: offset of that byte in the packet
 * @len: payload bytes, not zero
 * @rx: what it did, filled in
 */
void tm_reasm_data(struct tm_table *t, struct tm_flow *f, unsigned int side,
		   const struct tm_src *src, const struct tm_pkt *p, u32 seq,
		   unsigned int poff, u32 len, struct tm_rx *rx)
{
	struct tm_half *h = &f->half[side];
	u32 end = seq + len, pieces;
	u64 off0 = h->rcv_off, charge;
	unsigned int err;
	int pass;

	if (tm_before(seq, h->rcv_nxt) && !(f->flags & TM_FF_QUIET) &&
	    tm_hist_diff(h, src, poff, seq, len)) {
		/* Bytes the stream has differ from those sent again */
		u32 back = h->rcv_nxt - seq;

		tm_stat_inc(t, TM_STAT_OVERLAP_DIFF);
		tm_error(t, f, side, TM_ERR_OVERLAP_DIFF,
			 h->rcv_off - min_t(u64, back, h->rcv_off), len, src,
			 p);
	}
	for (pass = 0; pass < 2; pass++) {
		if (!tm_after(end, h->rcv_nxt)) {
			/* Nothing new: all of it was delivered (or skipped). */
			rx->rexmit = true;
			goto out;
		}
		if (tm_before(seq, h->rcv_nxt)) {
			u32 d = h->rcv_nxt - seq;

			rx->rexmit = true;
			seq += d;
			poff += d;
			len -= d;
		}
		if (seq == h->rcv_nxt)
			break;
		if (pass == 1) {
			/* Second pass, after a forced flush: skip to it. */
			tm_skip(t, f, side, seq, src, p);
			break;
		}
		charge = tm_store_cost(f, side, p, seq, len, &pieces);
		if (!tm_store_admit(t, f, charge)) {
			/* Over the flow's share: the side's store goes. */
			tm_stat_inc(t, TM_STAT_STORE_SHARE);
			f->gap_why = TM_GAP_SHARE;
			tm_reasm_flush(t, f, side, NULL, src, p);
			continue;
		}
		tm_store_make_room(t, f, charge);
		err = tm_store(t, f, side, src, p, seq, poff, len, rx, true);
		if (err == TM_ERR_NONE)
			goto out;
		tm_stat_inc(t, err == TM_ERR_BUF_SIDE ? TM_STAT_BUF_SIDE :
			    err == TM_ERR_BUF_TOTAL ? TM_STAT_BUF_TOTAL :
			    err == TM_ERR_MEM_LIMIT ? TM_STAT_MEM_LIMIT :
			    TM_STAT_NOMEM);
		tm_error(t, f, side, err, h->rcv_off + (seq - h->rcv_nxt), len,
			 src, p);
		f->gap_why = TM_GAP_LIMIT;
		tm_reasm_flush(t, f, side, NULL, src, p);
	}
	tm_inorder(t, f, side, src, p, seq, poff, len, rx);
	/* Most segments: no FIN, and nothing stored in the receiver's queue */
	if ((h->flags & TM_HF_OVERLAP_LINUX) &&
	    (f->lnx || (p->tcp_flags & TM_TCPF_FIN)) &&
	    tm_reasm_fin_stop(t, f, side, src, p, rx))
		goto out;
	tm_drain(t, f, side);
	tm_lnx_advance(t, f, side);
out:
	f->gap_why = TM_GAP_LOSS;
	rx->delivered = h->rcv_off - off0;
}

/**
 * tm_reasm_fin() - a FIN without data behind a hole
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @seq: the FIN's sequence number
 *
 * Linux queues it out of order as an skb of one sequence number
 * (tcp_data_queue_ofo()), which changes its tree like any other: under
 * %TM_OVERLAP_LINUX it takes a node of the shadow.  A node that cannot be
 * had is counted as the store's error would be.
 */
void tm_reasm_fin(struct tm_table *t, struct tm_flow *f, unsigned int side,
		  u32 seq)
{
	struct tm_half *h = &f->half[side];
	unsigned int err;
	bool drop;
	u32 org;

	if (!(h->flags & TM_HF_OVERLAP_LINUX) ||
	    !(h->flags & TM_HF_RCV_SYNCED) || !tm_after(seq, h->rcv_nxt))
		return;
	err = tm_lnx_queue(t, f, side, seq, seq + 1, true, &drop, &org);
	if (err)
		tm_stat_inc(t, err == TM_ERR_BUF_SIDE ? TM_STAT_BUF_SIDE :
			    err == TM_ERR_BUF_TOTAL ? TM_STAT_BUF_TOTAL :
			    err == TM_ERR_MEM_LIMIT ? TM_STAT_MEM_LIMIT :
			    TM_STAT_NOMEM);
}

/**
 * tm_reasm_hold() - keep a SYN's payload until the SYN-ACK says whether
 * the receiver took it (TCP Fast Open)
 * @t: table
 * @f: flow, locked
 * @side: receiving side, whose @rcv_nxt is @seq
 * @src: the SYN
 * @p: its headers
 * @seq: sequence number of the first payload byte
 * @poff: offset of that byte in the packet
 * @len: payload bytes, not zero
 * @rx: what it did, filled in
 *
 * The bytes go to the out-of-order store at the stream's edge: the next
 * in-order bytes or tm_reasm_flush() deliver them, tm_reasm_free() drops
 * them.
 *
 * Return: true when they are held.
 */
bool tm_reasm_hold(struct tm_table *t, struct tm_flow *f, unsigned int side,
		   const struct tm_src *src, const struct tm_pkt *p, u32 seq,
		   unsigned int poff, u32 len, struct tm_rx *rx)
{
	struct tm_half *h = &f->half[side];
	unsigned int err;

	err = tm_store(t, f, side, src, p, seq, poff, len, rx, false);
	if (err == TM_ERR_NONE)
		return true;
	tm_stat_inc(t, err == TM_ERR_BUF_SIDE ? TM_STAT_BUF_SIDE :
		    err == TM_ERR_BUF_TOTAL ? TM_STAT_BUF_TOTAL :
		    err == TM_ERR_MEM_LIMIT ? TM_STAT_MEM_LIMIT :
		    TM_STAT_NOMEM);
	tm_error(t, f, side, err, h->rcv_off, len, src, p);
	tm_reasm_free(t, f, side);
	return false;
}
