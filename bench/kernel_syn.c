// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_syn.c - a stream of IPv4 SYNs for bench/kernel's dropped packets
 *
 * DOC: Theory of Operation
 *
 * kernel_syn SRC DST DPORT SPORT COUNT
 *	prints "kernel_syn: ready" on stderr, then for each line "run" it
 *	reads on stdin sends COUNT TCP SYNs from SRC to DST:DPORT through a
 *	raw socket (IP_HDRINCL), source ports SPORT, SPORT + 1, ... (wrapping
 *	within 1024..65535), each a 40-byte IPv4 + TCP header with both
 *	checksums computed here (as on a wire: no checksum offload reaches the
 *	receiver's XDP), and prints "syn sent=N".  The same bytes on every
 *	run but the ports, nothing driven by a clock.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned char pkt[40], ph[12];
	struct in_addr src;
	unsigned long count, sport, sent;
	char line[64];
	int fd;

	if (argc != 6 || inet_pton(AF_INET, argv[1], &src) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: kernel_syn SRC DST DPORT SPORT COUNT\n");
		return 2;
	}
	sport = strtoul(argv[4], NULL, 10);
	count = strtoul(argv[5], NULL, 10);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;			/* IPv4, 20-byte header */
	put16(pkt + 2, sizeof(pkt));
	pkt[6] = 0x40;			/* DF */
	pkt[8] = 64;			/* TTL */
	pkt[9] = IPPROTO_TCP;
	memcpy(pkt + 12, &src, 4);
	memcpy(pkt + 16, &dst.sin_addr, 4);
	put16(pkt + 10, csum_fold(csum_add(0, pkt, 20)));
	put16(pkt + 22, (uint16_t)strtoul(argv[3], NULL, 10));
	put16(pkt + 24, 0x1234);	/* sequence number */
	pkt[32] = 5 << 4;		/* data offset: 20 bytes */
	pkt[33] = 0x02;			/* SYN */
	put16(pkt + 34, 64240);		/* window */
	memcpy(ph, pkt + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP;
	put16(ph + 10, 20);

	fprintf(stderr, "kernel_syn: ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		for (sent = 0; sent < count; sent++) {
			unsigned char *tcp = pkt + 20;

			put16(tcp, (uint16_t)sport);
			sport = sport >= 65535 ? 1024 : sport + 1;
			put16(tcp + 16, 0);
			put16(tcp + 16, csum_fold(csum_add(csum_add(0, ph, 12), tcp, 20)));
			if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst,
				   sizeof(dst)) != sizeof(pkt)) {
				perror("sendto");
				return 1;
			}
		}
		printf("syn sent=%lu\n", sent);
		fflush(stdout);
	}
	return 0;
}
