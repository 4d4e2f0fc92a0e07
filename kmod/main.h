/* SPDX-License-Identifier: GPL-2.0 */
/*
 * main.h - mos.ko as a whole (main.c)
 */
#ifndef _MOS_MAIN_H
#define _MOS_MAIN_H

#define MOS_VERSION	"0.1"

#endif /* _MOS_MAIN_H */
