// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * lastpkt.c - the packet of the event being dispatched: mtcp_getlastpkt()
 * parses the copy an event record carries; mtcp_setlastpkt() can only
 * drop the flow's later packets
 */

#include <errno.h>
#include <string.h>
#include "internal.h"

/*
 * Only MOS_DROP: the kernel gave its verdict on the current packet before
 * the callback ran, so it drops the flow's later packets (inline mode).
 */
int mtcp_setlastpkt(mctx_t mctx, int sock, int side, off_t offset,
		    byte *data, uint16_t datalen, int option)
{
	(void)side;
	(void)offset;
	(void)data;
	(void)datalen;
	if (option != MOS_DROP)
		return fail(EOPNOTSUPP);
	return mu_flow_op(ctx_of(mctx), sock, MOS_FLOW_DROP, 0, 0);
}

/*
 * The protocol after an IPv6 header and its extension headers (hop-by-hop,
 * routing, destination options, fragment), its offset in @l3; -1 when
 * the copy ends before it.  Not mos_tm_parse(): the copy of a packet
 * over MOS_PKT_COPY_MAX bytes is cut, and the tracker's parser refuses a packet
 * shorter than its IP length says.
 */
static int ipv6_l4(const uint8_t *pkt, unsigned int len, unsigned int *l3)
{
	unsigned int at = 40;
	int nh;

	*l3 = 40;
	if (len < 40)
		return -1;
	nh = pkt[6];
	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (at + 2 > len)
				return -1;
			nh = pkt[at];
			at += (pkt[at + 1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (at + 8 > len)
				return -1;
			nh = pkt[at];
			at += 8;
			break;
		default:
			*l3 = at;
			return nh;
		}
	}
}

int mtcp_getlastpkt(mctx_t mctx, int sock, int side, struct pkt_info *p)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	const struct mos_rec_event *e = c ? c->cur : NULL;
	unsigned int l3, doff;
	uint8_t *pkt;

	if (!c || !p)
		return fail(EINVAL);
	/* A raw socket's callback names no side: MOS_NULL, as in mOS */
	if (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR &&
	    !(side == MOS_NULL && c->cur_msock && c->cur_msock->raw))
		return fail(EINVAL);
	if (c->cur_flow && sock != c->cur_flow->sock)
		return fail(EINVAL);
	if (!e || !e->pkt_len)
		return fail(ENODATA);	/* not in a callback with a packet */
	pkt = c->pkt;
	memcpy(pkt, e + 1, e->pkt_len);
	memset(p, 0, sizeof(*p));
	p->cur_ts = (uint32_t)(e->ts_ns / 1000000);
	p->ip_len = e->pkt_total > 0xffff ? 0xffff : e->pkt_total;
	if ((pkt[0] >> 4) == 4) {
		l3 = (pkt[0] & 0xf) * 4;
		p->iph = (struct iphdr *)pkt;
		if (e->pkt_len >= 20 && pkt[9] != IPPROTO_TCP)
			return 0;	/* a raw socket's packet: IP only */
	} else {
		int l4 = ipv6_l4(pkt, e->pkt_len, &l3);

		if (l4 >= 0 && l4 != IPPROTO_TCP)
			return 0;
	}
	if (l3 + sizeof(struct tcphdr) > e->pkt_len)
		return fail(ENODATA);
	p->tcph = (struct tcphdr *)(pkt + l3);
	doff = p->tcph->doff * 4;
	if (l3 + doff > e->pkt_len)
		return fail(ENODATA);
	p->seq = ntohl(p->tcph->seq);
	p->ack_seq = ntohl(p->tcph->ack_seq);
	p->window = ntohs(p->tcph->window);
	p->payload = pkt + l3 + doff;
	p->payloadlen = e->pkt_len - l3 - doff;
	p->offset = e->type == MOS_EV_NEW_DATA ? e->off : 0;
	return 0;
}
