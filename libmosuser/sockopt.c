// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * sockopt.c - mtcp_getsockopt() and mtcp_setsockopt() at SOL_MONSOCKET:
 * states, buffers and their fragments, timestamps, stopping a flow's
 * monitoring, overlap policies
 */

#include <errno.h>
#include <string.h>
#include "internal.h"

/*
 * MOS_INFO_*BUF: a side's stream as sequence numbers, from the kernel's
 * seq0 of its first event that knew it (ENODATA before)
 */
static int buf_info(const struct mtcp_flow *f, int side, void *optval,
		    socklen_t *optlen)
{
	const struct mtcp_sbuf *b = &f->buf[side];
	struct tcp_buf_info bi;

	if (*optlen < sizeof(bi))
		return fail(EINVAL);
	if (!(f->seq0_known & (1 << side)))
		return fail(ENODATA);
	bi.tcpbi_init_seq = f->seq0[side];
	bi.tcpbi_last_byte_read = f->seq0[side] + (uint32_t)b->read;
	bi.tcpbi_next_byte_expected = f->seq0[side] + (uint32_t)b->head;
	/* Out-of-order bytes stay in the kernel until they are in order */
	bi.tcpbi_last_byte_received = bi.tcpbi_next_byte_expected;
	memcpy(optval, &bi, sizeof(bi));
	*optlen = sizeof(bi);
	return 0;
}

/*
 * MOS_FRAGINFO_*BUF: the stretches of a side's stream the buffer holds,
 * as many struct tcp_ring_fragment as *optlen has room for; *optlen
 * becomes the bytes filled.  The buffer holds one stretch at most.
 */
static int frag_info(const struct mtcp_flow *f, int side, void *optval,
		     socklen_t *optlen)
{
	const struct mtcp_sbuf *b = &f->buf[side];
	struct tcp_ring_fragment fr = { 0 };

	if (b->head <= b->valid) {
		*optlen = 0;
		return 0;
	}
	if (*optlen < sizeof(fr))
		return fail(EINVAL);
	fr.offset = b->valid;
	fr.len = (uint32_t)(b->head - b->valid);
	memcpy(optval, &fr, sizeof(fr));
	*optlen = sizeof(fr);
	return 0;
}

int mtcp_getsockopt(mctx_t mctx, int sock, int level, int optname,
		    void *optval, socklen_t *optlen)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_flow *f = c ? mu_flow_of(c, sock) : NULL;

	if (!c || !optval || !optlen)
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
		*(int *)optval = c->rcvbuf;	/* the flow's buffer */
		*optlen = sizeof(int);
		return 0;
	case MOS_TIMESTAMP:
		if (*optlen < sizeof(uint64_t))
			return fail(EINVAL);
		*(uint64_t *)optval = f->last_ts_ns / 1000;
		*optlen = sizeof(uint64_t);
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

int mtcp_setsockopt(mctx_t mctx, int sock, int level, int optname,
		    const void *optval, socklen_t optlen)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m;
	struct mtcp_flow *f;
	int v, h;

	if (!c || !optval || optlen < sizeof(int))
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
		    v != MOS_OVERLAP_POLICY_LAST)
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
