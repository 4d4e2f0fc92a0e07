// SPDX-License-Identifier: BSD-2-Clause
/*
 * simple_firewall - drop the TCP connections that mOS's firewall rules name
 *
 * mOS's simple_firewall, shaped as mOS runs it: one context per core
 * (GetNumCPUs(), or -n N), each with an IPv4 monitor socket, joined in
 * turn, then closed and destroyed; a SIGINT handler destroys every
 * context.
 *
 * The rules file has mOS's syntax, one rule a line, '#' starts a comment:
 *
 *   ACTION  SOURCE[/BITS]  DESTINATION[/BITS]  [sport:PORT] [dport:PORT]
 *
 * ACTION is DROP or ACCEPT (and, beyond mOS, RESET); SOURCE and
 * DESTINATION are IPv4 addresses (inet_aton()), 0.0.0.0 any; a port 0 or
 * left out is any.  E.g. "DROP 10.0.0.0/24 10.0.0.0/24 dport:80".
 *
 * A user-defined event on MOS_ON_PKT_IN whose filter takes a SYN without
 * ACK calls, at MOS_HK_SND, the rule lookup on that packet's addresses and
 * ports (mtcp_getlastpkt()): the first rule that matches gives the action,
 * ACCEPT when none does.  DROP asks mtcp_setlastpkt(MOS_DROP): in mOS the
 * SYN itself is dropped; here the hooks have passed it before the callback
 * runs, so every later packet of the flow is dropped (the server's SYN-ACK
 * first: the client never connects).  RESET resets both ends
 * (mtcp_reset_conn()).  ACCEPT stops monitoring the flow (MOS_STOP_MON).
 * Each flow a rule matched is printed, as
 *
 *   drop 10.0.0.1:40000 > 10.0.0.2:80 (rule 1)
 *
 * and context 0 prints the rule table, with the flows each rule matched,
 * every second.  Drop and reset need the namespace in inline mode.
 *
 * Usage: simple_firewall [-c MOS_CONFIG] [-f RULES] [-n CORES]
 *   RULES defaults to config/simple_firewall.conf, as in mOS.
 */

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mos_api.h>
#include "cpu.h"

#define MAX_CORES	16
#define MAX_RULES	1024
#define RULE_LINE_MAX	1024

enum action { FRA_INVALID, FRA_ACCEPT, FRA_DROP, FRA_RESET };

static const char *const act_word[] = {
	[FRA_ACCEPT] = "ACCEPT", [FRA_DROP] = "DROP", [FRA_RESET] = "RESET",
};
static const char *const act_verb[] = {
	[FRA_ACCEPT] = "accept", [FRA_DROP] = "drop", [FRA_RESET] = "reset",
};

/* Addresses and ports in network order, as the packet carries them */
struct rule {
	enum action action;
	in_addr_t src, dst;	/* masked; 0: any */
	int src_bits, dst_bits;
	in_port_t sport, dport;	/* 0: any */
	unsigned long flows;	/* matched, updated atomically */
};

struct thread_context {
	mctx_t mctx;
	int mon_listener;
};

static struct rule g_rules[MAX_RULES];
static int g_nrules;
static struct thread_context g_ctx[MAX_CORES];
static int g_num_cores;

static in_addr_t netmask(int bits)
{
	return bits ? htonl(0xffffffffU << (32 - bits)) : 0;
}

/* ADDRESS[/BITS] into @addr (masked) and @bits; 0 or -1 */
static int parse_addr(const char *word, in_addr_t *addr, int *bits)
{
	char buf[64], *slash, *end;
	struct in_addr a;
	long b = 32;

	if (snprintf(buf, sizeof(buf), "%s", word) >= (int)sizeof(buf))
		return -1;
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!isdigit((unsigned char)*slash))
			return -1;
		b = strtol(slash, &end, 10);
		if (*end || b > 32)
			return -1;
	}
	if (!inet_aton(buf, &a))
		return -1;
	*bits = (int)b;
	*addr = a.s_addr & netmask(*bits);
	return 0;
}

/* sport:PORT or dport:PORT into @r; 0 or -1 */
static int parse_port(const char *word, struct rule *r)
{
	in_port_t *p;
	char *end;
	long v;

	if (!strncmp(word, "sport:", 6))
		p = &r->sport;
	else if (!strncmp(word, "dport:", 6))
		p = &r->dport;
	else
		return -1;
	if (!isdigit((unsigned char)word[6]))
		return -1;
	v = strtol(word + 6, &end, 10);
	if (*end || v > 65535)
		return -1;
	*p = htons((uint16_t)v);
	return 0;
}

static int parse_rule(char *line, struct rule *r)
{
	char *w[8], *save = NULL, *tok;
	int n = 0, i;

	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 8)
			return -1;
		w[n++] = tok;
	}
	if (!n)
		return 0;
	if (n < 3)
		return -1;
	memset(r, 0, sizeof(*r));
	for (i = FRA_ACCEPT; i <= FRA_RESET; i++)
		if (!strcmp(w[0], act_word[i]))
			r->action = i;
	if (r->action == FRA_INVALID ||
	    parse_addr(w[1], &r->src, &r->src_bits) ||
	    parse_addr(w[2], &r->dst, &r->dst_bits))
		return -1;
	for (i = 3; i < n; i++)
		if (parse_port(w[i], r))
			return -1;
	return 1;
}

static int load_rules(const char *path)
{
	char line[RULE_LINE_MAX];
	int lineno = 0, ret = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "simple_firewall: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		int r;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "simple_firewall: %s:%d: longer than %d\n",
				path, lineno, RULE_LINE_MAX - 2);
			ret = -1;
			break;
		}
		if (hash)
			*hash = '\0';
		if (g_nrules == MAX_RULES) {
			fprintf(stderr, "simple_firewall: %s: over %d rules\n",
				path, MAX_RULES);
			ret = -1;
			break;
		}
		r = parse_rule(line, &g_rules[g_nrules]);
		if (r < 0) {
			fprintf(stderr, "simple_firewall: %s:%d: bad rule\n",
				path, lineno);
			ret = -1;
		}
		g_nrules += r > 0;
	}
	fclose(f);
	return ret;
}

static bool match_addr(in_addr_t ip, in_addr_t rule, int bits)
{
	return !rule || (ip & netmask(bits)) == rule;
}

static bool match_port(in_port_t port, in_port_t rule)
{
	return !rule || port == rule;
}

/* The index of the first rule that matches, or -1 */
static int lookup(in_addr_t sip, in_addr_t dip, in_port_t sp, in_port_t dp)
{
	int i;

	for (i = 0; i < g_nrules; i++) {
		const struct rule *r = &g_rules[i];

		if (match_addr(sip, r->src, r->src_bits) &&
		    match_addr(dip, r->dst, r->dst_bits) &&
		    match_port(sp, r->sport) && match_port(dp, r->dport))
			return i;
	}
	return -1;
}

/* The filter of the user-defined event: the client's first SYN */
static bool catch_init_syn(mctx_t mctx, int sock, int side, event_t ev,
			   filter_arg_t *arg)
{
	struct pkt_info p;

	(void)ev;
	(void)arg;
	if (mtcp_getlastpkt(mctx, sock, side, &p) < 0 || !p.tcph)
		return false;
	return p.tcph->syn && !p.tcph->ack;
}

static void apply_action(mctx_t mctx, int sock, int side, event_t ev,
			 filter_arg_t *arg)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	enum action action = FRA_ACCEPT;
	struct pkt_info p;
	int i, ret = 0, opt;

	(void)ev;
	(void)arg;
	if (mtcp_getlastpkt(mctx, sock, side, &p) < 0 || !p.iph || !p.tcph) {
		perror("simple_firewall: mtcp_getlastpkt");
		return;
	}
	i = lookup(p.iph->saddr, p.iph->daddr, p.tcph->source, p.tcph->dest);
	if (i >= 0) {
		__atomic_add_fetch(&g_rules[i].flows, 1, __ATOMIC_RELAXED);
		action = g_rules[i].action;
	}
	switch (action) {
	case FRA_DROP:
		ret = mtcp_setlastpkt(mctx, sock, side, 0, NULL, 0, MOS_DROP);
		break;
	case FRA_RESET:
		ret = mtcp_reset_conn(mctx, sock);
		break;
	default:
		/* Nothing more to watch on this flow */
		opt = MOS_SIDE_BOTH;
		ret = mtcp_setsockopt(mctx, sock, SOL_MONSOCKET, MOS_STOP_MON,
				      &opt, sizeof(opt));
		break;
	}
	if (i < 0 && !ret)
		return;
	inet_ntop(AF_INET, &p.iph->saddr, src, sizeof(src));
	inet_ntop(AF_INET, &p.iph->daddr, dst, sizeof(dst));
	printf("%s %s:%u > %s:%u (rule %d)%s%s\n", act_verb[action], src,
	       ntohs(p.tcph->source), dst, ntohs(p.tcph->dest), i + 1,
	       ret ? " failed: " : "", ret ? strerror(errno) : "");
}

/* Context 0's timer: the rule table, then the next second */
static void dump_rules(mctx_t mctx, int sock, int side, event_t ev,
		       filter_arg_t *arg)
{
	struct timeval one = { .tv_sec = 1 };
	char a[2][INET_ADDRSTRLEN + 4], addr[INET_ADDRSTRLEN];
	int i, k;

	(void)side;
	(void)ev;
	(void)arg;
	printf("---- firewall rules\nidx   flows   target   client             server             port\n");
	for (i = 0; i < g_nrules; i++) {
		const struct rule *r = &g_rules[i];
		const in_addr_t ip[2] = { r->src, r->dst };
		const int bits[2] = { r->src_bits, r->dst_bits };

		for (k = 0; k < 2; k++) {
			inet_ntop(AF_INET, &ip[k], addr, sizeof(addr));
			if (bits[k] != 32)
				snprintf(a[k], sizeof(a[k]), "%s/%d", addr,
					 bits[k]);
			else
				snprintf(a[k], sizeof(a[k]), "%s", addr);
		}
		printf("%-6d%-8lu%-9s%-19s%-19s", i + 1,
		       __atomic_load_n(&r->flows, __ATOMIC_RELAXED),
		       act_word[r->action], a[0], a[1]);
		if (r->sport)
			printf("sport:%-6u", ntohs(r->sport));
		if (r->dport)
			printf("dport:%-6u", ntohs(r->dport));
		printf("\n");
	}
	printf("----\n");
	if (mtcp_settimer(mctx, sock, &one, dump_rules))
		perror("simple_firewall: mtcp_settimer");
}

static void on_signal(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < g_num_cores; i++)
		if (g_ctx[i].mctx)
			mtcp_destroy_context(g_ctx[i].mctx);
}

static int init_context(struct thread_context *ctx, int core,
			event_t init_syn)
{
	struct timeval one = { .tv_sec = 1 };

	ctx->mctx = mtcp_create_context(core);
	if (!ctx->mctx) {
		perror("simple_firewall: mtcp_create_context");
		return -1;
	}
	ctx->mon_listener = mtcp_socket(ctx->mctx, AF_INET,
					MOS_SOCK_MONITOR_STREAM, 0);
	if (ctx->mon_listener < 0) {
		perror("simple_firewall: mtcp_socket");
		return -1;
	}
	if (mtcp_register_callback(ctx->mctx, ctx->mon_listener, init_syn,
				   MOS_HK_SND, apply_action)) {
		perror("simple_firewall: mtcp_register_callback");
		return -1;
	}
	if (core == 0 && mtcp_settimer(ctx->mctx, ctx->mon_listener, &one,
				       dump_rules)) {
		perror("simple_firewall: mtcp_settimer");
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: simple_firewall [-c MOS_CONFIG] [-f RULES] [-n CORES]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *rules = "config/simple_firewall.conf";
	const char *config = NULL;
	struct mtcp_conf mcfg;
	event_t init_syn;
	int i, opt, ncpus, status = 0;
	char *end;
	long v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = GetNumCPUs();
	if (ncpus < 1)
		ncpus = 1;
	g_num_cores = ncpus < MAX_CORES ? ncpus : MAX_CORES;
	while ((opt = getopt(argc, argv, "c:f:n:h")) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			rules = optarg;
			break;
		case 'n':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > MAX_CORES)
				usage();
			if (v > ncpus) {
				fprintf(stderr,
					"simple_firewall: %d CPU cores available\n",
					ncpus);
				return 2;
			}
			g_num_cores = (int)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (mtcp_init(config)) {
		perror("simple_firewall: mtcp_init");
		return 1;
	}
	mtcp_getconf(&mcfg);
	mcfg.num_cores = g_num_cores;
	if (mtcp_setconf(&mcfg)) {
		perror("simple_firewall: mtcp_setconf");
		return 1;
	}
	if (load_rules(rules))
		return 1;
	init_syn = mtcp_define_event(MOS_ON_PKT_IN, catch_init_syn, NULL);
	if (init_syn == MOS_NULL_EVENT) {
		perror("simple_firewall: mtcp_define_event");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	for (i = 0; i < g_num_cores && !status; i++)
		if (init_context(&g_ctx[i], i, init_syn)) {
			on_signal(0);
			status = 1;
		}
	if (!status)
		fprintf(stderr, "simple_firewall: %d rules, %d contexts, ready\n",
			g_nrules, g_num_cores);

	/* Wait for each context, then close its socket and destroy it */
	for (i = 0; i < g_num_cores; i++) {
		if (!g_ctx[i].mctx)
			continue;
		mtcp_app_join(g_ctx[i].mctx);
		if (g_ctx[i].mon_listener >= 0)
			mtcp_close(g_ctx[i].mctx, g_ctx[i].mon_listener);
		mtcp_destroy_context(g_ctx[i].mctx);
	}
	mtcp_destroy();
	return status;
}
