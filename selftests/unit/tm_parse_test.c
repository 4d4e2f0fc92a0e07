// SPDX-License-Identifier: GPL-2.0
/*
 * tm_parse_test.c - unit tests of the tcpmon header parser, in userspace
 *
 * Packets are built here byte by byte; each test asserts what the parser
 * made of them, and that it never reads past the packet (the reader
 * refuses, and ASan watches the buffer).
 */

#include <stdlib.h>
#include "kselftest_harness.h"
#include "tcpmon.h"

/* Parse a heap copy of exactly @len bytes, so an overread is caught. */
static enum tm_parse_res parse(const void *data, unsigned int len, u8 family,
			       unsigned int flags, struct tm_pkt *p)
{
	unsigned char *copy = malloc(len ? len : 1);
	struct tm_flat b = { copy, len };
	enum tm_parse_res r;

	memcpy(copy, data, len);
	r = mos_tm_parse(&b, len, family, flags, tm_flat_read, p);
	free(copy);
	return r;
}

static unsigned int put_ipv4(unsigned char *b, unsigned int ihl_words,
			     u8 proto, unsigned int tot, unsigned int frag)
{
	memset(b, 0, ihl_words * 4);
	b[0] = 0x40 | ihl_words;
	b[2] = tot >> 8;
	b[3] = tot & 0xff;
	b[6] = frag >> 8;
	b[7] = frag & 0xff;
	b[8] = 64;
	b[9] = proto;
	return ihl_words * 4;
}

static unsigned int put_ipv6(unsigned char *b, u8 nexthdr, unsigned int plen)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = plen >> 8;
	b[5] = plen & 0xff;
	b[6] = nexthdr;
	b[7] = 64;
	return 40;
}

static unsigned int put_tcp(unsigned char *b, unsigned int doff_words,
			    u8 flags, u32 seq, u32 ack)
{
	memset(b, 0, doff_words * 4);
	b[0] = 0x30; b[1] = 0x39;	/* 12345 */
	b[2] = 0x00; b[3] = 0x50;	/* 80 */
	b[4] = seq >> 24; b[5] = seq >> 16; b[6] = seq >> 8; b[7] = seq;
	b[8] = ack >> 24; b[9] = ack >> 16; b[10] = ack >> 8; b[11] = ack;
	b[12] = doff_words << 4;
	b[13] = flags;
	b[14] = 0xff; b[15] = 0xf0;
	return doff_words * 4;
}

TEST(ipv4_syn)
{
	unsigned char pkt[64];
	struct tm_pkt p;
	unsigned int n;

	n = put_ipv4(pkt, 5, IPPROTO_TCP, 44, 0);
	n += put_tcp(pkt + n, 6, TM_TCPF_SYN, 0xfffffff0, 0);
	ASSERT_EQ(44, n);
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n, 4, 0, &p));
	EXPECT_EQ(4, p.family);
	EXPECT_EQ(IPPROTO_TCP, p.l4proto);
	EXPECT_EQ(TM_TCPF_SYN, p.tcp_flags);
	EXPECT_EQ(20, p.l4off);
	EXPECT_EQ(24, p.l4len);
	EXPECT_EQ(24, p.doff);
	EXPECT_EQ(0xfffffff0, p.seq);
	EXPECT_EQ(0xfff0, p.window);
}

TEST(ipv4_options_and_payload)
{
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int n;

	n = put_ipv4(pkt, 15, IPPROTO_TCP, 60 + 20 + 10, 0);
	n += put_tcp(pkt + n, 5, TM_TCPF_ACK | TM_TCPF_PSH, 1, 2);
	memset(pkt + n, 'x', 10);
	n += 10;
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n, 4, 0, &p));
	EXPECT_EQ(60, p.l4off);
	EXPECT_EQ(30, p.l4len);
	EXPECT_EQ(2, p.ack_seq);
	/* Trailing bytes past the IP length (Ethernet padding) are ignored. */
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n + 6 > sizeof(pkt) ? n : n + 6, 4, 0, &p));
	EXPECT_EQ(30, p.l4len);
}

/*
 * IPv4 options as Linux's ip_options_compile() takes them on receive
 * (net/ipv4/ip_options.c, called by ip_rcv_options() for every received
 * packet with options): what it refuses is dropped by the receiver's IP
 * layer, and not tracked.
 */
TEST(ipv4_options_linux)
{
	static const struct {
		const char *opts;
		unsigned int len;
		enum tm_parse_res want;
	} c[] = {
		{ "\x01\x01\x01\x00", 4, TM_PKT_TCP },
		/* End of list: what follows is not looked at */
		{ "\x00\x9e\x00\x00", 4, TM_PKT_TCP },
		/* unknown options pass, with a valid length */
		{ "\x9e\x04\x00\x00", 4, TM_PKT_TCP },
		{ "\x9e\x00\x00\x00", 4, TM_PKT_IP4_OPT_DROP },
		{ "\x9e\x01\x00\x00", 4, TM_PKT_IP4_OPT_DROP },
		{ "\x9e\x08\x00\x00", 4, TM_PKT_IP4_OPT_DROP },
		/* a type byte alone at the end */
		{ "\x01\x01\x01\x9e", 4, TM_PKT_IP4_OPT_DROP },
		/* record route: length 3 at least, pointer 4 at least, room
		 * for an address when the pointer is inside, once
		 */
		{ "\x07\x07\x04\0\0\0\0\x00", 8, TM_PKT_TCP },
		{ "\x07\x07\x08\0\0\0\0\x00", 8, TM_PKT_TCP },
		{ "\x07\x07\x05\0\0\0\0\x00", 8, TM_PKT_IP4_OPT_DROP },
		{ "\x07\x07\x03\0\0\0\0\x00", 8, TM_PKT_IP4_OPT_DROP },
		{ "\x07\x02\x01\x00", 4, TM_PKT_IP4_OPT_DROP },
		{ "\x07\x03\x08\x07\x03\x08\x00\x00", 8, TM_PKT_IP4_OPT_DROP },
		/* timestamps: length 4, pointer 5 at least; a full one counts
		 * its overflow, 15 is refused
		 */
		{ "\x44\x04\x05\x00", 4, TM_PKT_TCP },
		{ "\x44\x04\x05\xe0", 4, TM_PKT_TCP },
		{ "\x44\x04\x05\xf0", 4, TM_PKT_IP4_OPT_DROP },
		{ "\x44\x08\x05\x00\0\0\0\0", 8, TM_PKT_TCP },
		{ "\x44\x08\x04\x00\0\0\0\0", 8, TM_PKT_IP4_OPT_DROP },
		{ "\x44\x08\x06\x00\0\0\0\0", 8, TM_PKT_IP4_OPT_DROP },
		/* with addresses (flag 1) or prespecified (3): 8 bytes each */
		{ "\x44\x08\x05\x01\0\0\0\0", 8, TM_PKT_IP4_OPT_DROP },
		{ "\x44\x0c\x05\x01\0\0\0\0\0\0\0\0", 12, TM_PKT_TCP },
		{ "\x44\x08\x05\x03\0\0\0\0", 8, TM_PKT_IP4_OPT_DROP },
		{ "\x44\x08\x05\x02\0\0\0\0", 8, TM_PKT_TCP },
		{ "\x44\x04\x05\x00\x44\x04\x05\x00", 8, TM_PKT_IP4_OPT_DROP },
		/* router alert: length 4 */
		{ "\x94\x04\x00\x00", 4, TM_PKT_TCP },
		{ "\x94\x02\x00\x00", 4, TM_PKT_IP4_OPT_DROP },
		/* CIPSO: no DOI configured */
		{ "\x86\x08\x00\x00\x00\x01\x00\x00", 8, TM_PKT_IP4_OPT_DROP },
		/* source routes parse (the hook checks accept_source_route);
		 * a bad pointer, or two, are refused
		 */
		{ "\x83\x07\x04\0\0\0\0\x00", 8, TM_PKT_TCP },
		{ "\x89\x07\x04\0\0\0\0\x00", 8, TM_PKT_TCP },
		{ "\x83\x07\x03\0\0\0\0\x00", 8, TM_PKT_IP4_OPT_DROP },
		{ "\x83\x03\x04\x89\x03\x04\x00\x00", 8, TM_PKT_IP4_OPT_DROP },
	};
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int i, n;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = put_ipv4(pkt, 5 + c[i].len / 4, IPPROTO_TCP,
			     20 + c[i].len + 20, 0);
		memcpy(pkt + 20, c[i].opts, c[i].len);
		n += put_tcp(pkt + n, 5, TM_TCPF_ACK, 1, 2);
		EXPECT_EQ(c[i].want, parse(pkt, n, 4, 0, &p)) {
			TH_LOG("options %u: %02x %02x %02x %02x", i,
			       pkt[20], pkt[21], pkt[22], pkt[23]);
		}
	}
	EXPECT_TRUE(tm_parse_undelivered(TM_PKT_IP4_OPT_DROP));
}

TEST(ipv4_bad_headers)
{
	unsigned char pkt[64];
	struct tm_pkt p;
	unsigned int n;

	/* shorter than an IP header */
	put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 19, 4, 0, &p));
	/* IHL below 5 */
	put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0);
	pkt[0] = 0x44;
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 40, 4, 0, &p));
	/* wrong version */
	put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0);
	pkt[0] = 0x65;
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 40, 4, 0, &p));
	/* total length past the packet */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 41, 0);
	n += put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, n, 4, 0, &p));
	/* total length below the header length */
	put_ipv4(pkt, 6, IPPROTO_TCP, 20, 0);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 44, 4, 0, &p));
	/* zero length is only "all of it" for a GSO aggregate */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 0, 0);
	n += put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, n, 4, 0, &p));
	EXPECT_EQ(TM_PKT_TCP, parse(pkt, n, 4, TM_PARSE_F_GSO, &p));
	EXPECT_EQ(20, p.l4len);
	/* unknown family */
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, n, 5, 0, &p));
}

TEST(tcp_bad_headers)
{
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int n;

	/* truncated TCP header: 19 bytes */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 39, 0);
	put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 39, 4, 0, &p));
	/* data offset below 5, for every such value */
	for (int d = 0; d < 5; d++) {
		n = put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0);
		put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
		pkt[n + 12] = d << 4;
		EXPECT_EQ(TM_PKT_BAD, parse(pkt, 40, 4, 0, &p));
	}
	/* data offset past the IP payload */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 44, 0);
	put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
	pkt[n + 12] = 6 << 4 | 0;
	EXPECT_EQ(TM_PKT_TCP, parse(pkt, 44, 4, 0, &p));
	pkt[n + 12] = 7 << 4;
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 44, 4, 0, &p));
	pkt[n + 12] = 15 << 4;
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 44, 4, 0, &p));
}

TEST(ipv4_other)
{
	unsigned char pkt[64];
	struct tm_pkt p;

	put_ipv4(pkt, 5, IPPROTO_UDP, 28, 0);
	EXPECT_EQ(TM_PKT_OTHER, parse(pkt, 28, 4, 0, &p));
	EXPECT_EQ(IPPROTO_UDP, p.l4proto);
}

/*
 * A fragment is part of a datagram: ip_local_deliver() hands TCP the
 * reassembled datagram only (ip_is_fragment(): MF or an offset).  DF
 * alone is a whole datagram.
 */
TEST(ipv4_fragments)
{
	unsigned char pkt[64];
	struct tm_pkt p;
	unsigned int n;

	/* non-first fragment of TCP (offset 185 * 8) */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 40, 185);
	put_tcp(pkt + n, 5, 0xff, 0, 0);
	EXPECT_EQ(TM_PKT_FRAG, parse(pkt, 40, 4, 0, &p));
	EXPECT_EQ(IPPROTO_TCP, p.l4proto);
	/* last fragment: offset, no MF */
	put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0x0001);
	EXPECT_EQ(TM_PKT_FRAG, parse(pkt, 40, 4, 0, &p));
	/* first fragment: MF set, offset 0, a TCP header that parses */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0x2000);
	put_tcp(pkt + n, 5, TM_TCPF_SYN, 0, 0);
	EXPECT_EQ(TM_PKT_FRAG, parse(pkt, 40, 4, 0, &p));
	EXPECT_TRUE(tm_parse_undelivered(TM_PKT_FRAG));
	/* the same with DF instead of MF: a whole segment */
	put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0x4000);
	EXPECT_EQ(TM_PKT_TCP, parse(pkt, 40, 4, 0, &p));
	/* a fragment of another protocol */
	put_ipv4(pkt, 5, IPPROTO_UDP, 28, 0x2000);
	EXPECT_EQ(TM_PKT_FRAG, parse(pkt, 28, 4, 0, &p));
	/* a fragment that is cut is malformed first */
	put_ipv4(pkt, 5, IPPROTO_TCP, 41, 0x2000);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 40, 4, 0, &p));
}

TEST(ipv6_plain_and_exthdrs)
{
	unsigned char pkt[256];
	struct tm_pkt p;
	unsigned int n, ext;

	n = put_ipv6(pkt, IPPROTO_TCP, 20);
	n += put_tcp(pkt + n, 5, TM_TCPF_SYN | TM_TCPF_ACK, 7, 8);
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n, 6, 0, &p));
	EXPECT_EQ(6, p.family);
	EXPECT_EQ(40, p.l4off);
	EXPECT_EQ(TM_TCPF_SYN | TM_TCPF_ACK, p.tcp_flags);

	/* hop-by-hop (8) -> destination options (16) -> AH (12) ->
	 * fragment, offset 0 (8) -> TCP
	 */
	ext = 8 + 16 + 12 + 8;
	n = put_ipv6(pkt, IPPROTO_HOPOPTS, ext + 20);
	memset(pkt + n, 0, ext);
	pkt[n] = IPPROTO_DSTOPTS; pkt[n + 1] = 0;
	pkt[n + 8] = IPPROTO_AH; pkt[n + 9] = 1;
	/* an option to skip (type 0x1e: 00 high bits), 10 bytes; PadN 0 */
	pkt[n + 10] = 0x1e; pkt[n + 11] = 8;
	pkt[n + 20] = 1; pkt[n + 21] = 0;
	pkt[n + 24] = IPPROTO_FRAGMENT; pkt[n + 25] = 1;
	pkt[n + 36] = IPPROTO_TCP;
	n += ext;
	n += put_tcp(pkt + n, 5, TM_TCPF_FIN | TM_TCPF_ACK, 0, 0);
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n, 6, 0, &p));
	EXPECT_EQ(40 + ext, p.l4off);
	EXPECT_EQ(20, p.l4len);
	EXPECT_EQ(TM_TCPF_FIN | TM_TCPF_ACK, p.tcp_flags);

	/* the same chain, cut inside the destination options header */
	pkt[4] = 0; pkt[5] = 12;
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 52, 6, 0, &p));
}

TEST(ipv6_other_fragment_esp_nonext)
{
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int n;

	n = put_ipv6(pkt, IPPROTO_FRAGMENT, 8 + 20);
	memset(pkt + n, 0, 8);
	pkt[n] = IPPROTO_TCP;
	pkt[n + 3] = 0x08;	/* offset 1 (8 bytes) */
	EXPECT_EQ(TM_PKT_FRAG, parse(pkt, n + 28, 6, 0, &p));
	EXPECT_EQ(IPPROTO_TCP, p.l4proto);

	n = put_ipv6(pkt, 50 /* ESP */, 16);
	EXPECT_EQ(TM_PKT_OTHER, parse(pkt, n + 16, 6, 0, &p));
	n = put_ipv6(pkt, 59 /* no next header */, 0);
	EXPECT_EQ(TM_PKT_OTHER, parse(pkt, n, 6, 0, &p));
	n = put_ipv6(pkt, IPPROTO_UDP, 8);
	EXPECT_EQ(TM_PKT_OTHER, parse(pkt, n + 8, 6, 0, &p));
}

TEST(ipv6_bad)
{
	unsigned char pkt[256];
	struct tm_pkt p;
	unsigned int n, i;

	/* payload length past the packet */
	n = put_ipv6(pkt, IPPROTO_TCP, 21);
	n += put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, n, 6, 0, &p));
	/* short header, wrong version */
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 39, 6, 0, &p));
	put_ipv6(pkt, IPPROTO_TCP, 20);
	pkt[0] = 0x40;
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, 60, 6, 0, &p));
	/* extension header length past the payload */
	n = put_ipv6(pkt, IPPROTO_HOPOPTS, 16);
	memset(pkt + n, 0, 16);
	pkt[n] = IPPROTO_TCP; pkt[n + 1] = 2;	/* 24 bytes */
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, n + 16, 6, 0, &p));
	/* an extension header cut by the packet's end, not the length */
	n = put_ipv6(pkt, IPPROTO_DSTOPTS, 16 + 20);
	memset(pkt + n, 0, 16);
	pkt[n] = IPPROTO_TCP; pkt[n + 1] = 1;
	for (i = 0; i < 16 + 20 + 40; i++)
		EXPECT_EQ(TM_PKT_BAD, parse(pkt, i, 6, 0, &p));
}

/*
 * IPv6 packets through their extension headers: ipv6_skip_exthdr() and
 * the receive path (ip6_rcv_core(), ip6_protocol_deliver_rcu(),
 * ip6_parse_tlv() in net/ipv6/exthdrs.c, Linux 6.1 and 6.12) say what
 * is expected.
 */

/* Put an IPv6 header, then one options header (@type) holding @opt, then
 * a 20-byte TCP header; @opt's length + 2 must be a multiple of 8.
 */
static unsigned int put_v6_opts(unsigned char *b, u8 type, const u8 *opt,
				unsigned int optlen, bool mcast)
{
	unsigned int n = put_ipv6(b, type, 2 + optlen + 20);

	if (mcast)
		b[24] = 0xff;	/* destination ff00::/8 */
	b[n] = IPPROTO_TCP;
	b[n + 1] = (2 + optlen) / 8 - 1;
	memcpy(b + n + 2, opt, optlen);
	n += 2 + optlen;
	return n + put_tcp(b + n, 5, TM_TCPF_ACK, 1, 2);
}

/* The result of a packet with one options header of @type holding @opt */
static enum tm_parse_res opts6(u8 type, const u8 *opt, unsigned int optlen)
{
	unsigned char pkt[512];
	struct tm_pkt p;

	return parse(pkt, put_v6_opts(pkt, type, opt, optlen, false), 6, 0,
		     &p);
}

/*
 * An option Linux does not know: the two high bits of its type say what
 * to do (RFC 8200 4.2, ip6_tlvopt_unknown()): 00 skip, 01 discard, 10 and
 * 11 discard (and send ICMP, to a multicast destination too for 10).
 */
TEST(ipv6_opt_unknown_action)
{
	static const u8 types[] = { 0x1e, 0x5e, 0x9e, 0xde };
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int i, n;
	u8 opt[6];

	for (i = 0; i < 4; i++) {
		enum tm_parse_res want = i ? TM_PKT_IP6_OPT_DROP : TM_PKT_TCP;

		opt[0] = types[i]; opt[1] = 4;
		memset(opt + 2, 0xab, 4);
		EXPECT_EQ(want, opts6(IPPROTO_DSTOPTS, opt, 6));
		EXPECT_EQ(want, opts6(IPPROTO_HOPOPTS, opt, 6));
		n = put_v6_opts(pkt, IPPROTO_DSTOPTS, opt, 6, true);
		EXPECT_EQ(want, parse(pkt, n, 6, 0, &p));
	}
	/* the drop is not a parse error: the caller tells them apart */
	EXPECT_TRUE(tm_parse_undelivered(TM_PKT_IP6_OPT_DROP));
	EXPECT_FALSE(tm_parse_undelivered(TM_PKT_BAD));
	EXPECT_FALSE(tm_parse_undelivered(TM_PKT_TCP));
	EXPECT_FALSE(tm_parse_undelivered(TM_PKT_OTHER));
}

/* Pad1 and PadN: at most 7 bytes of padding in a row, PadN all zeros */
TEST(ipv6_opt_padding)
{
	/* PadN of 7, skip option of 5, Pad1 x2: 7 in a row */
	static const u8 ok1[14] = { 1, 5, 0, 0, 0, 0, 0, 0x1e, 3, 9, 9, 9,
				    0, 0 };
	/* Pad1 x7, skip option of 5, Pad1 x2: the option ends the run */
	static const u8 ok2[14] = { 0, 0, 0, 0, 0, 0, 0, 0x1e, 3, 9, 9, 9,
				    0, 0 };
	/* Pad1 x8 */
	static const u8 pad1x8[14] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x1e, 4, 9,
				       9, 9, 9 };
	/* PadN of 8 */
	static const u8 padn8[14] = { 1, 6, 0, 0, 0, 0, 0, 0, 0x1e, 2, 9, 9,
				      1, 0 };
	/* Pad1 x3 and a PadN of 5: 8 in a row */
	static const u8 mixed8[14] = { 0, 0, 0, 1, 3, 0, 0, 0, 0x1e, 2, 9, 9,
				       1, 0 };
	/* PadN with a non-zero byte (RFC 4942 2.1.9.5) */
	static const u8 padn_data[14] = { 1, 2, 0, 7, 0x1e, 6, 9, 9, 9, 9, 9,
					  9, 1, 0 };
	/* an all-padding header of 16 bytes: 14 bytes of padding */
	static const u8 allpad[14] = { 0 };
	/* the 6 padding bytes of an 8-byte header */
	static const u8 pad6[6] = { 1, 4, 0, 0, 0, 0 };

	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, ok1, 14));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, ok2, 14));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_HOPOPTS, ok2, 14));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, pad6, 6));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_HOPOPTS, pad6, 6));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, pad1x8, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_HOPOPTS, pad1x8, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, padn8, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, mixed8, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, padn_data, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, allpad, 14));
}

/* At most 8 options that are not padding (max_*_opts_number = 8) */
TEST(ipv6_opt_count)
{
	u8 opt[22];
	unsigned int i;

	/* 8 empty skip options (16 bytes) and a PadN of 6 */
	memset(opt, 0, sizeof(opt));
	for (i = 0; i < 8; i++)
		opt[2 * i] = 0x1e;
	opt[16] = 1; opt[17] = 4;
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, opt, 22));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_HOPOPTS, opt, 22));
	/* 9 of them (18 bytes) and a PadN of 4 */
	memset(opt, 0, sizeof(opt));
	for (i = 0; i < 9; i++)
		opt[2 * i] = 0x1e;
	opt[18] = 1; opt[19] = 2;
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, opt, 22));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_HOPOPTS, opt, 22));
}

/* An option past the end of its header, or a lone type byte at its end */
TEST(ipv6_opt_overrun)
{
	static const u8 past[6] = { 0x1e, 5, 0, 0, 0, 0 };
	static const u8 lone[6] = { 1, 2, 0, 0, 0, 0x1e };
	static const u8 padn_past[6] = { 1, 5, 0, 0, 0, 0 };

	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, past, 6));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, lone, 6));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_HOPOPTS, padn_past, 6));
}

/*
 * The options Linux knows: Router Alert, IOAM, CALIPSO (hop-by-hop),
 * Home Address (destination); the tunnel encapsulation limit is left to
 * ip6_tnl and skipped like an unknown 00 option.
 */
TEST(ipv6_opt_known)
{
	/* Router Alert, 2 bytes of data (ipv6_hop_ra()), PadN of 2 */
	static const u8 ra[6] = { 0x05, 2, 0, 0, 1, 0 };
	static const u8 ra_long[6] = { 0x05, 4, 0, 0, 0, 0 };
	/* IOAM at offset 40 + 2 + 2 = 44 (4n) after a PadN of 2, then at
	 * offset 42 (ipv6_hop_ioam(): 4n-aligned, ioam6_enabled off)
	 */
	static const u8 ioam[14] = { 1, 0, 0x31, 8, 0, 0, 0, 0, 0, 0, 0, 0,
				     1, 0 };
	static const u8 ioam_odd[14] = { 0x31, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1,
					 2, 0, 0 };
	/* CALIPSO, 8 bytes of data, no DOI configured (calipso_validate()) */
	static const u8 calipso[14] = { 0x07, 8, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2,
					0, 0 };
	/* Home Address, 16 bytes (ipv6_dest_hao(): no Mobile IPv6 state) */
	static const u8 hao[22] = { 1, 2, 0, 0, 0xc9, 16, 0x20, 0x01, 0x0d,
				    0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    1 };
	/* tunnel encapsulation limit (RFC 2473), PadN of 3 */
	static const u8 tel[6] = { 0x04, 1, 4, 1, 1, 0 };

	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_HOPOPTS, ra, 6));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_HOPOPTS, ra_long, 6));
	/* in destination options, type 5 is unknown, 00: skipped */
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, ra_long, 6));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_HOPOPTS, ioam, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_HOPOPTS, ioam_odd, 14));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, ioam_odd, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_HOPOPTS, calipso, 14));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, calipso, 14));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_DSTOPTS, hao, 22));
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, opts6(IPPROTO_HOPOPTS, hao, 22));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_DSTOPTS, tel, 6));
	EXPECT_EQ(TM_PKT_TCP, opts6(IPPROTO_HOPOPTS, tel, 6));
}

/*
 * Jumbo Payload (RFC 2675, ipv6_hop_jumbo()): a payload length of 0 and a
 * hop-by-hop header; the option, 4 bytes at 4n + 2, says how long the
 * packet is, above 65535.  A payload length of 0 with no Jumbo option
 * leaves the packet as long as it is (ip6_rcv_core() trims only when the
 * length is not 0 or the next header is not hop-by-hop).
 */
TEST(ipv6_jumbo)
{
	unsigned int len = 40 + 8 + 20 + 70000, jumbo = 8 + 20 + 70000;
	unsigned char *pkt = calloc(1, len + 100);
	struct tm_pkt p;
	unsigned int n;

	ASSERT_NE(NULL, pkt);
	n = put_ipv6(pkt, IPPROTO_HOPOPTS, 0);
	pkt[n] = IPPROTO_TCP;
	pkt[n + 2] = 0xc2; pkt[n + 3] = 4;
	pkt[n + 4] = jumbo >> 24; pkt[n + 5] = jumbo >> 16;
	pkt[n + 6] = jumbo >> 8; pkt[n + 7] = jumbo;
	put_tcp(pkt + n + 8, 5, TM_TCPF_ACK, 1, 2);
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, len, 6, 0, &p));
	EXPECT_EQ(48, p.l4off);
	EXPECT_EQ(20 + 70000, p.l4len);
	/* bytes past the jumbo length are not the packet's */
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, len + 100, 6, 0, &p));
	EXPECT_EQ(20 + 70000, p.l4len);
	/* a jumbo length past the packet */
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, parse(pkt, len - 1, 6, 0, &p));
	/* a jumbo length of 65535 or less */
	pkt[n + 4] = 0; pkt[n + 5] = 0; pkt[n + 6] = 0xff; pkt[n + 7] = 0xff;
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, parse(pkt, len, 6, 0, &p));
	pkt[n + 4] = jumbo >> 24; pkt[n + 5] = jumbo >> 16;
	pkt[n + 6] = jumbo >> 8; pkt[n + 7] = jumbo;
	/* with a payload length that is not 0 */
	pkt[5] = 28;
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, parse(pkt, len, 6, 0, &p));
	pkt[5] = 0;
	/* not at 4n + 2: after a Pad1, in a 16-byte header */
	memmove(pkt + n + 16, pkt + n + 8, 20);
	pkt[n + 1] = 1;
	pkt[n + 2] = 0; pkt[n + 3] = 0xc2; pkt[n + 4] = 4;
	pkt[n + 5] = jumbo >> 24; pkt[n + 6] = jumbo >> 16;
	pkt[n + 7] = jumbo >> 8; pkt[n + 8] = jumbo;
	pkt[n + 9] = 1; pkt[n + 10] = 3;
	memset(pkt + n + 11, 0, 5);
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, parse(pkt, len, 6, 0, &p));
	/* a Jumbo option in destination options is unknown, 11: dropped */
	n = put_ipv6(pkt, IPPROTO_DSTOPTS, 28);
	pkt[n] = IPPROTO_TCP; pkt[n + 1] = 0;
	pkt[n + 2] = 0xc2; pkt[n + 3] = 4;
	pkt[n + 4] = 0; pkt[n + 5] = 1; pkt[n + 6] = 0; pkt[n + 7] = 0;
	put_tcp(pkt + n + 8, 5, TM_TCPF_ACK, 1, 2);
	EXPECT_EQ(TM_PKT_IP6_OPT_DROP, parse(pkt, n + 28, 6, 0, &p));

	/* payload length 0, hop-by-hop without Jumbo: the packet's length */
	n = put_ipv6(pkt, IPPROTO_HOPOPTS, 0);
	memset(pkt + n, 0, 8);
	pkt[n] = IPPROTO_TCP; pkt[n + 2] = 1; pkt[n + 3] = 4;
	put_tcp(pkt + n + 8, 5, TM_TCPF_ACK, 1, 2);
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n + 8 + 20 + 10, 6, 0, &p));
	EXPECT_EQ(30, p.l4len);
	/* payload length 0 and TCP next: no payload, no TCP header */
	n = put_ipv6(pkt, IPPROTO_TCP, 0);
	put_tcp(pkt + n, 5, TM_TCPF_ACK, 1, 2);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, n + 20, 6, 0, &p));
	free(pkt);
}

/*
 * A hop-by-hop header anywhere but right after the IPv6 header: no
 * protocol handler takes NEXTHDR_HOP (ip6_protocol_deliver_rcu()), the
 * packet is dropped with an ICMP "unknown next header".
 */
TEST(ipv6_hbh_not_first)
{
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int n;

	n = put_ipv6(pkt, IPPROTO_DSTOPTS, 8 + 8 + 20);
	memset(pkt + n, 0, 16);
	pkt[n] = IPPROTO_HOPOPTS; pkt[n + 2] = 1; pkt[n + 3] = 4;
	pkt[n + 8] = IPPROTO_TCP; pkt[n + 10] = 1; pkt[n + 11] = 4;
	put_tcp(pkt + n + 16, 5, TM_TCPF_ACK, 1, 2);
	EXPECT_EQ(TM_PKT_IP6_HBH_DROP, parse(pkt, n + 36, 6, 0, &p));
	EXPECT_TRUE(tm_parse_undelivered(TM_PKT_IP6_HBH_DROP));
	/* two hop-by-hop headers: the second is not first */
	pkt[6] = IPPROTO_HOPOPTS;
	EXPECT_EQ(TM_PKT_IP6_HBH_DROP, parse(pkt, n + 36, 6, 0, &p));
	/* first, it is fine */
	pkt[n] = IPPROTO_DSTOPTS;
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n + 36, 6, 0, &p));
	EXPECT_EQ(56, p.l4off);
}

/*
 * Routing headers as ipv6_rthdr_rcv() takes them with the default
 * sysctls (seg6_enabled 0, rpl_seg_enabled 0, CONFIG_IPV6_MIP6): with no
 * segment left the packet is this host's, but for segment routing (4),
 * RPL (3) and Mobile IPv6 (2); with segments left it goes on to the
 * next address (type 0 and unknown types: ICMP Parameter Problem).  A
 * multicast destination refuses any routing header.
 */
TEST(ipv6_routing)
{
	static const struct {
		u8 type, left;
		enum tm_parse_res want;
	} c[] = {
		{ 0, 0, TM_PKT_TCP },
		{ 0, 1, TM_PKT_IP6_RH_DROP },
		{ 2, 0, TM_PKT_IP6_RH_DROP },
		{ 2, 1, TM_PKT_IP6_RH_DROP },
		{ 3, 0, TM_PKT_IP6_RH_DROP },
		{ 4, 0, TM_PKT_IP6_RH_DROP },
		{ 4, 2, TM_PKT_IP6_RH_DROP },
		{ 5, 0, TM_PKT_TCP },
		{ 253, 0, TM_PKT_TCP },
		{ 253, 3, TM_PKT_IP6_RH_DROP },
	};
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int i, n;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = put_ipv6(pkt, IPPROTO_ROUTING, 24 + 20);
		memset(pkt + n, 0, 24);
		pkt[n] = IPPROTO_TCP; pkt[n + 1] = 2;
		pkt[n + 2] = c[i].type; pkt[n + 3] = c[i].left;
		put_tcp(pkt + n + 24, 5, TM_TCPF_ACK, 1, 2);
		EXPECT_EQ(c[i].want, parse(pkt, n + 44, 6, 0, &p)) {
			TH_LOG("routing type %u, segments left %u", c[i].type,
			       c[i].left);
		}
		/* to a multicast address: refused */
		pkt[24] = 0xff;
		EXPECT_EQ(TM_PKT_IP6_RH_DROP, parse(pkt, n + 44, 6, 0, &p));
	}
	EXPECT_TRUE(tm_parse_undelivered(TM_PKT_IP6_RH_DROP));
}

/*
 * There is no limit on the number of extension headers in Linux
 * (ipv6_skip_exthdr(), ip6_protocol_deliver_rcu()): the whole chain is
 * walked, up to the packet's length.
 */
TEST(ipv6_long_chain)
{
	unsigned int count[] = { 9, 10, 100, 1000 };
	unsigned char *pkt = malloc(40 + 1000 * 8 + 20);
	struct tm_pkt p;
	unsigned int i, j, n;

	ASSERT_NE(NULL, pkt);
	for (j = 0; j < 4; j++) {
		n = put_ipv6(pkt, IPPROTO_DSTOPTS, count[j] * 8 + 20);
		for (i = 0; i < count[j]; i++) {
			memset(pkt + n, 0, 8);
			pkt[n] = i < count[j] - 1 ? IPPROTO_DSTOPTS :
						    IPPROTO_TCP;
			/* a PadN of 6 */
			pkt[n + 2] = 1; pkt[n + 3] = 4;
			n += 8;
		}
		n += put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
		ASSERT_EQ(TM_PKT_TCP, parse(pkt, n, 6, 0, &p));
		EXPECT_EQ(40 + count[j] * 8, p.l4off);
		EXPECT_EQ(20, p.l4len);
		/* the chain cut one byte short */
		EXPECT_EQ(TM_PKT_BAD, parse(pkt, n - 1, 6, 0, &p));
	}
	/* routing (8) and AH (16: length 2 -> (2 + 2) * 4) in a long chain */
	n = put_ipv6(pkt, IPPROTO_ROUTING, 9 * 8 + 16 + 20);
	for (i = 0; i < 9; i++) {
		memset(pkt + n, 0, 8);
		pkt[n] = i < 8 ? IPPROTO_ROUTING : IPPROTO_AH;
		n += 8;
	}
	memset(pkt + n, 0, 16);
	pkt[n] = IPPROTO_TCP; pkt[n + 1] = 2;
	n += 16;
	n += put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n, 6, 0, &p));
	EXPECT_EQ(40 + 9 * 8 + 16, p.l4off);
	free(pkt);
}

/*
 * The fragment header (RFC 8200 4.5): an offset or M set is a piece of a
 * datagram; offset 0 without M is an atomic fragment, processed whole
 * (ipv6_frag_rcv()).
 */
TEST(ipv6_fragments)
{
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int n;

	n = put_ipv6(pkt, IPPROTO_FRAGMENT, 8 + 20);
	memset(pkt + n, 0, 8);
	pkt[n] = IPPROTO_TCP;
	put_tcp(pkt + n + 8, 5, TM_TCPF_SYN, 0, 0);
	/* first fragment: offset 0, M */
	pkt[n + 3] = 0x01;
	EXPECT_EQ(TM_PKT_FRAG, parse(pkt, n + 28, 6, 0, &p));
	EXPECT_EQ(IPPROTO_TCP, p.l4proto);
	/* last fragment: an offset, no M */
	pkt[n + 2] = 0x01; pkt[n + 3] = 0x00;
	EXPECT_EQ(TM_PKT_FRAG, parse(pkt, n + 28, 6, 0, &p));
	/* atomic: a whole segment; the reserved bits do not matter */
	pkt[n + 2] = 0; pkt[n + 3] = 0x06;
	ASSERT_EQ(TM_PKT_TCP, parse(pkt, n + 28, 6, 0, &p));
	EXPECT_EQ(48, p.l4off);
}

/* Every prefix of a valid packet parses as BAD or, past the headers, as
 * the right thing with a shorter length; never reads past the end.
 */
TEST(every_truncation)
{
	unsigned char pkt[128];
	struct tm_pkt p;
	unsigned int n, len;

	n = put_ipv6(pkt, IPPROTO_HOPOPTS, 8 + 32);
	memset(pkt + n, 0, 8);
	pkt[n] = IPPROTO_TCP;
	n += 8;
	n += put_tcp(pkt + n, 8, TM_TCPF_SYN, 0, 0);
	for (len = 0; len < n; len++)
		EXPECT_EQ(TM_PKT_BAD, parse(pkt, len, 6, 0, &p));
	EXPECT_EQ(TM_PKT_TCP, parse(pkt, n, 6, 0, &p));
}

/* A SYN with @optlen option bytes (a multiple of 4), parsed, then its
 * options: @pkt is kept exactly that long on the heap for ASan.
 */
static void opts(const u8 *opt, unsigned int optlen, struct tm_opts *o,
		 enum tm_parse_res *res)
{
	unsigned char pkt[128], *copy;
	struct tm_pkt p;
	struct tm_flat b;
	unsigned int n;

	n = put_ipv4(pkt, 5, IPPROTO_TCP, 40 + optlen, 0);
	n += put_tcp(pkt + n, 5 + optlen / 4, TM_TCPF_SYN, 1, 0);
	if (optlen)
		memcpy(pkt + 40, opt, optlen);
	copy = malloc(n);
	memcpy(copy, pkt, n);
	b.data = copy;
	b.len = n;
	*res = mos_tm_parse(&b, n, 4, 0, tm_flat_read, &p);
	memset(o, 0xaa, sizeof(*o));
	if (*res == TM_PKT_TCP)
		mos_tm_parse_opts(&b, tm_flat_read, &p, o);
	free(copy);
}

TEST(options_all)
{
	static const u8 opt[] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		4, 2,				/* SACK permitted */
		8, 10, 1, 2, 3, 4, 5, 6, 7, 8,	/* timestamps */
		1,				/* NOP */
		3, 3, 7,			/* window scale 7 */
	};
	enum tm_parse_res r;
	struct tm_opts o;

	static_assert(sizeof(opt) == 20, "five words");
	opts(opt, sizeof(opt), &o, &r);
	ASSERT_EQ(TM_PKT_TCP, r);
	EXPECT_EQ(1460, o.mss);
	EXPECT_TRUE(o.has_wscale);
	EXPECT_EQ(7, o.wscale);
	EXPECT_TRUE(o.sack_ok);
	EXPECT_TRUE(o.has_ts);
	EXPECT_FALSE(o.bad);
}

TEST(options_none_and_eol)
{
	static const u8 eol[] = { 1, 0, 2, 4, 0x05, 0xb4, 3, 3 };
	enum tm_parse_res r;
	struct tm_opts o;

	opts(NULL, 0, &o, &r);
	ASSERT_EQ(TM_PKT_TCP, r);
	EXPECT_EQ(0, o.mss);
	EXPECT_FALSE(o.has_wscale || o.sack_ok || o.has_ts || o.bad);
	/* EOL ends the list: what follows is not read, not even as bad */
	opts(eol, sizeof(eol), &o, &r);
	EXPECT_EQ(0, o.mss);
	EXPECT_FALSE(o.has_wscale || o.bad);
}

TEST(options_wscale_capped)
{
	static const u8 ws15[] = { 1, 3, 3, 15 }, ws14[] = { 1, 3, 3, 14 };
	static const u8 ws255[] = { 1, 3, 3, 255 }, ws0[] = { 1, 3, 3, 0 };
	enum tm_parse_res r;
	struct tm_opts o;

	opts(ws15, 4, &o, &r);
	EXPECT_TRUE(o.has_wscale);
	EXPECT_EQ(14, o.wscale);
	opts(ws255, 4, &o, &r);
	EXPECT_EQ(14, o.wscale);
	opts(ws14, 4, &o, &r);
	EXPECT_EQ(14, o.wscale);
	opts(ws0, 4, &o, &r);
	EXPECT_TRUE(o.has_wscale);
	EXPECT_EQ(0, o.wscale);
	EXPECT_FALSE(o.bad);
}

TEST(options_bad_lengths)
{
	/* MSS, then a zero-length option: the walk stops, MSS kept */
	static const u8 zero[] = { 2, 4, 0x01, 0x00, 5, 0, 3, 3 };
	/* a length of 1 */
	static const u8 one[] = { 1, 1, 30, 1 };
	/* MSS, then a window scale whose length runs past the header */
	static const u8 over[] = { 2, 4, 0x02, 0x00, 1, 1, 3, 3 };
	/* a kind in the last byte, no room for its length */
	static const u8 last[] = { 1, 1, 1, 4 };
	/* wrong lengths for known kinds: skipped, not taken, not bad */
	static const u8 odd[] = { 2, 3, 9, 4, 3, 0, 1, 1, 3, 4, 7, 7 };
	enum tm_parse_res r;
	struct tm_opts o;

	opts(zero, sizeof(zero), &o, &r);
	ASSERT_EQ(TM_PKT_TCP, r);
	EXPECT_TRUE(o.bad);
	EXPECT_EQ(256, o.mss);
	EXPECT_FALSE(o.has_wscale);
	opts(one, sizeof(one), &o, &r);
	EXPECT_TRUE(o.bad);
	opts(over, sizeof(over), &o, &r);
	EXPECT_TRUE(o.bad);
	EXPECT_EQ(512, o.mss);
	EXPECT_FALSE(o.has_wscale);
	opts(last, sizeof(last), &o, &r);
	EXPECT_TRUE(o.bad);
	opts(odd, sizeof(odd), &o, &r);
	EXPECT_FALSE(o.bad);
	EXPECT_EQ(0, o.mss);
	EXPECT_FALSE(o.has_wscale);
	EXPECT_FALSE(o.sack_ok);
}

TEST_HARNESS_MAIN
