// SPDX-License-Identifier: GPL-2.0
/*
 * verdict_app.c - an mOS application whose callbacks decide the fate of
 * the packet that raised them (selftests/vm/verdict.sh)
 *
 * One context, an IPv4 monitor socket, run with MOS_VERDICT=1 in an inline
 * namespace.  A packet carries the marker when its TCP payload (as
 * mtcp_getlastpkt() shows it) contains MARKER.
 *
 *   verdict_app ips MARKER       MOS_ON_PKT_IN at MOS_HK_SND: every
 *                                packet that carries the marker (the
 *                                retransmissions too) is dropped
 *                                (mtcp_setlastpkt(MOS_DROP)): a line
 *                                "drop SEQ" for each
 *   verdict_app rewrite MARKER NEW
 *                                MOS_ON_PKT_IN at MOS_HK_SND: in every
 *                                packet that carries the marker, the
 *                                marker's bytes become NEW (as long) and
 *                                the IP header's TOS 0x20, with both
 *                                checksums updated; a line "rewrote SEQ
 *                                TEXT" with what mtcp_getlastpkt() shows
 *                                after (TOS and the payload's first line)
 *   verdict_app sleep MARKER MS  MOS_ON_CONN_NEW_DATA (hook MOS_NULL): the
 *                                callback of the first packet that
 *                                carries the marker sleeps MS ms
 *   verdict_app hang MARKER      the same, but never returns (the test
 *                                kills it)
 *
 * "ready" on stderr once the context runs; SIGINT or SIGTERM ends it.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mos_api.h>

enum { M_IPS, M_REWRITE, M_SLEEP, M_HANG };

static int g_mode;
static const char *g_marker, *g_new;
static unsigned int g_ms;
static int g_slept;
static mctx_t g_mctx;

static int carries_marker(mctx_t m, int sock, int side, struct pkt_info *p)
{
	if (mtcp_getlastpkt(m, sock, side, p))
		return 0;
	return p->payloadlen &&
	       memmem(p->payload, p->payloadlen, g_marker, strlen(g_marker));
}

static void on_pkt(mctx_t m, int sock, int side, uint64_t ev,
		   filter_arg_t *arg)
{
	struct pkt_info p;

	(void)ev;
	(void)arg;
	if (!carries_marker(m, sock, side, &p))
		return;
	switch (g_mode) {
	case M_IPS:
		if (mtcp_setlastpkt(m, sock, side, 0, NULL, 0, MOS_DROP))
			perror("verdict_app: mtcp_setlastpkt");
		else
			printf("drop %u\n", p.seq);
		break;
	case M_REWRITE: {
		const uint8_t *at = memmem(p.payload, p.payloadlen, g_marker,
					   strlen(g_marker));
		uint8_t tos = 0x20;
		const char *nl;

		if (mtcp_setlastpkt(m, sock, side, at - p.payload,
				    (byte *)g_new, strlen(g_new),
				    MOS_TCP_PAYLOAD | MOS_OVERWRITE |
				    MOS_UPDATE_TCP_CHKSUM) ||
		    mtcp_setlastpkt(m, sock, side, 1, &tos, 1,
				    MOS_IP_HDR | MOS_OVERWRITE |
				    MOS_UPDATE_IP_CHKSUM) ||
		    mtcp_getlastpkt(m, sock, side, &p)) {
			perror("verdict_app: mtcp_setlastpkt");
			break;
		}
		nl = memchr(p.payload, '\n', p.payloadlen);
		printf("rewrote %u tos 0x%02x %.*s\n", p.seq, p.iph->tos,
		       (int)(nl ? nl - (const char *)p.payload : p.payloadlen),
		       (const char *)p.payload);
		break;
	}
	case M_SLEEP:
		if (g_slept++)
			break;
		printf("sleep\n");
		usleep(g_ms * 1000);
		printf("awake\n");
		break;
	case M_HANG:
		printf("hang\n");
		for (;;)
			pause();
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (g_mctx)
		mtcp_destroy_context(g_mctx);
}

static void usage(void)
{
	fprintf(stderr, "usage: verdict_app ips|rewrite|sleep|hang MARKER [MS|NEW]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct mtcp_conf conf;
	event_t ev = MOS_ON_PKT_IN;
	int hook = MOS_HK_SND, sock;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "ips"))
		g_mode = M_IPS;
	else if (!strcmp(argv[1], "rewrite") && argc == 4 &&
		 strlen(argv[3]) == strlen(argv[2]))
		g_mode = M_REWRITE;
	else if (!strcmp(argv[1], "sleep") && argc == 4)
		g_mode = M_SLEEP;
	else if (!strcmp(argv[1], "hang"))
		g_mode = M_HANG;
	else
		usage();
	g_marker = argv[2];
	g_new = argv[3];
	if (g_mode == M_SLEEP)
		g_ms = (unsigned int)strtoul(argv[3], NULL, 10);
	if (g_mode != M_IPS && g_mode != M_REWRITE) {
		ev = MOS_ON_CONN_NEW_DATA;
		hook = MOS_NULL;
	}
	if (mtcp_init(NULL)) {
		perror("verdict_app: mtcp_init");
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = 1;
	if (mtcp_setconf(&conf)) {
		perror("verdict_app: mtcp_setconf");
		return 1;
	}
	g_mctx = mtcp_create_context(0);
	if (!g_mctx) {
		perror("verdict_app: mtcp_create_context");
		return 1;
	}
	sock = mtcp_socket(g_mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0 || mtcp_register_callback(g_mctx, sock, ev, hook, on_pkt)) {
		perror("verdict_app: mtcp_socket/register_callback");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "ready\n");
	mtcp_app_join(g_mctx);
	mtcp_destroy();
	return 0;
}
