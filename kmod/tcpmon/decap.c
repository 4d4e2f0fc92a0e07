// SPDX-License-Identifier: GPL-2.0
/*
 * decap.c - find the IP packet of a frame: link headers and tunnels
 *
 * DOC: Theory of Operation
 *
 * mos_tm_decap() walks a frame from its first header to the IP packet the
 * tracker is to see, through a reader callback (&tm_read_t), so that the
 * same code serves the XDP attachment (an xdp_buff, hooks/xdp.c) and the
 * capture reader (a flat buffer, tools/tcpmon/capture.c).  It copies out
 * only the header bytes it looks at.
 *
 * Link headers: Ethernet II with up to two VLAN tags (802.1ad, 802.1Q)
 * per Ethernet header, a known Ethertype (Linux cooked captures), PPP
 * (RFC 1661, a compressed protocol field too), PPPoE sessions (RFC 2516:
 * version and type 1, code 0, the length field bounds the payload).
 * PPP protocols 0x0021 and 0x0057 carry IPv4 and IPv6.
 *
 * With %TM_DECAP_F_TUNNELS, an IP packet that is a tunnel's is entered,
 * and the walk goes on with what it carries:
 *
 * - IPv4 or IPv6 in IPv4 or IPv6 (protocols 4 and 41, RFC 2003, RFC 2473);
 * - GRE (protocol 47; RFC 2784, RFC 2890): version 0 and no routing, as
 *   Linux's gre_parse_header() takes it; the checksum, key and sequence
 *   number fields are skipped, the checksum is not verified.  It carries
 *   IPv4, IPv6, Ethernet (transparent Ethernet bridging, 0x6558), or an
 *   ERSPAN mirror session: type I (0x88BE in a bare 4-byte GRE header, no
 *   ERSPAN header, as Linux's erspan_rcv() takes it), type II (0x88BE
 *   otherwise, ERSPAN version 1, an 8-byte header) or type III (0x22EB,
 *   version 2, a 12-byte header plus the 8-byte platform subheader when
 *   its O bit is set; frame type 0 is Ethernet, 2 is IP), then the
 *   mirrored frame;
 * - UDP by destination port: VXLAN (4789, RFC 7348: the I flag set, an
 *   8-byte header, then Ethernet), Geneve (6081, RFC 8926: version 0, an
 *   8-byte header plus its options' length; Ethernet, IPv4 or IPv6), and
 *   GTP-U (2152, 3GPP TS 29.281: version 1, protocol type GTP, message
 *   G-PDU 0xff; the length field bounds the payload; with E, S or PN set
 *   a 4-byte field follows, and with E a chain of extension headers, at
 *   most %TM_DECAP_GTP_EXT_MAX, each a length in 4-byte units and the
 *   next type in its last byte; then IPv4 or IPv6).  The UDP length
 *   bounds the payload; the UDP checksum is not verified.  Other UDP is
 *   an ordinary packet.
 *
 * Each IP header on the way is parsed by mos_tm_parse() (IPv4 options and
 * IPv6 extension headers included): an outer packet that does not parse,
 * is a fragment, or is one the receiver's IP layer drops is the packet
 * the tracker gets, which counts it as such.  Nothing is reassembled.
 *
 * Every encapsulation entered (an IP tunnel, GRE with or without ERSPAN,
 * a UDP tunnel, PPPoE) counts one; a frame with more than
 * %TM_DECAP_DEPTH_MAX is refused (%TM_DECAP_DEEP).  The walk reads each
 * header once and moves forward, so its cost is bounded by the depth and
 * the number of GTP-U extension headers.
 *
 * Each layer's payload ends where the layer says (IP length, UDP length,
 * PPPoE and GTP-U length), never past the layer around it: Ethernet
 * padding and trailers are not part of the inner packet.
 */

#include "tcpmon.h"

#define TM_ETH_HLEN		14
/* An Ethernet header and the first 10 bytes of an IP header after it */
#define TM_ETH_FAST		(TM_ETH_HLEN + 10)
#define TM_VLAN_HLEN		4
#define TM_VLAN_MAX		2

#define TM_ETH_P_IP		0x0800
#define TM_ETH_P_IPV6		0x86dd
#define TM_ETH_P_8021Q		0x8100
#define TM_ETH_P_8021AD		0x88a8
#define TM_ETH_P_PPP_SES	0x8864
#define TM_ETH_P_TEB		0x6558
#define TM_ETH_P_ERSPAN		0x88be
#define TM_ETH_P_ERSPAN2	0x22eb

#define TM_PPP_IP		0x0021
#define TM_PPP_IPV6		0x0057

/* GRE flags and version (RFC 2784, RFC 2890), host order */
#define TM_GRE_CSUM		0x8000
#define TM_GRE_ROUTING		0x4000
#define TM_GRE_KEY		0x2000
#define TM_GRE_SEQ		0x1000
#define TM_GRE_VERSION		0x0007

#define TM_ERSPAN_II_HLEN	8
#define TM_ERSPAN_III_HLEN	12
#define TM_ERSPAN_III_SUBHLEN	8

#define TM_UDP_HLEN		8
#define TM_PORT_VXLAN		4789
#define TM_PORT_GENEVE		6081
#define TM_PORT_GTPU		2152

#define TM_VXLAN_HLEN		8
#define TM_VXLAN_F_VNI		0x08
#define TM_GENEVE_HLEN		8
#define TM_GTP_HLEN		8
#define TM_GTP_OPT_HLEN		4
#define TM_GTP_GPDU		0xff
#define TM_GTP_F_E		0x04
#define TM_GTP_F_S		0x02
#define TM_GTP_F_PN		0x01
/* GTP-U extension headers followed in one frame */
#define TM_DECAP_GTP_EXT_MAX	8

#define TM_PPPOE_HLEN		6

/**
 * struct tm_decap_win - a window of a frame, seen as a packet of its own
 * @pkt: the frame, for @read
 * @read: the frame's reader
 * @base: where the window starts in the frame
 * @len: its length
 */
struct tm_decap_win {
	const void *pkt;
	tm_read_t read;
	unsigned int base;
	unsigned int len;
};

/* &tm_read_t over a window: aligned as the parser needs (tm_read_t) */
static const void *tm_decap_win_read(const void *pkt, unsigned int off,
				     unsigned int len, void *buf)
{
	const struct tm_decap_win *w = pkt;
	const void *p;

	if (off > w->len || len > w->len - off)
		return NULL;
	p = w->read(w->pkt, w->base + off, len, buf);
	if (p && p != buf && ((unsigned long)p & 3)) {
		memcpy(buf, p, len);
		return buf;
	}
	return p;
}

/**
 * struct tm_decap_walk - the walk's position
 * @pkt: the frame
 * @read: its reader
 * @off: the next header
 * @end: where the current layer's payload ends
 */
struct tm_decap_walk {
	const void *pkt;
	tm_read_t read;
	unsigned int off;
	unsigned int end;
};

/* @len bytes at @off from the current header, inside the layer, or NULL */
static const u8 *tm_decap_at(const struct tm_decap_walk *w, unsigned int off,
			     unsigned int len, void *buf)
{
	if (off > w->end - w->off || len > w->end - w->off - off)
		return NULL;
	return w->read(w->pkt, w->off + off, len, buf);
}

/* Whether the layer holds @len bytes from the current header */
static bool tm_decap_has(const struct tm_decap_walk *w, unsigned int len)
{
	return len <= w->end - w->off;
}

static unsigned int tm_be16(const u8 *b)
{
	return (unsigned int)b[0] << 8 | b[1];
}

/* The next step of the walk */
enum tm_dnext {
	TM_DN_NONE,	/* nothing known: hand over, or not IP */
	TM_DN_IP4,
	TM_DN_IP6,
	TM_DN_IP,	/* by the version nibble */
	TM_DN_ETH,
	TM_DN_ETYPE,	/* VLAN tags, then the Ethertype's payload */
	TM_DN_PPPOE,
	TM_DN_PPP,
	TM_DN_GRE,
	TM_DN_UDP,	/* a UDP tunnel, by its port */
	TM_DN_BAD,	/* a tunnel's header does not parse */
};

static enum tm_dnext tm_decap_etype(unsigned int etype)
{
	switch (etype) {
	case TM_ETH_P_IP:
		return TM_DN_IP4;
	case TM_ETH_P_IPV6:
		return TM_DN_IP6;
	case TM_ETH_P_PPP_SES:
		return TM_DN_PPPOE;
	}
	return TM_DN_NONE;
}

/* The same for the IP packet at @w->off */
static bool tm_decap_maybe_tunnel(const struct tm_decap_walk *w, u8 family)
{
	u8 buf[1];
	const u8 *h;

	/* IPv4's protocol at byte 9, IPv6's next header at byte 6 */
	h = tm_decap_at(w, family == 4 ? 9 : 6, 1, buf);
	return h && mos_tm_tunnel_proto(h[0], family);
}

/*
 * An IP packet at @w->off: the one to hand over (%TM_DN_NONE), or a
 * tunnel's, whose payload the walk enters: @w moved to it, the next step
 * returned (%TM_DN_UDP with the port in @port)
 */
static enum tm_dnext tm_decap_ip(struct tm_decap_walk *w, u8 family,
				 unsigned int *port)
{
	struct tm_decap_win win = {
		.pkt = w->pkt, .read = w->read,
		.base = w->off, .len = w->end - w->off,
	};
	enum tm_dnext next;
	enum tm_parse_res r;
	struct tm_pkt p;
	u8 ubuf[TM_UDP_HLEN];
	const u8 *uh;
	unsigned int ulen;

	if (!tm_decap_maybe_tunnel(w, family))
		return TM_DN_NONE;
	r = mos_tm_parse(&win, win.len, family, 0, tm_decap_win_read, &p);
	if (r != TM_PKT_OTHER)
		return TM_DN_NONE;
	switch (p.l4proto) {
	case IPPROTO_IPIP:
		next = TM_DN_IP4;
		break;
	case IPPROTO_IPV6:
		next = TM_DN_IP6;
		break;
	case IPPROTO_GRE:
		next = TM_DN_GRE;
		break;
	case IPPROTO_UDP:
		uh = tm_decap_win_read(&win, p.l4off, sizeof(ubuf), ubuf);
		if (!uh)
			return TM_DN_NONE;
		*port = tm_be16(uh + 2);
		if (*port != TM_PORT_VXLAN && *port != TM_PORT_GENEVE &&
		    *port != TM_PORT_GTPU)
			return TM_DN_NONE;
		ulen = tm_be16(uh + 4);
		/* A UDP length the IP packet cannot hold */
		if (ulen < TM_UDP_HLEN || ulen > p.l4len)
			return TM_DN_BAD;
		w->off += p.l4off + TM_UDP_HLEN;
		w->end = w->off + ulen - TM_UDP_HLEN;
		return TM_DN_UDP;
	default:
		return TM_DN_NONE;
	}
	w->end = w->off + p.l4off + p.l4len;
	w->off += p.l4off;
	return next;
}

/* Skip a GRE header; its payload's next header */
static enum tm_decap_res tm_decap_gre(struct tm_decap_walk *w,
				      enum tm_dnext *next)
{
	u8 buf[TM_ERSPAN_III_HLEN];
	unsigned int flags, proto, hlen = 4, ver, w3;
	const u8 *h;

	h = tm_decap_at(w, 0, 4, buf);
	if (!h)
		return TM_DECAP_BAD;
	flags = tm_be16(h);
	proto = tm_be16(h + 2);
	if (flags & TM_GRE_VERSION)
		return TM_DECAP_UNKNOWN;
	if (flags & TM_GRE_ROUTING)
		return TM_DECAP_BAD;
	hlen += (flags & TM_GRE_CSUM ? 4 : 0) + (flags & TM_GRE_KEY ? 4 : 0) +
		(flags & TM_GRE_SEQ ? 4 : 0);
	if (!tm_decap_has(w, hlen))
		return TM_DECAP_BAD;
	w->off += hlen;
	switch (proto) {
	case TM_ETH_P_IP:
		*next = TM_DN_IP4;
		return TM_DECAP_IP;
	case TM_ETH_P_IPV6:
		*next = TM_DN_IP6;
		return TM_DECAP_IP;
	case TM_ETH_P_TEB:
		*next = TM_DN_ETH;
		return TM_DECAP_IP;
	case TM_ETH_P_ERSPAN:
	case TM_ETH_P_ERSPAN2:
		break;
	default:
		return TM_DECAP_UNKNOWN;
	}
	/* Type I: the mirrored frame right after a bare GRE header */
	if (proto == TM_ETH_P_ERSPAN && hlen == 4) {
		*next = TM_DN_ETH;
		return TM_DECAP_IP;
	}
	h = tm_decap_at(w, 0, 4, buf);
	if (!h)
		return TM_DECAP_BAD;
	ver = h[0] >> 4;
	if (proto == TM_ETH_P_ERSPAN) {
		if (ver != 1)
			return TM_DECAP_BAD;
		if (!tm_decap_has(w, TM_ERSPAN_II_HLEN))
			return TM_DECAP_BAD;
		w->off += TM_ERSPAN_II_HLEN;
		*next = TM_DN_ETH;
		return TM_DECAP_IP;
	}
	if (ver != 2)
		return TM_DECAP_BAD;
	h = tm_decap_at(w, 0, TM_ERSPAN_III_HLEN, buf);
	if (!h)
		return TM_DECAP_BAD;
	/* SGT(16) P(1) FT(5) Hw ID(6) D(1) Gra(2) O(1) */
	w3 = (u32)h[8] << 24 | (u32)h[9] << 16 | (u32)h[10] << 8 | h[11];
	hlen = TM_ERSPAN_III_HLEN + (w3 & 1 ? TM_ERSPAN_III_SUBHLEN : 0);
	if (!tm_decap_has(w, hlen))
		return TM_DECAP_BAD;
	w->off += hlen;
	switch ((w3 >> 10) & 0x1f) {
	case 0:
		*next = TM_DN_ETH;
		return TM_DECAP_IP;
	case 2:
		*next = TM_DN_IP;
		return TM_DECAP_IP;
	}
	return TM_DECAP_UNKNOWN;
}

/* Skip a VXLAN, Geneve or GTP-U header; its payload's next header */
static enum tm_decap_res tm_decap_udp(struct tm_decap_walk *w,
				      unsigned int port, enum tm_dnext *next)
{
	unsigned int hlen, len, proto, i, elen;
	u8 buf[TM_GTP_HLEN + TM_GTP_OPT_HLEN];
	const u8 *h;

	switch (port) {
	case TM_PORT_VXLAN:
		h = tm_decap_at(w, 0, TM_VXLAN_HLEN, buf);
		if (!h || !(h[0] & TM_VXLAN_F_VNI))
			return TM_DECAP_BAD;
		w->off += TM_VXLAN_HLEN;
		*next = TM_DN_ETH;
		return TM_DECAP_IP;
	case TM_PORT_GENEVE:
		h = tm_decap_at(w, 0, TM_GENEVE_HLEN, buf);
		if (!h)
			return TM_DECAP_BAD;
		if (h[0] >> 6)
			return TM_DECAP_UNKNOWN;
		hlen = TM_GENEVE_HLEN + (h[0] & 0x3f) * 4;
		proto = tm_be16(h + 2);
		if (!tm_decap_has(w, hlen))
			return TM_DECAP_BAD;
		w->off += hlen;
		if (proto == TM_ETH_P_TEB)
			*next = TM_DN_ETH;
		else if (proto == TM_ETH_P_IP)
			*next = TM_DN_IP4;
		else if (proto == TM_ETH_P_IPV6)
			*next = TM_DN_IP6;
		else
			return TM_DECAP_UNKNOWN;
		return TM_DECAP_IP;
	}
	/* GTP-U */
	h = tm_decap_at(w, 0, TM_GTP_HLEN, buf);
	if (!h)
		return TM_DECAP_BAD;
	/* version 1, protocol type 1 (GTP, not GTP') */
	if ((h[0] >> 5) != 1 || !(h[0] & 0x10))
		return TM_DECAP_UNKNOWN;
	if (h[1] != TM_GTP_GPDU)
		return TM_DECAP_UNKNOWN;
	len = tm_be16(h + 2);
	if (len > w->end - w->off - TM_GTP_HLEN)
		return TM_DECAP_BAD;
	w->end = w->off + TM_GTP_HLEN + len;
	hlen = TM_GTP_HLEN;
	if (h[0] & (TM_GTP_F_E | TM_GTP_F_S | TM_GTP_F_PN)) {
		bool ext = h[0] & TM_GTP_F_E;

		h = tm_decap_at(w, 0, TM_GTP_HLEN + TM_GTP_OPT_HLEN, buf);
		if (!h)
			return TM_DECAP_BAD;
		hlen += TM_GTP_OPT_HLEN;
		/* the next extension header type, in the last byte */
		proto = ext ? h[TM_GTP_HLEN + 3] : 0;
		for (i = 0; proto; i++) {
			if (i == TM_DECAP_GTP_EXT_MAX)
				return TM_DECAP_BAD;
			h = tm_decap_at(w, hlen, 1, buf);
			if (!h || !h[0])
				return TM_DECAP_BAD;
			elen = h[0] * 4;
			h = tm_decap_at(w, hlen + elen - 1, 1, buf);
			if (!h)
				return TM_DECAP_BAD;
			proto = h[0];
			hlen += elen;
		}
	}
	w->off += hlen;
	*next = TM_DN_IP;
	return TM_DECAP_IP;
}

/* The next header of a PPP protocol field at @w->off, which it skips */
static enum tm_decap_res tm_decap_ppp(struct tm_decap_walk *w,
				      enum tm_dnext *next)
{
	unsigned int proto;
	u8 buf[2];
	const u8 *h;

	h = tm_decap_at(w, 0, 1, buf);
	if (!h)
		return TM_DECAP_BAD;
	/* A protocol field compressed to its low byte (RFC 1661 6.5) */
	if (h[0] & 1) {
		proto = h[0];
		w->off += 1;
	} else {
		h = tm_decap_at(w, 0, 2, buf);
		if (!h)
			return TM_DECAP_BAD;
		proto = tm_be16(h);
		w->off += 2;
	}
	if (proto == TM_PPP_IP)
		*next = TM_DN_IP4;
	else if (proto == TM_PPP_IPV6)
		*next = TM_DN_IP6;
	else
		*next = TM_DN_NONE;
	return TM_DECAP_IP;
}

/* Nothing IP to hand over: the frame's own payload, or a tunnel's */
static enum tm_decap_res tm_decap_none(const struct tm_decap *d)
{
	return d->depth ? TM_DECAP_UNKNOWN : TM_DECAP_NONIP;
}

/*
 * An IP packet at @w->off (@next says its family, or the version nibble
 * does): set @d to it; the next step when it is a tunnel's and @tunnels,
 * else %TM_DN_NONE
 */
static enum tm_dnext tm_decap_ip_next(struct tm_decap_walk *w,
				      enum tm_dnext next, bool tunnels,
				      struct tm_decap *d)
{
	u8 buf[1];
	const u8 *h;

	if (next == TM_DN_IP) {
		h = tm_decap_at(w, 0, 1, buf);
		d->family = h ? h[0] >> 4 : 0;
	} else {
		d->family = next == TM_DN_IP4 ? 4 : 6;
	}
	d->off = w->off;
	d->len = w->end - w->off;
	if (!tunnels || (d->family != 4 && d->family != 6))
		return TM_DN_NONE;
	return tm_decap_ip(w, d->family, &d->port);
}

/**
 * mos_tm_decap() - find the IP packet a frame carries
 * @pkt:	the frame, handed to @read
 * @len:	its length
 * @read:	reader for @pkt; offsets from the frame's start
 * @link:	the header at @d->off
 * @flags:	%TM_DECAP_F_TUNNELS to enter tunnels and PPPoE
 * @d:		in: @d->off, @d->etype; out: where the packet is
 *
 * Context: any; does not sleep or allocate.
 * Return: &enum tm_decap_res; @d->off, @d->len and @d->family are set for
 * %TM_DECAP_IP, @d->depth always.
 */
enum tm_decap_res mos_tm_decap(const void *pkt, unsigned int len,
			       tm_read_t read, enum tm_link link,
			       unsigned int flags, struct tm_decap *d)
{
	struct tm_decap_walk w = {
		.pkt = pkt, .read = read, .off = d->off, .end = len,
	};
	bool tunnels = flags & TM_DECAP_F_TUNNELS;
	unsigned int etype = d->etype, tags, plen;
	enum tm_decap_res r;
	enum tm_dnext next;
	u8 buf[TM_ETH_FAST];
	const u8 *h;

	d->depth = 0;
	if (w.off > len)
		return TM_DECAP_BAD;
	/*
	 * Most frames: Ethernet, then IPv4 or IPv6 that is no tunnel's, in
	 * one read (the Ethernet header and the IP header's first 10 bytes)
	 */
	if (link == TM_LINK_ETH) {
		h = tm_decap_at(&w, 0, TM_ETH_FAST, buf);
		etype = h ? tm_be16(h + 12) : 0;
		if (etype == TM_ETH_P_IP || etype == TM_ETH_P_IPV6) {
			d->family = etype == TM_ETH_P_IP ? 4 : 6;
			if (!tunnels ||
			    !mos_tm_tunnel_proto(h[d->family == 4 ? 23 : 20],
						   d->family)) {
				d->off = w.off + TM_ETH_HLEN;
				d->len = w.end - d->off;
				return TM_DECAP_IP;
			}
		}
	}
	switch (link) {
	case TM_LINK_ETH:
		next = TM_DN_ETH;
		break;
	case TM_LINK_ETYPE:
		next = TM_DN_ETYPE;
		break;
	case TM_LINK_PPP:
		next = TM_DN_PPP;
		break;
	case TM_LINK_PPPOE:
		next = TM_DN_PPPOE;
		break;
	default:
		next = TM_DN_IP;
		break;
	}

	for (;;) {
		r = TM_DECAP_IP;
		switch (next) {
		case TM_DN_ETH:
			h = tm_decap_at(&w, 0, TM_ETH_HLEN, buf);
			if (!h)
				return TM_DECAP_BAD;
			etype = tm_be16(h + 12);
			w.off += TM_ETH_HLEN;
			fallthrough;
		case TM_DN_ETYPE:
			for (tags = 0; etype == TM_ETH_P_8021Q ||
			     etype == TM_ETH_P_8021AD; tags++) {
				if (tags == TM_VLAN_MAX)
					return tm_decap_none(d);
				h = tm_decap_at(&w, 0, TM_VLAN_HLEN, buf);
				if (!h)
					return TM_DECAP_BAD;
				etype = tm_be16(h + 2);
				w.off += TM_VLAN_HLEN;
			}
			next = tm_decap_etype(etype);
			if (next == TM_DN_PPPOE && !tunnels)
				next = TM_DN_NONE;
			break;
		case TM_DN_PPPOE:
			if (++d->depth > TM_DECAP_DEPTH_MAX)
				return TM_DECAP_DEEP;
			h = tm_decap_at(&w, 0, TM_PPPOE_HLEN, buf);
			/* version 1, type 1, code 0: session data */
			if (!h || h[0] != 0x11 || h[1])
				return TM_DECAP_BAD;
			plen = tm_be16(h + 4);
			if (plen > w.end - w.off - TM_PPPOE_HLEN)
				return TM_DECAP_BAD;
			w.off += TM_PPPOE_HLEN;
			w.end = w.off + plen;
			fallthrough;
		case TM_DN_PPP:
			r = tm_decap_ppp(&w, &next);
			break;
		case TM_DN_IP4:
		case TM_DN_IP6:
		case TM_DN_IP:
			next = tm_decap_ip_next(&w, next, tunnels, d);
			/* A tunnel's payload that is not IP after all */
			if (d->depth && d->family != 4 && d->family != 6)
				return TM_DECAP_UNKNOWN;
			if (next == TM_DN_NONE)
				return TM_DECAP_IP;
			if (++d->depth > TM_DECAP_DEPTH_MAX)
				return TM_DECAP_DEEP;
			if (next == TM_DN_BAD)
				return TM_DECAP_BAD;
			break;
		case TM_DN_GRE:
			r = tm_decap_gre(&w, &next);
			break;
		case TM_DN_UDP:
			r = tm_decap_udp(&w, d->port, &next);
			break;
		default:
			return tm_decap_none(d);
		}
		if (r != TM_DECAP_IP)
			return r;
		if (next == TM_DN_NONE)
			return tm_decap_none(d);
	}
}
