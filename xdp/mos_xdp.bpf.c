// SPDX-License-Identifier: GPL-2.0
/*
 * mos_xdp.bpf.c - mos's XDP program: every frame to mos.ko's tracker
 *
 * One call of the kfunc mos_xdp_input() that mos.ko registers for XDP
 * programs (kmod/hooks/xdp.c), which returns the verdict.  mosctl link
 * attach sets mos_xdp_flags (&enum mos_xdp_flags) before loading the
 * program: MOS_XDP_F_INLINE applies the namespace's drops, without it
 * every frame passes; MOS_XDP_F_DECAP tracks the inner packets of
 * encapsulated frames; MOS_XDP_F_TRUST_CSUM verifies no TCP checksum;
 * MOS_XDP_F_TX tells the kfunc that XDP_TX is applied here, for the reset
 * a reset rule answers a packet with.  Documentation/xdp.rst.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int mos_xdp_input(struct xdp_md *ctx, __u32 flags) __ksym;

const volatile __u32 mos_xdp_flags = 0;

/*
 * "xdp.frags": loaded with BPF_F_XDP_HAS_FRAGS, so that a device whose MTU
 * is larger than a page (jumbo frames) can have it, and hands it frames
 * of several buffers, which mos_xdp_input() reads across their fragments.
 */
SEC("xdp.frags")
int mos_xdp(struct xdp_md *ctx)
{
	int v = mos_xdp_input(ctx, mos_xdp_flags);

	/* XDP_TX: the frame now holds a reset rule's answer */
	return v == XDP_DROP || v == XDP_TX ? v : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
