// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * offline.c - the records of /dev/mos, made from a capture file
 *
 * A capture (pcap or pcapng) goes through the userspace build of the
 * tracker (kmod/tcpmon/, read by tools/tcpmon/capture.c as mosreplay
 * reads it), and the tracker's callbacks write the records the kernel's
 * would: the tracker's callbacks, the routing and the records are the
 * kernel's own code (kmod/deliver.c, built here too), over the backend
 * this file gives it: one consumer, a record buffer, the capture's clock,
 * and the sockets' filters run through libpcap's interpreter, on the
 * same packets as in the kernel.  %MOS_IOC_FLOW stops records about a
 * side of a flow or sets its overlap policy (deliver.c); resetting and
 * dropping need a live connection (-EOPNOTSUPP, as in passive mode).
 * %MOS_IOC_RING_SETUP sets the split and the packet copy limit (the
 * buffer has no fixed size); %MOS_IOC_SPLIT answers from the offline
 * split hash (mos_dlv_key_hash()), which needs no capture.
 *
 * The records go to a plain buffer that the consumer reads as a ring
 * (struct mos_ring_user): positions are offsets into the buffer, which
 * grows instead of losing records, and they start again from 0 once the
 * consumer has read everything.  mos_offline__pump() reads packets only
 * while the consumer has nothing to read, so a callback never runs ahead
 * of the capture: the clock (mos_offline__now()) is the time of the
 * packet whose records are being read.
 *
 * At the end of the capture every flow still open ends (mos_tm_flush():
 * CONN_END with reason flush for each side, then FLOW_CLOSE).
 *
 * Output (mos_offline__output(), libmosuser's MOS_PCAP_OUT): the
 * capture's IP packets as an inline consumer's verdicts leave them, in a
 * pcap file of link type RAW (from the IP header, as the hooks see
 * packets; frames that carry no IP packet are not written), with their
 * capture times.  As in the kernel's verdict mode, a packet that raised
 * an event whose record carries its bytes is held: a %MOS_REC_HELD
 * record with its token follows its records, and %MOS_IOC_VERDICT
 * decides it (dropped: not written; new bytes and checksums: written
 * so).  It leaves when the next packet is read, or at the end: as it
 * came if no verdict came (the accept policy).  As in the kernel, a
 * segment held for its sender's events has its receiver's side tracked
 * as it leaves, with the bytes it leaves with, or never if it is
 * dropped; those records end with a token-0 %MOS_REC_HELD.  %MOS_IOC_SENDPKT checks its
 * request as the kernel does (rec.h) against the tracked flows and
 * writes the packet at once, before the held packet whose callbacks sent
 * it, with its IPv4 header checksum and (%MOS_SENDPKT_F_TCP_CSUM) its
 * TCP checksum computed; no rate applies.  Without an output there is
 * nothing to send to (-EOPNOTSUPP, as passive mode).
 *
 * Live (mos_offline__open_live()), the packets come from an interface
 * through libpcap (tools/tcpmon/capture.c).  A live capture has no end of
 * its own: it ends after a number of packets if one was given (then as a
 * file's end), or when its user stops pumping.  When no packet is ready,
 * the clock moves to the current time (sweeping idle flows every
 * second), and mos_offline__pump() returns %MOS_OFFLINE_WAIT: its caller
 * polls mos_offline__fd() until a packet comes or its next timer is due.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/bpf.h>
#include <pcap/pcap.h>
#include "csum.h"
#include "tm_capture.h"
#include "libmosuser.h"
#include "../kmod/deliver.h"	/* the kernel's records and their routing */

/* The record buffer's first size */
#define OFF_BUF_MIN		(64U << 10)

/* A socket filter: classic BPF, run by libpcap's interpreter */
struct bpf_prog {
	struct bpf_insn *insns;
	u32 len;
};

enum off_state {
	OFF_READING,	/* packets left in the capture */
	OFF_FLUSHED,	/* the capture ended, the flows were ended */
};

struct mos_offline {
	struct tm_cap cap;
	struct tm_table *t;
	enum off_state state;
	int end_err;		/* 0, or -EIO: the capture ended by an error */
	int err;		/* -ENOMEM: a record could not be written */
	u64 now;
	struct tm_cap_rec next;	/* read ahead, not yet processed */
	bool have_next;
	bool eof;		/* no record left to read */
	bool live;		/* an interface: nothing ready is not the end */
	bool idle;		/* live: nothing was ready at the last read */
	u64 count;		/* live: records to read, 0: no limit */
	bool started;		/* the first pump ran */
	bool ring_set;		/* %MOS_IOC_RING_SETUP done */
	/* the consumer: its sockets, split (mos_offline__split()), losses */
	struct mos_dlv dlv;
	struct mos_hold hold;	/* never on: no inline mode offline */
	/* the record buffer, read as a ring */
	u8 *data;
	size_t size;
	struct mos_ring_pos cons, prod;
	struct mos_ring_hdr hdr;
	struct mos_ring_user *user;
	char msg[PCAP_ERRBUF_SIZE + 64];
	/* the output (mos_offline__output()) */
	pcap_t *out_pc;
	pcap_dumper_t *out;
	struct mos_offline_out_stats out_n;
	/*
	 * the held packet: decided (dropped?), its token, time, length,
	 * headers, bytes, the tracking of its receiver that waits for it
	 */
	bool held;
	bool held_decided;
	bool held_drop;
	u64 held_token;
	u64 held_now;
	u32 held_len;
	u32 held_l4off;
	u8 held_family;
	bool held_tcp;
	u8 *held_buf;
	struct tm_pend held_pend;
	/* where the records of the packet being tracked start */
	u64 pkt_pos;
};

/* The message of the last mos_offline__open() that failed in a thread */
static __thread char off_open_msg[PCAP_ERRBUF_SIZE + PATH_MAX + 128];

/* --- records ----------------------------------------------------------- */

/* Room for @need more bytes after the producer position */
static int off_room(struct mos_offline *o, size_t need)
{
	size_t size = o->size ? o->size : OFF_BUF_MIN;
	u8 *data;

	if (o->prod.pos + need <= o->size)
		return 0;
	while (size < o->prod.pos + need)
		size *= 2;
	data = realloc(o->data, size);
	if (!data)
		return -ENOMEM;
	o->data = data;
	o->size = size;
	if (o->user)
		o->user->data = data;
	return 0;
}

/* A record's body to fill, or NULL (out of memory: the pump says so) */
static void *off_reserve(struct mos_offline *o, u32 len, u16 type, u16 sock)
{
	size_t total = sizeof(struct mos_rec) + len;
	struct mos_rec *rec;

	total = (total + MOS_REC_ALIGN - 1) & ~(size_t)(MOS_REC_ALIGN - 1);
	if (o->err || off_room(o, total)) {
		o->err = -ENOMEM;
		return NULL;
	}
	rec = (struct mos_rec *)(o->data + o->prod.pos);
	memset(rec, 0, total);
	rec->len = len;
	rec->type = type;
	rec->sock = sock;
	o->prod.pos += total;
	return rec + 1;
}

/* --- the backend of kmod/deliver.c ------------------------------------- */

static struct mos_offline *off_of(struct mos_dlv *d)
{
	return container_of(d, struct mos_offline, dlv);
}

/* The one consumer */
struct mos_dlv *mos_dlv_next(void *priv, struct mos_dlv *d)
{
	return d ? NULL : &((struct mos_offline *)priv)->dlv;
}

bool mos_dlv_any(void *priv)
{
	(void)priv;
	return true;
}

struct mos_hold *mos_dlv_holds(void *priv)
{
	return &((struct mos_offline *)priv)->hold;
}

/* A capture has no packet to hold back: no hold is ever taken */
bool mos_dlv_inline(void *priv)
{
	(void)priv;
	return false;
}

void *mos_dlv_reserve(struct mos_dlv *d, u32 len, u16 type, u16 sock,
		      u32 *hold)
{
	(void)hold;
	return off_reserve(off_of(d), len, type, sock);
}

void mos_dlv_commit(struct mos_dlv *d, void *body, bool discard)
{
	(void)d;
	if (discard)
		((struct mos_rec *)body - 1)->len |= MOS_REC_DISCARD;
}

bool mos_dlv_hold(struct mos_dlv *d, u64 bytes)
{
	(void)d;
	(void)bytes;
	return true;
}

/* Never asked: holds never fail offline */
bool mos_dlv_stalled(void *priv, struct mos_dlv *d)
{
	(void)priv;
	(void)d;
	return false;
}

void mos_dlv_unhold(struct mos_dlv *d, u32 bytes)
{
	(void)d;
	(void)bytes;
}

/* The buffer grows: no packet's records are too big for it */
u64 mos_dlv_size(struct mos_dlv *d)
{
	(void)d;
	return UINT64_MAX;
}

bool mos_dlv_filter(struct bpf_prog *prog, const struct tm_src *src)
{
	/* The capture's packet: its bytes from the IP header, contiguous */
	const struct tm_flat *pkt = src->pkt;

	return bpf_filter(prog->insns, pkt->data, pkt->len, pkt->len) != 0;
}

/* FNV-1a of @len bytes at @p, from @h */
static u32 off_fnv(u32 h, const void *p, size_t len)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619U;
	return h;
}

/*
 * The hash of a flow's endpoints for splitting, offline: FNV-1a over the
 * two endpoints (address, then port) in a fixed order, the lower first,
 * so both directions hash alike.  Unkeyed, unlike the table's, so that
 * every context that reads the capture, and mos_flow__split_index()
 * without a /dev/mos, agree.
 */
int mos_dlv_key_hash(void *priv, const struct tm_key *k, u32 *hash)
{
	size_t alen = k->family == 4 ? 4 : 16;
	int lo = TM_CLI, c;
	u32 h = 2166136261U;

	(void)priv;
	c = memcmp(&k->addr[TM_CLI], &k->addr[TM_SVR], alen);
	if (c > 0 || (c == 0 && memcmp(&k->port[TM_CLI], &k->port[TM_SVR],
				       sizeof(k->port[0])) > 0))
		lo = TM_SVR;
	h = off_fnv(h, &k->addr[lo], alen);
	h = off_fnv(h, &k->port[lo], sizeof(k->port[0]));
	h = off_fnv(h, &k->addr[!lo], alen);
	h = off_fnv(h, &k->port[!lo], sizeof(k->port[0]));
	*hash = h;
	return 0;
}

/* A flow's split hash: its endpoints' (mos_dlv_key_hash()) */
u32 mos_dlv_split_hash(const struct tm_flow *f)
{
	struct tm_key k = { .family = f->family };
	u32 h;

	k.addr[TM_CLI] = f->addr[TM_CLI];
	k.addr[TM_SVR] = f->addr[TM_SVR];
	k.port[TM_CLI] = f->port[TM_CLI];
	k.port[TM_SVR] = f->port[TM_SVR];
	mos_dlv_key_hash(NULL, &k, &h);
	return h;
}

/* The time of the packet being processed */
u64 mos_dlv_now(void *priv)
{
	return ((struct mos_offline *)priv)->now;
}

/* No namespace counters offline */
void mos_dlv_stat(void *priv, unsigned int stat)
{
	(void)priv;
	(void)stat;
}

/* No flow announcements offline */
void mos_dlv_flow_note(void *priv, const struct tm_flow *f, bool end)
{
	(void)priv;
	(void)f;
	(void)end;
}

/* No rules offline: every flow is monitored */
unsigned int mos_dlv_classify(void *priv, const struct tm_src *src,
			      u32 *rule)
{
	(void)priv;
	(void)src;
	(void)rule;
	return TM_ACT_MONITOR;
}

/* --- ioctls ------------------------------------------------------------ */

static void off_prog_free(struct bpf_prog *prog)
{
	if (prog)
		free(prog->insns);
	free(prog);
}

/*
 * An argument struct, as the kernel takes it in (mos_arg_in()): its size
 * field first, at least @min (the struct's first size: the fields a
 * smaller one lacks are zero), the bytes past what is known zero.
 */
static int off_arg_in(void *a, size_t size, size_t min, const void *arg)
{
	const u8 *b = arg;
	u32 usize, i;

	if (!arg)
		return -EFAULT;
	memcpy(&usize, arg, sizeof(usize));
	if (usize < min)
		return -EINVAL;
	for (i = size; i < usize; i++)
		if (b[i])
			return -E2BIG;
	memset(a, 0, size);
	memcpy(a, arg, usize < size ? usize : size);
	return 0;
}

static int off_ioc_socket(struct mos_offline *o, void *arg)
{
	struct mos_ioc_socket a;
	int err;

	err = off_arg_in(&a, sizeof(a), sizeof(a), arg);
	if (!err)
		err = mos_dlv_socket(&o->dlv, &a, true);
	if (!err)
		memcpy(arg, &a, sizeof(a));
	return err;
}

static int off_ioc_subscribe(struct mos_offline *o, const void *arg)
{
	struct mos_ioc_subscribe a;
	int err;

	err = off_arg_in(&a, sizeof(a), sizeof(a), arg);
	if (!err)
		err = mos_dlv_subscribe(&o->dlv, &a);
	/* The tracker hands over only what the consumer listens to */
	if (!err)
		mos_tm_set_heard(o->t, o->dlv.any,
				 o->dlv.buf[0] || o->dlv.buf[1]);
	return err;
}

static int off_ioc_filter(struct mos_offline *o, const void *arg)
{
	struct bpf_prog *prog = NULL, **slot;
	struct mos_ioc_filter a;
	int err;

	err = off_arg_in(&a, sizeof(a), sizeof(a), arg);
	if (!err)
		err = mos_dlv_filter_check(&o->dlv, &a);
	if (err)
		return err;
	if (a.len) {
		if (!a.insns)
			return -EFAULT;
		prog = calloc(1, sizeof(*prog));
		if (prog)
			prog->insns = malloc(a.len * sizeof(*prog->insns));
		if (!prog || !prog->insns) {
			free(prog);
			return -ENOMEM;
		}
		memcpy(prog->insns, (const void *)(uintptr_t)a.insns,
		       a.len * sizeof(*prog->insns));
		prog->len = a.len;
		/* As the kernel's loader: not valid classic BPF, -EINVAL */
		if (!bpf_validate(prog->insns, (int)a.len)) {
			off_prog_free(prog);
			return -EINVAL;
		}
	}
	slot = &o->dlv.socks[a.sock - 1].filter[a.which];
	off_prog_free(*slot);
	*slot = prog;
	return 0;
}

static int off_ioc_flow(struct mos_offline *o, const void *arg)
{
	struct mos_ioc_flow a;
	struct tm_key k;
	int err;

	err = off_arg_in(&a, sizeof(a), sizeof(a), arg);
	if (!err)
		err = mos_ioc_flow_check(&a, &k);
	if (err)
		return err;
	if (a.op == MOS_FLOW_STOP || a.op == MOS_FLOW_OVERLAP)
		return mos_dlv_flow_op(&o->dlv, o->t, &a, &k);
	/* Nothing to reset or drop in a capture: as passive mode */
	return -EOPNOTSUPP;
}

/*
 * The split and the packet copy limit; the record buffer grows, so the
 * data area's size is not read.  Before the first packet, once.
 */
static int off_ioc_ring(struct mos_offline *o, const void *arg)
{
	struct mos_ioc_ring a;
	int err;

	err = off_arg_in(&a, sizeof(a), MOS_IOC_RING_SIZE_VER0, arg);
	if (!err)
		err = mos_ioc_ring_check(&a);
	if (err)
		return err;
	if (o->ring_set || o->started)
		return -EBUSY;
	mos_dlv_ring(&o->dlv, &a);
	o->ring_set = true;
	return 0;
}

static int off_ioc_split(void *arg)
{
	struct mos_ioc_split a;
	int err;

	err = off_arg_in(&a, sizeof(a), sizeof(a), arg);
	if (!err)
		err = mos_dlv_split_query(NULL, &a);
	if (!err)
		memcpy(arg, &a, sizeof(a));
	return err;
}

static int off_ioc_verdict(struct mos_offline *o, const void *arg);
static int off_ioc_sendpkt(struct mos_offline *o, const void *arg);

int mos_offline__ioctl(struct mos_offline *o, unsigned long cmd, void *arg)
{
	cmd = mos_ioc_canon(cmd);
	if (cmd == MOS_IOC_SPLIT)
		return off_ioc_split(arg);
	if (!o)
		return -EINVAL;
	switch (cmd) {
	case MOS_IOC_RING_SETUP:
		return off_ioc_ring(o, arg);
	case MOS_IOC_SOCKET:
		return off_ioc_socket(o, arg);
	case MOS_IOC_SUBSCRIBE:
		return off_ioc_subscribe(o, arg);
	case MOS_IOC_FILTER:
		return off_ioc_filter(o, arg);
	case MOS_IOC_FLOW:
		return off_ioc_flow(o, arg);
	case MOS_IOC_VERDICT:
		return off_ioc_verdict(o, arg);
	case MOS_IOC_SENDPKT:
		return off_ioc_sendpkt(o, arg);
	default:
		return -EOPNOTSUPP;
	}
}


/* --- the output capture ------------------------------------------------ */

/* Write @len bytes of an IP packet at capture time @now (ns) */
static void off_out_write(struct mos_offline *o, u64 now, const u8 *pkt,
			  u32 len)
{
	struct pcap_pkthdr h = {
		.ts.tv_sec = (time_t)(now / 1000000000ULL),
		.ts.tv_usec = (suseconds_t)(now % 1000000000ULL / 1000),
		.caplen = len,
		.len = len,
	};

	pcap_dump((u_char *)o->out, &h, pkt);
	o->out_n.written++;
}

/* The IPv4 header checksum of @ip (@hl bytes), computed again */
static void off_ip_csum(u8 *ip, unsigned int hl)
{
	u16 sum;

	ip[10] = ip[11] = 0;
	sum = csum_final(csum_add(0, ip, hl));
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
}

/* The TCP checksum of @ip (@family, TCP header at @l4off, @len bytes) */
static void off_tcp_csum(u8 *ip, unsigned int family, u32 l4off, u32 len)
{
	u8 *th = ip + l4off;
	u32 tlen = len - l4off;
	u16 sum;

	th[16] = th[17] = 0;
	sum = csum_final(csum_add(csum_pseudo(family, ip + (family == 4 ? 12 : 8),
					      IPPROTO_TCP, tlen), th, tlen));
	th[16] = sum >> 8;
	th[17] = sum & 0xff;
}

/* Whether records from @from on have an event record with its packet */
static bool off_pkt_event(const struct mos_offline *o, u64 from,
			  struct mos_rec_held *held)
{
	bool found = false;
	u64 pos;

	for (pos = from; pos < o->prod.pos;) {
		const struct mos_rec *rec = (const void *)(o->data + pos);
		const struct mos_rec_event *e = (const void *)(rec + 1);
		u32 len = rec->len & MOS_REC_LEN_MASK;

		if (rec->type == MOS_REC_EVENT && e->flow && e->pkt_len &&
		    !(e->flags & MOS_EVF_PKT_PREV)) {
			held->flow = e->flow;
			held->pkt_total = e->pkt_total;
			held->pkt_from = e->pkt_from;
			found = true;
		}
		pos += (sizeof(*rec) + len + MOS_REC_ALIGN - 1) &
		       ~(u64)(MOS_REC_ALIGN - 1);
	}
	return found;
}

/* &tm_split.wait: the receiver's side waits if the packet will be held */
static bool off_wait(void *arg, const struct tm_pkt *p)
{
	struct mos_offline *o = arg;
	struct mos_rec_held held;

	(void)p;
	return off_pkt_event(o, o->pkt_pos, &held);
}

/*
 * The tracking of the receiver's side of a packet whose sender's side
 * was tracked before (@pd), as it leaves (@buf, @len bytes): a packet of
 * its own for the consumer, whose records end with a token-0
 * %MOS_REC_HELD if they have an event with its bytes, as the kernel's
 */
static void off_resume(struct mos_offline *o, const struct tm_pend *pd,
		       const u8 *buf, u32 len, u8 family)
{
	struct tm_flat fl = { buf, len };
	struct tm_src src = {
		.pkt = &fl,
		.len = len,
		.read = tm_flat_read,
		.copy = tm_flat_copy,
	};
	struct mos_rec_held held = { 0 }, *h;
	u64 from = o->prod.pos;
	struct tm_pkt p;

	if (!(pd->flags & TM_PEND_WAITS) ||
	    mos_tm_parse(&fl, len, family, 0, tm_flat_read, &p) != TM_PKT_TCP)
		return;
	mos_tm_resume(o->t, pd, &src, &p, o->now);
	mos_dev_unhold(o);
	if (off_pkt_event(o, from, &held)) {
		h = off_reserve(o, sizeof(*h), MOS_REC_HELD, 0);
		if (h)
			*h = held;
	}
}

/*
 * The held packet leaves as decided, or as it came if no verdict came
 * for it (the accept policy): its receiver's side is tracked with the
 * bytes it leaves with, and it is written; a dropped one is neither
 */
static void off_out_release(struct mos_offline *o)
{
	if (!o->held)
		return;
	o->held = false;
	if (o->held_decided && o->held_drop)
		return;
	off_resume(o, &o->held_pend, o->held_buf, o->held_len,
		   o->held_family);
	off_out_write(o, o->held_now, o->held_buf, o->held_len);
}

/*
 * After the tracker took record @r, whose records start at @from in the
 * buffer: hold the packet if one of them is an event record with its
 * bytes (a %MOS_REC_HELD record follows), else write it now
 */
static void off_out_packet(struct mos_offline *o, const struct tm_cap_rec *r,
			   u64 from, const struct tm_pend *pd)
{
	struct mos_rec_held *h, held = { 0 };
	bool found;

	if (!r->fl.len || r->fl.len > MOS_SENDPKT_MAX)
		return;
	found = off_pkt_event(o, from, &held);
	h = found && o->held_buf ?
	    off_reserve(o, sizeof(*h), MOS_REC_HELD, 0) : NULL;
	if (!h) {
		/* Not held: it leaves now */
		off_resume(o, pd, r->fl.data, r->fl.len, r->p.family);
		off_out_write(o, r->now, r->fl.data, r->fl.len);
		return;
	}
	memcpy(o->held_buf, r->fl.data, r->fl.len);
	o->held_pend = *pd;
	o->held = true;
	o->held_decided = false;
	o->held_drop = false;
	o->held_len = r->fl.len;
	o->held_now = r->now;
	o->held_tcp = r->res == TM_PKT_TCP;
	o->held_family = r->p.family;
	o->held_l4off = r->p.l4off;
	held.token = ++o->held_token;
	*h = held;
}

/* %MOS_IOC_VERDICT: only the held packet's token is known */
static int off_ioc_verdict(struct mos_offline *o, const void *arg)
{
	struct mos_ioc_verdict a;
	struct mos_verdict *vec;
	int err, bad = 0;
	u32 i;

	err = off_arg_in(&a, sizeof(a), sizeof(a), arg);
	if (err)
		return err;
	if (!o->out)
		return -EOPNOTSUPP;
	if (a.n > MOS_VERDICT_BATCH)
		return -EINVAL;
	vec = (struct mos_verdict *)(uintptr_t)a.vec;
	for (i = 0; i < a.n; i++) {
		struct mos_verdict *v = &vec[i];

		v->res = 0;
		if (!o->held || v->token != o->held_token) {
			v->res = -ETIMEDOUT;	/* written already */
			continue;
		}
		if (o->held_decided) {
			v->res = -EINVAL;	/* decided already */
			bad = -EINVAL;
			continue;
		}
		if ((v->verdict != MOS_VERDICT_ACCEPT &&
		     v->verdict != MOS_VERDICT_DROP) ||
		    (v->flags & ~(MOS_VERDICT_F_IP_CSUM | MOS_VERDICT_F_TCP_CSUM)) ||
		    (u64)v->off + v->len > o->held_len || (v->len && !v->data)) {
			v->res = -EINVAL;
			bad = -EINVAL;
			continue;
		}
		/* It leaves before the next packet is read (off_process()) */
		o->held_decided = true;
		if (v->verdict == MOS_VERDICT_DROP) {
			o->held_drop = true;
			o->out_n.dropped++;
			continue;
		}
		if (v->len)
			memcpy(o->held_buf + v->off,
			       (const void *)(uintptr_t)v->data, v->len);
		if ((v->flags & MOS_VERDICT_F_IP_CSUM) && o->held_family == 4)
			off_ip_csum(o->held_buf, (o->held_buf[0] & 0xf) * 4);
		if ((v->flags & MOS_VERDICT_F_TCP_CSUM) && o->held_tcp)
			off_tcp_csum(o->held_buf, o->held_family,
				     o->held_l4off, o->held_len);
		if (v->len || v->flags)
			o->out_n.modified++;
	}
	return bad;
}

/* The flow found is the one named, in the same orientation */
static int off_sendpkt_flow(struct tm_flow *f, void *arg)
{
	const struct tm_key *k = arg;

	if (memcmp(&f->addr[TM_CLI], &k->addr[TM_CLI], sizeof(k->addr[0])) ||
	    f->port[TM_CLI] != k->port[TM_CLI])
		return -ENOENT;
	return 0;
}

/* %MOS_IOC_SENDPKT: the kernel's checks, then into the output at once */
static int off_ioc_sendpkt(struct mos_offline *o, const void *arg)
{
	struct mos_ioc_sendpkt a;
	struct tm_key k;
	u8 *pkt;
	u32 l4;
	int err;

	err = off_arg_in(&a, sizeof(a), sizeof(a), arg);
	if (err)
		return err;
	if (!o->out)
		return -EOPNOTSUPP;
	err = mos_sendpkt_arg_check(&a, &k);
	if (err) {
		if (err == -EINVAL)
			o->out_n.send_invalid++;
		return err;
	}
	if (!a.pkt)
		return -EFAULT;
	pkt = malloc(a.len);
	if (!pkt)
		return -ENOMEM;
	memcpy(pkt, (const void *)(uintptr_t)a.pkt, a.len);
	err = mos_sendpkt_pkt_check(&k, a.side, pkt, a.len, &l4);
	if (!err)
		err = mos_tm_find(o->t, &k, a.flow.flow, off_sendpkt_flow, &k);
	if (err) {
		o->out_n.send_invalid++;
		free(pkt);
		return err;
	}
	if (k.family == 4)
		off_ip_csum(pkt, 20);
	if (a.flags & MOS_SENDPKT_F_TCP_CSUM)
		off_tcp_csum(pkt, k.family, l4, a.len);
	off_out_write(o, o->now, pkt, a.len);
	o->out_n.sent++;
	free(pkt);
	return 0;
}

int mos_offline__output(struct mos_offline *o, const char *path)
{
	if (!o || !path || o->out || o->started)
		return -EINVAL;
	o->held_buf = malloc(MOS_SENDPKT_MAX);
	o->out_pc = pcap_open_dead(DLT_RAW, MOS_SENDPKT_MAX);
	if (!o->held_buf || !o->out_pc) {
		free(o->held_buf);
		o->held_buf = NULL;
		if (o->out_pc)
			pcap_close(o->out_pc);
		o->out_pc = NULL;
		return -ENOMEM;
	}
	o->out = pcap_dump_open(o->out_pc, path);
	if (!o->out) {
		snprintf(o->msg, sizeof(o->msg), "%s: %s", path,
			 pcap_geterr(o->out_pc));
		pcap_close(o->out_pc);
		o->out_pc = NULL;
		free(o->held_buf);
		o->held_buf = NULL;
		return -EIO;
	}
	return 0;
}

int mos_offline__out_stats(const struct mos_offline *o,
			   struct mos_offline_out_stats *st)
{
	if (!o || !st || !o->out)
		return -EINVAL;
	*st = o->out_n;
	return 0;
}

/* --- the capture ------------------------------------------------------- */

/* Read the next record ahead; at the end (or a read error), note it */
static void off_read(struct mos_offline *o)
{
	int rc;

	if (o->live && o->count && o->cap.n.packets >= o->count) {
		o->eof = true;
		return;
	}
	rc = tm_cap_next(&o->cap, &o->next);
	o->idle = rc == -EAGAIN;
	if (rc == 1) {
		o->have_next = true;
		return;
	}
	if (o->idle)
		return;
	o->eof = true;
	if (rc < 0) {
		o->end_err = rc;
		snprintf(o->msg, sizeof(o->msg), "%s", pcap_geterr(o->cap.pc));
	}
}

static int off_csum_mode(const char *name)
{
	int i;

	if (!name || !*name)
		return TM_CAP_CSUM_AUTO;
	for (i = 0; i < TM_CAP_CSUM_MODES; i++)
		if (!strcmp(name, tm_cap_csum_names[i]))
			return i;
	return -1;
}

/* An empty backend, its capture to open: NULL after a message */
static struct mos_offline *off_new(void)
{
	struct mos_offline *o = calloc(1, sizeof(*o));

	if (!o)
		snprintf(off_open_msg, sizeof(off_open_msg), "%s",
			 strerror(ENOMEM));
	return o;
}

/*
 * After the capture opened (@ret 0): the table and the ring's header;
 * else, or when the table cannot be made, @o is freed
 */
static int off_setup(struct mos_offline **op, struct mos_offline *o, int ret)
{
	struct tm_table_cfg cfg = {
		.overlap = TM_OVERLAP_LINUX,
		.priv_size = sizeof(struct mos_flow_dev),
	};

	if (!ret) {
		o->t = mos_tm_table_new(&cfg, &mos_deliver_ops, o);
		if (!o->t) {
			ret = -ENOMEM;
			snprintf(off_open_msg, sizeof(off_open_msg),
				 "cannot create the flow table");
		}
	}
	if (ret) {
		tm_cap_close(&o->cap);
		free(o);
		return ret;
	}
	mos_dlv_init(&o->dlv);
	o->hdr.magic = MOS_RING_MAGIC;
	o->hdr.abi_major = MOS_ABI_MAJOR;
	o->hdr.abi_minor = MOS_ABI_MINOR;
	*op = o;
	return 0;
}

int mos_offline__open(struct mos_offline **op, const char *path,
		      const char *checksum_mode, char *err, size_t errlen)
{
	struct mos_offline *o;
	int mode, ret;

	*op = NULL;
	off_open_msg[0] = '\0';
	mode = off_csum_mode(checksum_mode);
	if (!path || !*path || mode < 0) {
		if (mode < 0)
			snprintf(off_open_msg, sizeof(off_open_msg),
				 "checksum mode \"%s\" is not one of auto verify ignore",
				 checksum_mode);
		else
			snprintf(off_open_msg, sizeof(off_open_msg),
				 "no capture file");
		ret = -EINVAL;
		goto out;
	}
	o = off_new();
	if (!o) {
		ret = -ENOMEM;
		goto out;
	}
	ret = off_setup(op, o, tm_cap_open(&o->cap, path, mode, off_open_msg,
					   sizeof(off_open_msg)));
	if (ret)
		goto out;
	/* Before the first packet, the clock reads its time */
	off_read(o);
	if (o->have_next)
		o->now = o->next.now;
	return 0;
out:
	if (err && errlen)
		snprintf(err, errlen, "%s", off_open_msg);
	return ret;
}

int mos_offline__open_live(struct mos_offline **op, const char *iface,
			   const char *checksum_mode, uint64_t count,
			   char *err, size_t errlen)
{
	struct mos_offline *o;
	int mode, ret;

	*op = NULL;
	off_open_msg[0] = '\0';
	mode = off_csum_mode(checksum_mode);
	if (mode < 0) {
		snprintf(off_open_msg, sizeof(off_open_msg),
			 "checksum mode \"%s\" is not one of auto verify ignore",
			 checksum_mode);
		ret = -EINVAL;
		goto out;
	}
	o = off_new();
	if (!o) {
		ret = -ENOMEM;
		goto out;
	}
	o->live = true;
	o->count = count;
	ret = off_setup(op, o, tm_cap_open_live(&o->cap, iface, mode,
						off_open_msg,
						sizeof(off_open_msg)));
	if (ret)
		goto out;
	/* The clock starts now; the first sweep a second later */
	o->now = tm_cap_clock();
	tm_cap_idle(&o->cap, o->now);
	return 0;
out:
	if (err && errlen)
		snprintf(err, errlen, "%s", off_open_msg);
	return ret;
}

int mos_offline__fd(const struct mos_offline *o)
{
	return o && o->live && o->cap.pc ?
	       pcap_get_selectable_fd(o->cap.pc) : -1;
}

int mos_offline__stats(struct mos_offline *o, struct mos_offline_stats *st)
{
	const struct tm_cap_counts *n;

	if (!o || !st)
		return -EINVAL;
	n = &o->cap.n;
	tm_cap_live_stats(&o->cap);
	memset(st, 0, sizeof(*st));
	st->packets = n->packets;
	st->tcp = n->tcp;
	st->other = n->other;
	/* Encapsulations not removed: as what the tracker never parsed */
	st->parse_errors = n->parse_errors + n->decap_bad + n->decap_deep;
	st->truncated = n->truncated;
	st->non_ip = n->non_ip + n->decap_unknown;
	st->ip_fragments = n->ip_fragments;
	st->ip_discard = n->ip6_opt_discard + n->ip6_hbh_not_first +
			 n->ip6_rh_discard + n->ip4_opt_discard;
	st->csum_bad = n->csum_bad;
	st->pcap_recv = n->pcap_recv;
	st->pcap_drop = n->pcap_drop;
	st->pcap_ifdrop = n->pcap_ifdrop;
	return 0;
}

void mos_offline__ring(struct mos_offline *o, struct mos_ring_user *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->page_size = 0;
	r->cons = &o->cons;
	r->hdr = &o->hdr;
	r->prod = &o->prod;
	r->data = o->data;
	r->mask = ~(uint64_t)0;	/* positions are offsets in the buffer */
	o->user = r;
}

/* Move what the consumer has not read yet to the front of the buffer */
static void off_compact(struct mos_offline *o)
{
	u64 c = o->cons.pos, n = o->prod.pos - c;

	if (!c)
		return;
	if (n)
		memmove(o->data, o->data + c, n);
	o->cons.pos = 0;
	o->prod.pos = n;
}

/*
 * Hand one record to the tracker.  With an output, the packet held
 * before leaves first; a TCP segment that will be held has its
 * receiver's side tracked as it leaves (off_out_release()), as the
 * kernel's verdict mode does.
 */
static void off_process(struct mos_offline *o, struct tm_cap_rec *r)
{
	struct tm_split sp = { .wait = off_wait, .arg = o };
	u64 from;

	if (o->out)
		off_out_release(o);
	from = o->prod.pos;
	o->pkt_pos = from;
	o->now = r->now;
	if (r->expire)
		mos_tm_expire(o->t, r->now, UINT_MAX);
	if (!r->input)
		return;
	/* The kernel's raw sockets see the packets the tracker passes */
	if (mos_tm_input_split(o->t, &r->src, r->res, &r->p, r->now,
			       r->flags, o->out && o->held_buf ? &sp : NULL) ==
	    TM_VERDICT_PASS && o->dlv.nraw)
		mos_dev_raw(o, &r->src);
	/* The packet ends (its bytes once: %MOS_RING_F_PKT_ONCE) */
	mos_dev_unhold(o);
	if (o->out)
		off_out_packet(o, r, from, &sp.pend);
}

/*
 * Live, nothing ready: the clock to the current time, idle flows swept
 * once a second.  Return: 1 when @until is reached (a timer is due),
 * else %MOS_OFFLINE_WAIT.
 */
static int off_idle(struct mos_offline *o, uint64_t until)
{
	u64 t = tm_cap_clock();

	if (t > o->now)
		o->now = t;
	if (tm_cap_idle(&o->cap, o->now))
		mos_tm_expire(o->t, o->now, UINT_MAX);
	return o->now >= until ? 1 : MOS_OFFLINE_WAIT;
}

int mos_offline__pump(struct mos_offline *o, uint64_t until)
{
	int r;

	o->started = true;
	off_compact(o);
	while (!o->err && o->prod.pos == o->cons.pos) {
		if (o->state == OFF_FLUSHED)
			return o->end_err;
		if (!o->have_next && !o->eof)
			off_read(o);
		if (!o->have_next && o->idle) {
			r = off_idle(o, until);
			if (o->prod.pos != o->cons.pos || o->err)
				break;
			return r;
		}
		if (!o->have_next) {
			if (o->out)
				off_out_release(o);
			mos_tm_flush(o->t);
			o->state = OFF_FLUSHED;
			continue;
		}
		if (o->next.now > until) {
			if (until > o->now)
				o->now = until;
			return 1;
		}
		o->have_next = false;
		off_process(o, &o->next);
	}
	return o->err ? o->err : 1;
}

int mos_offline__split(struct mos_offline *o, uint32_t count, uint32_t index)
{
	struct mos_ioc_ring a = {
		.size = sizeof(a), .split_count = count,
		.split_index = count > 1 ? index : 0,
		.pkt_max = o->dlv.pkt_max,
	};

	if (count > MOS_SPLIT_MAX || (count > 1 && index >= count))
		return -EINVAL;
	mos_dlv_ring(&o->dlv, &a);
	return 0;
}

uint64_t mos_offline__now(const struct mos_offline *o)
{
	return o->now;
}

const char *mos_offline__error(const struct mos_offline *o)
{
	return o ? o->msg : off_open_msg;
}

void mos_offline__close(struct mos_offline *o)
{
	u32 i, j;

	if (!o)
		return;
	if (o->out) {
		off_out_release(o);
		pcap_dump_close(o->out);
		pcap_close(o->out_pc);
	}
	free(o->held_buf);
	if (o->t)
		mos_tm_table_free(o->t);
	for (i = 0; i < o->dlv.nsocks; i++)
		for (j = 0; j <= MOS_FILTER_RAW; j++)
			off_prog_free(o->dlv.socks[i].filter[j]);
	tm_cap_close(&o->cap);
	free(o->data);
	free(o);
}
