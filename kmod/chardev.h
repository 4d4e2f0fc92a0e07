/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chardev.h - the /dev/mos misc device and its consumers' records
 * (chardev.c)
 */
#ifndef _MOS_CHARDEV_H
#define _MOS_CHARDEV_H

struct mos_net;

int mos_dev_init(void);
void mos_dev_exit(void);
void mos_dev_heard(struct mos_net *mn);

#endif /* _MOS_CHARDEV_H */
