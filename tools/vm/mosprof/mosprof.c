// SPDX-License-Identifier: GPL-2.0
/*
 * mosprof - a QEMU TCG plugin that counts the guest's executed
 * instructions per translation block, exactly, and snapshots the counts
 * each time the guest executes a marker address.
 *
 * Arguments (-plugin build/vm/mosprof.so,out=DIR,mark=0xADDR,...):
 *   out=DIR       where the snapshots go (required)
 *   mark=0xADDR   guest virtual address of the marker instruction: each
 *                 execution of it writes snapshot DIR/snap.N (N = 1, 2...)
 *   percpu=on|off per-vCPU totals (default on: one helper call per
 *                 executed block; off: inline counters only, the cpu
 *                 lines then read 0)
 *   idle=LO-HI    blocks starting in [LO, HI) are the guest's idle
 *                 spinner: counted apart in the per-vCPU idle totals
 * At exit the counts go to DIR/snap.final.
 *
 * Counting: every block gets an inline 64-bit add of its instruction
 * count to the counter of its start address; a block translated again
 * (after a flush, or shortened by icount) adds to the same counter.  The
 * add runs when the block starts, so a block left early by an exception
 * counts whole.
 *
 * Snapshot format (text, one record a line):
 *   mosprof 1
 *   snap N|final
 *   vcpus V
 *   host_ns NS             (the host's CLOCK_MONOTONIC: not deterministic)
 *   cpu I INSNS            (V lines: every instruction of vCPU I)
 *   idle I INSNS           (V lines: those of them in idle=LO-HI)
 *   tb VADDR BYTES INSNS   (hex address; only blocks that ran)
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qemu-plugin-abi.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct tb_count {
	uint64_t insns;		/* target of the inline add: first */
	uint64_t vaddr;
	uint32_t bytes;
};

/* Counters are allocated in chunks that never move: the translated code
 * holds their addresses.
 */
#define CHUNK	4096

struct chunk {
	struct chunk *next;
	unsigned int used;
	struct tb_count c[CHUNK];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *chunks;
static struct tb_count **slots;	/* open addressing by vaddr */
static size_t nslots, nused;
static uint64_t *cpu_insns, *idle_insns;
static uint64_t idle_lo, idle_hi;
static unsigned int nvcpus;
static uint64_t mark_addr;
static int have_mark, percpu = 1;
static const char *outdir;
static unsigned int nsnap;

static size_t hash(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return (size_t)v;
}

static void die(const char *what)
{
	char m[256];

	snprintf(m, sizeof(m), "mosprof: %s\n", what);
	qemu_plugin_outs(m);
	abort();
}

static void grow(void)
{
	size_t n = nslots ? nslots * 2 : 1 << 16, i, j;
	struct tb_count **s = calloc(n, sizeof(*s));

	if (!s)
		die("out of memory");
	for (i = 0; i < nslots; i++) {
		if (!slots[i])
			continue;
		for (j = hash(slots[i]->vaddr) & (n - 1); s[j]; j = (j + 1) & (n - 1))
			;
		s[j] = slots[i];
	}
	free(slots);
	slots = s;
	nslots = n;
}

static struct tb_count *lookup(uint64_t vaddr)
{
	struct tb_count *c;
	size_t i;

	if ((nused + 1) * 2 > nslots)
		grow();
	for (i = hash(vaddr) & (nslots - 1); slots[i]; i = (i + 1) & (nslots - 1))
		if (slots[i]->vaddr == vaddr)
			return slots[i];
	if (!chunks || chunks->used == CHUNK) {
		struct chunk *ch = calloc(1, sizeof(*ch));

		if (!ch)
			die("out of memory");
		ch->next = chunks;
		chunks = ch;
	}
	c = &chunks->c[chunks->used++];
	c->vaddr = vaddr;
	slots[i] = c;
	nused++;
	return c;
}

static void snapshot(const char *name)
{
	char path[4096], tmp[4200];
	struct chunk *ch;
	struct timespec ts;
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/snap.%s", outdir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(tmp, sizeof(tmp), "cannot write %s: %s", path, strerror(errno));
		die(tmp);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(f, "mosprof 1\nsnap %s\nvcpus %u\nhost_ns %lld\n", name, nvcpus,
		(long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	for (i = 0; i < nvcpus; i++)
		fprintf(f, "cpu %u %" PRIu64 "\n", i, cpu_insns[i]);
	for (i = 0; i < nvcpus; i++)
		fprintf(f, "idle %u %" PRIu64 "\n", i, idle_insns[i]);
	for (ch = chunks; ch; ch = ch->next)
		for (i = 0; i < ch->used; i++)
			if (ch->c[i].insns)
				fprintf(f, "tb %" PRIx64 " %u %" PRIu64 "\n",
					ch->c[i].vaddr, ch->c[i].bytes,
					ch->c[i].insns);
	if (fclose(f) || rename(tmp, path))
		die("cannot write a snapshot");
}

static void on_mark(unsigned int vcpu, void *udata)
{
	char name[16];

	(void)vcpu;
	(void)udata;
	pthread_mutex_lock(&lock);
	snprintf(name, sizeof(name), "%u", ++nsnap);
	snapshot(name);
	pthread_mutex_unlock(&lock);
}

static void on_tb_exec(unsigned int vcpu, void *udata)
{
	if (vcpu < nvcpus)
		cpu_insns[vcpu] += (uintptr_t)udata;
}

static void on_idle_exec(unsigned int vcpu, void *udata)
{
	if (vcpu < nvcpus) {
		cpu_insns[vcpu] += (uintptr_t)udata;
		idle_insns[vcpu] += (uintptr_t)udata;
	}
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	uint64_t start = qemu_plugin_tb_vaddr(tb), end = start;
	struct tb_count *c;

	(void)id;
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t a = qemu_plugin_insn_vaddr(insn);

		if (a + qemu_plugin_insn_size(insn) > end)
			end = a + qemu_plugin_insn_size(insn);
		if (have_mark && a == mark_addr)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
	pthread_mutex_lock(&lock);
	c = lookup(start);
	if (end - start > c->bytes)
		c->bytes = (uint32_t)(end - start);
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &c->insns, n);
	if (percpu)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, start >= idle_lo && start < idle_hi ?
						     on_idle_exec : on_tb_exec,
						     QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
}

static void on_qemu_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	pthread_mutex_lock(&lock);
	snapshot("final");
	pthread_mutex_unlock(&lock);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		char *end;

		if (!v)
			goto bad;
		v++;
		if (!strncmp(argv[i], "out=", 4)) {
			outdir = v;
		} else if (!strncmp(argv[i], "mark=", 5)) {
			errno = 0;
			mark_addr = strtoull(v, &end, 0);
			if (errno || end == v || *end)
				goto bad;
			have_mark = 1;
		} else if (!strncmp(argv[i], "idle=", 5)) {
			errno = 0;
			idle_lo = strtoull(v, &end, 0);
			if (errno || end == v || *end != '-')
				goto bad;
			v = end + 1;
			idle_hi = strtoull(v, &end, 0);
			if (errno || end == v || *end || idle_hi < idle_lo)
				goto bad;
		} else if (!strncmp(argv[i], "percpu=", 7)) {
			if (!strcmp(v, "on"))
				percpu = 1;
			else if (!strcmp(v, "off"))
				percpu = 0;
			else
				goto bad;
		} else {
			goto bad;
		}
	}
	if (!outdir) {
		qemu_plugin_outs("mosprof: out=DIR is required\n");
		return -1;
	}
	nvcpus = info->system_emulation ? (unsigned int)info->system.max_vcpus : 1;
	if (!nvcpus)
		nvcpus = 1;
	cpu_insns = calloc(nvcpus, sizeof(*cpu_insns));
	idle_insns = calloc(nvcpus, sizeof(*idle_insns));
	if (!cpu_insns || !idle_insns)
		return -1;
	grow();
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
bad:
	{
		char m[512];

		snprintf(m, sizeof(m), "mosprof: bad argument '%s' (out=DIR, mark=0xADDR, idle=LO-HI, percpu=on|off)\n",
			 argv[i]);
		qemu_plugin_outs(m);
	}
	return -1;
}
