// SPDX-License-Identifier: GPL-2.0
/*
 * mosreplay.c - replay a capture through the tcpmon core
 *
 * mosreplay [--json] [--quiet] [--dump-streams DIR] [--overlap linux|first|last]
 *           [--midstream] [--checksum auto|verify|ignore] [--flush] FILE
 * mosreplay [OPTIONS] -i IFACE [-c COUNT]
 *
 * DOC: Theory of Operation
 *
 * The capture is read record by record by the reader shared with
 * libmosuser's offline backend (tools/tcpmon/capture.c: link headers,
 * fragments, truncated records, the capture's clock, checksums), and
 * TCP segments and other IP packets go to mos_tm_input() with the
 * record's timestamp as the time.  The core's events become output lines
 * (print.c) and its stream bytes go to files (dump.c).  The last line of
 * the output is a summary.
 *
 * mos_tm_expire() runs over the whole table whenever the capture time has
 * advanced by a second since its last run, before the record that
 * advanced it.
 *
 * Checksums: --checksum auto (the default) reads the capture twice (see
 * capture.c); a capture read from standard input cannot be read twice:
 * auto is refused there.
 *
 * Live (-i): packets come from an interface through libpcap (capture.c,
 * CAP_NET_RAW), until COUNT packets (-c), SIGINT or SIGTERM; the capture
 * is then over as a file's end is (--flush applies), and the summary
 * adds libpcap's counts: what it received and what the kernel dropped.
 * When no packet is ready, the clock moves to the current time, so idle
 * flows still expire.
 *
 * Exit status: 0, 1 for errors (capture, link type, stream files), 2 for
 * a usage error.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mosreplay.h"

/**
 * struct replay - the whole run
 * @ctx: what print.c and dump.c see
 * @path: the capture
 * @cap: the capture, open, with its own counts
 * @t: the flow table
 * @silent: drop events (while the table is freed)
 * @events: events go somewhere: printed or dumped, and not @silent
 * @count: -c: packets to read live (0: no limit)
 */
struct replay {
	struct mr_ctx ctx;
	const char *path;
	u64 count;
	struct tm_cap cap;
	struct tm_table *t;
	bool silent;
	bool events;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mosreplay [OPTIONS] FILE\n"
		"       mosreplay [OPTIONS] -i IFACE [-c COUNT]\n"
		"       mosreplay -h|--help\n"
		"\n"
		"Replay a pcap or pcapng capture through the tcpmon flow-tracking core;\n"
		"print one line per event, then a summary line.\n"
		"\n"
		"Options:\n"
		"  -j, --json                 one JSON object per line\n"
		"  -q, --quiet                no event lines, only the summary\n"
		"  --dump-streams DIR         write each flow's reassembled bytes to\n"
		"                             DIR/CLIENT.CPORT-SERVER.SPORT.c2s and .s2c;\n"
		"                             a 4-tuple seen again in the capture gets\n"
		"                             DIR/CLIENT.CPORT-SERVER.SPORT.N.c2s and\n"
		"                             .N.s2c (N = 1, 2, ...)\n"
		"  --overlap linux|first|last which bytes win where segments overlap\n"
		"                             (default first)\n"
		"  --midstream                track connections whose handshake is not\n"
		"                             in the capture\n"
		"  --checksum auto|verify|ignore\n"
		"                             verify TCP checksums: auto (default) stops\n"
		"                             verifying if more than 10%% of the first %d\n"
		"                             segments are wrong (checksum offload)\n"
		"  --flush                    end every open flow at the end of the capture\n"
		"  -i, --interface IFACE      capture live from IFACE (CAP_NET_RAW), both\n"
		"                             directions, until SIGINT or SIGTERM; the\n"
		"                             summary adds pcap_recv, pcap_drop and\n"
		"                             pcap_ifdrop; auto checksums: not verified\n"
		"  -c, --count N              with -i, stop after N packets\n"
		"\n"
		"Link types: Ethernet (up to two VLAN tags), Linux cooked v1 and v2,\n"
		"raw IPv4/IPv6.  Exit status: 0 ok, 1 error, 2 usage.\n",
		TM_CAP_CSUM_SAMPLE);
}

static const char *const overlap_names[] = {
	[TM_OVERLAP_FIRST] = "first",
	[TM_OVERLAP_LAST] = "last",
	[TM_OVERLAP_LINUX] = "linux",
};

/**
 * choice() - an option's value, as its index in a table of names
 * @opt:	the option, for the message
 * @arg:	its value
 * @names:	the values it takes
 * @n:		their number
 *
 * Return: the index, or -1 after a message and the usage on stderr.
 */
static int choice(const char *opt, const char *arg,
		  const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	fprintf(stderr, "mosreplay: %s: \"%s\" is not one of", opt, arg);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %s", names[i]);
	fputc('\n', stderr);
	usage(stderr);
	return -1;
}

static void on_event(void *priv, struct tm_flow *f, const struct tm_ev *ev,
		     const struct tm_src *src, const struct tm_pkt *p)
{
	struct replay *r = priv;

	(void)src;
	if (!r->events)		/* the table being freed */
		return;
	if (r->ctx.dump && f)
		mr_dump_event(r->ctx.dump, f, ev);
	if (!r->ctx.quiet)
		mr_print_event(&r->ctx, f, ev, p);
}

static void on_data(void *priv, struct tm_flow *f, int side, u64 off,
		    tm_copy_t copy, const void *src, unsigned int off_in_src,
		    unsigned int len)
{
	struct replay *r = priv;

	if (r->ctx.dump && !r->silent)
		mr_dump_data(r->ctx.dump, f, side, off, copy, src, off_in_src,
			     len);
}

/* Live: set by SIGINT and SIGTERM */
static volatile sig_atomic_t stop_live;

static void on_stop(int sig)
{
	(void)sig;
	stop_live = 1;
}

/**
 * live_wait() - live, no packet ready: wait up to 100 ms for one
 * @r:		the run
 *
 * The clock moves to the current time meanwhile, and idle flows are
 * swept once a second of it.
 *
 * Return: 0, 1 when a signal asked to stop, -EIO when polling failed
 * (said on stderr).
 */
static int live_wait(struct replay *r)
{
	struct pollfd pfd = {
		.fd = pcap_get_selectable_fd(r->cap.pc), .events = POLLIN,
	};
	u64 now;

	if (stop_live)
		return 1;
	if (poll(&pfd, 1, 100) < 0 && errno != EINTR) {
		fprintf(stderr, "mosreplay: %s: poll: %s\n", r->path,
			strerror(errno));
		return -EIO;
	}
	if (stop_live)
		return 1;
	now = tm_cap_clock();
	if (tm_cap_idle(&r->cap, now)) {
		r->ctx.now = now;
		r->ctx.pkt = 0;
		mos_tm_expire(r->t, now, UINT_MAX);
	}
	return 0;
}

/* Whether to read no further: a signal, -c's count, a failed dump */
static bool replay_stop(const struct replay *r)
{
	return stop_live || (r->count && r->cap.n.packets >= r->count) ||
	       (r->ctx.dump && mr_dump_failed(r->ctx.dump));
}

/* tm_cap_each()'s callback: one record through the core */
static int replay_rec(void *arg, struct tm_cap_rec *rec)
{
	struct replay *r = arg;

	r->ctx.now = rec->now;
	if (rec->expire) {
		r->ctx.pkt = 0;
		mos_tm_expire(r->t, rec->now, UINT_MAX);
	}
	r->ctx.pkt = r->cap.n.packets;
	if (rec->input)
		mos_tm_input(r->t, &rec->src, rec->res, &rec->p, rec->now,
			     rec->flags);
	return replay_stop(r);
}

/**
 * replay() - replay the whole capture
 * @r:		the run, its capture open; closed on return
 *
 * Return: 0, or 1 after an error message (the records before the error
 * were replayed).
 */
static int replay(struct replay *r)
{
	bool said = false;
	int rc;

	for (;;) {
		if (replay_stop(r)) {
			rc = 0;
			break;
		}
		rc = tm_cap_each(&r->cap, replay_rec, r);
		if (rc == -EAGAIN) {
			rc = live_wait(r);
			said = rc < 0;
			if (rc > 0)
				rc = 0;	/* stopped: as a file's end */
			if (rc)
				break;
			continue;
		}
		if (rc <= 0) {
			if (rc == -ECANCELED)
				rc = 0;	/* replay_stop() said so */
			break;
		}
	}
	r->ctx.pkt = 0;
	if (rc < 0 && !said)
		fprintf(stderr, "mosreplay: %s: %s\n", r->path,
			pcap_geterr(r->cap.pc));
	tm_cap_close(&r->cap);
	return rc < 0 || mr_dump_failed(r->ctx.dump);
}

/**
 * finish() - flush if asked, free the table, print the summary
 * @r:		the run
 * @flush:	--flush
 *
 * Return: 0, or 1 if a stream file or the output failed.
 */
static int finish(struct replay *r, bool flush)
{
	u64 stats[TM_STAT_MAX] = { 0 };
	unsigned int open;
	int rc = 0;

	r->ctx.pkt = 0;
	if (flush && !mr_dump_failed(r->ctx.dump))
		mos_tm_flush(r->t);
	mos_tm_stats(r->t, stats);
	open = mos_tm_flows(r->t);
	r->silent = true;
	r->events = false;
	mos_tm_table_free(r->t);
	r->t = NULL;

	if (r->ctx.dump) {
		mr_dump_report(r->ctx.dump, stats);
		if (mr_dump_free(r->ctx.dump))	/* closes: may fail */
			rc = 1;
		r->ctx.dump = NULL;
	}
	if (r->cap.n.truncated)
		fprintf(stderr,
			"mosreplay: %llu truncated records (IP packet cut by the capture) were not tracked\n",
			r->cap.n.truncated);
	mr_print_summary(&r->ctx, &r->cap.n, stats, open);
	if (fflush(r->ctx.out)) {
		fprintf(stderr, "mosreplay: output: %s\n", strerror(errno));
		rc = 1;
	} else if (ferror(r->ctx.out)) {
		fprintf(stderr, "mosreplay: output: write error\n");
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	enum { OPT_DUMP = 256, OPT_OVERLAP, OPT_MIDSTREAM, OPT_CSUM,
	       OPT_FLUSH };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "dump-streams", required_argument, NULL, OPT_DUMP },
		{ "overlap", required_argument, NULL, OPT_OVERLAP },
		{ "midstream", no_argument, NULL, OPT_MIDSTREAM },
		{ "checksum", required_argument, NULL, OPT_CSUM },
		{ "flush", no_argument, NULL, OPT_FLUSH },
		{ "interface", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct tm_ops ops = { .event = on_event, .data = on_data };
	struct replay r = { .ctx.out = stdout };
	enum tm_cap_csum csum = TM_CAP_CSUM_AUTO;
	char err[PCAP_ERRBUF_SIZE + PATH_MAX + 200];
	struct tm_table_cfg cfg = { .overlap = TM_OVERLAP_LINUX };
	const char *dump_dir = NULL, *iface = NULL;
	bool flush = false;
	char *end;
	int ch, rc, v;

	while ((ch = getopt_long(argc, argv, "jqhi:c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			iface = optarg;
			break;
		case 'c':
			errno = 0;
			r.count = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-') {
				fprintf(stderr, "mosreplay: --count: \"%s\" is not a number\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			r.ctx.json = true;
			break;
		case 'q':
			r.ctx.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_DUMP:
			dump_dir = optarg;
			break;
		case OPT_OVERLAP:
			v = choice("--overlap", optarg, overlap_names,
				   ARRAY_SIZE(overlap_names));
			if (v < 0)
				return 2;
			cfg.overlap = v;
			break;
		case OPT_MIDSTREAM:
			cfg.midstream = true;
			break;
		case OPT_CSUM:
			v = choice("--checksum", optarg, tm_cap_csum_names,
				   ARRAY_SIZE(tm_cap_csum_names));
			if (v < 0)
				return 2;
			csum = v;
			break;
		case OPT_FLUSH:
			flush = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (iface) {
		if (argc != optind) {
			fprintf(stderr, "mosreplay: -i: no capture file too\n");
			usage(stderr);
			return 2;
		}
	} else if (r.count) {
		fprintf(stderr, "mosreplay: --count needs -i\n");
		usage(stderr);
		return 2;
	} else if (argc - optind != 1) {
		fprintf(stderr, "mosreplay: %s\n", argc - optind ?
			"one capture file at a time" : "no capture file");
		usage(stderr);
		return 2;
	}
	r.path = iface ? iface : argv[optind];

	if (!iface && csum == TM_CAP_CSUM_AUTO && !strcmp(r.path, "-")) {
		fprintf(stderr,
			"mosreplay: --checksum auto reads the capture twice: with standard input, use verify or ignore\n");
		return 2;
	}

	/* Nothing is printed, not even a summary, for a file not read. */
	if (iface ? tm_cap_open_live(&r.cap, iface, csum, err, sizeof(err)) :
		    tm_cap_open(&r.cap, r.path, csum, err, sizeof(err))) {
		fprintf(stderr, "mosreplay: %s\n", err);
		return 1;
	}
	r.ctx.live = !!iface;
	if (iface) {
		struct sigaction sa = { .sa_handler = on_stop };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (!iface && csum == TM_CAP_CSUM_AUTO &&
	    r.cap.csum == TM_CAP_CSUM_IGNORE)
		fprintf(stderr,
			"mosreplay: %u of %u TCP checksums in the first %u segments are wrong: checksum offload in the capture; not verifying (use --checksum verify to force)\n",
			r.cap.sample_bad, r.cap.sample_seen, r.cap.sample_seen);
	if (dump_dir) {
		r.ctx.dump = mr_dump_new(dump_dir);
		if (!r.ctx.dump) {
			tm_cap_close(&r.cap);
			return 1;
		}
		cfg.priv_size = mr_dump_priv_size();
	}
	/* --quiet: the core counts the events, which nothing else needs */
	r.events = r.ctx.dump || !r.ctx.quiet;
	if (!r.events)
		ops.event = NULL;
	r.t = mos_tm_table_new(&cfg, &ops, &r);
	if (!r.t) {
		fprintf(stderr, "mosreplay: cannot create the flow table\n");
		(void)mr_dump_free(r.ctx.dump);
		tm_cap_close(&r.cap);
		return 1;
	}

	rc = replay(&r);
	if (finish(&r, flush))
		rc = 1;
	return rc;
}
