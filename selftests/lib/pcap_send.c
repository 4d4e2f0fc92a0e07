// SPDX-License-Identifier: GPL-2.0
/*
 * pcap_send.c - put a capture's packets on an interface, as they are
 *
 * Usage: pcap_send [-r PPS] IFACE DSTMAC FILE [FIRST [END]]
 *
 * Sends packets FIRST (from 0) up to END (not included; default: all) of
 * FILE through an AF_PACKET socket bound to IFACE, one after the other,
 * each with its Ethernet destination replaced by DSTMAC (the address of
 * the veth at the other end) so that the receiving stack takes it as
 * its own.  Raw-IP captures (DLT_RAW)
 * get an Ethernet header.  Nothing in the packets is checked or fixed:
 * the VM tests use this for crafted and malformed packets, which real
 * TCP stacks do not send.
 *
 * The process first binds itself to the CPU it runs on.  A veth puts
 * each frame on the receive backlog of the sending CPU; when that backlog
 * is left to ksoftirqd (a budget ran out), a sender that moved to another
 * CPU could have its next packet processed before the ones still queued.
 * On one CPU, the receiver sees the capture's order.
 *
 * With -r, at most PPS packets a second on average (bench/mirror_rate;
 * 0: as fast as they go, only timed): packet k leaves no earlier than a
 * millisecond before k / PPS seconds after the first (pace() below), and
 * a second line "ns N" gives the time from the first packet to the last.
 *
 * Prints "sent N" on success.  Exit status: 0, 1 on an error (said on
 * standard error), 2 on a usage error.
 */

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#define FRAME_MAX	(ETH_HLEN + 65535)

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[ETH_ALEN];
	int i;
	char c;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &c) != ETH_ALEN)
		return -1;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

/* pin_cpu: bind the process to the CPU it runs on (see the top comment) */
static int pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0) {
		perror("pcap_send: sched_getcpu");
		return -1;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("pcap_send: sched_setaffinity");
		return -1;
	}
	return 0;
}

/*
 * pace: wait until packet @k of a stream of @pps packets a second that
 * started at @t0 is due, when that is more than PACE_SLACK_NS away: a
 * sender behind its schedule catches up at once, one ahead sleeps in
 * steps of a millisecond or more (a wake-up per packet costs a TCG guest
 * more than sending does)
 */
#define PACE_SLACK_NS	1000000ULL

static unsigned long long ts_ns(const struct timespec *t)
{
	return (unsigned long long)t->tv_sec * 1000000000ULL + t->tv_nsec;
}

static void pace(const struct timespec *t0, unsigned long k, unsigned long pps)
{
	unsigned long long due = ts_ns(t0) + k * 1000000000ULL / pps;
	struct timespec now, d;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (due <= ts_ns(&now) + PACE_SLACK_NS)
		return;
	d.tv_sec = due / 1000000000ULL;
	d.tv_nsec = due % 1000000000ULL;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	static unsigned char frame[FRAME_MAX];
	char errbuf[PCAP_ERRBUF_SIZE];
	unsigned long first = 0, end = ~0UL, i, sent = 0, pps = 0;
	int timed = 0;
	struct timespec t0 = { 0 }, t1;
	const unsigned char *data;
	unsigned char dst[ETH_ALEN];
	struct sockaddr_ll sll;
	struct pcap_pkthdr *h;
	int fd, dlt, rc = 1, r;
	pcap_t *p;

	if (argc > 2 && !strcmp(argv[1], "-r")) {
		char *e;

		pps = strtoul(argv[2], &e, 10);
		if (*e || e == argv[2] || pps > 100000000) {
			fprintf(stderr, "pcap_send: -r %s: want 0..100000000\n",
				argv[2]);
			return 2;
		}
		timed = 1;
		argv += 2;
		argc -= 2;
	}
	if (argc < 4 || argc > 6 || parse_mac(argv[2], dst)) {
		fprintf(stderr,
			"usage: pcap_send [-r PPS] IFACE DSTMAC FILE [FIRST [END]]\n");
		return 2;
	}
	if (pin_cpu())
		return 1;
	if (argc > 4)
		first = strtoul(argv[4], NULL, 10);
	if (argc > 5)
		end = strtoul(argv[5], NULL, 10);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(argv[1]);
	sll.sll_halen = ETH_ALEN;
	if (!sll.sll_ifindex) {
		fprintf(stderr, "pcap_send: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = pcap_open_offline(argv[3], errbuf);
	if (!p) {
		fprintf(stderr, "pcap_send: %s\n", errbuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB && dlt != DLT_RAW) {
		fprintf(stderr, "pcap_send: %s: link type %d, not Ethernet or raw IP\n",
			argv[3], dlt);
		goto out;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("pcap_send: AF_PACKET");
		goto out;
	}
	for (i = 0; (r = pcap_next_ex(p, &h, &data)) == 1 && i < end; i++) {
		size_t len = h->caplen;
		unsigned char *f = frame;

		if (i < first)
			continue;
		if (dlt == DLT_RAW) {
			uint16_t type = len && (data[0] >> 4) == 6 ?
					ETH_P_IPV6 : ETH_P_IP;

			if (len > FRAME_MAX - ETH_HLEN)
				len = FRAME_MAX - ETH_HLEN;
			memset(frame + ETH_ALEN, 0, ETH_ALEN);
			frame[12] = type >> 8;
			frame[13] = type & 0xff;
			memcpy(frame + ETH_HLEN, data, len);
			len += ETH_HLEN;
		} else {
			if (len < ETH_HLEN)
				continue;
			memcpy(frame, data, len);
		}
		memcpy(f, dst, ETH_ALEN);
		memcpy(sll.sll_addr, dst, ETH_ALEN);
		if (timed && !sent) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
		} else if (pps) {
			pace(&t0, sent, pps);
		}
		if (sendto(fd, f, len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) < 0) {
			fprintf(stderr, "pcap_send: packet %lu: %s\n", i,
				strerror(errno));
			close(fd);
			goto out;
		}
		sent++;
	}
	close(fd);
	if (r == PCAP_ERROR) {
		fprintf(stderr, "pcap_send: %s\n", pcap_geterr(p));
		goto out;
	}
	printf("sent %lu\n", sent);
	if (timed) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("ns %lld\n", (long long)(t1.tv_sec - t0.tv_sec) *
		       1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	}
	rc = 0;
out:
	pcap_close(p);
	return rc;
}
