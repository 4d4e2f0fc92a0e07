/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mos.h - shared definitions of the mos.ko glue (not the tcpmon core)
 */
#ifndef _MOS_H
#define _MOS_H

#include <linux/mutex.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/workqueue.h>
#include <linux/mos.h>
#include "tcpmon/tcpmon.h"

#define MOS_VERSION	"0.1"

/**
 * struct mos_pcpu_stats - one CPU's counters of one namespace
 * @syncp: u64_stats sequence for 32-bit readers
 * @c: counters indexed by &enum mos_stat (UNSPEC and PAD unused)
 *
 * Written by the hooks with bottom halves disabled (PRE_ROUTING runs in
 * softirq, LOCAL_OUT in process context), so one CPU's writers never nest.
 */
struct mos_pcpu_stats {
	struct u64_stats_sync syncp;
	u64_stats_t c[__MOS_STAT_MAX];
};

/**
 * struct mos_net - per network namespace state
 * @lock: serialises enable and disable (process context only)
 * @enabled: the hooks are registered; written under @lock
 * @stats: per-CPU counters, allocated with the namespace
 * @tm: the flow table while monitoring is enabled; RCU, written under
 *	@lock
 * @gc: the worker that expires idle flows of @tm
 * @tm_final: the last table's counters, from when it was freed
 * @net: the namespace, for @gc
 */
struct mos_net {
	struct mutex lock;	/* enable/disable, process context */
	bool enabled;
	struct mos_pcpu_stats __percpu *stats;
	struct tm_table __rcu *tm;
	struct delayed_work gc;
	u64 tm_final[TM_STAT_MAX];
	struct net *net;
};

extern unsigned int mos_net_id;

static inline struct mos_net *mos_pernet(const struct net *net)
{
	return net_generic(net, mos_net_id);
}

int mos_net_init(void);
void mos_net_exit(void);
int mos_net_enable(struct net *net);
int mos_net_disable(struct net *net);
bool mos_net_enabled(struct net *net);
void mos_net_stats(struct net *net, u64 *sum);

int mos_hooks_register(struct net *net);
void mos_hooks_unregister(struct net *net);

int mos_genl_init(void);
void mos_genl_exit(void);

int mos_dev_init(void);
void mos_dev_exit(void);

#endif /* _MOS_H */
