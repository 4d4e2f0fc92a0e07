// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test.c - the /dev/mos ring: setup, mappings, records of real TCP
 * connections over loopback, losses, bad arguments
 *
 * Runs in the test VM inside a network namespace that ring.sh created and
 * enabled (passive mode, TIME_WAIT and CLOSED timeouts 1 s, lo up).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "libmosuser.h"

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
	a.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EOPNOTSUPP, errno);
	a.flags = 0;
	a.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved[1] = 0;
	ASSERT_EQ(0, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_RING_SETUP, &a));
	EXPECT_EQ(EBUSY, errno);
	/* Sockets: raw not yet, unknown type */
	s.type = MOS_MSOCK_RAW;
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_SOCKET, &s));
	EXPECT_EQ(EOPNOTSUPP, errno);
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
};

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

/* A ring nobody reads: what does not fit is counted, then reported */
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

TEST_HARNESS_MAIN
