// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * filter.c - monitor socket filters: pcap expressions compiled by libpcap
 * for raw IP (DLT_RAW: the hooks see packets from the IP header) and
 * handed to the kernel as classic BPF
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include "libmosuser.h"

static int fd_ioctl(void *ctx, unsigned long cmd, void *arg)
{
	return ioctl(*(int *)ctx, cmd, arg) ? -errno : 0;
}

int mos_sock__filter(int fd, uint32_t sock, unsigned int which,
		     const char *expr, char *err, size_t errlen)
{
	return mos_sock__filter_via(fd_ioctl, &fd, sock, which, expr, err,
				    errlen);
}

int mos_sock__filter_via(mos_ioctl_fn ioc, void *ctx, uint32_t sock,
			 unsigned int which, const char *expr, char *err,
			 size_t errlen)
{
	struct mos_ioc_filter a = {
		.size = sizeof(a), .sock = sock, .which = which,
	};
	struct bpf_program prog = { 0 };
	pcap_t *p = NULL;
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (expr && *expr) {
		p = pcap_open_dead(DLT_RAW, 65535);
		if (!p)
			return -ENOMEM;
		if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
			if (err && errlen)
				snprintf(err, errlen, "%s", pcap_geterr(p));
			pcap_close(p);
			return -EINVAL;
		}
		/* struct bpf_insn and struct sock_filter are the same */
		_Static_assert(sizeof(struct bpf_insn) ==
			       sizeof(struct sock_filter), "classic BPF");
		a.len = prog.bf_len;
		a.insns = (uintptr_t)prog.bf_insns;
	}
	ret = ioc(ctx, MOS_IOC_FILTER, &a);
	if (ret && err && errlen)
		snprintf(err, errlen, "%s", strerror(-ret));
	if (p) {
		pcap_freecode(&prog);
		pcap_close(p);
	}
	return ret;
}
