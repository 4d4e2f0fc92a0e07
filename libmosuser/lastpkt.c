// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * lastpkt.c - the packet of the event being dispatched: mtcp_getlastpkt()
 * parses the copy an event record carries, behind a made-up Ethernet
 * header; mtcp_setlastpkt() can only drop the flow's later packets
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
 * the copy ends before it.  Not mos_tm_parse(): a record's copy of a
 * packet may be cut, and the tracker's parser refuses a packet shorter
 * than its IP length says.
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

/*
 * The offset of the TCP header in @pkt (@len bytes from the IP header
 * on), its whole header in the copy; -1 for another protocol, or a copy
 * too short
 */
int mu_pkt_tcp(const uint8_t *pkt, unsigned int len)
{
	unsigned int l3;

	if (len < 20)
		return -1;
	if ((pkt[0] >> 4) == 4) {
		if (pkt[9] != IPPROTO_TCP)
			return -1;
		l3 = (pkt[0] & 0xf) * 4;
	} else if (ipv6_l4(pkt, len, &l3) != IPPROTO_TCP) {
		return -1;
	}
	if (l3 + sizeof(struct tcphdr) > len ||
	    l3 + (pkt[l3 + 12] >> 4) * 4 > len)
		return -1;
	return (int)l3;
}

/*
 * The record's packet behind an Ethernet header made up for it (the
 * hooks see packets from their IP header on): zero addresses, the
 * ethertype of its IP version.  mOS's applications read p.ethh.
 */
int mtcp_getlastpkt(mctx_t mctx, int sock, int side, struct pkt_info *p)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	const struct mos_rec_event *e = c ? c->cur : NULL;
	const uint8_t *src;
	struct ethhdr *eth;
	unsigned int len;
	uint8_t *pkt;
	int l4;

	if (!c || !p)
		return fail(EINVAL);
	/* A raw socket's callback names no side: MOS_NULL, as in mOS */
	if (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR &&
	    !(side == MOS_NULL && c->cur_msock && c->cur_msock->raw))
		return fail(EINVAL);
	if (c->cur_flow && sock != c->cur_flow->sock)
		return fail(EINVAL);
	src = e ? mu_ev_pkt(c, c->cur_flow, e) : NULL;
	if (!src)
		return fail(ENODATA);	/* not in a callback with a packet */
	len = e->pkt_len < MU_PKT_MAX - MU_ETH_HLEN ?
	      e->pkt_len : MU_PKT_MAX - MU_ETH_HLEN;
	eth = (struct ethhdr *)(c->pkt + MU_PKT_PAD);
	pkt = c->pkt + MU_PKT_PAD + MU_ETH_HLEN;
	memcpy(pkt, src, len);
	memset(eth, 0, sizeof(*eth));
	eth->h_proto = htons((pkt[0] >> 4) == 4 ? ETH_P_IP : ETH_P_IPV6);
	memset(p, 0, sizeof(*p));
	p->cur_ts = (uint32_t)(e->ts_ns / 1000000);
	p->in_ifidx = -1;
	p->ip_len = e->pkt_total > 0xffff ? 0xffff : e->pkt_total;
	p->eth_len = p->ip_len > 0xffff - MU_ETH_HLEN ?
		     0xffff : p->ip_len + MU_ETH_HLEN;
	p->ethh = eth;
	if ((pkt[0] >> 4) == 4)
		p->iph = (struct iphdr *)pkt;
	l4 = mu_pkt_tcp(pkt, len);
	if (l4 < 0) {
		/* A raw socket's packet: IP only */
		if (c->cur_msock && c->cur_msock->raw)
			return 0;
		return fail(ENODATA);
	}
	p->tcph = (struct tcphdr *)(pkt + l4);
	p->seq = ntohl(p->tcph->seq);
	p->ack_seq = ntohl(p->tcph->ack_seq);
	p->window = ntohs(p->tcph->window);
	p->payload = pkt + l4 + p->tcph->doff * 4;
	p->payloadlen = len - (p->payload - pkt);
	if (c->cur_flow && e->pkt_from < 2)
		p->offset = mu_stream_off(c->cur_flow, !e->pkt_from, p->seq);
	return 0;
}
