// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * socket.c - monitor sockets, their filters and callbacks, and
 * user-defined events (UDEs)
 *
 * Callbacks are registered per socket, event and hook, and the kernel is
 * asked for exactly the events that have a callback (a UDE's: the
 * built-in event at the bottom of its chain).  mu_run_event() runs an
 * event's callback and then the UDEs defined on it whose filters agree.
 */

#include <errno.h>
#include <string.h>
#include "internal.h"

struct mtcp_ude mu_ude[MTCP_NEVENTS];
int mu_nude = MTCP_NBUILTIN;	/* next free bit */

/* mu_ctx_ioctl() as a mos_ioctl_fn: 0 or -errno */
static int ctx_ioc(void *ctx, unsigned long cmd, void *arg)
{
	return mu_ctx_ioctl(ctx, cmd, arg) ? -errno : 0;
}

struct mtcp_msock *mu_msock_of(struct mtcp_ctx *c, int sock)
{
	int i = sock - c->conc;

	if (i < 0 || i >= c->nmsock || !c->msock[i].used)
		return NULL;
	return &c->msock[i];
}

/* The filters of a stream socket (SYN, orphan) or a raw one (raw) */
static int msock_filters(const struct mtcp_msock *m, unsigned int which[2])
{
	if (m->raw) {
		which[0] = MOS_FILTER_RAW;
		return 1;
	}
	which[0] = MOS_FILTER_SYN;
	which[1] = MOS_FILTER_ORPHAN;
	return 2;
}

/*
 * Set @m's filters to @expr[i] each, with its family's version check: 0,
 * or -errno with the message in c->errmsg
 */
static int msock_filter(struct mtcp_ctx *c, struct mtcp_msock *m,
			const char *const expr[2])
{
	unsigned int which[2];
	int i, n = msock_filters(m, which), err;

	c->errmsg[0] = '\0';
	for (i = 0; i < n; i++) {
		err = mu_sock_filter(ctx_ioc, c, m->kid, which[i], m->ipver,
				     expr[i], c->errmsg, sizeof(c->errmsg));
		if (err)
			return err;
		if (m->ipver || (expr[i] && *expr[i]))
			m->filtered |= 1U << which[i];
		else
			m->filtered &= ~(1U << which[i]);
	}
	return 0;
}

static int msock_new(struct mtcp_ctx *c, int ipver, int type)
{
	static const char *const none[2];
	struct mos_ioc_socket a = { .size = sizeof(a) };
	int raw = type == MOS_SOCK_MONITOR_RAW, i, err;
	struct mtcp_msock *m;

	/*
	 * A closed socket of the same type is taken again: mtcp_close() left
	 * the kernel's socket with no event, no filter and no flow.
	 */
	for (i = 0; i < c->nmsock; i++)
		if (!c->msock[i].used && c->msock[i].raw == raw)
			break;
	if (i == c->nmsock) {
		if (c->nmsock == MOS_SOCKS_MAX)
			return fail(EMFILE);
		a.type = raw ? MOS_MSOCK_RAW : MOS_MSOCK_STREAM;
		if (mu_ctx_ioctl(c, MOS_IOC_SOCKET, &a))
			return -1;
		c->nmsock++;
	} else {
		a.id = c->msock[i].kid;
	}
	m = &c->msock[i];
	memset(m, 0, sizeof(*m));
	m->used = 1;
	m->raw = raw;
	m->kid = a.id;
	m->buf[0] = m->buf[1] = m->raw ? 0 : c->rcvbuf;
	m->overlap[0] = m->overlap[1] = -1;
	m->ipver = ipver;
	/* One family: the kernel writes nothing about the other's flows */
	if (ipver) {
		err = msock_filter(c, m, none);
		if (err) {
			m->ipver = 0;
			msock_filter(c, m, none);
			m->used = 0;
			return fail(-err);
		}
	}
	return c->conc + i;
}

/*
 * AF_INET: IPv4 flows only (mOS's only family), AF_INET6: IPv6 only,
 * AF_UNSPEC: both
 */
int mtcp_socket(mctx_t mctx, int domain, int type, int protocol)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int ipver, ret;

	(void)protocol;
	if (!c)
		return fail(EINVAL);
	if (type != MOS_SOCK_MONITOR_STREAM && type != MOS_SOCK_MONITOR_RAW)
		return fail(EINVAL);
	switch (domain) {
	case AF_INET:
		ipver = 4;
		break;
	case AF_INET6:
		ipver = 6;
		break;
	case AF_UNSPEC:
		ipver = 0;
		break;
	default:
		return fail(EINVAL);
	}
	mu_ctx_lock(c);
	ret = msock_new(c, ipver, type);
	mu_ctx_unlock(c);
	return ret;
}

static int hook_index(int hook)
{
	switch (hook) {
	case MOS_NULL:
		return MOS_HOOK_NULL;
	case MOS_HK_SND:
		return MOS_HOOK_SND;
	case MOS_HK_RCV:
		return MOS_HOOK_RCV;
	}
	return -1;
}

/*
 * Ask the kernel for the events of @h that have a callback.  A raw
 * socket's callbacks on MOS_ON_PKT_IN, at whatever hook, are the kernel's
 * PKT_IN at hook NULL.
 */
int mu_msock_sync(struct mtcp_ctx *c, struct mtcp_msock *m, int h)
{
	struct mos_ioc_subscribe s = {
		.size = sizeof(s), .sock = m->kid, .hook = h,
		.buf = { m->buf[0], m->buf[1] },
	};
	int i;

	if (m->raw) {
		if (h != MOS_HOOK_NULL)
			return 0;
		s.events = m->cb[h][MOS_EV_PKT_IN] ? 1ULL << MOS_EV_PKT_IN : 0;
		return mu_ctx_ioctl(c, MOS_IOC_SUBSCRIBE, &s);
	}
	for (i = 0; i < mu_nude; i++)
		if (m->cb[h][i])
			s.events |= 1ULL << (i < MTCP_NBUILTIN ? i : mu_ude[i].root);
	return mu_ctx_ioctl(c, MOS_IOC_SUBSCRIBE, &s);
}

/* The bit of a built-in or defined event, or -1 */
static int event_bit(event_t event)
{
	int i;

	if (!event || (event & (event - 1)))
		return -1;
	for (i = 0; i < mu_nude; i++)
		if (event == 1ULL << i)
			return i;
	return -1;
}

int mtcp_register_callback(mctx_t mctx, int sock, event_t event,
			   int hook_point, callback_t cb)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m = c ? mu_msock_of(c, sock) : NULL;
	int h = hook_index(hook_point), b = event_bit(event);
	callback_t old;

	if (!m || h < 0 || !cb || b < 0)
		return fail(EINVAL);
	if (m && m->raw) {
		if (b != MOS_EV_PKT_IN)
			return fail(EINVAL);	/* raw sockets: MOS_ON_PKT_IN */
		h = MOS_HOOK_NULL;
	}
	old = m->cb[h][b];
	m->cb[h][b] = cb;
	if (mu_msock_sync(c, m, h)) {
		int err = errno;

		m->cb[h][b] = old;
		return fail(err);
	}
	return 0;
}

int mtcp_unregister_callback(mctx_t mctx, int sock, event_t event,
			     int hook_point)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m = c ? mu_msock_of(c, sock) : NULL;
	int h = hook_index(hook_point), b = event_bit(event);

	if (m && m->raw && h >= 0)
		h = MOS_HOOK_NULL;
	if (!m || h < 0 || b < 0 || !m->cb[h][b])
		return fail(EINVAL);
	m->cb[h][b] = NULL;
	return mu_msock_sync(c, m, h);
}

int mtcp_close(mctx_t mctx, int sock)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m = c ? mu_msock_of(c, sock) : NULL;
	int h, i;

	if (!m)
		return fail(EBADF);
	/* No event and no stream byte for it from now on */
	m->buf[0] = m->buf[1] = 0;
	for (h = 0; h < MOS_HOOKS; h++) {
		memset(m->cb[h], 0, sizeof(m->cb[h]));
		mu_msock_sync(c, m, h);
	}
	/* Its filters go, and the flows it had are no longer its */
	for (i = 0; i <= MOS_FILTER_RAW; i++)
		if (m->filtered & (1U << i))
			mos_sock__filter_via(ctx_ioc, c, m->kid, i, NULL,
					     NULL, 0);
	m->filtered = 0;
	for (i = 0; i < c->conc; i++)
		if (c->bysock[i] && m->kid <= MOS_SOCKS_MAX)
			c->bysock[i]->addr.socks &= ~(1ULL << (m->kid - 1));
	m->used = 0;
	return 0;
}

int mtcp_bind_monitor_filter(mctx_t mctx, int sock, monitor_filter_t ft)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	struct mtcp_msock *m;
	const char *expr[2] = { NULL, NULL };
	int err = -EINVAL;

	if (!c)
		return fail(EINVAL);
	mu_ctx_lock(c);
	m = mu_msock_of(c, sock);
	if (m && m->raw) {
		expr[0] = ft ? ft->raw_pkt_filter : NULL;
	} else if (m) {
		expr[0] = ft ? ft->stream_syn_filter : NULL;
		expr[1] = ft ? ft->stream_orphan_filter : NULL;
	}
	if (m)
		err = msock_filter(c, m, expr);
	mu_ctx_unlock(c);
	return err ? fail(-err) : 0;
}

const char *mtcp_errmsg(mctx_t mctx)
{
	struct mtcp_ctx *c = ctx_of(mctx);

	return c ? c->errmsg : "";
}

static event_t ude_new(event_t event, filter_t filter, struct filter_arg *arg)
{
	int base = event_bit(event), i = mu_nude;
	struct mtcp_ude *u;

	if (base < 0) {
		errno = EINVAL;
		return 0;
	}
	if (i == MTCP_NEVENTS) {
		errno = ENOSPC;
		return 0;
	}
	u = &mu_ude[i];
	u->base = base;
	u->root = base < MTCP_NBUILTIN ? base : mu_ude[base].root;
	u->filter = filter;
	if (arg) {
		u->arg = *arg;
		u->has_arg = true;
	}
	mu_nude++;
	return 1ULL << i;
}

event_t mtcp_alloc_event(event_t event)
{
	return ude_new(event, NULL, NULL);
}

event_t mtcp_define_event(event_t event, filter_t filter,
			  struct filter_arg *arg)
{
	if (!filter) {
		errno = EINVAL;
		return 0;
	}
	return ude_new(event, filter, arg);
}

int mtcp_raise_event(mctx_t mctx, event_t event)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int b = event_bit(event);

	if (!c || b < MTCP_NBUILTIN)
		return fail(EINVAL);
	if (!c->cur || !c->cur_msock)
		return fail(EINVAL);	/* only from inside a callback */
	mu_run_event(c, c->cur_msock, c->cur->hook, b, c->cur_sock,
		     c->cur->side, c->cur_depth + 1);
	return 0;
}

/* Does @bit, or a UDE built on it, have a callback at hook @h? */
bool mu_wanted(const struct mtcp_msock *m, int h, int bit)
{
	int i;

	if (m->cb[h][bit])
		return true;
	for (i = MTCP_NBUILTIN; i < mu_nude; i++)
		if (mu_ude[i].base == bit && mu_ude[i].filter && mu_wanted(m, h, i))
			return true;
	return false;
}

/*
 * Raise event @bit: its callback, then each UDE defined on it whose
 * filter agrees, depth first, in the order they were defined.
 */
void mu_run_event(struct mtcp_ctx *c, struct mtcp_msock *m, int h,
		  int bit, int sock, int side, int depth)
{
	int i, saved = c->cur_depth;

	if (depth > MTCP_UDE_DEPTH)
		return;
	c->cur_depth = depth;
	if (m->cb[h][bit])
		m->cb[h][bit](&c->pub, sock, side, 1ULL << bit, NULL);
	for (i = MTCP_NBUILTIN; i < mu_nude && !c->stop; i++) {
		struct mtcp_ude *u = &mu_ude[i];

		if (u->base != bit || !u->filter || !mu_wanted(m, h, i))
			continue;
		if (u->filter(&c->pub, sock, side, 1ULL << bit,
			      u->has_arg ? &u->arg : NULL))
			mu_run_event(c, m, h, i, sock, side, depth + 1);
	}
	c->cur_depth = saved;
}
