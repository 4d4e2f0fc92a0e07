/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpmon.h - interface of the flow-tracking core
 */
#ifndef _MOS_TCPMON_H
#define _MOS_TCPMON_H

#include "tm_port.h"

/**
 * typedef tm_read_t - read bytes of a packet
 * @pkt: the packet, as the caller knows it (an skb, a buffer)
 * @off: offset from the IP header
 * @len: number of bytes wanted
 * @buf: @len bytes the reader may copy into
 *
 * Return: @len contiguous bytes at @off, in the packet or in @buf; NULL if
 * the packet is shorter than @off + @len.
 */
typedef const void *(*tm_read_t)(const void *pkt, unsigned int off,
				 unsigned int len, void *buf);

/**
 * enum tm_parse_res - what a packet turned out to be
 * @TM_PKT_TCP: a TCP segment with a well-formed header
 * @TM_PKT_OTHER: a well-formed IP packet with no TCP header to look at
 * @TM_PKT_BAD: the IP or TCP header does not parse
 */
enum tm_parse_res {
	TM_PKT_TCP,
	TM_PKT_OTHER,
	TM_PKT_BAD,
};

/* The packet is a GSO aggregate: a zero IP length means "all of it". */
#define TM_PARSE_F_GSO		0x1

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

#endif /* _MOS_TCPMON_H */
