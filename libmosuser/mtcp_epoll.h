/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * mtcp_epoll.h - mTCP's epoll over end-host sockets, with mOS's names,
 * types and values
 *
 * mos has no end-host sockets: mtcp_epoll_create(), mtcp_epoll_ctl() and
 * mtcp_epoll_wait() link and fail with -1 and errno ENOTSUP.  The names
 * are here because mOS's mos_api.h includes this header and applications
 * print them.  EventToString() names a built-in event.
 */
#ifndef _MTCP_EPOLL_H
#define _MTCP_EPOLL_H

#include <stdint.h>
#include "mtcp_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mtcp_epoll_ctl() operations */
enum mtcp_epoll_op {
	MOS_EPOLL_CTL_ADD = 1,
	MOS_EPOLL_CTL_DEL = 2,
	MOS_EPOLL_CTL_MOD = 3,
};

/* Readiness bits of struct mtcp_epoll_event */
enum epoll_event_type {
	MOS_EPOLLNONE = (1 << 0),
	MOS_EPOLLIN = (1 << 1),
	MOS_EPOLLPRI = (1 << 2),
	MOS_EPOLLOUT = (1 << 3),
	MOS_EPOLLRDNORM = (1 << 4),
	MOS_EPOLLRDBAND = (1 << 5),
	MOS_EPOLLWRNORM = (1 << 6),
	MOS_EPOLLWRBAND = (1 << 7),
	MOS_EPOLLMSG = (1 << 8),
	MOS_EPOLLERR = (1 << 9),
	MOS_EPOLLHUP = (1 << 10),
	MOS_EPOLLRDHUP = (1 << 11),
	MOS_EPOLLONESHOT = (1 << 30),
	MOS_EPOLLET = (int)(1U << 31),
};

/* mOS's internal actions, kept for the names */
enum mtcp_action {
	MOS_ACT_SEND_DATA = (1 << 1),
	MOS_ACT_SEND_ACK_NOW = (1 << 2),
	MOS_ACT_SEND_ACK_AGG = (1 << 3),
	MOS_ACT_SEND_CONTROL = (1 << 4),
	MOS_ACT_SEND_RST = (1 << 5),
	MOS_ACT_DESTROY = (1 << 6),
	MOS_ACT_READ_DATA = (1 << 7),
	MOS_ACT_CNT
};

typedef union mtcp_epoll_data {
	void *ptr;
	int sock;
	uint32_t u32;
	uint64_t u64;
} mtcp_epoll_data_t;

struct mtcp_epoll_event {
	uint64_t events;
	mtcp_epoll_data_t data;
};

int mtcp_epoll_create(mctx_t mctx, int size);
int mtcp_epoll_ctl(mctx_t mctx, int epid, int op, int sock,
		   struct mtcp_epoll_event *event);
int mtcp_epoll_wait(mctx_t mctx, int epid, struct mtcp_epoll_event *events,
		    int maxevents, int timeout);

/*
 * The name of a built-in event ("MOS_ON_PKT_IN"...), of a hook point
 * ("MOS_HK_RCV"...), or "MOS_UNKNOWN_EVENT"; a static string the caller
 * must not change (char *, as in mOS)
 */
char *EventToString(uint32_t event);

#ifdef __cplusplus
}
#endif

#endif /* _MTCP_EPOLL_H */
