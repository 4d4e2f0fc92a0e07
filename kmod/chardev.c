// SPDX-License-Identifier: GPL-2.0
/*
 * chardev.c - the /dev/mos misc device: consumers and their records
 *
 * DOC: Theory of Operation
 *
 * Each open of /dev/mos is one consumer of the namespace it was opened
 * in.  It sets up its ring (%MOS_IOC_RING_SETUP, ring.c), maps it, creates
 * monitor sockets (%MOS_IOC_SOCKET) and subscribes each to events per
 * hook, with the stream bytes it wants per side (%MOS_IOC_SUBSCRIBE).
 * From the ring's setup on, the consumer is on its namespace's list
 * (&mos_net.consumers, RCU), and the tracker's callbacks (netns.c) write
 * to it:
 *
 * - %MOS_REC_FLOW_OPEN and %MOS_REC_FLOW_CLOSE for each flow that is for
 *   it: its split takes the flow and a stream socket's SYN filter (or
 *   the lack of one) accepts the flow's first packet; the flow's
 *   &mos_flow_dev remembers it, per side, by the consumer's slot;
 * - one %MOS_REC_EVENT per socket subscribed to the event at its hook,
 *   with the packet's first bytes, for the sides it follows (orphans:
 *   the sockets whose orphan filter accepts; raw sockets: every packet
 *   their filter accepts); nothing for events nobody subscribed;
 * - %MOS_REC_DATA for the stream bytes of a side some socket wants.
 *
 * %MOS_IOC_FLOW stops a consumer's records about a side of a flow, sets
 * the overlap policy of its streams, or resets or drops the flow (inline
 * mode).
 *
 * Losses (passive mode): a record the ring has no room for is counted,
 * with the flow it belonged to, and a %MOS_REC_LOST record goes before
 * the next record that fits.  Stream offsets in %MOS_REC_DATA tell the
 * consumer exactly which bytes it missed.  Inline mode holds room in the
 * rings first (mos_dev_reserve()) and drops the packet instead.
 *
 * Locking: &mos_consumer.lock (a mutex) serialises the ioctls; mmap()
 * does not take it (it holds the mmap lock, which the ioctls' user copies
 * may take).  The packet path reads the subscriptions with READ_ONCE()
 * and the filters under RCU, and takes only the ring's lock and
 * &mos_consumer.lost_lock, with bottom halves disabled.  A filter
 * replaced is freed after a grace period.  The consumer leaves the list
 * on release, and is freed after an RCU grace period.
 *
 * Security: opening needs CAP_NET_ADMIN over the opener's network
 * namespace, the one the file will monitor; the file keeps a reference on
 * that namespace.  Argument structs carry their size; reserved fields must
 * be zero; unknown flags fail with -EOPNOTSUPP; unknown ioctls with
 * -ENOTTY.
 */

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include "chardev.h"
#include "netns.h"
#include "pkt.h"
#include "ring.h"
#include "rec.h"
/* Times one subscribed event may be raised for one packet, at most */
#define MOS_EV_PER_PKT		4

/**
 * struct mos_msock - a monitor socket of a consumer
 * @type: %MOS_MSOCK_STREAM or %MOS_MSOCK_RAW
 * @events: subscribed events per hook
 * @buf: stream bytes wanted per receiving side
 * @filter: its filters, by %MOS_FILTER_SYN etc.; NULL: all pass
 */
struct mos_msock {
	u8 type;
	u64 events[MOS_HOOKS];
	u32 buf[2];
	struct bpf_prog __rcu *filter[MOS_FILTER_RAW + 1];
};

/**
 * struct mos_consumer - an open /dev/mos
 * @net: its namespace (referenced)
 * @lock: serialises the ioctls
 * @ring: the ring, once set up (release store); then constant until
 *	release
 * @wq: poll() waits here
 * @node: in &mos_net.consumers (RCU), from ring setup to release
 * @slot: its bit in the flows' &mos_flow_dev masks, from ring setup
 * @split_count: &mos_ioc_ring.split_count, or 1
 * @split_index: &mos_ioc_ring.split_index
 * @nsocks: sockets created
 * @nraw: raw sockets among them
 * @nev: (socket, hook, event) subscriptions, for the room a packet needs
 * @socks: the sockets, by id - 1
 * @any: events some socket subscribed to, per hook
 * @buf: largest @mos_msock.buf per side
 * @lost_lock: guards @lost
 * @lost_owed: @lost holds losses to report (read without the lock)
 * @lost: losses not yet reported
 * @rcu: for freeing after the packet path is done with it
 */
struct mos_consumer {
	struct net *net;
	struct mutex lock;	/* ioctls */
	struct mos_ring *ring;
	wait_queue_head_t wq;
	struct list_head node;
	u8 slot;
	u32 split_count;
	u32 split_index;
	u32 nsocks;
	u32 nraw;
	u32 nev;
	struct mos_msock socks[MOS_SOCKS_MAX];
	u64 any[MOS_HOOKS];
	u32 buf[2];
	spinlock_t lost_lock;	/* @lost */
	bool lost_owed;
	struct mos_rec_lost lost;
	struct rcu_head rcu;
};

/**
 * struct mos_hold - this CPU's holds for the packet it is processing
 * @on: inside mos_dev_reserve() .. mos_dev_unhold()
 * @left: what is left of each consumer's hold, by &mos_consumer.slot
 */
struct mos_hold {
	bool on;
	u32 left[MOS_CONSUMERS_MAX];
};

static DEFINE_PER_CPU(struct mos_hold, mos_hold);

/* --- the packet path ----------------------------------------------------- */

static void mos_lost_flow(struct mos_rec_lost *l, u64 flow)
{
	u32 i;

	if (!flow)
		return;
	for (i = 0; i < min_t(u32, l->nflows, MOS_LOST_FLOWS); i++)
		if (l->flows[i] == flow)
			return;
	if (l->nflows < MOS_LOST_FLOWS)
		l->flows[l->nflows++] = flow;
	else
		l->nflows = MOS_LOST_FLOWS + 1;
}

/*
 * Reserve a record, after the LOST record owed, if any, against this
 * CPU's hold on the ring when there is one.  On failure the loss is
 * counted: @type says in which counter, @bytes how many stream bytes went
 * with it.
 */
static void *mos_rec_reserve(struct mos_consumer *c, u32 len, u16 type,
			     u16 sock, u64 flow, u32 bytes)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	u32 *hold = h->on ? &h->left[c->slot] : NULL;
	struct mos_rec_lost *l = &c->lost;
	void *body = NULL;

	/* No loss owed (the usual case): no lock but the ring's */
	if (!READ_ONCE(c->lost_owed)) {
		body = mos_ring_reserve(c->ring, len, type, sock, hold);
		if (body)
			return body;
	}
	spin_lock(&c->lost_lock);
	if (c->lost_owed) {
		struct mos_rec_lost *r;

		r = mos_ring_reserve(c->ring, sizeof(*r), MOS_REC_LOST, 0,
				     hold);
		if (!r)
			goto lost;
		*r = *l;
		mos_ring_commit(c->ring, r, false);
		memset(l, 0, sizeof(*l));
		WRITE_ONCE(c->lost_owed, false);
	}
	body = mos_ring_reserve(c->ring, len, type, sock, hold);
	if (body)
		goto out;
lost:
	if (type == MOS_REC_EVENT) {
		l->events++;
	} else if (type == MOS_REC_DATA) {
		l->data++;
		l->bytes += bytes;
	} else {
		l->other++;
	}
	mos_lost_flow(l, flow);
	WRITE_ONCE(c->lost_owed, true);
	mos_stat_inc(mos_pernet(c->net), MOS_STAT_RING_LOST);
out:
	spin_unlock(&c->lost_lock);
	return body;
}

/* Run a socket's filter on a packet: true if it has none or it accepts */
static bool mos_filter_pass(struct mos_msock *m, unsigned int which,
			    const struct tm_src *src)
{
	struct bpf_prog *prog = rcu_dereference(m->filter[which]);

	if (!prog)
		return true;
	if (!src)
		return false;
	return mos_pkt_filter(src, prog);
}

/* Does consumer @c get records about @side of flow @f? */
static bool mos_flow_wants(const struct mos_consumer *c,
			   const struct tm_flow *f, int side)
{
	const struct mos_flow_dev *d = mos_tm_flow_priv((struct tm_flow *)f);

	return READ_ONCE(d->want[side]) & BIT_ULL(c->slot);
}

static void mos_rec_flow(struct mos_consumer *c, const struct tm_flow *f,
			 bool end, u64 socks)
{
	struct mos_rec_flow *r;

	r = mos_rec_reserve(c, sizeof(*r),
			    end ? MOS_REC_FLOW_CLOSE : MOS_REC_FLOW_OPEN, 0,
			    f->id, 0);
	if (!r)
		return;
	mos_rec_flow_fill(r, f);
	r->socks = socks;
	mos_ring_commit(c->ring, r, false);
}

/* The stream sockets of @c a new flow is for: SYN filters, hash split */
static u64 mos_flow_socks(struct mos_consumer *c, const struct tm_flow *f,
			  const struct tm_src *src)
{
	unsigned int i, n = min_t(u32, READ_ONCE(c->nsocks), MOS_SOCKS_MAX);
	u64 socks = 0;

	if (c->split_count > 1 && f->hash % c->split_count != c->split_index)
		return 0;
	for (i = 0; i < n; i++)
		if (READ_ONCE(c->socks[i].type) == MOS_MSOCK_STREAM &&
		    mos_filter_pass(&c->socks[i], MOS_FILTER_SYN, src))
			socks |= BIT_ULL(i);
	return socks;
}

/**
 * mos_dev_flow() - tell the namespace's consumers a flow starts or ends
 * @mn: the namespace's state
 * @f: the flow, locked
 * @src: the packet that creates it; NULL: it ends
 *
 * A new flow is for the consumers whose split takes it and some of whose
 * stream sockets' SYN filters accept @src: they get %MOS_REC_FLOW_OPEN,
 * and the flow's &mos_flow_dev says so.  At the end, those that still
 * monitor a side of it get %MOS_REC_FLOW_CLOSE.
 *
 * Context: bottom halves disabled, flow locked.
 */
void mos_dev_flow(struct mos_net *mn, struct tm_flow *f,
		  const struct tm_src *src)
{
	struct mos_flow_dev *d = mos_tm_flow_priv(f);
	struct mos_consumer *c;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node) {
		u64 bit = BIT_ULL(c->slot), socks;

		if (!src) {
			if (d->opened & bit)
				mos_rec_flow(c, f, true, 0);
			continue;
		}
		socks = mos_flow_socks(c, f, src);
		if (!socks)
			continue;
		WRITE_ONCE(d->want[TM_CLI], d->want[TM_CLI] | bit);
		WRITE_ONCE(d->want[TM_SVR], d->want[TM_SVR] | bit);
		d->opened |= bit;
		mos_rec_flow(c, f, false, socks);
	}
	rcu_read_unlock();
}

static void mos_rec_event(struct mos_consumer *c, unsigned int sock,
			  const struct tm_flow *f, const struct tm_ev *ev,
			  const struct tm_src *src, const struct tm_pkt *p,
			  u64 now)
{
	struct mos_rec_event *r;

	r = mos_rec_reserve(c, sizeof(*r) + mos_rec_pkt_len(src),
			    MOS_REC_EVENT, sock, f ? f->id : 0, 0);
	if (!r)
		return;
	mos_rec_event_fill(r, f, ev, src, p, now);
	mos_ring_commit(c->ring, r, false);
}

/**
 * mos_dev_event() - write an event to the sockets subscribed to it
 * @mn: the namespace's state
 * @f: the flow, locked, or NULL
 * @ev: the event
 * @src: the packet, or NULL
 * @p: its headers, or NULL
 *
 * A flow's events go to the consumers that monitor the side the event is
 * about; an orphan to the sockets whose orphan filter accepts it (with a
 * split, to the consumer of index 0 only).
 *
 * Context: bottom halves disabled.
 */
void mos_dev_event(struct mos_net *mn, const struct tm_flow *f,
		   const struct tm_ev *ev, const struct tm_src *src,
		   const struct tm_pkt *p)
{
	u64 bit = BIT_ULL(ev->type), now = 0;
	bool orphan = ev->type == TM_EV_ORPHAN;
	struct mos_consumer *c;
	unsigned int i, n;

	if (ev->hook >= MOS_HOOKS)
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node) {
		if (!(READ_ONCE(c->any[ev->hook]) & bit))
			continue;
		if (f && !mos_flow_wants(c, f, ev->side))
			continue;
		if (orphan && c->split_count > 1 && c->split_index)
			continue;
		if (!now)
			now = ktime_get_ns();
		n = min_t(u32, READ_ONCE(c->nsocks), MOS_SOCKS_MAX);
		for (i = 0; i < n; i++) {
			struct mos_msock *m = &c->socks[i];

			if (!(READ_ONCE(m->events[ev->hook]) & bit))
				continue;
			if (orphan && !mos_filter_pass(m, MOS_FILTER_ORPHAN,
						       src))
				continue;
			mos_rec_event(c, i + 1, f, ev, src, p, now);
		}
	}
	rcu_read_unlock();
}

/**
 * mos_dev_raw() - write a packet to the raw sockets whose filter takes it
 * @mn: the namespace's state
 * @src: the packet
 *
 * Each gets a PKT_IN event record at hook %MOS_HOOK_NULL, flow 0.
 *
 * Context: bottom halves disabled.
 */
void mos_dev_raw(struct mos_net *mn, const struct tm_src *src)
{
	const struct tm_ev ev = { .type = TM_EV_PKT_IN, .hook = MOS_HOOK_NULL };
	struct mos_consumer *c;
	unsigned int i, n;
	u64 now = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node) {
		if (!READ_ONCE(c->nraw))
			continue;
		n = min_t(u32, READ_ONCE(c->nsocks), MOS_SOCKS_MAX);
		for (i = 0; i < n; i++) {
			struct mos_msock *m = &c->socks[i];

			if (READ_ONCE(m->type) != MOS_MSOCK_RAW ||
			    !(READ_ONCE(m->events[MOS_HOOK_NULL]) &
			      BIT_ULL(TM_EV_PKT_IN)) ||
			    !mos_filter_pass(m, MOS_FILTER_RAW, src))
				continue;
			if (!now)
				now = ktime_get_ns();
			mos_rec_event(c, i + 1, NULL, &ev, src, NULL, now);
		}
	}
	rcu_read_unlock();
}

/**
 * mos_dev_data() - write stream bytes to the consumers that want them
 * @mn: the namespace's state
 * @f: the flow, locked
 * @side: the side that receives them
 * @off: stream offset of the first
 * @copy: how to copy them
 * @src: from where
 * @off_in_src: at which offset
 * @len: how many
 *
 * Context: bottom halves disabled.
 */
void mos_dev_data(struct mos_net *mn, const struct tm_flow *f, int side,
		  u64 off, tm_copy_t copy, const void *src,
		  unsigned int off_in_src, unsigned int len)
{
	struct mos_consumer *c;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node) {
		unsigned int done = 0;

		if (!READ_ONCE(c->buf[side]) || !mos_flow_wants(c, f, side))
			continue;
		while (done < len) {
			u32 n = min_t(u32, len - done, MOS_DATA_CHUNK);
			struct mos_rec_data *r;

			r = mos_rec_reserve(c, sizeof(*r) + n, MOS_REC_DATA, 0,
					    f->id, n);
			if (r) {
				memset(r, 0, sizeof(*r));
				r->flow = f->id;
				r->off = off + done;
				r->side = side;
				r->len = n;
				mos_ring_commit(c->ring, r,
						copy(src, off_in_src + done,
						     r + 1, n) != 0);
			}
			done += n;
		}
	}
	rcu_read_unlock();
}

#define MOS_REC_ROOM(body)	ALIGN(sizeof(struct mos_rec) + (body), \
				      MOS_REC_ALIGN)

/*
 * The most a packet can make the tracker write to @c: every subscribed
 * event a few times over with the packet's first bytes, flow records, a
 * LOST record, and the stream bytes it can release (its payload and what
 * waits out of order behind it) in chunks.
 */
static u64 mos_dev_bound(struct mos_consumer *c, const struct tm_flow *f,
			 int side, const struct tm_src *src,
			 const struct tm_pkt *p)
{
	u32 plen = min_t(u32, src->len, MOS_PKT_COPY_MAX);
	u32 payload = p->l4len > p->doff ? p->l4len - p->doff : 0;
	u64 need, bytes = 0;
	int s;

	need = (u64)MOS_EV_PER_PKT * READ_ONCE(c->nev) *
	       MOS_REC_ROOM(sizeof(struct mos_rec_event) + plen);
	need += 4 * MOS_REC_ROOM(sizeof(struct mos_rec_flow)) +
		MOS_REC_ROOM(sizeof(struct mos_rec_lost));
	for (s = 0; s < 2; s++) {
		/* A new flow's receiving side is not known yet */
		if (f && s == side)
			continue;
		if (!READ_ONCE(c->buf[s]))
			continue;
		bytes = max_t(u64, bytes, payload +
			      (f ? f->half[s].ooo_bytes : 0));
	}
	need += bytes + DIV_ROUND_UP(bytes, MOS_DATA_CHUNK) *
			MOS_REC_ROOM(sizeof(struct mos_rec_data));
	return need;
}

/**
 * mos_dev_unhold() - give back what this CPU's packet did not use
 * @mn: the namespace's state
 *
 * Context: bottom halves disabled, after mos_tm_input().
 */
void mos_dev_unhold(struct mos_net *mn)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	struct mos_consumer *c;

	if (!h->on)
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node)
		if (h->left[c->slot])
			mos_ring_unhold(c->ring, h->left[c->slot]);
	rcu_read_unlock();
	memset(h->left, 0, sizeof(h->left));
	h->on = false;
}

/**
 * mos_dev_reserve() - room in every ring a packet's records may go to
 * @mn: the namespace's state
 * @f: the packet's flow, locked, or NULL
 * @side: the sender's side in @f
 * @src: the packet
 * @p: its headers
 *
 * Inline mode only: a packet that might not fit is dropped before it
 * changes anything, and its sender sends it again later, so no record of
 * it is lost.  A packet whose records could never fit in a ring (the ring
 * is too small for it) is not held back: what does not fit is counted as
 * lost.  mos_dev_unhold() gives back the rest after the packet.
 *
 * Context: bottom halves disabled.
 * Return: false if the packet must be dropped (counted in
 * %MOS_STAT_RING_FULL).
 */
bool mos_dev_reserve(struct mos_net *mn, struct tm_flow *f, int side,
		     const struct tm_src *src, const struct tm_pkt *p)
{
	struct mos_hold *h = this_cpu_ptr(&mos_hold);
	struct mos_consumer *c;
	bool ok = true;

	if (READ_ONCE(mn->mode) != MOS_MODE_INLINE)
		return true;
	h->on = true;
	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node) {
		u64 need;

		if (!READ_ONCE(c->nsocks))
			continue;
		if (f && !mos_flow_wants(c, f, TM_CLI) &&
		    !mos_flow_wants(c, f, TM_SVR))
			continue;
		need = mos_dev_bound(c, f, side, src, p);
		if (need > mos_ring_size(c->ring))
			continue;
		if (!mos_ring_hold(c->ring, need)) {
			ok = false;
			break;
		}
		h->left[c->slot] = need;
	}
	rcu_read_unlock();
	if (!ok) {
		mos_dev_unhold(mn);
		mos_stat_inc(mn, MOS_STAT_RING_FULL);
	}
	return ok;
}

/* --- the file ------------------------------------------------------------ */

static int mos_dev_open(struct inode *inode, struct file *file)
{
	struct net *net = current->nsproxy->net_ns;
	struct mos_consumer *c;

	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	c->net = get_net(net);
	mutex_init(&c->lock);
	init_waitqueue_head(&c->wq);
	INIT_LIST_HEAD(&c->node);
	spin_lock_init(&c->lost_lock);
	file->private_data = c;
	return 0;
}

static void mos_consumer_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct mos_consumer, rcu));
}

/* Flows a walk of mos_dev_forget_slot() visits between reschedules */
#define MOS_FORGET_BATCH	1024

/**
 * struct mos_forget_arg - what mos_flow_forget() clears
 * @bit: the slot's bit
 * @left: flows to visit before the walk stops to reschedule
 */
struct mos_forget_arg {
	u64 bit;
	u32 left;
};

static int mos_flow_forget(struct tm_flow *f, void *arg)
{
	struct mos_flow_dev *d = mos_tm_flow_priv(f);
	struct mos_forget_arg *a = arg;

	if (!a->left)
		return 1;	/* resumes at this flow */
	a->left--;
	WRITE_ONCE(d->want[TM_CLI], d->want[TM_CLI] & ~a->bit);
	WRITE_ONCE(d->want[TM_SVR], d->want[TM_SVR] & ~a->bit);
	d->opened &= ~a->bit;
	return 0;
}

/*
 * Clear a consumer slot's bit from every flow of the namespace.
 * Context: process, &mos_net.lock held (the table stays).
 */
static void mos_dev_forget_slot(struct mos_net *mn, unsigned int slot)
{
	struct mos_forget_arg a = { .bit = BIT_ULL(slot) };
	struct tm_table *t;
	u32 bucket = 0, skip = 0;

	t = rcu_dereference_protected(mn->tm, lockdep_is_held(&mn->lock));
	if (!t)
		return;
	do {
		a.left = MOS_FORGET_BATCH;
		cond_resched();
	} while (mos_tm_walk(t, &bucket, &skip, mos_flow_forget, &a));
}

static int mos_dev_release(struct inode *inode, struct file *file)
{
	struct mos_consumer *c = file->private_data;
	struct mos_net *mn = mos_pernet(c->net);
	unsigned int i, j;

	if (c->ring) {
		mutex_lock(&mn->lock);
		list_del_rcu(&c->node);
		atomic_sub(c->nraw, &mn->nraw);
		mutex_unlock(&mn->lock);
		/* The packet path may still write to the ring. */
		synchronize_rcu();
		mos_ring_free(c->ring);
		/*
		 * No packet path sets the slot's bit in a flow now: clear it
		 * from the flows that have it, then free the slot, so that the
		 * next consumer in it gets only the flows opened for it.
		 */
		mutex_lock(&mn->lock);
		mos_dev_forget_slot(mn, c->slot);
		mn->cons_slots &= ~BIT_ULL(c->slot);
		mutex_unlock(&mn->lock);
	}
	/* No packet path runs the filters once the consumer is off the list */
	for (i = 0; i < c->nsocks; i++) {
		for (j = 0; j <= MOS_FILTER_RAW; j++) {
			struct bpf_prog *prog;

			prog = rcu_dereference_protected(c->socks[i].filter[j],
							 true);
			if (prog)
				bpf_prog_destroy(prog);
		}
	}
	put_net(c->net);
	call_rcu(&c->rcu, mos_consumer_free_rcu);
	return 0;
}

/* Copy an argument struct in: its size field first, reserved bytes zero */
static int mos_arg_in(void *arg, size_t size, const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < size)
		return -EINVAL;
	/* A newer, larger struct: what this module does not know must be 0 */
	if (usize > size) {
		int ret = check_zeroed_user(uarg + size, usize - size);

		if (ret <= 0)
			return ret ? ret : -E2BIG;
	}
	if (copy_from_user(arg, uarg, size))
		return -EFAULT;
	return 0;
}

static int mos_ioc_ring_setup(struct mos_consumer *c, void __user *uarg)
{
	struct mos_net *mn = mos_pernet(c->net);
	struct mos_ioc_ring a;
	struct mos_ring *rb;
	unsigned int i, slot;
	int err;

	err = mos_arg_in(&a, sizeof(a), uarg);
	if (err)
		return err;
	if (a.flags)
		return -EOPNOTSUPP;
	if (a.reserved || a.split_count > MOS_SPLIT_MAX ||
	    (a.split_count > 1 && a.split_index >= a.split_count) ||
	    (a.split_count <= 1 && a.split_index))
		return -EINVAL;
	if (c->ring)
		return -EBUSY;
	rb = mos_ring_new(a.data_size, &c->wq);
	if (IS_ERR(rb))
		return PTR_ERR(rb);
	c->split_count = max(a.split_count, 1U);
	c->split_index = a.split_index;
	mutex_lock(&mn->lock);
	/* The next free slot after the last one given */
	for (i = 0; i < MOS_CONSUMERS_MAX; i++) {
		slot = (mn->cons_next + i) % MOS_CONSUMERS_MAX;
		if (!(mn->cons_slots & BIT_ULL(slot)))
			break;
	}
	if (i == MOS_CONSUMERS_MAX) {
		mutex_unlock(&mn->lock);
		mos_ring_free(rb);
		return -EUSERS;
	}
	mn->cons_slots |= BIT_ULL(slot);
	mn->cons_next = slot + 1;
	c->slot = slot;
	/* Set up before mmap() and poll() may see it */
	smp_store_release(&c->ring, rb);
	list_add_tail_rcu(&c->node, &mn->consumers);
	mutex_unlock(&mn->lock);
	return 0;
}

static int mos_ioc_socket(struct mos_consumer *c, void __user *uarg)
{
	struct mos_ioc_socket a;
	int err;

	err = mos_arg_in(&a, sizeof(a), uarg);
	if (!err)
		err = mos_ioc_socket_check(&a, c->nsocks, true);
	if (err)
		return err;
	c->socks[c->nsocks].type = a.type;
	if (a.type == MOS_MSOCK_RAW) {
		WRITE_ONCE(c->nraw, c->nraw + 1);
		atomic_inc(&mos_pernet(c->net)->nraw);
	}
	a.id = c->nsocks + 1;
	/* The slot is ready before the packet path may look at it. */
	smp_store_release(&c->nsocks, c->nsocks + 1);
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

static int mos_ioc_subscribe(struct mos_consumer *c, void __user *uarg)
{
	struct mos_ioc_subscribe a;
	struct mos_msock *m;
	unsigned int i, h;
	u32 buf, nev = 0;
	u64 any;
	int err;

	err = mos_arg_in(&a, sizeof(a), uarg);
	if (!err)
		err = mos_ioc_subscribe_check(&a, c->nsocks,
					      a.sock && a.sock <= c->nsocks ?
					      c->socks[a.sock - 1].type : 0);
	if (err)
		return err;
	m = &c->socks[a.sock - 1];
	WRITE_ONCE(m->events[a.hook], a.events);
	m->buf[0] = a.buf[0];
	m->buf[1] = a.buf[1];
	for (h = 0; h < MOS_HOOKS; h++) {
		for (any = 0, i = 0; i < c->nsocks; i++) {
			any |= c->socks[i].events[h];
			nev += hweight64(c->socks[i].events[h]);
		}
		WRITE_ONCE(c->any[h], any);
	}
	WRITE_ONCE(c->nev, nev);
	for (h = 0; h < 2; h++) {
		for (buf = 0, i = 0; i < c->nsocks; i++)
			buf = max(buf, c->socks[i].buf[h]);
		WRITE_ONCE(c->buf[h], buf);
	}
	return 0;
}

static int mos_ioc_filter(struct mos_consumer *c, void __user *uarg)
{
	struct bpf_prog *prog = NULL, *old;
	struct sock_fprog_kern fprog;
	struct mos_ioc_filter a;
	struct mos_msock *m;
	int err;

	err = mos_arg_in(&a, sizeof(a), uarg);
	if (err)
		return err;
	err = mos_ioc_filter_check(&a, c->nsocks,
				   a.sock && a.sock <= c->nsocks ?
				   c->socks[a.sock - 1].type : 0);
	if (err)
		return err;
	m = &c->socks[a.sock - 1];
	if (a.len) {
		fprog.len = a.len;
		fprog.filter = memdup_user(u64_to_user_ptr(a.insns),
					   array_size(a.len,
						      sizeof(*fprog.filter)));
		if (IS_ERR(fprog.filter))
			return PTR_ERR(fprog.filter);
		/* Checks the program: -EINVAL if it is not valid classic BPF */
		err = bpf_prog_create(&prog, &fprog);
		kfree(fprog.filter);
		if (err)
			return err;
	}
	old = rcu_replace_pointer(m->filter[a.which], prog,
				  lockdep_is_held(&c->lock));
	if (old) {
		/* The packet path may still run it. */
		synchronize_rcu();
		bpf_prog_destroy(old);
	}
	return 0;
}

/**
 * struct mos_stop_arg - what mos_flow_stop() stops
 * @bit: the consumer's bit
 * @sides: %MOS_SIDE_BIT_CLI, %MOS_SIDE_BIT_SVR
 */
struct mos_stop_arg {
	u64 bit;
	u32 sides;
};

static int mos_flow_stop(struct tm_flow *f, void *arg)
{
	struct mos_flow_dev *d = mos_tm_flow_priv(f);
	struct mos_stop_arg *a = arg;

	if (f->flags & TM_FF_QUIET || !(d->opened & a->bit))
		return -ENOENT;
	if (a->sides & MOS_SIDE_BIT_CLI)
		WRITE_ONCE(d->want[TM_CLI], d->want[TM_CLI] & ~a->bit);
	if (a->sides & MOS_SIDE_BIT_SVR)
		WRITE_ONCE(d->want[TM_SVR], d->want[TM_SVR] & ~a->bit);
	/* Monitoring neither side: not even the close is for it now */
	if (!((d->want[TM_CLI] | d->want[TM_SVR]) & a->bit))
		d->opened &= ~a->bit;
	return 0;
}

static int mos_ioc_flow(struct mos_consumer *c, void __user *uarg)
{
	struct mos_net *mn = mos_pernet(c->net);
	struct mos_stop_arg stop;
	struct mos_ioc_flow a;
	struct tm_table *t;
	struct tm_key k;
	int err;

	err = mos_arg_in(&a, sizeof(a), uarg);
	if (!err)
		err = mos_ioc_flow_check(&a, &k);
	if (err)
		return err;

	switch (a.op) {
	case MOS_FLOW_STOP:
		stop.bit = BIT_ULL(c->slot);
		stop.sides = a.sides;
		rcu_read_lock();
		t = rcu_dereference(mn->tm);
		err = t ? mos_tm_find(t, &k, a.flow.flow, mos_flow_stop, &stop) :
			  -ENOENT;
		rcu_read_unlock();
		return err;
	case MOS_FLOW_RESET:
	case MOS_FLOW_DROP:
		if (READ_ONCE(mn->mode) != MOS_MODE_INLINE)
			return -EOPNOTSUPP;
		if (a.op == MOS_FLOW_RESET)
			return mos_net_flow_reset(c->net, a.flow.flow, &k, NULL);
		rcu_read_lock();
		t = rcu_dereference(mn->tm);
		err = t ? mos_tm_drop(t, a.flow.flow, &k,
				      ktime_get_coarse_ns()) : -ENOENT;
		rcu_read_unlock();
		return err;
	default:	/* MOS_FLOW_OVERLAP */
		/* The side bits are the tracker's: bit TM_CLI, bit TM_SVR */
		BUILD_BUG_ON(BIT(TM_CLI) != MOS_SIDE_BIT_CLI ||
			     BIT(TM_SVR) != MOS_SIDE_BIT_SVR);
		BUILD_BUG_ON((int)MOS_OVERLAP_LAST != (int)TM_OVERLAP_LAST);
		rcu_read_lock();
		t = rcu_dereference(mn->tm);
		err = t ? mos_tm_overlap(t, a.flow.flow, &k, a.sides, a.arg) :
			  -ENOENT;
		rcu_read_unlock();
		return err;
	}
}

static long mos_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct mos_consumer *c = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case MOS_IOC_VERSION: {
		struct mos_ioc_version v = {
			.abi_major = MOS_ABI_MAJOR,
			.abi_minor = MOS_ABI_MINOR,
			.genl_version = MOS_GENL_VERSION,
		};

		return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
	}
	case MOS_IOC_RING_SETUP:
	case MOS_IOC_SOCKET:
	case MOS_IOC_SUBSCRIBE:
	case MOS_IOC_FILTER:
	case MOS_IOC_FLOW:
		break;
	default:
		return -ENOTTY;
	}

	mutex_lock(&c->lock);
	if (cmd == MOS_IOC_RING_SETUP)
		ret = mos_ioc_ring_setup(c, uarg);
	else if (!c->ring)
		ret = -ENXIO;	/* set up the ring first */
	else if (cmd == MOS_IOC_SOCKET)
		ret = mos_ioc_socket(c, uarg);
	else if (cmd == MOS_IOC_SUBSCRIBE)
		ret = mos_ioc_subscribe(c, uarg);
	else if (cmd == MOS_IOC_FILTER)
		ret = mos_ioc_filter(c, uarg);
	else
		ret = mos_ioc_flow(c, uarg);
	mutex_unlock(&c->lock);
	return ret;
}

static int mos_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mos_consumer *c = file->private_data;
	/*
	 * Not under &mos_consumer.lock: mmap() holds the mmap lock, which
	 * the ioctls may take (faults in copy_from_user()) while they hold
	 * theirs.  The ring, once set, stays until release.
	 */
	struct mos_ring *rb = smp_load_acquire(&c->ring);

	return rb ? mos_ring_mmap(rb, vma) : -ENXIO;
}

static __poll_t mos_dev_poll(struct file *file, poll_table *wait)
{
	struct mos_consumer *c = file->private_data;
	struct mos_ring *rb = READ_ONCE(c->ring);

	poll_wait(file, &c->wq, wait);
	return rb && mos_ring_readable(rb) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations mos_dev_fops = {
	.owner = THIS_MODULE,
	.open = mos_dev_open,
	.release = mos_dev_release,
	.unlocked_ioctl = mos_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = mos_dev_mmap,
	.poll = mos_dev_poll,
	.llseek = noop_llseek,
};

static struct miscdevice mos_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = MOS_DEV_NAME,
	.fops = &mos_dev_fops,
	.mode = 0600,
};

/**
 * mos_dev_init() - register /dev/mos
 *
 * Context: module load.
 * Return: 0 or negative errno.
 */
int __init mos_dev_init(void)
{
	return misc_register(&mos_miscdev);
}

/**
 * mos_dev_exit() - unregister /dev/mos
 *
 * Open files pin the module (fops owner), so none is left at unload.
 *
 * Context: module unload.
 */
void mos_dev_exit(void)
{
	misc_deregister(&mos_miscdev);
}
