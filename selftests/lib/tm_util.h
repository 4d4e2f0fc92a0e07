/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_util.h - packet builder and event recorder for the tcpmon unit tests
 *
 * A test drives a table of the core (kmod/tcpmon/) with packets it builds
 * byte by byte, in a heap buffer of exactly the packet's size (ASan sees
 * any overread), and compares what the core reported with what it
 * expects, as text: one line per event and per data callback, e.g.
 *
 *	STATE_CHANGE cli SND CLOSED>SYN_SENT
 *	CONN_START cli SND
 *	PKT_IN cli SND
 *	data svr 0+5
 *	NEW_DATA svr NULL 0+5
 *	ERROR svr NULL gap 5+10
 *	CONN_END svr RCV fin
 *
 * The recorder also checks what must hold whatever the test: data
 * offsets contiguous per side except across reported gaps, every data
 * byte announced by a NEW_DATA, CONN_START at most once per side and
 * CONN_END exactly once after it.  A violation is kept (tu->nviol,
 * tu->viol) for the test to assert on.
 */
#ifndef _TM_UTIL_H
#define _TM_UTIL_H

#include "tcpmon.h"

#define CLI	TM_CLI
#define SVR	TM_SVR
#define SYN	TM_TCPF_SYN
#define ACK	TM_TCPF_ACK
#define FIN	TM_TCPF_FIN
#define RST	TM_TCPF_RST
#define PSH	TM_TCPF_PSH
#define URG	TM_TCPF_URG

#define TU_NS	1000000000ULL
#define TU_IDS	8		/* flows whose streams are kept, by id */
#define TU_RX	(1 << 17)	/* bytes kept per stream */

/* Per-flow state of the recorder, in the flow's priv area */
struct tu_flow {
	u64 next_off[2];	/* next data offset expected, per side */
	u64 announced[2];	/* end of the last NEW_DATA, per side */
	u8 started[2];
	u8 ended[2];
};

/**
 * struct tu_pkt - a packet to build: designated initialisers, zero is
 * the default
 * @from: sending side
 * @flags: TCP flags
 * @seq: sequence number
 * @ack: acknowledgment number
 * @win: window field; 0 means 65535, see @win0
 * @win0: send a zero window
 * @urg: urgent pointer field
 * @opt: TCP option bytes, a multiple of 4
 * @optlen: their length
 * @data: payload; a string when @len is 0
 * @len: payload length
 * @in_flags: %TM_IN_* for mos_tm_input()
 * @family: 0 for the connection's, or 4 / 6
 */
struct tu_pkt {
	int from;
	u8 flags;
	u32 seq;
	u32 ack;
	u32 win;
	bool win0;
	u16 urg;
	const u8 *opt;
	unsigned int optlen;
	const void *data;
	unsigned int len;
	unsigned int in_flags;
	u8 family;
};

/* A segment whose receiver's update waits: its bytes as they came */
struct tu_pend {
	u8 *pkt;
	unsigned int len;
	u8 family;
	struct tm_pend pd;
};

#define TU_PEND_MAX	64

struct tu_ev {
	struct tm_ev ev;
	u64 flow_id;		/* 0: no flow */
	u8 state[2];		/* both sides' states, when there is a flow */
};

struct tu {
	struct tm_table *t;
	struct tm_table_cfg cfg;
	u64 now;		/* ns */

	/* the connection tu_input() builds packets for */
	u8 family;
	union tm_addr addr[2];
	u16 port[2];		/* host order */

	/* every event */
	struct tu_ev *ev;
	unsigned int nev, evcap;
	unsigned int count[TM_EV_MAX];
	unsigned int errs[TM_ERR_MAX];

	/* text of the events since the last tu_log() */
	char *log;
	size_t loglen, logcap;
	bool quiet;		/* keep no text (many flows) */

	/* streams of flows 1..TU_IDS-1, per receiving side; gaps are '#' */
	u8 *rx[TU_IDS][2];
	u64 rxlen[TU_IDS][2];

	/* states after the last event that had a flow */
	u8 state[2];
	u64 last_id;

	unsigned int nviol;
	char viol[512];

	/* what &tm_ops.classify answers, and what mos_tm_input() said */
	unsigned int action;	/* &enum tm_action; logged unless MONITOR */
	u32 rule;
	enum tm_verdict verdict;

	/*
	 * With @split set, every tracked segment's receiver's update waits
	 * (mos_tm_input_split()), oldest first in @pend, until tu_resume()
	 */
	bool split;
	struct tu_pend *pend;
	unsigned int npend;
};

struct tu *tu_new(const struct tm_table_cfg *cfg);
void tu_free(struct tu *u);
void tu_conn(struct tu *u, u8 family, const char *cli, u16 cport,
	     const char *svr, u16 sport);
unsigned int tu_build(u8 *buf, unsigned int size, const struct tu *u,
		      const struct tu_pkt *pk);
void tu_input_raw(struct tu *u, const u8 *pkt, unsigned int len, u8 family,
		  unsigned int in_flags);
void tu_input(struct tu *u, const struct tu_pkt *pk);
const char *tu_log(struct tu *u);
const char *tu_states(struct tu *u);
const char *tu_rx(struct tu *u, u64 id, int side);
u64 tu_stat(struct tu *u, unsigned int stat);
unsigned int tu_expire(struct tu *u, u64 now, unsigned int budget);
int tu_resume(struct tu *u, const void *data, unsigned int off,
	      unsigned int len);
void tu_forget(struct tu *u);
void tu_flush(struct tu *u);
void tu_viol(struct tu *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Send a packet of the current connection: TX(u, .from = CLI, ...) */
#define TX(u, ...)	tu_input(u, &(struct tu_pkt){ __VA_ARGS__ })

/* The flow ids of the last events, for reuse tests */
static inline u64 tu_last_id(const struct tu *u)
{
	return u->last_id;
}

#ifdef __KSELFTEST_HARNESS_H
/* Assertions for kselftest_harness tests */
#define TU_OK(u) \
	ASSERT_EQ(0, (u)->nviol) TH_LOG("recorder: %s", (u)->viol)

#define LOG_EQ(u, expected) ASSERT_STREQ(expected, tu_log(u))

/* End a test: flush, check that nothing is left and nothing was owed. */
#define TU_DONE(u) do { \
	tu_flush(u); \
	ASSERT_EQ(0, mos_tm_flows((u)->t)); \
	ASSERT_EQ(0, mos_tm_ooo_bytes((u)->t)); \
	ASSERT_EQ((u)->count[TM_EV_CONN_START], (u)->count[TM_EV_CONN_END]); \
	TU_OK(u); \
	tu_free(u); \
} while (0)
#endif

#endif /* _TM_UTIL_H */
