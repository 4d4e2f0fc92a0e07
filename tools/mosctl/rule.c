// SPDX-License-Identifier: GPL-2.0
/*
 * rule.c - rule add|del|list|flush
 *
 * A rule is a pcap expression, compiled here by libpcap into classic BPF
 * (which the kernel runs on each flow's first packet), its source text
 * for listings, an action and a priority.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mosctl.h"

static struct nla_policy rule_policy[MOS_A_MAX + 1] = {
	[MOS_A_RULE_ID] = { .type = NLA_U32 },
	[MOS_A_RULE_PRIO] = { .type = NLA_U32 },
	[MOS_A_RULE_ACTION] = { .type = NLA_U8 },
	[MOS_A_RULE_EXPR] = { .type = NLA_STRING },
	[MOS_A_RULE_HITS] = { .type = NLA_U64 },
};

struct rule_list {
	struct mos_rule *rules;
	size_t n;
	size_t size;
	bool nomem;
};

static int rule_dump_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MOS_A_MAX + 1];
	struct rule_list *l = arg;
	struct mos_rule *r;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, rule_policy) ||
	    !tb[MOS_A_RULE_ID])
		return NL_SKIP;
	if (l->n == l->size) {
		size_t size = l->size ? 2 * l->size : 64;
		struct mos_rule *p = realloc(l->rules, size * sizeof(*p));

		if (!p) {
			l->nomem = true;
			return NL_SKIP;
		}
		l->rules = p;
		l->size = size;
	}
	r = &l->rules[l->n];
	memset(r, 0, sizeof(*r));
	r->id = nla_get_u32(tb[MOS_A_RULE_ID]);
	if (tb[MOS_A_RULE_PRIO])
		r->prio = nla_get_u32(tb[MOS_A_RULE_PRIO]);
	if (tb[MOS_A_RULE_ACTION])
		r->action = nla_get_u8(tb[MOS_A_RULE_ACTION]);
	if (tb[MOS_A_RULE_HITS])
		r->hits = nla_get_u64(tb[MOS_A_RULE_HITS]);
	if (tb[MOS_A_RULE_EXPR]) {
		r->expr = strdup(nla_get_string(tb[MOS_A_RULE_EXPR]));
		if (!r->expr) {
			l->nomem = true;
			return NL_SKIP;
		}
	}
	l->n++;
	return NL_OK;
}

/**
 * rule_dump() - the namespace's rules, in evaluation order
 * @c: an open connection
 * @rules: the rules, for rule_free()
 * @n: how many
 *
 * Return: 0 or a negative errno.
 */
int rule_dump(struct mosctl *c, struct mos_rule **rules, size_t *n)
{
	struct rule_list l = { 0 };
	int err;

	err = mosctl_talk(c, mosctl_msg(c, MOS_CMD_RULE_GET, NLM_F_DUMP),
			  rule_dump_cb, &l);
	if (!err && l.nomem)
		err = -ENOMEM;
	if (err) {
		rule_free(l.rules, l.n);
		l.rules = NULL;
		l.n = 0;
	}
	*rules = l.rules;
	*n = l.n;
	return err;
}

/**
 * rule_free() - free what rule_dump() returned
 * @rules: the rules
 * @n: how many
 */
void rule_free(struct mos_rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rules[i].expr);
	free(rules);
}

static int rule_add_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MOS_A_MAX + 1];
	long long *id = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, rule_policy) ||
	    !tb[MOS_A_RULE_ID])
		return NL_SKIP;
	*id = nla_get_u32(tb[MOS_A_RULE_ID]);
	return NL_OK;
}

/**
 * do_rule_add() - rule add [prio N] 'PCAP EXPR' action ACTION
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * The expression may also come as several words, as tcpdump takes it.
 * It is compiled before anything is sent: a bad one is refused (exit 1)
 * with libpcap's message.  Prints the new rule's id.
 *
 * Return: the exit status.
 */
int do_rule_add(struct mosctl *c, int argc, char **argv)
{
	const char *verb = "rule add";
	unsigned long long prio = 0;
	struct bpf_program prog;
	bool has_prio = false;
	struct nl_msg *msg;
	long long id = -1;
	int action, i = 0, err;
	char *expr;

	if (argc >= 1 && !strcmp(argv[0], "prio")) {
		if (argc < 2)
			return usage_error(verb, "prio needs a value");
		if (parse_uint(argv[1], UINT32_MAX, &prio))
			return usage_error(verb, "bad value \"%s\" for prio (0 to %u)",
					   argv[1], UINT32_MAX);
		has_prio = true;
		i = 2;
	}
	if (argc - i < 2 || strcmp(argv[argc - 2], "action"))
		return usage_error(verb,
				   "expected 'PCAP EXPR' action monitor|ignore|drop|reset");
	action = action_parse(argv[argc - 1]);
	if (action < 0)
		return usage_error(verb,
				   "unknown action \"%s\" (monitor, ignore, drop or reset)",
				   argv[argc - 1]);
	if (argc - i < 3)
		return usage_error(verb, "no filter expression given");

	expr = join_args(argc - 2 - i, argv + i);
	if (!expr) {
		fprintf(stderr, "mosctl: %s: %s\n", verb, strerror(ENOMEM));
		return EXIT_REFUSED;
	}
	if (strlen(expr) >= MOS_RULE_EXPR_MAX) {
		fprintf(stderr,
			"mosctl: %s: filter expression too long (at most %d bytes)\n",
			verb, MOS_RULE_EXPR_MAX - 1);
		free(expr);
		return EXIT_REFUSED;
	}
	if (filter_compile(verb, expr, &prog)) {
		free(expr);
		return EXIT_REFUSED;
	}
	if (prog.bf_len > MOS_RULE_INSNS_MAX) {
		fprintf(stderr,
			"mosctl: %s: filter too long: %u instructions (at most %d)\n",
			verb, prog.bf_len, MOS_RULE_INSNS_MAX);
		err = EXIT_REFUSED;
		goto out;
	}

	if (mosctl_open(c, false)) {
		err = EXIT_REFUSED;
		goto out;
	}
	msg = mosctl_msg(c, MOS_CMD_RULE_ADD, 0);
	/* struct bpf_insn[] is struct sock_filter[]: sent as libpcap made it */
	if (msg &&
	    (nla_put(msg, MOS_A_RULE_BPF, prog.bf_len * sizeof(*prog.bf_insns),
		     prog.bf_insns) ||
	     nla_put_string(msg, MOS_A_RULE_EXPR, expr) ||
	     nla_put_u8(msg, MOS_A_RULE_ACTION, action) ||
	     (has_prio && nla_put_u32(msg, MOS_A_RULE_PRIO, prio)))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	err = mosctl_report(c, verb, mosctl_talk(c, msg, rule_add_cb, &id));
	if (!err && id < 0) {
		fprintf(stderr, "mosctl: %s: the kernel did not say the rule's id\n",
			verb);
		err = EXIT_REFUSED;
	}
	if (!err) {
		out_begin();
		out_kv_u64("id", id);
		out_end();
	}
out:
	pcap_freecode(&prog);
	free(expr);
	return err;
}

/**
 * do_rule_del() - rule del ID
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int do_rule_del(struct mosctl *c, int argc, char **argv)
{
	const char *verb = "rule del";
	unsigned long long id;
	struct nl_msg *msg;

	if (argc < 1)
		return usage_error(verb, "no rule id given");
	if (parse_uint(argv[0], UINT32_MAX, &id))
		return usage_error(verb, "bad rule id \"%s\"", argv[0]);
	if (no_more_args(verb, argc - 1, argv + 1))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	msg = mosctl_msg(c, MOS_CMD_RULE_DEL, 0);
	if (msg && nla_put_u32(msg, MOS_A_RULE_ID, id)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return mosctl_report(c, verb, mosctl_talk(c, msg, NULL, NULL));
}

/**
 * do_rule_list() - rule list: the rules in evaluation order
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Text: "id 1 prio 0 action drop hits 0 expr tcp port 80", the
 * expression last and verbatim.  JSON: {"rules": [{"id", "prio",
 * "action", "hits", "expr"}]}, "expr" only when the rule has one.
 *
 * Return: the exit status.
 */
int do_rule_list(struct mosctl *c, int argc, char **argv)
{
	struct mos_rule *rules;
	size_t n, i;
	char buf[16];

	if (no_more_args("rule list", argc, argv))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	if (mosctl_report(c, "rule list", rule_dump(c, &rules, &n)))
		return EXIT_REFUSED;
	out_begin();
	out_arr_begin("rules");
	for (i = 0; i < n; i++) {
		const struct mos_rule *r = &rules[i];

		out_obj_begin(NULL);
		out_u64("id", "id %llu", r->id);
		out_u64("prio", " prio %llu", r->prio);
		out_str("action", " action %s",
			action_name(r->action, buf, sizeof(buf)));
		out_u64("hits", " hits %llu", r->hits);
		if (r->expr)
			out_str("expr", " expr %s", r->expr);
		out_text("\n");
		out_obj_end();
	}
	out_arr_end();
	out_end();
	rule_free(rules, n);
	return EXIT_OK;
}

/**
 * do_rule_flush() - rule flush: delete all the namespace's rules
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int do_rule_flush(struct mosctl *c, int argc, char **argv)
{
	if (no_more_args("rule flush", argc, argv))
		return EXIT_USAGE;
	if (mosctl_open(c, false))
		return EXIT_REFUSED;
	return mosctl_report(c, "rule flush",
			     mosctl_cmd(c, MOS_CMD_RULE_FLUSH, NULL, NULL));
}
