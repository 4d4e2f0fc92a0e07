// SPDX-License-Identifier: GPL-2.0
/*
 * evtrace.c - every built-in event of every flow, one line each, through
 * the mOS API: the VM tests compare these lines with the sequences the
 * scripted connections of events.sh must produce
 *
 * Usage: evtrace [-d DIR [-c]] [-o first|last|linux] [-f first|last|linux] [-F EXPR]
 *	  [-s N/I]
 *
 * Each flow is named by its server's port; each line is
 *
 *	PORT HOOK SIDE EVENT[:ARG]
 *
 * HOOK is SND, RCV or NULL; SIDE cli or svr; ARG the new TCP state of a
 * STATE_CHANGE, the byte count of a NEW_DATA, and the TCP flags and
 * payload bytes of a PKT_IN's packet (mtcp_getlastpkt()), as "SA/0".  An orphan packet is
 * "PORT HOOK SIDE ORPHAN:FLAGS" with PORT its destination port.  With -d,
 * the bytes each side receives are appended to DIR/PORT.cli and
 * DIR/PORT.svr (a side's buffer holds what that side receives).
 *
 * After each NEW_DATA, MOS_INFO_*BUF and MOS_FRAGINFO_*BUF are checked
 * against the ISN of the SYN its sender sent and the bytes peeked: a
 * mismatch prints "PORT NULL SIDE INFO:bad:WHAT"; at its CONN_END at hook
 * RCV each side prints "PORT NULL SIDE INFO:N", the checks it passed.  Ends on SIGINT
 * or SIGTERM; "evtrace: ready" on stderr once monitoring.
 *
 * With -c, the files are DIR/CPORT-PORT.cli and .svr, CPORT the
 * client's port, and the lines of a flow's events begin with CPORT-PORT
 * instead of PORT (flows to one server port told apart).
 *
 * -o sets the overlap policy of the monitor socket's flows
 * (MOS_CLIOVERLAP and MOS_SVROVERLAP on the stream socket); -f sets it
 * on each flow at its first event, printing "PORT NULL cli OVERLAP:POLICY";
 * -F is the stream socket's SYN filter (mtcp_bind_monitor_filter()).
 * -s N/I runs as the context of core I of N (num_cores N): it gets the
 * flows of its share.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mos_api.h"
#include "tm_names.h"	/* mOS numbers its states as the core does */

static mctx_t g_mctx;
static const char *g_dir;
static int g_flow_overlap = -1;	/* -f */
static int g_cport;			/* -c */

static const char *const overlap_names[] = { "first", "last", "linux" };

static int overlap_parse(const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(s, overlap_names[i]))
			return i;
	return -1;
}

/* Both sides' overlap policy on @sock; 0 or -1 */
static int set_overlap(mctx_t mctx, int sock, int policy)
{
	if (mtcp_setsockopt(mctx, sock, SOL_MONSOCKET, MOS_CLIOVERLAP,
			    &policy, sizeof(policy)) ||
	    mtcp_setsockopt(mctx, sock, SOL_MONSOCKET, MOS_SVROVERLAP,
			    &policy, sizeof(policy)))
		return -1;
	return 0;
}

/* A flow, as evtrace follows it */
struct fstate {
	uint32_t isn[2];	/* of the SYN each side sent */
	unsigned int have_isn;	/* bit per side */
	uint64_t got[2];	/* bytes each side received */
	unsigned long checks[2];
	int ends;
	struct fstate *prev, *next;	/* in g_flows */
};

/*
 * Every flow's state until its last CONN_END, so that those of the flows
 * still open when evtrace is stopped are freed too; only the context's
 * thread touches it until mtcp_app_join() returns
 */
static struct fstate *g_flows;

static struct fstate *fstate_of(mctx_t mctx, int sock)
{
	struct fstate *st = mtcp_get_uctx(mctx, sock);

	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return NULL;
		st->next = g_flows;
		if (g_flows)
			g_flows->prev = st;
		g_flows = st;
		mtcp_set_uctx(mctx, sock, st);
	}
	return st;
}

static void fstate_free(struct fstate *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		g_flows = st->next;
	if (st->next)
		st->next->prev = st->prev;
	free(st);
}

/*
 * MOS_INFO and MOS_FRAGINFO of the side that just took @st->got bytes,
 * all peeked, as mOS defines them: its stream starts after the ISN of
 * its peer's SYN; read and expected bytes are stream offsets, and the
 * buffer holds one fragment, which ends there
 */
static void check_info(mctx_t mctx, int sock, int side, struct fstate *st,
		       const char *key)
{
	const char *sname = side == MOS_SIDE_CLI ? "cli" : "svr";
	struct tcp_ring_fragment fr[2];
	struct tcp_buf_info bi;
	socklen_t len = sizeof(bi);
	const char *bad = NULL;

	if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET, side == MOS_SIDE_CLI ?
			    MOS_INFO_CLIBUF : MOS_INFO_SVRBUF, &bi, &len))
		bad = "getsockopt";
	else if ((st->have_isn & (1 << !side)) &&
		 bi.tcpbi_init_seq != st->isn[!side] + 1)
		bad = "init_seq";
	else if (bi.tcpbi_next_byte_expected != (uint32_t)st->got[side])
		bad = "next_byte_expected";
	else if (bi.tcpbi_last_byte_read != bi.tcpbi_next_byte_expected)
		bad = "last_byte_read";
	if (!bad) {
		len = sizeof(fr);
		if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET,
				    side == MOS_SIDE_CLI ? MOS_FRAGINFO_CLIBUF :
				    MOS_FRAGINFO_SVRBUF, fr, &len))
			bad = "fraginfo";
		else if (len != 1 || fr[0].offset + fr[0].len != st->got[side] ||
			 fr[1].offset || fr[1].len)
			bad = "fragment";
	}
	if (bad)
		printf("%s NULL %s INFO:bad:%s\n", key, sname, bad);
	else
		st->checks[side]++;
}

static const struct {
	event_t ev;
	const char *name;
} events[] = {
	{ MOS_ON_PKT_IN, "PKT_IN" },
	{ MOS_ON_CONN_START, "CONN_START" },
	{ MOS_ON_CONN_SETUP, "CONN_SETUP" },
	{ MOS_ON_CONN_NEW_DATA, "NEW_DATA" },
	{ MOS_ON_TCP_STATE_CHANGE, "STATE_CHANGE" },
	{ MOS_ON_REXMIT, "REXMIT" },
	{ MOS_ON_CONN_END, "CONN_END" },
	{ MOS_ON_ORPHAN, "ORPHAN" },
	{ MOS_ON_TIMEOUT, "TIMEOUT" },
	{ MOS_ON_ERROR, "ERROR" },
};

static const struct {
	int hook;
	const char *name;
} hooks[] = {
	{ MOS_HK_SND, "SND" },
	{ MOS_HK_RCV, "RCV" },
	{ MOS_NULL, "NULL" },
};

static const char *event_name(event_t ev)
{
	size_t i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].ev == ev)
			return events[i].name;
	return "?";
}

/* The port of @side (MOS_SIDE_CLI, MOS_SIDE_SVR) of @sock's flow, or -1 */
static int side_port(mctx_t mctx, int sock, int side)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);

	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)&sa, &len, side))
		return -1;
	if (sa.sin6_family == AF_INET6)
		return ntohs(sa.sin6_port);
	return ntohs(((struct sockaddr_in *)&sa)->sin_port);
}

/*
 * Append what @side received to DIR/KEY.SIDE, @key the flow's name in
 * the lines (PORT, or CPORT-PORT with -c); the byte count
 */
static long take_data(mctx_t mctx, int sock, int side, const char *key)
{
	char buf[65536], path[4096];
	long total = 0;
	FILE *f = NULL;
	ssize_t n;

	if (g_dir) {
		snprintf(path, sizeof(path), "%s/%s.%s", g_dir, key,
			 side == MOS_SIDE_CLI ? "cli" : "svr");
		f = fopen(path, "a");
	}
	for (;;) {
		n = mtcp_peek(mctx, sock, side, buf, sizeof(buf));
		if (n > 0) {
			total += n;
			if (f && fwrite(buf, 1, n, f) != (size_t)n)
				fprintf(stderr, "evtrace: %s: write failed\n", path);
		} else if (n < 0 && errno == ENODATA) {
			/* bytes missed: says so rather than counting them */
			printf("%s NULL %s MISSED:%ld\n", key,
			       side == MOS_SIDE_CLI ? "cli" : "svr", (long)-n);
		} else {
			break;
		}
	}
	if (f)
		fclose(f);
	return total;
}

static void flags_str(const struct tcphdr *th, char *out)
{
	char *p = out;

	if (th->syn)
		*p++ = 'S';
	if (th->fin)
		*p++ = 'F';
	if (th->rst)
		*p++ = 'R';
	if (th->psh)
		*p++ = 'P';
	if (th->ack)
		*p++ = 'A';
	*p = '\0';
}

static void on_event(mctx_t mctx, int sock, int side, event_t ev,
		     filter_arg_t *arg, const char *hook)
{
	const char *sname = side == MOS_SIDE_CLI ? "cli" : "svr";
	struct fstate *st;
	struct pkt_info p;
	char flags[8];
	socklen_t len;
	char key[32];
	int port, state;

	(void)arg;
	if (ev == MOS_ON_ORPHAN) {
		if (mtcp_getlastpkt(mctx, sock, side, &p) || !p.tcph) {
			printf("? %s %s ORPHAN\n", hook, sname);
			return;
		}
		flags_str(p.tcph, flags);
		printf("%u %s %s ORPHAN:%s\n", ntohs(p.tcph->dest), hook,
		       sname, flags);
		return;
	}
	port = side_port(mctx, sock, MOS_SIDE_SVR);
	if (g_cport)
		snprintf(key, sizeof(key), "%d-%d",
			 side_port(mctx, sock, MOS_SIDE_CLI), port);
	else
		snprintf(key, sizeof(key), "%d", port);
	if (g_flow_overlap >= 0 && !mtcp_get_uctx(mctx, sock)) {
		if (set_overlap(mctx, sock, g_flow_overlap))
			printf("%s NULL cli OVERLAP:error:%s\n", key,
			       strerror(errno));
		else
			printf("%s NULL cli OVERLAP:%s\n", key,
			       overlap_names[g_flow_overlap]);
	}
	st = fstate_of(mctx, sock);
	if (ev == MOS_ON_PKT_IN) {
		if (mtcp_getlastpkt(mctx, sock, side, &p) || !p.tcph) {
			printf("%s %s %s PKT_IN:?\n", key, hook, sname);
			return;
		}
		/*
		 * At SND, side sent it; the first SYN only (a later one, out
		 * of the window, does not move the stream)
		 */
		if (st && p.tcph->syn && !strcmp(hook, "SND") &&
		    !(st->have_isn & (1 << side))) {
			st->isn[side] = p.seq;
			st->have_isn |= 1 << side;
		}
		flags_str(p.tcph, flags);
		printf("%s %s %s PKT_IN:%s/%u\n", key, hook, sname, flags,
		       p.payloadlen);
		return;
	}
	if (ev == MOS_ON_TCP_STATE_CHANGE) {
		len = sizeof(state);
		if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET,
				    side == MOS_SIDE_CLI ? MOS_TCP_STATE_CLI :
				    MOS_TCP_STATE_SVR, &state, &len) ||
		    state < 0 || state > TCP_TIME_WAIT)
			printf("%s %s %s STATE_CHANGE:?\n", key, hook, sname);
		else
			printf("%s %s %s STATE_CHANGE:%s\n", key, hook, sname,
			       mos_tm_state_name(state));
		return;
	}
	if (ev == MOS_ON_CONN_NEW_DATA) {
		long n = take_data(mctx, sock, side, key);

		printf("%s %s %s NEW_DATA:%ld\n", key, hook, sname, n);
		if (st) {
			st->got[side] += n;
			check_info(mctx, sock, side, st, key);
		}
		return;
	}
	printf("%s %s %s %s\n", key, hook, sname, event_name(ev));
	/* A flow ends with CONN_END at both hooks for each side (mOS) */
	if (ev == MOS_ON_CONN_END && st) {
		if (!strcmp(hook, "RCV"))
			printf("%s NULL %s INFO:%lu\n", key, sname,
			       st->checks[side]);
		if (++st->ends == 4) {
			fstate_free(st);
			mtcp_set_uctx(mctx, sock, NULL);
		}
	}
}

static void on_snd(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	on_event(mctx, sock, side, ev, arg, "SND");
}

static void on_rcv(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	on_event(mctx, sock, side, ev, arg, "RCV");
}

static void on_null(mctx_t mctx, int sock, int side, event_t ev,
		    filter_arg_t *arg)
{
	on_event(mctx, sock, side, ev, arg, "NULL");
}

static void on_signal(int sig)
{
	(void)sig;
	mtcp_destroy_context(g_mctx);
}

int main(int argc, char **argv)
{
	static const callback_t cbs[] = { on_snd, on_rcv, on_null };
	const char *syn_filter = NULL;
	struct mtcp_conf conf;
	int sock, n = 0, opt, sock_overlap = -1, cores = 1, core = 0;
	size_t e, h;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "cd:o:f:F:s:")) != -1) {
		switch (opt) {
		case 'c':
			g_cport = 1;
			break;
		case 'd':
			g_dir = optarg;
			break;
		case 'o':
			sock_overlap = overlap_parse(optarg);
			if (sock_overlap < 0)
				goto usage;
			break;
		case 'f':
			g_flow_overlap = overlap_parse(optarg);
			if (g_flow_overlap < 0)
				goto usage;
			break;
		case 'F':
			syn_filter = optarg;
			break;
		case 's':
			if (sscanf(optarg, "%d/%d", &cores, &core) != 2 ||
			    cores < 1 || core < 0 || core >= cores)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (mtcp_init(NULL)) {
		fprintf(stderr, "evtrace: mtcp_init: %s%s%s\n", strerror(errno),
			*mtcp_errmsg(NULL) ? ": " : "", mtcp_errmsg(NULL));
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = cores;
	mtcp_setconf(&conf);
	g_mctx = mtcp_create_context(core);
	if (!g_mctx) {
		/* Offline or live capture: mtcp_errmsg(NULL) says why */
		fprintf(stderr, "evtrace: mtcp_create_context: %s%s%s\n",
			strerror(errno), *mtcp_errmsg(NULL) ? ": " : "",
			mtcp_errmsg(NULL));
		return 1;
	}
	sock = mtcp_socket(g_mctx, AF_UNSPEC, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0) {
		perror("evtrace: mtcp_socket");
		return 1;
	}
	if (sock_overlap >= 0 && set_overlap(g_mctx, sock, sock_overlap)) {
		perror("evtrace: MOS_CLIOVERLAP");
		return 1;
	}
	if (syn_filter) {
		union monitor_filter ft = { .stream_syn_filter = (char *)syn_filter };

		if (mtcp_bind_monitor_filter(g_mctx, sock, &ft)) {
			fprintf(stderr, "evtrace: filter: %s\n",
				mtcp_errmsg(g_mctx));
			return 1;
		}
	}
	/* Every event at every hook that takes it */
	for (e = 0; e < sizeof(events) / sizeof(events[0]); e++)
		for (h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++)
			if (!mtcp_register_callback(g_mctx, sock, events[e].ev,
						    hooks[h].hook, cbs[h]))
				n++;
	if (!n) {
		perror("evtrace: mtcp_register_callback");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "evtrace: ready\n");
	mtcp_app_join(g_mctx);
	mtcp_destroy();
	while (g_flows)
		fstate_free(g_flows);
	return 0;
usage:
	fprintf(stderr,
		"usage: evtrace [-d DIR [-c]] [-o first|last|linux] [-f first|last|linux] [-F EXPR] [-s N/I]\n");
	return 2;
}
