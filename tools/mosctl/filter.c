// SPDX-License-Identifier: GPL-2.0
/*
 * filter.c - pcap expressions: compiled for rules, tried on flows
 *
 * A rule's program runs in the kernel on a flow's first packet, from its
 * IP header on (libpcap's DLT_RAW).  "mosctl flows EXPR" runs the same
 * kind of program here, on the packet that would have opened each flow:
 * an IP header and a bare TCP header from the client to the server, with
 * SYN set (ACK alone for a flow picked up mid-stream).
 */

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "mosctl.h"

/* libpcap's instructions are the kernel's struct sock_filter */
_Static_assert(sizeof(struct bpf_insn) == 8, "struct bpf_insn is not 8 bytes");

/**
 * filter_compile() - compile a pcap expression for raw IP packets
 * @verb: the command, for the error message
 * @expr: the expression
 * @prog: the program; pcap_freecode() it
 *
 * Prints "mosctl: VERB: bad filter: ..." with libpcap's message when the
 * expression does not compile.
 *
 * Return: 0 or -1.
 */
int filter_compile(const char *verb, const char *expr,
		   struct bpf_program *prog)
{
	pcap_t *p = pcap_open_dead(DLT_RAW, 65535);

	if (!p) {
		fprintf(stderr, "mosctl: %s: cannot set up libpcap\n", verb);
		return -1;
	}
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, "mosctl: %s: bad filter: %s\n", verb,
			pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/**
 * flow_first_packet() - the packet that opened a flow, as its rules saw it
 * @f: the flow
 * @buf: room for %FLOW_PKT_MAX bytes
 *
 * An IPv4 (20 bytes, DF, TTL 64) or IPv6 (40 bytes, hop limit 64) header
 * and a 20-byte TCP header from the client to the server: SYN, or ACK
 * alone when the flow was picked up mid-stream; sequence numbers 0,
 * window 65535, checksums right.
 *
 * Return: the packet's length.
 */
size_t flow_first_packet(const struct mos_flow *f, uint8_t *buf)
{
	size_t ip_len = f->family == 6 ? 40 : 20;
	size_t alen = f->family == 6 ? 16 : 4;
	uint8_t *tcp = buf + ip_len;
	uint8_t pseudo[4];
	uint32_t sum;

	memset(buf, 0, ip_len + 20);
	if (f->family == 6) {
		buf[0] = 0x60;
		put16(buf + 4, 20);		/* payload length */
		buf[6] = IPPROTO_TCP;
		buf[7] = 64;			/* hop limit */
		memcpy(buf + 8, f->cli, 16);
		memcpy(buf + 24, f->svr, 16);
	} else {
		buf[0] = 0x45;
		put16(buf + 2, 40);		/* total length */
		put16(buf + 6, 0x4000);		/* DF */
		buf[8] = 64;			/* TTL */
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, f->cli, 4);
		memcpy(buf + 16, f->svr, 4);
		put16(buf + 10, csum_fold(csum_add(0, buf, 20)));
	}

	put16(tcp, f->cli_port);
	put16(tcp + 2, f->svr_port);
	tcp[12] = 5 << 4;			/* data offset */
	tcp[13] = f->midstream ? 0x10 : 0x02;	/* ACK : SYN */
	put16(tcp + 14, 65535);			/* window */

	/* pseudo-header: addresses, protocol, TCP length */
	sum = csum_add(0, f->cli, alen);
	sum = csum_add(sum, f->svr, alen);
	pseudo[0] = 0;
	pseudo[1] = IPPROTO_TCP;
	put16(pseudo + 2, 20);
	sum = csum_add(sum, pseudo, sizeof(pseudo));
	sum = csum_add(sum, tcp, 20);
	put16(tcp + 16, csum_fold(sum));
	return ip_len + 20;
}

/**
 * filter_match() - whether a program matches a flow's first packet
 * @prog: from filter_compile()
 * @f: the flow
 *
 * Return: true when the program returns non-zero on flow_first_packet().
 */
bool filter_match(const struct bpf_program *prog, const struct mos_flow *f)
{
	uint8_t buf[FLOW_PKT_MAX];
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.len = flow_first_packet(f, buf);
	h.caplen = h.len;
	return pcap_offline_filter(prog, &h, buf) != 0;
}
