// SPDX-License-Identifier: GPL-2.0
/*
 * synflood.c - SYNs from spoofed IPv4 sources, put on an interface over
 * AF_PACKET: the stress tests' flood at the flow limit
 *
 * Usage: synflood IFACE DSTMAC DST PORT COUNT [SEED [ack]]
 *
 * Sends COUNT TCP SYNs to DST:PORT, each from its own address of
 * 172.16.0.0/12 (a permutation of the 2^20 addresses, so no two SYNs are
 * of one connection) and a pseudo-random port, with valid IP and TCP
 * checksums, out of IFACE to DSTMAC.  Prints "sent N".
 *
 * With "ack": bare ACKs instead, at pseudo-random sequence and
 * acknowledgement numbers, what a monitor that picks up connections
 * mid-stream takes for connections under way.  Their sources are the
 * other half of the permutation: at most 2^19 of either kind, and a SYN
 * flood and an ACK flood never share a connection.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pkt.h"

static uint32_t g_rnd = 2463534242U;

static uint32_t rnd(void)
{
	g_rnd ^= g_rnd << 13;
	g_rnd ^= g_rnd >> 17;
	g_rnd ^= g_rnd << 5;
	return g_rnd;
}

int main(int argc, char **argv)
{
	uint8_t frame[ETHER_HDR_LEN + 40];
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	unsigned long count, i, sent = 0;
	unsigned int mac[6], port, k, half = 0;
	uint8_t flags = TH_SYN;
	struct in_addr dst;
	uint32_t src;
	size_t len;
	int s;

	if (argc < 6 || argc > 8 ||
	    (argc == 8 && strcmp(argv[7], "ack")) ||
	    sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5]) != 6 ||
	    inet_pton(AF_INET, argv[3], &dst) != 1) {
		fprintf(stderr, "usage: synflood IFACE DSTMAC DST PORT COUNT [SEED [ack]]\n");
		return 2;
	}
	port = strtoul(argv[4], NULL, 0);
	count = strtoul(argv[5], NULL, 0);
	if (argc >= 7)
		g_rnd = strtoul(argv[6], NULL, 0) | 1;
	if (argc == 8) {
		flags = TH_ACK;
		half = 1U << 19;
	}
	if (count > 1UL << 19) {
		fprintf(stderr, "synflood: at most %lu packets\n", 1UL << 19);
		return 2;
	}
	ll.sll_ifindex = if_nametoindex(argv[1]);
	if (!ll.sll_ifindex) {
		perror("synflood: interface");
		return 1;
	}
	s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0) {
		perror("synflood: AF_PACKET");
		return 1;
	}
	for (k = 0; k < 6; k++)
		ll.sll_addr[k] = mac[k];

	/* Ethernet from 02:00:00:00:00:00; the SYNs from the builder */
	memset(frame, 0, ETHER_HDR_LEN);
	for (k = 0; k < 6; k++)
		frame[k] = mac[k];
	frame[6] = 0x02;
	pkt_put16(frame + 12, ETHERTYPE_IP);

	for (i = 0; i < count; i++) {
		/* An odd multiplier permutes 0 .. 2^20 - 1 */
		uint32_t host = (uint32_t)((i + half) * 2654435761UL) & 0xfffff;
		struct pkt_tcp syn = {
			.family = 4,
			.src = &src,
			.dst = &dst,
			.dport = port,
			.flags = flags,
			.win = 64240,
			.ip_flags = PKT_CSUM,
			.ipid = (uint16_t)i,
		};

		src = htonl(0xac100000U | host);
		syn.sport = 1024 + rnd() % 64000;
		syn.seq = rnd();
		if (flags & TH_ACK)
			syn.ack = rnd();
		len = ETHER_HDR_LEN + pkt_tcp(frame + ETHER_HDR_LEN,
					      sizeof(frame) - ETHER_HDR_LEN,
					      &syn);
		while (sendto(s, frame, len, 0, (void *)&ll,
			      sizeof(ll)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("synflood: sendto");
				return 1;
			}
			usleep(1000);
		}
		sent++;
	}
	printf("sent %lu\n", sent);
	close(s);
	return 0;
}
