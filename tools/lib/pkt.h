/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pkt.h - one builder of IPv4 and IPv6 TCP packets for the tools and tests
 *
 * The unit tests (tm_util.c), the fuzzer, the libmosuser tests, the
 * benchmark's capture generator, the SYN flood and mosctl's filter
 * packets all build their packets here: an IP header (IPv4 without
 * options, or IPv6 without extension headers), a TCP header with the
 * caller's option bytes, and the payload.  Link-layer framing stays with
 * the caller.
 *
 * What a field of the result holds when the description leaves it out:
 * IPv4 TOS, ID, fragment offset 0; IPv6 traffic class 0; TTL or hop limit 64; checksums 0 unless %PKT_CSUM (see
 * csum.h for their convention).
 */
#ifndef _TOOLS_PKT_H
#define _TOOLS_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* struct pkt_tcp.ip_flags */
#define PKT_DF		0x1	/* IPv4: don't fragment */
#define PKT_CSUM	0x2	/* compute the IPv4 header and TCP checksums */

/* The largest IP and TCP headers the builder writes */
#define PKT_HDR_MAX	(40 + 60)

/**
 * struct pkt_tcp - a TCP packet to build; zero is the default
 * @family:	4 or 6
 * @src:	source address, 4 or 16 bytes in network order
 * @dst:	destination address, the same
 * @sport:	source port, host order
 * @dport:	destination port, host order
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @flags:	TCP flags byte
 * @win:	window field
 * @urg:	urgent pointer field
 * @opt:	TCP option bytes, a multiple of 4, at most 40
 * @optlen:	their number
 * @data:	payload; NULL: the caller has put @len bytes at
 *		pkt_tcp_hlen() already (the checksum covers them)
 * @len:	payload length
 * @ip_flags:	%PKT_DF, %PKT_CSUM
 * @ipid:	IPv4 identification
 * @flowlabel:	IPv6 flow label (20 bits)
 * @ttl:	TTL or hop limit; 0 means 64
 */
struct pkt_tcp {
	uint8_t family;
	const void *src;
	const void *dst;
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t win;
	uint16_t urg;
	const void *opt;
	unsigned int optlen;
	const void *data;
	unsigned int len;
	unsigned int ip_flags;
	uint16_t ipid;
	uint32_t flowlabel;
	uint8_t ttl;
};

unsigned int pkt_tcp_hlen(const struct pkt_tcp *p);
size_t pkt_tcp(uint8_t *buf, size_t size, const struct pkt_tcp *p);
void pkt_tcp_csum(uint8_t *buf, size_t len);

/*
 * A capture of the packets built here: a pcap file of raw IP (link type
 * 101) with nanosecond times, in host byte order, in a new file made from
 * the mkstemp() template @tmpl.  NULL on failure, with errno set.
 */
FILE *pkt_pcap_create(char *tmpl, uint32_t snaplen);
/* One packet of @len bytes at @ts_ns; 0, or -1 with errno set */
int pkt_pcap_add(FILE *f, uint64_t ts_ns, const void *pkt, uint32_t len);

static inline void pkt_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

#endif /* _TOOLS_PKT_H */
