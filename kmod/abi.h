/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abi.h - the flow tracker's numbers are the ABI's
 *
 * The tracker (kmod/tcpmon/) numbers event types, hooks, sides, errors,
 * end reasons, TCP states, actions and overlap policies with enums of its
 * own, and the records, ioctls and netlink attributes carry those numbers
 * as they are.  uapi/linux/mos.h names them for userspace.  Each internal
 * value is tied here to its uapi name: reordering or extending either
 * enum fails the build instead of changing the wire format.
 *
 * Included by rec.h, so both builds check it: mos.ko's and libmosuser's
 * offline backend's.
 */
#ifndef _MOS_ABI_H
#define _MOS_ABI_H

#include <linux/mos.h>
#include "tcpmon/tcpmon.h"

/* The tracker's @tm is the ABI's @uapi (different enums: compared as int) */
#define MOS_ABI_SAME(tm, uapi) \
	static_assert((int)(tm) == (int)(uapi), #tm " is " #uapi)

MOS_ABI_SAME(TM_EV_PKT_IN, MOS_EV_PKT_IN);
MOS_ABI_SAME(TM_EV_PKT_OUT, MOS_EV_PKT_OUT);
MOS_ABI_SAME(TM_EV_CONN_START, MOS_EV_CONN_START);
MOS_ABI_SAME(TM_EV_CONN_SETUP, MOS_EV_CONN_SETUP);
MOS_ABI_SAME(TM_EV_NEW_DATA, MOS_EV_NEW_DATA);
MOS_ABI_SAME(TM_EV_ERROR, MOS_EV_ERROR);
MOS_ABI_SAME(TM_EV_TIMEOUT, MOS_EV_TIMEOUT);
MOS_ABI_SAME(TM_EV_STATE_CHANGE, MOS_EV_STATE_CHANGE);
MOS_ABI_SAME(TM_EV_ORPHAN, MOS_EV_ORPHAN);
MOS_ABI_SAME(TM_EV_REXMIT, MOS_EV_REXMIT);
MOS_ABI_SAME(TM_EV_CONN_END, MOS_EV_CONN_END);
MOS_ABI_SAME(TM_EV_MAX, __MOS_EV_MAX);
/* The per-type event counters follow the types */
MOS_ABI_SAME(MOS_STAT_EV_PKT_IN + TM_EV_MAX - 1, MOS_STAT_EV_CONN_END);

MOS_ABI_SAME(TM_HK_NULL, MOS_HOOK_NULL);
MOS_ABI_SAME(TM_HK_SND, MOS_HOOK_SND);
MOS_ABI_SAME(TM_HK_RCV, MOS_HOOK_RCV);
MOS_ABI_SAME(MOS_HOOK_RCV + 1, MOS_HOOKS);

/* Sides are 0 and 1 in records, bits 0 and 1 in %MOS_IOC_FLOW */
MOS_ABI_SAME(1 << TM_CLI, MOS_SIDE_BIT_CLI);
MOS_ABI_SAME(1 << TM_SVR, MOS_SIDE_BIT_SVR);

MOS_ABI_SAME(TM_ERR_NONE, MOS_ERR_NONE);
MOS_ABI_SAME(TM_ERR_FLOW_LIMIT, MOS_ERR_FLOW_LIMIT);
MOS_ABI_SAME(TM_ERR_NOMEM, MOS_ERR_NOMEM);
MOS_ABI_SAME(TM_ERR_BUF_SIDE, MOS_ERR_BUF_SIDE);
MOS_ABI_SAME(TM_ERR_BUF_TOTAL, MOS_ERR_BUF_TOTAL);
MOS_ABI_SAME(TM_ERR_GAP, MOS_ERR_GAP);
MOS_ABI_SAME(TM_ERR_OOW, MOS_ERR_OOW);
MOS_ABI_SAME(TM_ERR_CSUM, MOS_ERR_CSUM);
MOS_ABI_SAME(TM_ERR_OVERLAP_DIFF, MOS_ERR_OVERLAP_DIFF);
MOS_ABI_SAME(TM_ERR_RST_INWIN, MOS_ERR_RST_INWIN);
MOS_ABI_SAME(TM_ERR_RST_OOW, MOS_ERR_RST_OOW);
MOS_ABI_SAME(TM_ERR_MEM_LIMIT, MOS_ERR_MEM_LIMIT);
MOS_ABI_SAME(TM_ERR_NOACK, MOS_ERR_NOACK);
MOS_ABI_SAME(TM_ERR_ACK_UNSENT, MOS_ERR_ACK_UNSENT);
MOS_ABI_SAME(TM_ERR_ACK_OLD, MOS_ERR_ACK_OLD);
MOS_ABI_SAME(TM_ERR_PAWS, MOS_ERR_PAWS);
MOS_ABI_SAME(TM_ERR_SYN_DATA, MOS_ERR_SYN_DATA);
MOS_ABI_SAME(TM_ERR_FIN, MOS_ERR_FIN);
MOS_ABI_SAME(TM_ERR_URG, MOS_ERR_URG);
MOS_ABI_SAME(TM_ERR_MAX, __MOS_ERR_MAX);

MOS_ABI_SAME(TM_END_FIN, MOS_END_FIN);
MOS_ABI_SAME(TM_END_RST, MOS_END_RST);
MOS_ABI_SAME(TM_END_TIMEOUT, MOS_END_TIMEOUT);
MOS_ABI_SAME(TM_END_REUSE, MOS_END_REUSE);
MOS_ABI_SAME(TM_END_FLUSH, MOS_END_FLUSH);
MOS_ABI_SAME(TM_END_EVICT, MOS_END_EVICT);
MOS_ABI_SAME(TM_END_EVICT + 1, __MOS_END_MAX);
MOS_ABI_SAME(TM_GAP_LOSS, MOS_GAP_LOSS);
MOS_ABI_SAME(TM_GAP_LIMIT, MOS_GAP_LIMIT);
MOS_ABI_SAME(TM_GAP_SHARE, MOS_GAP_SHARE);
MOS_ABI_SAME(TM_GAP_AGED, MOS_GAP_AGED);
MOS_ABI_SAME(TM_GAP_PRESSURE, MOS_GAP_PRESSURE);
MOS_ABI_SAME(TM_GAP_PRESSURE + 1, __MOS_GAP_MAX);

MOS_ABI_SAME(TM_CLOSED, MOS_TCP_CLOSED);
MOS_ABI_SAME(TM_LISTEN, MOS_TCP_LISTEN);
MOS_ABI_SAME(TM_SYN_SENT, MOS_TCP_SYN_SENT);
MOS_ABI_SAME(TM_SYN_RCVD, MOS_TCP_SYN_RCVD);
MOS_ABI_SAME(TM_ESTABLISHED, MOS_TCP_ESTABLISHED);
MOS_ABI_SAME(TM_FIN_WAIT_1, MOS_TCP_FIN_WAIT_1);
MOS_ABI_SAME(TM_FIN_WAIT_2, MOS_TCP_FIN_WAIT_2);
MOS_ABI_SAME(TM_CLOSE_WAIT, MOS_TCP_CLOSE_WAIT);
MOS_ABI_SAME(TM_CLOSING, MOS_TCP_CLOSING);
MOS_ABI_SAME(TM_LAST_ACK, MOS_TCP_LAST_ACK);
MOS_ABI_SAME(TM_TIME_WAIT, MOS_TCP_TIME_WAIT);
MOS_ABI_SAME(TM_NSTATES, MOS_TCP_STATES);
MOS_ABI_SAME(MOS_TCP_TIME_WAIT + 1, MOS_TCP_STATES);

MOS_ABI_SAME(TM_ACT_MONITOR, MOS_ACTION_MONITOR);
MOS_ABI_SAME(TM_ACT_IGNORE, MOS_ACTION_IGNORE);
MOS_ABI_SAME(TM_ACT_DROP, MOS_ACTION_DROP);
MOS_ABI_SAME(TM_ACT_RESET, MOS_ACTION_RESET);

MOS_ABI_SAME(TM_OVERLAP_FIRST, MOS_OVERLAP_FIRST);
MOS_ABI_SAME(TM_OVERLAP_LAST, MOS_OVERLAP_LAST);
MOS_ABI_SAME(TM_OVERLAP_LINUX, MOS_OVERLAP_LINUX);

/* &mos_rec_event.pkt_len is 16 bits; a record's length has room */
static_assert(MOS_PKT_COPY_MAX <= MOS_PKT_COPY_LIMIT, "packet copy default");
static_assert(MOS_PKT_COPY_LIMIT <= 0xffff, "packet copy limit");
static_assert(sizeof(struct mos_rec_event) + MOS_PKT_COPY_LIMIT <=
	      MOS_REC_LEN_MASK, "an event record's length");

/* Argument structs: sizes and offsets are the ABI; they grow at the end */
static_assert(sizeof(struct mos_ioc_ring) == 40, "mos_ioc_ring");
static_assert(offsetof(struct mos_ioc_ring, pkt_max) ==
	      MOS_IOC_RING_SIZE_VER0, "mos_ioc_ring grew at its end");
static_assert(offsetof(struct mos_ioc_ring, wakeup_bytes) == 36,
	      "mos_ioc_ring: wakeup_bytes took what was reserved2");
static_assert(sizeof(struct mos_ioc_split) == 56, "mos_ioc_split");
static_assert(offsetof(struct mos_ioc_split, family) == 12 &&
	      offsetof(struct mos_ioc_split, saddr) == 16 &&
	      offsetof(struct mos_ioc_split, daddr) == 32 &&
	      offsetof(struct mos_ioc_split, sport) == 48 &&
	      offsetof(struct mos_ioc_split, reserved2) == 52, "mos_ioc_split");

#endif /* _MOS_ABI_H */
