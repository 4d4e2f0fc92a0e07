// SPDX-License-Identifier: GPL-2.0
/*
 * mosreplay.c - replay a capture through the tcpmon core
 *
 * mosreplay [--json] [--quiet] [--dump-streams DIR] [--overlap first|last]
 *           [--midstream] [--checksum auto|verify|ignore] [--flush] FILE
 *
 * DOC: Theory of Operation
 *
 * The capture (pcap or pcapng, through libpcap) is read record by record.
 * Each record's link header is stripped (Ethernet with up to two VLAN
 * tags, Linux cooked v1 and v2, raw IP), the IP packet is parsed with
 * mos_tm_parse() over the flat buffer, and TCP segments and other IP
 * packets go to mos_tm_input() with the record's timestamp as the time.
 * The core's events become output lines (print.c) and its stream bytes
 * go to files (dump.c).  The last line of the output is a summary.
 *
 * Time is the capture's, in nanoseconds.  It never goes backwards for the
 * core: a record older than the one before it is replayed at the newer
 * time.  mos_tm_expire() runs over the whole table whenever the capture
 * time has advanced by a second since its last run, before the record
 * that advanced it.
 *
 * IP fragments are not reassembled (mos.ko sees packets after defrag):
 * a first fragment goes to the core as the TCP segment it starts, without
 * a checksum check, and the other fragments as other IP packets.
 *
 * Records the capture cut short (caplen below the frame length) whose IP
 * packet is incomplete are counted as truncated and kept away from the
 * core: their payload is missing, and feeding their headers alone would
 * make the core see bytes that are not there.  A record cut only in its
 * link trailer is complete for IP and is replayed.
 *
 * Checksums: --checksum auto (the default) reads the capture twice.  The
 * first pass checks the TCP checksums of the first %CSUM_SAMPLE segments;
 * if more than a tenth are wrong, the capture was taken where checksum
 * offload leaves outgoing checksums unfinished, and nothing is verified.
 * Otherwise every segment is verified, and a bad one is handed to the
 * core flagged %TM_IN_CSUM_BAD.  A capture read from standard input
 * cannot be read twice: auto is refused there.
 *
 * Exit status: 0, 1 for errors (capture, link type, stream files), 2 for
 * a usage error.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "mosreplay.h"

#define NSEC_PER_SEC	1000000000ULL
#define CSUM_SAMPLE	1000	/* segments the auto mode looks at */
#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define VLAN_HLEN	4
#define MAX_VLAN_TAGS	2
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8

/**
 * struct replay - the whole run
 * @ctx: what print.c and dump.c see
 * @path: the capture
 * @csum: checksum policy, after the auto decision (never %MR_CSUM_AUTO)
 * @t: the flow table
 * @n: mosreplay's own counts
 * @have_time: a record was replayed: @last_expire is set
 * @last_expire: time of the last mos_tm_expire(), ns
 * @silent: drop events (while the table is freed)
 * @events: events go somewhere: printed or dumped, and not @silent
 */
struct replay {
	struct mr_ctx ctx;
	const char *path;
	enum mr_csum_mode csum;
	struct tm_table *t;
	struct mr_counts n;
	bool have_time;
	u64 last_expire;
	bool silent;
	bool events;
};

/**
 * enum rec_kind - what a capture record holds
 * @REC_IP: an IP packet, complete as far as its IP length says
 * @REC_NON_IP: a frame of another protocol
 * @REC_TRUNCATED: the capture cut the IP packet (or the link header) short
 * @REC_BAD: a link header longer than the whole frame
 */
enum rec_kind {
	REC_IP,
	REC_NON_IP,
	REC_TRUNCATED,
	REC_BAD,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mosreplay [OPTIONS] FILE\n"
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
		"  --overlap first|last       which bytes win where segments overlap\n"
		"                             (default first)\n"
		"  --midstream                track connections whose handshake is not\n"
		"                             in the capture\n"
		"  --checksum auto|verify|ignore\n"
		"                             verify TCP checksums: auto (default) stops\n"
		"                             verifying if more than 10%% of the first %d\n"
		"                             segments are wrong (checksum offload)\n"
		"  --flush                    end every open flow at the end of the capture\n"
		"\n"
		"Link types: Ethernet (up to two VLAN tags), Linux cooked v1 and v2,\n"
		"raw IPv4/IPv6.  Exit status: 0 ok, 1 error, 2 usage.\n",
		CSUM_SAMPLE);
}

static const char *const overlap_names[] = {
	[TM_OVERLAP_FIRST] = "first",
	[TM_OVERLAP_LAST] = "last",
};

static const char *const csum_names[] = {
	[MR_CSUM_AUTO] = "auto",
	[MR_CSUM_VERIFY] = "verify",
	[MR_CSUM_IGNORE] = "ignore",
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

static unsigned int be16_at(const u8 *b)
{
	return (unsigned int)b[0] << 8 | b[1];
}

/**
 * ip_cut() - whether an IP packet is shorter than its length field says
 * @ip:		from the IP header on
 * @len:	bytes captured from there
 *
 * Return: true when the capture cut the packet, or cut so much that its
 * length cannot be read.
 */
static bool ip_cut(const u8 *ip, unsigned int len)
{
	if (!len)
		return true;
	switch (ip[0] >> 4) {
	case 4:
		return len < 20 || be16_at(ip + 2) > len;
	case 6:
		return len < 40 || 40 + be16_at(ip + 4) > len;
	default:
		return true;
	}
}

/**
 * classify() - find the IP packet in a capture record
 * @dlt:	the capture's link type
 * @h:		the record's header
 * @data:	its bytes
 * @fl:		set to the IP packet, for %REC_IP
 *
 * Return: &enum rec_kind.
 */
static enum rec_kind classify(int dlt, const struct pcap_pkthdr *h,
			      const u8 *data, struct tm_flat *fl)
{
	unsigned int cap = h->caplen, off, proto, tags;
	bool cut = h->caplen < h->len;

	switch (dlt) {
	case DLT_EN10MB:
		off = ETH_HLEN;
		if (cap < off)
			return cut ? REC_TRUNCATED : REC_BAD;
		proto = be16_at(data + 12);
		break;
	case DLT_LINUX_SLL:
		off = SLL_HLEN;
		if (cap < off)
			return cut ? REC_TRUNCATED : REC_BAD;
		proto = be16_at(data + 14);
		break;
	case DLT_LINUX_SLL2:
		off = SLL2_HLEN;
		if (cap < off)
			return cut ? REC_TRUNCATED : REC_BAD;
		proto = be16_at(data);
		break;
	default:	/* raw IP */
		off = 0;
		proto = 0;
		break;
	}

	if (off) {
		for (tags = 0; proto == ETH_P_8021Q || proto == ETH_P_8021AD;
		     tags++) {
			if (tags == MAX_VLAN_TAGS)
				return REC_NON_IP;
			if (cap - off < VLAN_HLEN)
				return cut ? REC_TRUNCATED : REC_BAD;
			proto = be16_at(data + off + 2);
			off += VLAN_HLEN;
		}
		if (proto != ETH_P_IP && proto != ETH_P_IPV6)
			return REC_NON_IP;
	}

	fl->data = data + off;
	fl->len = cap - off;
	if (cut && ip_cut(fl->data, fl->len))
		return REC_TRUNCATED;
	return REC_IP;
}

/**
 * first_fragment() - whether a TCP packet is the first of IP fragments
 * @ip:	the packet, from its IP header
 * @p:	its headers, a %TM_PKT_TCP (so the extension headers up to
 *	@p->l4off are known to be in the packet)
 *
 * Its checksum covers the whole datagram, which the capture holds in
 * pieces: it cannot be verified.
 *
 * Return: true for a first fragment.
 */
static bool first_fragment(const u8 *ip, const struct tm_pkt *p)
{
	unsigned int off = 40, hlen;
	u8 nh = ip[6];

	if (p->family == 4)
		return ip[6] & 0x20;	/* MF; later fragments are not TCP */
	while (off < p->l4off) {
		if (nh == IPPROTO_FRAGMENT)
			return true;
		if (nh == IPPROTO_AH)
			hlen = (ip[off + 1] + 2) * 4;
		else
			hlen = (ip[off + 1] + 1) * 8;
		nh = ip[off];
		off += hlen;
	}
	return false;
}

/**
 * parse() - parse the IP packet of a record
 * @fl:	the packet
 * @p:	its headers
 *
 * Return: &enum tm_parse_res; the family comes from the version nibble.
 */
static enum tm_parse_res parse(const struct tm_flat *fl, struct tm_pkt *p)
{
	u8 family = fl->len ? fl->data[0] >> 4 : 0;

	return mos_tm_parse(fl, fl->len, family, 0, tm_flat_read, p);
}

/**
 * open_capture() - open a capture with nanosecond timestamps and check
 * its link type
 * @path:	the file ("-": standard input)
 * @dlt:	set to its link type
 *
 * Return: the handle, or NULL after an error message.
 */
static pcap_t *open_capture(const char *path, int *dlt)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *name;
	pcap_t *pc;

	pc = pcap_open_offline_with_tstamp_precision(path,
						     PCAP_TSTAMP_PRECISION_NANO,
						     errbuf);
	if (!pc) {
		size_t n = strlen(path);
		const char *msg = errbuf;

		/* libpcap often starts with the path already. */
		if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
			msg += n + 2;
		fprintf(stderr, "mosreplay: %s: %s\n", path, msg);
		return NULL;
	}
	*dlt = pcap_datalink(pc);
	switch (*dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return pc;
	}
	name = pcap_datalink_val_to_name(*dlt);
	fprintf(stderr,
		"mosreplay: %s: unsupported link type %d (%s); supported: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6\n",
		path, *dlt, name ? name : "unknown");
	pcap_close(pc);
	return NULL;
}

/**
 * csum_survey() - the first pass of --checksum auto
 * @path:	the capture
 * @bad:	set to the wrong checksums among @seen
 * @seen:	set to the TCP segments looked at, at most %CSUM_SAMPLE
 *
 * Return: 0, or -1 after an error message.
 */
static int csum_survey(const char *path, unsigned int *bad,
		       unsigned int *seen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int dlt;

	*bad = *seen = 0;
	pc = open_capture(path, &dlt);
	if (!pc)
		return -1;
	/* A read error ends the sample; the second pass reports it. */
	while (*seen < CSUM_SAMPLE && pcap_next_ex(pc, &h, &data) == 1) {
		struct tm_pkt p;
		struct tm_flat fl;

		if (classify(dlt, h, data, &fl) != REC_IP ||
		    parse(&fl, &p) != TM_PKT_TCP || first_fragment(fl.data, &p))
			continue;
		(*seen)++;
		if (!mr_tcp_csum_ok(fl.data, &p))
			(*bad)++;
	}
	pcap_close(pc);
	return 0;
}

static void on_event(void *priv, struct tm_flow *f, const struct tm_ev *ev,
		     const struct tm_src *src, const struct tm_pkt *p)
{
	struct replay *r = priv;

	(void)src;
	if (!r->events)		/* --quiet: the core counts them */
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

/**
 * replay_record() - hand one capture record to the core
 * @r:		the run
 * @dlt:	link type
 * @h:		the record's header
 * @data:	its bytes
 */
static void replay_record(struct replay *r, int dlt,
			  const struct pcap_pkthdr *h, const u8 *data)
{
	struct tm_src src = { .read = tm_flat_read, .copy = tm_flat_copy };
	unsigned int flags = 0;
	enum tm_parse_res res;
	struct tm_pkt p;
	struct tm_flat fl;
	u64 now;

	r->n.packets++;
	now = h->ts.tv_sec > 0 ? (u64)h->ts.tv_sec * NSEC_PER_SEC : 0;
	now += h->ts.tv_usec;	/* nanoseconds: see open_capture() */
	if (r->have_time && now < r->ctx.now)
		now = r->ctx.now;
	r->ctx.now = now;
	if (!r->have_time) {
		r->have_time = true;
		r->last_expire = now;
	} else if (now - r->last_expire >= NSEC_PER_SEC) {
		r->ctx.pkt = 0;
		mos_tm_expire(r->t, now, UINT_MAX);
		r->last_expire = now;
	}
	r->ctx.pkt = r->n.packets;

	switch (classify(dlt, h, data, &fl)) {
	case REC_IP:
		break;
	case REC_NON_IP:
		r->n.non_ip++;
		return;
	case REC_TRUNCATED:
		r->n.truncated++;
		return;
	case REC_BAD:
		r->n.parse_errors++;
		return;
	}

	res = parse(&fl, &p);
	switch (res) {
	case TM_PKT_TCP:
		r->n.tcp++;
		if (r->csum == MR_CSUM_VERIFY &&
		    !first_fragment(fl.data, &p) &&
		    !mr_tcp_csum_ok(fl.data, &p)) {
			flags |= TM_IN_CSUM_BAD;
			r->n.csum_bad++;
		}
		break;
	case TM_PKT_OTHER:
		r->n.other++;
		break;
	default:
		r->n.parse_errors++;
		return;
	}
	src.pkt = &fl;
	src.len = fl.len;
	mos_tm_input(r->t, &src, res, &p, now, flags);
}

/**
 * replay() - replay the whole capture
 * @r:		the run
 * @pc:		the capture, open; closed on return
 * @dlt:	its link type
 *
 * Return: 0, or 1 after an error message (the records before the error
 * were replayed).
 */
static int replay(struct replay *r, pcap_t *pc, int dlt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		replay_record(r, dlt, h, data);
		if (r->ctx.dump && mr_dump_failed(r->ctx.dump))
			break;
	}
	r->ctx.pkt = 0;
	if (rc == PCAP_ERROR)
		fprintf(stderr, "mosreplay: %s: %s\n", r->path,
			pcap_geterr(pc));
	pcap_close(pc);
	return rc == PCAP_ERROR || mr_dump_failed(r->ctx.dump);
}

/**
 * decide_csum() - settle --checksum auto with a first pass
 * @r:	the run; @r->csum becomes %MR_CSUM_VERIFY or %MR_CSUM_IGNORE
 *
 * Return: 0, or 1 after an error message.
 */
static int decide_csum(struct replay *r)
{
	unsigned int bad, seen;

	if (csum_survey(r->path, &bad, &seen))
		return 1;
	r->csum = MR_CSUM_VERIFY;
	if (seen && bad * 10 > seen) {
		fprintf(stderr,
			"mosreplay: %u of %u TCP checksums in the first %u segments are wrong: checksum offload in the capture; not verifying (use --checksum verify to force)\n",
			bad, seen, seen);
		r->csum = MR_CSUM_IGNORE;
	}
	return 0;
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
	if (r->n.truncated)
		fprintf(stderr,
			"mosreplay: %llu truncated records (IP packet cut by the capture) were not tracked\n",
			r->n.truncated);
	mr_print_summary(&r->ctx, &r->n, stats, open);
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
		{ NULL, 0, NULL, 0 },
	};
	struct tm_ops ops = { .event = on_event, .data = on_data };
	struct replay r = { .ctx.out = stdout, .csum = MR_CSUM_AUTO };
	struct tm_table_cfg cfg = { 0 };
	const char *dump_dir = NULL;
	bool flush = false;
	int ch, rc, v, dlt;
	pcap_t *pc;

	while ((ch = getopt_long(argc, argv, "jqh", longopts, NULL)) != -1) {
		switch (ch) {
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
			v = choice("--checksum", optarg, csum_names,
				   ARRAY_SIZE(csum_names));
			if (v < 0)
				return 2;
			r.csum = v;
			break;
		case OPT_FLUSH:
			flush = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "mosreplay: %s\n", argc - optind ?
			"one capture file at a time" : "no capture file");
		usage(stderr);
		return 2;
	}
	r.path = argv[optind];

	if (r.csum == MR_CSUM_AUTO) {
		if (!strcmp(r.path, "-")) {
			fprintf(stderr,
				"mosreplay: --checksum auto reads the capture twice: with standard input, use verify or ignore\n");
			return 2;
		}
		if (decide_csum(&r))
			return 1;
	}

	/* Nothing is printed, not even a summary, for a file not read. */
	pc = open_capture(r.path, &dlt);
	if (!pc)
		return 1;
	if (dump_dir) {
		r.ctx.dump = mr_dump_new(dump_dir);
		if (!r.ctx.dump) {
			pcap_close(pc);
			return 1;
		}
		cfg.priv_size = mr_dump_priv_size();
	}
	r.events = r.ctx.dump || !r.ctx.quiet;
	r.t = mos_tm_table_new(&cfg, &ops, &r);
	if (!r.t) {
		fprintf(stderr, "mosreplay: cannot create the flow table\n");
		(void)mr_dump_free(r.ctx.dump);
		pcap_close(pc);
		return 1;
	}

	rc = replay(&r, pc, dlt);
	if (finish(&r, flush))
		rc = 1;
	return rc;
}
