/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netns.h - per network namespace state (netns.c)
 */
#ifndef _MOS_NETNS_H
#define _MOS_NETNS_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/mos.h>
#include "tcpmon/tcpmon.h"

struct mem_cgroup;
struct mos_rules;
struct netlink_ext_ack;

/**
 * struct mos_pcpu_stats - one CPU's counters of one namespace
 * @syncp: u64_stats sequence for 32-bit readers
 * @c: counters indexed by &enum mos_stat (UNSPEC and PAD unused)
 *
 * Written by the packet path with bottom halves disabled (PRE_ROUTING
 * runs in softirq, LOCAL_OUT in process context), so one CPU's writers
 * never nest.
 */
struct mos_pcpu_stats {
	struct u64_stats_sync syncp;
	u64_stats_t c[__MOS_STAT_MAX];
};

/**
 * struct mos_xdp_lstats - one CPU's counters of the XDP-attached devices
 * of a namespace (hooks/xdp.c)
 * @syncp: for 32-bit readers
 * @c: &enum mos_link_stat counters, by slot of &mos_net.xdp_links
 *
 * Written by mos's XDP kfunc with bottom halves disabled, so one CPU's
 * writers never nest.
 */
struct mos_xdp_lstats {
	struct u64_stats_sync syncp;
	u64_stats_t c[MOS_XDP_LINKS_MAX][__MOS_LSTAT_MAX];
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
 * @mode: &enum mos_mode while enabled; written under @lock
 * @stall_ms: %MOS_LIMIT_STALL_MS; written under @lock, read anywhere
 * @host_held: a caller with CAP_NET_ADMIN in the initial user namespace
 *	set this namespace's state up (mos_net_changed()); under @lock
 * @limits: limits for the flow table (zero fields: defaults); under @lock
 * @unparsed: &enum mos_unparsed, inline mode's policy for packets that do
 *	not parse; kept across enables, written under @lock
 * @rules: filter rules; RCU, written under @lock
 * @next_rule_id: last rule id given out; under @lock
 * @rst_rl: rate limit of the resets mos sends
 * @sendpkt_rl: rate limit of the packets consumers send (%MOS_IOC_SENDPKT)
 * @ev_seq: flow announcements made (%MOS_A_EVENT_SEQ)
 * @memcg: the memory cgroup of whoever enabled monitoring, charged for
 *	the flows and buffers (referenced while enabled; NULL without memcg)
 * @consumers: open /dev/mos files with a ring (chardev.c); RCU, written
 *	under @lock
 * @cons_slots: the consumers' slots in use (&mos_flow_dev bits), under
 *	@lock
 * @cons_next: the slot to try first for the next consumer, under @lock
 * @nraw: raw monitor sockets of the consumers (the packet path skips the
 *	raw delivery while there is none)
 * @nverdict: consumers with %MOS_RING_F_VERDICT on @consumers (the packet
 *	path splits a segment's tracking only while there is one)
 * @nheld: packets held for verdicts, all consumers (verdict.c)
 * @nheld_flows: flows with packets held, summed over the consumers
 *	(verdict.c)
 * @held_max: %MOS_LIMIT_HELD_MAX; written under @lock, read anywhere
 * @verdict_ms: %MOS_LIMIT_VERDICT_MS; written under @lock
 * @vpolicy: %MOS_LIMIT_VERDICT_POLICY; written under @lock
 * @vclosing: no packet is held (disable in progress); under @lock
 * @xdp_links: indexes of the devices recorded as XDP-attached
 *	(hooks/xdp.c), 0 in a free slot; a device keeps its slot until it is
 *	forgotten.  Written under @lock, read locklessly by the packet path
 * @xdp_nlinks: how many of @xdp_links are in use
 * @xdp_stats: the devices' counters, per CPU, by slot of @xdp_links;
 *	allocated with the first device recorded, freed with the namespace
 */
struct mos_net {
	struct mutex lock;	/* enable/disable, process context */
	bool enabled;
	struct mos_pcpu_stats __percpu *stats;
	struct tm_table __rcu *tm;
	struct delayed_work gc;
	u64 tm_final[TM_STAT_MAX];
	struct net *net;
	u8 mode;
	bool host_held;
	u32 stall_ms;
	struct tm_table_cfg limits;
	u8 unparsed;
	struct mos_rules __rcu *rules;
	u32 next_rule_id;
	struct ratelimit_state rst_rl;
	struct ratelimit_state sendpkt_rl;
	atomic64_t ev_seq;
	struct mem_cgroup *memcg;
	struct list_head consumers;
	u64 cons_slots;
	u8 cons_next;
	atomic_t nraw;
	atomic_t nverdict;
	atomic_t nheld;
	atomic_t nheld_flows;
	u32 held_max;
	u32 verdict_ms;
	u8 vpolicy;
	bool vclosing;
	int xdp_links[MOS_XDP_LINKS_MAX];
	unsigned int xdp_nlinks;
	struct mos_xdp_lstats __percpu *xdp_stats;
};

extern unsigned int mos_net_id;

static inline struct mos_net *mos_pernet(const struct net *net)
{
	return net_generic(net, mos_net_id);
}

/**
 * mos_stat_inc() - count one on this CPU's counter of a namespace
 * @mn: the namespace's state
 * @i: &enum mos_stat
 *
 * Context: bottom halves disabled.
 */
static inline void mos_stat_inc(struct mos_net *mn, unsigned int i)
{
	struct mos_pcpu_stats *s = this_cpu_ptr(mn->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->c[i]);
	u64_stats_update_end(&s->syncp);
}

int mos_net_init(void);
void mos_net_exit(void);
int mos_net_enable(struct net *net, u8 mode, bool host,
		   struct netlink_ext_ack *extack);
int mos_net_disable(struct net *net, bool host,
		    struct netlink_ext_ack *extack);
int mos_net_may_change(struct mos_net *mn, bool host,
		       struct netlink_ext_ack *extack);
void mos_net_changed(struct mos_net *mn, bool host);
int mos_net_check_change(struct net *net, bool host,
			 struct netlink_ext_ack *extack);
bool mos_net_enabled(struct net *net);
void mos_net_stats(struct net *net, u64 *sum);
void mos_net_limits(struct net *net, struct tm_table_cfg *cfg);
int mos_net_set_limits(struct net *net, const struct tm_table_cfg *cfg,
		       bool host, struct netlink_ext_ack *extack);
int mos_net_set_verdict(struct net *net, s64 ms, int policy, s64 held_max,
			bool host, struct netlink_ext_ack *extack);
int mos_net_set_inline(struct net *net, s64 stall_ms, int unparsed,
		       bool host, struct netlink_ext_ack *extack);
u8 mos_net_unparsed(struct net *net);

#endif /* _MOS_NETNS_H */
