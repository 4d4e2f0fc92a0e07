// SPDX-License-Identifier: GPL-2.0
/*
 * tm_track_test.c - unit tests of the tcpmon flow table and TCP tracking
 *
 * Each test drives a table with packets built byte by byte (tm_util.c)
 * and asserts the exact events the core raises, in order, as text: see
 * tm_util.h for the format.  Byte streams are in tm_reasm_test.c.
 *
 * Sequence numbers: the client's ISN is 1000, the server's 5000, unless a
 * test says otherwise.
 */

#include <stdio.h>
#include "kselftest_harness.h"
#include "tm_util.h"
#include "tm_int.h"

#define IC	1000
#define IS	5000

/* SYN, SYN-ACK, ACK; the log is cleared */
static void hs(struct tu *u, u32 ic, u32 is)
{
	TX(u, .from = CLI, .flags = SYN, .seq = ic);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = is, .ack = ic + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = ic + 1, .ack = is + 1);
	tu_log(u);
}

/* The same, the server granting a window of @win bytes (0: none) */
static void hs_win(struct tu *u, u32 win)
{
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1,
	   .win = win, .win0 = !win);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_log(u);
}

static void handshake(struct __test_metadata *_metadata, u8 family)
{
	struct tu *u = tu_new(NULL);

	if (family == 6)
		tu_conn(u, 6, "2001:db8::1", 40000, "2001:db8::2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("SYN_SENT SYN_RCVD", tu_states(u));
	EXPECT_EQ(1, mos_tm_flows(u->t));

	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>ESTABLISHED\n"
		  "CONN_SETUP cli RCV\n"
		  "PKT_IN cli RCV\n");
	EXPECT_STREQ("ESTABLISHED SYN_RCVD", tu_states(u));

	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV SYN_RCVD>ESTABLISHED\n"
		  "CONN_SETUP svr RCV\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));

	/* The server's packets found the client's flow. */
	for (unsigned int i = 0; i < u->nev; i++)
		EXPECT_EQ(1, u->ev[i].flow_id);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ORPHANS));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_EV + TM_EV_CONN_SETUP));
	EXPECT_EQ(6, tu_stat(u, TM_STAT_EV + TM_EV_PKT_IN));

	tu_flush(u);
	LOG_EQ(u, "CONN_END cli RCV flush\n"
		  "CONN_END svr RCV flush\n");
	TU_DONE(u);
}

TEST(handshake_ipv4)
{
	handshake(_metadata, 4);
}

TEST(handshake_ipv6)
{
	handshake(_metadata, 6);
}

TEST(close_client_first)
{
	struct tu *u = tu_new(NULL);
	u64 t0;

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 1, .ack = IS + 1);
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>FIN_WAIT_1\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSE_WAIT\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 2);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV FIN_WAIT_1>FIN_WAIT_2\n"
		  "PKT_IN cli RCV\n");
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS + 1, .ack = IC + 2);
	LOG_EQ(u, "STATE_CHANGE svr SND CLOSE_WAIT>LAST_ACK\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV FIN_WAIT_2>TIME_WAIT\n"
		  "PKT_IN cli RCV\n");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 2, .ack = IS + 2);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n"
		  "STATE_CHANGE svr RCV LAST_ACK>CLOSED\n"
		  "CONN_END svr RCV fin\n");
	EXPECT_STREQ("TIME_WAIT CLOSED", tu_states(u));
	EXPECT_EQ(1, mos_tm_flows(u->t));

	/* TIME_WAIT runs out (120 s): the end of a FIN handshake, no TIMEOUT */
	t0 = u->now;
	EXPECT_EQ(0, tu_expire(u, t0 + 119 * TU_NS, ~0U));
	LOG_EQ(u, "");
	EXPECT_EQ(1, tu_expire(u, t0 + 120 * TU_NS, ~0U));
	LOG_EQ(u, "CONN_END cli RCV fin\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_TIMEOUTS));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_ENDED));
	TU_DONE(u);
}

TEST(close_server_first)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS + 1, .ack = IC + 1);
	LOG_EQ(u, "STATE_CHANGE svr SND ESTABLISHED>FIN_WAIT_1\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV ESTABLISHED>CLOSE_WAIT\n"
		  "PKT_IN cli RCV\n");
	/* The client acknowledges the FIN and sends its own at once. */
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 1, .ack = IS + 2);
	LOG_EQ(u, "STATE_CHANGE cli SND CLOSE_WAIT>LAST_ACK\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV FIN_WAIT_1>FIN_WAIT_2\n"
		  "STATE_CHANGE svr RCV FIN_WAIT_2>TIME_WAIT\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 2, .ack = IC + 2);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "PKT_IN cli RCV\n"
		  "STATE_CHANGE cli RCV LAST_ACK>CLOSED\n"
		  "CONN_END cli RCV fin\n");
	EXPECT_STREQ("CLOSED TIME_WAIT", tu_states(u));
	/* A retransmitted FIN in TIME_WAIT, and its ACK */
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 1, .ack = IS + 2);
	LOG_EQ(u, "REXMIT cli SND 0+0\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 0+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_expire(u, u->now + 120 * TU_NS, ~0U));
	LOG_EQ(u, "CONN_END svr RCV fin\n");
	TU_DONE(u);
}

TEST(close_simultaneous)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 1, .ack = IS + 1);
	tu_log(u);
	/* The server's FIN crossed the client's: it does not ack it. */
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS + 1, .ack = IC + 1);
	LOG_EQ(u, "STATE_CHANGE svr SND CLOSE_WAIT>LAST_ACK\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV FIN_WAIT_1>CLOSING\n"
		  "PKT_IN cli RCV\n");
	EXPECT_STREQ("CLOSING LAST_ACK", tu_states(u));
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 2, .ack = IS + 2);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n"
		  "STATE_CHANGE svr RCV LAST_ACK>CLOSED\n"
		  "CONN_END svr RCV fin\n");
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 2, .ack = IC + 2);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV CLOSING>TIME_WAIT\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(1, tu_expire(u, u->now + 120 * TU_NS, ~0U));
	LOG_EQ(u, "CONN_END cli RCV fin\n");
	TU_DONE(u);
}

TEST(close_fin_with_data)
{
	struct tu *u = tu_new(NULL);

	/* Both FINs carry data and ack only the peer's data, then both
	 * FINs are acked: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on the client.
	 */
	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "bye");
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>FIN_WAIT_1\n"
		  "PKT_IN cli SND\n"
		  "data svr 0+3\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSE_WAIT\n"
		  "NEW_DATA svr NULL 0+3\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS + 1, .ack = IC + 5);
	LOG_EQ(u, "STATE_CHANGE svr SND CLOSE_WAIT>LAST_ACK\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV FIN_WAIT_1>FIN_WAIT_2\n"
		  "STATE_CHANGE cli RCV FIN_WAIT_2>TIME_WAIT\n"
		  "PKT_IN cli RCV\n");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 5, .ack = IS + 2);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n"
		  "STATE_CHANGE svr RCV LAST_ACK>CLOSED\n"
		  "CONN_END svr RCV fin\n");
	EXPECT_STREQ("bye", tu_rx(u, 1, SVR));
	TU_DONE(u);
}

TEST(rst_exact)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1);
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>CLOSED\n"
		  "PKT_IN cli SND\n"
		  "CONN_END cli SND rst\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSED\n"
		  "PKT_IN svr RCV\n"
		  "CONN_END svr RCV rst\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_ENDED));
	/* Later packets of the connection are orphans. */
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1);
	LOG_EQ(u, "ORPHAN - NULL\n");

	/* The server resets, after data: RST|ACK at its next sequence */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	hs(u, IC, IS);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .data = "abc");
	tu_log(u);
	TX(u, .from = SVR, .flags = RST | ACK, .seq = IS + 4, .ack = IC + 1);
	LOG_EQ(u, "STATE_CHANGE svr SND ESTABLISHED>CLOSED\n"
		  "PKT_IN svr SND\n"
		  "CONN_END svr SND rst\n"
		  "STATE_CHANGE cli RCV ESTABLISHED>CLOSED\n"
		  "PKT_IN cli RCV\n"
		  "CONN_END cli RCV rst\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	TU_DONE(u);
}

/*
 * RFC 5961 3.2: an RST in the window but not at rcv_nxt gets a challenge
 * ACK and changes nothing (tcp_validate_incoming() ->
 * tcp_send_challenge_ack()): no short timeout, no side disturbed, from
 * either end; the RST at rcv_nxt that follows a real reset ends the flow.
 */
TEST(rst_in_window)
{
	struct tm_table_cfg cfg = { .timeout_rst = 5 };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = RST, .seq = IC + 101);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL rst_inwin 100+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	EXPECT_EQ(1, mos_tm_flows(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_RST_INWIN));

	/* The server's challenge ACK, then a minute of silence */
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1);
	tu_log(u);
	EXPECT_EQ(0, tu_expire(u, u->now + 60 * TU_NS, ~0U));
	LOG_EQ(u, "");
	EXPECT_EQ(1, mos_tm_flows(u->t));
	/* Both sides go on: their bytes are the flow's, not orphans. */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "abc");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+3\n"
		  "NEW_DATA svr NULL 0+3\n"
		  "PKT_IN svr RCV\n");
	/* The server's in-window RST leaves the client as it is too. */
	TX(u, .from = SVR, .flags = RST, .seq = IS + 51);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "ERROR cli NULL rst_inwin 50+0\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(0, tu_expire(u, u->now + 60 * TU_NS, ~0U));
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 4,
	   .data = "xy");
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 4, .ack = IS + 3,
	   .data = "de");
	EXPECT_STREQ("abcde", tu_rx(u, 1, SVR));
	EXPECT_STREQ("xy", tu_rx(u, 1, CLI));
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ORPHANS));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_TIMEOUTS));
	tu_log(u);
	/* An RST at rcv_nxt ends it. */
	TX(u, .from = CLI, .flags = RST, .seq = IC + 6);
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>CLOSED\n"
		  "PKT_IN cli SND\n"
		  "CONN_END cli SND rst\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSED\n"
		  "PKT_IN svr RCV\n"
		  "CONN_END svr RCV rst\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(rst_out_of_window)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1 + 100000);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL rst_oow 100000+0\n"
		  "PKT_IN svr RCV\n");
	/* before the window */
	TX(u, .from = SVR, .flags = RST, .seq = IS);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "ERROR cli NULL rst_oow 0+0\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(2, tu_stat(u, TM_STAT_RST_OOW));
	/* ignored: no short timeout either */
	EXPECT_EQ(0, tu_expire(u, u->now + 3600 * TU_NS, ~0U));
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	TU_DONE(u);
}

/*
 * RFC 5961 with the window the receiver granted, not a default: against
 * a zero window only an RST at the edge is taken, none is "in window";
 * against a window of 100, the in-window RSTs are those 1 to 99 bytes
 * past the edge.
 */
TEST(rst_window_granted)
{
	struct tu *u = tu_new(NULL);

	/* The server grants nothing */
	hs_win(u, 0);
	TX(u, .from = CLI, .flags = RST, .seq = IC + 2);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL rst_oow 1+0\n"
		  "PKT_IN svr RCV\n");
	/* The client grants 65535: the server's RST is in its window. */
	TX(u, .from = SVR, .flags = RST, .seq = IS + 2);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "ERROR cli NULL rst_inwin 1+0\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_RST_OOW));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_RST_INWIN));
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1);
	EXPECT_EQ(0, mos_tm_flows(u->t));

	/* A window of 100 */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	hs_win(u, 100);
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1 + 100);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL rst_oow 100+0\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1 + 99);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL rst_inwin 99+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	TU_DONE(u);
}

TEST(rst_refused)
{
	struct tu *u = tu_new(NULL);

	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_log(u);
	/* An RST that does not acknowledge the SYN is ignored... */
	TX(u, .from = SVR, .flags = RST | ACK, .seq = 0, .ack = IC + 2);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "ERROR cli NULL rst_oow 0+0\n"
		  "PKT_IN cli RCV\n");
	TX(u, .from = SVR, .flags = RST, .seq = 0);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "ERROR cli NULL rst_oow 0+0\n"
		  "PKT_IN cli RCV\n");
	/* ...one that does refuses the connection. */
	TX(u, .from = SVR, .flags = RST | ACK, .seq = 0, .ack = IC + 1);
	LOG_EQ(u, "STATE_CHANGE svr SND SYN_RCVD>CLOSED\n"
		  "PKT_IN svr SND\n"
		  "CONN_END svr SND rst\n"
		  "STATE_CHANGE cli RCV SYN_SENT>CLOSED\n"
		  "PKT_IN cli RCV\n"
		  "CONN_END cli RCV rst\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(syn_rexmit)
{
	struct tu *u = tu_new(NULL);

	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_log(u);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "REXMIT cli SND 0+0\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 0+0\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	tu_log(u);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "REXMIT svr SND 0+0\n"
		  "PKT_IN svr SND\n"
		  "REXMIT cli RCV 0+0\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(2, tu_stat(u, TM_STAT_REXMIT));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS));
	EXPECT_EQ(2, u->count[TM_EV_CONN_START]);

	/* A new SYN before any answer restarts the attempt, same flow. */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_log(u);
	TX(u, .from = CLI, .flags = SYN, .seq = IC + 77);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 78);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>ESTABLISHED\n"
		  "CONN_SETUP cli RCV\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(2, tu_stat(u, TM_STAT_FLOWS));
	TU_DONE(u);
}

/* TCP Fast Open option (RFC 7413 4.1.1), kind 34 with an 8-byte cookie */
static const u8 tfo_cookie[12] = { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1 };
/* A cookie request: kind 34 alone */
static const u8 tfo_request[4] = { 34, 2, 1, 1 };

/*
 * A SYN's payload without a Fast Open cookie: tcp_conn_request() does
 * not take it (tcp_try_fastopen() needs a valid cookie), the SYN-ACK
 * acknowledges the SYN alone and the client sends the bytes again.
 */
TEST(syn_payload)
{
	struct tu *u = tu_new(NULL);

	TX(u, .from = CLI, .flags = SYN, .seq = IC, .data = "hello");
	LOG_EQ(u, "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "ERROR svr NULL syn_data 0+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_NACC_SYN_DATA));
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>ESTABLISHED\n"
		  "CONN_SETUP cli RCV\n"
		  "PKT_IN cli RCV\n");
	/* The client sends the bytes again: they are new to the stream. */
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "HELLO");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV SYN_RCVD>ESTABLISHED\n"
		  "CONN_SETUP svr RCV\n"
		  "data svr 0+5\n"
		  "NEW_DATA svr NULL 0+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("HELLO", tu_rx(u, 1, SVR));
	EXPECT_EQ(5, tu_stat(u, TM_STAT_BYTES_C2S));

	/* A cookie request is no cookie: the same */
	tu_conn(u, 6, "2001:db8::1", 40001, "2001:db8::2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC, .data = "hello",
	   .opt = tfo_request, .optlen = sizeof(tfo_request));
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "HELLO");
	EXPECT_STREQ("HELLO", tu_rx(u, 2, SVR));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NACC_SYN_DATA));
	TU_DONE(u);
}

/*
 * With a cookie, the SYN-ACK tells: an ACK of the SYN and its bytes, they
 * entered the stream (RFC 7413 3); of the SYN alone, they did not.
 */
TEST(syn_payload_fastopen)
{
	struct tu *u = tu_new(NULL);

	TX(u, .from = CLI, .flags = SYN, .seq = IC, .data = "hello",
	   .opt = tfo_cookie, .optlen = sizeof(tfo_cookie));
	LOG_EQ(u, "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 6);
	LOG_EQ(u, "data svr 0+5\n"
		  "NEW_DATA svr NULL 0+5\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>ESTABLISHED\n"
		  "CONN_SETUP cli RCV\n"
		  "PKT_IN cli RCV\n");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 6, .ack = IS + 1,
	   .data = "world");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV SYN_RCVD>ESTABLISHED\n"
		  "CONN_SETUP svr RCV\n"
		  "data svr 5+5\n"
		  "NEW_DATA svr NULL 5+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("helloworld", tu_rx(u, 1, SVR));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_NACC_SYN_DATA));

	/* The cookie refused: the SYN-ACK acknowledges the SYN only. */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC, .data = "hello",
	   .opt = tfo_cookie, .optlen = sizeof(tfo_cookie));
	tu_log(u);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "ERROR svr NULL syn_data 0+5\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>ESTABLISHED\n"
		  "CONN_SETUP cli RCV\n"
		  "PKT_IN cli RCV\n");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "HELLO");
	EXPECT_STREQ("HELLO", tu_rx(u, 2, SVR));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_NACC_SYN_DATA));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));

	/* An ACK past what the client sent does not establish it. */
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC, .data = "hello",
	   .opt = tfo_cookie, .optlen = sizeof(tfo_cookie));
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 7);
	EXPECT_STREQ("SYN_SENT SYN_RCVD", tu_states(u));
	/* Still held when the flow ends: never in the stream */
	tu_flush(u);
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NACC_SYN_DATA));
	EXPECT_EQ(15, tu_stat(u, TM_STAT_BYTES_C2S));
	TU_DONE(u);
}

TEST(simultaneous_open)
{
	struct tu *u = tu_new(NULL);

	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_log(u);
	TX(u, .from = SVR, .flags = SYN, .seq = IS);
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>SYN_RCVD\n"
		  "PKT_IN cli RCV\n");
	EXPECT_STREQ("SYN_RCVD SYN_RCVD", tu_states(u));
	TX(u, .from = CLI, .flags = SYN | ACK, .seq = IC, .ack = IS + 1);
	LOG_EQ(u, "REXMIT cli SND 0+0\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV SYN_RCVD>ESTABLISHED\n"
		  "CONN_SETUP svr RCV\n"
		  "REXMIT svr RCV 0+0\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "REXMIT svr SND 0+0\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_RCVD>ESTABLISHED\n"
		  "CONN_SETUP cli RCV\n"
		  "REXMIT cli RCV 0+0\n"
		  "PKT_IN cli RCV\n");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "x");
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 2,
	   .data = "y");
	EXPECT_STREQ("x", tu_rx(u, 1, SVR));
	EXPECT_STREQ("y", tu_rx(u, 1, CLI));
	EXPECT_EQ(1, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(port_reuse_after_time_wait)
{
	struct tu *u = tu_new(NULL);
	unsigned int i, first;

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 1, .ack = IS + 1);
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS + 1, .ack = IC + 2);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 2, .ack = IS + 2);
	EXPECT_STREQ("TIME_WAIT CLOSED", tu_states(u));
	tu_log(u);
	/* The old SYN again: a retransmission, not a new connection, and
	 * the server's side, closed, stays closed.
	 */
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "REXMIT cli SND 0+0\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 0+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("TIME_WAIT CLOSED", tu_states(u));
	EXPECT_EQ(1, tu_last_id(u));

	first = u->nev;
	TX(u, .from = CLI, .flags = SYN, .seq = 90000);
	LOG_EQ(u, "CONN_END cli RCV reuse\n"
		  "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, u->ev[first].flow_id);
	for (i = first + 1; i < u->nev; i++)
		EXPECT_EQ(2, u->ev[i].flow_id);
	EXPECT_EQ(1, mos_tm_flows(u->t));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_FLOWS));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_ENDED));
	hs(u, 90000, 7000);
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));

	/* A SYN on an open connection is not a reuse: ignored. */
	TX(u, .from = CLI, .flags = SYN, .seq = 123);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 0+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(2, tu_last_id(u));
	TU_DONE(u);
}

TEST(midstream_off)
{
	struct tu *u = tu_new(NULL);

	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	LOG_EQ(u, "ORPHAN - NULL\n");
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = SVR, .flags = RST, .seq = IS);
	LOG_EQ(u, "ORPHAN - NULL\nORPHAN - NULL\nORPHAN - NULL\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(4, tu_stat(u, TM_STAT_ORPHANS));
	TU_DONE(u);
}

/*
 * Picked up from a SYN-ACK: its sender is the server (whatever the ports)
 * and its sequence number the server's ISN, so the server's stream starts
 * at ISN + 1 exactly (RFC 9293 3.4), even when its first bytes arrive
 * after later ones; the client's starts at the SYN-ACK's ACK.
 */
TEST(midstream_syn_ack)
{
	struct tm_table_cfg cfg = { .midstream = true };
	struct tu *u = tu_new(&cfg);

	tu_conn(u, 4, "10.0.0.1", 80, "10.0.0.2", 40000);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "STATE_CHANGE svr SND LISTEN>SYN_RCVD\n"
		  "CONN_START svr SND\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV SYN_SENT>ESTABLISHED\n"
		  "CONN_START cli RCV\n"
		  "CONN_SETUP cli RCV\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_MIDSTREAM));
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	/* The server's second segment first, then its first */
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 6, .ack = IC + 1,
	   .data = "world");
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 1,
	   .data = "hello");
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 11,
	   .data = "req");
	EXPECT_STREQ("helloworld", tu_rx(u, 1, CLI));
	EXPECT_STREQ("req", tu_rx(u, 1, SVR));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_GAPS));
	/* A SYN-ACK sent again is a retransmission */
	tu_log(u);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_REXMIT));
	TU_DONE(u);
}

TEST(midstream_on)
{
	struct tm_table_cfg cfg = { .midstream = true };
	struct tu *u = tu_new(&cfg);

	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	LOG_EQ(u, "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "CONN_START svr RCV\n"
		  "data svr 0+5\n"
		  "NEW_DATA svr NULL 0+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 6,
	   .data = "world");
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "data cli 0+5\n"
		  "NEW_DATA cli NULL 0+5\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_MIDSTREAM));
	EXPECT_STREQ("hello", tu_rx(u, 1, SVR));
	EXPECT_STREQ("world", tu_rx(u, 1, CLI));
	/* RSTs and bare SYN-less non-ACKs open nothing. */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = RST | ACK, .seq = 1, .ack = 1);
	TX(u, .from = CLI, .flags = PSH, .seq = 1, .data = "x");
	EXPECT_EQ(1, mos_tm_flows(u->t));

	/* Picked up from the server's side: the low port is the server. */
	tu_conn(u, 4, "10.0.0.3", 50000, "10.0.0.4", 443);
	tu_log(u);
	TX(u, .from = SVR, .flags = ACK, .seq = 7, .ack = 9, .data = "abc");
	LOG_EQ(u, "CONN_START svr SND\n"
		  "PKT_IN svr SND\n"
		  "CONN_START cli RCV\n"
		  "data cli 0+3\n"
		  "NEW_DATA cli NULL 0+3\n"
		  "PKT_IN cli RCV\n");
	EXPECT_STREQ("abc", tu_rx(u, 2, CLI));
	/* A SYN-ACK into the established flow is no first SYN: its bytes
	 * are not taken, unchecked, into the stream (fuzzer).
	 */
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = 900000, .ack = 9,
	   .data = "syn!");
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = 0, .ack = 9,
	   .data = "syn!");
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "ERROR cli NULL oow 899994+4\n"
		  "PKT_IN cli RCV\n"
		  "PKT_IN svr SND\n"
		  "ERROR cli NULL oow 0+4\n"
		  "PKT_IN cli RCV\n");
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	/* and it closes with FINs as usual */
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = 10, .ack = 9);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = 9, .ack = 11);
	TX(u, .from = SVR, .flags = ACK, .seq = 11, .ack = 10);
	LOG_EQ(u, "STATE_CHANGE svr SND ESTABLISHED>FIN_WAIT_1\n"
		  "PKT_IN svr SND\n"
		  "STATE_CHANGE cli RCV ESTABLISHED>CLOSE_WAIT\n"
		  "PKT_IN cli RCV\n"
		  "STATE_CHANGE cli SND CLOSE_WAIT>LAST_ACK\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV FIN_WAIT_1>FIN_WAIT_2\n"
		  "STATE_CHANGE svr RCV FIN_WAIT_2>TIME_WAIT\n"
		  "PKT_IN svr RCV\n"
		  "PKT_IN svr SND\n"
		  "PKT_IN cli RCV\n"
		  "STATE_CHANGE cli RCV LAST_ACK>CLOSED\n"
		  "CONN_END cli RCV fin\n");
	/* Bytes for the side that ended: dropped, reported (fuzzer) */
	TX(u, .from = SVR, .flags = ACK, .seq = 11, .ack = 10, .data = "late");
	LOG_EQ(u, "PKT_IN svr SND\n"
		  "ERROR cli NULL oow 3+4\n"
		  "PKT_IN cli RCV\n");
	/* The closed side's packets do not start it again (fuzzer). */
	TX(u, .from = CLI, .flags = ACK, .seq = 10, .ack = 11);
	TX(u, .from = CLI, .flags = SYN | ACK, .seq = 10, .ack = 11);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n"
		  "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 1+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("CLOSED TIME_WAIT", tu_states(u));
	TU_DONE(u);
}

/* The server grants 1000 bytes (its SYN-ACK's window, unscaled). */
TEST(window_beyond_edge)
{
	struct tu *u = tu_new(NULL);
	char big[1200];

	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1,
	   .win = 1000);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_log(u);
	/* Starts past the edge (IC + 1 + 1000): dropped, reported */
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1002, .ack = IS + 1,
	   .data = "evil");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 1001+4\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_OOW));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	/* Starts at the edge: taken (stored after the hole) */
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1001, .ack = IS + 1,
	   .data = "edge");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n");
	EXPECT_LT(0, mos_tm_ooo_bytes(u->t));
	/* Starts inside, ends past the edge: taken, as conntrack does */
	memset(big, 'a', sizeof(big));
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = big, .len = sizeof(big));
	/* The sender had sent up to the stored segment: a retransmission;
	 * the stored "edge" was seen first and wins.
	 */
	LOG_EQ(u, "REXMIT cli SND 0+1200\n"
		  "PKT_IN cli SND\n"
		  "data svr 0+1000\n"
		  "data svr 1000+4\n"
		  "data svr 1004+196\n"
		  "ERROR svr NULL overlap_diff 0+1200\n"
		  "NEW_DATA svr NULL 0+1200\n"
		  "REXMIT svr RCV 0+1200\n"
		  "PKT_IN svr RCV\n");
	memcpy(big + 1000, "edge", 4);
	big[1199] = 0;
	EXPECT_EQ(0, strncmp(big, tu_rx(u, 1, SVR), 1199));
	EXPECT_EQ(1200, strlen(tu_rx(u, 1, SVR)));
	/* Far behind the window: dropped */
	TX(u, .from = CLI, .flags = ACK, .seq = IC - 200000, .ack = IS + 1,
	   .data = "old");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 0+3\n"
		  "PKT_IN svr RCV\n");
	TU_DONE(u);
}

TEST(window_zero_probe)
{
	struct tu *u = tu_new(NULL);

	hs_win(u, 0);
	/* A one-byte probe at the edge of a zero window is taken. */
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "p");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+1\n"
		  "NEW_DATA svr NULL 0+1\n"
		  "PKT_IN svr RCV\n");
	/* The server acks it, window still zero: the next byte is past it. */
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 2,
	   .win0 = true);
	tu_log(u);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 3, .ack = IS + 1,
	   .data = "q");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 2+1\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 2, .ack = IS + 1,
	   .data = "q");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 1+1\n"
		  "NEW_DATA svr NULL 1+1\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("pq", tu_rx(u, 1, SVR));
	TU_DONE(u);
}

TEST(window_scale_capped)
{
	static const u8 ws7[4] = { 1, 3, 3, 7 };
	static const u8 ws15[4] = { 1, 3, 3, 15 };
	struct tu *u = tu_new(NULL);
	u32 edge = IC + 1 + (0xffffU << 14);

	TX(u, .from = CLI, .flags = SYN, .seq = IC, .opt = ws7, .optlen = 4);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1,
	   .opt = ws15, .optlen = 4);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .win = 0xffff);
	tu_log(u);
	/* The server's windows scale by 14, not 15. */
	TX(u, .from = CLI, .flags = ACK, .seq = edge + 1, .ack = IS + 1,
	   .data = "b");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 1073725441+1\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = CLI, .flags = ACK, .seq = edge, .ack = IS + 1,
	   .data = "a");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n");
	/* Stored, in the window; never read (the server did not ack it) */
	tu_flush(u);
	LOG_EQ(u, "ERROR svr NULL gap 0+1073725441\n"
		  "NEW_DATA svr NULL 0+1073725441\n"
		  "CONN_END cli RCV flush\n"
		  "CONN_END svr RCV flush\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_END_UNREAD));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_OOW));
	TU_DONE(u);
}

TEST(window_scale_one_side)
{
	static const u8 ws7[4] = { 1, 3, 3, 7 };
	struct tu *u = tu_new(NULL);

	/* Only the client offers scaling: no scaling either way. */
	TX(u, .from = CLI, .flags = SYN, .seq = IC, .opt = ws7, .optlen = 4);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .win = 100);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .win = 100);
	tu_log(u);
	/* edge = IC + 1 + 65535 from the SYN-ACK, not 100 << 7 */
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1 + 65536, .ack = IS + 1,
	   .data = "z");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL oow 65536+1\n"
		  "PKT_IN svr RCV\n");
	TU_DONE(u);
}

TEST(flow_limit)
{
	/* One chain: the eviction scan sees every flow */
	struct tm_table_cfg cfg = { .max_flows = 2, .buckets = 1 };
	struct tu *u = tu_new(&cfg);

	/* Two established flows: nothing to evict for a third */
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_log(u);
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "ERROR - NULL flow_limit 0+0\n"
		  "ORPHAN - NULL\n");
	/* Its connection is not tracked: its packets are orphans. */
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "ORPHAN - NULL\n");
	EXPECT_EQ(2, mos_tm_flows(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOW_LIMIT));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS_EVICTED));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_ORPHANS));
	/* A flow that ends makes room. */
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1);
	EXPECT_EQ(1, mos_tm_flows(u->t));
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	tu_log(u);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(2, mos_tm_flows(u->t));
	EXPECT_EQ(3, tu_last_id(u));
	TU_DONE(u);
}

TEST(flow_limit_evicts_half_open)
{
	struct tm_table_cfg cfg = { .max_flows = 3, .buckets = 1 };
	struct tu *u = tu_new(&cfg);

	/* 40000 established; 40001 and 40002 never complete a handshake */
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	/* 40002 a second later: 40001 is the least recently active */
	tu_expire(u, 1001 * TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	tu_log(u);
	/* A fourth SYN ends the least recently active half-open flow */
	tu_conn(u, 4, "10.0.0.1", 40003, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "CONN_END cli RCV evict\n"
		  "CONN_END svr RCV evict\n"
		  "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(3, mos_tm_flows(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_EVICTED));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOW_LIMIT));
	EXPECT_EQ(4, tu_last_id(u));
	/* The evicted connection's packets are orphans now */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "ORPHAN - NULL\n");
	/* The established flow is still tracked, its bytes delivered */
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	tu_log(u);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "ok");
	EXPECT_STREQ("ok", tu_rx(u, 1, SVR));
	TU_DONE(u);
}

/*
 * Three flows no eviction may end while they are active: 40000 picked up
 * mid-stream and answered (heard from both ends), 40001 established,
 * 40002 whose SYN was answered (its client is established).
 */
static void unevictable(struct tu *u)
{
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "mid");
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 4);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	hs(u, IC, IS);
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	tu_log(u);
}

/*
 * At the flow limit a flow whose handshake never completed makes room,
 * the least recently active first; flows heard from both ends within
 * TM_EVICT_IDLE seconds never do; idle ones do when nothing unconfirmed
 * is left.
 */
TEST(flow_limit_evicts_unconfirmed_then_idle)
{
	struct tm_table_cfg cfg = { .max_flows = 5, .buckets = 1,
				    .midstream = true };
	struct tu *u = tu_new(&cfg);
	u64 t0;

	/* With two SYNs only: 40003, then 40004 a second later */
	unevictable(u);
	tu_conn(u, 4, "10.0.0.1", 40003, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_expire(u, u->now + TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40004, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_expire(u, u->now + TU_NS, 0);
	EXPECT_EQ(5, mos_tm_flows(u->t));
	/* 40005 takes the place of 40003, the older */
	tu_conn(u, 4, "10.0.0.1", 40005, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_EVICTED));
	/* Without pickup, a SYN-ACK of a connection not tracked is an
	 * orphan (with it, it would be picked up)
	 */
	mos_tm_set_limits(u->t, &(struct tm_table_cfg){ .max_flows = 5 });
	tu_conn(u, 4, "10.0.0.1", 40003, "10.0.0.2", 80);
	tu_log(u);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	LOG_EQ(u, "ORPHAN - NULL\n");
	tu_conn(u, 4, "10.0.0.1", 40004, "10.0.0.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_ORPHANS));
	tu_flush(u);

	/* With none: a limit of three, and the three that may not go */
	mos_tm_set_limits(u->t, &(struct tm_table_cfg){ .max_flows = 3,
							.midstream = true });
	t0 = u->now;
	unevictable(u);
	tu_conn(u, 4, "10.0.0.1", 40009, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "ERROR - NULL flow_limit 0+0\n"
		  "ORPHAN - NULL\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_EVICTED));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOW_LIMIT));
	EXPECT_EQ(3, mos_tm_flows(u->t));
	/* all three still tracked */
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 4,
	   .data = "ok");
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_ORPHANS));

	/*
	 * 40002 heard from a second later, 40001 five: ten seconds after
	 * the start 40000 alone has idled TM_EVICT_IDLE seconds, and goes
	 */
	tu_expire(u, t0 + TU_NS, 0);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_expire(u, t0 + 5 * TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_expire(u, t0 + (TM_EVICT_IDLE - 1) * TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40010, "10.0.0.2", 80);
	tu_log(u);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "ERROR - NULL flow_limit 0+0\n"
		  "ORPHAN - NULL\n");
	tu_expire(u, t0 + TM_EVICT_IDLE * TU_NS, 0);
	tu_log(u);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "CONN_END cli RCV evict\n"
		  "CONN_END svr RCV evict\n"
		  "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_EVICTED_IDLE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS_EVICTED_MID));
	EXPECT_EQ(3, mos_tm_flows(u->t));
	/* 40000's bytes were all delivered before it went */
	EXPECT_STREQ("mid", tu_rx(u, 7, SVR) ?: "");
	EXPECT_STREQ("ok", tu_rx(u, 7, CLI) ?: "");
	/* A fourth SYN: 40010, unconfirmed, goes before idle 40002 */
	tu_expire(u, t0 + (TM_EVICT_IDLE + 1) * TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40011, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(2, tu_stat(u, TM_STAT_FLOWS_EVICTED));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_EVICTED_IDLE));
	EXPECT_EQ(3, mos_tm_flows(u->t));
	TU_DONE(u);
}

/*
 * Spoofed ACKs, picked up mid-stream, make flows heard from one end only:
 * they cannot hold the table against a new handshake, nor push out one in
 * progress (they are older), nor a live connection; they idle out after
 * the SYN_RCVD timeout.
 */
TEST(flow_limit_evicts_midstream)
{
	struct tm_table_cfg cfg = { .max_flows = 3, .buckets = 1,
				    .midstream = true };
	struct tu *u = tu_new(&cfg);
	u64 t0 = u->now;

	hs(u, IC, IS);					/* 40000, id 1 */
	tu_expire(u, t0 + TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	tu_expire(u, t0 + 2 * TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	EXPECT_EQ(2, tu_stat(u, TM_STAT_FLOWS_MIDSTREAM));
	EXPECT_EQ(3, mos_tm_flows(u->t));

	/* A SYN takes the place of 40001, the older */
	tu_expire(u, t0 + 3 * TU_NS, 0);
	tu_conn(u, 4, "10.0.0.1", 40003, "10.0.0.2", 80);	/* id 4 */
	tu_log(u);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "CONN_END cli RCV evict\n"
		  "CONN_END svr RCV evict\n"
		  "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_EVICTED_MID));
	/* Another spoofed ACK takes 40002's, not the handshake's */
	tu_conn(u, 4, "10.0.0.1", 40004, "10.0.0.2", 80);	/* id 5 */
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	EXPECT_EQ(2, tu_stat(u, TM_STAT_FLOWS_EVICTED_MID));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS_EVICTED));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS_EVICTED_IDLE));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOW_LIMIT));
	EXPECT_EQ(5, tu_last_id(u));
	/* The handshake completes and its bytes are seen */
	tu_conn(u, 4, "10.0.0.1", 40003, "10.0.0.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	EXPECT_STREQ("hello", tu_rx(u, 4, SVR) ?: "");
	/* and so are 40000's */
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "still");
	EXPECT_STREQ("still", tu_rx(u, 1, SVR) ?: "");

	/* One end heard: 40004 idles out after the SYN_RCVD timeout */
	EXPECT_EQ(0, tu_expire(u, t0 + 62 * TU_NS, ~0U));
	EXPECT_EQ(1, tu_expire(u, t0 + 63 * TU_NS, ~0U));
	EXPECT_EQ(2, mos_tm_flows(u->t));
	/* Heard from both ends, a mid-stream flow keeps the usual timeout */
	tu_conn(u, 4, "10.0.0.1", 40005, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1);
	EXPECT_EQ(0, tu_expire(u, t0 + 3600 * TU_NS, ~0U));
	EXPECT_EQ(3, mos_tm_flows(u->t));
	TU_DONE(u);
}

/* The limit of all tables together (the module's mem_limit) */
TEST(mem_limit)
{
	struct tu *u = tu_new(NULL);

	mos_tm_set_mem_limit(sizeof(struct tm_flow) +
			     mos_tm_cfg(u->t)->priv_size + 8);
	hs(u, IC, IS);
	tu_log(u);
	/* No room for a second flow */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "ERROR - NULL mem_limit 0+0\n"
		  "ORPHAN - NULL\n");
	EXPECT_EQ(1, mos_tm_flows(u->t));
	/* nor for an out-of-order piece: the stream skips, and says so */
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 11, .ack = IS + 1,
	   .data = "0123456789");
	EXPECT_EQ(2, tu_stat(u, TM_STAT_MEM_LIMIT));
	EXPECT_EQ(2, u->errs[TM_ERR_MEM_LIMIT]);
	EXPECT_EQ(1, u->errs[TM_ERR_GAP]);
	EXPECT_EQ(0, tu_stat(u, TM_STAT_NOMEM));
	/* Room again once the first flow is gone */
	TX(u, .from = CLI, .flags = RST, .seq = IC + 21);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(1, mos_tm_flows(u->t));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_FLOWS));
	mos_tm_set_mem_limit(ULONG_MAX);
	TU_DONE(u);
}

/* Rules' actions: what the core does with a flow &tm_ops.classify chose */
TEST(action_ignore)
{
	struct tu *u = tu_new(NULL);

	u->action = TM_ACT_IGNORE;
	u->rule = 7;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	/* Tracked silently: no event, no byte, no announcement */
	LOG_EQ(u, "CLASSIFY ignore rule 7\n");
	EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	LOG_EQ(u, "");
	EXPECT_EQ(1, mos_tm_flows(u->t));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_IGNORED));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_BYTES_C2S));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ORPHANS));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_EV + TM_EV_PKT_IN));
	/* and ends like any flow */
	TX(u, .from = CLI, .flags = RST, .seq = IC + 6);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	LOG_EQ(u, "");
	TU_DONE(u);
}

TEST(action_drop)
{
	struct tu *u = tu_new(NULL);

	u->action = TM_ACT_DROP;
	u->rule = 3;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "CLASSIFY drop rule 3\n");
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	/* The SYN again: the flow's, not classified again */
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "");
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	EXPECT_EQ(1, mos_tm_flows(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_DROPPED));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_DROPPED));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS));
	/* It idles out silently (SYN_SENT timeout) */
	EXPECT_EQ(1, tu_expire(u, u->now + 3600 * TU_NS, ~0U));
	LOG_EQ(u, "");
	TU_DONE(u);
}

TEST(action_reset)
{
	struct tu *u = tu_new(NULL);

	u->action = TM_ACT_RESET;
	u->rule = 2;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	/* No flow: each SYN is classified and answered */
	LOG_EQ(u, "CLASSIFY reset rule 2\nCLASSIFY reset rule 2\n");
	EXPECT_EQ(TM_VERDICT_RESET, u->verdict);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ORPHANS));
	TU_DONE(u);
}

/*
 * Fail closed: a drop rule's SYN is dropped when its flow cannot be
 * created, and with TM_IN_FAILCLOSED every segment of no flow is
 * classified again; a drop or reset drops it.
 */
TEST(failclosed_flow_limit)
{
	struct tm_table_cfg cfg = { .max_flows = 1, .buckets = 1 };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	u->action = TM_ACT_DROP;
	u->rule = 3;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "CLASSIFY drop rule 3\n"
		  "ERROR - NULL flow_limit 0+0\n");
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOW_LIMIT));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_DROPPED_NOFLOW));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS_DROPPED));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ORPHANS));
	/* The rest of the connection: classified again, dropped */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello", .in_flags = TM_IN_FAILCLOSED);
	LOG_EQ(u, "CLASSIFY drop rule 3\n");
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	/* Without the flag (passive mode, no drop rule): an orphan */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	LOG_EQ(u, "ORPHAN - NULL\n");
	EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
	/* A rule that neither drops nor resets: an orphan */
	u->action = TM_ACT_IGNORE;
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .in_flags = TM_IN_FAILCLOSED);
	LOG_EQ(u, "CLASSIFY ignore rule 3\n"
		  "ORPHAN - NULL\n");
	EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
	/* A reset rule answers, but not a segment with a bad checksum */
	u->action = TM_ACT_RESET;
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .in_flags = TM_IN_FAILCLOSED);
	EXPECT_EQ(TM_VERDICT_RESET, u->verdict);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .in_flags = TM_IN_FAILCLOSED | TM_IN_CSUM_BAD);
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	LOG_EQ(u, "CLASSIFY reset rule 3\n"
		  "ERROR - NULL csum 0+0\n"
		  "CLASSIFY reset rule 3\n");
	/* nor an RST */
	TX(u, .from = SVR, .flags = RST, .seq = IS + 1,
	   .in_flags = TM_IN_FAILCLOSED);
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	LOG_EQ(u, "CLASSIFY reset rule 3\n");
	EXPECT_EQ(5, tu_stat(u, TM_STAT_DROPPED_NOFLOW));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_ORPHANS));
	EXPECT_EQ(1, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(failclosed_mem_limit)
{
	struct tu *u = tu_new(NULL);

	mos_tm_set_mem_limit(1);
	u->action = TM_ACT_DROP;
	u->rule = 5;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "CLASSIFY drop rule 5\n"
		  "ERROR - NULL mem_limit 0+0\n");
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	EXPECT_EQ(1, tu_stat(u, TM_STAT_MEM_LIMIT));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_DROPPED_NOFLOW));
	EXPECT_EQ(0, mos_tm_flows(u->t));
	/* A monitored SYN that finds no room is an orphan, as before */
	u->action = TM_ACT_MONITOR;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
	mos_tm_set_mem_limit(ULONG_MAX);
	TU_DONE(u);
}

/* A bad checksum and no flow: the rules see it; it creates nothing */
TEST(failclosed_csum_bad_syn)
{
	struct tu *u = tu_new(NULL);

	u->action = TM_ACT_DROP;
	u->rule = 4;
	TX(u, .from = CLI, .flags = SYN, .seq = IC,
	   .in_flags = TM_IN_CSUM_BAD | TM_IN_FAILCLOSED);
	LOG_EQ(u, "ERROR - NULL csum 0+0\n"
		  "CLASSIFY drop rule 4\n");
	EXPECT_EQ(TM_VERDICT_DROP, u->verdict);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_FLOWS_DROPPED));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_DROPPED_NOFLOW));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_CSUM));
	TU_DONE(u);
}

/* mos_tm_reset(): an established flow is ended at both ends */
TEST(flow_reset)
{
	struct tm_table_cfg cfg = { .timeout_rst = 5 };
	struct tu *u = tu_new(&cfg);
	struct tm_reset r;
	u64 id;

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 6,
	   .data = "hi");
	id = tu_last_id(u);
	tu_log(u);
	EXPECT_EQ(-ENOENT, mos_tm_reset(u->t, id + 1, NULL, u->now, &r));
	ASSERT_EQ(0, mos_tm_reset(u->t, id, NULL, u->now, &r));
	/* The client is sent the server's next byte; and the reverse */
	EXPECT_EQ(4, r.family);
	EXPECT_EQ(0xf, r.valid);
	EXPECT_EQ(IS + 3, r.seq[TM_CLI]);
	EXPECT_EQ(IC + 6, r.ack[TM_CLI]);
	EXPECT_EQ(IC + 6, r.seq[TM_SVR]);
	EXPECT_EQ(IS + 3, r.ack[TM_SVR]);
	EXPECT_EQ(u->port[CLI], ntohs(r.port[TM_CLI]));
	EXPECT_EQ(u->port[SVR], ntohs(r.port[TM_SVR]));
	EXPECT_EQ(0, memcmp(&r.addr[TM_CLI], &u->addr[CLI], sizeof(r.addr[0])));
	EXPECT_EQ(0, memcmp(&r.addr[TM_SVR], &u->addr[SVR], sizeof(r.addr[0])));
	LOG_EQ(u, "CONN_END cli RCV rst\n"
		  "CONN_END svr RCV rst\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_RESET));
	/* Its later packets are answered, silently */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 6, .ack = IS + 3,
	   .data = "more");
	EXPECT_EQ(TM_VERDICT_KILL, u->verdict);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 3, .ack = IC + 6);
	EXPECT_EQ(TM_VERDICT_KILL, u->verdict);
	LOG_EQ(u, "");
	EXPECT_EQ(2, tu_stat(u, TM_STAT_DROPPED));
	EXPECT_EQ(5, tu_stat(u, TM_STAT_BYTES_C2S));
	/* Again: the same numbers, no second end */
	ASSERT_EQ(0, mos_tm_reset(u->t, id, NULL, u->now, &r));
	EXPECT_EQ(IC + 6, r.seq[TM_SVR]);
	LOG_EQ(u, "");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS_RESET));
	/* It idles out after timeout_rst, with nothing more to say */
	EXPECT_EQ(0, tu_expire(u, u->now + 4 * TU_NS, ~0U));
	EXPECT_EQ(1, tu_expire(u, u->now + 5 * TU_NS, ~0U));
	LOG_EQ(u, "");
	EXPECT_EQ(0, mos_tm_flows(u->t));

	/* A flow the rules ignore cannot be reset: it is not listed */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	u->action = TM_ACT_IGNORE;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_log(u);
	EXPECT_EQ(-ENOENT, mos_tm_reset(u->t, tu_last_id(u), NULL, u->now, &r));
	TU_DONE(u);
}

TEST(action_monitor_announced)
{
	struct tu *u = tu_new(NULL);

	u->rule = 5;	/* monitor, by rule 5 */
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	LOG_EQ(u, "FLOW new 1\n"
		  "STATE_CHANGE cli SND CLOSED>SYN_SENT\n"
		  "CONN_START cli SND\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV LISTEN>SYN_RCVD\n"
		  "CONN_START svr RCV\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(TM_VERDICT_PASS, u->verdict);
	TX(u, .from = CLI, .flags = RST, .seq = IC + 1);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_FLOWS));
	TU_DONE(u);
}

TEST(flow_nomem)
{
	struct tu *u = tu_new(NULL);

	tm_user_fail_alloc = 1;
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tm_user_fail_alloc = 0;
	LOG_EQ(u, "ERROR - NULL nomem 0+0\n"
		  "ORPHAN - NULL\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_NOMEM));
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(1, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(timeouts_per_state)
{
	struct tm_table_cfg cfg = { 0 };
	struct tu *u;
	u64 t0;

	cfg.timeout[TM_SYN_SENT] = 3;
	cfg.timeout[TM_SYN_RCVD] = 7;
	cfg.timeout[TM_ESTABLISHED] = 30;
	cfg.timeout[TM_FIN_WAIT_1] = 11;
	cfg.timeout[TM_CLOSE_WAIT] = 13;
	u = tu_new(&cfg);
	EXPECT_EQ(30, mos_tm_cfg(u->t)->timeout[TM_ESTABLISHED]);
	EXPECT_EQ(120, mos_tm_cfg(u->t)->timeout[TM_TIME_WAIT]);
	EXPECT_EQ(TM_DEF_TIMEOUT_RST, mos_tm_cfg(u->t)->timeout_rst);

	/* SYN_SENT / SYN_RCVD: the longer of the two, 7 s */
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_log(u);
	t0 = u->now;
	EXPECT_EQ(0, tu_expire(u, t0 + 7 * TU_NS - 1, ~0U));
	EXPECT_EQ(1, tu_expire(u, t0 + 7 * TU_NS, ~0U));
	LOG_EQ(u, "TIMEOUT cli NULL\n"
		  "CONN_END cli RCV timeout\n"
		  "CONN_END svr RCV timeout\n");

	/* ESTABLISHED: 30 s from the last packet */
	u->now += 100 * TU_NS;
	hs(u, IC, IS);
	u->now += 20 * TU_NS;
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1);
	t0 = u->now;
	EXPECT_EQ(0, tu_expire(u, t0 + 29 * TU_NS, ~0U));
	EXPECT_EQ(1, tu_expire(u, t0 + 30 * TU_NS, ~0U));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_TIMEOUTS));

	/* FIN_WAIT_1 / CLOSE_WAIT: 13 s */
	u->now += 100 * TU_NS;
	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 1, .ack = IS + 1);
	EXPECT_STREQ("FIN_WAIT_1 CLOSE_WAIT", tu_states(u));
	tu_log(u);
	t0 = u->now;
	EXPECT_EQ(0, tu_expire(u, t0 + 12 * TU_NS, ~0U));
	EXPECT_EQ(1, tu_expire(u, t0 + 13 * TU_NS, ~0U));
	LOG_EQ(u, "TIMEOUT cli NULL\n"
		  "CONN_END cli RCV timeout\n"
		  "CONN_END svr RCV timeout\n");
	TU_DONE(u);
}

TEST(expire_budget)
{
	struct tm_table_cfg cfg = { .buckets = 2 };
	struct tu *u = tu_new(&cfg);
	unsigned int i, n;

	u->quiet = true;
	for (i = 0; i < 64; i++) {
		tu_conn(u, 4, "10.0.0.1", 1024 + i, "10.0.0.2", 80);
		TX(u, .from = CLI, .flags = SYN, .seq = IC);
	}
	EXPECT_EQ(2, mos_tm_cfg(u->t)->buckets);
	EXPECT_EQ(64, mos_tm_flows(u->t));
	u->now += 3600 * TU_NS;
	EXPECT_EQ(0, tu_expire(u, u->now, 0));
	/* One chain per call: not all of them (2^-63 that they share one) */
	n = tu_expire(u, u->now, 1);
	EXPECT_LT(n, 64);
	EXPECT_EQ(64 - n, mos_tm_flows(u->t));
	/* The next call resumes at the other chain. */
	EXPECT_EQ(64 - n, tu_expire(u, u->now, 1));
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(64, u->count[TM_EV_TIMEOUT]);
	EXPECT_EQ(128, u->count[TM_EV_CONN_END]);
	/* A budget past the table's size visits each chain once. */
	for (i = 0; i < 8; i++) {
		tu_conn(u, 4, "10.0.0.1", 2048 + i, "10.0.0.2", 80);
		TX(u, .from = CLI, .flags = SYN, .seq = IC);
	}
	EXPECT_EQ(0, tu_expire(u, u->now + 1, 1000000));
	EXPECT_EQ(8, tu_expire(u, u->now + 3600 * TU_NS, 1000000));
	TU_DONE(u);
}

TEST(flush)
{
	struct tu *u = tu_new(NULL);
	unsigned int first;

	hs(u, IC, IS);
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 1, .ack = IS + 1);
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS + 1, .ack = IC + 2);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 2, .ack = IS + 2);
	tu_log(u);
	first = u->nev;
	EXPECT_EQ(3, mos_tm_flows(u->t));
	tu_flush(u);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	/* Each open side ends once, no TIMEOUT; chains in hash order */
	EXPECT_EQ(0, u->count[TM_EV_TIMEOUT]);
	EXPECT_EQ(first + 5, u->nev);
	EXPECT_EQ(3, tu_stat(u, TM_STAT_FLOWS_ENDED));
	for (unsigned int i = u->nev - 5; i < u->nev; i++) {
		EXPECT_EQ(TM_EV_CONN_END, u->ev[i].ev.type);
		EXPECT_EQ(TM_END_FLUSH, u->ev[i].ev.reason);
		EXPECT_EQ(TM_HK_RCV, u->ev[i].ev.hook);
	}
	TU_DONE(u);
}

/* mos_tm_walk_chains() callback: mark the flow's id seen */
static int walk_mark(struct tm_flow *f, void *arg)
{
	u8 *seen = arg;

	seen[f->id]++;
	return 0;
}

/*
 * A walk in small batches (as a consumer's marks are cleared, with
 * reschedules between): flows that end between two calls make it skip
 * none of the flows that stay, and visit none twice.
 */
TEST(walk_chains_flows_end_between_calls)
{
	struct tm_table_cfg cfg = { .buckets = 16 };
	struct tu *u = tu_new(&cfg);
	u8 seen[202] = { 0 }, ended[202] = { 0 };
	u32 bucket = 0, calls = 0, i, next = 1;

	for (i = 1; i <= 200; i++) {
		tu_conn(u, 4, "10.0.0.1", 40000 + i, "10.0.0.2", 80);
		hs(u, IC, IS);
	}
	EXPECT_EQ(200, mos_tm_flows(u->t));
	while (bucket < mos_tm_cfg(u->t)->buckets) {
		EXPECT_EQ(0, mos_tm_walk_chains(u->t, &bucket, 1, walk_mark,
						seen));
		calls++;
		/* End two flows already visited, which may share a chain
		 * with flows not visited yet
		 */
		for (i = 0; i < 2; i++) {
			while (next <= 200 && !seen[next])
				next++;
			if (next > 200)
				break;
			tu_conn(u, 4, "10.0.0.1", 40000 + next, "10.0.0.2", 80);
			TX(u, .from = CLI, .flags = RST, .seq = IC + 1);
			ended[next++] = 1;
		}
	}
	EXPECT_EQ(16, calls);	/* a chain a call, whatever its length */
	for (i = 1; i <= 200; i++)
		EXPECT_EQ(1, seen[i]) {
			TH_LOG("flow %u (ended: %u) visited %u times", i,
			       ended[i], seen[i]);
		}
	TU_DONE(u);
}

TEST(csum_bad)
{
	struct tu *u = tu_new(NULL);

	/* no flow yet: nothing created from it */
	TX(u, .from = CLI, .flags = SYN, .seq = IC, .in_flags = TM_IN_CSUM_BAD);
	LOG_EQ(u, "ERROR - NULL csum 0+0\n");
	EXPECT_EQ(0, mos_tm_flows(u->t));
	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "EVIL!", .in_flags = TM_IN_CSUM_BAD);
	LOG_EQ(u, "ERROR cli NULL csum 0+0\n");
	/* A bad RST does not close it either. */
	TX(u, .from = SVR, .flags = RST, .seq = IS + 1,
	   .in_flags = TM_IN_CSUM_BAD);
	LOG_EQ(u, "ERROR svr NULL csum 0+0\n");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+5\n"
		  "NEW_DATA svr NULL 0+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("hello", tu_rx(u, 1, SVR));
	EXPECT_EQ(3, tu_stat(u, TM_STAT_CSUM));
	TU_DONE(u);
}

TEST(key_families_apart)
{
	struct tu *u = tu_new(NULL);

	/* 10.0.0.1 and a00:1:: have the same 16 bytes in union tm_addr. */
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	tu_conn(u, 6, "a00:1::", 40000, "a00:2::", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(2, mos_tm_flows(u->t));
	EXPECT_EQ(2, tu_last_id(u));
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	EXPECT_EQ(2, tu_last_id(u));
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	EXPECT_EQ(1, tu_last_id(u));
	EXPECT_STREQ("ESTABLISHED SYN_RCVD", tu_states(u));
	/* Same endpoints, ports swapped: another connection */
	tu_conn(u, 4, "10.0.0.1", 80, "10.0.0.2", 40000);
	TX(u, .from = CLI, .flags = SYN, .seq = IC);
	EXPECT_EQ(3, mos_tm_flows(u->t));
	TU_DONE(u);
}

TEST(many_flows)
{
	struct tm_table_cfg cfg = { .timeout[TM_ESTABLISHED] = 100 };
	struct tu *u = tu_new(&cfg);
	unsigned int i, n = 10000;
	u64 ended = 0, t0;

	u->quiet = true;
	for (i = 0; i < n; i++) {
		u->addr[CLI].a4 = htonl(0x0a000000 + i / 7);
		u->port[CLI] = 1024 + i;
		TX(u, .from = CLI, .flags = SYN, .seq = i);
	}
	EXPECT_EQ(n, mos_tm_flows(u->t));
	/* Every server finds its client's flow, from the other direction. */
	for (i = 0; i < n; i++) {
		u->addr[CLI].a4 = htonl(0x0a000000 + i / 7);
		u->port[CLI] = 1024 + i;
		TX(u, .from = SVR, .flags = SYN | ACK, .seq = 7, .ack = i + 1);
		if (tu_last_id(u) != i + 1 || u->state[CLI] != TM_ESTABLISHED)
			break;
	}
	EXPECT_EQ(n, i);
	EXPECT_EQ(n, mos_tm_flows(u->t));
	EXPECT_EQ(n, tu_stat(u, TM_STAT_FLOWS));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_ORPHANS));
	EXPECT_EQ(n, u->count[TM_EV_CONN_SETUP]);
	/* The first half of them sees traffic 60 s later. */
	t0 = u->now;
	u->now += 60 * TU_NS;
	for (i = 0; i < n / 2; i++) {
		u->addr[CLI].a4 = htonl(0x0a000000 + i / 7);
		u->port[CLI] = 1024 + i;
		TX(u, .from = CLI, .flags = ACK, .seq = i + 1, .ack = 8);
	}
	/* 100 s after the SYN-ACKs the other half ends, in slices. */
	for (i = 0; i < 64; i++)
		ended += tu_expire(u, t0 + 100 * TU_NS,
				   1 + mos_tm_cfg(u->t)->buckets / 64);
	EXPECT_EQ(n / 2, ended);
	EXPECT_EQ(n / 2, mos_tm_flows(u->t));
	EXPECT_EQ(0, tu_expire(u, t0 + 160 * TU_NS - 1, ~0U));
	EXPECT_EQ(n / 2, tu_expire(u, t0 + 160 * TU_NS, ~0U));
	EXPECT_EQ(0, mos_tm_flows(u->t));
	EXPECT_EQ(n, tu_stat(u, TM_STAT_TIMEOUTS));
	TU_DONE(u);
}

TEST(flow_size)
{
	TH_LOG("sizeof(struct tm_flow) = %zu, struct tm_half = %zu, spinlock_t = %zu",
	       sizeof(struct tm_flow), sizeof(struct tm_half),
	       sizeof(spinlock_t));
	/* As in a non-debug kernel, where spinlock_t is 4 bytes */
	ASSERT_EQ(4, sizeof(spinlock_t));
	ASSERT_LE(sizeof(struct tm_flow), 320);
}

/*
 * What the receiver accepts (tcpmon.rst): segments the receiving Linux
 * TCP discards stay out of its stream, and are counted.
 */

/* Segments without ACK: tcp_rcv_established() and tcp_rcv_state_process()
 * discard them (a FIN without ACK too); the real bytes that follow are new.
 */
static void noack(struct __test_metadata *_metadata, u8 family)
{
	struct tu *u = tu_new(NULL);

	if (family == 6)
		tu_conn(u, 6, "2001:db8::1", 40000, "2001:db8::2", 80);
	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = PSH, .seq = IC + 1, .data = "evil");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL noack 0+4\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "good");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+4\n"
		  "NEW_DATA svr NULL 0+4\n"
		  "PKT_IN svr RCV\n");
	/* A FIN without ACK closes nothing. */
	TX(u, .from = CLI, .flags = FIN, .seq = IC + 5);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL noack 4+0\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("ESTABLISHED ESTABLISHED", tu_states(u));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 5, .ack = IS + 1,
	   .data = "more");
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 9, .ack = IS + 1);
	EXPECT_STREQ("FIN_WAIT_1 CLOSE_WAIT", tu_states(u));
	EXPECT_STREQ("goodmore", tu_rx(u, 1, SVR));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NACC_NOACK));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_REXMIT));
	TU_DONE(u);
}

TEST(nacc_noack_ipv4)
{
	noack(_metadata, 4);
}

TEST(nacc_noack_ipv6)
{
	noack(_metadata, 6);
}

/*
 * tcp_ack(): an ACK after the receiver's snd_nxt ("ack of unsent data",
 * RFC 5961 5.2) makes it discard the segment.  Not checked mid-stream,
 * where the receiver's snd_nxt is not known.
 */
TEST(nacc_ack_unsent)
{
	struct tm_table_cfg cfg = { .midstream = true };
	struct tu *u = tu_new(&cfg);

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1,
	   .ack = IS + 1 + 1000, .data = "evil");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL ack_unsent 0+4\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "good");
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 5,
	   .data = "srv");
	tu_log(u);
	/* One past the server's snd_nxt (IS + 4) */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 5, .ack = IS + 5,
	   .data = "bad");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL ack_unsent 4+3\n"
		  "PKT_IN svr RCV\n");
	/* At it */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 5, .ack = IS + 4,
	   .data = "yes");
	EXPECT_STREQ("goodyes", tu_rx(u, 1, SVR));
	/* The server's FIN takes a sequence number: its ACK is no more. */
	TX(u, .from = SVR, .flags = FIN | ACK, .seq = IS + 4, .ack = IC + 8);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 8, .ack = IS + 5);
	EXPECT_STREQ("LAST_ACK TIME_WAIT", tu_states(u));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NACC_ACK_UNSENT));

	/* Mid-stream, the receiver's snd_nxt is unknown: nothing is checked */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC, .ack = IS,
	   .data = "mid");
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 3,
	   .ack = IS + 100000, .data = "way");
	EXPECT_STREQ("midway", tu_rx(u, 2, SVR));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NACC_ACK_UNSENT));
	TU_DONE(u);
}

/*
 * tcp_ack(): an ACK before snd_una minus the largest window the receiver
 * was granted, that window bounded by the bytes acknowledged so far
 * (RFC 5961 5.2, "too old ack"), makes it discard the segment; an older
 * ACK within that bound is only a duplicate.
 */
TEST(nacc_ack_old)
{
	static u8 blob[1000];
	struct tu *u = tu_new(NULL);

	memset(blob, 's', sizeof(blob));
	hs(u, IC, IS);
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 1,
	   .data = blob, .len = sizeof(blob));
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1001);
	tu_log(u);
	/* snd_una IS + 1001, 1000 bytes acked: IS + 1 is the oldest taken */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS,
	   .data = "old");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL ack_old 0+3\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "dup");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+3\n"
		  "NEW_DATA svr NULL 0+3\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("dup", tu_rx(u, 1, SVR));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_NACC_ACK_OLD));
	TU_DONE(u);
}

/* NOP, NOP, timestamps (RFC 7323 3) */
static const u8 *ts(u8 *o, u32 val, u32 ecr)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	o[4] = val >> 24;
	o[5] = val >> 16;
	o[6] = val >> 8;
	o[7] = val;
	o[8] = ecr >> 24;
	o[9] = ecr >> 16;
	o[10] = ecr >> 8;
	o[11] = ecr;
	return o;
}

#define TS(val, ecr)	.opt = ts((u8[12]){ 0 }, (val), (ecr)), .optlen = 12

/* The handshake with timestamps on both SYNs */
static void hs_ts(struct tu *u)
{
	TX(u, .from = CLI, .flags = SYN, .seq = IC, TS(100, 0));
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1,
	   TS(5000, 100));
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   TS(101, 5000));
	tu_log(u);
}

/*
 * PAWS modes: with @mode, a handshake whose SYN carries @in_flags (where
 * its ends are), then a segment PAWS discards at the server, then one
 * at the client.  Returns how many were refused, as a bit per side:
 * 1 the server, 2 the client.
 */
static unsigned int paws_refused(unsigned int mode, unsigned int in_flags)
{
	struct tm_table_cfg cfg = { .paws = mode };
	struct tu *u = tu_new(&cfg);
	unsigned int r = 0;

	TX(u, .from = CLI, .flags = SYN, .seq = IC, TS(100, 0),
	   .in_flags = in_flags);
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1,
	   TS(5000, 100));
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   TS(101, 5000));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "abc", TS(50, 5000));
	if (tu_stat(u, TM_STAT_NACC_PAWS) == 1)
		r |= 1;
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 1,
	   .data = "xyz", TS(10, 101));
	if (tu_stat(u, TM_STAT_NACC_PAWS) - (r & 1) == 1)
		r |= 2;
	tu_free(u);
	return r;
}

/*
 * auto: PAWS applies to a side whose end is this host (mos_skb_local()
 * in the hook says so for a SYN: sent from here, TM_IN_SRC_LOCAL; to a
 * local address, TM_IN_DST_LOCAL), where the monitor sees the receiver's
 * order; on: every side; off: none.
 */
TEST(paws_modes)
{
	EXPECT_EQ(0, paws_refused(TM_PAWS_AUTO, 0));
	EXPECT_EQ(1, paws_refused(TM_PAWS_AUTO, TM_IN_DST_LOCAL));
	EXPECT_EQ(2, paws_refused(TM_PAWS_AUTO, TM_IN_SRC_LOCAL));
	EXPECT_EQ(3, paws_refused(TM_PAWS_AUTO,
				  TM_IN_SRC_LOCAL | TM_IN_DST_LOCAL));
	EXPECT_EQ(3, paws_refused(TM_PAWS_ON, 0));
	EXPECT_EQ(0, paws_refused(TM_PAWS_OFF,
				  TM_IN_SRC_LOCAL | TM_IN_DST_LOCAL));
}

/*
 * PAWS (RFC 7323 5, tcp_validate_incoming() -> tcp_paws_discard()): a
 * segment whose TSval is more than one below ts_recent is discarded.
 * ts_recent moves only for a segment that starts at or before rcv_wup,
 * the receiver's last ACK (tcp_replace_ts_recent()); one older than 24
 * days no longer counts (tcp_paws_check()); an RST passes.
 */
TEST(nacc_paws)
{
	struct tm_table_cfg cfg = { .paws = TM_PAWS_ON };
	struct tu *u = tu_new(&cfg);

	hs_ts(u);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "abc", TS(110, 5000));
	tu_log(u);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 4, .ack = IS + 1,
	   .data = "XYZ", TS(50, 5000));
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL paws 3+3\n"
		  "PKT_IN svr RCV\n");
	/* One below ts_recent passes (TCP_PAWS_WINDOW). */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 4, .ack = IS + 1,
	   .data = "xyz", TS(109, 5000));
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 3+3\n"
		  "NEW_DATA svr NULL 3+3\n"
		  "PKT_IN svr RCV\n");
	/* A late duplicate PAWS discards: counted, a retransmission still */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "abc", TS(50, 5000));
	LOG_EQ(u, "REXMIT cli SND 0+3\n"
		  "PKT_IN cli SND\n"
		  "REXMIT svr RCV 0+3\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NACC_PAWS));
	/*
	 * The server has acknowledged nothing since IC + 1: TSval 300 at
	 * IC + 7 leaves ts_recent at 110, and 200 passes after it.
	 */
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 7, .ack = IS + 1,
	   .data = "def", TS(300, 5000));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 10, .ack = IS + 1,
	   .data = "ghi", TS(200, 5000));
	EXPECT_STREQ("abcxyzdefghi", tu_rx(u, 1, SVR));
	/* Acknowledged: the next segment at rcv_wup sets ts_recent to 400. */
	TX(u, .from = SVR, .flags = ACK, .seq = IS + 1, .ack = IC + 13,
	   TS(5001, 300));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 13, .ack = IS + 1,
	   .data = "jkl", TS(400, 5001));
	tu_log(u);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 16, .ack = IS + 1,
	   .data = "MNO", TS(350, 5001));
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "ERROR svr NULL paws 15+3\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(3, tu_stat(u, TM_STAT_NACC_PAWS));
	/* 24 days on, ts_recent no longer counts. */
	u->now += (24ULL * 24 * 3600 + 1) * TU_NS;
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 16, .ack = IS + 1,
	   .data = "mno", TS(350, 5001));
	EXPECT_STREQ("abcxyzdefghijklmno", tu_rx(u, 1, SVR));
	EXPECT_EQ(3, tu_stat(u, TM_STAT_NACC_PAWS));

	/* An RST at rcv_nxt is taken whatever its timestamp. */
	tu_conn(u, 4, "10.0.0.1", 40001, "10.0.0.2", 80);
	hs_ts(u);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "abc", TS(110, 5000));
	EXPECT_EQ(2, mos_tm_flows(u->t));
	TX(u, .from = CLI, .flags = RST, .seq = IC + 4, TS(1, 0));
	EXPECT_STREQ("CLOSED CLOSED", tu_states(u));
	EXPECT_EQ(1, mos_tm_flows(u->t));

	/* Timestamps on one SYN only: not in use, no PAWS */
	tu_conn(u, 4, "10.0.0.1", 40002, "10.0.0.2", 80);
	TX(u, .from = CLI, .flags = SYN, .seq = IC, TS(100, 0));
	TX(u, .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "abc", TS(110, 0));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 4, .ack = IS + 1,
	   .data = "xyz", TS(50, 0));
	EXPECT_STREQ("abcxyz", tu_rx(u, 3, SVR));
	EXPECT_EQ(3, tu_stat(u, TM_STAT_NACC_PAWS));
	TU_DONE(u);
}

/*
 * A FIN behind a hole waits (tcp_data_queue_ofo()); it takes effect when
 * the stream reaches it (tcp_ofo_queue() -> tcp_fin(), which drops what
 * waits after it), and never if in-order bytes go past it first
 * (tcp_ofo_queue() drops a queued segment that ends before rcv_nxt).
 */
TEST(nacc_fin_behind_hole)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 11, .ack = IS + 1);
	LOG_EQ(u, "STATE_CHANGE cli SND ESTABLISHED>FIN_WAIT_1\n"
		  "PKT_IN cli SND\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("FIN_WAIT_1 ESTABLISHED", tu_states(u));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "0123456789ABCDEF");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+16\n"
		  "ERROR svr NULL fin 16+0\n"
		  "NEW_DATA svr NULL 0+16\n"
		  "PKT_IN svr RCV\n");
	EXPECT_EQ(1, tu_stat(u, TM_STAT_NACC_FIN));
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 17, .ack = IS + 1,
	   .data = "GH");
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 19, .ack = IS + 1);
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 16+2\n"
		  "NEW_DATA svr NULL 16+2\n"
		  "PKT_IN svr RCV\n"
		  "PKT_IN cli SND\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSE_WAIT\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("0123456789ABCDEFGH", tu_rx(u, 1, SVR));

	/* The FIN the stream reaches: bytes stored after it are dropped. */
	tu_conn(u, 6, "2001:db8::1", 40001, "2001:db8::2", 80);
	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = FIN | ACK, .seq = IC + 6, .ack = IS + 1);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 8, .ack = IS + 1,
	   .data = "zz");
	tu_log(u);
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	   .data = "hello");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+5\n"
		  "STATE_CHANGE svr RCV ESTABLISHED>CLOSE_WAIT\n"
		  "NEW_DATA svr NULL 0+5\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("hello", tu_rx(u, 2, SVR));
	EXPECT_EQ(0, mos_tm_ooo_bytes(u->t));
	EXPECT_EQ(1, tu_stat(u, TM_STAT_NACC_FIN));
	TU_DONE(u);
}

/*
 * The urgent byte: tcp_check_urg() takes seq + urgent pointer - 1 (BSD),
 * and tcp_recvmsg() without SO_OOBINLINE steps over it: read() never
 * returns it.  One urgent byte at a time; a later pointer replaces one
 * whose byte has not arrived.
 */
static void urg(struct __test_metadata *_metadata, u8 family)
{
	struct tu *u = tu_new(NULL);

	if (family == 6)
		tu_conn(u, 6, "2001:db8::1", 40000, "2001:db8::2", 80);
	hs(u, IC, IS);
	TX(u, .from = CLI, .flags = ACK | PSH | URG, .seq = IC + 1,
	   .ack = IS + 1, .urg = 4, .data = "abc!");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+3\n"
		  "ERROR svr NULL urg 3+1\n"
		  "NEW_DATA svr NULL 0+3\n"
		  "PKT_IN svr RCV\n");
	TX(u, .from = CLI, .flags = ACK | PSH, .seq = IC + 5, .ack = IS + 1,
	   .data = "def");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 3+3\n"
		  "NEW_DATA svr NULL 3+3\n"
		  "PKT_IN svr RCV\n");
	/* A pointer past the segment (to IC + 13), then a later one */
	TX(u, .from = CLI, .flags = ACK | URG, .seq = IC + 8, .ack = IS + 1,
	   .urg = 6, .data = "0123");
	TX(u, .from = CLI, .flags = ACK | URG, .seq = IC + 12, .ack = IS + 1,
	   .urg = 5, .data = "456789");
	EXPECT_STREQ("abcdef012345679", tu_rx(u, 1, SVR));
	EXPECT_EQ(2, tu_stat(u, TM_STAT_NACC_URG));
	/* The server's side is not touched. */
	TX(u, .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 18,
	   .data = "ok!");
	EXPECT_STREQ("ok!", tu_rx(u, 1, CLI));
	TU_DONE(u);
}

TEST(nacc_urg_ipv4)
{
	urg(_metadata, 4);
}

TEST(nacc_urg_ipv6)
{
	urg(_metadata, 6);
}

/*
 * Split tracking (mos_tm_input_split(), mos_tm_resume()): the receiver's
 * side of a segment is updated when the segment goes on to it, with the
 * bytes it goes on with, or never if it is dropped.
 */

/* A connection with data both ways, out of order, a duplicate, a close */
static const struct tu_pkt split_pk[] = {
	{ .from = CLI, .flags = SYN, .seq = IC },
	{ .from = SVR, .flags = SYN | ACK, .seq = IS, .ack = IC + 1 },
	{ .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1 },
	{ .from = CLI, .flags = ACK | PSH, .seq = IC + 1, .ack = IS + 1,
	  .data = "hello" },
	{ .from = CLI, .flags = ACK | PSH, .seq = IC + 10, .ack = IS + 1,
	  .data = "ld" },
	{ .from = CLI, .flags = ACK | PSH, .seq = IC + 6, .ack = IS + 1,
	  .data = " wor" },
	{ .from = CLI, .flags = ACK | PSH, .seq = IC + 6, .ack = IS + 1,
	  .data = " wor" },
	{ .from = SVR, .flags = ACK | PSH, .seq = IS + 1, .ack = IC + 12,
	  .data = "ok" },
	{ .from = CLI, .flags = FIN | ACK, .seq = IC + 12, .ack = IS + 3 },
	{ .from = SVR, .flags = FIN | ACK, .seq = IS + 3, .ack = IC + 13 },
	{ .from = CLI, .flags = ACK, .seq = IC + 13, .ack = IS + 4 },
};

/* Each segment's receiver updated at once: as without the split */
TEST(split_resumed_at_once)
{
	struct tu *a = tu_new(NULL), *b = tu_new(NULL);
	unsigned int i;
	char *whole;

	for (i = 0; i < ARRAY_SIZE(split_pk); i++)
		tu_input(a, &split_pk[i]);
	whole = strdup(tu_log(a));
	ASSERT_NE(NULL, whole);
	b->split = true;
	for (i = 0; i < ARRAY_SIZE(split_pk); i++) {
		tu_input(b, &split_pk[i]);
		ASSERT_EQ(1, b->npend) TH_LOG("packet %u", i);
		ASSERT_EQ(0, tu_resume(b, NULL, 0, 0));
	}
	ASSERT_STREQ(whole, tu_log(b));
	EXPECT_STREQ("hello world", tu_rx(b, 1, SVR));
	EXPECT_STREQ("ok", tu_rx(b, 1, CLI));
	EXPECT_STREQ(tu_states(a), tu_states(b));
	EXPECT_EQ(1, tu_stat(b, TM_STAT_REXMIT));
	EXPECT_EQ(tu_stat(a, TM_STAT_REXMIT), tu_stat(b, TM_STAT_REXMIT));
	free(whole);
	TU_DONE(a);
	TU_DONE(b);
}

/* Segments waiting in turn: their receiver takes them as they go on */
TEST(split_waiting_in_order)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	u->split = true;
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "aaa");
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 4, .ack = IS + 1,
	   .data = "bbb");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "PKT_IN cli SND\n");
	EXPECT_STREQ("", tu_rx(u, 1, SVR));
	ASSERT_EQ(2, u->npend);
	ASSERT_EQ(0, tu_resume(u, NULL, 0, 0));
	LOG_EQ(u, "data svr 0+3\n"
		  "NEW_DATA svr NULL 0+3\n"
		  "PKT_IN svr RCV\n");
	ASSERT_EQ(0, tu_resume(u, NULL, 0, 0));
	LOG_EQ(u, "data svr 3+3\n"
		  "NEW_DATA svr NULL 3+3\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("aaabbb", tu_rx(u, 1, SVR));
	EXPECT_EQ(0, tu_stat(u, TM_STAT_REXMIT));
	TU_DONE(u);
}

/*
 * A dropped segment never reaches its receiver's stream; its
 * retransmission is the first copy the receiver gets
 */
TEST(split_dropped)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	u->split = true;
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "attack");
	LOG_EQ(u, "PKT_IN cli SND\n");
	tu_forget(u);
	EXPECT_STREQ("", tu_rx(u, 1, SVR));
	u->split = false;
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "attack");
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+6\n"
		  "NEW_DATA svr NULL 0+6\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("attack", tu_rx(u, 1, SVR));
	TU_DONE(u);
}

/* A rewritten segment: its receiver's stream has the new bytes */
TEST(split_rewritten)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	u->split = true;
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "secret");
	/* IPv4 and TCP headers without options: the payload at 40 */
	ASSERT_EQ(0, tu_resume(u, "XXXXXX", 40, 6));
	LOG_EQ(u, "PKT_IN cli SND\n"
		  "data svr 0+6\n"
		  "NEW_DATA svr NULL 0+6\n"
		  "PKT_IN svr RCV\n");
	EXPECT_STREQ("XXXXXX", tu_rx(u, 1, SVR));
	TU_DONE(u);
}

/* A flow that ended while its segment waited: nothing to update */
TEST(split_flow_gone)
{
	struct tu *u = tu_new(NULL);

	hs(u, IC, IS);
	u->split = true;
	TX(u, .from = CLI, .flags = ACK, .seq = IC + 1, .ack = IS + 1,
	   .data = "late");
	u->split = false;
	TX(u, .from = SVR, .flags = RST, .seq = IS + 1);
	EXPECT_EQ(0, mos_tm_flows(u->t));
	tu_log(u);
	EXPECT_EQ(-ENOENT, tu_resume(u, NULL, 0, 0));
	LOG_EQ(u, "");
	EXPECT_STREQ("", tu_rx(u, 1, SVR));
	TU_DONE(u);
}

TEST_HARNESS_MAIN
