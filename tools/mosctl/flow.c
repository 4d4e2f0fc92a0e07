// SPDX-License-Identifier: GPL-2.0
/*
 * flow.c - flows (a dump of the tracked flows) and monitor (their
 * announcements on the "flows" multicast group)
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netlink/genl/ctrl.h>
#include "mosctl.h"

static struct nla_policy top_policy[MOS_A_MAX + 1] = {
	[MOS_A_FLOW] = { .type = NLA_NESTED },
	[MOS_A_EVENT_SEQ] = { .type = NLA_U64 },
};

static struct nla_policy flow_policy[MOS_FLOW_A_MAX + 1] = {
	[MOS_FLOW_A_ID] = { .type = NLA_U64 },
	[MOS_FLOW_A_FAMILY] = { .type = NLA_U8 },
	[MOS_FLOW_A_CLI_ADDR] = { .type = NLA_UNSPEC },
	[MOS_FLOW_A_SVR_ADDR] = { .type = NLA_UNSPEC },
	[MOS_FLOW_A_CLI_PORT] = { .type = NLA_U16 },
	[MOS_FLOW_A_SVR_PORT] = { .type = NLA_U16 },
	[MOS_FLOW_A_CLI_STATE] = { .type = NLA_U8 },
	[MOS_FLOW_A_SVR_STATE] = { .type = NLA_U8 },
	[MOS_FLOW_A_BYTES_C2S] = { .type = NLA_U64 },
	[MOS_FLOW_A_BYTES_S2C] = { .type = NLA_U64 },
	[MOS_FLOW_A_AGE_MS] = { .type = NLA_U64 },
	[MOS_FLOW_A_IDLE_MS] = { .type = NLA_U64 },
	[MOS_FLOW_A_RULE_ID] = { .type = NLA_U32 },
	[MOS_FLOW_A_ACTION] = { .type = NLA_U8 },
	[MOS_FLOW_A_MIDSTREAM] = { .type = NLA_U8 },
};

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static unsigned int get_u8(struct nlattr *a)
{
	return a ? nla_get_u8(a) : 0;
}

/* A %MOS_A_FLOW nest; -1 when it lacks the tuple or is malformed */
static int flow_parse(struct nlattr *nest, struct mos_flow *f)
{
	struct nlattr *tb[MOS_FLOW_A_MAX + 1];
	int alen;

	memset(f, 0, sizeof(*f));
	if (nla_parse_nested(tb, MOS_FLOW_A_MAX, nest, flow_policy) ||
	    !tb[MOS_FLOW_A_ID] || !tb[MOS_FLOW_A_FAMILY] ||
	    !tb[MOS_FLOW_A_CLI_ADDR] || !tb[MOS_FLOW_A_SVR_ADDR] ||
	    !tb[MOS_FLOW_A_CLI_PORT] || !tb[MOS_FLOW_A_SVR_PORT])
		return -1;
	f->family = nla_get_u8(tb[MOS_FLOW_A_FAMILY]);
	if (f->family != 4 && f->family != 6)
		return -1;
	alen = f->family == 6 ? 16 : 4;
	if (nla_len(tb[MOS_FLOW_A_CLI_ADDR]) != alen ||
	    nla_len(tb[MOS_FLOW_A_SVR_ADDR]) != alen)
		return -1;
	memcpy(f->cli, nla_data(tb[MOS_FLOW_A_CLI_ADDR]), alen);
	memcpy(f->svr, nla_data(tb[MOS_FLOW_A_SVR_ADDR]), alen);
	f->id = nla_get_u64(tb[MOS_FLOW_A_ID]);
	f->cli_port = nla_get_u16(tb[MOS_FLOW_A_CLI_PORT]);
	f->svr_port = nla_get_u16(tb[MOS_FLOW_A_SVR_PORT]);
	f->cli_state = get_u8(tb[MOS_FLOW_A_CLI_STATE]);
	f->svr_state = get_u8(tb[MOS_FLOW_A_SVR_STATE]);
	f->bytes_c2s = get_u64(tb[MOS_FLOW_A_BYTES_C2S]);
	f->bytes_s2c = get_u64(tb[MOS_FLOW_A_BYTES_S2C]);
	f->age_ms = get_u64(tb[MOS_FLOW_A_AGE_MS]);
	f->idle_ms = get_u64(tb[MOS_FLOW_A_IDLE_MS]);
	f->rule = tb[MOS_FLOW_A_RULE_ID] ?
		  nla_get_u32(tb[MOS_FLOW_A_RULE_ID]) : 0;
	f->action = get_u8(tb[MOS_FLOW_A_ACTION]);
	f->midstream = get_u8(tb[MOS_FLOW_A_MIDSTREAM]);
	return 0;
}

/*
 * A flow's members.  Text, one line: "id 5 tcp4 10.0.0.1:40000 ->
 * 10.0.0.2:80 ESTABLISHED/ESTABLISHED bytes 100/2000 age 1.234s idle
 * 0.500s rule 0 action monitor[ midstream]"; IPv6 addresses in brackets.
 */
static void flow_print(const struct mos_flow *f)
{
	const char *afmt = f->family == 6 ? "[%s]" : "%s";
	int af = f->family == 6 ? AF_INET6 : AF_INET;
	char cli[INET6_ADDRSTRLEN], svr[INET6_ADDRSTRLEN];
	char b1[16], b2[16];

	if (!inet_ntop(af, f->cli, cli, sizeof(cli)))
		strcpy(cli, "?");
	if (!inet_ntop(af, f->svr, svr, sizeof(svr)))
		strcpy(svr, "?");
	out_u64("id", "id %llu ", f->id);
	out_u64("family", "tcp%llu ", f->family);
	out_str("client", afmt, cli);
	out_u64("client_port", ":%llu -> ", f->cli_port);
	out_str("server", afmt, svr);
	out_u64("server_port", ":%llu ", f->svr_port);
	out_str("client_state", "%s/", state_name(f->cli_state, b1, sizeof(b1)));
	out_str("server_state", "%s ", state_name(f->svr_state, b2, sizeof(b2)));
	out_u64("bytes_c2s", "bytes %llu/", f->bytes_c2s);
	out_u64("bytes_s2c", "%llu ", f->bytes_s2c);
	out_u64("age_ms", NULL, f->age_ms);
	out_text("age %llu.%03llus ", (unsigned long long)f->age_ms / 1000,
		 (unsigned long long)f->age_ms % 1000);
	out_u64("idle_ms", NULL, f->idle_ms);
	out_text("idle %llu.%03llus ", (unsigned long long)f->idle_ms / 1000,
		 (unsigned long long)f->idle_ms % 1000);
	out_u64("rule", "rule %llu ", f->rule);
	out_str("action", "action %s", action_name(f->action, b1, sizeof(b1)));
	out_bool("midstream", " midstream", NULL, f->midstream);
	out_text("\n");
}

struct flows_dump {
	struct bpf_program *prog;	/* NULL: every flow */
	bool started;			/* the output is open */
	unsigned long malformed;
};

static void flows_start(struct flows_dump *d)
{
	if (d->started)
		return;
	d->started = true;
	out_begin();
	out_arr_begin("flows");
}

static int flows_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MOS_A_MAX + 1];
	struct flows_dump *d = arg;
	struct mos_flow f;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, top_policy) ||
	    !tb[MOS_A_FLOW] || flow_parse(tb[MOS_A_FLOW], &f)) {
		d->malformed++;
		return NL_SKIP;
	}
	if (d->prog && !filter_match(d->prog, &f))
		return NL_OK;
	flows_start(d);
	out_obj_begin(NULL);
	flow_print(&f);
	out_obj_end();
	return NL_OK;
}

/**
 * do_flows() - flows [PCAP EXPR]: the flows the namespace tracks
 * @c: the connection, not open yet
 * @argc: arguments after the object: the expression, in one or more words
 * @argv: the arguments
 *
 * With an expression, only the flows whose first packet it matches (see
 * flow_first_packet()).  JSON: {"flows": [{...}]}.
 *
 * Return: the exit status.
 */
int do_flows(struct mosctl *c, int argc, char **argv)
{
	struct flows_dump d = { 0 };
	struct bpf_program prog;
	char *expr = NULL;
	int rc, err;

	if (argc > 0) {
		expr = join_args(argc, argv);
		if (!expr) {
			fprintf(stderr, "mosctl: flows: %s\n", strerror(ENOMEM));
			return EXIT_REFUSED;
		}
		if (filter_compile("flows", expr, &prog)) {
			free(expr);
			return EXIT_REFUSED;
		}
		d.prog = &prog;
	}
	rc = EXIT_REFUSED;
	if (mosctl_open(c, false))
		goto out;
	err = mosctl_talk(c, mosctl_msg(c, MOS_CMD_FLOW_GET, NLM_F_DUMP),
			  flows_cb, &d);
	/* What was printed stays valid JSON, even when the dump failed. */
	if (!err || d.started) {
		flows_start(&d);
		out_arr_end();
		out_end();
	}
	fflush(stdout);
	rc = mosctl_report(c, "flows", err);
	if (d.malformed)
		fprintf(stderr, "mosctl: flows: %lu malformed flows skipped\n",
			d.malformed);
out:
	if (expr) {
		pcap_freecode(&prog);
		free(expr);
	}
	return rc;
}

/* --- monitor ------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Announcements of a namespace are numbered from 1, but those built on
 * different CPUs may arrive out of order: a number is given up as lost
 * only when it falls out of the window of the SEQ_WINDOW numbers below
 * the highest seen (or when monitoring ends).
 */
#define SEQ_WINDOW 64

struct monitor {
	bool have_seq;		/* @seq holds the highest number seen */
	uint64_t seq;
	uint64_t missing;	/* bit i: @seq - 1 - i not seen yet */
	bool overrun;		/* the socket overflowed: announcements lost */
	unsigned long malformed;
};

static void report_lost(uint64_t n)
{
	fflush(stdout);
	if (n)
		fprintf(stderr, "mosctl: monitor: %llu events lost\n",
			(unsigned long long)n);
	else
		fprintf(stderr, "mosctl: monitor: events lost\n");
}

/* Report what is missing in the window, and the overflow; forget both */
static void monitor_flush(struct monitor *m)
{
	if (m->missing)
		report_lost(__builtin_popcountll(m->missing));
	else if (m->overrun)
		report_lost(0);
	m->missing = 0;
	m->overrun = false;
}

/* A higher number @seq: the window moves up, what falls out was lost */
static void monitor_advance(struct monitor *m, uint64_t seq)
{
	uint64_t d = seq - m->seq, lost = 0, out;

	/* The numbers the window's move pushes out of it, and the jump's own */
	if (d >= SEQ_WINDOW) {
		lost = __builtin_popcountll(m->missing);
		if (d - 1 > SEQ_WINDOW)
			lost += d - 1 - SEQ_WINDOW;
		m->missing = d - 1 >= SEQ_WINDOW ? ~0ULL :
			     ((1ULL << (d - 1)) - 1);
	} else {
		out = m->missing >> (SEQ_WINDOW - d);
		lost = __builtin_popcountll(out);
		m->missing = (m->missing << d) | ((1ULL << (d - 1)) - 1);
	}
	m->seq = seq;
	if (lost) {
		report_lost(lost);
		m->overrun = false;
	}
}

static int monitor_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = genlmsg_hdr(nlmsg_hdr(msg));
	struct nlattr *tb[MOS_A_MAX + 1];
	struct monitor *m = arg;
	struct mos_flow f;
	uint64_t seq;
	bool end;

	if (gh->cmd != MOS_CMD_FLOW_NEW && gh->cmd != MOS_CMD_FLOW_END)
		return NL_SKIP;
	end = gh->cmd == MOS_CMD_FLOW_END;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, top_policy) ||
	    !tb[MOS_A_FLOW] || !tb[MOS_A_EVENT_SEQ] ||
	    flow_parse(tb[MOS_A_FLOW], &f)) {
		m->malformed++;
		return NL_SKIP;
	}

	/*
	 * A jump counts those lost, an overflowed socket's among them, once
	 * they leave the window.  A number that goes back further than the
	 * window (monitoring enabled again) starts a new count.
	 */
	seq = nla_get_u64(tb[MOS_A_EVENT_SEQ]);
	if (m->have_seq && seq == m->seq) {
		/* a duplicate: nothing to learn */
	} else if (m->have_seq && seq < m->seq && m->seq - seq <= SEQ_WINDOW) {
		m->missing &= ~(1ULL << (m->seq - 1 - seq));
	} else if (m->have_seq && seq > m->seq) {
		monitor_advance(m, seq);
	} else {
		monitor_flush(m);
		m->have_seq = true;
		m->seq = seq;
	}

	out_begin();
	out_str("event", NULL, end ? "end" : "new");
	out_text(end ? "[END] " : "[NEW] ");
	out_u64("seq", NULL, seq);
	flow_print(&f);
	out_end();
	fflush(stdout);
	return NL_OK;
}

/* Announcements have sequence number 0: any number is fine. */
static int seq_any(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/**
 * do_monitor() - monitor: print each flow announcement until a signal
 * @c: the connection, not open yet
 * @argc: arguments after the object
 * @argv: the arguments
 *
 * Joins the "flows" multicast group, in the namespace of -n (entered:
 * multicast is per socket namespace).  Text: "[NEW] " or "[END] " and the
 * flow's line as "flows" prints it.  JSON: one object per line, "event"
 * ("new" or "end"), "seq" and the flow's members.  Lost announcements are
 * reported on stderr.  SIGINT and SIGTERM end it with status 0.
 *
 * Return: the exit status.
 */
int do_monitor(struct mosctl *c, int argc, char **argv)
{
	struct monitor m = { 0 };
	struct sigaction sa;
	sigset_t block, orig;
	struct nl_cb *cb;
	int grp, err, one, rc = EXIT_OK;

	if (no_more_args("monitor", argc, argv))
		return EXIT_USAGE;

	/*
	 * The signals arrive only in ppoll(): one sent meanwhile, even
	 * during the setup, is taken there, and ends the loop.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (mosctl_open(c, true))
		return EXIT_REFUSED;
	grp = genl_ctrl_resolve_grp(c->sk, MOS_GENL_NAME, MOS_GENL_MCGRP_FLOWS);
	if (grp < 0) {
		fprintf(stderr,
			"mosctl: monitor: multicast group \"%s\" not found (mos module too old?)\n",
			MOS_GENL_MCGRP_FLOWS);
		return EXIT_REFUSED;
	}
	nl_socket_disable_seq_check(c->sk);
	err = nl_socket_add_membership(c->sk, grp);
	if (err < 0) {
		err = nlerr_errno(err);
		fprintf(stderr, "mosctl: monitor: cannot join multicast group \"%s\": %s%s\n",
			MOS_GENL_MCGRP_FLOWS, strerror(-err),
			err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return EXIT_REFUSED;
	}
	/* Room for bursts; the kernel caps it at net.core.rmem_max. */
	nl_socket_set_buffer_size(c->sk, 4 << 20, 0);
	/*
	 * An announcement this socket has no room for is counted by the
	 * kernel too (announce_lost), not only seen here as a gap
	 */
	one = 1;
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK,
		   NETLINK_BROADCAST_ERROR, &one, sizeof(one));
	nl_socket_set_nonblocking(c->sk);

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		fprintf(stderr, "mosctl: monitor: %s\n", strerror(ENOMEM));
		return EXIT_REFUSED;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_any, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, monitor_cb, &m);

	while (!stop) {
		struct pollfd pfd = {
			.fd = nl_socket_get_fd(c->sk),
			.events = POLLIN,
		};

		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "mosctl: monitor: %s\n", strerror(errno));
			rc = EXIT_REFUSED;
			break;
		}
		err = nl_recvmsgs(c->sk, cb);
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the socket overflowed */
			m.overrun = true;
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "mosctl: monitor: %s\n", nl_geterror(err));
			rc = EXIT_REFUSED;
			break;
		}
	}
	monitor_flush(&m);
	if (m.malformed)
		fprintf(stderr, "mosctl: monitor: %lu malformed announcements skipped\n",
			m.malformed);
	nl_cb_put(cb);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return rc;
}

/**
 * do_flow_reset() - flow reset ID: reset a flow at both ends
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int do_flow_reset(struct mosctl *c, int argc, char **argv)
{
	const char *verb = "flow reset";
	unsigned long long id;
	struct nl_msg *msg;

	if (argc < 1)
		return usage_error(verb, "no flow id given");
	if (parse_uint(argv[0], UINT64_MAX, &id) || !id)
		return usage_error(verb, "bad flow id \"%s\"", argv[0]);
	if (no_more_args(verb, argc - 1, argv + 1))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	msg = mosctl_msg(c, MOS_CMD_FLOW_RESET, 0);
	if (msg && nla_put_u64(msg, MOS_A_FLOW_ID, id)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return mosctl_report(c, verb, mosctl_talk(c, msg, NULL, NULL));
}
