// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_traffic.c - the TCP workload of bench/kernel
 *
 * DOC: Theory of Operation
 *
 * One server, one client, a fixed sequence of transfers: the same bytes,
 * the same writes, the same order of connections on every run, and
 * nothing driven by a clock, so that the instructions they cost are the
 * same from one run to the next.
 *
 * The packets too: every socket has TCP_NODELAY and fixed buffers each
 * way (SO_SNDBUFFORCE and SO_RCVBUFFORCE of SOCK_BUF, which the kernel
 * doubles; root only), so that a sender never waits for buffer space, a receiver's window is
 * never what its reads free and no read sends a window update, and
 * neither buffer is sized from the connection's timing.  A bulk stream
 * is written in pieces of a whole number of segments (TCP_MAXSEG), so
 * that with one segment per packet (no TSO or GSO on the sending device,
 * bench/kernel_guest) every data packet but a stream's last is full,
 * however the writes queue behind the congestion window; its reader
 * waits until it has all arrived (SO_RCVLOWAT and poll()), so that the
 * reader never holds its socket while segments arrive.  bench/kernel_guest sets what the program cannot (an ACK for
 * every segment, no slow start after idle, no saved route metrics...).
 *
 * server PORT
 *	listens on [::]:PORT (IPv4 and IPv6) and serves one connection at a
 *	time.  Each connection opens with a 12-byte request: a mode byte, 3
 *	zero bytes, a count and a size (network order).  Mode 'B' (bulk):
 *	read count bytes, then send count bytes back.  Mode 'R' (request /
 *	response): count times, read size bytes, then send size bytes back.
 *	Then wait for the client's FIN and close.
 *
 * client ADDR4 ADDR6 PORT BULK RR SHORT
 *	prints "kernel_traffic: ready" on stderr, then runs the traffic once
 *	for each line "run LPORT" it reads on stdin, until end of file: one
 *	process for every run, so that no run pays for starting one.  A run:
 *	for ADDR4 then ADDR6, one bulk transfer of BULK bytes each way; one
 *	connection with RR request/response rounds of 100 bytes;
 *	SHORT connections of one 100-byte request and response each.  The
 *	client binds its connections to consecutive local ports from LPORT,
 *	so that no two runs depend on the ephemeral port chosen; it closes
 *	first.  Each run prints "traffic c2s=N s2c=N conns=N": the payload
 *	bytes sent each way, the 12-byte requests included, as the endpoints
 *	wrote and read them.
 *
 * Every byte received is checked against the sender's pattern (memcmp()
 * against a table: the checks cost little next to the traffic).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RR_SIZE		100
#define CHUNK		65536
#define MAX_COUNT	(1U << 30)
/* SO_SNDBUF/SO_RCVBUF value; the kernel doubles it (16 MiB of data) */
#define SOCK_BUF	(8 << 20)

static unsigned long long c2s, s2c, conns;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/*
 * The bytes of a stream: offset off holds pat[off % PERIOD]; pat holds
 * CHUNK + PERIOD of them, so that any CHUNK bytes of the stream are one
 * contiguous piece of it
 */
#define PERIOD		251
static unsigned char pat[CHUNK + PERIOD];

static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (unsigned char)((i % PERIOD) * 7 + 1);
}

static const unsigned char *pat_at(uint64_t off)
{
	return pat + off % PERIOD;
}

/*
 * Fixed send and receive buffers, before connect() or listen() (the
 * window scale is chosen from the receive buffer), and TCP_NODELAY
 */
static void sock_setup(int fd)
{
	int one = 1, b = SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &b, sizeof(b)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &b, sizeof(b)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("kernel_traffic: socket options");
}

/*
 * The size of a bulk write: the most whole segments of the connection's
 * MSS that CHUNK holds
 */
static size_t write_size(int fd)
{
	int mss = 0;
	socklen_t len = sizeof(mss);

	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) || mss <= 0 ||
	    mss > CHUNK)
		die("kernel_traffic: TCP_MAXSEG");
	return CHUNK / mss * mss;
}

static void send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		p += w;
		n -= w;
	}
}

static void recv_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "kernel_traffic: short read\n");
			exit(1);
		}
		p += r;
		n -= r;
	}
}

/* Send n pattern bytes from stream offset 0, in writes of whole segments */
static void send_stream(int fd, uint64_t n)
{
	size_t w = write_size(fd);
	uint64_t off = 0;

	while (off < n) {
		size_t k = n - off < w ? n - off : w;

		send_all(fd, pat_at(off), k);
		off += k;
	}
}

/*
 * Receive n bytes and check them against the pattern.  The reader waits
 * (poll(), SO_RCVLOWAT) until the whole stream has arrived, up to
 * SOCK_BUF bytes at a time, then reads it in pieces of CHUNK: it does not
 * run while the stream arrives, so that no segment reaches its socket
 * while it holds it (the socket's backlog would merge the segments and
 * one ACK would answer several), and a piece is never read short.
 */
static void recv_stream(int fd, uint64_t n)
{
	static unsigned char b[CHUNK];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t off = 0, end = 0;

	while (off < n) {
		size_t k = n - off < CHUNK ? n - off : CHUNK;
		ssize_t r;

		if (off == end) {
			int lowat = n - off < SOCK_BUF ? n - off : SOCK_BUF;

			end = off + lowat;
			if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat,
				       sizeof(lowat)))
				die("kernel_traffic: SO_RCVLOWAT");
			while (poll(&p, 1, -1) < 0)
				if (errno != EINTR)
					die("kernel_traffic: poll");
		}
		if (k > end - off)
			k = end - off;
		r = recv(fd, b, k, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "kernel_traffic: short stream\n");
			exit(1);
		}
		if (memcmp(b, pat_at(off), r)) {
			fprintf(stderr, "kernel_traffic: bad bytes at %llu\n",
				(unsigned long long)off);
			exit(1);
		}
		off += r;
	}
}

/* Wait for the peer's FIN */
static void recv_eof(int fd)
{
	char c;
	ssize_t r;

	do
		r = recv(fd, &c, 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die("kernel_traffic: waiting for the end");
	if (r != 0) {
		fprintf(stderr, "kernel_traffic: data after the end\n");
		exit(1);
	}
}

static void serve(int fd)
{
	unsigned char req[12];
	uint32_t count, size, i;

	recv_all(fd, req, sizeof(req));
	memcpy(&count, req + 4, 4);
	memcpy(&size, req + 8, 4);
	count = ntohl(count);
	size = ntohl(size);
	if (count > MAX_COUNT || size > CHUNK) {
		fprintf(stderr, "kernel_traffic: bad request\n");
		return;
	}
	if (req[0] == 'B') {
		recv_stream(fd, count);
		send_stream(fd, count);
	} else if (req[0] == 'R') {
		unsigned char b[CHUNK];

		for (i = 0; i < count; i++) {
			recv_all(fd, b, size);
			send_all(fd, b, size);
		}
	}
	recv_eof(fd);
}

static void __attribute__((noreturn)) server(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, zero = 0, ls, fd;

	ls = socket(AF_INET6, SOCK_STREAM, 0);
	if (ls < 0)
		die("kernel_traffic: socket");
	/* inherited by the connections accepted */
	sock_setup(ls);
	if (setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 64))
		die("kernel_traffic: listen");
	fprintf(stderr, "kernel_traffic: ready\n");
	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		serve(fd);
		close(fd);
	}
}

static int dial(const char *addr, int port, int lport)
{
	struct sockaddr_storage ss = { 0 }, ls = { 0 };
	socklen_t len;
	int one = 1, fd;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (void *)&ss, *l = (void *)&ls;

		a->sin6_family = l->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		l->sin6_port = htons(lport);
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			die("kernel_traffic: address");
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss, *l = (void *)&ls;

		a->sin_family = l->sin_family = AF_INET;
		a->sin_port = htons(port);
		l->sin_port = htons(lport);
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			die("kernel_traffic: address");
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("kernel_traffic: socket");
	sock_setup(fd);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ls, len) ||
	    connect(fd, (struct sockaddr *)&ss, len))
		die("kernel_traffic: connect");
	conns++;
	return fd;
}

static void request(int fd, char mode, uint32_t count, uint32_t size)
{
	unsigned char req[12] = { (unsigned char)mode };
	uint32_t c = htonl(count), s = htonl(size);

	memcpy(req + 4, &c, 4);
	memcpy(req + 8, &s, 4);
	send_all(fd, req, sizeof(req));
	c2s += sizeof(req);
}

static void finish(int fd)
{
	if (shutdown(fd, SHUT_WR))
		die("shutdown");
	recv_eof(fd);
	close(fd);
}

static void rounds(int fd, uint32_t n)
{
	unsigned char r[RR_SIZE];
	uint32_t i;

	for (i = 0; i < n; i++) {
		send_all(fd, pat_at(i), RR_SIZE);
		recv_all(fd, r, RR_SIZE);
		if (memcmp(pat_at(i), r, RR_SIZE)) {
			fprintf(stderr, "kernel_traffic: bad response\n");
			exit(1);
		}
		c2s += RR_SIZE;
		s2c += RR_SIZE;
	}
}

static void client(const char *addrs[2], int port, int lport, uint32_t bulk,
		   uint32_t rr, uint32_t nshort)
{
	int fd;

	c2s = s2c = conns = 0;
	for (int f = 0; f < 2; f++) {
		const char *a = addrs[f];

		fd = dial(a, port, lport++);
		request(fd, 'B', bulk, 0);
		send_stream(fd, bulk);
		recv_stream(fd, bulk);
		c2s += bulk;
		s2c += bulk;
		finish(fd);

		fd = dial(a, port, lport++);
		request(fd, 'R', rr, RR_SIZE);
		rounds(fd, rr);
		finish(fd);

		for (uint32_t i = 0; i < nshort; i++) {
			fd = dial(a, port, lport++);
			request(fd, 'R', 1, RR_SIZE);
			rounds(fd, 1);
			finish(fd);
		}
	}
	printf("traffic c2s=%llu s2c=%llu conns=%llu\n", c2s, s2c, conns);
	fflush(stdout);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v > max) {
		fprintf(stderr, "kernel_traffic: bad number %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	pat_init();
	if (argc == 3 && !strcmp(argv[1], "server"))
		server(num(argv[2], 65535));
	if (argc == 8 && !strcmp(argv[1], "client")) {
		const char *addrs[2] = { argv[2], argv[3] };
		unsigned int lport;
		char line[64];

		fprintf(stderr, "kernel_traffic: ready\n");
		while (fgets(line, sizeof(line), stdin)) {
			if (sscanf(line, "run %u", &lport) != 1 ||
			    lport < 1024 || lport > 65535 - 2 * 1002) {
				fprintf(stderr, "kernel_traffic: bad command\n");
				return 2;
			}
			client(addrs, num(argv[4], 65535), lport,
			       num(argv[5], MAX_COUNT), num(argv[6], MAX_COUNT),
			       num(argv[7], 1000));
		}
		return 0;
	}
	fprintf(stderr, "usage: kernel_traffic server PORT\n"
		"       kernel_traffic client ADDR4 ADDR6 PORT BULK RR SHORT\n");
	return 2;
}
