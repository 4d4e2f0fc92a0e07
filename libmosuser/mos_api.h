/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * mos_api.h - the mOS monitoring API over mos.ko
 *
 * Events, hooks, callbacks, stream peeking, per-flow user context and
 * packet access, with mOS's names, types and values.  Calls fail with -1
 * (or NULL, or 0 for event ids) and errno set; none exits or aborts.
 * Documentation/libmosuser.rst says what is implemented and how it
 * differs from mOS.
 */
#ifndef _MOS_API_H
#define _MOS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/time.h>
#include <linux/if_ether.h>
#include <linux/tcp.h>
#include "mtcp_api.h"
#include "mtcp_epoll.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hook points; their values do not overlap the events' */
enum mtcp_hook_point {
	MOS_NULL = (1 << 29),
	MOS_HK_RCV = (1 << 30),
	MOS_HK_SND = (int)(1U << 31),
};

/* Built-in events: one bit each (mtcp_alloc_event() gives higher bits) */
enum mos_event_type {
	MOS_NULL_EVENT = 0,
	MOS_ON_PKT_IN = (1 << 0),
	MOS_ON_PKT_OUT = (1 << 1),
	MOS_ON_CONN_START = (1 << 2),
	MOS_ON_CONN_SETUP = (1 << 3),
	MOS_ON_CONN_NEW_DATA = (1 << 4),
	MOS_ON_ERROR = (1 << 5),
	MOS_ON_TIMEOUT = (1 << 6),
	MOS_ON_TCP_STATE_CHANGE = (1 << 7),
	MOS_ON_ORPHAN = (1 << 8),
	MOS_ON_REXMIT = (1 << 9),
	MOS_ON_CONN_END = (1 << 10),
	MOS_ON_DEBUG_MESSAGE = (1 << 11),
};

/* mtcp_setlastpkt() options */
#define MOS_ETH_HDR		(1 << 0)
#define MOS_IP_HDR		(1 << 1)
#define MOS_TCP_HDR		(1 << 2)
#define MOS_TCP_PAYLOAD		(1 << 3)
#define MOS_UPDATE_IP_CHKSUM	(1 << 4)
#define MOS_UPDATE_TCP_CHKSUM	(1 << 5)
#define MOS_DROP		(1 << 6)
#define MOS_OVERWRITE		(1 << 7)
#define MOS_CHOMP		(1 << 8)
#define MOS_INSERT		(1 << 9)

/**
 * struct pkt_info - the packet of the current event (mtcp_getlastpkt())
 * @cur_ts: when it was seen, milliseconds (CLOCK_MONOTONIC; offline, the
 *	capture's time)
 * @in_ifidx: the interface it came in on, or -1: not known (-1 always:
 *	the hooks do not say)
 * @eth_len: the packet's length from its Ethernet header: @ip_len + 14
 * @ip_len: its length from the IP header (a GSO aggregate's is cut to
 *	65535)
 * @offset: stream offset of the payload's first byte in the stream it
 *	carries (its sequence number less the stream's first; 0 before that
 *	is known)
 * @payloadlen: TCP payload bytes in the copy
 * @seq: TCP sequence number, host order
 * @ack_seq: TCP acknowledgment number, host order
 * @window: TCP window, host order, unscaled
 * @ethh: an Ethernet header made up for the packet (the hooks see it from
 *	its IP header on): zero addresses, the IP version's ethertype
 * @iph: the IPv4 header, or NULL for IPv6
 * @tcph: the TCP header, or NULL (not TCP: a raw socket's packet)
 * @payload: the payload
 */
struct pkt_info {
	uint32_t cur_ts;
	int8_t in_ifidx;
	uint16_t eth_len;
	uint16_t ip_len;
	uint64_t offset;
	uint16_t payloadlen;
	uint32_t seq;
	uint32_t ack_seq;
	uint16_t window;
	struct ethhdr *ethh;
	struct iphdr *iph;
	struct tcphdr *tcph;
	uint8_t *payload;
};

/**
 * struct pkt_ctx - mOS's packet context, kept for source compatibility
 * @p: the packet
 * @direction: side that sent it
 * @forward: unused
 * @out_ifidx: unused
 * @batch_index: unused
 */
struct pkt_ctx {
	struct pkt_info p;
	int8_t direction;
	uint8_t forward;
	int8_t out_ifidx;
	int8_t batch_index;
};
#define PKT_INFO_LEN offsetof(struct pkt_info, ethh)

/*
 * MOS_SEQ_REMAP's argument in mOS (not supported: ENOPROTOOPT); named
 * both as mOS's typedef and as a struct
 */
typedef struct seq_remap_info {
	int64_t seq_off;
	int side;
	uint32_t base_seq;
} seq_remap_info;

typedef struct filter_arg {
	void *arg;
	size_t len;
} filter_arg_t;

#ifndef SOL_SOCKET
#define SOL_SOCKET	0xffff
#endif
#define SOL_MONSOCKET	0xfffe

/* Socket options at SOL_MONSOCKET */
enum mos_socket_opts {
	MOS_FRAGINFO_CLIBUF = 0x01,
	MOS_FRAGINFO_SVRBUF = 0x02,
	MOS_INFO_CLIBUF = 0x03,
	MOS_INFO_SVRBUF = 0x04,
	MOS_TCP_STATE_CLI = 0x05,
	MOS_TCP_STATE_SVR = 0x06,
	MOS_TIMESTAMP = 0x07,
	MOS_MONLEVEL = 0x08,
	MOS_CLIBUF = 0x09,
	MOS_SVRBUF = 0x0a,
	MOS_SEQ_REMAP = 0x0b,
	MOS_STOP_MON = 0x0c,
	MOS_FRAG_CLIBUF = 0x0d,
	MOS_FRAG_SVRBUF = 0x0e,
	MOS_CLIOVERLAP = 0x0f,
	MOS_SVROVERLAP = 0x10,
};

/* Values of MOS_CLIOVERLAP and MOS_SVROVERLAP */
enum {
	MOS_OVERLAP_POLICY_FIRST = 0,
	MOS_OVERLAP_POLICY_LAST,
	MOS_OVERLAP_POLICY_LINUX,	/* as Linux reads them: the default */
	MOS_OVERLAP_CNT
};

/**
 * struct tcp_buf_info - a side's stream buffer (MOS_INFO_CLIBUF/SVRBUF),
 * as mOS fills it: a sequence number, then three stream offsets (the
 * low 32 bits)
 * @tcpbi_init_seq: sequence number of stream offset 0 (the peer's ISN + 1)
 * @tcpbi_last_byte_read: offset after the last byte mtcp_peek() returned
 * @tcpbi_next_byte_expected: offset after the last byte that entered the
 *	stream in order
 * @tcpbi_last_byte_received: offset after the highest byte seen for the
 *	stream: beyond @tcpbi_next_byte_expected while a segment that came
 *	out of order waits for a hole to fill (as far as the packets of this
 *	context's events show it)
 */
struct tcp_buf_info {
	uint32_t tcpbi_init_seq;
	uint32_t tcpbi_last_byte_read;
	uint32_t tcpbi_next_byte_expected;
	uint32_t tcpbi_last_byte_received;
};

/**
 * struct tcp_ring_fragment - a stretch of a side's buffer
 * @offset: stream offset of its first byte
 * @len: bytes
 */
struct tcp_ring_fragment {
	uint64_t offset;
	uint32_t len;
};

/* A side's TCP state, as the monitor infers it */
enum tcpstate {
	TCP_CLOSED = 0,
	TCP_LISTEN = 1,
	TCP_SYN_SENT = 2,
	TCP_SYN_RCVD = 3,
	TCP_ESTABLISHED = 4,
	TCP_FIN_WAIT_1 = 5,
	TCP_FIN_WAIT_2 = 6,
	TCP_CLOSE_WAIT = 7,
	TCP_CLOSING = 8,
	TCP_LAST_ACK = 9,
	TCP_TIME_WAIT = 10,
};

typedef uint64_t event_t;

enum {
	MOS_SIDE_CLI = 0,
	MOS_SIDE_SVR,
	MOS_SIDE_BOTH,
};

typedef void (*callback_t)(mctx_t mctx, int sock, int side, event_t event,
			   filter_arg_t *arg);
typedef bool (*filter_t)(mctx_t mctx, int sock, int side, event_t event,
			 filter_arg_t *arg);

union monitor_filter {
	char *raw_pkt_filter;
	struct {
		char *stream_syn_filter;
		char *stream_orphan_filter;
	};
};
typedef union monitor_filter *monitor_filter_t;

int mtcp_bind_monitor_filter(mctx_t mctx, int sock, monitor_filter_t ft);
int mtcp_register_callback(mctx_t mctx, int sock, event_t event,
			   int hook_point, callback_t cb);
int mtcp_unregister_callback(mctx_t mctx, int sock, event_t event,
			     int hook_point);
event_t mtcp_alloc_event(event_t event);
event_t mtcp_define_event(event_t event, filter_t filter,
			  struct filter_arg *arg);
int mtcp_raise_event(mctx_t mctx, event_t event);
void mtcp_set_uctx(mctx_t mctx, int sock, void *uctx);
void *mtcp_get_uctx(mctx_t mctx, int sock);
ssize_t mtcp_peek(mctx_t mctx, int sock, int side, char *buf, size_t len);
ssize_t mtcp_ppeek(mctx_t mctx, int sock, int side, char *buf, size_t count,
		   uint64_t off);
/* mtcp_getlastpkt() copies the packet (always, here) */
#define MTCP_CB_GETCURPKT_CREATE_COPY

int mtcp_getlastpkt(mctx_t mctx, int sock, int side, struct pkt_info *p);
int mtcp_setlastpkt(mctx_t mctx, int sock, int side, off_t offset,
		    byte *data, uint16_t datalen, int option);
int mtcp_reset_conn(mctx_t mctx, int sock);
int mtcp_settimer(mctx_t mctx, int id, struct timeval *timeout,
		  callback_t cb);
uint32_t mtcp_cb_get_ts(mctx_t mctx);
void mtcp_app_join(mctx_t mctx);
int mtcp_getpeername(mctx_t mctx, int sock, struct sockaddr *saddr,
		     socklen_t *addrlen, int side);
/* Sending a packet: not supported (ENOTSUP) */
int mtcp_sendpkt(mctx_t mctx, int sock, const struct pkt_info *pkt);

#ifdef __cplusplus
}
#endif

#endif /* _MOS_API_H */
