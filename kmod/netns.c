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
 *
 * The flow table: enabling creates it (sized from the machine's memory)
 * before the hooks are registered, and starts a delayed work that expires
 * idle flows a slice of the table at a time; disabling removes the hooks,
 * stops the work, waits for the hooks in flight, keeps the table's final
 * counters in &mos_net.tm_final and frees it.  The hooks find the table
 * through an RCU pointer: they run inside the RCU read section netfilter
 * holds for them.
 *
 * Memory: the table is charged to the memory cgroup of the task that
 * enables monitoring, and so are its flows and buffers: the packet path
 * (pkt.c) makes that cgroup the active one around the tracker
 * (set_active_memcg()), and the tracker allocates with __GFP_ACCOUNT.  A
 * cgroup at its limit makes allocations fail, which the tracker counts
 * (%MOS_STAT_NOMEM).  All
 * namespaces together are also bounded by the mem_limit parameter
 * (main.c; the tracker counts it, %MOS_STAT_MEM_LIMIT).
 */

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/mm.h>
#include "chardev.h"
#include "deliver.h"
#include "genl.h"
#include "netns.h"
#include "rules.h"
#include "hooks/hooks.h"

/* The expiry worker runs every second and sweeps the table in this many. */
#define MOS_GC_INTERVAL		HZ
#define MOS_GC_SLICES		4

unsigned int mos_net_id __read_mostly;

static unsigned int max_flows;
module_param(max_flows, uint, 0644);
MODULE_PARM_DESC(max_flows,
		 "Flows tracked per namespace at most, from the next enable on (default 0: one per 16 KiB of RAM, 4096 to 2^20)");

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

static void mos_net_gc(struct work_struct *work)
{
	struct mos_net *mn = container_of(to_delayed_work(work),
					  struct mos_net, gc);
	struct tm_table *t = rcu_dereference_protected(mn->tm, true);
	const struct tm_table_cfg *cfg = mos_tm_cfg(t);

	/* The table lives until this work is cancelled. */
	mos_tm_expire(t, ktime_get_coarse_ns(),
		      cfg->buckets / MOS_GC_SLICES + 1);
	schedule_delayed_work(&mn->gc, MOS_GC_INTERVAL);
}

/**
 * mos_net_default_flows() - the default flow limit of a namespace
 *
 * One flow per 16 KiB of RAM (a flow takes about 200 bytes), between 4096
 * and 2^20: 65536 on a 1 GiB machine.
 *
 * Return: the limit.
 */
static u32 mos_net_default_flows(void)
{
	u64 n = (u64)totalram_pages() * PAGE_SIZE / 16384;

	return clamp_t(u64, n, 4096, 1U << 20);
}

/**
 * mos_net_table_free() - free a namespace's flow table, keeping its totals
 * @mn: the namespace's state; no hook and no expiry work may use the table
 *
 * Context: process, may sleep.
 */
static void mos_net_table_free(struct mos_net *mn)
{
	struct tm_table *t = rcu_dereference_protected(mn->tm, true);

	if (!t)
		return;
	RCU_INIT_POINTER(mn->tm, NULL);
	/* Readers of the pointer: statistics, flow dumps */
	synchronize_rcu();
	mos_tm_stats(t, mn->tm_final);
	mos_tm_table_free(t);
	mem_cgroup_put(mn->memcg);
	mn->memcg = NULL;
}

/**
 * __mos_net_disable() - remove the hooks of a namespace
 * @net: the namespace
 *
 * Context: process; &mos_net.lock held.  The caller waits for the hooks
 * in flight (synchronize_net()) before it relies on the counters or frees
 * the table (mos_net_table_free()).
 */
static void __mos_net_disable(struct net *net)
{
	struct mos_net *mn = mos_pernet(net);

	lockdep_assert_held(&mn->lock);
	if (!mn->enabled)
		return;
	/* Accepted held packets go on from mos's hooks: before they go */
	mos_verdict_release_all(mn, !check_net(net));
	mos_hooks_unregister(net);
	cancel_delayed_work_sync(&mn->gc);
	WRITE_ONCE(mn->enabled, false);
}

/*
 * The limits of @mn with every default filled in; &mos_net.lock held.
 * With @mn NULL: the defaults alone.
 */
static void __mos_net_limits(struct mos_net *mn, struct tm_table_cfg *cfg)
{
	if (mn)
		*cfg = mn->limits;
	else
		memset(cfg, 0, sizeof(*cfg));
	if (!cfg->max_flows) {
		cfg->max_flows = READ_ONCE(max_flows);
		if (!cfg->max_flows || cfg->max_flows > (1U << 24))
			cfg->max_flows = mos_net_default_flows();
	}
	mos_tm_cfg_defaults(cfg);
}

/**
 * mos_net_may_change() - whether a caller may change a namespace's state
 * @mn: the namespace's state, &mos_net.lock held
 * @host: the caller has CAP_NET_ADMIN in the initial user namespace
 * @extack: for error messages, or NULL
 *
 * A namespace a host caller enabled, changed while enabled, or added a
 * rule to is the host's: a caller with CAP_NET_ADMIN only over the
 * namespace's own user namespace (root in a container) may read it but
 * not change it, until a host caller has disabled it and deleted its
 * rules.
 *
 * Return: 0, or -EPERM.
 */
int mos_net_may_change(struct mos_net *mn, bool host,
		       struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&mn->lock);
	if (host || !mn->host_held)
		return 0;
	NL_SET_ERR_MSG(extack,
		       "this namespace's monitoring was set up from the initial user namespace: only CAP_NET_ADMIN there may change it");
	return -EPERM;
}

/**
 * mos_net_changed() - note who changed a namespace's state
 * @mn: the namespace's state, &mos_net.lock held
 * @host: as for mos_net_may_change()
 *
 * After a host caller's change, the host holds the namespace as long as
 * it is enabled or has rules.
 */
void mos_net_changed(struct mos_net *mn, bool host)
{
	lockdep_assert_held(&mn->lock);
	if (host)
		mn->host_held = mn->enabled || rcu_access_pointer(mn->rules);
}

/**
 * mos_net_check_change() - mos_net_may_change() for a one-off action
 * @net: the namespace
 * @host: as for mos_net_may_change()
 * @extack: for error messages, or NULL
 *
 * Context: process, may sleep.
 * Return: 0, or -EPERM.
 */
int mos_net_check_change(struct net *net, bool host,
			 struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	int err;

	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	mutex_unlock(&mn->lock);
	return err;
}

/*
 * A caller that is not the host may not raise a limit above the module's
 * default: the memory of a namespace a container enabled is the host's to
 * give.
 */
static int mos_net_limits_capped(const struct tm_table_cfg *cfg, bool host,
				 struct netlink_ext_ack *extack)
{
	struct tm_table_cfg def;
	unsigned int i;

	if (host)
		return 0;
	__mos_net_limits(NULL, &def);
	if (cfg->max_flows > def.max_flows || cfg->buf_side > def.buf_side ||
	    cfg->buf_total > def.buf_total || cfg->seg_side > def.seg_side ||
	    cfg->store_age_ms > def.store_age_ms)
		goto above;
	for (i = 0; i < TM_NSTATES; i++)
		if (cfg->timeout[i] > def.timeout[i])
			goto above;
	return 0;
above:
	NL_SET_ERR_MSG(extack,
		       "only CAP_NET_ADMIN in the initial user namespace may set a limit above its default");
	return -EPERM;
}

/**
 * mos_net_limits() - the limits a namespace's flow table has or will have
 * @net: the namespace
 * @cfg: filled, defaults included
 *
 * Context: process, may sleep.
 */
void mos_net_limits(struct net *net, struct tm_table_cfg *cfg)
{
	struct mos_net *mn = mos_pernet(net);

	mutex_lock(&mn->lock);
	__mos_net_limits(mn, cfg);
	mutex_unlock(&mn->lock);
}

/**
 * mos_net_set_limits() - change a namespace's limits
 * @net: the namespace
 * @cfg: the new limits; zero fields keep their value
 * @host: as for mos_net_may_change()
 * @extack: for error messages, or NULL
 *
 * Applied at once to the live table, if any, and kept for the next enable.
 *
 * Context: process, may sleep.
 * Return: 0, or -EPERM (mos_net_may_change(), or a limit above its
 * default from a caller that is not the host).
 */
int mos_net_set_limits(struct net *net, const struct tm_table_cfg *cfg,
		       bool host, struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct tm_table_cfg eff;
	struct tm_table *t;
	unsigned int i;
	int err;

	err = mos_net_limits_capped(cfg, host, extack);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	if (err)
		goto out;
	if (cfg->max_flows)
		mn->limits.max_flows = cfg->max_flows;
	if (cfg->buf_side)
		mn->limits.buf_side = cfg->buf_side;
	if (cfg->buf_total)
		mn->limits.buf_total = cfg->buf_total;
	if (cfg->seg_side)
		mn->limits.seg_side = cfg->seg_side;
	if (cfg->store_age_ms)
		mn->limits.store_age_ms = cfg->store_age_ms;
	for (i = 0; i < TM_NSTATES; i++)
		if (cfg->timeout[i])
			mn->limits.timeout[i] = cfg->timeout[i];
	/*
	 * midstream, overlap and paws: 0 is a value too; the caller passes the
	 * result
	 */
	mn->limits.midstream = cfg->midstream;
	mn->limits.overlap = cfg->overlap;
	mn->limits.paws = cfg->paws;
	t = rcu_dereference_protected(mn->tm, lockdep_is_held(&mn->lock));
	if (t) {
		__mos_net_limits(mn, &eff);
		mos_tm_set_limits(t, &eff);
	}
	mos_net_changed(mn, host);
out:
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_net_unparsed() - a namespace's policy for packets that do not parse
 * @net: the namespace
 *
 * Context: any.
 * Return: &enum mos_unparsed.
 */
u8 mos_net_unparsed(struct net *net)
{
	return READ_ONCE(mos_pernet(net)->unparsed);
}

/**
 * mos_net_set_inline() - set a namespace's inline-mode policies
 * @net: the namespace
 * @stall_ms: %MOS_LIMIT_STALL_MS, or negative to keep it
 * @unparsed: &enum mos_unparsed, or negative to keep it
 * @host: as for mos_net_may_change()
 * @extack: for error messages, or NULL
 *
 * Both apply at once and are kept for the next enable.
 *
 * Context: process, may sleep.
 * Return: 0, or -EPERM (mos_net_may_change()).
 */
int mos_net_set_inline(struct net *net, s64 stall_ms, int unparsed,
		       bool host, struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	int err;

	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	if (!err) {
		if (stall_ms >= 0)
			WRITE_ONCE(mn->stall_ms, stall_ms);
		if (unparsed >= 0)
			WRITE_ONCE(mn->unparsed, unparsed);
		mos_net_changed(mn, host);
	}
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_net_set_verdict() - set a namespace's held-packet settings
 * @net: the namespace
 * @ms: %MOS_LIMIT_VERDICT_MS, or negative to keep it
 * @policy: %MOS_LIMIT_VERDICT_POLICY, or negative to keep it
 * @held_max: %MOS_LIMIT_HELD_MAX, or negative to keep it
 * @host: as for mos_net_may_change()
 * @extack: for error messages, or NULL
 *
 * They apply to the packets held from now on (the policy also to those
 * whose deadline passes from now on), and are kept for the next enable.
 *
 * Context: process, may sleep.
 * Return: 0, or -EPERM (mos_net_may_change()).
 */
int mos_net_set_verdict(struct net *net, s64 ms, int policy, s64 held_max,
			bool host, struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	int err;

	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	if (!err) {
		if (ms >= 0)
			WRITE_ONCE(mn->verdict_ms, ms);
		if (policy >= 0)
			WRITE_ONCE(mn->vpolicy, policy);
		if (held_max >= 0)
			WRITE_ONCE(mn->held_max, held_max);
		mos_net_changed(mn, host);
	}
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_net_enable() - start monitoring a namespace
 * @net: the namespace; the caller holds a reference
 * @mode: &enum mos_mode
 * @host: as for mos_net_may_change()
 * @extack: for error messages, or NULL
 *
 * Context: process, may sleep.
 * Return: 0, -EEXIST if already enabled, -EPERM (mos_net_may_change()),
 * -EINVAL for passive mode with rules that drop or reset, or the error of
 * the hook registration.
 */
int mos_net_enable(struct net *net, u8 mode, bool host,
		   struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct tm_table_cfg cfg;
	struct tm_table *t;
	int err;

	mutex_lock(&mn->lock);
	if (mn->enabled) {
		NL_SET_ERR_MSG(extack,
			       "monitoring is already enabled in this namespace");
		err = -EEXIST;
		goto out;
	}
	err = mos_net_may_change(mn, host, extack);
	if (err)
		goto out;
	if (mode == MOS_MODE_PASSIVE && mos_rules_need_inline(mn)) {
		NL_SET_ERR_MSG(extack,
			       "a rule drops or resets: enable inline mode, or delete it");
		err = -EINVAL;
		goto out;
	}
	mos_net_stats_zero(mn);
	memset(mn->tm_final, 0, sizeof(mn->tm_final));
	__mos_net_limits(mn, &cfg);
	cfg.priv_size = sizeof(struct mos_flow_dev);
	/* The table and, from the hooks, its flows and buffers */
	mn->memcg = get_mem_cgroup_from_mm(current->mm);
	t = mos_tm_table_new(&cfg, &mos_deliver_ops, mn);
	if (!t) {
		mem_cgroup_put(mn->memcg);
		mn->memcg = NULL;
		err = -ENOMEM;
		goto out;
	}
	rcu_assign_pointer(mn->tm, t);
	/* Consumers attached before enabling listen to it from the start */
	mos_dev_heard(mn);
	mn->mode = mode;
	WRITE_ONCE(mn->vclosing, false);
	err = mos_hooks_register(net);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the netfilter hooks");
		synchronize_net();
		mos_net_table_free(mn);
		goto out;
	}
	WRITE_ONCE(mn->enabled, true);
	schedule_delayed_work(&mn->gc, MOS_GC_INTERVAL);
	mos_net_changed(mn, host);
out:
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_net_disable() - stop monitoring a namespace
 * @net: the namespace; the caller holds a reference
 * @host: as for mos_net_may_change()
 * @extack: for error messages, or NULL
 *
 * On return no hook of mos runs in @net and its counters are final.
 *
 * Context: process, may sleep.
 * Return: 0, -EPERM (mos_net_may_change()), or -ENOENT if monitoring was
 * not enabled.
 */
int mos_net_disable(struct net *net, bool host,
		    struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	int err;

	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	if (err)
		goto out;
	if (mn->enabled) {
		__mos_net_disable(net);
		synchronize_net();
		mos_net_table_free(mn);
		mos_net_changed(mn, host);
	} else {
		NL_SET_ERR_MSG(extack,
			       "monitoring is not enabled in this namespace");
		err = -ENOENT;
	}
out:
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

/* The tracker's counters, in the order of enum mos_stat */
static const u8 mos_tm_stat_map[TM_STAT_MAX] = {
	[TM_STAT_FLOWS]		= MOS_STAT_FLOWS,
	[TM_STAT_FLOWS_MIDSTREAM] = MOS_STAT_FLOWS_MIDSTREAM,
	[TM_STAT_FLOWS_ENDED]	= MOS_STAT_FLOWS_ENDED,
	[TM_STAT_ORPHANS]	= MOS_STAT_ORPHANS,
	[TM_STAT_REXMIT]	= MOS_STAT_REXMIT,
	[TM_STAT_BYTES_C2S]	= MOS_STAT_BYTES_C2S,
	[TM_STAT_BYTES_S2C]	= MOS_STAT_BYTES_S2C,
	[TM_STAT_GAPS]		= MOS_STAT_GAPS,
	[TM_STAT_GAP_BYTES]	= MOS_STAT_GAP_BYTES,
	[TM_STAT_FLOW_LIMIT]	= MOS_STAT_FLOW_LIMIT,
	[TM_STAT_BUF_SIDE]	= MOS_STAT_BUF_SIDE,
	[TM_STAT_BUF_TOTAL]	= MOS_STAT_BUF_TOTAL,
	[TM_STAT_NOMEM]		= MOS_STAT_NOMEM,
	[TM_STAT_CSUM]		= MOS_STAT_CSUM_BAD,
	[TM_STAT_OOW]		= MOS_STAT_OOW,
	[TM_STAT_RST_INWIN]	= MOS_STAT_RST_INWIN,
	[TM_STAT_RST_OOW]	= MOS_STAT_RST_OOW,
	[TM_STAT_OVERLAP_DIFF]	= MOS_STAT_OVERLAP_DIFF,
	[TM_STAT_TIMEOUTS]	= MOS_STAT_TIMEOUTS,
	[TM_STAT_FLOWS_IGNORED]	= MOS_STAT_FLOWS_IGNORED,
	[TM_STAT_FLOWS_DROPPED]	= MOS_STAT_FLOWS_DROPPED,
	[TM_STAT_DROPPED]	= MOS_STAT_DROPPED,
	[TM_STAT_FLOWS_RESET]	= MOS_STAT_FLOWS_RESET,
	[TM_STAT_MEM_LIMIT]	= MOS_STAT_MEM_LIMIT,
	[TM_STAT_STORE_FULL]	= MOS_STAT_STORE_FULL,
	[TM_STAT_FLOWS_EVICTED]	= MOS_STAT_FLOWS_EVICTED,
	[TM_STAT_DROPPED_NOFLOW] = MOS_STAT_DROPPED_NOFLOW,
	[TM_STAT_NACC_NOACK]	= MOS_STAT_NACC_NOACK,
	[TM_STAT_NACC_ACK_UNSENT]	= MOS_STAT_NACC_ACK_UNSENT,
	[TM_STAT_NACC_ACK_OLD]	= MOS_STAT_NACC_ACK_OLD,
	[TM_STAT_NACC_PAWS]	= MOS_STAT_NACC_PAWS,
	[TM_STAT_NACC_SYN_DATA]	= MOS_STAT_NACC_SYN_DATA,
	[TM_STAT_NACC_FIN]	= MOS_STAT_NACC_FIN,
	[TM_STAT_NACC_URG]	= MOS_STAT_NACC_URG,
	[TM_STAT_SEG_SIDE]	= MOS_STAT_SEG_SIDE,
	[TM_STAT_END_UNREAD]	= MOS_STAT_END_UNREAD,
	[TM_STAT_FLOWS_EVICTED_IDLE] = MOS_STAT_FLOWS_EVICTED_IDLE,
	[TM_STAT_FLOWS_EVICTED_MID] = MOS_STAT_FLOWS_EVICTED_MID,
	[TM_STAT_STORE_SHARE]	= MOS_STAT_STORE_SHARE,
	[TM_STAT_STORE_AGED]	= MOS_STAT_STORE_AGED,
	[TM_STAT_STORE_TRIMMED]	= MOS_STAT_STORE_TRIMMED,
	[TM_STAT_ALIASES]	= MOS_STAT_FLOW_ALIASES,
	[TM_STAT_ALIAS_FAIL]	= MOS_STAT_FLOW_ALIAS_FAIL,
};

/**
 * mos_net_tm_stats() - add the flow tracker's counters
 * @mn: the namespace's state
 * @sum: __MOS_STAT_MAX counters
 *
 * From the live table while monitoring is enabled, else the totals of the
 * last one.
 */
static void mos_net_tm_stats(struct mos_net *mn, u64 *sum)
{
	u64 tm[TM_STAT_MAX];
	struct tm_table *t;
	int i;

	rcu_read_lock();
	t = rcu_dereference(mn->tm);
	if (t) {
		mos_tm_stats(t, tm);
		sum[MOS_STAT_FLOWS_ACTIVE] = mos_tm_flows(t);
		sum[MOS_STAT_OOO_BYTES] = mos_tm_ooo_bytes(t);
	} else {
		memcpy(tm, mn->tm_final, sizeof(tm));
	}
	rcu_read_unlock();

	for (i = 0; i < TM_STAT_EV; i++)
		if (mos_tm_stat_map[i])
			sum[mos_tm_stat_map[i]] = tm[i];
	for (i = 0; i < TM_EV_MAX; i++)
		sum[MOS_STAT_EV_PKT_IN + i] = tm[TM_STAT_EV + i];
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
	mos_net_tm_stats(mn, sum);
	sum[MOS_STAT_HELD_NOW] = atomic_read(&mn->nheld);
	sum[MOS_STAT_HELD_FLOWS] = atomic_read(&mn->nheld_flows);
}

static int __net_init mos_pernet_init(struct net *net)
{
	struct mos_net *mn = mos_pernet(net);
	int cpu, err;

	mutex_init(&mn->lock);
	INIT_LIST_HEAD(&mn->consumers);
	atomic_set(&mn->nraw, 0);
	mn->net = net;
	/* Resets mos sends: 1000 a second, quietly */
	ratelimit_state_init(&mn->rst_rl, HZ, 1000);
	ratelimit_set_flags(&mn->rst_rl, RATELIMIT_MSG_ON_RELEASE);
	/* Packets consumers send, as many */
	ratelimit_state_init(&mn->sendpkt_rl, HZ, MOS_SENDPKT_RATE);
	ratelimit_set_flags(&mn->sendpkt_rl, RATELIMIT_MSG_ON_RELEASE);
	atomic64_set(&mn->ev_seq, 0);
	mn->stall_ms = MOS_STALL_MS_DEFAULT;
	atomic_set(&mn->nverdict, 0);
	atomic_set(&mn->nheld, 0);
	atomic_set(&mn->nheld_flows, 0);
	mn->held_max = MOS_HELD_MAX_DEFAULT;
	mn->verdict_ms = MOS_VERDICT_MS_DEFAULT;
	mn->vpolicy = MOS_VPOLICY_ACCEPT;
	INIT_DELAYED_WORK(&mn->gc, mos_net_gc);
	/* Streams as the namespace's own receivers read them */
	mn->limits.overlap = MOS_OVERLAP_LINUX;
	mn->stats = alloc_percpu(struct mos_pcpu_stats);
	if (!mn->stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(mn->stats, cpu)->syncp);

	if (enable_init_net && net_eq(net, &init_net)) {
		err = mos_net_enable(net, MOS_MODE_PASSIVE, true, NULL);
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
	list_for_each_entry(net, net_exit_list, exit_list) {
		mos_net_table_free(mos_pernet(net));
		mos_rules_free(mos_pernet(net));
		free_percpu(mos_pernet(net)->stats);
		free_percpu(mos_pernet(net)->xdp_stats);
	}
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
