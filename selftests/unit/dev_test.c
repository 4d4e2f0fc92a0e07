// SPDX-License-Identifier: GPL-2.0
/*
 * dev_test.c - /dev/mos: version ioctl, bad ioctls, CAP_NET_ADMIN,
 * verdicts refused
 *
 * Runs in the test VM with mos.ko loaded.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

/* A ring of 64 KiB on @fd, with @flags */
static int ring_setup(int fd, __u32 flags)
{
	struct mos_ioc_ring r = {
		.size = sizeof(r), .flags = flags, .data_size = 1 << 16,
	};

	return ioctl(fd, MOS_IOC_RING_SETUP, &r);
}

/* MOS_IOC_VERDICT with @n verdicts: -1 and errno, or 0 */
static int verdicts(int fd, struct mos_verdict *v, __u32 n)
{
	struct mos_ioc_verdict a = {
		.size = sizeof(a), .n = n, .vec = (uintptr_t)v,
	};

	return ioctl(fd, MOS_IOC_VERDICT, &a);
}

/*
 * Verdicts on no held packet: a token of another consumer's slot, one
 * never given out, a bad verdict or reserved field are EINVAL each (the
 * ioctl too, after trying every one); without MOS_RING_F_VERDICT the
 * ioctl is EOPNOTSUPP; a batch over MOS_VERDICT_BATCH is EINVAL.
 */
TEST(verdict_refused)
{
	static struct mos_verdict v[MOS_CONSUMERS_MAX + 3];
	int fd = mos_dev__open(), plain = mos_dev__open();
	unsigned int i;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, plain);
	ASSERT_EQ(0, ring_setup(fd, MOS_RING_F_VERDICT));
	ASSERT_EQ(0, ring_setup(plain, 0));
	memset(v, 0, sizeof(v));
	/* Sequence 1 of every slot: others' tokens, or not given out yet */
	for (i = 0; i < MOS_CONSUMERS_MAX; i++) {
		v[i].token = ((__u64)(i + 1) << 48) | 1;
		v[i].verdict = MOS_VERDICT_ACCEPT;
	}
	v[i].token = 0;
	v[i++].verdict = MOS_VERDICT_DROP;
	v[i].token = 1ULL << 48 | 1;
	v[i++].verdict = 7;
	v[i].token = 1ULL << 48 | 1;
	v[i].verdict = MOS_VERDICT_ACCEPT;
	v[i++].reserved = 1;
	EXPECT_EQ(-1, verdicts(fd, v, i));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < MOS_CONSUMERS_MAX + 3; i++)
		EXPECT_EQ(-EINVAL, v[i].res);
	EXPECT_EQ(0, verdicts(fd, v, 0));
	EXPECT_EQ(-1, verdicts(fd, v, MOS_VERDICT_BATCH + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, verdicts(plain, v, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* An unknown ring flag is still refused */
	close(plain);
	plain = mos_dev__open();
	ASSERT_LE(0, plain);
	EXPECT_EQ(-1, ring_setup(plain, 0x80));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(plain);
	close(fd);
}

TEST_HARNESS_MAIN
