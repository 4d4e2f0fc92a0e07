// SPDX-License-Identifier: GPL-2.0
/*
 * verdict_app.c - an mOS application whose callbacks decide the fate of
 * the packet that raised them (selftests/vm/verdict.sh)
 *
 * One context, an IPv4 monitor socket (IPv4 and IPv6 in accept mode), run
 * with MOS_VERDICT=1 in an inline namespace.  A packet carries the marker
 * when its TCP payload (as mtcp_getlastpkt() shows it) contains MARKER.
 *
 *   verdict_app accept MARKER    MOS_ON_PKT_IN at MOS_HK_SND, on a monitor
 *                                socket of both families (AF_UNSPEC): the
 *                                callback returns at once, every packet
 *                                is accepted as it came (MARKER unused;
 *                                the consumer at the router of
 *                                selftests/vm/receiver.sh and hostile.sh);
 *                                at the end, a line "pkt_in N": how many
 *                                times the callback ran
 *   verdict_app ips MARKER       MOS_ON_PKT_IN at MOS_HK_SND: every
 *                                packet that carries the marker (the
 *                                retransmissions too) is dropped
 *                                (mtcp_setlastpkt(MOS_DROP)): a line
 *                                "drop SEQ" for each
 *   verdict_app rewrite MARKER NEW
 *                                MOS_ON_PKT_IN at MOS_HK_SND: in every
 *                                packet that carries the marker, the
 *                                marker's bytes become NEW (as long) and
 *                                the IP header's TOS 0x20, with both
 *                                checksums updated; a line "rewrote SEQ
 *                                TEXT" with what mtcp_getlastpkt() shows
 *                                after (TOS and the payload's first line)
 *   verdict_app sleep MARKER MS  MOS_ON_CONN_NEW_DATA (hook MOS_NULL): the
 *                                callback of the first packet that
 *                                carries the marker sleeps MS ms
 *   verdict_app hang MARKER      the same, but never returns (the test
 *                                kills it)
 *   verdict_app send MARKER TEXT MOS_ON_PKT_IN at MOS_HK_SND: at the first
 *                                packet that carries the marker, the
 *                                server's end sends the client TEXT
 *                                (mtcp_sendpkt(), a segment at the
 *                                sequence number the client expects),
 *                                after a segment to a port that is not
 *                                the flow's: lines "bad ERRNO" and
 *                                "sent SEQ" (or "sendpkt ERRNO")
 *   verdict_app send6 MARKER TEXT
 *                                the same, on an IPv6 monitor socket
 *   verdict_app rst MARKER       the same as send, but the server's end sends an
 *                                RST at that sequence number
 *   verdict_app pcapout MARKER OLD NEW TEXT
 *                                offline (MOS_PCAP, MOS_PCAP_OUT):
 *                                MOS_ON_PKT_IN at MOS_HK_SND: at the first
 *                                packet that carries the marker the
 *                                server's end sends the client TEXT, and
 *                                every packet with the marker is dropped;
 *                                in a packet that carries OLD, OLD
 *                                becomes NEW (as long) and the TOS 0x20,
 *                                checksums updated: lines "sent SEQ",
 *                                "drop SEQ", "rewrote SEQ ..."; at the
 *                                end "svr STREAM": the server's stream
 *                                as mtcp_peek() read it at each
 *                                MOS_ON_CONN_NEW_DATA, newlines as '|',
 *                                bytes missed as "<N missed>"
 *   verdict_app burst MARKER N   the same as send, but N pure ACKs of the
 *                                marker: a line "burst OK EAGAIN OTHER
 *                                MS" (how many calls succeeded, failed
 *                                with EAGAIN, failed otherwise; how long
 *                                they took)
 *
 *   verdict_app -s STALL:MS MODE ...
 *                                any mode, and the callback of the first
 *                                packet whose payload carries STALL
 *                                sleeps MS ms first (a line "stall",
 *                                then "awake"): that packet stays held,
 *                                the next ones find the held-packet
 *                                limit reached (selftests/vm/verdict_share.sh)
 *
 * "ready" on stderr once the context runs; SIGINT or SIGTERM ends it.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <mos_api.h>

enum { M_ACCEPT, M_IPS, M_REWRITE, M_SLEEP, M_HANG, M_SEND, M_RST, M_BURST,
       M_PCAPOUT };

static int g_mode;
static const char *g_marker, *g_new, *g_old, *g_text;
static unsigned int g_ms;
static int g_slept;
static mctx_t g_mctx;
static unsigned int g_count;
static int g_family = AF_INET;
static const char *g_stall;
static unsigned int g_stall_ms;
static int g_stalled;
static unsigned long g_npkt;

/*
 * A segment from the server's end to the client of @p's flow (@p: a
 * packet from the client): at the sequence number the client expects,
 * acknowledging @p, with @flags and @text; @dport_off added to the
 * client's port
 */
static int send_to_client(mctx_t m, int sock, const struct pkt_info *p,
			  int rst, const char *text, int dport_off)
{
	/* The IP header 4-aligned, behind the Ethernet header */
	static uint32_t raw[(2 + 14 + 40 + 20 + 1500) / 4 + 1];
	uint8_t *buf = (uint8_t *)raw + 2;
	const uint8_t *ip6 = (const uint8_t *)p->ethh + 14;
	unsigned int hl = p->iph ? 20 : 40;
	struct iphdr *ip = (struct iphdr *)(buf + 14);
	struct tcphdr *th = (struct tcphdr *)(buf + 14 + hl);
	size_t len = text ? strlen(text) : 0;
	struct pkt_info q;

	memset(buf, 0, 14 + hl + 20);
	if (len)
		memcpy(buf + 14 + hl + 20, text, len);
	memset(&q, 0, sizeof(q));
	if (p->iph) {
		((struct ethhdr *)buf)->h_proto = htons(0x0800);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->frag_off = htons(0x4000);
		ip->protocol = IPPROTO_TCP;
		ip->saddr = p->iph->daddr;
		ip->daddr = p->iph->saddr;
		q.iph = ip;
	} else {
		/* IPv6: mtcp_sendpkt() finds it behind the Ethernet header */
		((struct ethhdr *)buf)->h_proto = htons(0x86dd);
		buf[14] = 0x60;
		buf[14 + 6] = IPPROTO_TCP;
		buf[14 + 7] = 64;
		memcpy(buf + 14 + 8, ip6 + 24, 16);
		memcpy(buf + 14 + 24, ip6 + 8, 16);
	}
	th->source = p->tcph->dest;
	th->dest = htons(ntohs(p->tcph->source) + dport_off);
	th->seq = p->tcph->ack_seq;
	th->ack_seq = htonl(p->seq + p->payloadlen);
	th->doff = 5;
	th->ack = 1;
	th->rst = rst;
	th->psh = len > 0;
	th->window = htons(1024);
	q.ethh = (struct ethhdr *)buf;
	q.tcph = th;
	q.payload = buf + 14 + hl + 20;
	q.payloadlen = len;
	return mtcp_sendpkt(m, sock, &q);
}

static void on_send(mctx_t m, int sock, const struct pkt_info *p)
{
	struct timespec t0, t1;
	unsigned int i, ok = 0, again = 0, other = 0;

	switch (g_mode) {
	case M_SEND:
		if (!send_to_client(m, sock, p, 0, g_new, 1))
			printf("bad none\n");
		else
			printf("bad %s\n", strerrorname_np(errno));
		if (send_to_client(m, sock, p, 0, g_new, 0))
			printf("sendpkt %s\n", strerrorname_np(errno));
		else
			printf("sent %u\n", ntohl(p->tcph->ack_seq));
		break;
	case M_RST:
		if (send_to_client(m, sock, p, 1, NULL, 0))
			printf("sendpkt %s\n", strerrorname_np(errno));
		else
			printf("sent %u\n", ntohl(p->tcph->ack_seq));
		break;
	case M_BURST:
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < g_count; i++) {
			if (!send_to_client(m, sock, p, 0, NULL, 0))
				ok++;
			else if (errno == EAGAIN)
				again++;
			else
				other++;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("burst %u %u %u %ld\n", ok, again, other,
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			      (t1.tv_nsec - t0.tv_nsec) / 1000000));
		break;
	}
}

static int carries_marker(mctx_t m, int sock, int side, struct pkt_info *p)
{
	if (mtcp_getlastpkt(m, sock, side, p))
		return 0;
	return p->payloadlen &&
	       memmem(p->payload, p->payloadlen, g_marker, strlen(g_marker));
}

/* In the packet @p of @sock, at @side: @from becomes @to, TOS 0x20 */
static void rewrite(mctx_t m, int sock, int side, struct pkt_info *p,
		    const char *from, const char *to)
{
	const uint8_t *at = memmem(p->payload, p->payloadlen, from,
				   strlen(from));
	uint8_t tos = 0x20;
	const char *nl;

	if (mtcp_setlastpkt(m, sock, side, at - p->payload, (byte *)to,
			    strlen(to), MOS_TCP_PAYLOAD | MOS_OVERWRITE |
			    MOS_UPDATE_TCP_CHKSUM) ||
	    mtcp_setlastpkt(m, sock, side, 1, &tos, 1, MOS_IP_HDR |
			    MOS_OVERWRITE | MOS_UPDATE_IP_CHKSUM) ||
	    mtcp_getlastpkt(m, sock, side, p)) {
		perror("verdict_app: mtcp_setlastpkt");
		return;
	}
	nl = memchr(p->payload, '\n', p->payloadlen);
	printf("rewrote %u tos 0x%02x %.*s\n", p->seq, p->iph->tos,
	       (int)(nl ? nl - (const char *)p->payload : p->payloadlen),
	       (const char *)p->payload);
}

static void on_pcapout(mctx_t m, int sock, int side)
{
	struct pkt_info p;

	if (mtcp_getlastpkt(m, sock, side, &p) || !p.payloadlen)
		return;
	if (memmem(p.payload, p.payloadlen, g_marker, strlen(g_marker))) {
		if (!g_slept++) {
			if (send_to_client(m, sock, &p, 0, g_text, 0))
				printf("sendpkt %s\n", strerrorname_np(errno));
			else
				printf("sent %u\n", ntohl(p.tcph->ack_seq));
		}
		if (mtcp_setlastpkt(m, sock, side, 0, NULL, 0, MOS_DROP))
			perror("verdict_app: mtcp_setlastpkt");
		else
			printf("drop %u\n", p.seq);
	} else if (memmem(p.payload, p.payloadlen, g_old, strlen(g_old))) {
		rewrite(m, sock, side, &p, g_old, g_new);
	}
}

/* pcapout: the server's stream, as mtcp_peek() reads it */
static char g_svr[4096];
static size_t g_nsvr;

static void on_svr_data(mctx_t m, int sock, int side, uint64_t ev,
			filter_arg_t *arg)
{
	char buf[512];
	ssize_t n;

	(void)ev;
	(void)arg;
	if (side != MOS_SIDE_SVR)
		return;
	while ((n = mtcp_peek(m, sock, MOS_SIDE_SVR, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != ENODATA)
			break;
		if (n < 0)
			g_nsvr += snprintf(g_svr + g_nsvr, sizeof(g_svr) - g_nsvr,
					   "<%zd missed>", -n);
		for (ssize_t i = 0; i < n && g_nsvr < sizeof(g_svr) - 1; i++)
			g_svr[g_nsvr++] = buf[i] == '\n' ? '|' : buf[i];
		if (g_nsvr >= sizeof(g_svr) - 1)
			break;
	}
}

static void on_pkt(mctx_t m, int sock, int side, uint64_t ev,
		   filter_arg_t *arg)
{
	struct pkt_info p;

	(void)ev;
	(void)arg;
	if (g_stall && !g_stalled && !mtcp_getlastpkt(m, sock, side, &p) &&
	    p.payloadlen &&
	    memmem(p.payload, p.payloadlen, g_stall, strlen(g_stall))) {
		g_stalled = 1;
		printf("stall\n");
		usleep(g_stall_ms * 1000);
		printf("awake\n");
	}
	if (g_mode == M_ACCEPT) {
		g_npkt++;
		return;
	}
	if (g_mode == M_PCAPOUT) {
		on_pcapout(m, sock, side);
		return;
	}
	if (!carries_marker(m, sock, side, &p))
		return;
	if (g_mode >= M_SEND) {
		if (!g_slept++)
			on_send(m, sock, &p);
		return;
	}
	switch (g_mode) {
	case M_IPS:
		if (mtcp_setlastpkt(m, sock, side, 0, NULL, 0, MOS_DROP))
			perror("verdict_app: mtcp_setlastpkt");
		else
			printf("drop %u\n", p.seq);
		break;
	case M_REWRITE: {
		const uint8_t *at = memmem(p.payload, p.payloadlen, g_marker,
					   strlen(g_marker));
		uint8_t tos = 0x20;
		const char *nl;

		if (mtcp_setlastpkt(m, sock, side, at - p.payload,
				    (byte *)g_new, strlen(g_new),
				    MOS_TCP_PAYLOAD | MOS_OVERWRITE |
				    MOS_UPDATE_TCP_CHKSUM) ||
		    mtcp_setlastpkt(m, sock, side, 1, &tos, 1,
				    MOS_IP_HDR | MOS_OVERWRITE |
				    MOS_UPDATE_IP_CHKSUM) ||
		    mtcp_getlastpkt(m, sock, side, &p)) {
			perror("verdict_app: mtcp_setlastpkt");
			break;
		}
		nl = memchr(p.payload, '\n', p.payloadlen);
		printf("rewrote %u tos 0x%02x %.*s\n", p.seq, p.iph->tos,
		       (int)(nl ? nl - (const char *)p.payload : p.payloadlen),
		       (const char *)p.payload);
		break;
	}
	case M_SLEEP:
		if (g_slept++)
			break;
		printf("sleep\n");
		usleep(g_ms * 1000);
		printf("awake\n");
		break;
	case M_HANG:
		printf("hang\n");
		for (;;)
			pause();
	default:
		break;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (g_mctx)
		mtcp_destroy_context(g_mctx);
}

static void usage(void)
{
	fprintf(stderr, "usage: verdict_app [-s STALL:MS] accept|ips|rewrite|sleep|hang|send|send6|rst|burst|pcapout MARKER [MS|NEW|TEXT|N|OLD NEW TEXT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct mtcp_conf conf;
	event_t ev = MOS_ON_PKT_IN;
	int hook = MOS_HK_SND, sock;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		char *ms = strrchr(argv[2], ':');

		if (!ms || ms == argv[2])
			usage();
		*ms++ = '\0';
		g_stall = argv[2];
		g_stall_ms = (unsigned int)strtoul(ms, NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "accept")) {
		g_mode = M_ACCEPT;
		g_family = AF_UNSPEC;
	}
	else if (!strcmp(argv[1], "ips"))
		g_mode = M_IPS;
	else if (!strcmp(argv[1], "rewrite") && argc == 4 &&
		 strlen(argv[3]) == strlen(argv[2]))
		g_mode = M_REWRITE;
	else if (!strcmp(argv[1], "sleep") && argc == 4)
		g_mode = M_SLEEP;
	else if (!strcmp(argv[1], "hang"))
		g_mode = M_HANG;
	else if (!strcmp(argv[1], "send") && argc == 4)
		g_mode = M_SEND;
	else if (!strcmp(argv[1], "send6") && argc == 4) {
		g_mode = M_SEND;
		g_family = AF_INET6;
	}
	else if (!strcmp(argv[1], "rst"))
		g_mode = M_RST;
	else if (!strcmp(argv[1], "burst") && argc == 4)
		g_mode = M_BURST;
	else if (!strcmp(argv[1], "pcapout") && argc == 6 &&
		 strlen(argv[3]) == strlen(argv[4]))
		g_mode = M_PCAPOUT;
	else
		usage();
	g_marker = argv[2];
	g_new = argv[3];
	if (g_mode == M_SLEEP)
		g_ms = (unsigned int)strtoul(argv[3], NULL, 10);
	if (g_mode == M_PCAPOUT) {
		g_old = argv[3];
		g_new = argv[4];
		g_text = argv[5];
	}
	if (g_mode == M_BURST)
		g_count = (unsigned int)strtoul(argv[3], NULL, 10);
	if (g_mode == M_SLEEP || g_mode == M_HANG) {
		ev = MOS_ON_CONN_NEW_DATA;
		hook = MOS_NULL;
	}
	if (mtcp_init(NULL)) {
		perror("verdict_app: mtcp_init");
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = 1;
	if (mtcp_setconf(&conf)) {
		perror("verdict_app: mtcp_setconf");
		return 1;
	}
	g_mctx = mtcp_create_context(0);
	if (!g_mctx) {
		perror("verdict_app: mtcp_create_context");
		return 1;
	}
	sock = mtcp_socket(g_mctx, g_family, MOS_SOCK_MONITOR_STREAM, 0);
	if (sock < 0 || mtcp_register_callback(g_mctx, sock, ev, hook, on_pkt)) {
		perror("verdict_app: mtcp_socket/register_callback");
		return 1;
	}
	if (g_mode == M_PCAPOUT &&
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_NEW_DATA,
				   MOS_NULL, on_svr_data)) {
		perror("verdict_app: mtcp_register_callback");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "ready\n");
	mtcp_app_join(g_mctx);
	if (g_mode == M_ACCEPT)
		printf("pkt_in %lu\n", g_npkt);
	if (g_mode == M_PCAPOUT)
		printf("svr %.*s\n", (int)g_nsvr, g_svr);
	mtcp_destroy();
	return 0;
}
