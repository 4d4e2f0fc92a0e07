// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * timer.c - mtcp_settimer(): one-shot timers per context, in a list by
 * expiry, run by the loop (context.c) on the context's clock; and in the
 * same list the library's sweep timer (no callback), which ends flows
 * (dispatch.c: tcp_tw_interval, tcp_timeout)
 */

#include <errno.h>
#include <stdlib.h>
#include "internal.h"

/* Put @t in the list: after the timers that expire at the same time, so
 * that they fire in the order they were set */
static void timer_insert(struct mtcp_ctx *c, struct mtcp_timer *t)
{
	struct mtcp_timer **pp;

	for (pp = &c->timers; *pp && (*pp)->expires_ns <= t->expires_ns;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	c->ntimers++;
}

static int settimer(struct mtcp_ctx *c, int id, struct timeval *timeout,
		    callback_t cb)
{
	struct mtcp_timer *t;

	if (c->ntimers == MTCP_TIMERS_MAX)
		return fail(ENOSPC);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	t->expires_ns = mu_ctx_now(c) + (uint64_t)timeout->tv_sec * 1000000000ULL +
			(uint64_t)timeout->tv_usec * 1000;
	t->id = id;
	t->cb = cb;
	timer_insert(c, t);
	return 0;
}

/*
 * The sweep timer at @when at the latest: moved there if it was later,
 * left if it was sooner (the sweep sets it again)
 */
void mu_sweep_at(struct mtcp_ctx *c, uint64_t when)
{
	struct mtcp_timer **pp, *t;

	if (c->sweep_ns && c->sweep_ns <= when)
		return;
	for (pp = &c->timers; (t = *pp); pp = &t->next) {
		if (t->cb)
			continue;
		if (t->expires_ns <= when)
			return;
		*pp = t->next;
		c->ntimers--;
		break;
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return;	/* the next record tries again */
	}
	t->expires_ns = when;
	c->sweep_ns = when;
	timer_insert(c, t);
}

/*
 * Under the context's lock: its thread may be running.  The thread is
 * woken to wait again until the soonest timer.
 */
int mtcp_settimer(mctx_t mctx, int id, struct timeval *timeout,
		  callback_t cb)
{
	struct mtcp_ctx *c = ctx_of(mctx);
	int ret;

	if (!c || !timeout || !cb || timeout->tv_sec < 0 ||
	    timeout->tv_usec < 0 || timeout->tv_usec >= 1000000)
		return fail(EINVAL);
	mu_ctx_lock(c);
	ret = settimer(c, id, timeout, cb);
	mu_ctx_unlock(c);
	if (!ret)
		mu_ctx_wake(c);
	return ret;
}

/*
 * Run the timers due by @now: each callback gets the timer's id as sock,
 * side MOS_SIDE_CLI and event MOS_ON_TIMEOUT, as mOS's; a callback may set
 * new timers (they run on a later pass if already due).
 */
void mu_run_timers(struct mtcp_ctx *c, uint64_t now)
{
	struct mtcp_timer *due = NULL, **tail = &due, *t;

	while (c->timers && c->timers->expires_ns <= now) {
		t = c->timers;
		c->timers = t->next;
		c->ntimers--;
		if (!t->cb)
			c->sweep_ns = 0;
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
	while (due) {
		t = due;
		due = t->next;
		if (!c->stop && t->cb)
			t->cb(&c->pub, t->id, MOS_SIDE_CLI, MOS_ON_TIMEOUT, NULL);
		else if (!c->stop)
			mu_flows_sweep(c, now);
		free(t);
	}
}

/* Milliseconds poll() may wait: until the next timer, at most @max */
int mu_timer_wait_ms(struct mtcp_ctx *c, int max)
{
	uint64_t now, left;

	if (!c->timers)
		return max;
	now = mu_ctx_now(c);
	if (c->timers->expires_ns <= now)
		return 0;
	left = (c->timers->expires_ns - now + 999999) / 1000000;
	return left < (uint64_t)max ? (int)left : max;
}
