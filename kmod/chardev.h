/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chardev.h - the /dev/mos misc device and its consumers' records
 * (chardev.c)
 */
#ifndef _MOS_CHARDEV_H
#define _MOS_CHARDEV_H

#include <linux/types.h>
#include "tcpmon/tcpmon.h"

struct mos_net;

/**
 * struct mos_flow_dev - what a flow means to the /dev/mos consumers (the
 * tracker's per-flow private area)
 * @want: consumers, by &mos_consumer.slot bit, that get the records about
 *	each side: events about it, the bytes it receives
 * @opened: consumers that got %MOS_REC_FLOW_OPEN and are owed the close
 *
 * Written with the flow locked; @want also read without the lock.
 */
struct mos_flow_dev {
	u64 want[2];
	u64 opened;
};

int mos_dev_init(void);
void mos_dev_exit(void);

void mos_dev_flow(struct mos_net *mn, struct tm_flow *f,
		  const struct tm_src *src);
void mos_dev_raw(struct mos_net *mn, const struct tm_src *src);
bool mos_dev_reserve(struct mos_net *mn, struct tm_flow *f, int side,
		     const struct tm_src *src, const struct tm_pkt *p);
void mos_dev_unhold(struct mos_net *mn);
void mos_dev_event(struct mos_net *mn, const struct tm_flow *f,
		   const struct tm_ev *ev, const struct tm_src *src,
		   const struct tm_pkt *p);
void mos_dev_data(struct mos_net *mn, const struct tm_flow *f, int side,
		  u64 off, tm_copy_t copy, const void *src,
		  unsigned int off_in_src, unsigned int len);

#endif /* _MOS_CHARDEV_H */
