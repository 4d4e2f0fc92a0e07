// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * sockopt.c - mtcp_getsockopt() and mtcp_setsockopt() at SOL_MONSOCKET:
 * states, buffers and their fragments, timestamps, stopping a flow's
 * monitoring, overlap policies
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/*
 * MOS_INFO_*BUF: as mOS fills it, a sequence number (the stream's first)
 * and three stream offsets (ENODATA while the first sequence number is
 * not known, or with the side's buffer off)
 */
static int buf_info(const struct mtcp_flow *f, int side, void *optval,
		    socklen_t *optlen)
{
	const struct mtcp_sbuf *b = &f->buf[side];
	struct tcp_buf_info bi;

	if (*optlen < sizeof(bi))
		return fail(EINVAL);
	if (!(f->seq0_known & (1 << side)) || b->off)
		return fail(ENODATA);
	bi.tcpbi_init_seq = f->seq0[side];
	bi.tcpbi_last_byte_read = (uint32_t)b->read;
	bi.tcpbi_next_byte_expected = (uint32_t)b->head;
	bi.tcpbi_last_byte_received = (uint32_t)(b->seen > b->head ?
						 b->seen : b->head);
	memcpy(optval, &bi, sizeof(bi));
	*optlen = sizeof(bi);
	return 0;
}

/*
 * MOS_FRAGINFO_*BUF: the stretches of a side's stream the buffer holds,
 * as many struct tcp_ring_fragment as *optlen bytes have room for, then a
 * zeroed one if there is room left (mOS's end mark); *optlen becomes the
 * number of stretches filled, as in mOS.  The buffer holds one stretch at
 * most: out-of-order bytes stay in the kernel.
 */
static int frag_info(const struct mtcp_flow *f, int side, void *optval,
		     socklen_t *optlen)
{
	const struct mtcp_sbuf *b = &f->buf[side];
	struct tcp_ring_fragment fr[2] = { { 0 } };
	socklen_t room = *optlen / sizeof(fr[0]), n = 0;

	if (!room)
		return fail(EINVAL);
	if (b->off)
		return fail(ENODATA);
	if (b->head > b->valid) {
		fr[0].offset = b->valid;
		fr[0].len = (uint32_t)(b->head - b->valid);
		n = 1;
	}
	memcpy(optval, fr, (n < room ? n + 1 : n) * sizeof(fr[0]));
	*optlen = n;
	return 0;
}

/* Under the context's lock: its thread may be running (context.c) */
static int getsockopt_locked(struct mtcp_ctx *c, int sock, int level,
			     int optname, void *optval, socklen_t *optlen)
{
	struct mtcp_flow *f = mu_flow_of(c, sock);

	if (!optval || !optlen)
		return fail(EINVAL);
	if (level != SOL_MONSOCKET)
		return fail(ENOPROTOOPT);
	if (!f)
		return fail(EBADF);
	switch (optname) {
	case MOS_TCP_STATE_CLI:
	case MOS_TCP_STATE_SVR:
		if (*optlen < sizeof(int))
			return fail(EINVAL);
		*(int *)optval = f->state[optname == MOS_TCP_STATE_SVR];
		*optlen = sizeof(int);
		return 0;
	case MOS_CLIBUF:
	case MOS_SVRBUF:
		if (*optlen < sizeof(int))
			return fail(EINVAL);
		/* the flow's buffer: its size, or 0 when turned off */
		*(int *)optval = f->buf[optname == MOS_SVRBUF].off ? 0 :
				 c->rcvbuf;
		*optlen = sizeof(int);
		return 0;
	case MOS_TIMESTAMP:
		/* The flow's last packet, microseconds, as mOS: a uint32_t */
		if (*optlen < sizeof(uint32_t))
			return fail(EINVAL);
		*(uint32_t *)optval = (uint32_t)(f->last_ts_ns / 1000);
		*optlen = sizeof(uint32_t);
		return 0;
	case MOS_INFO_CLIBUF:
	case MOS_INFO_SVRBUF:
		return buf_info(f, optname == MOS_INFO_SVRBUF, optval, optlen);
	case MOS_FRAGINFO_CLIBUF:
	case MOS_FRAGINFO_SVRBUF:
		return frag_info(f, optname == MOS_FRAGINFO_SVRBUF, optval,
				 optlen);
	}
	return fail(ENOPROTOOPT);
}

static int setsockopt_locked(struct mtcp_ctx *c, int sock, int level,
			     int optname, const void *optval, socklen_t optlen)
{
	struct mtcp_msock *m;
	struct mtcp_flow *f;
	int v, h;

	if (!optval || optlen < sizeof(int))
		return fail(EINVAL);
	if (level != SOL_MONSOCKET)
		return fail(ENOPROTOOPT);
	v = *(const int *)optval;
	switch (optname) {
	case MOS_STOP_MON:
		/* On a per-flow socket: stop following that side, or both */
		f = mu_flow_of(c, sock);
		if (!f)
			return fail(EBADF);
		if (v < MOS_SIDE_CLI || v > MOS_SIDE_BOTH)
			return fail(EINVAL);
		if (mu_flow_op(c, sock, MOS_FLOW_STOP,
			       v == MOS_SIDE_BOTH ? MOS_SIDE_BIT_CLI | MOS_SIDE_BIT_SVR :
			       v == MOS_SIDE_CLI ? MOS_SIDE_BIT_CLI : MOS_SIDE_BIT_SVR,
			       0))
			return -1;
		/* That side's callbacks end now, its end's too (mOS's) */
		f->life.stopped |= v == MOS_SIDE_BOTH ? 3 : 1 << (v == MOS_SIDE_SVR);
		if (v == MOS_SIDE_BOTH) {
			/* No close record will come: the socket goes now */
			if (c->cur_flow == f)
				f->dead = true;
			else
				mu_flow_close(c, f->id);
		}
		return 0;
	case MOS_CLIBUF:
	case MOS_SVRBUF:
		/*
		 * On a per-flow socket: 0 turns that side's buffer off (mOS
		 * resizes no flow's buffer, and neither does mos); the
		 * kernel still delivers its bytes, which are dropped here
		 */
		f = mu_flow_of(c, sock);
		if (f) {
			struct mtcp_sbuf *b = &f->buf[optname == MOS_SVRBUF];

			if (v)
				return fail(EINVAL);
			b->off = true;
			free(b->data);
			b->data = NULL;
			b->read = b->valid = b->head;
			return 0;
		}
		/*
		 * On a monitor socket: what the side's buffer holds, at most
		 * rcvbuf_size; 0: no stream bytes for that side
		 */
		m = mu_msock_of(c, sock);
		if (!m || m->raw)
			return fail(EBADF);
		if (v < 0 || v > c->rcvbuf)
			return fail(EINVAL);
		m->buf[optname == MOS_SVRBUF] = v;
		for (h = 0; h < MOS_HOOKS; h++)
			if (mu_msock_sync(c, m, h))
				return -1;
		return 0;
	case MOS_CLIOVERLAP:
	case MOS_SVROVERLAP:
		/*
		 * On a per-flow socket: that side's stream, from the next
		 * segment the kernel sees.  On a stream monitor socket: each
		 * flow of it, once its FLOW_OPEN record is read.
		 */
		if (v != MOS_OVERLAP_POLICY_FIRST &&
		    v != MOS_OVERLAP_POLICY_LAST &&
		    v != MOS_OVERLAP_POLICY_LINUX)
			return fail(EINVAL);
		h = optname == MOS_SVROVERLAP;
		if (mu_flow_of(c, sock))
			return mu_flow_op(c, sock, MOS_FLOW_OVERLAP,
					  h ? MOS_SIDE_BIT_SVR : MOS_SIDE_BIT_CLI,
					  v);
		m = mu_msock_of(c, sock);
		if (!m || m->raw)
			return fail(EBADF);
		m->overlap[h] = v;
		return 0;
	}
	return fail(ENOPROTOOPT);
}

int mtcp_getsockopt(mctx_t mctx, int sock, int level, int optname,
		    void *optval, socklen_t *optlen)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int ret;

	if (!c)
		return fail(EINVAL);
	mu_ctx_lock(c);
	ret = getsockopt_locked(c, sock, level, optname, optval, optlen);
	mu_ctx_unlock(c);
	return ret;
}

int mtcp_setsockopt(mctx_t mctx, int sock, int level, int optname,
		    const void *optval, socklen_t optlen)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int ret;

	if (!c)
		return fail(EINVAL);
	mu_ctx_lock(c);
	ret = setsockopt_locked(c, sock, level, optname, optval, optlen);
	mu_ctx_unlock(c);
	return ret;
}
