// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * mtcp.c - the mOS API (mos_api.h, mtcp_api.h) over a /dev/mos ring
 *
 * A context is one consumer: an open /dev/mos with its ring.  Monitor
 * sockets are the kernel's; callbacks are registered per socket, event
 * and hook, and the kernel is asked for exactly the events that have a
 * callback.  mtcp_app_join() reads the ring and runs the callbacks:
 *
 * - FLOW_OPEN gives a flow a per-flow socket id below max_concurrency
 *   (the id callbacks get as sock) and a stream buffer per side;
 * - DATA appends to the receiving side's buffer (mtcp_peek());
 * - EVENT runs the callback, with the record's packet as the last packet
 *   (mtcp_getlastpkt()) and both sides' states as of the event;
 * - FLOW_CLOSE frees the flow and its id;
 * - LOST is counted in the context; the stream offsets of the DATA
 *   records that follow make mtcp_peek() report the bytes missed.
 *
 * Offline (MOS_PCAP, or pcap_file in the configuration file), a context
 * reads no /dev/mos: offline.c makes the same records from a capture, and
 * the clock (ctx_now()) is the capture's.
 *
 * Not thread-safe: a context is used by one thread at a time (mOS's model:
 * one thread per context); mtcp_destroy_context() may be called from a
 * signal handler while mtcp_app_join() runs, and then only asks it to
 * return.
 */

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include "libmosuser.h"
#include "mos_api.h"

#define MTCP_DEF_CORES		1
#define MTCP_DEF_CONCURRENCY	65536
#define MTCP_DEF_RCVBUF		65536
#define MTCP_RING_SIZE		(4U << 20)
/* Monitor socket ids follow the per-flow ids */
#define MTCP_NBUILTIN		11
/* Event bits: the built-in events, then user-defined ones */
#define MTCP_NEVENTS		64
/* UDEs raised inside one another at most (a chain of filters) */
#define MTCP_UDE_DEPTH		16
/* Pending timers per context at most */
#define MTCP_TIMERS_MAX		65536

/*
 * A user-defined event: raised when its base event is and its filter says
 * so (mtcp_define_event()), or only by mtcp_raise_event() (no filter,
 * mtcp_alloc_event()).  @root is the built-in event at the bottom of the
 * chain: the one the kernel must be asked for.
 */
struct mtcp_ude {
	int base;		/* event bit */
	int root;		/* built-in event bit */
	filter_t filter;
	struct filter_arg arg;
	bool has_arg;
};

static struct mtcp_ude g_ude[MTCP_NEVENTS];
static int g_nude = MTCP_NBUILTIN;	/* next free bit */

static struct mtcp_conf g_conf = {
	.num_cores = MTCP_DEF_CORES,
	.max_concurrency = MTCP_DEF_CONCURRENCY,
	.rcvbuf_size = MTCP_DEF_RCVBUF,
};
static bool g_init;
/* Offline: the capture, and its checksum mode (the configuration file's) */
static char g_pcap_file[4096];
static char g_pcap_csum[16];

/* A side's stream buffer: the last rcvbuf_size bytes it received */
struct mtcp_sbuf {
	uint8_t *data;
	uint64_t head;		/* stream offset after the last byte */
	uint64_t valid;		/* first offset still held */
	uint64_t read;		/* where mtcp_peek() goes on */
};

struct mtcp_flow {
	uint64_t id;
	int sock;
	bool dead;		/* stopped inside a callback: freed after it */
	struct mos_rec_flow addr;
	uint8_t state[2];
	uint8_t seq0_known;	/* bit per side: seq0[side] is set */
	uint32_t seq0[2];	/* sequence number of each stream's offset 0 */
	uint64_t last_ts_ns;
	void *uctx;
	struct mtcp_sbuf buf[2];
	struct mtcp_flow *hnext;
};

/* A one-shot timer of mtcp_settimer(), in a list by expiry */
struct mtcp_timer {
	uint64_t expires_ns;
	int id;
	callback_t cb;
	struct mtcp_timer *next;
};

struct mtcp_msock {
	int used;
	int raw;
	uint32_t kid;			/* the kernel's socket id */
	int buf[2];			/* stream bytes wanted per side */
	int overlap[2];			/* policy for its new flows; -1: none */
	unsigned int filtered;		/* filters set, bit MOS_FILTER_* */
	callback_t cb[MOS_HOOKS][MTCP_NEVENTS];
};

struct mtcp_ctx {
	struct mtcp_context pub;
	int fd, efd;
	struct mos_offline *off;	/* offline: the capture, no fd */
	struct mos_ring_user ring;
	int conc, rcvbuf;
	struct mtcp_flow **hash;
	uint32_t hmask;
	struct mtcp_flow **bysock;	/* per-flow socket id -> flow */
	int next_sock;			/* where the next id search starts */
	int nmsock;
	struct mtcp_msock msock[MOS_SOCKS_MAX];
	/* the event being dispatched */
	const struct mos_rec_event *cur;
	struct mtcp_flow *cur_flow;
	struct mtcp_msock *cur_msock;
	int cur_sock, cur_depth;
	uint8_t pkt[2048];
	struct mtcp_timer *timers;	/* soonest first */
	int ntimers;
	volatile sig_atomic_t stop, joining, destroyed;
	uint64_t lost_events, lost_bytes, flows_over;
	char errmsg[256];		/* mtcp_errmsg() */
};

static struct mtcp_ctx *ctx_of(mctx_t m)
{
	return (struct mtcp_ctx *)m;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* --- configuration ----------------------------------------------------- */

static int conf_line(char *line)
{
	char key[64], str[4096];
	long v;

	/* pcap_file = PATH, pcap_checksum = MODE: the rest of the line */
	if (sscanf(line, " %63[A-Za-z_] = %4095[^\r\n]", key, str) == 2 &&
	    (!strcmp(key, "pcap_file") || !strcmp(key, "pcap_checksum"))) {
		size_t n = strlen(str);

		while (n && (str[n - 1] == ' ' || str[n - 1] == '\t'))
			str[--n] = '\0';
		if (!strcmp(key, "pcap_file"))
			snprintf(g_pcap_file, sizeof(g_pcap_file), "%s", str);
		else
			snprintf(g_pcap_csum, sizeof(g_pcap_csum), "%s", str);
		return 0;
	}
	if (sscanf(line, " %63[A-Za-z_] = %ld", key, &v) != 2)
		return 0;	/* comments, sections, other keys: not ours */
	if (!strcmp(key, "num_cores"))
		g_conf.num_cores = v;
	else if (!strcmp(key, "max_concurrency"))
		g_conf.max_concurrency = v;
	else if (!strcmp(key, "rcvbuf"))
		g_conf.rcvbuf_size = v;
	return 0;
}

int mtcp_init(const char *config_file)
{
	char line[512];
	FILE *f;

	if (config_file) {
		f = fopen(config_file, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			conf_line(line);
		fclose(f);
	}
	if (g_conf.num_cores < 1 || g_conf.max_concurrency < 1 ||
	    g_conf.rcvbuf_size < 0)
		return fail(EINVAL);
	g_init = true;
	return 0;
}

int mtcp_destroy(void)
{
	g_init = false;
	return 0;
}

int mtcp_getconf(struct mtcp_conf *conf)
{
	if (!conf)
		return fail(EINVAL);
	*conf = g_conf;
	return 0;
}

int mtcp_setconf(const struct mtcp_conf *conf)
{
	if (!conf || conf->num_cores < 1 || conf->max_concurrency < 1 ||
	    conf->rcvbuf_size < 0)
		return fail(EINVAL);
	g_conf.num_cores = conf->num_cores;
	g_conf.max_concurrency = conf->max_concurrency;
	g_conf.rcvbuf_size = conf->rcvbuf_size;
	return 0;
}

int mtcp_core_affinitize(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return fail(EINVAL);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : 0;
}

mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler)
{
	struct sigaction sa = { .sa_handler = handler }, old;

	sigemptyset(&sa.sa_mask);
	if (sigaction(signum, &sa, &old))
		return SIG_ERR;
	return old.sa_handler;
}

/* --- contexts ---------------------------------------------------------- */

static void ctx_free(struct mtcp_ctx *c)
{
	uint32_t i;

	if (c->hash) {
		for (i = 0; i <= c->hmask; i++) {
			struct mtcp_flow *f = c->hash[i], *n;

			for (; f; f = n) {
				n = f->hnext;
				free(f->buf[0].data);
				free(f->buf[1].data);
				free(f);
			}
		}
	}
	while (c->timers) {
		struct mtcp_timer *t = c->timers;

		c->timers = t->next;
		free(t);
	}
	free(c->hash);
	free(c->bysock);
	if (c->off) {
		/* Not a mapping: the backend's memory */
		memset(&c->ring, 0, sizeof(c->ring));
		mos_offline__close(c->off);
	}
	mos_ring__close(&c->ring);
	if (c->fd >= 0)
		close(c->fd);
	if (c->efd >= 0)
		close(c->efd);
	free(c);
}

mctx_t mtcp_create_context(int cpu)
{
	const char *pcap = getenv("MOS_PCAP"), *csum;
	struct mtcp_ctx *c;
	uint32_t n;
	int err;

	if (!g_init) {
		errno = EINVAL;	/* mtcp_init() first */
		return NULL;
	}
	if (cpu < 0 || cpu >= g_conf.num_cores) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pub.cpu = cpu;
	c->fd = -1;
	c->conc = g_conf.max_concurrency;
	c->rcvbuf = g_conf.rcvbuf_size;
	for (n = 1024; n < (uint32_t)c->conc && n < (1U << 20); n <<= 1)
		;
	c->hmask = n - 1;
	c->hash = calloc(n, sizeof(*c->hash));
	c->bysock = calloc(c->conc, sizeof(*c->bysock));
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!c->hash || !c->bysock || c->efd < 0) {
		err = errno ? errno : ENOMEM;
		goto err;
	}
	if (!pcap || !*pcap)
		pcap = g_pcap_file[0] ? g_pcap_file : NULL;
	if (pcap) {
		/* Offline: why it failed is in mos_offline__error(NULL) */
		csum = getenv("MOS_PCAP_CHECKSUM");
		if (!csum || !*csum)
			csum = g_pcap_csum;
		err = -mos_offline__open(&c->off, pcap, csum, NULL, 0);
		if (err)
			goto err;
		/* The contexts share the capture's flows as live (below) */
		if (g_conf.num_cores > 1)
			err = -mos_offline__split(c->off, g_conf.num_cores,
						  cpu);
		if (err)
			goto err;
		mos_offline__ring(c->off, &c->ring);
		return &c->pub;
	}
	c->fd = mos_dev__open();
	if (c->fd < 0) {
		err = -c->fd;
		goto err;
	}
	/* Several contexts share the flows by hash, one per core (mOS) */
	err = -mos_ring__open_split(&c->ring, c->fd, MTCP_RING_SIZE,
				    g_conf.num_cores > 1 ? g_conf.num_cores : 0,
				    g_conf.num_cores > 1 ? cpu : 0);
	if (err)
		goto err;
	return &c->pub;

err:
	ctx_free(c);
	errno = err;
	return NULL;
}

int mtcp_destroy_context(mctx_t mctx)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	uint64_t one = 1;

	if (!c)
		return fail(EINVAL);
	if (c->joining) {
		/* From a signal handler, or another thread: join frees it. */
		c->destroyed = 1;
		c->stop = 1;
		if (write(c->efd, &one, sizeof(one)) < 0)
			return -1;
		return 0;
	}
	ctx_free(c);
	return 0;
}

/* --- sockets and callbacks --------------------------------------------- */

/* An ioctl of the context's /dev/mos: -1 with errno set on failure */
static int ctx_ioctl(struct mtcp_ctx *c, unsigned long cmd, void *arg)
{
	if (c->off) {
		int err = mos_offline__ioctl(c->off, cmd, arg);

		return err ? fail(-err) : 0;
	}
	return ioctl(c->fd, cmd, arg) ? -1 : 0;
}

/* ctx_ioctl() as a mos_ioctl_fn: 0 or -errno */
static int ctx_ioc(void *ctx, unsigned long cmd, void *arg)
{
	return ctx_ioctl(ctx, cmd, arg) ? -errno : 0;
}

static struct mtcp_msock *msock_of(struct mtcp_ctx *c, int sock)
{
	int i = sock - c->conc;

	if (i < 0 || i >= c->nmsock || !c->msock[i].used)
		return NULL;
	return &c->msock[i];
}

int mtcp_socket(mctx_t mctx, int domain, int type, int protocol)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mos_ioc_socket a = { .size = sizeof(a) };
	int raw = type == MOS_SOCK_MONITOR_RAW, i;
	struct mtcp_msock *m;

	(void)domain;
	(void)protocol;
	if (!c)
		return fail(EINVAL);
	if (type != MOS_SOCK_MONITOR_STREAM && type != MOS_SOCK_MONITOR_RAW)
		return fail(EINVAL);
	/*
	 * A closed socket of the same type is taken again: mtcp_close() left
	 * the kernel's socket with no event, no filter and no flow.
	 */
	for (i = 0; i < c->nmsock; i++)
		if (!c->msock[i].used && c->msock[i].raw == raw)
			break;
	if (i == c->nmsock) {
		if (c->nmsock == MOS_SOCKS_MAX)
			return fail(EMFILE);
		a.type = raw ? MOS_MSOCK_RAW : MOS_MSOCK_STREAM;
		if (ctx_ioctl(c, MOS_IOC_SOCKET, &a))
			return -1;
		c->nmsock++;
	} else {
		a.id = c->msock[i].kid;
	}
	m = &c->msock[i];
	memset(m, 0, sizeof(*m));
	m->used = 1;
	m->raw = raw;
	m->kid = a.id;
	m->buf[0] = m->buf[1] = m->raw ? 0 : c->rcvbuf;
	m->overlap[0] = m->overlap[1] = -1;
	return c->conc + i;
}

static int hook_index(int hook)
{
	switch (hook) {
	case MOS_NULL:
		return MOS_HOOK_NULL;
	case MOS_HK_SND:
		return MOS_HOOK_SND;
	case MOS_HK_RCV:
		return MOS_HOOK_RCV;
	}
	return -1;
}

/*
 * Ask the kernel for the events of @h that have a callback.  A raw
 * socket's callbacks on MOS_ON_PKT_IN, at whatever hook, are the kernel's
 * PKT_IN at hook NULL.
 */
static int msock_sync(struct mtcp_ctx *c, struct mtcp_msock *m, int h)
{
	struct mos_ioc_subscribe s = {
		.size = sizeof(s), .sock = m->kid, .hook = h,
		.buf = { m->buf[0], m->buf[1] },
	};
	int i;

	if (m->raw) {
		if (h != MOS_HOOK_NULL)
			return 0;
		s.events = m->cb[h][0] ? 1 : 0;	/* PKT_IN */
		return ctx_ioctl(c, MOS_IOC_SUBSCRIBE, &s);
	}
	for (i = 0; i < g_nude; i++)
		if (m->cb[h][i])
			s.events |= 1ULL << (i < MTCP_NBUILTIN ? i : g_ude[i].root);
	return ctx_ioctl(c, MOS_IOC_SUBSCRIBE, &s);
}

/* The bit of a built-in or defined event, or -1 */
static int event_bit(event_t event)
{
	int i;

	if (!event || (event & (event - 1)))
		return -1;
	for (i = 0; i < g_nude; i++)
		if (event == 1ULL << i)
			return i;
	return -1;
}

int mtcp_register_callback(mctx_t mctx, int sock, event_t event,
			   int hook_point, callback_t cb)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m = c ? msock_of(c, sock) : NULL;
	int h = hook_index(hook_point), b = event_bit(event);
	callback_t old;

	if (!m || h < 0 || !cb || b < 0)
		return fail(EINVAL);
	if (m && m->raw) {
		if (b != 0)
			return fail(EINVAL);	/* raw sockets: MOS_ON_PKT_IN */
		h = MOS_HOOK_NULL;
	}
	old = m->cb[h][b];
	m->cb[h][b] = cb;
	if (msock_sync(c, m, h)) {
		int err = errno;

		m->cb[h][b] = old;
		return fail(err);
	}
	return 0;
}

int mtcp_unregister_callback(mctx_t mctx, int sock, event_t event,
			     int hook_point)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m = c ? msock_of(c, sock) : NULL;
	int h = hook_index(hook_point), b = event_bit(event);

	if (m && m->raw && h >= 0)
		h = MOS_HOOK_NULL;
	if (!m || h < 0 || b < 0 || !m->cb[h][b])
		return fail(EINVAL);
	m->cb[h][b] = NULL;
	return msock_sync(c, m, h);
}

int mtcp_close(mctx_t mctx, int sock)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m = c ? msock_of(c, sock) : NULL;
	int h, i;

	if (!m)
		return fail(EBADF);
	/* No event and no stream byte for it from now on */
	m->buf[0] = m->buf[1] = 0;
	for (h = 0; h < MOS_HOOKS; h++) {
		memset(m->cb[h], 0, sizeof(m->cb[h]));
		msock_sync(c, m, h);
	}
	/* Its filters go, and the flows it had are no longer its */
	for (i = 0; i <= MOS_FILTER_RAW; i++)
		if (m->filtered & (1U << i))
			mos_sock__filter_via(ctx_ioc, c, m->kid, i, NULL,
					     NULL, 0);
	m->filtered = 0;
	for (i = 0; i < c->conc; i++)
		if (c->bysock[i] && m->kid <= 64)
			c->bysock[i]->addr.socks &= ~(1ULL << (m->kid - 1));
	m->used = 0;
	return 0;
}

int mtcp_bind_monitor_filter(mctx_t mctx, int sock, monitor_filter_t ft)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m = c ? msock_of(c, sock) : NULL;
	const char *expr[2] = { NULL, NULL };
	unsigned int which[2];
	int i, n, err;

	if (!m)
		return fail(EINVAL);
	c->errmsg[0] = '\0';
	if (m->raw) {
		n = 1;
		which[0] = MOS_FILTER_RAW;
		expr[0] = ft ? ft->raw_pkt_filter : NULL;
	} else {
		n = 2;
		which[0] = MOS_FILTER_SYN;
		which[1] = MOS_FILTER_ORPHAN;
		expr[0] = ft ? ft->stream_syn_filter : NULL;
		expr[1] = ft ? ft->stream_orphan_filter : NULL;
	}
	for (i = 0; i < n; i++) {
		err = mos_sock__filter_via(ctx_ioc, c, m->kid, which[i],
					   expr[i], c->errmsg,
					   sizeof(c->errmsg));
		if (err)
			return fail(-err);
		if (expr[i] && *expr[i])
			m->filtered |= 1U << which[i];
		else
			m->filtered &= ~(1U << which[i]);
	}
	return 0;
}

const char *mtcp_errmsg(mctx_t mctx)
{
	struct mtcp_ctx *c = ctx_of(mctx);

	return c ? c->errmsg : "";
}

static event_t ude_new(event_t event, filter_t filter, struct filter_arg *arg)
{
	int base = event_bit(event), i = g_nude;
	struct mtcp_ude *u;

	if (base < 0) {
		errno = EINVAL;
		return 0;
	}
	if (i == MTCP_NEVENTS) {
		errno = ENOSPC;
		return 0;
	}
	u = &g_ude[i];
	u->base = base;
	u->root = base < MTCP_NBUILTIN ? base : g_ude[base].root;
	u->filter = filter;
	if (arg) {
		u->arg = *arg;
		u->has_arg = true;
	}
	g_nude++;
	return 1ULL << i;
}

event_t mtcp_alloc_event(event_t event)
{
	return ude_new(event, NULL, NULL);
}

event_t mtcp_define_event(event_t event, filter_t filter,
			  struct filter_arg *arg)
{
	if (!filter) {
		errno = EINVAL;
		return 0;
	}
	return ude_new(event, filter, arg);
}

static void run_event(struct mtcp_ctx *c, struct mtcp_msock *m, int h,
		      int bit, int sock, int side, int depth);

int mtcp_raise_event(mctx_t mctx, event_t event)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int b = event_bit(event);

	if (!c || b < MTCP_NBUILTIN)
		return fail(EINVAL);
	if (!c->cur || !c->cur_msock)
		return fail(EINVAL);	/* only from inside a callback */
	run_event(c, c->cur_msock, c->cur->hook, b, c->cur_sock,
		  c->cur->side, c->cur_depth + 1);
	return 0;
}

/* The context's clock, in nanoseconds: offline, the capture's */
static uint64_t ctx_now(struct mtcp_ctx *c)
{
	struct timespec ts;

	if (c && c->off)
		return mos_offline__now(c->off);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int mtcp_settimer(mctx_t mctx, int id, struct timeval *timeout,
		  callback_t cb)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_timer *t, **pp;

	if (!c || !timeout || !cb || timeout->tv_sec < 0 ||
	    timeout->tv_usec < 0 || timeout->tv_usec >= 1000000)
		return fail(EINVAL);
	if (c->ntimers == MTCP_TIMERS_MAX)
		return fail(ENOSPC);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	t->expires_ns = ctx_now(c) + (uint64_t)timeout->tv_sec * 1000000000ULL +
			(uint64_t)timeout->tv_usec * 1000;
	t->id = id;
	t->cb = cb;
	/* After the timers that expire at the same time: they fire in the
	 * order they were set. */
	for (pp = &c->timers; *pp && (*pp)->expires_ns <= t->expires_ns;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	c->ntimers++;
	return 0;
}

/*
 * Run the timers due by @now: each callback gets the timer's id as sock,
 * side MOS_SIDE_CLI and event MOS_ON_TIMEOUT, as mOS's; a callback may set
 * new timers (they run on a later pass if already due).
 */
static void run_timers(struct mtcp_ctx *c, uint64_t now)
{
	struct mtcp_timer *due = NULL, **tail = &due, *t;

	while (c->timers && c->timers->expires_ns <= now) {
		t = c->timers;
		c->timers = t->next;
		c->ntimers--;
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
	while (due) {
		t = due;
		due = t->next;
		if (!c->stop)
			t->cb(&c->pub, t->id, MOS_SIDE_CLI, MOS_ON_TIMEOUT, NULL);
		free(t);
	}
}

/* Milliseconds poll() may wait: until the next timer, at most @max */
static int timer_wait_ms(struct mtcp_ctx *c, int max)
{
	uint64_t now, left;

	if (!c->timers)
		return max;
	now = ctx_now(c);
	if (c->timers->expires_ns <= now)
		return 0;
	left = (c->timers->expires_ns - now + 999999) / 1000000;
	return left < (uint64_t)max ? (int)left : max;
}

static struct mtcp_flow *flow_of(struct mtcp_ctx *c, int sock);

/* MOS_IOC_FLOW on a per-flow socket's flow */
static int flow_op(struct mtcp_ctx *c, int sock, uint32_t op, uint32_t sides,
		   uint32_t arg)
{
	struct mtcp_flow *f = c ? flow_of(c, sock) : NULL;
	struct mos_ioc_flow a = {
		.size = sizeof(a), .op = op, .sides = sides, .arg = arg,
	};

	if (!f)
		return fail(EINVAL);
	a.flow = f->addr;
	a.flow.socks = 0;
	return ctx_ioctl(c, MOS_IOC_FLOW, &a);
}

/*
 * Only MOS_DROP: the kernel gave its verdict on the current packet before
 * the callback ran, so it drops the flow's later packets (inline mode).
 */
int mtcp_setlastpkt(mctx_t mctx, int sock, int side, off_t offset,
		    byte *data, uint16_t datalen, int option)
{
	(void)side;
	(void)offset;
	(void)data;
	(void)datalen;
	if (option != MOS_DROP)
		return fail(EOPNOTSUPP);
	return flow_op(ctx_of(mctx), sock, MOS_FLOW_DROP, 0, 0);
}

int mtcp_reset_conn(mctx_t mctx, int sock)
{
	return flow_op(ctx_of(mctx), sock, MOS_FLOW_RESET, 0, 0);
}

/* --- flows ------------------------------------------------------------- */

static struct mtcp_flow *flow_find(struct mtcp_ctx *c, uint64_t id)
{
	struct mtcp_flow *f = c->hash[id & c->hmask];

	while (f && f->id != id)
		f = f->hnext;
	return f;
}

static struct mtcp_flow *flow_of(struct mtcp_ctx *c, int sock)
{
	if (sock < 0 || sock >= c->conc)
		return NULL;
	return c->bysock[sock];
}

/*
 * The overlap policies the flow's stream sockets asked for (the last
 * socket's, when several did): the kernel applies them from the next
 * segment.  A flow that ended meanwhile is not an error.
 */
static void flow_overlap(struct mtcp_ctx *c, struct mtcp_flow *f)
{
	int i, side;

	for (i = 0; i < c->nmsock; i++) {
		const struct mtcp_msock *m = &c->msock[i];

		if (!m->used || m->raw || m->kid > 64 ||
		    !(f->addr.socks & (1ULL << (m->kid - 1))))
			continue;
		for (side = 0; side < 2; side++)
			if (m->overlap[side] >= 0)
				flow_op(c, f->sock, MOS_FLOW_OVERLAP,
					side ? MOS_SIDE_BIT_SVR : MOS_SIDE_BIT_CLI,
					(uint32_t)m->overlap[side]);
	}
}

static void flow_open(struct mtcp_ctx *c, const struct mos_rec_flow *r)
{
	struct mtcp_flow *f;
	int s, i;

	if (flow_find(c, r->flow))
		return;
	/* The next free id after the last one given: a new flow's id is not
	 * that of a flow that just ended, and the search is short. */
	for (i = 0, s = c->next_sock; i < c->conc && c->bysock[s]; i++)
		s = s + 1 == c->conc ? 0 : s + 1;
	if (i == c->conc) {
		c->flows_over++;	/* more flows than max_concurrency */
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return;
	for (i = 0; i < 2 && c->rcvbuf; i++) {
		f->buf[i].data = malloc(c->rcvbuf);
		if (!f->buf[i].data) {
			free(f->buf[0].data);
			free(f);
			return;
		}
	}
	f->id = r->flow;
	f->sock = s;
	f->addr = *r;
	f->state[MOS_SIDE_SVR] = TCP_LISTEN;
	f->hnext = c->hash[f->id & c->hmask];
	c->hash[f->id & c->hmask] = f;
	c->bysock[s] = f;
	c->next_sock = s + 1 == c->conc ? 0 : s + 1;
	flow_overlap(c, f);
}

static void flow_close(struct mtcp_ctx *c, uint64_t id)
{
	struct mtcp_flow **pp = &c->hash[id & c->hmask], *f;

	while ((f = *pp) && f->id != id)
		pp = &f->hnext;
	if (!f)
		return;
	*pp = f->hnext;
	c->bysock[f->sock] = NULL;
	free(f->buf[0].data);
	free(f->buf[1].data);
	free(f);
}

static bool wanted(const struct mtcp_msock *m, int h, int bit);
static void run_event(struct mtcp_ctx *c, struct mtcp_msock *m, int h,
		      int bit, int sock, int side, int depth);

/*
 * NEW_DATA for what @f's @side holds, before bytes it has not peeked yet
 * are overwritten: one record can carry more than the buffer holds (a
 * filled hole releases what waited behind it).  No packet is at hand in
 * such a callback: mtcp_getlastpkt() fails with ENODATA.
 */
static void flow_data_full(struct mtcp_ctx *c, struct mtcp_flow *f, int side)
{
	const int bit = 4;	/* MOS_ON_CONN_NEW_DATA */
	struct mos_rec_event e = {
		.flow = f->id, .ts_ns = f->last_ts_ns, .off = f->buf[side].read,
		.len = (uint32_t)(f->buf[side].head - f->buf[side].read),
		.type = bit, .hook = MOS_HOOK_NULL, .side = side,
		.state = { f->state[0], f->state[1] },
	};
	int i;

	for (i = 0; i < c->nmsock && !c->stop && !f->dead; i++) {
		struct mtcp_msock *m = &c->msock[i];

		if (!m->used || m->raw || !wanted(m, MOS_HOOK_NULL, bit))
			continue;
		if (m->kid <= 64 && !(f->addr.socks & (1ULL << (m->kid - 1))))
			continue;
		c->cur = &e;
		c->cur_flow = f;
		c->cur_msock = m;
		c->cur_sock = f->sock;
		run_event(c, m, MOS_HOOK_NULL, bit, f->sock, side, 0);
		c->cur = NULL;
		c->cur_flow = NULL;
		c->cur_msock = NULL;
	}
}

static void flow_data(struct mtcp_ctx *c, const struct mos_rec_data *d)
{
	struct mtcp_flow *f = flow_find(c, d->flow);
	const uint8_t *src = (const void *)(d + 1);
	struct mtcp_sbuf *b;
	uint64_t off = d->off;
	uint32_t len = d->len, size = c->rcvbuf;

	if (!f || d->side > 1 || !size)
		return;
	b = &f->buf[d->side];
	if (off > b->head)
		b->valid = off;	/* a hole: the bytes before are missed */
	while (len) {
		uint32_t at = off % size, n = size - at;

		/* Full of bytes not peeked yet: offer them first */
		if (b->read >= b->valid && b->head - b->read >= size &&
		    off == b->head) {
			flow_data_full(c, f, d->side);
			if (f->dead) {
				flow_close(c, f->id);
				return;
			}
		}
		if (n > len)
			n = len;
		/* No further than the unread bytes allow, when there are */
		if (b->read >= b->valid && off == b->head &&
		    b->head - b->read < size && n > size - (b->head - b->read))
			n = size - (uint32_t)(b->head - b->read);
		memcpy(b->data + at, src, n);
		src += n;
		off += n;
		len -= n;
		b->head = off;
		if (b->head - b->valid > size)
			b->valid = b->head - size;
	}
}

/* --- the callbacks' calls ---------------------------------------------- */

void mtcp_set_uctx(mctx_t mctx, int sock, void *uctx)
{
	struct mtcp_flow *f = mctx ? flow_of(ctx_of(mctx), sock) : NULL;

	if (f)
		f->uctx = uctx;
}

void *mtcp_get_uctx(mctx_t mctx, int sock)
{
	struct mtcp_flow *f = mctx ? flow_of(ctx_of(mctx), sock) : NULL;

	return f ? f->uctx : NULL;
}

static ssize_t sbuf_copy(struct mtcp_ctx *c, struct mtcp_sbuf *b,
			 uint64_t off, char *buf, size_t len)
{
	size_t done = 0;

	if (off + len > b->head)
		len = b->head - off;
	while (done < len) {
		uint32_t at = (off + done) % c->rcvbuf, n = c->rcvbuf - at;

		if (n > len - done)
			n = len - done;
		memcpy(buf + done, b->data + at, n);
		done += n;
	}
	return done;
}

ssize_t mtcp_peek(mctx_t mctx, int sock, int side, char *buf, size_t len)
{
	struct mtcp_flow *f = mctx ? flow_of(ctx_of(mctx), sock) : NULL;
	struct mtcp_sbuf *b;
	ssize_t n;

	if (!f || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR) ||
	    (!buf && len))
		return fail(EINVAL);
	b = &f->buf[side];
	if (b->read < b->valid) {
		/* Overrun or a hole: say how much, and skip it (as mOS) */
		uint64_t missed = b->valid - b->read;

		b->read = b->valid;
		errno = ENODATA;
		return -(ssize_t)missed;
	}
	n = sbuf_copy(ctx_of(mctx), b, b->read, buf, len);
	b->read += n;
	return n;
}

ssize_t mtcp_ppeek(mctx_t mctx, int sock, int side, char *buf, size_t count,
		   uint64_t off)
{
	struct mtcp_flow *f = mctx ? flow_of(ctx_of(mctx), sock) : NULL;
	struct mtcp_sbuf *b;

	if (!f || (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR) ||
	    (!buf && count))
		return fail(EINVAL);
	b = &f->buf[side];
	if (off < b->valid || off >= b->head)
		return fail(ENODATA);
	return sbuf_copy(ctx_of(mctx), b, off, buf, count);
}

int mtcp_getpeername(mctx_t mctx, int sock, struct sockaddr *saddr,
		     socklen_t *addrlen, int side)
{
	struct mtcp_flow *f = mctx ? flow_of(ctx_of(mctx), sock) : NULL;
	int six, n = side == MOS_SIDE_BOTH ? 2 : 1, i;
	size_t one;

	if (!f || !saddr || !addrlen || side < MOS_SIDE_CLI ||
	    side > MOS_SIDE_BOTH)
		return fail(EINVAL);
	six = f->addr.family == 6;
	one = six ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (*addrlen < one * n)
		return fail(EINVAL);
	for (i = 0; i < n; i++) {
		int s = side == MOS_SIDE_BOTH ? i : side;
		const uint8_t *a = s == MOS_SIDE_CLI ? f->addr.cli_addr :
						       f->addr.svr_addr;
		uint16_t port = s == MOS_SIDE_CLI ? f->addr.cli_port :
						    f->addr.svr_port;

		if (six) {
			struct sockaddr_in6 *sa = (void *)((char *)saddr + i * one);

			memset(sa, 0, one);
			sa->sin6_family = AF_INET6;
			sa->sin6_port = port;
			memcpy(&sa->sin6_addr, a, 16);
		} else {
			struct sockaddr_in *sa = (void *)((char *)saddr + i * one);

			memset(sa, 0, one);
			sa->sin_family = AF_INET;
			sa->sin_port = port;
			memcpy(&sa->sin_addr, a, 4);
		}
	}
	*addrlen = one * n;
	return 0;
}

/*
 * MOS_INFO_*BUF: a side's stream as sequence numbers, from the kernel's
 * seq0 of its first event that knew it (ENODATA before)
 */
static int buf_info(const struct mtcp_flow *f, int side, void *optval,
		    socklen_t *optlen)
{
	const struct mtcp_sbuf *b = &f->buf[side];
	struct tcp_buf_info bi;

	if (*optlen < sizeof(bi))
		return fail(EINVAL);
	if (!(f->seq0_known & (1 << side)))
		return fail(ENODATA);
	bi.tcpbi_init_seq = f->seq0[side];
	bi.tcpbi_last_byte_read = f->seq0[side] + (uint32_t)b->read;
	bi.tcpbi_next_byte_expected = f->seq0[side] + (uint32_t)b->head;
	/* Out-of-order bytes stay in the kernel until they are in order */
	bi.tcpbi_last_byte_received = bi.tcpbi_next_byte_expected;
	memcpy(optval, &bi, sizeof(bi));
	*optlen = sizeof(bi);
	return 0;
}

/*
 * MOS_FRAGINFO_*BUF: the stretches of a side's stream the buffer holds,
 * as many struct tcp_ring_fragment as *optlen has room for; *optlen
 * becomes the bytes filled.  The buffer holds one stretch at most.
 */
static int frag_info(const struct mtcp_flow *f, int side, void *optval,
		     socklen_t *optlen)
{
	const struct mtcp_sbuf *b = &f->buf[side];
	struct tcp_ring_fragment fr = { 0 };

	if (b->head <= b->valid) {
		*optlen = 0;
		return 0;
	}
	if (*optlen < sizeof(fr))
		return fail(EINVAL);
	fr.offset = b->valid;
	fr.len = (uint32_t)(b->head - b->valid);
	memcpy(optval, &fr, sizeof(fr));
	*optlen = sizeof(fr);
	return 0;
}

int mtcp_getsockopt(mctx_t mctx, int sock, int level, int optname,
		    void *optval, socklen_t *optlen)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_flow *f = c ? flow_of(c, sock) : NULL;

	if (!c || !optval || !optlen)
		return fail(EINVAL);
	if (level != SOL_MONSOCKET)
		return fail(ENOPROTOOPT);
	if (!f)
		return fail(EBADF);
	switch (optname) {
	case MOS_TCP_STATE_CLI:
	case MOS_TCP_STATE_SVR:
		if (*optlen < sizeof(int))
			return fail(EINVAL);
		*(int *)optval = f->state[optname == MOS_TCP_STATE_SVR];
		*optlen = sizeof(int);
		return 0;
	case MOS_CLIBUF:
	case MOS_SVRBUF:
		if (*optlen < sizeof(int))
			return fail(EINVAL);
		*(int *)optval = c->rcvbuf;	/* the flow's buffer */
		*optlen = sizeof(int);
		return 0;
	case MOS_TIMESTAMP:
		if (*optlen < sizeof(uint64_t))
			return fail(EINVAL);
		*(uint64_t *)optval = f->last_ts_ns / 1000;
		*optlen = sizeof(uint64_t);
		return 0;
	case MOS_INFO_CLIBUF:
	case MOS_INFO_SVRBUF:
		return buf_info(f, optname == MOS_INFO_SVRBUF, optval, optlen);
	case MOS_FRAGINFO_CLIBUF:
	case MOS_FRAGINFO_SVRBUF:
		return frag_info(f, optname == MOS_FRAGINFO_SVRBUF, optval,
				 optlen);
	}
	return fail(ENOPROTOOPT);
}

static void flow_close(struct mtcp_ctx *c, uint64_t id);

int mtcp_setsockopt(mctx_t mctx, int sock, int level, int optname,
		    const void *optval, socklen_t optlen)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m;
	struct mtcp_flow *f;
	int v, h;

	if (!c || !optval || optlen < sizeof(int))
		return fail(EINVAL);
	if (level != SOL_MONSOCKET)
		return fail(ENOPROTOOPT);
	v = *(const int *)optval;
	switch (optname) {
	case MOS_STOP_MON:
		/* On a per-flow socket: stop following that side, or both */
		f = flow_of(c, sock);
		if (!f)
			return fail(EBADF);
		if (v < MOS_SIDE_CLI || v > MOS_SIDE_BOTH)
			return fail(EINVAL);
		if (flow_op(c, sock, MOS_FLOW_STOP,
			    v == MOS_SIDE_BOTH ? MOS_SIDE_BIT_CLI | MOS_SIDE_BIT_SVR :
			    v == MOS_SIDE_CLI ? MOS_SIDE_BIT_CLI : MOS_SIDE_BIT_SVR,
			    0))
			return -1;
		if (v == MOS_SIDE_BOTH) {
			/* No close record will come: the socket goes now */
			if (c->cur_flow == f)
				f->dead = true;
			else
				flow_close(c, f->id);
		}
		return 0;
	case MOS_CLIBUF:
	case MOS_SVRBUF:
		/*
		 * On a monitor socket: what the side's buffer holds, at most
		 * rcvbuf_size; 0: no stream bytes for that side
		 */
		m = msock_of(c, sock);
		if (!m || m->raw)
			return fail(EBADF);
		if (v < 0 || v > c->rcvbuf)
			return fail(EINVAL);
		m->buf[optname == MOS_SVRBUF] = v;
		for (h = 0; h < MOS_HOOKS; h++)
			if (msock_sync(c, m, h))
				return -1;
		return 0;
	case MOS_CLIOVERLAP:
	case MOS_SVROVERLAP:
		/*
		 * On a per-flow socket: that side's stream, from the next
		 * segment the kernel sees.  On a stream monitor socket: each
		 * flow of it, once its FLOW_OPEN record is read.
		 */
		if (v != MOS_OVERLAP_POLICY_FIRST &&
		    v != MOS_OVERLAP_POLICY_LAST)
			return fail(EINVAL);
		h = optname == MOS_SVROVERLAP;
		if (flow_of(c, sock))
			return flow_op(c, sock, MOS_FLOW_OVERLAP,
				       h ? MOS_SIDE_BIT_SVR : MOS_SIDE_BIT_CLI,
				       v);
		m = msock_of(c, sock);
		if (!m || m->raw)
			return fail(EBADF);
		m->overlap[h] = v;
		return 0;
	}
	return fail(ENOPROTOOPT);
}

uint32_t mtcp_cb_get_ts(mctx_t mctx)
{
	return (uint32_t)(ctx_now(ctx_of(mctx)) / 1000000);
}

/*
 * The protocol after an IPv6 header and its extension headers (hop-by-hop,
 * routing, destination options, fragment), its offset in @l3; -1 when
 * the copy ends before it.  Not mos_tm_parse(): the copy of a packet
 * over 2048 bytes is cut, and the tracker's parser refuses a packet
 * shorter than its IP length says.
 */
static int ipv6_l4(const uint8_t *pkt, unsigned int len, unsigned int *l3)
{
	unsigned int at = 40;
	int nh;

	*l3 = 40;
	if (len < 40)
		return -1;
	nh = pkt[6];
	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (at + 2 > len)
				return -1;
			nh = pkt[at];
			at += (pkt[at + 1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (at + 8 > len)
				return -1;
			nh = pkt[at];
			at += 8;
			break;
		default:
			*l3 = at;
			return nh;
		}
	}
}

int mtcp_getlastpkt(mctx_t mctx, int sock, int side, struct pkt_info *p)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	const struct mos_rec_event *e = c ? c->cur : NULL;
	unsigned int l3, doff;
	uint8_t *pkt;

	if (!c || !p)
		return fail(EINVAL);
	/* A raw socket's callback names no side: MOS_NULL, as in mOS */
	if (side != MOS_SIDE_CLI && side != MOS_SIDE_SVR &&
	    !(side == MOS_NULL && c->cur_msock && c->cur_msock->raw))
		return fail(EINVAL);
	if (c->cur_flow && sock != c->cur_flow->sock)
		return fail(EINVAL);
	if (!e || !e->pkt_len)
		return fail(ENODATA);	/* not in a callback with a packet */
	pkt = c->pkt;
	memcpy(pkt, e + 1, e->pkt_len);
	memset(p, 0, sizeof(*p));
	p->cur_ts = (uint32_t)(e->ts_ns / 1000000);
	p->ip_len = e->pkt_total > 0xffff ? 0xffff : e->pkt_total;
	if ((pkt[0] >> 4) == 4) {
		l3 = (pkt[0] & 0xf) * 4;
		p->iph = (struct iphdr *)pkt;
		if (e->pkt_len >= 20 && pkt[9] != IPPROTO_TCP)
			return 0;	/* a raw socket's packet: IP only */
	} else {
		int l4 = ipv6_l4(pkt, e->pkt_len, &l3);

		if (l4 >= 0 && l4 != IPPROTO_TCP)
			return 0;
	}
	if (l3 + sizeof(struct tcphdr) > e->pkt_len)
		return fail(ENODATA);
	p->tcph = (struct tcphdr *)(pkt + l3);
	doff = p->tcph->doff * 4;
	if (l3 + doff > e->pkt_len)
		return fail(ENODATA);
	p->seq = ntohl(p->tcph->seq);
	p->ack_seq = ntohl(p->tcph->ack_seq);
	p->window = ntohs(p->tcph->window);
	p->payload = pkt + l3 + doff;
	p->payloadlen = e->pkt_len - l3 - doff;
	p->offset = e->type == 4 /* NEW_DATA */ ? e->off : 0;
	return 0;
}

/* --- the loop ---------------------------------------------------------- */

/* Does @bit, or a UDE built on it, have a callback at hook @h? */
static bool wanted(const struct mtcp_msock *m, int h, int bit)
{
	int i;

	if (m->cb[h][bit])
		return true;
	for (i = MTCP_NBUILTIN; i < g_nude; i++)
		if (g_ude[i].base == bit && g_ude[i].filter && wanted(m, h, i))
			return true;
	return false;
}

/*
 * Raise event @bit: its callback, then each UDE defined on it whose
 * filter agrees, depth first, in the order they were defined.
 */
static void run_event(struct mtcp_ctx *c, struct mtcp_msock *m, int h,
		      int bit, int sock, int side, int depth)
{
	int i, saved = c->cur_depth;

	if (depth > MTCP_UDE_DEPTH)
		return;
	c->cur_depth = depth;
	if (m->cb[h][bit])
		m->cb[h][bit](&c->pub, sock, side, 1ULL << bit, NULL);
	for (i = MTCP_NBUILTIN; i < g_nude && !c->stop; i++) {
		struct mtcp_ude *u = &g_ude[i];

		if (u->base != bit || !u->filter || !wanted(m, h, i))
			continue;
		if (u->filter(&c->pub, sock, side, 1ULL << bit,
			      u->has_arg ? &u->arg : NULL))
			run_event(c, m, h, i, sock, side, depth + 1);
	}
	c->cur_depth = saved;
}

static void dispatch_event(struct mtcp_ctx *c, const struct mos_rec *rec)
{
	const struct mos_rec_event *e = (const void *)(rec + 1);
	struct mtcp_msock *m;
	struct mtcp_flow *f = NULL;
	int i;

	if (e->type >= MTCP_NBUILTIN || e->hook >= MOS_HOOKS)
		return;
	for (i = 0, m = NULL; i < c->nmsock; i++)
		if (c->msock[i].used && c->msock[i].kid == rec->sock)
			m = &c->msock[i];
	if (e->flow) {
		f = flow_find(c, e->flow);
		if (!f)
			return;	/* a flow over max_concurrency */
		f->state[0] = e->state[0];
		f->state[1] = e->state[1];
		f->last_ts_ns = e->ts_ns;
		if ((e->flags & MOS_EVF_SEQ0) && e->side < 2) {
			f->seq0[e->side] = e->seq0;
			f->seq0_known |= 1 << e->side;
		}
	}
	if (!m || !wanted(m, e->hook, e->type))
		return;
	/* The flow is not for this socket: its SYN filter said no */
	if (f && rec->sock <= 64 && !(f->addr.socks & (1ULL << (rec->sock - 1))))
		return;
	c->cur = e;
	c->cur_flow = f;
	c->cur_msock = m;
	c->cur_sock = f ? f->sock : c->conc + (int)(m - c->msock);
	run_event(c, m, e->hook, e->type, c->cur_sock, e->side, 0);
	c->cur = NULL;
	c->cur_flow = NULL;
	c->cur_msock = NULL;
	if (f && f->dead)
		flow_close(c, f->id);
}

static void drain(struct mtcp_ctx *c)
{
	const struct mos_rec *rec;

	while (!c->stop && (rec = mos_ring__next(&c->ring))) {
		const void *b = rec + 1;

		if (!(rec->len & MOS_REC_DISCARD)) {
			switch (rec->type) {
			case MOS_REC_FLOW_OPEN:
				flow_open(c, b);
				break;
			case MOS_REC_FLOW_CLOSE:
				flow_close(c, ((const struct mos_rec_flow *)b)->flow);
				break;
			case MOS_REC_DATA:
				flow_data(c, b);
				break;
			case MOS_REC_EVENT:
				dispatch_event(c, rec);
				break;
			case MOS_REC_LOST: {
				const struct mos_rec_lost *l = b;

				c->lost_events += l->events;
				c->lost_bytes += l->bytes;
				break;
			}
			}
		}
		mos_ring__advance(&c->ring, rec);
	}
}

void mtcp_app_join(mctx_t mctx)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct pollfd pfd[2];

	if (!c)
		return;
	c->joining = 1;
	/*
	 * Offline: the capture's packets, and the timers as its clock
	 * passes them; at its end the join returns, and the context is freed
	 * as mtcp_destroy_context() would.
	 */
	while (c->off && !c->stop) {
		int r = mos_offline__pump(c->off, c->timers ?
					  c->timers->expires_ns : UINT64_MAX);

		if (r <= 0) {
			c->stop = 1;
			c->destroyed = 1;
			break;
		}
		drain(c);
		run_timers(c, ctx_now(c));
	}
	pfd[0].fd = c->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = c->efd;
	pfd[1].events = POLLIN;
	while (!c->stop) {
		drain(c);
		run_timers(c, ctx_now(c));
		if (c->stop)
			break;
		if (poll(pfd, 2, timer_wait_ms(c, 100)) < 0 && errno != EINTR)
			break;
	}
	c->joining = 0;
	if (c->destroyed)
		ctx_free(c);
}
