// SPDX-License-Identifier: GPL-2.0
/*
 * genl.c - the generic netlink family "mos"
 *
 * DOC: Theory of Operation
 *
 * The control plane.  Each command acts on the network namespace of the
 * sending socket (the family is netnsok), so a namespace sees and changes
 * only its own state.  No command takes attributes yet: with no policy,
 * the core rejects any attribute in a request.  Errors carry an
 * extended-ack message.
 *
 * Permissions: enabling and disabling need CAP_NET_ADMIN in the initial
 * user namespace (GENL_ADMIN_PERM), so that an unprivileged user who
 * creates a user and a network namespace can neither attach hooks nor
 * turn off monitoring an administrator turned on; reading state needs
 * CAP_NET_ADMIN over the namespace (GENL_UNS_ADMIN_PERM).
 *
 * Locking: the handlers call into netns.c, which takes the namespace's
 * mutex.  The socket holds a reference on the namespace while a command
 * runs.
 */

#include <linux/module.h>
#include <net/genetlink.h>
#include "mos.h"

static struct genl_family mos_genl_family;

static int mos_genl_ns_enable(struct sk_buff *skb, struct genl_info *info)
{
	int err = mos_net_enable(genl_info_net(info));

	if (err == -EEXIST)
		NL_SET_ERR_MSG(info->extack,
			       "monitoring is already enabled in this namespace");
	else if (err)
		NL_SET_ERR_MSG(info->extack,
			       "cannot register the netfilter hooks");
	return err;
}

static int mos_genl_ns_disable(struct sk_buff *skb, struct genl_info *info)
{
	int err = mos_net_disable(genl_info_net(info));

	if (err == -ENOENT)
		NL_SET_ERR_MSG(info->extack,
			       "monitoring is not enabled in this namespace");
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

static int mos_genl_ns_get(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mos_genl_family, 0,
				MOS_CMD_NS_GET);
	if (!hdr)
		goto nospace;
	if (nla_put_u8(msg, MOS_A_NS_ENABLED, mos_net_enabled(net)) ||
	    nla_put_string(msg, MOS_A_MOD_VERSION, MOS_VERSION) ||
	    mos_genl_put_stats(msg, net))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops mos_genl_ops[] = {
	{
		.cmd = MOS_CMD_NS_ENABLE,
		.doit = mos_genl_ns_enable,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_NS_DISABLE,
		.doit = mos_genl_ns_disable,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOS_CMD_NS_GET,
		.doit = mos_genl_ns_get,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family mos_genl_family __ro_after_init = {
	.name = MOS_GENL_NAME,
	.version = MOS_GENL_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = mos_genl_ops,
	.n_ops = ARRAY_SIZE(mos_genl_ops),
};

/**
 * mos_genl_init() - register the "mos" generic netlink family
 *
 * Context: module load.
 * Return: 0 or negative errno.
 */
int __init mos_genl_init(void)
{
	return genl_register_family(&mos_genl_family);
}

/**
 * mos_genl_exit() - unregister the family; waits for running commands
 *
 * Context: module unload.
 */
void mos_genl_exit(void)
{
	genl_unregister_family(&mos_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(MOS_GENL_NAME);
