// SPDX-License-Identifier: GPL-2.0
/*
 * pcap_baseline.c - read a capture with libpcap and nothing else
 *
 * DOC: Theory of Operation
 *
 * The floor of the replay benchmark: pcap_loop() over the file, counting
 * packets and captured bytes.  Every tracker measured by bench/replay reads
 * its packets this way too, so what a tracker costs above this line is the
 * tracking.
 *
 * Output: one line, "pcap packets=N bytes=N".
 */

#include <pcap/pcap.h>
#include <stdio.h>

struct count {
	unsigned long long packets;
	unsigned long long bytes;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *data)
{
	struct count *c = (struct count *)user;

	(void)data;
	c->packets++;
	c->bytes += h->caplen;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct count c = { 0, 0 };
	pcap_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_baseline FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_baseline: %s\n", err);
		return 1;
	}
	if (pcap_loop(p, -1, on_packet, (u_char *)&c) == -1) {
		fprintf(stderr, "pcap_baseline: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("pcap packets=%llu bytes=%llu\n", c.packets, c.bytes);
	return 0;
}
