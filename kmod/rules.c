// SPDX-License-Identifier: GPL-2.0
/*
 * rules.c - filter rules: which flows are monitored, ignored, dropped or
 * reset
 *
 * DOC: Theory of Operation
 *
 * A rule is a classic BPF program (a pcap expression compiled by libpcap
 * in userspace for DLT_RAW, so it reads the packet from its IP header on),
 * a priority and an action.  The rules of a namespace run, lowest priority
 * first and in insertion order among equals, on the packet that would
 * create a flow (a SYN, or any segment under mid-stream pickup); the first
 * that returns non-zero decides, and no match means monitor.  Later
 * packets of the flow are not filtered again: the flow keeps its action.
 *
 * Fail closed: in inline mode, a namespace with a drop or reset rule
 * (&mos_rules.drops) also runs its rules on every TCP segment of no
 * tracked flow (%TM_IN_FAILCLOSED, %TM_RULE_NOFLOW): a connection whose
 * flow could not be created (flow limit, memory limit, failed allocation),
 * a segment with a bad checksum, and any other orphan segment.  If the
 * first rule that matches drops or resets, the segment is dropped
 * (%MOS_STAT_DROPPED_NOFLOW); otherwise it passes as an orphan.  The cost
 * is one run of the programs per orphan TCP segment, in such namespaces
 * only (Documentation/tcpmon.rst gives a measure).
 *
 * Hits count when the action is applied: a flow created with it, a first
 * packet answered with a reset, a segment of no flow dropped.
 *
 * Locking: a namespace's rules are an array published with RCU.  Writers
 * (add, delete, flush; process context) hold &mos_net.lock, build a new
 * array, publish it, wait for readers (synchronize_net()) and free what
 * the old one alone held.  The hooks read the array inside the RCU read
 * section netfilter holds for them.  Hit counters are atomic.
 */

#include <linux/filter.h>
#include <linux/slab.h>
#include "netns.h"
#include "pkt.h"
#include "rules.h"

static void mos_rule_free(struct mos_rule *r)
{
	if (!r)
		return;
	bpf_prog_destroy(r->prog);
	kfree(r->expr);
	kfree(r);
}

/* Rules of @mn, or NULL; &mos_net.lock held */
static struct mos_rules *mos_rules_get(struct mos_net *mn)
{
	return rcu_dereference_protected(mn->rules,
					 lockdep_is_held(&mn->lock));
}

/*
 * Publish @new in place of the current array, wait for the readers of the
 * old one, free it.  The caller frees the rules only the old one held.
 */
static void mos_rules_publish(struct mos_net *mn, struct mos_rules *new)
{
	struct mos_rules *old = mos_rules_get(mn);

	rcu_assign_pointer(mn->rules, new);
	synchronize_net();
	kfree(old);
}

/**
 * mos_rules_need_inline() - whether a rule drops or resets
 * @mn: the namespace's state, &mos_net.lock held
 *
 * Return: true if a rule's action needs inline mode.
 */
bool mos_rules_need_inline(struct mos_net *mn)
{
	struct mos_rules *rs = mos_rules_get(mn);
	unsigned int i;

	for (i = 0; rs && i < rs->n; i++)
		if (rs->r[i]->action == MOS_ACTION_DROP ||
		    rs->r[i]->action == MOS_ACTION_RESET)
			return true;
	return false;
}

/* Whether a rule of @rs drops or resets */
static bool mos_rules_drops(const struct mos_rules *rs)
{
	unsigned int i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i]->action == MOS_ACTION_DROP ||
		    rs->r[i]->action == MOS_ACTION_RESET)
			return true;
	return false;
}

/**
 * mos_rules_drop_any() - whether the packet path must run the rules on
 * segments of no flow
 * @mn: the namespace's state
 *
 * Context: inside an RCU read section.
 * Return: true if some rule of @mn drops or resets.
 */
bool mos_rules_drop_any(struct mos_net *mn)
{
	struct mos_rules *rs = rcu_dereference(mn->rules);

	return rs && rs->drops;
}

/**
 * mos_rule_add() - add a rule to a namespace
 * @net: the namespace
 * @prio: its priority, lower first
 * @action: &enum mos_action
 * @insns: classic BPF program
 * @n: its instructions, 1 to %MOS_RULE_INSNS_MAX
 * @expr: its source text, or NULL
 * @id: set to the new rule's id
 * @host: the caller has CAP_NET_ADMIN in the initial user namespace
 * @extack: for error messages
 *
 * The rule's memory is charged to the caller's memory cgroup.
 *
 * Context: process, may sleep.
 * Return: 0; -EINVAL for a program the kernel refuses, or for a drop or
 * reset rule in a namespace monitored in passive mode; -ENOSPC past
 * %MOS_RULES_MAX rules; -EPERM (mos_net_may_change()); -ENOMEM.
 */
int mos_rule_add(struct net *net, u32 prio, u8 action,
		 const struct sock_filter *insns, unsigned int n,
		 const char *expr, u32 *id, bool host,
		 struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct sock_fprog_kern fprog = {
		.len = n,
		.filter = (struct sock_filter *)insns,
	};
	struct mos_rules *old, *new;
	struct mos_rule *r;
	unsigned int i, at;
	int err;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->prio = prio;
	r->action = action;
	atomic64_set(&r->hits, 0);
	if (expr) {
		r->expr = kstrdup(expr, GFP_KERNEL_ACCOUNT);
		if (!r->expr) {
			kfree(r);
			return -ENOMEM;
		}
	}
	err = bpf_prog_create(&r->prog, &fprog);
	if (err) {
		kfree(r->expr);
		kfree(r);
		NL_SET_ERR_MSG(extack, "invalid classic BPF program");
		return err;
	}

	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	if (err)
		goto err_unlock;
	if (mn->enabled && mn->mode == MOS_MODE_PASSIVE &&
	    (action == MOS_ACTION_DROP || action == MOS_ACTION_RESET)) {
		NL_SET_ERR_MSG(extack,
			       "drop and reset need inline mode (mosctl ns enable inline)");
		err = -EINVAL;
		goto err_unlock;
	}
	old = mos_rules_get(mn);
	n = old ? old->n : 0;
	if (n >= MOS_RULES_MAX) {
		NL_SET_ERR_MSG(extack, "too many rules in this namespace");
		err = -ENOSPC;
		goto err_unlock;
	}
	new = kzalloc(struct_size(new, r, n + 1), GFP_KERNEL_ACCOUNT);
	if (!new) {
		err = -ENOMEM;
		goto err_unlock;
	}
	/* After every rule of the same or a lower priority */
	for (at = 0; at < n && old->r[at]->prio <= prio; at++)
		;
	for (i = 0; i < at; i++)
		new->r[i] = old->r[i];
	new->r[at] = r;
	for (i = at; i < n; i++)
		new->r[i + 1] = old->r[i];
	new->n = n + 1;
	new->drops = mos_rules_drops(new);
	do {
		r->id = ++mn->next_rule_id;
	} while (!r->id);
	*id = r->id;
	mos_rules_publish(mn, new);
	mos_net_changed(mn, host);
	mutex_unlock(&mn->lock);
	return 0;

err_unlock:
	mutex_unlock(&mn->lock);
	mos_rule_free(r);
	return err;
}

/**
 * mos_rule_del() - delete a rule
 * @net: the namespace
 * @id: the rule
 * @host: as for mos_rule_add()
 * @extack: for error messages
 *
 * Flows it matched keep their action.
 *
 * Context: process, may sleep.
 * Return: 0, -EPERM (mos_net_may_change()), -ENOENT if the namespace has
 * no such rule, or -ENOMEM.
 */
int mos_rule_del(struct net *net, u32 id, bool host,
		 struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct mos_rule *gone = NULL;
	struct mos_rules *old, *new = NULL;
	unsigned int i, j;
	int err;

	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	if (err)
		goto out;
	old = mos_rules_get(mn);
	for (i = 0; old && i < old->n; i++)
		if (old->r[i]->id == id)
			gone = old->r[i];
	if (!gone) {
		err = -ENOENT;
		goto out;
	}
	if (old->n > 1) {
		new = kzalloc(struct_size(new, r, old->n - 1),
			      GFP_KERNEL_ACCOUNT);
		if (!new) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0, j = 0; i < old->n; i++)
			if (old->r[i] != gone)
				new->r[j++] = old->r[i];
		new->n = j;
		new->drops = mos_rules_drops(new);
	}
	mos_rules_publish(mn, new);
	mos_rule_free(gone);
	mos_net_changed(mn, host);
out:
	mutex_unlock(&mn->lock);
	return err;
}

/*
 * Unpublish every rule and free them; &mos_net.lock held, or the
 * namespace is going away with no hook left.
 */
static void __mos_rules_flush(struct mos_net *mn, struct mos_rules *old)
{
	unsigned int i;

	if (!old)
		return;
	for (i = 0; i < old->n; i++)
		mos_rule_free(old->r[i]);
	kfree(old);
}

/**
 * mos_rules_flush() - delete every rule of a namespace
 * @net: the namespace
 * @host: as for mos_rule_add()
 * @extack: for error messages
 *
 * Context: process, may sleep.
 * Return: 0, or -EPERM (mos_net_may_change()).
 */
int mos_rules_flush(struct net *net, bool host,
		    struct netlink_ext_ack *extack)
{
	struct mos_net *mn = mos_pernet(net);
	struct mos_rules *old;
	int err;

	mutex_lock(&mn->lock);
	err = mos_net_may_change(mn, host, extack);
	if (!err) {
		old = mos_rules_get(mn);
		RCU_INIT_POINTER(mn->rules, NULL);
		synchronize_net();
		__mos_rules_flush(mn, old);
		mos_net_changed(mn, host);
	}
	mutex_unlock(&mn->lock);
	return err;
}

/**
 * mos_rules_free() - free the rules of a namespace being dismantled
 * @mn: its state; no hook of it may run any more
 *
 * Context: process.
 */
void mos_rules_free(struct mos_net *mn)
{
	__mos_rules_flush(mn, rcu_dereference_protected(mn->rules, true));
	RCU_INIT_POINTER(mn->rules, NULL);
}

/**
 * mos_rules_classify() - the action of the rules for a flow's first packet
 * @mn: the namespace's state
 * @src: the packet, as the tracker has it
 * @rule: set to the matching rule's id, 0 when none matches.  On entry,
 *	%TM_RULE_NOFLOW says that @src is a segment of no flow, which only a
 *	drop or reset applies to
 *
 * Counts a hit of the matching rule, for a segment of no flow only when
 * the rule drops or resets (the tracker then drops it).
 *
 * Context: softirq or process with bottom halves disabled, inside an RCU
 * read section.
 * Return: &enum mos_action; %MOS_ACTION_MONITOR when no rule matches.
 */
unsigned int mos_rules_classify(struct mos_net *mn, const struct tm_src *src,
				u32 *rule)
{
	struct mos_rules *rs = rcu_dereference(mn->rules);
	bool noflow = *rule == TM_RULE_NOFLOW;
	unsigned int i;

	*rule = 0;
	if (noflow && !(rs && rs->drops))
		return MOS_ACTION_MONITOR;
	for (i = 0; rs && i < rs->n; i++) {
		struct mos_rule *r = rs->r[i];

		if (!mos_pkt_filter(src, r->prog))
			continue;
		*rule = r->id;
		if (!noflow || r->action == MOS_ACTION_DROP ||
		    r->action == MOS_ACTION_RESET)
			atomic64_inc(&r->hits);
		return r->action;
	}
	return MOS_ACTION_MONITOR;
}
