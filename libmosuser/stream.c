// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * stream.c - the stream buffers: DATA records append to the receiving
 * side's buffer, which holds its last rcvbuf_size bytes; mtcp_peek() and
 * mtcp_ppeek() read them.  A DATA record with MOS_DATAF_PKT has its bytes
 * in the flow's last packet (dispatch.c's pkt_stash(): the packet's
 * record came before it).  The stream offsets of the DATA records that
 * follow a loss make mtcp_peek() report the bytes missed.  A side whose
 * buffer a per-flow MOS_CLIBUF/SVRBUF of 0 turned off keeps nothing.
 *
 * The packets of the events say how far each stream's bytes have been
 * seen, in order or not (tcp_buf_info's tcpbi_last_byte_received): the
 * kernel keeps out-of-order bytes until they are in order.
 */

#include <errno.h>
#include <string.h>
#include "internal.h"

/*
 * NEW_DATA for what @f's @side holds, before bytes it has not peeked yet
 * are overwritten: one record can carry more than the buffer holds (a
 * filled hole releases what waited behind it).  No packet is at hand in
 * such a callback: mtcp_getlastpkt() fails with ENODATA.
 */
static void flow_data_full(struct mtcp_ctx *c, struct mtcp_flow *f, int side)
{
	const int bit = MOS_EV_NEW_DATA;
	struct mos_rec_event e = {
		.flow = f->id, .ts_ns = f->last_ts_ns, .off = f->buf[side].read,
		.len = (uint32_t)(f->buf[side].head - f->buf[side].read),
		.type = bit, .hook = MOS_HOOK_NULL, .side = side,
		.state = { f->state[0], f->state[1] },
	};
	int i;

	for (i = 0; i < c->nmsock && !c->stop && !f->dead; i++) {
		struct mtcp_msock *m = &c->msock[i];

		if (!m->used || m->raw || !mu_wanted(m, MOS_HOOK_NULL, bit))
			continue;
		if (m->kid <= MOS_SOCKS_MAX && !(f->addr.socks & (1ULL << (m->kid - 1))))
			continue;
		c->cur = &e;
		c->cur_flow = f;
		c->cur_msock = m;
		c->cur_sock = f->sock;
		mu_run_event(c, m, MOS_HOOK_NULL, bit, f->sock, side, 0);
		c->cur = NULL;
		c->cur_flow = NULL;
		c->cur_msock = NULL;
	}
}

void mu_flow_data(struct mtcp_ctx *c, const struct mos_rec_data *d)
{
	struct mtcp_flow *f;
	const uint8_t *src = (const void *)(d + 1);
	struct mtcp_sbuf *b;
	uint64_t off = d->off;
	uint32_t len = d->len, size = c->rcvbuf;

	/* The events of the packet before these bytes run first */
	mu_dispatch_flush(c);
	f = mu_flow_find(c, d->flow);
	if (!f || d->side > 1 || !size)
		return;
	if (d->flags & MOS_DATAF_PKT) {
		/* MOS_RING_F_DATA_PKT: the bytes are in the flow's packet */
		if ((uint64_t)d->pkt_off + len > f->pkt_len) {
			c->lost_bytes += len;
			return;
		}
		src = f->pkt + d->pkt_off;
	}
	b = &f->buf[d->side];
	if (b->off)
		goto off;
	if (off > b->head)
		b->valid = off;	/* a hole: the bytes before are missed */
	while (len) {
		uint32_t at = off % size, n = size - at;

		/* Full of bytes not peeked yet: offer them first */
		if (b->read >= b->valid && b->head - b->read >= size &&
		    off == b->head) {
			flow_data_full(c, f, d->side);
			if (f->dead) {
				mu_flow_close(c, f->id);
				return;
			}
			/* A callback turned the buffer off (MOS_CLIBUF 0) */
			if (b->off)
				goto off;
		}
		if (n > len)
			n = len;
		/* No further than the unread bytes allow, when there are */
		if (b->read >= b->valid && off == b->head &&
		    b->head - b->read < size && n > size - (b->head - b->read))
			n = size - (uint32_t)(b->head - b->read);
		memcpy(b->data + at, src, n);
		src += n;
		off += n;
		len -= n;
		b->head = off;
		if (b->head - b->valid > size)
			b->valid = b->head - size;
	}
	return;
off:
	/* Nothing kept; the offsets go on (mu_stream_off()) */
	if (off + len > b->head)
		b->read = b->valid = b->head = off + len;
}

/*
 * NEW_DATA says the stream @side of @f reached @end: bytes past what the
 * data records brought were skipped (a gap with no bytes after it, as
 * when a flow ends with bytes its receiver never read): they are missed,
 * and mtcp_peek() says so.
 */
void mu_flow_skipped(struct mtcp_flow *f, int side, uint64_t end)
{
	struct mtcp_sbuf *b = &f->buf[side];

	if (end <= b->head)
		return;
	if (b->off)
		b->read = end;
	b->valid = b->head = end;
}

/*
 * The stream offset of sequence number @seq in the stream @side of @f
 * receives: the one nearest the bytes already there; 0 while the
 * stream's first sequence number is not known, or before it.
 */
uint64_t mu_stream_off(const struct mtcp_flow *f, int side, uint32_t seq)
{
	uint64_t head = f->buf[side].head;
	int32_t d;

	if (!(f->seq0_known & (1 << side)))
		return 0;
	d = (int32_t)(seq - f->seq0[side] - (uint32_t)head);
	return d < 0 && (uint64_t)-(int64_t)d > head ? 0 : head + d;
}

/* The event's packet: how far the stream it carries has been seen */
void mu_flow_seen(struct mtcp_ctx *c, struct mtcp_flow *f,
		  const struct mos_rec_event *e)
{
	const uint8_t *pkt;
	uint32_t seq, hdrs;
	uint64_t end;
	int l4, side;

	/* The flow's packet: its next records add nothing to the mark */
	if ((e->flags & MOS_EVF_PKT_PREV) && f->pkt_seen)
		return;
	pkt = mu_ev_pkt(c, f, e);
	if (!pkt || e->pkt_from > 1)
		return;
	side = !e->pkt_from;
	l4 = mu_pkt_tcp(pkt, e->pkt_len);
	if (l4 < 0 || !(f->seq0_known & (1 << side)))
		return;
	hdrs = l4 + (pkt[l4 + 12] >> 4) * 4;
	if (e->pkt_total < hdrs)
		return;
	memcpy(&seq, pkt + l4 + 4, sizeof(seq));
	end = mu_stream_off(f, side, ntohl(seq)) + e->pkt_total - hdrs;
	if (end > f->buf[side].seen)
		f->buf[side].seen = end;
	f->pkt_seen = pkt == f->pkt;
}

static ssize_t sbuf_copy(struct mtcp_ctx *c, struct mtcp_sbuf *b,
			 uint64_t off, char *buf, size_t len)
{
	size_t done = 0;

	if (off + len > b->head)
		len = b->head - off;
	while (done < len) {
		uint32_t at = (off + done) % c->rcvbuf, n = c->rcvbuf - at;

		if (n > len - done)
			n = len - done;
		memcpy(buf + done, b->data + at, n);
		done += n;
	}
	return done;
}

ssize_t mtcp_peek(mctx_t mctx, int sock, int side, char *buf, size_t len)
{
	struct mtcp_flow *f = mctx ? mu_flow_of(ctx_of(mctx), sock) : NULL;
	struct mtcp_sbuf *b;
	ssize_t n;

	if (!f || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR) ||
	    (!buf && len))
		return fail(EINVAL);
	b = &f->buf[side];
	if (b->off)
		return fail(ENODATA);
	if (b->read < b->valid) {
		/* Overrun or a hole: say how much, and skip it (as mOS) */
		uint64_t missed = b->valid - b->read;

		b->read = b->valid;
		errno = ENODATA;
		return -(ssize_t)missed;
	}
	n = sbuf_copy(ctx_of(mctx), b, b->read, buf, len);
	b->read += n;
	return n;
}

ssize_t mtcp_ppeek(mctx_t mctx, int sock, int side, char *buf, size_t count,
		   uint64_t off)
{
	struct mtcp_flow *f = mctx ? mu_flow_of(ctx_of(mctx), sock) : NULL;
	struct mtcp_sbuf *b;

	if (!f || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR) ||
	    (!buf && count))
		return fail(EINVAL);
	b = &f->buf[side];
	if (b->off || off < b->valid || off >= b->head)
		return fail(ENODATA);
	return sbuf_copy(ctx_of(mctx), b, off, buf, count);
}
