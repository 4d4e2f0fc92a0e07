// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test.c - the /dev/mos ring: setup, mappings, records of real TCP
 * connections over loopback, losses, bad arguments
 *
 * Runs in the test VM inside a network namespace that ring.sh created and
 * enabled (TIME_WAIT and CLOSED timeouts 1 s, lo up), twice: in passive
 * mode, and in inline mode with MOS_RING_MODE=inline, where a full ring
 * holds packets back instead of losing their records.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "libmosuser.h"

static int inline_mode(void)
{
	const char *m = getenv("MOS_RING_MODE");

	return m && !strcmp(m, "inline");
}

/* The ring as libmosuser maps it, and its size */
struct ring {
	struct mos_ring_user u;
	int fd;
	long pg;
	uint64_t size;
	const struct mos_ring_hdr *hdr;
	const struct mos_ring_pos *prod;
	const uint8_t *data;
	void *ro;
};

static int ring_open(struct ring *r, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->fd = mos_dev__open();
	if (r->fd < 0 || mos_ring__open(&r->u, r->fd, size))
		return -1;
	r->pg = r->u.page_size;
	r->size = size;
	r->hdr = r->u.hdr;
	r->prod = r->u.prod;
	r->data = r->u.data;
	r->ro = (void *)r->u.hdr;
	return 0;
}

static void ring_close(struct ring *r)
{
	mos_ring__close(&r->u);
	close(r->fd);
}

static const struct mos_rec *ring_next(struct ring *r)
{
	return mos_ring__next(&r->u);
}

static void ring_advance(struct ring *r, const struct mos_rec *rec)
{
	mos_ring__advance(&r->u, rec);
}

static int sock_subscribe(struct ring *r, unsigned int hook, uint64_t events,
			  uint32_t buf)
{
	struct mos_ioc_subscribe s = {
		.size = sizeof(s), .sock = 1, .hook = hook, .events = events,
		.buf = { buf, buf },
	};

	return ioctl(r->fd, MOS_IOC_SUBSCRIBE, &s);
}

/* A listener on 127.0.0.1, its port in *port */
static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (void *)&a, sizeof(a)) || listen(s, 4) ||
	    getsockname(s, (void *)&a, &alen))
		return -1;
	*port = ntohs(a.sin_port);
	return s;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (void *)&a, sizeof(a)))
		return -1;
	return s;
}

static int read_all(int s, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(s, buf + got, n - got, 0);

		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

#define EV(n)	(1ULL << (n))
/* enum tm_event numbering: mOS's event bits */
enum { PKT_IN, PKT_OUT, CONN_START, CONN_SETUP, NEW_DATA, ERROR, TIMEOUT,
       STATE_CHANGE, ORPHAN, REXMIT, CONN_END };

TEST(header_and_mappings)
{
	struct ring r;
	void *p;

	ASSERT_EQ(0, ring_open(&r, 1 << 16));
	EXPECT_EQ(MOS_RING_MAGIC, r.hdr->magic);
	EXPECT_EQ(MOS_ABI_MAJOR, r.hdr->abi_major);
	EXPECT_EQ(r.pg, (long)r.hdr->page_size);
	EXPECT_EQ(1 << 16, r.hdr->data_size);
	EXPECT_EQ(0, r.prod->pos);
	/* Only the consumer page may be writable, and the others stay not */
	p = mmap(NULL, r.pg, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd,
		 MOS_RING_PGOFF_PROD * r.pg);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mprotect(r.ro, r.pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* Past the end */
	p = mmap(NULL, r.pg, PROT_READ, MAP_SHARED, r.fd,
		 (MOS_RING_PGOFF_DATA + 2 * (1 << 16) / r.pg) * r.pg);
	EXPECT_EQ(MAP_FAILED, p);
	/* The data area is there twice: its last page is also just before */
	EXPECT_EQ(0, memcmp(r.data, r.data + r.size, r.pg));
	ring_close(&r);
}

TEST(bad_arguments)
{
	struct mos_ioc_ring a = { .size = sizeof(a), .data_size = 1 << 16 };
	struct mos_ioc_socket s = { .size = sizeof(s),
				    .type = MOS_MSOCK_STREAM };
	struct mos_ioc_subscribe sub = { .size = sizeof(sub), .sock = 1,
					 .hook = MOS_HOOK_SND };
	int fd = mos_dev__open();

	ASSERT_LE(0, fd);
	/* Nothing before the ring */
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SOCKET, &s));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
	/* Sizes: not a power of two, too small, too large, short struct */
	a.data_size = 100000;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.data_size = 4096;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.data_size = 1ULL << 40;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.data_size = 1 << 16;
	a.size = 8;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.size = sizeof(a);
	a.flags = MOS_RING_F_WAKEUP << 1;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Stream bytes refer to packet bytes sent once: not without them */
	a.flags = MOS_RING_F_DATA_PKT;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved = 0;
	/* A split: an index below a count of at most MOS_SPLIT_MAX */
	a.split_count = 2;
	a.split_index = 2;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.split_count = MOS_SPLIT_MAX + 1;
	a.split_index = 0;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.split_count = 0;
	a.split_index = 1;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.split_index = 0;
	ASSERT_EQ(0, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EBUSY, errno);
	/* Sockets: unknown type */
	s.type = 9;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SOCKET, &s));
	EXPECT_EQ(EINVAL, errno);
	/* Subscribing: no such socket, bad hook, an event the hook lacks */
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(EINVAL, errno);
	s.type = MOS_MSOCK_STREAM;
	ASSERT_EQ(0, ioctl(fd, MOS_IOC_SOCKET, &s));
	EXPECT_EQ(1, s.id);
	sub.hook = MOS_HOOKS;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(EINVAL, errno);
	sub.hook = MOS_HOOK_NULL;
	sub.events = EV(CONN_START);
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(EINVAL, errno);
	sub.events = EV(ORPHAN);
	sub.flags = 2;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(EOPNOTSUPP, errno);
	sub.flags = 0;
	EXPECT_EQ(0, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));

	/* Raw sockets: PKT_IN at hook NULL only, and no stream bytes */
	s.type = MOS_MSOCK_RAW;
	s.id = 0;
	ASSERT_EQ(0, ioctl(fd, MOS_IOC_SOCKET, &s));
	EXPECT_EQ(2, s.id);
	sub.sock = 2;
	sub.events = EV(ORPHAN);
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(EINVAL, errno);
	sub.events = EV(PKT_IN);
	sub.buf[0] = 4096;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(EINVAL, errno);
	sub.buf[0] = 0;
	EXPECT_EQ(0, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	sub.hook = MOS_HOOK_SND;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(EINVAL, errno);

	/* Filters: the socket's kind, sizes, valid classic BPF, pointers */
	{
		struct sock_filter accept[] = {
			BPF_STMT(BPF_RET | BPF_K, 0xffff),
		};
		struct sock_filter no_ret[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		};
		struct mos_ioc_filter fl = {
			.size = sizeof(fl), .sock = 1, .which = MOS_FILTER_SYN,
			.len = 1, .insns = (uintptr_t)accept,
		};

		EXPECT_EQ(0, ioctl(fd, MOS_IOC_FILTER, &fl));
		fl.which = MOS_FILTER_ORPHAN;
		EXPECT_EQ(0, ioctl(fd, MOS_IOC_FILTER, &fl));
		fl.which = MOS_FILTER_RAW;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.sock = 2;
		EXPECT_EQ(0, ioctl(fd, MOS_IOC_FILTER, &fl));
		fl.which = MOS_FILTER_SYN;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.which = 3;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.which = MOS_FILTER_RAW;
		fl.sock = 3;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.sock = 2;
		fl.len = MOS_FILTER_MAX_INSNS + 1;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.len = 1;
		fl.insns = (uintptr_t)no_ret;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.insns = 8;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EFAULT, errno);
		fl.len = 0;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.insns = 0;
		fl.reserved = 1;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FILTER, &fl));
		EXPECT_EQ(EINVAL, errno);
		fl.reserved = 0;
		EXPECT_EQ(0, ioctl(fd, MOS_IOC_FILTER, &fl));
	}

	/* Flows: operations, sides, family; no such flow */
	{
		struct mos_ioc_flow fw = {
			.size = sizeof(fw), .op = MOS_FLOW_STOP,
			.sides = MOS_SIDE_BIT_CLI,
			.flow = { .flow = 1, .family = 4 },
		};

		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(ENOENT, errno);
		fw.sides = 4;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		fw.sides = 0;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		/* An argument only MOS_FLOW_OVERLAP takes */
		fw.sides = MOS_SIDE_BIT_CLI;
		fw.arg = MOS_OVERLAP_LAST;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		fw.op = MOS_FLOW_OVERLAP;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(ENOENT, errno);
		fw.arg = MOS_OVERLAP_LINUX + 1;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		fw.arg = MOS_OVERLAP_FIRST;
		fw.sides = 0;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		fw.sides = 8;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		fw.sides = 0;
		fw.op = 9;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EOPNOTSUPP, errno);
		fw.op = MOS_FLOW_RESET;
		fw.sides = MOS_SIDE_BIT_CLI;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		fw.sides = 0;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(inline_mode() ? ENOENT : EOPNOTSUPP, errno);
		fw.op = MOS_FLOW_DROP;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(inline_mode() ? ENOENT : EOPNOTSUPP, errno);
		fw.flow.family = 5;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
		fw.flow.family = 4;
		fw.flow.flow = 0;
		EXPECT_EQ(-1, ioctl(fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EINVAL, errno);
	}
	close(fd);
}

/* What the records of a test said */
struct seen {
	unsigned int open, close, lost, other;
	uint64_t flow;
	struct mos_rec_flow fopen;
	unsigned int ev[11][MOS_HOOKS];
	unsigned int end_reason_fin;
	unsigned int pkt_ok;
	uint64_t new_data[2];
	char data[2][4096];
	uint64_t dlen[2];
	struct mos_rec_lost lostrec;	/* the last */
	uint64_t lost_bytes, lost_events, lost_named;
	unsigned int bad;
	int check_pattern;		/* side 1 carries pattern() bytes */
	uint64_t pattern_bad;
	unsigned int ev_side_after[2];	/* events per side once @counting */
	int counting;
};

/* The byte at stream offset @off of the pattern streams */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 % 251);
}

static void drain(struct ring *r, struct seen *s)
{
	const struct mos_rec *rec;

	while ((rec = ring_next(r))) {
		const void *b = rec + 1;

		if (rec->len & MOS_REC_DISCARD) {
			ring_advance(r, rec);
			continue;
		}
		switch (rec->type) {
		case MOS_REC_FLOW_OPEN:
			s->open++;
			memcpy(&s->fopen, b, sizeof(s->fopen));
			s->flow = s->fopen.flow;
			break;
		case MOS_REC_FLOW_CLOSE:
			s->close++;
			if (((const struct mos_rec_flow *)b)->flow != s->flow)
				s->bad++;
			break;
		case MOS_REC_EVENT: {
			const struct mos_rec_event *e = b;
			const uint8_t *pkt = (const void *)(e + 1);

			if (e->type > CONN_END || e->hook >= MOS_HOOKS ||
			    (e->flow && e->flow != s->flow) || rec->sock != 1) {
				s->bad++;
				break;
			}
			s->ev[e->type][e->hook]++;
			if (s->counting && e->side < 2)
				s->ev_side_after[e->side]++;
			if (e->type == CONN_END && e->reason == 0)
				s->end_reason_fin++;
			if (e->type == NEW_DATA && e->side < 2)
				s->new_data[e->side] += e->len;
			if (e->type == PKT_IN && e->pkt_len >= 40 &&
			    e->pkt_len == e->pkt_total && pkt[0] == 0x45)
				s->pkt_ok++;
			break;
		}
		case MOS_REC_DATA: {
			const struct mos_rec_data *d = b;

			/* Only one stream may lose bytes in these tests */
			if (d->side > 1 || d->flow != s->flow ||
			    d->off != s->dlen[d->side] + s->lost_bytes) {
				s->bad++;
				break;
			}
			if (d->off + d->len <= sizeof(s->data[0]))
				memcpy(s->data[d->side] + d->off, d + 1, d->len);
			if (s->check_pattern && d->side == 1) {
				const uint8_t *b8 = (const void *)(d + 1);

				for (uint32_t i = 0; i < d->len; i++)
					s->pattern_bad += b8[i] != pattern(d->off + i);
			}
			s->dlen[d->side] += d->len;
			break;
		}
		case MOS_REC_LOST:
			s->lost++;
			memcpy(&s->lostrec, b, sizeof(s->lostrec));
			s->lost_bytes += s->lostrec.bytes;
			s->lost_events += s->lostrec.events;
			if (s->lostrec.nflows == 1 &&
			    s->lostrec.flows[0] == s->flow)
				s->lost_named++;
			break;
		default:
			s->other++;
		}
		ring_advance(r, rec);
	}
}

TEST(events_of_a_connection)
{
	static const uint64_t rcv_snd = EV(PKT_IN) | EV(CONN_START) |
		EV(CONN_SETUP) | EV(STATE_CHANGE) | EV(REXMIT) | EV(CONN_END);
	struct seen s = { 0 };
	struct pollfd pfd;
	char buf[8];
	uint16_t port;
	struct ring r;
	int l, c, a;

	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_SOCKET, &ms));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_SND, rcv_snd, 65536));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_RCV, rcv_snd, 65536));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_NULL,
				    EV(NEW_DATA) | EV(ERROR) | EV(TIMEOUT),
				    65536));
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	l = listener(&port);
	ASSERT_LE(0, l);
	c = connect_to(port);
	ASSERT_LE(0, c);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(0, read_all(a, buf, 5));
	ASSERT_EQ(5, send(a, "world", 5, 0));
	ASSERT_EQ(0, read_all(c, buf, 5));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	close(c);
	close(a);
	close(l);
	/*
	 * TIME_WAIT and CLOSED are 1 s here; the expiry work sweeps the
	 * table in 4 s: wait for the flow's close record, 10 s at most.
	 */
	for (int i = 0; i < 100 && !s.close; i++) {
		usleep(100000);
		drain(&r, &s);
	}

	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(0, s.other);
	EXPECT_EQ(0, s.lost);
	EXPECT_EQ(1, s.open);
	EXPECT_EQ(1, s.close);
	EXPECT_EQ(4, s.fopen.family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), *(uint32_t *)s.fopen.cli_addr);
	EXPECT_EQ(port, ntohs(s.fopen.svr_port));
	/* Each side starts, sets up and ends once: client at SND, server RCV */
	EXPECT_EQ(1, s.ev[CONN_START][MOS_HOOK_SND]);
	EXPECT_EQ(1, s.ev[CONN_START][MOS_HOOK_RCV]);
	EXPECT_EQ(2, s.ev[CONN_SETUP][MOS_HOOK_SND] + s.ev[CONN_SETUP][MOS_HOOK_RCV]);
	EXPECT_EQ(2, s.ev[CONN_END][MOS_HOOK_SND] + s.ev[CONN_END][MOS_HOOK_RCV] +
		     s.ev[CONN_END][MOS_HOOK_NULL]);
	EXPECT_EQ(2, s.end_reason_fin);
	/* Every packet is seen at both hooks, with its bytes */
	EXPECT_EQ(s.ev[PKT_IN][MOS_HOOK_SND], s.ev[PKT_IN][MOS_HOOK_RCV]);
	EXPECT_LE(7, s.ev[PKT_IN][MOS_HOOK_SND]);
	EXPECT_EQ(s.ev[PKT_IN][MOS_HOOK_SND] * 2, s.pkt_ok);
	EXPECT_EQ(0, s.ev[REXMIT][MOS_HOOK_SND] + s.ev[REXMIT][MOS_HOOK_RCV]);
	/* The streams, exactly: the server received hello, the client world */
	EXPECT_EQ(5, s.dlen[1]);
	EXPECT_EQ(5, s.dlen[0]);
	EXPECT_EQ(0, memcmp(s.data[1], "hello", 5));
	EXPECT_EQ(0, memcmp(s.data[0], "world", 5));
	EXPECT_EQ(5, s.new_data[1]);
	EXPECT_EQ(5, s.new_data[0]);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ring_close(&r);
}

/*
 * MOS_RING_F_PKT_ONCE: each packet's bytes in its first record only.  On
 * loopback a packet passes LOCAL_OUT once: its PKT_IN at SND carries it
 * whole (an IPv4 packet of the length in its header), its PKT_IN at RCV
 * and its NEW_DATA say MOS_EVF_PKT_PREV, with no bytes, and the same
 * lengths, and its time: the records of one packet share one.
 */
TEST(packet_bytes_once)
{
	struct mos_ring_opts o = { .sz = sizeof(o), .data_size = 1 << 20,
				   .flags = MOS_RING_F_PKT_ONCE };
	unsigned int with = 0, prev = 0, bad = 0, rcv = 0, snd = 0, nd = 0;
	unsigned int same_ts = 0;
	uint16_t port, last_len = 0, plen;
	const struct mos_rec *rec;
	uint32_t last_total = 0;
	uint64_t last_ts = 0;
	struct ring r = { 0 };
	int l, c, a, closed = 0;
	char buf[8];

	r.fd = mos_dev__open();
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, mos_ring__open_opts(&r.u, r.fd, &o));
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_SOCKET, &ms));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_SND, EV(PKT_IN), 65536));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_RCV, EV(PKT_IN), 65536));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_NULL, EV(NEW_DATA), 65536));

	l = listener(&port);
	ASSERT_LE(0, l);
	c = connect_to(port);
	ASSERT_LE(0, c);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(0, read_all(a, buf, 5));
	ASSERT_EQ(5, send(a, "world", 5, 0));
	ASSERT_EQ(0, read_all(c, buf, 5));
	close(c);
	close(a);
	close(l);
	for (int i = 0; i < 100 && !closed; i++) {
		usleep(100000);
		while ((rec = mos_ring__next(&r.u))) {
			const struct mos_rec_event *e = (const void *)(rec + 1);
			const uint8_t *pkt = (const void *)(e + 1);

			if (rec->type == MOS_REC_FLOW_CLOSE)
				closed = 1;
			if (rec->type != MOS_REC_EVENT) {
				mos_ring__advance(&r.u, rec);
				continue;
			}
			plen = rec->len & MOS_REC_LEN_MASK;
			snd += e->type == PKT_IN && e->hook == MOS_HOOK_SND;
			rcv += e->type == PKT_IN && e->hook == MOS_HOOK_RCV;
			nd += e->type == NEW_DATA;
			if (e->flags & MOS_EVF_PKT_PREV) {
				prev++;
				/* One packet's records, one time (ABI 0.14) */
				same_ts += e->ts_ns == last_ts;
				bad += plen != sizeof(*e) || !last_len ||
				       e->pkt_len != last_len ||
				       e->pkt_total != last_total ||
				       (e->type == PKT_IN &&
					e->hook != MOS_HOOK_RCV);
			} else {
				with++;
				bad += plen != sizeof(*e) + e->pkt_len ||
				       e->pkt_len < 40 || pkt[0] != 0x45 ||
				       e->pkt_len != e->pkt_total ||
				       e->pkt_total != (pkt[2] << 8 | pkt[3]) ||
				       e->type != PKT_IN ||
				       e->hook != MOS_HOOK_SND;
				last_len = e->pkt_len;
				last_total = e->pkt_total;
				last_ts = e->ts_ns;
			}
			mos_ring__advance(&r.u, rec);
		}
	}
	EXPECT_EQ(1, closed);
	EXPECT_EQ(0, bad);
	/* The handshake, two data segments, their ACKs, the FINs: 7 at least */
	EXPECT_LE(7, snd);
	EXPECT_EQ(snd, rcv);
	/* hello and world, one NEW_DATA each */
	EXPECT_EQ(2, nd);
	EXPECT_EQ(snd, with);
	EXPECT_EQ(rcv + nd, prev);
	EXPECT_EQ(prev, same_ts);
	ring_close(&r);
}

/*
 * MOS_RING_F_DATA_PKT: a data record of bytes that the packet's first
 * record carried refers to them (MOS_DATAF_PKT, no bytes after its body),
 * at the payload's offset in that packet (IPv4 header, then TCP header:
 * their lengths from the packet's IHL and data offset fields); bytes past
 * the packet copy limit (2048 by default) are copied.  What the stream
 * holds is compared with what the peer's read() returned.
 */
TEST(stream_bytes_in_packet)
{
	struct mos_ring_opts o = { .sz = sizeof(o), .data_size = 1 << 20,
				   .flags = MOS_RING_F_PKT_ONCE |
					    MOS_RING_F_DATA_PKT };
	static char big[3000], got[3000], stream[2][8192];
	unsigned int ref = 0, copied = 0, bad = 0, nrec = 0;
	uint8_t last[2048];
	uint32_t last_len = 0, slen[2] = { 0 };
	const struct mos_rec *rec;
	struct ring r = { 0 };
	int l, c, a, closed = 0;
	uint16_t port;
	char buf[8];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = 'A' + i % 23;
	r.fd = mos_dev__open();
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, mos_ring__open_opts(&r.u, r.fd, &o));
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_SOCKET, &ms));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_SND, EV(PKT_IN), 65536));

	l = listener(&port);
	ASSERT_LE(0, l);
	c = connect_to(port);
	ASSERT_LE(0, c);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(0, read_all(a, buf, 5));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(5, send(a, "world", 5, 0));
	ASSERT_EQ(0, read_all(c, buf, 5));
	/* One segment on loopback (MSS 65483), longer than the copy limit */
	ASSERT_EQ(sizeof(big), send(c, big, sizeof(big), 0));
	ASSERT_EQ(0, read_all(a, got, sizeof(got)));
	close(c);
	close(a);
	close(l);
	for (int i = 0; i < 100 && !closed; i++) {
		usleep(100000);
		while ((rec = mos_ring__next(&r.u))) {
			const void *b = rec + 1;
			uint32_t blen = rec->len & MOS_REC_LEN_MASK;

			nrec++;
			if (rec->type == MOS_REC_FLOW_CLOSE)
				closed = 1;
			if (rec->type == MOS_REC_EVENT) {
				const struct mos_rec_event *e = b;

				if (!(e->flags & MOS_EVF_PKT_PREV) &&
				    e->pkt_len <= sizeof(last)) {
					memcpy(last, e + 1, e->pkt_len);
					last_len = e->pkt_len;
				}
			} else if (rec->type == MOS_REC_DATA) {
				const struct mos_rec_data *d = b;
				const uint8_t *bytes = (const void *)(d + 1);
				unsigned int hl = (last[0] & 15) * 4;

				if (d->side > 1 || d->off != slen[d->side] ||
				    d->off + d->len > sizeof(stream[0])) {
					bad++;
				} else if (d->flags & MOS_DATAF_PKT) {
					ref++;
					/* The payload, after both headers */
					bad += blen != sizeof(*d) ||
					       d->pkt_off !=
					       hl + (last[hl + 12] >> 4) * 4 ||
					       d->pkt_off + d->len > last_len;
					memcpy(stream[d->side] + d->off,
					       last + d->pkt_off, d->len);
					slen[d->side] += d->len;
				} else {
					copied++;
					bad += blen != sizeof(*d) + d->len ||
					       d->pkt_off;
					memcpy(stream[d->side] + d->off,
					       bytes, d->len);
					slen[d->side] += d->len;
				}
			}
			mos_ring__advance(&r.u, rec);
		}
	}
	EXPECT_EQ(1, closed);
	EXPECT_EQ(0, bad);
	/* hello and world referred to; the long segment copied */
	EXPECT_EQ(2, ref);
	EXPECT_EQ(1, copied);
	EXPECT_EQ(5 + sizeof(big), slen[1]);
	EXPECT_EQ(5, slen[0]);
	EXPECT_EQ(0, memcmp(stream[1], "hello", 5));
	EXPECT_EQ(0, memcmp(stream[1] + 5, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(stream[0], "world", 5));
	ring_close(&r);
}

/*
 * held_bytes_once's verdict consumer, a thread: it accepts every packet
 * held for it, the one whose payload is "REWRITE-ME" rewritten to
 * "REWRITTEN!", and rebuilds both streams from its data records as
 * stream_bytes_in_packet does
 */
struct vcons {
	struct ring r;
	volatile int stop;
	unsigned int ref, copied, bad, verdicts, rewrites;
	uint8_t last[2048];
	uint32_t last_len;
	char stream[2][64];
	uint32_t slen[2];
};

/* Where the TCP payload of the packet @v keeps starts */
static uint32_t vcons_payload(const struct vcons *v)
{
	unsigned int hl = (v->last[0] & 15) * 4;

	return hl + (v->last[hl + 12] >> 4) * 4;
}

static void vcons_held(struct vcons *v, const struct mos_rec_held *h)
{
	struct mos_verdict vd = { .token = h->token,
				  .verdict = MOS_VERDICT_ACCEPT };
	struct mos_ioc_verdict a = { .size = sizeof(a), .n = 1,
				     .vec = (uintptr_t)&vd };
	uint32_t at = vcons_payload(v);

	if (!h->token)
		return;
	if (v->last_len == at + 10 && !memcmp(v->last + at, "REWRITE-ME", 10)) {
		vd.data = (uintptr_t)"REWRITTEN!";
		vd.off = at;
		vd.len = 10;
		vd.flags = MOS_VERDICT_F_TCP_CSUM;
		v->rewrites++;
	}
	if (ioctl(v->r.fd, MOS_IOC_VERDICT, &a) || vd.res)
		v->bad++;
	v->verdicts++;
}

static void vcons_data(struct vcons *v, const struct mos_rec_data *d,
		       uint32_t blen)
{
	const uint8_t *bytes = (const void *)(d + 1);

	if (d->side > 1 || d->off != v->slen[d->side] ||
	    d->off + d->len > sizeof(v->stream[0])) {
		v->bad++;
		return;
	}
	if (d->flags & MOS_DATAF_PKT) {
		v->ref++;
		v->bad += blen != sizeof(*d) || d->pkt_off != vcons_payload(v) ||
			  d->pkt_off + d->len > v->last_len;
		bytes = v->last + d->pkt_off;
	} else {
		v->copied++;
		v->bad += blen != sizeof(*d) + d->len;
	}
	memcpy(v->stream[d->side] + d->off, bytes, d->len);
	v->slen[d->side] += d->len;
}

static void *vcons_run(void *arg)
{
	struct vcons *v = arg;
	const struct mos_rec *rec;

	while (!v->stop) {
		struct pollfd p = { .fd = v->r.fd, .events = POLLIN };

		poll(&p, 1, 20);
		while ((rec = ring_next(&v->r))) {
			const void *b = rec + 1;
			const struct mos_rec_event *e = b;

			if (rec->type == MOS_REC_EVENT &&
			    !(e->flags & MOS_EVF_PKT_PREV) && e->pkt_len &&
			    e->pkt_len <= sizeof(v->last)) {
				memcpy(v->last, e + 1, e->pkt_len);
				v->last_len = e->pkt_len;
			} else if (rec->type == MOS_REC_HELD) {
				vcons_held(v, b);
			} else if (rec->type == MOS_REC_DATA) {
				vcons_data(v, b, rec->len & MOS_REC_LEN_MASK);
			}
			ring_advance(&v->r, rec);
		}
	}
	return NULL;
}

/*
 * MOS_RING_F_VERDICT with MOS_RING_F_PKT_ONCE and MOS_RING_F_DATA_PKT
 * (libmosuser's flags), inline: a segment is held after its sender's
 * records, which carry its bytes; its receiver's stream bytes come when
 * it leaves.  Accepted as it was, they refer to the bytes the consumer
 * has (MOS_DATAF_PKT): one copy of them in the ring.  Rewritten, they are
 * the new bytes, copied.  The streams are compared with what each peer's
 * read() returned.
 */
TEST(held_bytes_once)
{
	struct mos_ring_opts o = { .sz = sizeof(o), .data_size = 1 << 20,
				   .flags = MOS_RING_F_PKT_ONCE |
					    MOS_RING_F_DATA_PKT |
					    MOS_RING_F_VERDICT };
	static struct vcons v;
	char got[15], back[5];
	pthread_t th;
	uint16_t port;
	int l, c, a;

	if (!inline_mode())
		SKIP(return, "verdicts hold packets in inline mode only");
	memset(&v, 0, sizeof(v));
	v.r.fd = mos_dev__open();
	ASSERT_LE(0, v.r.fd);
	ASSERT_EQ(0, mos_ring__open_opts(&v.r.u, v.r.fd, &o));
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	ASSERT_EQ(0, ioctl(v.r.fd, MOS_IOC_SOCKET, &ms));
	ASSERT_EQ(0, sock_subscribe(&v.r, MOS_HOOK_SND, EV(PKT_IN), 65536));
	ASSERT_EQ(0, pthread_create(&th, NULL, vcons_run, &v));

	l = listener(&port);
	c = connect_to(port);
	a = l < 0 ? -1 : accept(l, NULL, NULL);
	if (a >= 0) {
		/* One segment each, each acknowledged before the next */
		EXPECT_EQ(5, send(c, "hello", 5, 0));
		EXPECT_EQ(0, read_all(a, got, 5));
		EXPECT_EQ(10, send(c, "REWRITE-ME", 10, 0));
		EXPECT_EQ(0, read_all(a, got + 5, 10));
		EXPECT_EQ(5, send(a, "world", 5, 0));
		EXPECT_EQ(0, read_all(c, back, 5));
	}
	usleep(300000);
	v.stop = 1;
	pthread_join(th, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(0, memcmp(got, "helloREWRITTEN!", 15));
	EXPECT_EQ(0, memcmp(back, "world", 5));
	EXPECT_EQ(0, v.bad);
	EXPECT_EQ(1, v.rewrites);
	/* The handshake and the segments at least, each held */
	EXPECT_LE(6, v.verdicts);
	/* hello and world referred to; the rewritten bytes copied */
	EXPECT_EQ(2, v.ref);
	EXPECT_EQ(1, v.copied);
	EXPECT_EQ(15, v.slen[1]);
	EXPECT_EQ(5, v.slen[0]);
	EXPECT_EQ(0, memcmp(v.stream[1], got, 15));
	EXPECT_EQ(0, memcmp(v.stream[0], "world", 5));
	close(c);
	close(a);
	close(l);
	v.stop = 0;
	/* The FINs, held too: a verdict each until the ends are closed */
	ASSERT_EQ(0, pthread_create(&th, NULL, vcons_run, &v));
	usleep(300000);
	v.stop = 1;
	pthread_join(th, NULL);
	ring_close(&v.r);
}

static void stream_no_loss(struct __test_metadata *_metadata);

/*
 * A ring nobody reads: what does not fit is counted, then reported
 * (passive mode); inline mode holds the packets back instead
 */
TEST(losses_counted)
{
	const size_t total = 1 << 20;
	struct seen s = { 0 };
	static char big[1 << 16];
	uint64_t flow1;
	uint16_t port;
	struct ring r;
	int l, c, a;
	size_t sent = 0;

	if (inline_mode()) {
		stream_no_loss(_metadata);
		return;
	}
	ASSERT_EQ(0, ring_open(&r, 1 << 16));
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_SOCKET, &ms));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_SND, 0, 1 << 20));
	l = listener(&port);
	ASSERT_LE(0, l);
	c = connect_to(port);
	ASSERT_LE(0, c);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	memset(big, 'x', sizeof(big));
	while (sent < total) {
		ssize_t n = send(c, big, sizeof(big), 0);
		char sink[1 << 16];

		ASSERT_LT(0, n);
		sent += n;
		while (recv(a, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	for (;;) {
		char sink[1 << 16];
		ssize_t n = recv(a, sink, sizeof(sink), MSG_DONTWAIT);

		if (n <= 0)
			break;
	}
	usleep(200000);
	drain(&r, &s);
	flow1 = s.flow;
	EXPECT_EQ(1, s.open);
	EXPECT_GT(total, s.dlen[1]);
	/* The last losses are reported before the next record that fits: */
	close(connect_to(port));
	usleep(200000);
	drain(&r, &s);
	EXPECT_EQ(2, s.open);
	EXPECT_EQ(0, s.bad);
	EXPECT_LE(1, s.lost);
	EXPECT_EQ(s.lost, s.lost_named);
	EXPECT_EQ(0, s.lost_events);
	/* every byte delivered or counted lost, at the right offsets */
	EXPECT_EQ(total, s.dlen[1] + s.lost_bytes);
	EXPECT_NE(flow1, s.flow);
	close(c);
	close(a);
	close(l);
	ring_close(&r);
}

/* A new stream socket on @r, its id */
static int add_socket(struct ring *r, uint32_t type)
{
	struct mos_ioc_socket ms = { .size = sizeof(ms), .type = type };

	return ioctl(r->fd, MOS_IOC_SOCKET, &ms) ? -1 : (int)ms.id;
}

static int subscribe(struct ring *r, uint32_t sock, unsigned int hook,
		     uint64_t events, uint32_t buf)
{
	struct mos_ioc_subscribe a = {
		.size = sizeof(a), .sock = sock, .hook = hook, .events = events,
		.buf = { buf, buf },
	};

	return ioctl(r->fd, MOS_IOC_SUBSCRIBE, &a);
}

/*
 * Inline mode: a consumer that does not read for a while, then reads.
 * The packets that would not fit wait (dropped, sent again by TCP), so
 * the 4 MiB stream arrives whole, in order, and nothing is lost.
 */
static void stream_no_loss(struct __test_metadata *_metadata)
{
	const uint64_t total = 4 << 20;
	struct seen s = { .check_pattern = 1 };
	uint64_t got = 0;
	uint16_t port;
	struct ring r;
	pid_t pid;
	int l, a, i;

	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_NULL, EV(NEW_DATA), 1 << 20));
	l = listener(&port);
	ASSERT_LE(0, l);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static uint8_t buf[1 << 16];
		uint64_t off = 0;
		int c = connect_to(port);

		if (c < 0)
			_exit(1);
		while (off < total) {
			size_t n = sizeof(buf);
			ssize_t w;

			for (size_t j = 0; j < n; j++)
				buf[j] = pattern(off + j);
			w = send(c, buf, n, 0);
			if (w <= 0)
				_exit(2);
			off += w;
		}
		close(c);
		_exit(0);
	}
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	/* 500 ms without reading the ring: it fills up, packets wait */
	for (i = 0;; i++) {
		struct pollfd p = { .fd = a, .events = POLLIN };
		char sink[1 << 16];
		ssize_t n;

		if (i >= 50)
			drain(&r, &s);
		if (poll(&p, 1, 10) == 1) {
			n = recv(a, sink, sizeof(sink), 0);
			if (n <= 0)
				break;
			got += n;
		}
		ASSERT_GT(6000, i);	/* 60 s */
	}
	ASSERT_EQ(total, got);
	for (i = 0; i < 100 && s.dlen[1] < total; i++) {
		usleep(20000);
		drain(&r, &s);
	}
	EXPECT_EQ(0, waitpid(pid, &i, 0) == pid ? i : -1);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(0, s.lost);
	EXPECT_EQ(total, s.dlen[1]);
	EXPECT_EQ(total, s.new_data[1]);
	EXPECT_EQ(0, s.pattern_bad);
	close(a);
	close(l);
	ring_close(&r);
}

/* @call fails with errno @err */
#define EXPECT_ERRNO(err, call) do {		\
	EXPECT_EQ(-1, (call));			\
	EXPECT_EQ((err), errno);		\
} while (0)

/* A listener on ::1 (@v6) or 127.0.0.1, its port in *port */
static int listener_on(int v6, uint16_t *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t alen = sizeof(a6);
	int s;

	if (!v6)
		return listener(port);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (void *)&a6, sizeof(a6)) || listen(s, 16) ||
	    getsockname(s, (void *)&a6, &alen))
		return -1;
	*port = ntohs(a6.sin6_port);
	return s;
}

static int connect_on(int v6, uint16_t port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT,
				   .sin6_port = htons(port) };
	int s;

	if (!v6)
		return connect_to(port);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (void *)&a6, sizeof(a6)))
		return -1;
	return s;
}

/* @n connections to @port, listener @l, each closed at both ends */
static int conns(int v6, uint16_t port, int l, int n)
{
	while (n-- > 0) {
		int c = connect_on(v6, port);
		int a = c < 0 ? -1 : accept(l, NULL, NULL);

		if (c >= 0)
			close(c);
		if (a < 0)
			return -1;
		close(a);
	}
	return 0;
}

/* Every FLOW_OPEN record of @r, whole */
struct flows {
	unsigned int n;
	struct mos_rec_flow f[64];
};

static void drain_flows(struct ring *r, struct flows *o)
{
	const struct mos_rec *rec;

	while ((rec = ring_next(r))) {
		if (rec->type == MOS_REC_FLOW_OPEN && o->n < 64)
			memcpy(&o->f[o->n++], rec + 1, sizeof(o->f[0]));
		ring_advance(r, rec);
	}
}

/*
 * SYN filters pick the flows of a socket; two consumers that split the
 * flows by hash see each flow once between them.
 */
TEST(filters_and_split)
{
	struct flows oa = { 0 }, ob = { 0 };
	struct ring A = { 0 }, B = { 0 };
	char err[256], expr[64];
	uint16_t p1, p2;
	int l1, l2, i, j;

	/* Two consumers: indexes 0 and 1 of a split in 2 */
	A.fd = mos_dev__open();
	B.fd = mos_dev__open();
	ASSERT_LE(0, A.fd);
	ASSERT_LE(0, B.fd);
	ASSERT_EQ(0, mos_ring__open_split(&A.u, A.fd, 1 << 20, 2, 0));
	ASSERT_EQ(0, mos_ring__open_split(&B.u, B.fd, 1 << 20, 2, 1));

	l1 = listener(&p1);
	l2 = listener(&p2);
	ASSERT_LE(0, l1);
	ASSERT_LE(0, l2);
	/* A: socket 1 wants port p1 only, socket 2 everything */
	ASSERT_EQ(1, add_socket(&A, MOS_MSOCK_STREAM));
	ASSERT_EQ(2, add_socket(&A, MOS_MSOCK_STREAM));
	ASSERT_EQ(1, add_socket(&B, MOS_MSOCK_STREAM));
	snprintf(expr, sizeof(expr), "tcp dst port %u", p1);
	ASSERT_EQ(0, mos_sock__filter(A.fd, 1, MOS_FILTER_SYN, expr, err,
				      sizeof(err)));
	/* A syntax error comes back with libpcap's message */
	EXPECT_EQ(-EINVAL, mos_sock__filter(A.fd, 1, MOS_FILTER_SYN,
					    "tcp dst port", err, sizeof(err)));
	EXPECT_NE(0, err[0]);
	TH_LOG("libpcap: %s", err);

	for (i = 0; i < 16; i++)
		for (j = 0; j < 2; j++)
			ASSERT_EQ(0, conns(0, j ? p2 : p1, j ? l2 : l1, 1));
	usleep(200000);
	drain_flows(&A, &oa);
	drain_flows(&B, &ob);
	/* 32 flows, each in one ring: both got some */
	EXPECT_EQ(32, oa.n + ob.n);
	EXPECT_LT(0, oa.n);
	EXPECT_LT(0, ob.n);
	for (i = 0; i < (int)oa.n; i++) {
		EXPECT_EQ(ntohs(oa.f[i].svr_port) == p1 ? 3 : 2,
			  oa.f[i].socks);
		for (j = 0; j < (int)ob.n; j++)
			EXPECT_NE(oa.f[i].flow, ob.f[j].flow);
	}
	for (j = 0; j < (int)ob.n; j++)
		EXPECT_EQ(1, ob.f[j].socks);
	close(l1);
	close(l2);
	ring_close(&A);
	ring_close(&B);
}

/* MOS_FLOW_STOP: no record about a side, then none at all */
TEST(stop_monitoring)
{
	struct mos_ioc_flow fw = { .size = sizeof(fw), .op = MOS_FLOW_STOP };
	struct seen s = { 0 };
	char buf[4];
	uint16_t port;
	struct ring r;
	int l, c, a;

	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_SND, EV(PKT_IN), 4096));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_RCV, EV(PKT_IN), 4096));
	l = listener(&port);
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(1, send(c, "a", 1, 0));
	ASSERT_EQ(0, read_all(a, buf, 1));
	ASSERT_EQ(1, send(a, "b", 1, 0));
	ASSERT_EQ(0, read_all(c, buf, 1));
	usleep(100000);
	drain(&r, &s);
	ASSERT_EQ(1, s.open);
	/* Stop the client side: what the client receives, events about it */
	fw.sides = MOS_SIDE_BIT_CLI;
	fw.flow = s.fopen;
	fw.flow.socks = 0;
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_FLOW, &fw));
	s.counting = 1;
	ASSERT_EQ(1, send(c, "c", 1, 0));
	ASSERT_EQ(0, read_all(a, buf, 1));
	ASSERT_EQ(1, send(a, "d", 1, 0));
	ASSERT_EQ(0, read_all(c, buf, 1));
	usleep(100000);
	drain(&r, &s);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(1, s.dlen[0]);		/* "b" only */
	EXPECT_EQ(2, s.dlen[1]);		/* "ac" */
	EXPECT_EQ(0, memcmp(s.data[1], "ac", 2));
	EXPECT_EQ(0, s.ev_side_after[0]);
	EXPECT_LT(0, s.ev_side_after[1]);
	/* Both sides: nothing more */
	fw.sides = MOS_SIDE_BIT_CLI | MOS_SIDE_BIT_SVR;
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_FLOW, &fw));
	s.ev_side_after[1] = 0;
	ASSERT_EQ(1, send(c, "e", 1, 0));
	ASSERT_EQ(0, read_all(a, buf, 1));
	usleep(100000);
	drain(&r, &s);
	EXPECT_EQ(2, s.dlen[1]);
	EXPECT_EQ(0, s.ev_side_after[1]);
	/* A flow it no longer follows: ENOENT; another id: ENOENT */
	EXPECT_EQ(-1, ioctl(r.fd, MOS_IOC_FLOW, &fw));
	EXPECT_EQ(ENOENT, errno);
	close(c);
	close(a);
	close(l);
	ring_close(&r);
}

/*
 * A consumer in the slot of one that closed gets nothing of the flows
 * its predecessor followed: the slots go round (64), the flow stays
 */
TEST(slot_reused)
{
	struct seen s = { 0 }, t = { 0 };
	struct ring r, q;
	char buf[4];
	uint16_t port;
	int l, c, a, i;

	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_SND, EV(PKT_IN), 4096));
	l = listener(&port);
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(1, send(c, "a", 1, 0));
	ASSERT_EQ(0, read_all(a, buf, 1));
	usleep(100000);
	drain(&r, &s);
	ASSERT_EQ(1, s.open);
	ring_close(&r);
	/* 63 consumers come and go; the 64th takes the first one's slot */
	for (i = 0; i < MOS_CONSUMERS_MAX - 1; i++) {
		ASSERT_EQ(0, ring_open(&q, MOS_RING_MIN));
		ring_close(&q);
	}
	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_SND, EV(PKT_IN), 4096));
	ASSERT_EQ(1, send(c, "b", 1, 0));
	ASSERT_EQ(0, read_all(a, buf, 1));
	ASSERT_EQ(1, send(a, "c", 1, 0));
	ASSERT_EQ(0, read_all(c, buf, 1));
	usleep(100000);
	drain(&r, &t);
	EXPECT_EQ(0, t.open);
	EXPECT_EQ(0, t.bad);		/* no event of a flow it was not given */
	EXPECT_EQ(0, t.dlen[0] + t.dlen[1]);
	EXPECT_EQ(0, t.ev[PKT_IN][MOS_HOOK_SND]);
	close(c);
	close(a);
	close(l);
	ring_close(&r);
}

/* A raw socket gets every packet its filter takes, TCP or not */
TEST(raw_socket)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(9999) };
	unsigned int got = 0, wrong = 0, i;
	const struct mos_rec *rec;
	char err[256];
	uint16_t port;
	struct ring r;
	int u, l, c, a;

	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_RAW));
	ASSERT_EQ(0, mos_sock__filter(r.fd, 1, MOS_FILTER_RAW,
				      "udp dst port 9999", err, sizeof(err)));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_NULL, EV(PKT_IN), 0));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, u);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(5, sendto(u, "raw!!", 5, 0, (void *)&to, sizeof(to)));
	/* TCP is not for it */
	l = listener(&port);
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	usleep(100000);
	while ((rec = ring_next(&r))) {
		const struct mos_rec_event *e = (const void *)(rec + 1);
		const uint8_t *pkt = (const void *)(e + 1);

		if (rec->type == MOS_REC_EVENT && rec->sock == 1 &&
		    e->type == PKT_IN && e->hook == MOS_HOOK_NULL &&
		    !e->flow && e->pkt_len == 33 && pkt[9] == IPPROTO_UDP &&
		    !memcmp(pkt + 28, "raw!!", 5))
			got++;
		else
			wrong++;
		ring_advance(&r, rec);
	}
	EXPECT_EQ(3, got);
	EXPECT_EQ(0, wrong);
	close(u);
	close(c);
	close(a);
	close(l);
	ring_close(&r);
}

/* MOS_FLOW_RESET and MOS_FLOW_DROP: inline mode acts, passive refuses */
TEST(reset_and_drop)
{
	struct mos_ioc_flow fw = { .size = sizeof(fw), .op = MOS_FLOW_RESET };
	struct seen s = { 0 };
	char buf[4];
	uint16_t port;
	struct ring r;
	int l, c, a;

	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_SND, EV(CONN_START), 0));
	l = listener(&port);
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(1, send(c, "a", 1, 0));
	ASSERT_EQ(0, read_all(a, buf, 1));
	usleep(100000);
	drain(&r, &s);
	ASSERT_EQ(1, s.open);
	fw.flow = s.fopen;
	if (!inline_mode()) {
		EXPECT_EQ(-1, ioctl(r.fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EOPNOTSUPP, errno);
		fw.op = MOS_FLOW_DROP;
		EXPECT_EQ(-1, ioctl(r.fd, MOS_IOC_FLOW, &fw));
		EXPECT_EQ(EOPNOTSUPP, errno);
		goto out;
	}
	/* Reset: both ends see ECONNRESET */
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_FLOW, &fw));
	EXPECT_EQ(-1, recv(c, buf, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-1, recv(a, buf, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	close(c);
	close(a);
	/* Drop: a new connection's later bytes never arrive */
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(1, send(c, "b", 1, 0));
	ASSERT_EQ(0, read_all(a, buf, 1));
	usleep(100000);
	drain(&r, &s);
	ASSERT_EQ(2, s.open);
	fw.op = MOS_FLOW_DROP;
	fw.flow = s.fopen;
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_FLOW, &fw));
	ASSERT_EQ(1, send(c, "c", 1, 0));
	{
		struct pollfd p = { .fd = a, .events = POLLIN };

		EXPECT_EQ(0, poll(&p, 1, 700));
	}
out:
	close(c);
	close(a);
	close(l);
	ring_close(&r);
}

/*
 * A consumer killed in the middle of a stream, three times over: the
 * module stays consistent and the next consumer sees a new connection
 */
TEST(consumer_killed)
{
	static char big[1 << 16];
	struct seen s = { 0 };
	uint16_t port;
	struct ring r;
	int l, c, a, k;

	l = listener(&port);
	ASSERT_LE(0, l);
	memset(big, 'k', sizeof(big));
	for (k = 0; k < 3; k++) {
		int ready[2], status;
		pid_t pid;
		char x;

		ASSERT_EQ(0, pipe(ready));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct ring cr;

			if (ring_open(&cr, 1 << 20) ||
			    add_socket(&cr, MOS_MSOCK_STREAM) != 1 ||
			    subscribe(&cr, 1, MOS_HOOK_NULL, EV(NEW_DATA),
				      1 << 16))
				_exit(1);
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			/* Reads, until killed */
			for (;;) {
				const struct mos_rec *rec;

				while ((rec = ring_next(&cr)))
					ring_advance(&cr, rec);
				usleep(1000);
			}
		}
		ASSERT_EQ(1, read(ready[0], &x, 1));
		c = connect_to(port);
		a = accept(l, NULL, NULL);
		ASSERT_LE(0, a);
		/* Records in flight into its ring as it dies */
		for (int i = 0; i < 16; i++) {
			char sink[1 << 16];

			ASSERT_LT(0, send(c, big, sizeof(big), 0));
			if (i == 8)
				kill(pid, SIGKILL);
			while (recv(a, sink, sizeof(sink), MSG_DONTWAIT) > 0)
				;
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status));
		close(c);
		close(a);
		close(ready[0]);
		close(ready[1]);
	}
	/* A new consumer: a new connection's bytes, exactly */
	ASSERT_EQ(0, ring_open(&r, 1 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_NULL, EV(NEW_DATA), 4096));
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(5, send(c, "after", 5, 0));
	{
		char buf[5];

		ASSERT_EQ(0, read_all(a, buf, 5));
	}
	usleep(100000);
	drain(&r, &s);
	EXPECT_EQ(1, s.open);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(5, s.dlen[1]);
	EXPECT_EQ(0, memcmp(s.data[1], "after", 5));
	close(c);
	close(a);
	close(l);
	ring_close(&r);
}

/* The child of packet_records_together: @n exchanges, a connection each */
static int ping_pong(int l, uint16_t port, int n)
{
	char buf[4];

	for (int i = 0; i < n; i++) {
		int c = connect_to(port), a = accept(l, NULL, NULL);

		if (c < 0 || a < 0 || send(c, "ping", 4, 0) != 4 ||
		    read_all(a, buf, 4) || send(a, "pong", 4, 0) != 4 ||
		    read_all(c, buf, 4))
			return 1;
		close(c);
		close(a);
	}
	return 0;
}

/*
 * A packet's records become visible together: a consumer that reads as
 * fast as it can, never sleeping, finds the ring empty only between two
 * packets, never between two records of one packet (told apart by their
 * flow and the packet's bytes, the whole header here).
 */
TEST(packet_records_together)
{
	static const uint64_t all = EV(PKT_IN) | EV(CONN_START) |
		EV(CONN_SETUP) | EV(STATE_CHANGE) | EV(REXMIT) | EV(CONN_END);
	unsigned int empties = 0, splits = 0, events = 0, lost = 0;
	uint8_t last[128];
	uint32_t last_len = 0;
	uint64_t last_flow = 0, spins = 0;
	bool after_empty = false, exited = false;
	struct ring r;
	uint16_t port;
	int l, status = -1;
	pid_t pid;

	ASSERT_EQ(0, ring_open(&r, 8 << 20));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_SND, all, 0));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_RCV, all, 0));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_NULL, EV(NEW_DATA), 4096));
	l = listener(&port);
	ASSERT_LE(0, l);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(ping_pong(l, port, 100));

	for (;;) {
		const struct mos_rec *rec = ring_next(&r);

		if (!rec) {
			if (exited)
				break;
			if (last_len && !after_empty) {
				empties++;
				after_empty = true;
			}
			/* Then what the last packets left */
			if (!(++spins & 1023) &&
			    waitpid(pid, &status, WNOHANG) == pid) {
				usleep(200000);
				exited = true;
				after_empty = false;
			}
			continue;
		}
		if (rec->type == MOS_REC_LOST)
			lost++;
		if (rec->type == MOS_REC_EVENT &&
		    !(rec->len & MOS_REC_DISCARD)) {
			const struct mos_rec_event *e = (const void *)(rec + 1);
			uint32_t n = e->pkt_len < sizeof(last) ? e->pkt_len :
								 sizeof(last);

			events++;
			if (n && after_empty && e->flow == last_flow &&
			    n == last_len && !memcmp(e + 1, last, n))
				splits++;
			if (n) {
				memcpy(last, e + 1, n);
				last_len = n;
				last_flow = e->flow;
			}
		}
		if (!exited)
			after_empty = false;
		ring_advance(&r, rec);
	}
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	TH_LOG("%u event records, the ring read empty %u times", events,
	       empties);
	EXPECT_LE(100 * 10, events);
	EXPECT_LT(0, empties);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, splits);
	close(l);
	ring_close(&r);
}

/* The split index of a flow of a FLOW_OPEN, asked on @fd, one way */
static int split_of(int fd, const struct mos_rec_flow *f, int reverse,
		    uint32_t count)
{
	int family = f->family == 4 ? AF_INET : AF_INET6;

	if (reverse)
		return mos_flow__split_index(fd, family, f->svr_addr,
					     f->cli_addr, f->svr_port,
					     f->cli_port, count);
	return mos_flow__split_index(fd, family, f->cli_addr, f->svr_addr,
				     f->cli_port, f->svr_port, count);
}

/*
 * MOS_IOC_SPLIT names, for each real flow, the consumer of a split in 2
 * that got it, asked either way round, on either consumer's file and on
 * a file with no ring; IPv4 and IPv6.
 */
TEST(split_query)
{
	struct flows fa = { 0 }, fb = { 0 };
	struct ring A = { 0 }, B = { 0 };
	unsigned int fam[2] = { 0 };
	int nofd, i, v6, dir;

	A.fd = mos_dev__open();
	B.fd = mos_dev__open();
	nofd = mos_dev__open();
	ASSERT_LE(0, A.fd);
	ASSERT_LE(0, B.fd);
	ASSERT_LE(0, nofd);
	ASSERT_EQ(0, mos_ring__open_split(&A.u, A.fd, 1 << 20, 2, 0));
	ASSERT_EQ(0, mos_ring__open_split(&B.u, B.fd, 1 << 20, 2, 1));
	ASSERT_EQ(1, add_socket(&A, MOS_MSOCK_STREAM));
	ASSERT_EQ(1, add_socket(&B, MOS_MSOCK_STREAM));

	for (v6 = 0; v6 < 2; v6++) {
		uint16_t port;
		int l = listener_on(v6, &port);

		ASSERT_LE(0, l);
		ASSERT_EQ(0, conns(v6, port, l, 12));
		close(l);
	}
	usleep(200000);
	drain_flows(&A, &fa);
	drain_flows(&B, &fb);
	ASSERT_EQ(24, fa.n + fb.n);
	EXPECT_LT(0, fa.n);
	EXPECT_LT(0, fb.n);
	for (i = 0; i < (int)(fa.n + fb.n); i++) {
		int in_b = i >= (int)fa.n;
		const struct mos_rec_flow *f = in_b ? &fb.f[i - fa.n] :
						      &fa.f[i];

		fam[f->family == 6]++;
		for (dir = 0; dir < 2; dir++) {
			EXPECT_EQ(in_b, split_of(A.fd, f, dir, 2));
			EXPECT_EQ(in_b, split_of(B.fd, f, dir, 2));
			EXPECT_EQ(in_b, split_of(nofd, f, dir, 2));
			EXPECT_EQ(0, split_of(nofd, f, dir, 1));
			/* The same hash for every count: both ways agree */
			EXPECT_EQ(split_of(nofd, f, 0, MOS_SPLIT_MAX),
				  split_of(nofd, f, dir, MOS_SPLIT_MAX));
			/* The offline hash is direction-blind too */
			EXPECT_EQ(split_of(-1, f, 0, 7), split_of(-1, f, dir, 7));
		}
	}
	EXPECT_EQ(12, fam[0]);
	EXPECT_EQ(12, fam[1]);
	close(nofd);
	ring_close(&A);
	ring_close(&B);
}

/* MOS_IOC_SPLIT refuses what it cannot answer */
TEST(split_query_bad_arguments)
{
	struct mos_ioc_split a = {
		.size = sizeof(a), .count = 2, .family = 4,
		.saddr = { 127, 0, 0, 1 }, .daddr = { 127, 0, 0, 1 },
		.sport = htons(1000), .dport = htons(2000),
	};
	struct { struct mos_ioc_split a; uint32_t more; } big;
	uint8_t lo4[4] = { 127, 0, 0, 1 };
	int fd = mos_dev__open(), st;
	pid_t pid;

	ASSERT_LE(0, fd);
	/* No ring needed; the answer is below the count */
	a.index = 99;
	ASSERT_EQ(0, ioctl(fd, MOS_IOC_SPLIT, &a));
	EXPECT_GT(2, a.index);
	a.count = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_SPLIT, &a));
	a.count = MOS_SPLIT_MAX + 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_SPLIT, &a));
	a.count = 2;
	a.family = 5;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_SPLIT, &a));
	a.family = 4;
	a.saddr[4] = 1;		/* past an IPv4 address */
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_SPLIT, &a));
	a.saddr[4] = 0;
	a.reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_SPLIT, &a));
	a.reserved[1] = 0;
	a.reserved2 = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_SPLIT, &a));
	a.reserved2 = 0;
	a.size = 8;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_SPLIT, &a));
	/* A larger struct: its bytes past ours must be zero */
	a.size = sizeof(big);
	big.a = a;
	big.more = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, MOS_IOC_SPLIT, &big));
	big.more = 0;
	EXPECT_EQ(0, ioctl(fd, MOS_IOC_SPLIT, &big));
	/* The library's checks, live and offline */
	EXPECT_EQ(-EINVAL, mos_flow__split_index(fd, AF_UNIX, lo4, lo4, 1, 2,
						 2));
	EXPECT_EQ(-EINVAL, mos_flow__split_index(fd, AF_INET, NULL, lo4, 1, 2,
						 2));
	EXPECT_EQ(-EINVAL, mos_flow__split_index(fd, AF_INET, lo4, lo4, 1, 2,
						 0));
	EXPECT_EQ(-EINVAL, mos_flow__split_index(-1, AF_INET, lo4, lo4, 1, 2,
						 MOS_SPLIT_MAX + 1));
	close(fd);

	/* A namespace that is not monitored has no table to ask: -ENOENT */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(10);
		fd = mos_dev__open();
		if (fd < 0)
			_exit(11);
		_exit(-mos_flow__split_index(fd, AF_INET, lo4, lo4, 1, 2, 2));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(ENOENT, WEXITSTATUS(st));
}

/* The payload bytes of the event records of one direction */
struct pkts {
	unsigned int n, big, cut, bad;
	uint32_t max_total;
	uint64_t total;		/* payload bytes the packets carried */
	uint8_t got[32768];	/* the payloads the records carry, in order */
	uint32_t ngot;
};

static void drain_pkts(struct ring *r, struct pkts *k, uint16_t dport)
{
	const struct mos_rec *rec;

	while ((rec = ring_next(r))) {
		const struct mos_rec_event *e = (const void *)(rec + 1);
		const uint8_t *pkt = (const uint8_t *)(e + 1);
		uint32_t ihl, doff, pay, carried;

		if (rec->type != MOS_REC_EVENT || e->type != MOS_EV_PKT_IN ||
		    e->hook != MOS_HOOK_SND || e->pkt_len < 40 ||
		    (pkt[0] >> 4) != 4) {
			ring_advance(r, rec);
			continue;
		}
		ihl = (pkt[0] & 0xf) * 4;
		doff = (pkt[ihl + 12] >> 4) * 4;
		if (ntohs(*(const uint16_t *)(pkt + ihl + 2)) != dport ||
		    e->pkt_total < ihl + doff) {
			ring_advance(r, rec);
			continue;
		}
		pay = e->pkt_total - ihl - doff;
		if ((rec->len & MOS_REC_LEN_MASK) != sizeof(*e) + e->pkt_len)
			k->bad++;
		if (pay) {
			k->n++;
			k->total += pay;
			if (e->pkt_total > MOS_PKT_COPY_MAX)
				k->big++;
			if (e->pkt_len < e->pkt_total)
				k->cut++;
			if (e->pkt_total > k->max_total)
				k->max_total = e->pkt_total;
			carried = e->pkt_len > ihl + doff ?
				  e->pkt_len - ihl - doff : 0;
			if (k->ngot + carried <= sizeof(k->got)) {
				memcpy(k->got + k->ngot, pkt + ihl + doff,
				       carried);
				k->ngot += carried;
			}
		}
		ring_advance(r, rec);
	}
}

/*
 * One connection's client sends 3000 then 20000 bytes, each in one
 * segment over loopback; the ring's packet copy limit @pkt_max (0: the
 * default) says how much of each segment the PKT_IN records carry.
 */
static void send_big(struct __test_metadata *_metadata, uint32_t pkt_max,
		     struct pkts *k, uint8_t *sent, uint32_t nsent)
{
	struct mos_ring_opts o = {
		.sz = sizeof(o), .data_size = 1 << 20, .pkt_max = pkt_max,
	};
	const uint32_t part = 3000;
	uint16_t port;
	struct ring r = { 0 };
	int l, c, a, one = 1;
	uint32_t got = 0, i;
	char sink[4096];

	r.fd = mos_dev__open();
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, mos_ring__open_opts(&r.u, r.fd, &o));
	ASSERT_EQ(1, add_socket(&r, MOS_MSOCK_STREAM));
	ASSERT_EQ(0, subscribe(&r, 1, MOS_HOOK_SND, EV(PKT_IN), 0));
	for (i = 0; i < nsent; i++)
		sent[i] = pattern(i);
	l = listener(&port);
	ASSERT_LE(0, l);
	c = connect_to(port);
	ASSERT_LE(0, c);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
				sizeof(one)));
	ASSERT_EQ(part, send(c, sent, part, 0));
	while (got < part) {
		ssize_t n = recv(a, sink, sizeof(sink), 0);

		ASSERT_LT(0, n);
		got += n;
	}
	ASSERT_EQ(nsent - part, send(c, sent + part, nsent - part, 0));
	while (got < nsent) {
		ssize_t n = recv(a, sink, sizeof(sink), 0);

		ASSERT_LT(0, n);
		got += n;
	}
	usleep(100000);
	drain_pkts(&r, k, port);
	close(c);
	close(a);
	close(l);
	ring_close(&r);
}

/*
 * Whole packets: with pkt_max 65535 the records carry every byte the
 * sender wrote; with the default they are cut at 2048 bytes, and
 * pkt_total still says how long each packet was.
 */
TEST(whole_packets)
{
	static uint8_t sent[23000];
	static struct pkts whole, dflt, mid;

	send_big(_metadata, MOS_PKT_COPY_LIMIT, &whole, sent, sizeof(sent));
	EXPECT_EQ(0, whole.bad);
	EXPECT_EQ(sizeof(sent), whole.total);
	EXPECT_LE(1, whole.big);
	EXPECT_EQ(0, whole.cut);
	EXPECT_EQ(sizeof(sent), whole.ngot);
	EXPECT_EQ(0, memcmp(sent, whole.got, sizeof(sent)));
	TH_LOG("pkt_max 65535: %u segments with payload, largest %u bytes",
	       whole.n, whole.max_total);

	send_big(_metadata, 0, &dflt, sent, sizeof(sent));
	EXPECT_EQ(0, dflt.bad);
	EXPECT_EQ(sizeof(sent), dflt.total);
	EXPECT_LE(1, dflt.big);
	EXPECT_EQ(dflt.big, dflt.cut);
	EXPECT_GT(sizeof(sent), dflt.ngot);

	/* A limit between: 2500 bytes of each packet, from its IP header */
	send_big(_metadata, 2500, &mid, sent, sizeof(sent));
	EXPECT_EQ(0, mid.bad);
	EXPECT_EQ(sizeof(sent), mid.total);
	EXPECT_LE(1, mid.cut);
	EXPECT_LT(dflt.ngot, mid.ngot);
}

/* The packet copy limit's bounds; a caller of the struct's first size */
TEST(pkt_max_arguments)
{
	struct mos_ioc_ring a = { .size = sizeof(a), .data_size = 1 << 16 };
	unsigned long old = _IOC(_IOC_WRITE, MOS_IOC_TYPE, 0x01,
				 MOS_IOC_RING_SIZE_VER0);
	struct mos_ring_opts o = { .sz = sizeof(o), .data_size = 1 << 16 };
	struct mos_ring_user u;
	int fd = mos_dev__open();

	ASSERT_LE(0, fd);
	a.pkt_max = MOS_PKT_COPY_LIMIT + 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	a.pkt_max = 0;
	/* The library's options struct before it grew: still taken */
	o.sz = MOS_RING_OPTS_SZ_VER0 - 1;
	EXPECT_EQ(-EINVAL, mos_ring__open_opts(&u, fd, &o));
	o.sz = sizeof(o);
	/* ABI 0.4's struct, under its own ioctl number: set up */
	a.size = MOS_IOC_RING_SIZE_VER0;
	a.pkt_max = 7;		/* past its size: not read */
	ASSERT_NE(MOS_IOC_RING_SETUP, old);
	ASSERT_EQ(MOS_IOC_RING_SETUP_VER0, old);
	/* Another size under that number is no ioctl of ours */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOC(_IOC_WRITE, MOS_IOC_TYPE, 0x01,
					    24), &a));
	EXPECT_EQ(0, ioctl(fd, old, &a));
	EXPECT_ERRNO(EBUSY, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	close(fd);
}

/* Bytes of records waiting in @r: the producer's position less ours */
static uint64_t waiting(const struct ring *r)
{
	return __atomic_load_n(&r->prod->pos, __ATOMIC_ACQUIRE) -
	       r->u.cons->pos;
}

struct waker {
	struct ring *r;
	int ret;
	uint64_t seen;
	volatile int done;
};

/* poll() for 10 s, then what waited when it returned */
static void *wait_ring(void *arg)
{
	struct waker *w = arg;
	struct pollfd pfd = { .fd = w->r->fd, .events = POLLIN };

	w->ret = poll(&pfd, 1, 10000);
	w->seen = waiting(w->r);
	w->done = 1;
	return NULL;
}

/*
 * MOS_RING_F_WAKEUP: its arguments; then, of a connection's records,
 * poll() finds the ring readable exactly when the bytes waiting reach the
 * threshold, and a consumer asleep in poll() is woken by the record that
 * brings them there, not before, and not only by its timeout
 */
TEST(wakeup_threshold)
{
	static const uint64_t evs = EV(PKT_IN);
	struct mos_ioc_ring a = { .size = sizeof(a), .data_size = 1 << 16 };
	struct mos_ring_opts o = { .sz = sizeof(o), .data_size = 1 << 16,
				   .wakeup_bytes = 8192 };
	struct pollfd pfd;
	struct waker w = { 0 };
	int l, c, s, i, below = 0, rounds, fd;
	uint64_t w0, w1, cons;
	pthread_t th;
	uint16_t port;
	struct ring r;
	char buf[4];

	fd = mos_dev__open();
	ASSERT_LE(0, fd);
	a.wakeup_bytes = 4096;		/* without its flag */
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	a.flags = MOS_RING_F_WAKEUP | MOS_RING_F_VERDICT;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	a.flags = MOS_RING_F_WAKEUP;
	a.wakeup_bytes = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	a.wakeup_bytes = (1 << 15) + 1;	/* past half the data area */
	EXPECT_ERRNO(EINVAL, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	a.wakeup_bytes = 1 << 15;
	EXPECT_EQ(0, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	close(fd);

	memset(&r, 0, sizeof(r));
	r.fd = mos_dev__open();
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, mos_ring__open_opts(&r.u, r.fd, &o));
	r.prod = r.u.prod;
	struct mos_ioc_socket ms = { .size = sizeof(ms),
				     .type = MOS_MSOCK_STREAM };
	ASSERT_EQ(0, ioctl(r.fd, MOS_IOC_SOCKET, &ms));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_SND, evs, 65536));
	ASSERT_EQ(0, sock_subscribe(&r, MOS_HOOK_RCV, evs, 65536));
	pfd.fd = r.fd;
	pfd.events = POLLIN;

	l = listener(&port);
	ASSERT_LE(0, l);
	c = connect_to(port);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	/* Records come, nothing is consumed: readable from 8192 bytes on */
	for (rounds = 0; rounds < 2000 && waiting(&r) < 2 * 8192; rounds++) {
		ASSERT_EQ(4, send(c, "ping", 4, 0));
		ASSERT_EQ(0, read_all(s, buf, 4));
		w0 = waiting(&r);
		i = poll(&pfd, 1, 0);
		w1 = waiting(&r);
		if (w0 != w1)
			continue;	/* a record came between */
		EXPECT_EQ(w0 >= 8192, i == 1) {
			TH_LOG("%llu bytes waiting, poll() %d",
			       (unsigned long long)w0, i);
		}
		below += w0 && w0 < 8192;
	}
	EXPECT_LE(1, below);
	EXPECT_LE(2 * 8192, waiting(&r));

	/* All taken: asleep in poll() until 8192 bytes more wait */
	cons = __atomic_load_n(&r.prod->pos, __ATOMIC_ACQUIRE);
	__atomic_store_n(&r.u.cons->pos, cons, __ATOMIC_RELEASE);
	w.r = &r;
	ASSERT_EQ(0, pthread_create(&th, NULL, wait_ring, &w));
	usleep(100000);
	for (rounds = 0; rounds < 2000 && !w.done && waiting(&r) < 8192;
	     rounds++) {
		ASSERT_EQ(4, send(c, "ping", 4, 0));
		ASSERT_EQ(0, read_all(s, buf, 4));
	}
	EXPECT_LE(8192, waiting(&r));
	pthread_join(th, NULL);
	EXPECT_EQ(1, w.ret);
	EXPECT_LE(8192, w.seen);
	close(c);
	close(s);
	close(l);
	ring_close(&r);
}

TEST_HARNESS_MAIN
