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
 * in the side's out-of-order store, a sorted list of non-overlapping
 * pieces (&struct tm_seg, at most %TM_SEG_MAX bytes each, so that every
 * allocation fits the 2 KiB kmalloc cache).  When a segment fills the
 * hole, its bytes and then the stored pieces that follow are delivered.
 *
 * Overlaps: where a segment covers bytes already stored, the flow's
 * policy decides which bytes win: the first seen (%TM_OVERLAP_FIRST, the
 * default) or the last (%TM_OVERLAP_LAST).  Either way, stored bytes that
 * differ from the segment's are reported (%TM_ERR_OVERLAP_DIFF): the two
 * ends of the connection may not agree on the stream, an evasion signal.
 * Bytes already delivered are final: a retransmission of them is reported
 * as such (%TM_EV_REXMIT), and its bytes are not compared, since the
 * core keeps no copy of delivered bytes.
 *
 * Limits: a side stores at most &tm_table_cfg.buf_side bytes and a table
 * at most &tm_table_cfg.buf_total, pieces' headers included, and all tables
 * together what tm_charge() allows; allocations are GFP_NOWAIT and may
 * fail.  When a segment cannot be stored, the error is raised
 * (%TM_ERR_BUF_SIDE, %TM_ERR_BUF_TOTAL, %TM_ERR_MEM_LIMIT, %TM_ERR_NOMEM),
 * and the
 * side's stream skips ahead: every hole up to and including the segment's
 * is reported as a gap (%TM_ERR_GAP, with its offset and length) and
 * passed over, the stored pieces and the segment are delivered, and the
 * store is empty again.  Nothing is dropped without a report, and stream
 * offsets stay those of the sequence space, so a consumer knows exactly
 * which bytes it never got.  Where the packet itself may be dropped
 * (%TM_IN_LOSSLESS, inline mode), a segment that would not fit the side's
 * or the table's limit is dropped instead, before it changes anything
 * (tm_reasm_fits(), %TM_STAT_STORE_FULL): its sender sends it again, and
 * no hole is skipped for want of room.  A side that ends (FIN, RST, timeout) delivers
 * what it stores the same way.  How much of the table's store one flow may
 * hold, how old a hole may grow and which flow gives up its store when
 * the table's is full are store.c's: here it is asked where a segment is
 * admitted (tm_store_admit(), tm_store_make_room()), and each gap carries
 * its reason (&tm_flow.gap_why).
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
	u64 o = h->rcv_off;
	u32 n = len;

	if (n > TM_HIST) {
		off += n - TM_HIST;
		o += n - TM_HIST;
		n = TM_HIST;
	}
	while (n) {
		u32 pos = (u32)(o % TM_HIST), k = min_t(u32, n, TM_HIST - pos);

		if (copy(src, off, h->hist + pos, k)) {
			h->hist_len = 0;
			return;
		}
		off += k;
		o += k;
		n -= k;
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
	u32 lo = nxt - h->hist_len, end = seq + len, n, i;
	u8 buf[TM_HIST];
	u64 o;

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
	o = h->rcv_off - (nxt - seq);
	for (i = 0; i < n; i++)
		if (buf[i] != h->hist[(o + i) % TM_HIST])
			return true;
	return false;
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
		t->ops->data(t->priv, f, side, h->rcv_off, copy, src, off,
			     len);
		tm_stat_add(t, side == TM_SVR ? TM_STAT_BYTES_C2S :
			    TM_STAT_BYTES_S2C, len);
		tm_hist_add(h, copy, src, off, len);
	}
	h->rcv_nxt += len;
	h->rcv_off += len;
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
 * offset where it would have been (%TM_ERR_URG).
 */
static void tm_deliver(struct tm_table *t, struct tm_flow *f,
		       unsigned int side, tm_copy_t copy, const void *src,
		       unsigned int off, u32 len)
{
	struct tm_half *h = &f->half[side];
	u32 n;

	/* Skipped in a gap: nothing to step over any more */
	if ((h->aflags & TM_HA_URG) && tm_before(h->urg_seq, h->rcv_nxt))
		h->aflags &= ~TM_HA_URG;
	if ((h->aflags & TM_HA_URG) && h->urg_seq - h->rcv_nxt < len) {
		n = h->urg_seq - h->rcv_nxt;
		tm_hand(t, f, side, copy, src, off, n);
		h->aflags &= ~TM_HA_URG;
		h->rcv_nxt++;
		tm_stat_inc(t, TM_STAT_NACC_URG);
		tm_error(t, f, side, TM_ERR_URG, h->rcv_off, 1, NULL, NULL);
		off += n + 1;
		len -= n + 1;
	}
	tm_hand(t, f, side, copy, src, off, len);
}

static void tm_seg_drop(struct tm_table *t, struct tm_half *h,
			struct tm_seg *seg)
{
	u32 charge = sizeof(*seg) + seg->len;

	h->ooo_bytes -= charge;
	atomic_long_sub(charge, &t->ooo_bytes);
	tm_uncharge(charge);
	tm_free(seg);
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
	struct tm_seg *seg;

	while ((seg = h->ooo) && !tm_after(seg->seq, h->rcv_nxt)) {
		u32 skip = h->rcv_nxt - seg->seq;

		if (skip < seg->len)
			tm_deliver(t, f, side, tm_mem_copy, seg->data, skip,
				   seg->len - skip);
		h->ooo = seg->next;
		tm_seg_drop(t, h, seg);
	}
}

/**
 * tm_reasm_flush() - deliver everything stored, reporting the holes
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @src: current packet, or NULL
 * @p: its headers, or NULL
 */
void tm_reasm_flush(struct tm_table *t, struct tm_flow *f, unsigned int side,
		    const struct tm_src *src, const struct tm_pkt *p)
{
	struct tm_half *h = &f->half[side];

	while (h->ooo) {
		tm_skip(t, f, side, h->ooo->seq, src, p);
		tm_drain(t, f, side);
	}
}

/**
 * tm_reasm_free() - free a side's store without delivering it
 * @t: table
 * @h: side
 */
void tm_reasm_free(struct tm_table *t, struct tm_half *h)
{
	struct tm_seg *seg;

	while ((seg = h->ooo)) {
		h->ooo = seg->next;
		tm_seg_drop(t, h, seg);
	}
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
 * tm_seg_charge() - count a new piece against the store's limits
 * @t: table
 * @h: receiving side
 * @charge: the piece's size, header included
 *
 * Return: %TM_ERR_NONE, the piece counted in the table's and the global
 * charge (not yet in the side's), or the limit it would exceed.
 */
static unsigned int tm_seg_charge(struct tm_table *t, struct tm_half *h,
				  u32 charge)
{
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

/**
 * tm_store_piece() - store bytes of a segment where no piece has them
 * @t: table
 * @h: receiving side
 * @link: where in the list; advanced past the new pieces
 * @seq: sequence number of the first byte
 * @org: &tm_seg.org of the new pieces
 * @src: the packet
 * @poff: offset of the bytes in it
 * @len: bytes
 *
 * Return: %TM_ERR_NONE, or the limit or failure that stopped it (pieces
 * already stored stay).
 */
static unsigned int tm_store_piece(struct tm_table *t, struct tm_half *h,
				   struct tm_seg ***link, u32 seq, u32 org,
				   const struct tm_src *src, unsigned int poff,
				   u32 len)
{
	while (len) {
		u32 n = min_t(u32, len, TM_SEG_MAX);
		u32 charge = sizeof(struct tm_seg) + n;
		struct tm_seg *seg;
		unsigned int err;

		err = tm_seg_charge(t, h, charge);
		if (err)
			return err;
		seg = tm_alloc_pkt(charge);
		if (!seg || src->copy(src->pkt, poff, seg->data, n)) {
			atomic_long_sub(charge, &t->ooo_bytes);
			tm_uncharge(charge);
			tm_free(seg);
			return TM_ERR_NOMEM;
		}
		seg->seq = seq;
		seg->len = n;
		seg->org = org;
		seg->next = **link;
		**link = seg;
		*link = &seg->next;
		h->ooo_bytes += charge;
		seq += n;
		poff += n;
		len -= n;
	}
	return TM_ERR_NONE;
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
 *
 * Return: %TM_ERR_NONE, or why not all of it could be stored.
 */
static unsigned int tm_store(struct tm_table *t, struct tm_flow *f,
			     unsigned int side, const struct tm_src *src,
			     const struct tm_pkt *p, u32 seq,
			     unsigned int poff, u32 len, struct tm_rx *rx)
{
	struct tm_half *h = &f->half[side];
	bool last = h->flags & TM_HF_OVERLAP_LAST;
	struct tm_seg **link = &h->ooo, *seg;
	u32 cur = seq, end = seq + len;
	bool diff = false;
	unsigned int err;

	while ((seg = *link) && tm_before(cur, end)) {
		u32 send = seg->seq + seg->len;
		u32 oend;

		if (!tm_after(send, cur)) {
			link = &seg->next;
			continue;
		}
		if (tm_before(cur, seg->seq)) {
			u32 n = (tm_before(end, seg->seq) ? end : seg->seq) - cur;

			err = tm_store_piece(t, h, &link, cur, cur, src,
					     poff + (cur - seq), n);
			if (err)
				goto out;
			cur += n;
			continue;
		}
		oend = tm_before(end, send) ? end : send;
		rx->rexmit = true;
		if (tm_overlap(src, poff + (cur - seq),
			       seg->data + (cur - seg->seq), oend - cur, last))
			diff = true;
		cur = oend;
		link = &seg->next;
	}
	err = TM_ERR_NONE;
	if (tm_before(cur, end))
		err = tm_store_piece(t, h, &link, cur, cur, src,
				     poff + (cur - seq), end - cur);
out:
	if (diff) {
		tm_stat_inc(t, TM_STAT_OVERLAP_DIFF);
		tm_error(t, f, side, TM_ERR_OVERLAP_DIFF,
			 h->rcv_off + (seq - h->rcv_nxt), len, src, p);
	}
	return err;
}

/**
 * tm_seg_at() - the stored piece that holds a sequence number
 * @h: receiving side
 * @seq: the sequence number
 *
 * Return: the piece, or NULL.
 */
static struct tm_seg *tm_seg_at(const struct tm_half *h, u32 seq)
{
	struct tm_seg *seg;

	for (seg = h->ooo; seg && !tm_after(seg->seq, seq); seg = seg->next)
		if (tm_after(seg->seq + seg->len, seq))
			return seg;
	return NULL;
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
	u32 charge = sizeof(struct tm_seg) + n;
	struct tm_seg *tail;
	unsigned int err;

	err = tm_seg_charge(t, h, charge);
	if (err)
		return err;
	tail = tm_alloc_pkt(charge);
	if (!tail) {
		atomic_long_sub(charge, &t->ooo_bytes);
		tm_uncharge(charge);
		return TM_ERR_NOMEM;
	}
	memcpy(tail->data, seg->data + head, n);
	tail->seq = at;
	tail->len = n;
	tail->org = seg->org;
	tail->next = seg->next;
	seg->next = tail;
	h->ooo_bytes += charge;
	/* The first piece keeps its allocation, and is charged for less. */
	seg->len = head;
	h->ooo_bytes -= n;
	atomic_long_sub(n, &t->ooo_bytes);
	tm_uncharge(n);
	return TM_ERR_NONE;
}

/**
 * tm_store_linux() - put a segment after a hole into the store, as Linux
 * queues it out of order
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @src: the packet
 * @p: its headers
 * @seq: sequence number of its first byte, after @rcv_nxt
 * @poff: offset of that byte in the packet
 * @len: bytes
 * @rx: what it did
 *
 * Linux keeps the segments themselves (tcp_data_queue_ofo()), overlapping
 * or not, and reads them in the order they start (tcp_ofo_queue()): of
 * two that hold a byte, the one that starts first gives it.  A segment
 * that a stored one contains is dropped; one that starts where a stored
 * one starts and ends after it replaces it; one that starts right where
 * a stored one ends is appended to it (tcp_try_coalesce()), and starts
 * where it starts.  The store keeps, per byte, the start of the segment
 * that gives it (&tm_seg.org), which is all these rules need: the
 * segment is contained when the byte before its end comes from a segment
 * that starts at or before it; otherwise it gives every byte of its range
 * that no earlier-starting segment gives.
 *
 * Return: %TM_ERR_NONE, or why not all of it could be stored.
 */
static unsigned int tm_store_linux(struct tm_table *t, struct tm_flow *f,
				   unsigned int side, const struct tm_src *src,
				   const struct tm_pkt *p, u32 seq,
				   unsigned int poff, u32 len,
				   struct tm_rx *rx)
{
	struct tm_half *h = &f->half[side];
	struct tm_seg **link = &h->ooo, *seg;
	u32 cur = seq, end = seq + len, org = seq;
	unsigned int err = TM_ERR_NONE;
	bool diff = false, keep;

	seg = tm_seg_at(h, end - 1);
	keep = seg && !tm_after(seg->org, seq);
	if (!keep && !tm_seg_at(h, seq)) {
		seg = tm_seg_at(h, seq - 1);
		if (seg)
			org = seg->org;
	}
	while ((seg = *link) && tm_before(cur, end)) {
		u32 send = seg->seq + seg->len;
		u32 oend;

		if (!tm_after(send, cur)) {
			link = &seg->next;
			continue;
		}
		if (tm_before(cur, seg->seq)) {
			u32 n = (tm_before(end, seg->seq) ? end : seg->seq) - cur;

			/* A contained segment's bytes are all stored. */
			if (!keep) {
				err = tm_store_piece(t, h, &link, cur, org,
						     src, poff + (cur - seq),
						     n);
				if (err)
					goto out;
			}
			cur += n;
			continue;
		}
		oend = tm_before(end, send) ? end : send;
		rx->rexmit = true;
		if (keep || tm_before(seg->org, org)) {
			/* Bytes of a segment that starts earlier */
			if (tm_overlap(src, poff + (cur - seq),
				       seg->data + (cur - seg->seq), oend - cur,
				       false))
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
		link = &seg->next;
	}
	if (!keep && tm_before(cur, end))
		err = tm_store_piece(t, h, &link, cur, org, src,
				     poff + (cur - seq), end - cur);
out:
	if (diff) {
		tm_stat_inc(t, TM_STAT_OVERLAP_DIFF);
		tm_error(t, f, side, TM_ERR_OVERLAP_DIFF,
			 h->rcv_off + (seq - h->rcv_nxt), len, src, p);
	}
	return err;
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
		for (seg = h->ooo; seg && tm_before(seg->seq, end);
		     seg = seg->next) {
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

		seg = h->ooo;
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
		h->ooo = seg->next;
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
	u32 end = seq + len;

	if (!(h->flags & TM_HF_RCV_SYNCED))
		return false;
	if (tm_before(seq, h->rcv_nxt))
		return true;
	for (seg = h->ooo; seg && tm_before(seg->seq, end); seg = seg->next)
		if (tm_after(seg->seq + seg->len, seq))
			return true;
	return false;
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
 * store.  Charged as if none of its bytes were stored yet, a header per
 * %TM_SEG_MAX bytes, it must fit the side's limit, its flow's share of
 * the table's store (%TM_STAT_STORE_SHARE) and the table's limit, once
 * an over-share flow was trimmed to make room (store.c).
 * In-order segments always fit: they fill the hole and drain the store.
 *
 * Return: false when the packet is better dropped, for its sender to
 * send again, than stored.
 */
bool tm_reasm_fits(struct tm_table *t, const struct tm_flow *f,
		   unsigned int r, const struct tm_pkt *p)
{
	const struct tm_half *h = &f->half[r];
	u32 len = p->l4len - p->doff;
	u32 seq = p->seq + !!(p->tcp_flags & TM_TCPF_SYN);
	u64 charge;

	if (!len || !(h->flags & TM_HF_RCV_SYNCED) ||
	    !tm_after(seq, h->rcv_nxt))
		return true;
	charge = tm_reasm_charge(len);
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
 * tm_reasm_charge() - what storing bytes that no piece holds yet costs
 * @len: bytes
 *
 * Return: @len and a piece's header per %TM_SEG_MAX bytes.
 */
u64 tm_reasm_charge(u32 len)
{
	return len + (u64)((len + TM_SEG_MAX - 1) / TM_SEG_MAX) *
	       sizeof(struct tm_seg);
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
	u32 end = seq + len;
	u64 off0 = h->rcv_off;
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
		if (!tm_store_admit(t, f, tm_reasm_charge(len))) {
			/* Over the flow's share: the side's store goes. */
			tm_stat_inc(t, TM_STAT_STORE_SHARE);
			f->gap_why = TM_GAP_SHARE;
			tm_reasm_flush(t, f, side, src, p);
			continue;
		}
		tm_store_make_room(t, f, tm_reasm_charge(len));
		if (h->flags & TM_HF_OVERLAP_LINUX)
			err = tm_store_linux(t, f, side, src, p, seq, poff,
					     len, rx);
		else
			err = tm_store(t, f, side, src, p, seq, poff, len, rx);
		if (err == TM_ERR_NONE)
			goto out;
		tm_stat_inc(t, err == TM_ERR_BUF_SIDE ? TM_STAT_BUF_SIDE :
			    err == TM_ERR_BUF_TOTAL ? TM_STAT_BUF_TOTAL :
			    err == TM_ERR_MEM_LIMIT ? TM_STAT_MEM_LIMIT :
			    TM_STAT_NOMEM);
		tm_error(t, f, side, err, h->rcv_off + (seq - h->rcv_nxt), len,
			 src, p);
		f->gap_why = TM_GAP_LIMIT;
		tm_reasm_flush(t, f, side, src, p);
	}
	tm_inorder(t, f, side, src, p, seq, poff, len, rx);
	tm_drain(t, f, side);
out:
	f->gap_why = TM_GAP_LOSS;
	rx->delivered = h->rcv_off - off0;
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

	err = tm_store(t, f, side, src, p, seq, poff, len, rx);
	if (err == TM_ERR_NONE)
		return true;
	tm_stat_inc(t, err == TM_ERR_BUF_SIDE ? TM_STAT_BUF_SIDE :
		    err == TM_ERR_BUF_TOTAL ? TM_STAT_BUF_TOTAL :
		    err == TM_ERR_MEM_LIMIT ? TM_STAT_MEM_LIMIT :
		    TM_STAT_NOMEM);
	tm_error(t, f, side, err, h->rcv_off, len, src, p);
	tm_reasm_free(t, h);
	return false;
}
