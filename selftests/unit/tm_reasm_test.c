// SPDX-License-Identifier: GPL-2.0
/*
 * tm_reasm_test.c - unit tests of tcpmon stream reassembly
 *
 * In-order and out-of-order delivery, overlaps under both policies,
 * retransmissions, sequence wraparound, and what the limits do: the
 * out-of-order store per side and per table, and failed allocations.
 * Events are asserted exactly, as text (tm_util.h), and so are the bytes
 * of each stream ('#' for bytes reported as a gap).
 */

#include <stdio.h>
#include "kselftest_harness.h"
#include "tm_util.h"
#include "tm_int.h"

#define IC	1000
#define IS	5000

static u32 ic = IC, is = IS;

/* SYN, SYN-ACK, ACK with ISNs @c and @s; the log is cleared */
static void hs(struct tu *u, u32 c, u32 s)
{
	ic = c;
	is = s;
	TX(u, .from = CLI, .flags = SYN, .seq = c);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = s, .ack = c + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = c + 1, .ack = s + 1);
	tu_log(u);
}

/* Client bytes at offset @off of its stream */
static void cdata(struct tu *u, u32 off, const void *data, unsigned int len)
{
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = ic + 1 + off,
	   .ack = is + 1, .data = data, .len = len);
}

static void sdata(struct tu *u, u32 off, const void *data, unsigned int len)
{
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = is + 1 + off,
	   .ack = ic + 1, .data = data, .len = len);
}

/* Client bytes for a lossless caller (%TM_IN_LOSSLESS): the verdict */
static enum tm_verdict ldata(struct tu *u, u32 off, const char *data)
{
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = ic + 1 + off,
	   .ack = is + 1, .data = data, .in_flags = TM_IN_LOSSLESS);
	return u->verdict;
}

#define SEG	((unsigned int)sizeof(struct tm_seg))

TEST(in_order_both_ways)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 0, "hello ", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+6\n"
		  "NEW_DATA svr NULL 0+6\n"
		  "PKT_IN svr RCV\n");
	sdata(u, 0, "world", 0);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "data cli 0+5\n"
		  "NEW_DATA cli NULL 0+5\n"
		  "PKT_IN cli RCV\n");
	cdata(u, 6, "again", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 6+5\n"
		  "NEW_DATA svr NULL 6+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("hello again", tu_rx(u, 1, SVR));
	EXPECT_STREQ("world", tu_rx(u, 1, CLI));
	EXPECT_EQ(11, tu_stat(u, TM_STAT_BYTES_C2S));
	EXPECT_EQ(5, tu_stat(u, TM_STAT_BYTES_S2C));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_REXMIT));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST(out_of_order_fill)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 5, "world", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(SEG + 5, mos_tm_ooo_bytes(u->t));
	/* late, not resent: no REXMIT */
	cdata(u, 0, "hello", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+5\n"
		  "data svr 5+5\n"
		  "NEW_DATA svr NULL 0+10\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));

	/* three pieces, last first */
	cdata(u, 12, "c", 0);
	cdata(u, 11, "b", 0);
	cdata(u, 14, "e", 0);
	tu_log(u);
	/* "b" and "c" are contiguous: one piece */
	EXPECT_EQ(2 * SEG + 3, mos_tm_ooo_bytes(u->t));
	cdata(u, 10, "a", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 10+1\n"
		  "data svr 11+2\n"
		  "NEW_DATA svr NULL 10+3\n"
		  "PKT_IN svr RCV\n");
	cdata(u, 13, "d", 0);
	EXPECT_STREQ("helloworldabcde", tu_rx(u, 1, SVR));
	EXPECT_EQ(15, tu_stat(u, TM_STAT_BYTES_C2S));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

static void overlap(struct __test_metadata *_metadata, u8 policy)
{
	struct tm_table_cfg cfg = { .overlap = policy };
	struct tu *u = tu_new(&cfg);
	bool last = policy == TM_OVERLAP_LAST;

	hs(u, IC, IS);
	/* In order over a stored piece: "XXXX" at 5 vs "-----" */
	cdata(u, 5, "XXXX", 0);
	cdata(u, 0, "hello-----", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n"
		  "REXMIT cli SND 0+10\n"
		  "PKT_IN cli SND\n"
		  "data svr 0+5\n"
		  "data svr 5+4\n"
		  "data svr 9+1\n"
		  "ERROR svr NULL overlap_diff 0+10\n"
		  "NEW_DATA svr NULL 0+10\n"
		  "REXMIT svr RCV 0+10\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ(last ? "hello-----" : "helloXXXX-", tu_rx(u, 1, SVR));

	/* Out of order over stored pieces: "AAAA" at 20, "aaaa" at 26,
	 * then "BBBBBBBBBBBB" at 18..30, then the hole 10..18.
	 */
	cdata(u, 20, "AAAA", 0);
	cdata(u, 26, "aaaa", 0);
	tu_log(u);
	cdata(u, 18, "BBBBBBBBBBBB", 0);
	LOG_EQ(u, "REXMIT cli SND 18+12\n"
		  "PKT_IN cli SND\n"
		  "ERROR svr NULL overlap_diff 18+12\n"
		  "REXMIT svr RCV 18+12\n"
		  "PKT_IN svr RCV\n");
	/* 18..30 are contiguous: one piece */
	EXPECT_EQ(SEG + 12, mos_tm_ooo_bytes(u->t));
	/* the same bytes again: no difference to report */
	cdata(u, 20, last ? "BBBB" : "AAAA", 0);
	LOG_EQ(u, "REXMIT cli SND 20+4\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 20+4\n"
		  "PKT_IN svr RCV\n");
	cdata(u, 10, "01234567", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 10+8\n"
		  "data svr 18+12\n"
		  "NEW_DATA svr NULL 10+20\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ(last ? "hello-----01234567BBBBBBBBBBBB" :
			    "helloXXXX-01234567BBAAAABBaaaa", tu_rx(u, 1, SVR));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_OVERLAP_DIFF));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST(overlap_first)
{
	overlap(_metadata, TM_OVERLAP_FIRST);
}

TEST(overlap_last)
{
	overlap(_metadata, TM_OVERLAP_LAST);
}

/*
 * LINUX: the bytes a Linux receiver reads, by tcp_data_queue_ofo()'s rules
 * (net/ipv4/tcp_input.c): an out-of-order segment that a queued one
 * contains is dropped; one that starts where a queued one starts and ends
 * after it replaces it; otherwise it is queued and the queued ones it
 * covers are dropped; one that starts where the last queued one ends is
 * appended to it.  tcp_ofo_queue() then reads them in the order they
 * start, each from where the stream is.  Bytes 0..10 are the hole.
 */
struct ovl_case {
	const char *name;
	struct {
		u32 off;
		const char *data;
	} seg[3];
	const char *want;	/* after "0123456789" */
	u64 diffs;
};

static const struct ovl_case ovl_cases[] = {
	{ "same start, new longer: replaced",
	  { { 10, "AAAA" }, { 10, "BBBBBB" } }, "BBBBBB", 1 },
	{ "same start, new shorter: dropped",
	  { { 10, "AAAAAA" }, { 10, "BBBB" } }, "AAAAAA", 1 },
	{ "exact duplicate, other bytes: dropped",
	  { { 10, "AAAA" }, { 10, "BBBB" } }, "AAAA", 1 },
	{ "new inside old: dropped",
	  { { 10, "AAAAAA" }, { 12, "BB" } }, "AAAAAA", 1 },
	{ "new inside old, same end: dropped",
	  { { 10, "AAAAAA" }, { 12, "BBBB" } }, "AAAAAA", 1 },
	{ "new covers old from before: old dropped",
	  { { 12, "AAAA" }, { 10, "BBBBBBBB" } }, "BBBBBBBB", 1 },
	{ "new covers old from before, same end: old dropped",
	  { { 12, "AAAA" }, { 10, "BBBBBB" } }, "BBBBBB", 1 },
	{ "partial overlap at old's end: old's bytes",
	  { { 10, "AAAA" }, { 12, "BBBB" } }, "AAAABB", 1 },
	{ "partial overlap at old's start: new's bytes",
	  { { 12, "AAAA" }, { 10, "BBBB" } }, "BBBBAA", 1 },
	{ "appended to the last segment, then contained in both",
	  { { 10, "AAAA" }, { 14, "NNNN" }, { 12, "XXXX" } }, "AAAANNNN", 1 },
	{ "new covers two, and the gap between them",
	  { { 12, "AA" }, { 16, "CC" }, { 10, "BBBBBBBB" } }, "BBBBBBBB", 1 },
	{ "same bytes: nothing to report",
	  { { 10, "AAAA" }, { 12, "AAXX" } }, "AAAAXX", 0 },
};

TEST(overlap_linux_geometries)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	unsigned int i, j;
	char want[64];

	for (i = 0; i < ARRAY_SIZE(ovl_cases); i++) {
		const struct ovl_case *c = &ovl_cases[i];
		struct tu *u = tu_new(&cfg);

		TH_LOG("%s", c->name);
		hs(u, IC, IS);
		for (j = 0; j < ARRAY_SIZE(c->seg) && c->seg[j].data; j++)
			cdata(u, c->seg[j].off, c->seg[j].data, 0);
		cdata(u, 0, "0123456789", 0);
		snprintf(want, sizeof(want), "0123456789%s", c->want);
		EXPECT_STREQ(want, tu_rx(u, 1, SVR));
		EXPECT_EQ(c->diffs, tu_stat(u, TM_STAT_OVERLAP_DIFF));
		EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
		TU_DONE(u);
	}
}

TEST(overlap_linux_split_then_cover)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	/* B [10,14) starts before A [12,18): B gives 12..14, A 14..18 */
	cdata(u, 12, "AAAAAA", 0);
	cdata(u, 10, "BBBB", 0);
	/* B's bytes 10..14 are one piece, A's 14..18 another; the shadow
	 * of the receiver's queue has a node for each
	 */
	EXPECT_EQ(2 * SEG + 8 + 2 * sizeof(struct tm_lnx),
		  mos_tm_ooo_bytes(u->t));
	tu_log(u);
	/* C [11,19) covers A, partly B: B 10..14, C 14..19 */
	cdata(u, 11, "CCCCCCCC", 0);
	LOG_EQ(u, "REXMIT cli SND 11+8\n"
		  "PKT_IN cli SND\n"
		  "ERROR svr NULL overlap_diff 11+8\n"
		  "REXMIT svr RCV 11+8\n"
		  "PKT_IN svr RCV\n");
	cdata(u, 0, "0123456789", 0);
	EXPECT_STREQ("0123456789BBBBCCCCC", tu_rx(u, 1, SVR));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/*
 * Geometries where the shape of the receiver's out-of-order rbtree decides
 * (tcp_data_queue_ofo(): the last skb first, then a walk from the root
 * that acts on the first node that holds, starts at, or ends at the
 * segment's start).  Segment i's bytes are all 'a' + i; the expected
 * stream is a list of runs, traced through Linux's algorithm and read()
 * by the receiver of receiver.sh for the seeds named.
 */
struct lnx_geo {
	const char *name;
	struct { u32 off, len; } seg[12];
	struct { char c; u32 len; } want[12];
};

static const struct lnx_geo lnx_geos[] = {
	/* X [10,20) is the root, Y [15,30) its right child and the last
	 * skb; Z [20,35) does not start where Y ends, the walk meets X
	 * first and appends Z to it: X's skb, which starts before Y's,
	 * gives 20..30.
	 */
	{ "appended to the root over a later-starting skb",
	  { { 10, 10 }, { 15, 15 }, { 20, 15 }, { 0, 10 } },
	  { { 'd', 10 }, { 'a', 10 }, { 'c', 15 } } },
	/* Y [15,30) is the root, X [10,20) its left child: the walk for
	 * Z meets Y, which overlaps Z's start, and goes right: Z is a skb
	 * of its own, Y gives 20..30.
	 */
	{ "an overlapping root first: not appended",
	  { { 15, 15 }, { 10, 10 }, { 20, 15 }, { 0, 10 } },
	  { { 'd', 10 }, { 'b', 10 }, { 'a', 10 }, { 'c', 5 } } },
	/* random-1800000312 */
	{ "seed 1800000312",
	  { { 568, 233 }, { 728, 184 }, { 801, 412 }, { 0, 568 } },
	  { { 'd', 568 }, { 'a', 233 }, { 'c', 412 } } },
	/* random-1800000993: b is dropped (the root holds it); c, d, e
	 * are appended to a; f [1620,1768) goes right of a and is the
	 * last skb; g [1702,2099) is appended to a, the root, and gives
	 * 1702..1768 over f; h starts after the last skb (f) and is put
	 * after it without a walk, i is appended to h.
	 */
	{ "seed 1800000993",
	  { { 113, 684 }, { 184, 321 }, { 797, 310 }, { 1107, 557 },
	    { 1664, 38 }, { 1620, 148 }, { 1702, 397 }, { 2099, 156 },
	    { 2255, 237 }, { 0, 113 } },
	  { { 'j', 113 }, { 'a', 684 }, { 'c', 310 }, { 'd', 557 },
	    { 'e', 38 }, { 'g', 397 }, { 'h', 156 }, { 'i', 237 } } },
};

TEST(overlap_linux_tree_shape)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	static char buf[4096], want[4096];
	unsigned int i, j, n;

	for (i = 0; i < ARRAY_SIZE(lnx_geos); i++) {
		const struct lnx_geo *g = &lnx_geos[i];
		struct tu *u = tu_new(&cfg);

		TH_LOG("%s", g->name);
		hs(u, IC, IS);
		for (j = 0; j < ARRAY_SIZE(g->seg) && g->seg[j].len; j++) {
			memset(buf, 'a' + j, g->seg[j].len);
			cdata(u, g->seg[j].off, buf, g->seg[j].len);
		}
		for (j = 0, n = 0; j < ARRAY_SIZE(g->want) && g->want[j].len;
		     j++) {
			memset(want + n, g->want[j].c, g->want[j].len);
			n += g->want[j].len;
		}
		want[n] = 0;
		EXPECT_STREQ(want, tu_rx(u, 1, SVR));
		EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
		TU_DONE(u);
	}
}

/*
 * random-1810001841: a FIN without data waits behind the hole as an skb
 * of one sequence number, F [685,686), right of a [242,281).  b [281,981)
 * is appended to a, the root; c [981,1047) starts after the last skb (F)
 * and is put after it, not appended to a; d [872,993) is a node of its
 * own and gives 981..993; e is appended to c; g [921,1192) starts before
 * c and gives 993..1192.  The hole filled, F is passed over (the stream
 * went past it, tcp_ofo_queue()) and never closes the stream.
 */
TEST(overlap_linux_fin_node)
{
	static const struct { u32 off, len; } seg[] = {
		{ 242, 39 }, { 685, 0 }, { 281, 700 }, { 981, 66 },
		{ 872, 121 }, { 1047, 301 }, { 921, 271 }, { 0, 242 },
	};
	static const struct { char c; u32 len; } runs[] = {
		{ 'h', 242 }, { 'a', 39 }, { 'c', 700 }, { 'e', 12 },
		{ 'g', 199 }, { 'f', 156 },
	};
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	struct tu *u = tu_new(&cfg);
	static char buf[2048], want[2048];
	unsigned int i, n = 0;

	hs(u, IC, IS);
	for (i = 0; i < ARRAY_SIZE(seg); i++) {
		if (!seg[i].len) {
			TX(u, .from = CLI, .flags = ACK | FIN,
			   .seq = ic + 1 + seg[i].off, .ack = is + 1);
			continue;
		}
		memset(buf, 'a' + i, seg[i].len);
		cdata(u, seg[i].off, buf, seg[i].len);
	}
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		memset(want + n, runs[i].c, runs[i].len);
		n += runs[i].len;
	}
	want[n] = 0;
	EXPECT_STREQ(want, tu_rx(u, 1, SVR));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/*
 * Where the stream ends at a FIN (policy LINUX).  tcp_data_queue(): a
 * segment in order that carries a FIN is queued whole, then tcp_fin()
 * purges the out-of-order queue: a stored segment that goes past the FIN
 * is never read.  tcp_ofo_queue(): once the hole fills, the stored skbs
 * are dequeued in the order they start; one that ends at or before
 * rcv_nxt is dropped, FIN and all; the first other one with a FIN (its
 * end_seq counts the FIN) moves rcv_nxt past it and tcp_fin() purges the
 * rest, though a stored skb that starts later goes on past the FIN.
 * Segment i's bytes are all 'a' + i (bit i of @fins: a FIN after them);
 * the expected stream, traced through those functions, is what the
 * receiver of receiver.sh read() for the seeds named, and the server
 * side's state is the receiver's.  Segments after the FIN, which the
 * receiver ignores, are left out but for some.
 */
struct fin_geo {
	const char *name;
	struct { u32 off, len; } seg[12];
	u32 fins;
	struct { char c; u32 len; } want[8];
	const char *states;
	u64 nacc_fin;
};

static const struct fin_geo fin_geos[] = {
	/* e [1322,1502)+FIN is in order from 1443 (c ends there): the
	 * receiver reads 59 of its bytes, then its FIN; d [1501,1728),
	 * stored, goes past it and is purged; f starts after the FIN, g is
	 * old.
	 */
	{ .name = "seed 1810001076: in order over a stored segment",
	  .seg = { { 0, 327 }, { 327, 663 }, { 990, 453 }, { 1501, 227 },
		   { 1322, 180 }, { 1728, 648 }, { 1443, 58 } },
	  .fins = 1 << 4,
	  .want = { { 'a', 327 }, { 'b', 663 }, { 'c', 453 }, { 'e', 59 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	/* e [1547,1697) with its FIN, f [1673,1743) right of it; g fills
	 * the hole to 1564: e is dequeued first and its FIN ends the
	 * stream at 1696; f never is.  h [1612,1620)+FIN is old.
	 */
	{ .name = "seed 1810001339: stored FIN, then a stored segment past it",
	  .seg = { { 0, 209 }, { 699, 344 }, { 209, 490 }, { 1043, 501 },
		   { 1547, 149 }, { 1673, 70 }, { 1544, 20 }, { 1612, 8 } },
	  .fins = 1 << 4 | 1 << 7,
	  .want = { { 'a', 209 }, { 'c', 490 }, { 'b', 344 }, { 'd', 501 },
	    { 'g', 20 }, { 'e', 132 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	/* b [674,1004) takes c and e appended (the last skb); d
	 * [646,699)+FIN, left of it, starts first: f fills the hole to
	 * 674, d gives 674..698 and its FIN; b's skb is purged.
	 */
	{ .name = "seed 1810001883: stored FIN before an skb that goes on",
	  .seg = { { 0, 552 }, { 674, 330 }, { 1004, 410 }, { 646, 52 },
		   { 1414, 168 }, { 552, 122 }, { 1582, 382 }, { 1964, 0 } },
	  .fins = 1 << 3 | 1 << 7,
	  .want = { { 'a', 552 }, { 'f', 122 }, { 'd', 24 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	/* g [930,1119), h [1151,1308) with its FIN, i [1199,1563); j
	 * fills the hole to 1199: g is dropped (it ends before), h gives
	 * 1199..1307 and its FIN, i is purged.
	 */
	{ .name = "seed 1820000232: a stored skb dropped, then the FIN's",
	  .seg = { { 0, 461 }, { 67, 395 }, { 461, 51 }, { 512, 95 },
		   { 607, 293 }, { 900, 11 }, { 930, 189 }, { 1151, 156 },
		   { 1199, 364 }, { 911, 288 } },
	  .fins = 1 << 7,
	  .want = { { 'a', 461 }, { 'b', 1 }, { 'c', 50 }, { 'd', 95 },
	    { 'e', 293 }, { 'f', 11 }, { 'j', 288 }, { 'h', 108 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	{ .name = "seed 1820001336",
	  .seg = { { 584, 78 }, { 640, 365 }, { 0, 640 }, { 1301, 371 },
		   { 1005, 296 }, { 1672, 441 }, { 2113, 0 } },
	  .fins = 1 << 0 | 1 << 6,
	  .want = { { 'c', 640 }, { 'a', 22 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	{ .name = "seed 1820001588",
	  .seg = { { 0, 470 }, { 470, 146 }, { 888, 63 }, { 616, 120 },
		   { 939, 94 }, { 736, 203 }, { 1033, 13 }, { 1046, 0 } },
	  .fins = 1 << 2 | 1 << 7,
	  .want = { { 'a', 470 }, { 'b', 146 }, { 'd', 120 }, { 'f', 203 },
	    { 'c', 12 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	{ .name = "seed 1820001773",
	  .seg = { { 183, 176 }, { 153, 185 }, { 0, 183 }, { 359, 0 } },
	  .fins = 1 << 1 | 1 << 3,
	  .want = { { 'c', 183 }, { 'b', 155 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	/* b+FIN is appended to a (tcp_try_coalesce() ORs the flags): a's
	 * skb [10,31) carries the FIN; c [25,40) goes right of it.
	 */
	{ .name = "a FIN appended to a stored skb",
	  .seg = { { 10, 10 }, { 20, 10 }, { 25, 15 }, { 0, 10 } },
	  .fins = 1 << 1,
	  .want = { { 'd', 10 }, { 'a', 10 }, { 'b', 10 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT" },
	/* b starts where a+FIN starts and ends after it: it replaces a's
	 * skb, whose FIN goes with it; the stream passes 20.
	 */
	{ .name = "a stored FIN replaced",
	  .seg = { { 10, 10 }, { 10, 20 }, { 0, 10 } },
	  .fins = 1 << 0,
	  .want = { { 'c', 10 }, { 'b', 20 } },
	  .states = "FIN_WAIT_1 ESTABLISHED",
	  .nacc_fin = 1 },
	/* a FIN alone at 10 waits; b [0,20)+FIN in order goes past it:
	 * b's FIN is the one the receiver takes.
	 */
	{ .name = "in order past a waiting FIN, with a FIN",
	  .seg = { { 10, 0 }, { 0, 20 } },
	  .fins = 1 << 0 | 1 << 1,
	  .want = { { 'b', 20 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
	/* b starts right after a's FIN, where a's skb [8,13) ends:
	 * tcp_try_coalesce() appends it (ooo_last_skb) and ORs the flags.
	 * The skb holds 8 bytes and spans [8,17); tcp_recvmsg() reads its
	 * bytes as one run and then its FIN, rcv_nxt 17.  The FIN at 12
	 * is one the stream went past.
	 */
	{ .name = "a segment appended after a stored FIN",
	  .seg = { { 8, 4 }, { 13, 4 }, { 0, 8 } },
	  .fins = 1 << 0,
	  .want = { { 'c', 8 }, { 'a', 4 }, { 'b', 4 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
	/* The same skb, the hole filled by c [0,14) in order, over the
	 * FIN: tcp_ofo_queue() queues the skb, rcv_nxt 14, and
	 * tcp_recvmsg() reads from byte 14 - 8 = 6 of it, which is b's
	 * byte at 15 (the FIN at 12 took no byte): b's byte at 14 is
	 * never read.
	 */
	{ .name = "in order into an skb appended after its FIN",
	  .seg = { { 8, 4 }, { 13, 4 }, { 0, 14 } },
	  .fins = 1 << 0,
	  .want = { { 'c', 14 }, { 'b', 2 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
	/* c [0,12) ends at the FIN: byte 4 of the skb is b's first */
	{ .name = "in order up to the FIN of an appended skb",
	  .seg = { { 8, 4 }, { 13, 4 }, { 0, 12 } },
	  .fins = 1 << 0,
	  .want = { { 'c', 12 }, { 'b', 4 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
	/* c [0,16) leaves byte 8 of an skb of 8 bytes: none read, the FIN
	 * taken, rcv_nxt 17
	 */
	{ .name = "in order up to the end of an appended skb's bytes",
	  .seg = { { 8, 4 }, { 13, 4 }, { 0, 16 } },
	  .fins = 1 << 0,
	  .want = { { 'c', 16 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
	/* a+FIN, b+FIN and c appended in turn: [8,21), 11 bytes */
	{ .name = "two segments appended after FINs",
	  .seg = { { 8, 4 }, { 13, 4 }, { 18, 3 }, { 0, 8 } },
	  .fins = 1 << 0 | 1 << 1,
	  .want = { { 'd', 8 }, { 'a', 4 }, { 'b', 4 }, { 'c', 3 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
	/* A FIN alone at 8 is an skb [8,9); b [9,13) is appended to it */
	{ .name = "a segment appended to a FIN alone",
	  .seg = { { 8, 0 }, { 9, 4 }, { 0, 8 } },
	  .fins = 1 << 0,
	  .want = { { 'c', 8 }, { 'b', 4 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
	/* c [8,20) starts where the skb [8,17) of a, its FIN and b
	 * starts, and ends after it: it replaces the skb, FIN and all
	 */
	{ .name = "an skb with a FIN inside replaced",
	  .seg = { { 8, 4 }, { 13, 4 }, { 8, 12 }, { 0, 8 } },
	  .fins = 1 << 0,
	  .want = { { 'd', 8 }, { 'c', 12 } },
	  .states = "FIN_WAIT_1 ESTABLISHED",
	  .nacc_fin = 1 },
	/* b [12,15) starts at a's FIN, overlaps a's skb [8,13) and goes
	 * right of it; c [13,17) meets a's skb first in the walk from the
	 * root and is appended to it.  The skb holds a's and c's bytes:
	 * b's byte at 12, the FIN's sequence number, is never read.
	 */
	{ .name = "an skb's FIN covered by a later one's byte",
	  .seg = { { 8, 4 }, { 12, 3 }, { 13, 4 }, { 0, 8 } },
	  .fins = 1 << 0,
	  .want = { { 'd', 8 }, { 'a', 4 }, { 'c', 4 } },
	  .states = "FIN_WAIT_1 CLOSE_WAIT",
	  .nacc_fin = 1 },
};

TEST(overlap_linux_fin_stops)
{
	/* Each geometry twice: the second time its FINs and the bytes
	 * appended after them straddle 2^32
	 */
	static const u32 isns[] = { IC, 0xfffffff5 };
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	static char buf[2048], want[4096];
	unsigned int i, j, n;

	for (i = 0; i < 2 * ARRAY_SIZE(fin_geos); i++) {
		const struct fin_geo *g = &fin_geos[i % ARRAY_SIZE(fin_geos)];
		u32 isn = isns[i / ARRAY_SIZE(fin_geos)];
		struct tu *u = tu_new(&cfg);

		TH_LOG("%s, ISN %u", g->name, isn);
		hs(u, isn, IS);
		for (j = 0; j < ARRAY_SIZE(g->seg) &&
		     (g->seg[j].len || (g->fins & 1 << j)); j++) {
			memset(buf, 'a' + j, g->seg[j].len);
			TX(u, .from = CLI,
			   .flags = ACK | (g->fins & 1 << j ? FIN : PSH),
			   .seq = ic + 1 + g->seg[j].off, .ack = is + 1,
			   .data = g->seg[j].len ? buf : NULL,
			   .len = g->seg[j].len);
		}
		for (j = 0, n = 0; j < ARRAY_SIZE(g->want) && g->want[j].len;
		     j++) {
			memset(want + n, g->want[j].c, g->want[j].len);
			n += g->want[j].len;
		}
		want[n] = 0;
		EXPECT_STREQ(want, tu_rx(u, 1, SVR));
		EXPECT_STREQ(g->states, tu_states(u));
		EXPECT_EQ(g->nacc_fin, tu_stat(u, TM_STAT_NACC_FIN));
		EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
		TU_DONE(u);
	}
}

/*
 * The flow ends (tm_reasm_flush()) with the receiver's acknowledgment past
 * a hole the monitor never saw filled: the receiver had those bytes, and
 * tcp_ofo_queue() then dequeued the stored skbs up to the first with a
 * FIN.  Its read() stepped over the FINs inside that skb and stopped at
 * its end: the flush delivers what it read, not the store's bytes at the
 * FINs' sequence numbers, nor anything after the FIN it stopped at.
 */
static const struct fin_flush {
	const char *name;
	struct { u32 off, len; } seg[4];
	unsigned int fins;	/* bit j: seg[j] carries a FIN */
	u32 ack;		/* the server's acknowledgment, stream offset */
	const char *want;	/* '#': reported as a gap */
	u64 unread;		/* TM_STAT_END_UNREAD */
} fin_flushes[] = {
	/* a+FIN [8,13), b appended: the skb [8,17), its FIN at 12 */
	{ .name = "an skb appended after its FIN",
	  .seg = { { 8, 4 }, { 13, 4 } }, .fins = 1 << 0, .ack = 17,
	  .want = "########aaaabbbb" },
	/* b's byte at 12, the FIN's sequence number, is never read: c is
	 * appended to a's skb (see overlap_linux_fin_stops)
	 */
	{ .name = "an skb's FIN covered by a later one's byte",
	  .seg = { { 8, 4 }, { 12, 3 }, { 13, 4 } }, .fins = 1 << 0,
	  .ack = 17, .want = "########aaaacccc" },
	/* b [10,18) goes right of a's skb [8,13): a's FIN ends the stream
	 * at 12, b's bytes after it are purged unread
	 */
	{ .name = "a stored FIN, a stored skb past it",
	  .seg = { { 8, 4 }, { 10, 8 } }, .fins = 1 << 0, .ack = 13,
	  .want = "########aaaa", .unread = 6 },
	/* no FIN: everything up to the acknowledgment */
	{ .name = "no FIN",
	  .seg = { { 8, 4 }, { 12, 3 }, { 15, 2 } }, .ack = 17,
	  .want = "########aaaabbbcc" },
};

TEST(overlap_linux_fin_flush)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	static char buf[64];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(fin_flushes); i++) {
		const struct fin_flush *g = &fin_flushes[i];
		struct tu *u = tu_new(&cfg);

		TH_LOG("%s", g->name);
		hs(u, IC, IS);
		for (j = 0; j < ARRAY_SIZE(g->seg) && g->seg[j].len; j++) {
			memset(buf, 'a' + j, g->seg[j].len);
			TX(u, .from = CLI,
			   .flags = ACK | (g->fins & 1 << j ? FIN : PSH),
			   .seq = ic + 1 + g->seg[j].off, .ack = is + 1,
			   .data = buf, .len = g->seg[j].len);
		}
		TX(u, .from = SVR, .flags = ACK, .seq = is + 1,
		   .ack = ic + 1 + g->ack);
		tu_flush(u);
		EXPECT_STREQ(g->want, tu_rx(u, 1, SVR));
		EXPECT_EQ(g->unread, tu_stat(u, TM_STAT_END_UNREAD));
		EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
		TU_DONE(u);
	}
}

/*
 * The same where the flow goes on: the store is given up because its hole
 * aged (tm_track_give_up()).  The receiver took the FIN, and so does the
 * flow: the server's side moves to CLOSE_WAIT, and bytes the client sends
 * after the FIN are not the stream's (tcp_rcv_state_process() ignores
 * them past rcv_nxt once a FIN was taken).
 */
TEST(overlap_linux_fin_give_up)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX,
				    .store_age_ms = 1000 };
	struct tu *u = tu_new(&cfg);
	u64 t0;

	hs(u, IC, IS);
	t0 = u->now = 2000 * TU_NS;
	TX(u, .from = CLI, .flags = ACK | FIN, .seq = ic + 1 + 8,
	   .ack = is + 1, .data = "aaaa", .len = 4);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = ic + 1 + 13,
	   .ack = is + 1, .data = "bbbb", .len = 4);
	/* The server had the 8 bytes the monitor missed, and read on */
	TX(u, .from = SVR, .flags = ACK, .seq = is + 1, .ack = ic + 1 + 17);
	u->now = t0 + 1000 * 1000000ULL;
	TX(u, .from = SVR, .flags = ACK, .seq = is + 1, .ack = ic + 1 + 17);
	EXPECT_STREQ("########aaaabbbb", tu_rx(u, 1, SVR));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_AGED));
	/* The client's FIN is acknowledged too */
	EXPECT_STREQ("FIN_WAIT_2 CLOSE_WAIT", tu_states(u));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = ic + 1 + 16,
	   .ack = is + 1, .data = "zz", .len = 2);
	EXPECT_STREQ("########aaaabbbb", tu_rx(u, 1, SVR));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/*
 * A segment appended right after a stored skb's FIN makes the shadow's
 * node one that keeps the FIN's sequence number (TM_LNX_FINS_SIZE in
 * place of the node's size): tm_store_cost() counts it, so that with
 * %TM_IN_LOSSLESS a side's store one byte short of it drops the segment,
 * and one that has it takes the segment, and the stream is what the
 * receiver reads.
 */
TEST(overlap_linux_fin_join_charge)
{
	const u64 a = SEG + 4 + sizeof(struct tm_lnx);
	const u64 ab = 2 * SEG + 8 + TM_LNX_FINS_SIZE;
	unsigned int short_by;

	for (short_by = 0; short_by < 2; short_by++) {
		struct tm_table_cfg cfg = {
			.overlap = TM_OVERLAP_LINUX,
			.buf_side = ab - short_by,
		};
		struct tu *u = tu_new(&cfg);

		TH_LOG("short by %u", short_by);
		hs(u, IC, IS);
		TX(u, .from = CLI, .flags = ACK | FIN, .seq = ic + 1 + 8,
		   .ack = is + 1, .data = "aaaa", .in_flags = TM_IN_LOSSLESS);
		EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
		EXPECT_EQ(a, mos_tm_ooo_bytes(u->t));
		EXPECT_EQ(short_by ? TM_VERDICT_DROP : TM_VERDICT_PASS,
			  ldata(u, 13, "bbbb"));
		EXPECT_EQ(short_by ? a : ab, mos_tm_ooo_bytes(u->t));
		EXPECT_EQ(short_by, tu_stat(u, TM_STAT_STORE_FULL));
		EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 0, "01234567"));
		EXPECT_STREQ(short_by ? "01234567aaaa" : "01234567aaaabbbb",
			     tu_rx(u, 1, SVR));
		EXPECT_STREQ("FIN_WAIT_1 CLOSE_WAIT", tu_states(u));
		EXPECT_EQ(short_by ? 0 : 1, tu_stat(u, TM_STAT_NACC_FIN));
		EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
		EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
		TU_DONE(u);
	}
}

/*
 * A FIN alone at 10 waits behind the hole; then [0,20) with a FIN, in
 * order, goes past it: tcp_data_queue() queues the segment and its FIN
 * takes effect (tcp_fin()); the queued FIN at 10 ends before rcv_nxt and
 * is purged.  Whatever the overlap policy: nothing is stored but the FIN.
 */
TEST(fin_in_order_past_waiting_fin)
{
	static const unsigned int pol[] = {
		TM_OVERLAP_FIRST, TM_OVERLAP_LAST, TM_OVERLAP_LINUX,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pol); i++) {
		struct tm_table_cfg cfg = { .overlap = pol[i] };
		struct tu *u = tu_new(&cfg);

		TH_LOG("policy %u", pol[i]);
		hs(u, IC, IS);
		TX(u, .from = CLI, .flags = FIN | ACK, .seq = ic + 11,
		   .ack = is + 1);
		tu_log(u);
		TX(u, .from = CLI, .flags = FIN | ACK, .seq = ic + 1,
		   .ack = is + 1, .data = "0123456789ABCDEFGHIJ");
		LOG_EQ(u, "PKT_IN cli SND\n"
			  "data svr 0+20\n"
			  "ERROR svr NULL fin 20+0\n"
			  "STATE_CHANGE svr RCV ESTABLISHED>CLOSE_WAIT\n"
			  "NEW_DATA svr NULL 0+20\n"
			  "PKT_IN svr RCV\n");
		EXPECT_STREQ("0123456789ABCDEFGHIJ", tu_rx(u, 1, SVR));
		EXPECT_STREQ("FIN_WAIT_1 CLOSE_WAIT", tu_states(u));
		EXPECT_EQ(1, tu_stat(u, TM_STAT_NACC_FIN));
		EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
		TU_DONE(u);
	}
}

/*
 * skb_try_coalesce() appends no segment to an skb that holds
 * MAX_SKB_FRAGS page fragments: a segment larger than the skb's tailroom
 * takes one.  s0 [10,110) takes s1..s17 (100 bytes each) up to 1810; V
 * [500,1900) overlaps its end and goes right of it; s18 [1810,1910)
 * cannot be appended to s0, meets V, which overlaps its start, and is
 * queued after it: V gives 1810..1900.
 */
TEST(overlap_linux_frag_limit)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	struct tu *u = tu_new(&cfg);
	static char buf[2048], want[2048];
	unsigned int i;

	hs(u, IC, IS);
	for (i = 0; i < 18; i++) {
		memset(buf, 'a' + i, 100);
		cdata(u, 10 + 100 * i, buf, 100);
		memcpy(want + 10 + 100 * i, buf, 100);
	}
	memset(buf, 'V', 1400);
	cdata(u, 500, buf, 1400);
	memset(buf, 's', 100);
	cdata(u, 1810, buf, 100);
	cdata(u, 0, "0123456789", 10);
	memcpy(want, "0123456789", 10);
	memset(want + 1810, 'V', 90);
	memset(want + 1900, 's', 10);
	want[1910] = 0;
	EXPECT_STREQ(want, tu_rx(u, 1, SVR));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST(overlap_linux_in_order_wins)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	/* tcp_data_queue() queues an in-order segment whole, then reads
	 * the out-of-order queue from its end on.
	 */
	cdata(u, 12, "AAAA", 0);
	tu_log(u);
	cdata(u, 0, "0123456789BBBB", 0);
	LOG_EQ(u, "REXMIT cli SND 0+14\n"
		  "PKT_IN cli SND\n"
		  "data svr 0+14\n"
		  "ERROR svr NULL overlap_diff 0+14\n"
		  "data svr 14+2\n"
		  "NEW_DATA svr NULL 0+16\n"
		  "REXMIT svr RCV 0+14\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("0123456789BBBBAA", tu_rx(u, 1, SVR));
	/* and a segment that starts before the edge, the same way */
	cdata(u, 20, "CCCC", 0);
	cdata(u, 14, "AADDDDDD", 0);
	EXPECT_STREQ("0123456789BBBBAADDDDDDCC", tu_rx(u, 1, SVR));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_OVERLAP_DIFF));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST(rexmit_delivered)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 0, "hello", 0);
	tu_log(u);
	cdata(u, 0, "hello", 0);
	LOG_EQ(u, "REXMIT cli SND 0+5\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 0+5\n"
		  "PKT_IN svr RCV\n");
	/* Delivered bytes are final; other bytes sent again are reported */
	cdata(u, 0, "HELLO", 0);
	LOG_EQ(u, "REXMIT cli SND 0+5\n"
		  "PKT_IN cli SND\n"
		  "ERROR svr NULL overlap_diff 0+5\n"
		  "REXMIT svr RCV 0+5\n"
		  "PKT_IN svr RCV\n");
	/* Partly new: the new part enters the stream. */
	cdata(u, 2, "lloworld", 0);
	LOG_EQ(u, "REXMIT cli SND 2+8\n"
		  "PKT_IN cli SND\n"
		  "data svr 5+5\n"
		  "NEW_DATA svr NULL 5+5\n"
		  "REXMIT svr RCV 2+8\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("helloworld", tu_rx(u, 1, SVR));
	EXPECT_EQ(3 * 2, u->count[TM_EV_REXMIT]);
	EXPECT_EQ(3, tu_stat(u, TM_STAT_REXMIT));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_OVERLAP_DIFF));
	TU_DONE(u);
}

/*
 * A side compares a retransmission with the last TM_HIST bytes it
 * delivered: older bytes are not kept.
 */
TEST(rexmit_delivered_window)
{
	struct tu *u = tu_new(NULL);
	char a[41], b[41];

	memset(a, 'a', 40);
	a[40] = 0;
	memset(b, 'b', 40);
	b[40] = 0;
	hs(u, IC, IS);
	cdata(u, 0, a, 0);
	ASSERT_EQ(25, TM_HIST);
	/* 0..14: before the window */
	cdata(u, 0, b, 40 - TM_HIST);
	EXPECT_EQ(0, tu_stat(u, TM_STAT_OVERLAP_DIFF));
	/* byte 15, the window's first, differs */
	tu_log(u);
	cdata(u, 40 - TM_HIST, b, 1);
	LOG_EQ(u, "REXMIT cli SND 15+1\n"
		  "PKT_IN cli SND\n"
		  "ERROR svr NULL overlap_diff 15+1\n"
		  "REXMIT svr RCV 15+1\n"
		  "PKT_IN svr RCV\n");
	/* the same bytes, partly new: the new ones enter the stream */
	cdata(u, 30, "aaaaaaaaaaXY", 0);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_OVERLAP_DIFF));
	/* last byte differs, with new bytes after it */
	cdata(u, 41, "zW", 0);
	EXPECT_EQ(2, tu_stat(u, TM_STAT_OVERLAP_DIFF));
	EXPECT_STREQ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaXYW",
		     tu_rx(u, 1, SVR));
	TU_DONE(u);
}

TEST(seq_wraparound)
{
	struct tu *u = tu_new(NULL);

	/* Client stream: bytes 0..14 at 0xfffffff1.., crossing 0 at 15 */
	hs(u, 0xfffffff0, 0xfffffffe);
	cdata(u, 0, "0123456789", 0);
	cdata(u, 10, "abcdefghij", 0);
	EXPECT_EQ(0, ic + 1 + 15);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+10\n"
		  "NEW_DATA svr NULL 0+10\n"
		  "PKT_IN svr RCV\n"
		  "PKT_IN cli SND\n"
		  "data svr 10+10\n"
		  "NEW_DATA svr NULL 10+10\n"
		  "PKT_IN svr RCV\n");
	/* Reordered across 0: third, second, first */
	cdata(u, 40, "KLMNO", 0);
	cdata(u, 30, "ABCDEFGHIJ", 0);
	cdata(u, 20, "klmnopqrst", 0);
	EXPECT_STREQ("0123456789abcdefghijklmnopqrstABCDEFGHIJKLMNO",
		     tu_rx(u, 1, SVR));
	/* Server stream: starts at 0xffffffff, its second byte at 0 */
	sdata(u, 3, "def", 0);
	sdata(u, 0, "abc", 0);
	EXPECT_STREQ("abcdef", tu_rx(u, 1, CLI));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	/* and a FIN handshake across it */
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = ic + 1 + 45, .ack = is + 7);
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = is + 7, .ack = ic + 47);
	TX(u, .from = CLI, .flags = ACK, .seq = ic + 47, .ack = is + 8);
	EXPECT_STREQ("TIME_WAIT CLOSED", tu_states(u));
	TU_DONE(u);
}

TEST(big_segments_split)
{
	struct tu *u = tu_new(NULL);
	static char big[5000], all[5101];
	unsigned int i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = 'A' + i % 26;
	hs(u, IC, IS);
	cdata(u, 100, big, sizeof(big));
	/* pieces of at most 2 KiB with their headers */
	EXPECT_EQ(3 * SEG + 5000, mos_tm_ooo_bytes(u->t));
	/* a header: the tree node (three words) and four u32 */
	EXPECT_EQ(40, SEG);
	EXPECT_EQ(2048 - SEG, TM_SEG_MAX);
	tu_log(u);
	memset(all, '.', 100);
	cdata(u, 0, all, 100);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+100\n"
		  "data svr 100+2008\n"
		  "data svr 2108+2008\n"
		  "data svr 4116+984\n"
		  "NEW_DATA svr NULL 0+5100\n"
		  "PKT_IN svr RCV\n");
	memcpy(all + 100, big, sizeof(big));
	EXPECT_STREQ(all, tu_rx(u, 1, SVR));
	TU_DONE(u);
}

TEST(fin_out_of_order)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	/* The FIN comes before the bytes ahead of it. */
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = ic + 6, .ack = is + 1);
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>FIN_WAIT_1\n"
		  "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("FIN_WAIT_1 ESTABLISHED", tu_states(u));
	cdata(u, 0, "hello", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+5\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSE_WAIT\n"
		  "NEW_DATA svr NULL 0+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("hello", tu_rx(u, 1, SVR));
	TU_DONE(u);
}

TEST(buf_side_gap)
{
	struct tm_table_cfg cfg = { .buf_side = 100 };
	struct tu *u = tu_new(&cfg);
	char b[41], d[41];

	memset(b, 'B', 40);
	memset(d, 'D', 40);
	hs(u, IC, IS);
	cdata(u, 10, b, 40);
	EXPECT_EQ(SEG + 40, mos_tm_ooo_bytes(u->t));
	tu_log(u);
	/* It does not fit: what is stored goes, holes as gaps, then it. */
	cdata(u, 60, d, 40);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL buf_side 60+40\n"
		  "ERROR svr NULL gap 0+10\n"
		  "data svr 10+40\n"
		  "ERROR svr NULL gap 50+10\n"
		  "data svr 60+40\n"
		  "NEW_DATA svr NULL 0+100\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	/* Later bytes flow as usual; the hole's bytes come too late. */
	cdata(u, 100, "after", 0);
	cdata(u, 0, "0123456789", 0);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 100+5\n"
		  "NEW_DATA svr NULL 100+5\n"
		  "PKT_IN svr RCV\n"
		  "REXMIT cli SND 0+10\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 0+10\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("##########BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
		     "##########DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDafter",
		     tu_rx(u, 1, SVR));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(20, tu_stat(u, TM_STAT_GAP_BYTES));
	EXPECT_EQ(85, tu_stat(u, TM_STAT_BYTES_C2S));

	/* A segment larger than the whole store, after a hole */
	cdata(u, 205, "x", 0);
	{
		static char big[200];

		memset(big, 'Z', sizeof(big));
		cdata(u, 110, big, sizeof(big));
	}
	EXPECT_EQ(2, u->errs[TM_ERR_BUF_SIDE]);
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(310, u->rxlen[1][SVR]);
	/* the stored byte was seen first */
	EXPECT_EQ('x', tu_rx(u, 1, SVR)[205]);
	EXPECT_EQ('Z', tu_rx(u, 1, SVR)[206]);
	TU_DONE(u);
}

TEST(buf_side_partial)
{
	struct tm_table_cfg cfg = { .buf_side = 2 * 2048 };
	struct tu *u = tu_new(&cfg);
	static char big[5000];

	memset(big, 'q', sizeof(big));
	hs(u, IC, IS);
	/* Two pieces fit, the third does not. */
	cdata(u, 1, big, sizeof(big));
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL buf_side 1+5000\n"
		  "ERROR svr NULL gap 0+1\n"
		  "data svr 1+2008\n"
		  "data svr 2009+2008\n"
		  "data svr 4017+984\n"
		  "NEW_DATA svr NULL 0+5001\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST(nomem_gap)
{
	struct tu *u = tu_new(NULL);
	static char big[3000], want[3021];

	/* tm_user_fail_alloc counts from 0 in each test (a fresh child). */
	hs(u, IC, IS);
	memset(big, 'm', sizeof(big));
	/* 1st allocation fine, 2nd fails: the first piece stays. */
	tm_user_fail_alloc = 2;
	cdata(u, 10, big, sizeof(big));
	tm_user_fail_alloc = 0;
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL nomem 10+3000\n"
		  "ERROR svr NULL gap 0+10\n"
		  "data svr 10+2008\n"
		  "data svr 2018+992\n"
		  "NEW_DATA svr NULL 0+3010\n"
		  "PKT_IN svr RCV\n");
	/* Every allocation fails. */
	tm_user_fail_alloc = 1;
	cdata(u, 3015, "world", 0);
	tm_user_fail_alloc = 0;
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL nomem 3015+5\n"
		  "ERROR svr NULL gap 3010+5\n"
		  "data svr 3015+5\n"
		  "NEW_DATA svr NULL 3010+10\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NOMEM));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	memset(want, '#', 10);
	memset(want + 10, 'm', 3000);
	memcpy(want + 3010, "#####world", 10);
	EXPECT_STREQ(want, tu_rx(u, 1, SVR));
	TU_DONE(u);
}

TEST(nomem_often)
{
	struct tu *u = tu_new(NULL);
	unsigned int i;

	/* Every third allocation fails, flows and pieces: no crash, no
	 * leak, every byte delivered or reported.
	 */
	tm_user_fail_alloc = 3;
	for (i = 0; i < 30; i++) {
		tu_conn(u, 4, "10.0.0.1", 30000 + i, "10.0.0.2", 80);
		hs(u, IC, IS);
		cdata(u, 7, "late", 0);
		cdata(u, 3, "mid", 0);
		cdata(u, 0, "abc", 0);
		sdata(u, 2, "yz", 0);
		TX(u, .from = CLI, .flags = RST, .seq = ic + 12);
	}
	tm_user_fail_alloc = 0;
	EXPECT_LT(0, tu_stat(u, TM_STAT_NOMEM));
	TU_DONE(u);
}

TEST(buf_total_across_flows)
{
	struct tm_table_cfg cfg = { .buf_total = 2 * (SEG + 100) - 1 };
	struct tu *u = tu_new(&cfg);
	static char a[100], b[100];

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	hs(u, IC, IS);
	cdata(u, 1, a, sizeof(a));
	EXPECT_EQ(SEG + 100, mos_tm_ooo_bytes(u->t));
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	hs(u, IC, IS);
	cdata(u, 1, b, sizeof(b));
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL buf_total 1+100\n"
		  "ERROR svr NULL gap 0+1\n"
		  "data svr 1+100\n"
		  "NEW_DATA svr NULL 0+101\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_BUF_TOTAL));
	/* The first flow's store is intact; filling it frees it. */
	EXPECT_EQ(SEG + 100, mos_tm_ooo_bytes(u->t));
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	cdata(u, 0, "0", 0);
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ('0', tu_rx(u, 1, SVR)[0]);
	EXPECT_EQ(101, strlen(tu_rx(u, 1, SVR)));
	TU_DONE(u);
}

/*
 * %TM_IN_LOSSLESS (inline): a segment the out-of-order store has no room
 * for is dropped, untracked, for its sender to send again, where a
 * monitor would skip its bytes as a gap.  The store's limits are
 * inclusive: a piece that fills the side's store exactly fits.
 */
TEST(lossless_drops_what_does_not_fit)
{
	struct tm_table_cfg cfg = { .buf_side = SEG + 10 };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	/* Exactly the room there is */
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 10, "0123456789"));
	EXPECT_EQ(SEG + 10, mos_tm_ooo_bytes(u->t));
	tu_log(u);
	/* No room: dropped before the tracker sees it */
	EXPECT_EQ(TM_VERDICT_DROP, ldata(u, 30, "abcdefghij"));
	LOG_EQ(u, "");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(SEG + 10, mos_tm_ooo_bytes(u->t));
	/* In order always fits: it fills the hole and drains the store */
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 0, "ABCDEFGHIJ"));
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+10\n"
		  "data svr 10+10\n"
		  "NEW_DATA svr NULL 0+20\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	/* Sent again, the dropped segment fits now, and so on: no gap */
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 30, "abcdefghij"));
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 20, "klmnopqrst"));
	EXPECT_STREQ("ABCDEFGHIJ0123456789klmnopqrstabcdefghij",
		     tu_rx(u, 1, SVR));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));

	/* The same segment from a monitor: a gap, not a drop */
	cdata(u, 60, "0123456789", 0);
	EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
	cdata(u, 80, "abcdefghij", 0);
	EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_GAPS));
	EXPECT_STREQ("ABCDEFGHIJ0123456789klmnopqrstabcdefghij"
		     "####################0123456789##########abcdefghij",
		     tu_rx(u, 1, SVR));
	TU_DONE(u);
}

/* The table's store is inclusive too, and lossless callers see it */
TEST(lossless_buf_total)
{
	struct tm_table_cfg cfg = { .buf_total = SEG + 10 };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 10, "0123456789"));
	EXPECT_EQ(SEG + 10, mos_tm_ooo_bytes(u->t));
	/* Another flow's piece does not fit the table's store */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	hs(u, IC, IS);
	EXPECT_EQ(TM_VERDICT_DROP, ldata(u, 1, "x"));
	LOG_EQ(u, "");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BUF_TOTAL));
	TU_DONE(u);
}

/*
 * A flow's end empties its stores.  Linux's read() stops at a hole: the
 * receiver acknowledges (tcp_send_ack(), rcv_nxt) exactly the bytes it
 * can read.  Bytes stored past its last acknowledgment were never read:
 * they are one gap, counted in end_unread, not delivered.  Bytes stored
 * before it were read (what filled the hole passed the receiver and not
 * the monitor): they are delivered after a gap for the hole.
 */
TEST(timeout_reports_unread_store)
{
	struct tm_table_cfg cfg = { .timeout[TM_ESTABLISHED] = 10 };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	cdata(u, 5, "world", 0);
	sdata(u, 1, "b", 0);
	tu_log(u);
	EXPECT_EQ(1, tu_expire(u, u->now + 10 * TU_NS, ~0U));
	LOG_EQ(u, "TIMEOUT cli NULL\n"
		  "ERROR cli NULL gap 0+2\n"
		  "NEW_DATA cli NULL 0+2\n"
		  "ERROR svr NULL gap 0+10\n"
		  "NEW_DATA svr NULL 0+10\n"
		  "CONN_END cli RCV timeout\n"
		  "CONN_END svr RCV timeout\n");
	EXPECT_STREQ("##########", tu_rx(u, 1, SVR));
	EXPECT_STREQ("##", tu_rx(u, 1, CLI));
	EXPECT_EQ(5 + 1, tu_stat(u, TM_STAT_END_UNREAD));
	EXPECT_EQ(10 + 2, tu_stat(u, TM_STAT_GAP_BYTES));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BYTES_C2S));
	TU_DONE(u);
}

TEST(timeout_delivers_acked_store)
{
	struct tm_table_cfg cfg = { .timeout[TM_ESTABLISHED] = 10 };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	cdata(u, 5, "world", 0);
	sdata(u, 1, "b", 0);
	/* Each receiver acknowledges all: it had the bytes the monitor missed */
	TX(u, .from = SVR, .flags = ACK, .seq = is + 3, .ack = ic + 11);
	TX(u, .from = CLI, .flags = ACK, .seq = ic + 11, .ack = is + 3);
	tu_log(u);
	EXPECT_EQ(1, tu_expire(u, u->now + 10 * TU_NS, ~0U));
	LOG_EQ(u, "TIMEOUT cli NULL\n"
		  "ERROR cli NULL gap 0+1\n"
		  "data cli 1+1\n"
		  "NEW_DATA cli NULL 0+2\n"
		  "ERROR svr NULL gap 0+5\n"
		  "data svr 5+5\n"
		  "NEW_DATA svr NULL 0+10\n"
		  "CONN_END cli RCV timeout\n"
		  "CONN_END svr RCV timeout\n");
	EXPECT_STREQ("#####world", tu_rx(u, 1, SVR));
	EXPECT_STREQ("#b", tu_rx(u, 1, CLI));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_END_UNREAD));
	TU_DONE(u);
}

/* The receiver's acknowledgment ends inside a stored piece, and a second
 * piece waits after another hole
 */
TEST(flush_up_to_the_ack)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 5, "world", 0);
	cdata(u, 15, "again", 0);
	TX(u, .from = SVR, .flags = ACK, .seq = is + 1, .ack = ic + 1 + 7);
	tu_log(u);
	tu_flush(u);
	LOG_EQ(u, "ERROR svr NULL gap 0+5\n"
		  "data svr 5+2\n"
		  "ERROR svr NULL gap 7+13\n"
		  "NEW_DATA svr NULL 0+20\n"
		  "CONN_END cli RCV flush\n"
		  "CONN_END svr RCV flush\n");
	EXPECT_STREQ("#####wo#############", tu_rx(u, 1, SVR));
	EXPECT_EQ(3 + 5, tu_stat(u, TM_STAT_END_UNREAD));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_BYTES_C2S));
	EXPECT_EQ(5 + 13, tu_stat(u, TM_STAT_GAP_BYTES));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/* An exact RST: the server read up to its hole, nothing after it */
TEST(rst_reports_unread_store)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 5, "world", 0);
	tu_log(u);
	TX(u, .from = CLI, .flags = RST, .seq = ic + 1);
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>CLOSED\n"
		  "PKT_IN cli SND\n"
		  "CONN_END cli SND rst\n"
		  "ERROR svr NULL gap 0+10\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSED\n"
		  "NEW_DATA svr NULL 0+10\n"
		  "PKT_IN svr RCV\n"
		  "CONN_END svr RCV rst\n");
	EXPECT_EQ(5, tu_stat(u, TM_STAT_END_UNREAD));
	TU_DONE(u);
}

/* The RST at the server's acknowledgment, past the bytes the monitor
 * missed: what the server acknowledged is delivered
 */
TEST(rst_delivers_acked_store)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 5, "world", 0);
	TX(u, .from = SVR, .flags = ACK, .seq = is + 1, .ack = ic + 11);
	tu_log(u);
	TX(u, .from = CLI, .flags = RST, .seq = ic + 11);
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>CLOSED\n"
		  "PKT_IN cli SND\n"
		  "CONN_END cli SND rst\n"
		  "ERROR svr NULL gap 0+5\n"
		  "data svr 5+5\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSED\n"
		  "NEW_DATA svr NULL 0+10\n"
		  "PKT_IN svr RCV\n"
		  "CONN_END svr RCV rst\n");
	EXPECT_EQ(0, tu_stat(u, TM_STAT_END_UNREAD));
	TU_DONE(u);
}

/*
 * Whatever ends a flow, every byte a side stored enters its stream or is
 * reported as a gap: the server stores "world" at 5, the client "b" at 1;
 * with @acked each receiver acknowledged them (it had the bytes the
 * monitor missed), else neither did.
 */
static void store_both(struct tu *u, bool acked)
{
	hs(u, IC, IS);
	cdata(u, 5, "world", 0);
	sdata(u, 1, "b", 0);
	if (acked) {
		TX(u, .from = SVR, .flags = ACK, .seq = is + 3, .ack = ic + 11);
		TX(u, .from = CLI, .flags = ACK, .seq = ic + 11, .ack = is + 3);
	}
	tu_log(u);
}

static void stored_all_reported(struct __test_metadata *_metadata,
				struct tu *u, bool acked)
{
	/* stored = delivered + unread, each way; holes are gaps */
	EXPECT_EQ(2, tu_stat(u, TM_STAT_GAPS));
	if (acked) {
		EXPECT_STREQ("#####world", tu_rx(u, 1, SVR));
		EXPECT_STREQ("#b", tu_rx(u, 1, CLI));
		EXPECT_EQ(5 + 1, tu_stat(u, TM_STAT_GAP_BYTES));
		EXPECT_EQ(5, tu_stat(u, TM_STAT_BYTES_C2S));
		EXPECT_EQ(1, tu_stat(u, TM_STAT_BYTES_S2C));
		EXPECT_EQ(0, tu_stat(u, TM_STAT_END_UNREAD));
	} else {
		EXPECT_STREQ("##########", tu_rx(u, 1, SVR));
		EXPECT_STREQ("##", tu_rx(u, 1, CLI));
		EXPECT_EQ(10 + 2, tu_stat(u, TM_STAT_GAP_BYTES));
		EXPECT_EQ(0, tu_stat(u, TM_STAT_BYTES_C2S));
		EXPECT_EQ(0, tu_stat(u, TM_STAT_BYTES_S2C));
		EXPECT_EQ(5 + 1, tu_stat(u, TM_STAT_END_UNREAD));
	}
}

static void end_rst_own_case(struct __test_metadata *_metadata, bool acked)
{
	struct tu *u = tu_new(NULL);

	store_both(u, acked);
	/* The client stores the server's "b", and resets */
	TX(u, .from = CLI, .flags = RST, .seq = ic + 1 + 10 * acked);
	if (acked) {
		LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>CLOSED\n"
			  "PKT_IN cli SND\n"
			  "ERROR cli NULL gap 0+1\n"
			  "data cli 1+1\n"
			  "NEW_DATA cli NULL 0+2\n"
			  "CONN_END cli SND rst\n"
			  "ERROR svr NULL gap 0+5\n"
			  "data svr 5+5\n"
			  "STATE_CHANGE svr RCV ESTABLISHED>CLOSED\n"
			  "NEW_DATA svr NULL 0+10\n"
			  "PKT_IN svr RCV\n"
			  "CONN_END svr RCV rst\n");
	} else {
		LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>CLOSED\n"
			  "PKT_IN cli SND\n"
			  "ERROR cli NULL gap 0+2\n"
			  "NEW_DATA cli NULL 0+2\n"
			  "CONN_END cli SND rst\n"
			  "ERROR svr NULL gap 0+10\n"
			  "STATE_CHANGE svr RCV ESTABLISHED>CLOSED\n"
			  "NEW_DATA svr NULL 0+10\n"
			  "PKT_IN svr RCV\n"
			  "CONN_END svr RCV rst\n");
	}
	stored_all_reported(_metadata, u, acked);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(end_rst_from_the_side_that_stores)
{
	end_rst_own_case(_metadata, false);
}

TEST(end_rst_from_the_side_that_stores_acked)
{
	end_rst_own_case(_metadata, true);
}

static void end_rst_other_case(struct __test_metadata *_metadata, bool acked)
{
	struct tu *u = tu_new(NULL);

	store_both(u, acked);
	TX(u, .from = SVR, .flags = RST, .seq = is + 1 + 2 * acked);
	stored_all_reported(_metadata, u, acked);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(end_rst_from_the_other_side)
{
	end_rst_other_case(_metadata, false);
}

TEST(end_rst_from_the_other_side_acked)
{
	end_rst_other_case(_metadata, true);
}

static void end_flush_case(struct __test_metadata *_metadata, bool acked)
{
	struct tu *u = tu_new(NULL);

	store_both(u, acked);
	tu_flush(u);
	stored_all_reported(_metadata, u, acked);
	TU_DONE(u);
}

TEST(end_flush)
{
	end_flush_case(_metadata, false);
}

TEST(end_flush_acked)
{
	end_flush_case(_metadata, true);
}

static void end_reset_case(struct __test_metadata *_metadata, bool acked)
{
	struct tu *u = tu_new(NULL);
	struct tm_reset r;

	store_both(u, acked);
	ASSERT_EQ(0, mos_tm_reset(u->t, tu_last_id(u), NULL, u->now, &r));
	stored_all_reported(_metadata, u, acked);
	TU_DONE(u);
}

TEST(end_reset)
{
	end_reset_case(_metadata, false);
}

TEST(end_reset_acked)
{
	end_reset_case(_metadata, true);
}

/*
 * The client's FIN waits behind the server's hole, then a SYN on the
 * 4-tuple: the server's socket is still ESTABLISHED (its stream never
 * reached the FIN), and Linux opens a new connection only from CLOSED or
 * TIME_WAIT (tcp_timewait_state_process()): the SYN is a segment of the
 * old connection, refused, and the flow goes on.
 */
TEST(syn_behind_fin_hole_is_no_reuse)
{
	struct tu *u = tu_new(NULL);

	store_both(u, false);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = ic + 11, .ack = is + 1);
	tu_log(u);
	TX(u, .from = CLI, .flags = SYN, .seq = 90000);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 89000+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_last_id(u));
	EXPECT_EQ(1, mos_tm_flows(u->t));
	EXPECT_STREQ("FIN_WAIT_1 ESTABLISHED", tu_states(u));
	/* The hole filled: the server reads all, and the FIN */
	cdata(u, 0, "hello", 0);
	EXPECT_STREQ("helloworld", tu_rx(u, 1, SVR));
	EXPECT_STREQ("FIN_WAIT_1 CLOSE_WAIT", tu_states(u));
	TU_DONE(u);
}

static void end_reuse_case(struct __test_metadata *_metadata, bool acked)
{
	struct tu *u = tu_new(NULL);

	store_both(u, acked);
	/* The server resets (the client's stream was acked up to is + 1 +
	 * 2 * acked), and a new connection follows
	 */
	TX(u, .from = SVR, .flags = RST, .seq = is + 1 + 2 * acked);
	TX(u, .from = CLI, .flags = SYN, .seq = 90000);
	stored_all_reported(_metadata, u, acked);
	EXPECT_EQ(2, tu_last_id(u));
	TU_DONE(u);
}

TEST(end_reuse)
{
	end_reuse_case(_metadata, false);
}

TEST(end_reuse_acked)
{
	end_reuse_case(_metadata, true);
}

TEST(end_evict)
{
	struct tm_table_cfg cfg = { .max_flows = 1, .buckets = 1 };
	struct tu *u = tu_new(&cfg);

	/*
	 * Half open, the client's bytes after a hole, without ACK: Linux's
	 * SYN_RCVD server discards them (tcp_rcv_state_process()), so they
	 * are never stored, and the eviction has nothing to report
	 */
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = CLI, .flags = PSH, .seq = IC + 6, .data = "world");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_NACC_NOACK));
	EXPECT_STREQ("SYN_SENT SYN_RCVD", tu_states(u));
	tu_log(u);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_EVICTED));
	EXPECT_STREQ("", tu_rx(u, 1, SVR));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAP_BYTES));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BYTES_C2S));
	TU_DONE(u);
}

/* Monitoring disabled: the table goes with its flows */
static void end_table_free_case(struct __test_metadata *_metadata, bool acked,
				const char *log, const char *svr,
				const char *cli)
{
	struct tu *u = tu_new(NULL);

	store_both(u, acked);
	mos_tm_table_free(u->t);
	u->t = NULL;
	LOG_EQ(u, log);
	EXPECT_STREQ(svr, tu_rx(u, 1, SVR));
	EXPECT_STREQ(cli, tu_rx(u, 1, CLI));
	tu_free(u);
}

TEST(end_table_free)
{
	end_table_free_case(_metadata, false,
			    "ERROR cli NULL gap 0+2\n"
			    "NEW_DATA cli NULL 0+2\n"
			    "ERROR svr NULL gap 0+10\n"
			    "NEW_DATA svr NULL 0+10\n",
			    "##########", "##");
}

TEST(end_table_free_acked)
{
	end_table_free_case(_metadata, true,
			    "ERROR cli NULL gap 0+1\n"
			    "data cli 1+1\n"
			    "NEW_DATA cli NULL 0+2\n"
			    "ERROR svr NULL gap 0+5\n"
			    "data svr 5+5\n"
			    "NEW_DATA svr NULL 0+10\n",
			    "#####world", "#b");
}

TEST(data_after_fin)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 0, "hello", 0);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = ic + 6, .ack = is + 1);
	EXPECT_STREQ("FIN_WAIT_1 CLOSE_WAIT", tu_states(u));
	tu_log(u);
	/* Bytes past the FIN: the receiver ignores them, so does the
	 * stream, in order or not.
	 */
	TX(u, .from = CLI, .flags = ACK, .seq = ic + 7, .ack = is + 1,
	   .data = "evil");
	TX(u, .from = CLI, .flags = ACK, .seq = ic + 20, .ack = is + 1,
	   .data = "evil");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 5+4\n"
		  "PKT_IN svr RCV\n"
		  "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 18+4\n"
		  "PKT_IN svr RCV\n");
	/* A FIN sent again, and a pure ACK after it, are fine. */
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = ic + 6, .ack = is + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = ic + 7, .ack = is + 1);
	LOG_EQ(u, "REXMIT cli SND 5+0\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 5+0\n"
		  "PKT_IN svr RCV\n"
		  "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("hello", tu_rx(u, 1, SVR));
	/* The server closes: LAST_ACK, then CLOSED */
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = is + 1, .ack = ic + 7);
	TX(u, .from = CLI, .flags = ACK, .seq = ic + 7, .ack = is + 2);
	EXPECT_STREQ("TIME_WAIT CLOSED", tu_states(u));
	EXPECT_STREQ("hello", tu_rx(u, 1, SVR));
	EXPECT_EQ(5, tu_stat(u, TM_STAT_BYTES_C2S));
	TU_DONE(u);
}

TEST(stored_pieces_overlap_chain)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	cdata(u, 10, "abcd", 0);
	cdata(u, 20, "klmn", 0);
	/* covers the end of one, the gap, the start of the other */
	cdata(u, 12, "cdefghijkl", 0);
	/* 10..24 are contiguous: one piece */
	EXPECT_EQ(SEG + 14, mos_tm_ooo_bytes(u->t));
	/* covers everything, with the same bytes */
	cdata(u, 0, "0123456789abcdefghijklmn", 0);
	EXPECT_STREQ("0123456789abcdefghijklmn", tu_rx(u, 1, SVR));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_OVERLAP_DIFF));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/* A small deterministic generator for the tests below */
static u32 rnd_state;

static u32 rnd(u32 n)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 8) % n;
}

/*
 * Thousands of segments, overlapping or not, in random order behind a
 * hole, against a model of the stream: per byte, the first (or last)
 * segment that held it.  The holes left are filled, then the first byte:
 * the store must hand over the model's bytes in order.
 */
static void store_random(struct __test_metadata *_metadata, u8 policy,
			 u32 isn, u32 seed)
{
	struct tm_table_cfg cfg = { .overlap = policy, .seg_side = 1 << 20,
				    .buf_side = 1 << 24 };
	enum { M = 30000, NSEG = 4000 };
	static char model[M + 1], seg[16];
	static bool set[M];
	struct tu *u = tu_new(&cfg);
	u32 i, k, off, len;

	rnd_state = seed;
	memset(set, 0, sizeof(set));
	hs(u, isn, IS);
	for (i = 0; i < NSEG; i++) {
		off = 1 + rnd(M - 9);
		len = 1 + rnd(8);
		for (k = 0; k < len; k++) {
			seg[k] = 'a' + rnd(26);
			if (!set[off + k] || policy == TM_OVERLAP_LAST)
				model[off + k] = seg[k];
			set[off + k] = true;
		}
		cdata(u, off, seg, len);
	}
	/* the holes, last first, then the first byte */
	for (off = M; off > 1; off = k) {
		for (k = off; k > 1 && set[k - 1]; k--)
			;
		for (len = 0; k > 1 && !set[k - 1]; k--)
			len++;
		if (len) {
			memset(model + k, 'Z', len);
			memset(seg, 'Z', sizeof(seg));
			for (i = 0; i < len; i += 16)
				cdata(u, k + i, seg, len - i < 16 ? len - i : 16);
		}
	}
	model[0] = '@';
	model[M] = 0;
	cdata(u, 0, "@", 1);
	EXPECT_STREQ(model, tu_rx(u, 1, SVR));
	EXPECT_EQ(M, tu_stat(u, TM_STAT_BYTES_C2S));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_OOW));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST(store_random_first)
{
	store_random(_metadata, TM_OVERLAP_FIRST, IC, 1);
	store_random(_metadata, TM_OVERLAP_FIRST, IC, 2);
}

TEST(store_random_last)
{
	store_random(_metadata, TM_OVERLAP_LAST, IC, 3);
}

/* The same with the client's sequence numbers crossing 2^32 midway */
TEST(store_random_wraparound)
{
	store_random(_metadata, TM_OVERLAP_FIRST, 0xffffffffu - 15000, 4);
	store_random(_metadata, TM_OVERLAP_LAST, 0xffffffffu - 15000, 5);
}

/* Bytes that arrive in order behind a hole share pieces of TM_SEG_MAX */
TEST(store_coalesce)
{
	enum { N = 3000 };
	static char want[N + 2];
	struct tu *u = tu_new(NULL);
	u32 i;

	hs(u, IC, IS);
	for (i = 1; i <= N; i++) {
		want[i] = 'a' + i % 26;
		cdata(u, i, want + i, 1);
	}
	/* 3000 bytes: a full piece of 2008 and one of 992 */
	EXPECT_EQ(2 * SEG + N, mos_tm_ooo_bytes(u->t));
	/* and in reverse order behind the next hole */
	for (i = 2 * N + 1; i > N + 1; i--)
		cdata(u, i, "x", 1);
	EXPECT_EQ(4 * SEG + 2 * N, mos_tm_ooo_bytes(u->t));
	tu_log(u);
	cdata(u, 0, "@", 1);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+1\n"
		  "data svr 1+2008\n"
		  "data svr 2009+992\n"
		  "NEW_DATA svr NULL 0+3001\n"
		  "PKT_IN svr RCV\n");
	want[0] = '@';
	EXPECT_STREQ(want, tu_rx(u, 1, SVR));
	cdata(u, N + 1, "-", 1);
	EXPECT_EQ(2 * N + 2, tu_stat(u, TM_STAT_BYTES_C2S));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/* The piece limit: a segment that needs one more piece is refused */
TEST(store_piece_limit)
{
	struct tm_table_cfg cfg = { .seg_side = 16 };
	struct tu *u = tu_new(&cfg);
	u32 i;

	hs(u, IC, IS);
	/* 16 pieces of one byte at 2, 4, .. 32, each behind a hole */
	for (i = 1; i <= 16; i++)
		cdata(u, 2 * i, "x", 1);
	EXPECT_EQ(16 * SEG + 16, mos_tm_ooo_bytes(u->t));
	/* bytes that follow a piece go into it: no new piece */
	cdata(u, 33, "y", 1);
	EXPECT_EQ(0, tu_stat(u, TM_STAT_SEG_SIDE));
	EXPECT_EQ(16 * SEG + 17, mos_tm_ooo_bytes(u->t));
	tu_log(u);
	/* the 17th piece: the side's store is full, its holes are gaps */
	cdata(u, 40, "z", 1);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_SEG_SIDE));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_EQ(17, tu_stat(u, TM_STAT_GAPS));
	EXPECT_STREQ("##x#x#x#x#x#x#x#x#x#x#x#x#x#x#x#xy######z",
		     tu_rx(u, 1, SVR));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));

	/* inline: the segment is dropped, for its sender to send again */
	for (i = 1; i <= 16; i++)
		EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 41 + 2 * i, "x"));
	EXPECT_EQ(TM_VERDICT_DROP, ldata(u, 41 + 34, "z"));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_SEG_SIDE));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(17, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(16 * SEG + 16, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/*
 * Lossless: a segment over many stored pieces, whose bytes between them
 * need more room than the segment's length and one header.  Either it
 * is dropped whole, or stored whole: never cut short with a gap.  The
 * pieces are full (24 bytes: a 64-byte allocation with its 40-byte
 * header), so each run of one byte before one takes a new piece and its
 * header; bytes that follow a piece with room would go into it instead
 * (Documentation/tcpmon.rst).
 */
TEST(lossless_split_around_pieces)
{
	enum { K = 100, P = 24, STEP = P + 1 };
	struct tm_table_cfg cfg = {
		/* the pieces, and the segment's bytes with one header */
		.buf_side = K * (SEG + P) + STEP * K + SEG,
	};
	static char all[STEP * K + 1];
	static char piece[P + 1];
	struct tu *u = tu_new(&cfg);
	u32 i;

	hs(u, IC, IS);
	memset(piece, 'x', P);
	for (i = 0; i < K; i++)
		EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 2 + STEP * i, piece));
	EXPECT_EQ(K * (SEG + P), mos_tm_ooo_bytes(u->t));
	/* [1, STEP * K + 1): K runs of one byte, each before a piece */
	memset(all, 'x', STEP * K);
	EXPECT_EQ(TM_VERDICT_DROP, ldata(u, 1, all));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(K * (SEG + P), mos_tm_ooo_bytes(u->t));
	/* sent again once the hole before it is filled: in order */
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 0, "@"));
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 1, all));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(STEP * K + 1, tu_stat(u, TM_STAT_BYTES_C2S));
	TU_DONE(u);
}

/*
 * Lossless: the same segment over pieces of one byte, which have room
 * (a 64-byte allocation holds 24): each run of one byte after a piece
 * goes into it, and only the first takes a new piece.  The segment
 * costs its 100 new bytes and one header, which the side's limit has
 * room for: it is stored whole, nothing dropped.
 */
TEST(lossless_runs_in_room)
{
	enum { K = 100 };
	struct tm_table_cfg cfg = {
		.buf_side = K * (SEG + 1) + K + SEG,
	};
	static char all[2 * K + 1];
	struct tu *u = tu_new(&cfg);
	u32 i;

	hs(u, IC, IS);
	for (i = 1; i <= K; i++)
		EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 2 * i, "x"));
	EXPECT_EQ(K * (SEG + 1), mos_tm_ooo_bytes(u->t));
	memset(all, 'x', 2 * K);
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 1, all));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(TM_VERDICT_PASS, ldata(u, 0, "@"));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(2 * K + 1, tu_stat(u, TM_STAT_BYTES_C2S));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST_HARNESS_MAIN
