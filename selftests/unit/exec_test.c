// SPDX-License-Identifier: GPL-2.0
/*
 * exec_test.c - mOS's execution model and the address family of monitor
 * sockets, offline (MOS_PCAP), on the host
 *
 * The capture is lib/exec_pcaps.py's mixed.pcap: eight IPv4 and eight
 * IPv6 connections, listed in mixed.conns.  What each test expects comes
 * from that list, not from the library:
 *
 * - split: two contexts (num_cores 2) joined one after the other; each
 *   flow reaches exactly one of them, on that context's own thread,
 *   pinned to its cpu; together they are the flows of one context alone,
 *   which are the capture's; context 0's first callback waits until
 *   context 1 has run one, so the contexts must run at once;
 * - a context for a cpu the machine does not have runs, unpinned;
 * - mtcp_destroy_context() from another thread and from a SIGINT handler
 *   while the application is in mtcp_app_join(): the joins return, the
 *   contexts stopped in the callback they were in; mtcp_close() and
 *   mtcp_destroy_context() after the join work, a second destroy is
 *   harmless, and after mtcp_destroy() the handle is unknown (EINVAL);
 * - AF_INET, AF_INET6 and AF_UNSPEC sockets on one context: the IPv4,
 *   IPv6 and all flows; with a SYN filter, the family's flows that it
 *   takes; a bad expression's message is libpcap's own; getpeername()'s
 *   sockaddr_in and sockaddr_in6, its EINVAL, EBADF and ENOTCONN;
 * - GetNumCPUs() is the count of /sys/devices/system/cpu/online, and
 *   mtcp_core_affinitize() takes the cpus below it.
 */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include "kselftest_harness.h"
#include "mos_api.h"

int GetNumCPUs(void);	/* mOS's mtcp_util.h */

#define NCONN		16
#define NCTX		8
#define NAME_LEN	112

/* --- the capture --------------------------------------------------------- */

static char g_dir[PATH_MAX];
static char g_pcap[PATH_MAX + 16];
static char g_names[NCONN][NAME_LEN];	/* "CIP:CPORT>SIP:SPORT", mixed.conns */
static int g_nconn;

/* This program's checkout: build/selftests/NAME's ../.. */
static int proj_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	int i;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (i = 0; i < 3; i++) {
		char *s = strrchr(buf, '/');

		if (!s)
			return -1;
		*s = '\0';
	}
	return 0;
}

/* A python3 with scapy, or NULL */
static const char *scapy_python(void)
{
	static const char *const py[] = { "python3", "/usr/bin/python3" };
	char cmd[128];
	size_t i;

	for (i = 0; i < sizeof(py) / sizeof(py[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s -c 'import scapy.all' 2>/dev/null",
			 py[i]);
		if (!system(cmd))
			return py[i];
	}
	return NULL;
}

/* Write the capture and read its connections: 0, or 4 (no scapy), or -1 */
static int make_capture(void)
{
	char proj[PATH_MAX], cmd[3 * PATH_MAX], line[256];
	const char *py = scapy_python();
	FILE *f;

	if (!py)
		return 4;
	if (proj_dir(proj, sizeof(proj)))
		return -1;
	snprintf(g_dir, sizeof(g_dir), "/tmp/exec_test.XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s %s/selftests/lib/exec_pcaps.py %s", py,
		 proj, g_dir);
	if (system(cmd))
		return -1;
	snprintf(g_pcap, sizeof(g_pcap), "%s/mixed.pcap", g_dir);
	snprintf(cmd, sizeof(cmd), "%s/mixed.conns", g_dir);
	f = fopen(cmd, "r");
	if (!f)
		return -1;
	g_nconn = 0;
	while (fgets(line, sizeof(line), f)) {
		char cip[48], sip[48];
		int k, cp, sp;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%d %47s %d %47s %d", &k, cip, &cp, sip, &sp) != 5 ||
		    k != g_nconn || k >= NCONN)
			break;
		snprintf(g_names[g_nconn++], NAME_LEN, "%s:%d>%s:%d", cip, cp,
			 sip, sp);
	}
	fclose(f);
	return g_nconn == NCONN ? 0 : -1;
}

static void remove_capture(void)
{
	char cmd[PATH_MAX + 16];

	if (g_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
		if (system(cmd))
			fprintf(stderr, "# could not remove %s\n", g_dir);
	}
}

static bool is_v6(int k)
{
	return !strchr(g_names[k], '.');
}

/* --- what the callbacks saw ---------------------------------------------- */

/* Per context (its cpu), or per socket family in the family test */
struct seen {
	int n;
	char names[NCONN * 2][NAME_LEN];
	pthread_t thread;
	int bad_thread, bad_cpu, bad_name;
};

static struct seen g_seen[NCTX];
static pthread_t g_main;
static cpu_set_t g_allowed;	/* the cpus the contexts can be pinned to */
static mctx_t g_ctx[NCTX];
static int g_sock[NCTX];
static volatile int g_started[NCTX];
/* split: context 0 waits in its first callback for context 1 */
static int g_wait_for_1;
static volatile int g_waited_ok;
/* destroy: the first callback waits until the context is destroyed */
static volatile int g_hold, g_holding, g_destroyed;
/* the SIGINT handler: how many times it ran, and that it did */
static volatile int g_sigs, g_sig_done;

static int k_of(const char *name)
{
	int k;

	for (k = 0; k < g_nconn; k++)
		if (!strcmp(g_names[k], name))
			return k;
	return -1;
}

/* The flow's name from mtcp_getpeername(), as mixed.conns writes it */
static int flow_name(mctx_t m, int sock, char *buf, size_t len)
{
	union {
		struct sockaddr_in in[2];
		struct sockaddr_in6 in6[2];
	} a;
	socklen_t alen = sizeof(a);
	char c[48], s[48];

	if (mtcp_getpeername(m, sock, (struct sockaddr *)&a, &alen,
			     MOS_SIDE_BOTH))
		return -1;
	if (alen == 2 * sizeof(struct sockaddr_in) &&
	    a.in[0].sin_family == AF_INET) {
		inet_ntop(AF_INET, &a.in[0].sin_addr, c, sizeof(c));
		inet_ntop(AF_INET, &a.in[1].sin_addr, s, sizeof(s));
		snprintf(buf, len, "%s:%d>%s:%d", c, ntohs(a.in[0].sin_port), s,
			 ntohs(a.in[1].sin_port));
		return 0;
	}
	if (alen == 2 * sizeof(struct sockaddr_in6) &&
	    a.in6[0].sin6_family == AF_INET6) {
		inet_ntop(AF_INET6, &a.in6[0].sin6_addr, c, sizeof(c));
		inet_ntop(AF_INET6, &a.in6[1].sin6_addr, s, sizeof(s));
		snprintf(buf, len, "%s:%d>%s:%d", c, ntohs(a.in6[0].sin6_port),
			 s, ntohs(a.in6[1].sin6_port));
		return 0;
	}
	return -1;
}

/* Wait up to 10 s for *@flag */
static int wait_for(volatile int *flag)
{
	int i;

	for (i = 0; i < 10000 && !*flag; i++)
		usleep(1000);
	return *flag ? 0 : -1;
}

static void record(struct seen *s, mctx_t m, int sock)
{
	char name[NAME_LEN];
	cpu_set_t mine;

	if (!s->n)
		s->thread = pthread_self();
	else if (!pthread_equal(s->thread, pthread_self()))
		s->bad_thread++;
	if (pthread_equal(g_main, pthread_self()))
		s->bad_thread++;
	/* Pinned: allowed on its cpu alone, if the process may use it */
	if (CPU_ISSET(m->cpu, &g_allowed) &&
	    (sched_getaffinity(0, sizeof(mine), &mine) ||
	     CPU_COUNT(&mine) != 1 || !CPU_ISSET(m->cpu, &mine) ||
	     sched_getcpu() != m->cpu))
		s->bad_cpu++;
	if (flow_name(m, sock, name, sizeof(name)) || k_of(name) < 0)
		s->bad_name++;
	if (s->n < NCONN * 2)
		snprintf(s->names[s->n++], NAME_LEN, "%s", name);
}

static void on_start(mctx_t m, int sock, int side, event_t ev,
		     filter_arg_t *arg)
{
	(void)side;
	(void)ev;
	(void)arg;
	record(&g_seen[m->cpu], m, sock);
	g_started[m->cpu] = 1;
	if (g_wait_for_1 && m->cpu == 0 && g_seen[0].n == 1)
		g_waited_ok = !wait_for(&g_started[1]);
	if (g_hold && g_seen[m->cpu].n == 1) {
		__atomic_add_fetch(&g_holding, 1, __ATOMIC_SEQ_CST);
		wait_for(&g_destroyed);
	}
}

/* A fresh library with @cores contexts on the capture, one socket each */
static int contexts(int cores, int family)
{
	struct mtcp_conf conf;
	int i;

	memset(g_seen, 0, sizeof(g_seen));
	memset((void *)g_started, 0, sizeof(g_started));
	g_main = pthread_self();
	if (sched_getaffinity(0, sizeof(g_allowed), &g_allowed))
		return -1;
	if (setenv("MOS_PCAP", g_pcap, 1) || mtcp_init(NULL) ||
	    mtcp_getconf(&conf))
		return -1;
	conf.num_cores = cores;
	if (mtcp_setconf(&conf))
		return -1;
	for (i = 0; i < cores; i++) {
		g_ctx[i] = mtcp_create_context(i);
		if (!g_ctx[i])
			return -1;
		g_sock[i] = mtcp_socket(g_ctx[i], family,
					MOS_SOCK_MONITOR_STREAM, 0);
		if (g_sock[i] < 0 ||
		    mtcp_register_callback(g_ctx[i], g_sock[i],
					   MOS_ON_CONN_START, MOS_HK_SND,
					   on_start))
			return -1;
	}
	return 0;
}

/* How many times @name is in @s */
static int count(const struct seen *s, const char *name)
{
	int i, n = 0;

	for (i = 0; i < s->n; i++)
		n += !strcmp(s->names[i], name);
	return n;
}

#define CAPTURE()							\
	do {								\
		int _r = make_capture();				\
									\
		if (_r == 4)						\
			SKIP(return, "python3 with scapy not found");	\
		ASSERT_EQ(0, _r);					\
	} while (0)

/* --- the tests ----------------------------------------------------------- */

TEST(split_between_two_contexts)
{
	int k, i, in0 = 0, in1 = 0;

	CAPTURE();
	/* One context: every flow once */
	ASSERT_EQ(0, contexts(1, AF_UNSPEC));
	mtcp_app_join(g_ctx[0]);
	EXPECT_EQ(NCONN, g_seen[0].n);
	for (k = 0; k < NCONN; k++)
		EXPECT_EQ(1, count(&g_seen[0], g_names[k]));
	EXPECT_EQ(0, g_seen[0].bad_thread + g_seen[0].bad_name);
	ASSERT_EQ(0, mtcp_destroy());

	/* Two, joined in turn: context 1 runs while the app waits for 0 */
	g_wait_for_1 = 1;
	ASSERT_EQ(0, contexts(2, AF_UNSPEC));
	for (i = 0; i < 2; i++)
		mtcp_app_join(g_ctx[i]);
	g_wait_for_1 = 0;
	EXPECT_EQ(1, g_waited_ok);
	for (k = 0; k < NCONN; k++) {
		int a = count(&g_seen[0], g_names[k]);
		int b = count(&g_seen[1], g_names[k]);

		EXPECT_EQ(1, a + b) {
			TH_LOG("%s: %d in context 0, %d in 1", g_names[k], a, b);
		}
		in0 += a;
		in1 += b;
	}
	EXPECT_EQ(NCONN, g_seen[0].n + g_seen[1].n);
	EXPECT_LT(0, in0);
	EXPECT_LT(0, in1);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, g_seen[i].bad_thread);
		EXPECT_EQ(0, g_seen[i].bad_cpu);
		EXPECT_EQ(0, g_seen[i].bad_name);
		/* after the join: close, destroy, and a second destroy */
		EXPECT_EQ(0, mtcp_close(g_ctx[i], g_sock[i]));
		EXPECT_EQ(0, mtcp_destroy_context(g_ctx[i]));
		EXPECT_EQ(0, mtcp_destroy_context(g_ctx[i]));
	}
	EXPECT_FALSE(pthread_equal(g_seen[0].thread, g_seen[1].thread));
	ASSERT_EQ(0, mtcp_destroy());
	errno = 0;
	EXPECT_EQ(-1, mtcp_destroy_context(g_ctx[0]));
	EXPECT_EQ(EINVAL, errno);
	remove_capture();
}

TEST(cpu_that_does_not_exist)
{
	int n = GetNumCPUs(), k, total = 0, i;

	CAPTURE();
	ASSERT_LT(0, n);
	if (n >= NCTX)
		SKIP(return, "%d cpus: no context beyond them", n);
	ASSERT_EQ(0, contexts(n + 1, AF_UNSPEC));
	for (i = 0; i <= n; i++)
		mtcp_app_join(g_ctx[i]);
	for (k = 0; k < NCONN; k++) {
		int c = 0;

		for (i = 0; i <= n; i++)
			c += count(&g_seen[i], g_names[k]);
		EXPECT_EQ(1, c);
		total += c;
	}
	EXPECT_EQ(NCONN, total);
	/* The last context's cpu does not exist: it ran, not pinned there */
	EXPECT_EQ(0, g_seen[n].bad_thread + g_seen[n].bad_name);
	ASSERT_EQ(0, mtcp_destroy());
	remove_capture();
}

struct destroyer {
	int n;
	int sig;	/* 0: mtcp_destroy_context() itself; else a signal */
};

static void *destroy_thread(void *arg)
{
	struct destroyer *d = arg;
	int i;

	/* Every context is inside its first callback */
	for (i = 0; i < 10000 && g_holding < d->n; i++)
		usleep(1000);
	if (d->sig) {
		pthread_kill(g_main, d->sig);
		wait_for(&g_sig_done);
	} else {
		for (i = 0; i < d->n; i++)
			mtcp_destroy_context(g_ctx[i]);
	}
	/* The contexts go on from their callbacks only once destroyed */
	usleep(1000);
	g_destroyed = 1;
	return NULL;
}

static void on_sigint(int sig)
{
	int i;

	(void)sig;
	g_sigs++;
	for (i = 0; i < 2; i++)
		mtcp_destroy_context(g_ctx[i]);
	g_sig_done = 1;
}

/* Destroyed while joined: by @sig's handler (on the main thread), or 0 */
static void destroy_while_joined(struct __test_metadata *_metadata, int sig)
{
	struct destroyer d = { .n = 2, .sig = sig };
	pthread_t t;
	int i;

	g_hold = 1;
	g_holding = 0;
	g_destroyed = 0;
	g_sigs = 0;
	g_sig_done = 0;
	ASSERT_EQ(0, contexts(2, AF_UNSPEC));
	if (sig)
		ASSERT_NE(SIG_ERR, mtcp_register_signal(sig, on_sigint));
	ASSERT_EQ(0, pthread_create(&t, NULL, destroy_thread, &d));
	for (i = 0; i < 2; i++)
		mtcp_app_join(g_ctx[i]);
	pthread_join(t, NULL);
	g_hold = 0;
	/* Each stopped in its first callback: the rest of its flows unseen */
	EXPECT_EQ(2, g_holding);
	EXPECT_EQ(1, g_seen[0].n);
	EXPECT_EQ(1, g_seen[1].n);
	if (sig)
		EXPECT_EQ(1, g_sigs);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, mtcp_close(g_ctx[i], g_sock[i]));
		EXPECT_EQ(0, mtcp_destroy_context(g_ctx[i]));
	}
	ASSERT_EQ(0, mtcp_destroy());
	errno = 0;
	EXPECT_EQ(-1, mtcp_destroy_context(g_ctx[1]));
	EXPECT_EQ(EINVAL, errno);
}

TEST(destroy_from_another_thread)
{
	CAPTURE();
	destroy_while_joined(_metadata, 0);
	remove_capture();
}

TEST(destroy_from_sigint_handler)
{
	CAPTURE();
	destroy_while_joined(_metadata, SIGINT);
	remove_capture();
}

/* The family test: a callback per socket, g_seen[0..2] */
static void on_v4(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)side, (void)ev, (void)a;
	record(&g_seen[0], m, sock);
}

static void on_v6(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	struct sockaddr_in6 one;
	struct sockaddr_in four;
	socklen_t len = sizeof(four);

	(void)side, (void)ev, (void)a;
	record(&g_seen[1], m, sock);
	/* An IPv6 flow's address does not fit a struct sockaddr_in */
	if (mtcp_getpeername(m, sock, (struct sockaddr *)&four, &len,
			     MOS_SIDE_CLI) != -1 || errno != EINVAL)
		g_seen[1].bad_name++;
	len = sizeof(one);
	if (mtcp_getpeername(m, sock, (struct sockaddr *)&one, &len,
			     MOS_SIDE_SVR) || len != sizeof(one) ||
	    one.sin6_family != AF_INET6 || ntohs(one.sin6_port) != 9000)
		g_seen[1].bad_name++;
}

static void on_all(mctx_t m, int sock, int side, event_t ev, filter_arg_t *a)
{
	(void)side, (void)ev, (void)a;
	record(&g_seen[2], m, sock);
}

TEST(socket_families)
{
	static const int fam[3] = { AF_INET, AF_INET6, AF_UNSPEC };
	static const callback_t cb[3] = { on_v4, on_v6, on_all };
	union monitor_filter odd4 = { .stream_syn_filter = "src port 43001 or src port 43008" };
	union monitor_filter odd6 = { .stream_syn_filter = "src port 43001 or src port 43008" };
	union monitor_filter bad = { .stream_syn_filter = "src port" };
	char want_msg[PCAP_ERRBUF_SIZE + 64];
	struct bpf_program prog;
	struct mtcp_conf conf;
	int s[5], k, i;
	pcap_t *p;
	mctx_t m;

	CAPTURE();
	memset(g_seen, 0, sizeof(g_seen));
	g_main = pthread_self();
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(g_allowed), &g_allowed));
	ASSERT_EQ(0, setenv("MOS_PCAP", g_pcap, 1));
	ASSERT_EQ(0, mtcp_init(NULL));
	ASSERT_EQ(0, mtcp_getconf(&conf));
	conf.num_cores = 1;
	ASSERT_EQ(0, mtcp_setconf(&conf));
	m = mtcp_create_context(0);
	ASSERT_NE(NULL, m);
	errno = 0;
	EXPECT_EQ(-1, mtcp_socket(m, AF_PACKET, MOS_SOCK_MONITOR_STREAM, 0));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < 3; i++) {
		s[i] = mtcp_socket(m, fam[i], MOS_SOCK_MONITOR_STREAM, 0);
		ASSERT_LE(0, s[i]);
		ASSERT_EQ(0, mtcp_register_callback(m, s[i], MOS_ON_CONN_START,
						    MOS_HK_SND, cb[i]));
	}
	/* A family and a SYN filter: the family's flows the filter takes */
	s[3] = mtcp_socket(m, AF_INET, MOS_SOCK_MONITOR_STREAM, 0);
	s[4] = mtcp_socket(m, AF_INET6, MOS_SOCK_MONITOR_STREAM, 0);
	ASSERT_LE(0, s[3]);
	ASSERT_LE(0, s[4]);
	ASSERT_EQ(0, mtcp_bind_monitor_filter(m, s[3], &odd4));
	ASSERT_EQ(0, mtcp_bind_monitor_filter(m, s[4], &odd6));
	/* A bad expression: libpcap's own message */
	p = pcap_open_dead(DLT_RAW, 65535);
	ASSERT_NE(NULL, p);
	ASSERT_NE(0, pcap_compile(p, &prog, bad.stream_syn_filter, 1,
				  PCAP_NETMASK_UNKNOWN));
	snprintf(want_msg, sizeof(want_msg), "%s", pcap_geterr(p));
	pcap_close(p);
	errno = 0;
	EXPECT_EQ(-1, mtcp_bind_monitor_filter(m, s[3], &bad));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_STREQ(want_msg, mtcp_errmsg(m));
	/* ... and the socket's filter is still the one it had */
	ASSERT_EQ(0, mtcp_register_callback(m, s[3], MOS_ON_CONN_START,
					    MOS_HK_SND, on_v4));
	ASSERT_EQ(0, mtcp_register_callback(m, s[4], MOS_ON_CONN_START,
					    MOS_HK_SND, on_v6));
	mtcp_app_join(m);
	/* Out of the callbacks: no flow, no such socket */
	{
		struct sockaddr_in a;
		socklen_t len = sizeof(a);

		errno = 0;
		EXPECT_EQ(-1, mtcp_getpeername(m, -1, (struct sockaddr *)&a,
					       &len, MOS_SIDE_CLI));
		EXPECT_EQ(EBADF, errno);
		errno = 0;
		EXPECT_EQ(-1, mtcp_getpeername(m, 0, (struct sockaddr *)&a,
					       &len, MOS_SIDE_CLI));
		EXPECT_EQ(ENOTCONN, errno);
	}
	for (k = 0; k < NCONN; k++) {
		bool six = is_v6(k);

		/* 43001 (k 1, IPv4) and 43008 (k 8, IPv6): twice, through
		 * s[3] or s[4] too */
		EXPECT_EQ(six ? 0 : 1 + (k == 1), count(&g_seen[0], g_names[k])) {
			TH_LOG("AF_INET socket, %s", g_names[k]);
		}
		EXPECT_EQ(six ? 1 + (k == 8) : 0, count(&g_seen[1], g_names[k])) {
			TH_LOG("AF_INET6 socket, %s", g_names[k]);
		}
		EXPECT_EQ(1, count(&g_seen[2], g_names[k])) {
			TH_LOG("AF_UNSPEC socket, %s", g_names[k]);
		}
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, g_seen[i].bad_thread + g_seen[i].bad_name);
	ASSERT_EQ(0, mtcp_destroy());
	remove_capture();
}

TEST(cpus)
{
	char buf[256], *p;
	int n = 0, a, b;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	/* "0-3,5,7-8" */
	for (p = strtok(buf, ",\n"); p; p = strtok(NULL, ",\n")) {
		if (sscanf(p, "%d-%d", &a, &b) == 2)
			n += b - a + 1;
		else
			n++;
	}
	EXPECT_EQ(n, GetNumCPUs());
	EXPECT_EQ(0, mtcp_core_affinitize(0));
	EXPECT_EQ(0, sched_getcpu());
	errno = 0;
	EXPECT_EQ(-1, mtcp_core_affinitize(n));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, mtcp_core_affinitize(-1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
