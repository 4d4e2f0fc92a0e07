// SPDX-License-Identifier: BSD-2-Clause
/*
 * httplog - log the method, host and path of each HTTP request
 *
 * A user-defined event on MOS_ON_CONN_NEW_DATA: its filter gathers what
 * the client sends (mtcp_peek() on the server side, which receives it)
 * until a request's header is complete, however the request was split
 * into segments; the event's callback prints it.  Runs until SIGINT or
 * SIGTERM.
 *
 * Output, one line per request:
 *   CLIENT:PORT METHOD HOST PATH
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem() */
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mos_api.h>

#define HDR_MAX	8192

struct req_state {
	char buf[HDR_MAX];
	size_t len;
	char method[16], host[256], path[1024];
};

static mctx_t g_mctx;

static struct req_state *state_of(mctx_t mctx, int sock)
{
	struct req_state *st = mtcp_get_uctx(mctx, sock);

	if (!st) {
		st = calloc(1, sizeof(*st));
		mtcp_set_uctx(mctx, sock, st);
	}
	return st;
}

/* Take one complete request header off the front of st->buf, if any */
static bool take_request(struct req_state *st)
{
	char *end, *line, *p;
	size_t n;

	end = memmem(st->buf, st->len, "\r\n\r\n", 4);
	if (!end)
		return false;
	*end = '\0';
	st->method[0] = st->host[0] = st->path[0] = '\0';
	line = st->buf;
	p = strstr(line, "\r\n");
	if (p)
		*p = '\0';
	if (sscanf(line, "%15s %1023s", st->method, st->path) != 2)
		st->method[0] = '\0';
	while (p && p < end) {
		line = p + 2;
		p = strstr(line, "\r\n");
		if (p)
			*p = '\0';
		if (!strncasecmp(line, "Host:", 5)) {
			line += 5;
			line += strspn(line, " \t");
			snprintf(st->host, sizeof(st->host), "%s", line);
		}
	}
	n = end + 4 - st->buf;
	memmove(st->buf, st->buf + n, st->len - n);
	st->len -= n;
	return st->method[0] != '\0';
}

/* The UDE's filter: is a request header complete now? */
static bool request_done(mctx_t mctx, int sock, int side, event_t ev,
			 filter_arg_t *arg)
{
	struct req_state *st;
	ssize_t n;

	(void)ev;
	(void)arg;
	if (side != MOS_SIDE_SVR)
		return false;
	st = state_of(mctx, sock);
	if (!st)
		return false;
	for (;;) {
		if (st->len == sizeof(st->buf))
			st->len = 0;	/* a header this long: give up on it */
		n = mtcp_peek(mctx, sock, side, st->buf + st->len,
			      sizeof(st->buf) - st->len);
		if (n > 0)
			st->len += n;
		else if (n < 0 && errno == ENODATA)
			st->len = 0;	/* bytes missed: start afresh */
		else
			break;
	}
	return take_request(st);
}

static void on_request(mctx_t mctx, int sock, int side, event_t ev,
		       filter_arg_t *arg)
{
	struct req_state *st = state_of(mctx, sock);
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	(void)side;
	(void)ev;
	(void)arg;
	if (!st)
		return;
	if (mtcp_getpeername(mctx, sock, (struct sockaddr *)&sa, &len,
			     MOS_SIDE_CLI) == 0) {
		if (sa.sin6_family == AF_INET6) {
			inet_ntop(AF_INET6, &sa.sin6_addr, a, sizeof(a));
			port = ntohs(sa.sin6_port);
		} else {
			struct sockaddr_in *s4 = (void *)&sa;

			inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
			port = ntohs(s4->sin_port);
		}
	}
	printf("%s:%u %s %s %s\n", a, port, st->method,
	       st->host[0] ? st->host : "-", st->path);
	/* More requests may already be there (pipelining) */
	while (take_request(st))
		printf("%s:%u %s %s %s\n", a, port, st->method,
		       st->host[0] ? st->host : "-", st->path);
}

static void on_end(mctx_t mctx, int sock, int side, event_t ev,
		   filter_arg_t *arg)
{
	(void)side;
	(void)ev;
	(void)arg;
	free(mtcp_get_uctx(mctx, sock));
	mtcp_set_uctx(mctx, sock, NULL);
}

static void on_signal(int sig)
{
	(void)sig;
	mtcp_destroy_context(g_mctx);
}

int main(int argc, char **argv)
{
	struct mtcp_conf conf;
	event_t http_req;
	int sock;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mtcp_init(argc > 2 && !strcmp(argv[1], "-f") ? argv[2] : NULL)) {
		perror("httplog: mtcp_init");
		return 1;
	}
	mtcp_getconf(&conf);
	conf.num_cores = 1;
	mtcp_setconf(&conf);
	g_mctx = mtcp_create_context(0);
	if (!g_mctx) {
		perror("httplog: mtcp_create_context");
		return 1;
	}
	http_req = mtcp_define_event(MOS_ON_CONN_NEW_DATA, request_done, NULL);
	sock = mtcp_socket(g_mctx, AF_UNSPEC, MOS_SOCK_MONITOR_STREAM, 0);
	if (!http_req || sock < 0 ||
	    mtcp_register_callback(g_mctx, sock, http_req, MOS_NULL,
				   on_request) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END, MOS_HK_SND,
				   on_end) ||
	    mtcp_register_callback(g_mctx, sock, MOS_ON_CONN_END, MOS_HK_RCV,
				   on_end)) {
		perror("httplog: callbacks");
		return 1;
	}
	mtcp_register_signal(SIGINT, on_signal);
	mtcp_register_signal(SIGTERM, on_signal);
	fprintf(stderr, "httplog: ready\n");
	mtcp_app_join(g_mctx);
	mtcp_destroy();
	return 0;
}
