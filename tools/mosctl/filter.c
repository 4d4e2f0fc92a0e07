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
#include "pkt.h"

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
	struct pkt_tcp p = {
		.family = f->family == 6 ? 6 : 4,
		.src = f->cli,
		.dst = f->svr,
		.sport = f->cli_port,
		.dport = f->svr_port,
		.flags = f->midstream ? 0x10 : 0x02,	/* ACK : SYN */
		.win = 65535,
		.ip_flags = PKT_DF | PKT_CSUM,
	};

	return pkt_tcp(buf, FLOW_PKT_MAX, &p);
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
