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
 * (&mos_net.consumers, RCU), and the tracker's callbacks (deliver.c,
 * which says which records go to whom) write to its ring.
 *
 * %MOS_IOC_FLOW stops a consumer's records about a side of a flow, sets
 * the overlap policy of its streams (both in deliver.c, shared with the
 * offline backend), or resets or drops the flow (inline mode).
 * %MOS_IOC_SPLIT, with or without a ring, says which consumer of a split
 * a 4-tuple's flow goes to (deliver.c, from the flow table's hash).
 * %MOS_IOC_VERDICT gives verdicts on the packets held for a consumer
 * that set up its ring with %MOS_RING_F_VERDICT (verdict.c); its held
 * packets are released by the namespace's policy when it closes.
 * %MOS_IOC_SENDPKT sends a packet the consumer built as one end of a
 * flow (hooks/sendpkt.c).
 *
 * Locking: &mos_consumer.lock (a mutex) serialises the ioctls; mmap()
 * does not take it (it holds the mmap lock, which the ioctls' user copies
 * may take).  The packet path (deliver.c) reads the subscriptions with
 * READ_ONCE() and the filters under RCU, and takes only the ring's lock
 * and &mos_dlv.lost_lock, with bottom halves disabled.  A filter
 * replaced is freed after a grace period.  The consumer leaves the list
 * on release, and is freed after an RCU grace period.
 *
 * Security: opening needs CAP_NET_ADMIN over the opener's network
 * namespace, the one the file will monitor; the file keeps a reference on
 * that namespace.  Argument structs carry their size
 * (copy_struct_from_user()); reserved fields must be zero; unknown flags
 * fail with -EOPNOTSUPP; unknown ioctls with -ENOTTY.
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
#include "deliver.h"
#include "hooks/hooks.h"
#include "netns.h"
#include "ring.h"

DEFINE_PER_CPU(struct mos_hold, mos_hold);

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
	mos_dlv_init(&c->dlv);
	mos_vq_init(&c->vq);
	file->private_data = c;
	return 0;
}

static void mos_consumer_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct mos_consumer, rcu));
}

/* Flows a walk of mos_dev_forget_slot() visits between reschedules */
#define MOS_FORGET_BATCH	1024

static int mos_flow_forget(struct tm_flow *f, void *arg)
{
	mos_flow_dev_stop(mos_tm_flow_priv(f), *(u64 *)arg,
			  MOS_SIDE_BIT_CLI | MOS_SIDE_BIT_SVR);
	return 0;
}

/*
 * Clear a consumer slot's bit from every flow of the namespace, whole
 * chains at a time between reschedules (mos_tm_walk_chains()): flows that
 * end meanwhile make it skip none of the others, so none keeps the bit
 * for the slot's next owner.
 * Context: process, &mos_net.lock held (the table stays).
 */
static void mos_dev_forget_slot(struct mos_net *mn, unsigned int slot)
{
	u64 bit = BIT_ULL(slot);
	struct tm_table *t;
	u32 bucket = 0;

	t = rcu_dereference_protected(mn->tm, lockdep_is_held(&mn->lock));
	if (!t)
		return;
	while (bucket < mos_tm_cfg(t)->buckets) {
		cond_resched();
		mos_tm_walk_chains(t, &bucket, MOS_FORGET_BATCH,
				   mos_flow_forget, &bit);
	}
}

/**
 * mos_dev_heard() - tell the namespace's table what its consumers listen to
 * @mn: the namespace's state
 *
 * The events each hook raises that some consumer subscribed to, and
 * whether any consumer wants stream bytes: the tracker hands deliver.c
 * nothing else (with no consumer, nothing at all).  Called when a
 * consumer attaches, leaves or subscribes, and when the table is made.
 *
 * Context: process, &mos_net.lock held.
 */
void mos_dev_heard(struct mos_net *mn)
{
	u64 events[MOS_HOOKS] = { 0 };
	struct mos_consumer *c;
	struct tm_table *t;
	bool bytes = false;
	unsigned int h;

	t = rcu_dereference_protected(mn->tm, lockdep_is_held(&mn->lock));
	if (!t)
		return;
	list_for_each_entry(c, &mn->consumers, node) {
		for (h = 0; h < MOS_HOOKS; h++)
			events[h] |= READ_ONCE(c->dlv.any[h]);
		bytes |= READ_ONCE(c->dlv.buf[0]) || READ_ONCE(c->dlv.buf[1]);
	}
	mos_tm_set_heard(t, events, bytes);
}

static int mos_dev_release(struct inode *inode, struct file *file)
{
	struct mos_consumer *c = file->private_data;
	struct mos_net *mn = mos_pernet(c->net);
	unsigned int i, j;

	if (c->ring) {
		mutex_lock(&mn->lock);
		list_del_rcu(&c->node);
		atomic_sub(c->dlv.nraw, &mn->nraw);
		if (c->dlv.verdict)
			atomic_dec(&mn->nverdict);
		mos_dev_heard(mn);
		mutex_unlock(&mn->lock);
		/* The packet path may still write to the ring. */
		synchronize_rcu();
		/* No packet is held for it now: release those that are */
		mos_vq_close(mn, c);
		mos_vq_free(&c->vq);
		mos_ring_free(c->ring);
		/*
		 * No packet path sets the slot's bit in a flow now: clear it
		 * from the flows that have it, then free the slot, so that the
		 * next consumer in it gets only the flows opened for it.
		 */
		mutex_lock(&mn->lock);
		mos_dev_forget_slot(mn, c->dlv.slot);
		mn->cons_slots &= ~BIT_ULL(c->dlv.slot);
		mutex_unlock(&mn->lock);
	}
	/* No packet path runs the filters once the consumer is off the list */
	for (i = 0; i < c->dlv.nsocks; i++) {
		for (j = 0; j <= MOS_FILTER_RAW; j++) {
			struct bpf_prog *prog;

			prog = rcu_dereference_protected(c->dlv.socks[i].filter[j],
							 true);
			if (prog)
				bpf_prog_destroy(prog);
		}
	}
	put_net(c->net);
	call_rcu(&c->rcu, mos_consumer_free_rcu);
	return 0;
}

/*
 * Copy an argument struct in: its size field first, never smaller than
 * @min, the struct's first size (a smaller one's missing fields are
 * zero); a larger one's bytes past this module's struct must be zero
 * (-E2BIG otherwise).
 */
static int mos_arg_in(void *arg, size_t size, size_t min,
		      const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < min)
		return -EINVAL;
	return copy_struct_from_user(arg, size, uarg, usize);
}

static int mos_ioc_ring_setup(struct mos_consumer *c, void __user *uarg)
{
	struct mos_net *mn = mos_pernet(c->net);
	struct mos_ioc_ring a;
	struct mos_ring *rb;
	unsigned int i, slot;
	int err;

	err = mos_arg_in(&a, sizeof(a), MOS_IOC_RING_SIZE_VER0, uarg);
	if (!err)
		err = mos_ioc_ring_check(&a);
	if (err)
		return err;
	if (c->ring)
		return -EBUSY;
	/* A verdict consumer's held packets come from its own pool */
	if (a.flags & MOS_RING_F_VERDICT) {
		err = mos_vq_alloc(&c->vq, READ_ONCE(mn->held_max));
		if (err)
			return err;
	}
	rb = mos_ring_new(a.data_size, a.wakeup_bytes, &c->wq);
	if (IS_ERR(rb)) {
		mos_vq_free(&c->vq);
		return PTR_ERR(rb);
	}
	mos_dlv_ring(&c->dlv, &a);
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
		mos_vq_free(&c->vq);
		return -EUSERS;
	}
	mn->cons_slots |= BIT_ULL(slot);
	mn->cons_next = slot + 1;
	c->dlv.slot = slot;
	/* Set up before mmap() and poll() may see it */
	smp_store_release(&c->ring, rb);
	list_add_tail_rcu(&c->node, &mn->consumers);
	if (c->dlv.verdict)
		atomic_inc(&mn->nverdict);
	mos_dev_heard(mn);
	mutex_unlock(&mn->lock);
	return 0;
}

static int mos_ioc_socket(struct mos_consumer *c, void __user *uarg)
{
	struct mos_ioc_socket a;
	int err;

	err = mos_arg_in(&a, sizeof(a), sizeof(a), uarg);
	if (!err)
		err = mos_dlv_socket(&c->dlv, &a, true);
	if (err)
		return err;
	if (a.type == MOS_MSOCK_RAW)
		atomic_inc(&mos_pernet(c->net)->nraw);
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

static int mos_ioc_subscribe(struct mos_consumer *c, void __user *uarg)
{
	struct mos_net *mn = mos_pernet(c->net);
	struct mos_ioc_subscribe a;
	int err;

	err = mos_arg_in(&a, sizeof(a), sizeof(a), uarg);
	if (!err)
		err = mos_dlv_subscribe(&c->dlv, &a);
	/* On the namespace's list from the ring's setup: its table hears */
	if (!err && c->ring) {
		mutex_lock(&mn->lock);
		mos_dev_heard(mn);
		mutex_unlock(&mn->lock);
	}
	return err;
}

static int mos_ioc_filter(struct mos_consumer *c, void __user *uarg)
{
	struct bpf_prog *prog = NULL, *old;
	struct sock_fprog_kern fprog;
	struct mos_ioc_filter a;
	int err;

	err = mos_arg_in(&a, sizeof(a), sizeof(a), uarg);
	if (!err)
		err = mos_dlv_filter_check(&c->dlv, &a);
	if (err)
		return err;
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
	old = rcu_replace_pointer(c->dlv.socks[a.sock - 1].filter[a.which],
				  prog, lockdep_is_held(&c->lock));
	if (old) {
		/* The packet path may still run it. */
		synchronize_rcu();
		bpf_prog_destroy(old);
	}
	return 0;
}

static int mos_ioc_flow(struct mos_consumer *c, void __user *uarg)
{
	struct mos_net *mn = mos_pernet(c->net);
	struct mos_ioc_flow a;
	struct tm_table *t;
	struct tm_key k;
	int err;

	err = mos_arg_in(&a, sizeof(a), sizeof(a), uarg);
	if (!err)
		err = mos_ioc_flow_check(&a, &k);
	if (err)
		return err;

	if (a.op == MOS_FLOW_RESET || a.op == MOS_FLOW_DROP) {
		if (READ_ONCE(mn->mode) != MOS_MODE_INLINE)
			return -EOPNOTSUPP;
		if (a.op == MOS_FLOW_RESET)
			return mos_net_flow_reset(c->net, a.flow.flow, &k, NULL);
	}
	rcu_read_lock();
	t = rcu_dereference(mn->tm);
	if (a.op == MOS_FLOW_DROP)
		err = t ? mos_tm_drop(t, a.flow.flow, &k,
				      ktime_get_coarse_ns()) : -ENOENT;
	else	/* MOS_FLOW_STOP, MOS_FLOW_OVERLAP */
		err = mos_dlv_flow_op(&c->dlv, t, &a, &k);
	rcu_read_unlock();
	return err;
}

/*
 * %MOS_IOC_VERDICT: each verdict in turn, its result written back;
 * -EINVAL if any was refused for being wrong.  A packet released already
 * (-ETIMEDOUT in its &mos_verdict.res) is no error of the caller's.
 */
static int mos_ioc_verdict(struct mos_consumer *c, void __user *uarg)
{
	struct mos_net *mn = mos_pernet(c->net);
	struct mos_verdict __user *vec;
	struct mos_ioc_verdict a;
	struct mos_verdict v;
	int err, bad = 0;
	u32 i;

	err = mos_arg_in(&a, sizeof(a), sizeof(a), uarg);
	if (err)
		return err;
	if (!c->dlv.verdict)
		return -EOPNOTSUPP;
	if (a.n > MOS_VERDICT_BATCH)
		return -EINVAL;
	vec = u64_to_user_ptr(a.vec);
	for (i = 0; i < a.n; i++) {
		if (copy_from_user(&v, &vec[i], sizeof(v)))
			return -EFAULT;
		v.res = mos_verdict_apply(mn, c, &v);
		if (v.res == -EINVAL)
			bad = -EINVAL;
		if (put_user(v.res, &vec[i].res))
			return -EFAULT;
	}
	return bad;
}

/* %MOS_IOC_SENDPKT: hooks/sendpkt.c */
static int mos_ioc_sendpkt(struct mos_consumer *c, void __user *uarg)
{
	struct mos_ioc_sendpkt a;
	int err;

	err = mos_arg_in(&a, sizeof(a), sizeof(a), uarg);
	return err ? err : mos_sendpkt(mos_pernet(c->net), &a);
}

/*
 * %MOS_IOC_SPLIT: no consumer state, so no lock and no ring needed.  The
 * answer is only as good as the table's key: callers know that it
 * changes when monitoring is enabled again.
 */
static int mos_ioc_split(struct mos_consumer *c, void __user *uarg)
{
	struct mos_ioc_split a;
	int err;

	err = mos_arg_in(&a, sizeof(a), sizeof(a), uarg);
	if (!err)
		err = mos_dlv_split_query(mos_pernet(c->net), &a);
	if (err)
		return err;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

static long mos_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct mos_consumer *c = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	/* A struct that grew: its older number too */
	cmd = mos_ioc_canon(cmd);
	switch (cmd) {
	case MOS_IOC_VERSION: {
		struct mos_ioc_version v = {
			.abi_major = MOS_ABI_MAJOR,
			.abi_minor = MOS_ABI_MINOR,
			.genl_version = MOS_GENL_VERSION,
		};

		return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
	}
	case MOS_IOC_SPLIT:
		return mos_ioc_split(c, uarg);
	case MOS_IOC_RING_SETUP:
	case MOS_IOC_SOCKET:
	case MOS_IOC_SUBSCRIBE:
	case MOS_IOC_FILTER:
	case MOS_IOC_FLOW:
	case MOS_IOC_VERDICT:
	case MOS_IOC_SENDPKT:
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
	else if (cmd == MOS_IOC_VERDICT)
		ret = mos_ioc_verdict(c, uarg);
	else if (cmd == MOS_IOC_SENDPKT)
		ret = mos_ioc_sendpkt(c, uarg);
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
