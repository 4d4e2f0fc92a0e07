// SPDX-License-Identifier: GPL-2.0
/*
 * parse.c - IPv4, IPv6 and TCP header parsing
 *
 * DOC: Theory of Operation
 *
 * mos_tm_parse() looks at a packet from its IP header on, through a reader
 * callback so that the same code walks an skb (skb_header_pointer() in the
 * kernel: non-linear and paged skbs, GSO aggregates) and a flat buffer (in
 * userspace).  It copies out only the headers it needs, never the payload.
 *
 * IPv6 extension headers are walked: hop-by-hop, routing, destination
 * options, fragment (the first fragment only: a packet with a non-zero
 * fragment offset carries no TCP header) and AH.  ESP and "no next header"
 * end the walk with nothing to parse.
 *
 * Limits: at most %TM_MAX_EXTHDRS extension headers are walked; a longer
 * chain is a parse error, so a hostile packet cannot make the walk long.
 *
 * What counts as malformed: an IP header that is short or has the wrong
 * version, an IPv4 header length below 20 bytes or past the IP length, an
 * IP length field past the packet, an extension header past the payload, a
 * TCP header shorter than 20 bytes, a data offset below 5 or past the IP
 * payload.  The kernel drops most IP-level malformations before netfilter
 * sees them; raw sockets at LOCAL_OUT and captures can still carry them.
 */

#include "tcpmon.h"

#define TM_MAX_EXTHDRS		8
#define TM_MAX_WSCALE		14

/* Option kinds and lengths (RFC 9293, RFC 7323, RFC 2018) */
#define TM_OPT_EOL		0
#define TM_OPT_NOP		1
#define TM_OPT_MSS		2
#define TM_OPT_WINDOW		3
#define TM_OPT_SACK_PERM	4
#define TM_OPT_TIMESTAMP	8
#define TM_OLEN_MSS		4
#define TM_OLEN_WINDOW		3
#define TM_OLEN_SACK_PERM	2
#define TM_OLEN_TIMESTAMP	10
#define TM_OPT_FASTOPEN		34	/* RFC 7413 */
#define TM_OPT_EXP		254	/* RFC 6994, TCP Fast Open's first kind */
#define TM_EXP_FASTOPEN_MAGIC	0xf989

/* Fragment header (RFC 8200 section 4.5) */
struct tm_frag_hdr {
	u8 nexthdr;
	u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

static_assert(sizeof(struct tm_frag_hdr) == 8, "fragment header layout");

/**
 * tm_parse_tcp() - check the TCP header at @p->l4off and fill @p from it
 * @pkt:	packet, for @read
 * @read:	reader
 * @p:		parsed headers so far; TCP fields filled on success
 *
 * Return: %TM_PKT_TCP, or %TM_PKT_BAD for a truncated header or a bad
 * data offset.
 */
static enum tm_parse_res tm_parse_tcp(const void *pkt, tm_read_t read,
				      struct tm_pkt *p)
{
	struct tcphdr buf;
	const struct tcphdr *th;
	unsigned int doff;

	if (p->l4len < sizeof(*th))
		return TM_PKT_BAD;
	th = read(pkt, p->l4off, sizeof(*th), &buf);
	if (!th)
		return TM_PKT_BAD;

	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > p->l4len)
		return TM_PKT_BAD;

	p->doff = doff;
	p->sport = th->source;
	p->dport = th->dest;
	p->tcp_flags = ((const u8 *)th)[13];
	p->seq = ntohl(th->seq);
	p->ack_seq = ntohl(th->ack_seq);
	p->window = ntohs(th->window);
	return TM_PKT_TCP;
}

/**
 * tm_parse_ipv4() - parse an IPv4 header
 * @pkt:	packet, for @read
 * @len:	packet length from the IP header on
 * @flags:	%TM_PARSE_F_*
 * @read:	reader
 * @p:		filled with the network-layer view
 *
 * Return: %TM_PKT_TCP for a first or only fragment that carries TCP (its
 * header still to be checked), %TM_PKT_OTHER, or %TM_PKT_BAD.
 */
static enum tm_parse_res tm_parse_ipv4(const void *pkt, unsigned int len,
				       unsigned int flags, tm_read_t read,
				       struct tm_pkt *p)
{
	struct iphdr buf;
	const struct iphdr *iph;
	unsigned int ihl, tot;

	iph = read(pkt, 0, sizeof(*iph), &buf);
	if (!iph || iph->version != 4)
		return TM_PKT_BAD;

	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	/* BIG TCP aggregates past 64 KiB carry a zero length. */
	if (!tot && (flags & TM_PARSE_F_GSO))
		tot = len;
	if (ihl < sizeof(*iph) || tot < ihl || tot > len)
		return TM_PKT_BAD;

	p->family = 4;
	p->saddr.a4 = iph->saddr;
	p->daddr.a4 = iph->daddr;
	p->l4proto = iph->protocol;
	p->l4off = ihl;
	p->l4len = tot - ihl;

	/* Only the first fragment has a transport header. */
	if (ntohs(iph->frag_off) & 0x1fff)
		return TM_PKT_OTHER;
	return iph->protocol == IPPROTO_TCP ? TM_PKT_TCP : TM_PKT_OTHER;
}

/**
 * tm_parse_ipv6() - parse an IPv6 header and walk its extension headers
 * @pkt:	packet, for @read
 * @len:	packet length from the IP header on
 * @flags:	%TM_PARSE_F_*
 * @read:	reader
 * @p:		filled with the network-layer view
 *
 * Return: %TM_PKT_TCP when the chain ends in TCP (its header still to be
 * checked), %TM_PKT_OTHER, or %TM_PKT_BAD.
 */
static enum tm_parse_res tm_parse_ipv6(const void *pkt, unsigned int len,
				       unsigned int flags, tm_read_t read,
				       struct tm_pkt *p)
{
	struct ipv6hdr buf;
	const struct ipv6hdr *ip6h;
	unsigned int off, end, i;
	u8 nexthdr;

	ip6h = read(pkt, 0, sizeof(*ip6h), &buf);
	if (!ip6h || ip6h->version != 6)
		return TM_PKT_BAD;

	end = sizeof(*ip6h) + ntohs(ip6h->payload_len);
	if (!ip6h->payload_len && (flags & TM_PARSE_F_GSO))
		end = len;
	if (end > len)
		return TM_PKT_BAD;

	p->family = 6;
	memcpy(p->saddr.a6, &ip6h->saddr, sizeof(p->saddr.a6));
	memcpy(p->daddr.a6, &ip6h->daddr, sizeof(p->daddr.a6));
	nexthdr = ip6h->nexthdr;
	off = sizeof(*ip6h);

	for (i = 0; i <= TM_MAX_EXTHDRS; i++) {
		struct tm_frag_hdr fbuf;
		const struct tm_frag_hdr *fh;
		unsigned int hlen;
		u8 hbuf[2];
		const u8 *h;

		p->l4proto = nexthdr;
		p->l4off = off;
		p->l4len = end - off;

		switch (nexthdr) {
		case IPPROTO_TCP:
			return TM_PKT_TCP;
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
			if (end - off < 8)
				return TM_PKT_BAD;
			h = read(pkt, off, sizeof(hbuf), hbuf);
			if (!h)
				return TM_PKT_BAD;
			if (nexthdr == IPPROTO_AH)
				hlen = (h[1] + 2) * 4;
			else
				hlen = (h[1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (end - off < sizeof(*fh))
				return TM_PKT_BAD;
			fh = read(pkt, off, sizeof(*fh), &fbuf);
			if (!fh)
				return TM_PKT_BAD;
			if (ntohs(fh->frag_off) & 0xfff8) {
				p->l4proto = fh->nexthdr;
				return TM_PKT_OTHER;
			}
			h = &fh->nexthdr;
			hlen = sizeof(*fh);
			break;
		default:
			/* ESP, no next header, and every other protocol */
			return TM_PKT_OTHER;
		}

		if (hlen > end - off)
			return TM_PKT_BAD;
		nexthdr = h[0];
		off += hlen;
	}
	return TM_PKT_BAD;
}

/**
 * mos_tm_parse() - parse the IP and TCP headers of a packet
 * @pkt:	the packet, handed to @read
 * @len:	its length from the IP header on
 * @family:	4 or 6, as the hook that saw it says
 * @flags:	%TM_PARSE_F_*
 * @read:	reader for @pkt
 * @p:		parsed headers
 *
 * Context: any; does not sleep or allocate.
 * Return: what the packet is; @p is meaningful up to where the parse got.
 */
enum tm_parse_res mos_tm_parse(const void *pkt, unsigned int len, u8 family,
			       unsigned int flags, tm_read_t read,
			       struct tm_pkt *p)
{
	enum tm_parse_res r;

	memset(p, 0, sizeof(*p));
	if (family == 4)
		r = tm_parse_ipv4(pkt, len, flags, read, p);
	else if (family == 6)
		r = tm_parse_ipv6(pkt, len, flags, read, p);
	else
		return TM_PKT_BAD;

	if (r != TM_PKT_TCP)
		return r;
	return tm_parse_tcp(pkt, read, p);
}

/* A big-endian 32-bit option field, at any alignment */
static u32 tm_opt_be32(const u8 *b)
{
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

/**
 * mos_tm_parse_opts() - read the TCP options the tracker uses
 * @pkt:	the packet, handed to @read
 * @read:	reader for @pkt
 * @p:		its parsed headers (a %TM_PKT_TCP)
 * @o:		the options found
 *
 * Every option length is checked against the header: a length below 2
 * or past the end stops the walk and sets @o->bad, keeping what was read
 * before it.  A window scale above 14 is taken as 14 (RFC 7323, 2.3).
 *
 * Context: any; does not sleep or allocate.
 */
void mos_tm_parse_opts(const void *pkt, tm_read_t read,
		       const struct tm_pkt *p, struct tm_opts *o)
{
	unsigned int len = p->doff - sizeof(struct tcphdr);
	u8 buf[40];
	const u8 *op;
	unsigned int i = 0;

	memset(o, 0, sizeof(*o));
	if (!len)
		return;
	op = read(pkt, p->l4off + sizeof(struct tcphdr), len, buf);
	if (!op) {
		o->bad = true;
		return;
	}

	while (i < len) {
		unsigned int olen;

		if (op[i] == TM_OPT_EOL)
			break;
		if (op[i] == TM_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || op[i + 1] < 2 || op[i + 1] > len - i) {
			o->bad = true;
			break;
		}
		olen = op[i + 1];
		switch (op[i]) {
		case TM_OPT_MSS:
			if (olen == TM_OLEN_MSS)
				o->mss = (op[i + 2] << 8) | op[i + 3];
			break;
		case TM_OPT_WINDOW:
			if (olen == TM_OLEN_WINDOW) {
				o->has_wscale = true;
				o->wscale = min_t(u8, op[i + 2], TM_MAX_WSCALE);
			}
			break;
		case TM_OPT_SACK_PERM:
			if (olen == TM_OLEN_SACK_PERM)
				o->sack_ok = true;
			break;
		case TM_OPT_TIMESTAMP:
			if (olen == TM_OLEN_TIMESTAMP) {
				o->has_ts = true;
				o->tsval = tm_opt_be32(op + i + 2);
				o->tsecr = tm_opt_be32(op + i + 6);
			}
			break;
		case TM_OPT_FASTOPEN:
			/* Length 2 asks for a cookie; a cookie is 4 to 16 bytes. */
			if (olen > 2)
				o->tfo_cookie = true;
			break;
		case TM_OPT_EXP:
			if (olen > 4 &&
			    ((op[i + 2] << 8) | op[i + 3]) == TM_EXP_FASTOPEN_MAGIC)
				o->tfo_cookie = true;
			break;
		}
		i += olen;
	}
}
