// SPDX-License-Identifier: GPL-2.0
/*
 * ctxflows.c - mOS's execution model, live: one context per core, as
 * mOS's samples make them, each printing the flows it sees
 *
 * Usage: ctxflows [-n CONTEXTS] [-f 4|6|any]
 *
 * Creates CONTEXTS contexts (default GetNumCPUs(), num_cores the same),
 * each with a monitor stream socket of the family (-f: AF_INET, AF_INET6,
 * AF_UNSPEC, the default) and a callback at each flow's CONN_START (hook
 * MOS_HK_SND) that prints
 *
 *	CTX CLIENT>SERVER pinned|unpinned
 *
 * CTX the context's cpu, CLIENT and SERVER "ADDR:PORT" (mtcp_getpeername()),
 * pinned if the callback ran on a thread allowed on CTX's cpu alone.
 * "ctxflows: ready" on stderr once every context is set up; then the
 * contexts are joined one after the other, as mOS's samples do.  SIGINT
 * and SIGTERM destroy every context (mtcp_register_signal()); after each
 * join the socket is closed and the context destroyed, then mtcp_destroy();
 * "ctxflows: end" on stderr, exit 0.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "mos_api.h"

int GetNumCPUs(void);	/* mOS's mtcp_util.h */

#define CTX_MAX	64

static mctx_t g_ctx[CTX_MAX];
static int g_n;

static void on_signal(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < g_n; i++)
		mtcp_destroy_context(g_ctx[i]);
}

static void addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%d", a, ntohs(s->sin6_port));
	} else {
		const struct sockaddr_in *s = (const void *)sa;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%d", a, ntohs(s->sin_port));
	}
}

static void on_start(mctx_t m, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	struct sockaddr_in6 sa[2];
	socklen_t len = sizeof(sa);
	char cli[64], svr[64];
	const struct sockaddr *s1;
	cpu_set_t set;
	int pinned;

	(void)side;
	(void)ev;
	(void)arg;
	if (mtcp_getpeername(m, sock, (struct sockaddr *)sa, &len,
			     MOS_SIDE_BOTH)) {
		printf("%d getpeername: %s\n", m->cpu, strerror(errno));
		return;
	}
	/* Two struct sockaddr_in or two struct sockaddr_in6, in a row */
	s1 = (const struct sockaddr *)((const char *)sa + len / 2);
	addr_str((const struct sockaddr *)sa, cli, sizeof(cli));
	addr_str(s1, svr, sizeof(svr));
	pinned = !sched_getaffinity(0, sizeof(set), &set) &&
		 CPU_COUNT(&set) == 1 && CPU_ISSET(m->cpu, &set);
	printf("%d %s>%s %s\n", m->cpu, cli, svr,
	       pinned ? "pinned" : "unpinned");
}

int main(int argc, char **argv)
{
	int sock[CTX_MAX], family = AF_UNSPEC, opt, i;
	struct mtcp_conf conf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	g_n = GetNumCPUs();
	while ((opt = getopt(argc, argv, "n:f:")) != -1) {
		switch (opt) {
		case 'n':
			g_n = atoi(optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "4"))
				family = AF_INET;
			else if (!strcmp(optarg, "6"))
				family = AF_INET6;
			else if (strcmp(optarg, "any"))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || g_n < 1 || g_n > CTX_MAX)
		goto usage;
	if (mtcp_init(NULL) || mtcp_getconf(&conf)) {
		perror("ctxflows: mtcp_init");
		return 1;
	}
	conf.num_cores = g_n;
	if (mtcp_setconf(&conf)) {
		perror("ctxflows: mtcp_setconf");
		return 1;
	}
	if (mtcp_register_signal(SIGINT, on_signal) == SIG_ERR ||
	    mtcp_register_signal(SIGTERM, on_signal) == SIG_ERR) {
		perror("ctxflows: mtcp_register_signal");
		return 1;
	}
	for (i = 0; i < g_n; i++) {
		mctx_t m = mtcp_create_context(i);

		if (!m) {
			perror("ctxflows: mtcp_create_context");
			return 1;
		}
		/* Published before the handler may look at it */
		__atomic_store_n(&g_ctx[i], m, __ATOMIC_RELEASE);
		sock[i] = mtcp_socket(m, family, MOS_SOCK_MONITOR_STREAM, 0);
		if (sock[i] < 0 ||
		    mtcp_register_callback(m, sock[i], MOS_ON_CONN_START,
					   MOS_HK_SND, on_start)) {
			perror("ctxflows: mtcp_socket");
			return 1;
		}
	}
	fprintf(stderr, "ctxflows: ready\n");
	for (i = 0; i < g_n; i++) {
		mtcp_app_join(g_ctx[i]);
		if (mtcp_close(g_ctx[i], sock[i]) ||
		    mtcp_destroy_context(g_ctx[i]))
			perror("ctxflows: after the join");
	}
	if (mtcp_destroy()) {
		perror("ctxflows: mtcp_destroy");
		return 1;
	}
	fprintf(stderr, "ctxflows: end\n");
	return 0;

usage:
	fprintf(stderr, "usage: ctxflows [-n CONTEXTS] [-f 4|6|any]\n");
	return 2;
}
