// SPDX-License-Identifier: GPL-2.0
/*
 * mtcp_compat_test.c - what mOS's headers promise, with mOS's units and
 * types: the calls of mtcp_api.h, mos_api.h, mtcp_epoll.h, mtcp_util.h and
 * cpu.h, offline on captures written here
 *
 * The capture: one IPv4 connection, 10.0.0.1:40000 to 10.0.0.2:80, whose
 * client sends "hello", then "WORLD" out of order (stream offset 10),
 * then "_____" that fills the hole; the server answers "reply"; FINs.
 * Every expected value below follows from those packets and mOS's
 * definitions: MOS_TIMESTAMP is a uint32_t of microseconds,
 * tcp_buf_info's fields after the first are stream offsets,
 * MOS_FRAGINFO_* gives a count, pkt_info.offset is the payload's stream
 * offset for every packet, the Ethernet header has the IPv4 ethertype.
 * Also: the end-host calls fail with ENOTSUP, StrToArgs(),
 * EventToString(), GetRSSCPUCore() against the contexts that do get the
 * flow, a monitor socket's uctx, rmem_size, a flow's buffer turned off,
 * and captures libpcap cannot read failing mtcp_init() with its words.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "pkt.h"
#include "mos_api.h"
#include "mtcp_api.h"
#include "mtcp_epoll.h"
#include "mtcp_util.h"
#include "cpu.h"

#define T0_NS		1700000000000000000ULL
#define MS		1000000ULL
#define CISN		1000U
#define SISN		500000U

#define F_FIN	0x01
#define F_SYN	0x02
#define F_PSH	0x08
#define F_ACK	0x10

struct step {
	unsigned int ms;
	int from_svr;
	uint8_t flags;
	uint32_t seq, ack;
	const char *data;
};

static const struct step conv[] = {
	{ 0, 0, F_SYN, CISN, 0, NULL },
	{ 100, 1, F_SYN | F_ACK, SISN, CISN + 1, NULL },
	{ 200, 0, F_ACK, CISN + 1, SISN + 1, NULL },
	{ 1000, 0, F_PSH | F_ACK, CISN + 1, SISN + 1, "hello" },
	{ 1100, 1, F_ACK, SISN + 1, CISN + 6, NULL },
	{ 1200, 0, F_PSH | F_ACK, CISN + 11, SISN + 1, "WORLD" },
	{ 1300, 1, F_ACK, SISN + 1, CISN + 6, NULL },
	{ 1400, 0, F_PSH | F_ACK, CISN + 6, SISN + 1, "_____" },
	{ 1500, 1, F_ACK, SISN + 1, CISN + 16, NULL },
	{ 2000, 1, F_PSH | F_ACK, SISN + 1, CISN + 16, "reply" },
	{ 2100, 0, F_ACK, CISN + 16, SISN + 6, NULL },
	{ 3000, 0, F_FIN | F_ACK, CISN + 16, SISN + 6, NULL },
	{ 3100, 1, F_FIN | F_ACK, SISN + 6, CISN + 17, NULL },
	{ 3200, 0, F_ACK, CISN + 17, SISN + 7, NULL },
};

#define NSTEPS	(sizeof(conv) / sizeof(conv[0]))

static const uint8_t cli_ip[4] = { 10, 0, 0, 1 }, svr_ip[4] = { 10, 0, 0, 2 };

/* The conversation as a nanosecond pcap of raw IP; its path */
static char *write_capture(void)
{
	char *path = strdup("/tmp/mtcp_compat_test.XXXXXX");
	uint8_t pkt[128];
	unsigned int i;
	FILE *f = path ? pkt_pcap_create(path, 65535) : NULL;

	if (!f) {
		free(path);
		return NULL;
	}
	for (i = 0; i < NSTEPS; i++) {
		const struct step *s = &conv[i];
		struct pkt_tcp pk = {
			.family = 4,
			.src = s->from_svr ? svr_ip : cli_ip,
			.dst = s->from_svr ? cli_ip : svr_ip,
			.sport = s->from_svr ? 80 : 40000,
			.dport = s->from_svr ? 40000 : 80,
			.seq = s->seq, .ack = s->ack, .flags = s->flags,
			.win = 65535, .data = s->data,
			.len = s->data ? strlen(s->data) : 0,
			.ip_flags = PKT_DF | PKT_CSUM,
		};

		pkt_pcap_add(f, T0_NS + s->ms * MS, pkt,
			     pkt_tcp(pkt, sizeof(pkt), &pk));
	}
	fclose(f);
	return path;
}

static char log_buf[4096];
static char peeked[64];
static int lsock, bad_pkt, bad_uctx;
static int listener_mark;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	size_t at = strlen(log_buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_buf + at, sizeof(log_buf) - at, fmt, ap);
	va_end(ap);
}

/* The made-up Ethernet header, in_ifidx, the lengths: as documented */
static void check_pkt(const struct pkt_info *p)
{
	static const uint8_t zero[ETH_ALEN];

	if (!p->ethh || (uint8_t *)p->ethh + ETH_HLEN != (uint8_t *)p->iph ||
	    ntohs(p->ethh->h_proto) != ETH_P_IP ||
	    memcmp(p->ethh->h_dest, zero, ETH_ALEN) ||
	    memcmp(p->ethh->h_source, zero, ETH_ALEN) ||
	    p->in_ifidx != -1 || p->eth_len != p->ip_len + ETH_HLEN ||
	    p->ip_len != 40 + p->payloadlen)
		bad_pkt++;
}

/*
 * PKT_IN at MOS_HK_SND: every packet once, from its sender's side.  For
 * the server's packets, the server's buffer (the client's bytes) as
 * MOS_INFO_SVRBUF and MOS_FRAGINFO_SVRBUF give it, then what mtcp_peek()
 * returns of it.
 */
static void on_pkt(mctx_t m, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	struct tcp_ring_fragment fr[4];
	struct tcp_buf_info bi;
	struct pkt_info p;
	uint32_t ts = 0;
	socklen_t len = sizeof(ts);
	ssize_t n;

	(void)ev;
	(void)arg;
	if (mtcp_get_uctx(m, lsock) != &listener_mark ||
	    mtcp_get_uctx(m, sock) != NULL)
		bad_uctx++;
	if (mtcp_getlastpkt(m, sock, side, &p) ||
	    mtcp_getsockopt(m, sock, SOL_MONSOCKET, MOS_TIMESTAMP, &ts, &len) ||
	    len != sizeof(uint32_t)) {
		logf_("error %d|", errno);
		return;
	}
	check_pkt(&p);
	logf_("%c %u off %llu len %u", side ? 's' : 'c',
	      (ts - (uint32_t)(T0_NS / 1000)) / 1000,
	      (unsigned long long)p.offset, p.payloadlen);
	if (side == MOS_SIDE_SVR) {
		len = sizeof(bi);
		if (mtcp_getsockopt(m, sock, SOL_MONSOCKET, MOS_INFO_SVRBUF,
				    &bi, &len)) {
			logf_(" info %d", errno);
		} else {
			logf_(" info %u %u %u %u", bi.tcpbi_init_seq,
			      bi.tcpbi_last_byte_read,
			      bi.tcpbi_next_byte_expected,
			      bi.tcpbi_last_byte_received);
		}
		memset(fr, 0xff, sizeof(fr));
		len = sizeof(fr);
		if (!mtcp_getsockopt(m, sock, SOL_MONSOCKET,
				     MOS_FRAGINFO_SVRBUF, fr, &len))
			logf_(" frags %u [%llu %u] [%llu %u]", len,
			      (unsigned long long)fr[0].offset, fr[0].len,
			      (unsigned long long)fr[1].offset, fr[1].len);
		n = mtcp_peek(m, sock, MOS_SIDE_SVR, peeked + strlen(peeked),
			      sizeof(peeked) - strlen(peeked) - 1);
		logf_(" peek %zd", n);
	}
	logf_("|");
}

/* MOS_PCAP names a fresh capture of the conversation; its path */
static char *use_capture(void)
{
	char *path = write_capture();

	if (path)
		setenv("MOS_PCAP", path, 1);
	return path;
}

TEST(units_and_types)
{
	char *path = use_capture();
	mctx_t mctx;

	ASSERT_NE(NULL, path);
	log_buf[0] = peeked[0] = '\0';
	bad_pkt = bad_uctx = 0;
	ASSERT_EQ(0, mtcp_init(NULL));
	mctx = mtcp_create_context(0);
	ASSERT_NE(NULL, mctx);
	lsock = mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	ASSERT_LE(0, lsock);
	/* The monitor socket's own context, not a flow's */
	EXPECT_EQ(NULL, mtcp_get_uctx(mctx, lsock));
	mtcp_set_uctx(mctx, lsock, &listener_mark);
	EXPECT_EQ(&listener_mark, mtcp_get_uctx(mctx, lsock));
	errno = 0;
	EXPECT_EQ(NULL, mtcp_get_uctx(mctx, lsock + 1));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, mtcp_register_callback(mctx, lsock, MOS_ON_PKT_IN,
					    MOS_HK_SND, on_pkt));
	mtcp_app_join(mctx);
	unlink(path);
	free(path);
	/*
	 * The server's buffer: stream offset 0 is sequence number 1001; the
	 * out-of-order "WORLD" (offsets 10 to 15) is received, not yet
	 * expected, at 1300; "_____" makes it so at 1500.  One stretch is
	 * held (the kernel keeps what is out of order), then mOS's zeroed
	 * end mark.
	 */
	EXPECT_STREQ("c 0 off 0 len 0|"
		     "s 100 off 0 len 0 info 1001 0 0 0 frags 0 [0 0] "
		     "[18446744073709551615 4294967295] peek 0|"
		     "c 200 off 0 len 0|"
		     "c 1000 off 0 len 5|"
		     "s 1100 off 0 len 0 info 1001 0 5 5 frags 1 [0 5] [0 0] "
		     "peek 5|"
		     "c 1200 off 10 len 5|"
		     "s 1300 off 0 len 0 info 1001 5 5 15 frags 1 [0 5] [0 0] "
		     "peek 0|"
		     "c 1400 off 5 len 5|"
		     "s 1500 off 0 len 0 info 1001 5 15 15 frags 1 [0 15] [0 0] "
		     "peek 10|"
		     "s 2000 off 0 len 5 info 1001 15 15 15 frags 1 [0 15] [0 0] "
		     "peek 0|"
		     "c 2100 off 15 len 0|"
		     "c 3000 off 15 len 0|"
		     "s 3100 off 5 len 0 info 1001 15 15 15 frags 1 [0 15] [0 0] "
		     "peek 0|"
		     "c 3200 off 16 len 0|", log_buf);
	EXPECT_STREQ("hello_____WORLD", peeked);
	EXPECT_EQ(0, bad_pkt);
	EXPECT_EQ(0, bad_uctx);
	mtcp_destroy();
}

/* Per-flow MOS_SVRBUF 0: that flow's server buffer is off, the rest not */
static void on_start(mctx_t m, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	int zero = 0, one = 1, v = -1;
	socklen_t len = sizeof(v);

	(void)side;
	(void)ev;
	(void)arg;
	if (mtcp_setsockopt(m, sock, SOL_MONSOCKET, MOS_SVRBUF, &one,
			    sizeof(one)) == 0 || errno != EINVAL)
		logf_("resized|");
	if (mtcp_setsockopt(m, sock, SOL_MONSOCKET, MOS_SVRBUF, &zero,
			    sizeof(zero)))
		logf_("setsockopt %d|", errno);
	mtcp_getsockopt(m, sock, SOL_MONSOCKET, MOS_SVRBUF, &v, &len);
	logf_("svrbuf %d", v);
	mtcp_getsockopt(m, sock, SOL_MONSOCKET, MOS_CLIBUF, &v, &len);
	logf_(" clibuf %d|", v);
}

static void on_end(mctx_t m, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	struct tcp_buf_info bi;
	socklen_t len = sizeof(bi);
	char buf[32] = "";
	ssize_t n;

	(void)ev;
	(void)arg;
	if (side != MOS_SIDE_CLI)
		return;
	n = mtcp_peek(m, sock, MOS_SIDE_SVR, buf, sizeof(buf));
	logf_("svr peek %zd %d", n, errno);
	n = mtcp_getsockopt(m, sock, SOL_MONSOCKET, MOS_INFO_SVRBUF, &bi, &len);
	logf_(" info %zd %d", n, errno);
	n = mtcp_peek(m, sock, MOS_SIDE_CLI, buf, sizeof(buf) - 1);
	logf_(" cli peek %zd %s|", n, n > 0 ? buf : "");
}

TEST(flow_buffer_off)
{
	char *path = use_capture();
	struct mtcp_conf conf;
	mctx_t mctx;
	int s;

	ASSERT_NE(NULL, path);
	log_buf[0] = '\0';
	ASSERT_EQ(0, mtcp_init(NULL));
	ASSERT_EQ(0, mtcp_getconf(&conf));
	mctx = mtcp_create_context(0);
	ASSERT_NE(NULL, mctx);
	s = mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, mtcp_register_callback(mctx, s, MOS_ON_CONN_START,
					    MOS_HK_SND, on_start));
	ASSERT_EQ(0, mtcp_register_callback(mctx, s, MOS_ON_CONN_END,
					    MOS_HK_RCV, on_end));
	mtcp_app_join(mctx);
	unlink(path);
	free(path);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "svrbuf 0 clibuf %d|svr peek -1 %d info -1 %d "
			 "cli peek 5 reply|", conf.rcvbuf_size, ENODATA,
			 ENODATA);
		EXPECT_STREQ(want, log_buf);
	}
	mtcp_destroy();
}

/*
 * A full buffer offers its bytes (NEW_DATA) before it takes more; the
 * callback turns the server's buffer off there: the rest of the record
 * is not kept, and that side raises no NEW_DATA after it
 */
static void on_data_off(mctx_t m, int sock, int side, event_t ev,
			filter_arg_t *arg)
{
	char buf[16] = "";
	int zero = 0;
	ssize_t n;

	(void)ev;
	(void)arg;
	if (side != MOS_SIDE_SVR)
		return;
	n = mtcp_peek(m, sock, side, buf, sizeof(buf) - 1);
	logf_("svr %zd %s", n, n > 0 ? buf : "");
	logf_(" off %d|", mtcp_setsockopt(m, sock, SOL_MONSOCKET, MOS_SVRBUF,
					  &zero, sizeof(zero)));
}

TEST(buffer_off_when_full)
{
	char *path = use_capture();
	struct mtcp_conf c;
	mctx_t mctx;
	int s;

	ASSERT_NE(NULL, path);
	log_buf[0] = '\0';
	ASSERT_EQ(0, mtcp_init(NULL));
	ASSERT_EQ(0, mtcp_getconf(&c));
	c.rcvbuf_size = 4;
	ASSERT_EQ(0, mtcp_setconf(&c));
	mctx = mtcp_create_context(0);
	ASSERT_NE(NULL, mctx);
	s = mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, mtcp_register_callback(mctx, s, MOS_ON_CONN_NEW_DATA,
					    MOS_NULL, on_data_off));
	mtcp_app_join(mctx);
	/* "hello": four bytes fill the buffer, then it is turned off */
	EXPECT_STREQ("svr 4 hell off 0|", log_buf);
	unlink(path);
	free(path);
	c.rcvbuf_size = 65536;
	mtcp_setconf(&c);
	mtcp_destroy();
}

/* rmem_size of mOS's configuration file: each side's buffer, bytes */
static void on_start_size(mctx_t m, int sock, int side, event_t ev,
			  filter_arg_t *arg)
{
	int v = -1;
	socklen_t len = sizeof(v);

	(void)side;
	(void)ev;
	(void)arg;
	mtcp_getsockopt(m, sock, SOL_MONSOCKET, MOS_CLIBUF, &v, &len);
	logf_("clibuf %d conns %u|", v, mtcp_get_connection_cnt(m));
}

TEST(rmem_size)
{
	char conf[] = "/tmp/mtcp_compat_test.conf.XXXXXX";
	char *path = write_capture();
	struct mtcp_conf c;
	mctx_t mctx;
	FILE *f;
	int fd, s;

	ASSERT_NE(NULL, path);
	log_buf[0] = '\0';
	fd = mkstemp(conf);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	/* mOS's own shape: a mos block, tabs, a comment */
	fprintf(f, "############### MOS configuration file ###############\n"
		"mos {\n\tforward = 1\n\n\t#######\n\tmax_concurrency = 100\n"
		"\trmem_size = 4096\n\tpcap_file = %s\n}\n", path);
	fclose(f);
	unsetenv("MOS_PCAP");
	ASSERT_EQ(0, mtcp_init(conf));
	ASSERT_EQ(0, mtcp_getconf(&c));
	EXPECT_EQ(4096, c.rcvbuf_size);
	EXPECT_EQ(100, c.max_concurrency);
	mctx = mtcp_create_context(0);
	ASSERT_NE(NULL, mctx);
	EXPECT_EQ(0, mtcp_get_connection_cnt(mctx));
	s = mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, mtcp_register_callback(mctx, s, MOS_ON_CONN_START,
					    MOS_HK_SND, on_start_size));
	mtcp_app_join(mctx);
	EXPECT_STREQ("clibuf 4096 conns 1|", log_buf);
	unlink(conf);
	unlink(path);
	free(path);
	c.rcvbuf_size = 65536;
	c.max_concurrency = 65536;
	mtcp_setconf(&c);
	mtcp_destroy();
}

/* Which of two contexts got the flow; GetRSSCPUCore() must name it */
static int seen_by = -1;

static void on_start_ctx(mctx_t m, int sock, int side, event_t ev,
			 filter_arg_t *arg)
{
	(void)sock;
	(void)side;
	(void)ev;
	(void)arg;
	seen_by = m->cpu;
}

TEST(rss_core_names_the_context)
{
	char *path = use_capture();
	in_addr_t cli, svr;
	struct mtcp_conf c;
	int cpu, core;

	ASSERT_NE(NULL, path);
	ASSERT_EQ(0, mtcp_init(NULL));
	ASSERT_EQ(0, mtcp_getconf(&c));
	c.num_cores = 2;
	ASSERT_EQ(0, mtcp_setconf(&c));
	seen_by = -1;
	for (cpu = 0; cpu < 2; cpu++) {
		mctx_t mctx = mtcp_create_context(cpu);
		int s;

		ASSERT_NE(NULL, mctx);
		s = mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, mtcp_register_callback(mctx, s, MOS_ON_CONN_START,
						    MOS_HK_SND, on_start_ctx));
		mtcp_app_join(mctx);
	}
	unlink(path);
	free(path);
	ASSERT_LE(0, seen_by);
	memcpy(&cli, cli_ip, 4);
	memcpy(&svr, svr_ip, 4);
	core = GetRSSCPUCore(cli, svr, htons(40000), htons(80), 2);
	EXPECT_EQ(seen_by, core);
	/* Either direction */
	EXPECT_EQ(seen_by, GetRSSCPUCore(svr, cli, htons(80), htons(40000), 2));
	EXPECT_EQ(0, GetRSSCPUCore(cli, svr, htons(40000), htons(80), 1));
	EXPECT_EQ(-1, GetRSSCPUCore(cli, svr, htons(40000), htons(80), 0));
	EXPECT_EQ(EINVAL, errno);
	c.num_cores = 1;
	mtcp_setconf(&c);
	mtcp_destroy();
}

/* A capture libpcap cannot read: mtcp_init() fails, with its words */
static void put(FILE *f, const void *b, size_t n)
{
	fwrite(b, n, 1, f);
}

/* A pcapng block of @type around @body (a multiple of 4 bytes) */
static void block(FILE *f, uint32_t type, const void *body, uint32_t n)
{
	uint32_t h[2] = { type, n + 12 };

	put(f, h, sizeof(h));
	put(f, body, n);
	put(f, &h[1], 4);
}

static const uint8_t syn_pkt[40] = {
	0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
};

/* pcapng: a header, an interface of @type, a packet on interface @ifidx */
static void pcapng_start(FILE *f)
{
	const uint32_t shb[4] = { 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff };

	block(f, 0x0a0d0d0a, shb, sizeof(shb));
}

static void pcapng_if(FILE *f, uint16_t type)
{
	const uint16_t idb[4] = { type, 0, 0xffff, 0 };

	block(f, 1, idb, sizeof(idb));
}

static void pcapng_pkt(FILE *f, uint32_t ifidx)
{
	uint32_t epb[5 + 10] = { ifidx, 0, 1, 40, 40 };

	memcpy(&epb[5], syn_pkt, 40);
	block(f, 6, epb, sizeof(epb));
}

static const char *const bad_names[] = {
	"text", "short header", "cut record", "pcapng: second link type",
	"pcapng: no such interface", "pcapng: block too short",
};

/* The file of case @i; libpcap's message for it (libpcap 1.10) */
static const char *write_bad(int i, FILE *f)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 2 | 4 << 16, 0, 0,
					 65535, 101 };
	const uint32_t rec[4] = { 1, 0, 40, 40 }, short_blk[3] = { 6, 8, 8 };

	switch (i) {
	case 0:
		fputs("this is not a capture\n", f);
		return "unknown file format";
	case 1:
		put(f, hdr, 10);
		return "truncated dump file; tried to read 24 file header "
		       "bytes, only got 6";
	case 2:
		put(f, hdr, sizeof(hdr));
		put(f, rec, sizeof(rec));
		put(f, syn_pkt, 40);
		put(f, rec, sizeof(rec));
		put(f, syn_pkt, 15);
		return "truncated dump file; tried to read 40 captured bytes, "
		       "only got 15";
	case 3:
		pcapng_start(f);
		pcapng_if(f, 101);
		pcapng_pkt(f, 0);
		pcapng_if(f, 1);
		pcapng_pkt(f, 1);
		return "an interface has a type 1 different from the type of "
		       "the first interface";
	case 4:
		pcapng_start(f);
		pcapng_if(f, 101);
		pcapng_pkt(f, 0);
		pcapng_pkt(f, 9);
		return "a packet arrived on interface 9, but there's no "
		       "Interface Description Block for that interface";
	default:
		pcapng_start(f);
		pcapng_if(f, 101);
		pcapng_pkt(f, 0);
		put(f, short_blk, sizeof(short_blk));
		return "block in pcapng dump file has a length of 8 < 12";
	}
}

TEST(unreadable_captures)
{
	char path[] = "/tmp/mtcp_compat_test.bad.XXXXXX", want[512];
	unsigned int i;

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		const char *msg;
		FILE *f;
		int fd;

		strcpy(path + strlen(path) - 6, "XXXXXX");
		fd = mkstemp(path);
		ASSERT_LE(0, fd);
		f = fdopen(fd, "w");
		msg = write_bad(i, f);
		fclose(f);
		setenv("MOS_PCAP", path, 1);
		errno = 0;
		EXPECT_EQ(-1, mtcp_init(NULL)) TH_LOG("%s", bad_names[i]);
		/* Not a capture: EINVAL; one that breaks off: EIO */
		EXPECT_EQ(i < 2 ? EINVAL : EIO, errno) TH_LOG("%s", bad_names[i]);
		snprintf(want, sizeof(want), "%s: %s", path, msg);
		EXPECT_STREQ(want, mtcp_errmsg(NULL));
		EXPECT_EQ(NULL, mtcp_create_context(0));
		unlink(path);
	}
	setenv("MOS_PCAP", "/nonexistent/x.pcap", 1);
	errno = 0;
	EXPECT_EQ(-1, mtcp_init(NULL));
	EXPECT_EQ(ENOENT, errno);
	unsetenv("MOS_PCAP");
	/* Nothing wrong: no message */
	EXPECT_EQ(0, mtcp_init(NULL));
	EXPECT_STREQ("", mtcp_errmsg(NULL));
	mtcp_destroy();
}

/*
 * A capture that breaks off, named after mtcp_init() (which checks the
 * capture it knows of): the context's loop ends there, and
 * mtcp_errmsg(NULL) has libpcap's message
 */
TEST(capture_breaks_off_in_the_join)
{
	char path[] = "/tmp/mtcp_compat_test.bad.XXXXXX";
	const char *msg;
	mctx_t mctx;
	FILE *f;
	int fd;

	unsetenv("MOS_PCAP");
	ASSERT_EQ(0, mtcp_init(NULL));
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	msg = write_bad(3, f);	/* a second link type after one packet */
	fclose(f);
	setenv("MOS_PCAP", path, 1);
	mctx = mtcp_create_context(0);
	ASSERT_NE(NULL, mctx);
	ASSERT_LE(0, mtcp_socket(mctx, AF_INET, MOS_SOCK_MONITOR_STREAM, 0));
	EXPECT_STREQ("", mtcp_errmsg(NULL));
	mtcp_app_join(mctx);
	EXPECT_STREQ(msg, mtcp_errmsg(NULL));
	unlink(path);
	mtcp_destroy();
}

TEST(end_host_calls)
{
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct iovec iov = { 0 };
	struct pkt_info p = { 0 };
	int fds[2], r[17], i;
	char buf[8];

	errno = 0;
	r[0] = mtcp_pipe(NULL, fds);
	r[1] = mtcp_setsock_nonblock(NULL, 0);
	r[2] = mtcp_ioctl(NULL, 0, 0, buf);
	r[3] = mtcp_bind(NULL, 0, (struct sockaddr *)&sin, len);
	r[4] = mtcp_listen(NULL, 0, 1);
	r[5] = mtcp_accept(NULL, 0, (struct sockaddr *)&sin, &len);
	r[6] = mtcp_init_rss(NULL, 0, 1, 0, 0);
	r[7] = mtcp_connect(NULL, 0, (struct sockaddr *)&sin, len);
	r[8] = mtcp_abort(NULL, 0);
	r[9] = mtcp_getsockname(NULL, 0, (struct sockaddr *)&sin, &len);
	r[10] = mtcp_recv(NULL, 0, buf, sizeof(buf), 0);
	r[11] = mtcp_read(NULL, 0, buf, sizeof(buf));
	r[12] = mtcp_readv(NULL, 0, &iov, 1);
	r[13] = mtcp_write(NULL, 0, buf, sizeof(buf));
	r[14] = mtcp_writev(NULL, 0, &iov, 1);
	r[15] = mtcp_epoll_create(NULL, 1);
	r[16] = mtcp_epoll_ctl(NULL, 0, MOS_EPOLL_CTL_ADD, 0, &ev);
	for (i = 0; i < 17; i++)
		EXPECT_EQ(-1, r[i]) TH_LOG("call %d", i);
	EXPECT_EQ(ENOTSUP, errno);
	errno = 0;
	EXPECT_EQ(-1, mtcp_epoll_wait(NULL, 0, &ev, 1, 0));
	EXPECT_EQ(ENOTSUP, errno);
	/* Not an end-host call: no context, no flow */
	EXPECT_EQ(-1, mtcp_sendpkt(NULL, 0, &p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, mtcp_get_connection_cnt(NULL));
}

TEST(utilities)
{
	char line[] = "  midstat -f 'my rules.txt'\t\"-n 2\" x";
	char two[] = "a b c";
	char *argv[8];
	int argc = -1;

	ASSERT_EQ(0, StrToArgs(line, &argc, argv, 8));
	ASSERT_EQ(5, argc);
	EXPECT_STREQ("midstat", argv[0]);
	EXPECT_STREQ("-f", argv[1]);
	EXPECT_STREQ("my rules.txt", argv[2]);
	EXPECT_STREQ("-n 2", argv[3]);
	EXPECT_STREQ("x", argv[4]);
	EXPECT_EQ(NULL, argv[5]);
	EXPECT_EQ(-1, StrToArgs(two, &argc, argv, 2));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(2, argc);
	EXPECT_EQ(-1, StrToArgs(NULL, &argc, argv, 2));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_STREQ("MOS_ON_CONN_END", EventToString(MOS_ON_CONN_END));
	EXPECT_STREQ("MOS_ON_PKT_IN", EventToString(MOS_ON_PKT_IN));
	EXPECT_STREQ("MOS_HK_SND", EventToString(MOS_HK_SND));
	EXPECT_STREQ("MOS_UNKNOWN_EVENT", EventToString(1U << 20));

	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), GetNumCPUs());
	EXPECT_EQ(-1, CoreAffinitize(-1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, INPORT_ANY);
	{
		struct seq_remap_info sr = { .seq_off = -1, .side = 1 };
		seq_remap_info *sp = &sr;

		UNUSED(sp);
		EXPECT_EQ(-1, sp->seq_off);
	}
}

TEST_HARNESS_MAIN
