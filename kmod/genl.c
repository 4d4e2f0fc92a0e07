// SPDX-License-Identifier: GPL-2.0
/*
 * genl.c - the generic netlink family "mos"
 *
 * DOC: Theory of Operation
 *
 * The control plane: enable and disable monitoring of a namespace, its
 * mode and limits, its filter rules, its counters, its flows, and the
 * "flows" multicast group that announces flows starting and ending.
 *
 * Target: each command acts on the namespace named by %MOS_A_NETNS_FD, or
 * on the namespace of the sending socket (the family is netnsok).  A
 * namespace sees and changes only its own state.
 *
 * Validation: every command has its own policy, listing only the
 * attributes it takes, and the core validates strictly: an unknown or
 * unexpected attribute, a wrong type, length or range fails the request
 * before a handler runs, with an extended-ack message naming the
 * attribute.  Handlers add messages for what a policy cannot say.
 *
 * Permissions: every command needs CAP_NET_ADMIN over the user namespace
 * that owns its socket's network namespace (GENL_UNS_ADMIN_PERM) and,
 * with %MOS_A_NETNS_FD, over the one that owns the target: enough to read.
 * Enabling a namespace owned by a user namespace other than the initial
 * one also needs the allow_userns module parameter, unless the caller has
 * CAP_NET_ADMIN in the initial user namespace (the host): on Debian any
 * user may create user and network namespaces, and hooks are kernel work
 * done on their behalf.  A namespace the host set up is the host's: only
 * the host changes it (mos_net_may_change()); a container raises no limit
 * above its default.  Joining the multicast group needs CAP_NET_ADMIN
 * over the namespace (GENL_MCAST_CAP_NET_ADMIN).
 *
 * Locking: the handlers call into netns.c and rules.c, which take the
 * namespace's mutex.  A target namespace is held by reference while a
 * command runs, and for the whole of a dump.  Dumps read the flow table
 * and the rules under RCU.  Flow announcements are built in the packet
 * path (GFP_ATOMIC) only when the group has listeners.
 */

#include <linux/module.h>
#include <linux/filter.h>
#include <linux/proc_ns.h>
#include <net/genetlink.h>
#include "genl.h"
#include "main.h"
#include "netns.h"
#include "pkt.h"
#include "rules.h"
#include "hooks/xdp.h"

static bool allow_userns;
module_param(allow_userns, bool, 0644);
MODULE_PARM_DESC(allow_userns,
		 "Let CAP_NET_ADMIN in a non-initial user namespace enable monitoring of its own network namespaces (default: off)");

static struct genl_family mos_genl_family;

enum mos_genl_mcgrp {
	MOS_GENL_MCGRP_FLOWS_ID,
};

/* --- policies ------------------------------------------------------ */

static struct netlink_range_validation mos_max_flows_range = {
	.min = 16,
	.max = 1U << 24,
};

static struct netlink_range_validation mos_buf_side_range = {
	.min = 4096,
	.max = U32_MAX,
};

static struct netlink_range_validation mos_buf_total_range = {
	.min = 65536,
	.max = U64_MAX,
};

static struct netlink_range_validation mos_seg_side_range = {
	.min = 16,
	.max = 1U << 20,
};

static struct netlink_range_validation mos_store_age_range = {
	.min = 10,
	.max = 86400000,
};

static struct netlink_range_validation mos_timeout_range = {
	.min = 1,
	.max = 1U << 22,
};

static const struct nla_policy mos_timeouts_policy[MOS_TCP_STATES + 1] = {
	[1 ... MOS_TCP_STATES] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &mos_timeout_range),
};

static struct netlink_range_validation mos_verdict_ms_range = {
	.min = 1,
	.max = MOS_VERDICT_MS_LIMIT,
};

static struct netlink_range_validation mos_held_max_range = {
	.min = 1,
	.max = MOS_HELD_MAX_LIMIT,
};

static const struct nla_policy mos_limits_policy[MOS_LIMIT_MAX + 1] = {
	[MOS_LIMIT_MAX_FLOWS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &mos_max_flows_range),
	[MOS_LIMIT_BUF_SIDE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &mos_buf_side_range),
	[MOS_LIMIT_BUF_TOTAL] =
		NLA_POLICY_FULL_RANGE(NLA_U64, &mos_buf_total_range),
	[MOS_LIMIT_MIDSTREAM] = NLA_POLICY_MAX(NLA_U8, 1),
	[MOS_LIMIT_OVERLAP] = NLA_POLICY_MAX(NLA_U8, MOS_OVERLAP_LINUX),
	[MOS_LIMIT_STALL_MS] = { .type = NLA_U32 },
	[MOS_LIMIT_UNPARSED] = NLA_POLICY_MAX(NLA_U8, MOS_UNPARSED_PASS),
	[MOS_LIMIT_SEG_SIDE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &mos_seg_side_range),
	[MOS_LIMIT_PAWS] = NLA_POLICY_MAX(NLA_U8, MOS_PAWS_OFF),
	[MOS_LIMIT_STORE_AGE_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &mos_store_age_range),
	[MOS_LIMIT_TIMEOUTS] = NLA_POLICY_NESTED(mos_timeouts_policy),
	[MOS_LIMIT_VERDICT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &mos_verdict_ms_range),
	[MOS_LIMIT_VERDICT_POLICY] = NLA_POLICY_MAX(NLA_U8, MOS_VPOLICY_DROP),
	[MOS_LIMIT_HELD_MAX] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &mos_held_max_range),
};

static const struct nla_policy mos_ns_policy[MOS_A_MAX + 1] = {
	[MOS_A_NETNS_FD] = { .type = NLA_U32 },
};

static const struct nla_policy mos_enable_policy[MOS_A_MAX + 1] = {
	[MOS_A_NETNS_FD] = { .type = NLA_U32 },
	[MOS_A_MODE] = NLA_POLICY_MAX(NLA_U8, MOS_MODE_INLINE),
};

static const struct nla_policy mos_set_policy[MOS_A_MAX + 1] = {
	[MOS_A_NETNS_FD] = { .type = NLA_U32 },
	[MOS_A_LIMITS] = NLA_POLICY_NESTED(mos_limits_policy),
};

static const struct nla_policy mos_rule_add_policy[MOS_A_MAX + 1] = {
	[MOS_A_NETNS_FD] = { .type = NLA_U32 },
	[MOS_A_RULE_PRIO] = { .type = NLA_U32 },
	[MOS_A_RULE_ACTION] = NLA_POLICY_MAX(NLA_U8, __MOS_ACTION_MAX - 1),
	[MOS_A_RULE_BPF] = {
		.type = NLA_BINARY,
		.len = MOS_RULE_INSNS_MAX * sizeof(struct sock_filter),
	},
	[MOS_A_RULE_EXPR] = {
		.type = NLA_NUL_STRING,
		.len = MOS_RULE_EXPR_MAX - 1,
	},
};

static const struct nla_policy mos_rule_del_policy[MOS_A_MAX + 1] = {
	[MOS_A_NETNS_FD] = { .type = NLA_U32 },
	[MOS_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy mos_link_policy[MOS_A_MAX + 1] = {
	[MOS_A_NETNS_FD] = { .type = NLA_U32 },
	[MOS_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy mos_flow_reset_policy[MOS_A_MAX + 1] = {
	[MOS_A_NETNS_FD] = { .type = NLA_U32 },
	[MOS_A_FLOW_ID] = NLA_POLICY_MIN(NLA_U64, 1),
};

/* --- the target namespace ------------------------------------------- */

/**
 * mos_genl_target() - the namespace a request acts on, referenced
 * @skb: the request
 * @attrs: its attributes
 * @extack: for error messages
 *
 * Return: the namespace, with a reference the caller drops with
 * put_net(), or an ERR_PTR(): -EBADF or -EINVAL for a bad descriptor,
 * -EPERM without CAP_NET_ADMIN over it.
 */
static struct net *mos_genl_target(struct sk_buff *skb, struct nlattr **attrs,
				   struct netlink_ext_ack *extack)
{
	struct net *net;

	if (!attrs || !attrs[MOS_A_NETNS_FD])
		return get_net(sock_net(skb->sk));
	net = get_net_ns_by_fd(nla_get_u32(attrs[MOS_A_NETNS_FD]));
	if (IS_ERR(net)) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[MOS_A_NETNS_FD],
				    "not a network namespace descriptor");
		return net;
	}
	if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		put_net(net);
		NL_SET_ERR_MSG_ATTR(extack, attrs[MOS_A_NETNS_FD],
				    "no CAP_NET_ADMIN over that namespace");
		return ERR_PTR(-EPERM);
	}
	return net;
}

/*
 * Whether the sender has CAP_NET_ADMIN in the initial user namespace: the
 * host, as opposed to root in a container (mos_net_may_change())
 */
static bool mos_genl_host(struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_NET_ADMIN);
}

/* --- namespaces ------------------------------------------------------ */

static int mos_genl_ns_enable(struct sk_buff *skb, struct genl_info *info)
{
	u8 mode = MOS_MODE_PASSIVE;
	struct net *net;
	int err;

	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	if (net->user_ns != &init_user_ns &&
	    !mos_genl_host(skb) && !READ_ONCE(allow_userns)) {
		NL_SET_ERR_MSG(info->extack,
			       "this namespace belongs to a user namespace: enabling needs the allow_userns module parameter");
		err = -EPERM;
		goto out;
	}
	if (info->attrs[MOS_A_MODE])
		mode = nla_get_u8(info->attrs[MOS_A_MODE]);
	err = mos_net_enable(net, mode, mos_genl_host(skb), info->extack);
out:
	put_net(net);
	return err;
}

static int mos_genl_ns_disable(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net;
	int err;

	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	err = mos_net_disable(net, mos_genl_host(skb), info->extack);
	put_net(net);
	return err;
}

/**
 * mos_genl_put_stats() - add the %MOS_A_STATS nest of a namespace
 * @msg: message being built
 * @net: the namespace
 *
 * Return: 0 or -EMSGSIZE.
 */
static int mos_genl_put_stats(struct sk_buff *msg, struct net *net)
{
	u64 sum[__MOS_STAT_MAX];
	struct nlattr *nest;
	int i;

	mos_net_stats(net, sum);
	nest = nla_nest_start(msg, MOS_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = MOS_STAT_PACKETS; i < __MOS_STAT_MAX; i++) {
		if (nla_put_u64_64bit(msg, i, sum[i], MOS_STAT_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* The %MOS_A_LIMITS nest: the limits in force, defaults included */
static int mos_genl_put_limits(struct sk_buff *msg, struct net *net)
{
	struct tm_table_cfg cfg;
	struct nlattr *nest, *to;
	int i;

	mos_net_limits(net, &cfg);
	nest = nla_nest_start(msg, MOS_A_LIMITS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, MOS_LIMIT_MAX_FLOWS, cfg.max_flows) ||
	    nla_put_u32(msg, MOS_LIMIT_BUF_SIDE, cfg.buf_side) ||
	    nla_put_u64_64bit(msg, MOS_LIMIT_BUF_TOTAL, cfg.buf_total,
			      MOS_LIMIT_PAD) ||
	    nla_put_u8(msg, MOS_LIMIT_MIDSTREAM, cfg.midstream) ||
	    nla_put_u8(msg, MOS_LIMIT_OVERLAP, cfg.overlap) ||
	    nla_put_u8(msg, MOS_LIMIT_PAWS, cfg.paws) ||
	    nla_put_u32(msg, MOS_LIMIT_STALL_MS,
			READ_ONCE(mos_pernet(net)->stall_ms)) ||
	    nla_put_u8(msg, MOS_LIMIT_UNPARSED, mos_net_unparsed(net)) ||
	    nla_put_u32(msg, MOS_LIMIT_SEG_SIDE, cfg.seg_side) ||
	    nla_put_u32(msg, MOS_LIMIT_STORE_AGE_MS, cfg.store_age_ms) ||
	    nla_put_u32(msg, MOS_LIMIT_VERDICT_MS,
			READ_ONCE(mos_pernet(net)->verdict_ms)) ||
	    nla_put_u8(msg, MOS_LIMIT_VERDICT_POLICY,
		       READ_ONCE(mos_pernet(net)->vpolicy)) ||
	    nla_put_u32(msg, MOS_LIMIT_HELD_MAX,
			READ_ONCE(mos_pernet(net)->held_max)))
		goto cancel;
	to = nla_nest_start(msg, MOS_LIMIT_TIMEOUTS);
	if (!to)
		goto cancel;
	for (i = 0; i < TM_NSTATES; i++)
		if (nla_put_u32(msg, i + 1, cfg.timeout[i]))
			goto cancel;
	nla_nest_end(msg, to);
	nla_nest_end(msg, nest);
	return 0;

cancel:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

/**
 * mos_genl_put_links() - add the %MOS_A_LINKS nest of a namespace
 * @msg: message being built
 * @net: the namespace
 *
 * Each device: its %MOS_A_IFINDEX, then its %MOS_A_LINK_STATS.
 *
 * Context: process; takes the namespace's mos lock, which keeps each
 * device in its slot while its counters are read.
 * Return: 0 or -EMSGSIZE.
 */
static int mos_genl_put_links(struct sk_buff *msg, struct net *net)
{
	struct mos_net *mn = mos_pernet(net);
	struct nlattr *nest, *st;
	u64 sum[__MOS_LSTAT_MAX];
	int err = -EMSGSIZE;
	unsigned int i, j;

	mutex_lock(&mn->lock);
	nest = nla_nest_start(msg, MOS_A_LINKS);
	if (!nest)
		goto out;
	for (i = 0; i < MOS_XDP_LINKS_MAX; i++) {
		if (!mn->xdp_links[i])
			continue;
		if (nla_put_u32(msg, MOS_A_IFINDEX, mn->xdp_links[i]))
			goto out;
		mos_xdp_link_stats(mn, i, sum);
		st = nla_nest_start(msg, MOS_A_LINK_STATS);
		if (!st)
			goto out;
		for (j = MOS_LSTAT_FRAMES; j < __MOS_LSTAT_MAX; j++)
			if (nla_put_u64_64bit(msg, j, sum[j], MOS_LSTAT_PAD))
				goto out;
		nla_nest_end(msg, st);
	}
	nla_nest_end(msg, nest);
	err = 0;
out:
	mutex_unlock(&mn->lock);
	return err;
}

/* Room for the %MOS_A_LINKS nest at most, beyond NLMSG_GOODSIZE */
#define MOS_GENL_LINKS_SIZE	(nla_total_size(0) + MOS_XDP_LINKS_MAX * \
				 (nla_total_size(sizeof(u32)) + nla_total_size(0) + \
				  MOS_LSTAT_MAX * nla_total_size_64bit(sizeof(u64))))

static int mos_genl_ns_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	struct net *net;
	void *hdr;
	int err = -EMSGSIZE;

	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	msg = genlmsg_new(NLMSG_GOODSIZE + MOS_GENL_LINKS_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	hdr = genlmsg_put_reply(msg, info, &mos_genl_family, 0,
				MOS_CMD_NS_GET);
	if (!hdr)
		goto nospace;
	if (nla_put_u8(msg, MOS_A_NS_ENABLED, mos_net_enabled(net)) ||
	    nla_put_u8(msg, MOS_A_MODE, READ_ONCE(mos_pernet(net)->mode)) ||
	    nla_put_string(msg, MOS_A_MOD_VERSION, MOS_VERSION) ||
	    mos_genl_put_limits(msg, net) ||
	    mos_genl_put_stats(msg, net) ||
	    mos_genl_put_links(msg, net))
		goto nospace;
	genlmsg_end(msg, hdr);
	put_net(net);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
out:
	put_net(net);
	return err;
}

/* A u32 limit given, or -1 when absent: the setters keep the value then */
static s64 mos_genl_u32_or_none(const struct nlattr *a)
{
	return a ? (s64)nla_get_u32(a) : -1;
}

static int mos_genl_ns_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *lim[MOS_LIMIT_MAX + 1], *to[MOS_TCP_STATES + 1];
	struct tm_table_cfg cur, cfg = { 0 };
	struct net *net;
	int err, i;

	if (GENL_REQ_ATTR_CHECK(info, MOS_A_LIMITS))
		return -EINVAL;
	/* Validated by the policy already */
	err = nla_parse_nested(lim, MOS_LIMIT_MAX, info->attrs[MOS_A_LIMITS],
			       mos_limits_policy, info->extack);
	if (err)
		return err;
	for (i = 1; i <= MOS_LIMIT_MAX && !lim[i]; i++)
		;
	if (i > MOS_LIMIT_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MOS_A_LIMITS],
				    "no limit given");
		return -EINVAL;
	}
	memset(to, 0, sizeof(to));
	if (lim[MOS_LIMIT_TIMEOUTS]) {
		err = nla_parse_nested(to, MOS_TCP_STATES,
				       lim[MOS_LIMIT_TIMEOUTS],
				       mos_timeouts_policy, info->extack);
		if (err)
			return err;
	}

	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	mos_net_limits(net, &cur);
	if (lim[MOS_LIMIT_MAX_FLOWS])
		cfg.max_flows = nla_get_u32(lim[MOS_LIMIT_MAX_FLOWS]);
	if (lim[MOS_LIMIT_BUF_SIDE])
		cfg.buf_side = nla_get_u32(lim[MOS_LIMIT_BUF_SIDE]);
	if (lim[MOS_LIMIT_BUF_TOTAL])
		cfg.buf_total = nla_get_u64(lim[MOS_LIMIT_BUF_TOTAL]);
	if (lim[MOS_LIMIT_SEG_SIDE])
		cfg.seg_side = nla_get_u32(lim[MOS_LIMIT_SEG_SIDE]);
	if (lim[MOS_LIMIT_STORE_AGE_MS])
		cfg.store_age_ms = nla_get_u32(lim[MOS_LIMIT_STORE_AGE_MS]);
	cfg.midstream = lim[MOS_LIMIT_MIDSTREAM] ?
			nla_get_u8(lim[MOS_LIMIT_MIDSTREAM]) : cur.midstream;
	cfg.overlap = lim[MOS_LIMIT_OVERLAP] ?
		      nla_get_u8(lim[MOS_LIMIT_OVERLAP]) : cur.overlap;
	cfg.paws = lim[MOS_LIMIT_PAWS] ?
		   nla_get_u8(lim[MOS_LIMIT_PAWS]) : cur.paws;
	for (i = 0; i < TM_NSTATES; i++)
		if (to[i + 1])
			cfg.timeout[i] = nla_get_u32(to[i + 1]);
	err = mos_net_set_limits(net, &cfg, mos_genl_host(skb), info->extack);
	if (!err && (lim[MOS_LIMIT_STALL_MS] || lim[MOS_LIMIT_UNPARSED]))
		err = mos_net_set_inline(net,
					 mos_genl_u32_or_none(lim[MOS_LIMIT_STALL_MS]),
					 lim[MOS_LIMIT_UNPARSED] ?
					 nla_get_u8(lim[MOS_LIMIT_UNPARSED]) :
					 -1,
					 mos_genl_host(skb), info->extack);
	if (!err && (lim[MOS_LIMIT_VERDICT_MS] ||
		     lim[MOS_LIMIT_VERDICT_POLICY] || lim[MOS_LIMIT_HELD_MAX]))
		err = mos_net_set_verdict(net,
					  mos_genl_u32_or_none(lim[MOS_LIMIT_VERDICT_MS]),
					  lim[MOS_LIMIT_VERDICT_POLICY] ?
					  nla_get_u8(lim[MOS_LIMIT_VERDICT_POLICY]) :
					  -1,
					  mos_genl_u32_or_none(lim[MOS_LIMIT_HELD_MAX]),
					  mos_genl_host(skb), info->extack);
	put_net(net);
	return err;
}

/* --- rules ----------------------------------------------------------- */

static int mos_genl_rule_add(struct sk_buff *skb, struct genl_info *info)
{
	const struct nlattr *bpf = info->attrs[MOS_A_RULE_BPF];
	struct sk_buff *msg;
	const char *expr = NULL;
	struct net *net;
	u32 prio = 0, id;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MOS_A_RULE_BPF) ||
	    GENL_REQ_ATTR_CHECK(info, MOS_A_RULE_ACTION))
		return -EINVAL;
	if (!nla_len(bpf) || nla_len(bpf) % sizeof(struct sock_filter)) {
		NL_SET_ERR_MSG_ATTR(info->extack, bpf,
				    "not a whole number of BPF instructions");
		return -EINVAL;
	}
	if (info->attrs[MOS_A_RULE_PRIO])
		prio = nla_get_u32(info->attrs[MOS_A_RULE_PRIO]);
	if (info->attrs[MOS_A_RULE_EXPR])
		expr = nla_data(info->attrs[MOS_A_RULE_EXPR]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net)) {
		nlmsg_free(msg);
		return PTR_ERR(net);
	}
	err = mos_rule_add(net, prio,
			   nla_get_u8(info->attrs[MOS_A_RULE_ACTION]),
			   nla_data(bpf),
			   nla_len(bpf) / sizeof(struct sock_filter), expr,
			   &id, mos_genl_host(skb), info->extack);
	put_net(net);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	hdr = genlmsg_put_reply(msg, info, &mos_genl_family, 0,
				MOS_CMD_RULE_ADD);
	if (!hdr || nla_put_u32(msg, MOS_A_RULE_ID, id)) {
		/* The rule exists: the caller lists rules to find it. */
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int mos_genl_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MOS_A_RULE_ID))
		return -EINVAL;
	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	err = mos_rule_del(net, nla_get_u32(info->attrs[MOS_A_RULE_ID]),
			   mos_genl_host(skb), info->extack);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MOS_A_RULE_ID],
				    "no such rule in this namespace");
	put_net(net);
	return err;
}

static int mos_genl_flow_reset(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MOS_A_FLOW_ID))
		return -EINVAL;
	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	err = mos_net_check_change(net, mos_genl_host(skb), info->extack);
	if (!err)
		err = mos_net_flow_reset(net,
					 nla_get_u64(info->attrs[MOS_A_FLOW_ID]),
					 NULL, info->extack);
	put_net(net);
	return err;
}

/* --- XDP-attached devices ------------------------------------------- */

static int mos_genl_link(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net;
	int ifindex, err;

	if (GENL_REQ_ATTR_CHECK(info, MOS_A_IFINDEX))
		return -EINVAL;
	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	ifindex = nla_get_u32(info->attrs[MOS_A_IFINDEX]);
	err = mos_net_check_change(net, mos_genl_host(skb), info->extack);
	if (!err && info->genlhdr->cmd == MOS_CMD_LINK_ADD)
		err = mos_xdp_link_add(net, ifindex, info->extack);
	else if (!err)
		err = mos_xdp_link_del(net, ifindex, info->extack);
	put_net(net);
	return err;
}

static int mos_genl_rule_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net;
	int err;

	net = mos_genl_target(skb, info->attrs, info->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	err = mos_rules_flush(net, mos_genl_host(skb), info->extack);
	put_net(net);
	return err;
}

/* --- dumps ----------------------------------------------------------- */

/*
 * cb->args of a dump: [0] the target namespace (referenced), [1] and [2]
 * the position: next rule index, or flow-table bucket and skip.
 */
static int mos_genl_dump_start(struct netlink_callback *cb)
{
	struct nlattr *attrs[MOS_A_MAX + 1];
	struct net *net;
	int err;

	/* Validated by the core already; parsed here the same on all kernels */
	err = nlmsg_parse(cb->nlh, GENL_HDRLEN, attrs, MOS_A_MAX,
			  mos_ns_policy, cb->extack);
	if (err)
		return err;
	net = mos_genl_target(cb->skb, attrs, cb->extack);
	if (IS_ERR(net))
		return PTR_ERR(net);
	cb->args[0] = (long)net;
	cb->args[1] = 0;
	cb->args[2] = 0;
	return 0;
}

static int mos_genl_dump_done(struct netlink_callback *cb)
{
	if (cb->args[0])
		put_net((struct net *)cb->args[0]);
	return 0;
}

static int mos_genl_put_rule(struct sk_buff *skb, struct netlink_callback *cb,
			     const struct mos_rule *r)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mos_genl_family, NLM_F_MULTI, MOS_CMD_RULE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MOS_A_RULE_ID, r->id) ||
	    nla_put_u32(skb, MOS_A_RULE_PRIO, r->prio) ||
	    nla_put_u8(skb, MOS_A_RULE_ACTION, r->action) ||
	    (r->expr && nla_put_string(skb, MOS_A_RULE_EXPR, r->expr)) ||
	    nla_put_u64_64bit(skb, MOS_A_RULE_HITS, atomic64_read(&r->hits),
			      MOS_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int mos_genl_rule_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mos_net *mn = mos_pernet((struct net *)cb->args[0]);
	struct mos_rules *rs;
	unsigned long i;
	int err = 0;

	rcu_read_lock();
	rs = rcu_dereference(mn->rules);
	for (i = cb->args[1]; rs && i < rs->n; i++) {
		err = mos_genl_put_rule(skb, cb, rs->r[i]);
		if (err)
			break;
	}
	rcu_read_unlock();
	/* Rules added or deleted between two parts may be missed. */
	cb->args[1] = i;
	if (err && !skb->len)
		return err;	/* one rule does not fit an empty message */
	return skb->len;
}

/* The room mos_genl_fill_flow() takes */
static size_t mos_genl_flow_size(void)
{
	return nla_total_size(0) +			/* the nest */
	       5 * nla_total_size_64bit(sizeof(u64)) +	/* id, bytes, ms */
	       5 * nla_total_size(sizeof(u8)) +		/* family...midstream */
	       2 * nla_total_size(sizeof(struct in6_addr)) +
	       2 * nla_total_size(sizeof(u16)) +	/* ports */
	       nla_total_size(sizeof(u32));		/* rule */
}

/**
 * mos_genl_fill_flow() - add a %MOS_A_FLOW nest
 * @msg: message being built
 * @f: the flow, locked
 * @now: current time, ns (ktime_get_coarse_ns())
 *
 * Return: 0 or -EMSGSIZE.
 */
static int mos_genl_fill_flow(struct sk_buff *msg, const struct tm_flow *f,
			      u64 now)
{
	int alen = f->family == 4 ? 4 : 16;
	u8 action = MOS_ACTION_MONITOR;
	struct nlattr *nest;

	if (f->flags & TM_FF_DROP)
		action = MOS_ACTION_DROP;
	else if (f->flags & TM_FF_QUIET)
		action = MOS_ACTION_IGNORE;
	nest = nla_nest_start(msg, MOS_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(msg, MOS_FLOW_A_ID, f->id, MOS_FLOW_A_PAD) ||
	    nla_put_u8(msg, MOS_FLOW_A_FAMILY, f->family) ||
	    nla_put(msg, MOS_FLOW_A_CLI_ADDR, alen, &f->addr[TM_CLI]) ||
	    nla_put(msg, MOS_FLOW_A_SVR_ADDR, alen, &f->addr[TM_SVR]) ||
	    nla_put_u16(msg, MOS_FLOW_A_CLI_PORT, ntohs(f->port[TM_CLI])) ||
	    nla_put_u16(msg, MOS_FLOW_A_SVR_PORT, ntohs(f->port[TM_SVR])) ||
	    nla_put_u8(msg, MOS_FLOW_A_CLI_STATE, f->half[TM_CLI].state) ||
	    nla_put_u8(msg, MOS_FLOW_A_SVR_STATE, f->half[TM_SVR].state) ||
	    nla_put_u64_64bit(msg, MOS_FLOW_A_BYTES_C2S,
			      f->half[TM_SVR].rcv_off, MOS_FLOW_A_PAD) ||
	    nla_put_u64_64bit(msg, MOS_FLOW_A_BYTES_S2C,
			      f->half[TM_CLI].rcv_off, MOS_FLOW_A_PAD) ||
	    nla_put_u64_64bit(msg, MOS_FLOW_A_AGE_MS,
			      div_u64(now - min(now, f->created), NSEC_PER_MSEC),
			      MOS_FLOW_A_PAD) ||
	    nla_put_u64_64bit(msg, MOS_FLOW_A_IDLE_MS,
			      div_u64(now - min(now, f->last), NSEC_PER_MSEC),
			      MOS_FLOW_A_PAD) ||
	    nla_put_u32(msg, MOS_FLOW_A_RULE_ID, f->rule) ||
	    nla_put_u8(msg, MOS_FLOW_A_ACTION, action) ||
	    nla_put_u8(msg, MOS_FLOW_A_MIDSTREAM,
		       !!(f->flags & TM_FF_MIDSTREAM))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

struct mos_flow_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	u64 now;
};

static int mos_genl_dump_one_flow(struct tm_flow *f, void *arg)
{
	struct mos_flow_dump *d = arg;
	void *hdr;

	if (f->flags & TM_FF_QUIET && !(f->flags & TM_FF_DROP))
		return 0;	/* ignored flows are not reported */
	hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &mos_genl_family, NLM_F_MULTI,
			  MOS_CMD_FLOW_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (mos_genl_fill_flow(d->skb, f, d->now)) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	return 0;
}

static int mos_genl_flow_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mos_net *mn = mos_pernet((struct net *)cb->args[0]);
	struct mos_flow_dump d = {
		.skb = skb,
		.cb = cb,
		.now = ktime_get_coarse_ns(),
	};
	u32 bucket = cb->args[1], skip = cb->args[2];
	struct tm_table *t;
	int err = 0;

	rcu_read_lock();
	t = rcu_dereference(mn->tm);
	if (t)
		err = mos_tm_walk(t, &bucket, &skip, mos_genl_dump_one_flow,
				  &d);
	rcu_read_unlock();
	cb->args[1] = bucket;
	cb->args[2] = skip;
	if (err && !skb->len)
		return err;	/* one flow does not fit an empty message */
	return skb->len;
}

/* The family is registered and not going: flows may be announced */
static bool mos_genl_up;

/* Build and multicast one flow announcement; under RCU */
static void mos_genl_flow_send(struct mos_net *mn, const struct tm_flow *f,
			       bool end)
{
	struct sk_buff *msg;
	void *hdr;
	int err;
	u64 seq;

	seq = atomic64_inc_return(&mn->ev_seq);
	msg = genlmsg_new(nla_total_size_64bit(sizeof(u64)) +
			  mos_genl_flow_size(),
			  GFP_NOWAIT | __GFP_NOWARN);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &mos_genl_family, 0,
			  end ? MOS_CMD_FLOW_END : MOS_CMD_FLOW_NEW);
	if (!hdr ||
	    nla_put_u64_64bit(msg, MOS_A_EVENT_SEQ, seq, MOS_A_PAD) ||
	    mos_genl_fill_flow(msg, f, ktime_get_coarse_ns())) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_multicast_netns(&mos_genl_family, mn->net, msg, 0,
				      MOS_GENL_MCGRP_FLOWS_ID,
				      GFP_NOWAIT | __GFP_NOWARN);
	/* -ESRCH: the listeners left meanwhile */
	if (err && err != -ESRCH)
		goto lost;
	return;
lost:
	mos_stat_inc(mn, MOS_STAT_ANNOUNCE_LOST);
}

/**
 * mos_genl_flow_event() - announce a flow's start or end to listeners
 * @mn: the flow's namespace
 * @f: the flow, locked
 * @end: false at its start, true at its end
 *
 * Nothing is built unless the "flows" group has listeners in the
 * namespace.  The message is allocated at its exact size, without
 * dipping into the atomic reserves (GFP_NOWAIT): one that cannot be
 * allocated or delivered to every listener is lost, counted in
 * %MOS_STAT_ANNOUNCE_LOST, and the gap in %MOS_A_EVENT_SEQ tells the
 * listeners.
 *
 * Context: any, the flow's lock held; does not sleep.
 */
void mos_genl_flow_event(struct mos_net *mn, const struct tm_flow *f,
			 bool end)
{
	rcu_read_lock();
	/* Not before the family is registered, nor once it is going */
	if (READ_ONCE(mos_genl_up) &&
	    genl_has_listeners(&mos_genl_family, mn->net,
			       MOS_GENL_MCGRP_FLOWS_ID))
		mos_genl_flow_send(mn, f, end);
	rcu_read_unlock();
}

/* --- the family ------------------------------------------------------ */

static const struct genl_ops mos_genl_ops[] = {
	{
		.cmd = MOS_CMD_NS_ENABLE,
		.doit = mos_genl_ns_enable,
		.policy = mos_enable_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_NS_DISABLE,
		.doit = mos_genl_ns_disable,
		.policy = mos_ns_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_NS_GET,
		.doit = mos_genl_ns_get,
		.policy = mos_ns_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_NS_SET,
		.doit = mos_genl_ns_set,
		.policy = mos_set_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_RULE_ADD,
		.doit = mos_genl_rule_add,
		.policy = mos_rule_add_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_RULE_DEL,
		.doit = mos_genl_rule_del,
		.policy = mos_rule_del_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_RULE_GET,
		.start = mos_genl_dump_start,
		.dumpit = mos_genl_rule_dump,
		.done = mos_genl_dump_done,
		.policy = mos_ns_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_RULE_FLUSH,
		.doit = mos_genl_rule_flush,
		.policy = mos_ns_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_FLOW_GET,
		.start = mos_genl_dump_start,
		.dumpit = mos_genl_flow_dump,
		.done = mos_genl_dump_done,
		.policy = mos_ns_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_FLOW_RESET,
		.doit = mos_genl_flow_reset,
		.policy = mos_flow_reset_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_LINK_ADD,
		.doit = mos_genl_link,
		.policy = mos_link_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_LINK_DEL,
		.doit = mos_genl_link,
		.policy = mos_link_policy,
		.maxattr = MOS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group mos_genl_mcgrps[] = {
	[MOS_GENL_MCGRP_FLOWS_ID] = {
		.name = MOS_GENL_MCGRP_FLOWS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family mos_genl_family __ro_after_init = {
	.name = MOS_GENL_NAME,
	.version = MOS_GENL_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = mos_genl_ops,
	.n_ops = ARRAY_SIZE(mos_genl_ops),
	.resv_start_op = MOS_CMD_FLOW_END + 1,
	.mcgrps = mos_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(mos_genl_mcgrps),
};

/**
 * mos_genl_init() - register the "mos" generic netlink family
 *
 * Context: module load.
 * Return: 0 or negative errno.
 */
int __init mos_genl_init(void)
{
	int err = genl_register_family(&mos_genl_family);

	if (!err)
		WRITE_ONCE(mos_genl_up, true);
	return err;
}

/**
 * mos_genl_exit() - unregister the family; waits for running commands
 *
 * Flow announcements stop first: the hooks and the expiry work of
 * monitored namespaces may still run, and announce under RCU
 * (mos_genl_flow_event()); once a grace period has passed, none is
 * multicasting, and none will, on the family.
 *
 * Context: module unload.
 */
void mos_genl_exit(void)
{
	WRITE_ONCE(mos_genl_up, false);
	synchronize_rcu();
	genl_unregister_family(&mos_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(MOS_GENL_NAME);
