// SPDX-License-Identifier: GPL-2.0
/*
 * ringcount.c - a /dev/mos consumer that counts instead of printing: the
 * stress tests' consumer, for many flows and for slow reading
 *
 * Usage: ringcount [-r RING_BYTES] [-b BUF_BYTES] [-d USEC] [-n RECORDS]
 *
 * One stream socket, every flow: CONN_START and CONN_END at both packet
 * hooks, NEW_DATA at the NULL hook, with stream bytes (-b, per side, default 64 KiB).  For each
 * flow and side it checks that CONN_START comes once, and CONN_END once
 * and after it; for each stream, that DATA records follow one another
 * (a jump forward is allowed only once a LOST record said bytes were
 * lost).  With -d it sleeps USEC microseconds after every -n records
 * (default 64): a slow consumer, until SIGUSR1 makes it read at full
 * speed.
 *
 * Prints "ringcount: ready" on stderr once set up; on SIGINT or SIGTERM it
 * reads what the ring still holds and prints one line of counters:
 *
 *	flows F open_cli N open_svr N starts C S ends C S bad N bad_off N
 *	events N data_bytes N lost_events N lost_data N lost_bytes N
 *	lost_other N
 *
 * open_*: sides started and not ended; bad: CONN_START/CONN_END pairing
 * errors (expected only when event records were lost); bad_off: stream
 * offsets that go back, or jump further than the lost bytes.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "libmosuser.h"

#define EV(n)	(1ULL << (n))
enum { CONN_START = 2, NEW_DATA = 4, CONN_END = 10 };

/* A flow: open addressing on its id, which is never 0 */
struct flow {
	uint64_t id;
	uint64_t next_off[2];	/* the stream offset the next DATA must have */
	uint8_t started, ended;	/* bit per side */
};

static struct flow *g_tab;
static uint64_t g_mask, g_used;
static volatile sig_atomic_t g_stop, g_fast;

static uint64_t c_flows, c_starts[2], c_ends[2], c_bad, c_bad_off, c_events;
static uint64_t c_data_bytes, c_lost_events, c_lost_data, c_lost_bytes;
static uint64_t c_lost_other, c_lost_unread;

static int tab_grow(void)
{
	uint64_t n = g_mask ? (g_mask + 1) * 2 : 1 << 16, i, j;
	struct flow *t = calloc(n, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; g_tab && i <= g_mask; i++) {
		if (!g_tab[i].id)
			continue;
		for (j = g_tab[i].id * 0x9e3779b97f4a7c15ULL & (n - 1); t[j].id;
		     j = (j + 1) & (n - 1))
			;
		t[j] = g_tab[i];
	}
	free(g_tab);
	g_tab = t;
	g_mask = n - 1;
	return 0;
}

/* The flow @id, added if new; NULL when out of memory */
static struct flow *flow_get(uint64_t id)
{
	uint64_t j;

	if ((g_used + 1) * 2 > g_mask + 1 && tab_grow())
		return NULL;
	for (j = id * 0x9e3779b97f4a7c15ULL & g_mask; g_tab[j].id;
	     j = (j + 1) & g_mask)
		if (g_tab[j].id == id)
			return &g_tab[j];
	g_tab[j].id = id;
	g_used++;
	c_flows++;
	return &g_tab[j];
}

static void on_record(const struct mos_rec *rec)
{
	const void *b = rec + 1;
	struct flow *f;

	switch (rec->type) {
	case MOS_REC_EVENT: {
		const struct mos_rec_event *e = b;
		unsigned int bit = 1U << (e->side & 1);

		c_events++;
		if (e->side > 1 || !e->flow)
			break;
		f = flow_get(e->flow);
		if (!f) {
			c_bad++;
			break;
		}
		if (e->type == CONN_START) {
			c_starts[e->side]++;
			if (f->started & bit)
				c_bad++;
			f->started |= bit;
		} else if (e->type == CONN_END) {
			c_ends[e->side]++;
			if (!(f->started & bit) || (f->ended & bit))
				c_bad++;
			f->ended |= bit;
		}
		break;
	}
	case MOS_REC_DATA: {
		const struct mos_rec_data *d = b;

		c_data_bytes += d->len;
		f = d->side < 2 ? flow_get(d->flow) : NULL;
		if (!f) {
			c_bad++;
			break;
		}
		/* A jump forward: bytes a LOST record counted */
		if (d->off > f->next_off[d->side]) {
			uint64_t gap = d->off - f->next_off[d->side];

			if (gap > c_lost_unread)
				c_bad_off++;
			else
				c_lost_unread -= gap;
		} else if (d->off < f->next_off[d->side]) {
			c_bad_off++;
		}
		f->next_off[d->side] = d->off + d->len;
		break;
	}
	case MOS_REC_LOST: {
		const struct mos_rec_lost *l = b;

		c_lost_events += l->events;
		c_lost_data += l->data;
		c_lost_bytes += l->bytes;
		c_lost_other += l->other;
		c_lost_unread += l->bytes;
		break;
	}
	default:
		break;
	}
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_fast = 1;
	else
		g_stop = 1;
}

/* Read what the ring holds; with @slow, the -d pace.  Return: records */
static unsigned long drain(struct mos_ring_user *r, unsigned int delay,
			   unsigned int batch)
{
	const struct mos_rec *rec;
	unsigned long n = 0;

	while ((rec = mos_ring__next(r))) {
		on_record(rec);
		mos_ring__advance(r, rec);
		if (delay && !g_fast && ++n % batch == 0) {
			usleep(delay);
			if (g_stop || g_fast)
				break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned long ring = 1UL << 24, buf = 1 << 16;
	unsigned int delay = 0, batch = 64, h;
	struct mos_ring_user r;
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd;
	int fd, opt;

	while ((opt = getopt(argc, argv, "r:b:d:n:")) != -1) {
		switch (opt) {
		case 'r':
			ring = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			buf = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			delay = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			batch = strtoul(optarg, NULL, 0);
			if (!batch)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	fd = mos_dev__open();
	if (fd < 0 || mos_ring__open(&r, fd, ring)) {
		perror("ringcount: /dev/mos");
		return 1;
	}
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	if (ioctl(fd, MOS_IOC_SOCKET, &ms)) {
		perror("ringcount: MOS_IOC_SOCKET");
		return 1;
	}
	for (h = MOS_HOOK_NULL; h <= MOS_HOOK_RCV; h++) {
		struct mos_ioc_subscribe s = {
			.size = sizeof(s), .sock = ms.id, .hook = h,
			.events = h == MOS_HOOK_NULL ? EV(NEW_DATA) :
				  EV(CONN_START) | EV(CONN_END),
			.buf = { buf, buf },
		};

		if (ioctl(fd, MOS_IOC_SUBSCRIBE, &s)) {
			perror("ringcount: MOS_IOC_SUBSCRIBE");
			return 1;
		}
	}
	fprintf(stderr, "ringcount: ready\n");

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!g_stop) {
		if (!drain(&r, g_fast ? 0 : delay, batch) &&
		    poll(&pfd, 1, 100) < 0 && errno != EINTR) {
			perror("ringcount: poll");
			return 1;
		}
	}
	/* What the ring still holds, at full speed */
	drain(&r, 0, batch);

	uint64_t open[2] = { 0, 0 }, i;

	for (i = 0; i <= g_mask; i++) {
		if (!g_tab || !g_tab[i].id)
			continue;
		open[0] += (g_tab[i].started & ~g_tab[i].ended) & 1;
		open[1] += ((g_tab[i].started & ~g_tab[i].ended) >> 1) & 1;
	}
	printf("flows %llu open_cli %llu open_svr %llu starts %llu %llu ends %llu %llu bad %llu bad_off %llu events %llu data_bytes %llu lost_events %llu lost_data %llu lost_bytes %llu lost_other %llu\n",
	       (unsigned long long)c_flows, (unsigned long long)open[0],
	       (unsigned long long)open[1],
	       (unsigned long long)c_starts[0], (unsigned long long)c_starts[1],
	       (unsigned long long)c_ends[0], (unsigned long long)c_ends[1],
	       (unsigned long long)c_bad, (unsigned long long)c_bad_off,
	       (unsigned long long)c_events,
	       (unsigned long long)c_data_bytes,
	       (unsigned long long)c_lost_events,
	       (unsigned long long)c_lost_data,
	       (unsigned long long)c_lost_bytes,
	       (unsigned long long)c_lost_other);
	mos_ring__close(&r);
	close(fd);
	free(g_tab);
	return 0;
usage:
	fprintf(stderr, "usage: ringcount [-r RING_BYTES] [-b BUF_BYTES] [-d USEC] [-n RECORDS]\n");
	return 2;
}
