// SPDX-License-Identifier: GPL-2.0
/*
 * tc_ringbuf.c - the BPF peer of mos's PKT_IN records: tc_ringbuf.bpf.o
 * at TC ingress of an interface, its ring buffer read by a consumer
 *
 * DOC: Theory of Operation
 *
 * Loads tc_ringbuf.bpf.o with a ring buffer of --ring bytes, attaches its
 * program at ingress of --dev (a clsact qdisc made if missing), says
 * "tc_ringbuf: ready" on stderr, and reads records on the calling thread
 * (pinned to --consumer-cpu when that CPU exists) with
 * ring_buffer__poll(), which sleeps in epoll while the ring is empty,
 * touching each record's first and last byte, as ring_bench's consumer
 * of /dev/mos does.  At SIGINT or SIGTERM it detaches the program, reads
 * what is left, and prints one line of key=value words: records written,
 * dropped (no room) and consumed, and their bytes.
 */

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../uapi/linux/mos.h"

/* tc_ringbuf.bpf.c writes a body of this size before the packet */
#define EV_SIZE	48
_Static_assert(sizeof(struct mos_rec_event) == EV_SIZE,
	       "tc_ringbuf.bpf.c's record must have mos's PKT_IN body size");

struct counters {
	volatile uint64_t written, dropped, bytes, skipped;
};

struct cons {
	uint64_t recs, bytes, touch;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "tc_ringbuf: %s: %s\n", what, strerror(err));
	exit(1);
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
		fprintf(stderr, "tc_ringbuf: bad size %s\n", s);
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

static void usage(void)
{
	fprintf(stderr,
		"usage: tc_ringbuf --obj tc_ringbuf.bpf.o --dev IFACE [--ring N] [--consumer-cpu N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "obj", 1, NULL, 'o' }, { "dev", 1, NULL, 'd' },
		{ "ring", 1, NULL, 'R' }, { "consumer-cpu", 1, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *objpath = NULL, *dev = NULL;
	uint64_t ring = 64ULL << 20;
	int cpu = 1, o, err, ncpu;
	struct sigaction sa = { .sa_handler = on_stop };
	struct bpf_map *rbmap, *slots, *m, *bss = NULL;
	const struct counters *cnt;
	struct bpf_program *prog;
	struct ring_buffer *rb;
	struct bpf_object *obj;
	struct cons c = { 0 };
	cpu_set_t set;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'o': objpath = optarg; break;
		case 'd': dev = optarg; break;
		case 'R': ring = size_arg(optarg); break;
		case 'C': cpu = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || !objpath || !dev)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 1)
		die("libbpf_num_possible_cpus", -ncpu);
	/* One CPU (the profiled guest): producer and consumer share it */
	if (cpu < ncpu) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity", errno);
	}

	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco);

	hook.ifindex = if_nametoindex(dev);
	if (!hook.ifindex)
		die(dev, errno);
	obj = bpf_object__open_file(objpath, NULL);
	if (!obj)
		die(objpath, errno);
	rbmap = bpf_object__find_map_by_name(obj, "rb");
	slots = bpf_object__find_map_by_name(obj, "slots");
	prog = bpf_object__find_program_by_name(obj, "pkt_in");
	if (!rbmap || !slots || !prog)
		die("the object lacks rb, slots or pkt_in", ENOENT);
	err = bpf_map__set_max_entries(rbmap, ring);
	if (!err)
		err = bpf_map__set_max_entries(slots, ncpu);
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
	if (!bss || bpf_map__value_size(bss) < sizeof(struct counters))
		die("no .bss map of the counters", ENOENT);
	cnt = mmap(NULL, bpf_map__value_size(bss), PROT_READ, MAP_SHARED,
		   bpf_map__fd(bss), 0);
	if (cnt == MAP_FAILED)
		die("mmap .bss", errno);
	rb = ring_buffer__new(bpf_map__fd(rbmap), on_record, &c, NULL);
	if (!rb)
		die("ring_buffer__new", errno);

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		die("bpf_tc_hook_create", -err);
	tco.prog_fd = bpf_program__fd(prog);
	err = bpf_tc_attach(&hook, &tco);
	if (err)
		die("bpf_tc_attach", -err);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "tc_ringbuf: ready\n");

	while (!stop) {
		int n = ring_buffer__poll(rb, 100);

		if (n < 0 && n != -EINTR)
			die("ring_buffer__poll", -n);
	}
	tco.flags = tco.prog_fd = tco.prog_id = 0;
	err = bpf_tc_detach(&hook, &tco);
	if (err)
		die("bpf_tc_detach", -err);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
	ring_buffer__consume(rb);
	printf("mode=tc recs=%llu bytes=%llu written=%llu dropped=%llu consumed=%llu consumed_bytes=%llu skipped=%llu ring=%llu\n",
	       (unsigned long long)cnt->written,
	       (unsigned long long)cnt->bytes,
	       (unsigned long long)cnt->written,
	       (unsigned long long)cnt->dropped,
	       (unsigned long long)c.recs, (unsigned long long)c.bytes,
	       (unsigned long long)cnt->skipped, (unsigned long long)ring);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
