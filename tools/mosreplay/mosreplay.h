/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mosreplay.h - what the parts of mosreplay share
 *
 * mosreplay.c reads the capture and drives the core, print.c writes the
 * event lines and the summary, dump.c writes the reassembled streams,
 * csum.c checks TCP checksums.
 */
#ifndef _MOSREPLAY_H
#define _MOSREPLAY_H

#include <stdbool.h>
#include <stdio.h>
#include "tcpmon.h"

struct mr_dump;

/**
 * enum mr_csum_mode - what --checksum asked for
 * @MR_CSUM_AUTO: verify unless the capture looks checksum-offloaded
 * @MR_CSUM_VERIFY: verify every TCP segment
 * @MR_CSUM_IGNORE: never verify
 */
enum mr_csum_mode {
	MR_CSUM_AUTO,
	MR_CSUM_VERIFY,
	MR_CSUM_IGNORE,
};

/**
 * struct mr_counts - what mosreplay itself counts, by capture record
 * @packets: records read
 * @tcp: TCP segments handed to the core
 * @other: other IP packets handed to the core
 * @parse_errors: IP packets (or link headers) that do not parse
 * @truncated: records whose IP packet the capture cut short; not tracked
 * @non_ip: frames that carry neither IPv4 nor IPv6
 * @csum_bad: TCP segments handed to the core flagged %TM_IN_CSUM_BAD
 */
struct mr_counts {
	u64 packets;
	u64 tcp;
	u64 other;
	u64 parse_errors;
	u64 truncated;
	u64 non_ip;
	u64 csum_bad;
};

/**
 * struct mr_ctx - one replay: options and running state
 * @json: --json
 * @quiet: --quiet
 * @out: where event lines and the summary go
 * @dump: stream writer, or NULL without --dump-streams
 * @pkt: number of the record being replayed, from 1; 0 while the core
 *	runs for no packet (expiry, flush)
 * @now: capture time of the core's current call, ns
 */
struct mr_ctx {
	bool json;
	bool quiet;
	FILE *out;
	struct mr_dump *dump;
	u64 pkt;
	u64 now;
};

/* csum.c */
bool mr_tcp_csum_ok(const u8 *ip, const struct tm_pkt *p);

/* print.c */
void mr_print_event(struct mr_ctx *c, const struct tm_flow *f,
		    const struct tm_ev *ev, const struct tm_pkt *p);
void mr_print_summary(struct mr_ctx *c, const struct mr_counts *n,
		      const u64 *stats, unsigned int open);

/* dump.c */
struct mr_dump *mr_dump_new(const char *dir);
int mr_dump_free(struct mr_dump *d);
bool mr_dump_failed(const struct mr_dump *d);
size_t mr_dump_priv_size(void);
void mr_dump_event(struct mr_dump *d, struct tm_flow *f,
		   const struct tm_ev *ev);
void mr_dump_data(struct mr_dump *d, struct tm_flow *f, int side, u64 off,
		  tm_copy_t copy, const void *src, unsigned int off_in_src,
		  unsigned int len);
void mr_dump_report(const struct mr_dump *d, const u64 *stats);

#endif /* _MOSREPLAY_H */
