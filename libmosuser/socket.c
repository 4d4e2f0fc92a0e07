// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * socket.c - monitor sockets, their filters and callbacks, and
 * user-defined events (UDEs)
 *
 * Callbacks are registered per socket, event and hook, on the event/hook
 * pairs mOS accepts (mOS's mtcp_register_callback(): MOS_NULL takes every
 * event but CONN_START, REXMIT, TCP_STATE_CHANGE and CONN_END; the sides'
 * hooks every event but CONN_NEW_DATA, ORPHAN and ERROR; a UDE is judged
 * by the built-in event at the bottom of its chain).  A pair the kernel
 * never raises is kept and never called, as in mOS.  The kernel is asked
 * for the events that have a callback (a UDE's: its root event), and for
 * the ones dispatch.c needs to end flows as mOS does.
 *
 * A per-flow socket (the sock a callback got) takes callbacks too: the
 * flow gets its own copy of the monitor socket's callbacks at the first
 * such call, and follows the copy from then on (dispatch.c).
 *
 * UDEs are the process's, as mOS's: ids from MTCP_UDE_BASE on, one by
 * one.  mtcp_define_event() on the same parent with the same filter and
 * the same argument bytes gives the id it gave before; the argument is
 * copied.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct mtcp_ude mu_ude[MTCP_UDE_MAX];
int mu_nude;			/* UDEs defined: read with acquire */
static pthread_mutex_t ude_lock = PTHREAD_MUTEX_INITIALIZER;

/* The events the kernel raises at each hook for a stream socket */
static const uint64_t kernel_events[MOS_HOOKS] = {
	[MOS_HOOK_NULL] = MOS_ON_CONN_NEW_DATA | MOS_ON_ERROR | MOS_ON_TIMEOUT |
			  MOS_ON_ORPHAN,
	[MOS_HOOK_SND] = MOS_ON_PKT_IN | MOS_ON_CONN_START | MOS_ON_CONN_SETUP |
			 MOS_ON_TCP_STATE_CHANGE | MOS_ON_REXMIT | MOS_ON_CONN_END,
	[MOS_HOOK_RCV] = MOS_ON_PKT_IN | MOS_ON_CONN_START | MOS_ON_CONN_SETUP |
			 MOS_ON_TCP_STATE_CHANGE | MOS_ON_REXMIT | MOS_ON_CONN_END,
};

/*
 * What dispatch.c needs of every flow, callbacks or not: the sides'
 * states and ends, to destroy the flow when mOS does; with tcp_timeout,
 * every packet, to know when the flow last moved.
 */
static uint64_t internal_events(int h)
{
	if (h == MOS_HOOK_NULL)
		return 0;
	return MOS_ON_TCP_STATE_CHANGE | MOS_ON_CONN_END |
	       (h == MOS_HOOK_SND && mu_conf.tcp_timeout > 0 ? MOS_ON_PKT_IN : 0);
}

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

/* The root built-in events of @t's callbacks at hook @h, as a mask */
static uint64_t tab_roots(const struct mtcp_cbtab *t, int h)
{
	uint64_t ev = 0;
	int i;

	for (i = 0; i < MTCP_NBEV; i++)
		if (t->bev[h][i])
			ev |= 1ULL << i;
	for (i = 0; i < t->nude; i++)
		if (t->ude[i].hook == h)
			ev |= 1ULL << mu_ude[t->ude[i].ev - MTCP_NBEV].root;
	return ev;
}

/*
 * Ask the kernel for the events of @h that have a callback, on the
 * socket or on one of its flows, and the ones dispatch.c needs.  A raw
 * socket's callbacks on MOS_ON_PKT_IN are at hook NULL (see
 * mtcp_register_callback()).  A closed socket asks for nothing.
 */
int mu_msock_sync(struct mtcp_ctx *c, struct mtcp_msock *m, int h)
{
	struct mos_ioc_subscribe s = {
		.size = sizeof(s), .sock = m->kid, .hook = h,
		.buf = { m->buf[0], m->buf[1] },
	};

	if (m->raw) {
		if (h != MOS_HOOK_NULL)
			return 0;
		if (m->used)
			s.events = tab_roots(&m->cbs, h) & MOS_ON_PKT_IN;
		return mu_ctx_ioctl(c, MOS_IOC_SUBSCRIBE, &s);
	}
	if (m->used)
		s.events = (tab_roots(&m->cbs, h) | m->flowev[h] |
			    internal_events(h)) & kernel_events[h];
	return mu_ctx_ioctl(c, MOS_IOC_SUBSCRIBE, &s);
}

/* The index of a built-in event or a UDE (see MTCP_UDE_BASE), or -1 */
static int event_index(event_t event)
{
	int n = __atomic_load_n(&mu_nude, __ATOMIC_ACQUIRE);

	if (event && event < MTCP_UDE_BASE && !(event & (event - 1)))
		return __builtin_ctzll(event);
	if (event >= MTCP_UDE_BASE && event < MTCP_UDE_BASE + (uint64_t)n)
		return MTCP_NBEV + (int)(event - MTCP_UDE_BASE);
	return -1;
}

static int root_of(int ev)
{
	return ev < MTCP_NBEV ? ev : mu_ude[ev - MTCP_NBEV].root;
}

/* Does mOS take @root's callbacks at hook @h? */
static bool hook_takes(int h, int root)
{
	const uint64_t no_null = MOS_ON_CONN_START | MOS_ON_REXMIT |
				 MOS_ON_TCP_STATE_CHANGE | MOS_ON_CONN_END;
	const uint64_t no_side = MOS_ON_CONN_NEW_DATA | MOS_ON_ORPHAN |
				 MOS_ON_ERROR;

	return !((h == MOS_HOOK_NULL ? no_null : no_side) & (1ULL << root));
}

/* Set (@cb) or clear (NULL) a callback of @t: 0, or -1 with errno set */
static int tab_set(struct mtcp_cbtab *t, int h, int ev, callback_t cb)
{
	int i;

	if (ev < MTCP_NBEV) {
		if (!cb && !t->bev[h][ev])
			return fail(EINVAL);
		t->bev[h][ev] = cb;
		return 0;
	}
	for (i = 0; i < t->nude; i++)
		if (t->ude[i].ev == ev && t->ude[i].hook == h)
			break;
	if (!cb) {
		if (i == t->nude)
			return fail(EINVAL);
		t->ude[i] = t->ude[--t->nude];
		return 0;
	}
	if (i == t->nude) {
		if (t->nude == t->cap) {
			int cap = t->cap ? 2 * t->cap : 8;
			struct mtcp_cbent *e = realloc(t->ude, cap * sizeof(*e));

			if (!e)
				return fail(ENOMEM);
			t->ude = e;
			t->cap = cap;
		}
		t->nude++;
	}
	t->ude[i] = (struct mtcp_cbent){ .ev = ev, .hook = h, .cb = cb };
	return 0;
}

void mu_cbtab_free(struct mtcp_cbtab *t)
{
	free(t->ude);
	memset(t, 0, sizeof(*t));
}

/* @f's own callbacks on monitor socket @mi, copied from it at first */
static struct mtcp_cbtab *flow_tab(struct mtcp_ctx *c, struct mtcp_flow *f,
				   int mi)
{
	const struct mtcp_cbtab *from = &c->msock[mi].cbs;
	struct mtcp_flowcb *fc;

	for (fc = f->life.cbs; fc; fc = fc->next)
		if (fc->msock == mi)
			return &fc->tab;
	fc = calloc(1, sizeof(*fc));
	if (!fc)
		return NULL;
	memcpy(fc->tab.bev, from->bev, sizeof(from->bev));
	if (from->nude) {
		fc->tab.ude = malloc(from->nude * sizeof(*from->ude));
		if (!fc->tab.ude) {
			free(fc);
			return NULL;
		}
		memcpy(fc->tab.ude, from->ude, from->nude * sizeof(*from->ude));
		fc->tab.nude = fc->tab.cap = from->nude;
	}
	fc->msock = mi;
	fc->next = f->life.cbs;
	f->life.cbs = fc;
	return &fc->tab;
}

/*
 * A per-flow socket's callback: on the flow's copy of the callbacks of
 * the monitor socket whose event is being dispatched, or outside of one,
 * of every stream socket the flow is for.
 */
static int flow_register(struct mtcp_ctx *c, struct mtcp_flow *f, int h,
			 int ev, callback_t cb)
{
	int i, done = 0, err = 0;

	for (i = 0; i < c->nmsock; i++) {
		struct mtcp_msock *m = &c->msock[i];
		struct mtcp_cbtab *t;

		if (!m->used || m->raw ||
		    (m->kid <= MOS_SOCKS_MAX &&
		     !(f->addr.socks & (1ULL << (m->kid - 1)))))
			continue;
		if (c->cur_flow == f && c->cur_msock && c->cur_msock != m)
			continue;
		t = flow_tab(c, f, i);
		if (!t)
			return fail(ENOMEM);
		if (tab_set(t, h, ev, cb)) {
			err = errno;
			continue;
		}
		done++;
		if (cb && !(m->flowev[h] & (1ULL << root_of(ev)))) {
			m->flowev[h] |= 1ULL << root_of(ev);
			if (mu_msock_sync(c, m, h))
				return -1;
		}
	}
	return done ? 0 : fail(err ? err : EINVAL);
}

static int register_cb(struct mtcp_ctx *c, int sock, event_t event,
		       int hook_point, callback_t cb)
{
	struct mtcp_msock *m = c ? mu_msock_of(c, sock) : NULL;
	struct mtcp_flow *f = c && !m ? mu_flow_of(c, sock) : NULL;
	int h = hook_index(hook_point), ev = event_index(event), i, err;

	if ((!m && !f) || h < 0 || ev < 0 || !hook_takes(h, root_of(ev)))
		return fail(EINVAL);
	if (f)
		return flow_register(c, f, h, ev, cb);
	/* Raw sockets: MOS_ON_PKT_IN is every packet, at hook NULL */
	if (m->raw && root_of(ev) == MOS_EV_PKT_IN)
		h = MOS_HOOK_NULL;
	if (tab_set(&m->cbs, h, ev, cb))
		return -1;
	for (i = 0; i < MOS_HOOKS; i++) {
		if (mu_msock_sync(c, m, i)) {
			err = errno;
			if (cb)
				tab_set(&m->cbs, h, ev, NULL);
			return fail(err);
		}
	}
	return 0;
}

/* Under the context's lock: its thread may be running (context.c) */
int mtcp_register_callback(mctx_t mctx, int sock, event_t event,
			   int hook_point, callback_t cb)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int ret;

	if (!c)
		return fail(EINVAL);
	mu_ctx_lock(c);
	ret = register_cb(c, sock, event, hook_point, cb);
	mu_ctx_unlock(c);
	return ret;
}

int mtcp_unregister_callback(mctx_t mctx, int sock, event_t event,
			     int hook_point)
{
	return mtcp_register_callback(mctx, sock, event, hook_point, NULL);
}

static int msock_close(struct mtcp_ctx *c, int sock)
{
	struct mtcp_msock *m = c ? mu_msock_of(c, sock) : NULL;
	int h, i;

	if (!m)
		return fail(EBADF);
	/* No event and no stream byte for it from now on */
	m->used = 0;
	m->buf[0] = m->buf[1] = 0;
	for (h = 0; h < MOS_HOOKS; h++)
		mu_msock_sync(c, m, h);
	mu_cbtab_free(&m->cbs);
	memset(m->flowev, 0, sizeof(m->flowev));
	/* Its filters go, and the flows it had are no longer its */
	for (i = 0; i <= MOS_FILTER_RAW; i++)
		if (m->filtered & (1U << i))
			mos_sock__filter_via(ctx_ioc, c, m->kid, i, NULL,
					     NULL, 0);
	m->filtered = 0;
	for (i = 0; i < c->conc; i++) {
		struct mtcp_flow *f = c->bysock[i];
		struct mtcp_flowcb **pp, *fc;

		if (!f)
			continue;
		if (m->kid <= MOS_SOCKS_MAX)
			f->addr.socks &= ~(1ULL << (m->kid - 1));
		for (pp = &f->life.cbs; (fc = *pp);) {
			if (fc->msock != m - c->msock) {
				pp = &fc->next;
				continue;
			}
			mu_cbtab_free(&fc->tab);
			/*
			 * The flow being dispatched may be reading this
			 * table: emptied, it stays on the flow's list, of no
			 * socket, until the flow is freed
			 */
			if (f == c->cur_flow) {
				fc->msock = -1;
				pp = &fc->next;
				continue;
			}
			*pp = fc->next;
			free(fc);
		}
	}
	return 0;
}

int mtcp_close(mctx_t mctx, int sock)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int ret;

	if (!c)
		return fail(EBADF);
	mu_ctx_lock(c);
	ret = msock_close(c, sock);
	mu_ctx_unlock(c);
	return ret;
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

	return c ? c->errmsg : mu_last_errmsg();
}

/* Is @u's argument @arg's bytes (none: no bytes or no pointer)? */
static bool same_arg(const struct mtcp_ude *u, const struct filter_arg *arg)
{
	bool none = !arg || !arg->arg || !arg->len;

	if (!u->arg.arg)
		return none;
	return !none && u->arg.len == arg->len &&
	       !memcmp(u->arg.arg, arg->arg, arg->len);
}

/*
 * A new UDE on @event (@filter NULL: raised only), or the one defined
 * before with the same filter and argument; 0 with errno set on failure.
 */
static event_t ude_new(event_t event, filter_t filter,
		       const struct filter_arg *arg)
{
	int parent = event_index(event), i;
	struct mtcp_ude *u;
	event_t id = 0;

	if (parent < 0 || (arg && arg->len && !arg->arg)) {
		errno = EINVAL;
		return 0;
	}
	pthread_mutex_lock(&ude_lock);
	for (i = 0; filter && i < mu_nude; i++) {
		u = &mu_ude[i];
		if (u->parent == parent && u->filter == filter &&
		    same_arg(u, arg)) {
			id = MTCP_UDE_BASE + i;
			goto out;
		}
	}
	if (mu_nude == MTCP_UDE_MAX) {
		errno = ENOSPC;
		goto out;
	}
	u = &mu_ude[mu_nude];
	memset(u, 0, sizeof(*u));
	if (arg && arg->arg && arg->len) {
		u->arg.arg = malloc(arg->len);
		if (!u->arg.arg) {
			errno = ENOMEM;
			goto out;
		}
		memcpy(u->arg.arg, arg->arg, arg->len);
		u->arg.len = arg->len;
	}
	u->parent = parent;
	u->root = root_of(parent);
	u->filter = filter;
	id = MTCP_UDE_BASE + mu_nude;
	__atomic_store_n(&mu_nude, mu_nude + 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&ude_lock);
	return id;
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
	int ev = event_index(event);

	if (!c || ev < MTCP_NBEV || mu_ude[ev - MTCP_NBEV].filter)
		return fail(EINVAL);	/* only events of mtcp_alloc_event() */
	return mu_raise(c, ev);
}
