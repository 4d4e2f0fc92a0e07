// SPDX-License-Identifier: GPL-2.0
/*
 * ringbuf_bench.bpf.c - a BPF producer of fixed-size records into a
 * BPF_MAP_TYPE_RINGBUF, the baseline of bench/ring_bench's records
 *
 * DOC: Theory of Operation
 *
 * A BPF_PROG_TYPE_SYSCALL program, run with BPF_PROG_TEST_RUN by
 * ringbuf_bench.c.  Each run writes ctx->count records of ctx->size bytes
 * with bpf_ringbuf_output(), which copies them from a global buffer into
 * the ring as /dev/mos copies stream bytes and packets into its ring.  A
 * record that finds no room is counted in @g.dropped, as mos counts its
 * losses.  Wake-ups are the ring buffer's default: the consumer is woken
 * when it had caught up, as /dev/mos does.
 */

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SRC_MAX	32768

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);	/* set by the loader */
} rb SEC(".maps");

struct args {
	__u32 count;
	__u32 size;
};

/* the .bss map: ringbuf_bench.c reads the counters at its start */
struct {
	__u64 written;
	__u64 dropped;
	char src[SRC_MAX];
} g;

static long one(__u32 i, void *ctx)
{
	__u32 size = *(__u32 *)ctx;

	(void)i;
	if (size > SRC_MAX)
		return 1;
	if (bpf_ringbuf_output(&rb, g.src, size, 0))
		g.dropped++;
	else
		g.written++;
	return 0;
}

SEC("syscall")
int produce(struct args *a)
{
	__u32 size = a->size;

	return bpf_loop(a->count, one, &size, 0);
}

char LICENSE[] SEC("license") = "GPL";
