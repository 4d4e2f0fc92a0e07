// SPDX-License-Identifier: GPL-2.0
/*
 * tm_alias_test.c - unit tests of a flow's second 4-tuple (alias.c)
 *
 * A source NAT between client and server: the client's packets are
 * tracked as they came, (C, c) -> (S, s), and leave as (N, n) -> (S, s);
 * the server answers (S, s) -> (N, n).  Those answers belong to the
 * client's connection (RFC 3022 2.2: the translation is bound to the
 * session and applied to its packets both ways): once mos_tm_alias() was
 * told the translation, they must update the same flow from the server's
 * side, raise its events and enter its stream; without it they are
 * orphans.  Also: a stale alias (its flow ended) is ignored and swept, a
 * newer flow's alias for the same 4-tuple replaces an older one, and an
 * alias that is another live flow's own 4-tuple is refused and counted.
 */

#include <arpa/inet.h>
#include <string.h>
#include "kselftest_harness.h"
#include "tm_util.h"
#include "tm_int.h"

#define IC	1000
#define IS	5000

/* @p: the 4-tuple of a packet from @saddr:@sport to @daddr:@dport */
static void tuple(struct tm_pkt *p, const char *saddr, u16 sport,
		  const char *daddr, u16 dport)
{
	memset(p, 0, sizeof(*p));
	p->family = 4;
	inet_pton(AF_INET, saddr, &p->saddr.a4);
	inet_pton(AF_INET, daddr, &p->daddr.a4);
	p->sport = htons(sport);
	p->dport = htons(dport);
}

/* The client's SYN; the translation of its packets, told the tracker */
static int syn_nat(struct tu *u, u16 cport, u16 nport)
{
	struct tm_pkt in, out;

	tu_conn(u, 4, "10.0.1.2", cport, "10.0.2.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tuple(&in, "10.0.1.2", cport, "10.0.2.2", 80);
	tuple(&out, "10.0.9.1", nport, "10.0.2.2", 80);
	return mos_tm_alias(u->t, &in, &out);
}

TEST(server_answers_the_nat_address)
{
	struct tu *u = tu_new(NULL);
	struct tm_pkt in, out;
	unsigned int i;

	ASSERT_EQ(0, syn_nat(u, 40000, 20000));
	tu_log(u);
	/* The server's SYN-ACK, to the NAT address */
	tu_conn(u, 4, "10.0.9.1", 20000, "10.0.2.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>ESTABLISHED\n"
		  "CONN_SETUP cli RCV\n"
		  "PKT_IN cli RCV\n");
	/* Translated back: the server's packet as the client gets it */
	tuple(&in, "10.0.2.2", 80, "10.0.9.1", 20000);
	tuple(&out, "10.0.2.2", 80, "10.0.1.2", 40000);
	EXPECT_EQ(0, mos_tm_alias(u->t, &in, &out));
	tu_conn(u, 4, "10.0.1.2", 40000, "10.0.2.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	tu_conn(u, 4, "10.0.9.1", 20000, "10.0.2.2", 80);
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 1,
	   .data = "from the server");
	tu_conn(u, 4, "10.0.1.2", 40000, "10.0.2.2", 80);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 16,
	   .data = "from the client");
	EXPECT_STREQ("from the server", tu_rx(u, 1, CLI));
	EXPECT_STREQ("from the client", tu_rx(u, 1, SVR));
	for (i = 0; i < u->nev; i++)
		EXPECT_EQ(1, u->ev[i].flow_id);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ORPHANS));
	/* One alias: the same again, and the way back, make none */
	EXPECT_EQ(0, syn_nat(u, 40000, 20000));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_ALIASES));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ALIAS_FAIL));
	tu_flush(u);
	TU_DONE(u);
}

TEST(without_the_translation_an_orphan)
{
	struct tu *u = tu_new(NULL);

	tu_conn(u, 4, "10.0.1.2", 40000, "10.0.2.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_conn(u, 4, "10.0.9.1", 20000, "10.0.2.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_ORPHANS));
	EXPECT_EQ(1, mos_tm_flows(u->t));
	tu_flush(u);
	TU_DONE(u);
}

TEST(stale_replaced_refused)
{
	struct tu *u = tu_new(NULL);
	struct tm_pkt in, out;

	/* Flow 1, reset: its alias is stale, its answers orphans */
	ASSERT_EQ(0, syn_nat(u, 40000, 20000));
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1);
	tu_expire(u, u->now + 60ULL * 1000000000, 1U << 20);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	tu_conn(u, 4, "10.0.9.1", 20000, "10.0.2.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_ORPHANS));
	EXPECT_EQ(0, atomic_read(&u->t->naliases));

	/* Flow 2 takes port 20000; flow 3 takes it while 2 lives on */
	ASSERT_EQ(0, syn_nat(u, 40001, 20000));
	ASSERT_EQ(0, syn_nat(u, 40002, 20000));
	EXPECT_EQ(1, atomic_read(&u->t->naliases));
	tu_conn(u, 4, "10.0.9.1", 20000, "10.0.2.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	EXPECT_EQ(3, u->ev[u->nev - 1].flow_id);
	EXPECT_EQ(3, tu_stat(u, TM_STAT_ALIASES));

	/* Flow 4's own 4-tuple is no alias of flow 3's */
	tu_conn(u, 4, "10.0.9.1", 20001, "10.0.2.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tuple(&in, "10.0.1.2", 40002, "10.0.2.2", 80);
	tuple(&out, "10.0.9.1", 20001, "10.0.2.2", 80);
	EXPECT_EQ(-EEXIST, mos_tm_alias(u->t, &in, &out));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_ALIAS_FAIL));
	/* A packet of no flow: nothing to name */
	tuple(&in, "10.0.1.9", 1, "10.0.2.2", 80);
	EXPECT_EQ(-ENOENT, mos_tm_alias(u->t, &in, &out));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_ALIAS_FAIL));
	tu_flush(u);
	TU_DONE(u);
}

TEST_HARNESS_MAIN
