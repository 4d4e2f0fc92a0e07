/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rec.h - /dev/mos records made from the tracker's callbacks, and the
 * checks of the ioctls that subscribe to them
 *
 * Shared by mos.ko (chardev.c) and libmosuser's offline backend
 * (libmosuser/offline.c), which makes the same records from a capture:
 * only tcpmon.h's types and the ABI header are used.
 */
#ifndef _MOS_REC_H
#define _MOS_REC_H

#include <linux/mos.h>
#include "tcpmon/tcpmon.h"
#include "abi.h"

/* Stream bytes per data record at most */
#define MOS_DATA_CHUNK		16384

/**
 * mos_hook_events() - the events a socket may subscribe to at a hook
 * @hook: %MOS_HOOK_NULL, %MOS_HOOK_SND or %MOS_HOOK_RCV
 * @type: the socket's, %MOS_MSOCK_STREAM or %MOS_MSOCK_RAW
 *
 * Stream sockets: the events the hook raises (see enum tm_event).  Raw
 * sockets: PKT_IN at %MOS_HOOK_NULL, every packet.
 *
 * Return: their mOS event mask; 0 for another value.
 */
static inline u64 mos_hook_events(unsigned int hook, unsigned int type)
{
	const u64 sides = BIT_ULL(TM_EV_PKT_IN) | BIT_ULL(TM_EV_CONN_START) |
			  BIT_ULL(TM_EV_CONN_SETUP) |
			  BIT_ULL(TM_EV_STATE_CHANGE) | BIT_ULL(TM_EV_REXMIT) |
			  BIT_ULL(TM_EV_CONN_END);

	if (type == MOS_MSOCK_RAW)
		return hook == MOS_HOOK_NULL ? BIT_ULL(TM_EV_PKT_IN) : 0;
	switch (hook) {
	case MOS_HOOK_NULL:
		return BIT_ULL(TM_EV_NEW_DATA) | BIT_ULL(TM_EV_ERROR) |
		       BIT_ULL(TM_EV_TIMEOUT) | BIT_ULL(TM_EV_ORPHAN);
	case MOS_HOOK_SND:
	case MOS_HOOK_RCV:
		return sides;
	}
	return 0;
}

/**
 * mos_ioc_socket_check() - the checks of %MOS_IOC_SOCKET
 * @a: the argument, copied in
 * @nsocks: sockets the consumer has
 * @raw: raw sockets are possible (else -EOPNOTSUPP)
 *
 * Return: 0 or the negative errno the ioctl fails with.
 */
static inline int mos_ioc_socket_check(const struct mos_ioc_socket *a,
				       u32 nsocks, bool raw)
{
	if (a->reserved || a->id)
		return -EINVAL;
	if (a->type == MOS_MSOCK_RAW && !raw)
		return -EOPNOTSUPP;
	if (a->type == MOS_MSOCK_RAW)
		return nsocks == MOS_SOCKS_MAX ? -EMFILE : 0;
	if (a->type != MOS_MSOCK_STREAM)
		return -EINVAL;
	if (nsocks == MOS_SOCKS_MAX)
		return -EMFILE;
	return 0;
}

/**
 * mos_ioc_subscribe_check() - the checks of %MOS_IOC_SUBSCRIBE
 * @a: the argument, copied in
 * @nsocks: sockets the consumer has
 * @type: the type of socket @a->sock, if it exists
 *
 * Return: 0 or the negative errno the ioctl fails with.
 */
static inline int mos_ioc_subscribe_check(const struct mos_ioc_subscribe *a,
					  u32 nsocks, unsigned int type)
{
	if (a->flags)
		return -EOPNOTSUPP;
	if (a->reserved || !a->sock || a->sock > nsocks ||
	    a->hook >= MOS_HOOKS ||
	    (a->events & ~mos_hook_events(a->hook, type)))
		return -EINVAL;
	/* Raw sockets have no stream */
	if (type == MOS_MSOCK_RAW && (a->buf[0] || a->buf[1]))
		return -EINVAL;
	return 0;
}

/**
 * mos_ioc_filter_check() - check a %MOS_IOC_FILTER argument
 * @a: the argument, copied in
 * @nsocks: sockets the consumer has
 * @type: the type of socket @a->sock, if it exists
 *
 * Return: 0, or -EINVAL.  The program itself is checked where it is
 * loaded.
 */
static inline int mos_ioc_filter_check(const struct mos_ioc_filter *a,
				       u32 nsocks, unsigned int type)
{
	if (a->reserved || !a->sock || a->sock > nsocks ||
	    a->which > MOS_FILTER_RAW || a->len > MOS_FILTER_MAX_INSNS ||
	    (!a->len && a->insns))
		return -EINVAL;
	/* Raw sockets have only a raw filter, stream sockets none */
	if (a->which == MOS_FILTER_RAW ? type != MOS_MSOCK_RAW :
					 type == MOS_MSOCK_RAW)
		return -EINVAL;
	return 0;
}

/*
 * mos_rec_flow_key() - the endpoints of the flow @rf names, as a key
 * @rf: a flow's name, as its %MOS_REC_FLOW_OPEN record gave it; its
 *      family checked (4 or 6)
 * @k: filled in
 */
static inline void mos_rec_flow_key(const struct mos_rec_flow *rf,
				    struct tm_key *k)
{
	unsigned int alen = rf->family == 4 ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->family = rf->family;
	memcpy(&k->addr[TM_CLI], rf->cli_addr, alen);
	memcpy(&k->addr[TM_SVR], rf->svr_addr, alen);
	k->port[TM_CLI] = rf->cli_port;
	k->port[TM_SVR] = rf->svr_port;
}

/**
 * mos_ioc_flow_check() - check a %MOS_IOC_FLOW argument, and name its flow
 * @a: the argument, copied in
 * @k: filled with the flow's endpoints
 *
 * Return: 0; -EOPNOTSUPP for an unknown operation; -EINVAL for a bad
 * flow name, side bits that do not suit the operation (one or both sides
 * for %MOS_FLOW_STOP and %MOS_FLOW_OVERLAP, none for the others), or an
 * @a->arg other than a policy for %MOS_FLOW_OVERLAP and zero otherwise.
 */
static inline int mos_ioc_flow_check(const struct mos_ioc_flow *a,
				     struct tm_key *k)
{
	bool sided = a->op == MOS_FLOW_STOP || a->op == MOS_FLOW_OVERLAP;

	if ((a->arg && a->op != MOS_FLOW_OVERLAP) ||
	    a->arg > MOS_OVERLAP_LINUX ||
	    (a->flow.family != 4 && a->flow.family != 6) || !a->flow.flow)
		return -EINVAL;
	if (a->op < MOS_FLOW_STOP || a->op > MOS_FLOW_OVERLAP)
		return -EOPNOTSUPP;
	if (sided ? !a->sides || (a->sides & ~(MOS_SIDE_BIT_CLI |
					       MOS_SIDE_BIT_SVR)) :
		    a->sides)
		return -EINVAL;
	mos_rec_flow_key(&a->flow, k);
	return 0;
}

/**
 * mos_ioc_canon() - an ioctl number of /dev/mos as this module numbers it
 * @cmd: the number a caller passed
 *
 * An ioctl number encodes its argument's size: a struct that grew got a
 * new number, and its old one still names it (the struct's own size field
 * says which version it is).
 *
 * Return: %MOS_IOC_RING_SETUP for %MOS_IOC_RING_SETUP_VER0, else @cmd.
 */
static inline unsigned int mos_ioc_canon(unsigned int cmd)
{
	return cmd == MOS_IOC_RING_SETUP_VER0 ? MOS_IOC_RING_SETUP : cmd;
}

/**
 * mos_ioc_ring_check() - the checks of %MOS_IOC_RING_SETUP but the data
 * area's size (the backend's: the kernel's ring, or offline none)
 * @a: the argument, copied in
 *
 * Return: 0, -EOPNOTSUPP for unknown flags, -EINVAL for a bad split, a packet
 * copy limit above %MOS_PKT_COPY_LIMIT, %MOS_RING_F_DATA_PKT without
 * %MOS_RING_F_PKT_ONCE, %MOS_RING_F_WAKEUP without @wakeup_bytes or with
 * %MOS_RING_F_VERDICT, @wakeup_bytes without %MOS_RING_F_WAKEUP, or
 * non-zero reserved fields.
 */
static inline int mos_ioc_ring_check(const struct mos_ioc_ring *a)
{
	if (a->flags & ~MOS_RING_F__ALL)
		return -EOPNOTSUPP;
	/* Stream bytes refer to a packet's bytes sent once */
	if ((a->flags & MOS_RING_F_DATA_PKT) &&
	    !(a->flags & MOS_RING_F_PKT_ONCE))
		return -EINVAL;
	/* A held packet waits for its consumer: no batched wake-ups */
	if ((a->flags & MOS_RING_F_WAKEUP) &&
	    (!a->wakeup_bytes || (a->flags & MOS_RING_F_VERDICT)))
		return -EINVAL;
	if (!(a->flags & MOS_RING_F_WAKEUP) && a->wakeup_bytes)
		return -EINVAL;
	if (a->reserved || a->split_count > MOS_SPLIT_MAX ||
	    (a->split_count > 1 && a->split_index >= a->split_count) ||
	    (a->split_count <= 1 && a->split_index) ||
	    a->pkt_max > MOS_PKT_COPY_LIMIT)
		return -EINVAL;
	return 0;
}

/**
 * mos_split_index() - the consumer of a split that a flow goes to
 * @hash: the flow's split hash (mos_dlv_split_hash(), mos_dlv_key_hash())
 * @count: consumers in the split, at least 1
 *
 * Return: its index, below @count.
 */
static inline u32 mos_split_index(u32 hash, u32 count)
{
	return hash % count;
}

/**
 * mos_ioc_split_check() - check a %MOS_IOC_SPLIT argument, and name its
 * flow
 * @a: the argument, copied in
 * @k: filled with the endpoints: @a's source as the client
 *
 * Return: 0, or -EINVAL: a count of 0 or above %MOS_SPLIT_MAX, a family
 * other than 4 and 6, bytes past an IPv4 address or a reserved field that
 * is not zero.  @a->index is not read.
 */
static inline int mos_ioc_split_check(const struct mos_ioc_split *a,
				      struct tm_key *k)
{
	static const u8 zero[12];
	unsigned int alen = a->family == 4 ? 4 : 16;

	if (!a->count || a->count > MOS_SPLIT_MAX ||
	    (a->family != 4 && a->family != 6) || a->reserved[0] ||
	    a->reserved[1] || a->reserved[2] || a->reserved2)
		return -EINVAL;
	if (a->family == 4 && (memcmp(a->saddr + 4, zero, sizeof(zero)) ||
			       memcmp(a->daddr + 4, zero, sizeof(zero))))
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->family = a->family;
	memcpy(&k->addr[TM_CLI], a->saddr, alen);
	memcpy(&k->addr[TM_SVR], a->daddr, alen);
	k->port[TM_CLI] = a->sport;
	k->port[TM_SVR] = a->dport;
	return 0;
}

/**
 * mos_rec_flow_fill() - the body of a FLOW_OPEN or FLOW_CLOSE record
 * @r: the body, filled
 * @f: the flow
 */
static inline void mos_rec_flow_fill(struct mos_rec_flow *r,
				     const struct tm_flow *f)
{
	unsigned int alen = f->family == 4 ? 4 : 16;

	memset(r, 0, sizeof(*r));
	r->flow = f->id;
	r->family = f->family;
	memcpy(r->cli_addr, &f->addr[TM_CLI], alen);
	memcpy(r->svr_addr, &f->addr[TM_SVR], alen);
	r->cli_port = f->port[TM_CLI];
	r->svr_port = f->port[TM_SVR];
}

/**
 * mos_rec_pkt_len() - packet bytes an event record carries
 * @src: the packet, or NULL
 * @max: the consumer's limit (&mos_dlv.pkt_max)
 *
 * Return: how many of the packet's bytes follow the event's body.
 */
static inline u32 mos_rec_pkt_len(const struct tm_src *src, u32 max)
{
	return src ? min_t(u32, src->len, max) : 0;
}

/* mos_rec_event_fill() writes every field: the struct has no hole */
static_assert(sizeof(struct mos_rec_event) == 48);

/**
 * mos_rec_event_fill() - the body of an EVENT record, its packet copied
 * @r: the body, followed by mos_rec_pkt_len() bytes of room
 * @f: the flow, or NULL
 * @ev: the event
 * @src: the packet, or NULL
 * @p: its headers, or NULL (a packet of no flow)
 * @now: the event's time, ns
 * @max: the consumer's packet copy limit, as given to mos_rec_pkt_len()
 * @prev: the consumer got the packet's bytes in an earlier record of the
 *	flow: none follow the body (%MOS_EVF_PKT_PREV)
 */
static inline void mos_rec_event_fill(struct mos_rec_event *r,
				      const struct tm_flow *f,
				      const struct tm_ev *ev,
				      const struct tm_src *src,
				      const struct tm_pkt *p, u64 now,
				      u32 max, bool prev)
{
	u32 plen = mos_rec_pkt_len(src, max), total = plen ? src->len : 0;

	/* Every field is written (no memset(): it has no padding) */
	r->flow = f ? f->id : 0;
	r->ts_ns = now;
	r->off = ev->off;
	r->len = ev->len;
	r->type = ev->type;
	r->hook = ev->hook;
	r->side = ev->side;
	r->err = ev->err;
	r->old_state = ev->old_state;
	r->reason = ev->reason;
	r->state[TM_CLI] = 0;
	r->state[TM_SVR] = 0;
	r->pkt_from = 0;
	r->flags = 0;
	r->seq0 = 0;
	if (f) {
		const struct tm_half *h = &f->half[ev->side & 1];

		r->state[TM_CLI] = f->half[TM_CLI].state;
		r->state[TM_SVR] = f->half[TM_SVR].state;
		if (h->flags & TM_HF_RCV_SYNCED) {
			/* rcv_nxt counts the peer's FIN once it is in */
			r->seq0 = h->rcv_nxt - (u32)h->rcv_off -
				  !!(h->flags & TM_HF_FIN_RCVD);
			r->flags |= MOS_EVF_SEQ0;
		}
	}
	if (plen) {
		if (prev)
			r->flags |= MOS_EVF_PKT_PREV;
		else if (src->copy(src->pkt, 0, r + 1, plen))
			plen = 0;
		total = plen ? total : 0;
		r->pkt_from = f && p && p->sport == f->port[TM_SVR] &&
			      !memcmp(&p->saddr, &f->addr[TM_SVR],
				      sizeof(p->saddr));
	}
	r->pkt_len = plen;
	r->pkt_total = total;
}

/**
 * mos_sendpkt_arg_check() - check a %MOS_IOC_SENDPKT argument but its
 * packet, and name its flow
 * @a: the argument, copied in
 * @k: filled with the flow's endpoints
 *
 * Return: 0; -EOPNOTSUPP for an unknown flag; -EINVAL for a side other
 * than 0 and 1, a bad flow name, or a length that cannot hold the
 * flow's family's IP header and a TCP header, or above
 * %MOS_SENDPKT_MAX.
 */
static inline int mos_sendpkt_arg_check(const struct mos_ioc_sendpkt *a,
					struct tm_key *k)
{
	unsigned int l4;

	if (a->flags & ~MOS_SENDPKT_F__ALL)
		return -EOPNOTSUPP;
	if (a->side > TM_SVR || !a->flow.flow ||
	    (a->flow.family != 4 && a->flow.family != 6))
		return -EINVAL;
	l4 = a->flow.family == 4 ? 20 : 40;
	if (a->len < l4 + 20 || a->len > MOS_SENDPKT_MAX)
		return -EINVAL;
	mos_rec_flow_key(&a->flow, k);
	return 0;
}

/**
 * mos_sendpkt_pkt_check() - check the packet of a %MOS_IOC_SENDPKT
 * @k: its flow's endpoints (mos_sendpkt_arg_check())
 * @side: the end it comes from, &enum tm_side
 * @pkt: its bytes, from the IP header
 * @len: how many, as checked by mos_sendpkt_arg_check()
 * @l4: set to the offset of its TCP header
 *
 * The packet must be a TCP segment of the flow from @side to the other
 * end: an IPv4 header without options (version 4, header length 5, no
 * fragment, total length @len) or an IPv6 header with TCP as its next
 * header (payload length @len - 40), in the flow's family, whose source
 * address is @side's and destination the other end's; a TCP header whose
 * data offset is 5 at least and within @len, with @side's port as source
 * and the other end's as destination.
 *
 * Return: 0, or -EINVAL.
 */
static inline int mos_sendpkt_pkt_check(const struct tm_key *k,
					unsigned int side, const u8 *pkt,
					u32 len, u32 *l4)
{
	unsigned int alen = k->family == 4 ? 4 : 16;
	const u8 *src, *dst;
	u32 tl, doff;

	if (k->family == 4) {
		if (pkt[0] != 0x45 || (pkt[6] & 0xbf) || pkt[7] ||
		    pkt[9] != IPPROTO_TCP)
			return -EINVAL;
		tl = (u32)pkt[2] << 8 | pkt[3];
		src = pkt + 12;
		dst = pkt + 16;
		*l4 = 20;
	} else {
		if ((pkt[0] >> 4) != 6 || pkt[6] != IPPROTO_TCP)
			return -EINVAL;
		tl = ((u32)pkt[4] << 8 | pkt[5]) + 40;
		src = pkt + 8;
		dst = pkt + 24;
		*l4 = 40;
	}
	if (tl != len || memcmp(src, &k->addr[side], alen) ||
	    memcmp(dst, &k->addr[!side], alen))
		return -EINVAL;
	doff = (u32)(pkt[*l4 + 12] >> 4) * 4;
	if (doff < 20 || *l4 + doff > len ||
	    memcmp(pkt + *l4, &k->port[side], 2) ||
	    memcmp(pkt + *l4 + 2, &k->port[!side], 2))
		return -EINVAL;
	return 0;
}

#endif /* _MOS_REC_H */
