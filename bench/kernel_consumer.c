// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_consumer.c - the mos consumer of bench/kernel: every event, every
 * stream byte of both sides
 *
 * DOC: Theory of Operation
 *
 * A libmosuser application doing the most a monitoring application asks
 * of mos: one stream monitor socket with a callback on every built-in
 * event at every hook that mOS accepts it at (MOS_NULL, MOS_HK_SND,
 * MOS_HK_RCV), and on MOS_ON_CONN_NEW_DATA all the new bytes of the side
 * that has them read with mtcp_peek(), both sides.  The same binary runs
 * on the kernel's ring (configuration 4) and, with MOS_PCAP_IFACE set, on
 * libmosuser's own tracker fed by a live capture (configuration 5b).
 *
 * Usage: kernel_consumer C2S S2C
 *        kernel_consumer --conn | --conn-bufs
 *
 * It returns once it has read C2S bytes of the server side's stream
 * (client to server) and S2C of the client side's, or on SIGTERM/SIGINT,
 * and prints "consumer c2s=N s2c=N missed=N callbacks=N registered=N",
 * missed being the bytes mtcp_peek() reported lost (ENODATA); then waits
 * for the end of its standard input before it tears down and exits, so
 * that the benchmark can end its phase first.  The
 * benchmark checks c2s and s2c against what the endpoints sent: a
 * consumer that read less did less work than the row claims.
 *
 * With --conn it takes what midstat takes, the connections' events only
 * (MOS_ON_CONN_START at MOS_HK_SND, MOS_ON_TCP_STATE_CHANGE and
 * MOS_ON_CONN_END at both hooks), and turns its stream buffers off as
 * midstat does (MOS_CLIBUF and MOS_SVRBUF 0 on the monitor socket), so
 * that no stream byte is asked of the kernel; it runs until SIGTERM and
 * prints "consumer conns=N callbacks=N registered=N", N the connections
 * it saw start.  With --conn-bufs it keeps the buffers (mOS's default):
 * the bytes are delivered though no callback reads them.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mos_api.h>

static mctx_t g_mctx;
static unsigned long long want[2], got[2], missed, callbacks, conns;
static int done;

static void on_event(mctx_t mctx, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	(void)mctx;
	(void)sock;
	(void)side;
	(void)arg;
	callbacks++;
	/* --conn takes it at MOS_HK_SND only: once per connection */
	conns += ev == MOS_ON_CONN_START;
}

/* @side receives the new bytes: MOS_SIDE_SVR's are client to server */
static void on_data(mctx_t mctx, int sock, int side, event_t ev,
		    filter_arg_t *arg)
{
	static char buf[65536];
	ssize_t n;

	(void)ev;
	(void)arg;
	callbacks++;
	if (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR)
		return;
	for (;;) {
		n = mtcp_peek(mctx, sock, side, buf, sizeof(buf));
		if (n > 0)
			got[side] += n;
		else if (n < 0 && errno == ENODATA)
			missed += -n;
		else
			break;
	}
	if (!done && got[MOS_SIDE_SVR] >= want[MOS_SIDE_SVR] &&
	    got[MOS_SIDE_CLI] >= want[MOS_SIDE_CLI]) {
		done = 1;
		mtcp_destroy_context(mctx);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	mtcp_destroy_context(g_mctx);
}

int main(int argc, char **argv)
{
	static const int hooks[] = { MOS_NULL, MOS_HK_SND, MOS_HK_RCV };
	struct mtcp_conf conf;
	int sock, registered = 0;

	int conn_bufs = argc == 2 && !strcmp(argv[1], "--conn-bufs");
	int conn_only = conn_bufs || (argc == 2 && !strcmp(argv[1], "--conn"));
	int zero = 0;

	if (argc != 3 && !conn_only) {
		fprintf(stderr,
			"usage: kernel_consumer C2S S2C | --conn | --conn-bufs\n");
		return 2;
	}
	if (!conn_only) {
		want[MOS_SIDE_SVR] = strtoull(argv[1], NULL, 0);
		want[MOS_SIDE_CLI] = strtoull(argv[2], NULL, 0);
	}
	if (mtcp_init(NULL)) {
		perror("kernel_consumer: mtcp_init");
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = 1;
	mtcp_setconf(&conf);
	g_mctx = mtcp_create_context(0);
	if (!g_mctx) {
		perror("kernel_consumer: mtcp_create_context");
		return 1;
	}
	sock = mtcp_socket(g_mctx, AF_UNSPEC, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0) {
		perror("kernel_consumer: mtcp_socket");
		return 1;
	}
	if (conn_only) {
		static const struct { event_t ev; int hook; callback_t cb; } c[] = {
			{ MOS_ON_CONN_START, MOS_HK_SND, on_event },
			{ MOS_ON_TCP_STATE_CHANGE, MOS_HK_SND, on_event },
			{ MOS_ON_TCP_STATE_CHANGE, MOS_HK_RCV, on_event },
			{ MOS_ON_CONN_END, MOS_HK_SND, on_event },
			{ MOS_ON_CONN_END, MOS_HK_RCV, on_event },
		};

		if (!conn_bufs &&
		    (mtcp_setsockopt(g_mctx, sock, SOL_MONSOCKET, MOS_CLIBUF,
				     &zero, sizeof(zero)) ||
		     mtcp_setsockopt(g_mctx, sock, SOL_MONSOCKET, MOS_SVRBUF,
				     &zero, sizeof(zero)))) {
			perror("kernel_consumer: buffers off");
			return 1;
		}
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			if (mtcp_register_callback(g_mctx, sock, c[i].ev,
						   c[i].hook, c[i].cb)) {
				perror("kernel_consumer: callback");
				return 1;
			}
			registered++;
		}
	}
	/* Every built-in event, at each hook mOS takes it at */
	for (int e = 0; !conn_only && (1 << e) <= MOS_ON_DEBUG_MESSAGE; e++)
		for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
			event_t ev = 1ULL << e;
			callback_t cb = ev == MOS_ON_CONN_NEW_DATA ? on_data :
								     on_event;

			if (!mtcp_register_callback(g_mctx, sock, ev, hooks[h],
						    cb))
				registered++;
			else if (errno != EINVAL) {
				perror("kernel_consumer: callback");
				return 1;
			}
		}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "kernel_consumer: ready\n");
	mtcp_app_join(g_mctx);
	if (conn_only)
		printf("consumer conns=%llu callbacks=%llu registered=%d\n",
		       conns, callbacks, registered);
	else
		printf("consumer c2s=%llu s2c=%llu missed=%llu callbacks=%llu registered=%d\n",
		       got[MOS_SIDE_SVR], got[MOS_SIDE_CLI], missed, callbacks,
		       registered);
	fflush(stdout);
	/* Tearing down (the ring's pages, the flows) is not the phase's */
	while (getchar() != EOF)
		;
	mtcp_destroy();
	return 0;
}
