// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * compat.c - the rest of what mOS's headers declare: the end-host calls
 * of mTCP (mtcp_epoll.h, mtcp_api.h), which fail with ENOTSUP, and mOS's
 * utilities (mtcp_util.h, cpu.h, EventToString())
 *
 * mos monitors connections; it has no sockets of its own to bind,
 * connect, read or write: it writes packets only as a flow's ends would
 * (mtcp_setlastpkt() in lastpkt.c, mtcp_sendpkt() in flow.c).
 * Applications that only monitor never call these; those that do get an
 * error they can report, never a crash.
 */

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include "internal.h"
#include "cpu.h"
#include "mtcp_epoll.h"
#include "mtcp_util.h"

/* The end-host calls: their arguments are not looked at */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"

int mtcp_pipe(mctx_t mctx, int pipeid[2])
{
	return fail(ENOTSUP);
}

int mtcp_setsock_nonblock(mctx_t mctx, int sock)
{
	return fail(ENOTSUP);
}

int mtcp_ioctl(mctx_t mctx, int sock, int request, void *argp)
{
	return fail(ENOTSUP);
}

int mtcp_bind(mctx_t mctx, int sock, const struct sockaddr *addr,
	      socklen_t addrlen)
{
	return fail(ENOTSUP);
}

int mtcp_listen(mctx_t mctx, int sock, int backlog)
{
	return fail(ENOTSUP);
}

int mtcp_accept(mctx_t mctx, int sock, struct sockaddr *addr,
		socklen_t *addrlen)
{
	return fail(ENOTSUP);
}

int mtcp_init_rss(mctx_t mctx, in_addr_t saddr_base, int num_addr,
		  in_addr_t daddr, in_addr_t dport)
{
	return fail(ENOTSUP);
}

int mtcp_connect(mctx_t mctx, int sock, const struct sockaddr *addr,
		 socklen_t addrlen)
{
	return fail(ENOTSUP);
}

int mtcp_abort(mctx_t mctx, int sock)
{
	return fail(ENOTSUP);
}

int mtcp_getsockname(mctx_t mctx, int sock, struct sockaddr *addr,
		     socklen_t *addrlen)
{
	return fail(ENOTSUP);
}

ssize_t mtcp_recv(mctx_t mctx, int sockid, char *buf, size_t len, int flags)
{
	return fail(ENOTSUP);
}

ssize_t mtcp_read(mctx_t mctx, int sock, char *buf, size_t len)
{
	return fail(ENOTSUP);
}

ssize_t mtcp_readv(mctx_t mctx, int sock, const struct iovec *iov,
		   int numIOV)
{
	return fail(ENOTSUP);
}

ssize_t mtcp_write(mctx_t mctx, int sock, const char *buf, size_t len)
{
	return fail(ENOTSUP);
}

ssize_t mtcp_writev(mctx_t mctx, int sock, const struct iovec *iov,
		    int numIOV)
{
	return fail(ENOTSUP);
}

int mtcp_epoll_create(mctx_t mctx, int size)
{
	return fail(ENOTSUP);
}

int mtcp_epoll_ctl(mctx_t mctx, int epid, int op, int sock,
		   struct mtcp_epoll_event *event)
{
	return fail(ENOTSUP);
}

int mtcp_epoll_wait(mctx_t mctx, int epid, struct mtcp_epoll_event *events,
		    int maxevents, int timeout)
{
	return fail(ENOTSUP);
}

#pragma GCC diagnostic pop

/* The flows the context follows now: those with a per-flow socket */
uint32_t mtcp_get_connection_cnt(mctx_t mctx)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	uint32_t n = 0;
	int i;

	if (!c || !c->bysock)
		return 0;
	for (i = 0; i < c->conc; i++)
		n += c->bysock[i] != NULL;
	return n;
}

/* mos_api.h's built-in events and hooks, by bit, for EventToString() */
static const struct {
	uint32_t v;
	const char *name;
} ev_names[] = {
	{ MOS_ON_PKT_IN, "MOS_ON_PKT_IN" },
	{ MOS_ON_PKT_OUT, "MOS_ON_PKT_OUT" },
	{ MOS_ON_CONN_START, "MOS_ON_CONN_START" },
	{ MOS_ON_CONN_SETUP, "MOS_ON_CONN_SETUP" },
	{ MOS_ON_CONN_NEW_DATA, "MOS_ON_CONN_NEW_DATA" },
	{ MOS_ON_ERROR, "MOS_ON_ERROR" },
	{ MOS_ON_TIMEOUT, "MOS_ON_TIMEOUT" },
	{ MOS_ON_TCP_STATE_CHANGE, "MOS_ON_TCP_STATE_CHANGE" },
	{ MOS_ON_ORPHAN, "MOS_ON_ORPHAN" },
	{ MOS_ON_REXMIT, "MOS_ON_REXMIT" },
	{ MOS_ON_CONN_END, "MOS_ON_CONN_END" },
	{ MOS_ON_DEBUG_MESSAGE, "MOS_ON_DEBUG_MESSAGE" },
	{ MOS_NULL, "MOS_NULL" },
	{ MOS_HK_RCV, "MOS_HK_RCV" },
	{ MOS_HK_SND, "MOS_HK_SND" },
};

char *EventToString(uint32_t event)
{
	size_t i;

	for (i = 0; i < sizeof(ev_names) / sizeof(ev_names[0]); i++)
		if (ev_names[i].v == event)
			return (char *)ev_names[i].name;
	return (char *)"MOS_UNKNOWN_EVENT";
}

/*
 * Offline as mtcp_create_context() is: MOS_PCAP or pcap_file, or live
 * from an interface (MOS_PCAP_IFACE, pcap_iface)
 */
static bool offline(void)
{
	struct mu_pcap_src src;

	return !mu_pcap_source(&src) && (src.file || src.iface);
}

int GetRSSCPUCore(in_addr_t sip, in_addr_t dip, in_port_t sp, in_port_t dp,
		  int num_queues)
{
	int fd = -1, r;

	if (num_queues < 1)
		return fail(EINVAL);
	if (!offline()) {
		fd = mos_dev__open();
		if (fd < 0)
			return fail(-fd);
	}
	r = mos_flow__split_index(fd, AF_INET, &sip, &dip, sp, dp,
				  (uint32_t)num_queues);
	if (fd >= 0)
		close(fd);
	return r < 0 ? fail(-r) : r;
}

int StrToArgs(char *str, int *argc, char **argv, int max_argc)
{
	char quote = 0, *p;
	bool in_word = false;

	if (!str || !argc || !argv || max_argc < 0)
		return fail(EINVAL);
	*argc = 0;
	for (p = str; *p; p++) {
		if (quote) {
			/* The closing quote ends the word's text */
			if (*p == quote) {
				*p = '\0';
				quote = 0;
			}
			continue;
		}
		if (isspace((unsigned char)*p)) {
			*p = '\0';
			in_word = false;
			continue;
		}
		if (in_word)
			continue;
		if (*argc == max_argc)
			return fail(E2BIG);
		in_word = true;
		if (*p == '\'' || *p == '"') {
			/* The word starts after its opening quote */
			quote = *p;
			argv[(*argc)++] = p + 1;
		} else {
			argv[(*argc)++] = p;
		}
	}
	if (*argc < max_argc)
		argv[*argc] = NULL;
	return 0;
}

int CoreAffinitize(int cpu)
{
	return mtcp_core_affinitize(cpu);
}
