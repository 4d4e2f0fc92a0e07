// SPDX-License-Identifier: GPL-2.0
/*
 * ooo.c - what one segment costs the tracker's out-of-order store
 *
 *   ooo holes N     N one-byte segments, each behind a one-byte hole of
 *                   its own, in ascending order (the far end of the store
 *                   each time: a list walked from its head costs O(N)
 *                   there, a tree O(log N))
 *   ooo contig N    N one-byte segments behind one one-byte hole
 *   ooo inorder N   N in-order segments of 1448 bytes: the common case
 *
 * One flow, one side; the segments are built and parsed beforehand, and
 * the function bench_run() hands them to mos_tm_input(): run under
 * valgrind --tool=callgrind --toggle-collect=bench_run, callgrind counts
 * the instructions of exactly that (bench/ooo divides them by N).  The
 * hole is filled afterwards, outside it, and the program checks that the
 * stream got every byte.
 *
 * The program builds against any tree's tracker sources (bench/ooo gives
 * it a tree's kmod/tcpmon and tools/tcpmon), older ones too: the piece
 * limit is raised only where there is one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tcpmon.h"
#include "pkt.h"

struct bpkt {
	struct tm_flat b;
	struct tm_src src;
	struct tm_pkt p;
	enum tm_parse_res res;
};

static u64 delivered;

static void b_event(void *priv, struct tm_flow *f, const struct tm_ev *ev,
		    const struct tm_src *src, const struct tm_pkt *p)
{
	(void)priv, (void)f, (void)ev, (void)src, (void)p;
}

static void b_data(void *priv, struct tm_flow *f, int side, u64 off,
		   tm_copy_t copy, const void *src, unsigned int off_in_src,
		   unsigned int len)
{
	(void)priv, (void)f, (void)side, (void)off, (void)copy, (void)src;
	(void)off_in_src;
	delivered += len;
}

static const struct tm_ops b_ops = {
	.event = b_event,
	.data = b_data,
};

static const u8 cli[4] = { 10, 0, 0, 1 }, svr[4] = { 10, 0, 0, 2 };
static const u32 ic = 1000, is = 500000;
/* window scale 14 both ways: no window limits the segments */
static const u8 wsopt[4] = { 1, 3, 3, 14 };

static void build(struct bpkt *k, bool from_cli, u32 seq, u32 ack, u8 flags,
		  const void *data, unsigned int len)
{
	struct pkt_tcp t = {
		.family = 4,
		.src = from_cli ? cli : svr,
		.dst = from_cli ? svr : cli,
		.sport = from_cli ? 40000 : 80,
		.dport = from_cli ? 80 : 40000,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.win = 65535,
		.data = data,
		.len = len,
	};
	u8 *buf = malloc(128 + len);

	if (flags & TM_TCPF_SYN) {
		t.opt = wsopt;
		t.optlen = sizeof(wsopt);
	}
	if (!buf)
		abort();
	k->b.data = buf;
	k->b.len = pkt_tcp(buf, 128 + len, &t);
	k->src = (struct tm_src){ .pkt = &k->b, .len = k->b.len,
				  .read = tm_flat_read, .copy = tm_flat_copy };
	k->res = mos_tm_parse(&k->b, k->b.len, 4, 0, tm_flat_read, &k->p);
	if (k->res == TM_PKT_BAD)
		abort();
}

static void input(struct tm_table *t, struct bpkt *k)
{
	mos_tm_input(t, &k->src, k->res, &k->p, 0, 0);
}

/* What callgrind counts */
__attribute__((__noinline__)) void bench_run(struct tm_table *t, struct bpkt *k,
					 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		input(t, &k[i]);
}

int main(int argc, char **argv)
{
	static u8 payload[1448];
	struct tm_table_cfg cfg = { .buf_side = 1U << 30,
				    .buf_total = 1ULL << 32 };
	struct bpkt hs[4], fill[1], *k;
	unsigned int n, i, seglen = 1;
	u64 want;
	struct tm_table *t;
	u8 *fillbuf;
	int mode;

	if (argc != 3 || (strcmp(argv[1], "holes") && strcmp(argv[1], "contig") &&
			  strcmp(argv[1], "inorder"))) {
		fprintf(stderr, "usage: ooo holes|contig|inorder N\n");
		return 2;
	}
	mode = argv[1][0];
	n = strtoul(argv[2], NULL, 0);
	if (!n || n > 1000000)
		return 2;
#ifdef TM_DEF_SEG_SIDE
	cfg.seg_side = 1U << 30;
#endif
	memset(payload, 'x', sizeof(payload));
	t = mos_tm_table_new(&cfg, &b_ops, NULL);
	if (!t)
		return 1;
	build(&hs[0], true, ic, 0, TM_TCPF_SYN, NULL, 0);
	build(&hs[1], false, is, ic + 1, TM_TCPF_SYN | TM_TCPF_ACK, NULL, 0);
	build(&hs[2], true, ic + 1, is + 1, TM_TCPF_ACK, NULL, 0);
	/* the server's first scaled window */
	build(&hs[3], false, is + 1, ic + 1, TM_TCPF_ACK, NULL, 0);
	k = calloc(n, sizeof(*k));
	if (!k)
		return 1;
	if (mode == 'i')
		seglen = sizeof(payload);
	/* stream offset 0 is the hole; the segments start at 1 */
	for (i = 0; i < n; i++) {
		u32 off = mode == 'h' ? 1 + 2 * i : mode == 'c' ? 1 + i :
			  i * seglen;

		build(&k[i], true, ic + 1 + off, is + 1, TM_TCPF_ACK, payload,
		      seglen);
	}
	fillbuf = calloc(1, 2 * n);
	if (!fillbuf || (mode == 'h' && n > 30000))
		return 1;
	build(fill, true, ic + 1, is + 1, TM_TCPF_ACK, fillbuf,
	      mode == 'h' ? 2 * n : mode == 'c' ? 1 : 0);

	for (i = 0; i < 4; i++)
		input(t, &hs[i]);
	bench_run(t, k, n);
	if (mode != 'i')
		input(t, fill);
	want = mode == 'h' ? 2 * n : mode == 'c' ? n + 1 : (u64)n * seglen;
	printf("%s %u: %llu bytes delivered, %llu out of order left\n",
	       argv[1], n, (unsigned long long)delivered,
	       (unsigned long long)mos_tm_ooo_bytes(t));
	mos_tm_table_free(t);
	free(fillbuf);
	return delivered == want ? 0 : 1;
}
