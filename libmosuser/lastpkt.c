// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * lastpkt.c - the packet of the event being dispatched: mtcp_getlastpkt()
 * parses the copy an event record carries, behind a made-up Ethernet
 * header; mtcp_setlastpkt() rewrites or drops it
 *
 * Verdict mode (MOS_VERDICT=1 in the environment, a ring set up with
 * MOS_RING_F_VERDICT): in an inline namespace the kernel holds each
 * packet that raised one of the context's events and writes a
 * MOS_REC_HELD record after the packet's event records.  The callbacks
 * run first (mu_dispatch_flush()); what they asked of the packet through
 * mtcp_setlastpkt() (struct mu_vpkt: drop it, new bytes, checksums) is
 * the verdict, sent in batches (MOS_IOC_VERDICT) when the ring is empty
 * or a batch is full.  A packet nobody asked anything of is accepted
 * as it is.
 *
 * The rewritten bytes are kept with the packet they belong to (its flow,
 * side, length and first bytes as they came): mtcp_getlastpkt() in the
 * same packet's later callbacks shows them, live and offline (MOS_PCAP).
 *
 * Several packets may be open at once: with two CPUs, the records of
 * one packet may come between another's events and its MOS_REC_HELD
 * (the kernel writes MOS_REC_HELD after the flow's lock is dropped), so
 * each packet seen in an event record gets its own entry (MU_VOPEN at
 * most, the oldest given up first), claimed by its callbacks (one
 * dispatch generation, mu_verdict_next()) and taken by the first
 * MOS_REC_HELD of its flow, side and length: a flow's held packets of
 * one side come in the order they were seen.
 *
 * Offline with MOS_PCAP_OUT=FILE the context is in verdict mode too: the
 * offline backend holds each packet that raised an event as the kernel
 * would, and writes it to FILE as the verdict leaves it (offline.c).
 *
 * Without verdict mode, MOS_DROP drops the flow's later packets (the
 * kernel gave its verdict on this one before the callback ran) and the
 * rewrites fail with EOPNOTSUPP.  MOS_CHOMP and MOS_INSERT (payload of
 * another length) always fail with EOPNOTSUPP: they need the flow's
 * sequence numbers remapped on both sides for its rest.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "internal.h"

/* First bytes of a packet that name it, with its flow and length */
#define MU_VKEY		64
/* Packets open at once: seen, their MOS_REC_HELD not yet come */
#define MU_VOPEN	16
/* Records read at most after a verdict before it goes (mu_verdict_tick()) */
#define MU_VERDICT_RECS	64

/**
 * struct mu_vpkt - one packet seen, and what the callbacks asked of it
 * @valid: the entry names the packet of @flow, @from, @total, @key
 * @drop: MOS_DROP
 * @gen: the dispatch generation whose callbacks claimed it; 0: none yet
 * @age: when it was seen (a counter)
 * @flags: MOS_VERDICT_F_IP_CSUM, MOS_VERDICT_F_TCP_CSUM
 * @lo: first byte rewritten; @hi: one past the last (@lo >= @hi: none)
 * @flow: the packet's flow
 * @from: its sender's side
 * @total: its length
 * @len: bytes of it in @pkt (valid once @gen is set)
 * @klen: bytes in @key
 * @key: its first bytes as they came
 * @pkt: its bytes, rewritten
 */
struct mu_vpkt {
	bool valid, drop;
	uint64_t gen, age;
	uint32_t flags;
	uint32_t lo, hi;
	uint64_t flow;
	uint8_t from;
	uint32_t total, len, klen;
	uint8_t key[MU_VKEY];
	uint8_t pkt[65535];
};

/**
 * struct mu_verdicts - a context's verdict state
 * @open: the packets open
 * @gen: the dispatch generation running
 * @age: packets seen so far
 * @n: verdicts in @vec not sent yet
 * @recs: records read since the first of them (mu_verdict_tick())
 * @vec: them
 * @data: their new bytes
 */
struct mu_verdicts {
	struct mu_vpkt open[MU_VOPEN];
	uint64_t gen, age;
	uint32_t n, recs;
	struct mos_verdict vec[MOS_VERDICT_BATCH];
	void *data[MOS_VERDICT_BATCH];
};

/* Verdict mode: MOS_VERDICT=1 in the environment */
bool mu_verdict_mode(void)
{
	const char *v = getenv("MOS_VERDICT");

	return v && !strcmp(v, "1");
}

static struct mu_verdicts *vd_get(struct mtcp_ctx *c)
{
	if (!c->vd) {
		c->vd = calloc(1, sizeof(*c->vd));
		if (c->vd)
			c->vd->gen = 1;	/* 0: an entry no callback claimed */
	}
	return c->vd;
}

void mu_verdict_free(struct mtcp_ctx *c)
{
	uint32_t i;

	if (!c->vd)
		return;
	/* Decided before the context ended: the kernel still waits */
	mu_verdict_send(c);
	for (i = 0; i < c->vd->n; i++)
		free(c->vd->data[i]);
	free(c->vd);
	c->vd = NULL;
}

/* Does @v name the packet of record @e, whose bytes are @src? */
static bool vkey_same(const struct mu_vpkt *v, const struct mos_rec_event *e,
		      const uint8_t *src)
{
	uint32_t n = e->pkt_len < MU_VKEY ? e->pkt_len : MU_VKEY;

	return v->valid && v->flow == e->flow && v->from == e->pkt_from &&
	       v->total == e->pkt_total && v->klen == n &&
	       !memcmp(v->key, src, n);
}

/* A free entry, or the oldest one given up */
static struct mu_vpkt *vpkt_new(struct mu_verdicts *vd)
{
	struct mu_vpkt *v, *old = &vd->open[0];

	for (v = vd->open; v < vd->open + MU_VOPEN; v++) {
		if (!v->valid)
			return v;
		if (v->age < old->age)
			old = v;
	}
	return old;
}

/* Start @v for the packet of record @e (@src its bytes) */
static void vpkt_name(struct mu_verdicts *vd, struct mu_vpkt *v,
		      const struct mos_rec_event *e, const uint8_t *src)
{
	v->valid = true;
	v->drop = false;
	v->gen = 0;
	v->age = ++vd->age;
	v->flags = 0;
	v->lo = UINT32_MAX;
	v->hi = 0;
	v->flow = e->flow;
	v->from = e->pkt_from;
	v->total = e->pkt_total;
	v->len = 0;
	v->klen = e->pkt_len < MU_VKEY ? e->pkt_len : MU_VKEY;
	memcpy(v->key, src, v->klen);
}

/*
 * The entry of the current event's packet (@src, its bytes as they came):
 * the one this dispatch generation claimed, else the oldest not claimed
 * yet, else the newest; @claim: claim one, or make one (offline, or
 * given up), if none is
 */
static struct mu_vpkt *vpkt_find(struct mtcp_ctx *c,
				 const struct mos_rec_event *e,
				 const uint8_t *src, bool claim)
{
	struct mu_verdicts *vd = claim ? vd_get(c) : c->vd;
	struct mu_vpkt *v, *mine = NULL, *free = NULL, *last = NULL;

	if (!vd)
		return NULL;
	for (v = vd->open; v < vd->open + MU_VOPEN; v++) {
		if (!vkey_same(v, e, src))
			continue;
		if (v->gen && v->gen == vd->gen)
			mine = v;
		else if (!v->gen && (!free || v->age < free->age))
			free = v;
		else if (v->gen && (!last || v->age > last->age))
			last = v;
	}
	if (mine || !claim)
		return mine;
	v = free ? free : last;
	if (!v) {
		v = vpkt_new(vd);
		vpkt_name(vd, v, e, src);
	}
	if (v->gen != vd->gen) {
		v->gen = vd->gen;
		v->len = e->pkt_len;
		memcpy(v->pkt, src, v->len);
	}
	return v;
}

/* The rewrite state of the current event's packet; NULL without memory */
static struct mu_vpkt *vpkt_cur(struct mtcp_ctx *c,
				const struct mos_rec_event *e,
				const uint8_t *src)
{
	return vpkt_find(c, e, src, true);
}

/* The rewritten bytes of the current event's packet, or NULL: none */
static const uint8_t *vpkt_view(struct mtcp_ctx *c,
				const struct mos_rec_event *e,
				const uint8_t *src)
{
	struct mu_vpkt *v = vpkt_find(c, e, src, false);

	return v && v->lo < v->hi ? v->pkt : NULL;
}

/**
 * mu_verdict_next() - the callbacks of another packet run from now on
 * @c: the context
 */
void mu_verdict_next(struct mtcp_ctx *c)
{
	if (c->vd)
		c->vd->gen++;
}

/* The IPv4 header checksum of @ip (@hl bytes), computed again */
static void ip_csum(uint8_t *ip, unsigned int hl)
{
	uint32_t sum = 0;
	unsigned int i;

	ip[10] = ip[11] = 0;
	for (i = 0; i < hl; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
}

/**
 * mu_verdict_seen() - an event record, in ring order: a packet whose
 * bytes it carries is open until its MOS_REC_HELD
 * @c: the context
 * @e: the record
 */
void mu_verdict_seen(struct mtcp_ctx *c, const struct mos_rec_event *e)
{
	struct mu_verdicts *vd;

	if (!c->verdict || !e->flow || !e->pkt_len ||
	    (e->flags & MOS_EVF_PKT_PREV))
		return;
	vd = vd_get(c);
	if (!vd)
		return;
	vpkt_name(vd, vpkt_new(vd), e, (const uint8_t *)(e + 1));
}

/**
 * mu_verdict_send() - the verdicts not sent yet, in one MOS_IOC_VERDICT
 * @c: the context
 *
 * A verdict the kernel refuses is counted there (MOS_STAT_VERDICT_BAD);
 * its packet gets the namespace's policy when its time runs out.
 */
void mu_verdict_send(struct mtcp_ctx *c)
{
	struct mu_verdicts *vd = c->vd;
	struct mos_ioc_verdict a;
	uint32_t i;

	if (!vd || !vd->n)
		return;
	a = (struct mos_ioc_verdict){
		.size = sizeof(a), .n = vd->n,
		.vec = (uintptr_t)vd->vec,
	};
	/* Offline: the backend writes the packet to MOS_PCAP_OUT */
	(void)mu_ctx_ioctl(c, MOS_IOC_VERDICT, &a);
	for (i = 0; i < vd->n; i++) {
		free(vd->data[i]);
		vd->data[i] = NULL;
	}
	vd->n = 0;
	vd->recs = 0;
}

/**
 * mu_verdict_tick() - a record was read: the verdicts waiting go once
 * MU_VERDICT_RECS records came after the first of them
 * @c: the context
 *
 * The batch goes when the ring reads empty, or when it is full; a ring
 * that never reads empty (a consumer slower than the traffic, every
 * packet of which makes records, held or waiting behind a held one)
 * would otherwise keep a few verdicts back until their time ran out.
 */
void mu_verdict_tick(struct mtcp_ctx *c)
{
	struct mu_verdicts *vd = c->vd;

	if (vd && vd->n && ++vd->recs >= MU_VERDICT_RECS)
		mu_verdict_send(c);
}

/**
 * mu_verdict_held() - a MOS_REC_HELD record, after the packet's
 * callbacks ran: its verdict joins the batch
 * @c: the context
 * @h: the record
 */
void mu_verdict_held(struct mtcp_ctx *c, const struct mos_rec_held *h)
{
	struct mu_verdicts *vd = vd_get(c);
	struct mu_vpkt *p = NULL, *v;
	struct mos_verdict *out;

	if (!vd)
		return;	/* no verdict: the packet gets the policy in time */
	/* The packet: the oldest open of its flow, side and length */
	for (v = vd->open; v < vd->open + MU_VOPEN; v++)
		if (v->valid && v->flow == h->flow && v->from == h->pkt_from &&
		    v->total == h->pkt_total && (!p || v->age < p->age))
			p = v;
	/* Not held (the kernel's limit): it is closed, with no verdict */
	if (!h->token) {
		if (p)
			p->valid = false;
		return;
	}
	if (vd->n == MOS_VERDICT_BATCH)
		mu_verdict_send(c);
	out = &vd->vec[vd->n];
	memset(out, 0, sizeof(*out));
	out->token = h->token;
	out->verdict = MOS_VERDICT_ACCEPT;
	if (p && p->gen && p->drop) {
		out->verdict = MOS_VERDICT_DROP;
	} else if (p && p->gen) {
		out->flags = p->flags;
		if (p->lo < p->hi) {
			void *d = malloc(p->hi - p->lo);

			if (d) {
				memcpy(d, p->pkt + p->lo, p->hi - p->lo);
				vd->data[vd->n] = d;
				out->data = (uintptr_t)d;
				out->off = p->lo;
				out->len = p->hi - p->lo;
			} else {
				out->flags = 0;
			}
		}
	}
	vd->n++;
	if (p)
		p->valid = false;
}

/*
 * mOS's options: MOS_DROP; MOS_OVERWRITE of one of MOS_IP_HDR,
 * MOS_TCP_HDR, MOS_TCP_PAYLOAD at @offset from its start, within it;
 * MOS_UPDATE_IP_CHKSUM, MOS_UPDATE_TCP_CHKSUM.  Errors: EINVAL (no
 * packet, a range out of its part or of the bytes the record carries,
 * not one part), EOPNOTSUPP (MOS_ETH_HDR: the hooks see no Ethernet
 * header; MOS_CHOMP, MOS_INSERT; without verdict mode, all but
 * MOS_DROP), ENODATA (not in a callback with a packet).
 */
int mtcp_setlastpkt(mctx_t mctx, int sock, int side, off_t offset,
		    byte *data, uint16_t datalen, int option)
{
	const int parts = MOS_ETH_HDR | MOS_IP_HDR | MOS_TCP_HDR |
			  MOS_TCP_PAYLOAD;
	struct mtcp_ctx *c = ctx_of(mctx);
	const struct mos_rec_event *e = c ? c->cur : NULL;
	unsigned int base, lim, l4;
	const uint8_t *src;
	struct mu_vpkt *v;

	(void)side;
	if (!c)
		return fail(EINVAL);
	if (option & (MOS_CHOMP | MOS_INSERT))
		return fail(EOPNOTSUPP);
	/* Offline, a capture has no packet to drop: EOPNOTSUPP */
	if (!c->verdict && (!c->off || (option & MOS_DROP))) {
		/* The kernel gave its verdict before the callback ran */
		if (option != MOS_DROP)
			return fail(EOPNOTSUPP);
		return mu_flow_op(c, sock, MOS_FLOW_DROP, 0, 0);
	}
	if (c->cur_flow && sock != c->cur_flow->sock)
		return fail(EINVAL);
	src = e ? mu_ev_pkt(c, c->cur_flow, e) : NULL;
	if (!src)
		return fail(ENODATA);
	v = vpkt_cur(c, e, src);
	if (!v)
		return fail(ENOMEM);
	if (option & MOS_DROP) {
		v->drop = true;
		return 0;
	}
	if (option & MOS_OVERWRITE) {
		int l4r = mu_pkt_tcp(v->pkt, v->len);

		if (option & MOS_ETH_HDR)
			return fail(EOPNOTSUPP);
		if (l4r < 0 || __builtin_popcount(option & parts) != 1 ||
		    offset < 0 || (datalen && !data))
			return fail(EINVAL);
		l4 = (unsigned int)l4r;
		if (option & MOS_IP_HDR) {
			base = 0;
			lim = l4;
		} else if (option & MOS_TCP_HDR) {
			base = l4;
			lim = (v->pkt[l4 + 12] >> 4) * 4;
		} else {
			base = l4 + (v->pkt[l4 + 12] >> 4) * 4;
			lim = v->total > base ? v->total - base : 0;
		}
		if ((uint64_t)offset + datalen > lim ||
		    base + (uint64_t)offset + datalen > v->len)
			return fail(EINVAL);
		memcpy(v->pkt + base + offset, data, datalen);
		if (datalen) {
			if (base + offset < v->lo)
				v->lo = base + offset;
			if (base + offset + datalen > v->hi)
				v->hi = base + offset + datalen;
		}
	}
	if (option & MOS_UPDATE_IP_CHKSUM) {
		v->flags |= MOS_VERDICT_F_IP_CSUM;
		if ((v->pkt[0] >> 4) == 4 && (v->pkt[0] & 0xf) * 4u <= v->len) {
			ip_csum(v->pkt, (v->pkt[0] & 0xf) * 4);
			/* The new checksum goes with the bytes */
			if (v->lo > 10)
				v->lo = 10;
			if (v->hi < 12)
				v->hi = 12;
		}
	}
	if (option & MOS_UPDATE_TCP_CHKSUM)
		v->flags |= MOS_VERDICT_F_TCP_CSUM;
	return 0;
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
	/* As mtcp_setlastpkt() left it */
	if (vpkt_view(c, e, src))
		src = vpkt_view(c, e, src);
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
