// SPDX-License-Identifier: GPL-2.0
/*
 * mosctl.c - control mos over its generic netlink family
 *
 * mosctl [-n NETNS] [-j|--json] [-p|--pretty] OBJECT VERB [ARGS]
 *
 * Objects and verbs are dispatched from tables, iproute2-style; text and
 * JSON output come from the same print path.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/mos.h>

#define MOSCTL_VERSION	"0.1"

static struct {
	bool json;
	bool pretty;
	const char *netns;
} opt;

struct mosctl {
	struct nl_sock *sk;
	int family;
	int kerr;		/* the kernel's errno of the last command */
	char errmsg[256];
};

static const char *const stat_names[__MOS_STAT_MAX] = {
	[MOS_STAT_PACKETS] = "packets",
	[MOS_STAT_BYTES] = "bytes",
	[MOS_STAT_TCP4] = "tcp4",
	[MOS_STAT_TCP6] = "tcp6",
	[MOS_STAT_SYN] = "syn",
	[MOS_STAT_NONTCP] = "nontcp",
	[MOS_STAT_PARSE_ERR] = "parse_errors",
	[MOS_STAT_FLOWS] = "flows",
	[MOS_STAT_FLOWS_MIDSTREAM] = "flows_midstream",
	[MOS_STAT_FLOWS_ENDED] = "flows_ended",
	[MOS_STAT_FLOWS_ACTIVE] = "flows_active",
	[MOS_STAT_ORPHANS] = "orphans",
	[MOS_STAT_REXMIT] = "rexmit",
	[MOS_STAT_BYTES_C2S] = "bytes_c2s",
	[MOS_STAT_BYTES_S2C] = "bytes_s2c",
	[MOS_STAT_GAPS] = "gaps",
	[MOS_STAT_GAP_BYTES] = "gap_bytes",
	[MOS_STAT_FLOW_LIMIT] = "flow_limit",
	[MOS_STAT_BUF_SIDE] = "buf_side_limit",
	[MOS_STAT_BUF_TOTAL] = "buf_total_limit",
	[MOS_STAT_NOMEM] = "nomem",
	[MOS_STAT_CSUM_BAD] = "csum_bad",
	[MOS_STAT_OOW] = "out_of_window",
	[MOS_STAT_RST_INWIN] = "rst_in_window",
	[MOS_STAT_RST_OOW] = "rst_out_of_window",
	[MOS_STAT_OVERLAP_DIFF] = "overlap_diff",
	[MOS_STAT_TIMEOUTS] = "timeouts",
	[MOS_STAT_OOO_BYTES] = "ooo_bytes",
	[MOS_STAT_EV_PKT_IN] = "ev_pkt_in",
	[MOS_STAT_EV_PKT_OUT] = "ev_pkt_out",
	[MOS_STAT_EV_CONN_START] = "ev_conn_start",
	[MOS_STAT_EV_CONN_SETUP] = "ev_conn_setup",
	[MOS_STAT_EV_NEW_DATA] = "ev_new_data",
	[MOS_STAT_EV_ERROR] = "ev_error",
	[MOS_STAT_EV_TIMEOUT] = "ev_timeout",
	[MOS_STAT_EV_STATE_CHANGE] = "ev_state_change",
	[MOS_STAT_EV_ORPHAN] = "ev_orphan",
	[MOS_STAT_EV_REXMIT] = "ev_rexmit",
	[MOS_STAT_EV_CONN_END] = "ev_conn_end",
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mosctl [-n NETNS] [-j|--json] [-p|--pretty] OBJECT VERB [ARGS]\n"
		"       mosctl -h|--help\n"
		"\n"
		"OBJECT VERB:\n"
		"  ns enable         start monitoring the namespace\n"
		"  ns disable        stop monitoring the namespace\n"
		"  ns show           whether the namespace is monitored\n"
		"  stats             the namespace's counters\n"
		"  version           versions of mosctl and of the module\n"
		"\n"
		"Options:\n"
		"  -n NETNS          act on the named namespace (/run/netns/NETNS)\n"
		"  -j, --json        JSON output\n"
		"  -p, --pretty      indented JSON\n");
}

/* Output: "key value" lines, or one JSON object. */
static int out_count;

static void out_begin(void)
{
	out_count = 0;
	if (opt.json)
		fputs("{", stdout);
}

static void out_key(const char *key)
{
	if (!opt.json) {
		printf("%s ", key);
		return;
	}
	printf("%s%s\"%s\":%s", out_count ? "," : "",
	       opt.pretty ? "\n  " : "", key, opt.pretty ? " " : "");
	out_count++;
}

static void out_u64(const char *key, unsigned long long v)
{
	out_key(key);
	printf(opt.json ? "%llu" : "%llu\n", v);
}

static void out_str(const char *key, const char *v)
{
	out_key(key);
	printf(opt.json ? "\"%s\"" : "%s\n", v);
}

static void out_bool(const char *key, bool v)
{
	out_key(key);
	if (opt.json)
		fputs(v ? "true" : "false", stdout);
	else
		puts(v ? "yes" : "no");
}

static void out_end(void)
{
	if (opt.json)
		printf("%s}\n", opt.pretty ? "\n" : "");
}

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)e - 1;
	struct mosctl *c = arg;
	unsigned int off = sizeof(*e);
	int len = nlh->nlmsg_len - NLMSG_HDRLEN;

	(void)nla;
	c->kerr = e->error;
	/* Without NLM_F_CAPPED the error quotes the whole request, padded. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > (int)off) {
		struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

		if (!nla_parse(tb, NLMSGERR_ATTR_MAX,
			       (struct nlattr *)((char *)e + off), len - off,
			       NULL) && tb[NLMSGERR_ATTR_MSG])
			snprintf(c->errmsg, sizeof(c->errmsg), "%s",
				 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	}
	return NL_STOP;
}

static int mosctl_open(struct mosctl *c)
{
	int one = 1;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	if (genl_connect(c->sk)) {
		fprintf(stderr, "mosctl: cannot open a generic netlink socket\n");
		return -1;
	}
	/* Optional: without them, errors just come without a message. */
	(void)setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK,
			 &one, sizeof(one));
	(void)setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_CAP_ACK,
			 &one, sizeof(one));
	c->family = genl_ctrl_resolve(c->sk, MOS_GENL_NAME);
	if (c->family < 0) {
		fprintf(stderr,
			"mosctl: generic netlink family \"%s\" not found (mos module not loaded?)\n",
			MOS_GENL_NAME);
		return -1;
	}
	nl_socket_modify_err_cb(c->sk, NL_CB_CUSTOM, err_cb, c);
	return 0;
}

/* Send a command, pass the reply (if any) to @cb; returns 0 or -errno. */
static int mosctl_cmd(struct mosctl *c, int cmd, nl_recvmsg_msg_cb_t cb,
		      void *arg)
{
	struct nl_msg *msg = nlmsg_alloc();
	int err;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 NLM_F_REQUEST | NLM_F_ACK, cmd, MOS_GENL_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	if (cb)
		nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	c->errmsg[0] = '\0';
	c->kerr = 0;
	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return -EIO;
	err = nl_recvmsgs_default(c->sk);
	if (c->kerr < 0)
		return c->kerr;
	if (err < 0) {
		/* An error of libnl's own, in its own codes. */
		switch (-err) {
		case NLE_PERM: return -EPERM;
		case NLE_EXIST: return -EEXIST;
		case NLE_OBJ_NOTFOUND: return -ENOENT;
		case NLE_NOMEM: return -ENOMEM;
		case NLE_INVAL: return -EINVAL;
		case NLE_OPNOTSUPP: return -EOPNOTSUPP;
		default: return -EIO;
		}
	}
	return 0;
}

static int report(struct mosctl *c, const char *what, int err)
{
	if (!err)
		return 0;
	fprintf(stderr, "mosctl: %s: %s%s\n", what,
		c->errmsg[0] ? c->errmsg : strerror(-err),
		err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return 1;
}

static struct nla_policy attr_policy[MOS_A_MAX + 1] = {
	[MOS_A_NS_ENABLED] = { .type = NLA_U8 },
	[MOS_A_MOD_VERSION] = { .type = NLA_STRING },
	[MOS_A_STATS] = { .type = NLA_NESTED },
};

static struct nla_policy stat_policy[MOS_STAT_MAX + 1] = {
	[MOS_STAT_PACKETS ... MOS_STAT_MAX] = { .type = NLA_U64 },
};

struct ns_state {
	bool have;
	bool enabled;
	char version[64];
	unsigned long long stats[__MOS_STAT_MAX];
};

static int ns_get_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MOS_A_MAX + 1], *st[MOS_STAT_MAX + 1];
	struct ns_state *s = arg;
	int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, attr_policy))
		return NL_SKIP;
	s->have = true;
	if (tb[MOS_A_NS_ENABLED])
		s->enabled = nla_get_u8(tb[MOS_A_NS_ENABLED]);
	if (tb[MOS_A_MOD_VERSION])
		snprintf(s->version, sizeof(s->version), "%s",
			 nla_get_string(tb[MOS_A_MOD_VERSION]));
	if (tb[MOS_A_STATS] &&
	    !nla_parse_nested(st, MOS_STAT_MAX, tb[MOS_A_STATS], stat_policy)) {
		for (i = MOS_STAT_PACKETS; i <= MOS_STAT_MAX; i++)
			if (st[i])
				s->stats[i] = nla_get_u64(st[i]);
	}
	return NL_OK;
}

static int ns_get(struct mosctl *c, struct ns_state *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = mosctl_cmd(c, MOS_CMD_NS_GET, ns_get_cb, s);
	if (!err && !s->have)
		err = -EIO;
	return err;
}

static int do_ns_enable(struct mosctl *c, int argc, char **argv)
{
	(void)argc; (void)argv;
	return report(c, "ns enable", mosctl_cmd(c, MOS_CMD_NS_ENABLE, NULL, NULL));
}

static int do_ns_disable(struct mosctl *c, int argc, char **argv)
{
	(void)argc; (void)argv;
	return report(c, "ns disable", mosctl_cmd(c, MOS_CMD_NS_DISABLE, NULL, NULL));
}

static int do_ns_show(struct mosctl *c, int argc, char **argv)
{
	struct ns_state s;

	(void)argc; (void)argv;
	if (report(c, "ns show", ns_get(c, &s)))
		return 1;
	out_begin();
	out_bool("enabled", s.enabled);
	out_end();
	return 0;
}

static int do_stats(struct mosctl *c, int argc, char **argv)
{
	struct ns_state s;
	int i;

	(void)argc; (void)argv;
	if (report(c, "stats", ns_get(c, &s)))
		return 1;
	out_begin();
	for (i = MOS_STAT_PACKETS; i <= MOS_STAT_MAX; i++)
		out_u64(stat_names[i], s.stats[i]);
	out_end();
	return 0;
}

static int do_version(struct mosctl *c, int argc, char **argv)
{
	struct ns_state s;

	(void)argc; (void)argv;
	if (report(c, "version", ns_get(c, &s)))
		return 1;
	out_begin();
	out_str("mosctl", MOSCTL_VERSION);
	out_str("module", s.version);
	out_u64("genl_version", MOS_GENL_VERSION);
	out_end();
	return 0;
}

struct verb {
	const char *object;
	const char *verb;	/* NULL: the object alone */
	int (*fn)(struct mosctl *c, int argc, char **argv);
};

static const struct verb verbs[] = {
	{ "ns", "enable", do_ns_enable },
	{ "ns", "disable", do_ns_disable },
	{ "ns", "show", do_ns_show },
	{ "stats", NULL, do_stats },
	{ "version", NULL, do_version },
};

static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mosctl: cannot open network namespace \"%s\": %s\n",
			name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "mosctl: cannot enter network namespace \"%s\": %s\n",
			name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v = NULL;
	struct mosctl c = { 0 };
	size_t i;
	int ch, rc, used;

	while ((ch = getopt_long(argc, argv, "+jpn:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': opt.json = true; break;
		case 'p': opt.json = opt.pretty = true; break;
		case 'n': opt.netns = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[0], verbs[i].object))
			continue;
		if (!verbs[i].verb || (argc > 1 && !strcmp(argv[1], verbs[i].verb))) {
			v = &verbs[i];
			break;
		}
	}
	if (!v) {
		fprintf(stderr, "mosctl: unknown command \"%s%s%s\"\n", argv[0],
			argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		usage(stderr);
		return 2;
	}
	used = v->verb ? 2 : 1;
	if (argc > used) {
		fprintf(stderr, "mosctl: unexpected argument \"%s\"\n", argv[used]);
		usage(stderr);
		return 2;
	}

	if (opt.netns && enter_netns(opt.netns))
		return 1;
	if (mosctl_open(&c)) {
		if (c.sk)
			nl_socket_free(c.sk);
		return 1;
	}
	rc = v->fn(&c, argc - used, argv + used);
	nl_socket_free(c.sk);
	return rc;
}
