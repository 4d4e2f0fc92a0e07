// SPDX-License-Identifier: GPL-2.0
/*
 * mosapi_conf.c - an mOS application written only against mOS's headers,
 * one line per callback: what a test compares with mOS's semantics, live
 * and offline
 *
 * Usage: mosapi_conf [-c CORES] [-f CONFIG] [-d inet|inet6|unspec]
 *		      [-e EVENT,...] [-F EXPR] [-p] [-t MS] [-u] [-r] [-z]
 *		      [-s] [-R] [-D]
 *
 * As an mOS application runs: mtcp_init(CONFIG), num_cores CORES (1 by
 * default; 0: GetNumCPUs()), a context per core, each with one monitor stream socket of
 * the domain -d (AF_INET by default), the callbacks registered on each,
 * every context joined in turn, then each socket closed and each context
 * destroyed; SIGINT or SIGTERM destroys every context.
 *
 * -e names the built-in events to register (default
 * CONN_START,CONN_SETUP,NEW_DATA,STATE_CHANGE,REXMIT,TIMEOUT,CONN_END),
 * each at every hook mOS accepts it at: MOS_NULL for all but CONN_START,
 * REXMIT, STATE_CHANGE and CONN_END; MOS_HK_SND and MOS_HK_RCV for all
 * but NEW_DATA, ORPHAN and ERROR.  Each callback prints
 *
 *   C<cpu> EVENT HOOK SIDE FLOW st=CLI/SVR u=UCTX dt=US mts=US [more]
 *
 * HOOK SND, RCV or NULL; SIDE cli or svr; FLOW the client's and the
 * server's address (mtcp_getpeername(MOS_SIDE_BOTH)) as
 * "10.0.0.1:40000>10.0.0.2:80" or "[fd00::1]:40000>[fd00::2]:80"; st the
 * sides' states (MOS_TCP_STATE_CLI/SVR); u "new" at the flow's first
 * callback in its context (mtcp_set_uctx()), then "ok" while
 * mtcp_get_uctx() returns it; dt the microseconds since the flow's first
 * callback (mtcp_cb_get_ts()); mts the flow's last activity
 * (MOS_TIMESTAMP, microseconds) since that callback.  [more] is, for NEW_DATA, "data=N:HASH
 * bi=READ/EXPECTED/RECEIVED frag=N": the bytes mtcp_peek() returned
 * (FNV-1a, 32 bits), "pp=N:HASH" what mtcp_ppeek() reads again at the
 * stream offset those bytes started at, then the side's tcp_buf_info
 * (stream offsets, as mOS gives them) and MOS_FRAGINFO's fragment count; with -p, for
 * every event with a packet, "pkt=ETH/IP/PAYLOAD/OFFSET/FLAGS"
 * (mtcp_getlastpkt(): eth_len, the frame's length in mOS; ip_len;
 * payloadlen; offset; the TCP flags), "pkt=none" without one.  A failed
 * call prints its errno's name in place of the value.
 *
 * -F EXPR: the monitor socket's SYN filter (mtcp_bind_monitor_filter()).
 * -z: at a flow's first callback, MOS_CLIBUF 0 on its socket: no stream
 * buffer, hence no MOS_ON_CONN_NEW_DATA, for its client side.
 * -s: the server side's MOS_ON_CONN_SETUP stops the monitoring of the
 * client side (MOS_STOP_MON, MOS_SIDE_CLI), "stop=RC" on its line.
 * -R: the server side's MOS_ON_CONN_SETUP resets the connection
 * (mtcp_reset_conn()), "reset=0|ERRNO" on its line.
 * -D: the server side's MOS_ON_CONN_SETUP drops the flow's packets
 * (mtcp_setlastpkt(MOS_DROP)), "drop=0|ERRNO" on its line.
 *
 * -t MS: at a flow's first callback, mtcp_settimer(MS ms, id = the flow's
 * socket); the timer prints "C<cpu> TIMER - - FLOW dt=US".
 *
 * -u: user-defined events.  U1 = mtcp_define_event(NEW_DATA, filter,
 * {"u1-arg", 7}), its caller's copy of the argument overwritten after the
 * call; a second definition with the same filter and argument must
 * return U1.  U2 = mtcp_alloc_event(CONN_SETUP).  A callback on U1 at
 * MOS_NULL prints "U1 NULL SIDE FLOW ... ev=U1 arg=ARG" (the event id and
 * argument it got, as the filter got them); the CONN_SETUP callbacks at
 * MOS_HK_RCV raise U2 (mtcp_raise_event(), "raise=RC" on their line), and
 * a callback on U2 at MOS_HK_RCV prints "U2 RCV ...": mOS runs it once the
 * raising callback has returned.  Printed first: "UDE above=yes|no
 * dedup=same|new distinct=yes|no".
 *
 * -r: first, every built-in event at every hook registered on a scratch
 * monitor socket of context 0, one line each: "REG EVENT HOOK ok|ERRNO",
 * then deregistered (a NULL callback): "UNREG EVENT HOOK ok|ERRNO" for
 * those registered; the socket is closed.
 *
 * "mosapi_conf: N contexts, ready" on stderr once every context runs.
 * Output lines are written whole, each by one call: the contexts' threads
 * interleave lines, never bytes.
 */

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mos_api.h>
#include "cpu.h"

#define MAX_CORES	16
#define MAX_FLOWS	4096	/* per context, for the uctx list */
#define LINE_MAX_LEN	1024
#define UCTX_MAGIC	0x6d6f7375U

/* A flow, as the flow's context knows it (its uctx) */
struct flow {
	unsigned int magic;
	int cpu;
	uint32_t t0;
	uint64_t peeked[2];	/* by side: what mtcp_peek() returned */
};

struct core {
	mctx_t mctx;
	int sock;
	struct flow *flows[MAX_FLOWS];	/* to free at the end */
	int nflows;
};

static struct core g_cores[MAX_CORES];
static int g_ncores = 1;
static bool g_pkt;		/* -p */
static bool g_noclibuf;		/* -z */
static bool g_stop;		/* -s */
static bool g_reset;		/* -R */
static bool g_drop;		/* -D */
static long g_timer_ms;		/* -t */
static event_t g_u1, g_u2;	/* -u */

static const struct {
	event_t ev;
	const char *name;
} g_events[] = {
	{ MOS_ON_PKT_IN, "PKT_IN" },
	{ MOS_ON_PKT_OUT, "PKT_OUT" },
	{ MOS_ON_CONN_START, "CONN_START" },
	{ MOS_ON_CONN_SETUP, "CONN_SETUP" },
	{ MOS_ON_CONN_NEW_DATA, "NEW_DATA" },
	{ MOS_ON_ERROR, "ERROR" },
	{ MOS_ON_TIMEOUT, "TIMEOUT" },
	{ MOS_ON_TCP_STATE_CHANGE, "STATE_CHANGE" },
	{ MOS_ON_ORPHAN, "ORPHAN" },
	{ MOS_ON_REXMIT, "REXMIT" },
	{ MOS_ON_CONN_END, "CONN_END" },
	{ MOS_ON_DEBUG_MESSAGE, "DEBUG_MESSAGE" },
};
#define NEVENTS ((int)(sizeof(g_events) / sizeof(g_events[0])))

static const struct {
	int hook;
	const char *name;
} g_hooks[] = {
	{ MOS_NULL, "NULL" }, { MOS_HK_SND, "SND" }, { MOS_HK_RCV, "RCV" },
};

static const char *const g_states[] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT",
};

/* The hook a callback runs at: one callback function per hook */
enum { AT_NULL, AT_SND, AT_RCV };

static const char *errname(int err)
{
	switch (err) {
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENOENT: return "ENOENT";
	case ENODATA: return "ENODATA";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPERM: return "EPERM";
	case ENOTSOCK: return "ENOTSOCK";
	case ENOSPC: return "ENOSPC";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	default: return "E?";
	}
}

static const char *ev_name(event_t ev)
{
	int i;

	if (g_u1 && ev == g_u1)
		return "U1";
	if (g_u2 && ev == g_u2)
		return "U2";
	for (i = 0; i < NEVENTS; i++)
		if (g_events[i].ev == ev)
			return g_events[i].name;
	return "?";
}

/* A line being built, written whole */
struct line {
	char buf[LINE_MAX_LEN];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
}

static void emit(struct line *l)
{
	add(l, "\n");
	fputs(l->buf, stdout);
}

static void add_sa(struct line *l, const struct sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		add(l, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		add(l, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		add(l, "family%d", sa->sa_family);
	}
}

static void add_flow(struct line *l, mctx_t mctx, int sock)
{
	struct sockaddr_in6 sa[2];
	socklen_t len = sizeof(sa);

	memset(sa, 0, sizeof(sa));
	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)sa, &len,
			     MOS_SIDE_BOTH)) {
		add(l, "%s", errname(errno));
		return;
	}
	/* Two addresses of one family, one after the other */
	add_sa(l, (struct sockaddr *)sa);
	add(l, ">");
	add_sa(l, (struct sockaddr *)((char *)sa + len / 2));
}

static void add_state(struct line *l, mctx_t mctx, int sock, int opt)
{
	socklen_t len = sizeof(int);
	int st;

	if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET, opt, &st, &len))
		add(l, "%s", errname(errno));
	else if (st >= 0 && st < (int)(sizeof(g_states) / sizeof(g_states[0])))
		add(l, "%s", g_states[st]);
	else
		add(l, "%d", st);
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261U;

	while (n--) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}

/*
 * NEW_DATA: the bytes peeked, the same read again at their offset, the
 * buffer's offsets, its fragments
 */
static void add_data(struct line *l, mctx_t mctx, int sock, int side,
		     struct flow *f)
{
	static __thread unsigned char buf[1 << 20], again[1 << 20];
	struct tcp_ring_fragment fr[8];
	struct tcp_buf_info bi;
	socklen_t len;
	ssize_t n, m;

	n = mtcp_peek(mctx, sock, side, (char *)buf, sizeof(buf));
	if (n < 0) {
		add(l, " data=%s", errname(errno));
	} else {
		add(l, " data=%zd:%08x", n, fnv1a(buf, (size_t)n));
		m = f ? mtcp_ppeek(mctx, sock, side, (char *)again, (size_t)n,
				   f->peeked[side]) : -1;
		if (m < 0)
			add(l, " pp=%s", f ? errname(errno) : "-");
		else
			add(l, " pp=%zd:%08x", m, fnv1a(again, (size_t)m));
		if (f)
			f->peeked[side] += (uint64_t)n;
	}
	len = sizeof(bi);
	if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET, side == MOS_SIDE_CLI ?
			    MOS_INFO_CLIBUF : MOS_INFO_SVRBUF, &bi, &len))
		add(l, " bi=%s", errname(errno));
	else
		add(l, " bi=%u/%u/%u", bi.tcpbi_last_byte_read,
		    bi.tcpbi_next_byte_expected, bi.tcpbi_last_byte_received);
	len = sizeof(fr);
	if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET, side == MOS_SIDE_CLI ?
			    MOS_FRAGINFO_CLIBUF : MOS_FRAGINFO_SVRBUF, fr, &len))
		add(l, " frag=%s", errname(errno));
	else
		add(l, " frag=%u", (unsigned int)len);
}

static void add_pkt(struct line *l, mctx_t mctx, int sock, int side)
{
	struct pkt_info p;
	const struct tcphdr *t;

	if (mtcp_getlastpkt(mctx, sock, side, &p)) {
		add(l, " pkt=none");
		return;
	}
	t = p.tcph;
	add(l, " pkt=%u/%u/%u/%llu/%s%s%s%s%s", p.eth_len, p.ip_len,
	    p.payloadlen, (unsigned long long)p.offset,
	    t && t->syn ? "S" : "", t && t->fin ? "F" : "",
	    t && t->rst ? "R" : "", t && t->psh ? "P" : "",
	    t && t->ack ? "A" : "");
}

static void on_timer(mctx_t mctx, int sock, int side, event_t ev,
		     filter_arg_t *arg);

/* The flow's uctx, set at its first callback in this context */
static struct flow *flow_of(mctx_t mctx, int sock, const char **u)
{
	struct core *core = &g_cores[mctx->cpu];
	struct flow *f = mtcp_get_uctx(mctx, sock);
	struct timeval tv;

	if (f) {
		*u = f->magic == UCTX_MAGIC && f->cpu == mctx->cpu ? "ok" :
		     "bad";
		return f;
	}
	*u = "new";
	if (core->nflows == MAX_FLOWS)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->magic = UCTX_MAGIC;
	f->cpu = mctx->cpu;
	f->t0 = mtcp_cb_get_ts(mctx);
	core->flows[core->nflows++] = f;
	mtcp_set_uctx(mctx, sock, f);
	if (g_noclibuf) {
		int zero = 0;

		if (mtcp_setsockopt(mctx, sock, SOL_MONSOCKET, MOS_CLIBUF,
				    &zero, sizeof(zero)))
			*u = errname(errno);
	}
	if (g_timer_ms) {
		tv.tv_sec = g_timer_ms / 1000;
		tv.tv_usec = g_timer_ms % 1000 * 1000;
		if (mtcp_settimer(mctx, sock, &tv, on_timer))
			*u = errname(errno);
	}
	return f;
}

/* The fields every callback line starts with; the flow's uctx */
static struct flow *add_common(struct line *l, mctx_t mctx, int sock,
			       int side, event_t ev, int at)
{
	const char *u = "?";
	struct flow *f;
	socklen_t len;
	uint32_t ts;

	add(l, "C%d %s %s %s ", mctx->cpu, ev_name(ev), g_hooks[at].name,
	    side == MOS_SIDE_CLI ? "cli" : side == MOS_SIDE_SVR ? "svr" :
	    "both");
	add_flow(l, mctx, sock);
	add(l, " st=");
	add_state(l, mctx, sock, MOS_TCP_STATE_CLI);
	add(l, "/");
	add_state(l, mctx, sock, MOS_TCP_STATE_SVR);
	f = flow_of(mctx, sock, &u);
	add(l, " u=%s dt=%lld", u,
	    f ? (long long)(int32_t)(mtcp_cb_get_ts(mctx) - f->t0) : -1LL);
	len = sizeof(ts);
	if (mtcp_getsockopt(mctx, sock, SOL_MONSOCKET, MOS_TIMESTAMP, &ts,
			    &len))
		add(l, " mts=%s", errname(errno));
	else
		add(l, " mts=%lld", f ? (long long)(int32_t)(ts - f->t0) : -1LL);
	return f;
}

static void on_event(mctx_t mctx, int sock, int side, event_t ev, int at)
{
	struct line l = { .len = 0 };
	bool svr_setup = ev == MOS_ON_CONN_SETUP && side == MOS_SIDE_SVR;
	struct flow *f;
	int opt;

	f = add_common(&l, mctx, sock, side, ev, at);
	if (ev == MOS_ON_CONN_NEW_DATA)
		add_data(&l, mctx, sock, side, f);
	if (g_pkt)
		add_pkt(&l, mctx, sock, side);
	if (g_u2 && ev == MOS_ON_CONN_SETUP && at == AT_RCV)
		add(&l, " raise=%d", mtcp_raise_event(mctx, g_u2));
	if (g_stop && svr_setup) {
		opt = MOS_SIDE_CLI;
		add(&l, " stop=%s", mtcp_setsockopt(mctx, sock, SOL_MONSOCKET,
						    MOS_STOP_MON, &opt,
						    sizeof(opt)) ?
		    errname(errno) : "0");
	}
	if (g_reset && svr_setup)
		add(&l, " reset=%s", mtcp_reset_conn(mctx, sock) ?
		    errname(errno) : "0");
	if (g_drop && svr_setup)
		add(&l, " drop=%s", mtcp_setlastpkt(mctx, sock, side, 0, NULL, 0,
						    MOS_DROP) ?
		    errname(errno) : "0");
	emit(&l);
}

static void cb_null(mctx_t mctx, int sock, int side, event_t ev,
		    filter_arg_t *arg)
{
	(void)arg;
	on_event(mctx, sock, side, ev, AT_NULL);
}

static void cb_snd(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	(void)arg;
	on_event(mctx, sock, side, ev, AT_SND);
}

static void cb_rcv(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	(void)arg;
	on_event(mctx, sock, side, ev, AT_RCV);
}

static void add_arg(struct line *l, event_t ev, const filter_arg_t *arg)
{
	add(l, " ev=%s arg=", ev_name(ev));
	if (!arg || !arg->arg)
		add(l, "NULL");
	else
		add(l, "%.*s", (int)strnlen(arg->arg, arg->len), (char *)arg->arg);
}

static bool u1_filter(mctx_t mctx, int sock, int side, event_t ev,
		      filter_arg_t *arg)
{
	(void)mctx;
	(void)sock;
	(void)side;
	/* Its callback says what the filter got, which must be the same */
	return ev == g_u1 && arg && arg->arg && arg->len == 7 &&
	       !memcmp(arg->arg, "u1-arg", 7);
}

/* U1 (at MOS_NULL) and U2 (at MOS_HK_RCV) */
static void cb_ude(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	struct line l = { .len = 0 };

	add_common(&l, mctx, sock, side, ev, ev == g_u1 ? AT_NULL : AT_RCV);
	add_arg(&l, ev, arg);
	emit(&l);
}

static void on_timer(mctx_t mctx, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	struct line l = { .len = 0 };
	struct flow *f = mtcp_get_uctx(mctx, sock);

	(void)side;
	(void)ev;
	(void)arg;
	add(&l, "C%d TIMER - - ", mctx->cpu);
	add_flow(&l, mctx, sock);
	if (f && f->magic == UCTX_MAGIC)
		add(&l, " dt=%lld",
		    (long long)(int32_t)(mtcp_cb_get_ts(mctx) - f->t0));
	emit(&l);
}

static void on_signal(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < g_ncores; i++)
		if (g_cores[i].mctx)
			mtcp_destroy_context(g_cores[i].mctx);
}

/* mOS's event/hook pairs: no side at MOS_NULL, no side-less event at a side's */
static bool hook_ok(event_t ev, int hook)
{
	if (hook == MOS_NULL)
		return !(ev & (MOS_ON_CONN_START | MOS_ON_REXMIT |
			       MOS_ON_TCP_STATE_CHANGE | MOS_ON_CONN_END));
	return !(ev & (MOS_ON_CONN_NEW_DATA | MOS_ON_ORPHAN | MOS_ON_ERROR));
}

static callback_t cb_at(int hook)
{
	return hook == MOS_NULL ? cb_null : hook == MOS_HK_SND ? cb_snd :
	       cb_rcv;
}

/* -r: what registration takes, then what deregistration does */
static int check_registration(mctx_t mctx, int domain)
{
	bool reg[NEVENTS][3];
	int sock, e, h;

	sock = mtcp_socket(mctx, domain, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0) {
		perror("mosapi_conf: mtcp_socket");
		return -1;
	}
	for (e = 0; e < NEVENTS; e++)
		for (h = 0; h < 3; h++) {
			reg[e][h] = !mtcp_register_callback(mctx, sock,
					g_events[e].ev, g_hooks[h].hook,
					cb_at(g_hooks[h].hook));
			printf("REG %s %s %s\n", g_events[e].name,
			       g_hooks[h].name, reg[e][h] ? "ok" :
			       errname(errno));
		}
	for (e = 0; e < NEVENTS; e++)
		for (h = 0; h < 3; h++)
			if (reg[e][h])
				printf("UNREG %s %s %s\n", g_events[e].name,
				       g_hooks[h].name,
				       mtcp_register_callback(mctx, sock,
						g_events[e].ev,
						g_hooks[h].hook, NULL) ?
				       errname(errno) : "ok");
	if (mtcp_close(mctx, sock))
		perror("mosapi_conf: mtcp_close");
	return 0;
}

/* -u: the user-defined events, defined once for every context */
static int define_udes(void)
{
	char argbuf[8];
	struct filter_arg arg = { .arg = argbuf, .len = 7 };
	event_t again, u3;

	memcpy(argbuf, "u1-arg", 7);
	g_u1 = mtcp_define_event(MOS_ON_CONN_NEW_DATA, u1_filter, &arg);
	/* mOS copies the argument: the caller may reuse its buffer */
	memcpy(argbuf, "u1-arg", 7);
	again = mtcp_define_event(MOS_ON_CONN_NEW_DATA, u1_filter, &arg);
	memcpy(argbuf, "XXXXXXX", 7);
	g_u2 = mtcp_alloc_event(MOS_ON_CONN_SETUP);
	u3 = mtcp_alloc_event(MOS_ON_CONN_SETUP);
	if (g_u1 == MOS_NULL_EVENT || g_u2 == MOS_NULL_EVENT ||
	    u3 == MOS_NULL_EVENT) {
		perror("mosapi_conf: user-defined events");
		return -1;
	}
	printf("UDE above=%s dedup=%s distinct=%s\n",
	       g_u1 > MOS_ON_DEBUG_MESSAGE && g_u2 > MOS_ON_DEBUG_MESSAGE &&
	       u3 > MOS_ON_DEBUG_MESSAGE ? "yes" : "no",
	       again == g_u1 ? "same" : "new",
	       g_u1 != g_u2 && g_u2 != u3 && g_u1 != u3 ? "yes" : "no");
	return 0;
}

static event_t event_by_name(const char *s)
{
	int i;

	for (i = 0; i < NEVENTS; i++)
		if (!strcmp(s, g_events[i].name))
			return g_events[i].ev;
	return MOS_NULL_EVENT;
}

static int init_context(struct core *core, int cpu, int domain,
			event_t events, char *syn_filter)
{
	union monitor_filter ft;
	int e, h;

	core->mctx = mtcp_create_context(cpu);
	if (!core->mctx) {
		perror("mosapi_conf: mtcp_create_context");
		return -1;
	}
	core->sock = mtcp_socket(core->mctx, domain, MOS_SOCK_MONITOR_STREAM,
				 0);
	if (core->sock < 0) {
		perror("mosapi_conf: mtcp_socket");
		return -1;
	}
	if (syn_filter) {
		memset(&ft, 0, sizeof(ft));
		ft.stream_syn_filter = syn_filter;
		if (mtcp_bind_monitor_filter(core->mctx, core->sock, &ft)) {
			perror("mosapi_conf: mtcp_bind_monitor_filter");
			return -1;
		}
	}
	for (e = 0; e < NEVENTS; e++) {
		if (!(events & g_events[e].ev))
			continue;
		for (h = 0; h < 3; h++)
			if (hook_ok(g_events[e].ev, g_hooks[h].hook) &&
			    mtcp_register_callback(core->mctx, core->sock,
						   g_events[e].ev,
						   g_hooks[h].hook,
						   cb_at(g_hooks[h].hook))) {
				fprintf(stderr, "mosapi_conf: %s at %s: %s\n",
					g_events[e].name, g_hooks[h].name,
					strerror(errno));
				return -1;
			}
	}
	if (g_u1 && (mtcp_register_callback(core->mctx, core->sock, g_u1,
					    MOS_NULL, cb_ude) ||
		     mtcp_register_callback(core->mctx, core->sock, g_u2,
					    MOS_HK_RCV, cb_ude))) {
		perror("mosapi_conf: callbacks of the user-defined events");
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mosapi_conf [-c CORES] [-f CONFIG] [-d inet|inet6|unspec]\n"
		"                   [-e EVENT,...] [-F EXPR] [-p] [-t MS] [-u] [-r] [-z]\n"
		"                   [-s] [-R] [-D]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	event_t events = MOS_ON_CONN_START | MOS_ON_CONN_SETUP |
			 MOS_ON_CONN_NEW_DATA | MOS_ON_TCP_STATE_CHANGE |
			 MOS_ON_REXMIT | MOS_ON_TIMEOUT | MOS_ON_CONN_END;
	const char *config = NULL;
	char *syn_filter = NULL;
	bool ude = false, regs = false;
	int domain = AF_INET, opt, i, status = 0;
	struct mtcp_conf mcfg;
	char *tok, *save, *end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "c:f:d:e:F:pt:urzsRDh")) != -1) {
		switch (opt) {
		case 'c':
			g_ncores = (int)strtol(optarg, &end, 10);
			if (!*end && !g_ncores)
				g_ncores = GetNumCPUs();
			if (*end || g_ncores < 1 || g_ncores > MAX_CORES)
				usage();
			break;
		case 'F':
			syn_filter = optarg;
			break;
		case 'z':
			g_noclibuf = true;
			break;
		case 's':
			g_stop = true;
			break;
		case 'R':
			g_reset = true;
			break;
		case 'D':
			g_drop = true;
			break;
		case 'f':
			config = optarg;
			break;
		case 'd':
			if (!strcmp(optarg, "inet"))
				domain = AF_INET;
			else if (!strcmp(optarg, "inet6"))
				domain = AF_INET6;
			else if (!strcmp(optarg, "unspec"))
				domain = AF_UNSPEC;
			else
				usage();
			break;
		case 'e':
			events = 0;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				event_t ev = event_by_name(tok);

				if (!ev)
					usage();
				events |= ev;
			}
			break;
		case 'p':
			g_pkt = true;
			break;
		case 't':
			g_timer_ms = strtol(optarg, &end, 10);
			if (*end || g_timer_ms < 1)
				usage();
			break;
		case 'u':
			ude = true;
			break;
		case 'r':
			regs = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (mtcp_init(config)) {
		perror("mosapi_conf: mtcp_init");
		return 1;
	}
	mtcp_getconf(&mcfg);
	mcfg.num_cores = g_ncores;
	if (mtcp_setconf(&mcfg)) {
		perror("mosapi_conf: mtcp_setconf");
		return 1;
	}
	if (ude && define_udes())
		return 1;
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	for (i = 0; i < g_ncores && !status; i++) {
		status = init_context(&g_cores[i], i, domain, events,
				      syn_filter);
		if (!status && !i && regs)
			status = check_registration(g_cores[0].mctx, domain);
	}
	if (status)
		on_signal(0);
	else
		fprintf(stderr, "mosapi_conf: %d contexts, ready\n", g_ncores);

	for (i = 0; i < g_ncores; i++) {
		struct core *core = &g_cores[i];

		if (!core->mctx)
			continue;
		mtcp_app_join(core->mctx);
		if (core->sock >= 0 && mtcp_close(core->mctx, core->sock))
			perror("mosapi_conf: mtcp_close");
		mtcp_destroy_context(core->mctx);
	}
	mtcp_destroy();
	for (i = 0; i < g_ncores; i++)
		while (g_cores[i].nflows)
			free(g_cores[i].flows[--g_cores[i].nflows]);
	return status ? 1 : 0;
}
