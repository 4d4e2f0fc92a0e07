// SPDX-License-Identifier: GPL-2.0
/*
 * tm_util.c - packet builder and event recorder for the tcpmon unit tests
 *
 * See tm_util.h.  Nothing here asserts: the recorder notes violations in
 * struct tu for the test to check, so that a callback never aborts in the
 * middle of the core.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "pkt.h"
#include "tm_util.h"

static const char * const tu_side_names[2] = { "cli", "svr" };
static const char * const tu_hook_names[3] = { "NULL", "SND", "RCV" };
static const char * const tu_end_names[] = {
	"fin", "rst", "timeout", "reuse", "flush", "evict",
};

void tu_viol(struct tu *u, const char *fmt, ...)
{
	size_t n = strlen(u->viol);
	va_list ap;

	u->nviol++;
	if (n + 2 >= sizeof(u->viol))
		return;
	va_start(ap, fmt);
	vsnprintf(u->viol + n, sizeof(u->viol) - n, fmt, ap);
	va_end(ap);
	n = strlen(u->viol);
	if (n + 2 < sizeof(u->viol))
		strcat(u->viol, "; ");
}

static void tu_printf(struct tu *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tu_printf(struct tu *u, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (u->quiet)
		return;
	for (;;) {
		size_t room = u->logcap - u->loglen;

		va_start(ap, fmt);
		n = vsnprintf(u->log + u->loglen, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room)
			break;
		u->logcap = u->logcap * 2 + n + 64;
		u->log = realloc(u->log, u->logcap);
		if (!u->log)
			abort();
	}
	u->loglen += n;
}

static u8 *tu_rxbuf(struct tu *u, u64 id, int side)
{
	if (!id || id >= TU_IDS)
		return NULL;
	if (!u->rx[id][side]) {
		u->rx[id][side] = calloc(1, TU_RX + 1);
		if (!u->rx[id][side])
			abort();
	}
	return u->rx[id][side];
}

/* Put @len bytes at stream offset @off of flow @id's @side (or '#'s). */
static void tu_rx_put(struct tu *u, u64 id, int side, u64 off,
		      const u8 *bytes, u32 len)
{
	u8 *b = tu_rxbuf(u, id, side);

	if (!b || off >= TU_RX)
		return;
	if (len > TU_RX - off)
		len = TU_RX - off;
	if (bytes)
		memcpy(b + off, bytes, len);
	else
		memset(b + off, '#', len);
	if (off + len > u->rxlen[id][side])
		u->rxlen[id][side] = off + len;
}

static void tu_data(void *priv, struct tm_flow *f, int side, u64 off,
		    tm_copy_t copy, const void *src, unsigned int off_in_src,
		    unsigned int len)
{
	struct tu *u = priv;
	struct tu_flow *fp = mos_tm_flow_priv(f);
	u8 *tmp;

	if (side != TM_CLI && side != TM_SVR) {
		tu_viol(u, "data: side %d", side);
		return;
	}
	if (!len)
		tu_viol(u, "data: empty");
	if (off != fp->next_off[side])
		tu_viol(u, "flow %llu data %s at %llu, expected %llu",
			(unsigned long long)f->id, tu_side_names[side],
			(unsigned long long)off,
			(unsigned long long)fp->next_off[side]);
	fp->next_off[side] = off + len;
	if (!fp->started[side] || fp->ended[side])
		tu_viol(u, "flow %llu data %s outside CONN_START..CONN_END",
			(unsigned long long)f->id, tu_side_names[side]);

	tmp = malloc(len ? len : 1);
	if (!tmp)
		abort();
	if (copy(src, off_in_src, tmp, len))
		tu_viol(u, "data: copy of %u bytes at %u failed", len,
			off_in_src);
	else
		tu_rx_put(u, f->id, side, off, tmp, len);
	free(tmp);
	tu_printf(u, "data %s %llu+%u\n", tu_side_names[side],
		  (unsigned long long)off, len);
}

/* Check what an event means for the flow's recorder state. */
static void tu_check(struct tu *u, struct tm_flow *f, const struct tm_ev *ev)
{
	struct tu_flow *fp = mos_tm_flow_priv(f);
	unsigned int s = ev->side;
	unsigned long long id = f->id;

	switch (ev->type) {
	case TM_EV_CONN_START:
		if (fp->started[s])
			tu_viol(u, "flow %llu: second CONN_START %s", id,
				tu_side_names[s]);
		fp->started[s] = 1;
		break;
	case TM_EV_CONN_END:
		if (!fp->started[s] || fp->ended[s])
			tu_viol(u, "flow %llu: CONN_END %s started=%d ended=%d",
				id, tu_side_names[s], fp->started[s],
				fp->ended[s]);
		if (fp->announced[s] != fp->next_off[s])
			tu_viol(u, "flow %llu: CONN_END %s with bytes %llu..%llu not announced by NEW_DATA",
				id, tu_side_names[s],
				(unsigned long long)fp->announced[s],
				(unsigned long long)fp->next_off[s]);
		fp->ended[s] = 1;
		break;
	case TM_EV_NEW_DATA:
		if (ev->hook != TM_HK_NULL || !ev->len ||
		    ev->off != fp->announced[s] ||
		    ev->off + ev->len != fp->next_off[s])
			tu_viol(u, "flow %llu: NEW_DATA %s %llu+%u hook %u, announced %llu, stream at %llu",
				id, tu_side_names[s],
				(unsigned long long)ev->off, ev->len, ev->hook,
				(unsigned long long)fp->announced[s],
				(unsigned long long)fp->next_off[s]);
		fp->announced[s] = ev->off + ev->len;
		break;
	case TM_EV_ERROR:
		if (ev->err != TM_ERR_GAP)
			break;
		if (ev->off != fp->next_off[s] || !ev->len)
			tu_viol(u, "flow %llu: GAP %s %llu+%u, stream at %llu",
				id, tu_side_names[s],
				(unsigned long long)ev->off, ev->len,
				(unsigned long long)fp->next_off[s]);
		fp->next_off[s] = ev->off + ev->len;
		tu_rx_put(u, f->id, s, ev->off, NULL, ev->len);
		break;
	case TM_EV_PKT_IN:
		if (ev->hook == TM_HK_RCV &&
		    fp->announced[s] != fp->next_off[s])
			tu_viol(u, "flow %llu: PKT_IN %s with bytes %llu..%llu not announced",
				id, tu_side_names[s],
				(unsigned long long)fp->announced[s],
				(unsigned long long)fp->next_off[s]);
		break;
	}
}

static void tu_event(void *priv, struct tm_flow *f, const struct tm_ev *ev,
		     const struct tm_src *src, const struct tm_pkt *p)
{
	struct tu *u = priv;
	struct tu_ev *e;

	if (ev->type >= TM_EV_MAX || ev->hook > TM_HK_RCV || ev->side > 1 ||
	    ev->err >= TM_ERR_MAX || ev->pad) {
		tu_viol(u, "bad event %u hook %u side %u err %u", ev->type,
			ev->hook, ev->side, ev->err);
		return;
	}
	if ((src == NULL) != (p == NULL))
		tu_viol(u, "%s: src %p p %p", mos_tm_event_name(ev->type),
			(const void *)src, (const void *)p);
	if (!f && ev->type != TM_EV_ORPHAN && ev->type != TM_EV_ERROR)
		tu_viol(u, "%s without a flow", mos_tm_event_name(ev->type));

	if (u->nev == u->evcap) {
		u->evcap = u->evcap ? u->evcap * 2 : 256;
		u->ev = realloc(u->ev, u->evcap * sizeof(*u->ev));
		if (!u->ev)
			abort();
	}
	e = &u->ev[u->nev++];
	memset(e, 0, sizeof(*e));
	e->ev = *ev;
	u->count[ev->type]++;
	if (ev->type == TM_EV_ERROR)
		u->errs[ev->err]++;
	if (f) {
		e->flow_id = f->id;
		e->state[0] = f->half[0].state;
		e->state[1] = f->half[1].state;
		u->state[0] = e->state[0];
		u->state[1] = e->state[1];
		u->last_id = f->id;
		tu_check(u, f, ev);
	}

	tu_printf(u, "%s %s %s", mos_tm_event_name(ev->type),
		  f || ev->side ? tu_side_names[ev->side] : "-",
		  tu_hook_names[ev->hook]);
	switch (ev->type) {
	case TM_EV_STATE_CHANGE:
		tu_printf(u, " %s>%s", mos_tm_state_name(ev->old_state),
			  f ? mos_tm_state_name(f->half[ev->side].state) : "?");
		break;
	case TM_EV_CONN_END:
		tu_printf(u, " %s", ev->reason < ARRAY_SIZE(tu_end_names) ?
			  tu_end_names[ev->reason] : "?");
		break;
	case TM_EV_ERROR:
		tu_printf(u, " %s %llu+%u", mos_tm_err_name(ev->err),
			  (unsigned long long)ev->off, ev->len);
		break;
	case TM_EV_NEW_DATA:
	case TM_EV_REXMIT:
		tu_printf(u, " %llu+%u", (unsigned long long)ev->off, ev->len);
		break;
	}
	tu_printf(u, "\n");
}

/* The action a test chose (tu.action), logged as a line of its own */
static unsigned int tu_classify(void *priv, const struct tm_src *src,
				const struct tm_pkt *p, u32 *rule)
{
	static const char *const names[] = { "monitor", "ignore", "drop",
					     "reset" };
	struct tu *u = priv;

	(void)src;
	(void)p;
	*rule = u->rule;
	if (u->action)
		tu_printf(u, "CLASSIFY %s rule %u\n", names[u->action & 3],
			  u->rule);
	return u->action;
}

static void tu_flow(void *priv, struct tm_flow *f, const struct tm_src *src,
		    const struct tm_pkt *p)
{
	struct tu *u = priv;
	bool end = !src;

	(void)p;

	if (u->action || u->rule)
		tu_printf(u, "FLOW %s %llu\n", end ? "end" : "new",
			  (unsigned long long)f->id);
}

static const struct tm_ops tu_ops = {
	.event = tu_event,
	.data = tu_data,
	.classify = tu_classify,
	.flow = tu_flow,
};

struct tu *tu_new(const struct tm_table_cfg *cfg)
{
	struct tu *u = calloc(1, sizeof(*u));

	if (!u)
		abort();
	u->pend = calloc(TU_PEND_MAX, sizeof(*u->pend));
	if (!u->pend)
		abort();
	if (cfg)
		u->cfg = *cfg;
	u->cfg.priv_size = sizeof(struct tu_flow);
	u->t = mos_tm_table_new(&u->cfg, &tu_ops, u);
	if (!u->t)
		abort();
	u->now = 1000 * TU_NS;
	tu_conn(u, 4, "10.0.0.1", 40000, "10.0.0.2", 80);
	return u;
}

void tu_free(struct tu *u)
{
	int i, s;

	while (u->npend)
		tu_forget(u);
	free(u->pend);
	mos_tm_table_free(u->t);
	for (i = 0; i < TU_IDS; i++)
		for (s = 0; s < 2; s++)
			free(u->rx[i][s]);
	free(u->ev);
	free(u->log);
	free(u);
}

void tu_conn(struct tu *u, u8 family, const char *cli, u16 cport,
	     const char *svr, u16 sport)
{
	u->family = family;
	memset(u->addr, 0, sizeof(u->addr));
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, cli, &u->addr[CLI]) != 1 ||
	    inet_pton(family == 4 ? AF_INET : AF_INET6, svr, &u->addr[SVR]) != 1)
		abort();
	u->port[CLI] = cport;
	u->port[SVR] = sport;
}

/* @pk of the connection, built by tools/lib/pkt.c; aborts if it does not fit */
unsigned int tu_build(u8 *buf, unsigned int size, const struct tu *u,
		      const struct tu_pkt *pk)
{
	int s = pk->from, r = !pk->from;
	struct pkt_tcp p = {
		.family = pk->family ? pk->family : u->family,
		.src = &u->addr[s],
		.dst = &u->addr[r],
		.sport = u->port[s],
		.dport = u->port[r],
		.seq = pk->seq,
		.ack = pk->ack,
		.flags = pk->flags,
		.win = pk->win0 ? 0 : pk->win ? pk->win : 65535,
		.urg = pk->urg,
		.opt = pk->opt,
		.optlen = pk->optlen,
		.data = pk->data,
		.len = pk->len,
	};
	size_t n;

	if (pk->data && !p.len)
		p.len = strlen(pk->data);
	n = pkt_tcp(buf, size, &p);
	if (!n)
		abort();
	return n;
}

/* &tm_split.wait: with tu.split, every segment's receiver waits */
static bool tu_wait(void *arg, const struct tm_pkt *p)
{
	(void)p;
	return ((struct tu *)arg)->split;
}

void tu_input_raw(struct tu *u, const u8 *pkt, unsigned int len, u8 family,
		  unsigned int in_flags)
{
	u8 *copy = malloc(len ? len : 1);
	struct tm_flat b = { copy, len };
	struct tm_src src = {
		.pkt = &b,
		.len = len,
		.read = tm_flat_read,
		.copy = tm_flat_copy,
	};
	enum tm_parse_res res;
	struct tm_pkt p;

	if (!copy)
		abort();
	memcpy(copy, pkt, len);
	res = mos_tm_parse(&b, len, family, 0, tm_flat_read, &p);
	if (res != TM_PKT_BAD && u->split) {
		struct tm_split sp = { .wait = tu_wait, .arg = u };

		u->verdict = mos_tm_input_split(u->t, &src, res, &p, u->now,
						in_flags, &sp);
		if (sp.pend.flags & TM_PEND_WAITS) {
			struct tu_pend *q;

			if (u->npend == TU_PEND_MAX)
				abort();
			q = &u->pend[u->npend++];
			q->pkt = copy;
			q->len = len;
			q->family = family;
			q->pd = sp.pend;
			return;
		}
	} else if (res != TM_PKT_BAD) {
		u->verdict = mos_tm_input(u->t, &src, res, &p, u->now,
					  in_flags);
	} else {
		tu_printf(u, "BAD\n");
	}
	free(copy);
}

/*
 * The oldest waiting segment goes on to its receiver: with @len bytes of
 * @data written at @off of it first (a rewrite; @len 0: as it came).
 * Returns mos_tm_resume()'s value.
 */
int tu_resume(struct tu *u, const void *data, unsigned int off,
	      unsigned int len)
{
	struct tu_pend q;
	struct tm_flat b;
	struct tm_src src = {
		.read = tm_flat_read,
		.copy = tm_flat_copy,
	};
	struct tm_pkt p;
	int err = -EINVAL;

	if (!u->npend)
		abort();
	q = u->pend[0];
	memmove(u->pend, u->pend + 1, --u->npend * sizeof(*u->pend));
	if (off + len > q.len)
		abort();
	if (len)
		memcpy(q.pkt + off, data, len);
	b = (struct tm_flat){ q.pkt, q.len };
	src.pkt = &b;
	src.len = q.len;
	if (mos_tm_parse(&b, q.len, q.family, 0, tm_flat_read, &p) ==
	    TM_PKT_TCP)
		err = mos_tm_resume(u->t, &q.pd, &src, &p, u->now);
	free(q.pkt);
	return err;
}

/* The oldest waiting segment is dropped: its receiver never gets it */
void tu_forget(struct tu *u)
{
	if (!u->npend)
		abort();
	free(u->pend[0].pkt);
	memmove(u->pend, u->pend + 1, --u->npend * sizeof(*u->pend));
}

void tu_input(struct tu *u, const struct tu_pkt *pk)
{
	unsigned int len = pk->len ? pk->len : pk->data ? strlen(pk->data) : 0;
	unsigned int size = PKT_HDR_MAX + len, n;
	u8 *buf = malloc(size);

	if (!buf)
		abort();
	n = tu_build(buf, size, u, pk);
	tu_input_raw(u, buf, n, pk->family ? pk->family : u->family,
		     pk->in_flags);
	free(buf);
}

const char *tu_log(struct tu *u)
{
	static char *last;

	free(last);
	last = strdup(u->log ? u->log : "");
	if (!last)
		abort();
	u->loglen = 0;
	if (u->log)
		u->log[0] = 0;
	return last;
}

const char *tu_states(struct tu *u)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s %s", mos_tm_state_name(u->state[0]),
		 mos_tm_state_name(u->state[1]));
	return buf;
}

const char *tu_rx(struct tu *u, u64 id, int side)
{
	u8 *b = tu_rxbuf(u, id, side);

	return b ? (const char *)b : "";
}

u64 tu_stat(struct tu *u, unsigned int stat)
{
	u64 s[TM_STAT_MAX];

	mos_tm_stats(u->t, s);
	return s[stat];
}

unsigned int tu_expire(struct tu *u, u64 now, unsigned int budget)
{
	u->now = now;
	return mos_tm_expire(u->t, now, budget);
}

void tu_flush(struct tu *u)
{
	mos_tm_flush(u->t);
}
