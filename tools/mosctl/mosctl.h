/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mosctl.h - what the parts of mosctl share
 *
 * mosctl.c: options, dispatch, the netlink plumbing; out.c: text and JSON
 * output; ns.c: ns, set, stats, version; rule.c: rule; flow.c: flows,
 * monitor; filter.c: pcap expressions and the packets they are tried on;
 * link.c: link (XDP attachment).
 */
#ifndef MOSCTL_H
#define MOSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <pcap/pcap.h>
#include <linux/mos.h>

#define MOSCTL_VERSION	"0.1"

/* Exit status: done, refused (by the kernel or libpcap), bad usage */
#define EXIT_OK		0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/**
 * struct mosctl_opts - the global options
 * @json: -j, JSON output
 * @pretty: -p, indented JSON
 * @netns: -n, the target namespace's name or path; NULL: ours
 */
struct mosctl_opts {
	bool json;
	bool pretty;
	const char *netns;
};

extern struct mosctl_opts opt;

/**
 * struct mosctl - a connection to the "mos" family
 * @sk: the generic netlink socket
 * @family: the family's id
 * @netns_fd: the target namespace, sent as %MOS_A_NETNS_FD; -1: none
 * @kerr: the kernel's errno of the last request (0 or negative)
 * @errmsg: its extended-ack message; empty when none
 */
struct mosctl {
	struct nl_sock *sk;
	int family;
	int netns_fd;
	int kerr;
	char errmsg[256];
};

/* mosctl.c */
int mosctl_open(struct mosctl *c, bool enter_netns);
struct nl_msg *mosctl_msg(struct mosctl *c, int cmd, int flags);
int mosctl_talk(struct mosctl *c, struct nl_msg *msg,
		nl_recvmsg_msg_cb_t cb, void *arg);
int mosctl_cmd(struct mosctl *c, int cmd, nl_recvmsg_msg_cb_t cb, void *arg);
int nlerr_errno(int err);
int mosctl_report(struct mosctl *c, const char *verb, int err);
int usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int no_more_args(const char *verb, int argc, char **argv);
int parse_uint(const char *s, unsigned long long max,
	       unsigned long long *v);
const char *action_name(unsigned int action, char *buf, size_t len);
int action_parse(const char *s);
const char *state_name(unsigned int state, char *buf, size_t len);
int state_parse(const char *s);
char *join_args(int argc, char **argv);

/* link.c */
int do_link_attach(struct mosctl *c, int argc, char **argv);
int do_link_detach(struct mosctl *c, int argc, char **argv);
int do_link_show(struct mosctl *c, int argc, char **argv);

/* out.c */
void out_begin(void);
void out_end(void);
void out_obj_begin(const char *key);
void out_obj_end(void);
void out_arr_begin(const char *key);
void out_arr_end(void);
void out_u64(const char *key, const char *fmt, unsigned long long v);
void out_str(const char *key, const char *fmt, const char *v);
void out_bool(const char *key, const char *text_yes, const char *text_no,
	      bool v);
void out_kv_u64(const char *key, unsigned long long v);
void out_kv_str(const char *key, const char *v);
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * struct mos_flow - one flow, from a %MOS_A_FLOW nest
 * @id: %MOS_FLOW_A_ID
 * @family: 4 or 6
 * @cli: the client's address, network order (4 or 16 bytes)
 * @svr: the server's address
 * @cli_port: the client's port, host order
 * @svr_port: the server's port
 * @cli_state: the client side's TCP state (mOS numbering)
 * @svr_state: the server side's
 * @bytes_c2s: stream bytes from the client
 * @bytes_s2c: stream bytes from the server
 * @age_ms: milliseconds since the flow was created
 * @idle_ms: milliseconds since its last packet
 * @rule: the rule that matched it; 0: none
 * @action: &enum mos_action
 * @midstream: picked up without its handshake
 */
struct mos_flow {
	uint64_t id;
	unsigned int family;
	uint8_t cli[16];
	uint8_t svr[16];
	uint16_t cli_port;
	uint16_t svr_port;
	unsigned int cli_state;
	unsigned int svr_state;
	uint64_t bytes_c2s;
	uint64_t bytes_s2c;
	uint64_t age_ms;
	uint64_t idle_ms;
	uint32_t rule;
	unsigned int action;
	bool midstream;
};

/* filter.c */
#define FLOW_PKT_MAX	(40 + 20)
int filter_compile(const char *verb, const char *expr,
		   struct bpf_program *prog);
size_t flow_first_packet(const struct mos_flow *f, uint8_t *buf);
bool filter_match(const struct bpf_program *prog, const struct mos_flow *f);

/* The verbs: each returns EXIT_OK, EXIT_REFUSED or EXIT_USAGE. */
int do_ns_enable(struct mosctl *c, int argc, char **argv);
int do_ns_disable(struct mosctl *c, int argc, char **argv);
int do_ns_show(struct mosctl *c, int argc, char **argv);
int do_set(struct mosctl *c, int argc, char **argv);
int do_stats(struct mosctl *c, int argc, char **argv);
int do_version(struct mosctl *c, int argc, char **argv);
int do_rule_add(struct mosctl *c, int argc, char **argv);
int do_rule_del(struct mosctl *c, int argc, char **argv);
int do_rule_list(struct mosctl *c, int argc, char **argv);
int do_rule_flush(struct mosctl *c, int argc, char **argv);
int do_flows(struct mosctl *c, int argc, char **argv);
int do_flow_reset(struct mosctl *c, int argc, char **argv);
int do_monitor(struct mosctl *c, int argc, char **argv);

/* rule.c: the rule dump, for rule list and stats */

/**
 * struct mos_rule - one rule, from a %MOS_CMD_RULE_GET dump
 * @id: %MOS_A_RULE_ID
 * @prio: %MOS_A_RULE_PRIO
 * @action: %MOS_A_RULE_ACTION
 * @hits: %MOS_A_RULE_HITS
 * @expr: %MOS_A_RULE_EXPR, allocated; NULL when the rule was added
 *	without it
 */
struct mos_rule {
	uint32_t id;
	uint32_t prio;
	unsigned int action;
	uint64_t hits;
	char *expr;
};

int rule_dump(struct mosctl *c, struct mos_rule **rules, size_t *n);
void rule_free(struct mos_rule *rules, size_t n);

#endif /* MOSCTL_H */
