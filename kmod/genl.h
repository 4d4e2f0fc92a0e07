/* SPDX-License-Identifier: GPL-2.0 */
/*
 * genl.h - the generic netlink family "mos" (genl.c)
 */
#ifndef _MOS_GENL_H
#define _MOS_GENL_H

#include <linux/types.h>

struct mos_net;
struct tm_flow;

int mos_genl_init(void);
void mos_genl_exit(void);
void mos_genl_flow_event(struct mos_net *mn, const struct tm_flow *f,
			 bool end);

#endif /* _MOS_GENL_H */
