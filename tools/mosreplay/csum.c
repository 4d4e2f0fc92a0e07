// SPDX-License-Identifier: GPL-2.0
/*
 * csum.c - the Internet checksum of TCP segments (RFC 1071, RFC 9293 3.1,
 * RFC 8200 8.1)
 *
 * The sum is taken in 16-bit big-endian words into a 64-bit accumulator
 * and folded at the end; a segment is intact when the one's complement
 * sum over the pseudo-header, the TCP header (checksum field included)
 * and the payload is 0xffff.
 *
 * Limits: the IPv6 pseudo-header uses the destination of the IPv6 header;
 * a routing header that names a different final destination is not
 * followed (such segments would be reported as bad).
 */

#include <stddef.h>
#include "mosreplay.h"

/**
 * csum_add() - add bytes to a one's complement sum
 * @sum:	sum so far
 * @b:		bytes
 * @len:	their number; only the last piece of a sum may be odd
 *
 * Return: the new, unfolded sum.
 */
static u64 csum_add(u64 sum, const u8 *b, size_t len)
{
	while (len >= 2) {
		sum += (u32)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (u32)b[0] << 8;
	return sum;
}

/**
 * csum_fold() - fold a 64-bit sum into 16 bits, end-around carry
 * @sum:	unfolded sum
 *
 * Return: the 16-bit one's complement sum.
 */
static u16 csum_fold(u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/**
 * mr_tcp_csum_ok() - check the TCP checksum of a parsed segment
 * @ip:	the packet from its IP header on, at least as long as its IP
 *	length (mos_tm_parse() checked that)
 * @p:	its headers, a %TM_PKT_TCP of family 4 or 6
 *
 * Return: true if the checksum is right.
 */
bool mr_tcp_csum_ok(const u8 *ip, const struct tm_pkt *p)
{
	u8 tail[8];
	u64 sum;

	if (p->family == 4) {
		/* source and destination, then zero, protocol, TCP length */
		sum = csum_add(0, ip + 12, 8);
		tail[0] = 0;
		tail[1] = IPPROTO_TCP;
		tail[2] = p->l4len >> 8;
		tail[3] = p->l4len;
		sum = csum_add(sum, tail, 4);
	} else {
		/* source and destination, 32-bit length, zeros, next header */
		sum = csum_add(0, ip + 8, 32);
		tail[0] = p->l4len >> 24;
		tail[1] = p->l4len >> 16;
		tail[2] = p->l4len >> 8;
		tail[3] = p->l4len;
		tail[4] = 0;
		tail[5] = 0;
		tail[6] = 0;
		tail[7] = IPPROTO_TCP;
		sum = csum_add(sum, tail, 8);
	}
	sum = csum_add(sum, ip + p->l4off, p->l4len);
	return csum_fold(sum) == 0xffff;
}
