// SPDX-License-Identifier: GPL-2.0
/*
 * chardev.c - the /dev/mos misc device
 *
 * DOC: Theory of Operation
 *
 * Each open of /dev/mos will be one consumer with its own ring (event
 * delivery).  For now the device answers %MOS_IOC_VERSION so userspace can
 * check the ABI it talks to.
 *
 * Security: opening needs CAP_NET_ADMIN over the opener's network
 * namespace, the one the file will monitor; the file keeps a reference on
 * that namespace.  Unknown ioctls fail with -ENOTTY.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/uaccess.h>
#include "mos.h"

static int mos_dev_open(struct inode *inode, struct file *file)
{
	struct net *net = current->nsproxy->net_ns;

	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	file->private_data = get_net(net);
	return 0;
}

static int mos_dev_release(struct inode *inode, struct file *file)
{
	put_net(file->private_data);
	return 0;
}

static long mos_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MOS_IOC_VERSION: {
		struct mos_ioc_version v = {
			.abi_major = MOS_ABI_MAJOR,
			.abi_minor = MOS_ABI_MINOR,
			.genl_version = MOS_GENL_VERSION,
		};

		return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mos_dev_fops = {
	.owner = THIS_MODULE,
	.open = mos_dev_open,
	.release = mos_dev_release,
	.unlocked_ioctl = mos_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mos_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = MOS_DEV_NAME,
	.fops = &mos_dev_fops,
	.mode = 0600,
};

/**
 * mos_dev_init() - register /dev/mos
 *
 * Context: module load.
 * Return: 0 or negative errno.
 */
int __init mos_dev_init(void)
{
	return misc_register(&mos_miscdev);
}

/**
 * mos_dev_exit() - unregister /dev/mos
 *
 * Open files pin the module (fops owner), so none is left at unload.
 *
 * Context: module unload.
 */
void mos_dev_exit(void)
{
	misc_deregister(&mos_miscdev);
}
