/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpmon.h - interface of the flow-tracking core
 *
 * The core parses packets (parse.c), keeps a table of flows (table.c),
 * runs each packet through it (input.c), tracks both sides of each TCP
 * connection (track.c) and reassembles each direction's byte stream
 * (reasm.c); the control plane acts on live flows through ctl.c.  It
 * reports what it sees through two callbacks of &struct tm_ops: events,
 * and in-order stream bytes.
 *
 * The same files build into mos.ko and into build/lib/libtcpmon.a; they
 * include tm_port.h and nothing else.
 */
#ifndef _MOS_TCPMON_H
#define _MOS_TCPMON_H

#include "tm_port.h"

/*
 * tm_read_t - read bytes of a packet
 * @pkt: the packet, as the caller knows it (an skb, a buffer)
 * @off: offset from the IP header
 * @len: number of bytes wanted
 * @buf: @len bytes the reader may copy into
 *
 * Return: @len contiguous bytes at @off, in the packet or in @buf; NULL if
 * the packet is shorter than @off + @len.  The pointer must be aligned as
 * &struct iphdr and &struct tcphdr need (4 bytes) when @off is: a reader
 * over a buffer with a link-layer header copies into @buf otherwise.
 */
typedef const void *(*tm_read_t)(const void *pkt, unsigned int off,
				 unsigned int len, void *buf);

/**
 * typedef tm_copy_t - copy bytes out of a packet or a buffer
 * @src: where the bytes are (an skb, a buffer)
 * @off: offset in @src
 * @dst: destination
 * @len: number of bytes
 *
 * Return: 0, or negative errno if @src is shorter than @off + @len.
 */
typedef int (*tm_copy_t)(const void *src, unsigned int off, void *dst,
			 unsigned int len);

/**
 * enum tm_parse_res - what a packet turned out to be
 * @TM_PKT_TCP: a TCP segment with a well-formed header
 * @TM_PKT_OTHER: a well-formed IP packet with no TCP header to look at
 *	(another protocol, ESP, "no next header")
 * @TM_PKT_BAD: malformed: the IP or TCP header does not parse, so mos
 *	cannot tell what the receiver makes of the packet
 * @TM_PKT_FRAG: an IPv4 or IPv6 fragment (more fragments, or an offset
 *	other than 0): part of a datagram, not a whole segment; only seen
 *	where defragmentation did not run (raw LOCAL_OUT, captures)
 * @TM_PKT_IP6_OPT_DROP: an IPv6 hop-by-hop or destination options header
 *	that Linux's ip6_parse_tlv() refuses with the default sysctls: an
 *	unrecognised option whose type says "discard", more than 7 bytes
 *	of padding in a row, non-zero PadN bytes, more than 8 options, an
 *	option past its header, or a known option that fails its checks
 * @TM_PKT_IP6_HBH_DROP: a hop-by-hop options header that is not the
 *	first header after the IPv6 header: Linux treats it as an unknown
 *	next header (ip6_protocol_deliver_rcu()) and drops the packet
 * @TM_PKT_IP6_RH_DROP: a routing header that Linux's ipv6_rthdr_rcv()
 *	refuses with the default sysctls, or that sends the packet on to
 *	another address (segments left)
 * @TM_PKT_IP4_OPT_DROP: IPv4 options that Linux's ip_options_compile()
 *	refuses (bad lengths or pointers, a repeated source route, record
 *	route or timestamp option, a full timestamp's overflow at 15, CIPSO
 *	with no DOI configured): ip_rcv_options() drops the packet
 *
 * %TM_PKT_BAD is "mos could not parse this".  %TM_PKT_FRAG and the
 * %TM_PKT_IP6_* results parsed: the packet is well formed, but it is not
 * a TCP segment the receiver's TCP gets as it is (tm_parse_undelivered()).
 * None of them is tracked: each is counted and passed, and for the
 * %TM_PKT_IP6_* and %TM_PKT_IP4_OPT_DROP ones the receiver's own IP layer
 * drops the packet.
 */
enum tm_parse_res {
	TM_PKT_TCP,
	TM_PKT_OTHER,
	TM_PKT_BAD,
	TM_PKT_FRAG,
	TM_PKT_IP6_OPT_DROP,
	TM_PKT_IP6_HBH_DROP,
	TM_PKT_IP6_RH_DROP,
	TM_PKT_IP4_OPT_DROP,
};

/**
 * tm_parse_undelivered() - whether a parse result is a packet that parsed
 * but that the receiver's TCP does not get as it is
 * @r: the result
 *
 * Return: true for %TM_PKT_FRAG and the %TM_PKT_IP6_* drops: not
 * malformed, not tracked.
 */
static inline bool tm_parse_undelivered(enum tm_parse_res r)
{
	return r >= TM_PKT_FRAG;
}

/* The packet is a GSO aggregate: a zero IP length means "all of it". */
#define TM_PARSE_F_GSO		0x1

/**
 * union tm_addr - an IPv4 or IPv6 address
 * @a6: IPv6 address
 * @a4: IPv4 address, in the first four bytes; the rest are zero
 * @w: as four words, for comparing and hashing
 */
union tm_addr {
	u8 a6[16];
	__be32 a4;
	u32 w[4];
};

/**
 * struct tm_pkt - the parsed headers of one packet
 * @family: 4 or 6
 * @l4proto: transport protocol (after IPv6 extension headers)
 * @tcp_flags: TCP flag byte (CWR..FIN), for %TM_PKT_TCP
 * @doff: TCP header length in bytes
 * @window: TCP window field, host order, unscaled
 * @pad: zero
 * @l4off: offset of the transport header from the IP header
 * @l4len: bytes from the transport header to the end of the IP payload
 * @seq: TCP sequence number, host order
 * @ack_seq: TCP acknowledgment number, host order
 * @saddr: source address
 * @daddr: destination address
 * @sport: TCP source port, network order
 * @dport: TCP destination port, network order
 */
struct tm_pkt {
	u8 family;
	u8 l4proto;
	u8 tcp_flags;
	u8 doff;
	u16 window;
	u16 pad;
	u32 l4off;
	u32 l4len;
	u32 seq;
	u32 ack_seq;
	union tm_addr saddr;
	union tm_addr daddr;
	__be16 sport;
	__be16 dport;
};

#define TM_TCPF_FIN	0x01
#define TM_TCPF_SYN	0x02
#define TM_TCPF_RST	0x04
#define TM_TCPF_PSH	0x08
#define TM_TCPF_ACK	0x10
#define TM_TCPF_URG	0x20
#define TM_TCPF_ECE	0x40
#define TM_TCPF_CWR	0x80

enum tm_parse_res mos_tm_parse(const void *pkt, unsigned int len, u8 family,
			       unsigned int flags, tm_read_t read,
			       struct tm_pkt *p);

/**
 * enum tm_link - the header a frame starts with, for mos_tm_decap()
 * @TM_LINK_ETH: Ethernet II, its Ethertype then up to two VLAN tags
 * @TM_LINK_ETYPE: the payload of a link header whose Ethertype is
 *	&tm_decap.etype (Linux cooked captures)
 * @TM_LINK_IP: IPv4 or IPv6, as the version nibble says
 * @TM_LINK_PPP: a PPP protocol field (RFC 1661; 1 byte when compressed)
 * @TM_LINK_PPPOE: a PPPoE session header (RFC 2516), then PPP
 */
enum tm_link {
	TM_LINK_ETH,
	TM_LINK_ETYPE,
	TM_LINK_IP,
	TM_LINK_PPP,
	TM_LINK_PPPOE,
};

/**
 * enum tm_decap_res - what mos_tm_decap() found
 * @TM_DECAP_IP: an IP packet at &tm_decap.off, for mos_tm_parse()
 * @TM_DECAP_NONIP: the frame itself carries no IP (ARP, a third VLAN
 *	tag, PPP control, an encapsulation with %TM_DECAP_F_TUNNELS unset)
 * @TM_DECAP_UNKNOWN: an encapsulation carries something mos does not
 *	decapsulate (a GRE version or protocol, a Geneve protocol or
 *	version, an ERSPAN frame type, a GTP-U message other than G-PDU, a
 *	non-IP inner frame)
 * @TM_DECAP_BAD: an encapsulation header is cut short or malformed
 * @TM_DECAP_DEEP: more than %TM_DECAP_DEPTH_MAX encapsulations
 */
enum tm_decap_res {
	TM_DECAP_IP,
	TM_DECAP_NONIP,
	TM_DECAP_UNKNOWN,
	TM_DECAP_BAD,
	TM_DECAP_DEEP,
};

/* Encapsulations one frame may have (uapi's %MOS_DECAP_DEPTH_MAX) */
#define TM_DECAP_DEPTH_MAX	4

/* Remove encapsulations (IP in IP, GRE, UDP tunnels, PPPoE); else link only */
#define TM_DECAP_F_TUNNELS	0x1

/**
 * struct tm_decap - where a frame's IP packet is
 * @off: in: offset of the first header; out: offset of the IP header
 * @len: out: bytes from @off that the enclosing headers give the IP
 *	packet (its own length field may say less)
 * @etype: in: the Ethertype, for %TM_LINK_ETYPE
 * @family: out: 4 or 6 (from the Ethertype, PPP protocol or version
 *	nibble; another nibble is given as it is, for the parser to refuse)
 * @depth: out: encapsulations entered, also on failure (0: the link
 *	header itself failed)
 * @port: scratch: the UDP tunnel being entered
 */
struct tm_decap {
	unsigned int off;
	unsigned int len;
	unsigned int port;
	u16 etype;
	u8 family;
	u8 depth;
};

enum tm_decap_res mos_tm_decap(const void *pkt, unsigned int len,
			       tm_read_t read, enum tm_link link,
			       unsigned int flags, struct tm_decap *d);

/**
 * mos_tm_tunnel_proto() - whether an IP packet may be a tunnel's
 * @proto: its protocol (IPv4) or first next header (IPv6)
 * @family: 4 or 6
 *
 * A tunnel's protocol, UDP, or an IPv6 extension header (behind which
 * one may be): mos_tm_decap() looks further.  Most packets are TCP, and
 * a caller with the IP header at hand may skip mos_tm_decap() for them.
 *
 * Return: true if it may be.
 */
static inline bool mos_tm_tunnel_proto(u8 proto, u8 family)
{
	switch (proto) {
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
	case IPPROTO_GRE:
	case IPPROTO_UDP:
		return true;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
		return family == 6;
	}
	return false;
}

/**
 * struct tm_opts - TCP options the tracker uses
 * @mss: MSS option, 0 if absent
 * @wscale: window scale shift, clamped to 14 (RFC 7323 2.3)
 * @has_wscale: a window scale option was present
 * @sack_ok: SACK permitted
 * @has_ts: a timestamps option was present
 * @tfo_cookie: a TCP Fast Open option with a cookie (kind 34, or the
 *	experimental kind 254 with magic 0xf989; RFC 7413 4.1.1)
 * @bad: an option length overruns the header or is below 2
 * @tsval: the timestamps option's TSval, when @has_ts
 * @tsecr: its TSecr
 */
struct tm_opts {
	u16 mss;
	u8 wscale;
	bool has_wscale;
	bool sack_ok;
	bool has_ts;
	bool tfo_cookie;
	bool bad;
	u32 tsval;
	u32 tsecr;
};

void mos_tm_parse_opts(const void *pkt, tm_read_t read,
		       const struct tm_pkt *p, struct tm_opts *o);

/* NOP, NOP, TIMESTAMP: the options of nearly every segment with timestamps */
#define TM_OLEN_TS_ALIGNED	12

/**
 * tm_opts_aligned_ts() - read options laid out as NOP, NOP, TIMESTAMP
 * @op: the %TM_OLEN_TS_ALIGNED bytes after the TCP header
 * @tsval: set to the TSval when they are
 * @tsecr: set to the TSecr when they are
 *
 * The layout RFC 7323 (Appendix A) recommends, read at once as Linux's
 * tcp_parse_aligned_timestamp() does.
 *
 * Return: true when @op holds that layout.
 */
static inline bool tm_opts_aligned_ts(const u8 *op, u32 *tsval, u32 *tsecr)
{
	/* kinds 1, 1, 8 and length 10 (RFC 7323 3.2) */
	if (op[0] != 1 || op[1] != 1 || op[2] != 8 || op[3] != 10)
		return false;
	*tsval = (u32)op[4] << 24 | (u32)op[5] << 16 | (u32)op[6] << 8 | op[7];
	*tsecr = (u32)op[8] << 24 | (u32)op[9] << 16 | (u32)op[10] << 8 |
		 op[11];
	return true;
}

/* ---------------------------------------------------------------------- */

/**
 * enum tm_side - the two ends of a connection (mOS's MOS_SIDE_*)
 * @TM_CLI: the client, which sent the first SYN
 * @TM_SVR: the server
 */
enum tm_side {
	TM_CLI = 0,
	TM_SVR = 1,
};

/**
 * enum tm_hook - where an event is raised (mOS's hook points)
 * @TM_HK_NULL: outside any side's update (MOS_NULL)
 * @TM_HK_SND: after the sending side's state was updated (MOS_HK_SND)
 * @TM_HK_RCV: after the receiving side's state was updated (MOS_HK_RCV)
 */
enum tm_hook {
	TM_HK_NULL,
	TM_HK_SND,
	TM_HK_RCV,
};

/**
 * enum tm_state - TCP state of one side, as the monitor infers it
 * @TM_CLOSED: no connection, or closed (FIN handshake done, or an RST)
 * @TM_LISTEN: the server side before the client's SYN reached it
 * @TM_SYN_SENT: sent a SYN
 * @TM_SYN_RCVD: received a SYN
 * @TM_ESTABLISHED: handshake complete
 * @TM_FIN_WAIT_1: sent a FIN
 * @TM_FIN_WAIT_2: its FIN was acknowledged
 * @TM_CLOSE_WAIT: received the peer's FIN
 * @TM_CLOSING: sent a FIN, then received the peer's before the ACK of its own
 * @TM_LAST_ACK: sent its FIN after the peer's
 * @TM_TIME_WAIT: both FINs done, its own acknowledged
 * @TM_NSTATES: number of states
 *
 * The values are those of mOS's enum tcpstate.
 */
enum tm_state {
	TM_CLOSED,
	TM_LISTEN,
	TM_SYN_SENT,
	TM_SYN_RCVD,
	TM_ESTABLISHED,
	TM_FIN_WAIT_1,
	TM_FIN_WAIT_2,
	TM_CLOSE_WAIT,
	TM_CLOSING,
	TM_LAST_ACK,
	TM_TIME_WAIT,
	TM_NSTATES,
};

/**
 * enum tm_event - built-in events, numbered as the bits of mOS's
 * enum mos_event_type (event mask = 1 << value)
 * @TM_EV_PKT_IN: a packet of a tracked flow (MOS_HK_SND and MOS_HK_RCV)
 * @TM_EV_PKT_OUT: reserved, never raised (mOS's MOS_ON_PKT_OUT)
 * @TM_EV_CONN_START: a side starts: client on SYN_SENT, server on
 *	SYN_RCVD; once per side
 * @TM_EV_CONN_SETUP: a side completes the handshake
 * @TM_EV_NEW_DATA: new in-order bytes entered a side's stream (MOS_NULL)
 * @TM_EV_ERROR: see &enum tm_err (MOS_NULL)
 * @TM_EV_TIMEOUT: the flow idled out; raised before its CONN_END events
 *	(MOS_NULL)
 * @TM_EV_STATE_CHANGE: a side's TCP state changed
 * @TM_EV_ORPHAN: a packet that belongs to no tracked flow (MOS_NULL)
 * @TM_EV_REXMIT: a retransmission: data, SYN, SYN-ACK or FIN sent again,
 *	or bytes overlapping bytes already seen
 * @TM_EV_CONN_END: a side ended (FIN handshake, RST, timeout); exactly
 *	once per side that had a CONN_START
 * @TM_EV_MAX: number of event types
 */
enum tm_event {
	TM_EV_PKT_IN,
	TM_EV_PKT_OUT,
	TM_EV_CONN_START,
	TM_EV_CONN_SETUP,
	TM_EV_NEW_DATA,
	TM_EV_ERROR,
	TM_EV_TIMEOUT,
	TM_EV_STATE_CHANGE,
	TM_EV_ORPHAN,
	TM_EV_REXMIT,
	TM_EV_CONN_END,
	TM_EV_MAX,
};

/**
 * enum tm_err - what a %TM_EV_ERROR reports
 * @TM_ERR_NONE: not an error event
 * @TM_ERR_FLOW_LIMIT: a SYN found the flow table full; no flow created
 * @TM_ERR_NOMEM: an allocation failed (flow or out-of-order segment)
 * @TM_ERR_BUF_SIDE: the side's out-of-order store is full
 * @TM_ERR_BUF_TOTAL: the table's out-of-order bytes are at their limit
 * @TM_ERR_GAP: bytes were skipped: @off and @len of the event say which
 * @TM_ERR_OOW: a segment outside the receiver's window was ignored
 * @TM_ERR_CSUM: a segment with a bad TCP checksum was ignored
 * @TM_ERR_OVERLAP_DIFF: overlapping bytes differ from those seen first
 * @TM_ERR_RST_INWIN: an RST inside the window but not at its left edge
 *	(the receiver answers with a challenge ACK and stays open)
 * @TM_ERR_RST_OOW: an RST outside the window, ignored
 * @TM_ERR_MEM_LIMIT: the memory limit of all tables together refused a
 *	flow or an out-of-order piece (tm_charge())
 * @TM_ERR_NOACK: a segment without ACK (nor SYN, RST), which the receiver
 *	discards; ignored
 * @TM_ERR_ACK_UNSENT: a segment acknowledging bytes the receiver never
 *	sent (RFC 5961 5.2), which it discards; ignored
 * @TM_ERR_ACK_OLD: a segment acknowledging bytes older than the
 *	receiver's window (RFC 5961 5.2), which it discards; ignored
 * @TM_ERR_PAWS: a segment whose timestamp is older than the last one the
 *	receiver took (RFC 7323 5, PAWS), which it discards; ignored
 * @TM_ERR_SYN_DATA: a SYN's payload the receiver did not take (no TCP
 *	Fast Open cookie, or the SYN-ACK did not acknowledge it); left out
 *	of the stream
 * @TM_ERR_FIN: a FIN the receiver never processed: the stream went past
 *	its sequence number before reaching it; the FIN is forgotten
 * @TM_ERR_URG: the urgent byte, at @off, left out of the stream as a
 *	reader without SO_OOBINLINE never gets it in the stream (@len 1)
 * @TM_ERR_MAX: number of codes
 */
enum tm_err {
	TM_ERR_NONE,
	TM_ERR_FLOW_LIMIT,
	TM_ERR_NOMEM,
	TM_ERR_BUF_SIDE,
	TM_ERR_BUF_TOTAL,
	TM_ERR_GAP,
	TM_ERR_OOW,
	TM_ERR_CSUM,
	TM_ERR_OVERLAP_DIFF,
	TM_ERR_RST_INWIN,
	TM_ERR_RST_OOW,
	TM_ERR_MEM_LIMIT,
	TM_ERR_NOACK,
	TM_ERR_ACK_UNSENT,
	TM_ERR_ACK_OLD,
	TM_ERR_PAWS,
	TM_ERR_SYN_DATA,
	TM_ERR_FIN,
	TM_ERR_URG,
	TM_ERR_MAX,
};

/**
 * enum tm_end - why a side ended (in &struct tm_ev.reason of CONN_END)
 * @TM_END_FIN: the FIN handshake completed (or TIME_WAIT ran out)
 * @TM_END_RST: an RST the receiver accepts
 * @TM_END_TIMEOUT: the flow idled out
 * @TM_END_REUSE: a new SYN reused the 4-tuple of a closing flow
 * @TM_END_FLUSH: the table was flushed
 * @TM_END_EVICT: a new flow took its place in a full table: it never
 *	completed its handshake, or was picked up mid-stream and heard from
 *	one end only, or had idled for %TM_EVICT_IDLE seconds at least
 */
enum tm_end {
	TM_END_FIN,
	TM_END_RST,
	TM_END_TIMEOUT,
	TM_END_REUSE,
	TM_END_FLUSH,
	TM_END_EVICT,
};

/**
 * enum tm_gap - why a stream skipped bytes (in &struct tm_ev.reason of a
 * %TM_ERR_GAP error)
 * @TM_GAP_LOSS: the monitor never saw the bytes and the side ended (FIN,
 *	RST, timeout, flush) or the stream went on past them: capture loss
 * @TM_GAP_LIMIT: a store limit refused a segment (side, table, memory,
 *	allocation): the ERROR before the gap names which
 * @TM_GAP_SHARE: the flow held more than its share of the table's store
 *	(%TM_STAT_STORE_SHARE)
 * @TM_GAP_AGED: the hole was older than &tm_table_cfg.store_age_ms
 *	(%TM_STAT_STORE_AGED)
 * @TM_GAP_PRESSURE: the table's store was full and the flow, over its
 *	share, gave up its store to a flow under its own
 *	(%TM_STAT_STORE_TRIMMED)
 */
enum tm_gap {
	TM_GAP_LOSS,
	TM_GAP_LIMIT,
	TM_GAP_SHARE,
	TM_GAP_AGED,
	TM_GAP_PRESSURE,
};

/**
 * struct tm_ev - one event
 * @type: &enum tm_event
 * @hook: &enum tm_hook
 * @side: &enum tm_side the event is about (for NEW_DATA: the side whose
 *	receive stream grew; for ORPHAN and flow-less ERRORs: 0)
 * @err: &enum tm_err, for %TM_EV_ERROR
 * @old_state: for %TM_EV_STATE_CHANGE, the side's previous state
 * @reason: for %TM_EV_CONN_END, &enum tm_end; for a %TM_ERR_GAP error,
 *	&enum tm_gap
 * @pad: zero
 * @len: NEW_DATA: bytes added; GAP: bytes skipped; REXMIT: payload length
 * @off: NEW_DATA: stream offset of the first new byte; GAP: offset of the
 *	first skipped byte; REXMIT, OOW, OVERLAP_DIFF: offset of the
 *	segment's first byte in the receiver's stream (may be before 0 for
 *	a retransmitted SYN: then 0)
 */
struct tm_ev {
	u8 type;
	u8 hook;
	u8 side;
	u8 err;
	u8 old_state;
	u8 reason;
	u16 pad;
	u32 len;
	u64 off;
};

/**
 * struct tm_src - where the current packet's bytes are
 * @pkt: the packet (an skb, a buffer), from its IP header
 * @len: its length from the IP header on
 * @read: header reader
 * @copy: payload copier
 */
struct tm_src {
	const void *pkt;
	unsigned int len;
	tm_read_t read;
	tm_copy_t copy;
};

/*
 * Delivered bytes a side keeps to compare retransmissions with: with
 * &tm_half.hist_len, what fills &struct tm_half to a multiple of 8 bytes
 */
#define TM_HIST		25

struct tm_lnxq;

/**
 * struct tm_half - one side of a connection
 * @isn: initial sequence number of what this side sends
 * @snd_end: highest sequence number this side has sent, plus one
 *	(conntrack's td_end)
 * @snd_maxend: right edge of the window the peer granted this side
 *	(td_maxend)
 * @snd_maxwin: largest window this side advertised, scaled (td_maxwin)
 * @fin_seq: sequence number of this side's FIN, when %TM_HF_FIN_SENT
 * @rcv_nxt: next sequence number of the peer's stream this side's stream
 *	is waiting for
 * @rcv_off: stream offset of @rcv_nxt: bytes that entered the stream
 *	(delivered or skipped)
 * @ooo: out-of-order store: pieces of the peer's stream after @rcv_nxt,
 *	not overlapping, in a red-black tree keyed by sequence number
 * @ooo_bytes: bytes charged for @ooo and for the side's nodes of
 *	&tm_flow.lnx
 * @ooo_segs: pieces in @ooo and the side's nodes of &tm_flow.lnx
 * @ack_max: highest acknowledgment number this side sent, when
 *	%TM_HA_ACKED: its peer's snd_una and its own rcv_wup, as far as the
 *	packets show them
 * @ts_recent: the peer's TSval this side holds for PAWS (RFC 7323 5.3),
 *	when %TM_HA_TS_RECENT
 * @ts_stamp: when @ts_recent was taken, seconds of the packets' clock
 * @urg_seq: sequence number of the urgent byte this side's stream waits
 *	for, when %TM_HA_URG
 * @hole_seq: the &tm_half.rcv_nxt the store's hole opened at (store.c)
 * @hole_since: when that hole opened, ms of the packets' clock, never 0;
 *	0 while the store is empty
 * @state: &enum tm_state
 * @wscale: window scale of what this side advertises
 * @flags: %TM_HF_*
 * @aflags: %TM_HA_*: what the receiver acceptance checks know
 * @hist_len: bytes of @hist that hold the stream's last bytes, up to
 *	@rcv_off (0 after a gap)
 * @hist: the last %TM_HIST bytes delivered, in order, the last one at
 *	@hist[%TM_HIST - 1] (byte at stream offset o in
 *	@hist[%TM_HIST - (@rcv_off - o)]): a retransmission of them is
 *	compared
 */
struct tm_half {
	u32 isn;
	u32 snd_end;
	u32 snd_maxend;
	u32 snd_maxwin;
	u32 fin_seq;
	u32 rcv_nxt;
	u64 rcv_off;
	struct rb_root ooo;
	u32 ooo_bytes;
	u32 ooo_segs;
	u32 ack_max;
	u32 ts_recent;
	u32 ts_stamp;
	u32 urg_seq;
	u32 hole_seq;
	u32 hole_since;
	u8 state;
	u8 wscale;
	u16 flags;
	u16 aflags;
	u8 hist_len;
	u8 hist[TM_HIST];
};

#define TM_HF_SYN_SENT		0x01	/* @isn is known */
#define TM_HF_FIN_SENT		0x02	/* @fin_seq is known */
#define TM_HF_WIN_KNOWN		0x04	/* @snd_maxend and peer's window known */
#define TM_HF_WSCALE		0x08	/* sent a window scale option */
#define TM_HF_STARTED		0x10	/* CONN_START raised, CONN_END owed */
#define TM_HF_RST_PENDING	0x20	/* reset with mos_tm_reset() */
#define TM_HF_RCV_SYNCED	0x40	/* @rcv_nxt is known */
#define TM_HF_FIN_RCVD		0x80	/* the peer's FIN entered the stream */
#define TM_HF_SND_SYNCED	0x100	/* @snd_end is known */
#define TM_HF_ENDED		0x200	/* CONN_END raised: no second start */
/* Overlapping bytes of the stream this side receives: the last seen win */
#define TM_HF_OVERLAP_LAST	0x400
/* Overlapping bytes of the stream this side receives: as Linux reads them */
#define TM_HF_OVERLAP_LINUX	0x800

#define TM_HA_TS		0x01	/* its SYN carried timestamps */
#define TM_HA_TS_RECENT		0x02	/* @ts_recent is known */
#define TM_HA_ACKED		0x04	/* @ack_max is known */
#define TM_HA_URG		0x08	/* @urg_seq is an urgent byte to skip */
/* The stream's first bytes, a SYN's, wait for the SYN-ACK (TCP Fast Open) */
#define TM_HA_SYN_HELD		0x10
/* This side's end is this host: %TM_IN_SRC_LOCAL, %TM_IN_DST_LOCAL */
#define TM_HA_LOCAL		0x20

/**
 * struct tm_flow - one TCP connection, both sides
 * @node: in the table's hash chain (RCU)
 * @addr: addresses, indexed by &enum tm_side
 * @port: ports, network order, indexed by &enum tm_side
 * @family: 4 or 6
 * @flags: %TM_FF_*
 * @gap_why: &enum tm_gap of the gaps being reported (store.c)
 * @pad: zero
 * @lock: serialises the flow's packets, timeouts and removal
 * @hash: hash of the key
 * @table: the table the flow belongs to
 * @id: flow number, unique in its table, from 1
 * @rule: the rule &tm_ops.classify chose for it; 0: none
 * @last: time of the last packet, ns
 * @created: time of the first packet, ns
 * @rcu: for freeing after readers are gone; overlays @last and @created,
 *	which nobody reads once the flow is dead
 * @lnx: under %TM_OVERLAP_LINUX, while a side's store holds bytes: the
 *	shadow of the receiver's out-of-order queue (reasm.c); else NULL
 * @half: the two sides, indexed by &enum tm_side
 *
 * Followed by &struct tm_table_cfg.priv_size bytes for the table's user,
 * zeroed at creation: mos_tm_flow_priv().
 */
struct tm_flow {
	struct hlist_node node;
	union tm_addr addr[2];
	__be16 port[2];
	u8 family;
	u8 flags;
	u8 gap_why;
	u8 pad;
	spinlock_t lock;	/* the flow's state; see table.c */
	u32 hash;
	struct tm_table *table;
	u64 id;
	u32 rule;
	union {
		struct {
			u64 last;
			u64 created;
		};
		struct rcu_head rcu;
	};
	struct tm_lnxq *lnx;
	struct tm_half half[2];
};

#define TM_FF_DEAD		0x01	/* unlinked or being unlinked */
#define TM_FF_MIDSTREAM		0x02	/* picked up without a handshake */
/* Counted in &tm_table.holders: its stores hold bytes (store.c) */
#define TM_FF_HOLDS		0x04
#define TM_FF_QUIET		0x08	/* no event, no byte: TM_ACT_IGNORE */
/* Every packet dropped: TM_ACT_DROP, or mos_tm_drop() */
#define TM_FF_DROP		0x10
#define TM_FF_RESET		0x20	/* reset: mos_tm_reset() */
/* A packet was seen from this side: TM_FF_HEARD(TM_CLI), ...(TM_SVR) */
#define TM_FF_HEARD(side)	(0x40 << (side))
#define TM_FF_HEARD_BOTH	(TM_FF_HEARD(TM_CLI) | TM_FF_HEARD(TM_SVR))

/**
 * enum tm_action - what to do with a new flow (&tm_ops.classify)
 * @TM_ACT_MONITOR: track it and report it
 * @TM_ACT_IGNORE: track it silently: no event, no stream byte
 * @TM_ACT_DROP: keep it only to drop its packets
 * @TM_ACT_RESET: create nothing; mos_tm_input() says %TM_VERDICT_RESET
 */
enum tm_action {
	TM_ACT_MONITOR,
	TM_ACT_IGNORE,
	TM_ACT_DROP,
	TM_ACT_RESET,
};

/**
 * enum tm_verdict - what mos_tm_input() asks of the packet's path
 * @TM_VERDICT_PASS: let it go
 * @TM_VERDICT_DROP: drop it (a %TM_ACT_DROP flow's packet, one
 *	&tm_ops.reserve refused, or with %TM_IN_LOSSLESS one whose bytes
 *	do not fit the out-of-order store)
 * @TM_VERDICT_RESET: drop it and answer it with a reset (%TM_ACT_RESET)
 * @TM_VERDICT_KILL: drop it and reset both ends of its connection, which
 *	was reset with mos_tm_reset(): its sender with the packet's
 *	acknowledgment number, its receiver with its sequence number
 */
enum tm_verdict {
	TM_VERDICT_PASS,
	TM_VERDICT_DROP,
	TM_VERDICT_RESET,
	TM_VERDICT_KILL,
};

/**
 * struct tm_reset - what the resets that end a connection at both ends
 * need to carry
 * @family: 4 or 6
 * @valid: %TM_RST_SEQ(side): @seq[side] is known; %TM_RST_ACK(side):
 *	@ack[side] is
 * @addr: addresses, indexed by &enum tm_side
 * @port: ports, network order
 * @seq: sequence number of the reset sent to each side: the next byte
 *	its peer sends (what the side must see, RFC 5961 3.2)
 * @ack: acknowledgment number of that reset: the next byte the side
 *	itself sends (what a side in SYN_SENT checks, RFC 9293 3.10.7.3)
 */
struct tm_reset {
	u8 family;
	u8 valid;
	union tm_addr addr[2];
	__be16 port[2];
	u32 seq[2];
	u32 ack[2];
};

#define TM_RST_SEQ(side)	(0x1 << (side))
#define TM_RST_ACK(side)	(0x4 << (side))

static inline void *mos_tm_flow_priv(struct tm_flow *f)
{
	return f + 1;
}

/**
 * enum tm_stat - counters of a table
 * @TM_STAT_FLOWS: flows created
 * @TM_STAT_FLOWS_MIDSTREAM: of which picked up mid-stream
 * @TM_STAT_FLOWS_ENDED: flows removed
 * @TM_STAT_ORPHANS: packets that belong to no flow (TCP or not)
 * @TM_STAT_REXMIT: retransmissions
 * @TM_STAT_BYTES_C2S: bytes that entered the client-to-server stream
 * @TM_STAT_BYTES_S2C: bytes that entered the server-to-client stream
 * @TM_STAT_GAPS: gaps reported
 * @TM_STAT_GAP_BYTES: bytes skipped
 * @TM_STAT_FLOW_LIMIT: SYNs refused because the table was full
 * @TM_STAT_BUF_SIDE: segments that found their side's store full
 * @TM_STAT_BUF_TOTAL: segments that found the table's store full
 * @TM_STAT_NOMEM: failed allocations
 * @TM_STAT_CSUM: segments with a bad TCP checksum
 * @TM_STAT_OOW: segments outside the window
 * @TM_STAT_RST_INWIN: RSTs in the window, not at its edge
 * @TM_STAT_RST_OOW: RSTs outside the window
 * @TM_STAT_OVERLAP_DIFF: overlaps whose bytes differ
 * @TM_STAT_TIMEOUTS: flows that idled out
 * @TM_STAT_FLOWS_IGNORED: flows created for %TM_ACT_IGNORE (not in
 *	%TM_STAT_FLOWS)
 * @TM_STAT_FLOWS_DROPPED: flows created for %TM_ACT_DROP (not in
 *	%TM_STAT_FLOWS)
 * @TM_STAT_DROPPED: packets of %TM_ACT_DROP flows, and of flows reset
 *	with mos_tm_reset()
 * @TM_STAT_FLOWS_RESET: flows reset with mos_tm_reset()
 * @TM_STAT_MEM_LIMIT: flows and out-of-order pieces the memory limit of
 *	all tables refused (%TM_ERR_MEM_LIMIT)
 * @TM_STAT_FLOWS_EVICTED: flows that never completed their handshake,
 *	ended to make room for a new flow in a full table
 * @TM_STAT_STORE_FULL: packets given %TM_VERDICT_DROP because their
 *	out-of-order bytes would not fit the store (%TM_IN_LOSSLESS)
 * @TM_STAT_DROPPED_NOFLOW: segments of no flow given %TM_VERDICT_DROP or
 *	%TM_VERDICT_RESET because a %TM_ACT_DROP or %TM_ACT_RESET applies to
 *	them (a flow that could not be created, %TM_IN_FAILCLOSED)
 * @TM_STAT_NACC_NOACK: segments without ACK the receiver discards
 *	(%TM_ERR_NOACK)
 * @TM_STAT_NACC_ACK_UNSENT: segments acknowledging what the receiver
 *	never sent (%TM_ERR_ACK_UNSENT)
 * @TM_STAT_NACC_ACK_OLD: segments acknowledging bytes before the
 *	receiver's window (%TM_ERR_ACK_OLD)
 * @TM_STAT_NACC_PAWS: segments PAWS discards (%TM_ERR_PAWS)
 * @TM_STAT_NACC_SYN_DATA: SYNs whose payload the receiver did not take
 *	(%TM_ERR_SYN_DATA)
 * @TM_STAT_NACC_FIN: FINs the stream went past (%TM_ERR_FIN)
 * @TM_STAT_NACC_URG: urgent bytes left out of streams (%TM_ERR_URG)
 * @TM_STAT_SEG_SIDE: segments that found their side's store holding
 *	&tm_table_cfg.seg_side pieces (also counted in %TM_STAT_BUF_SIDE, or
 *	refused by tm_reasm_fits() in %TM_IN_LOSSLESS mode)
 * @TM_STAT_END_UNREAD: bytes a side stored past its receiver's last
 *	acknowledgment when it ended: never read by the receiver, reported
 *	in a gap (%TM_ERR_GAP) and not delivered
 * @TM_STAT_FLOWS_EVICTED_IDLE: flows heard from both ends, idle for at
 *	least %TM_EVICT_IDLE seconds, ended at the flow limit to make room
 *	(%TM_END_EVICT)
 * @TM_STAT_FLOWS_EVICTED_MID: flows picked up mid-stream and heard from
 *	one end only, ended at the flow limit to make room (%TM_END_EVICT)
 * @TM_STAT_STORE_SHARE: segments that would have taken their flow over its
 *	share of the table's store: the side's store given up (gap reason
 *	%TM_GAP_SHARE), or with %TM_IN_LOSSLESS the packet dropped (also in
 *	%TM_STAT_STORE_FULL)
 * @TM_STAT_STORE_AGED: stores given up because their hole was older than
 *	&tm_table_cfg.store_age_ms (%TM_GAP_AGED)
 * @TM_STAT_STORE_TRIMMED: flows over their share whose stores were given
 *	up to make room, in a full table, for a flow under its share
 *	(%TM_GAP_PRESSURE)
 * @TM_STAT_ALIASES: flows given a second 4-tuple, the one a rewrite of
 *	their packets' addresses or ports gave them (mos_tm_alias())
 * @TM_STAT_ALIAS_FAIL: second 4-tuples refused: another live flow's,
 *	past &tm_table_cfg.max_flows of them, or memory
 * @TM_STAT_EV: events raised, by type: %TM_STAT_EV + &enum tm_event
 * @TM_STAT_MAX: number of counters
 */
enum tm_stat {
	TM_STAT_FLOWS,
	TM_STAT_FLOWS_MIDSTREAM,
	TM_STAT_FLOWS_ENDED,
	TM_STAT_ORPHANS,
	TM_STAT_REXMIT,
	TM_STAT_BYTES_C2S,
	TM_STAT_BYTES_S2C,
	TM_STAT_GAPS,
	TM_STAT_GAP_BYTES,
	TM_STAT_FLOW_LIMIT,
	TM_STAT_BUF_SIDE,
	TM_STAT_BUF_TOTAL,
	TM_STAT_NOMEM,
	TM_STAT_CSUM,
	TM_STAT_OOW,
	TM_STAT_RST_INWIN,
	TM_STAT_RST_OOW,
	TM_STAT_OVERLAP_DIFF,
	TM_STAT_TIMEOUTS,
	TM_STAT_FLOWS_IGNORED,
	TM_STAT_FLOWS_DROPPED,
	TM_STAT_DROPPED,
	TM_STAT_FLOWS_RESET,
	TM_STAT_MEM_LIMIT,
	TM_STAT_STORE_FULL,
	TM_STAT_FLOWS_EVICTED,
	TM_STAT_DROPPED_NOFLOW,
	TM_STAT_NACC_NOACK,
	TM_STAT_NACC_ACK_UNSENT,
	TM_STAT_NACC_ACK_OLD,
	TM_STAT_NACC_PAWS,
	TM_STAT_NACC_SYN_DATA,
	TM_STAT_NACC_FIN,
	TM_STAT_NACC_URG,
	TM_STAT_SEG_SIDE,
	TM_STAT_END_UNREAD,
	TM_STAT_FLOWS_EVICTED_IDLE,
	TM_STAT_FLOWS_EVICTED_MID,
	TM_STAT_STORE_SHARE,
	TM_STAT_STORE_AGED,
	TM_STAT_STORE_TRIMMED,
	TM_STAT_ALIASES,
	TM_STAT_ALIAS_FAIL,
	TM_STAT_EV,
	TM_STAT_MAX = TM_STAT_EV + TM_EV_MAX,
};

struct tm_table;

/**
 * struct tm_ops - how the core reports to its user
 * @event: an event.  @f is NULL for flow-less ORPHAN and ERROR events;
 *	@src and @p are NULL for events without a packet (timeouts,
 *	flushes).  Called with the flow locked.  Optional: without it,
 *	events are only counted (%TM_STAT_EV and after).
 * @data: in-order bytes entering the stream @side receives, at stream
 *	offset @off: @len bytes at @off_in_src of @src, read with @copy.
 *	Called with the flow locked, before the NEW_DATA event that counts
 *	them.
 * @classify: optional: the &enum tm_action for the packet @p that would
 *	create a flow, and in @rule the rule that chose it.  Called with no
 *	lock held, once per flow (and per packet answered with a reset).
 *	With %TM_IN_FAILCLOSED also for a segment that has no flow and
 *	creates none: then *@rule is %TM_RULE_NOFLOW on entry, and only
 *	%TM_ACT_DROP and %TM_ACT_RESET are applied (the segment is dropped),
 *	anything else lets it go as an orphan.
 * @flow: optional: flow @f was created by packet @src, @p, or is being
 *	removed (@src and @p NULL).  Called with the flow locked; not for
 *	flows freed with their table.
 * @reserve: optional: make room for what packet @src, @p may report,
 *	before it changes any state; @f is its flow, locked, with @side the
 *	sender's side, or NULL (the packet may create a flow, or be an
 *	orphan).  False: the packet is dropped (%TM_VERDICT_DROP), seen by
 *	nobody.
 */
struct tm_ops {
	void (*event)(void *priv, struct tm_flow *f, const struct tm_ev *ev,
		      const struct tm_src *src, const struct tm_pkt *p);
	void (*data)(void *priv, struct tm_flow *f, int side, u64 off,
		     tm_copy_t copy, const void *src, unsigned int off_in_src,
		     unsigned int len);
	unsigned int (*classify)(void *priv, const struct tm_src *src,
				 const struct tm_pkt *p, u32 *rule);
	void (*flow)(void *priv, struct tm_flow *f, const struct tm_src *src,
		     const struct tm_pkt *p);
	bool (*reserve)(void *priv, struct tm_flow *f, int side,
			const struct tm_src *src, const struct tm_pkt *p);
};

/**
 * enum tm_overlap - which bytes win where segments overlap
 * @TM_OVERLAP_FIRST: the bytes seen first (a zero &tm_table_cfg.overlap)
 * @TM_OVERLAP_LAST: the bytes seen last, while not yet delivered
 * @TM_OVERLAP_LINUX: the bytes a Linux receiver's read() returns
 *	(tcp_data_queue() and tcp_data_queue_ofo() in net/ipv4/tcp_input.c):
 *	a segment at the stream's edge wins over stored bytes; of stored
 *	segments, the one that starts first wins, and one that starts where
 *	a stored one starts and ends after it replaces it
 */
enum tm_overlap {
	TM_OVERLAP_FIRST,
	TM_OVERLAP_LAST,
	TM_OVERLAP_LINUX,
};

/**
 * struct tm_table_cfg - limits and policies of a table
 * @max_flows: flows at most; 0 for the default (%TM_DEF_MAX_FLOWS)
 * @buckets: hash buckets, a power of two; 0: from @max_flows
 * @buf_side: out-of-order bytes per side at most; 0: %TM_DEF_BUF_SIDE
 * @buf_total: out-of-order bytes per table at most; 0: %TM_DEF_BUF_TOTAL
 * @seg_side: out-of-order pieces per side at most; 0: %TM_DEF_SEG_SIDE
 * @timeout: idle timeout per state, seconds; 0: the default
 * @timeout_rst: idle timeout of a flow reset with mos_tm_reset(), seconds;
 *	0: default
 * @midstream: create flows from packets of unknown connections
 * @paws: &enum tm_paws: where segments PAWS discards are refused
 * @overlap: &enum tm_overlap
 * @store_age_ms: a side's out-of-order store whose hole is older than
 *	this (ms) is given up; 0: %TM_DEF_STORE_AGE_MS
 * @priv_size: bytes after each &struct tm_flow for the user
 */
struct tm_table_cfg {
	u32 max_flows;
	u32 buckets;
	u32 buf_side;
	u64 buf_total;
	u32 seg_side;
	u32 timeout[TM_NSTATES];
	u32 timeout_rst;
	bool midstream;
	u8 paws;
	u8 overlap;
	u32 store_age_ms;
	u32 priv_size;
};

#define TM_DEF_MAX_FLOWS	65536
#define TM_DEF_BUF_SIDE		(256 * 1024)
#define TM_DEF_BUF_TOTAL	(64ULL * 1024 * 1024)
/*
 * 4096 pieces: 64 bytes each on average fill %TM_DEF_BUF_SIDE; a side's
 * tree is then at most 24 levels deep, and a flush hands over at most
 * that many pieces under the flow's lock.
 */
#define TM_DEF_SEG_SIDE		4096
#define TM_DEF_TIMEOUT_RST	10
/*
 * At the flow limit a flow heard from both ends is evicted only once it
 * has been idle this long, seconds (table.c, tm_evict())
 */
#define TM_EVICT_IDLE		60

/**
 * enum tm_paws - where the tracker refuses what PAWS discards
 * @TM_PAWS_AUTO: for a side whose receiver is this host (%TM_HA_LOCAL):
 *	the monitor sees its segments in the order it takes them.  The
 *	default, and a zero &tm_table_cfg.paws.
 * @TM_PAWS_ON: for every side: a monitor that sees the receiver's order
 *	(one in its path that forwards in order)
 * @TM_PAWS_OFF: for no side
 *
 * A monitor away from the receiver may see segments in another order than
 * the receiver does, take ts_recent from a segment the receiver has not
 * had yet, and refuse bytes the receiver took.  The values are those of
 * &enum mos_paws.
 */
enum tm_paws {
	TM_PAWS_AUTO,
	TM_PAWS_ON,
	TM_PAWS_OFF,
};

#define TM_DEF_STORE_AGE_MS	30000

/* Input flags */
#define TM_IN_CSUM_BAD		0x1	/* the TCP checksum is wrong */
/*
 * The packet may be dropped (inline): rather than skip a hole when a
 * segment after it does not fit the out-of-order store, drop the segment
 * so that its sender retransmits it once the hole is filled.
 */
#define TM_IN_LOSSLESS		0x2
/*
 * The caller drops what the rules drop (inline, with drop or reset rules):
 * a TCP segment that ends up in no flow (an orphan, a segment with a bad
 * checksum and no flow) is classified all the same (&tm_ops.classify with
 * %TM_RULE_NOFLOW), and a drop or reset applies to it; a flow a drop
 * applies to that cannot be created (limit, memory) still has its packet
 * dropped.  The rules fail closed.
 */
#define TM_IN_FAILCLOSED	0x4
/*
 * Where the ends of a flow are, told by the caller for the packets that
 * may create one (SYNs), and kept by the flow it creates (%TM_HA_LOCAL):
 * the packet's sender is this host (it was sent from here), its
 * destination address is one of this host's.
 */
#define TM_IN_SRC_LOCAL		0x8
#define TM_IN_DST_LOCAL		0x10

/* *rule on entry to &tm_ops.classify for a segment of no flow */
#define TM_RULE_NOFLOW		0xffffffffU

int mos_tm_init(u32 priv_size);
void mos_tm_exit(void);
void mos_tm_set_mem_limit(unsigned long bytes);
struct tm_table *mos_tm_table_new(const struct tm_table_cfg *cfg,
				  const struct tm_ops *ops, void *priv);
void mos_tm_table_free(struct tm_table *t);
enum tm_verdict mos_tm_input(struct tm_table *t, const struct tm_src *src,
			     enum tm_parse_res res, const struct tm_pkt *p,
			     u64 now, unsigned int flags);
unsigned int mos_tm_expire(struct tm_table *t, u64 now, unsigned int budget);
void mos_tm_flush(struct tm_table *t);
void mos_tm_stats(struct tm_table *t, u64 *sum);
unsigned int mos_tm_flows(struct tm_table *t);
u64 mos_tm_ooo_bytes(struct tm_table *t);
const struct tm_table_cfg *mos_tm_cfg(const struct tm_table *t);
void mos_tm_cfg_defaults(struct tm_table_cfg *cfg);
void mos_tm_set_limits(struct tm_table *t, const struct tm_table_cfg *cfg);
void mos_tm_set_heard(struct tm_table *t, const u64 *events, bool bytes);

/**
 * typedef tm_walk_fn - called by mos_tm_walk() and mos_tm_walk_chains()
 * for each live flow
 * @f: the flow, locked
 * @arg: the caller's
 *
 * Return: 0 to go on, non-zero to stop before this flow.
 */
typedef int (*tm_walk_fn)(struct tm_flow *f, void *arg);
int mos_tm_walk_chains(struct tm_table *t, u32 *bucket, u32 budget,
		       tm_walk_fn fn, void *arg);
int mos_tm_walk(struct tm_table *t, u32 *bucket, u32 *skip, tm_walk_fn fn,
		void *arg);

/**
 * struct tm_key - a flow's endpoints, to find it without a packet
 * @family: 4 or 6
 * @addr: addresses, indexed by &enum tm_side
 * @port: ports, network order
 */
struct tm_key {
	u8 family;
	union tm_addr addr[2];
	__be16 port[2];
};

u32 mos_tm_key_hash(const struct tm_table *t, const struct tm_key *k);
int mos_tm_find(struct tm_table *t, const struct tm_key *k, u64 id,
		tm_walk_fn fn, void *arg);
int mos_tm_reset(struct tm_table *t, u64 id, const struct tm_key *k,
		 u64 now, struct tm_reset *r);
int mos_tm_drop(struct tm_table *t, u64 id, const struct tm_key *k, u64 now);
int mos_tm_overlap(struct tm_table *t, u64 id, const struct tm_key *k,
		   unsigned int sides, unsigned int policy);
int mos_tm_alias(struct tm_table *t, const struct tm_pkt *in,
		 const struct tm_pkt *out);

/**
 * struct tm_pend - a segment between its sender's and its receiver's update
 * @key: its flow's endpoints
 * @id: its flow's id (&tm_flow.id)
 * @side: the side that sent it
 * @nacc: why its receiver discards it (&enum tm_err), or %TM_ERR_NONE
 * @rst_err: a reset's finding (&enum tm_err), or %TM_ERR_NONE
 * @flags: %TM_PEND_*
 *
 * Filled by mos_tm_input_split() when the receiver's update waits, and
 * given back to mos_tm_resume() when the segment goes on to its receiver.
 */
struct tm_pend {
	struct tm_key key;
	u64 id;
	u8 side;
	u8 nacc;
	u8 rst_err;
	u8 flags;
};

#define TM_PEND_WAITS	0x1	/* filled: the receiver's update waits */
#define TM_PEND_OK	0x2	/* the sender's update took the segment */
#define TM_PEND_DUP	0x4	/* a late duplicate, counted already */
#define TM_PEND_REXMIT	0x8	/* a retransmission */

/**
 * struct tm_split - the caller's say in where a segment's update stops
 * @wait: asked with the flow locked, after the sender's update of a
 *	segment (its events reported): true if the receiver's update must
 *	wait until the segment goes on (mos_tm_resume()); @p is the segment
 * @arg: @wait's argument
 * @pend: filled when it waits (%TM_PEND_WAITS in &tm_pend.flags)
 */
struct tm_split {
	bool (*wait)(void *arg, const struct tm_pkt *p);
	void *arg;
	struct tm_pend pend;
};

enum tm_verdict mos_tm_input_split(struct tm_table *t,
				   const struct tm_src *src,
				   enum tm_parse_res res,
				   const struct tm_pkt *p, u64 now,
				   unsigned int flags, struct tm_split *sp);
int mos_tm_resume(struct tm_table *t, const struct tm_pend *pd,
		  const struct tm_src *src, const struct tm_pkt *p, u64 now);

#endif /* _MOS_TCPMON_H */
