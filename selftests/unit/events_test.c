// SPDX-License-Identifier: GPL-2.0
/*
 * events_test.c - mOS's event semantics in libmosuser, offline
 *
 * On the host, no module: raw-IPv4 captures written here (a connection
 * closed with FINs, one reset, one left idle; a second connection; a
 * packet of no flow to move the capture's clock on) go through the mOS
 * API with MOS_PCAP.  The expected callback sequences are mOS's:
 *
 * - a flow is destroyed when, after a packet, each side is in TIME_WAIT
 *   (tcp_tw_interval 0) or CLOSED (tcp.c, HandleMonitorStream()), or when
 *   its TIME_WAIT interval or its idle timeout runs out (timer.c); then,
 *   for the side that received the packet first, the other next, at
 *   MOS_HK_RCV then MOS_HK_SND, TCP_STATE_CHANGE (CLOSED) then CONN_END
 *   (tcp_stream.c, DestroySingleTCPStream(): events in bit order), and
 *   nothing of the flow after that;
 * - the event/hook pairs mtcp_register_callback() takes and refuses
 *   (MOS_NULL: not CONN_START, REXMIT, TCP_STATE_CHANGE, CONN_END; the
 *   sides' hooks: not CONN_NEW_DATA, ORPHAN, ERROR), a NULL callback
 *   deregisters, callbacks on a per-flow socket are that flow's;
 * - UDE ids from 1 << 12 on, one by one; the same filter and argument
 *   bytes on the same event give the same id; the argument is copied;
 *   filters and callbacks get the UDE's id and argument; a UDE's filter
 *   runs after its parent's callback, depth first; a raised event after
 *   the raising callback returned and its filtered children ran
 *   (scalable_event.c, HandleCb()).
 *
 * The states before the end are the tracker's (kmod/tcpmon/track.c): the
 * TCP state machine of each side as the packets show it.  Time is told by
 * timers set on the capture's clock around the expected moments.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "pkt.h"
#include "mos_api.h"

#define T0_NS		1700000000000000000ULL
#define MS		1000000ULL
#define CISN		1000U
#define SISN		500000U

#define F_FIN	0x01
#define F_SYN	0x02
#define F_RST	0x04
#define F_PSH	0x08
#define F_ACK	0x10

/* One packet: its time (ms after T0), client port (0: of no flow), sender */
struct step {
	unsigned int ms;
	uint16_t port;
	int from_svr;
	uint8_t flags;
	uint32_t seq, ack;
	unsigned int len;
};

#define HANDSHAKE(t, p)							\
	{ (t), (p), 0, F_SYN, CISN, 0, 0 },				\
	{ (t) + 100, (p), 1, F_SYN | F_ACK, SISN, CISN + 1, 0 },	\
	{ (t) + 200, (p), 0, F_ACK, CISN + 1, SISN + 1, 0 },		\
	{ (t) + 1000, (p), 0, F_PSH | F_ACK, CISN + 1, SISN + 1, 5 },	\
	{ (t) + 1100, (p), 1, F_ACK, SISN + 1, CISN + 6, 0 }

/* The client closes first: FIN, the server's FIN with its ACK, ACK */
#define FIN_CLOSE(t, p)							\
	{ (t) + 3000, (p), 0, F_FIN | F_ACK, CISN + 6, SISN + 1, 0 },	\
	{ (t) + 3100, (p), 1, F_FIN | F_ACK, SISN + 1, CISN + 7, 0 },	\
	{ (t) + 3200, (p), 0, F_ACK, CISN + 7, SISN + 2, 0 }

static const struct step fin_conv[] = {
	HANDSHAKE(0, 40000), FIN_CLOSE(0, 40000),
	/* A packet of no flow, later: the clock reaches 6 s */
	{ 6000, 0, 0, F_ACK, 1, 1, 0 },
};

/* The last ACK sent again after the end */
static const struct step again_conv[] = {
	HANDSHAKE(0, 40000), FIN_CLOSE(0, 40000),
	{ 3300, 40000, 0, F_ACK, CISN + 7, SISN + 2, 0 },
	{ 6000, 0, 0, F_ACK, 1, 1, 0 },
};

static const struct step rst_conv[] = {
	HANDSHAKE(0, 40000),
	/* At the server's next expected sequence number: accepted */
	{ 2000, 40000, 0, F_RST | F_ACK, CISN + 6, SISN + 1, 0 },
	{ 6000, 0, 0, F_ACK, 1, 1, 0 },
};

static const struct step idle_conv[] = {
	HANDSHAKE(0, 40000),
	{ 10000, 0, 0, F_ACK, 1, 1, 0 },
};

/* A SYN, then nothing: the tracker's SYN_SENT timeout (120 s) ends it */
static const struct step syn_conv[] = {
	{ 0, 40000, 0, F_SYN, CISN, 0, 0 },
	{ 200000, 0, 0, F_ACK, 1, 1, 0 },
};

static const struct step two_conv[] = {
	HANDSHAKE(0, 40000), FIN_CLOSE(0, 40000),
	HANDSHAKE(10000, 40001), FIN_CLOSE(10000, 40001),
};

static size_t mk_pkt(uint8_t *p, const struct step *s)
{
	static const uint8_t cli[4] = { 10, 0, 0, 1 }, svr[4] = { 10, 0, 0, 2 };
	static const uint8_t other[4] = { 10, 0, 0, 3 };
	static const uint8_t data[8] = "hello";
	struct pkt_tcp pk = {
		.family = 4,
		.src = s->from_svr ? svr : s->port ? cli : other,
		.dst = s->from_svr ? cli : svr,
		.sport = s->from_svr ? 80 : s->port ? s->port : 5000,
		.dport = s->from_svr ? s->port : 80,
		.seq = s->seq,
		.ack = s->ack,
		.flags = s->flags,
		.win = 65535,
		.data = data,
		.len = s->len,
		.ip_flags = PKT_DF | PKT_CSUM,
	};

	return pkt_tcp(p, PKT_HDR_MAX + sizeof(data), &pk);
}

/* @n steps as a nanosecond pcap of raw IP, in a file of its own */
static char *write_capture(const struct step *st, unsigned int n)
{
	uint8_t pkt[PKT_HDR_MAX + 8];
	char *path = strdup("/tmp/events_test.XXXXXX");
	unsigned int i;
	FILE *f = path ? pkt_pcap_create(path, 262144) : NULL;

	if (!f) {
		free(path);
		return NULL;
	}
	for (i = 0; i < n; i++)
		pkt_pcap_add(f, T0_NS + st[i].ms * MS, pkt, mk_pkt(pkt, &st[i]));
	fclose(f);
	return path;
}

#define CAPTURE(conv) write_capture(conv, sizeof(conv) / sizeof(conv[0]))

/* --- the log of callbacks ---------------------------------------------- */

static char log_buf[8192];
static mctx_t g_mctx;
static char *g_path;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	size_t at = strlen(log_buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_buf + at, sizeof(log_buf) - at, fmt, ap);
	va_end(ap);
}

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT",
};

static int cli_port(mctx_t m, int sock)
{
	struct sockaddr_in sa[2];
	socklen_t len = sizeof(sa);

	if (mtcp_getpeername(m, sock, (struct sockaddr *)sa, &len,
			     MOS_SIDE_BOTH))
		return -1;
	return ntohs(sa[0].sin_port);
}

/* "EVENT HOOK SIDE", with the side's new state for a STATE_CHANGE */
static void log_ev(mctx_t m, int sock, int side, event_t ev, const char *hook)
{
	const char *sname = side == MOS_SIDE_CLI ? "cli" : "svr";

	if (ev == MOS_ON_TCP_STATE_CHANGE) {
		int st = -1;
		socklen_t len = sizeof(st);

		mtcp_getsockopt(m, sock, SOL_MONSOCKET, side == MOS_SIDE_CLI ?
				MOS_TCP_STATE_CLI : MOS_TCP_STATE_SVR, &st, &len);
		logf_("SC %s %s %s|", hook, sname,
		      st >= 0 && st <= TCP_TIME_WAIT ? state_names[st] : "?");
	} else if (ev == MOS_ON_CONN_END) {
		logf_("END %s %s|", hook, sname);
	} else if (ev == MOS_ON_TIMEOUT) {
		logf_("TIMEOUT %s %s|", hook, sname);
	} else {
		logf_("ev%llu %s %s|", (unsigned long long)ev, hook, sname);
	}
}

static void on_snd(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)a;
	log_ev(m, sock, side, ev, "SND");
}

static void on_rcv(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)a;
	log_ev(m, sock, side, ev, "RCV");
}

static void on_null(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)a;
	log_ev(m, sock, side, ev, "NULL");
}

static void on_timer(mctx_t m, int id, int side, event_t ev, filter_arg_t *a)
{
	(void)m;
	(void)side;
	(void)ev;
	(void)a;
	logf_("timer %d|", id);
}

/* Timer @id at @ms after the capture's first packet */
static int timer_at(unsigned int ms, int id)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return mtcp_settimer(g_mctx, id, &tv, on_timer);
}

/* A context on capture @path, with mos.conf lines @conf; its stream socket */
static int context(char *path, const char *conf)
{
	char name[] = "/tmp/events_test.conf.XXXXXX";
	int fd, sock;
	FILE *f;

	g_path = path;
	log_buf[0] = '\0';
	fd = mkstemp(name);
	if (!path || fd < 0 || setenv("MOS_PCAP", path, 1))
		return -1;
	f = fdopen(fd, "w");
	fprintf(f, "%s", conf ? conf : "");
	fclose(f);
	if (mtcp_init(name))
		return -1;
	unlink(name);
	g_mctx = mtcp_create_context(0);
	if (!g_mctx)
		return -1;
	sock = mtcp_socket(g_mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	return sock;
}

static void join(void)
{
	mtcp_app_join(g_mctx);
	unlink(g_path);
	free(g_path);
	mtcp_destroy();
}

/* STATE_CHANGE and CONN_END at both hooks, TIMEOUT at MOS_NULL */
static int register_ends(int sock)
{
	return mtcp_register_callback(g_mctx, sock, MOS_ON_TCP_STATE_CHANGE,
				      MOS_HK_SND, on_snd) ||
	       mtcp_register_callback(g_mctx, sock, MOS_ON_TCP_STATE_CHANGE,
				      MOS_HK_RCV, on_rcv) ||
	       mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END,
				      MOS_HK_SND, on_snd) ||
	       mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END,
				      MOS_HK_RCV, on_rcv) ||
	       mtcp_register_callback(g_mctx, sock, MOS_ON_TIMEOUT,
				      MOS_NULL, on_null);
}

/*
 * register_ends() on capture @path (mos.conf lines @conf), timers 1, 2...
 * at @ms (0 ends the list), then the join: 0, or -1 if a call failed
 */
static int run_ends(char *path, const char *conf, const unsigned int *ms)
{
	int sock = context(path, conf), i;

	if (sock < 0 || register_ends(sock))
		return -1;
	for (i = 0; ms && ms[i]; i++)
		if (timer_at(ms[i], i + 1))
			return -1;
	join();
	return 0;
}

#define TIMERS(...)	((const unsigned int[]){ __VA_ARGS__, 0 })

/* The states of the handshake and of the FIN close up to the last ACK */
#define OPEN_STATES							\
	"SC SND cli SYN_SENT|SC RCV svr SYN_RCVD|"			\
	"SC RCV cli ESTABLISHED|SC RCV svr ESTABLISHED|"
#define CLOSING_STATES							\
	"SC SND cli FIN_WAIT_1|SC RCV svr CLOSE_WAIT|"			\
	"SC SND svr LAST_ACK|SC RCV cli FIN_WAIT_2|SC RCV cli TIME_WAIT|"
/* mOS's destruction of a flow, side @a first */
#define DESTROY(a, b)							\
	"SC RCV " a " CLOSED|END RCV " a "|SC SND " a " CLOSED|END SND " a "|" \
	"SC RCV " b " CLOSED|END RCV " b "|SC SND " b " CLOSED|END SND " b "|"

/*
 * A FIN close: the last ACK closes the server (LAST_ACK -> CLOSED, the
 * tracker's STATE_CHANGE), the client is in TIME_WAIT: destroyed at once,
 * the server (the ACK's receiver) first, before a timer 50 ms later
 */
TEST(fin_close_ends_both_sides_at_both_hooks)
{
	ASSERT_EQ(0, run_ends(CAPTURE(fin_conv), NULL, TIMERS(3150, 3250)));
	EXPECT_STREQ(OPEN_STATES CLOSING_STATES "timer 1|"
		     "SC RCV svr CLOSED|" DESTROY("svr", "cli") "timer 2|",
		     log_buf);
}

/*
 * An RST the server accepts closes the client (hook SND) and the server
 * (hook RCV): destroyed after that packet, the server first
 */
TEST(rst_ends_both_sides_at_both_hooks)
{
	ASSERT_EQ(0, run_ends(CAPTURE(rst_conv), NULL, TIMERS(1950, 2050)));
	EXPECT_STREQ(OPEN_STATES "timer 1|SC SND cli CLOSED|SC RCV svr CLOSED|"
		     DESTROY("svr", "cli") "timer 2|", log_buf);
}

/*
 * tcp_tw_interval = 1: the client's TIME_WAIT (from 3.1 s) holds the flow
 * for a second; then destroyed, the TIME_WAIT side first
 */
TEST(tcp_tw_interval_holds_the_flow)
{
	ASSERT_EQ(0, run_ends(CAPTURE(fin_conv), "tcp_tw_interval = 1\n",
			      TIMERS(3250, 4050, 4150)));
	EXPECT_STREQ(OPEN_STATES CLOSING_STATES "SC RCV svr CLOSED|timer 1|"
		     "timer 2|" DESTROY("cli", "svr") "timer 3|", log_buf);
}

/*
 * tcp_timeout = 2: the flow's last packet at 1.1 s, so it idles out at
 * 3.1 s: TIMEOUT, then the destruction, the client first
 */
TEST(tcp_timeout_idles_the_flow_out)
{
	ASSERT_EQ(0, run_ends(CAPTURE(idle_conv), "tcp_timeout = 2\n",
			      TIMERS(3050, 3150)));
	EXPECT_STREQ(OPEN_STATES "timer 1|TIMEOUT NULL cli|"
		     DESTROY("cli", "svr") "timer 2|", log_buf);
}

/* Without tcp_timeout, the flow idles until the capture's end (flush) */
TEST(no_tcp_timeout_the_capture_end)
{
	ASSERT_EQ(0, run_ends(CAPTURE(idle_conv), NULL, TIMERS(3150)));
	EXPECT_STREQ(OPEN_STATES "timer 1|" DESTROY("cli", "svr"), log_buf);
}

/* The tracker's own timeout (SYN_SENT, 120 s): TIMEOUT, the destruction */
TEST(tracker_timeout)
{
	ASSERT_EQ(0, run_ends(CAPTURE(syn_conv), NULL, NULL));
	EXPECT_STREQ("SC SND cli SYN_SENT|SC RCV svr SYN_RCVD|TIMEOUT NULL cli|"
		     DESTROY("cli", "svr"), log_buf);
}

/* midstat's registration: CONN_END at MOS_HK_SND only */
TEST(conn_end_at_snd_only)
{
	int sock = context(CAPTURE(fin_conv), NULL);

	ASSERT_LE(0, sock);
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END,
					    MOS_HK_SND, on_snd));
	ASSERT_EQ(0, timer_at(3250, 1));
	join();
	EXPECT_STREQ("END SND svr|END SND cli|timer 1|", log_buf);
}

/* Nothing of a flow after its end: the ACK sent again raises nothing */
TEST(nothing_after_the_end)
{
	int sock = context(CAPTURE(again_conv), NULL);

	ASSERT_LE(0, sock);
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, MOS_ON_PKT_IN,
					    MOS_HK_SND, on_snd));
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END,
					    MOS_HK_SND, on_snd));
	ASSERT_EQ(0, timer_at(3400, 1));
	join();
	EXPECT_STREQ("ev1 SND cli|ev1 SND svr|ev1 SND cli|ev1 SND cli|"
		     "ev1 SND svr|ev1 SND cli|ev1 SND svr|ev1 SND cli|"
		     "END SND svr|END SND cli|timer 1|", log_buf);
}

static void noop(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)m;
	(void)sock;
	(void)side;
	(void)ev;
	(void)a;
}

/* Every built-in event at every hook: as mOS takes or refuses it */
TEST(event_hook_pairs)
{
	/* mOS: MOS_NULL refuses these, the sides' hooks those */
	const event_t no_null = MOS_ON_CONN_START | MOS_ON_REXMIT |
				MOS_ON_TCP_STATE_CHANGE | MOS_ON_CONN_END;
	const event_t no_side = MOS_ON_CONN_NEW_DATA | MOS_ON_ORPHAN |
				MOS_ON_ERROR;
	const int hooks[3] = { MOS_NULL, MOS_HK_SND, MOS_HK_RCV };
	int sock = context(CAPTURE(fin_conv), NULL), raw, s, h, b;

	ASSERT_LE(0, sock);
	raw = mtcp_socket(g_mctx, AF_INET, MOS_SOCK_MONITOR_RAW, 0);
	ASSERT_LE(0, raw);
	for (s = 0; s < 2; s++) {
		int sk = s ? raw : sock;

		for (h = 0; h < 3; h++) {
			for (b = 0; b < 12; b++) {
				event_t ev = 1ULL << b;
				bool ok = !(ev & (h ? no_side : no_null));
				int r = mtcp_register_callback(g_mctx, sk, ev,
							       hooks[h], noop);

				EXPECT_EQ(ok ? 0 : -1, r)
					TH_LOG("sock %d event %d hook %d", sk, b, h);
				if (!ok)
					EXPECT_EQ(EINVAL, errno);
			}
		}
	}
	/* Not an event, not a hook, not a socket */
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, sock, 0, MOS_HK_SND, noop));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, sock, MOS_ON_PKT_IN |
					     MOS_ON_PKT_OUT, MOS_HK_SND, noop));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, sock, 1ULL << 12,
					     MOS_HK_SND, noop));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, sock, MOS_ON_PKT_IN, 0,
					     noop));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, sock, MOS_ON_PKT_IN,
					     MOS_HK_SND | MOS_HK_RCV, noop));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, raw + 1, MOS_ON_PKT_IN,
					     MOS_HK_SND, noop));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, 5, MOS_ON_PKT_IN,
					     MOS_HK_SND, noop));
	EXPECT_EQ(EINVAL, errno);
	join();
}

/*
 * mtcp_register_callback() with a NULL callback deregisters, as
 * mtcp_unregister_callback(); what is not registered is EINVAL
 */
TEST(null_callback_deregisters)
{
	int sock = context(CAPTURE(fin_conv), NULL);

	ASSERT_LE(0, sock);
	ASSERT_EQ(0, register_ends(sock));
	EXPECT_EQ(0, mtcp_register_callback(g_mctx, sock,
					    MOS_ON_TCP_STATE_CHANGE,
					    MOS_HK_SND, NULL));
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, sock,
					     MOS_ON_TCP_STATE_CHANGE,
					     MOS_HK_SND, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, mtcp_unregister_callback(g_mctx, sock,
					      MOS_ON_TCP_STATE_CHANGE,
					      MOS_HK_RCV));
	EXPECT_EQ(-1, mtcp_unregister_callback(g_mctx, sock,
					       MOS_ON_TCP_STATE_CHANGE,
					       MOS_HK_RCV));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END,
					    MOS_HK_SND, NULL));
	join();
	EXPECT_STREQ("END RCV svr|END RCV cli|", log_buf);
}

/*
 * Per-flow callbacks: at the server's CONN_START, the first connection's
 * socket gets CONN_END at MOS_HK_SND, the second's loses CONN_END at
 * MOS_HK_RCV; the monitor socket keeps its own
 */
static void on_start(mctx_t m, int sock, int side, event_t ev,
		     filter_arg_t *a)
{
	int port = cli_port(m, sock);

	(void)side;
	(void)ev;
	(void)a;
	logf_("start %d|", port);
	if (port == 40000)
		logf_("reg %d|", mtcp_register_callback(m, sock, MOS_ON_CONN_END,
							MOS_HK_SND, on_snd));
	else
		logf_("unreg %d|", mtcp_register_callback(m, sock,
							  MOS_ON_CONN_END,
							  MOS_HK_RCV, NULL));
}

TEST(per_flow_callbacks)
{
	int sock = context(CAPTURE(two_conv), NULL);

	ASSERT_LE(0, sock);
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_START,
					    MOS_HK_RCV, on_start));
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END,
					    MOS_HK_RCV, on_rcv));
	ASSERT_EQ(0, timer_at(5000, 1));
	join();
	EXPECT_STREQ("start 40000|reg 0|"
		     "END RCV svr|END SND svr|END RCV cli|END SND cli|timer 1|"
		     "start 40001|unreg 0|", log_buf);
}

/* --- UDEs --------------------------------------------------------------- */

static bool f_true(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)m;
	(void)sock;
	(void)side;
	(void)ev;
	(void)a;
	return true;
}

static bool f_other(mctx_t m, int sock, int side, event_t ev,
		    filter_arg_t *a)
{
	return f_true(m, sock, side, ev, a);
}

TEST(ude_ids_dedup_errors)
{
	char abc[] = "abc", abc2[] = "abc", abd[] = "abd";
	struct filter_arg a1 = { abc, 3 }, a2 = { abc2, 3 }, a3 = { abd, 3 };
	struct filter_arg empty = { abc, 0 }, bad = { NULL, 5 };
	int sock = context(CAPTURE(fin_conv), NULL);
	event_t u1;

	ASSERT_LE(0, sock);
	/* The first id is past MOS_ON_DEBUG_MESSAGE (1 << 11) */
	u1 = mtcp_define_event(MOS_ON_CONN_END, f_true, &a1);
	EXPECT_EQ(4096, u1);
	EXPECT_NE(MOS_ON_DEBUG_MESSAGE, u1);
	/* The same filter and bytes on the same event: the same id */
	EXPECT_EQ(4096, mtcp_define_event(MOS_ON_CONN_END, f_true, &a2));
	EXPECT_EQ(4097, mtcp_define_event(MOS_ON_CONN_END, f_true, &a3));
	EXPECT_EQ(4098, mtcp_define_event(MOS_ON_CONN_END, f_other, &a1));
	EXPECT_EQ(4099, mtcp_define_event(MOS_ON_PKT_IN, f_true, &a1));
	EXPECT_EQ(4100, mtcp_define_event(MOS_ON_CONN_END, f_true, NULL));
	EXPECT_EQ(4100, mtcp_define_event(MOS_ON_CONN_END, f_true, &empty));
	/* Allocated events are new each time */
	EXPECT_EQ(4101, mtcp_alloc_event(MOS_ON_CONN_END));
	EXPECT_EQ(4102, mtcp_alloc_event(MOS_ON_CONN_END));
	/* On a UDE */
	EXPECT_EQ(4103, mtcp_define_event(u1, f_true, NULL));
	EXPECT_EQ(4104, mtcp_alloc_event(4103));
	/* Errors: 0 and errno, no exit */
	errno = 0;
	EXPECT_EQ(0, mtcp_define_event(MOS_ON_CONN_END, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(0, mtcp_define_event(MOS_ON_CONN_END, f_true, &bad));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(0, mtcp_define_event(0, f_true, NULL));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(0, mtcp_define_event(MOS_ON_PKT_IN | MOS_ON_PKT_OUT, f_true,
				       NULL));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(0, mtcp_define_event(4105, f_true, NULL));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(0, mtcp_alloc_event(0));
	EXPECT_EQ(EINVAL, errno);
	/* Raised outside a callback, or not an allocated event */
	EXPECT_EQ(-1, mtcp_raise_event(g_mctx, 4101));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_raise_event(g_mctx, u1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtcp_raise_event(g_mctx, MOS_ON_CONN_END));
	EXPECT_EQ(EINVAL, errno);
	/* A UDE's hooks are its root event's */
	EXPECT_EQ(0, mtcp_register_callback(g_mctx, sock, 4103, MOS_HK_SND, noop));
	EXPECT_EQ(-1, mtcp_register_callback(g_mctx, sock, 4103, MOS_NULL, noop));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, mtcp_register_callback(g_mctx, sock, 4099, MOS_NULL, noop));
	join();
}

static event_t u_one, u_two, u_raised;
static char one[] = "one";

/* The argument a filter or callback gets, as text */
static const char *arg_text(const filter_arg_t *a)
{
	static char t[32];

	if (!a)
		return "null";
	if (!a->arg)
		snprintf(t, sizeof(t), "none/%zu", a->len);
	else
		snprintf(t, sizeof(t), "%.*s/%zu%s", (int)a->len,
			 (const char *)a->arg, a->len,
			 a->arg == (void *)one ? "!" : "");
	return t;
}

static void cb_base(mctx_t m, int sock, int side, event_t ev,
		    filter_arg_t *a)
{
	(void)sock;
	logf_("base %s %llu %s|", side ? "svr" : "cli", (unsigned long long)ev,
	      arg_text(a));
	logf_("raise %d|", mtcp_raise_event(m, u_raised));
	logf_("again %d|", mtcp_raise_event(m, u_raised));
	logf_("after|");
}

static bool filt_one(mctx_t m, int sock, int side, event_t ev,
		     filter_arg_t *a)
{
	(void)m;
	(void)sock;
	(void)side;
	logf_("filt1 %llu %s|", (unsigned long long)ev, arg_text(a));
	return true;
}

static bool filt_two(mctx_t m, int sock, int side, event_t ev,
		     filter_arg_t *a)
{
	(void)m;
	(void)sock;
	logf_("filt2 %llu %s|", (unsigned long long)ev, arg_text(a));
	return side == MOS_SIDE_SVR;
}

static void cb_ude(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)m;
	(void)sock;
	(void)side;
	logf_("ude %llu %s|", (unsigned long long)ev, arg_text(a));
}

/*
 * At each side's CONN_END (hook RCV): the base callback, which raises
 * u_raised twice; then u_one (filter, callback), u_two on it (the filter
 * takes the server only); then u_raised; filters and callbacks with the
 * UDE's id and its copied argument
 */
TEST(ude_order_ids_and_arguments)
{
	struct filter_arg a1 = { one, 3 }, a2 = { (char[]){ "two" }, 3 };
	int sock = context(CAPTURE(fin_conv), NULL);

	ASSERT_LE(0, sock);
	u_one = mtcp_define_event(MOS_ON_CONN_END, filt_one, &a1);
	u_two = mtcp_define_event(u_one, filt_two, &a2);
	u_raised = mtcp_alloc_event(MOS_ON_CONN_END);
	ASSERT_EQ(4096, u_one);
	ASSERT_EQ(4097, u_two);
	ASSERT_EQ(4098, u_raised);
	/* The caller's bytes may change: the UDE keeps its copy */
	memcpy(one, "xyz", 3);
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END,
					    MOS_HK_RCV, cb_base));
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, u_one, MOS_HK_RCV,
					    cb_ude));
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, u_two, MOS_HK_RCV,
					    cb_ude));
	ASSERT_EQ(0, mtcp_register_callback(g_mctx, sock, u_raised,
					    MOS_HK_RCV, cb_ude));
	join();
	EXPECT_STREQ("base svr 1024 none/0|raise 0|again 0|after|"
		     "filt1 4096 one/3|ude 4096 one/3|"
		     "filt2 4097 two/3|ude 4097 two/3|ude 4098 none/0|"
		     "base cli 1024 none/0|raise 0|again 0|after|"
		     "filt1 4096 one/3|ude 4096 one/3|"
		     "filt2 4097 two/3|ude 4098 none/0|", log_buf);
}

TEST_HARNESS_MAIN
