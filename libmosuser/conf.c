// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * conf.c - the mOS API's configuration: mtcp_init() reads the
 * configuration file's keys that apply (num_cores, max_concurrency,
 * rcvbuf, pcap_file, pcap_iface, pcap_count, pcap_checksum,
 * ring_wakeup_ms, tcp_tw_interval and tcp_timeout in
 * seconds: dispatch.c), mtcp_getconf() and mtcp_setconf();
 * and the process-wide calls: mtcp_core_affinitize(),
 * mtcp_register_signal()
 */

#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "internal.h"

struct mtcp_conf mu_conf = {
	.num_cores = MTCP_DEF_CORES,
	.max_concurrency = MTCP_DEF_CONCURRENCY,
	.rcvbuf_size = MTCP_DEF_RCVBUF,
};
bool mu_init_done;
/* Offline: the capture, and its checksum mode (the configuration file's) */
char mu_pcap_file[4096];
char mu_pcap_csum[16];
/* Live: the interface, and the packets to read (0: no end) */
char mu_pcap_iface[64];
static char pcap_count[32];
int mu_ring_wakeup_ms;
/* ring_wakeup_ms as the configuration file has it, checked by mtcp_init() */
static long ring_wakeup_conf;
/*
 * mtcp_errmsg(NULL): why the last mtcp_init() failed, or the last capture
 * that broke off in a context's loop (whichever thread ran it)
 */
static char init_msg[PCAP_ERRBUF_SIZE + 4096 + 64];
static pthread_mutex_t init_msg_lock = PTHREAD_MUTEX_INITIALIZER;

static void __attribute__((format(printf, 1, 2))) set_msg(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&init_msg_lock);
	va_start(ap, fmt);
	vsnprintf(init_msg, sizeof(init_msg), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&init_msg_lock);
}

static int conf_line(char *line)
{
	char key[64], str[4096];
	long v;

	/*
	 * pcap_file = PATH, pcap_iface = NAME, pcap_count = N,
	 * pcap_checksum = MODE: the rest of the line
	 */
	if (sscanf(line, " %63[A-Za-z_] = %4095[^\r\n]", key, str) == 2 &&
	    (!strcmp(key, "pcap_file") || !strcmp(key, "pcap_checksum") ||
	     !strcmp(key, "pcap_iface") || !strcmp(key, "pcap_count"))) {
		size_t n = strlen(str);

		while (n && (str[n - 1] == ' ' || str[n - 1] == '\t'))
			str[--n] = '\0';
		if (!strcmp(key, "pcap_file"))
			snprintf(mu_pcap_file, sizeof(mu_pcap_file), "%s", str);
		else if (!strcmp(key, "pcap_iface"))
			snprintf(mu_pcap_iface, sizeof(mu_pcap_iface), "%s",
				 str);
		else if (!strcmp(key, "pcap_count"))
			snprintf(pcap_count, sizeof(pcap_count), "%s", str);
		else
			snprintf(mu_pcap_csum, sizeof(mu_pcap_csum), "%s", str);
		return 0;
	}
	if (sscanf(line, " %63[A-Za-z_] = %ld", key, &v) != 2)
		return 0;	/* comments, sections, other keys: not ours */
	if (!strcmp(key, "num_cores"))
		mu_conf.num_cores = v;
	else if (!strcmp(key, "max_concurrency"))
		mu_conf.max_concurrency = v;
	else if (!strcmp(key, "rcvbuf") || !strcmp(key, "rmem_size"))
		mu_conf.rcvbuf_size = v;
	else if (!strcmp(key, "tcp_tw_interval"))
		mu_conf.tcp_timewait = v;
	else if (!strcmp(key, "tcp_timeout"))
		mu_conf.tcp_timeout = v;
	else if (!strcmp(key, "ring_wakeup_ms"))
		ring_wakeup_conf = v;
	return 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * Where the contexts' packets come from: a capture file (MOS_PCAP or
 * pcap_file), an interface (MOS_PCAP_IFACE or pcap_iface) with a packet
 * count (MOS_PCAP_COUNT or pcap_count), or neither (/dev/mos).  The
 * environment wins over the configuration file; a file and an interface
 * from the same place, or a count that is not a number, are EINVAL.
 */
int mu_pcap_source(struct mu_pcap_src *src)
{
	const char *file = env("MOS_PCAP"), *iface = env("MOS_PCAP_IFACE");
	const char *count = env("MOS_PCAP_COUNT");
	unsigned long long n = 0;
	char *end;

	memset(src, 0, sizeof(*src));
	if (file && iface) {
		set_msg("MOS_PCAP and MOS_PCAP_IFACE are both set: one source of packets");
		return fail(EINVAL);
	}
	if (!file && !iface) {
		if (mu_pcap_file[0] && mu_pcap_iface[0]) {
			set_msg("pcap_file and pcap_iface are both set: one source of packets");
			return fail(EINVAL);
		}
		file = mu_pcap_file[0] ? mu_pcap_file : NULL;
		iface = mu_pcap_iface[0] ? mu_pcap_iface : NULL;
	}
	if (!count && pcap_count[0])
		count = pcap_count;
	if (count) {
		errno = 0;
		n = strtoull(count, &end, 10);
		if (errno || *end || *count == '-' || end == count) {
			set_msg("packet count \"%s\" is not a number", count);
			return fail(EINVAL);
		}
	}
	src->file = file;
	src->iface = iface;
	src->count = n;
	return 0;
}

/*
 * Offline: libpcap reads the whole capture, so that a file it cannot
 * read (not a capture, a truncated header, a pcapng block it refuses, a
 * record cut short) fails here, with its words, rather than ending the
 * replay early.  Standard input cannot be read twice: it is not checked.
 */
static int check_capture(void)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct mu_pcap_src src;
	struct pcap_pkthdr *h;
	const u_char *data;
	const char *path;
	pcap_t *pc;
	int r;

	if (mu_pcap_source(&src))
		return -1;
	path = src.file;
	/* An interface is opened by each context */
	if (!path || !strcmp(path, "-"))
		return 0;
	pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		size_t n = strlen(path);
		const char *msg = errbuf;

		/* libpcap often starts with the path already */
		if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
			msg += n + 2;
		set_msg("%s: %s", path, msg);
		/* The file's own error (ENOENT...), or not a capture */
		return fail(access(path, R_OK) ? errno : EINVAL);
	}
	while ((r = pcap_next_ex(pc, &h, &data)) == 1)
		;
	if (r != PCAP_ERROR_BREAK)
		set_msg("%s: %s", path, pcap_geterr(pc));
	pcap_close(pc);
	return r == PCAP_ERROR_BREAK ? 0 : fail(EIO);
}

/*
 * How long records may wait in a ring: MOS_RING_WAKEUP_MS wins over the
 * configuration file's ring_wakeup_ms; 0 to MU_RING_WAKEUP_MAX_MS
 */
static int ring_wakeup(void)
{
	const char *v = env("MOS_RING_WAKEUP_MS");
	long n = ring_wakeup_conf;
	char *end;

	mu_ring_wakeup_ms = 0;
	if (v) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || end == v)
			n = -1;
	}
	if (n < 0 || n > MU_RING_WAKEUP_MAX_MS) {
		if (v)
			set_msg("MOS_RING_WAKEUP_MS \"%s\": milliseconds from 0 to %d",
				v, MU_RING_WAKEUP_MAX_MS);
		else
			set_msg("ring_wakeup_ms %ld: milliseconds from 0 to %d",
				n, MU_RING_WAKEUP_MAX_MS);
		return fail(EINVAL);
	}
	mu_ring_wakeup_ms = (int)n;
	return 0;
}

int mtcp_init(const char *config_file)
{
	char line[512];
	FILE *f;

	set_msg("%s", "");
	if (config_file) {
		f = fopen(config_file, "r");
		if (!f) {
			int err = errno;

			set_msg("%s: %s", config_file, strerror(err));
			return fail(err);
		}
		while (fgets(line, sizeof(line), f))
			conf_line(line);
		fclose(f);
	}
	if (mu_conf.num_cores < 1 || mu_conf.max_concurrency < 1 ||
	    mu_conf.rcvbuf_size < 0)
		return fail(EINVAL);
	if (ring_wakeup() || check_capture())
		return -1;
	mu_init_done = true;
	return 0;
}

const char *mu_last_errmsg(void)
{
	return init_msg[0] ? init_msg : mos_offline__error(NULL);
}

void mu_offline_failed(struct mtcp_ctx *c, int err)
{
	snprintf(c->errmsg, sizeof(c->errmsg), "%s",
		 mos_offline__error(c->off));
	set_msg("%s", c->errmsg);
	errno = -err;
}

int mtcp_destroy(void)
{
	if (mu_ctx_destroy_all())
		return -1;
	mu_init_done = false;
	return 0;
}

int mtcp_getconf(struct mtcp_conf *conf)
{
	if (!conf)
		return fail(EINVAL);
	*conf = mu_conf;
	return 0;
}

int mtcp_setconf(const struct mtcp_conf *conf)
{
	if (!conf || conf->num_cores < 1 || conf->max_concurrency < 1 ||
	    conf->rcvbuf_size < 0)
		return fail(EINVAL);
	mu_conf.num_cores = conf->num_cores;
	mu_conf.max_concurrency = conf->max_concurrency;
	mu_conf.rcvbuf_size = conf->rcvbuf_size;
	mu_conf.tcp_timewait = conf->tcp_timewait;
	mu_conf.tcp_timeout = conf->tcp_timeout;
	return 0;
}

/* The calling thread to @cpu; as mOS, a cpu from 0 to GetNumCPUs() - 1 */
int mtcp_core_affinitize(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0 || cpu >= GetNumCPUs() || cpu >= CPU_SETSIZE)
		return fail(EINVAL);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : 0;
}

/*
 * @handler for @signum (sigaction(), no flags), for every thread: mOS's
 * own SIGINT handler, which stops the contexts unless the application
 * registered one, is not installed; an application's handler runs as in
 * mOS, and may call mtcp_destroy_context() on every context.
 */
mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler)
{
	struct sigaction sa = { .sa_handler = handler }, old;

	sigemptyset(&sa.sa_mask);
	if (sigaction(signum, &sa, &old))
		return SIG_ERR;
	return old.sa_handler;
}
