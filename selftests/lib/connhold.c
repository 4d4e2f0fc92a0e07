// SPDX-License-Identifier: GPL-2.0
/*
 * connhold.c - many concurrent TCP connections, held open: the stress
 * tests' load
 *
 * Usage: connhold server PORT
 *	  connhold client ADDR PORT COUNT SRC_ADDR...
 *
 * The server listens on PORT (IPv4 and IPv6), accepts every connection,
 * reads and discards what it is sent and closes when its peer does.  It
 * prints "listening", and on SIGTERM "server conns N bytes N".
 *
 * The client opens COUNT connections to ADDR PORT, spread over the source
 * addresses in turn (one address has about 28000 ephemeral ports), at
 * most 256 handshakes in flight, and prints "connected N failed N".  Then
 * it reads commands on its standard input, one per line:
 *
 *	send LEN   write LEN bytes on every connection; prints "sent BYTES"
 *	close      close every connection; prints "closed N"
 *
 * and exits at the end of its input, closing what is still open.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define INFLIGHT	256

static volatile sig_atomic_t g_stop;

static void on_term(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int nofile(unsigned long n)
{
	struct rlimit rl = { n, n };

	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* @s as a socket address of @port; 0 or -1 */
static int parse_addr(const char *s, unsigned int port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static int server(unsigned int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	struct sigaction sa = { .sa_handler = on_term };
	unsigned long long conns = 0, bytes = 0;
	struct epoll_event ev, evs[256];
	static char buf[1 << 16];
	int l, ep, one = 1, zero = 0, i, n;

	if (nofile(1 << 20))
		perror("connhold: RLIMIT_NOFILE");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(l, (void *)&a, sizeof(a)) || listen(l, 65535)) {
		perror("connhold: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = l;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev)) {
		perror("connhold: epoll");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (!g_stop) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == l) {
				int c;

				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
						close(c);
					else
						conns++;
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r > 0) {
					bytes += r;
					continue;
				}
				if (r == 0 || (errno != EAGAIN && errno != EINTR))
					close(fd);
				break;
			}
		}
	}
	printf("server conns %llu bytes %llu\n", conns, bytes);
	return 0;
}

/* Open @count connections; their descriptors in @fds.  Return: failures */
static unsigned long open_all(int *fds, unsigned long count,
			      const struct sockaddr_storage *dst, socklen_t dlen,
			      char **srcs, int nsrc)
{
	struct pollfd pf[INFLIGHT];
	unsigned long idx[INFLIGHT], next = 0, failed = 0;
	int npf = 0, i, one = 1;

	while (next < count || npf) {
		while (npf < INFLIGHT && next < count) {
			struct sockaddr_storage src;
			socklen_t slen;
			int s;

			fds[next] = -1;
			if (parse_addr(srcs[next % nsrc], 0, &src, &slen) ||
			    src.ss_family != dst->ss_family) {
				failed++;
				next++;
				continue;
			}
			s = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (s < 0) {
				failed++;
				next++;
				continue;
			}
			/* The port is chosen at connect(), per address pair */
			setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
				   sizeof(one));
			if (bind(s, (void *)&src, slen) ||
			    (connect(s, (const void *)dst, dlen) &&
			     errno != EINPROGRESS)) {
				close(s);
				failed++;
				next++;
				continue;
			}
			pf[npf].fd = s;
			pf[npf].events = POLLOUT;
			idx[npf] = next++;
			npf++;
		}
		if (poll(pf, npf, 1000) < 0 && errno != EINTR)
			return failed + (count - next) + npf;
		for (i = 0; i < npf; i++) {
			int err = 0;
			socklen_t el = sizeof(err);

			if (!pf[i].revents)
				continue;
			getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err) {
				close(pf[i].fd);
				failed++;
			} else {
				fds[idx[i]] = pf[i].fd;
			}
			pf[i] = pf[npf - 1];
			idx[i] = idx[npf - 1];
			npf--;
			i--;
		}
	}
	return failed;
}

/* Write all of @len bytes on a non-blocking socket; 0 or -1 */
static int write_all(int fd, const char *buf, size_t len)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };

	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= n;
		} else if (n < 0 && errno == EAGAIN) {
			poll(&pf, 1, 1000);
		} else if (n < 0 && errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

static int client(const char *addr, unsigned int port, unsigned long count,
		  char **srcs, int nsrc)
{
	struct sockaddr_storage dst;
	unsigned long failed, i, open = 0;
	char line[64], *buf = NULL;
	socklen_t dlen;
	int *fds;

	if (parse_addr(addr, port, &dst, &dlen)) {
		fprintf(stderr, "connhold: bad address %s\n", addr);
		return 2;
	}
	if (nofile(count + 64)) {
		perror("connhold: RLIMIT_NOFILE");
		return 1;
	}
	fds = calloc(count, sizeof(*fds));
	if (!fds)
		return 1;
	failed = open_all(fds, count, &dst, dlen, srcs, nsrc);
	for (i = 0; i < count; i++)
		open += fds[i] >= 0;
	printf("connected %lu failed %lu\n", open, failed);
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long len, sent = 0;

		if (sscanf(line, "send %lu", &len) == 1) {
			free(buf);
			buf = malloc(len ? len : 1);
			if (!buf)
				return 1;
			for (i = 0; i < len; i++)
				buf[i] = 'a' + i % 26;
			for (i = 0; i < count; i++)
				if (fds[i] >= 0 && !write_all(fds[i], buf, len))
					sent += len;
			printf("sent %lu\n", sent);
		} else if (!strncmp(line, "close", 5)) {
			unsigned long closed = 0;

			for (i = 0; i < count; i++) {
				if (fds[i] >= 0) {
					close(fds[i]);
					fds[i] = -1;
					closed++;
				}
			}
			printf("closed %lu\n", closed);
		} else {
			fprintf(stderr, "connhold: unknown command: %s", line);
		}
		fflush(stdout);
	}
	free(buf);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(strtoul(argv[2], NULL, 0));
	if (argc >= 6 && !strcmp(argv[1], "client"))
		return client(argv[2], strtoul(argv[3], NULL, 0),
			      strtoul(argv[4], NULL, 0), argv + 5, argc - 5);
	fprintf(stderr,
		"usage: connhold server PORT\n"
		"       connhold client ADDR PORT COUNT SRC_ADDR...\n");
	return 2;
}
