// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * conf.c - the mOS API's configuration: mtcp_init() reads the
 * configuration file's keys that apply (num_cores, max_concurrency,
 * rcvbuf, pcap_file, pcap_checksum), mtcp_getconf() and mtcp_setconf();
 * and the process-wide calls: mtcp_core_affinitize(),
 * mtcp_register_signal()
 */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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

static int conf_line(char *line)
{
	char key[64], str[4096];
	long v;

	/* pcap_file = PATH, pcap_checksum = MODE: the rest of the line */
	if (sscanf(line, " %63[A-Za-z_] = %4095[^\r\n]", key, str) == 2 &&
	    (!strcmp(key, "pcap_file") || !strcmp(key, "pcap_checksum"))) {
		size_t n = strlen(str);

		while (n && (str[n - 1] == ' ' || str[n - 1] == '\t'))
			str[--n] = '\0';
		if (!strcmp(key, "pcap_file"))
			snprintf(mu_pcap_file, sizeof(mu_pcap_file), "%s", str);
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
	else if (!strcmp(key, "rcvbuf"))
		mu_conf.rcvbuf_size = v;
	return 0;
}

int mtcp_init(const char *config_file)
{
	char line[512];
	FILE *f;

	if (config_file) {
		f = fopen(config_file, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			conf_line(line);
		fclose(f);
	}
	if (mu_conf.num_cores < 1 || mu_conf.max_concurrency < 1 ||
	    mu_conf.rcvbuf_size < 0)
		return fail(EINVAL);
	mu_init_done = true;
	return 0;
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
