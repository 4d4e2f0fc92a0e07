// SPDX-License-Identifier: BSD-2-Clause
/*
 * midstat - a live table of the TCP connections a middlebox monitors
 *
 * One line per connection: the client's and the server's address and
 * port, and both sides' TCP states as the monitor infers them, refreshed
 * every second.  A connection enters the table at its first
 * MOS_ON_CONN_START and leaves it once every side that started has raised
 * MOS_ON_CONN_END.  The table is indexed by the per-flow socket ids that
 * callbacks get, which are below max_concurrency.  The refresh is a
 * one-shot timer (mtcp_settimer()) that its callback sets again.
 *
 * The states are those of the flow's latest event, so midstat asks for
 * MOS_ON_TCP_STATE_CHANGE at both hooks: every transition then reaches
 * it.  It never reads stream bytes and sets rcvbuf_size to 0, so the
 * kernel sends none.
 *
 * Usage: midstat [-f CONFIG] [-i] [-n COUNT]
 *   -f CONFIG  the mtcp_init() configuration file
 *   -i         append each table to the output; without it, and when
 *              stdout is a terminal, each table replaces the last
 *   -n COUNT   print COUNT tables, then exit
 * Runs until SIGINT or SIGTERM otherwise.
 *
 * Output, each table:
 *   midstat: N connection(s)
 *   Proto Client   Client state Server   Server state
 *   tcp   CLIENT:PORT  STATE     SERVER:PORT  STATE
 * then a blank line when tables are appended.  IPv6 rows are "tcp6",
 * their addresses in brackets.
 */

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mos_api.h>

#define ROW_FMT	"%-5s %-23s %-12s %-23s %s\n"

/* What midstat knows of a per-flow socket id: the sides that started
 * and the sides that ended, one bit per side; empty when unused. */
struct conn {
	uint8_t started;
	uint8_t ended;
};

static const char *const state_name[] = {
	[TCP_CLOSED] = "CLOSED",
	[TCP_LISTEN] = "LISTEN",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RCVD] = "SYN_RCVD",
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_FIN_WAIT_2] = "FIN_WAIT_2",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CLOSING] = "CLOSING",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_TIME_WAIT] = "TIME_WAIT",
};
static_assert(sizeof(state_name) / sizeof(state_name[0]) == TCP_TIME_WAIT + 1,
	      "a name for each state of enum tcpstate");

static mctx_t g_mctx;
static struct conn *g_conns;	/* indexed by per-flow socket id */
static int g_nconns;		/* max_concurrency */
static int g_rows;		/* entries in use */
static long g_count, g_printed;	/* -n, and tables printed */
static bool g_clear;		/* replace the table on the terminal */
static int g_status;

static struct conn *conn_of(int sock)
{
	return sock >= 0 && sock < g_nconns ? &g_conns[sock] : NULL;
}

static void conn_drop(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	g_rows--;
}

static void on_start(mctx_t mctx, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	struct conn *c = conn_of(sock);

	(void)mctx;
	(void)ev;
	(void)arg;
	if (!c || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR))
		return;
	/* The same side starting again: a new flow took the id of one
	 * whose end never arrived (records lost) */
	if (c->started & (1U << side))
		conn_drop(c);
	if (!c->started)
		g_rows++;
	c->started |= 1U << side;
}

static void on_end(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	struct conn *c = conn_of(sock);

	(void)mctx;
	(void)ev;
	(void)arg;
	if (!c || !c->started || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR))
		return;
	c->ended |= 1U << side;
	if ((c->ended & c->started) == c->started)
		conn_drop(c);
}

/* Nothing to do: the library keeps the states of the latest event */
static void on_state(mctx_t mctx, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	(void)mctx;
	(void)sock;
	(void)side;
	(void)ev;
	(void)arg;
}

static void addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

static const char *state_str(int state, char *buf, size_t len)
{
	if (state >= 0 && state <= TCP_TIME_WAIT)
		return state_name[state];
	snprintf(buf, len, "%d", state);
	return buf;
}

/* One row: 0, or -1 when the library no longer knows the flow */
static int print_row(mctx_t mctx, int sock)
{
	struct sockaddr_in6 sa[2];
	socklen_t len = sizeof(sa), olen;
	char cli[64], svr[64], b0[16], b1[16];
	int st[2];

	olen = sizeof(st[0]);
	if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET, MOS_TCP_STATE_CLI,
			    &st[0], &olen))
		return -1;
	olen = sizeof(st[1]);
	if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET, MOS_TCP_STATE_SVR,
			    &st[1], &olen))
		return -1;
	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)sa, &len,
			     MOS_SIDE_BOTH))
		return -1;
	/* Two addresses of the flow's family, one after the other */
	addr_str((struct sockaddr *)sa, cli, sizeof(cli));
	addr_str((struct sockaddr *)((char *)sa + len / 2), svr, sizeof(svr));
	printf(ROW_FMT, sa[0].sin6_family == AF_INET6 ? "tcp6" : "tcp", cli,
	       state_str(st[0], b0, sizeof(b0)), svr,
	       state_str(st[1], b1, sizeof(b1)));
	return 0;
}

static void print_table(mctx_t mctx)
{
	int sock, state;
	socklen_t olen;

	/* Entries whose flow is gone without its ends (records lost) */
	for (sock = 0; sock < g_nconns; sock++) {
		olen = sizeof(state);
		if (g_conns[sock].started &&
		    mtcp_getsockopt(mctx, sock, SOL_MONSOCKET,
				    MOS_TCP_STATE_CLI, &state, &olen))
			conn_drop(&g_conns[sock]);
	}
	if (g_clear)
		fputs("\033[H\033[2J", stdout);
	printf("midstat: %d connection%s\n", g_rows, g_rows == 1 ? "" : "s");
	printf(ROW_FMT, "Proto", "Client", "Client state", "Server",
	       "Server state");
	for (sock = 0; sock < g_nconns; sock++)
		if (g_conns[sock].started)
			print_row(mctx, sock);
	if (!g_clear)
		printf("\n");
	fflush(stdout);
}

static void on_tick(mctx_t mctx, int sock, int side, event_t ev,
		    filter_arg_t *arg)
{
	struct timeval one = { .tv_sec = 1 };

	(void)sock;
	(void)side;
	(void)ev;
	(void)arg;
	print_table(mctx);
	if (g_count && ++g_printed >= g_count) {
		mtcp_destroy_context(mctx);
		return;
	}
	if (mtcp_settimer(mctx, 0, &one, on_tick)) {
		perror("midstat: mtcp_settimer");
		g_status = 1;
		mtcp_destroy_context(mctx);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	mtcp_destroy_context(g_mctx);
}

static void usage(void)
{
	fprintf(stderr, "usage: midstat [-f CONFIG] [-i] [-n COUNT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct timeval one = { .tv_sec = 1 };
	const char *config = NULL;
	bool append = false;
	struct mtcp_conf conf;
	char *end;
	int sock, opt;

	while ((opt = getopt(argc, argv, "f:in:h")) != -1) {
		switch (opt) {
		case 'f':
			config = optarg;
			break;
		case 'i':
			append = true;
			break;
		case 'n':
			errno = 0;
			g_count = strtol(optarg, &end, 10);
			if (errno || *end || g_count < 1)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	g_clear = !append && isatty(STDOUT_FILENO);

	if (mtcp_init(config)) {
		perror("midstat: mtcp_init");
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = 1;
	conf.rcvbuf_size = 0;	/* no stream bytes */
	if (mtcp_setconf(&conf)) {
		perror("midstat: mtcp_setconf");
		return 1;
	}
	g_nconns = conf.max_concurrency;
	g_conns = calloc(g_nconns, sizeof(*g_conns));
	if (!g_conns) {
		perror("midstat: table");
		return 1;
	}
	g_mctx = mtcp_create_context(0);
	if (!g_mctx) {
		perror("midstat: mtcp_create_context");
		return 1;
	}
	sock = mtcp_socket(g_mctx, AF_UNSPEC, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0 ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_START, MOS_HK_SND,
				   on_start) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_START, MOS_HK_RCV,
				   on_start) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_TCP_STATE_CHANGE,
				   MOS_HK_SND, on_state) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_TCP_STATE_CHANGE,
				   MOS_HK_RCV, on_state) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END, MOS_HK_SND,
				   on_end) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END, MOS_HK_RCV,
				   on_end)) {
		perror("midstat: callbacks");
		return 1;
	}
	if (mtcp_settimer(g_mctx, 0, &one, on_tick)) {
		perror("midstat: mtcp_settimer");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "midstat: ready\n");
	mtcp_app_join(g_mctx);
	mtcp_destroy();
	free(g_conns);
	return g_status;
}
