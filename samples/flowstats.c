// SPDX-License-Identifier: BSD-2-Clause
/*
 * flowstats - packets, retransmissions and stream bytes of each TCP flow,
 * each way, printed when the flow ends
 *
 * The example of mOS's event-system chapter, written against mos_api.h as
 * an mOS application would be.  Runs until SIGINT or SIGTERM.
 *
 * Output, one line per flow once both its sides ended:
 *   flow CLIENT:PORT > SERVER:PORT pkts C2S/S2C rexmit C2S/S2C bytes C2S/S2C
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mos_api.h>

struct flow_stats {
	unsigned long pkts[2], rexmit[2], bytes[2], missed[2];
	int ended;		/* bit per side */
};

static mctx_t g_mctx;

static struct flow_stats *stats_of(mctx_t mctx, int sock)
{
	struct flow_stats *st = mtcp_get_uctx(mctx, sock);

	if (!st) {
		st = calloc(1, sizeof(*st));
		mtcp_set_uctx(mctx, sock, st);
	}
	return st;
}

static void on_pkt(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	struct flow_stats *st = stats_of(mctx, sock);

	(void)ev;
	(void)arg;
	if (st)
		st->pkts[side]++;	/* at MOS_HK_SND: side sent it */
}

static void on_rexmit(mctx_t mctx, int sock, int side, event_t ev,
		      filter_arg_t *arg)
{
	struct flow_stats *st = stats_of(mctx, sock);

	(void)ev;
	(void)arg;
	if (st)
		st->rexmit[side]++;
}

static void on_data(mctx_t mctx, int sock, int side, event_t ev,
		    filter_arg_t *arg)
{
	struct flow_stats *st = stats_of(mctx, sock);
	char buf[8192];
	ssize_t n;

	(void)ev;
	(void)arg;
	if (!st)
		return;
	/* side receives these bytes: the server side's are client-to-server */
	for (;;) {
		n = mtcp_peek(mctx, sock, side, buf, sizeof(buf));
		if (n > 0)
			st->bytes[side] += n;
		else if (n < 0 && errno == ENODATA)
			st->missed[side] += -n;
		else
			break;
	}
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

static void on_end(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	struct flow_stats *st = mtcp_get_uctx(mctx, sock);
	struct sockaddr_in6 sa[2];
	socklen_t len = sizeof(sa);
	char cli[64] = "?", svr[64] = "?";

	(void)ev;
	(void)arg;
	/* Each side's CONN_END comes at both hooks (mOS) */
	if (!st || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR))
		return;
	st->ended |= 1 << side;
	if (st->ended != 3)
		return;
	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)sa, &len,
			     MOS_SIDE_BOTH) == 0) {
		size_t one = len / 2;

		addr_str((struct sockaddr *)sa, cli, sizeof(cli));
		addr_str((struct sockaddr *)((char *)sa + one), svr,
			 sizeof(svr));
	}
	printf("flow %s > %s pkts %lu/%lu rexmit %lu/%lu bytes %lu/%lu",
	       cli, svr, st->pkts[MOS_SIDE_CLI], st->pkts[MOS_SIDE_SVR],
	       st->rexmit[MOS_SIDE_CLI], st->rexmit[MOS_SIDE_SVR],
	       st->bytes[MOS_SIDE_SVR], st->bytes[MOS_SIDE_CLI]);
	if (st->missed[0] || st->missed[1])
		printf(" missed %lu/%lu", st->missed[MOS_SIDE_SVR],
		       st->missed[MOS_SIDE_CLI]);
	printf("\n");
	free(st);
	mtcp_set_uctx(mctx, sock, NULL);
}

static void on_signal(int sig)
{
	(void)sig;
	mtcp_destroy_context(g_mctx);
}

int main(int argc, char **argv)
{
	struct mtcp_conf conf;
	int sock;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mtcp_init(argc > 2 && !strcmp(argv[1], "-f") ? argv[2] : NULL)) {
		fprintf(stderr, "flowstats: mtcp_init: %s%s%s\n", strerror(errno),
			*mtcp_errmsg(NULL) ? ": " : "", mtcp_errmsg(NULL));
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = 1;
	mtcp_setconf(&conf);
	g_mctx = mtcp_create_context(0);
	if (!g_mctx) {
		/* Offline or live capture: mtcp_errmsg(NULL) says why */
		fprintf(stderr, "flowstats: mtcp_create_context: %s%s%s\n",
			strerror(errno), *mtcp_errmsg(NULL) ? ": " : "",
			mtcp_errmsg(NULL));
		return 1;
	}
	sock = mtcp_socket(g_mctx, AF_UNSPEC, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0 ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_PKT_IN, MOS_HK_SND,
				   on_pkt) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_REXMIT, MOS_HK_SND,
				   on_rexmit) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_NEW_DATA,
				   MOS_NULL, on_data) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END, MOS_HK_SND,
				   on_end) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END, MOS_HK_RCV,
				   on_end)) {
		perror("flowstats: callbacks");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "flowstats: ready\n");
	mtcp_app_join(g_mctx);
	mtcp_destroy();
	return 0;
}
