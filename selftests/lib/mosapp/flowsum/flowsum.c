// SPDX-License-Identifier: GPL-2.0
/*
 * flowsum - an application written as mOS's samples are, built by
 * mtcp_link.sh with its Makefile, which is mOS's sample Makefile with
 * only MTCP_FLD and UTIL_INC changed
 *
 * As midstat and nat do: mtcp_init() with a configuration file, one
 * context per core (-n CORES, GetNumCPUs() by default), each with an
 * AF_INET monitor socket; contexts joined in turn, then destroyed.  Per
 * IPv4 flow, its endpoints and the stream bytes each side received,
 * counted with mtcp_peek() at MOS_ON_CONN_NEW_DATA, printed at the
 * flow's first MOS_ON_CONN_END: "CLIENT:PORT > SERVER:PORT up N down M".
 *
 * Usage: flowsum -f CONFIG [-n CORES]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <mos_api.h>
#include <mtcp_api.h>
#include <mtcp_util.h>
#include "cpu.h"
#include "applib.h"

#define MAX_CPUS	16

struct sums {
	unsigned long bytes[2];
};

static mctx_t g_mctx[MAX_CPUS];

static void on_data(mctx_t mctx, int sock, int side, uint64_t events,
		    filter_arg_t *arg)
{
	struct sums *s = mtcp_get_uctx(mctx, sock);
	char buf[4096];
	ssize_t n;

	UNUSED(events);
	UNUSED(arg);
	if (!s) {
		s = calloc(1, sizeof(*s));
		mtcp_set_uctx(mctx, sock, s);
	}
	while (s && (n = mtcp_peek(mctx, sock, side, buf, sizeof(buf))) > 0)
		s->bytes[side] += n;
}

static void on_end(mctx_t mctx, int sock, int side, uint64_t events,
		   filter_arg_t *arg)
{
	struct sums *s = mtcp_get_uctx(mctx, sock);
	struct sockaddr_in addr[2];
	socklen_t len = sizeof(addr);
	char a[2][INET_ADDRSTRLEN];

	UNUSED(side);
	UNUSED(arg);
	if (!s || mtcp_getpeername(mctx, sock, (struct sockaddr *)addr, &len,
				   MOS_SIDE_BOTH) || addr[0].sin_family != AF_INET)
		return;
	inet_ntop(AF_INET, &addr[MOS_SIDE_CLI].sin_addr, a[0], sizeof(a[0]));
	inet_ntop(AF_INET, &addr[MOS_SIDE_SVR].sin_addr, a[1], sizeof(a[1]));
	printf("%s:%u > %s:%u up %lu down %lu (%s)\n", a[0],
	       ntohs(addr[MOS_SIDE_CLI].sin_port), a[1],
	       ntohs(addr[MOS_SIDE_SVR].sin_port), s->bytes[MOS_SIDE_SVR],
	       s->bytes[MOS_SIDE_CLI], ev_name(events));
	free(s);
	mtcp_set_uctx(mctx, sock, NULL);
}

int main(int argc, char **argv)
{
	struct mtcp_conf mcfg;
	char *conf = NULL;
	int cores = GetNumCPUs(), i, opt, sock;

	while ((opt = getopt(argc, argv, "f:n:")) != -1) {
		if (opt == 'f')
			conf = optarg;
		else if (opt == 'n')
			cores = atoi(optarg);
	}
	if (cores < 1 || cores > MAX_CPUS)
		cores = 1;
	if (mtcp_init(conf)) {
		fprintf(stderr, "mtcp_init: %s\n", mtcp_errmsg(NULL));
		return 1;
	}
	mtcp_getconf(&mcfg);
	mcfg.num_cores = cores;
	mtcp_setconf(&mcfg);
	for (i = 0; i < cores; i++) {
		g_mctx[i] = mtcp_create_context(i);
		if (!g_mctx[i]) {
			perror("mtcp_create_context");
			return 1;
		}
		sock = mtcp_socket(g_mctx[i], AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
		if (sock < 0 ||
		    mtcp_register_callback(g_mctx[i], sock, MOS_ON_CONN_NEW_DATA,
					   MOS_NULL, on_data) ||
		    mtcp_register_callback(g_mctx[i], sock, MOS_ON_CONN_END,
					   MOS_HK_RCV, on_end)) {
			perror("mtcp_socket/mtcp_register_callback");
			return 1;
		}
	}
	for (i = 0; i < cores; i++)
		mtcp_app_join(g_mctx[i]);
	mtcp_destroy();
	return 0;
}
