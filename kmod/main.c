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
#include "genl.h"
#include "main.h"
#include "netns.h"

static unsigned long mem_limit;
module_param(mem_limit, ulong, 0644);
MODULE_PARM_DESC(mem_limit,
		 "Bytes of flows and out-of-order data of all namespaces together at most (default 0: a quarter of RAM)");

static atomic_long_t mos_mem_used = ATOMIC_LONG_INIT(0);

/**
 * mos_mem_charge() - count memory against the limit of all namespaces
 * @bytes: a flow or an out-of-order piece about to be allocated
 *
 * Every namespace has its own limits (flows, buffered bytes); this one
 * bounds their sum, so that many namespaces cannot take the host's memory
 * between them.  The memory is also charged to the memory cgroup of
 * whoever enabled monitoring (netns.c), which may refuse it earlier.
 *
 * Context: any; lock-free.
 * Return: false, with nothing counted, if the limit would be passed.
 */
bool mos_mem_charge(unsigned long bytes)
{
	unsigned long max = READ_ONCE(mem_limit);

	if (atomic_long_add_return(bytes, &mos_mem_used) > max) {
		atomic_long_sub(bytes, &mos_mem_used);
		return false;
	}
	return true;
}

/**
 * mos_mem_uncharge() - give back what mos_mem_charge() counted
 * @bytes: the same size
 *
 * Context: any.
 */
void mos_mem_uncharge(unsigned long bytes)
{
	atomic_long_sub(bytes, &mos_mem_used);
}

static int __init mos_init(void)
{
	int err;

	if (!mem_limit)
		mem_limit = totalram_pages() * PAGE_SIZE / 4;
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

static void __exit mos_exit(void)
{
	mos_dev_exit();
	mos_genl_exit();
	mos_net_exit();
	mos_tm_exit();
	WARN_ON(atomic_long_read(&mos_mem_used));
}

module_init(mos_init);
module_exit(mos_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mos: middlebox TCP flow monitoring with userspace event delivery");
MODULE_VERSION(MOS_VERSION);
