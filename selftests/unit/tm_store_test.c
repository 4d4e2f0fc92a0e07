// SPDX-License-Identifier: GPL-2.0
/*
 * tm_store_test.c - unit tests of how flows share the out-of-order store
 *
 * The share arithmetic (max(4096, buf_total / holders)), a flow over its
 * share in passive and in lossless (inline) mode, the trimming of the
 * biggest holder when the table's store is full, the ageing of holes on
 * a fake clock (at a packet and at the expiry sweep), and the reason
 * each gap carries.  The expected values come from the policy as
 * Documentation/tcpmon.rst states it and from the store's documented
 * charge (a piece's bytes and its header), not from the code's own
 * numbers; the events are asserted exactly where they are few, the
 * streams byte for byte ('#' for bytes reported as a gap).
 */

#include <stdio.h>
#include <string.h>
#include "kselftest_harness.h"
#include "tm_util.h"
#include "tm_int.h"

#define IC	1000
#define IS	5000
#define SEG	((unsigned int)sizeof(struct tm_seg))
/* A full piece: contiguous pieces join up to it, full ones cannot */
#define PC	((unsigned int)TM_SEG_MAX)
#define MS	1000000ULL

/* Flows of the tests: each a client port, ids in creation order */
#define PORT_A	40000
#define PORT_B	40001
#define PORT_C	40002

static void use(struct tu *u, u16 port)
{
	tu_conn(u, 4, "10.0.0.1", port, "10.0.0.2", 80);
}

/* SYN, SYN-ACK, ACK of the current connection; the log is cleared */
static void hs(struct tu *u)
{
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_log(u);
}

/* @len bytes of @c at offset @off of the client's stream */
static enum tm_verdict cdata(struct tu *u, u32 off, char c, unsigned int len,
			     unsigned int in_flags)
{
	static char buf[4096];

	memset(buf, c, len);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1 + off,
	   .ack = IS + 1, .data = buf, .len = len, .in_flags = in_flags);
	return u->verdict;
}

/* The reasons of every gap reported, in order: "share aged ..." */
static const char *gap_reasons(struct tu *u)
{
	static const char *const names[] = {
		"loss", "limit", "share", "aged", "pressure",
	};
	static char out[256];
	unsigned int i;
	size_t n = 0;

	out[0] = 0;
	for (i = 0; i < u->nev && n < sizeof(out) - 16; i++) {
		const struct tm_ev *ev = &u->ev[i].ev;

		if (ev->type != TM_EV_ERROR || ev->err != TM_ERR_GAP)
			continue;
		n += snprintf(out + n, sizeof(out) - n, "%s%s", n ? " " : "",
			      ev->reason < 5 ? names[ev->reason] : "?");
	}
	return out;
}

/* @n bytes of @c, after @gap '#' */
static int stream_is(const char *s, unsigned int gap, char c, unsigned int n)
{
	unsigned int i;

	if (strlen(s) != gap + n)
		return 0;
	for (i = 0; i < gap; i++)
		if (s[i] != '#')
			return 0;
	for (; i < gap + n; i++)
		if (s[i] != c)
			return 0;
	return 1;
}

/* max(4096, total / holders): the split of the budget among holders */
TEST(share_arithmetic)
{
	/* One holder, or none yet: the whole budget */
	EXPECT_EQ(65536, tm_store_share(65536, 0));
	EXPECT_EQ(65536, tm_store_share(65536, 1));
	EXPECT_EQ(32768, tm_store_share(65536, 2));
	/* 64 MiB among 256: 256 KiB; among 257: floor(67108864 / 257) */
	EXPECT_EQ(262144, tm_store_share(64ULL << 20, 256));
	EXPECT_EQ(261123, tm_store_share(64ULL << 20, 257));
	/* The floor: two pieces' worth */
	EXPECT_EQ(4096, tm_store_share(65536, 17));
	EXPECT_EQ(4096, tm_store_share(65536, 1U << 20));
	EXPECT_EQ(4369, tm_store_share(65536, 15));
	/* A budget beyond 4 GiB with one holder: the most a u32 says */
	EXPECT_EQ(0xffffffffU, tm_store_share(1ULL << 40, 1));
}

/*
 * Passive: flow B holds a little; flow A keeps storing full pieces
 * behind its hole.  With two holders A's share is 65536 / 2 = 32768
 * bytes, pieces' headers included: the piece that would take it over
 * gives up A's store (its hole a gap, reason share) and A's stream goes
 * on; B's store and stream are untouched.
 */
TEST(share_passive)
{
	struct tm_table_cfg cfg = { .buf_total = 65536 };
	struct tu *u = tu_new(&cfg);
	unsigned int k = 32768 / (PC + SEG), i;

	use(u, PORT_B);
	hs(u);
	cdata(u, 1, 'b', 100, 0);
	use(u, PORT_A);
	hs(u);
	for (i = 0; i < k; i++)
		cdata(u, 1 + i * PC, 'a', PC, 0);
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_SHARE));
	EXPECT_EQ(k * (PC + SEG) + 100 + SEG, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(2, atomic_read(&u->t->holders));
	tu_log(u);
	/* The piece over the share */
	cdata(u, 1 + k * PC, 'a', PC, 0);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_SHARE));
	EXPECT_STREQ("share", gap_reasons(u));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_GAP_BYTES));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BUF_TOTAL));
	EXPECT_EQ(100 + SEG, mos_tm_ooo_bytes(u->t));
	EXPECT_TRUE(stream_is(tu_rx(u, 2, SVR), 1, 'a', (k + 1) * PC));
	EXPECT_EQ(1, atomic_read(&u->t->holders));
	/* B fills its hole: its stream is whole */
	use(u, PORT_B);
	cdata(u, 0, 'b', 1, 0);
	EXPECT_TRUE(stream_is(tu_rx(u, 1, SVR), 0, 'b', 101));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(0, atomic_read(&u->t->holders));
	EXPECT_EQ(NULL, u->t->big);
	TU_DONE(u);
}

/*
 * Lossless (inline): the piece over the share is dropped, untracked, for
 * its sender to send again; A's store stays as it was.
 */
TEST(share_lossless)
{
	struct tm_table_cfg cfg = { .buf_total = 65536 };
	struct tu *u = tu_new(&cfg);
	unsigned int k = 32768 / (PC + SEG), i;

	use(u, PORT_B);
	hs(u);
	cdata(u, 1, 'b', 100, TM_IN_LOSSLESS);
	use(u, PORT_A);
	hs(u);
	for (i = 0; i < k; i++)
		EXPECT_EQ(TM_VERDICT_PASS,
			  cdata(u, 1 + i * PC, 'a', PC, TM_IN_LOSSLESS));
	tu_log(u);
	EXPECT_EQ(TM_VERDICT_DROP,
		  cdata(u, 1 + k * PC, 'a', PC, TM_IN_LOSSLESS));
	LOG_EQ(u, "");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_SHARE));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(k * (PC + SEG) + 100 + SEG, mos_tm_ooo_bytes(u->t));
	/* Its sender fills the hole, then sends the piece again */
	cdata(u, 0, 'a', 1, TM_IN_LOSSLESS);
	EXPECT_EQ(TM_VERDICT_PASS,
		  cdata(u, 1 + k * PC, 'a', PC, TM_IN_LOSSLESS));
	EXPECT_TRUE(stream_is(tu_rx(u, 2, SVR), 0, 'a', 1 + (k + 1) * PC));
	EXPECT_STREQ("", gap_reasons(u));
	TU_DONE(u);
}

/*
 * Pressure: A, alone, fills the table's store (its share is all of it);
 * B, a newcomer within its share (65536 / 2), needs room.  A, over its
 * share, gives up its store (gap reason pressure), once; B stores.
 */
static void pressure(struct __test_metadata *_metadata, unsigned int in_flags)
{
	struct tm_table_cfg cfg = { .buf_total = 65536 };
	struct tu *u = tu_new(&cfg);
	unsigned int k = 65536 / (PC + SEG), i;

	use(u, PORT_A);
	hs(u);
	for (i = 0; i < k; i++)
		EXPECT_EQ(TM_VERDICT_PASS,
			  cdata(u, 1 + i * PC, 'a', PC, in_flags));
	/* Full: not one more piece fits */
	EXPECT_GT(PC + SEG, 65536 - mos_tm_ooo_bytes(u->t));
	use(u, PORT_B);
	hs(u);
	EXPECT_EQ(TM_VERDICT_PASS, cdata(u, 1, 'b', PC, in_flags));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_TRIMMED));
	EXPECT_STREQ("pressure", gap_reasons(u));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_SHARE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BUF_TOTAL));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_FULL));
	/* A's server acknowledged none of it: one gap, nothing delivered */
	EXPECT_TRUE(stream_is(tu_rx(u, 1, SVR), 1 + k * PC, 'a', 0));
	EXPECT_EQ(k * PC, tu_stat(u, TM_STAT_END_UNREAD));
	EXPECT_EQ(PC + SEG, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(1, atomic_read(&u->t->holders));
	cdata(u, 0, 'b', 1, in_flags);
	EXPECT_TRUE(stream_is(tu_rx(u, 2, SVR), 0, 'b', 1 + PC));
	TU_DONE(u);
}

TEST(pressure_passive)
{
	pressure(_metadata, 0);
}

TEST(pressure_lossless)
{
	pressure(_metadata, TM_IN_LOSSLESS);
}

/*
 * Three flows each within a third of the budget: the newcomer's share
 * takes nothing from the others, whom nothing trims.  The last piece
 * that does not fit the budget is a limit, as before (reason limit).
 */
TEST(pressure_spares_flows_within_share)
{
	struct tm_table_cfg cfg = { .buf_total = 65536 };
	struct tu *u = tu_new(&cfg);
	unsigned int k = 21845 / (PC + SEG), i;

	use(u, PORT_A);
	hs(u);
	use(u, PORT_B);
	hs(u);
	use(u, PORT_C);
	hs(u);
	/* One piece each first: three holders, shares of 21845 */
	for (i = 0; i < k; i++) {
		use(u, PORT_A);
		cdata(u, 1 + i * PC, 'a', PC, 0);
		use(u, PORT_B);
		cdata(u, 1 + i * PC, 'b', PC, 0);
		use(u, PORT_C);
		cdata(u, 1 + i * PC, 'c', PC, 0);
	}
	EXPECT_EQ(3, atomic_read(&u->t->holders));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_TRIMMED));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_SHARE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	EXPECT_EQ(3 * k * (PC + SEG), mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/*
 * Ageing on a fake clock (store_age_ms 1000): a hole 998 ms old stays;
 * at 1000 ms the next packet gives the store up first (gap reason aged,
 * then its bytes and NEW_DATA), then is tracked itself.
 */
TEST(age_at_packet)
{
	struct tm_table_cfg cfg = { .store_age_ms = 1000 };
	struct tu *u = tu_new(&cfg);
	u64 t0;

	hs(u);
	t0 = u->now = 2000 * TU_NS;
	cdata(u, 1, 'x', 10, 0);
	tu_log(u);
	u->now = t0 + 998 * MS;
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1);
	LOG_EQ(u, "PKT_IN svr SND\nPKT_IN cli RCV\n");
	u->now = t0 + 1000 * MS;
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1);
	/* The server acknowledged none of the stored bytes: one gap */
	LOG_EQ(u, "ERROR svr NULL gap 0+11\n"
		  "NEW_DATA svr NULL 0+11\n"
		  "PKT_IN svr SND\n"
		  "PKT_IN cli RCV\n");
	EXPECT_STREQ("aged", gap_reasons(u));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_AGED));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(0, atomic_read(&u->t->holders));
	EXPECT_TRUE(stream_is(tu_rx(u, 1, SVR), 11, 'x', 0));
	EXPECT_EQ(10, tu_stat(u, TM_STAT_END_UNREAD));
	TU_DONE(u);
}

/*
 * A hole's age starts again when the stream moves on: bytes at 10, then
 * 0..4 at +600 ms (the hole is now 5..9, opened at +600 ms).  At +1100 ms
 * it is 500 ms old and stays; the sweep at +1600 ms gives it up, and the
 * flow, far from its idle timeout, stays.
 */
TEST(age_restarts_and_sweep)
{
	struct tm_table_cfg cfg = { .store_age_ms = 1000 };
	struct tu *u = tu_new(&cfg);
	u64 t0;

	hs(u);
	t0 = u->now = 2000 * TU_NS;
	cdata(u, 10, 'y', 5, 0);
	u->now = t0 + 600 * MS;
	cdata(u, 0, 'x', 5, 0);
	u->now = t0 + 1100 * MS;
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 6);
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_AGED));
	tu_expire(u, t0 + 1500 * MS, 1U << 20);
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_AGED));
	tu_log(u);
	EXPECT_EQ(0, tu_expire(u, t0 + 1600 * MS, 1U << 20));
	/* Acknowledged up to 5: the hole and the bytes after it, one gap */
	LOG_EQ(u, "ERROR svr NULL gap 5+10\n"
		  "NEW_DATA svr NULL 5+10\n");
	EXPECT_STREQ("aged", gap_reasons(u));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_AGED));
	EXPECT_EQ(1, mos_tm_flows(u->t));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	EXPECT_STREQ("xxxxx##########", tu_rx(u, 1, SVR));
	EXPECT_EQ(5, tu_stat(u, TM_STAT_END_UNREAD));
	TU_DONE(u);
}

/*
 * The sweep reads its clock once, then walks the table: a packet another
 * CPU takes meanwhile may open a hole a little after the sweep's "now".
 * That hole is young, not 49 days old.
 */
TEST(age_sweep_clock_behind)
{
	struct tm_table_cfg cfg = { .store_age_ms = 1000 };
	struct tu *u = tu_new(&cfg);
	u64 t0;

	hs(u);
	t0 = u->now = 2000 * TU_NS;
	cdata(u, 1, 'x', 10, 0);
	tu_log(u);
	EXPECT_EQ(0, tu_expire(u, t0 - 2 * MS, 1U << 20));
	LOG_EQ(u, "");
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_AGED));
	EXPECT_EQ(10 + SEG, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

/*
 * The reasons of the gaps that were there before: a side's limit
 * (limit), and a store the flow's end flushes (loss: bytes mos never
 * saw).
 */
TEST(gap_reasons_limit_and_loss)
{
	struct tm_table_cfg cfg = { .buf_side = 2 * (100 + SEG) };
	struct tu *u = tu_new(&cfg);

	hs(u);
	cdata(u, 1, 'a', 100, 0);
	cdata(u, 101, 'a', 100, 0);
	cdata(u, 201, 'a', 100, 0);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_BUF_SIDE));
	EXPECT_STREQ("limit", gap_reasons(u));
	cdata(u, 400, 'b', 10, 0);
	tu_flush(u);
	EXPECT_STREQ("limit loss", gap_reasons(u));
	EXPECT_EQ(0, atomic_read(&u->t->holders));
	EXPECT_EQ(NULL, u->t->big);
	TU_DONE(u);
}

/*
 * The share is checked against what storing a segment costs, as the
 * store charges it: its bytes, the header of each new piece (bytes that
 * follow a piece of the same receiver skb contiguously go into its
 * room), and, under LINUX, a node of the shadow only when the receiver
 * makes a new skb (a segment its last skb ends at is appended to it, up
 * to 17 times).  The flood of stress_fair.sh, one flow of it: a
 * 1000-byte hole, then 63 segments of 1000 bytes.  The receiver's skbs
 * hold 18, 18, 18 and 9 of them (4 nodes); the pieces of each skb fill
 * 2008 bytes each (9, 9, 9 and 5 pieces): 63000 + 32 headers + 4 nodes.
 * A table whose budget is exactly that (the flow's share, as its only
 * holder) takes the same segments whole, in both modes: the last one
 * costs 1000 bytes and one header (32 bytes in the last piece's room,
 * 968 in a new one), its skb is appended to, and the flow ends at
 * exactly its share.
 */
#define FL_N	63
#define FL_LEN	1000
#define FL_HELD	(FL_N * FL_LEN + 32 * SEG + 4 * \
		 (unsigned int)sizeof(struct tm_lnx))

static void flood(struct __test_metadata *_metadata, struct tu *u,
		  unsigned int in_flags)
{
	unsigned int i;

	use(u, PORT_A);
	hs(u);
	for (i = 0; i < FL_N; i++)
		EXPECT_EQ(TM_VERDICT_PASS,
			  cdata(u, FL_LEN + i * FL_LEN, 'a', FL_LEN,
				in_flags));
}

static void share_exact(struct __test_metadata *_metadata,
			unsigned int in_flags)
{
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	struct tu *u = tu_new(&cfg);

	/* The default budget: nothing near a limit */
	flood(_metadata, u, in_flags);
	EXPECT_EQ(FL_HELD, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
	cfg.buf_total = FL_HELD;
	u = tu_new(&cfg);
	flood(_metadata, u, in_flags);
	EXPECT_EQ(FL_HELD, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_SHARE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_STORE_FULL));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	/* The hole filled: the whole stream */
	cdata(u, 0, 'a', FL_LEN, in_flags);
	EXPECT_TRUE(stream_is(tu_rx(u, 1, SVR), 0, 'a',
			      (FL_N + 1) * FL_LEN));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	TU_DONE(u);
}

TEST(share_exact_passive)
{
	share_exact(_metadata, 0);
}

TEST(share_exact_lossless)
{
	share_exact(_metadata, TM_IN_LOSSLESS);
}

/*
 * The other way: a segment that starts a new receiver skb costs a node
 * of the shadow too.  Flow B holds 100 bytes (a piece, a node); flow A,
 * one of two holders, may hold 10000 / 2 = 5000.  A holds 3000 bytes
 * in one skb (two pieces, a node: 3120) and 800 in another (a piece, a
 * node: 880), 4000 in all.  A third segment of 950 bytes, away from
 * both, costs 950 + a header + a node = 1030: 30 over.  Passive, A's
 * store is given up (reason share) and its stream goes on from the
 * segment; lossless, the segment is dropped and the store stays.
 */
static void share_node(struct __test_metadata *_metadata,
		       unsigned int in_flags)
{
	unsigned int node = (unsigned int)sizeof(struct tm_lnx);
	struct tm_table_cfg cfg = {
		.overlap = TM_OVERLAP_LINUX,
		.buf_total = 10000,
	};
	struct tu *u = tu_new(&cfg);

	use(u, PORT_B);
	hs(u);
	cdata(u, 1, 'z', 100, in_flags);
	use(u, PORT_A);
	hs(u);
	EXPECT_EQ(TM_VERDICT_PASS, cdata(u, 1000, 'a', 3000, in_flags));
	EXPECT_EQ(TM_VERDICT_PASS, cdata(u, 5000, 'b', 800, in_flags));
	EXPECT_EQ(100 + SEG + node + 3800 + 3 * SEG + 2 * node,
		  mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(2, atomic_read(&u->t->holders));
	tu_log(u);
	cdata(u, 7000, 'c', 950, in_flags);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_SHARE));
	if (in_flags & TM_IN_LOSSLESS) {
		EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
		LOG_EQ(u, "");
		EXPECT_EQ(1, tu_stat(u, TM_STAT_STORE_FULL));
		EXPECT_EQ(100 + SEG + node + 3800 + 3 * SEG + 2 * node,
			  mos_tm_ooo_bytes(u->t));
		EXPECT_STREQ("", gap_reasons(u));
	} else {
		/* Each hole a gap, each piece delivered, then the segment */
		char want[7951];

		memset(want, '#', 7950);
		memset(want + 1000, 'a', 3000);
		memset(want + 5000, 'b', 800);
		memset(want + 7000, 'c', 950);
		want[7950] = 0;
		EXPECT_STREQ("share share share", gap_reasons(u));
		EXPECT_STREQ(want, tu_rx(u, 2, SVR));
		EXPECT_EQ(100 + SEG + node, mos_tm_ooo_bytes(u->t));
	}
	TU_DONE(u);
}

TEST(share_node_passive)
{
	share_node(_metadata, 0);
}

TEST(share_node_lossless)
{
	share_node(_metadata, TM_IN_LOSSLESS);
}

/* A flow that dies holding bytes leaves no holder and no hint behind. */
TEST(holder_dies)
{
	struct tu *u = tu_new(NULL);

	hs(u);
	cdata(u, 1, 'a', 100, 0);
	EXPECT_EQ(1, atomic_read(&u->t->holders));
	EXPECT_NE(NULL, u->t->big);
	TX(u, .from = CLI, .flags = RST | ACK, .seq = IC + 1, .ack = IS + 1);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(0, atomic_read(&u->t->holders));
	EXPECT_EQ(NULL, u->t->big);
	EXPECT_STREQ("loss", gap_reasons(u));
	TU_DONE(u);
}

TEST_HARNESS_MAIN
