// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - mos.ko: TCP flow monitoring for middleboxes, from netfilter
 *
 * DOC: Theory of Operation
 *
 * The module is the flow cache of the tracker (tcpmon/flow.c) and three
 * registrations, made in this order and undone in exactly the reverse
 * order:
 *
 * 0. the flow cache;
 * 1. per network namespace state (netns.c), which owns the netfilter
 *    hooks of each monitored namespace;
 * 2. the generic netlink family "mos" (genl.c), the control plane;
 * 3. the /dev/mos misc device (chardev.c), event delivery.
 *
 * Nothing is hooked at load time unless the enable_init_net parameter asks
 * for it: a namespace is monitored once enabled over generic netlink.
 */

#include <linux/module.h>
#include <linux/mm.h>
#include "chardev.h"
#include "deliver.h"	/* struct mos_flow_dev */
#include "genl.h"
#include "main.h"
#include "netns.h"
#include "hooks/xdp.h"

static unsigned long mem_limit;

/* A write takes effect at once: the core holds the limit it checks. */
static int mos_mem_limit_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_ulong(val, kp);

	if (!err)
		mos_tm_set_mem_limit(mem_limit);
	return err;
}

static const struct kernel_param_ops mos_mem_limit_ops = {
	.set = mos_mem_limit_set,
	.get = param_get_ulong,
};

module_param_cb(mem_limit, &mos_mem_limit_ops, &mem_limit, 0644);
MODULE_PARM_DESC(mem_limit,
		 "Bytes of flows and out-of-order data of all namespaces together at most (default 0: a quarter of RAM)");

static int __init mos_init(void)
{
	int err;

	if (!mem_limit)
		mem_limit = totalram_pages() * PAGE_SIZE / 4;
	mos_tm_set_mem_limit(mem_limit);
	err = mos_tm_init(sizeof(struct mos_flow_dev));
	if (err)
		goto err_tm;
	err = mos_net_init();
	if (err)
		goto err_net;
	err = mos_genl_init();
	if (err)
		goto err_genl;
	err = mos_dev_init();
	if (err)
		goto err_dev;
	/* Cannot fail; the kfunc stays registered until the module goes */
	mos_xdp_init();
	pr_info("mos " MOS_VERSION " loaded\n");
	return 0;

err_dev:
	mos_genl_exit();
err_genl:
	mos_net_exit();
err_net:
	mos_tm_exit();
err_tm:
	return err;
}

/*
 * The family goes before the namespaces' hooks, which may still announce
 * flows: mos_genl_exit() stops the announcements, waits for those under
 * way, then unregisters it.
 */
static void __exit mos_exit(void)
{
	mos_dev_exit();
	mos_genl_exit();
	mos_net_exit();
	mos_tm_exit();
}

module_init(mos_init);
module_exit(mos_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mos: middlebox TCP flow monitoring with userspace event delivery");
MODULE_VERSION(MOS_VERSION);
