/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpu.h - mOS's CPU utilities (mOS applications include "cpu.h" from
 * mOS's util/include)
 */
#ifndef _MOS_CPU_H
#define _MOS_CPU_H

#ifdef __cplusplus
extern "C" {
#endif

/* The CPUs online, as mOS's (sysconf(_SC_NPROCESSORS_ONLN)) */
int GetNumCPUs(void);

/* Pin the calling thread to @cpu: 0, or -1 with errno set */
int CoreAffinitize(int cpu);

#ifdef __cplusplus
}
#endif

#endif /* _MOS_CPU_H */
