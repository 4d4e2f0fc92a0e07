// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpu.c - GetNumCPUs(), the helper of mOS's libmtcp that its applications
 * size their contexts with (one per core: mtcp_create_context())
 */

#include <unistd.h>
#include "internal.h"

/* The CPUs online now, as mOS counts them (sysconf(), -1 if unknown) */
int GetNumCPUs(void)
{
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}
