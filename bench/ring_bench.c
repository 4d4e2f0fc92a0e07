// SPDX-License-Identifier: GPL-2.0
/*
 * ring_bench.c - how fast /dev/mos delivers records to a consumer
 *
 * DOC: Theory of Operation
 *
 * Runs in a network namespace whose monitoring bench/ring_guest turned on
 * (passive mode) or left off.  One process makes TCP traffic over
 * 127.0.0.1: a sender thread and a receiver thread, both pinned to the
 * traffic CPU (0).  Over loopback the packets go through netfilter, and so
 * through mos's hooks, in the sending thread's softirq, on that CPU.  A
 * consumer thread pinned to another CPU (1) reads the ring with
 * libmosuser and sleeps in poll() whenever it is empty.
 *
 * stream: one connection carries --bytes from client to server in
 *	64 KiB writes.  The consumer subscribes to the bytes the server
 *	receives (side 1, --buf) and counts DATA bytes and the bytes LOST
 *	records report.
 * events: one connection with TCP_NODELAY carries --sends writes of
 *	--size bytes.  The consumer subscribes to PKT_IN at MOS_HOOK_SND and
 *	MOS_HOOK_RCV and to NEW_DATA, with no stream bytes, and counts event
 *	records and the events LOST records report.
 * memcpy: the baseline of a consumer: --recs copies of --size bytes on
 *	the consumer CPU, from a source as large as the ring (--ring) to
 *	consecutive places in a destination of the same size, both touched
 *	beforehand.
 *
 * --consumer none runs the traffic alone (monitoring on or off, as the
 * namespace is).  Once the traffic is over, a last short connection makes
 * the kernel write the LOST record of losses at the end of the transfer
 * (it is written before the next record that fits).
 *
 * Output: one line of key=value words.  Times are in seconds:
 *	xfer_s		first write to the receiver's last byte
 *	deliver_s	first write to the consumer's last record of the
 *			transfer (a batch's end: clock read once per batch)
 *	copy_s		(memcpy) the copies
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "libmosuser.h"

#define EV(n)	(1ULL << (n))
/* mOS's event bits (enum tm_event) */
enum { PKT_IN = 0, NEW_DATA = 4 };

enum mode { M_STREAM, M_EVENTS, M_MEMCPY };

static struct {
	enum mode mode;
	uint64_t bytes;
	uint64_t sends;
	uint64_t recs;
	uint32_t size;
	uint64_t ring;
	uint32_t buf;
	int consumer;
	int traffic_cpu, consumer_cpu;
} opt = {
	.bytes = 256ULL << 20,
	.sends = 100000,
	.size = 64,
	.ring = 64ULL << 20,
	.buf = 1 << 20,
	.consumer = 1,
	.traffic_cpu = 0,
	.consumer_cpu = 1,
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "ring_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s))
		die("sched_setaffinity");
}

static uint64_t size_arg(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	}
	if (*end || !v) {
		fprintf(stderr, "ring_bench: bad size %s\n", s);
		exit(2);
	}
	return v;
}

/* --- the traffic ----------------------------------------------------- */

static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (void *)&a, sizeof(a)) || listen(s, 4) ||
	    getsockname(s, (void *)&a, &alen))
		die("listener");
	*port = ntohs(a.sin_port);
	return s;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (void *)&a, sizeof(a)))
		die("connect");
	return s;
}

struct xfer {
	int fd;
	uint64_t total;		/* bytes */
	uint32_t wsize;		/* bytes a write */
	double t_end;
};

static void *sender(void *arg)
{
	struct xfer *x = arg;
	static char buf[1 << 16];
	uint64_t done = 0;

	pin(opt.traffic_cpu);
	memset(buf, 'm', sizeof(buf));
	while (done < x->total) {
		size_t n = x->total - done < x->wsize ? x->total - done : x->wsize;
		ssize_t w = send(x->fd, buf, n, 0);

		if (w <= 0)
			die("send");
		done += w;
	}
	shutdown(x->fd, SHUT_WR);
	return NULL;
}

static void *receiver(void *arg)
{
	struct xfer *x = arg;
	static char buf[1 << 16];
	uint64_t got = 0;

	pin(opt.traffic_cpu);
	for (;;) {
		ssize_t r = recv(x->fd, buf, sizeof(buf), 0);

		if (r < 0)
			die("recv");
		if (r == 0)
			break;
		got += r;
	}
	x->t_end = now();
	if (got != x->total) {
		fprintf(stderr, "ring_bench: received %llu of %llu bytes\n",
			(unsigned long long)got, (unsigned long long)x->total);
		exit(1);
	}
	return NULL;
}

/* --- the consumer ------------------------------------------------------ */

struct cons {
	struct mos_ring_user r;
	int fd;
	atomic_int traffic_done;	/* set by main once the receiver ends */
	atomic_int flushed;		/* set by main after the last connection */
	uint64_t flow;			/* the transfer's flow id */
	unsigned int opens;
	uint64_t data_bytes, data_recs, data_room;
	uint64_t lost_bytes, lost_data, lost_events, lost_other, lost_recs;
	uint64_t events, ev_room, ev_pkt_in[3], ev_new_data;
	uint64_t other;
	double t_last;			/* the last batch with a transfer record */
};

static uint64_t room(const struct mos_rec *rec)
{
	uint64_t n = sizeof(*rec) + (rec->len & MOS_REC_LEN_MASK);

	return (n + MOS_REC_ALIGN - 1) & ~(uint64_t)(MOS_REC_ALIGN - 1);
}

/* One record; returns 1 if it belongs to the measured transfer */
static int consume(struct cons *c, const struct mos_rec *rec)
{
	const void *b = rec + 1;

	if (rec->len & MOS_REC_DISCARD)
		return 0;
	switch (rec->type) {
	case MOS_REC_FLOW_OPEN:
		if (!c->opens++)
			c->flow = ((const struct mos_rec_flow *)b)->flow;
		return 0;
	case MOS_REC_DATA: {
		const struct mos_rec_data *d = b;

		if (d->flow != c->flow)
			return 0;
		c->data_bytes += d->len;
		c->data_recs++;
		c->data_room += room(rec);
		return 1;
	}
	case MOS_REC_EVENT: {
		const struct mos_rec_event *e = b;

		if (e->flow != c->flow)
			return 0;
		c->events++;
		c->ev_room += room(rec);
		if (e->type == PKT_IN && e->hook < 3)
			c->ev_pkt_in[e->hook]++;
		else if (e->type == NEW_DATA)
			c->ev_new_data++;
		return 1;
	}
	case MOS_REC_LOST: {
		const struct mos_rec_lost *l = b;

		c->lost_recs++;
		c->lost_bytes += l->bytes;
		c->lost_data += l->data;
		c->lost_events += l->events;
		c->lost_other += l->other;
		return 0;
	}
	default:
		c->other++;
		return 0;
	}
}

static void *consumer(void *arg)
{
	struct cons *c = arg;
	double idle_since = 0;

	pin(opt.consumer_cpu);
	for (;;) {
		const struct mos_rec *rec;
		int mine = 0;

		while ((rec = mos_ring__next(&c->r))) {
			mine |= consume(c, rec);
			mos_ring__advance(&c->r, rec);
		}
		if (mine) {
			c->t_last = now();
			idle_since = 0;
		}
		/* stream: every byte is accounted for */
		if (opt.mode == M_STREAM &&
		    c->data_bytes + c->lost_bytes >= opt.bytes && c->opens > 1)
			break;
		if (atomic_load(&c->flushed)) {
			/* the last connection's FLOW_OPEN came after the LOST */
			if (c->opens > 1)
				break;
			if (!idle_since)
				idle_since = now();
			else if (now() - idle_since > 2)
				break;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };

		poll(&p, 1, 5);
	}
	return NULL;
}

static int subscribe(int fd, unsigned int hook, uint64_t events,
		     uint32_t buf_cli, uint32_t buf_svr)
{
	struct mos_ioc_subscribe s = {
		.size = sizeof(s), .sock = 1, .hook = hook, .events = events,
		.buf = { buf_cli, buf_svr },
	};

	return ioctl(fd, MOS_IOC_SUBSCRIBE, &s);
}

static void cons_open(struct cons *c)
{
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	int err;

	c->fd = mos_dev__open();
	if (c->fd < 0) {
		errno = -c->fd;
		die("open /dev/mos");
	}
	err = mos_ring__open(&c->r, c->fd, opt.ring);
	if (err) {
		errno = -err;
		die("ring");
	}
	/* fault the whole mapping in now, not during the transfer */
	for (uint64_t i = 0; i < 2 * opt.ring; i += 4096)
		(void)*(volatile const uint8_t *)(c->r.data + i);
	if (ioctl(c->fd, MOS_IOC_SOCKET, &ms))
		die("MOS_IOC_SOCKET");
	if (opt.mode == M_STREAM) {
		if (subscribe(c->fd, MOS_HOOK_NULL, 0, 0, opt.buf))
			die("MOS_IOC_SUBSCRIBE");
	} else {
		if (subscribe(c->fd, MOS_HOOK_SND, EV(PKT_IN), 0, 0) ||
		    subscribe(c->fd, MOS_HOOK_RCV, EV(PKT_IN), 0, 0) ||
		    subscribe(c->fd, MOS_HOOK_NULL, EV(NEW_DATA), 0, 0))
			die("MOS_IOC_SUBSCRIBE");
	}
}

/* --- the modes ----------------------------------------------------------- */

static int run_traffic(void)
{
	struct xfer snd = { 0 }, rcv = { 0 };
	struct cons *c = NULL;
	pthread_t ts, tr, tc;
	uint16_t port;
	double t0;
	int l, one = 1;

	pin(opt.traffic_cpu);
	if (opt.consumer) {
		c = calloc(1, sizeof(*c));
		if (!c)
			die("calloc");
		cons_open(c);
		if (pthread_create(&tc, NULL, consumer, c))
			die("pthread_create");
	}
	l = listener(&port);
	snd.fd = connect_to(port);
	rcv.fd = accept(l, NULL, NULL);
	if (rcv.fd < 0)
		die("accept");
	if (opt.mode == M_STREAM) {
		snd.total = rcv.total = opt.bytes;
		snd.wsize = 1 << 16;
	} else {
		snd.total = rcv.total = opt.sends * opt.size;
		snd.wsize = opt.size;
		if (setsockopt(snd.fd, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof(one)))
			die("TCP_NODELAY");
	}
	t0 = now();
	if (pthread_create(&tr, NULL, receiver, &rcv) ||
	    pthread_create(&ts, NULL, sender, &snd))
		die("pthread_create");
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	close(snd.fd);
	close(rcv.fd);

	printf("mode=%s consumer=%s bytes=%llu writes=%llu xfer_s=%.6f",
	       opt.mode == M_STREAM ? "stream" : "events",
	       c ? "ring" : "none", (unsigned long long)snd.total,
	       (unsigned long long)((snd.total + snd.wsize - 1) / snd.wsize),
	       rcv.t_end - t0);
	if (c) {
		atomic_store(&c->traffic_done, 1);
		/* Give the consumer the records of the transfer first */
		usleep(300000);
		close(connect_to(port));
		atomic_store(&c->flushed, 1);
		pthread_join(tc, NULL);
		printf(" deliver_s=%.6f ring=%llu data_bytes=%llu data_recs=%llu data_room=%llu"
		       " lost_bytes=%llu lost_data=%llu lost_events=%llu lost_other=%llu lost_recs=%llu"
		       " events=%llu ev_room=%llu pkt_in_snd=%llu pkt_in_rcv=%llu new_data=%llu other=%llu",
		       (c->t_last ? c->t_last : t0) - t0,
		       (unsigned long long)opt.ring,
		       (unsigned long long)c->data_bytes,
		       (unsigned long long)c->data_recs,
		       (unsigned long long)c->data_room,
		       (unsigned long long)c->lost_bytes,
		       (unsigned long long)c->lost_data,
		       (unsigned long long)c->lost_events,
		       (unsigned long long)c->lost_other,
		       (unsigned long long)c->lost_recs,
		       (unsigned long long)c->events,
		       (unsigned long long)c->ev_room,
		       (unsigned long long)c->ev_pkt_in[MOS_HOOK_SND],
		       (unsigned long long)c->ev_pkt_in[MOS_HOOK_RCV],
		       (unsigned long long)c->ev_new_data,
		       (unsigned long long)c->other);
		mos_ring__close(&c->r);
		close(c->fd);
		free(c);
	}
	printf("\n");
	close(l);
	return 0;
}

static int run_memcpy(void)
{
	uint64_t ring = opt.ring, off = 0, sum = 0;
	uint8_t *src, *dst;
	double t0, t1;

	pin(opt.consumer_cpu);
	if (opt.size > ring)
		opt.size = ring;
	src = mmap(NULL, ring, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, ring, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		die("mmap");
	memset(src, 'm', ring);
	memset(dst, 0, ring);
	t0 = now();
	for (uint64_t i = 0; i < opt.recs; i++) {
		if (off + opt.size > ring)
			off = 0;
		memcpy(dst + off, src + off, opt.size);
		sum += dst[off];
		off += (opt.size + 7) & ~7U;
	}
	t1 = now();
	printf("mode=memcpy recs=%llu size=%u bytes=%llu copy_s=%.6f check=%llu\n",
	       (unsigned long long)opt.recs, opt.size,
	       (unsigned long long)(opt.recs * opt.size), t1 - t0,
	       (unsigned long long)sum);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ring_bench stream [--bytes N] [--buf N]\n"
		"       ring_bench events [--sends N] [--size N]\n"
		"       ring_bench memcpy --recs N --size N\n"
		"  common: [--ring N] [--consumer ring|none] [--traffic-cpu N] [--consumer-cpu N]\n"
		"  sizes take K, M, G suffixes\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bytes", 1, NULL, 'b' }, { "sends", 1, NULL, 'n' },
		{ "size", 1, NULL, 's' }, { "recs", 1, NULL, 'r' },
		{ "ring", 1, NULL, 'R' }, { "buf", 1, NULL, 'B' },
		{ "consumer", 1, NULL, 'c' }, { "traffic-cpu", 1, NULL, 't' },
		{ "consumer-cpu", 1, NULL, 'C' }, { NULL, 0, NULL, 0 },
	};
	int o;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "stream"))
		opt.mode = M_STREAM;
	else if (!strcmp(argv[1], "events"))
		opt.mode = M_EVENTS;
	else if (!strcmp(argv[1], "memcpy"))
		opt.mode = M_MEMCPY;
	else
		usage();
	optind = 2;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'b': opt.bytes = size_arg(optarg); break;
		case 'n': opt.sends = size_arg(optarg); break;
		case 's': opt.size = size_arg(optarg); break;
		case 'r': opt.recs = size_arg(optarg); break;
		case 'R': opt.ring = size_arg(optarg); break;
		case 'B': opt.buf = size_arg(optarg); break;
		case 'c':
			if (!strcmp(optarg, "none"))
				opt.consumer = 0;
			else if (strcmp(optarg, "ring"))
				usage();
			break;
		case 't': opt.traffic_cpu = atoi(optarg); break;
		case 'C': opt.consumer_cpu = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opt.mode == M_MEMCPY) {
		if (!opt.recs)
			usage();
		return run_memcpy();
	}
	return run_traffic();
}
