/* SPDX-License-Identifier: GPL-2.0 */
/*
 * link_bpf.h - mosctl's libbpf side (link_bpf.c), for link.c
 */
#ifndef MOSCTL_LINK_BPF_H
#define MOSCTL_LINK_BPF_H

#include <stdbool.h>

/* mos's XDP program, loaded (opaque) */
struct link_bpf;

/**
 * struct link_prog - the XDP program attached to a device
 * @id: its id; 0: none
 * @mode: XDP_ATTACHED_DRV, XDP_ATTACHED_SKB, ...
 * @mos: it is mos's program
 * @flags_known: @flags was read from mos's program
 * @flags: &enum mos_xdp_flags mos's program was loaded with
 */
struct link_prog {
	unsigned int id;
	unsigned int mode;
	bool mos;
	bool flags_known;
	unsigned int flags;
};

int link_bpf_load(unsigned int flags, struct link_bpf **lb);
void link_bpf_free(struct link_bpf *lb);
int link_bpf_attach(struct link_bpf *lb, unsigned int ifindex, bool generic);
int link_bpf_detach(unsigned int ifindex, const struct link_prog *lp);
int link_bpf_query(unsigned int ifindex, struct link_prog *lp);
const char *link_bpf_mode_name(unsigned int mode);

#endif /* MOSCTL_LINK_BPF_H */
