// SPDX-License-Identifier: GPL-2.0
/*
 * ns.c - ns enable|disable|show, set, stats, version
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mosctl.h"

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
	[MOS_STAT_FLOWS_IGNORED] = "flows_ignored",
	[MOS_STAT_FLOWS_DROPPED] = "flows_dropped",
	[MOS_STAT_DROPPED] = "dropped",
	[MOS_STAT_RESETS] = "resets",
	[MOS_STAT_RESET_LIMITED] = "reset_limited",
	[MOS_STAT_FLOWS_RESET] = "flows_reset",
	[MOS_STAT_RESET_FAILED] = "reset_failed",
	[MOS_STAT_MEM_LIMIT] = "mem_limit",
	[MOS_STAT_RING_FULL] = "ring_full",
	[MOS_STAT_RING_LOST] = "ring_lost",
	[MOS_STAT_STORE_FULL] = "store_full",
	[MOS_STAT_FLOWS_EVICTED] = "flows_evicted",
	[MOS_STAT_ANNOUNCE_LOST] = "announce_lost",
	[MOS_STAT_CONS_STALLED] = "cons_stalled",
	[MOS_STAT_DROPPED_NOFLOW] = "dropped_noflow",
	[MOS_STAT_UNPARSED_DROP] = "unparsed_drop",
	[MOS_STAT_HOST_DROPS] = "host_drops",
	[MOS_STAT_IP_FRAG] = "ip_fragments",
	[MOS_STAT_IP6_OPT_DISCARD] = "ip6_opt_discard",
	[MOS_STAT_IP6_HBH_NOT_FIRST] = "ip6_hbh_not_first",
	[MOS_STAT_IP6_RH_DISCARD] = "ip6_rh_discard",
	[MOS_STAT_NACC_NOACK] = "nacc_noack",
	[MOS_STAT_NACC_ACK_UNSENT] = "nacc_ack_unsent",
	[MOS_STAT_NACC_ACK_OLD] = "nacc_ack_old",
	[MOS_STAT_NACC_PAWS] = "nacc_paws",
	[MOS_STAT_NACC_SYN_DATA] = "nacc_syn_data",
	[MOS_STAT_NACC_FIN] = "nacc_fin",
	[MOS_STAT_NACC_URG] = "nacc_urg",
	[MOS_STAT_SEG_SIDE] = "seg_side_limit",
	[MOS_STAT_END_UNREAD] = "end_unread",
	[MOS_STAT_IP4_OPT_DISCARD] = "ip4_opt_discard",
	[MOS_STAT_FLOWS_EVICTED_IDLE] = "flows_evicted_idle",
	[MOS_STAT_FLOWS_EVICTED_MID] = "flows_evicted_midstream",
	[MOS_STAT_STORE_SHARE] = "store_share",
	[MOS_STAT_STORE_AGED] = "store_aged",
	[MOS_STAT_STORE_TRIMMED] = "store_trimmed",
	[MOS_STAT_HELD] = "held",
	[MOS_STAT_HELD_FULL] = "held_full",
	[MOS_STAT_VERDICT_ACCEPT] = "verdict_accept",
	[MOS_STAT_VERDICT_DROP] = "verdict_drop",
	[MOS_STAT_VERDICT_MODIFIED] = "verdict_modified",
	[MOS_STAT_VERDICT_BAD] = "verdict_bad",
	[MOS_STAT_VERDICT_TIMEOUT] = "verdict_timeout",
	[MOS_STAT_HELD_RELEASED] = "held_released",
	[MOS_STAT_XDP_UNLINKED] = "xdp_unlinked",
	[MOS_STAT_XDP_RESET_UNSENT] = "xdp_reset_unsent",
	[MOS_STAT_DECAP] = "decap",
	[MOS_STAT_DECAP_UNKNOWN] = "decap_unknown",
	[MOS_STAT_DECAP_BAD] = "decap_bad",
	[MOS_STAT_DECAP_DEEP] = "decap_deep",
	[MOS_STAT_HELD_NOW] = "held_now",
	[MOS_STAT_HELD_FLOWS] = "held_flows",
	[MOS_STAT_SENDPKT] = "sendpkt",
	[MOS_STAT_SENDPKT_LIMITED] = "sendpkt_limited",
	[MOS_STAT_SENDPKT_INVALID] = "sendpkt_invalid",
	[MOS_STAT_SENDPKT_FAILED] = "sendpkt_failed",
	[MOS_STAT_FLOW_ALIASES] = "flow_aliases",
	[MOS_STAT_FLOW_ALIAS_FAIL] = "flow_alias_failed",
	[MOS_STAT_HELD_NONE] = "held_none",
	[MOS_STAT_HELD_ORDER] = "held_order",
	[MOS_STAT_HELD_UNTRACKED] = "held_untracked",
};

/* A stat_names[] entry per counter: a new counter needs its name here. */
_Static_assert(MOS_STAT_MAX == MOS_STAT_HELD_UNTRACKED,
	       "a counter of uapi/linux/mos.h has no name in mosctl");

static const char *const mode_names[] = {
	[MOS_MODE_PASSIVE] = "passive",
	[MOS_MODE_INLINE] = "inline",
};

/* Limits, as NS_GET reports them and NS_SET takes them; has_*: present */
struct limits {
	bool has_max_flows, has_buf_side, has_buf_total, has_midstream;
	bool has_overlap, has_stall, has_unparsed, has_seg_side, has_paws;
	bool has_store_age;
	bool has_vms, has_vpolicy, has_held_max;
	uint32_t verdict_ms;
	uint8_t vpolicy;
	uint32_t held_max;
	uint32_t max_flows;
	uint32_t seg_side;
	uint32_t buf_side;
	uint64_t buf_total;
	bool midstream;
	uint8_t overlap;
	uint32_t stall_ms;
	uint8_t unparsed;
	uint8_t paws;
	uint32_t store_age_ms;
	bool has_timeout[MOS_TCP_STATES];
	uint32_t timeout[MOS_TCP_STATES];
};

struct ns_state {
	bool have;
	bool enabled;
	bool has_mode;
	unsigned int mode;
	char version[64];
	unsigned long long stats[__MOS_STAT_MAX];
	struct limits lim;
};

static struct nla_policy attr_policy[MOS_A_MAX + 1] = {
	[MOS_A_NS_ENABLED] = { .type = NLA_U8 },
	[MOS_A_MOD_VERSION] = { .type = NLA_STRING },
	[MOS_A_STATS] = { .type = NLA_NESTED },
	[MOS_A_MODE] = { .type = NLA_U8 },
	[MOS_A_LIMITS] = { .type = NLA_NESTED },
};

static struct nla_policy stat_policy[MOS_STAT_MAX + 1] = {
	[MOS_STAT_PACKETS ... MOS_STAT_MAX] = { .type = NLA_U64 },
};

static struct nla_policy limit_policy[MOS_LIMIT_MAX + 1] = {
	[MOS_LIMIT_MAX_FLOWS] = { .type = NLA_U32 },
	[MOS_LIMIT_BUF_SIDE] = { .type = NLA_U32 },
	[MOS_LIMIT_BUF_TOTAL] = { .type = NLA_U64 },
	[MOS_LIMIT_MIDSTREAM] = { .type = NLA_U8 },
	[MOS_LIMIT_TIMEOUTS] = { .type = NLA_NESTED },
	[MOS_LIMIT_OVERLAP] = { .type = NLA_U8 },
	[MOS_LIMIT_STALL_MS] = { .type = NLA_U32 },
	[MOS_LIMIT_UNPARSED] = { .type = NLA_U8 },
	[MOS_LIMIT_VERDICT_MS] = { .type = NLA_U32 },
	[MOS_LIMIT_VERDICT_POLICY] = { .type = NLA_U8 },
	[MOS_LIMIT_HELD_MAX] = { .type = NLA_U32 },
	[MOS_LIMIT_SEG_SIDE] = { .type = NLA_U32 },
	[MOS_LIMIT_PAWS] = { .type = NLA_U8 },
	[MOS_LIMIT_STORE_AGE_MS] = { .type = NLA_U32 },
};

static const char *const overlap_names[] = {
	[MOS_OVERLAP_FIRST] = "first",
	[MOS_OVERLAP_LAST] = "last",
	[MOS_OVERLAP_LINUX] = "linux",
};

static const char *const paws_names[] = {
	[MOS_PAWS_AUTO] = "auto",
	[MOS_PAWS_ON] = "on",
	[MOS_PAWS_OFF] = "off",
};

static const char *const unparsed_names[] = {
	[MOS_UNPARSED_DROP] = "drop",
	[MOS_UNPARSED_PASS] = "pass",
};

static struct nla_policy timeout_policy[MOS_TCP_STATES + 1] = {
	[1 ... MOS_TCP_STATES] = { .type = NLA_U32 },
};

static void limits_parse(struct nlattr *nest, struct limits *l)
{
	struct nlattr *tb[MOS_LIMIT_MAX + 1], *to[MOS_TCP_STATES + 1];
	int i;

	if (nla_parse_nested(tb, MOS_LIMIT_MAX, nest, limit_policy))
		return;
	if (tb[MOS_LIMIT_MAX_FLOWS]) {
		l->has_max_flows = true;
		l->max_flows = nla_get_u32(tb[MOS_LIMIT_MAX_FLOWS]);
	}
	if (tb[MOS_LIMIT_BUF_SIDE]) {
		l->has_buf_side = true;
		l->buf_side = nla_get_u32(tb[MOS_LIMIT_BUF_SIDE]);
	}
	if (tb[MOS_LIMIT_BUF_TOTAL]) {
		l->has_buf_total = true;
		l->buf_total = nla_get_u64(tb[MOS_LIMIT_BUF_TOTAL]);
	}
	if (tb[MOS_LIMIT_SEG_SIDE]) {
		l->has_seg_side = true;
		l->seg_side = nla_get_u32(tb[MOS_LIMIT_SEG_SIDE]);
	}
	if (tb[MOS_LIMIT_MIDSTREAM]) {
		l->has_midstream = true;
		l->midstream = nla_get_u8(tb[MOS_LIMIT_MIDSTREAM]);
	}
	if (tb[MOS_LIMIT_OVERLAP]) {
		l->has_overlap = true;
		l->overlap = nla_get_u8(tb[MOS_LIMIT_OVERLAP]);
	}
	if (tb[MOS_LIMIT_STALL_MS]) {
		l->has_stall = true;
		l->stall_ms = nla_get_u32(tb[MOS_LIMIT_STALL_MS]);
	}
	if (tb[MOS_LIMIT_VERDICT_MS]) {
		l->has_vms = true;
		l->verdict_ms = nla_get_u32(tb[MOS_LIMIT_VERDICT_MS]);
	}
	if (tb[MOS_LIMIT_VERDICT_POLICY]) {
		l->has_vpolicy = true;
		l->vpolicy = nla_get_u8(tb[MOS_LIMIT_VERDICT_POLICY]);
	}
	if (tb[MOS_LIMIT_HELD_MAX]) {
		l->has_held_max = true;
		l->held_max = nla_get_u32(tb[MOS_LIMIT_HELD_MAX]);
	}
	if (tb[MOS_LIMIT_UNPARSED]) {
		l->has_unparsed = true;
		l->unparsed = nla_get_u8(tb[MOS_LIMIT_UNPARSED]);
	}
	if (tb[MOS_LIMIT_PAWS]) {
		l->has_paws = true;
		l->paws = nla_get_u8(tb[MOS_LIMIT_PAWS]);
	}
	if (tb[MOS_LIMIT_STORE_AGE_MS]) {
		l->has_store_age = true;
		l->store_age_ms = nla_get_u32(tb[MOS_LIMIT_STORE_AGE_MS]);
	}
	if (tb[MOS_LIMIT_TIMEOUTS] &&
	    !nla_parse_nested(to, MOS_TCP_STATES, tb[MOS_LIMIT_TIMEOUTS],
			      timeout_policy)) {
		for (i = 0; i < MOS_TCP_STATES; i++) {
			if (!to[i + 1])
				continue;
			l->has_timeout[i] = true;
			l->timeout[i] = nla_get_u32(to[i + 1]);
		}
	}
}

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
	if (tb[MOS_A_MODE]) {
		s->has_mode = true;
		s->mode = nla_get_u8(tb[MOS_A_MODE]);
	}
	if (tb[MOS_A_MOD_VERSION])
		snprintf(s->version, sizeof(s->version), "%s",
			 nla_get_string(tb[MOS_A_MOD_VERSION]));
	if (tb[MOS_A_STATS] &&
	    !nla_parse_nested(st, MOS_STAT_MAX, tb[MOS_A_STATS], stat_policy)) {
		for (i = MOS_STAT_PACKETS; i <= MOS_STAT_MAX; i++)
			if (st[i])
				s->stats[i] = nla_get_u64(st[i]);
	}
	if (tb[MOS_A_LIMITS])
		limits_parse(tb[MOS_A_LIMITS], &s->lim);
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

/**
 * do_ns_enable() - ns enable [passive|inline]
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int do_ns_enable(struct mosctl *c, int argc, char **argv)
{
	const char *verb = "ns enable";
	unsigned int mode = MOS_MODE_PASSIVE;
	struct nl_msg *msg;

	if (argc > 0) {
		if (!strcmp(argv[0], "passive"))
			mode = MOS_MODE_PASSIVE;
		else if (!strcmp(argv[0], "inline"))
			mode = MOS_MODE_INLINE;
		else
			return usage_error(verb,
					   "unknown mode \"%s\" (passive or inline)",
					   argv[0]);
		if (no_more_args(verb, argc - 1, argv + 1))
			return EXIT_USAGE;
	}
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	msg = mosctl_msg(c, MOS_CMD_NS_ENABLE, 0);
	if (msg && nla_put_u8(msg, MOS_A_MODE, mode)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return mosctl_report(c, verb, mosctl_talk(c, msg, NULL, NULL));
}

/**
 * do_ns_disable() - ns disable
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int do_ns_disable(struct mosctl *c, int argc, char **argv)
{
	if (no_more_args("ns disable", argc, argv))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	return mosctl_report(c, "ns disable",
			     mosctl_cmd(c, MOS_CMD_NS_DISABLE, NULL, NULL));
}

/* The limits, as lines "set" takes back: "max-flows 65536" */
static void limits_print(const struct limits *l)
{
	char buf[16];
	int i;

	out_obj_begin("limits");
	if (l->has_max_flows) {
		out_text("max-flows ");
		out_u64("max_flows", "%llu\n", l->max_flows);
	}
	if (l->has_buf_side) {
		out_text("buffer-bytes ");
		out_u64("buffer_bytes", "%llu\n", l->buf_side);
	}
	if (l->has_buf_total) {
		out_text("buffer-total ");
		out_u64("buffer_total", "%llu\n", l->buf_total);
	}
	if (l->has_seg_side) {
		out_text("buffer-pieces ");
		out_u64("buffer_pieces", "%llu\n", l->seg_side);
	}
	if (l->has_midstream)
		out_bool("midstream", "midstream on\n", "midstream off\n",
			 l->midstream);
	if (l->has_overlap) {
		snprintf(buf, sizeof(buf), "%u", l->overlap);
		out_kv_str("overlap", l->overlap < ARRAY_SIZE(overlap_names) ?
			   overlap_names[l->overlap] : buf);
	}
	if (l->has_paws) {
		snprintf(buf, sizeof(buf), "%u", l->paws);
		out_kv_str("paws", l->paws < ARRAY_SIZE(paws_names) ?
			   paws_names[l->paws] : buf);
	}
	if (l->has_stall) {
		out_text("stall-timeout ");
		out_u64("stall_timeout_ms", "%llu\n", l->stall_ms);
	}
	if (l->has_vms) {
		out_text("verdict-timeout ");
		out_u64("verdict_timeout_ms", "%llu\n", l->verdict_ms);
	}
	if (l->has_vpolicy) {
		out_text("verdict-policy ");
		out_str("verdict_policy", "%s\n",
			l->vpolicy == MOS_VPOLICY_DROP ? "drop" : "accept");
	}
	if (l->has_held_max) {
		out_text("held-max ");
		out_u64("held_max", "%llu\n", l->held_max);
	}
	if (l->has_unparsed) {
		snprintf(buf, sizeof(buf), "%u", l->unparsed);
		out_kv_str("unparsed", l->unparsed < ARRAY_SIZE(unparsed_names) ?
			   unparsed_names[l->unparsed] : buf);
	}
	if (l->has_store_age) {
		out_text("store-age ");
		out_u64("store_age_ms", "%llu\n", l->store_age_ms);
	}
	out_obj_begin("timeouts");
	for (i = 0; i < MOS_TCP_STATES; i++) {
		const char *name = state_name(i, buf, sizeof(buf));

		if (!l->has_timeout[i])
			continue;
		out_text("timeout %s ", name);
		out_u64(name, "%llu\n", l->timeout[i]);
	}
	out_obj_end();
	out_obj_end();
}

/**
 * do_ns_show() - ns show: whether the namespace is monitored, how, limits
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int do_ns_show(struct mosctl *c, int argc, char **argv)
{
	struct ns_state s;
	char buf[16];

	if (no_more_args("ns show", argc, argv))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	if (mosctl_report(c, "ns show", ns_get(c, &s)))
		return EXIT_REFUSED;
	out_begin();
	out_bool("enabled", "enabled yes\n", "enabled no\n", s.enabled);
	if (s.has_mode) {
		snprintf(buf, sizeof(buf), "%u", s.mode);
		out_kv_str("mode", s.mode < ARRAY_SIZE(mode_names) ?
			   mode_names[s.mode] : buf);
	}
	limits_print(&s.lim);
	out_end();
	return EXIT_OK;
}

static int set_number(const char *verb, int argc, char **argv, int *i,
		      unsigned long long max, unsigned long long *v)
{
	const char *name = argv[*i];

	if (*i + 1 >= argc)
		return usage_error(verb, "%s needs a value", name);
	if (parse_uint(argv[*i + 1], max, v))
		return usage_error(verb, "bad value \"%s\" for %s (0 to %llu)",
				   argv[*i + 1], name, max);
	*i += 2;
	return EXIT_OK;
}

static int set_parse(const char *verb, int argc, char **argv,
		     struct limits *l)
{
	unsigned long long v;
	int i = 0, st;

	if (argc < 1)
		return usage_error(verb, "no setting given");
	while (i < argc) {
		const char *w = argv[i];

		if (!strcmp(w, "max-flows")) {
			if (set_number(verb, argc, argv, &i, UINT32_MAX, &v))
				return EXIT_USAGE;
			l->has_max_flows = true;
			l->max_flows = v;
		} else if (!strcmp(w, "buffer-bytes")) {
			if (set_number(verb, argc, argv, &i, UINT32_MAX, &v))
				return EXIT_USAGE;
			l->has_buf_side = true;
			l->buf_side = v;
		} else if (!strcmp(w, "buffer-total")) {
			if (set_number(verb, argc, argv, &i, UINT64_MAX, &v))
				return EXIT_USAGE;
			l->has_buf_total = true;
			l->buf_total = v;
		} else if (!strcmp(w, "buffer-pieces")) {
			if (set_number(verb, argc, argv, &i, UINT32_MAX, &v))
				return EXIT_USAGE;
			l->has_seg_side = true;
			l->seg_side = v;
		} else if (!strcmp(w, "midstream")) {
			if (i + 1 >= argc)
				return usage_error(verb, "midstream needs on or off");
			if (!strcmp(argv[i + 1], "on"))
				l->midstream = true;
			else if (!strcmp(argv[i + 1], "off"))
				l->midstream = false;
			else
				return usage_error(verb,
						   "bad value \"%s\" for midstream (on or off)",
						   argv[i + 1]);
			l->has_midstream = true;
			i += 2;
		} else if (!strcmp(w, "overlap")) {
			if (i + 1 >= argc)
				return usage_error(verb, "overlap needs linux, first or last");
			if (!strcmp(argv[i + 1], "first"))
				l->overlap = MOS_OVERLAP_FIRST;
			else if (!strcmp(argv[i + 1], "last"))
				l->overlap = MOS_OVERLAP_LAST;
			else if (!strcmp(argv[i + 1], "linux"))
				l->overlap = MOS_OVERLAP_LINUX;
			else
				return usage_error(verb,
						   "bad value \"%s\" for overlap (linux, first or last)",
						   argv[i + 1]);
			l->has_overlap = true;
			i += 2;
		} else if (!strcmp(w, "paws")) {
			if (i + 1 >= argc)
				return usage_error(verb, "paws needs auto, on or off");
			if (!strcmp(argv[i + 1], "auto"))
				l->paws = MOS_PAWS_AUTO;
			else if (!strcmp(argv[i + 1], "on"))
				l->paws = MOS_PAWS_ON;
			else if (!strcmp(argv[i + 1], "off"))
				l->paws = MOS_PAWS_OFF;
			else
				return usage_error(verb,
						   "bad value \"%s\" for paws (auto, on or off)",
						   argv[i + 1]);
			l->has_paws = true;
			i += 2;
		} else if (!strcmp(w, "stall-timeout")) {
			if (set_number(verb, argc, argv, &i, UINT32_MAX, &v))
				return EXIT_USAGE;
			l->has_stall = true;
			l->stall_ms = v;
		} else if (!strcmp(w, "verdict-timeout")) {
			if (set_number(verb, argc, argv, &i, MOS_VERDICT_MS_LIMIT,
				       &v))
				return EXIT_USAGE;
			l->has_vms = true;
			l->verdict_ms = v;
		} else if (!strcmp(w, "held-max")) {
			if (set_number(verb, argc, argv, &i, MOS_HELD_MAX_LIMIT,
				       &v))
				return EXIT_USAGE;
			l->has_held_max = true;
			l->held_max = v;
		} else if (!strcmp(w, "verdict-policy")) {
			if (i + 1 >= argc)
				return usage_error(verb, "verdict-policy needs accept or drop");
			if (!strcmp(argv[i + 1], "accept"))
				l->vpolicy = MOS_VPOLICY_ACCEPT;
			else if (!strcmp(argv[i + 1], "drop"))
				l->vpolicy = MOS_VPOLICY_DROP;
			else
				return usage_error(verb,
						   "bad value \"%s\" for verdict-policy (accept or drop)",
						   argv[i + 1]);
			l->has_vpolicy = true;
			i += 2;
		} else if (!strcmp(w, "store-age")) {
			if (set_number(verb, argc, argv, &i, UINT32_MAX, &v))
				return EXIT_USAGE;
			l->has_store_age = true;
			l->store_age_ms = v;
		} else if (!strcmp(w, "unparsed")) {
			if (i + 1 >= argc)
				return usage_error(verb, "unparsed needs drop or pass");
			if (!strcmp(argv[i + 1], "drop"))
				l->unparsed = MOS_UNPARSED_DROP;
			else if (!strcmp(argv[i + 1], "pass"))
				l->unparsed = MOS_UNPARSED_PASS;
			else
				return usage_error(verb,
						   "bad value \"%s\" for unparsed (drop or pass)",
						   argv[i + 1]);
			l->has_unparsed = true;
			i += 2;
		} else if (!strcmp(w, "timeout")) {
			if (i + 2 >= argc)
				return usage_error(verb, "timeout needs a TCP state and seconds");
			st = state_parse(argv[i + 1]);
			if (st < 0)
				return usage_error(verb, "unknown TCP state \"%s\"",
						   argv[i + 1]);
			i++;
			if (set_number(verb, argc, argv, &i, UINT32_MAX, &v))
				return EXIT_USAGE;
			l->has_timeout[st] = true;
			l->timeout[st] = v;
		} else {
			return usage_error(verb, "unknown setting \"%s\"", w);
		}
	}
	return EXIT_OK;
}

static int limits_put(struct nl_msg *msg, const struct limits *l)
{
	struct nlattr *nest, *to = NULL;
	int i;

	nest = nla_nest_start(msg, NLA_F_NESTED | MOS_A_LIMITS);
	if (!nest)
		return -1;
	if ((l->has_max_flows &&
	     nla_put_u32(msg, MOS_LIMIT_MAX_FLOWS, l->max_flows)) ||
	    (l->has_buf_side &&
	     nla_put_u32(msg, MOS_LIMIT_BUF_SIDE, l->buf_side)) ||
	    (l->has_buf_total &&
	     nla_put_u64(msg, MOS_LIMIT_BUF_TOTAL, l->buf_total)) ||
	    (l->has_midstream &&
	     nla_put_u8(msg, MOS_LIMIT_MIDSTREAM, l->midstream)) ||
	    (l->has_overlap &&
	     nla_put_u8(msg, MOS_LIMIT_OVERLAP, l->overlap)) ||
	    (l->has_paws &&
	     nla_put_u8(msg, MOS_LIMIT_PAWS, l->paws)) ||
	    (l->has_stall &&
	     nla_put_u32(msg, MOS_LIMIT_STALL_MS, l->stall_ms)) ||
	    (l->has_unparsed &&
	     nla_put_u8(msg, MOS_LIMIT_UNPARSED, l->unparsed)) ||
	    (l->has_seg_side &&
	     nla_put_u32(msg, MOS_LIMIT_SEG_SIDE, l->seg_side)) ||
	    (l->has_store_age &&
	     nla_put_u32(msg, MOS_LIMIT_STORE_AGE_MS, l->store_age_ms)) ||
	    (l->has_vms &&
	     nla_put_u32(msg, MOS_LIMIT_VERDICT_MS, l->verdict_ms)) ||
	    (l->has_vpolicy &&
	     nla_put_u8(msg, MOS_LIMIT_VERDICT_POLICY, l->vpolicy)) ||
	    (l->has_held_max &&
	     nla_put_u32(msg, MOS_LIMIT_HELD_MAX, l->held_max)))
		return -1;
	for (i = 0; i < MOS_TCP_STATES; i++) {
		if (!l->has_timeout[i])
			continue;
		if (!to) {
			to = nla_nest_start(msg, NLA_F_NESTED | MOS_LIMIT_TIMEOUTS);
			if (!to)
				return -1;
		}
		/* the nest's attribute type is the state's number + 1 */
		if (nla_put_u32(msg, i + 1, l->timeout[i]))
			return -1;
	}
	if (to)
		nla_nest_end(msg, to);
	nla_nest_end(msg, nest);
	return 0;
}

/**
 * do_set() - set SETTING [SETTING...]: change limits, in one request
 * @c: the connection, not open yet
 * @argc: arguments after the object
 * @argv: the arguments
 *
 * A setting given twice counts once, with its last value.
 *
 * Return: the exit status.
 */
int do_set(struct mosctl *c, int argc, char **argv)
{
	struct limits l;
	struct nl_msg *msg;

	memset(&l, 0, sizeof(l));
	if (set_parse("set", argc, argv, &l))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	msg = mosctl_msg(c, MOS_CMD_NS_SET, 0);
	if (msg && limits_put(msg, &l)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return mosctl_report(c, "set", mosctl_talk(c, msg, NULL, NULL));
}

/**
 * do_stats() - stats: the counters, then each rule's hits
 * @c: the connection, not open yet
 * @argc: arguments after the object
 * @argv: the arguments
 *
 * Text: "name value" lines, then "rule ID hits N" lines.  JSON: the
 * counters, and "rules": [{"id": ID, "hits": N}].
 *
 * Return: the exit status.
 */
int do_stats(struct mosctl *c, int argc, char **argv)
{
	struct mos_rule *rules = NULL;
	struct ns_state s;
	size_t n = 0, j;
	int i, rc;

	if (no_more_args("stats", argc, argv))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	if (mosctl_report(c, "stats", ns_get(c, &s)))
		return EXIT_REFUSED;
	rc = mosctl_report(c, "stats", rule_dump(c, &rules, &n));
	if (rc)
		return rc;
	out_begin();
	for (i = MOS_STAT_PACKETS; i <= MOS_STAT_MAX; i++)
		out_kv_u64(stat_names[i], s.stats[i]);
	out_arr_begin("rules");
	for (j = 0; j < n; j++) {
		out_obj_begin(NULL);
		out_u64("id", "rule %llu", rules[j].id);
		out_u64("hits", " hits %llu\n", rules[j].hits);
		out_obj_end();
	}
	out_arr_end();
	out_end();
	rule_free(rules, n);
	return EXIT_OK;
}

/**
 * do_version() - version: mosctl's, the module's, the family's
 * @c: the connection, not open yet
 * @argc: arguments after the object
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int do_version(struct mosctl *c, int argc, char **argv)
{
	struct ns_state s;

	if (no_more_args("version", argc, argv))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	if (mosctl_report(c, "version", ns_get(c, &s)))
		return EXIT_REFUSED;
	out_begin();
	out_kv_str("mosctl", MOSCTL_VERSION);
	out_kv_str("module", s.version);
	out_kv_u64("genl_version", MOS_GENL_VERSION);
	out_end();
	return EXIT_OK;
}
