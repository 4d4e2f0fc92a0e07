/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks.h - the netfilter attachment of a namespace (nf.c) and the resets
 * mos sends (reset.c)
 */
#ifndef _MOS_HOOKS_H
#define _MOS_HOOKS_H

#include <linux/percpu.h>
#include <linux/types.h>

struct mos_consumer;
struct mos_held;
struct mos_net;
struct mos_pkt_prev;
struct net;
struct sk_buff;
struct tm_pend;
struct tm_pkt;
struct tm_reset;

/* Set while this CPU sends a reset of mos's own (reset.c) */
DECLARE_PER_CPU(bool, mos_own_xmit);

int mos_hooks_register(struct net *net);
void mos_nf_release(void *held, bool accept);
bool mos_nf_resume(struct mos_net *mn, void *held, const struct tm_pend *pd,
		   const struct mos_pkt_prev *pv);
void mos_nf_retrack(struct mos_net *mn, struct mos_consumer *c,
		    struct mos_held *e, void *held);
void mos_nf_free(void *held);
int mos_nf_tuple(void *held, struct tm_pkt *p);
int mos_nf_rewrite(void *held, u32 off, u32 len, const void *bytes,
		   u32 flags);
void mos_hooks_unregister(struct net *net);

bool mos_send_reset(struct mos_net *mn, struct sk_buff *skb,
		    unsigned int hook, u8 family);
void mos_reset_answer(struct mos_net *mn, const struct tm_pkt *p);
void mos_reset_flow(struct mos_net *mn, const struct tm_reset *r);
int mos_sendpkt(struct mos_net *mn, const struct mos_ioc_sendpkt *a);

#endif /* _MOS_HOOKS_H */
