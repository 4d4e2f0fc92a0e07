// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * dev.c - /dev/mos: open and version check
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "libmosuser.h"

int mos_dev__open(void)
{
	int fd = open("/dev/" MOS_DEV_NAME, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int mos_dev__version(int fd, struct mos_ioc_version *v)
{
	memset(v, 0, sizeof(*v));
	if (ioctl(fd, MOS_IOC_VERSION, v))
		return -errno;
	if (v->abi_major != MOS_ABI_MAJOR)
		return -EPROTO;
	return 0;
}
