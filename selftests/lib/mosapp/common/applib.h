/* SPDX-License-Identifier: GPL-2.0 */
/*
 * applib.h - what the mOS-style test application shares with its
 * siblings, in common/ as mOS's samples have it
 */
#ifndef _APPLIB_H
#define _APPLIB_H

#include <stdint.h>

/* The name of an mOS event bit, "?" for others */
const char *ev_name(uint64_t ev);

#endif /* _APPLIB_H */
