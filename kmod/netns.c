// SPDX-License-Identifier: GPL-2.0
/*
 * netns.c - per network namespace state: enable, disable, statistics
 *
 * DOC: Theory of Operation
 *
 * Every namespace gets a &struct mos_net with its per-CPU counters when it
 * is created (or when the module loads).  Monitoring is off until enabled;
 * enabling registers the netfilter hooks in that namespace only, so a
 * namespace nobody monitors pays nothing.  The hooks go away on disable,
 * when the namespace is dismantled, and when the module unloads (the
 * pernet exit runs for every namespace then).
 *
 * Locking: &mos_net.lock serialises enable and disable, which run in
 * process context (generic netlink, module load, namespace exit).  The
 * hooks read nothing that enable or disable change: they only bump this
 * CPU's counters, so they take no lock.  Counters are zeroed on enable
 * while no hook is registered, and disable waits for the hooks in flight
 * (synchronize_net()), so a reader after disable sees final values.
 *
 * Lifetime: the counters are freed in the exit_batch step, after one
 * synchronize_net() for the whole batch, so no hook still running on
 * another CPU can touch freed memory.
 */

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include "mos.h"

unsigned int mos_net_id __read_mostly;

static bool enable_init_net;
module_param(enable_init_net, bool, 0444);
MODULE_PARM_DESC(enable_init_net,
		 "Monitor the initial network namespace from load time on (default: off; 'mosctl ns enable' does it later)");

/**
 * mos_net_stats_zero() - zero a namespace's counters
 * @mn: the namespace's state, with no hook registered
 */
static void mos_net_stats_zero(struct mos_net *mn)
{
	int cpu;

	/* Inside the write section: 32-bit readers may run concurrently. */
	for_each_possible_cpu(cpu) {
		struct mos_pcpu_stats *s = per_cpu_ptr(mn->stats, cpu);
		unsigned long flags;
		int i;

		flags = u64_stats_update_begin_irqsave(&s->syncp);
		for (i = 0; i < __MOS_STAT_MAX; i++)
			u64_stats_set(&s->c[i], 0);
		u64_stats_update_end_irqrestore(&s->syncp, flags);
	}
}

/**
 * __mos_net_disable() - remove the hooks of a namespace
 * @net: the namespace
 *
 * Context: process; &mos_net.lock held.  The caller waits for the hooks
 * in flight (synchronize_net()) before it relies on the counters or frees.
 */
static void __mos_net_disable(struct net *net)
{
	struct mos_net *mn = mos_pernet(net);

	lockdep_assert_held(&mn->lock);
	if (!mn->enabled)
		return;
	mos_hooks_unregister(net);
	WRITE_ONCE(mn->enabled, false);
}

/**
 * mos_net_enable() - start monitoring a namespace
 * @net: the namespace; the caller holds a reference
 *
 * Context: process, may sleep.
 * Return: 0, -EEXIST if already enabled, or the error of the hook
 * registration.
 */
int mos_net_enable(struct net *net)
{
	struct mos_net *mn = mos_pernet(net);
	int err;

	mutex_lock(&mn->lock);
	if (mn->enabled) {
		err = -EEXIST;
		goto out;
	}
	mos_net_stats_zero(mn);
	err = mos_hooks_register(net);
	if (!err)
		WRITE_ONCE(mn->enabled, true);
out:
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_net_disable() - stop monitoring a namespace
 * @net: the namespace; the caller holds a reference
 *
 * On return no hook of mos runs in @net and its counters are final.
 *
 * Context: process, may sleep.
 * Return: 0, or -ENOENT if monitoring was not enabled.
 */
int mos_net_disable(struct net *net)
{
	struct mos_net *mn = mos_pernet(net);
	int err = 0;

	mutex_lock(&mn->lock);
	if (mn->enabled) {
		__mos_net_disable(net);
		synchronize_net();
	} else {
		err = -ENOENT;
	}
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_net_enabled() - whether a namespace is monitored
 * @net: the namespace
 *
 * Context: any; the answer may change as soon as it is given.
 * Return: true if the hooks are registered.
 */
bool mos_net_enabled(struct net *net)
{
	return READ_ONCE(mos_pernet(net)->enabled);
}

/**
 * mos_net_stats() - sum a namespace's counters over all CPUs
 * @net: the namespace
 * @sum: __MOS_STAT_MAX counters, filled
 *
 * Context: any.
 */
void mos_net_stats(struct net *net, u64 *sum)
{
	struct mos_net *mn = mos_pernet(net);
	int cpu, i;

	memset(sum, 0, sizeof(u64) * __MOS_STAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct mos_pcpu_stats *s = per_cpu_ptr(mn->stats, cpu);
		u64 v[__MOS_STAT_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < __MOS_STAT_MAX; i++)
				v[i] = u64_stats_read(&s->c[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		for (i = 0; i < __MOS_STAT_MAX; i++)
			sum[i] += v[i];
	}
}

static int __net_init mos_pernet_init(struct net *net)
{
	struct mos_net *mn = mos_pernet(net);
	int cpu, err;

	mutex_init(&mn->lock);
	mn->stats = alloc_percpu(struct mos_pcpu_stats);
	if (!mn->stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(mn->stats, cpu)->syncp);

	if (enable_init_net && net_eq(net, &init_net)) {
		err = mos_net_enable(net);
		if (err) {
			/*
			 * A partly registered hook may still run elsewhere:
			 * wait before the counters and the module go away.
			 */
			synchronize_net();
			free_percpu(mn->stats);
			return err;
		}
	}
	return 0;
}

static void __net_exit mos_pernet_exit(struct net *net)
{
	struct mos_net *mn = mos_pernet(net);

	mutex_lock(&mn->lock);
	__mos_net_disable(net);
	mutex_unlock(&mn->lock);
}

static void __net_exit mos_pernet_exit_batch(struct list_head *net_exit_list)
{
	struct net *net;

	/* Hooks removed in mos_pernet_exit() may still run elsewhere. */
	synchronize_net();
	list_for_each_entry(net, net_exit_list, exit_list)
		free_percpu(mos_pernet(net)->stats);
}

static struct pernet_operations mos_net_ops = {
	.init = mos_pernet_init,
	.exit = mos_pernet_exit,
	.exit_batch = mos_pernet_exit_batch,
	.id = &mos_net_id,
	.size = sizeof(struct mos_net),
};

/**
 * mos_net_init() - set up per-namespace state in every namespace
 *
 * Context: module load.
 * Return: 0 or negative errno.
 */
int __init mos_net_init(void)
{
	return register_pernet_subsys(&mos_net_ops);
}

/**
 * mos_net_exit() - remove the hooks and state of every namespace
 *
 * Context: module unload.
 */
void mos_net_exit(void)
{
	unregister_pernet_subsys(&mos_net_ops);
}
