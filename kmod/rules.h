/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h - the filter rules of a namespace (rules.c)
 */
#ifndef _MOS_RULES_H
#define _MOS_RULES_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

struct bpf_prog;
struct mos_net;
struct net;
struct netlink_ext_ack;
struct sock_filter;
struct tm_src;

/**
 * struct mos_rule - a filter rule of a namespace
 * @id: its id, unique in the namespace, never 0
 * @prio: lower runs first
 * @action: &enum mos_action
 * @prog: the classic BPF program, run on a flow's first packet
 * @expr: its source text, or NULL
 * @hits: times its action was applied (&MOS_A_RULE_HITS)
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
 * @drops: some rule drops or resets: inline, the rules also run on the
 *	TCP segments of no tracked flow (mos_pkt_input())
 * @rcu: for freeing the array after readers
 * @r: the rules
 *
 * Never changed once published: a change publishes a new array.
 */
struct mos_rules {
	unsigned int n;
	bool drops;
	struct rcu_head rcu;
	struct mos_rule *r[];
};

int mos_rule_add(struct net *net, u32 prio, u8 action,
		 const struct sock_filter *insns, unsigned int n,
		 const char *expr, u32 *id, bool host,
		 struct netlink_ext_ack *extack);
int mos_rule_del(struct net *net, u32 id, bool host,
		 struct netlink_ext_ack *extack);
int mos_rules_flush(struct net *net, bool host,
		    struct netlink_ext_ack *extack);
void mos_rules_free(struct mos_net *mn);
bool mos_rules_need_inline(struct mos_net *mn);
bool mos_rules_drop_any(struct mos_net *mn);
unsigned int mos_rules_classify(struct mos_net *mn, const struct tm_src *src,
				u32 *rule);

#endif /* _MOS_RULES_H */
