// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * offline.c - the records of /dev/mos, made from a capture file
 *
 * A capture (pcap or pcapng) goes through the userspace build of the
 * tracker (kmod/tcpmon/, read by tools/tcpmon/capture.c as mosreplay
 * reads it), and the tracker's callbacks write the records the kernel's
 * would (kmod/chardev.c) under the same rules: FLOW_OPEN and FLOW_CLOSE
 * once the consumer has a socket, one EVENT per socket subscribed to the
 * event at its hook, DATA for the sides some socket wants bytes of, 16 KiB
 * a record at most, the packet's first 2048 bytes in an event.  The
 * sockets' filters run as the kernel's do, through libpcap's interpreter:
 * on the packet that creates a flow, on orphans, on every packet for raw
 * sockets.  %MOS_IOC_FLOW stops records about a side of a flow or sets
 * its overlap policy; resetting and dropping need a live connection
 * (-EOPNOTSUPP, as in passive mode).
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
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/bpf.h>
#include "tm_capture.h"
#include "libmosuser.h"
#include "../kmod/rec.h"	/* the kernel's record bodies and checks */

/* The record buffer's first size */
#define OFF_BUF_MIN		(64U << 10)

/* A filter: classic BPF, run by libpcap's interpreter */
struct off_filter {
	struct bpf_insn *insns;
	u32 len;
};

/*
 * A monitor socket: its events per hook, stream bytes wanted per side, its
 * filters by %MOS_FILTER_SYN etc. (no program: all pass)
 */
struct off_sock {
	u8 type;
	u64 events[MOS_HOOKS];
	u32 buf[2];
	struct off_filter filter[MOS_FILTER_RAW + 1];
};

/*
 * What a flow is for the consumer (the table's per-flow area): the sides
 * it gets records about (bit %TM_CLI, bit %TM_SVR), and whether it got
 * the FLOW_OPEN
 */
struct off_flow {
	u8 want;
	bool opened;
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
	/* the consumer's sockets, as struct mos_consumer's */
	u32 nsocks;
	struct off_sock socks[MOS_SOCKS_MAX];
	u64 any[MOS_HOOKS];
	u32 buf[2];
	u32 nraw;
	u32 split_count;	/* mos_offline__split(); 0: every flow */
	u32 split_index;
	/* the record buffer, read as a ring */
	u8 *data;
	size_t size;
	struct mos_ring_pos cons, prod;
	struct mos_ring_hdr hdr;
	struct mos_ring_user *user;
	char msg[PCAP_ERRBUF_SIZE + 64];
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

/* Run a socket's filter on a packet: true if it has none or it accepts */
static bool off_filter_pass(const struct off_sock *s, unsigned int which,
			    const struct tm_src *src)
{
	const struct off_filter *fl = &s->filter[which];
	const struct tm_flat *pkt;

	if (!fl->insns)
		return true;
	if (!src)
		return false;
	/* The capture's packet: its bytes from the IP header, contiguous */
	pkt = src->pkt;
	return bpf_filter(fl->insns, pkt->data, pkt->len, pkt->len) != 0;
}

/*
 * The flow's hash for splitting: FNV-1a over its endpoints, the same in
 * every context that reads the capture (the table's own hash is keyed
 * per table)
 */
static u32 off_split_hash(const struct tm_flow *f)
{
	const u8 *parts[4] = {
		(const u8 *)&f->addr[TM_CLI], (const u8 *)&f->addr[TM_SVR],
		(const u8 *)&f->port[TM_CLI], (const u8 *)&f->port[TM_SVR],
	};
	const size_t lens[4] = {
		sizeof(f->addr[0]), sizeof(f->addr[0]),
		sizeof(f->port[0]), sizeof(f->port[0]),
	};
	u32 h = 2166136261U;
	size_t i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < lens[i]; j++)
			h = (h ^ parts[i][j]) * 16777619U;
	return h;
}

static void off_flow(void *priv, struct tm_flow *f, const struct tm_src *src,
		     const struct tm_pkt *p)
{
	struct off_flow *d = mos_tm_flow_priv(f);
	struct mos_offline *o = priv;
	struct mos_rec_flow *r;
	u64 socks = 0;
	u32 i;

	(void)p;
	if (!src) {
		if (!d->opened)
			return;
		r = off_reserve(o, sizeof(*r), MOS_REC_FLOW_CLOSE, 0);
		if (r)
			mos_rec_flow_fill(r, f);
		return;
	}
	if (o->split_count > 1 &&
	    off_split_hash(f) % o->split_count != o->split_index)
		return;
	/* The stream sockets whose SYN filter takes the first packet */
	for (i = 0; i < o->nsocks; i++)
		if (o->socks[i].type == MOS_MSOCK_STREAM &&
		    off_filter_pass(&o->socks[i], MOS_FILTER_SYN, src))
			socks |= 1ULL << i;
	if (!socks)
		return;
	d->want = (1U << TM_CLI) | (1U << TM_SVR);
	d->opened = true;
	r = off_reserve(o, sizeof(*r), MOS_REC_FLOW_OPEN, 0);
	if (!r)
		return;
	mos_rec_flow_fill(r, f);
	r->socks = socks;
}

static void off_event(void *priv, struct tm_flow *f, const struct tm_ev *ev,
		      const struct tm_src *src, const struct tm_pkt *p)
{
	bool orphan = ev->type == TM_EV_ORPHAN;
	struct mos_offline *o = priv;
	u64 bit = 1ULL << ev->type;
	u32 i;

	if (ev->hook >= MOS_HOOKS || !(o->any[ev->hook] & bit))
		return;
	if (f && !(((struct off_flow *)mos_tm_flow_priv(f))->want &
		   (1U << (ev->side & 1))))
		return;
	/* With a split, orphans go to index 0 */
	if (orphan && o->split_count > 1 && o->split_index)
		return;
	for (i = 0; i < o->nsocks; i++) {
		struct mos_rec_event *r;

		if (!(o->socks[i].events[ev->hook] & bit))
			continue;
		if (orphan && !off_filter_pass(&o->socks[i], MOS_FILTER_ORPHAN,
					       src))
			continue;
		r = off_reserve(o, sizeof(*r) + mos_rec_pkt_len(src),
				MOS_REC_EVENT, i + 1);
		if (r)
			mos_rec_event_fill(r, f, ev, src, p, o->now);
	}
}

static void off_data(void *priv, struct tm_flow *f, int side, u64 off,
		     tm_copy_t copy, const void *src, unsigned int off_in_src,
		     unsigned int len)
{
	struct off_flow *d = mos_tm_flow_priv(f);
	struct mos_offline *o = priv;
	unsigned int done = 0;

	if (!o->buf[side] || !(d->want & (1U << side)))
		return;
	while (done < len) {
		u32 n = min_t(u32, len - done, MOS_DATA_CHUNK);
		struct mos_rec_data *r;

		r = off_reserve(o, sizeof(*r) + n, MOS_REC_DATA, 0);
		if (r) {
			r->flow = f->id;
			r->off = off + done;
			r->side = side;
			r->len = n;
			if (copy(src, off_in_src + done, r + 1, n))
				((struct mos_rec *)r - 1)->len |= MOS_REC_DISCARD;
		}
		done += n;
	}
}

static const struct tm_ops off_ops = {
	.event = off_event,
	.data = off_data,
	.flow = off_flow,
};

/* --- ioctls ------------------------------------------------------------ */

/*
 * An argument struct, as the kernel takes it in (mos_arg_in()): its size
 * field first, the bytes past what is known zero.
 */
static int off_arg_in(void *a, size_t size, const void *arg)
{
	const u8 *b = arg;
	u32 usize, i;

	if (!arg)
		return -EFAULT;
	memcpy(&usize, arg, sizeof(usize));
	if (usize < size)
		return -EINVAL;
	for (i = size; i < usize; i++)
		if (b[i])
			return -E2BIG;
	memcpy(a, arg, size);
	return 0;
}

static int off_ioc_socket(struct mos_offline *o, void *arg)
{
	struct mos_ioc_socket a;
	int err;

	err = off_arg_in(&a, sizeof(a), arg);
	if (!err)
		err = mos_ioc_socket_check(&a, o->nsocks, true);
	if (err)
		return err;
	o->socks[o->nsocks].type = a.type;
	if (a.type == MOS_MSOCK_RAW)
		o->nraw++;
	a.id = ++o->nsocks;
	memcpy(arg, &a, sizeof(a));
	return 0;
}

static int off_ioc_subscribe(struct mos_offline *o, const void *arg)
{
	struct mos_ioc_subscribe a;
	unsigned int i, h;
	int err;

	err = off_arg_in(&a, sizeof(a), arg);
	if (!err)
		err = mos_ioc_subscribe_check(&a, o->nsocks,
					      a.sock && a.sock <= o->nsocks ?
					      o->socks[a.sock - 1].type : 0);
	if (err)
		return err;
	o->socks[a.sock - 1].events[a.hook] = a.events;
	o->socks[a.sock - 1].buf[0] = a.buf[0];
	o->socks[a.sock - 1].buf[1] = a.buf[1];
	memset(o->any, 0, sizeof(o->any));
	memset(o->buf, 0, sizeof(o->buf));
	for (i = 0; i < o->nsocks; i++) {
		for (h = 0; h < MOS_HOOKS; h++)
			o->any[h] |= o->socks[i].events[h];
		for (h = 0; h < 2; h++)
			if (o->buf[h] < o->socks[i].buf[h])
				o->buf[h] = o->socks[i].buf[h];
	}
	return 0;
}

static int off_ioc_filter(struct mos_offline *o, const void *arg)
{
	struct bpf_insn *insns = NULL;
	struct mos_ioc_filter a;
	struct off_filter *fl;
	int err;

	err = off_arg_in(&a, sizeof(a), arg);
	if (!err)
		err = mos_ioc_filter_check(&a, o->nsocks,
					   a.sock && a.sock <= o->nsocks ?
					   o->socks[a.sock - 1].type : 0);
	if (err)
		return err;
	if (a.len) {
		if (!a.insns)
			return -EFAULT;
		insns = malloc(a.len * sizeof(*insns));
		if (!insns)
			return -ENOMEM;
		memcpy(insns, (const void *)(uintptr_t)a.insns,
		       a.len * sizeof(*insns));
		/* As the kernel's loader: not valid classic BPF, -EINVAL */
		if (!bpf_validate(insns, (int)a.len)) {
			free(insns);
			return -EINVAL;
		}
	}
	fl = &o->socks[a.sock - 1].filter[a.which];
	free(fl->insns);
	fl->insns = insns;
	fl->len = a.len;
	return 0;
}

static int off_stop_one(struct tm_flow *f, void *arg)
{
	struct off_flow *d = mos_tm_flow_priv(f);
	u32 sides = *(u32 *)arg;

	if (!d->opened)
		return -ENOENT;
	if (sides & MOS_SIDE_BIT_CLI)
		d->want &= ~(1U << TM_CLI);
	if (sides & MOS_SIDE_BIT_SVR)
		d->want &= ~(1U << TM_SVR);
	/* Monitoring neither side: not even the close is for it now */
	if (!d->want)
		d->opened = false;
	return 0;
}

static int off_ioc_flow(struct mos_offline *o, const void *arg)
{
	struct mos_ioc_flow a;
	struct tm_key k;
	int err;

	err = off_arg_in(&a, sizeof(a), arg);
	if (!err)
		err = mos_ioc_flow_check(&a, &k);
	if (err)
		return err;
	switch (a.op) {
	case MOS_FLOW_STOP:
		return mos_tm_find(o->t, &k, a.flow.flow, off_stop_one,
				   &a.sides);
	case MOS_FLOW_OVERLAP:
		return mos_tm_overlap(o->t, a.flow.flow, &k, a.sides, a.arg);
	default:
		/* Nothing to reset or drop in a capture: as passive mode */
		return -EOPNOTSUPP;
	}
}

int mos_offline__ioctl(struct mos_offline *o, unsigned long cmd, void *arg)
{
	switch (cmd) {
	case MOS_IOC_SOCKET:
		return off_ioc_socket(o, arg);
	case MOS_IOC_SUBSCRIBE:
		return off_ioc_subscribe(o, arg);
	case MOS_IOC_FILTER:
		return off_ioc_filter(o, arg);
	case MOS_IOC_FLOW:
		return off_ioc_flow(o, arg);
	default:
		return -EOPNOTSUPP;
	}
}

/* --- the capture ------------------------------------------------------- */

/* Read the next record ahead; at the end (or a read error), note it */
static void off_read(struct mos_offline *o)
{
	int rc = tm_cap_next(&o->cap, &o->next);

	if (rc == 1) {
		o->have_next = true;
		return;
	}
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

int mos_offline__open(struct mos_offline **op, const char *path,
		      const char *checksum_mode, char *err, size_t errlen)
{
	struct tm_table_cfg cfg = { .priv_size = sizeof(struct off_flow) };
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
	o = calloc(1, sizeof(*o));
	if (!o) {
		ret = -ENOMEM;
		snprintf(off_open_msg, sizeof(off_open_msg), "%s",
			 strerror(-ret));
		goto out;
	}
	ret = tm_cap_open(&o->cap, path, mode, off_open_msg,
			  sizeof(off_open_msg));
	if (!ret) {
		o->t = mos_tm_table_new(&cfg, &off_ops, o);
		if (!o->t) {
			ret = -ENOMEM;
			snprintf(off_open_msg, sizeof(off_open_msg),
				 "cannot create the flow table");
		}
	}
	if (ret) {
		tm_cap_close(&o->cap);
		free(o);
		goto out;
	}
	o->hdr.magic = MOS_RING_MAGIC;
	o->hdr.abi_major = MOS_ABI_MAJOR;
	o->hdr.abi_minor = MOS_ABI_MINOR;
	/* Before the first packet, the clock reads its time */
	off_read(o);
	if (o->have_next)
		o->now = o->next.now;
	*op = o;
	return 0;
out:
	if (err && errlen)
		snprintf(err, errlen, "%s", off_open_msg);
	return ret;
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

/* A packet to the raw sockets whose filter takes it, as mos_dev_raw() */
static void off_raw(struct mos_offline *o, const struct tm_src *src)
{
	const struct tm_ev ev = { .type = TM_EV_PKT_IN, .hook = MOS_HOOK_NULL };
	u32 i;

	for (i = 0; i < o->nsocks; i++) {
		const struct off_sock *s = &o->socks[i];
		struct mos_rec_event *r;

		if (s->type != MOS_MSOCK_RAW ||
		    !(s->events[MOS_HOOK_NULL] & (1ULL << TM_EV_PKT_IN)) ||
		    !off_filter_pass(s, MOS_FILTER_RAW, src))
			continue;
		r = off_reserve(o, sizeof(*r) + mos_rec_pkt_len(src),
				MOS_REC_EVENT, i + 1);
		if (r)
			mos_rec_event_fill(r, NULL, &ev, src, NULL, o->now);
	}
}

/* Hand one record to the tracker */
static void off_process(struct mos_offline *o, struct tm_cap_rec *r)
{
	o->now = r->now;
	if (r->expire)
		mos_tm_expire(o->t, r->now, UINT_MAX);
	if (!r->input)
		return;
	/* The kernel's raw sockets see the packets the tracker passes */
	if (mos_tm_input(o->t, &r->src, r->res, &r->p, r->now, r->flags) ==
	    TM_VERDICT_PASS && o->nraw)
		off_raw(o, &r->src);
}

int mos_offline__pump(struct mos_offline *o, uint64_t until)
{
	off_compact(o);
	while (!o->err && o->prod.pos == o->cons.pos) {
		if (o->state == OFF_FLUSHED)
			return o->end_err;
		if (!o->have_next && !o->eof)
			off_read(o);
		if (!o->have_next) {
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
	if (count > MOS_SPLIT_MAX || (count > 1 && index >= count))
		return -EINVAL;
	o->split_count = count;
	o->split_index = count > 1 ? index : 0;
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
	if (o->t)
		mos_tm_table_free(o->t);
	for (i = 0; i < o->nsocks; i++)
		for (j = 0; j <= MOS_FILTER_RAW; j++)
			free(o->socks[i].filter[j].insns);
	tm_cap_close(&o->cap);
	free(o->data);
	free(o);
}
