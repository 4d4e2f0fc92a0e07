/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pkt.h - the packet path of a namespace, whatever delivers the packets
 * (pkt.c)
 */
#ifndef _MOS_PKT_H
#define _MOS_PKT_H

#include <linux/types.h>
#include "tcpmon/tcpmon.h"

struct bpf_prog;
struct mos_consumer;
struct mos_held;
struct mos_net;
struct mos_pkt_prev;
struct net;
struct netlink_ext_ack;

/**
 * struct mos_pkt - one packet, as its attachment (the hooks) hands it over
 * @src: its bytes, from the IP header on, and how to read them; the
 *	tracker and the consumers' filters get a pointer to this member
 * @family: 4 or 6
 * @gso: a GSO aggregate (several segments' worth, %TM_PARSE_F_GSO)
 * @host_drops: the host drops it itself after the hook (a forwarded
 *	packet whose TTL runs out, ...): it is counted, never tracked
 * @csum_bad: whether the TCP checksum is wrong; the TCP header is at
 *	@l4off from the IP header
 * @filter: run a classic BPF program on the packet; its return value
 * @local: optional: for a SYN, which of its ends are this namespace's own
 *	(%TM_IN_SRC_LOCAL, %TM_IN_DST_LOCAL); @p holds its parsed headers
 * @hold: takes the packet for a verdict (verdict.c): the attachment's
 *	entry with its references, or NULL; NULL where packets cannot be held
 *
 * Filled by the attachment on its stack for one call of mos_pkt_input();
 * the callbacks get the descriptor back, and may find their own wider
 * structure around it with container_of().
 */
struct mos_pkt {
	struct tm_src src;
	u8 family;
	bool gso;
	bool host_drops;
	bool (*csum_bad)(const struct mos_pkt *pkt, unsigned int l4off);
	u32 (*filter)(const struct mos_pkt *pkt, struct bpf_prog *prog);
	unsigned int (*local)(const struct mos_pkt *pkt, const struct tm_pkt *p);
	void *(*hold)(const struct mos_pkt *pkt);
};

enum tm_verdict mos_pkt_input(struct mos_net *mn, const struct mos_pkt *pkt,
			      struct tm_pkt *p, bool *held,
			      enum tm_parse_res *parsed);
bool mos_pkt_resume(struct mos_net *mn, const struct mos_pkt *pkt,
		    const struct tm_pend *pd, const struct mos_pkt_prev *pv);
enum tm_verdict mos_pkt_retrack(struct mos_net *mn, struct mos_consumer *c,
				struct mos_held *e, const struct mos_pkt *pkt,
				struct tm_pkt *p);
bool mos_pkt_filter(const struct tm_src *src, struct bpf_prog *prog);

int mos_net_flow_reset(struct net *net, u64 id, const struct tm_key *k,
		       struct netlink_ext_ack *extack);

#endif /* _MOS_PKT_H */
