// SPDX-License-Identifier: GPL-2.0
/*
 * nfq_app - an NFQUEUE consumer (libnetfilter_queue, libmnl) doing what
 * mos's accept-all verdict consumer and samples/nat do, for
 * bench/nat_tput.sh's comparison (Documentation/bench.rst, "NAT through
 * verdicts")
 *
 *   nfq_app accept [-q QUEUE]
 *       every packet NF_ACCEPT, as it came
 *   nfq_app nat -i NAT_ADDRESS [-q QUEUE] [-p FIRST-LAST]
 *       samples/nat's translation of IPv4 TCP: a flow's first packet
 *       (its client's SYN) takes a port from the pool (FIRST up,
 *       1025-65534 by default, as nat's); each packet of the flow's
 *       client leaves with NAT_ADDRESS
 *       and that port as its source, each packet to NAT_ADDRESS and a
 *       port of the pool leaves with the client's address and port as its
 *       destination; NF_ACCEPT with the rewritten packet.  The IPv4
 *       header checksum is computed again (nfq_ip_set_checksum(), as
 *       MOS_UPDATE_IP_CHKSUM does); the TCP checksum is updated for the
 *       changed address and port (RFC 1624) when the packet came with a
 *       complete one, and computed over the whole segment
 *       (nfq_tcp_compute_checksum_ipv4()) when the kernel marked it
 *       NFQA_SKB_CSUMNOTREADY: nfnetlink_queue takes a rewritten packet
 *       as CHECKSUM_NONE, so its checksum must then be complete.  A
 *       packet that cannot be translated (no port left, not IPv4 TCP,
 *       of no flow) is dropped, as nat's with verdict-policy drop.  Ports are not given back: a run of the
 *       bench takes a few.
 *
 * The queue (QUEUE, 0 by default) copies whole packets and takes GSO
 * aggregates as they are (NFQA_CFG_F_GSO): the same packets mos holds.
 *
 * Verdicts are batched as libmosuser batches them (MOS_IOC_VERDICT when
 * the ring is empty or MOS_VERDICT_BATCH verdicts wait): after a packet
 * comes, the packets already queued are read too (MSG_DONTWAIT, up to
 * NFQ_BATCH in all), then their verdicts leave in one sendto(): in accept
 * mode one NFQNL_MSG_VERDICT_BATCH for the highest packet id, in nat mode
 * one NFQNL_MSG_VERDICT with the rewritten packet per packet, the
 * messages one after the other in one buffer.
 *
 * "ready" on stderr once the queue is bound; SIGINT or SIGTERM ends it,
 * and it prints on standard output:
 *
 *   nfq_app: queued Q accepted A translated C2S S2C dropped D batches B
 *            ports P enobufs E
 *
 * (one line).  Exit status 0, 1 on a failure to set up or a verdict the
 * kernel refused.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_tcp.h>

/* Verdicts sent at once at most: MOS_VERDICT_BATCH, libmosuser's */
#define NFQ_BATCH	256
/* The largest packet, and its verdict message with headers */
#define NFQ_PKT_MAX	0xffff
#define NFQ_MSG_MAX	(NFQ_PKT_MAX + 4096)
/* Verdict bytes sent at once at most (within the socket's send buffer) */
#define NFQ_SEND_MAX	(4u << 20)
/* Translations at most (a power of two), and their hash table's slots */
#define NFQ_FLOWS	4096
#define NFQ_SLOTS	(2 * NFQ_FLOWS)

enum { M_ACCEPT, M_NAT };

/* One translation: the client's address and port (network order) */
struct nfq_flow {
	in_addr_t addr;
	in_port_t port;
	in_port_t nat_port;
};

static int g_mode;
static unsigned int g_queue;
static in_addr_t g_nat_addr;
static unsigned long g_first = 1025, g_last = 65534;
static volatile sig_atomic_t g_stop;

static struct nfq_flow g_flows[NFQ_FLOWS];
static unsigned int g_nflows;
/* g_flows index + 1 by the client's address and port; 0: free */
static uint32_t g_slot[NFQ_SLOTS];

static struct mnl_socket *g_nl;
static unsigned long g_queued, g_accepted, g_c2s, g_s2c, g_dropped,
	g_batches, g_enobufs;

/* Packets read, their verdicts not sent yet */
static char *g_out;
static size_t g_out_len;
static unsigned int g_pending;
static uint32_t g_last_id;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nfq_app accept [-q QUEUE]\n"
		"       nfq_app nat -i NAT_ADDRESS [-q QUEUE] [-p FIRST-LAST]\n");
	exit(2);
}

/* One configuration message to the queue, and the kernel's answer */
static int nfq_config(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, n, 0, mnl_socket_get_portid(nl), NULL, NULL) < 0 ?
		-1 : 0;
}

static int nfq_bind(struct mnl_socket *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, g_queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (nfq_config(nl, nlh) < 0) {
		perror("nfq_app: bind");
		return -1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, g_queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NFQ_PKT_MAX);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	if (nfq_config(nl, nlh) < 0) {
		perror("nfq_app: copy mode, NFQA_CFG_F_GSO");
		return -1;
	}
	return 0;
}

/* @check updated for @old becoming @new: RFC 1624's HC' = ~(~HC + ~m + m') */
static uint16_t csum_replace(uint16_t check, const void *old, const void *new,
			     size_t len)
{
	const uint16_t *o = old, *n = new;
	uint32_t s = (uint16_t)~check;
	size_t i;

	for (i = 0; i < len / 2; i++)
		s += (uint16_t)~o[i] + n[i];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t flow_hash(in_addr_t addr, in_port_t port)
{
	uint32_t h = addr ^ ((uint32_t)port << 16 | port);

	h *= 0x9e3779b1u;
	return h >> 19;	/* 13 bits: NFQ_SLOTS */
}

/* The translation of the client at @addr, @port; a new one if @make */
static struct nfq_flow *flow_get(in_addr_t addr, in_port_t port, bool make)
{
	uint32_t i = flow_hash(addr, port), idx;
	struct nfq_flow *f;

	for (;; i = (i + 1) & (NFQ_SLOTS - 1)) {
		idx = g_slot[i];
		if (!idx)
			break;
		f = &g_flows[idx - 1];
		if (f->addr == addr && f->port == port)
			return f;
	}
	if (!make || g_nflows == NFQ_FLOWS ||
	    g_first + g_nflows > g_last) {
		if (make)
			fprintf(stderr, "nfq_app: no port left\n");
		return NULL;
	}
	f = &g_flows[g_nflows++];
	f->addr = addr;
	f->port = port;
	f->nat_port = htons((uint16_t)(g_first + g_nflows - 1));
	g_slot[i] = g_nflows;
	return f;
}

/*
 * Rewrite @pkt (@len bytes, IPv4 + TCP) in place: source or destination,
 * checksums; false: it cannot be translated
 */
static bool translate(uint8_t *pkt, size_t len, uint32_t skbinfo)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct tcphdr *th;
	struct nfq_flow *f;
	uint32_t old[2], new[2];
	size_t hl;
	bool c2s;

	if (len < sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_TCP)
		return false;
	hl = ip->ihl * 4u;
	if (hl < sizeof(*ip) || len < hl + sizeof(*th))
		return false;
	th = (struct tcphdr *)(pkt + hl);
	c2s = ip->daddr != g_nat_addr;
	if (c2s) {
		/* A flow begins with its client's SYN */
		f = flow_get(ip->saddr, th->source, th->syn && !th->ack);
	} else {
		unsigned long p = ntohs(th->dest);

		/* The pool's ports go in order: flow i has g_first + i */
		f = p >= g_first && p < g_first + g_nflows ?
			&g_flows[p - g_first] : NULL;
	}
	if (!f)
		return false;
	/* The address, then the port, as the pseudo-header sums them */
	if (c2s) {
		old[0] = ip->saddr;
		old[1] = th->source;
		ip->saddr = g_nat_addr;
		th->source = f->nat_port;
		g_c2s++;
	} else {
		old[0] = ip->daddr;
		old[1] = th->dest;
		ip->daddr = f->addr;
		th->dest = f->port;
		g_s2c++;
	}
	new[0] = c2s ? ip->saddr : ip->daddr;
	new[1] = c2s ? th->source : th->dest;
	nfq_ip_set_checksum(ip);
	if (skbinfo & NFQA_SKB_CSUMNOTREADY)
		nfq_tcp_compute_checksum_ipv4(th, ip);
	else
		th->check = csum_replace(th->check, old, new, sizeof(old));
	return true;
}

/* Send the verdicts waiting; false: the kernel refused them */
static bool flush(struct mnl_socket *nl)
{
	if (!g_pending)
		return true;
	if (g_mode == M_ACCEPT) {
		struct nlmsghdr *nlh;

		nlh = nfq_nlmsg_put(g_out, NFQNL_MSG_VERDICT_BATCH, g_queue);
		nfq_nlmsg_verdict_put(nlh, g_last_id, NF_ACCEPT);
		g_out_len = nlh->nlmsg_len;
	}
	g_batches++;
	g_pending = 0;
	if (mnl_socket_sendto(nl, g_out, g_out_len) < 0) {
		perror("nfq_app: verdict");
		g_out_len = 0;
		return false;
	}
	g_out_len = 0;
	return true;
}

/* One packet read: its verdict joins the batch */
static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	struct nlmsghdr *out;
	uint32_t id, info = 0;
	uint16_t plen;
	uint8_t *pkt;

	(void)data;
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) {
		fprintf(stderr, "nfq_app: a message without a packet\n");
		return MNL_CB_ERROR;
	}
	/* A full batch leaves before this packet joins the next */
	if (g_pending == NFQ_BATCH || g_out_len + NFQ_MSG_MAX > NFQ_SEND_MAX)
		if (!flush(g_nl))
			return MNL_CB_ERROR;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	g_queued++;
	g_pending++;
	g_last_id = id;
	if (g_mode == M_ACCEPT) {
		g_accepted++;
		return MNL_CB_OK;
	}
	out = nfq_nlmsg_put(g_out + g_out_len, NFQNL_MSG_VERDICT, g_queue);
	if (attr[NFQA_SKB_INFO])
		info = ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO]));
	plen = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]) : 0;
	pkt = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload(attr[NFQA_PAYLOAD]) : NULL;
	if (pkt && translate(pkt, plen, info)) {
		nfq_nlmsg_verdict_put(out, id, NF_ACCEPT);
		nfq_nlmsg_verdict_put_pkt(out, pkt, plen);
		g_accepted++;
	} else {
		nfq_nlmsg_verdict_put(out, id, NF_DROP);
		g_dropped++;
	}
	g_out_len += out->nlmsg_len;
	return MNL_CB_OK;
}

/* Read and answer packets until a signal comes; 0, or -1 on a failure */
static int run(struct mnl_socket *nl)
{
	static char buf[NFQ_MSG_MAX];
	unsigned int portid = mnl_socket_get_portid(nl);
	int fd = mnl_socket_get_fd(nl), flags = 0;
	ssize_t n;

	while (!g_stop) {
		n = recv(fd, buf, sizeof(buf), flags);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (!flush(nl))
					return -1;
				flags = 0;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Packets lost to a full socket: counted */
				g_enobufs++;
				continue;
			}
			perror("nfq_app: recv");
			return -1;
		}
		if (mnl_cb_run(buf, n, 0, portid, on_packet, NULL) < 0) {
			perror("nfq_app: a message");
			return -1;
		}
		/* The next ones if queued already */
		flags = MSG_DONTWAIT;
	}
	return flush(nl) ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct mnl_socket *nl;
	int opt, status, size;
	struct in_addr a;
	char *end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "accept"))
		g_mode = M_ACCEPT;
	else if (!strcmp(argv[1], "nat"))
		g_mode = M_NAT;
	else
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "i:q:p:")) != -1) {
		switch (opt) {
		case 'i':
			if (!inet_aton(optarg, &a) || !a.s_addr)
				usage();
			g_nat_addr = a.s_addr;
			break;
		case 'q':
			g_queue = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || end == optarg || g_queue > 65535)
				usage();
			break;
		case 'p':
			g_first = strtoul(optarg, &end, 10);
			if (*end != '-')
				usage();
			g_last = strtoul(end + 1, &end, 10);
			if (*end || !g_first || g_first > g_last || g_last > 65535)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (g_mode == M_NAT) != (g_nat_addr != 0))
		usage();
	g_out = malloc(NFQ_SEND_MAX);
	if (!g_out) {
		perror("nfq_app: malloc");
		return 1;
	}

	/* No SA_RESTART: a signal ends the blocking recv() */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	nl = g_nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfq_app: netlink socket");
		return 1;
	}
	/* Room for the queue's default 1024 packets, and for a batch out */
	size = 64 << 20;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)) < 0 ||
	    (size = 2 * NFQ_SEND_MAX,
	     setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE,
			&size, sizeof(size)) < 0)) {
		perror("nfq_app: socket buffers");
		return 1;
	}
	if (nfq_bind(nl) < 0)
		return 1;
	fprintf(stderr, "nfq_app: %s, queue %u, ready\n", argv[1], g_queue);

	status = run(nl) < 0;
	printf("nfq_app: queued %lu accepted %lu translated %lu %lu dropped %lu batches %lu ports %u enobufs %lu\n",
	       g_queued, g_accepted, g_c2s, g_s2c, g_dropped, g_batches,
	       g_nflows, g_enobufs);
	mnl_socket_close(nl);
	free(g_out);
	return status;
}
