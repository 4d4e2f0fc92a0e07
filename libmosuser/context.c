// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * context.c - contexts and their threads: a context is one consumer (an
 * open /dev/mos with its ring, or offline a capture) and a thread that
 * waits for records, has dispatch.c run them (to the flows, the stream
 * buffers and the callbacks), and runs the timers (timer.c)
 *
 * DOC: Theory of Operation
 *
 * mOS's execution model: mtcp_create_context(cpu) starts a thread pinned
 * to @cpu (if the cpu does not exist or the pinning is refused, the
 * thread runs unpinned, as mOS's does); callbacks run on it.  With
 * num_cores > 1 the contexts share the flows by the hash split of the
 * kernel (live) or of the offline backend, so each flow is seen by one
 * context.  mtcp_app_join() waits for the context's thread to end: at the
 * capture's end offline, at mtcp_destroy_context() live.
 *
 * States: a thread waits, reading nothing, until the process's first
 * mtcp_app_join() (of any context): the callbacks an application
 * registers between create and join miss no record (live, the records
 * wait in the ring; offline, the capture is not read yet).  Then it runs
 * until its context is destroyed or, offline, its capture ends; then it
 * has ended, and the joins return.
 *
 * Locking: the thread holds the context's lock (recursive) while it runs
 * records, callbacks and timers, and lets go of it only while it waits
 * for records (live) or between packets (offline).  The calls that
 * change a context from another thread take it (mu_ctx_lock()); a
 * callback's calls on its own context take it again.  A callback that
 * calls into another context may deadlock with that context's callbacks
 * doing the same.  mtcp_destroy_context() takes no lock and calls
 * nothing but write(): a flag and an eventfd, safe in a signal handler.
 *
 * Storage: every context is on a list until mtcp_destroy(), which stops
 * and joins the threads and frees them: mtcp_close(),
 * mtcp_destroy_context() (again) and mtcp_app_join() stay valid after a
 * join or a destroy.  mtcp_destroy_context() of a context that is not on
 * the list (freed by mtcp_destroy()) is -1/EINVAL.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include "internal.h"

/* Every context until mtcp_destroy(), newest first (read lock-free) */
static struct mtcp_ctx *ctx_all;
static pthread_mutex_t ctx_all_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set at the first mtcp_app_join(): the threads read records */
static int ctx_started;

void mu_ctx_lock(struct mtcp_ctx *c)
{
	pthread_mutex_lock(&c->lock);
}

void mu_ctx_unlock(struct mtcp_ctx *c)
{
	pthread_mutex_unlock(&c->lock);
}

/* Is @c a context of the list?  Async-signal-safe. */
static bool ctx_known(const struct mtcp_ctx *c)
{
	struct mtcp_ctx *i;

	for (i = __atomic_load_n(&ctx_all, __ATOMIC_ACQUIRE); i;
	     i = __atomic_load_n(&i->next_ctx, __ATOMIC_ACQUIRE))
		if (i == c)
			return true;
	return false;
}

/* Wake @c's thread to look at its flags.  Async-signal-safe. */
void mu_ctx_wake(struct mtcp_ctx *c)
{
	uint64_t one = 1;
	int saved = errno;
	/* Fails only if the counter is full: the thread has a wake-up */
	ssize_t n = write(c->efd, &one, sizeof(one));

	(void)n;
	errno = saved;
}

static void ctx_unwake(struct mtcp_ctx *c)
{
	uint64_t v;
	/* EAGAIN if nothing was written */
	ssize_t n = read(c->efd, &v, sizeof(v));

	(void)n;
}

static void ctx_free(struct mtcp_ctx *c)
{
	uint32_t i;

	if (c->has_thread) {
		c->stop = 1;
		mu_ctx_wake(c);
		pthread_join(c->thread, NULL);
	}
	mu_events_free(c);
	mu_verdict_free(c);
	if (c->hash) {
		for (i = 0; i <= c->hmask; i++) {
			struct mtcp_flow *f = c->hash[i], *n;

			for (; f; f = n) {
				n = f->hnext;
				free(f->buf[0].data);
				free(f->buf[1].data);
				free(f->pkt_own);
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
	pthread_cond_destroy(&c->ended_cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/*
 * Whole packets (mtcp_getlastpkt()), as far as the context's copy of the
 * packet holds them
 */
#define CTX_PKT_MAX(c)	(sizeof((c)->pkt) < MOS_PKT_COPY_LIMIT ? \
			 (uint32_t)sizeof((c)->pkt) : MOS_PKT_COPY_LIMIT)

static void *ctx_thread(void *arg);

/* Start @c's thread and put @c on the list: 0 or an errno */
static int ctx_start(struct mtcp_ctx *c)
{
	int err;

	/*
	 * Under the list's lock: a join's start either comes before the
	 * thread looks at ctx_started or finds @c on the list to wake
	 */
	pthread_mutex_lock(&ctx_all_lock);
	err = pthread_create(&c->thread, NULL, ctx_thread, c);
	if (!err) {
		c->has_thread = true;
		c->next_ctx = ctx_all;
		__atomic_store_n(&ctx_all, c, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&ctx_all_lock);
	return err;
}

/*
 * The lock and the condition of a context (c->efd < 0 for ctx_free() until
 * the eventfd is made): 0 or an errno
 */
static int ctx_sync_init(struct mtcp_ctx *c)
{
	pthread_mutexattr_t a;
	int err;

	err = pthread_mutexattr_init(&a);
	if (err)
		return err;
	err = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	if (!err)
		err = pthread_mutex_init(&c->lock, &a);
	pthread_mutexattr_destroy(&a);
	if (err)
		return err;
	err = pthread_cond_init(&c->ended_cond, NULL);
	if (err)
		pthread_mutex_destroy(&c->lock);
	return err;
}

/*
 * MOS_PCAP_OUT=FILE, offline: the capture's packets as the callbacks'
 * verdicts leave them, into FILE (verdict mode).  One context only: each
 * would write every packet of the capture.
 */
static int ctx_pcap_out(struct mtcp_ctx *c)
{
	const char *path = getenv("MOS_PCAP_OUT");
	int err;

	if (!path || !*path)
		return 0;
	if (mu_conf.num_cores > 1)
		return EINVAL;
	err = -mos_offline__output(c->off, path);
	if (!err)
		c->verdict = true;
	return err;
}

mctx_t mtcp_create_context(int cpu)
{
	struct mu_pcap_src src;
	struct mos_ring_opts ro;
	const char *csum;
	struct mtcp_ctx *c;
	uint32_t n;
	int err;

	if (!mu_init_done) {
		errno = EINVAL;	/* mtcp_init() first */
		return NULL;
	}
	if (cpu < 0 || cpu >= mu_conf.num_cores) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	err = ctx_sync_init(c);
	if (err) {
		free(c);
		errno = err;
		return NULL;
	}
	c->pub.cpu = cpu;
	c->fd = -1;
	c->conc = mu_conf.max_concurrency;
	c->rcvbuf = mu_conf.rcvbuf_size;
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
	if (mu_pcap_source(&src)) {
		err = errno;
		goto err;
	}
	if (src.file || src.iface) {
		/* Offline: why it failed is in mos_offline__error(NULL) */
		csum = getenv("MOS_PCAP_CHECKSUM");
		if (!csum || !*csum)
			csum = mu_pcap_csum;
		if (src.iface)
			err = -mos_offline__open_live(&c->off, src.iface, csum,
						      src.count, NULL, 0);
		else
			err = -mos_offline__open(&c->off, src.file, csum,
						 NULL, 0);
		if (err)
			goto err;
		/* The contexts share the capture's flows as live (below) */
		err = -mos_offline__ioctl(c->off, MOS_IOC_RING_SETUP,
					  &(struct mos_ioc_ring){
			.size = sizeof(struct mos_ioc_ring),
			.split_count = mu_conf.num_cores > 1 ? mu_conf.num_cores : 0,
			.split_index = mu_conf.num_cores > 1 ? cpu : 0,
			.pkt_max = CTX_PKT_MAX(c),
			.flags = MOS_RING_F_PKT_ONCE | MOS_RING_F_DATA_PKT });
		if (err)
			goto err;
		err = ctx_pcap_out(c);
		if (err)
			goto err;
		mos_offline__ring(c->off, &c->ring);
		c->pkt_once = true;
		goto start;
	}
	c->fd = mos_dev__open();
	if (c->fd < 0) {
		err = -c->fd;
		goto err;
	}
	/* Several contexts share the flows by hash, one per core (mOS) */
	ro = (struct mos_ring_opts){
		.sz = sizeof(ro), .data_size = MTCP_RING_SIZE,
		.split_count = mu_conf.num_cores > 1 ? mu_conf.num_cores : 0,
		.split_index = mu_conf.num_cores > 1 ? cpu : 0,
		.pkt_max = CTX_PKT_MAX(c),
		.flags = MOS_RING_F_PKT_ONCE | MOS_RING_F_DATA_PKT |
			 (mu_verdict_mode() ? MOS_RING_F_VERDICT : 0),
		/* A held packet waits for its callbacks: no batches then */
		.wakeup_bytes = mu_ring_wakeup_ms && !mu_verdict_mode() ?
				MU_RING_WAKEUP_BYTES : 0,
	};
	err = -mos_ring__open_opts(&c->ring, c->fd, &ro);
	if (err == EOPNOTSUPP && ro.wakeup_bytes) {
		/* A module before ABI 0.14: woken by each record */
		ro.wakeup_bytes = 0;
		err = -mos_ring__open_opts(&c->ring, c->fd, &ro);
	}
	if (err == EOPNOTSUPP) {
		/* A module before ABI 0.9: stream bytes always copied */
		ro.flags &= ~MOS_RING_F_DATA_PKT;
		err = -mos_ring__open_opts(&c->ring, c->fd, &ro);
	}
	if (err == EOPNOTSUPP && (ro.flags & MOS_RING_F_VERDICT)) {
		/* A module before ABI 0.8: no verdicts, callbacks as before */
		ro.flags &= ~MOS_RING_F_VERDICT;
		err = -mos_ring__open_opts(&c->ring, c->fd, &ro);
	}
	if (err == EOPNOTSUPP) {
		/* A module before ABI 0.7: each record its packet's bytes */
		ro.flags = 0;
		err = -mos_ring__open_opts(&c->ring, c->fd, &ro);
	}
	if (err == ENOTTY) {
		/* A module of ABI 0.4: packets cut at MOS_PKT_COPY_MAX */
		ro.pkt_max = 0;
		err = -mos_ring__open_opts(&c->ring, c->fd, &ro);
	}
	if (err)
		goto err;
	c->pkt_once = ro.flags & MOS_RING_F_PKT_ONCE;
	c->verdict = ro.flags & MOS_RING_F_VERDICT;
	c->wake_ms = ro.wakeup_bytes ? mu_ring_wakeup_ms : 0;
start:
	err = ctx_start(c);
	if (err)
		goto err;
	return &c->pub;

err:
	ctx_free(c);
	errno = err;
	return NULL;
}

/*
 * Async-signal-safe: a flag and a wake-up; the thread ends on its own, and
 * the memory is mtcp_destroy()'s to free
 */
int mtcp_destroy_context(mctx_t mctx)
{
	struct mtcp_ctx *c = ctx_of(mctx);

	if (!c || !ctx_known(c))
		return fail(EINVAL);
	c->destroyed = 1;
	c->stop = 1;
	mu_ctx_wake(c);
	return 0;
}

/*
 * mtcp_destroy(): stop every context, wait for its thread and free it.
 * From a context's own thread (a callback) it cannot wait: -1/EDEADLK.
 */
int mu_ctx_destroy_all(void)
{
	struct mtcp_ctx *c, *n;

	pthread_mutex_lock(&ctx_all_lock);
	for (c = ctx_all; c; c = c->next_ctx) {
		if (pthread_equal(c->thread, pthread_self())) {
			pthread_mutex_unlock(&ctx_all_lock);
			return fail(EDEADLK);
		}
	}
	c = ctx_all;
	__atomic_store_n(&ctx_all, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&ctx_started, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctx_all_lock);
	for (; c; c = n) {
		n = c->next_ctx;
		ctx_free(c);
	}
	return 0;
}

/* An ioctl of the context's /dev/mos: -1 with errno set on failure */
int mu_ctx_ioctl(struct mtcp_ctx *c, unsigned long cmd, void *arg)
{
	if (c->off) {
		int err = mos_offline__ioctl(c->off, cmd, arg);

		return err ? fail(-err) : 0;
	}
	return ioctl(c->fd, cmd, arg) ? -1 : 0;
}

/* The context's clock, in nanoseconds: offline, the capture's */
uint64_t mu_ctx_now(struct mtcp_ctx *c)
{
	struct timespec ts;

	if (c && c->off)
		return mos_offline__now(c->off);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Microseconds, modulo 2^32, as mOS's (its ticks times TIME_TICK) */
uint32_t mtcp_cb_get_ts(mctx_t mctx)
{
	return (uint32_t)(mu_ctx_now(ctx_of(mctx)) / 1000);
}

/* Until the first mtcp_app_join() or a destroy: wait, reading nothing */
static void ctx_wait_start(struct mtcp_ctx *c)
{
	struct pollfd pfd = { .fd = c->efd, .events = POLLIN };

	while (!c->stop && !__atomic_load_n(&ctx_started, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, -1) > 0)
			ctx_unwake(c);
	}
}

/*
 * Live capture, no packet ready: wait for one, for the next timer (at
 * most 100 ms: the clock is the realtime one, which may jump) or a wake-up
 */
static void ctx_wait_live(struct mtcp_ctx *c)
{
	struct pollfd pfd[2] = {
		{ .fd = mos_offline__fd(c->off), .events = POLLIN },
		{ .fd = c->efd, .events = POLLIN },
	};
	uint64_t now = mu_ctx_now(c), due;
	int wait = 100;

	if (c->timers) {
		due = c->timers->expires_ns;
		if (due <= now)
			return;
		if ((due - now) / 1000000 < (uint64_t)wait)
			wait = (int)((due - now + 999999) / 1000000);
	}
	mu_ctx_unlock(c);
	if (poll(pfd, 2, wait) > 0 && (pfd[1].revents & POLLIN))
		ctx_unwake(c);
	mu_ctx_lock(c);
}

/*
 * Offline: the capture's packets, and the timers as its clock passes
 * them, to the capture's end; live, until a destroy or the packet count
 */
static void ctx_run_offline(struct mtcp_ctx *c)
{
	mu_ctx_lock(c);
	while (!c->stop) {
		int r = mos_offline__pump(c->off, c->timers ?
					  c->timers->expires_ns : UINT64_MAX);

		if (r < 0)
			mu_offline_failed(c, r);
		if (r <= 0)
			break;
		if (r == MOS_OFFLINE_WAIT) {
			ctx_wait_live(c);
			continue;
		}
		mu_dispatch_ring(c);
		mu_run_timers(c, mu_ctx_now(c));
		/* Between packets, other threads' calls */
		mu_ctx_unlock(c);
		mu_ctx_lock(c);
	}
	mu_ctx_unlock(c);
}

/* Live: the ring's records and the timers, until a destroy */
static void ctx_run_live(struct mtcp_ctx *c)
{
	struct pollfd pfd[2] = {
		{ .fd = c->fd, .events = POLLIN },
		{ .fd = c->efd, .events = POLLIN },
	};
	int r, wait;

	mu_ctx_lock(c);
	while (!c->stop) {
		mu_dispatch_ring(c);
		mu_run_timers(c, mu_ctx_now(c));
		if (c->stop)
			break;
		/* Fewer records than wake it wait for the timeout */
		wait = mu_timer_wait_ms(c, c->wake_ms ? c->wake_ms : 100);
		mu_ctx_unlock(c);
		r = poll(pfd, 2, wait);
		if (r > 0 && (pfd[1].revents & POLLIN))
			ctx_unwake(c);
		mu_ctx_lock(c);
		if (r < 0 && errno != EINTR)
			break;
	}
	mu_ctx_unlock(c);
}

static void *ctx_thread(void *arg)
{
	struct mtcp_ctx *c = arg;
	cpu_set_t set;

	/* As mOS: a cpu that cannot be had leaves the thread unpinned */
	if (c->pub.cpu < CPU_SETSIZE) {
		CPU_ZERO(&set);
		CPU_SET(c->pub.cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	ctx_wait_start(c);
	if (c->off)
		ctx_run_offline(c);
	else
		ctx_run_live(c);
	pthread_mutex_lock(&c->lock);
	c->ended = true;
	pthread_cond_broadcast(&c->ended_cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * Start every context's thread (the first join does), then wait for this
 * one's to end.  From a callback of the context itself: nothing to wait
 * for, it returns.
 */
void mtcp_app_join(mctx_t mctx)
{
	struct mtcp_ctx *c = ctx_of(mctx), *i;

	if (!c || !ctx_known(c))
		return;
	if (!__atomic_exchange_n(&ctx_started, 1, __ATOMIC_ACQ_REL)) {
		pthread_mutex_lock(&ctx_all_lock);
		for (i = ctx_all; i; i = i->next_ctx)
			mu_ctx_wake(i);
		pthread_mutex_unlock(&ctx_all_lock);
	}
	if (pthread_equal(c->thread, pthread_self()))
		return;
	pthread_mutex_lock(&c->lock);
	while (!c->ended)
		pthread_cond_wait(&c->ended_cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}
