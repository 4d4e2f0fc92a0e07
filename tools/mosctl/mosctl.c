// SPDX-License-Identifier: GPL-2.0
/*
 * mosctl.c - control mos over its generic netlink family
 *
 * mosctl [-n NETNS] [-j|--json] [-p|--pretty] OBJECT VERB [ARGS]
 *
 * Objects and verbs are dispatched from a table, iproute2-style; text and
 * JSON output come from the same print path (out.c).  Each verb parses
 * all its arguments (and compiles its pcap expression) before it opens
 * the netlink socket, so that a usage error never depends on the module.
 *
 * Exit status: 0 done, 1 refused (by the kernel, or libpcap), 2 usage.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include "mosctl.h"
#include "tm_names.h"	/* the core's state numbers are uapi's */

struct mosctl_opts opt;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mosctl [-n NETNS] [-j|--json] [-p|--pretty] OBJECT VERB [ARGS]\n"
		"       mosctl -h|--help\n"
		"\n"
		"OBJECT VERB [ARGS]:\n"
		"  ns enable [passive|inline]   start monitoring the namespace (default passive)\n"
		"  ns disable                   stop monitoring the namespace\n"
		"  ns show                      whether it is monitored, its mode and limits\n"
		"  set SETTING [SETTING...]     change limits, SETTING one of:\n"
		"        max-flows N | buffer-bytes N | buffer-total N |\n"
		"        buffer-pieces N |\n"
		"        timeout STATE SECONDS | midstream on|off |\n"
		"        overlap linux|first|last | paws auto|on|off |\n"
		"        stall-timeout MS | unparsed drop|pass | store-age MS |\n"
		"        verdict-timeout MS | verdict-policy accept|drop |\n"
		"        held-max N\n"
		"  rule add [prio N] 'PCAP EXPR' action monitor|ignore|drop|reset\n"
		"  rule del ID\n"
		"  rule list\n"
		"  rule flush\n"
		"  stats                        the namespace's counters, each rule's hits\n"
		"  flows [PCAP EXPR]            the flows tracked now (that EXPR matches)\n"
		"  flow reset ID                reset flow ID at both ends (inline mode)\n"
		"  monitor                      flows as they start and end, until interrupted\n"
		"  link attach DEV [mode native|generic] [passive|inline] [decap]\n"
		"              [trust-csum]\n"
		"                               attach mos's XDP program to DEV (native, passive)\n"
		"  link detach DEV              detach it\n"
		"  link show                    the devices mos is attached to by XDP\n"
		"  version                      versions of mosctl and of the module\n"
		"\n"
		"STATE: CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2\n"
		"       CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT\n"
		"\n"
		"Options:\n"
		"  -n NETNS          act on the namespace /run/netns/NETNS (or a path)\n"
		"  -j, --json        JSON output\n"
		"  -p, --pretty      indented JSON\n"
		"  -h, --help        this help\n");
}

/**
 * usage_error() - report a bad argument
 * @verb: the command
 * @fmt: printf() format of the message
 *
 * Prints "mosctl: VERB: message".
 *
 * Return: %EXIT_USAGE.
 */
int usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mosctl: %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/**
 * no_more_args() - check that a command got no more arguments
 * @verb: the command
 * @argc: how many arguments are left
 * @argv: those arguments
 *
 * Return: %EXIT_OK, or %EXIT_USAGE after the message.
 */
int no_more_args(const char *verb, int argc, char **argv)
{
	if (argc > 0)
		return usage_error(verb, "unexpected argument \"%s\"", argv[0]);
	return EXIT_OK;
}

/**
 * parse_uint() - a decimal number, strictly
 * @s: the text: digits only
 * @max: the largest value allowed
 * @v: the number
 *
 * Return: 0, or -1 on junk, an empty string, a sign or a value past @max.
 */
int parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v > max)
		return -1;
	return 0;
}

static const char *const action_names[__MOS_ACTION_MAX] = {
	[MOS_ACTION_MONITOR] = "monitor",
	[MOS_ACTION_IGNORE] = "ignore",
	[MOS_ACTION_DROP] = "drop",
	[MOS_ACTION_RESET] = "reset",
};

/**
 * action_name() - the name of an &enum mos_action
 * @action: the action
 * @buf: room for the number of an unknown action
 * @len: its size
 *
 * Return: the name, or the number in @buf.
 */
const char *action_name(unsigned int action, char *buf, size_t len)
{
	if (action < ARRAY_SIZE(action_names))
		return action_names[action];
	snprintf(buf, len, "%u", action);
	return buf;
}

/**
 * action_parse() - an &enum mos_action from its name
 * @s: monitor, ignore, drop or reset
 *
 * Return: the action, or -1.
 */
int action_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(action_names); i++)
		if (!strcmp(s, action_names[i]))
			return i;
	return -1;
}

/**
 * state_name() - the name of a TCP state, mOS numbering
 * @state: 0 (CLOSED) to 10 (TIME_WAIT)
 * @buf: room for the number of an unknown state
 * @len: its size
 *
 * Return: the name, or the number in @buf.
 */
const char *state_name(unsigned int state, char *buf, size_t len)
{
	if (state < MOS_TCP_STATES)
		return mos_tm_state_name(state);
	snprintf(buf, len, "%u", state);
	return buf;
}

/**
 * state_parse() - a TCP state from its name
 * @s: the name, in any case, with '-' or '_' (time-wait, TIME_WAIT)
 *
 * Return: the state number, or -1.
 */
int state_parse(const char *s)
{
	unsigned int i;
	size_t j;

	for (i = 0; i < MOS_TCP_STATES; i++) {
		const char *name = mos_tm_state_name(i);

		for (j = 0; s[j] && name[j]; j++) {
			char ch = s[j] == '-' ? '_' : toupper((unsigned char)s[j]);

			if (ch != name[j])
				break;
		}
		if (!s[j] && !name[j])
			return i;
	}
	return -1;
}

/**
 * join_args() - words joined by single spaces, as tcpdump joins them
 * @argc: how many
 * @argv: the words
 *
 * Return: a string to free(), or NULL when out of memory.
 */
char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* --- netlink ----------------------------------------------------------- */

struct talk {
	struct mosctl *c;
	bool done;
};

/* The extended ack's message, from the TLVs at @tlvs */
static void ack_msg(struct mosctl *c, void *tlvs, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, tlvs, len, NULL) ||
	    !tb[NLMSGERR_ATTR_MSG] || nla_len(tb[NLMSGERR_ATTR_MSG]) < 1)
		return;
	snprintf(c->errmsg, sizeof(c->errmsg), "%.*s",
		 nla_len(tb[NLMSGERR_ATTR_MSG]),
		 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	/* the message, without its NUL or trailing newline */
	c->errmsg[strcspn(c->errmsg, "\n")] = '\0';
}

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)e - 1;
	struct talk *t = arg;
	unsigned int off = sizeof(*e);
	int len = nlh->nlmsg_len - NLMSG_HDRLEN;

	(void)nla;
	t->c->kerr = e->error;
	t->done = true;
	/* Without NLM_F_CAPPED the error quotes the whole request, padded. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > (int)off)
		ack_msg(t->c, (char *)e + off, len - off);
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	(void)msg;
	t->done = true;
	return NL_STOP;
}

/* The end of a dump: its errno, and the extended ack when it failed */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct talk *t = arg;
	int len = nlh->nlmsg_len - NLMSG_HDRLEN;
	int err;

	t->done = true;
	if (len < (int)sizeof(int))
		return NL_STOP;
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err < 0) {
		t->c->kerr = err;
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
			ack_msg(t->c, (char *)nlmsg_data(nlh) + NLA_ALIGN(sizeof(int)),
				len - (int)NLA_ALIGN(sizeof(int)));
	}
	return NL_STOP;
}

/**
 * nlerr_errno() - a libnl error code as an errno value
 * @err: a negative NLE_* code
 *
 * Return: the negative errno; -EIO for codes without one.
 */
int nlerr_errno(int err)
{
	switch (-err) {
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_BUSY: return -EBUSY;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_NODEV: return -ENODEV;
	default: return -EIO;
	}
}

static int open_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "mosctl: cannot open network namespace \"%s\": %s\n",
			name, strerror(errno));
	return fd;
}

/**
 * mosctl_open() - connect to the "mos" family
 * @c: the connection, zeroed but for @c->netns_fd = -1
 * @enter_netns: with -n, move into the namespace (setns()) rather than
 *	name it in each request with %MOS_A_NETNS_FD: for multicast, which
 *	is per socket namespace
 *
 * Prints its own error messages.
 *
 * Return: 0 or -1.
 */
int mosctl_open(struct mosctl *c, bool enter_netns)
{
	int one = 1;

	if (opt.netns) {
		int fd = open_netns(opt.netns);

		if (fd < 0)
			return -1;
		if (enter_netns) {
			if (setns(fd, CLONE_NEWNET)) {
				fprintf(stderr,
					"mosctl: cannot enter network namespace \"%s\": %s\n",
					opt.netns, strerror(errno));
				close(fd);
				return -1;
			}
			close(fd);
		} else {
			c->netns_fd = fd;
		}
	}
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		fprintf(stderr, "mosctl: %s\n", strerror(ENOMEM));
		return -1;
	}
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
	return 0;
}

/**
 * mosctl_msg() - start a request
 * @c: the connection
 * @cmd: &enum mos_cmd
 * @flags: NLM_F_DUMP, or 0
 *
 * The request names the target namespace (%MOS_A_NETNS_FD) under -n.
 * Room for 64 KiB of attributes.
 *
 * Return: the message, or NULL when out of memory.
 */
struct nl_msg *mosctl_msg(struct mosctl *c, int cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN +
					      65536);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 NLM_F_REQUEST | flags, cmd, MOS_GENL_VERSION) ||
	    (c->netns_fd >= 0 &&
	     nla_put_u32(msg, MOS_A_NETNS_FD, c->netns_fd))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/**
 * mosctl_talk() - send a request, read its replies up to the ack
 * @c: the connection
 * @msg: from mosctl_msg(), NULL when it failed; freed here
 * @cb: called on each reply (a doit's answer, or each dumped message)
 * @arg: its argument
 *
 * A dump ends with NLMSG_DONE, whose errno counts; any other request with
 * the ack.  @c->errmsg holds the kernel's extended-ack message, if any.
 *
 * Return: 0 or a negative errno.
 */
int mosctl_talk(struct mosctl *c, struct nl_msg *msg, nl_recvmsg_msg_cb_t cb,
		void *arg)
{
	struct talk t = { .c = c };
	struct nl_cb *nlcb;
	int err;

	c->kerr = 0;
	c->errmsg[0] = '\0';
	if (!msg)
		return -ENOMEM;
	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(nlcb, NL_CB_CUSTOM, err_cb, &t);
	nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &t);
	nl_cb_set(nlcb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &t);
	if (cb)
		nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);

	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !t.done)
		err = nl_recvmsgs(c->sk, nlcb);
	nl_cb_put(nlcb);
	if (c->kerr < 0)
		return c->kerr;
	return err < 0 ? nlerr_errno(err) : 0;
}

/**
 * mosctl_cmd() - a request without attributes but the namespace's
 * @c: the connection
 * @cmd: &enum mos_cmd
 * @cb: called on the reply, if any
 * @arg: its argument
 *
 * Return: 0 or a negative errno.
 */
int mosctl_cmd(struct mosctl *c, int cmd, nl_recvmsg_msg_cb_t cb, void *arg)
{
	return mosctl_talk(c, mosctl_msg(c, cmd, 0), cb, arg);
}

/**
 * mosctl_report() - report a refused request
 * @c: the connection, with the kernel's message if there was one
 * @verb: the command
 * @err: 0 or a negative errno
 *
 * Prints "mosctl: VERB: message": the kernel's extended-ack message, or
 * strerror() followed, for EPERM, by "(needs CAP_NET_ADMIN)".
 *
 * Return: %EXIT_OK if @err is 0, else %EXIT_REFUSED.
 */
int mosctl_report(struct mosctl *c, const char *verb, int err)
{
	if (!err)
		return EXIT_OK;
	if (c->errmsg[0])
		fprintf(stderr, "mosctl: %s: %s\n", verb, c->errmsg);
	else
		fprintf(stderr, "mosctl: %s: %s%s\n", verb, strerror(-err),
			err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return EXIT_REFUSED;
}

/* --- dispatch ---------------------------------------------------------- */

/**
 * struct verb - one command
 * @object: its first word
 * @verb: its second word; NULL: the object takes none
 * @dflt: run for the object alone (ip-style: "mosctl rule" lists)
 * @fn: the command, given the arguments after its words
 */
struct verb {
	const char *object;
	const char *verb;
	bool dflt;
	int (*fn)(struct mosctl *c, int argc, char **argv);
};

static const struct verb verbs[] = {
	{ "ns", "enable", false, do_ns_enable },
	{ "ns", "disable", false, do_ns_disable },
	{ "ns", "show", true, do_ns_show },
	{ "set", NULL, false, do_set },
	{ "rule", "add", false, do_rule_add },
	{ "rule", "del", false, do_rule_del },
	{ "rule", "list", true, do_rule_list },
	{ "rule", "flush", false, do_rule_flush },
	{ "stats", NULL, false, do_stats },
	{ "flows", NULL, false, do_flows },
	{ "flow", "reset", false, do_flow_reset },
	{ "monitor", NULL, false, do_monitor },
	{ "link", "attach", false, do_link_attach },
	{ "link", "detach", false, do_link_detach },
	{ "link", "show", true, do_link_show },
	{ "version", NULL, false, do_version },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mosctl c = { .netns_fd = -1 };
	const struct verb *v = NULL;
	int ch, rc, used = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "+jpn:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			opt.json = true;
			break;
		case 'p':
			opt.json = true;
			opt.pretty = true;
			break;
		case 'n':
			opt.netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}

	for (i = 0; i < ARRAY_SIZE(verbs) && !v; i++) {
		if (strcmp(argv[0], verbs[i].object))
			continue;
		if (!verbs[i].verb)
			v = &verbs[i], used = 1;
		else if (argc > 1 && !strcmp(argv[1], verbs[i].verb))
			v = &verbs[i], used = 2;
		else if (argc == 1 && verbs[i].dflt)
			v = &verbs[i], used = 1;
	}
	if (!v) {
		fprintf(stderr, "mosctl: unknown command \"%s%s%s\"\n", argv[0],
			argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		usage(stderr);
		return EXIT_USAGE;
	}

	rc = v->fn(&c, argc - used, argv + used);
	if (c.sk)
		nl_socket_free(c.sk);
	if (c.netns_fd >= 0)
		close(c.netns_fd);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "mosctl: write error: %s\n", strerror(errno));
		return EXIT_REFUSED;
	}
	return rc;
}
