// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz.c - libFuzzer target for the tcpmon core (parse, flows,
 * tracking, reassembly)
 *
 * An input is a configuration and a sequence of records:
 *
 *   config, 5 bytes:
 *     c0  bit 0 overlap LAST, bit 1 mid-stream pickup, bit 2 pattern
 *         check (see below), bit 3 max_flows 4 (else 64), bit 4 two
 *         hash chains, bit 5 overlap LINUX (over bit 0), bit 6 split
 *         tracking: every segment's receiver's update waits
 *         (mos_tm_input_split()) until the next record, then is made
 *         (mos_tm_resume()), or with bit 7 never for every third (a
 *         dropped segment)
 *     c1  >= 224: every (c1 - 222)th packet-path allocation fails
 *     c2  buf_side = 32 * c2 bytes (0: default)
 *     c3  buf_total = 64 * c3 bytes (0: default)
 *     c4  timeouts: every state (c4 & 63) + 1 s, after an in-window RST
 *         (c4 >> 6) + 1 s (0: defaults)
 *
 *   records, by the top two bits of their first byte:
 *     00 segment, 9 bytes: op, flags, seq delta (be16), ack delta (be16),
 *        window, options, length: a TCP segment of one of four fixed
 *        connections (op bits 0-1), from one end or the other (bit 2),
 *        checksum flagged bad (bit 3), payload bytes inverted (bit 4, not
 *        in pattern mode).  Its sequence number is the highest this end
 *        sent plus the delta, its ack the highest the other end sent plus
 *        the delta: small deltas make plausible connections, so the
 *        fuzzer gets through handshakes into reassembly and closing.
 *        Options: bits 0-3 pick a set (MSS, window scale 0..15, SACK,
 *        timestamps, broken lengths); length: byte 8, times 16 if bit 7
 *        of the options byte.  Payload byte at sequence number q from
 *        port P is pat(q, P), so a stream's bytes are known.
 *     01 raw packet: op (bit 0: IPv6, bit 1: checksum bad, bit 2: a GSO
 *        aggregate), length (be16), bytes, through mos_tm_parse() as they
 *        are (not in pattern mode); with op bit 3, the bytes are a frame
 *        that mos_tm_decap() walks first (with tunnels), from the link of
 *        op bits 4-5 (Ethernet, IP, PPP, PPPoE), and the IP packet it
 *        finds, if any, is the packet (its family from the walk)
 *     10 time: op, be16: now advances by the value times
 *        (1 + (op & 7) * 100) ms, then mos_tm_expire() with a budget of
 *        1 << ((op >> 3) & 7) chains (all, for 7)
 *     11 control: op & 63: 0 flush the table, else fail every
 *        (op & 63)th allocation from now on (1: stop failing; 63 too)
 *
 * Every packet also advances the clock by 1 ms.  The callbacks copy every
 * data byte and abort() when an invariant breaks: data offsets contiguous
 * per side except across reported gaps, every byte announced by a
 * NEW_DATA, CONN_START at most once per side, CONN_END once and only
 * after it, no event out of range; in pattern mode, every delivered byte
 * is the byte sent at its sequence number.  At the end the table is
 * flushed: no flow, no stored byte, as many CONN_ENDs as CONN_STARTs.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "pkt.h"
#include "tcpmon.h"

/* Per-flow state, in the flow's priv area */
struct fz_flow {
	u64 next_off[2];
	u64 announced[2];
	u8 started[2];
	u8 ended[2];
};

struct fz_conn {
	u8 family;
	union tm_addr addr[2];
	u16 port[2];
	u32 nxt[2];	/* highest sequence number sent, plus one */
};

static struct {
	struct tm_table *t;
	struct fz_conn conn[4];
	u64 now;
	bool pattern;
	bool split, split_drop;
	unsigned int nsplit;
	struct {		/* the segment whose receiver's update waits */
		u8 *pkt;
		unsigned int len;
		u8 family;
		unsigned int parse_flags;
		struct tm_pend pd;
	} pend;
	int verbose;		/* TM_FUZZ_VERBOSE=1: print the events */
	unsigned long starts, ends;
} fz;

#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "tm_fuzz: " __VA_ARGS__);		\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

static u8 pat(u32 seq, u16 port)
{
	return (u8)((seq * 2654435761U) >> 24) ^ (u8)seq ^ (u8)port;
}

static void fz_data(void *priv, struct tm_flow *f, int side, u64 off,
		    tm_copy_t copy, const void *src, unsigned int off_in_src,
		    unsigned int len)
{
	struct fz_flow *ff = mos_tm_flow_priv(f);
	const struct tm_half *h;
	unsigned int i;
	u8 *buf;

	(void)priv;
	FZ_CHECK(side == TM_CLI || side == TM_SVR, "data side %d", side);
	FZ_CHECK(len, "empty data");
	FZ_CHECK(off == ff->next_off[side],
		 "flow %llu side %d: data at %llu, stream at %llu",
		 (unsigned long long)f->id, side, (unsigned long long)off,
		 (unsigned long long)ff->next_off[side]);
	FZ_CHECK(ff->started[side] && !ff->ended[side],
		 "flow %llu side %d: data outside CONN_START..CONN_END",
		 (unsigned long long)f->id, side);
	h = &f->half[side];
	FZ_CHECK(h->rcv_off == off, "rcv_off %llu, data at %llu",
		 (unsigned long long)h->rcv_off, (unsigned long long)off);
	ff->next_off[side] = off + len;

	buf = malloc(len);
	FZ_CHECK(buf, "malloc");
	FZ_CHECK(!copy(src, off_in_src, buf, len), "copy failed");
	if (fz.pattern)
		for (i = 0; i < len; i++)
			FZ_CHECK(buf[i] == pat(h->rcv_nxt + i,
					       ntohs(f->port[!side])),
				 "flow %llu side %d: byte %llu is %#x, sent %#x",
				 (unsigned long long)f->id, side,
				 (unsigned long long)off + i, buf[i],
				 pat(h->rcv_nxt + i, ntohs(f->port[!side])));
	free(buf);
}

static void fz_event(void *priv, struct tm_flow *f, const struct tm_ev *ev,
		     const struct tm_src *src, const struct tm_pkt *p)
{
	struct fz_flow *ff;
	unsigned int s = ev->side;

	(void)priv;
	if (fz.verbose)
		fprintf(stderr, "  flow %llu %s side %u hook %u err %s state %s off %llu len %u [%s %s]\n",
			f ? (unsigned long long)f->id : 0ULL,
			mos_tm_event_name(ev->type), s, ev->hook,
			mos_tm_err_name(ev->err),
			mos_tm_state_name(ev->old_state),
			(unsigned long long)ev->off, ev->len,
			f ? mos_tm_state_name(f->half[0].state) : "-",
			f ? mos_tm_state_name(f->half[1].state) : "-");
	FZ_CHECK(ev->type < TM_EV_MAX && ev->type != TM_EV_PKT_OUT &&
		 ev->hook <= TM_HK_RCV && s <= TM_SVR &&
		 ev->err < TM_ERR_MAX && !ev->pad,
		 "bad event %u hook %u side %u err %u", ev->type, ev->hook,
		 s, ev->err);
	FZ_CHECK((ev->type == TM_EV_ERROR) == (ev->err != TM_ERR_NONE),
		 "event %u with err %u", ev->type, ev->err);
	FZ_CHECK(!src == !p, "event %u: src %p, p %p", ev->type,
		 (const void *)src, (const void *)p);
	if (!f) {
		FZ_CHECK(ev->type == TM_EV_ORPHAN || ev->type == TM_EV_ERROR,
			 "event %u without a flow", ev->type);
		return;
	}
	FZ_CHECK(f->half[0].state < TM_NSTATES && f->half[1].state < TM_NSTATES,
		 "state out of range");
	FZ_CHECK(f->half[0].ooo_bytes <= mos_tm_cfg(fz.t)->buf_side &&
		 f->half[1].ooo_bytes <= mos_tm_cfg(fz.t)->buf_side,
		 "flow %llu: %u and %u bytes stored, limit %u",
		 (unsigned long long)f->id, f->half[0].ooo_bytes,
		 f->half[1].ooo_bytes, mos_tm_cfg(fz.t)->buf_side);
	ff = mos_tm_flow_priv(f);
	switch (ev->type) {
	case TM_EV_CONN_START:
		FZ_CHECK(!ff->started[s], "flow %llu side %u: second CONN_START",
			 (unsigned long long)f->id, s);
		ff->started[s] = 1;
		fz.starts++;
		break;
	case TM_EV_CONN_END:
		FZ_CHECK(ff->started[s] && !ff->ended[s],
			 "flow %llu side %u: CONN_END, started %d ended %d",
			 (unsigned long long)f->id, s, ff->started[s],
			 ff->ended[s]);
		FZ_CHECK(ff->announced[s] == ff->next_off[s],
			 "flow %llu side %u: CONN_END, bytes to %llu announced to %llu",
			 (unsigned long long)f->id, s,
			 (unsigned long long)ff->next_off[s],
			 (unsigned long long)ff->announced[s]);
		FZ_CHECK(ev->reason <= TM_END_FLUSH, "reason %u", ev->reason);
		ff->ended[s] = 1;
		fz.ends++;
		break;
	case TM_EV_NEW_DATA:
		FZ_CHECK(ev->len && ev->off == ff->announced[s] &&
			 ev->off + ev->len == ff->next_off[s],
			 "flow %llu side %u: NEW_DATA %llu+%u, announced %llu, stream at %llu",
			 (unsigned long long)f->id, s,
			 (unsigned long long)ev->off, ev->len,
			 (unsigned long long)ff->announced[s],
			 (unsigned long long)ff->next_off[s]);
		ff->announced[s] = ev->off + ev->len;
		break;
	case TM_EV_ERROR:
		if (ev->err != TM_ERR_GAP)
			break;
		FZ_CHECK(ev->len && ev->off == ff->next_off[s],
			 "flow %llu side %u: GAP %llu+%u, stream at %llu",
			 (unsigned long long)f->id, s,
			 (unsigned long long)ev->off, ev->len,
			 (unsigned long long)ff->next_off[s]);
		ff->next_off[s] = ev->off + ev->len;
		break;
	case TM_EV_PKT_IN:
		if (ev->hook == TM_HK_RCV)
			FZ_CHECK(ff->announced[s] == ff->next_off[s],
				 "flow %llu side %u: PKT_IN with bytes not announced",
				 (unsigned long long)f->id, s);
		break;
	}
}

static const struct tm_ops fz_ops = {
	.event = fz_event,
	.data = fz_data,
};

/* &tm_split.wait: in split mode every segment's receiver's update waits */
static bool fz_wait(void *arg, const struct tm_pkt *p)
{
	(void)arg;
	(void)p;
	return fz.split;
}

/* The segment that waits goes on to its receiver, or is dropped */
static void fz_release(void)
{
	struct tm_flat b = { fz.pend.pkt, fz.pend.len };
	struct tm_src src = {
		.pkt = &b,
		.len = fz.pend.len,
		.read = tm_flat_read,
		.copy = tm_flat_copy,
	};
	struct tm_pkt p;
	int err;

	if (!fz.pend.pkt)
		return;
	if (!fz.split_drop || ++fz.nsplit % 3) {
		FZ_CHECK(mos_tm_parse(&b, fz.pend.len, fz.pend.family,
				      fz.pend.parse_flags, tm_flat_read, &p) ==
			 TM_PKT_TCP, "a waiting segment does not parse");
		err = mos_tm_resume(fz.t, &fz.pend.pd, &src, &p, fz.now);
		FZ_CHECK(!err || err == -ENOENT || err == -EPERM,
			 "mos_tm_resume: %d", err);
	}
	free(fz.pend.pkt);
	fz.pend.pkt = NULL;
}

static void fz_input(const u8 *pkt, unsigned int len, u8 family,
		     unsigned int parse_flags, unsigned int in_flags)
{
	struct tm_split sp = { .wait = fz_wait };
	u8 *copy = malloc(len ? len : 1);
	struct tm_flat b = { copy, len };
	struct tm_src src = {
		.pkt = &b,
		.len = len,
		.read = tm_flat_read,
		.copy = tm_flat_copy,
	};
	enum tm_parse_res res;
	struct tm_pkt p;

	FZ_CHECK(copy, "malloc");
	memcpy(copy, pkt, len);
	fz.now += 1000000;
	res = mos_tm_parse(&b, len, family, parse_flags, tm_flat_read, &p);
	if (fz.verbose)
		fprintf(stderr, "packet %u: %u -> %u flags %#x seq %u ack %u win %u len %u%s\n",
			res, ntohs(p.sport), ntohs(p.dport), p.tcp_flags,
			p.seq, p.ack_seq, p.window, p.l4len - p.doff,
			(in_flags & TM_IN_CSUM_BAD) ? " csum-bad" : "");
	fz_release();
	if (res != TM_PKT_BAD)
		mos_tm_input_split(fz.t, &src, res, &p, fz.now, in_flags,
				   fz.split ? &sp : NULL);
	if (sp.pend.flags & TM_PEND_WAITS) {
		fz.pend.pkt = copy;
		fz.pend.len = len;
		fz.pend.family = family;
		fz.pend.parse_flags = parse_flags;
		fz.pend.pd = sp.pend;
	} else {
		free(copy);
	}
	FZ_CHECK(mos_tm_flows(fz.t) <= mos_tm_cfg(fz.t)->max_flows,
		 "%u flows, limit %u", mos_tm_flows(fz.t),
		 mos_tm_cfg(fz.t)->max_flows);
	FZ_CHECK(mos_tm_ooo_bytes(fz.t) <= mos_tm_cfg(fz.t)->buf_total,
		 "%llu bytes stored, limit %llu",
		 (unsigned long long)mos_tm_ooo_bytes(fz.t),
		 (unsigned long long)mos_tm_cfg(fz.t)->buf_total);
}

/* A frame: through mos_tm_decap() first, then its IP packet as fz_input() */
static void fz_frame(const u8 *frame, unsigned int len, unsigned int link,
		     unsigned int parse_flags, unsigned int in_flags)
{
	static const enum tm_link links[] = {
		TM_LINK_ETH, TM_LINK_IP, TM_LINK_PPP, TM_LINK_PPPOE,
	};
	u8 *copy = malloc(len ? len : 1);
	struct tm_flat b = { copy, len };
	struct tm_decap d = { 0 };
	enum tm_decap_res r;

	FZ_CHECK(copy, "malloc");
	memcpy(copy, frame, len);
	r = mos_tm_decap(&b, len, tm_flat_read, links[link & 3],
			 TM_DECAP_F_TUNNELS, &d);
	FZ_CHECK(r <= TM_DECAP_DEEP, "decap result %u", r);
	FZ_CHECK(d.depth <= TM_DECAP_DEPTH_MAX + 1, "depth %u", d.depth);
	FZ_CHECK(r != TM_DECAP_DEEP || d.depth == TM_DECAP_DEPTH_MAX + 1,
		 "too deep at depth %u", d.depth);
	if (r == TM_DECAP_IP) {
		FZ_CHECK(d.off <= len && d.len <= len - d.off,
			 "IP packet at %u, %u bytes, of a %u-byte frame",
			 d.off, d.len, len);
		fz_input(copy + d.off, d.len, d.family, parse_flags, in_flags);
	}
	free(copy);
}

/* Option sets, each a multiple of 4 bytes */
static const struct {
	u8 len;
	u8 b[20];
} fz_opts[16] = {
	{ 0, { 0 } },
	{ 4, { 2, 4, 0x05, 0xb4 } },
	{ 4, { 1, 3, 3, 0 } },
	{ 4, { 1, 3, 3, 2 } },
	{ 4, { 1, 3, 3, 7 } },
	{ 4, { 1, 3, 3, 14 } },
	{ 4, { 1, 3, 3, 15 } },
	{ 20, { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8,
		1, 3, 3, 7 } },
	{ 12, { 2, 4, 0x05, 0xb4, 1, 3, 3, 14, 4, 2, 1, 1 } },
	{ 4, { 5, 0, 3, 3 } },
	{ 4, { 1, 1, 3, 9 } },
	{ 8, { 3, 3, 1, 2, 4, 2, 0, 0 } },
	{ 4, { 3, 3, 8, 1 } },
	{ 8, { 1, 1, 1, 1, 1, 1, 1, 2 } },
	{ 4, { 0, 3, 3, 14 } },
	{ 4, { 4, 2, 3, 3 } },
};

/* A segment record: @r has 9 bytes. */
static void fz_segment(const u8 *r)
{
	struct fz_conn *c = &fz.conn[r[0] & 3];
	int s = !!(r[0] & 4), d = !s;
	u8 fl = r[1], ob = r[7];
	u32 seq = c->nxt[s] + (__s16)(r[2] << 8 | r[3]);
	u32 ack = c->nxt[d] + (__s16)(r[4] << 8 | r[5]);
	unsigned int len = r[8] * ((ob & 0x80) ? 16 : 1);
	u32 end = seq + !!(fl & TM_TCPF_SYN) + len + !!(fl & TM_TCPF_FIN);
	struct pkt_tcp pk = {
		.family = c->family,
		.src = &c->addr[s],
		.dst = &c->addr[d],
		.sport = c->port[s],
		.dport = c->port[d],
		.seq = seq,
		.ack = ack,
		.flags = fl,
		.win = r[6] << 8 | r[6],
		.opt = fz_opts[ob & 15].b,
		.optlen = fz_opts[ob & 15].len,
		.len = len,	/* the payload is put in place first */
	};
	unsigned int n = pkt_tcp_hlen(&pk) + len, i;
	u8 *b = calloc(1, n), *pl;

	FZ_CHECK(b, "calloc");
	pl = b + pkt_tcp_hlen(&pk);
	for (i = 0; i < len; i++) {
		u32 q = seq + !!(fl & TM_TCPF_SYN) + i;

		pl[i] = pat(q, c->port[s]);
		if ((r[0] & 0x10) && !fz.pattern)
			pl[i] ^= 0xff;
	}
	FZ_CHECK(pkt_tcp(b, n, &pk) == n, "pkt_tcp");
	if ((s32)(end - c->nxt[s]) > 0 || (fl & TM_TCPF_SYN))
		c->nxt[s] = end;
	fz_input(b, n, c->family, 0, (r[0] & 8) ? TM_IN_CSUM_BAD : 0);
	free(b);
}

static void fz_conn(struct fz_conn *c, u8 family, const char *a, u16 pa,
		    const char *b, u16 pb, u32 isn_a, u32 isn_b)
{
	int af = family == 4 ? AF_INET : AF_INET6;

	memset(c, 0, sizeof(*c));
	c->family = family;
	FZ_CHECK(inet_pton(af, a, &c->addr[0]) == 1 &&
		 inet_pton(af, b, &c->addr[1]) == 1, "inet_pton");
	c->port[0] = pa;
	c->port[1] = pb;
	c->nxt[0] = isn_a;
	c->nxt[1] = isn_b;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct tm_table_cfg cfg = { 0 };
	size_t i = 5;
	unsigned int k;

	if (size < 5)
		return 0;
	memset(&fz, 0, sizeof(fz));
	fz.verbose = getenv("TM_FUZZ_VERBOSE") != NULL;
	fz.now = 1000000000000ULL;
	fz.pattern = data[0] & 4;
	fz.split = data[0] & 64;
	fz.split_drop = data[0] & 128;
	cfg.overlap = (data[0] & 32) ? TM_OVERLAP_LINUX :
		      (data[0] & 1) ? TM_OVERLAP_LAST : TM_OVERLAP_FIRST;
	cfg.midstream = data[0] & 2;
	cfg.max_flows = (data[0] & 8) ? 4 : 64;
	cfg.buckets = (data[0] & 16) ? 2 : 0;
	cfg.buf_side = 32 * data[2];
	cfg.buf_total = 64 * data[3];
	if (data[4]) {
		for (k = 0; k < TM_NSTATES; k++)
			cfg.timeout[k] = (data[4] & 63) + 1;
		cfg.timeout_rst = (data[4] >> 6) + 1;
	}
	cfg.priv_size = sizeof(struct fz_flow);
	tm_user_fail_alloc = 0;
	fz.t = mos_tm_table_new(&cfg, &fz_ops, NULL);
	FZ_CHECK(fz.t, "mos_tm_table_new");
	tm_user_fail_alloc = data[1] >= 224 ? data[1] - 222 : 0;

	/* Client ISNs near the wrap; ports that make mid-stream guess both
	 * ways; an IPv6 twin of the first connection's bytes.
	 */
	fz_conn(&fz.conn[0], 4, "10.0.0.1", 40000, "10.0.0.2", 80,
		0xfffffff0, 5000);
	fz_conn(&fz.conn[1], 4, "10.0.0.1", 40001, "10.0.0.2", 80,
		1000, 0x7ffffff0);
	fz_conn(&fz.conn[2], 6, "a00:1::", 40000, "a00:2::", 80,
		12345, 67890);
	fz_conn(&fz.conn[3], 4, "10.0.0.2", 80, "10.0.0.1", 40000,
		5000, 0xfffffff0);

	while (i < size) {
		u8 op = data[i];

		switch (op >> 6) {
		case 0:
			if (size - i < 9)
				goto out;
			fz_segment(data + i);
			i += 9;
			break;
		case 1: {
			unsigned int len;

			if (size - i < 3)
				goto out;
			len = data[i + 1] << 8 | data[i + 2];
			i += 3;
			if (len > size - i)
				len = size - i;
			if (!fz.pattern && (op & 8))
				fz_frame(data + i, len, op >> 4,
					 (op & 4) ? TM_PARSE_F_GSO : 0,
					 (op & 2) ? TM_IN_CSUM_BAD : 0);
			else if (!fz.pattern)
				fz_input(data + i, len, (op & 1) ? 6 : 4,
					 (op & 4) ? TM_PARSE_F_GSO : 0,
					 (op & 2) ? TM_IN_CSUM_BAD : 0);
			i += len;
			break;
		}
		case 2: {
			unsigned int b = (op >> 3) & 7;

			if (size - i < 3)
				goto out;
			fz.now += (u64)(data[i + 1] << 8 | data[i + 2]) *
				  (1 + (op & 7) * 100) * 1000000;
			fz_release();
			mos_tm_expire(fz.t, fz.now, b == 7 ? ~0U : 1U << b);
			i += 3;
			break;
		}
		default:
			fz_release();
			if (!(op & 63))
				mos_tm_flush(fz.t);
			else
				tm_user_fail_alloc = (op & 63) == 1 ||
						     (op & 63) == 63 ? 0 : op & 63;
			i++;
			break;
		}
	}
out:
	fz_release();
	tm_user_fail_alloc = 0;
	mos_tm_flush(fz.t);
	FZ_CHECK(mos_tm_flows(fz.t) == 0, "%u flows after flush",
		 mos_tm_flows(fz.t));
	FZ_CHECK(mos_tm_ooo_bytes(fz.t) == 0, "%llu stored bytes after flush",
		 (unsigned long long)mos_tm_ooo_bytes(fz.t));
	FZ_CHECK(fz.starts == fz.ends, "%lu CONN_STARTs, %lu CONN_ENDs",
		 fz.starts, fz.ends);
	mos_tm_table_free(fz.t);
	return 0;
}
