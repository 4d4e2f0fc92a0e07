// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * context.c - contexts and the loop: a context is one consumer (an open
 * /dev/mos with its ring, or offline a capture); mtcp_app_join() reads
 * its records and hands each to the flows (flow.c), the stream buffers
 * (stream.c) or the callbacks (dispatch.c), and runs the timers (timer.c)
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include "internal.h"

static void ctx_free(struct mtcp_ctx *c)
{
	uint32_t i;

	mu_events_free(c);
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

/*
 * Whole packets (mtcp_getlastpkt()), as far as the context's copy of the
 * packet holds them
 */
#define CTX_PKT_MAX(c)	(sizeof((c)->pkt) < MOS_PKT_COPY_LIMIT ? \
			 (uint32_t)sizeof((c)->pkt) : MOS_PKT_COPY_LIMIT)

mctx_t mtcp_create_context(int cpu)
{
	const char *pcap = getenv("MOS_PCAP"), *csum;
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
	if (!pcap || !*pcap)
		pcap = mu_pcap_file[0] ? mu_pcap_file : NULL;
	if (pcap) {
		/* Offline: why it failed is in mos_offline__error(NULL) */
		csum = getenv("MOS_PCAP_CHECKSUM");
		if (!csum || !*csum)
			csum = mu_pcap_csum;
		err = -mos_offline__open(&c->off, pcap, csum, NULL, 0);
		if (err)
			goto err;
		/* The contexts share the capture's flows as live (below) */
		err = -mos_offline__ioctl(c->off, MOS_IOC_RING_SETUP,
					  &(struct mos_ioc_ring){
			.size = sizeof(struct mos_ioc_ring),
			.split_count = mu_conf.num_cores > 1 ? mu_conf.num_cores : 0,
			.split_index = mu_conf.num_cores > 1 ? cpu : 0,
			.pkt_max = CTX_PKT_MAX(c) });
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
	err = -mos_ring__open_opts(&c->ring, c->fd, &(struct mos_ring_opts){
		.sz = sizeof(struct mos_ring_opts), .data_size = MTCP_RING_SIZE,
		.split_count = mu_conf.num_cores > 1 ? mu_conf.num_cores : 0,
		.split_index = mu_conf.num_cores > 1 ? cpu : 0,
		.pkt_max = CTX_PKT_MAX(c) });
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

uint32_t mtcp_cb_get_ts(mctx_t mctx)
{
	return (uint32_t)(mu_ctx_now(ctx_of(mctx)) / 1000000);
}

static void drain(struct mtcp_ctx *c)
{
	const struct mos_rec *rec;

	while (!c->stop && (rec = mos_ring__next(&c->ring))) {
		const void *b = rec + 1;

		if (!(rec->len & MOS_REC_DISCARD)) {
			switch (rec->type) {
			case MOS_REC_FLOW_OPEN:
				mu_flow_open(c, b);
				break;
			case MOS_REC_FLOW_CLOSE:
				mu_dispatch_close(c, b);
				break;
			case MOS_REC_DATA:
				mu_flow_data(c, b);
				break;
			case MOS_REC_EVENT:
				mu_dispatch_event(c, rec);
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
	if (!c->stop)
		mu_dispatch_idle(c);
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

		if (r < 0)
			mu_offline_failed(c, r);
		if (r <= 0) {
			c->stop = 1;
			c->destroyed = 1;
			break;
		}
		drain(c);
		mu_run_timers(c, mu_ctx_now(c));
	}
	pfd[0].fd = c->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = c->efd;
	pfd[1].events = POLLIN;
	while (!c->stop) {
		drain(c);
		mu_run_timers(c, mu_ctx_now(c));
		if (c->stop)
			break;
		if (poll(pfd, 2, mu_timer_wait_ms(c, 100)) < 0 && errno != EINTR)
			break;
	}
	c->joining = 0;
	if (c->destroyed)
		ctx_free(c);
}
