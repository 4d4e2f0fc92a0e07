// SPDX-License-Identifier: GPL-2.0
/*
 * capture.c - a capture file as the tcpmon core's input (tm_capture.h)
 *
 * DOC: Theory of Operation
 *
 * The capture (pcap or pcapng, through libpcap, with nanosecond
 * timestamps) is read record by record.  Each record's link header is
 * stripped (Ethernet with up to two VLAN tags, Linux cooked v1 and v2,
 * raw IP, BSD loopback in host (NULL) or network (LOOP) order, NFLOG's
 * payload TLV, PPP with or without HDLC-like framing, Cisco HDLC, PPPoE),
 * encapsulations are removed by mos_tm_decap() (kmod/tcpmon/decap.c: IP
 * in IP, GRE, ERSPAN, VXLAN, Geneve, PPPoE, GTP-U, as XDP-attached
 * devices with decap do), and the IP packet is parsed with mos_tm_parse()
 * over the flat buffer; TCP segments and other IP packets are what the
 * core gets.
 *
 * Time is the capture's, in nanoseconds.  It never goes backwards: a
 * record older than the one before it gets the newer time.  Whenever the
 * capture time has advanced by a second since the last sweep, the record
 * says so (&tm_cap_rec.expire): its user sweeps the whole table for idle
 * flows before handing the record to the core.
 *
 * IP fragments are not reassembled (mos.ko sees packets after defrag):
 * a fragment is not a whole segment (%TM_PKT_FRAG), so none goes to the
 * core, the first one included; they are counted as @ip_fragments.  The
 * same holds for the packets the receiver's IP layer drops
 * (%TM_PKT_IP6_OPT_DROP, %TM_PKT_IP6_HBH_DROP, %TM_PKT_IP6_RH_DROP,
 * %TM_PKT_IP4_OPT_DROP): counted, never tracked.
 *
 * TSO and GSO aggregates: a capture taken on a host whose NIC segments
 * (or after GRO) holds frames larger than the MTU whose IPv4 total
 * length is 0 (BIG TCP, and capture tools that write the length as they
 * get it), or whose IPv6 payload length is 0.  As the kernel path does
 * for a GSO skb (%TM_PARSE_F_GSO), a zero length then means that the
 * packet runs to the end of the frame; only for a frame captured whole
 * (caplen equal to its length): in a frame the capture cut, the length
 * is unknown and the record is truncated.
 *
 * Records the capture cut short (caplen below the frame length) whose IP
 * packet is incomplete are counted as truncated and kept away from the
 * core: their payload is missing, and feeding their headers alone would
 * make the core see bytes that are not there.  A record cut only in its
 * link trailer is complete for IP and is replayed.
 *
 * Checksums (RFC 1071, RFC 9293 3.1, RFC 8200 8.1): the auto policy reads
 * the capture twice.  The first pass checks the TCP checksums of the
 * first %TM_CAP_CSUM_SAMPLE segments; if more than a tenth are wrong, the
 * capture was taken where checksum offload leaves outgoing checksums
 * unfinished, and nothing is verified.  Otherwise every segment is
 * verified, and a bad one is handed to the core flagged %TM_IN_CSUM_BAD.
 * Standard input cannot be read twice: auto is refused there.  The IPv6
 * pseudo-header uses the destination of the IPv6 header; a routing header
 * that names a different final destination is not followed (such
 * segments count as bad).
 *
 * Live (tm_cap_open_live()): libpcap reads an interface, both directions,
 * through its TPACKET_V3 ring (%TM_CAP_LIVE_BUFFER bytes, a snapshot
 * length of %TM_CAP_LIVE_SNAPLEN, which holds a GSO aggregate whole).
 * Immediate mode is off, so that the kernel fills blocks of packets, but
 * a block is handed over after %TM_CAP_LIVE_TIMEOUT_MS at the latest;
 * the handle is non-blocking: tm_cap_next() returns -EAGAIN when nothing
 * is ready, and its user polls pcap_get_selectable_fd().  The clock is
 * the packets' timestamps (the host's realtime clock), and while no
 * packet comes, tm_cap_idle() moves it to the current time so that idle
 * flows still expire.  The auto checksum policy cannot read a live
 * capture twice: it verifies nothing, as a capture taken where the stack
 * leaves outgoing checksums to the device (veth, offloading NICs) must
 * not be verified, and incoming packets were verified by the receiving
 * stack.  pcap_stats() gives the packets the kernel dropped because the
 * capture buffer was full (tm_cap_live_stats()).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "csum.h"
#include "tm_capture.h"

#define NSEC_PER_SEC	1000000000ULL
#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define VLAN_HLEN	4
#define MAX_VLAN_TAGS	2
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8

const char *const tm_cap_csum_names[TM_CAP_CSUM_MODES] = {
	[TM_CAP_CSUM_AUTO] = "auto",
	[TM_CAP_CSUM_VERIFY] = "verify",
	[TM_CAP_CSUM_IGNORE] = "ignore",
};

/**
 * enum rec_kind - what a capture record holds
 * @REC_IP: an IP packet, complete as far as its IP length says
 * @REC_NON_IP: a frame of another protocol
 * @REC_TRUNCATED: the capture cut the IP packet (or the link header) short
 * @REC_BAD: a link header longer than the whole frame
 * @REC_DECAP: an encapsulation not removed, counted by classify()
 */
enum rec_kind {
	REC_IP,
	REC_NON_IP,
	REC_TRUNCATED,
	REC_BAD,
	REC_DECAP,
};

static unsigned int be16_at(const u8 *b)
{
	return (unsigned int)b[0] << 8 | b[1];
}

/**
 * tm_cap_tcp_csum_ok() - check the TCP checksum of a parsed segment
 * @ip:	the packet from its IP header on, at least as long as its IP
 *	length (mos_tm_parse() checked that)
 * @p:	its headers, a %TM_PKT_TCP of family 4 or 6
 *
 * The sum follows tools/lib/csum.h: a segment is intact when the one's
 * complement sum over the pseudo-header, the TCP header (checksum field
 * included) and the payload is 0xffff.
 *
 * Return: true if the checksum is right.
 */
bool tm_cap_tcp_csum_ok(const u8 *ip, const struct tm_pkt *p)
{
	/* the addresses: IPv4 from byte 12, IPv6 from byte 8 */
	u64 sum = csum_pseudo(p->family, ip + (p->family == 4 ? 12 : 8),
			      IPPROTO_TCP, p->l4len);

	return csum_fold(csum_add(sum, ip + p->l4off, p->l4len)) == 0xffff;
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
	/* A zero length (an aggregate, a jumbogram) is not known. */
	switch (ip[0] >> 4) {
	case 4:
		return len < 20 || !be16_at(ip + 2) || be16_at(ip + 2) > len;
	case 6:
		return len < 40 || !be16_at(ip + 4) ||
		       40 + be16_at(ip + 4) > len;
	default:
		return true;
	}
}

/* DLT_NULL's and DLT_LOOP's families: AF_INET, and AF_INET6 of each OS */
#define NULL_AF_INET		2
#define NULL_AF_INET6_LINUX	10
#define NULL_AF_INET6_BSD	24	/* NetBSD, OpenBSD, BSD/OS */
#define NULL_AF_INET6_FREEBSD	28
#define NULL_AF_INET6_DARWIN	30
#define NULL_HLEN		4
/* DLT_NFLOG (libpcap's pcap/nflog.h): a 4-byte header, then TLVs */
#define NFLOG_HLEN		4
#define NFLOG_TLV_HLEN		4
#define NFULA_PAYLOAD		9
/* Cisco HDLC (DLT_C_HDLC, and DLT_PPP_SERIAL's other framing) */
#define CHDLC_HLEN		4
#define CHDLC_UNICAST		0x0f
#define CHDLC_BCAST		0x8f
#define PPP_ADDRESS		0xff
#define PPP_CONTROL		0x03

/* A family of DLT_NULL or DLT_LOOP: the link to start at, or -1 */
static int null_family(u32 af)
{
	switch (af) {
	case NULL_AF_INET:
	case NULL_AF_INET6_LINUX:
	case NULL_AF_INET6_BSD:
	case NULL_AF_INET6_FREEBSD:
	case NULL_AF_INET6_DARWIN:
		return TM_LINK_IP;
	}
	return -1;
}

/*
 * The IP payload of a DLT_NFLOG record: the NFULA_PAYLOAD TLV's value.
 * The TLVs' length and type are in the capturing host's byte order, which
 * libpcap turns into the reading host's (pcap/nflog.h); a length counts
 * the TLV's 4-byte header, and each TLV is padded to 4 bytes.  Return: 0
 * with @off and @len set, -1 when there is none (or the TLVs are broken).
 */
static int nflog_payload(const u8 *data, unsigned int cap, unsigned int *off,
			 unsigned int *len)
{
	unsigned int at = NFLOG_HLEN, step;
	u16 tl, tt;

	while (cap - at >= NFLOG_TLV_HLEN) {
		memcpy(&tl, data + at, sizeof(tl));
		memcpy(&tt, data + at + 2, sizeof(tt));
		if (tl < NFLOG_TLV_HLEN || tl > cap - at)
			return -1;
		if (tt == NFULA_PAYLOAD) {
			*off = at + NFLOG_TLV_HLEN;
			*len = tl - NFLOG_TLV_HLEN;
			return 0;
		}
		/* Padded: 65533..65535 round to 65536, past a u16 */
		step = ((unsigned int)tl + 3) & ~3U;
		if (step > cap - at)
			return -1;
		at += step;
	}
	return -1;
}

/*
 * Whether the IP packet at @ip of a record of @cap bytes, of Ethertype
 * @etype, is IPv4 or IPv6 that no tunnel carries: no walk needed
 */
static inline bool fast_ip(unsigned int etype, const u8 *data,
			   unsigned int ip, unsigned int cap)
{
	if (cap < ip + 10)
		return false;
	if (etype == ETH_P_IP)
		return !mos_tm_tunnel_proto(data[ip + 9], 4);
	if (etype == ETH_P_IPV6)
		return !mos_tm_tunnel_proto(data[ip + 6], 6);
	return false;
}

/**
 * classify_link() - find the IP packet in a capture record
 * @dlt:	the capture's link type
 * @n:		its counts
 * @h:		the record's header
 * @data:	its bytes
 * @fl:		set to the IP packet, for %REC_IP
 *
 * The link header of the capture's link type says where to start; then
 * mos_tm_decap() (kmod/tcpmon/decap.c, the XDP attachment's too) walks
 * to the IP packet, through VLAN tags, PPPoE and tunnels.  A tunnel that
 * carries something else, is malformed or nests too deep is counted
 * (@decap_unknown, @decap_bad, @decap_deep) unless the capture cut it.
 *
 * Return: &enum rec_kind.
 */
static noinline enum rec_kind classify_link(int dlt, struct tm_cap_counts *n,
					   const struct pcap_pkthdr *h,
					   const u8 *data, struct tm_flat *fl)
{
	unsigned int cap = h->caplen, off = 0, len;
	bool cut = h->caplen < h->len;
	struct tm_decap d = { 0 };
	struct tm_flat frame;
	enum tm_link link;
	int l;
	u32 af;

	/* Ethernet, then IPv4 or IPv6 that is no tunnel's, cut short */
	if (dlt == DLT_EN10MB && cap >= ETH_HLEN &&
	    fast_ip(be16_at(data + 12), data, ETH_HLEN, cap)) {
		d.off = ETH_HLEN;
		d.len = cap - ETH_HLEN;
		goto ip;
	}
	/* The link header's minimum length */
	switch (dlt) {
	case DLT_EN10MB:
		link = TM_LINK_ETH;
		break;
	case DLT_LINUX_SLL:
		if (cap < SLL_HLEN)
			return cut ? REC_TRUNCATED : REC_BAD;
		link = TM_LINK_ETYPE;
		d.etype = be16_at(data + 14);
		off = SLL_HLEN;
		break;
	case DLT_LINUX_SLL2:
		if (cap < SLL2_HLEN)
			return cut ? REC_TRUNCATED : REC_BAD;
		link = TM_LINK_ETYPE;
		d.etype = be16_at(data);
		off = SLL2_HLEN;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (cap < NULL_HLEN)
			return cut ? REC_TRUNCATED : REC_BAD;
		/* DLT_NULL: the capturing host's byte order, either */
		memcpy(&af, data, sizeof(af));
		if (dlt == DLT_LOOP || (af & 0xffff0000U))
			af = ntohl(af);
		l = null_family(af);
		if (l < 0)
			return REC_NON_IP;
		link = l;
		off = NULL_HLEN;
		break;
	case DLT_NFLOG:
		if (cap < NFLOG_HLEN)
			return cut ? REC_TRUNCATED : REC_BAD;
		if (data[0] != NULL_AF_INET && data[0] != NULL_AF_INET6_LINUX)
			return REC_NON_IP;
		if (nflog_payload(data, cap, &off, &len))
			return cut ? REC_TRUNCATED : REC_BAD;
		/* The payload is the whole record for the parser */
		cap = off + len;
		link = TM_LINK_IP;
		break;
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
		if (cap < 2)
			return cut ? REC_TRUNCATED : REC_BAD;
		link = TM_LINK_PPP;
		if (data[0] == PPP_ADDRESS && data[1] == PPP_CONTROL) {
			off = 2;	/* HDLC-like framing (RFC 1662) */
		} else if (data[0] == CHDLC_UNICAST || data[0] == CHDLC_BCAST) {
			if (cap < CHDLC_HLEN)
				return cut ? REC_TRUNCATED : REC_BAD;
			link = TM_LINK_ETYPE;
			d.etype = be16_at(data + 2);
			off = CHDLC_HLEN;
		} else if (dlt != DLT_PPP) {
			return REC_NON_IP;
		}
		break;
	case DLT_PPP_ETHER:
		link = TM_LINK_PPPOE;
		break;
	default:	/* raw IP */
		link = TM_LINK_IP;
		break;
	}

	/* Cooked captures' IP that is no tunnel's, as below */
	if (link == TM_LINK_ETYPE && fast_ip(d.etype, data, off, cap)) {
		d.off = off;
		d.len = cap - off;
		goto ip;
	}
	frame.data = data;
	frame.len = cap;
	d.off = off;
	switch (mos_tm_decap(&frame, cap, tm_flat_read, link,
			     TM_DECAP_F_TUNNELS, &d)) {
	case TM_DECAP_IP:
		break;
	case TM_DECAP_NONIP:
		return REC_NON_IP;
	case TM_DECAP_UNKNOWN:
		n->decap_unknown++;
		return REC_DECAP;
	case TM_DECAP_DEEP:
		n->decap_deep++;
		return REC_DECAP;
	case TM_DECAP_BAD:
		if (cut)
			return REC_TRUNCATED;
		if (!d.depth)
			return REC_BAD;
		n->decap_bad++;
		return REC_DECAP;
	}
	if (d.depth)
		n->decap++;
ip:
	fl->data = data + d.off;
	fl->len = d.len;
	if (cut && ip_cut(fl->data, fl->len))
		return REC_TRUNCATED;
	return REC_IP;
}

/*
 * classify(): most records are Ethernet, then IPv4 or IPv6 that is no
 * tunnel's, captured whole, and are read here in the flat record without
 * classify_link()'s call and walk
 */
static inline enum rec_kind classify(int dlt, struct tm_cap_counts *n,
				     const struct pcap_pkthdr *h,
				     const u8 *data, struct tm_flat *fl)
{
	unsigned int cap = h->caplen;

	if (dlt == DLT_EN10MB && cap == h->len && cap >= ETH_HLEN &&
	    fast_ip(be16_at(data + 12), data, ETH_HLEN, cap)) {
		fl->data = data + ETH_HLEN;
		fl->len = cap - ETH_HLEN;
		return REC_IP;
	}
	return classify_link(dlt, n, h, data, fl);
}

/**
 * parse() - parse the IP packet of a record
 * @h:		the record's header
 * @fl:		the packet
 * @read:	its reader: tm_flat_read(), or tm_cap_read() for @fl in a
 *		&struct tm_cap_rec
 * @p:		its headers
 *
 * A frame captured whole may be a TSO/GSO aggregate: parsed as the
 * kernel path parses a GSO skb (%TM_PARSE_F_GSO).
 *
 * Return: &enum tm_parse_res; the family comes from the version nibble.
 */
static enum tm_parse_res parse(const struct pcap_pkthdr *h,
			       const struct tm_flat *fl, tm_read_t read,
			       struct tm_pkt *p)
{
	u8 family = fl->len ? fl->data[0] >> 4 : 0;
	unsigned int flags = h->caplen == h->len ? TM_PARSE_F_GSO : 0;

	return mos_tm_parse(fl, fl->len, family, flags, read, p);
}

/*
 * tm_cap_read() - tm_read_t over the &tm_cap_rec.fl of a record: headers
 * within its aligned copy of the packet's first bytes (tm_cap_hdr())
 * come from there, aligned as @off is; the rest as tm_flat_read() reads
 * them
 */
static const void *tm_cap_read(const void *pkt, unsigned int off,
			       unsigned int len, void *buf)
{
	const struct tm_cap_rec *r = container_of(pkt, struct tm_cap_rec, fl);

	if (len <= r->hlen && off <= r->hlen - len && !(off & 3))
		return r->hdr + off;
	return tm_flat_read(pkt, off, len, buf);
}

/*
 * Copy the first bytes of @r's packet, where its IP and TCP headers are,
 * to @r->hdr: aligned there, they are read in place (tm_cap_read()) and
 * not copied again for each header.
 */
static inline void tm_cap_hdr(struct tm_cap_rec *r)
{
	const u8 *d = r->fl.data;
	unsigned int n = r->fl.len;

	if (n >= TM_CAP_HDR) {
		memcpy(r->hdr, d, TM_CAP_HDR);
		n = TM_CAP_HDR;
	} else {
		memcpy(r->hdr, d, n);
	}
	r->hlen = n;
}

/* The link types classify() reads, as libpcap names them */
#define DLT_NAMES "EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP, NFLOG, PPP, PPP_SERIAL, C_HDLC, PPP_ETHER"

static bool dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_NFLOG:
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
	case DLT_PPP_ETHER:
		return true;
	}
	return false;
}

/**
 * open_file() - open a capture with nanosecond timestamps and check its
 * link type
 * @path:	the file ("-": standard input)
 * @dlt:	set to its link type
 * @err:	set to "PATH: message" on failure
 * @errlen:	room in @err
 * @ret:	set to -errno on failure
 * @fbuf:	NULL, or set to the file's stdio buffer, to be freed after
 *		pcap_close()
 *
 * Return: the handle, or NULL.
 */
static pcap_t *open_file(const char *path, int *dlt, char *err,
			 size_t errlen, int *ret, void **fbuf)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *name, *msg = errbuf;
	size_t n = strlen(path);
	pcap_t *pc = NULL;
	FILE *fp;

	errno = 0;
	fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!fp) {
		snprintf(errbuf, sizeof(errbuf), "%s", strerror(errno));
	} else {
		/*
		 * libpcap reads each record with two fread()s: from a
		 * larger buffer than stdio's default (a page), fewer of them
		 * go to refill it.  Without the memory, the default does.
		 */
		if (fbuf) {
			*fbuf = malloc(TM_CAP_FILE_BUFFER);
			if (*fbuf)
				setvbuf(fp, *fbuf, _IOFBF, TM_CAP_FILE_BUFFER);
		}
		pc = pcap_fopen_offline_with_tstamp_precision(fp,
						PCAP_TSTAMP_PRECISION_NANO,
						errbuf);
		if (!pc && fp != stdin)
			fclose(fp);	/* libpcap closes it once it took it */
	}
	if (!pc) {
		/* A file that opened but is no capture leaves errno 0 */
		*ret = errno ? -errno : -EINVAL;
		if (fbuf) {
			free(*fbuf);
			*fbuf = NULL;
		}
		/* libpcap often starts with the path already. */
		if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
			msg += n + 2;
		snprintf(err, errlen, "%s: %s", path, msg);
		return NULL;
	}
	*dlt = pcap_datalink(pc);
	if (dlt_supported(*dlt))
		return pc;
	name = pcap_datalink_val_to_name(*dlt);
	snprintf(err, errlen,
		 "%s: unsupported link type %d (%s); supported: %s",
		 path, *dlt, name ? name : "unknown", DLT_NAMES);
	pcap_close(pc);
	*ret = -EINVAL;
	return NULL;
}

/**
 * csum_survey() - the first pass of the auto checksum policy
 * @c:		the capture being opened: its sample counts are set
 * @path:	its file
 * @err:	as for tm_cap_open()
 * @errlen:	room in @err
 *
 * Return: 0 or -errno.
 */
static int csum_survey(struct tm_cap *c, const char *path, char *err,
		       size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int dlt, ret;
	pcap_t *pc;

	pc = open_file(path, &dlt, err, errlen, &ret, NULL);
	if (!pc)
		return ret;
	/* A read error ends the sample; the second pass reports it. */
	while (c->sample_seen < TM_CAP_CSUM_SAMPLE &&
	       pcap_next_ex(pc, &h, &data) == 1) {
		struct tm_cap_counts n;
		struct tm_pkt p;
		struct tm_flat fl;

		if (classify(dlt, &n, h, data, &fl) != REC_IP ||
		    parse(h, &fl, tm_flat_read, &p) != TM_PKT_TCP)
			continue;
		c->sample_seen++;
		if (!tm_cap_tcp_csum_ok(fl.data, &p))
			c->sample_bad++;
	}
	pcap_close(pc);
	return 0;
}

/**
 * tm_cap_open() - open a capture and settle its checksum policy
 * @c:		filled
 * @path:	the file ("-": standard input, not with the auto policy)
 * @csum:	the policy asked for; with %TM_CAP_CSUM_AUTO, @c->csum says
 *		what the first pass decided, from @c->sample_bad and
 *		@c->sample_seen
 * @err:	on failure, "PATH: message": libpcap's, or what is wrong
 * @errlen:	room in @err
 *
 * Return: 0; -errno of the file (-ENOENT...), -EINVAL for a file libpcap
 * cannot read or whose link type is not supported, -ESPIPE for the auto
 * policy on standard input.
 */
int tm_cap_open(struct tm_cap *c, const char *path, enum tm_cap_csum csum,
		char *err, size_t errlen)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->csum = csum;
	if (csum == TM_CAP_CSUM_AUTO) {
		if (!strcmp(path, "-")) {
			snprintf(err, errlen,
				 "%s: the auto checksum policy reads the capture twice: with standard input, use verify or ignore",
				 path);
			return -ESPIPE;
		}
		ret = csum_survey(c, path, err, errlen);
		if (ret)
			return ret;
		c->csum = c->sample_seen && c->sample_bad * 10 > c->sample_seen ?
			  TM_CAP_CSUM_IGNORE : TM_CAP_CSUM_VERIFY;
	}
	c->pc = open_file(path, &c->dlt, err, errlen, &ret, &c->fbuf);
	return c->pc ? 0 : ret;
}

/**
 * live_errno() - the errno of a status of pcap_activate()
 * @status:	a negative PCAP_ERROR_* value
 *
 * Return: -ENODEV for an interface that does not exist, -EPERM without
 * the right to capture (CAP_NET_RAW), -ENETDOWN for one that is down,
 * -EINVAL for other refusals, -EIO for other errors.
 */
static int live_errno(int status)
{
	switch (status) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	case PCAP_ERROR_RFMON_NOTSUP:
	case PCAP_ERROR_ACTIVATED:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/**
 * tm_cap_open_live() - capture from an interface
 * @c:		filled
 * @iface:	the interface's name
 * @csum:	the checksum policy; %TM_CAP_CSUM_AUTO is %TM_CAP_CSUM_IGNORE
 *		(a live capture cannot be surveyed first)
 * @err:	on failure, "IFACE: message", libpcap's
 * @errlen:	room in @err
 *
 * Needs CAP_NET_RAW (an AF_PACKET socket), no other privilege.
 *
 * Return: 0; -ENODEV, -EPERM, -ENETDOWN, -EINVAL (an empty name, a link
 * type not supported), -EIO (as pcap_activate() refuses, live_errno()).
 */
int tm_cap_open_live(struct tm_cap *c, const char *iface,
		     enum tm_cap_csum csum, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *name;
	pcap_t *pc;
	int st;

	memset(c, 0, sizeof(*c));
	c->live = true;
	c->csum = csum == TM_CAP_CSUM_AUTO ? TM_CAP_CSUM_IGNORE : csum;
	if (!iface || !*iface) {
		snprintf(err, errlen, "no interface named");
		return -EINVAL;
	}
	pc = pcap_create(iface, errbuf);
	if (!pc) {
		snprintf(err, errlen, "%s: %s", iface, errbuf);
		return -EIO;
	}
	/* Settings fail only on an activated handle: not checked */
	pcap_set_snaplen(pc, TM_CAP_LIVE_SNAPLEN);
	pcap_set_promisc(pc, 0);
	pcap_set_buffer_size(pc, TM_CAP_LIVE_BUFFER);
	pcap_set_timeout(pc, TM_CAP_LIVE_TIMEOUT_MS);
	pcap_set_immediate_mode(pc, 0);
	pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO);
	st = pcap_activate(pc);
	if (st < 0) {
		const char *msg = pcap_geterr(pc);

		snprintf(err, errlen, "%s: %s", iface,
			 msg && *msg ? msg : pcap_statustostr(st));
		pcap_close(pc);
		return live_errno(st);
	}
	if (pcap_setdirection(pc, PCAP_D_INOUT) ||
	    pcap_setnonblock(pc, 1, errbuf)) {
		snprintf(err, errlen, "%s: %s", iface,
			 errbuf[0] ? errbuf : pcap_geterr(pc));
		pcap_close(pc);
		return -EIO;
	}
	c->dlt = pcap_datalink(pc);
	if (dlt_supported(c->dlt)) {
		c->pc = pc;
		return 0;
	}
	name = pcap_datalink_val_to_name(c->dlt);
	snprintf(err, errlen,
		 "%s: unsupported link type %d (%s); supported: %s",
		 iface, c->dlt, name ? name : "unknown", DLT_NAMES);
	pcap_close(pc);
	return -EINVAL;
}

/**
 * tm_cap_clock() - the clock of live packets' timestamps
 *
 * Return: the realtime clock, in nanoseconds.
 */
u64 tm_cap_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/**
 * tm_cap_idle() - no packet is ready: the capture's clock moves on
 * @c:		a live capture
 * @now:	the time (tm_cap_clock()); an earlier one changes nothing
 *
 * Later packets are never given a time before @now.
 *
 * The sweeps' second starts with the first packet: before it there is
 * no flow to sweep, and how long a capture waits for its first packet
 * does not decide where its sweeps fall among the packets.
 *
 * Return: true when a second has passed since the last sweep for idle
 * flows: the caller sweeps (mos_tm_expire() at @now) now.
 */
bool tm_cap_idle(struct tm_cap *c, u64 now)
{
	if (!c->have_time) {
		c->have_time = true;
		c->now = now;
		c->last_expire = now;
		return false;
	}
	if (now <= c->now)
		return false;
	c->now = now;
	if (!c->n.packets) {
		c->last_expire = now;
		return false;
	}
	if (now - c->last_expire < NSEC_PER_SEC)
		return false;
	c->last_expire = now;
	return true;
}

/**
 * tm_cap_live_stats() - read libpcap's counts into @c->n
 * @c:	a capture; nothing for a file
 */
void tm_cap_live_stats(struct tm_cap *c)
{
	struct pcap_stat ps;

	if (!c->live || !c->pc || pcap_stats(c->pc, &ps))
		return;
	/* libpcap's counts are 32 bits: follow them across a wrap */
	c->n.pcap_recv += (u32)(ps.ps_recv - (u32)c->n.pcap_recv);
	c->n.pcap_drop += (u32)(ps.ps_drop - (u32)c->n.pcap_drop);
	c->n.pcap_ifdrop += (u32)(ps.ps_ifdrop - (u32)c->n.pcap_ifdrop);
}

/*
 * Fill @r from the record @h, @data that libpcap just read: its time,
 * whether a sweep is due, and the packet for mos_tm_input() when
 * @r->input.
 */
static void tm_cap_fill(struct tm_cap *c, const struct pcap_pkthdr *h,
			const u8 *data, struct tm_cap_rec *r)
{
	u64 now;

	/* @p, @fl and @src are written where they mean something */
	r->expire = false;
	r->input = false;
	r->res = TM_PKT_BAD;
	r->flags = 0;
	c->n.packets++;
	now = h->ts.tv_sec > 0 ? (u64)h->ts.tv_sec * NSEC_PER_SEC : 0;
	now += h->ts.tv_usec;	/* nanoseconds: see open_file() */
	if (c->have_time && now < c->now)
		now = c->now;
	c->now = now;
	r->now = now;
	/* The first packet starts the sweeps' second (tm_cap_idle()) */
	if (!c->have_time || c->n.packets == 1) {
		c->have_time = true;
		c->last_expire = now;
	} else if (now - c->last_expire >= NSEC_PER_SEC) {
		r->expire = true;
		c->last_expire = now;
	}

	switch (classify(c->dlt, &c->n, h, data, &r->fl)) {
	case REC_IP:
		break;
	case REC_NON_IP:
		c->n.non_ip++;
		return;
	case REC_TRUNCATED:
		c->n.truncated++;
		return;
	case REC_BAD:
		c->n.parse_errors++;
		return;
	case REC_DECAP:
		return;
	}

	tm_cap_hdr(r);
	r->res = parse(h, &r->fl, tm_cap_read, &r->p);
	switch (r->res) {
	case TM_PKT_TCP:
		c->n.tcp++;
		if (c->csum == TM_CAP_CSUM_VERIFY &&
		    !tm_cap_tcp_csum_ok(r->fl.data, &r->p)) {
			r->flags |= TM_IN_CSUM_BAD;
			c->n.csum_bad++;
		}
		break;
	case TM_PKT_OTHER:
		c->n.other++;
		break;
	case TM_PKT_BAD:
		c->n.parse_errors++;
		return;
	case TM_PKT_FRAG:
		c->n.ip_fragments++;
		return;
	case TM_PKT_IP6_OPT_DROP:
		c->n.ip6_opt_discard++;
		return;
	case TM_PKT_IP6_HBH_DROP:
		c->n.ip6_hbh_not_first++;
		return;
	case TM_PKT_IP6_RH_DROP:
		c->n.ip6_rh_discard++;
		return;
	case TM_PKT_IP4_OPT_DROP:
		c->n.ip4_opt_discard++;
		return;
	}
	r->input = true;
	r->src.pkt = &r->fl;
	r->src.len = r->fl.len;
	r->src.read = tm_cap_read;
	r->src.copy = tm_flat_copy;
}

/**
 * tm_cap_next() - read the next record
 * @c:	the capture
 * @r:	filled: its time, whether a sweep is due, and the packet for
 *	mos_tm_input() when @r->input
 *
 * Return: 1, 0 at the end of the file, -EAGAIN when a live capture has
 * no packet ready, -EIO when it cannot be read further
 * (pcap_geterr(@c->pc) says why).
 */
int tm_cap_next(struct tm_cap *c, struct tm_cap_rec *r)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	rc = pcap_next_ex(c->pc, &h, &data);
	if (rc == 0 && c->live)
		return -EAGAIN;
	if (rc != 1)
		return rc == PCAP_ERROR_BREAK ? 0 : -EIO;
	tm_cap_fill(c, h, data, r);
	return 1;
}

/* tm_cap_each()'s state, libpcap's user argument */
struct tm_cap_each {
	struct tm_cap *c;
	tm_cap_fn fn;
	void *arg;
	bool stop;
	struct tm_cap_rec rec;
};

static void tm_cap_each_one(u_char *user, const struct pcap_pkthdr *h,
			    const u_char *data)
{
	struct tm_cap_each *e = (struct tm_cap_each *)user;

	if (e->stop)
		return;
	tm_cap_fill(e->c, h, data, &e->rec);
	if (e->fn(e->arg, &e->rec)) {
		e->stop = true;
		pcap_breakloop(e->c->pc);
	}
}

/**
 * tm_cap_each() - read the records that are ready, each through @fn
 * @c:		the capture
 * @fn:		called with each record, filled as tm_cap_next() fills it
 *		(valid until @fn returns); returns non-zero to stop
 * @arg:	@fn's
 *
 * A file is read to its end in one call, a live capture's ready packets
 * (a block of its ring).  libpcap hands each record over without
 * tm_cap_next()'s return through pcap_next_ex() for each.  After @fn
 * asked to stop, @c is only to be closed.
 *
 * Return: the records read (at least 1), 0 at the end of the file,
 * -EAGAIN when a live capture has no packet ready, -EIO when it cannot be
 * read further (pcap_geterr(@c->pc) says why); -ECANCELED when @fn
 * asked to stop.
 */
int tm_cap_each(struct tm_cap *c, tm_cap_fn fn, void *arg)
{
	struct tm_cap_each e = { .c = c, .fn = fn, .arg = arg };
	int n;

	n = pcap_dispatch(c->pc, -1, tm_cap_each_one, (u_char *)&e);
	if (e.stop)
		return -ECANCELED;
	if (n == 0 && c->live)
		return -EAGAIN;
	if (n < 0)
		return n == PCAP_ERROR_BREAK ? 0 : -EIO;
	return n;
}

/**
 * tm_cap_close() - close a capture
 * @c:	the capture, open or not
 */
void tm_cap_close(struct tm_cap *c)
{
	tm_cap_live_stats(c);
	if (c->pc)
		pcap_close(c->pc);
	c->pc = NULL;
	free(c->fbuf);
	c->fbuf = NULL;
}
