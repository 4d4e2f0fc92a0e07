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
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
	char path[4096], line[256];
	unsigned int n = 0;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: prof-mark DIR NAME\n");
		return 2;
	}
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
	/* The mark: dev 0 does not exist, the call fails with EINVAL */
	syscall(SYS_ustat, 0, NULL);
	return 0;
}
