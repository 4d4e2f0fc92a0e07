// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * flow.c - per-flow sockets: a FLOW_OPEN record gives a flow a socket id
 * below max_concurrency (the sock callbacks get) and a stream buffer per
 * side; FLOW_CLOSE frees them.  The calls on a per-flow socket that are
 * not about its stream or its last packet: user context, peer names,
 * resets (MOS_IOC_FLOW), packets sent as one of its ends
 * (MOS_IOC_SENDPKT)
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct mtcp_flow *mu_flow_find(struct mtcp_ctx *c, uint64_t id)
{
	struct mtcp_flow *f = c->hash[id & c->hmask];

	while (f && f->id != id)
		f = f->hnext;
	return f;
}

struct mtcp_flow *mu_flow_of(struct mtcp_ctx *c, int sock)
{
	if (sock < 0 || sock >= c->conc)
		return NULL;
	return c->bysock[sock];
}

/* MOS_IOC_FLOW on a per-flow socket's flow */
int mu_flow_op(struct mtcp_ctx *c, int sock, uint32_t op, uint32_t sides,
	       uint32_t arg)
{
	struct mtcp_flow *f = c ? mu_flow_of(c, sock) : NULL;
	struct mos_ioc_flow a = {
		.size = sizeof(a), .op = op, .sides = sides, .arg = arg,
	};

	if (!f)
		return fail(EINVAL);
	a.flow = f->addr;
	a.flow.socks = 0;
	return mu_ctx_ioctl(c, MOS_IOC_FLOW, &a);
}

int mtcp_reset_conn(mctx_t mctx, int sock)
{
	return mu_flow_op(ctx_of(mctx), sock, MOS_FLOW_RESET, 0, 0);
}

/*
 * mOS's mtcp_sendpkt(): the packet @pkt describes, sent as one end of
 * @sock's flow.  It is made of the IP header at pkt->iph (IPv4: its
 * length from its own header) or, for IPv6, the 40 bytes after the
 * Ethernet header at pkt->ethh, the TCP header at pkt->tcph (its data
 * offset), and pkt->payloadlen bytes at pkt->payload; its IP length
 * field is set to the sum.  It comes from the end whose address and port
 * are its source (the client's unless they are the server's); the
 * kernel checks that it is the flow's, from that end to the other, and
 * computes its checksums (as mOS builds them), then sends it.
 * Errors: EINVAL (no such socket, a header that cannot be), ENODATA (no
 * IP or TCP header, as mOS), EMSGSIZE (longer than MOS_SENDPKT_MAX),
 * ENOMEM, and the kernel's (Documentation/uapi.rst, MOS_IOC_SENDPKT).
 */
int mtcp_sendpkt(mctx_t mctx, int sock, const struct pkt_info *pkt)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_flow *f = c ? mu_flow_of(c, sock) : NULL;
	struct mos_ioc_sendpkt a = { .size = sizeof(a) };
	const uint8_t *ip = NULL;
	unsigned int alen, iphl, thl;
	size_t total;
	uint8_t *buf;
	int ret;

	if (!f || !pkt)
		return fail(EINVAL);
	if (pkt->iph)
		ip = (const uint8_t *)pkt->iph;
	else if (pkt->ethh && pkt->ethh->h_proto == htons(ETH_P_IPV6))
		ip = (const uint8_t *)pkt->ethh + MU_ETH_HLEN;
	if (!ip || !pkt->tcph)
		return fail(ENODATA);
	if ((ip[0] >> 4) == 4 && (ip[0] & 0xf) >= 5)
		iphl = (ip[0] & 0xf) * 4;
	else if ((ip[0] >> 4) == 6)
		iphl = 40;
	else
		return fail(EINVAL);
	thl = pkt->tcph->doff * 4;
	if (thl < sizeof(struct tcphdr) || (pkt->payloadlen && !pkt->payload))
		return fail(EINVAL);
	total = iphl + thl + pkt->payloadlen;
	if (total > MOS_SENDPKT_MAX)
		return fail(EMSGSIZE);
	buf = malloc(total);
	if (!buf)
		return fail(ENOMEM);
	memcpy(buf, ip, iphl);
	memcpy(buf + iphl, pkt->tcph, thl);
	if (pkt->payloadlen)
		memcpy(buf + iphl + thl, pkt->payload, pkt->payloadlen);
	if (iphl == 40) {
		buf[4] = (total - 40) >> 8;
		buf[5] = (total - 40) & 0xff;
	} else {
		buf[2] = total >> 8;
		buf[3] = total & 0xff;
	}
	a.flow = f->addr;
	a.flow.socks = 0;
	alen = a.flow.family == 4 ? 4 : 16;
	/* From the server if its source is the server's end */
	a.side = (iphl == 40 ? !memcmp(buf + 8, a.flow.svr_addr, alen) :
			       !memcmp(buf + 12, a.flow.svr_addr, alen)) &&
		 pkt->tcph->source == a.flow.svr_port;
	a.flags = MOS_SENDPKT_F_TCP_CSUM;
	a.len = total;
	a.pkt = (uintptr_t)buf;
	ret = mu_ctx_ioctl(c, MOS_IOC_SENDPKT, &a);
	free(buf);
	return ret;
}

/*
 * The overlap policies the flow's stream sockets asked for (the last
 * socket's, when several did): the kernel applies them from the next
 * segment.  A flow that ended meanwhile is not an error.
 */
static void flow_overlap(struct mtcp_ctx *c, struct mtcp_flow *f)
{
	int i, side;

	for (i = 0; i < c->nmsock; i++) {
		const struct mtcp_msock *m = &c->msock[i];

		if (!m->used || m->raw || m->kid > MOS_SOCKS_MAX ||
		    !(f->addr.socks & (1ULL << (m->kid - 1))))
			continue;
		for (side = 0; side < 2; side++)
			if (m->overlap[side] >= 0)
				mu_flow_op(c, f->sock, MOS_FLOW_OVERLAP,
					   side ? MOS_SIDE_BIT_SVR : MOS_SIDE_BIT_CLI,
					   (uint32_t)m->overlap[side]);
	}
}

void mu_flow_open(struct mtcp_ctx *c, const struct mos_rec_flow *r)
{
	struct mtcp_flow *f;
	int s, i;

	mu_dispatch_flush(c);	/* the packet before: it may free a flow */
	if (mu_flow_find(c, r->flow))
		return;
	/* The next free id after the last one given: a new flow's id is not
	 * that of a flow that just ended, and the search is short. */
	for (i = 0, s = c->next_sock; i < c->conc && c->bysock[s]; i++)
		s = s + 1 == c->conc ? 0 : s + 1;
	if (i == c->conc) {
		c->flows_over++;	/* more flows than max_concurrency */
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return;
	for (i = 0; i < 2 && c->rcvbuf; i++) {
		f->buf[i].data = malloc(c->rcvbuf);
		if (!f->buf[i].data) {
			free(f->buf[0].data);
			free(f);
			return;
		}
	}
	f->id = r->flow;
	f->sock = s;
	f->addr = *r;
	f->state[MOS_SIDE_SVR] = TCP_LISTEN;
	f->hnext = c->hash[f->id & c->hmask];
	c->hash[f->id & c->hmask] = f;
	c->bysock[s] = f;
	c->next_sock = s + 1 == c->conc ? 0 : s + 1;
	flow_overlap(c, f);
}

void mu_flow_close(struct mtcp_ctx *c, uint64_t id)
{
	struct mtcp_flow **pp = &c->hash[id & c->hmask], *f;

	while ((f = *pp) && f->id != id)
		pp = &f->hnext;
	if (!f)
		return;
	*pp = f->hnext;
	mu_flow_forget(c, f);
	c->bysock[f->sock] = NULL;
	free(f->buf[0].data);
	free(f->buf[1].data);
	free(f->pkt_own);
	free(f);
}

/* A per-flow socket's context, or a monitor socket's own (as in mOS) */
static void **uctx_of(mctx_t mctx, int sock)
{
	struct mtcp_flow *f = mctx ? mu_flow_of(ctx_of(mctx), sock) : NULL;
	struct mtcp_msock *m = mctx ? mu_msock_of(ctx_of(mctx), sock) : NULL;

	if (f)
		return &f->uctx;
	if (m)
		return &m->uctx;
	errno = EBADF;
	return NULL;
}

void mtcp_set_uctx(mctx_t mctx, int sock, void *uctx)
{
	void **u = uctx_of(mctx, sock);

	if (u)
		*u = uctx;
}

void *mtcp_get_uctx(mctx_t mctx, int sock)
{
	void **u = uctx_of(mctx, sock);

	return u ? *u : NULL;
}

/*
 * As mOS: IPv4 flows as struct sockaddr_in, one (MOS_SIDE_CLI, _SVR) or
 * two (MOS_SIDE_BOTH, client first); IPv6 flows as struct sockaddr_in6.
 * *addrlen at least that size (EINVAL), and set to it.  A sock out of
 * range is EBADF, one without a flow ENOTCONN.
 */
static int peername(struct mtcp_ctx *c, int sock, struct sockaddr *saddr,
		    socklen_t *addrlen, int side)
{
	int six, n = side == MOS_SIDE_BOTH ? 2 : 1, i;
	struct mtcp_flow *f;
	size_t one;

	if (sock < 0 || sock >= c->conc)
		return fail(EBADF);
	f = mu_flow_of(c, sock);
	if (!f)
		return fail(ENOTCONN);
	if (!saddr || !addrlen || side < MOS_SIDE_CLI || side > MOS_SIDE_BOTH)
		return fail(EINVAL);
	six = f->addr.family == 6;
	one = six ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (*addrlen < one * n)
		return fail(EINVAL);
	for (i = 0; i < n; i++) {
		int s = side == MOS_SIDE_BOTH ? i : side;
		const uint8_t *a = s == MOS_SIDE_CLI ? f->addr.cli_addr :
						       f->addr.svr_addr;
		uint16_t port = s == MOS_SIDE_CLI ? f->addr.cli_port :
						    f->addr.svr_port;

		if (six) {
			struct sockaddr_in6 *sa = (void *)((char *)saddr + i * one);

			memset(sa, 0, one);
			sa->sin6_family = AF_INET6;
			sa->sin6_port = port;
			memcpy(&sa->sin6_addr, a, 16);
		} else {
			struct sockaddr_in *sa = (void *)((char *)saddr + i * one);

			memset(sa, 0, one);
			sa->sin_family = AF_INET;
			sa->sin_port = port;
			memcpy(&sa->sin_addr, a, 4);
		}
	}
	*addrlen = one * n;
	return 0;
}

int mtcp_getpeername(mctx_t mctx, int sock, struct sockaddr *saddr,
		     socklen_t *addrlen, int side)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int ret;

	if (!c)
		return fail(EINVAL);
	mu_ctx_lock(c);
	ret = peername(c, sock, saddr, addrlen, side);
	mu_ctx_unlock(c);
	return ret;
}
