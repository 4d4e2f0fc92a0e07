/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mosreplay.h - what the parts of mosreplay share
 *
 * mosreplay.c drives the core over the capture (read by
 * tools/tcpmon/capture.c), print.c writes the event lines and the summary,
 * dump.c writes the reassembled streams.
 */
#ifndef _MOSREPLAY_H
#define _MOSREPLAY_H

#include <stdbool.h>
#include <stdio.h>
#include "tcpmon.h"
#include "tm_capture.h"

struct mr_dump;

/**
 * struct mr_ctx - one replay: options and running state
 * @json: --json
 * @quiet: --quiet
 * @out: where event lines and the summary go
 * @dump: stream writer, or NULL without --dump-streams
 * @pkt: number of the record being replayed, from 1; 0 while the core
 *	runs for no packet (expiry, flush)
 * @now: capture time of the core's current call, ns
 * @live: -i: the summary has libpcap's counts
 */
struct mr_ctx {
	bool json;
	bool quiet;
	bool live;
	FILE *out;
	struct mr_dump *dump;
	u64 pkt;
	u64 now;
};

/* print.c */
void mr_print_event(struct mr_ctx *c, const struct tm_flow *f,
		    const struct tm_ev *ev, const struct tm_pkt *p);
void mr_print_summary(struct mr_ctx *c, const struct tm_cap_counts *n,
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
