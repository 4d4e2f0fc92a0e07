// SPDX-License-Identifier: GPL-2.0
/*
 * pkt.c - one builder of IPv4 and IPv6 TCP packets for the tools and tests
 *
 * See pkt.h.  The builder writes every header byte (a reused buffer
 * keeps nothing of its last packet) and nothing past the packet.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "csum.h"
#include "pkt.h"

/**
 * pkt_tcp_hlen() - the IP and TCP header bytes of a packet
 * @p:	its description
 *
 * Return: the payload's offset in the packet.
 */
unsigned int pkt_tcp_hlen(const struct pkt_tcp *p)
{
	return (p->family == 4 ? 20 : 40) + 20 + p->optlen;
}

/**
 * pkt_tcp_csum() - fill in the checksums of a packet
 * @buf:	the packet from its IP header on, as pkt_tcp() built it
 *		(IPv4 without options, or IPv6 without extension headers)
 * @len:	its length
 *
 * The IPv4 header checksum, and the TCP checksum over the pseudo-header,
 * the TCP header and the payload.
 */
void pkt_tcp_csum(uint8_t *buf, size_t len)
{
	unsigned int family = buf[0] >> 4;
	unsigned int ipl = family == 4 ? 20 : 40;
	uint8_t *th = buf + ipl;
	uint64_t sum;

	if (family == 4) {
		pkt_put16(buf + 10, 0);
		pkt_put16(buf + 10, csum_final(csum_add(0, buf, 20)));
	}
	pkt_put16(th + 16, 0);
	sum = csum_pseudo(family, buf + (family == 4 ? 12 : 8), IPPROTO_TCP,
			  (uint32_t)(len - ipl));
	pkt_put16(th + 16, csum_final(csum_add(sum, th, len - ipl)));
}

/**
 * pkt_tcp() - build a TCP packet
 * @buf:	where, from the IP header on
 * @size:	room at @buf
 * @p:		the packet
 *
 * Return: the packet's length; 0 (nothing written) when it does not fit
 * in @size, or the options are not a multiple of 4 up to 40 bytes.
 */
size_t pkt_tcp(uint8_t *buf, size_t size, const struct pkt_tcp *p)
{
	unsigned int ipl = p->family == 4 ? 20 : 40;
	unsigned int thl = 20 + p->optlen;
	size_t n = ipl + thl, len = n + p->len;
	uint8_t ttl = p->ttl ? p->ttl : 64;
	uint8_t *th = buf + ipl;

	if (p->optlen % 4 || p->optlen > 40 || len > size)
		return 0;
	memset(buf, 0, n);
	if (p->family == 4) {
		buf[0] = 0x45;
		pkt_put16(buf + 2, (uint16_t)len);
		pkt_put16(buf + 4, p->ipid);
		if (p->ip_flags & PKT_DF)
			buf[6] = 0x40;
		buf[8] = ttl;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, p->src, 4);
		memcpy(buf + 16, p->dst, 4);
	} else {
		pkt_put32(buf, 0x60000000 | (p->flowlabel & 0xfffff));
		pkt_put16(buf + 4, (uint16_t)(thl + p->len));
		buf[6] = IPPROTO_TCP;
		buf[7] = ttl;
		memcpy(buf + 8, p->src, 16);
		memcpy(buf + 24, p->dst, 16);
	}
	pkt_put16(th, p->sport);
	pkt_put16(th + 2, p->dport);
	pkt_put32(th + 4, p->seq);
	pkt_put32(th + 8, p->ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = p->flags;
	pkt_put16(th + 14, p->win);
	pkt_put16(th + 18, p->urg);
	if (p->optlen)
		memcpy(th + 20, p->opt, p->optlen);
	if (p->data && p->len)
		memcpy(buf + n, p->data, p->len);
	if (p->ip_flags & PKT_CSUM)
		pkt_tcp_csum(buf, len);
	return len;
}

FILE *pkt_pcap_create(char *tmpl, uint32_t snaplen)
{
	/* magic (nanoseconds), version 2.4, zone, accuracy, snaplen, link */
	const uint32_t hdr[6] = { 0xa1b23c4d, 2 | 4 << 16, 0, 0, snaplen, 101 };
	FILE *f;
	int fd;

	fd = mkstemp(tmpl);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return NULL;
	}
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1) {
		fclose(f);
		return NULL;
	}
	return f;
}

int pkt_pcap_add(FILE *f, uint64_t ts_ns, const void *pkt, uint32_t len)
{
	const uint32_t rec[4] = {
		(uint32_t)(ts_ns / 1000000000ULL),
		(uint32_t)(ts_ns % 1000000000ULL), len, len,
	};

	if (fwrite(rec, sizeof(rec), 1, f) != 1 ||
	    (len && fwrite(pkt, len, 1, f) != 1))
		return -1;
	return 0;
}
