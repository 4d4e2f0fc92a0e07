// SPDX-License-Identifier: GPL-2.0
/*
 * prof-spin - keeps a profiled guest's CPU from idling
 *
 * build/vm/prof-mark runs one per vCPU under SCHED_IDLE while a phase runs.
 * An idle vCPU under -icount sleep=off jumps to its next timer at once,
 * so that a wait for the host (a 9p request) would run as many timers as
 * the host takes time; spinning, the guest's clock advances by the
 * instructions spun, a few microseconds per request.  The loop's address
 * is fixed (linked at 0x5f0000000000, no libc) so that its instructions
 * can be told apart and left out (the plugin's idle=LO-HI,
 * tools/vm/prof-report).
 */
void _start(void);

void _start(void)
{
	for (;;)
		__asm__ volatile("nop");
}
