// SPDX-License-Identifier: GPL-2.0
/*
 * dev_test.c - /dev/mos: version ioctl, bad ioctls, CAP_NET_ADMIN
 *
 * Runs in the test VM with mos.ko loaded.
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include "kselftest_harness.h"
#include "libmosuser.h"

TEST(version)
{
	struct mos_ioc_version v;
	int fd = mos_dev__open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mos_dev__version(fd, &v));
	EXPECT_EQ(MOS_ABI_MAJOR, v.abi_major);
	EXPECT_EQ(MOS_ABI_MINOR, v.abi_minor);
	EXPECT_EQ(MOS_GENL_VERSION, v.genl_version);
	EXPECT_EQ(0, v.reserved);
	close(fd);
}

TEST(bad_ioctls)
{
	int fd = mos_dev__open();

	ASSERT_LE(0, fd);
	/* unknown command */
	EXPECT_EQ(-1, ioctl(fd, _IO(MOS_IOC_TYPE, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	/* right number, wrong size or direction */
	EXPECT_EQ(-1, ioctl(fd, _IOR(MOS_IOC_TYPE, 0x00, __u32), NULL));
	EXPECT_EQ(ENOTTY, errno);
	/* bad user pointers */
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, MOS_IOC_VERSION, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

TEST(needs_cap_net_admin)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2];
		int fd;

		if (syscall(SYS_capget, &h, d))
			_exit(10);
		d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
		if (syscall(SYS_capset, &h, d))
			_exit(11);
		fd = mos_dev__open();
		_exit(fd == -EPERM ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
