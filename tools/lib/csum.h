/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csum.h - the Internet checksum (RFC 1071) for the tools and the tests
 *
 * DOC: Theory of Operation
 *
 * One convention for every user (capture.c's verification, the packet
 * builder of pkt.c, mosctl's filter packets):
 *
 *  - csum_add() sums 16-bit big-endian words into a 64-bit accumulator
 *    and never folds: pieces of a sum (pseudo-header, header, payload)
 *    are added one after the other, and only the last piece may have an
 *    odd length (its last byte is the high byte of a word whose low byte
 *    is zero);
 *  - csum_fold() folds the end-around carries: the 16-bit one's
 *    complement sum, 0 only for a sum of zero words;
 *  - csum_final() is the complement of that, the value a checksum field
 *    carries, in host order (write it big-endian).  It is 0x0000, never
 *    0xffff, where the one's complement sum is 0xffff: what Linux and
 *    scapy compute for TCP.  (UDP, where a zero field means "none",
 *    would send 0xffff instead: no user here sends UDP.)
 *  - a received packet is intact when the sum over the pseudo-header
 *    and the segment, its checksum field included, folds to 0xffff.
 *    This takes a field of 0xffff where 0x0000 was computed (the other
 *    one's-complement zero, RFC 1624), as Linux does; tshark 4.0 marks
 *    such a segment bad (see craft_pcaps.py's csum_ffff case).
 *
 * Limits: a sum of up to 2^48 bytes never overflows the accumulator.
 * The functions are inline: capture.c verifies every TCP segment of a
 * replay with them, and it is built into libmosuser, which exports only
 * its API.
 */
#ifndef _TOOLS_CSUM_H
#define _TOOLS_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/**
 * csum_add() - add bytes to a one's complement sum
 * @sum:	the sum so far (0 to start)
 * @buf:	the bytes
 * @len:	their number; only the last piece of a sum may be odd
 *
 * Return: the new sum, not folded.
 */
static inline uint64_t csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	while (len >= 2) {
		sum += (uint32_t)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

/**
 * csum_fold() - fold a sum into 16 bits, with end-around carry
 * @sum:	a sum from csum_add()
 *
 * Return: the 16-bit one's complement sum; 0xffff over an intact packet.
 */
static inline uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * csum_final() - the checksum field's value for a sum
 * @sum:	a sum from csum_add(), with the field zero
 *
 * Return: the complement of the folded sum, in host order.
 */
static inline uint16_t csum_final(uint64_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

/**
 * csum_pseudo() - the sum of a TCP or UDP pseudo-header
 * @family:	4 or 6
 * @addrs:	the source then the destination address, as in the IP
 *		header (IPv4: its byte 12 on, IPv6: its byte 8 on)
 * @proto:	the transport protocol (%IPPROTO_TCP)
 * @len:	the transport header and payload length
 *
 * IPv4 (RFC 9293 3.1): addresses, zero, protocol, 16-bit length.
 * IPv6 (RFC 8200 8.1): addresses, 32-bit length, three zero bytes,
 * next header.
 *
 * Return: the sum to add the segment to, not folded.
 */
static inline uint64_t csum_pseudo(unsigned int family, const void *addrs,
				   uint8_t proto, uint32_t len)
{
	uint8_t tail[8] = { 0 };

	if (family == 4) {
		tail[1] = proto;
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		return csum_add(csum_add(0, addrs, 8), tail, 4);
	}
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = proto;
	return csum_add(csum_add(0, addrs, 32), tail, 8);
}

#endif /* _TOOLS_CSUM_H */
