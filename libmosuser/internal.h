/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * internal.h - what the files of the mOS API (mos_api.h, mtcp_api.h) over
 * a /dev/mos ring share; not installed
 *
 * A context is one consumer: an open /dev/mos with its ring.  Monitor
 * sockets are the kernel's; callbacks are registered per socket, event
 * and hook, and the kernel is asked for exactly the events that have a
 * callback.  The context's thread reads the ring and runs the callbacks:
 *
 * - FLOW_OPEN gives a flow a per-flow socket id below max_concurrency
 *   (the id callbacks get as sock) and a stream buffer per side;
 * - DATA appends to the receiving side's buffer (mtcp_peek());
 * - EVENT runs the callback, with the record's packet as the last packet
 *   (mtcp_getlastpkt()) and both sides' states as of the event;
 * - FLOW_CLOSE frees the flow and its id (dispatch.c: mOS's destruction
 *   of the flow's streams, if it did not come earlier);
 * - LOST is counted in the context; the stream offsets of the DATA
 *   records that follow make mtcp_peek() report the bytes missed.
 *
 * Offline (MOS_PCAP, or pcap_file in the configuration file), a context
 * reads no /dev/mos: offline.c makes the same records from a capture, and
 * the clock (mu_ctx_now()) is the capture's.
 *
 * Threads (mOS's model): each context has a thread of its own, pinned to
 * its cpu, that reads its records and runs its callbacks and timers
 * (context.c).  It holds the context's lock (recursive, mu_ctx_lock())
 * while it does, and releases it only while it waits for records; a call
 * from another thread takes the lock, a callback's call on its own
 * context takes it again.  mtcp_destroy_context() takes no lock: it sets
 * a flag and writes an eventfd, as a signal handler may.  A context's
 * memory lives until mtcp_destroy().
 *
 * The files, one job each: conf.c (configuration), context.c (contexts
 * and the loop), socket.c (monitor sockets, callbacks, UDEs), dispatch.c
 * (events to callbacks, UDE filters, the end of flows as mOS's), timer.c,
 * flow.c (per-flow sockets), stream.c (stream buffers and peeking),
 * sockopt.c (socket options), lastpkt.c (the last packet).  What they
 * share is named mu_*: global in the objects, local in libmosuser.so and
 * libmosuser.a, which export libmosuser.map's list only.
 *
 * The mOS values this library hands to the kernel unchanged (event bits,
 * TCP states, socket types, overlap policies, sides) are tied to the
 * uapi names below.
 */
#ifndef _MOSUSER_INTERNAL_H
#define _MOSUSER_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "libmosuser.h"
#include "mos_api.h"

#define MTCP_DEF_CORES		1
#define MTCP_DEF_CONCURRENCY	65536
#define MTCP_DEF_RCVBUF		65536
/*
 * A context's ring: each event record carries its packet, whole (up to
 * 64 KiB for a GSO aggregate), and inline mode holds a packet until the
 * room for all its records is there
 */
#define MTCP_RING_SIZE		(16U << 20)
/* The built-in events the kernel raises */
#define MTCP_NBUILTIN		__MOS_EV_MAX
/* mOS's built-in events: the kernel's, then MOS_ON_DEBUG_MESSAGE */
#define MTCP_NBEV		12
/* User-defined events' ids: from the first bit past the built-in ones,
 * one by one (mOS's); an event index (dispatch.c) is a built-in event's
 * bit, or MTCP_NBEV + the UDE's place in mu_ude[] */
#define MTCP_UDE_BASE		(1ULL << MTCP_NBEV)
/* UDEs per process at most */
#define MTCP_UDE_MAX		1024
/*
 * mtcp_getlastpkt()'s copy: an Ethernet header made up for the packet,
 * then the packet, up to 65535 bytes from its IP header; two bytes before
 * them align the IP header on 4 bytes (the callbacks read its fields)
 */
#define MU_ETH_HLEN		14
#define MU_PKT_MAX		(MU_ETH_HLEN + 65535)
#define MU_PKT_PAD		2
/* Pending timers per context at most */
#define MTCP_TIMERS_MAX		65536

/* mOS's value @mos is the ABI's @uapi (different enums: compared as such) */
#define MU_SAME(mos, uapi) \
	_Static_assert((long long)(mos) == (long long)(uapi), #mos " is " #uapi)

MU_SAME(MOS_ON_PKT_IN, 1ULL << MOS_EV_PKT_IN);
MU_SAME(MOS_ON_PKT_OUT, 1ULL << MOS_EV_PKT_OUT);
MU_SAME(MOS_ON_CONN_START, 1ULL << MOS_EV_CONN_START);
MU_SAME(MOS_ON_CONN_SETUP, 1ULL << MOS_EV_CONN_SETUP);
MU_SAME(MOS_ON_CONN_NEW_DATA, 1ULL << MOS_EV_NEW_DATA);
MU_SAME(MOS_ON_ERROR, 1ULL << MOS_EV_ERROR);
MU_SAME(MOS_ON_TIMEOUT, 1ULL << MOS_EV_TIMEOUT);
MU_SAME(MOS_ON_TCP_STATE_CHANGE, 1ULL << MOS_EV_STATE_CHANGE);
MU_SAME(MOS_ON_ORPHAN, 1ULL << MOS_EV_ORPHAN);
MU_SAME(MOS_ON_REXMIT, 1ULL << MOS_EV_REXMIT);
MU_SAME(MOS_ON_CONN_END, 1ULL << MOS_EV_CONN_END);
_Static_assert(MOS_ON_DEBUG_MESSAGE == 1 << (MTCP_NBEV - 1),
	       "mOS's last built-in event is MOS_ON_DEBUG_MESSAGE");

MU_SAME(TCP_CLOSED, MOS_TCP_CLOSED);
MU_SAME(TCP_LISTEN, MOS_TCP_LISTEN);
MU_SAME(TCP_SYN_SENT, MOS_TCP_SYN_SENT);
MU_SAME(TCP_SYN_RCVD, MOS_TCP_SYN_RCVD);
MU_SAME(TCP_ESTABLISHED, MOS_TCP_ESTABLISHED);
MU_SAME(TCP_FIN_WAIT_1, MOS_TCP_FIN_WAIT_1);
MU_SAME(TCP_FIN_WAIT_2, MOS_TCP_FIN_WAIT_2);
MU_SAME(TCP_CLOSE_WAIT, MOS_TCP_CLOSE_WAIT);
MU_SAME(TCP_CLOSING, MOS_TCP_CLOSING);
MU_SAME(TCP_LAST_ACK, MOS_TCP_LAST_ACK);
MU_SAME(TCP_TIME_WAIT, MOS_TCP_TIME_WAIT);

MU_SAME(MOS_SOCK_MONITOR_STREAM, MOS_MSOCK_STREAM);
MU_SAME(MOS_SOCK_MONITOR_RAW, MOS_MSOCK_RAW);
MU_SAME(MOS_OVERLAP_POLICY_FIRST, MOS_OVERLAP_FIRST);
MU_SAME(MOS_OVERLAP_POLICY_LAST, MOS_OVERLAP_LAST);
MU_SAME(MOS_OVERLAP_POLICY_LINUX, MOS_OVERLAP_LINUX);
MU_SAME(1 << MOS_SIDE_CLI, MOS_SIDE_BIT_CLI);
MU_SAME(1 << MOS_SIDE_SVR, MOS_SIDE_BIT_SVR);

/*
 * A user-defined event: raised when its parent event is and its filter
 * says so (mtcp_define_event()), or only by mtcp_raise_event() (no
 * filter, mtcp_alloc_event()).  @root is the built-in event at the bottom
 * of the chain: the one the kernel must be asked for.
 */
struct mtcp_ude {
	int parent;		/* event index */
	int root;		/* built-in event bit */
	filter_t filter;
	struct filter_arg arg;	/* the caller's bytes, copied */
};

/* A socket's callbacks: built-in events' by hook and bit, UDEs' in a list */
struct mtcp_cbent {
	int ev;			/* event index */
	int hook;
	callback_t cb;
};

struct mtcp_cbtab {
	callback_t bev[MOS_HOOKS][MTCP_NBEV];
	struct mtcp_cbent *ude;
	int nude, cap;
};

/* A flow's own callbacks on one monitor socket (registered on its sock) */
struct mtcp_flowcb {
	int msock;		/* index in mtcp_ctx.msock[] */
	struct mtcp_cbtab tab;
	struct mtcp_flowcb *next;
};

/* What dispatch.c keeps of a flow's life (mOS's stream destruction) */
struct mtcp_life {
	uint8_t opened;		/* bit per side: seen in a state but CLOSED */
	uint8_t ended;		/* bit per side: the kernel ended it */
	uint8_t doomed;		/* destroyed at the end of its packet */
	uint8_t hook;		/* hook of its last event record */
	uint8_t from;		/* sender of the packet of that record */
	uint8_t tw_side;	/* the side whose TIME_WAIT runs out first */
	uint8_t stopped;	/* bit per side: MOS_STOP_MON, no callbacks */
	uint64_t active_ns;	/* its last event record */
	uint64_t tw_ns;		/* when that TIME_WAIT runs out; 0: none */
	struct mtcp_flowcb *cbs;
	struct mtcp_flow *dnext; /* list of doomed flows */
};

/* One packet's event records at one hook, held to run in mOS's order */
#define MU_PEND_MAX	16
struct mu_pend {
	int n;
	bool running;
	struct mos_rec *rec[MU_PEND_MAX];
	size_t cap[MU_PEND_MAX];
};

/* A side's stream buffer: the last rcvbuf_size bytes it received */
struct mtcp_sbuf {
	uint8_t *data;
	uint64_t head;		/* stream offset after the last byte */
	uint64_t valid;		/* first offset still held */
	uint64_t read;		/* where mtcp_peek() goes on */
	uint64_t seen;		/* after the highest byte a packet carried */
	bool off;		/* MOS_CLIBUF/SVRBUF 0 on the flow: no buffer */
};

struct mtcp_flow {
	uint64_t id;
	int sock;
	bool dead;		/* stopped inside a callback: freed after it */
	struct mos_rec_flow addr;
	uint8_t state[2];
	uint8_t seq0_known;	/* bit per side: seq0[side] is set */
	uint32_t seq0[2];	/* sequence number of each stream's offset 0 */
	uint64_t last_ts_ns;
	void *uctx;
	struct mtcp_life life;
	struct mtcp_sbuf buf[2];
	struct mtcp_flow *hnext;
	/*
	 * its last packet's bytes, for MOS_EVF_PKT_PREV and MOS_DATAF_PKT
	 * (dispatch.c): in the ring record that carried them while that
	 * record is not released (@pkt_lent), else in @pkt_own
	 */
	const uint8_t *pkt;
	uint32_t pkt_len, pkt_cap;
	bool pkt_lent;
	bool pkt_seen;		/* @pkt's bytes are in buf[].seen (stream.c) */
	uint8_t *pkt_own;
	struct mtcp_flow *lnext;	/* list of flows whose @pkt is lent */
};

/* A one-shot timer of mtcp_settimer(), in a list by expiry */
struct mtcp_timer {
	uint64_t expires_ns;
	int id;
	callback_t cb;
	struct mtcp_timer *next;
};

struct mtcp_msock {
	int used;
	int raw;
	int ipver;			/* 4, 6: the family's flows only; 0: both */
	uint32_t kid;			/* the kernel's socket id */
	int buf[2];			/* stream bytes wanted per side */
	int overlap[2];			/* policy for its new flows; -1: none */
	unsigned int filtered;		/* filters set, bit MOS_FILTER_* */
	struct mtcp_cbtab cbs;
	uint64_t flowev[MOS_HOOKS];	/* asked for by per-flow callbacks */
	void *uctx;			/* mtcp_set_uctx() on the socket */
};

struct mtcp_ctx {
	struct mtcp_context pub;
	int fd, efd;
	struct mos_offline *off;	/* offline: the capture, no fd */
	struct mos_ring_user ring;
	int conc, rcvbuf;
	struct mtcp_flow **hash;
	uint32_t hmask;
	struct mtcp_flow **bysock;	/* per-flow socket id -> flow */
	int next_sock;			/* where the next id search starts */
	int nmsock;
	struct mtcp_msock msock[MOS_SOCKS_MAX];
	/* the event being dispatched */
	const struct mos_rec_event *cur;
	struct mtcp_flow *cur_flow;
	struct mtcp_msock *cur_msock;
	int cur_sock;
	uint8_t pkt[MU_PKT_PAD + MU_PKT_MAX] __attribute__((aligned(8)));
	struct mtcp_timer *timers;	/* soonest first */
	struct mtcp_flow *doomed;	/* flows destroyed at a packet's end */
	struct mtcp_flow *lent;		/* flows whose last packet is in the ring */
	struct mu_pend *pend;		/* records held (dispatch.c) */
	bool pkt_once;			/* ring with MOS_RING_F_PKT_ONCE */
	bool verdict;			/* ring with MOS_RING_F_VERDICT */
	int wake_ms;			/* ring with MOS_RING_F_WAKEUP: poll() at most */
	struct mu_verdicts *vd;		/* mtcp_setlastpkt() (lastpkt.c) */
	uint64_t sweep_ns;		/* the sweep timer's expiry; 0: none */
	int ntimers;
	volatile sig_atomic_t stop, destroyed;
	/* the context's thread (context.c) */
	pthread_t thread;
	pthread_mutex_t lock;		/* recursive: mu_ctx_lock() */
	pthread_cond_t ended_cond;	/* ended, under lock */
	bool has_thread, ended, pinned;
	struct mtcp_ctx *next_ctx;	/* every context, until mtcp_destroy() */
	uint64_t lost_events, lost_bytes, flows_over;
	char errmsg[256];		/* mtcp_errmsg() */
};

/* lastpkt.c: the verdicts on held packets (MOS_RING_F_VERDICT) */
bool mu_verdict_mode(void);
void mu_verdict_seen(struct mtcp_ctx *c, const struct mos_rec_event *e);
void mu_verdict_next(struct mtcp_ctx *c);
void mu_verdict_held(struct mtcp_ctx *c, const struct mos_rec_held *h);
void mu_verdict_send(struct mtcp_ctx *c);
void mu_verdict_tick(struct mtcp_ctx *c);
void mu_verdict_free(struct mtcp_ctx *c);

static inline struct mtcp_ctx *ctx_of(mctx_t m)
{
	return (struct mtcp_ctx *)m;
}

static inline int fail(int err)
{
	errno = err;
	return -1;
}

/* conf.c */
extern struct mtcp_conf mu_conf;
extern bool mu_init_done;
/* Offline: the capture, and its checksum mode (the configuration file's) */
extern char mu_pcap_file[4096];
extern char mu_pcap_csum[16];
extern char mu_pcap_iface[64];
/*
 * Live, /dev/mos: the longest, in ms, that records wait in a context's
 * ring before it takes them (ring_wakeup_ms, MOS_RING_WAKEUP_MS); 0: it
 * is woken by each
 */
extern int mu_ring_wakeup_ms;
#define MU_RING_WAKEUP_MAX_MS	1000
/* Bytes of records that wake a context whose ring has mu_ring_wakeup_ms */
#define MU_RING_WAKEUP_BYTES	(MTCP_RING_SIZE / 16)

/**
 * struct mu_pcap_src - where a context's packets come from
 * @file: a capture file, or NULL
 * @iface: an interface to capture from, or NULL
 * @count: live: packets to read before the capture ends; 0: no end
 */
struct mu_pcap_src {
	const char *file;
	const char *iface;
	uint64_t count;
};

int mu_pcap_source(struct mu_pcap_src *src);
/*
 * Offline: the capture libpcap could not read to its end, in the
 * context's loop (@err: the pump's -errno); mtcp_errmsg(NULL)'s message
 */
void mu_offline_failed(struct mtcp_ctx *c, int err);
const char *mu_last_errmsg(void);

/* context.c */
int mu_ctx_ioctl(struct mtcp_ctx *c, unsigned long cmd, void *arg);
uint64_t mu_ctx_now(struct mtcp_ctx *c);
void mu_ctx_lock(struct mtcp_ctx *c);
void mu_ctx_unlock(struct mtcp_ctx *c);
void mu_ctx_wake(struct mtcp_ctx *c);
int mu_ctx_destroy_all(void);

/* cpu.c (mOS's core/src/cpu.c; declared for mOS apps by mtcp_util.h) */
int GetNumCPUs(void);

/* socket.c */
extern struct mtcp_ude mu_ude[MTCP_UDE_MAX];
extern int mu_nude;
struct mtcp_msock *mu_msock_of(struct mtcp_ctx *c, int sock);
int mu_msock_sync(struct mtcp_ctx *c, struct mtcp_msock *m, int h);
void mu_cbtab_free(struct mtcp_cbtab *t);

/* dispatch.c */
callback_t mu_cb_of(const struct mtcp_cbtab *t, int h, int ev);
bool mu_tab_wants(const struct mtcp_cbtab *t, int h, int ev);
bool mu_wanted(const struct mtcp_msock *m, int h, int bit);
void mu_run_event(struct mtcp_ctx *c, struct mtcp_msock *m, int h, int bit,
		  int sock, int side, int depth);
int mu_raise(struct mtcp_ctx *c, int ev);
void mu_dispatch_ring(struct mtcp_ctx *c);
void mu_dispatch_flush(struct mtcp_ctx *c);
void mu_flows_sweep(struct mtcp_ctx *c, uint64_t now);
void mu_flow_forget(struct mtcp_ctx *c, struct mtcp_flow *f);
void mu_events_free(struct mtcp_ctx *c);

/* filter.c */
int mu_sock_filter(mos_ioctl_fn ioc, void *ctx, uint32_t sock,
		   unsigned int which, int ipver, const char *expr,
		   char *err, size_t errlen);

/* timer.c */
void mu_run_timers(struct mtcp_ctx *c, uint64_t now);
int mu_timer_wait_ms(struct mtcp_ctx *c, int max);
void mu_sweep_at(struct mtcp_ctx *c, uint64_t when);

/* flow.c */
struct mtcp_flow *mu_flow_find(struct mtcp_ctx *c, uint64_t id);
struct mtcp_flow *mu_flow_of(struct mtcp_ctx *c, int sock);
int mu_flow_op(struct mtcp_ctx *c, int sock, uint32_t op, uint32_t sides,
	       uint32_t arg);
void mu_flow_open(struct mtcp_ctx *c, const struct mos_rec_flow *r);
void mu_flow_close(struct mtcp_ctx *c, uint64_t id);

/* stream.c */
void mu_flow_data(struct mtcp_ctx *c, const struct mos_rec_data *d);
void mu_flow_skipped(struct mtcp_flow *f, int side, uint64_t end);
uint64_t mu_stream_off(const struct mtcp_flow *f, int side, uint32_t seq);
void mu_flow_seen(struct mtcp_ctx *c, struct mtcp_flow *f,
		  const struct mos_rec_event *e);
const uint8_t *mu_ev_pkt(struct mtcp_ctx *c, struct mtcp_flow *f,
			 const struct mos_rec_event *e);

/* lastpkt.c */
int mu_pkt_tcp(const uint8_t *pkt, unsigned int len);

#endif /* _MOSUSER_INTERNAL_H */
