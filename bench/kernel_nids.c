// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_nids.c - libnids on a live capture, for bench/kernel
 *
 * DOC: Theory of Operation
 *
 * Configuration 5a of the kernel benchmark: what a host pays to follow
 * TCP streams from AF_PACKET instead of from mos.  libpcap opens the
 * interface as it does by default on Linux (TPACKET_V3 ring, not
 * immediate mode; a 8 MiB buffer, snapshot length 262144 so that a GSO
 * packet of a veth is captured whole), and libnids reassembles both
 * directions of every TCP connection it sees open, as bench/nids_baseline
 * does offline: the client and the server half collected, TCP checksums
 * not verified (a veth leaves them to be filled in), IPv4 only (libnids
 * skips every other Ethertype).
 *
 * Usage: kernel_nids IFACE
 *
 * Runs until SIGTERM or SIGINT; the caller waits for the capture's ring
 * block timeout (50 ms) to hand over the last packets before signalling.
 * Prints "nids streams=N bytes_c2s=N bytes_s2c=N recv=N drop=N
 * warnings=N": recv and drop are libpcap's pcap_stats(), drop must stay 0;
 * then waits for the end of its standard input before it exits, so that
 * the benchmark can end its phase first.
 */

#include <nids.h>
#include <pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static unsigned long long bytes_c2s, bytes_s2c;
static unsigned long streams, warnings;
static pcap_t *cap;
static volatile sig_atomic_t stop;

static void count_warning(int type, int err, struct ip *iph, void *data)
{
	(void)type;
	(void)err;
	(void)iph;
	(void)data;
	warnings++;
}

static void on_tcp(struct tcp_stream *s, void **param)
{
	(void)param;
	if (s->nids_state == NIDS_JUST_EST) {
		s->client.collect++;
		s->server.collect++;
		streams++;
		return;
	}
	/* the client half receives what the server sends */
	bytes_s2c += s->client.count_new;
	bytes_c2s += s->server.count_new;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
	pcap_breakloop(cap);
}

int main(int argc, char **argv)
{
	static struct nids_chksum_ctl nochk = {
		.netaddr = 0, .mask = 0, .action = NIDS_DONT_CHKSUM,
	};
	char err[PCAP_ERRBUF_SIZE];
	struct sigaction sa = { .sa_handler = on_signal };
	struct pcap_stat ps = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: kernel_nids IFACE\n");
		return 2;
	}
	cap = pcap_create(argv[1], err);
	if (!cap || pcap_set_snaplen(cap, 262144) ||
	    pcap_set_buffer_size(cap, 8 << 20) || pcap_set_timeout(cap, 50) ||
	    pcap_activate(cap) < 0) {
		fprintf(stderr, "kernel_nids: %s: %s\n", argv[1],
			cap ? pcap_geterr(cap) : err);
		return 1;
	}
	nids_params.pcap_desc = cap;
	nids_params.device = argv[1];
	nids_params.n_tcp_streams = 4096;
	nids_params.n_hosts = 256;
	nids_params.scan_num_hosts = 0;
	nids_params.syslog = count_warning;
	nids_params.pcap_filter = NULL;
	nids_params.multiproc = 0;
	nids_params.tcp_workarounds = 0;
	nids_register_chksum_ctl(&nochk, 1);
	if (!nids_init()) {
		fprintf(stderr, "kernel_nids: %s\n", nids_errbuf);
		return 1;
	}
	nids_register_tcp(on_tcp);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "kernel_nids: ready\n");
	while (!stop)
		if (nids_dispatch(-1) < 0 && !stop) {
			fprintf(stderr, "kernel_nids: %s\n", pcap_geterr(cap));
			return 1;
		}
	pcap_stats(cap, &ps);
	printf("nids streams=%lu bytes_c2s=%llu bytes_s2c=%llu recv=%u drop=%u warnings=%lu\n",
	       streams, bytes_c2s, bytes_s2c, ps.ps_recv, ps.ps_drop, warnings);
	fflush(stdout);
	/* Exiting (the capture ring's pages) is not the phase's */
	while (getchar() != EOF)
		;
	return 0;
}
