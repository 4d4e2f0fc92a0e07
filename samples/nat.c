// SPDX-License-Identifier: BSD-2-Clause
/*
 * nat - translate the source address and port of TCP connections (SNAT),
 * an inline mOS application in mOS's nat's shape
 *
 * One context per core (GetNumCPUs(), or -c N), each with an IPv4 monitor
 * socket whose callbacks run at MOS_HK_SND:
 *
 * - MOS_ON_PKT_IN: a flow's first packet takes a port from the pool (the
 *   flow's uctx); each packet the client sends leaves with the NAT
 *   address and that port as its source, each packet the server sends
 *   leaves with the client's address and port as its destination: two
 *   mtcp_setlastpkt() calls per packet, the IP header's address
 *   (MOS_IP_HDR | MOS_OVERWRITE), then the TCP header's port
 *   (MOS_TCP_HDR | MOS_OVERWRITE | MOS_UPDATE_IP_CHKSUM |
 *   MOS_UPDATE_TCP_CHKSUM).  A packet that cannot be translated (no port
 *   left, a failed call) is dropped (MOS_DROP).
 * - MOS_ON_CONN_END: the port goes back to the pool.
 *
 * The server answers the NAT address and port: mos tracks those packets
 * as the same connection's (the rewrite gave the flow that second
 * 4-tuple, Documentation/libmosuser.rst "Address translation"), so they
 * raise its events, from the server's side, and mtcp_getpeername()
 * still names the client's real address.
 *
 * Needs verdict mode (MOS_VERDICT=1 in the environment) in an inline
 * namespace: the packets wait in the kernel for their callbacks; with
 * "mosctl set verdict-policy drop", so that a packet whose verdict does
 * not come in time is dropped (and sent again) rather than leave
 * untranslated.  The
 * NAT address must not be one of the router's own (a packet given a
 * local source before routing is a martian): the server routes it back
 * through the router.
 *
 * On SIGINT or SIGTERM the contexts end and nat prints, on standard
 * output:
 *
 *   nat: assigned A released R in-use U translated C2S S2C dropped D
 *
 * Usage: nat -i NAT_ADDRESS [-f MOS_CONFIG] [-c CORES] [-p FIRST-LAST]
 *   the port pool defaults to 1025-65534, as mOS's.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mos_api.h>
#include "cpu.h"

#define MAX_CORES	16

/* Byte offsets of what is rewritten, in the IP and the TCP header */
#define OFF_IP_SRC	12
#define OFF_IP_DST	16
#define OFF_TCP_SPORT	0
#define OFF_TCP_DPORT	2

/* A port of the pool; a flow's uctx while it is the flow's */
struct nat_port {
	in_port_t port;		/* network order */
	struct nat_port *next;	/* in the free list */
};

static in_addr_t g_nat_addr;
static struct nat_port *g_ports;
static struct nat_port *g_free, **g_free_tail = &g_free;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong g_assigned, g_released, g_c2s, g_s2c, g_dropped;
static mctx_t g_ctx[MAX_CORES];
static int g_num_cores;

/* A port from the pool for the flow of @sock, or NULL: none left */
static struct nat_port *assign_port(mctx_t mctx, int sock)
{
	struct nat_port *p;

	pthread_mutex_lock(&g_lock);
	p = g_free;
	if (p) {
		g_free = p->next;
		if (!g_free)
			g_free_tail = &g_free;
	}
	pthread_mutex_unlock(&g_lock);
	if (!p) {
		fprintf(stderr, "nat: no port left\n");
		return NULL;
	}
	atomic_fetch_add(&g_assigned, 1);
	mtcp_set_uctx(mctx, sock, p);
	return p;
}

/* Rewrite the packet's source (or destination) address and port */
static int set_addr(mctx_t mctx, int sock, int side, in_addr_t addr,
		    in_port_t port, int src)
{
	if (mtcp_setlastpkt(mctx, sock, side, src ? OFF_IP_SRC : OFF_IP_DST,
			    (byte *)&addr, sizeof(addr),
			    MOS_IP_HDR | MOS_OVERWRITE) < 0)
		return -1;
	return mtcp_setlastpkt(mctx, sock, side,
			       src ? OFF_TCP_SPORT : OFF_TCP_DPORT,
			       (byte *)&port, sizeof(port),
			       MOS_TCP_HDR | MOS_OVERWRITE |
			       MOS_UPDATE_IP_CHKSUM | MOS_UPDATE_TCP_CHKSUM);
}

static void drop(mctx_t mctx, int sock, int side, const char *why)
{
	perror(why);
	atomic_fetch_add(&g_dropped, 1);
	if (mtcp_setlastpkt(mctx, sock, side, 0, NULL, 0, MOS_DROP) < 0)
		perror("nat: mtcp_setlastpkt(MOS_DROP)");
}

static void translate(mctx_t mctx, int sock, int side, uint64_t events,
		      filter_arg_t *arg)
{
	struct sockaddr_in addr[2];
	socklen_t len = sizeof(addr);
	struct nat_port *p;

	(void)events;
	(void)arg;
	p = mtcp_get_uctx(mctx, sock);
	if (!p)
		p = assign_port(mctx, sock);
	if (!p) {
		atomic_fetch_add(&g_dropped, 1);
		mtcp_setlastpkt(mctx, sock, side, 0, NULL, 0, MOS_DROP);
		return;
	}
	if (side == MOS_SIDE_CLI) {
		/* Client to server: the NAT's address and port as source */
		if (set_addr(mctx, sock, side, g_nat_addr, p->port, 1) < 0)
			drop(mctx, sock, side, "nat: mtcp_setlastpkt");
		else
			atomic_fetch_add(&g_c2s, 1);
		return;
	}
	/* Server to client: the client's real address and port */
	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)addr, &len,
			     MOS_SIDE_BOTH) < 0) {
		drop(mctx, sock, side, "nat: mtcp_getpeername");
		return;
	}
	if (set_addr(mctx, sock, side, addr[MOS_SIDE_CLI].sin_addr.s_addr,
		     addr[MOS_SIDE_CLI].sin_port, 0) < 0)
		drop(mctx, sock, side, "nat: mtcp_setlastpkt");
	else
		atomic_fetch_add(&g_s2c, 1);
}

static void release_port(mctx_t mctx, int sock, int side, uint64_t events,
			 filter_arg_t *arg)
{
	struct nat_port *p = mtcp_get_uctx(mctx, sock);

	(void)side;
	(void)events;
	(void)arg;
	if (!p)
		return;	/* released at the other side's end */
	mtcp_set_uctx(mctx, sock, NULL);
	/* At the tail, as mOS's: the last port to be given again */
	pthread_mutex_lock(&g_lock);
	p->next = NULL;
	*g_free_tail = p;
	g_free_tail = &p->next;
	pthread_mutex_unlock(&g_lock);
	atomic_fetch_add(&g_released, 1);
}

static int init_monitor(mctx_t mctx)
{
	int sock = mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);

	if (sock < 0) {
		perror("nat: mtcp_socket");
		return -1;
	}
	if (mtcp_register_callback(mctx, sock, MOS_ON_PKT_IN, MOS_HK_SND,
				   translate) ||
	    mtcp_register_callback(mctx, sock, MOS_ON_CONN_END, MOS_HK_SND,
				   release_port)) {
		perror("nat: mtcp_register_callback");
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < g_num_cores; i++)
		if (g_ctx[i])
			mtcp_destroy_context(g_ctx[i]);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nat -i NAT_ADDRESS [-f MOS_CONFIG] [-c CORES] [-p FIRST-LAST]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long first = 1025, last = 65534, n, i;
	const char *config = NULL;
	struct mtcp_conf mcfg;
	int opt, ncpus, status = 0;
	struct in_addr a;
	char *end;
	long v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = GetNumCPUs();
	if (ncpus < 1)
		ncpus = 1;
	g_num_cores = ncpus < MAX_CORES ? ncpus : MAX_CORES;
	while ((opt = getopt(argc, argv, "c:f:i:p:h")) != -1) {
		switch (opt) {
		case 'c':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > MAX_CORES)
				usage();
			if (v > ncpus) {
				fprintf(stderr, "nat: %d CPU cores available\n",
					ncpus);
				return 2;
			}
			g_num_cores = (int)v;
			break;
		case 'f':
			config = optarg;
			break;
		case 'i':
			if (!inet_aton(optarg, &a) || !a.s_addr)
				usage();
			g_nat_addr = a.s_addr;
			break;
		case 'p':
			first = strtoul(optarg, &end, 10);
			if (*end != '-')
				usage();
			last = strtoul(end + 1, &end, 10);
			if (*end || !first || first > last || last > 65535)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !g_nat_addr)
		usage();

	n = last - first + 1;
	g_ports = calloc(n, sizeof(*g_ports));
	if (!g_ports) {
		perror("nat: calloc");
		return 1;
	}
	for (i = 0; i < n; i++) {
		g_ports[i].port = htons((uint16_t)(first + i));
		*g_free_tail = &g_ports[i];
		g_free_tail = &g_ports[i].next;
	}

	if (mtcp_init(config)) {
		perror("nat: mtcp_init");
		return 1;
	}
	mtcp_getconf(&mcfg);
	mcfg.num_cores = g_num_cores;
	if (mtcp_setconf(&mcfg)) {
		perror("nat: mtcp_setconf");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	for (i = 0; i < (unsigned long)g_num_cores && !status; i++) {
		g_ctx[i] = mtcp_create_context((int)i);
		if (!g_ctx[i]) {
			perror("nat: mtcp_create_context");
			status = 1;
		} else if (init_monitor(g_ctx[i])) {
			status = 1;
		}
		if (status)
			on_signal(0);
	}
	if (!status)
		fprintf(stderr, "nat: %s, ports %lu-%lu, %d contexts, ready\n",
			inet_ntoa(*(struct in_addr *)&g_nat_addr), first, last,
			g_num_cores);

	for (i = 0; i < (unsigned long)g_num_cores; i++) {
		if (!g_ctx[i])
			continue;
		mtcp_app_join(g_ctx[i]);
		mtcp_destroy_context(g_ctx[i]);
	}
	mtcp_destroy();
	printf("nat: assigned %lu released %lu in-use %lu translated %lu %lu dropped %lu\n",
	       atomic_load(&g_assigned), atomic_load(&g_released),
	       atomic_load(&g_assigned) - atomic_load(&g_released),
	       atomic_load(&g_c2s), atomic_load(&g_s2c),
	       atomic_load(&g_dropped));
	free(g_ports);
	return status;
}
