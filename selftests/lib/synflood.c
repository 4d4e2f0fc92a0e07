// SPDX-License-Identifier: GPL-2.0
/*
 * synflood.c - SYNs from spoofed IPv4 sources, put on an interface over
 * AF_PACKET: the stress tests' flood at the flow limit
 *
 * Usage: synflood IFACE DSTMAC DST PORT COUNT [SEED]
 *
 * Sends COUNT TCP SYNs to DST:PORT, each from its own address of
 * 172.16.0.0/12 (a permutation of the 2^20 addresses, so no two SYNs are
 * of one connection) and a pseudo-random port, with valid IP and TCP
 * checksums, out of IFACE to DSTMAC.  Prints "sent N".
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t g_rnd = 2463534242U;

static uint32_t rnd(void)
{
	g_rnd ^= g_rnd << 13;
	g_rnd ^= g_rnd >> 17;
	g_rnd ^= g_rnd << 5;
	return g_rnd;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int main(int argc, char **argv)
{
	struct {
		struct ether_header eth;
		struct iphdr ip;
		struct tcphdr tcp;
	} __attribute__((packed)) pkt;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	unsigned long count, i, sent = 0;
	unsigned int mac[6], port, k;
	struct in_addr dst;
	int s;

	if (argc < 6 || argc > 7 ||
	    sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5]) != 6 ||
	    inet_pton(AF_INET, argv[3], &dst) != 1) {
		fprintf(stderr, "usage: synflood IFACE DSTMAC DST PORT COUNT [SEED]\n");
		return 2;
	}
	port = strtoul(argv[4], NULL, 0);
	count = strtoul(argv[5], NULL, 0);
	if (argc == 7)
		g_rnd = strtoul(argv[6], NULL, 0) | 1;
	if (count > 1UL << 20) {
		fprintf(stderr, "synflood: at most %lu SYNs\n", 1UL << 20);
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

	memset(&pkt, 0, sizeof(pkt));
	for (k = 0; k < 6; k++)
		pkt.eth.ether_dhost[k] = mac[k];
	pkt.eth.ether_shost[0] = 0x02;
	pkt.eth.ether_type = htons(ETHERTYPE_IP);
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.tot_len = htons(sizeof(pkt.ip) + sizeof(pkt.tcp));
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.daddr = dst.s_addr;
	pkt.tcp.dest = htons(port);
	pkt.tcp.doff = 5;
	pkt.tcp.syn = 1;
	pkt.tcp.window = htons(64240);

	for (i = 0; i < count; i++) {
		/* An odd multiplier permutes 0 .. 2^20 - 1 */
		uint32_t host = (uint32_t)(i * 2654435761UL) & 0xfffff;
		uint32_t sum;
		struct {
			uint32_t saddr, daddr;
			uint8_t zero, proto;
			uint16_t len;
		} ph;

		pkt.ip.saddr = htonl(0xac100000U | host);
		pkt.ip.id = htons((uint16_t)i);
		pkt.ip.check = 0;
		pkt.ip.check = csum_fold(csum_add(0, &pkt.ip, sizeof(pkt.ip)));
		pkt.tcp.source = htons(1024 + rnd() % 64000);
		pkt.tcp.seq = htonl(rnd());
		pkt.tcp.check = 0;
		ph.saddr = pkt.ip.saddr;
		ph.daddr = pkt.ip.daddr;
		ph.zero = 0;
		ph.proto = IPPROTO_TCP;
		ph.len = htons(sizeof(pkt.tcp));
		sum = csum_add(0, &ph, sizeof(ph));
		pkt.tcp.check = csum_fold(csum_add(sum, &pkt.tcp, sizeof(pkt.tcp)));
		while (sendto(s, &pkt, sizeof(pkt), 0, (void *)&ll,
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
