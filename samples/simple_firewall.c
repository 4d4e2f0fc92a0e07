// SPDX-License-Identifier: BSD-2-Clause
/*
 * simple_firewall - drop or reset the TCP connections a rules file names
 *
 * Usage: simple_firewall [-f CONFIG] RULES
 *
 * RULES has one rule per line, '#' starts a comment:
 *
 *   ACTION SOURCE DESTINATION [PORT]
 *
 * ACTION is drop, reset or accept; SOURCE and DESTINATION are networks
 * (ADDRESS[/PREFIX], IPv4 or IPv6) or "any"; PORT is the server's port
 * (any when left out).  A new connection takes the action of the first
 * rule its client address, server address and server port match, accept
 * when none does, and one line is printed for it:
 *
 *   reset 10.0.0.1:40000 > 10.0.0.2:8001 (rule 1)
 *
 * Runs against a namespace in inline mode (drop and reset need it) until
 * SIGINT or SIGTERM.  The verdict on the SYN was given before the
 * application sees it: "drop" drops every later packet of the flow (the
 * server's SYN-ACK first, so the client never connects), "reset" resets
 * both ends.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mos_api.h>

enum { ACT_ACCEPT, ACT_DROP, ACT_RESET };

static const char *const act_names[] = { "accept", "drop", "reset" };

struct net {
	int family;	/* 0: any */
	uint8_t addr[16];
	int prefix;
};

struct rule {
	int action;
	struct net src, dst;
	int port;	/* -1: any */
};

static struct rule g_rules[256];
static int g_nrules;
static mctx_t g_mctx;

static int parse_net(const char *s, struct net *n)
{
	char buf[64], *slash;
	int max;

	memset(n, 0, sizeof(*n));
	if (!strcmp(s, "any"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	n->prefix = max;
	if (slash) {
		char *end;
		long p = strtol(slash, &end, 10);

		if (*end || p < 0 || p > max)
			return -1;
		n->prefix = (int)p;
	}
	return 0;
}

static int load_rules(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "simple_firewall: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char act[16], src[64], dst[64], port[16];
		struct rule *r = &g_rules[g_nrules];
		char *hash = strchr(line, '#');
		int n, a;

		lineno++;
		if (hash)
			*hash = '\0';
		n = sscanf(line, "%15s %63s %63s %15s", act, src, dst, port);
		if (n <= 0)
			continue;
		for (a = 0; a < 3 && strcmp(act, act_names[a]); a++)
			;
		if (n < 3 || a == 3 || parse_net(src, &r->src) ||
		    parse_net(dst, &r->dst) || g_nrules == 256) {
			fprintf(stderr, "simple_firewall: %s:%d: bad rule\n",
				path, lineno);
			fclose(f);
			return -1;
		}
		r->action = a;
		r->port = -1;
		if (n == 4) {
			char *end;
			long p = strtol(port, &end, 10);

			if (*end || p < 0 || p > 65535) {
				fprintf(stderr,
					"simple_firewall: %s:%d: bad port\n",
					path, lineno);
				fclose(f);
				return -1;
			}
			r->port = (int)p;
		}
		g_nrules++;
	}
	fclose(f);
	return 0;
}

static int net_match(const struct net *n, int family, const uint8_t *addr)
{
	int bits = n->prefix, i;

	if (!n->family)
		return 1;
	if (n->family != family)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (addr[i] != n->addr[i])
			return 0;
	return !bits || !((addr[i] ^ n->addr[i]) & (0xff00 >> bits));
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

/* The address bytes and port of one end */
static const uint8_t *end_addr(const struct sockaddr *sa, int *port)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		*port = ntohs(s6->sin6_port);
		return s6->sin6_addr.s6_addr;
	}
	*port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
}

/* The client's SYN: a new connection */
static void on_start(mctx_t mctx, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	struct sockaddr_in6 sa[2];
	socklen_t len = sizeof(sa);
	const struct sockaddr *cli, *svr;
	const uint8_t *ca, *sva;
	char c[64], s[64];
	int cport, sport, i, ret = 0;

	(void)side;
	(void)ev;
	(void)arg;
	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)sa, &len,
			     MOS_SIDE_BOTH))
		return;
	cli = (const struct sockaddr *)sa;
	svr = (const struct sockaddr *)((char *)sa + len / 2);
	ca = end_addr(cli, &cport);
	sva = end_addr(svr, &sport);
	for (i = 0; i < g_nrules; i++) {
		const struct rule *r = &g_rules[i];

		if (net_match(&r->src, cli->sa_family, ca) &&
		    net_match(&r->dst, svr->sa_family, sva) &&
		    (r->port < 0 || r->port == sport))
			break;
	}
	if (i == g_nrules)
		return;
	if (g_rules[i].action == ACT_DROP)
		ret = mtcp_setlastpkt(mctx, sock, MOS_SIDE_CLI, 0, NULL, 0,
				      MOS_DROP);
	else if (g_rules[i].action == ACT_RESET)
		ret = mtcp_reset_conn(mctx, sock);
	addr_str(cli, c, sizeof(c));
	addr_str(svr, s, sizeof(s));
	if (ret)
		printf("%s %s > %s (rule %d) failed: %s\n",
		       act_names[g_rules[i].action], c, s, i + 1,
		       strerror(errno));
	else
		printf("%s %s > %s (rule %d)\n", act_names[g_rules[i].action],
		       c, s, i + 1);
}

static void on_signal(int sig)
{
	(void)sig;
	mtcp_destroy_context(g_mctx);
}

int main(int argc, char **argv)
{
	const char *conf_file = NULL;
	struct mtcp_conf conf;
	int sock, a = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-f")) {
		conf_file = argv[2];
		a = 3;
	}
	if (a != argc - 1) {
		fprintf(stderr, "usage: simple_firewall [-f CONFIG] RULES\n");
		return 2;
	}
	if (load_rules(argv[a]))
		return 1;
	if (mtcp_init(conf_file)) {
		perror("simple_firewall: mtcp_init");
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = 1;
	mtcp_setconf(&conf);
	g_mctx = mtcp_create_context(0);
	if (!g_mctx) {
		perror("simple_firewall: mtcp_create_context");
		return 1;
	}
	sock = mtcp_socket(g_mctx, AF_UNSPEC, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0 ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_START, MOS_HK_SND,
				   on_start)) {
		perror("simple_firewall: callbacks");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "simple_firewall: %d rules, ready\n", g_nrules);
	mtcp_app_join(g_mctx);
	mtcp_destroy();
	return 0;
}
