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
 * - %MOS_REC_FLOW_OPEN and %MOS_REC_FLOW_CLOSE for each monitored flow,
 *   when it has a stream socket;
 * - one %MOS_REC_EVENT per socket subscribed to the event at its hook,
 *   with the packet's first bytes; nothing for events nobody subscribed;
 * - %MOS_REC_DATA for the stream bytes of a side some socket wants.
 *
 * Losses (passive mode): a record the ring has no room for is counted,
 * with the flow it belonged to, and a %MOS_REC_LOST record goes before
 * the next record that fits.  Stream offsets in %MOS_REC_DATA tell the
 * consumer exactly which bytes it missed.
 *
 * Locking: &mos_consumer.lock (a mutex) serialises the ioctls; the packet
 * path reads the subscriptions with READ_ONCE() and takes only the
 * ring's lock and &mos_consumer.lost_lock, with bottom halves disabled.
 * The consumer leaves the list on release, and is freed after an RCU
 * grace period.
 *
 * Security: opening needs CAP_NET_ADMIN over the opener's network
 * namespace, the one the file will monitor; the file keeps a reference on
 * that namespace.  Argument structs carry their size; reserved fields must
 * be zero; unknown flags fail with -EOPNOTSUPP; unknown ioctls with
 * -ENOTTY.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include "mos.h"
#include "rec.h"

/**
 * struct mos_msock - a monitor socket of a consumer
 * @type: %MOS_MSOCK_STREAM, or 0 for a free slot
 * @events: subscribed events per hook
 * @buf: stream bytes wanted per receiving side
 */
struct mos_msock {
	u8 type;
	u64 events[MOS_HOOKS];
	u32 buf[2];
};

/**
 * struct mos_consumer - an open /dev/mos
 * @net: its namespace (referenced)
 * @lock: serialises the ioctls and mmap
 * @ring: the ring, once set up; then constant until release
 * @wq: poll() waits here
 * @node: in &mos_net.consumers (RCU), from ring setup to release
 * @nsocks: sockets created
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
	struct mutex lock;	/* ioctls, mmap */
	struct mos_ring *ring;
	wait_queue_head_t wq;
	struct list_head node;
	u32 nsocks;
	struct mos_msock socks[MOS_SOCKS_MAX];
	u64 any[MOS_HOOKS];
	u32 buf[2];
	spinlock_t lost_lock;	/* @lost */
	bool lost_owed;
	struct mos_rec_lost lost;
	struct rcu_head rcu;
};

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
 * Reserve a record, after the LOST record owed, if any.  On failure the
 * loss is counted: @type says in which counter, @bytes how many stream
 * bytes went with it.
 */
static void *mos_rec_reserve(struct mos_consumer *c, u32 len, u16 type,
			     u16 sock, u64 flow, u32 bytes)
{
	struct mos_rec_lost *l = &c->lost;
	void *body = NULL;

	/* No loss owed (the usual case): no lock but the ring's */
	if (!READ_ONCE(c->lost_owed)) {
		body = mos_ring_reserve(c->ring, len, type, sock);
		if (body)
			return body;
	}
	spin_lock(&c->lost_lock);
	if (c->lost_owed) {
		struct mos_rec_lost *r;

		r = mos_ring_reserve(c->ring, sizeof(*r), MOS_REC_LOST, 0);
		if (!r)
			goto lost;
		*r = *l;
		mos_ring_commit(c->ring, r, false);
		memset(l, 0, sizeof(*l));
		WRITE_ONCE(c->lost_owed, false);
	}
	body = mos_ring_reserve(c->ring, len, type, sock);
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
out:
	spin_unlock(&c->lost_lock);
	return body;
}

static void mos_rec_flow(struct mos_consumer *c, const struct tm_flow *f,
			 bool end)
{
	struct mos_rec_flow *r;

	r = mos_rec_reserve(c, sizeof(*r),
			    end ? MOS_REC_FLOW_CLOSE : MOS_REC_FLOW_OPEN, 0,
			    f->id, 0);
	if (!r)
		return;
	mos_rec_flow_fill(r, f);
	mos_ring_commit(c->ring, r, false);
}

/**
 * mos_dev_flow() - tell the namespace's consumers a flow starts or ends
 * @mn: the namespace's state
 * @f: the flow, locked
 * @end: it ends
 *
 * Context: bottom halves disabled, flow locked.
 */
void mos_dev_flow(struct mos_net *mn, const struct tm_flow *f, bool end)
{
	struct mos_consumer *c;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node)
		if (READ_ONCE(c->nsocks))
			mos_rec_flow(c, f, end);
	rcu_read_unlock();
}

static void mos_rec_event(struct mos_consumer *c, unsigned int sock,
			  const struct tm_flow *f, const struct tm_ev *ev,
			  const struct tm_src *src, const struct tm_pkt *p,
			  u64 now)
{
	struct mos_rec_event *r;

	r = mos_rec_reserve(c, sizeof(*r) + mos_rec_pkt_len(src, p),
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
 * Context: bottom halves disabled.
 */
void mos_dev_event(struct mos_net *mn, const struct tm_flow *f,
		   const struct tm_ev *ev, const struct tm_src *src,
		   const struct tm_pkt *p)
{
	u64 bit = 1ULL << ev->type, now = 0;
	struct mos_consumer *c;
	unsigned int i, n;

	if (ev->hook >= MOS_HOOKS)
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(c, &mn->consumers, node) {
		if (!(READ_ONCE(c->any[ev->hook]) & bit))
			continue;
		if (!now)
			now = ktime_get_ns();
		n = min_t(u32, READ_ONCE(c->nsocks), MOS_SOCKS_MAX);
		for (i = 0; i < n; i++)
			if (READ_ONCE(c->socks[i].events[ev->hook]) & bit)
				mos_rec_event(c, i + 1, f, ev, src, p, now);
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

		if (!READ_ONCE(c->buf[side]))
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

static int mos_dev_release(struct inode *inode, struct file *file)
{
	struct mos_consumer *c = file->private_data;
	struct mos_net *mn = mos_pernet(c->net);

	if (c->ring) {
		mutex_lock(&mn->lock);
		list_del_rcu(&c->node);
		mutex_unlock(&mn->lock);
		/* The packet path may still write to the ring. */
		synchronize_rcu();
		mos_ring_free(c->ring);
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
	int err;

	err = mos_arg_in(&a, sizeof(a), uarg);
	if (err)
		return err;
	if (a.flags)
		return -EOPNOTSUPP;
	if (a.reserved[0] || a.reserved[1])
		return -EINVAL;
	if (c->ring)
		return -EBUSY;
	rb = mos_ring_new(a.data_size, &c->wq);
	if (IS_ERR(rb))
		return PTR_ERR(rb);
	c->ring = rb;
	mutex_lock(&mn->lock);
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
		err = mos_ioc_socket_check(&a, c->nsocks);
	if (err)
		return err;
	c->socks[c->nsocks].type = a.type;
	a.id = c->nsocks + 1;
	/* The slot is ready before the packet path may look at it. */
	smp_store_release(&c->nsocks, c->nsocks + 1);
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

static int mos_ioc_subscribe(struct mos_consumer *c, void __user *uarg)
{
	struct mos_ioc_subscribe a;
	unsigned int i, h;
	u64 any;
	u32 buf;
	int err;

	err = mos_arg_in(&a, sizeof(a), uarg);
	if (!err)
		err = mos_ioc_subscribe_check(&a, c->nsocks);
	if (err)
		return err;
	WRITE_ONCE(c->socks[a.sock - 1].events[a.hook], a.events);
	c->socks[a.sock - 1].buf[0] = a.buf[0];
	c->socks[a.sock - 1].buf[1] = a.buf[1];
	for (h = 0; h < MOS_HOOKS; h++) {
		for (any = 0, i = 0; i < c->nsocks; i++)
			any |= c->socks[i].events[h];
		WRITE_ONCE(c->any[h], any);
	}
	for (h = 0; h < 2; h++) {
		for (buf = 0, i = 0; i < c->nsocks; i++)
			buf = max(buf, c->socks[i].buf[h]);
		WRITE_ONCE(c->buf[h], buf);
	}
	return 0;
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
	else
		ret = mos_ioc_subscribe(c, uarg);
	mutex_unlock(&c->lock);
	return ret;
}

static int mos_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mos_consumer *c = file->private_data;
	int ret;

	mutex_lock(&c->lock);
	ret = c->ring ? mos_ring_mmap(c->ring, vma) : -ENXIO;
	mutex_unlock(&c->lock);
	return ret;
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
