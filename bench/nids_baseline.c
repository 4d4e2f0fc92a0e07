// SPDX-License-Identifier: GPL-2.0
/*
 * nids_baseline.c - reassemble a capture with libnids, for bench/replay
 *
 * DOC: Theory of Operation
 *
 * The reference point of the replay benchmark: libnids (Debian's
 * libnids-dev, 1.26) reads the capture offline and reassembles both
 * directions of every TCP connection it sees open (collect = 1 on the
 * client and the server half), and a callback counts the bytes it is
 * handed.  That is the work a tracker does, with libnids' own choices:
 *
 *  - IPv4 only: libnids skips every frame whose Ethertype is not IPv4, so
 *    the IPv6 connections of the capture cost it almost nothing and are
 *    not in its byte counts;
 *  - it verifies IPv4 header checksums always; TCP checksums are turned
 *    off here (a nids_chksum_ctl for 0.0.0.0/0), as mosreplay runs with
 *    --checksum ignore;
 *  - its stream table holds 3/4 of n_tcp_streams connections and evicts
 *    the oldest beyond that; -n sets n_tcp_streams (default 87382, so that
 *    it holds 65536 connections, the default of mos's flow table).  An
 *    eviction is reported (evicted=), it must stay 0;
 *  - port scan detection is off (scan_num_hosts = 0) and warnings are
 *    counted instead of going to syslog.
 *
 * Output: one line, "nids streams=N closed=N reset=N evicted=N exiting=N
 * bytes_c2s=N bytes_s2c=N warnings=N".
 */

#include <errno.h>
#include <nids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long long bytes_c2s, bytes_s2c;
static unsigned long streams, closed, reset, evicted, exiting, warnings;

/* nids_params.syslog: count, do not log */
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
	switch (s->nids_state) {
	case NIDS_JUST_EST:
		s->client.collect++;
		s->server.collect++;
		streams++;
		return;
	case NIDS_DATA:
		break;
	case NIDS_CLOSE:
		closed++;
		break;
	case NIDS_RESET:
		reset++;
		break;
	case NIDS_TIMED_OUT:
		evicted++;
		break;
	case NIDS_EXITING:
		exiting++;
		break;
	}
	/* the client half receives what the server sends */
	bytes_s2c += s->client.count_new;
	bytes_c2s += s->server.count_new;
}

static void usage(void)
{
	fprintf(stderr, "usage: nids_baseline [-n N_TCP_STREAMS] FILE.pcap\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct nids_chksum_ctl nochk = {
		.netaddr = 0, .mask = 0, .action = NIDS_DONT_CHKSUM,
	};
	long n_streams = 87382;
	int c;

	while ((c = getopt(argc, argv, "n:h")) != -1) {
		switch (c) {
		case 'n':
			n_streams = strtol(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || n_streams <= 0 || n_streams > 1 << 26)
		usage();

	nids_params.filename = argv[optind];
	nids_params.device = NULL;
	nids_params.n_tcp_streams = (int)n_streams;
	nids_params.n_hosts = 4096;
	nids_params.scan_num_hosts = 0;
	nids_params.syslog = count_warning;
	nids_params.pcap_filter = NULL;
	nids_params.multiproc = 0;
	nids_params.tcp_workarounds = 0;
	nids_register_chksum_ctl(&nochk, 1);

	if (!nids_init()) {
		fprintf(stderr, "nids_baseline: %s\n", nids_errbuf);
		return 1;
	}
	nids_register_tcp(on_tcp);
	nids_run();
	nids_exit();	/* NIDS_EXITING for what is still open */

	printf("nids streams=%lu closed=%lu reset=%lu evicted=%lu exiting=%lu "
	       "bytes_c2s=%llu bytes_s2c=%llu warnings=%lu\n",
	       streams, closed, reset, evicted, exiting, bytes_c2s, bytes_s2c,
	       warnings);
	return 0;
}
