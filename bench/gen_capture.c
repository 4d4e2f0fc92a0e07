// SPDX-License-Identifier: GPL-2.0
/*
 * gen_capture.c - write a large, deterministic TCP capture for bench/replay
 *
 * DOC: Theory of Operation
 *
 * Goal: one capture that makes a flow tracker do all of its work at a
 * realistic scale: many concurrent connections, data in both directions,
 * IPv4 and IPv6, and segments that arrive out of order, twice, or late.
 * The same seed always gives the same bytes, so instruction counts can be
 * compared between runs and between tools.
 *
 * Shape of the capture, in three phases:
 *
 *  1. handshakes: every connection's SYN, SYN-ACK and ACK, the connections
 *     picked at random, so that all of them are open at once at the end of
 *     the phase (the concurrency is the number of flows);
 *  2. data: request/response rounds; each turn a random open connection
 *     sends the next one to three packets of its own schedule;
 *  3. closes: FIN, ACK, FIN, ACK (or FIN, FIN-ACK, ACK), picked at random.
 *
 * Each connection is built as a list of packet descriptors first (what is
 * sent, by which side, which data segment); sequence and acknowledgment
 * numbers, timestamps and checksums are filled in when a descriptor is
 * written, from what the receiver has got so far in capture order, so an
 * ACK after a hole acknowledges only up to the hole (a duplicate ACK).
 *
 * A connection is one of: IPv4 or IPv6 (about 10% IPv6), and plain or
 * impaired (about 10%, independently).  In an impaired connection's data
 * phase a data segment is, with small probabilities, swapped with the next
 * packet (reordering), sent again a few packets later (lost after the
 * monitor: it shows up twice) or moved a few packets later (lost before the
 * monitor and retransmitted: a hole, then the bytes).  A retransmission
 * carries the same bytes as the original.  Timestamps (TSval) grow in
 * capture order, as if the reordering had happened at the sender, so that
 * PAWS-checking trackers (libnids) do not drop the reordered segments.
 *
 * Every segment carries the timestamps option; SYNs carry MSS (1460 for
 * IPv4, 1440 for IPv6), SACK-permitted, timestamps and window scale 7, so
 * a full segment holds 1448 (IPv4) or 1428 (IPv6) bytes.  Payload bytes
 * come from a fixed pseudo-random block, indexed by stream offset.  IPv4
 * header and TCP checksums are valid.  The link type is Ethernet.
 *
 * Output: the pcap file (-o), and one line of key=value totals (on
 * stdout, or -s FILE) that bench/replay checks the trackers against.
 *
 * Limits: at most 1,000,000 flows (ports and addresses run out after); a
 * connection's streams stay far below 4 GiB, so sequence numbers wrap at
 * most once and are computed modulo 2^32.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkt.h"

#define MAX_FLOWS	1000000
#define PATTERN_SIZE	65536		/* payload source, a power of two */
#define ETH_HLEN	14
#define IP4_HLEN	20
#define IP6_HLEN	40
#define TCP_HLEN	20
#define OPT_SYN_LEN	20		/* MSS, SACK_PERM, TS, NOP, WS */
#define OPT_LEN		12		/* NOP, NOP, TS */
#define MSS4		1460
#define MSS6		1440
#define WSCALE		7
#define WIN_SYN		64240
#define WIN		1002		/* << WSCALE: 128 KiB */
#define MAX_FRAME	(ETH_HLEN + IP6_HLEN + TCP_HLEN + OPT_SYN_LEN + MSS4)

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_PSH		0x08
#define TH_ACK		0x10

/* Percentages */
#define PCT_V6		10
#define PCT_IMPAIRED	10
#define PCT_UPLOAD	20	/* client sends the large messages */
#define PCT_SMALLSEG	5	/* a message also sends a short segment */
/* Per data segment of an impaired flow, in per mille */
#define PM_REORDER	80
#define PM_DUP		50
#define PM_LATE		50

static uint64_t rng_state;

/* splitmix64: small, fast, and the same on every platform */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n) */
static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* A number in [lo, hi] */
static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
	return lo + rng_below(hi - lo + 1);
}

enum pd_kind {
	PD_SYN,
	PD_SYNACK,
	PD_ACK,
	PD_DATA,
	PD_FIN,
};

/**
 * struct pd - one packet of a connection's schedule
 * @kind: &enum pd_kind
 * @side: who sends it: 0 client, 1 server
 * @seg: for %PD_DATA, the index of the segment in the sender's stream
 */
struct pd {
	uint8_t kind;
	uint8_t side;
	uint32_t seg;
};

/**
 * struct seg - a data segment of one side's stream
 * @off: stream offset of its first byte
 * @len: bytes
 * @psh: last segment of a message
 * @got: the peer has received it (in capture order)
 */
struct seg {
	uint32_t off;
	uint16_t len;
	bool psh;
	bool got;
};

/**
 * struct side - one end of a connection
 * @seg: the segments of what it sends
 * @nseg: segments in @seg
 * @cap: room in @seg
 * @bytes: bytes of its stream
 * @isn: its initial sequence number
 * @snd_max: highest stream offset it has sent (end of its last segment)
 * @fin_sent: it has sent its FIN
 * @rcv_idx: first segment of the peer's stream it has not received in order
 * @peer_fin: it has received the peer's FIN
 * @ts_base: offset of its TSval clock
 * @ts_recent: the last TSval it received
 * @ipid: IPv4 identification of its next packet
 * @mac: its Ethernet address (last byte)
 * @addr: its address (IPv4: first four bytes)
 * @port: its port
 */
struct side {
	struct seg *seg;
	uint32_t nseg;
	uint32_t cap;
	uint32_t bytes;
	uint32_t isn;
	uint32_t snd_max;
	bool fin_sent;
	uint32_t rcv_idx;
	bool peer_fin;
	uint32_t ts_base;
	uint32_t ts_recent;
	uint16_t ipid;
	uint8_t mac;
	uint8_t addr[16];
	uint16_t port;
};

enum phase {
	PH_HANDSHAKE,
	PH_DATA,
	PH_CLOSE,
	PH_MAX,
};

/**
 * struct flow - one connection and its schedule
 * @v6: IPv6
 * @impaired: its data phase is impaired
 * @flowlabel: IPv6 flow label
 * @pat: where its streams start in the payload pattern
 * @side: client (0) and server (1)
 * @pd: its packets, in the order it sends them
 * @npd: entries in @pd
 * @cap: room in @pd
 * @end: index in @pd where each phase ends
 * @next: next entry of @pd to write
 */
struct flow {
	bool v6;
	bool impaired;
	uint32_t flowlabel;
	uint32_t pat[2];
	struct side side[2];
	struct pd *pd;
	uint32_t npd;
	uint32_t cap;
	uint32_t end[PH_MAX];
	uint32_t next;
};

/**
 * struct totals - what the capture holds, for checking trackers
 */
struct totals {
	uint64_t packets;
	uint64_t packets_v6;
	uint64_t data_packets;
	uint64_t wire_bytes;
	uint64_t flows_v6;
	uint64_t flows_impaired;
	uint64_t bytes[2];	/* unique stream bytes, c2s and s2c */
	uint64_t bytes_v4[2];
	uint64_t retrans;	/* data segments sent twice */
	uint64_t late;		/* data segments moved later */
	uint64_t reordered;	/* data segments swapped with the next */
	uint64_t open;
	uint64_t max_open;
};

static uint8_t pattern[PATTERN_SIZE];
static struct totals tot;
static uint64_t now_us;			/* capture clock, from the epoch */
static FILE *out;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "gen_capture: out of memory\n");
		exit(1);
	}
	return p;
}

static void pd_add(struct flow *f, enum pd_kind kind, int side, uint32_t seg)
{
	if (f->npd == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->pd = xrealloc(f->pd, f->cap * sizeof(*f->pd));
	}
	f->pd[f->npd++] = (struct pd){ .kind = kind, .side = side, .seg = seg };
}

static uint32_t seg_add(struct side *s, uint32_t len, bool psh)
{
	if (s->nseg == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->seg = xrealloc(s->seg, s->cap * sizeof(*s->seg));
	}
	s->seg[s->nseg] = (struct seg){ .off = s->bytes, .len = len, .psh = psh };
	s->bytes += len;
	return s->nseg++;
}

/*
 * A message of @len bytes from @from: full segments, then the rest; the
 * receiver ACKs every second segment and the end of the message when
 * @ack_end (a request is answered by the response, which carries the ACK).
 */
static void message(struct flow *f, int from, uint32_t len, bool ack_end)
{
	uint32_t mss = (f->v6 ? MSS6 : MSS4) - OPT_LEN;
	uint32_t unacked = 0;

	while (len) {
		uint32_t n = len < mss ? len : mss;

		/* now and then an application write shorter than a segment */
		if (n == mss && rng_below(100) < PCT_SMALLSEG)
			n = rng_range(1, mss - 1);
		len -= n;
		pd_add(f, PD_DATA, from, seg_add(&f->side[from], n, !len));
		if (++unacked == 2 || (!len && ack_end)) {
			pd_add(f, PD_ACK, !from, 0);
			unacked = 0;
		}
	}
}

/* Move entry @i of @f's schedule to @j (> @i), shifting the ones between. */
static void pd_move(struct flow *f, uint32_t i, uint32_t j)
{
	struct pd x = f->pd[i];

	memmove(&f->pd[i], &f->pd[i + 1], (j - i) * sizeof(x));
	f->pd[j] = x;
}

/* Insert a copy of entry @i at @j (> @i); the data phase grows by one. */
static void pd_dup(struct flow *f, uint32_t i, uint32_t j)
{
	struct pd x = f->pd[i];

	pd_add(f, PD_ACK, 0, 0);	/* room */
	memmove(&f->pd[j + 1], &f->pd[j], (f->npd - 1 - j) * sizeof(x));
	f->pd[j] = x;
	f->end[PH_DATA]++;
	f->end[PH_CLOSE]++;
}

/* Impair the data phase of @f: reorder, duplicate and delay segments. */
static void impair(struct flow *f)
{
	uint32_t i;

	for (i = f->end[PH_HANDSHAKE]; i < f->end[PH_DATA]; i++) {
		uint32_t last = f->end[PH_DATA] - 1;
		uint32_t r;

		if (f->pd[i].kind != PD_DATA || i == last)
			continue;
		r = rng_below(1000);
		if (r < PM_REORDER) {
			struct pd x = f->pd[i];

			f->pd[i] = f->pd[i + 1];
			f->pd[i + 1] = x;
			tot.reordered++;
			i++;	/* do not carry it further */
		} else if (r < PM_REORDER + PM_DUP) {
			uint32_t j = i + rng_range(1, 6);

			pd_dup(f, i, j > last + 1 ? last + 1 : j);
			tot.retrans++;
		} else if (r < PM_REORDER + PM_DUP + PM_LATE) {
			uint32_t j = i + rng_range(3, 10);

			pd_move(f, i, j > last ? last : j);
			tot.late++;
			i--;	/* a new entry is at i */
		}
	}
}

static void flow_init(struct flow *f, uint32_t n)
{
	int big, small, rounds, r;

	f->v6 = rng_below(100) < PCT_V6;
	f->impaired = rng_below(100) < PCT_IMPAIRED;
	f->flowlabel = rng_below(1 << 20);
	f->pat[0] = rng_below(PATTERN_SIZE);
	f->pat[1] = rng_below(PATTERN_SIZE);
	for (r = 0; r < 2; r++) {
		struct side *s = &f->side[r];

		s->isn = (uint32_t)rng_next();
		s->ts_base = (uint32_t)rng_next();
		s->ipid = (uint16_t)rng_next();
		s->mac = r + 1;
	}
	/* client 10.1.x.y / fd00:1::x:y, server 10.2.0.z / fd00:2::z */
	if (f->v6) {
		static const uint8_t c6[8] = { 0xfd, 0x00, 0, 1 };
		static const uint8_t s6[8] = { 0xfd, 0x00, 0, 2 };

		memcpy(f->side[0].addr, c6, 8);
		memcpy(f->side[1].addr, s6, 8);
		f->side[0].addr[13] = n >> 16;
		f->side[0].addr[14] = n >> 8;
		f->side[0].addr[15] = n;
		f->side[1].addr[15] = 1 + n % 16;
	} else {
		f->side[0].addr[0] = 10;
		f->side[0].addr[1] = 1 + n / 65536;
		f->side[0].addr[2] = n >> 8;
		f->side[0].addr[3] = n;
		f->side[1].addr[0] = 10;
		f->side[1].addr[1] = 200;
		f->side[1].addr[3] = 1 + n % 16;
	}
	f->side[0].port = 32768 + rng_below(28000);
	f->side[1].port = (const uint16_t[]){ 80, 443, 8080, 5432 }[rng_below(4)];

	pd_add(f, PD_SYN, 0, 0);
	pd_add(f, PD_SYNACK, 1, 0);
	pd_add(f, PD_ACK, 0, 0);
	f->end[PH_HANDSHAKE] = f->npd;

	big = rng_below(100) < PCT_UPLOAD ? 0 : 1;
	small = !big;
	rounds = rng_range(2, 7);
	for (r = 0; r < rounds; r++) {
		message(f, small, rng_range(60, 1800), false);
		message(f, big, rng_range(400, 32000), true);
	}
	f->end[PH_DATA] = f->npd;

	r = rng_below(2);		/* who closes first */
	pd_add(f, PD_FIN, r, 0);
	if (rng_below(2)) {
		pd_add(f, PD_ACK, !r, 0);
		pd_add(f, PD_FIN, !r, 0);
	} else {
		pd_add(f, PD_FIN, !r, 0);
	}
	pd_add(f, PD_ACK, r, 0);
	f->end[PH_CLOSE] = f->npd;

	if (f->impaired)
		impair(f);

	tot.flows_v6 += f->v6;
	tot.flows_impaired += f->impaired;
	for (r = 0; r < 2; r++) {
		tot.bytes[r] += f->side[r].bytes;
		if (!f->v6)
			tot.bytes_v4[r] += f->side[r].bytes;
	}
}

/* Little-endian, as the pcap header is written in host order on x86 */
static void write_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void pcap_header(void)
{
	uint8_t h[24];

	write_le32(h, 0xa1b2c3d4);
	h[4] = 2;		/* version 2.4, host order */
	h[5] = 0;
	h[6] = 4;
	h[7] = 0;
	memset(h + 8, 0, 8);	/* thiszone, sigfigs */
	write_le32(h + 16, 262144);
	write_le32(h + 20, 1);	/* LINKTYPE_ETHERNET */
	if (fwrite(h, sizeof(h), 1, out) != 1) {
		perror("gen_capture: write");
		exit(1);
	}
}

/* The peer's in-order stream offset as @s has received it */
static uint32_t rcv_off(const struct side *s, const struct side *peer)
{
	return s->rcv_idx < peer->nseg ? peer->seg[s->rcv_idx].off : peer->bytes;
}

/* The acknowledgment number @s sends */
static uint32_t ack_of(const struct side *s, const struct side *peer)
{
	uint32_t ack = peer->isn + 1 + rcv_off(s, peer);

	return ack + (s->peer_fin && s->rcv_idx == peer->nseg);
}

/* Write the next packet of @f's schedule */
static void emit(struct flow *f)
{
	static uint8_t frame[MAX_FRAME];
	const struct pd *d = &f->pd[f->next++];
	struct side *s = &f->side[d->side], *peer = &f->side[!d->side];
	uint32_t optlen = OPT_LEN, paylen = 0, seq, ack = 0, tsval;
	uint8_t flags = TH_ACK, *ip = frame + ETH_HLEN, opt[OPT_SYN_LEN], *o;
	uint16_t win = WIN;
	const struct seg *sg = NULL;
	struct pkt_tcp pk = {
		.family = f->v6 ? 6 : 4,
		.src = s->addr,
		.dst = peer->addr,
		.sport = s->port,
		.dport = peer->port,
		.ip_flags = PKT_DF | PKT_CSUM,
		.flowlabel = f->flowlabel,
	};

	seq = s->isn + 1 + s->snd_max + s->fin_sent;
	switch (d->kind) {
	case PD_SYN:
		flags = TH_SYN;
		seq = s->isn;
		optlen = OPT_SYN_LEN;
		win = WIN_SYN;
		break;
	case PD_SYNACK:
		flags = TH_SYN | TH_ACK;
		seq = s->isn;
		optlen = OPT_SYN_LEN;
		win = WIN_SYN;
		break;
	case PD_ACK:
		break;
	case PD_DATA:
		sg = &s->seg[d->seg];
		seq = s->isn + 1 + sg->off;
		paylen = sg->len;
		if (sg->psh)
			flags |= TH_PSH;
		break;
	case PD_FIN:
		flags |= TH_FIN;
		seq = s->isn + 1 + s->bytes;
		break;
	}
	if (flags & TH_ACK)
		ack = ack_of(s, peer);

	/* Ethernet */
	memset(frame, 0, 12);
	frame[0] = 2;
	frame[5] = peer->mac;
	frame[6] = 2;
	frame[11] = s->mac;
	pkt_put16(frame + 12, f->v6 ? 0x86dd : 0x0800);

	/* TCP options */
	o = opt;
	tsval = s->ts_base + (uint32_t)(now_us / 1000);
	if (optlen == OPT_SYN_LEN) {
		o[0] = 2;
		o[1] = 4;
		pkt_put16(o + 2, f->v6 ? MSS6 : MSS4);
		o[4] = 4;
		o[5] = 2;
		o += 6;
	} else {
		o[0] = 1;
		o[1] = 1;
		o += 2;
	}
	o[0] = 8;
	o[1] = 10;
	pkt_put32(o + 2, tsval);
	pkt_put32(o + 6, d->kind == PD_SYN ? 0 : s->ts_recent);
	if (optlen == OPT_SYN_LEN) {
		o[10] = 1;
		o[11] = 3;
		o[12] = 3;
		o[13] = WSCALE;
	}
	pk.seq = seq;
	pk.ack = ack;
	pk.flags = flags;
	pk.win = win;
	pk.opt = opt;
	pk.optlen = optlen;
	pk.len = paylen;
	if (!f->v6)
		pk.ipid = s->ipid++;
	if (sg) {
		uint32_t at = (f->pat[d->side] + sg->off) & (PATTERN_SIZE - 1);
		uint32_t n1 = PATTERN_SIZE - at < paylen ? PATTERN_SIZE - at : paylen;
		uint8_t *pl = ip + pkt_tcp_hlen(&pk);

		memcpy(pl, pattern + at, n1);
		memcpy(pl + n1, pattern, paylen - n1);
	}

	/* IP and TCP headers, checksums: the payload is in place */
	pkt_tcp(ip, MAX_FRAME - ETH_HLEN, &pk);

	{
		uint32_t len = ETH_HLEN + pkt_tcp_hlen(&pk) + paylen;
		uint8_t rec[16];

		write_le32(rec, (uint32_t)(1700000000 + now_us / 1000000));
		write_le32(rec + 4, (uint32_t)(now_us % 1000000));
		write_le32(rec + 8, len);
		write_le32(rec + 12, len);
		if (fwrite(rec, sizeof(rec), 1, out) != 1 ||
		    fwrite(frame, len, 1, out) != 1) {
			perror("gen_capture: write");
			exit(1);
		}
		tot.wire_bytes += len;
	}

	/* What the peer now has */
	switch (d->kind) {
	case PD_SYN:
		tot.open++;
		if (tot.open > tot.max_open)
			tot.max_open = tot.open;
		break;
	case PD_DATA:
		if (sg->off + sg->len > s->snd_max)
			s->snd_max = sg->off + sg->len;
		s->seg[d->seg].got = true;
		while (peer->rcv_idx < s->nseg && s->seg[peer->rcv_idx].got)
			peer->rcv_idx++;
		tot.data_packets++;
		break;
	case PD_FIN:
		s->fin_sent = true;
		peer->peer_fin = true;
		break;
	default:
		break;
	}
	peer->ts_recent = tsval;
	tot.packets++;
	tot.packets_v6 += f->v6;
	now_us += rng_range(2, 16);
}

/*
 * Write phase @ph of all flows: each turn, a random flow that still has
 * packets in the phase sends the next one to @burst of them.
 */
static void run_phase(struct flow *flows, uint32_t nflows, enum phase ph,
		      uint32_t burst)
{
	uint32_t *active = xrealloc(NULL, nflows * sizeof(*active));
	uint32_t n = 0, i;

	for (i = 0; i < nflows; i++)
		if (flows[i].next < flows[i].end[ph])
			active[n++] = i;
	while (n) {
		uint32_t k = rng_below(n);
		struct flow *f = &flows[active[k]];
		uint32_t b = rng_range(1, burst);

		while (b-- && f->next < f->end[ph])
			emit(f);
		if (f->next == f->end[ph]) {
			if (ph == PH_CLOSE)
				tot.open--;
			active[k] = active[--n];
		}
	}
	free(active);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_capture [-n FLOWS] [-S SEED] [-s SUMMARY] -o FILE.pcap\n"
		"  -n FLOWS   connections, all open at once (default 1200)\n"
		"  -S SEED    seed of the generator (default 1)\n"
		"  -s FILE    write the key=value totals there (default: stdout)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *sumpath = NULL;
	unsigned long nflows = 1200, seed = 1;
	struct flow *flows;
	FILE *sf = stdout;
	uint32_t i;
	int c;

	while ((c = getopt(argc, argv, "n:S:s:o:h")) != -1) {
		switch (c) {
		case 'n':
			nflows = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 's':
			sumpath = optarg;
			break;
		case 'o':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if (!path || optind != argc || !nflows || nflows > MAX_FLOWS)
		usage();

	rng_state = seed;
	for (i = 0; i < PATTERN_SIZE; i++)
		pattern[i] = (uint8_t)(rng_next() >> 56);

	flows = xrealloc(NULL, nflows * sizeof(*flows));
	memset(flows, 0, nflows * sizeof(*flows));
	for (i = 0; i < nflows; i++)
		flow_init(&flows[i], i);

	out = fopen(path, "wb");
	if (!out) {
		fprintf(stderr, "gen_capture: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	pcap_header();
	run_phase(flows, nflows, PH_HANDSHAKE, 1);
	run_phase(flows, nflows, PH_DATA, 3);
	run_phase(flows, nflows, PH_CLOSE, 1);
	if (fclose(out)) {
		fprintf(stderr, "gen_capture: %s: %s\n", path, strerror(errno));
		return 1;
	}

	if (sumpath) {
		sf = fopen(sumpath, "w");
		if (!sf) {
			fprintf(stderr, "gen_capture: %s: %s\n", sumpath,
				strerror(errno));
			return 1;
		}
	}
	fprintf(sf, "packets=%llu packets_v6=%llu data_packets=%llu "
		"wire_bytes=%llu flows=%lu flows_v6=%llu flows_impaired=%llu "
		"max_concurrent=%llu bytes_c2s=%llu bytes_s2c=%llu "
		"bytes_c2s_v4=%llu bytes_s2c_v4=%llu retrans=%llu late=%llu "
		"reordered=%llu seed=%lu\n",
		(unsigned long long)tot.packets,
		(unsigned long long)tot.packets_v6,
		(unsigned long long)tot.data_packets,
		(unsigned long long)tot.wire_bytes, nflows,
		(unsigned long long)tot.flows_v6,
		(unsigned long long)tot.flows_impaired,
		(unsigned long long)tot.max_open,
		(unsigned long long)tot.bytes[0],
		(unsigned long long)tot.bytes[1],
		(unsigned long long)tot.bytes_v4[0],
		(unsigned long long)tot.bytes_v4[1],
		(unsigned long long)tot.retrans,
		(unsigned long long)tot.late,
		(unsigned long long)tot.reordered, seed);
	if (sf != stdout && fclose(sf)) {
		fprintf(stderr, "gen_capture: %s: %s\n", sumpath,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < nflows; i++) {
		free(flows[i].pd);
		free(flows[i].side[0].seg);
		free(flows[i].side[1].seg);
	}
	free(flows);
	return 0;
}
