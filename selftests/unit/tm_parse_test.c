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

TEST(ipv4_other_and_fragments)
{
	unsigned char pkt[64];
	struct tm_pkt p;
	unsigned int n;

	n = put_ipv4(pkt, 5, IPPROTO_UDP, 28, 0);
	EXPECT_EQ(TM_PKT_OTHER, parse(pkt, 28, 4, 0, &p));
	EXPECT_EQ(IPPROTO_UDP, p.l4proto);
	/* non-first fragment of TCP: no header to look at */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 40, 185);
	put_tcp(pkt + n, 5, 0xff, 0, 0);
	EXPECT_EQ(TM_PKT_OTHER, parse(pkt, 40, 4, 0, &p));
	/* first fragment (MF set, offset 0) carries the TCP header */
	n = put_ipv4(pkt, 5, IPPROTO_TCP, 40, 0x2000);
	put_tcp(pkt + n, 5, TM_TCPF_SYN, 0, 0);
	EXPECT_EQ(TM_PKT_TCP, parse(pkt, 40, 4, 0, &p));
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
	EXPECT_EQ(TM_PKT_OTHER, parse(pkt, n + 28, 6, 0, &p));
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
	/* a chain longer than the walk allows */
	n = put_ipv6(pkt, IPPROTO_DSTOPTS, 10 * 8 + 20);
	for (i = 0; i < 10; i++) {
		memset(pkt + n, 0, 8);
		pkt[n] = i < 9 ? IPPROTO_DSTOPTS : IPPROTO_TCP;
		n += 8;
	}
	n += put_tcp(pkt + n, 5, TM_TCPF_ACK, 0, 0);
	EXPECT_EQ(TM_PKT_BAD, parse(pkt, n, 6, 0, &p));
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
