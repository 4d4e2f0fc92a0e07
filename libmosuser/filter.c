// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * filter.c - monitor socket filters: pcap expressions compiled by libpcap
 * for raw IP (DLT_RAW: the hooks see packets from the IP header) and
 * handed to the kernel as classic BPF
 *
 * A monitor socket of one address family (mtcp_socket()) has a filter
 * even without an expression: four instructions that accept the
 * family's IP version only, put before the expression's program, whose
 * jumps are relative and so unchanged.  The expression is compiled alone:
 * its errors are libpcap's.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include "internal.h"

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
	return mu_sock_filter(ioc, ctx, sock, which, 0, expr, err, errlen);
}

/* The IP version check put before a family's filter */
#define IPVER_INSNS	4

/*
 * @prog (or, without one, accept all) after a check that the packet is of
 * IP version @ipver: a new program in @out, to free()
 */
static int ipver_prog(struct bpf_program *out, const struct bpf_program *prog,
		      int ipver)
{
	static const struct bpf_insn all = BPF_STMT(BPF_RET | BPF_K, 0x40000);
	const struct bpf_insn check[IPVER_INSNS] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ipver, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	unsigned int n = prog->bf_len ? prog->bf_len : 1;

	out->bf_insns = calloc(IPVER_INSNS + n, sizeof(*out->bf_insns));
	if (!out->bf_insns)
		return -ENOMEM;
	memcpy(out->bf_insns, check, sizeof(check));
	memcpy(out->bf_insns + IPVER_INSNS,
	       prog->bf_len ? prog->bf_insns : &all, n * sizeof(all));
	out->bf_len = IPVER_INSNS + n;
	return 0;
}

/*
 * mos_sock__filter_via() for a socket that wants IP version @ipver only
 * (4 or 6), or both (0)
 */
int mu_sock_filter(mos_ioctl_fn ioc, void *ctx, uint32_t sock,
		   unsigned int which, int ipver, const char *expr,
		   char *err, size_t errlen)
{
	struct mos_ioc_filter a = {
		.size = sizeof(a), .sock = sock, .which = which,
	};
	struct bpf_program prog = { 0 }, full = { 0 };
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
	if (ipver) {
		ret = ipver_prog(&full, &prog, ipver);
		if (ret)
			goto out;
		a.len = full.bf_len;
		a.insns = (uintptr_t)full.bf_insns;
	}
	ret = ioc(ctx, MOS_IOC_FILTER, &a);
out:
	if (ret && err && errlen)
		snprintf(err, errlen, "%s", strerror(-ret));
	free(full.bf_insns);
	if (p) {
		pcap_freecode(&prog);
		pcap_close(p);
	}
	return ret;
}
