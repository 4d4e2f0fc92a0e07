/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_capture.h - a capture file as the tcpmon core's input
 *
 * Shared by mosreplay and libmosuser's offline backend: both read a pcap
 * or pcapng file record by record, find the IP packet behind the link
 * header, settle the checksum policy, keep the capture's clock and hand
 * each packet to mos_tm_input() exactly the same way.  See
 * Documentation/mosreplay.rst for what is replayed and how.
 */
#ifndef _MOS_TM_CAPTURE_H
#define _MOS_TM_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <pcap/pcap.h>
#include "tcpmon.h"

/* Live capture: the socket's buffer, and how long libpcap waits for more */
#define TM_CAP_LIVE_BUFFER	(32U << 20)
#define TM_CAP_LIVE_SNAPLEN	262144
#define TM_CAP_LIVE_TIMEOUT_MS	10

/*
 * The first bytes of a record's IP packet copied aligned: IPv6, TCP and
 * the timestamps option (72)
 */
#define TM_CAP_HDR		80

/* A capture file's stdio buffer */
#define TM_CAP_FILE_BUFFER	(256U << 10)

/* TCP segments the auto checksum mode looks at */
#define TM_CAP_CSUM_SAMPLE	1000

/**
 * enum tm_cap_csum - checksum policy
 * @TM_CAP_CSUM_AUTO: verify unless the capture looks checksum-offloaded
 * @TM_CAP_CSUM_VERIFY: verify every TCP segment
 * @TM_CAP_CSUM_IGNORE: never verify
 * @TM_CAP_CSUM_MODES: number of policies
 */
enum tm_cap_csum {
	TM_CAP_CSUM_AUTO,
	TM_CAP_CSUM_VERIFY,
	TM_CAP_CSUM_IGNORE,
	TM_CAP_CSUM_MODES,
};

/* The policies' names, as options and settings spell them */
extern const char *const tm_cap_csum_names[TM_CAP_CSUM_MODES];

/**
 * struct tm_cap_counts - what the reader counts, by capture record
 * @packets: records read
 * @tcp: TCP segments handed to the core
 * @other: other IP packets handed to the core
 * @parse_errors: IP packets (or link headers) that do not parse
 * @truncated: records whose IP packet the capture cut short; not tracked
 * @non_ip: frames that carry neither IPv4 nor IPv6
 * @ip_fragments: IP fragments (%TM_PKT_FRAG); not tracked
 * @ip6_opt_discard: IPv6 packets whose options the receiver discards
 *	(%TM_PKT_IP6_OPT_DROP); not tracked
 * @ip6_hbh_not_first: IPv6 packets with a hop-by-hop header that is not
 *	first (%TM_PKT_IP6_HBH_DROP); not tracked
 * @ip6_rh_discard: IPv6 packets whose routing header the receiver
 *	refuses or acts on (%TM_PKT_IP6_RH_DROP); not tracked
 * @ip4_opt_discard: IPv4 packets whose options the receiver refuses
 *	(%TM_PKT_IP4_OPT_DROP); not tracked
 * @csum_bad: TCP segments handed to the core flagged %TM_IN_CSUM_BAD
 * @decap: records whose IP packet was found inside at least one
 *	encapsulation (then counted as @tcp, @other... as well)
 * @decap_unknown: records whose encapsulation carries something not
 *	decapsulated (%TM_DECAP_UNKNOWN); not tracked
 * @decap_bad: records with a malformed encapsulation header
 *	(%TM_DECAP_BAD); not tracked
 * @decap_deep: records nested deeper than %TM_DECAP_DEPTH_MAX; not
 *	tracked
 * @pcap_recv: live: packets the kernel passed to the capture socket
 *	(pcap_stats() ps_recv)
 * @pcap_drop: live: packets the kernel dropped because the capture's
 *	buffer was full (ps_drop); their bytes are holes in the streams
 * @pcap_ifdrop: live: packets the interface dropped (ps_ifdrop)
 */
struct tm_cap_counts {
	u64 packets;
	u64 tcp;
	u64 other;
	u64 parse_errors;
	u64 truncated;
	u64 non_ip;
	u64 ip_fragments;
	u64 ip6_opt_discard;
	u64 ip6_hbh_not_first;
	u64 ip6_rh_discard;
	u64 ip4_opt_discard;
	u64 csum_bad;
	u64 decap;
	u64 decap_unknown;
	u64 decap_bad;
	u64 decap_deep;
	u64 pcap_recv;
	u64 pcap_drop;
	u64 pcap_ifdrop;
};

/**
 * struct tm_cap - an open capture
 * @pc: libpcap's handle
 * @fbuf: a file's stdio buffer (%TM_CAP_FILE_BUFFER bytes), or NULL
 * @dlt: its link type
 * @csum: the checksum policy, after the auto decision (never
 *	%TM_CAP_CSUM_AUTO)
 * @sample_bad: auto mode: wrong checksums among @sample_seen
 * @sample_seen: auto mode: TCP segments looked at
 * @live: read from an interface (tm_cap_open_live()), not a file
 * @have_time: a record was read: @now and @last_expire are set
 * @now: capture time of the last record read, ns
 * @last_expire: capture time of the last sweep for idle flows, ns
 * @n: the counts
 */
struct tm_cap {
	pcap_t *pc;
	void *fbuf;
	int dlt;
	enum tm_cap_csum csum;
	bool live;
	unsigned int sample_bad;
	unsigned int sample_seen;
	bool have_time;
	u64 now;
	u64 last_expire;
	struct tm_cap_counts n;
};

/**
 * struct tm_cap_rec - one record, ready for the core
 * @now: its time, ns; never before that of the record before
 * @expire: a second of capture time has passed since the last sweep:
 *	call mos_tm_expire() at @now over the whole table first
 * @input: the record holds a packet for mos_tm_input()
 * @res: its parse result (%TM_PKT_BAD for a record that is not IP)
 * @flags: its input flags (%TM_IN_CSUM_BAD)
 * @p: its headers, once parsed
 * @fl: its bytes, from the IP header on, for an IP record
 * @src: its source, over @fl (so the struct must not move while used),
 *	with @input
 * @hlen: bytes of @hdr in use
 * @hdr: a copy of the first bytes of @fl, aligned, for the headers
 *
 * Of a record without @input, only @now, @expire and @res are meant to
 * be read: the rest keeps what earlier records left.
 */
struct tm_cap_rec {
	u64 now;
	bool expire;
	bool input;
	enum tm_parse_res res;
	unsigned int flags;
	struct tm_pkt p;
	struct tm_flat fl;
	struct tm_src src;
	unsigned int hlen;
	u8 hdr[TM_CAP_HDR] __attribute__((aligned(8)));
};

int tm_cap_open(struct tm_cap *c, const char *path, enum tm_cap_csum csum,
		char *err, size_t errlen);
int tm_cap_open_live(struct tm_cap *c, const char *iface,
		     enum tm_cap_csum csum, char *err, size_t errlen);
int tm_cap_next(struct tm_cap *c, struct tm_cap_rec *r);

/* tm_cap_each()'s callback: non-zero stops the reading */
typedef int (*tm_cap_fn)(void *arg, struct tm_cap_rec *r);

int tm_cap_each(struct tm_cap *c, tm_cap_fn fn, void *arg);
bool tm_cap_idle(struct tm_cap *c, u64 now);
u64 tm_cap_clock(void);
void tm_cap_live_stats(struct tm_cap *c);
void tm_cap_close(struct tm_cap *c);
bool tm_cap_tcp_csum_ok(const u8 *ip, const struct tm_pkt *p);

#endif /* _MOS_TM_CAPTURE_H */
