// SPDX-License-Identifier: BSD-2-Clause
/*
 * midstat - a live table of the TCP connections a middlebox monitors
 *
 * mOS's midstat, shaped as mOS runs it: one context per core
 * (GetNumCPUs(), or -c N), each with an IPv4 monitor socket and its own
 * list of connections, every context joined in turn; a SIGINT handler
 * destroys every context.  Each context's thread sees its share of the
 * flows, so each connection is in exactly one list.
 *
 * A connection enters its context's list at MOS_ON_CONN_START at
 * MOS_HK_SND (the client's SYN), with both ends' addresses
 * (mtcp_getpeername()) and both sides' states; MOS_ON_TCP_STATE_CHANGE
 * at both hooks keeps the states current; the first MOS_ON_CONN_END at
 * MOS_HK_SND (the flow's streams are destroyed: a normal close, a reset,
 * a timeout) takes it out.  Stream buffers are turned off (MOS_CLIBUF and
 * MOS_SVRBUF 0 on the monitor socket): midstat reads no bytes.
 *
 * Context 0 prints the table every second from a timer that re-arms
 * itself.  The lists are written by their own context's thread and read
 * by context 0's: a mutex per list.
 *
 * Usage: midstat [-f CONFIG] [-c CORES] [-i] [-n COUNT]
 *   -f CONFIG  the mtcp_init() configuration file
 *   -c CORES   contexts to run, at most GetNumCPUs() (the default)
 *   -i         append each table to the output; without it, and when
 *              stdout is a terminal, each table replaces the last
 *   -n COUNT   print COUNT tables, then exit
 * Runs until SIGINT or SIGTERM otherwise.
 *
 * Output, each table:
 *   midstat: N connection(s)
 *   Proto CPU Client Address        Client State Server Address        Server State
 *   tcp   0   10.0.1.2:40001        ESTABLISHED  10.0.2.2:9000         ESTABLISHED
 * then a blank line when tables are appended.
 */

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/queue.h>
#include <mos_api.h>
#include "cpu.h"

#define MAX_CORES	16
#define ROW_FMT		"%-5s %-3s %-21s %-12s %-21s %s\n"

struct connection {
	int sock;
	struct sockaddr_in addrs[2];	/* client, server */
	int state[2];			/* by side */
	TAILQ_ENTRY(connection) link;
};

/* A context and the connections of its share */
struct core {
	mctx_t mctx;
	pthread_mutex_t lock;
	TAILQ_HEAD(, connection) conns;
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

static struct core g_cores[MAX_CORES];
static int g_max_cores;
static long g_count, g_printed;	/* -n, and tables printed */
static bool g_clear;		/* replace the table on the terminal */
static volatile sig_atomic_t g_status;

static void destroy_all(void)
{
	int i;

	for (i = 0; i < g_max_cores; i++)
		if (g_cores[i].mctx)
			mtcp_destroy_context(g_cores[i].mctx);
}

static void on_signal(int sig)
{
	(void)sig;
	destroy_all();
}

static struct core *core_of(mctx_t mctx)
{
	return &g_cores[mctx->cpu];
}

/* Under the core's lock */
static struct connection *find_connection(struct core *core, int sock)
{
	struct connection *c;

	TAILQ_FOREACH(c, &core->conns, link)
		if (c->sock == sock)
			return c;
	return NULL;
}

static int get_state(mctx_t mctx, int sock, int side, int *state)
{
	socklen_t len = sizeof(*state);

	return mtcp_getsockopt(mctx, sock, SOL_MONSOCKET,
			       side == MOS_SIDE_CLI ? MOS_TCP_STATE_CLI :
			       MOS_TCP_STATE_SVR, state, &len);
}

static void cb_creation(mctx_t mctx, int sock, int side, event_t ev,
			filter_arg_t *arg)
{
	socklen_t len = sizeof(struct sockaddr_in) * 2;
	struct core *core = core_of(mctx);
	struct connection *c;

	(void)side;
	(void)ev;
	(void)arg;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->sock = sock;
	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)c->addrs, &len,
			     MOS_SIDE_BOTH) ||
	    get_state(mctx, sock, MOS_SIDE_CLI, &c->state[MOS_SIDE_CLI]) ||
	    get_state(mctx, sock, MOS_SIDE_SVR, &c->state[MOS_SIDE_SVR])) {
		perror("midstat: a new connection");
		free(c);
		g_status = 1;
		return;
	}
	pthread_mutex_lock(&core->lock);
	TAILQ_INSERT_TAIL(&core->conns, c, link);
	pthread_mutex_unlock(&core->lock);
}

static void cb_destroy(mctx_t mctx, int sock, int side, event_t ev,
		       filter_arg_t *arg)
{
	struct core *core = core_of(mctx);
	struct connection *c;

	(void)side;
	(void)ev;
	(void)arg;
	pthread_mutex_lock(&core->lock);
	c = find_connection(core, sock);
	if (c)
		TAILQ_REMOVE(&core->conns, c, link);
	pthread_mutex_unlock(&core->lock);
	free(c);
}

static void cb_st_chg(mctx_t mctx, int sock, int side, event_t ev,
		      filter_arg_t *arg)
{
	struct core *core = core_of(mctx);
	struct connection *c;
	int state;

	(void)ev;
	(void)arg;
	if ((side != MOS_SIDE_CLI && side != MOS_SIDE_SVR) ||
	    get_state(mctx, sock, side, &state))
		return;
	pthread_mutex_lock(&core->lock);
	c = find_connection(core, sock);
	if (c)
		c->state[side] = state;
	pthread_mutex_unlock(&core->lock);
}

static const char *strstate(int state)
{
	if (state >= 0 && state <= TCP_TIME_WAIT)
		return state_name[state];
	return "-";
}

static void addr_str(const struct sockaddr_in *sa, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(sa->sin_port));
}

static void print_table(void)
{
	char cpu[12], cli[32], svr[32];
	struct connection *c;
	int i, n = 0;

	for (i = 0; i < g_max_cores; i++) {
		pthread_mutex_lock(&g_cores[i].lock);
		TAILQ_FOREACH(c, &g_cores[i].conns, link)
			n++;
		pthread_mutex_unlock(&g_cores[i].lock);
	}
	if (g_clear)
		fputs("\033[H\033[2J", stdout);
	printf("midstat: %d connection%s\n", n, n == 1 ? "" : "s");
	printf(ROW_FMT, "Proto", "CPU", "Client Address", "Client State",
	       "Server Address", "Server State");
	for (i = 0; i < g_max_cores; i++) {
		snprintf(cpu, sizeof(cpu), "%d", i);
		pthread_mutex_lock(&g_cores[i].lock);
		TAILQ_FOREACH(c, &g_cores[i].conns, link) {
			addr_str(&c->addrs[MOS_SIDE_CLI], cli, sizeof(cli));
			addr_str(&c->addrs[MOS_SIDE_SVR], svr, sizeof(svr));
			printf(ROW_FMT, "tcp", cpu, cli,
			       strstate(c->state[MOS_SIDE_CLI]), svr,
			       strstate(c->state[MOS_SIDE_SVR]));
		}
		pthread_mutex_unlock(&g_cores[i].lock);
	}
	if (!g_clear)
		printf("\n");
	fflush(stdout);
}

/* Context 0's timer: the table, then the next second */
static void cb_printstat(mctx_t mctx, int sock, int side, event_t ev,
			 filter_arg_t *arg)
{
	struct timeval one = { .tv_sec = 1 };

	(void)side;
	(void)ev;
	(void)arg;
	print_table();
	if (g_count && ++g_printed >= g_count) {
		destroy_all();
		return;
	}
	if (mtcp_settimer(mctx, sock, &one, cb_printstat)) {
		perror("midstat: mtcp_settimer");
		g_status = 1;
		destroy_all();
	}
}

/* The monitor socket of a context, its buffers off, its callbacks */
static int init_monitor(mctx_t mctx)
{
	struct timeval one = { .tv_sec = 1 };
	int sock, zero = 0;

	sock = mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0) {
		perror("midstat: mtcp_socket");
		return -1;
	}
	if (mtcp_setsockopt(mctx, sock, SOL_MONSOCKET, MOS_CLIBUF, &zero,
			    sizeof(zero)) ||
	    mtcp_setsockopt(mctx, sock, SOL_MONSOCKET, MOS_SVRBUF, &zero,
			    sizeof(zero)))
		perror("midstat: turning the stream buffers off");
	if (mtcp_register_callback(mctx, sock, MOS_ON_CONN_START, MOS_HK_SND,
				   cb_creation) ||
	    mtcp_register_callback(mctx, sock, MOS_ON_CONN_END, MOS_HK_SND,
				   cb_destroy) ||
	    mtcp_register_callback(mctx, sock, MOS_ON_TCP_STATE_CHANGE,
				   MOS_HK_SND, cb_st_chg) ||
	    mtcp_register_callback(mctx, sock, MOS_ON_TCP_STATE_CHANGE,
				   MOS_HK_RCV, cb_st_chg)) {
		perror("midstat: mtcp_register_callback");
		return -1;
	}
	/* Context 0 prints the table */
	if (mctx->cpu == 0 && mtcp_settimer(mctx, sock, &one, cb_printstat)) {
		perror("midstat: mtcp_settimer");
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: midstat [-f CONFIG] [-c CORES] [-i] [-n COUNT]\n");
	exit(2);
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	struct mtcp_conf mcfg;
	bool append = false;
	int i, opt, ncpus;

	ncpus = GetNumCPUs();
	if (ncpus < 1)
		ncpus = 1;
	g_max_cores = ncpus < MAX_CORES ? ncpus : MAX_CORES;
	while ((opt = getopt(argc, argv, "c:f:in:h")) != -1) {
		switch (opt) {
		case 'c':
			g_max_cores = (int)number(optarg, 1, MAX_CORES);
			if (g_max_cores > ncpus) {
				fprintf(stderr,
					"midstat: %d CPU cores available\n",
					ncpus);
				return 2;
			}
			break;
		case 'f':
			config = optarg;
			break;
		case 'i':
			append = true;
			break;
		case 'n':
			g_count = number(optarg, 1, 1L << 30);
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
	mtcp_getconf(&mcfg);
	mcfg.num_cores = g_max_cores;
	if (mtcp_setconf(&mcfg)) {
		perror("midstat: mtcp_setconf");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);

	for (i = 0; i < g_max_cores; i++) {
		pthread_mutex_init(&g_cores[i].lock, NULL);
		TAILQ_INIT(&g_cores[i].conns);
	}
	for (i = 0; i < g_max_cores; i++) {
		mctx_t mctx = mtcp_create_context(i);

		if (!mctx) {
			perror("midstat: mtcp_create_context");
			destroy_all();
			g_status = 1;
			break;
		}
		g_cores[i].mctx = mctx;
		if (init_monitor(mctx)) {
			destroy_all();
			g_status = 1;
			break;
		}
	}
	if (!g_status)
		fprintf(stderr, "midstat: %d contexts, ready\n", g_max_cores);

	/* Wait until every context ends */
	for (i = 0; i < g_max_cores; i++)
		if (g_cores[i].mctx)
			mtcp_app_join(g_cores[i].mctx);
	mtcp_destroy();

	for (i = 0; i < g_max_cores; i++) {
		struct connection *c;

		while ((c = TAILQ_FIRST(&g_cores[i].conns))) {
			TAILQ_REMOVE(&g_cores[i].conns, c, link);
			free(c);
		}
		pthread_mutex_destroy(&g_cores[i].lock);
	}
	return g_status;
}
