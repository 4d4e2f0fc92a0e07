// SPDX-License-Identifier: GPL-2.0
/*
 * ringbuf_bench.c - records of given sizes through a BPF ring buffer
 *
 * DOC: Theory of Operation
 *
 * The baseline for /dev/mos's ring in bench/ring: the kernel's own
 * BPF_MAP_TYPE_RINGBUF, fed records of the size ring_bench measured
 * (their mean, without the 8-byte header both rings put in front).
 * ringbuf_bench.bpf.o's program writes --chunk records per
 * BPF_PROG_TEST_RUN; the main thread, pinned to the traffic CPU (0), runs
 * it until --recs records were offered.  A consumer thread pinned to
 * another CPU (1) reads them with libbpf's ring_buffer__poll(), which
 * sleeps in epoll while the ring is empty, and touches each record's
 * first and last byte.  The ring has --ring bytes of data.
 *
 * Output: one line of key=value words.  produce_s is the producer's time
 * for all records, deliver_s the time until the consumer's last record
 * (a batch's end), both from the first run.
 */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static struct {
	const char *obj;
	uint64_t recs;
	uint32_t size;
	uint32_t chunk;
	uint64_t ring;
	int traffic_cpu, consumer_cpu;
} opt = {
	.chunk = 64,
	.ring = 64ULL << 20,
	.traffic_cpu = 0,
	.consumer_cpu = 1,
};

struct counters {
	volatile uint64_t written, dropped;
};

struct cons {
	struct ring_buffer *rb;
	const struct counters *cnt;
	atomic_int produced;
	uint64_t recs, bytes, touch;
	double t_last;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "ringbuf_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s))
		die("sched_setaffinity", errno);
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
		fprintf(stderr, "ringbuf_bench: bad size %s\n", s);
		exit(2);
	}
	return v;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct cons *c = ctx;
	const uint8_t *p = data;

	c->recs++;
	c->bytes += len;
	if (len)
		c->touch += p[0] + p[len - 1];
	return 0;
}

static void *consumer(void *arg)
{
	struct cons *c = arg;

	pin(opt.consumer_cpu);
	for (;;) {
		int n = ring_buffer__poll(c->rb, 5);

		if (n < 0 && n != -EINTR)
			die("ring_buffer__poll", -n);
		if (n > 0)
			c->t_last = now();
		if (atomic_load(&c->produced) &&
		    c->recs + c->cnt->dropped >= opt.recs)
			break;
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ringbuf_bench --obj ringbuf_bench.bpf.o --recs N --size N\n"
		"                     [--chunk N] [--ring N] [--traffic-cpu N] [--consumer-cpu N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "obj", 1, NULL, 'o' }, { "recs", 1, NULL, 'r' },
		{ "size", 1, NULL, 's' }, { "chunk", 1, NULL, 'k' },
		{ "ring", 1, NULL, 'R' }, { "traffic-cpu", 1, NULL, 't' },
		{ "consumer-cpu", 1, NULL, 'C' }, { NULL, 0, NULL, 0 },
	};
	struct { uint32_t count, size; } args;
	struct cons c = { 0 };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *rbmap, *m, *bss = NULL;
	uint64_t offered = 0;
	size_t bss_size;
	pthread_t tc;
	double t0, t1;
	int o, err;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'o': opt.obj = optarg; break;
		case 'r': opt.recs = size_arg(optarg); break;
		case 's': opt.size = size_arg(optarg); break;
		case 'k': opt.chunk = size_arg(optarg); break;
		case 'R': opt.ring = size_arg(optarg); break;
		case 't': opt.traffic_cpu = atoi(optarg); break;
		case 'C': opt.consumer_cpu = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || !opt.obj || !opt.recs || !opt.size)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	pin(opt.traffic_cpu);

	obj = bpf_object__open_file(opt.obj, NULL);
	if (!obj)
		die(opt.obj, errno);
	rbmap = bpf_object__find_map_by_name(obj, "rb");
	prog = bpf_object__find_program_by_name(obj, "produce");
	if (!rbmap || !prog)
		die("the object lacks rb or produce", ENOENT);
	err = bpf_map__set_max_entries(rbmap, opt.ring);
	if (err)
		die("set_max_entries", -err);
	err = bpf_object__load(obj);
	if (err)
		die("bpf_object__load", -err);
	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		size_t l = strlen(n);

		if (l >= 4 && !strcmp(n + l - 4, ".bss"))
			bss = m;
	}
	if (!bss)
		die("no .bss map", ENOENT);
	/* written and dropped, then the source bytes: the kernel's map */
	bss_size = bpf_map__value_size(bss);
	if (bss_size < sizeof(struct counters))
		die(".bss too small", EINVAL);
	c.cnt = mmap(NULL, bss_size, PROT_READ, MAP_SHARED, bpf_map__fd(bss), 0);
	if (c.cnt == MAP_FAILED)
		die("mmap .bss", errno);
	c.rb = ring_buffer__new(bpf_map__fd(rbmap), on_record, &c, NULL);
	if (!c.rb)
		die("ring_buffer__new", errno);
	if (pthread_create(&tc, NULL, consumer, &c))
		die("pthread_create", errno);

	args.size = opt.size;
	t0 = now();
	while (offered < opt.recs) {
		LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args,
			    .ctx_size_in = sizeof(args));

		args.count = opt.recs - offered < opt.chunk ?
			     opt.recs - offered : opt.chunk;
		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &run);
		if (err)
			die("BPF_PROG_TEST_RUN", errno);
		offered += args.count;
	}
	t1 = now();
	atomic_store(&c.produced, 1);
	pthread_join(tc, NULL);
	printf("mode=ringbuf recs=%llu size=%u chunk=%u ring=%llu produce_s=%.6f deliver_s=%.6f"
	       " written=%llu dropped=%llu consumed=%llu consumed_bytes=%llu\n",
	       (unsigned long long)opt.recs, opt.size, opt.chunk,
	       (unsigned long long)opt.ring, t1 - t0,
	       (c.t_last ? c.t_last : t1) - t0,
	       (unsigned long long)c.cnt->written,
	       (unsigned long long)c.cnt->dropped,
	       (unsigned long long)c.recs, (unsigned long long)c.bytes);
	ring_buffer__free(c.rb);
	bpf_object__close(obj);
	return 0;
}
