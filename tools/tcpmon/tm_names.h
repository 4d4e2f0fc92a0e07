/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_names.h - the names of the tcpmon core's states, events and errors
 *
 * Userspace only (names.c): mosreplay, mosctl, the tests and the fuzzer
 * print them; mos.ko has no use for them.  Standalone, so that a tool
 * that does not link the core can use them.
 */
#ifndef _MOS_TM_NAMES_H
#define _MOS_TM_NAMES_H

const char *mos_tm_state_name(unsigned int state);
const char *mos_tm_event_name(unsigned int ev);
const char *mos_tm_err_name(unsigned int err);

#endif /* _MOS_TM_NAMES_H */
