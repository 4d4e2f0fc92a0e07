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
#include <linux/ratelimit.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/wait.h>
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

struct bpf_prog;
struct sock_filter;

/**
 * struct mos_rule - a filter rule of a namespace
 * @id: its id, unique in the namespace, never 0
 * @prio: lower runs first
 * @action: &enum mos_action
 * @prog: the classic BPF program, run on a flow's first packet
 * @expr: its source text, or NULL
 * @hits: flows it matched
 */
struct mos_rule {
	u32 id;
	u32 prio;
	u8 action;
	struct bpf_prog *prog;
	char *expr;
	atomic64_t hits;
};

/**
 * struct mos_rules - the rules of a namespace, in evaluation order
 * @n: how many
 * @rcu: for freeing the array after readers
 * @r: the rules
 *
 * Never changed once published: a change publishes a new array.
 */
struct mos_rules {
	unsigned int n;
	struct rcu_head rcu;
	struct mos_rule *r[];
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
 * @limits: limits for the flow table (zero fields: defaults); under @lock
 * @rules: filter rules; RCU, written under @lock
 * @next_rule_id: last rule id given out; under @lock
 * @rst_rl: rate limit of the resets mos sends
 * @ev_seq: flow announcements made (%MOS_A_EVENT_SEQ)
 * @memcg: the memory cgroup of whoever enabled monitoring, charged for
 *	the flows and buffers (referenced while enabled; NULL without memcg)
 * @consumers: open /dev/mos files with a ring (chardev.c); RCU, written
 *	under @lock
 * @cons_slots: the consumers' slots in use (&mos_flow_dev bits), under
 *	@lock
 * @cons_next: the slot to try first for the next consumer, under @lock
 * @nraw: raw monitor sockets of the consumers (the hooks skip the raw
 *	path while there is none)
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
	struct tm_table_cfg limits;
	struct mos_rules __rcu *rules;
	u32 next_rule_id;
	struct ratelimit_state rst_rl;
	atomic64_t ev_seq;
	struct mem_cgroup *memcg;
	struct list_head consumers;
	u64 cons_slots;
	u8 cons_next;
	atomic_t nraw;
};

extern unsigned int mos_net_id;

/* Set while this CPU sends a reset of mos's own (reset.c) */
DECLARE_PER_CPU(bool, mos_own_xmit);

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
int mos_net_enable(struct net *net, u8 mode, struct netlink_ext_ack *extack);
int mos_net_disable(struct net *net);
bool mos_net_enabled(struct net *net);
void mos_net_stats(struct net *net, u64 *sum);
void mos_net_limits(struct net *net, struct tm_table_cfg *cfg);
int mos_net_set_limits(struct net *net, const struct tm_table_cfg *cfg);

int mos_rule_add(struct net *net, u32 prio, u8 action,
		 const struct sock_filter *insns, unsigned int n,
		 const char *expr, u32 *id, struct netlink_ext_ack *extack);
int mos_rule_del(struct net *net, u32 id);
void mos_rules_flush(struct net *net);
void mos_rules_free(struct mos_net *mn);
bool mos_rules_need_inline(struct mos_net *mn);
unsigned int mos_rules_classify(struct mos_net *mn, struct sk_buff *skb,
				u32 *rule);

void mos_genl_flow_event(struct mos_net *mn, const struct tm_flow *f,
			 bool end);

int mos_hooks_register(struct net *net);
void mos_hooks_unregister(struct net *net);

bool mos_send_reset(struct mos_net *mn, struct sk_buff *skb,
		    unsigned int hook, u8 family);
void mos_reset_answer(struct mos_net *mn, const struct tm_pkt *p);
int mos_net_flow_reset(struct net *net, u64 id, const struct tm_key *k,
		       struct netlink_ext_ack *extack);

int mos_genl_init(void);
void mos_genl_exit(void);

int mos_dev_init(void);
void mos_dev_exit(void);

/* deliver.c; declared in deliver.h, here for the hooks */
void mos_dev_raw(void *priv, const struct tm_src *src);
void mos_dev_unhold(void *priv);

struct mos_ring;
struct vm_area_struct;
struct mos_ring *mos_ring_new(u64 data_size, wait_queue_head_t *wq);
void mos_ring_free(struct mos_ring *rb);
int mos_ring_mmap(struct mos_ring *rb, struct vm_area_struct *vma);
void *mos_ring_reserve(struct mos_ring *rb, u32 len, u16 type, u16 sock,
		       u32 *hold);
bool mos_ring_hold(struct mos_ring *rb, u32 bytes);
u64 mos_ring_size(const struct mos_ring *rb);
void mos_ring_unhold(struct mos_ring *rb, u32 bytes);
void mos_ring_commit(struct mos_ring *rb, void *body, bool discard);
bool mos_ring_readable(struct mos_ring *rb);

/* A mapping that may never become writable (mprotect()) */
static inline void mos_vma_no_write(struct vm_area_struct *vma)
{
#ifdef MOS_HAVE_VM_FLAGS_CLEAR
	vm_flags_clear(vma, VM_MAYWRITE);
#else
	vma->vm_flags &= ~VM_MAYWRITE;
#endif
}

#endif /* _MOS_H */
