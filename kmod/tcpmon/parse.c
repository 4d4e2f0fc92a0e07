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
 * The parser sees a packet as the Linux receiver's IP layer does, and
 * says apart three kinds of packets that are not tracked:
 *
 * - malformed (%TM_PKT_BAD): mos cannot parse it, so it cannot tell what
 *   the receiver makes of it;
 * - a fragment (%TM_PKT_FRAG): IPv4 with more fragments set or an offset,
 *   IPv6 with a fragment header that is not atomic.  It is part of a
 *   datagram, not a whole TCP segment: the receiver's TCP gets the
 *   reassembled datagram, which mos.ko sees after nf_defrag;
 * - well formed, but dropped by the receiver's IP layer: IPv4 options
 *   that ip_options_compile() refuses (%TM_PKT_IP4_OPT_DROP, see
 *   tm_ip4_opts_ok()); IPv6 (%TM_PKT_IP6_OPT_DROP, %TM_PKT_IP6_HBH_DROP,
 *   %TM_PKT_IP6_RH_DROP).
 *
 * IPv6 extension headers are walked as ipv6_skip_exthdr() does: hop-by-hop,
 * routing, destination options, fragment (atomic ones only: see above)
 * and AH (length in 4-byte units, plus 2).  ESP and "no next header" end
 * the walk with nothing to parse (%TM_PKT_OTHER).  The options of
 * hop-by-hop and destination options headers are checked as
 * ip6_parse_tlv() does with the default sysctls (tm_parse_ip6_opts()); a
 * hop-by-hop header anywhere but first is dropped by Linux
 * (ip6_protocol_deliver_rcu() has no handler for it: ICMP Parameter
 * Problem, unknown next header).  A routing header is checked as
 * ipv6_rthdr_rcv() does with the default sysctls (tm_ip6_rh_drop()).
 *
 * Limits: none on the number of extension headers, as in Linux; each is
 * at least 8 bytes, so the walk is linear in the packet's length and ends
 * with it.  The options of one header are at most 8 (Linux's default
 * limit, beyond which it drops the packet) with at most 7 padding bytes
 * in a row, so one header costs at most 80 small reads.
 *
 * What counts as malformed: an IP header that is short or has the wrong
 * version, an IPv4 header length below 20 bytes or past the IP length, an
 * IP length field past the packet, an extension header past the payload, a
 * TCP header shorter than 20 bytes, a data offset below 5 or past the IP
 * payload.  The kernel drops most IP-level malformations before netfilter
 * sees them; raw sockets at LOCAL_OUT and captures can still carry them.
 * An option that runs past its header is not malformed for this purpose:
 * the header is in the packet, and Linux drops the packet for it.
 */

#include "tcpmon.h"

#define TM_MAX_WSCALE		14

/* IPv4 fragment bits (RFC 791), host order */
#define TM_IP_MF		0x2000
#define TM_IP_OFFSET		0x1fff

/* IPv4 options (RFC 791, RFC 1108, RFC 2113) */
#define TM_IPOPT_END		0
#define TM_IPOPT_NOOP		1
#define TM_IPOPT_RR		7
#define TM_IPOPT_TS		68
#define TM_IPOPT_LSRR		131
#define TM_IPOPT_CIPSO		134
#define TM_IPOPT_SSRR		137
#define TM_IPOPT_RA		148
/* Timestamp option flags (RFC 791): with addresses, prespecified */
#define TM_IPOPT_TS_TSANDADDR	1
#define TM_IPOPT_TS_PRESPEC	3
#define TM_IP4_OPTS_MAX		40

/* IPv6 fragment header bits (RFC 8200 section 4.5), host order */
#define TM_IP6_OFFSET		0xfff8
#define TM_IP6_MF		0x0001

#define TM_IP6_HLEN		40

/* IPv6 option types (RFC 8200 4.2, IANA "Destination Options and
 * Hop-by-Hop Options")
 */
#define TM_IP6_OPT_PAD1		0x00
#define TM_IP6_OPT_PADN		0x01
#define TM_IP6_OPT_RA		0x05
#define TM_IP6_OPT_CALIPSO	0x07
#define TM_IP6_OPT_IOAM		0x31
#define TM_IP6_OPT_JUMBO	0xc2
#define TM_IP6_OPT_HAO		0xc9

/* Routing header types (IANA "Routing Types") */
#define TM_IP6_RH_MIP6		2	/* RFC 6275 */
#define TM_IP6_RH_RPL		3	/* RFC 6554 */
#define TM_IP6_RH_SRH		4	/* RFC 8754 */

/* Linux's limits on options (ip6_parse_tlv() and the default sysctls) */
#define TM_IP6_PAD_MAX		7	/* padding bytes in a row */
#define TM_IP6_PADN_MAX		(TM_IP6_PAD_MAX + 2)
#define TM_IP6_OPTS_MAX		8	/* max_{hbh,dst}_opts_number */

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
 * tm_ip4_opts_ok() - would Linux take a received packet's IPv4 options?
 * @o:		the options (after the 20-byte header)
 * @len:	their length, at most %TM_IP4_OPTS_MAX
 *
 * As ip_options_compile() checks them on receive (ip_rcv_options(), for
 * forwarded and local packets alike, before any routing by them): End of
 * Options List ends the walk, No Operation is one byte; any other option
 * needs a length byte of at least 2 that stays inside the options.  Loose
 * and strict source routes need a length of 3 and a pointer of 4 or more,
 * and at most one of them; record route too, once, and a pointer that is
 * either past the option (full) or leaves room for an address; the
 * timestamp option a length of 4, a pointer of 5 or more, once, and when
 * the pointer is inside the option room for a timestamp (and an address,
 * for the flags 1 and 3), else an overflow count below 15; router alert a
 * length of 4.  CIPSO (RFC 1108 successor, type 134) is refused with no
 * CIPSO DOI configured (cipso_v4_validate(), the default; Debian's
 * kernels have CONFIG_NETLABEL).  Other options, known or not, pass.
 *
 * Return: true when it would.
 */
static bool tm_ip4_opts_ok(const u8 *o, unsigned int len)
{
	bool srr = false, rr = false, ts = false;
	unsigned int i = 0, n, ptr;
	const u8 *x;

	while (i < len) {
		if (o[i] == TM_IPOPT_END)
			return true;
		if (o[i] == TM_IPOPT_NOOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return false;
		x = o + i;
		n = x[1];
		if (n < 2 || n > len - i)
			return false;
		ptr = n > 2 ? x[2] : 0;
		switch (x[0]) {
		case TM_IPOPT_LSRR:
		case TM_IPOPT_SSRR:
			if (n < 3 || ptr < 4 || srr)
				return false;
			srr = true;
			break;
		case TM_IPOPT_RR:
			if (rr || n < 3 || ptr < 4 || (ptr <= n && ptr + 3 > n))
				return false;
			rr = true;
			break;
		case TM_IPOPT_TS:
			if (ts || n < 4 || ptr < 5)
				return false;
			if (ptr <= n) {
				unsigned int fl = x[3] & 0xf;

				if (ptr + 3 > n)
					return false;
				if ((fl == TM_IPOPT_TS_TSANDADDR ||
				     fl == TM_IPOPT_TS_PRESPEC) && ptr + 7 > n)
					return false;
			} else if ((x[3] >> 4) == 15) {
				return false;
			}
			ts = true;
			break;
		case TM_IPOPT_RA:
			if (n < 4)
				return false;
			break;
		case TM_IPOPT_CIPSO:
			return false;
		default:
			break;
		}
		i += n;
	}
	return true;
}

/**
 * tm_parse_ipv4() - parse an IPv4 header
 * @pkt:	packet, for @read
 * @len:	packet length from the IP header on
 * @flags:	%TM_PARSE_F_*
 * @read:	reader
 * @p:		filled with the network-layer view
 *
 * Return: %TM_PKT_TCP for a whole datagram that carries TCP (its header
 * still to be checked), %TM_PKT_IP4_OPT_DROP for options Linux refuses,
 * %TM_PKT_FRAG for a fragment, %TM_PKT_OTHER, or %TM_PKT_BAD.
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

	/* ip_rcv_options() drops what ip_options_compile() refuses */
	if (ihl > sizeof(*iph)) {
		u8 obuf[TM_IP4_OPTS_MAX];
		const u8 *o;

		o = read(pkt, sizeof(*iph), ihl - sizeof(*iph), obuf);
		if (!o)
			return TM_PKT_BAD;
		if (!tm_ip4_opts_ok(o, ihl - sizeof(*iph)))
			return TM_PKT_IP4_OPT_DROP;
	}

	/*
	 * A fragment, the first one too, is a piece of a datagram: only
	 * the reassembled datagram reaches TCP (ip_local_deliver()).
	 */
	if (ntohs(iph->frag_off) & (TM_IP_MF | TM_IP_OFFSET))
		return TM_PKT_FRAG;
	return iph->protocol == IPPROTO_TCP ? TM_PKT_TCP : TM_PKT_OTHER;
}

/**
 * tm_ip6_opt_unknown() - what Linux does with an option it does not know
 * @type:	the option type
 *
 * RFC 8200 section 4.2: the two high-order bits of the type say what a
 * node that does not recognise the option does; 00 skips it, every other
 * value discards the packet (ip6_tlvopt_unknown(); 10 and 11 also send
 * an ICMP Parameter Problem, which does not change the outcome).
 *
 * Return: true if the packet is discarded.
 */
static bool tm_ip6_opt_unknown(u8 type)
{
	return (type & 0xc0) != 0;
}

/**
 * tm_ip6_opt_known() - Linux's checks on an option it knows
 * @pkt:	packet, for @read
 * @read:	reader
 * @hbh:	the option is in a hop-by-hop header, not destination options
 * @off:	offset of the option's type byte from the IP header
 * @type:	its type
 * @dlen:	its data length (the option's length byte)
 * @plen:	the IPv6 header's payload length field
 * @len:	packet length from the IP header on
 * @end:	end of the IPv6 packet; a valid Jumbo Payload option sets it
 *
 * The options ip6_parse_tlv() hands to a function of their own
 * (net/ipv6/exthdrs.c), with the defaults of a Debian kernel
 * (CONFIG_IPV6_MIP6, CONFIG_NETLABEL) and of the sysctls:
 *
 * - hop-by-hop Router Alert (5, RFC 2711): data length 2
 *   (ipv6_hop_ra());
 * - hop-by-hop IOAM (0x31, RFC 9486): at a multiple of 4 from the IPv6
 *   header; with ioam6_enabled off (the default) nothing else is looked
 *   at (ipv6_hop_ioam());
 * - hop-by-hop Jumbo Payload (0xc2, RFC 2675): data length 4 at 4n + 2,
 *   a length above 65535 in an IPv6 header whose payload length is 0,
 *   no longer than the packet; the packet then ends where it says
 *   (ipv6_hop_jumbo());
 * - hop-by-hop CALIPSO (7, RFC 5570): after its length checks,
 *   calipso_validate() refuses every option when no CALIPSO DOI is
 *   configured, the default (ipv6_hop_calipso());
 * - destination option Home Address (0xc9, RFC 6275): refused without a
 *   Mobile IPv6 state for the address (ipv6_dest_hao());
 * - any other option, such as the tunnel encapsulation limit (4), which
 *   only ip6_tnl reads: tm_ip6_opt_unknown().
 *
 * Return: 0 if Linux goes on with the packet, -1 if it drops it, -2 if
 * the option cannot be read.
 */
static int tm_ip6_opt_known(const void *pkt, tm_read_t read, bool hbh,
			    unsigned int off, u8 type, u8 dlen,
			    unsigned int plen, unsigned int len,
			    unsigned int *end)
{
	u8 buf[4];
	const u8 *d;
	u32 jumbo;

	if (!hbh)
		return type == TM_IP6_OPT_HAO || tm_ip6_opt_unknown(type) ?
		       -1 : 0;

	switch (type) {
	case TM_IP6_OPT_RA:
		return dlen == 2 ? 0 : -1;
	case TM_IP6_OPT_IOAM:
		return off & 3 ? -1 : 0;
	case TM_IP6_OPT_JUMBO:
		if (dlen != 4 || (off & 3) != 2)
			return -1;
		d = read(pkt, off + 2, 4, buf);
		if (!d)
			return -2;
		jumbo = (u32)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
		if (jumbo <= 65535 || plen || jumbo > len - TM_IP6_HLEN)
			return -1;
		*end = TM_IP6_HLEN + jumbo;
		return 0;
	case TM_IP6_OPT_CALIPSO:
		return -1;
	}
	return tm_ip6_opt_unknown(type) ? -1 : 0;
}

/**
 * tm_parse_ip6_opts() - check the options of a hop-by-hop or destination
 * options header as Linux's ip6_parse_tlv() does
 * @pkt:	packet, for @read
 * @read:	reader
 * @hbh:	a hop-by-hop header (else destination options)
 * @off:	offset of the header from the IP header
 * @hlen:	its length, in the packet (checked by the caller)
 * @plen:	the IPv6 header's payload length field
 * @len:	packet length from the IP header on
 * @end:	end of the IPv6 packet (a Jumbo Payload option moves it)
 *
 * With the default sysctls (max_hbh_opts_number and max_dst_opts_number
 * 8, max_hbh_opts_len and max_dst_opts_len unlimited): Pad1 and PadN
 * together at most 7 bytes in a row, PadN bytes all zero, at most 8
 * other options, no option past the header, each other option as
 * tm_ip6_opt_known() says.  The walk is bounded by those limits: at
 * most 8 options and 9 runs of at most 7 padding bytes.
 *
 * Return: 0 to go on, %TM_PKT_IP6_OPT_DROP or %TM_PKT_BAD (the packet
 * cannot be read that far).
 */
static int tm_parse_ip6_opts(const void *pkt, tm_read_t read, bool hbh,
			     unsigned int off, unsigned int hlen,
			     unsigned int plen, unsigned int len,
			     unsigned int *end)
{
	unsigned int padlen = 0, count = 0, left = hlen - 2, i;

	off += 2;
	while (left > 0) {
		unsigned int olen;
		u8 buf[TM_IP6_PADN_MAX];
		const u8 *o;
		int r;

		o = read(pkt, off, left < 2 ? 1 : 2, buf);
		if (!o)
			return TM_PKT_BAD;
		if (o[0] == TM_IP6_OPT_PAD1) {
			if (++padlen > TM_IP6_PAD_MAX)
				return TM_PKT_IP6_OPT_DROP;
			off++;
			left--;
			continue;
		}
		if (left < 2)
			return TM_PKT_IP6_OPT_DROP;
		olen = o[1] + 2;
		if (olen > left)
			return TM_PKT_IP6_OPT_DROP;

		if (o[0] == TM_IP6_OPT_PADN) {
			padlen += olen;
			if (padlen > TM_IP6_PAD_MAX)
				return TM_PKT_IP6_OPT_DROP;
			/* RFC 4942 2.1.9.5: PadN carries zeros only */
			o = read(pkt, off, olen, buf);
			if (!o)
				return TM_PKT_BAD;
			for (i = 2; i < olen; i++)
				if (o[i])
					return TM_PKT_IP6_OPT_DROP;
		} else {
			if (++count > TM_IP6_OPTS_MAX)
				return TM_PKT_IP6_OPT_DROP;
			r = tm_ip6_opt_known(pkt, read, hbh, off, o[0], o[1],
					     plen, len, end);
			if (r == -2)
				return TM_PKT_BAD;
			if (r)
				return TM_PKT_IP6_OPT_DROP;
			padlen = 0;
		}
		off += olen;
		left -= olen;
	}
	return 0;
}

/**
 * tm_ip6_rh_drop() - whether Linux's ipv6_rthdr_rcv() drops a packet for
 * its routing header, with the default sysctls
 * @type:	the routing type
 * @left:	segments left
 * @mcast:	the IPv6 destination is a multicast address
 *
 * To a multicast destination, a routing header is refused.  Segment
 * routing (4) and RPL (3) are refused unless seg6_enabled or
 * rpl_seg_enabled is set (both 0 by default).  A Mobile IPv6 type 2
 * header is refused unless it was processed on the way, which takes a
 * Mobile IPv6 state.  Any other type with segments left sends the packet
 * on to the next address (type 0 is no longer implemented: an ICMP
 * Parameter Problem); with none left the packet is this host's.
 *
 * Return: true if the packet does not reach TCP here.
 */
static bool tm_ip6_rh_drop(u8 type, u8 left, bool mcast)
{
	if (mcast)
		return true;
	switch (type) {
	case TM_IP6_RH_MIP6:
	case TM_IP6_RH_RPL:
	case TM_IP6_RH_SRH:
		return true;
	}
	return left != 0;
}

/**
 * tm_parse_ipv6() - parse an IPv6 header and walk its extension headers
 * @pkt:	packet, for @read
 * @len:	packet length from the IP header on
 * @flags:	%TM_PARSE_F_*
 * @read:	reader
 * @p:		filled with the network-layer view
 *
 * The whole chain is walked, as ipv6_skip_exthdr() does: there is no
 * limit on the number of headers, each is at least 8 bytes long, so the
 * walk ends with the packet.  A payload length of 0 ahead of a
 * hop-by-hop header leaves the packet as long as it is (ip6_rcv_core()),
 * until a Jumbo Payload option says otherwise.
 *
 * Return: %TM_PKT_TCP when the chain ends in TCP (its header still to be
 * checked), %TM_PKT_OTHER, %TM_PKT_FRAG, %TM_PKT_IP6_OPT_DROP,
 * %TM_PKT_IP6_HBH_DROP, %TM_PKT_IP6_RH_DROP, or %TM_PKT_BAD.
 */
static enum tm_parse_res tm_parse_ipv6(const void *pkt, unsigned int len,
				       unsigned int flags, tm_read_t read,
				       struct tm_pkt *p)
{
	struct ipv6hdr buf;
	const struct ipv6hdr *ip6h;
	unsigned int off, end, plen;
	u8 nexthdr;

	ip6h = read(pkt, 0, sizeof(*ip6h), &buf);
	if (!ip6h || ip6h->version != 6)
		return TM_PKT_BAD;

	plen = ntohs(ip6h->payload_len);
	end = sizeof(*ip6h) + plen;
	if (!plen && ((flags & TM_PARSE_F_GSO) ||
		      ip6h->nexthdr == IPPROTO_HOPOPTS))
		end = len;
	if (end > len)
		return TM_PKT_BAD;

	p->family = 6;
	memcpy(p->saddr.a6, &ip6h->saddr, sizeof(p->saddr.a6));
	memcpy(p->daddr.a6, &ip6h->daddr, sizeof(p->daddr.a6));
	nexthdr = ip6h->nexthdr;
	off = sizeof(*ip6h);

	for (;;) {
		struct tm_frag_hdr fbuf;
		const struct tm_frag_hdr *fh;
		unsigned int hlen;
		u8 hbuf[4];
		const u8 *h;
		int r;

		p->l4proto = nexthdr;
		p->l4off = off;
		p->l4len = end - off;

		/* ipv6_parse_hopopts() runs only on the first header */
		if (nexthdr == IPPROTO_HOPOPTS && off != sizeof(*ip6h))
			return TM_PKT_IP6_HBH_DROP;

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
			if (hlen > end - off)
				return TM_PKT_BAD;
			if (nexthdr == IPPROTO_ROUTING &&
			    tm_ip6_rh_drop(h[2], h[3], p->daddr.a6[0] == 0xff))
				return TM_PKT_IP6_RH_DROP;
			nexthdr = h[0];
			if (p->l4proto == IPPROTO_HOPOPTS ||
			    p->l4proto == IPPROTO_DSTOPTS) {
				r = tm_parse_ip6_opts(pkt, read,
						      p->l4proto == IPPROTO_HOPOPTS,
						      off, hlen, plen, len, &end);
				if (r)
					return r;
			}
			break;
		case IPPROTO_FRAGMENT:
			if (end - off < sizeof(*fh))
				return TM_PKT_BAD;
			fh = read(pkt, off, sizeof(*fh), &fbuf);
			if (!fh)
				return TM_PKT_BAD;
			/*
			 * More fragments or an offset: a piece of a datagram.
			 * Offset 0 without M is an atomic fragment, processed
			 * as a whole packet (RFC 8200 4.5, ipv6_frag_rcv()).
			 */
			if (ntohs(fh->frag_off) & (TM_IP6_OFFSET | TM_IP6_MF)) {
				p->l4proto = fh->nexthdr;
				return TM_PKT_FRAG;
			}
			nexthdr = fh->nexthdr;
			hlen = sizeof(*fh);
			break;
		default:
			/* ESP, no next header, and every other protocol */
			return TM_PKT_OTHER;
		}
		off += hlen;
	}
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
	/*
	 * The layout of nearly every segment of a connection with
	 * timestamps, NOP NOP TIMESTAMP (RFC 7323, Appendix A), read at
	 * once as tcp_parse_aligned_timestamp() does; the walk below would
	 * find the same.
	 */
	if (len == TM_OLEN_TS_ALIGNED &&
	    tm_opts_aligned_ts(op, &o->tsval, &o->tsecr)) {
		o->has_ts = true;
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
