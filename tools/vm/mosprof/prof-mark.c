// SPDX-License-Identifier: GPL-2.0
/*
 * prof-mark - the guest's side of a profiler phase mark (tools/vm/prof)
 *
 * prof-mark DIR NAME: appends NAME to DIR/phases, copies /proc/modules to
 * DIR/modules.N (N: the line's number, so that a module unloaded before
 * the end of the run is still attributed), then calls ustat(2), whose
 * kernel entry is the address the mosprof plugin snapshots its counters
 * at.  Nothing else calls ustat: glibc has not wrapped it since 2.28.
 * The order makes snapshot N the one taken at the mark of line N.
 *
 * Before the mark it sleeps to the next multiple of 20 ms of
 * CLOCK_MONOTONIC: under -icount the guest's clock is its instruction
 * count, and its start no longer depends on how long the host took to
 * answer the guest's earlier 9p requests, so every phase starts at the
 * same point of the timer tick.  The kernel aligns its tick to multiples
 * of the tick period; 20 ms is a multiple of the period at HZ 100, 250
 * (Debian's kernels: 4 ms, which 10 ms is not) and 1000.
 *
 * While a phase runs, DIR/bin/prof-spin spins on every CPU under
 * SCHED_IDLE (started by the first mark, stopped by "end"): the CPUs never
 * idle, so that a wait for the host (a 9p request) advances the guest's
 * clock by the instructions spun rather than to its next timer.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ALIGN_NS 20000000LL

static int copy(const char *from, const char *to)
{
	char buf[65536];
	int in, out, rc = 0;
	ssize_t n;

	in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	close(in);
	if (close(out))
		rc = -1;
	return rc;
}

static void spin_start(const char *dir)
{
	char pids[4096], prog[4096];
	long c, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f;

	snprintf(pids, sizeof(pids), "%s/spin.pids", dir);
	if (access(pids, F_OK) == 0)
		return;
	snprintf(prog, sizeof(prog), "%s/bin/prof-spin", dir);
	f = fopen(pids, "w");
	if (!f) {
		perror(pids);
		return;
	}
	for (c = 0; c < ncpu && c < CPU_SETSIZE; c++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct sched_param sp = { 0 };
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(c, &set);
			if (sched_setaffinity(0, sizeof(set), &set) ||
			    sched_setscheduler(0, SCHED_IDLE, &sp))
				_exit(127);
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			fprintf(f, "%d\n", (int)pid);
	}
	fclose(f);
}

static void spin_stop(const char *dir)
{
	char pids[4096];
	FILE *f;
	int pid;

	snprintf(pids, sizeof(pids), "%s/spin.pids", dir);
	f = fopen(pids, "r");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 1)
			kill(pid, SIGKILL);
	fclose(f);
	unlink(pids);
}

int main(int argc, char **argv)
{
	int end;

	char path[4096], line[256];
	struct timespec ts;
	unsigned int n = 0;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: prof-mark DIR NAME\n");
		return 2;
	}
	end = !strcmp(argv[2], "end");
	if (!end)
		spin_start(argv[1]);
	snprintf(path, sizeof(path), "%s/phases", argv[1]);
	f = fopen(path, "a+");
	if (!f) {
		perror(path);
		return 1;
	}
	rewind(f);
	while (fgets(line, sizeof(line), f))
		n++;
	fprintf(f, "%s\n", argv[2]);
	if (fclose(f)) {
		perror(path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/modules.%u", argv[1], n + 1);
	if (copy("/proc/modules", path))
		perror(path);
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
		long long ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;

		ns = (ns / ALIGN_NS + 1) * ALIGN_NS;
		ts.tv_sec = ns / 1000000000LL;
		ts.tv_nsec = ns % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
			;
	}
	/* The mark: dev 0 does not exist, the call fails with EINVAL */
	syscall(SYS_ustat, 0, NULL);
	if (end)
		spin_stop(argv[1]);
	return 0;
}
