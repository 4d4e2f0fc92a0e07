// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * dispatch.c - a context's records to its flows, stream buffers and
 * callbacks, with mOS's semantics: UDE filters and raised events,
 * per-flow callbacks, and the end of a flow
 *
 * DOC: Theory of Operation
 *
 * An event record of the kernel runs, for its monitor socket, the
 * callback of the event at its hook and then the UDEs built on it, depth
 * first (mOS's HandleCb()): a UDE whose filter returns true runs its
 * callback, then the UDEs built on it, then the events its callbacks
 * raised (mtcp_raise_event(): after the raising callback returned, as
 * mOS's raise queue).  Filters and callbacks get the UDE's own id and its
 * argument; a built-in event's callback gets an empty argument.  A UDE is
 * raised at most once per event record.  The callbacks are the flow's
 * own (registered on its per-flow socket, socket.c) or else the monitor
 * socket's.
 *
 * One packet's event records at hook SND or RCV are held (a copy, a
 * bounded number) and run in mOS's order: per monitor socket, the events
 * from the lowest bit up, as mOS's HandleCallback() walks a hook's
 * events.  They run when a record of another packet, hook or kind comes
 * (a DATA record: before its bytes are applied) or the ring is empty.
 * A side that MOS_STOP_MON stopped has no callback any more; a side whose
 * buffer is off no NEW_DATA.
 *
 * The end of a flow is mOS's, not the kernel's: mOS destroys a flow's two
 * streams when, after a packet, each side is in TIME_WAIT
 * (tcp_tw_interval 0, the default) or CLOSED; and raises then, for each
 * side (the one that received the packet first), at MOS_HK_RCV and then
 * MOS_HK_SND, TCP_STATE_CHANGE (to CLOSED) and CONN_END.  The kernel keeps
 * a side in TIME_WAIT for its own timeout (120 s) and raises a side's
 * CONN_END once, at one hook: its CONN_END records are not the
 * application's, they only tell that a side ended.  So every stream
 * socket asks for TCP_STATE_CHANGE and CONN_END at both hooks; a flow
 * whose sides are both done is doomed and destroyed at the end of its
 * packet: at the receiver's CONN_END (always the last record of its
 * packet), at the next record that starts a packet (a hook SND record
 * after hook RCV ones), or when the ring is empty (dispatch_idle()).
 * Destroyed, the flow is dropped in the kernel (MOS_FLOW_STOP, for this
 * consumer only) and freed with its per-flow socket id; records of it
 * still in the ring find no flow and are ignored.
 *
 * tcp_tw_interval > 0: a side in TIME_WAIT is done that many seconds
 * later (a sweep timer, timer.c), when the flow is destroyed, the TIME_WAIT
 * side first.  tcp_timeout > 0: a flow with no record for that many
 * seconds (every packet makes one: PKT_IN is asked for at hook SND) idles
 * out: TIMEOUT at MOS_NULL, as the kernel's own idle timeout raises it,
 * then the destruction.  A flow the kernel ends (its idle timeout, a new
 * SYN on its 4-tuple, the end of a capture) is destroyed at its last
 * CONN_END or its FLOW_CLOSE record.
 *
 * A flow's last packet (MOS_RING_F_PKT_ONCE: the packet's other records
 * and its stream bytes refer to it) is read in the ring record that
 * carried it (pkt_stash()).  The consumer position is stored once per
 * run of records read, and every RELEASE_MAX bytes of them
 * (ring_release()): a packet whose record goes back to the kernel then
 * is copied first, live, where more of its records may follow.
 *
 * Limits: a flow's packet is told from the next one by the hooks of
 * their records; a doomed flow whose next packet raises only hook RCV
 * records before the ring empties has them dispatched first.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Bytes of records read at most before they go back to the ring */
#define RELEASE_MAX	(1U << 20)

/* UDEs raised by one callback at most, before they run */
#define RAISE_MAX	64

/*
 * The dispatch under way on this thread (callbacks run on the context's).
 * @raised is cleared at the first raise of the record (@any_raised): most
 * records raise nothing.
 */
struct dispatch {
	struct mtcp_ctx *c;
	const struct mtcp_cbtab *tab;
	int hook, sock, side;
	int *queue, nqueue;	/* what the running callback raised */
	bool any_raised;
	uint8_t raised[MTCP_UDE_MAX / 8];
};

static __thread struct dispatch *cur;

callback_t mu_cb_of(const struct mtcp_cbtab *t, int h, int ev)
{
	int i;

	if (ev < MTCP_NBEV)
		return t->bev[h][ev];
	for (i = 0; i < t->nude; i++)
		if (t->ude[i].ev == ev && t->ude[i].hook == h)
			return t->ude[i].cb;
	return NULL;
}

/* Is @anc @ev or an event @ev is built on? */
static bool built_on(int ev, int anc)
{
	while (ev != anc && ev >= MTCP_NBEV)
		ev = mu_ude[ev - MTCP_NBEV].parent;
	return ev == anc;
}

/* Does @ev, or a UDE built on it, have a callback in @t at hook @h? */
bool mu_tab_wants(const struct mtcp_cbtab *t, int h, int ev)
{
	int i;

	if (ev < MTCP_NBEV && t->bev[h][ev])
		return true;
	for (i = 0; i < t->nude; i++)
		if (t->ude[i].hook == h && built_on(t->ude[i].ev, ev))
			return true;
	return false;
}

/* Could built-in event @bit at hook @h run a callback of @m or its flows? */
bool mu_wanted(const struct mtcp_msock *m, int h, int bit)
{
	return (m->flowev[h] & (1ULL << bit)) || mu_tab_wants(&m->cbs, h, bit);
}

static event_t event_id(int ev)
{
	return ev < MTCP_NBEV ? 1ULL << ev : MTCP_UDE_BASE + (ev - MTCP_NBEV);
}

/* Event @ev's callback, then its UDEs', then what they raised */
static void run_node(struct dispatch *d, int ev, bool root)
{
	struct mtcp_ctx *c = d->c;
	const struct mtcp_ude *u = ev >= MTCP_NBEV ? &mu_ude[ev - MTCP_NBEV] :
						     NULL;
	int queue[RAISE_MAX], *saved_q = d->queue, saved_n = d->nqueue;
	int i, n, nraised;
	struct filter_arg arg = { 0 };
	callback_t cb;

	if (c->stop || (c->cur_flow && c->cur_flow->dead))
		return;
	d->queue = queue;
	d->nqueue = 0;
	if (u)
		arg = u->arg;
	if (!root && u && u->filter &&
	    !u->filter(&c->pub, d->sock, d->side, event_id(ev), &arg)) {
		d->queue = saved_q;
		d->nqueue = saved_n;
		return;
	}
	cb = mu_cb_of(d->tab, d->hook, ev);
	if (cb) {
		if (u)
			arg = u->arg;
		cb(&c->pub, d->sock, d->side, event_id(ev), &arg);
	}
	nraised = d->nqueue;
	d->queue = saved_q;
	d->nqueue = saved_n;
	n = __atomic_load_n(&mu_nude, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++)
		if (mu_ude[i].parent == ev && mu_ude[i].filter &&
		    mu_tab_wants(d->tab, d->hook, MTCP_NBEV + i))
			run_node(d, MTCP_NBEV + i, false);
	for (i = 0; i < nraised; i++)
		run_node(d, queue[i], false);
}

/*
 * mtcp_raise_event() of UDE @ev (of mtcp_alloc_event()): queued to run
 * when the running callback (or filter) has returned, if the socket has
 * a callback for it at this hook; once per event record.
 */
int mu_raise(struct mtcp_ctx *c, int ev)
{
	struct dispatch *d = cur;
	int i = ev - MTCP_NBEV;

	if (!d || d->c != c || !d->queue)
		return fail(EINVAL);	/* only inside a callback */
	if (!mu_tab_wants(d->tab, d->hook, ev))
		return fail(EINVAL);	/* nothing of it at this hook */
	if (!d->any_raised) {
		memset(d->raised, 0, sizeof(d->raised));
		d->any_raised = true;
	}
	if (d->raised[i / 8] & (1U << (i % 8)))
		return 0;
	if (d->nqueue == RAISE_MAX)
		return fail(ENOSPC);
	d->raised[i / 8] |= 1U << (i % 8);
	d->queue[d->nqueue++] = ev;
	return 0;
}

/* @f's own callbacks on monitor socket @m, or @m's */
static const struct mtcp_cbtab *tab_for(struct mtcp_ctx *c,
					const struct mtcp_flow *f,
					const struct mtcp_msock *m)
{
	const struct mtcp_flowcb *fc;

	for (fc = f ? f->life.cbs : NULL; fc; fc = fc->next)
		if (fc->msock == m - c->msock)
			return &fc->tab;
	return &m->cbs;
}

/*
 * Raise built-in event @bit at hook @h for socket @sock of monitor socket
 * @m (c->cur_flow, c->cur: the flow and the record, set by the caller)
 */
void mu_run_event(struct mtcp_ctx *c, struct mtcp_msock *m, int h,
		  int bit, int sock, int side, int depth)
{
	struct dispatch d, *saved = cur;

	(void)depth;
	/* Field by field: @raised is cleared only if something is raised */
	d.c = c;
	d.hook = h;
	d.sock = sock;
	d.side = side;
	d.queue = NULL;
	d.nqueue = 0;
	d.any_raised = false;
	/* A side whose monitoring stopped has no callback (mOS's) */
	if (c->cur_flow && side >= 0 && side < 2 &&
	    (c->cur_flow->life.stopped & (1 << side)))
		return;
	d.tab = tab_for(c, c->cur_flow, m);
	if (!mu_tab_wants(d.tab, h, bit))
		return;
	cur = &d;
	run_node(&d, bit, true);
	cur = saved;
}

/* Run @e of @f (NULL: no flow) for monitor socket @m */
static void run_record(struct mtcp_ctx *c, struct mtcp_msock *m,
		       struct mtcp_flow *f, const struct mos_rec_event *e)
{
	c->cur = e;
	c->cur_flow = f;
	c->cur_msock = m;
	c->cur_sock = f ? f->sock : c->conc + (int)(m - c->msock);
	mu_run_event(c, m, e->hook, e->type, c->cur_sock, e->side, 0);
	c->cur = NULL;
	c->cur_flow = NULL;
	c->cur_msock = NULL;
}

/* Is the flow for stream socket @m (its SYN filter took it)? */
static bool flow_for(const struct mtcp_flow *f, const struct mtcp_msock *m)
{
	return m->kid > MOS_SOCKS_MAX || (f->addr.socks & (1ULL << (m->kid - 1)));
}

/* --- the end of a flow ------------------------------------------------- */

static void doomed_unlink(struct mtcp_ctx *c, struct mtcp_flow *f)
{
	struct mtcp_flow **pp;

	if (!f->life.doomed)
		return;
	for (pp = &c->doomed; *pp; pp = &(*pp)->life.dnext)
		if (*pp == f) {
			*pp = f->life.dnext;
			break;
		}
	f->life.doomed = 0;
	f->life.dnext = NULL;
}

/* mOS's DestroySingleTCPStream() callbacks for side @s of @f */
static void destroy_side(struct mtcp_ctx *c, struct mtcp_flow *f, int s)
{
	static const int hooks[2] = { MOS_HOOK_RCV, MOS_HOOK_SND };
	static const int evs[2] = { MOS_EV_STATE_CHANGE, MOS_EV_CONN_END };
	int i, k, j;

	f->state[s] = TCP_CLOSED;
	for (i = 0; i < c->nmsock; i++) {
		struct mtcp_msock *m = &c->msock[i];

		if (!m->used || m->raw || !flow_for(f, m))
			continue;
		for (k = 0; k < 2; k++) {
			for (j = 0; j < 2 && !c->stop && !f->dead; j++) {
				struct mos_rec_event e = {
					.flow = f->id, .ts_ns = f->last_ts_ns,
					.type = evs[j], .hook = hooks[k],
					.side = s, .old_state = TCP_CLOSED,
					.reason = MOS_END_FIN,
					.state = { f->state[0], f->state[1] },
				};

				run_record(c, m, f, &e);
			}
		}
	}
}

/*
 * Destroy @f as mOS does: each side's callbacks, side @first first, then
 * the flow goes (dropped in the kernel for this consumer, freed)
 */
static void flow_destroy(struct mtcp_ctx *c, struct mtcp_flow *f, int first)
{
	doomed_unlink(c, f);
	destroy_side(c, f, first);
	destroy_side(c, f, !first);
	mu_flow_op(c, f->sock, MOS_FLOW_STOP, MOS_SIDE_BIT_CLI | MOS_SIDE_BIT_SVR,
		   0);
	mu_flow_close(c, f->id);
}

/* Is side @s of @f done, for mOS: CLOSED, or in TIME_WAIT (interval 0)? */
static bool side_done(const struct mtcp_flow *f, int s)
{
	if (f->life.ended & (1 << s))
		return true;
	if (f->state[s] == TCP_CLOSED)
		return f->life.opened & (1 << s);
	return f->state[s] == TCP_TIME_WAIT && mu_conf.tcp_timewait <= 0;
}

/* What record @e tells of @f's life; false: @f was destroyed first */
static bool life_update(struct mtcp_ctx *c, struct mtcp_flow *f,
			const struct mos_rec_event *e)
{
	struct mtcp_life *l = &f->life;
	int s;

	/* A doomed flow's next packet starts: the flow ended before it */
	if (l->doomed && e->hook == MOS_HOOK_SND && l->hook != MOS_HOOK_SND) {
		flow_destroy(c, f, !l->from);
		return false;
	}
	for (s = 0; s < 2; s++) {
		if (e->state[s] != TCP_CLOSED)
			l->opened |= 1 << s;
		if (e->state[s] == TCP_TIME_WAIT && mu_conf.tcp_timewait > 0 &&
		    !l->tw_ns) {
			l->tw_ns = e->ts_ns + mu_conf.tcp_timewait * 1000000000ULL;
			l->tw_side = s;
			mu_sweep_at(c, l->tw_ns);
		}
	}
	if (e->type == MOS_EV_CONN_END && e->side < 2)
		l->ended |= 1 << e->side;
	l->hook = e->hook;
	if (e->pkt_len)
		l->from = e->pkt_from & 1;
	l->active_ns = e->ts_ns;
	return true;
}

static void dispatch_one(struct mtcp_ctx *c, const struct mos_rec *rec)
{
	const struct mos_rec_event *e = (const void *)(rec + 1);
	struct mtcp_msock *m;
	struct mtcp_flow *f = NULL;
	int i;

	if (e->type >= MTCP_NBUILTIN || e->hook >= MOS_HOOKS)
		return;
	/* The kernel numbers a consumer's sockets from 1, as they came */
	i = (int)rec->sock - 1;
	if (i >= 0 && i < c->nmsock && c->msock[i].used &&
	    c->msock[i].kid == rec->sock)
		m = &c->msock[i];
	else
		for (i = 0, m = NULL; i < c->nmsock; i++)
			if (c->msock[i].used && c->msock[i].kid == rec->sock)
				m = &c->msock[i];
	if (e->flow) {
		f = mu_flow_find(c, e->flow);
		if (!f)
			return;	/* destroyed, or over max_concurrency */
		if (!life_update(c, f, e))
			return;
		f->state[0] = e->state[0];
		f->state[1] = e->state[1];
		f->last_ts_ns = e->ts_ns;
		if ((e->flags & MOS_EVF_SEQ0) && e->side < 2) {
			f->seq0[e->side] = e->seq0;
			f->seq0_known |= 1 << e->side;
		}
		mu_flow_seen(c, f, e);
		if (e->type == MOS_EV_NEW_DATA && e->side < 2)
			mu_flow_skipped(f, e->side, e->off + e->len);
		if (mu_conf.tcp_timeout > 0)
			mu_sweep_at(c, e->ts_ns + mu_conf.tcp_timeout *
					       1000000000ULL);
	}
	/*
	 * The kernel's CONN_END only says that a side ended (above); a side
	 * whose buffer the flow turned off has no NEW_DATA (mOS raises it
	 * only for a stream it buffers)
	 */
	if (m && e->type != MOS_EV_CONN_END && mu_wanted(m, e->hook, e->type) &&
	    !(f && e->type == MOS_EV_NEW_DATA && e->side < 2 &&
	      f->buf[e->side].off) &&
	    (!f || (!m->raw && flow_for(f, m))))
		run_record(c, m, f, e);
	if (!f)
		return;
	if (f->dead) {
		mu_flow_close(c, f->id);
		return;
	}
	if (!f->life.doomed && side_done(f, 0) && side_done(f, 1)) {
		f->life.doomed = 1;
		f->life.dnext = c->doomed;
		c->doomed = f;
	}
	/* The receiver's CONN_END is the last record of its packet */
	if (f->life.doomed && e->type == MOS_EV_CONN_END &&
	    e->hook == MOS_HOOK_RCV)
		flow_destroy(c, f, e->pkt_len ? !e->pkt_from : MOS_SIDE_CLI);
}

/* --- one packet's events at one hook, in mOS's order ------------------ */

/* Is @rec one of a flow's packet's events at hook SND or RCV? */
static bool pend_kind(const struct mos_rec *rec)
{
	const struct mos_rec_event *e = (const void *)(rec + 1);

	return e->flow && e->type < MTCP_NBUILTIN &&
	       (e->hook == MOS_HOOK_SND || e->hook == MOS_HOOK_RCV);
}

/* Packet bytes compared to tell a packet from the next: its headers */
#define PEND_CMP	128

/*
 * Are @a and @b of the same packet, at the same hook?  The same bytes
 * (their headers: IP id, sequence numbers, TCP options); offline, and
 * without a packet copy, also the same time (live, the kernel stamps each
 * record as it writes it).
 */
static bool pend_same(const struct mtcp_ctx *c, const struct mos_rec *a,
		      const struct mos_rec *b)
{
	const struct mos_rec_event *x = (const void *)(a + 1),
				   *y = (const void *)(b + 1);

	if (x->flow != y->flow || x->hook != y->hook ||
	    x->pkt_from != y->pkt_from || x->pkt_len != y->pkt_len ||
	    x->pkt_total != y->pkt_total)
		return false;
	/*
	 * MOS_RING_F_PKT_ONCE: a packet's bytes come in its first record,
	 * which runs the records held before (pkt_stash()); the next ones
	 * are MOS_EVF_PKT_PREV
	 */
	if (c->pkt_once && x->pkt_len)
		return y->flags & MOS_EVF_PKT_PREV;
	if ((!x->pkt_len || c->off) && x->ts_ns != y->ts_ns)
		return false;
	return !memcmp(x + 1, y + 1,
		       x->pkt_len < PEND_CMP ? x->pkt_len : PEND_CMP);
}

/* Where monitor socket @sock's records of the held packet start */
static int pend_rank(const struct mu_pend *p, uint32_t sock)
{
	int i;

	for (i = 0; i < p->n && p->rec[i]->sock != sock; i++)
		;
	return i;
}

/*
 * Run the held records: per monitor socket, in the order of their first
 * record, the events in the order of their bits (mOS's HandleCallback()
 * walks a hook's events from the lowest bit up); stable
 */
void mu_dispatch_flush(struct mtcp_ctx *c)
{
	struct mu_pend *p = c->pend;
	struct mos_rec *t;
	size_t tc;
	int i, j, n;

	if (!p || !p->n || p->running)
		return;
	n = p->n;
	for (i = 1; i < n; i++) {
		const struct mos_rec_event *e = (const void *)(p->rec[i] + 1);
		int ri = pend_rank(p, p->rec[i]->sock);

		for (j = i; j > 0; j--) {
			const struct mos_rec_event *d =
				(const void *)(p->rec[j - 1] + 1);
			int rj = pend_rank(p, p->rec[j - 1]->sock);

			if (rj < ri || (rj == ri && d->type <= e->type))
				break;
		}
		if (j == i)
			continue;
		t = p->rec[i];
		tc = p->cap[i];
		memmove(&p->rec[j + 1], &p->rec[j], (i - j) * sizeof(p->rec[0]));
		memmove(&p->cap[j + 1], &p->cap[j], (i - j) * sizeof(p->cap[0]));
		p->rec[j] = t;
		p->cap[j] = tc;
	}
	p->running = true;
	mu_verdict_next(c);
	for (i = 0; i < n; i++)
		dispatch_one(c, p->rec[i]);
	p->running = false;
	p->n = 0;
}

/*
 * An event record: one packet's events at hook SND or RCV are held (a
 * copy, MU_PEND_MAX at most) until a record of another packet, hook or
 * kind comes, or the ring is empty, then run in mOS's order
 */
/* Room for @len bytes at *@buf (*@cap bytes): false if there is none */
static bool grow(void *buf, size_t *cap, size_t len)
{
	void *n;

	if (*cap >= len)
		return true;
	n = realloc(*(void **)buf, len);
	if (!n)
		return false;
	*(void **)buf = n;
	*cap = len;
	return true;
}

/**
 * mu_ev_pkt() - the bytes of an event record's packet
 * @c: the context
 * @f: the record's flow, or NULL to look it up
 * @e: the record
 *
 * MOS_RING_F_PKT_ONCE: a MOS_EVF_PKT_PREV record's packet is the flow's
 * last one (pkt_stash()).
 *
 * Return: @e->pkt_len bytes, or NULL if the record has no packet.
 */
const uint8_t *mu_ev_pkt(struct mtcp_ctx *c, struct mtcp_flow *f,
			 const struct mos_rec_event *e)
{
	if (!e->pkt_len)
		return NULL;
	if (!(e->flags & MOS_EVF_PKT_PREV))
		return (const uint8_t *)(e + 1);
	if (!f && e->flow)
		f = mu_flow_find(c, e->flow);
	return f && f->pkt && f->pkt_len == e->pkt_len ? f->pkt : NULL;
}

/* @f's last packet is no longer lent by the ring: out of the list */
static void lent_unlink(struct mtcp_ctx *c, struct mtcp_flow *f)
{
	struct mtcp_flow **pp;

	if (!f->pkt_lent)
		return;
	for (pp = &c->lent; *pp; pp = &(*pp)->lnext)
		if (*pp == f) {
			*pp = f->lnext;
			break;
		}
	f->pkt_lent = false;
	f->lnext = NULL;
}

/*
 * The ring takes back the record that holds @f's last packet: a copy of
 * the packet (@keep: records of it may still come), or none
 */
static void pkt_unlend(struct mtcp_flow *f, bool keep)
{
	size_t cap = f->pkt_cap;

	f->pkt_lent = false;
	f->lnext = NULL;
	if (keep && f->pkt_len && grow(&f->pkt_own, &cap, f->pkt_len)) {
		f->pkt_cap = cap;
		memcpy(f->pkt_own, f->pkt, f->pkt_len);
		f->pkt = f->pkt_own;
		return;
	}
	f->pkt = NULL;
	f->pkt_len = 0;
	f->pkt_seen = false;
}

/*
 * MOS_RING_F_PKT_ONCE: a flow's record that carries its packet's bytes
 * lends them to the flow, for the packet's next records (flag
 * MOS_EVF_PKT_PREV, no bytes) and its stream bytes (MOS_DATAF_PKT): the
 * flow points into the record, which stays in the ring until
 * ring_release(), which copies the packet if it may still be needed.
 * The records held of the packet before run first: they may need the
 * flow's packet of theirs.
 *
 * Return: true if the flow's packet is the record's.
 */
static bool pkt_stash(struct mtcp_ctx *c, const struct mos_rec *rec)
{
	const struct mos_rec_event *e = (const void *)(rec + 1);
	struct mtcp_flow *f;

	if (!c->pkt_once || !e->flow || !e->pkt_len ||
	    (e->flags & MOS_EVF_PKT_PREV))
		return false;
	f = mu_flow_find(c, e->flow);
	if (!f)
		return false;
	if (!(c->pend && c->pend->running)) {
		/* A held CONN_END may free the flow: look it up again */
		mu_dispatch_flush(c);
		f = mu_flow_find(c, e->flow);
		if (!f)
			return false;
	}
	if (!f->pkt_lent) {
		f->pkt_lent = true;
		f->lnext = c->lent;
		c->lent = f;
	}
	f->pkt = (const uint8_t *)(e + 1);
	f->pkt_len = e->pkt_len;
	f->pkt_seen = false;
	return true;
}

/*
 * The records before @pos go back to the ring (the consumer position):
 * the flows' packets lent by them are copied first if @keep (more of a
 * packet's records may come), else forgotten
 */
static void ring_release(struct mtcp_ctx *c, uint64_t pos, bool keep)
{
	struct mtcp_flow *f;

	while ((f = c->lent)) {
		c->lent = f->lnext;
		pkt_unlend(f, keep);
	}
	__atomic_store_n(&c->ring.cons->pos, pos, __ATOMIC_RELEASE);
}

static void dispatch_event(struct mtcp_ctx *c, const struct mos_rec *rec)
{
	struct mu_pend *p = c->pend;
	bool stashed;
	size_t len;

	stashed = pkt_stash(c, rec);
	mu_verdict_seen(c, (const void *)(rec + 1));
	len = sizeof(*rec) + (rec->len & MOS_REC_LEN_MASK);

	if (!pend_kind(rec) || (p && p->running)) {
		mu_dispatch_flush(c);
		if (!(p && p->running))
			mu_verdict_next(c);
		dispatch_one(c, rec);
		return;
	}
	/* Its packet is the flow's copy: it is held without it */
	if (stashed)
		len = sizeof(*rec) + sizeof(struct mos_rec_event);
	if (!p)
		p = c->pend = calloc(1, sizeof(*p));
	if (p && p->n && (p->n == MU_PEND_MAX || !pend_same(c, p->rec[0], rec)))
		mu_dispatch_flush(c);
	if (p && p->cap[p->n] < len) {
		void *n = realloc(p->rec[p->n], len);

		if (n) {
			p->rec[p->n] = n;
			p->cap[p->n] = len;
		}
	}
	if (!p || p->cap[p->n] < len) {
		/* No room to hold it: run it now, in the kernel's order */
		mu_dispatch_flush(c);
		dispatch_one(c, rec);
		return;
	}
	memcpy(p->rec[p->n], rec, len);
	if (stashed) {
		struct mos_rec_event *e = (void *)(p->rec[p->n] + 1);

		p->rec[p->n]->len = sizeof(*e);
		e->flags |= MOS_EVF_PKT_PREV;
	}
	p->n++;
}

/* FLOW_CLOSE: the kernel ended the flow; mOS's end first, if not yet */
static void dispatch_close(struct mtcp_ctx *c, const struct mos_rec_flow *r)
{
	struct mtcp_flow *f;

	mu_dispatch_flush(c);
	f = mu_flow_find(c, r->flow);

	if (f)
		flow_destroy(c, f, MOS_SIDE_CLI);
}

/* The ring is empty: the doomed flows' packets are over */
static void dispatch_idle(struct mtcp_ctx *c)
{
	mu_dispatch_flush(c);
	mu_verdict_send(c);
	while (c->doomed && !c->stop)
		flow_destroy(c, c->doomed, !c->doomed->life.from);
}

/*
 * The record at position @pos of @r, or NULL: none yet (mos_ring__next()
 * at a position the consumer has not stored yet)
 */
static const struct mos_rec *ring_next(const struct mos_ring_user *r,
				       uint64_t pos)
{
	const struct mos_rec *rec;

	if (pos == __atomic_load_n(&r->prod->pos, __ATOMIC_ACQUIRE))
		return NULL;
	rec = (const void *)(r->data + (pos & r->mask));
	if (__atomic_load_n(&rec->len, __ATOMIC_ACQUIRE) & MOS_REC_BUSY)
		return NULL;
	return rec;
}

/**
 * mu_dispatch_ring() - the context's ring to its callbacks: every record
 * the ring holds now, in order, then dispatch_idle()'s work
 * @c: the context, its lock held
 */
void mu_dispatch_ring(struct mtcp_ctx *c)
{
	struct mos_ring_user *r = &c->ring;
	uint64_t pos = r->cons->pos, done = pos, size = r->mask + 1;
	/* A quarter of the ring, 1 MiB at most (offline: no size) */
	uint64_t rel = size && size / 4 < RELEASE_MAX ? size / 4 : RELEASE_MAX;
	const struct mos_rec *rec;

	while (!c->stop && (rec = ring_next(r, pos))) {
		const void *b = rec + 1;

		if (!(rec->len & MOS_REC_DISCARD)) {
			switch (rec->type) {
			case MOS_REC_FLOW_OPEN:
				mu_flow_open(c, b);
				break;
			case MOS_REC_FLOW_CLOSE:
				dispatch_close(c, b);
				break;
			case MOS_REC_DATA:
				mu_flow_data(c, b);
				break;
			case MOS_REC_EVENT:
				dispatch_event(c, rec);
				break;
			case MOS_REC_HELD:
				/* The packet's callbacks, then its verdict */
				mu_dispatch_flush(c);
				mu_verdict_held(c, b);
				break;
			case MOS_REC_LOST: {
				const struct mos_rec_lost *l = b;

				c->lost_events += l->events;
				c->lost_bytes += l->bytes;
				break;
			}
			}
		}
		pos += (sizeof(*rec) + (rec->len & MOS_REC_LEN_MASK) +
			MOS_REC_ALIGN - 1) & ~(uint64_t)(MOS_REC_ALIGN - 1);
		mu_verdict_tick(c);
		/* A long run of records: room for the kernel now and then */
		if (pos - done >= rel) {
			ring_release(c, pos, true);
			done = pos;
		}
	}
	if (!c->stop)
		dispatch_idle(c);
	/*
	 * Offline, the backend wrote every record of its packets before
	 * the batch: none of a lent packet's records is still to come
	 */
	ring_release(c, pos, c->stop || !c->off);
}

/*
 * The sweep timer (timer.c): flows whose TIME_WAIT ran out
 * (tcp_tw_interval), flows idle for tcp_timeout; then the timer again at
 * the next such moment
 */
void mu_flows_sweep(struct mtcp_ctx *c, uint64_t now)
{
	const uint64_t idle = mu_conf.tcp_timeout > 0 ?
			      mu_conf.tcp_timeout * 1000000000ULL : 0;
	uint64_t next = UINT64_MAX;
	uint32_t b;

	dispatch_idle(c);
	for (b = 0; b <= c->hmask && !c->stop; b++) {
		struct mtcp_flow *f = c->hash[b], *n;

		for (; f && !c->stop; f = n) {
			n = f->hnext;
			/*
			 * A flow's end runs callbacks, which may end other
			 * flows (MOS_STOP_MON): the chain is read again from
			 * its head after each end
			 */
			if (f->life.tw_ns && f->life.tw_ns <= now) {
				flow_destroy(c, f, f->life.tw_side);
				n = c->hash[b];
				continue;
			}
			if (idle && f->life.active_ns + idle <= now) {
				struct mos_rec_event e = {
					.flow = f->id, .ts_ns = now,
					.type = MOS_EV_TIMEOUT,
					.hook = MOS_HOOK_NULL,
					.state = { f->state[0], f->state[1] },
				};
				int i;

				for (i = 0; i < c->nmsock; i++) {
					struct mtcp_msock *m = &c->msock[i];

					if (m->used && !m->raw && flow_for(f, m) &&
					    !f->dead)
						run_record(c, m, f, &e);
				}
				flow_destroy(c, f, MOS_SIDE_CLI);
				n = c->hash[b];
				continue;
			}
			if (f->life.tw_ns && f->life.tw_ns < next)
				next = f->life.tw_ns;
			if (idle && f->life.active_ns + idle < next)
				next = f->life.active_ns + idle;
		}
	}
	if (next != UINT64_MAX && !c->stop)
		mu_sweep_at(c, next);
}

/* A flow is freed (flow.c): what this file holds of it goes */
void mu_flow_forget(struct mtcp_ctx *c, struct mtcp_flow *f)
{
	struct mtcp_flowcb *fc;

	doomed_unlink(c, f);
	lent_unlink(c, f);
	while ((fc = f->life.cbs)) {
		f->life.cbs = fc->next;
		mu_cbtab_free(&fc->tab);
		free(fc);
	}
}

/* The context is freed: its sockets' and flows' callbacks */
void mu_events_free(struct mtcp_ctx *c)
{
	uint32_t b;
	int i;

	if (c->pend) {
		for (i = 0; i < MU_PEND_MAX; i++)
			free(c->pend->rec[i]);
		free(c->pend);
		c->pend = NULL;
	}
	for (i = 0; i < c->nmsock; i++)
		mu_cbtab_free(&c->msock[i].cbs);
	for (b = 0; c->hash && b <= c->hmask; b++) {
		struct mtcp_flow *f;

		for (f = c->hash[b]; f; f = f->hnext)
			mu_flow_forget(c, f);
	}
}
