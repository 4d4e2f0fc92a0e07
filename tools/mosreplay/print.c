// SPDX-License-Identifier: GPL-2.0
/*
 * print.c - mosreplay's event lines and summary, as text or JSON
 *
 * Text and JSON come from the same calls: a field is either a column
 * (text: the value alone) or a key (text: key=value); in JSON both are
 * "key":value.  One line per event, a JSON object from the writer of
 * tools/lib/json.c.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include "json.h"
#include "mosreplay.h"

/**
 * struct line - a line being printed
 * @c: the replay (output stream, format)
 * @n: fields printed so far (text)
 * @j: the line's JSON object (JSON)
 */
struct line {
	struct mr_ctx *c;
	unsigned int n;
	struct json j;
};

static const char *const hook_names[] = {
	[TM_HK_NULL] = "NULL",
	[TM_HK_SND] = "SND",
	[TM_HK_RCV] = "RCV",
};

static const char *const side_names[] = {
	[TM_CLI] = "cli",
	[TM_SVR] = "svr",
};

static const char *const end_names[] = {
	[TM_END_FIN] = "fin",
	[TM_END_RST] = "rst",
	[TM_END_TIMEOUT] = "timeout",
	[TM_END_REUSE] = "reuse",
	[TM_END_FLUSH] = "flush",
	[TM_END_EVICT] = "evict",
};

/* The "not accepted by the receiver" counters, as mosctl names them */
static const struct {
	unsigned int stat;
	const char *name;
} nacc_stats[] = {
	{ TM_STAT_NACC_NOACK, "nacc_noack" },
	{ TM_STAT_NACC_ACK_UNSENT, "nacc_ack_unsent" },
	{ TM_STAT_NACC_ACK_OLD, "nacc_ack_old" },
	{ TM_STAT_NACC_PAWS, "nacc_paws" },
	{ TM_STAT_NACC_SYN_DATA, "nacc_syn_data" },
	{ TM_STAT_NACC_FIN, "nacc_fin" },
	{ TM_STAT_NACC_URG, "nacc_urg" },
};

/* Entry @i of a table of @n names, "?" outside it */
static const char *name_in(const char *const *tab, size_t n, unsigned int i)
{
	return i < n && tab[i] ? tab[i] : "?";
}

/* A name from the core, never NULL. */
static const char *nz(const char *s)
{
	return s ? s : "?";
}

/* Start a line: in JSON, its object */
static void line_start(struct line *l, struct mr_ctx *c)
{
	l->c = c;
	l->n = 0;
	if (c->json) {
		json_init(&l->j, c->out, false);
		json_obj_begin(&l->j, NULL);
	}
}

/**
 * field_as() - start a field whose key differs between text and JSON
 * @l:		the line
 * @key:	JSON key
 * @tkey:	text key, or NULL for a fixed column printed without its key
 */
static void field_as(struct line *l, const char *key, const char *tkey)
{
	FILE *f = l->c->out;

	if (l->c->json) {
		json_key(&l->j, key);
		return;
	}
	if (l->n)
		fputc(' ', f);
	if (tkey)
		fprintf(f, "%s=", tkey);
	l->n++;
}

/**
 * field() - start a field: separator, and its key where the format
 * shows one
 * @l:		the line
 * @key:	field name
 * @column:	in text, a fixed column printed without its key
 */
static void field(struct line *l, const char *key, bool column)
{
	field_as(l, key, column ? NULL : key);
}

/* The value of a field just started: a string */
static void put_raw_str(struct line *l, const char *v)
{
	if (l->c->json)
		json_string(l->c->out, v);
	else
		fputs(v, l->c->out);
}

static void put_str(struct line *l, const char *key, const char *v,
		    bool column)
{
	field(l, key, column);
	put_raw_str(l, v);
}

static void put_u64(struct line *l, const char *key, u64 v, bool column)
{
	field(l, key, column);
	fprintf(l->c->out, "%llu", (unsigned long long)v);
}

/* A column that may be absent: "-" in text, null in JSON. */
static void put_none(struct line *l, const char *key)
{
	field(l, key, true);
	fputs(l->c->json ? "null" : "-", l->c->out);
}

/* Capture time, seconds and microseconds: a number in JSON too. */
static void put_ts(struct line *l, u64 ns)
{
	field(l, "ts", true);
	fprintf(l->c->out, "%llu.%06llu",
		(unsigned long long)(ns / 1000000000),
		(unsigned long long)(ns % 1000000000 / 1000));
}

static void line_end(struct line *l)
{
	if (l->c->json)
		json_obj_end(&l->j);
	fputc('\n', l->c->out);
}

/**
 * fmt_endpoint() - "ip:port", IPv6 in brackets; "ip" without a port
 * @buf:	at least 64 bytes
 * @family:	4 or 6
 * @a:		address
 * @port:	port, network order
 * @with_port:	whether to show @port
 *
 * Return: @buf.
 */
static const char *fmt_endpoint(char *buf, u8 family, const union tm_addr *a,
				__be16 port, bool with_port)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (!with_port)
		snprintf(buf, 64, "%s", ip);
	else if (family == 6)
		snprintf(buf, 64, "[%s]:%u", ip, ntohs(port));
	else
		snprintf(buf, 64, "%s:%u", ip, ntohs(port));
	return buf;
}

/**
 * put_endpoints() - the flow column (text "a>b"; JSON two fields)
 * @l:		the line
 * @k1:		JSON key of the first end ("cli" or "src")
 * @k2:		JSON key of the second end
 * @e1:		first end
 * @e2:		second end
 */
static void put_endpoints(struct line *l, const char *k1, const char *k2,
			  const char *e1, const char *e2)
{
	if (l->c->json) {
		put_str(l, k1, e1, true);
		put_str(l, k2, e2, true);
		return;
	}
	field(l, k1, true);
	fprintf(l->c->out, "%s>%s", e1, e2);
}

/**
 * mr_print_event() - print one event line
 * @c:	the replay
 * @f:	the flow, or NULL for ORPHAN and flow-less ERROR events
 * @ev:	the event
 * @p:	the packet's headers, or NULL for events without a packet
 *
 * Text: PKT TS HOOK SIDE EVENT id=ID CLI>SVR cli=STATE svr=STATE, then
 * the event's own key=value fields.  Without a flow: SIDE is "-", the
 * flow is the packet's SRC>DST (or "-"), and there are no states.
 */
void mr_print_event(struct mr_ctx *c, const struct tm_flow *f,
		    const struct tm_ev *ev, const struct tm_pkt *p)
{
	struct line l;
	char e1[64], e2[64];

	line_start(&l, c);
	if (c->pkt)
		put_u64(&l, "pkt", c->pkt, true);
	else
		put_none(&l, "pkt");
	put_ts(&l, c->now);
	put_str(&l, "hook", name_in(hook_names, ARRAY_SIZE(hook_names), ev->hook), true);
	if (f)
		put_str(&l, "side", name_in(side_names, ARRAY_SIZE(side_names), ev->side), true);
	else
		put_none(&l, "side");
	put_str(&l, "event", nz(mos_tm_event_name(ev->type)), true);
	put_u64(&l, "id", f ? f->id : 0, false);

	if (f) {
		fmt_endpoint(e1, f->family, &f->addr[TM_CLI], f->port[TM_CLI],
			     true);
		fmt_endpoint(e2, f->family, &f->addr[TM_SVR], f->port[TM_SVR],
			     true);
		put_endpoints(&l, "cli", "svr", e1, e2);
		/* text: cli=STATE svr=STATE */
		field_as(&l, "cli_state", "cli");
		put_raw_str(&l, nz(mos_tm_state_name(f->half[TM_CLI].state)));
		field_as(&l, "svr_state", "svr");
		put_raw_str(&l, nz(mos_tm_state_name(f->half[TM_SVR].state)));
	} else if (p) {
		/* Ports only where a TCP header was parsed. */
		bool ports = p->l4proto == IPPROTO_TCP && p->doff;

		fmt_endpoint(e1, p->family, &p->saddr, p->sport, ports);
		fmt_endpoint(e2, p->family, &p->daddr, p->dport, ports);
		put_endpoints(&l, "src", "dst", e1, e2);
	} else {
		put_none(&l, "src");
	}

	switch (ev->type) {
	case TM_EV_NEW_DATA:
	case TM_EV_REXMIT:
		put_u64(&l, "off", ev->off, false);
		put_u64(&l, "len", ev->len, false);
		break;
	case TM_EV_ERROR:
		put_str(&l, "err", nz(mos_tm_err_name(ev->err)), false);
		put_u64(&l, "off", ev->off, false);
		put_u64(&l, "len", ev->len, false);
		break;
	case TM_EV_STATE_CHANGE:
		put_str(&l, "from", nz(mos_tm_state_name(ev->old_state)),
			false);
		put_str(&l, "to", f && ev->side <= TM_SVR ?
			nz(mos_tm_state_name(f->half[ev->side].state)) : "?",
			false);
		break;
	case TM_EV_CONN_END:
		put_str(&l, "reason", name_in(end_names, ARRAY_SIZE(end_names), ev->reason), false);
		break;
	}
	line_end(&l);
}

/**
 * mr_print_summary() - print the summary line, the last of the output
 * @c:		the replay
 * @n:		mosreplay's own counts
 * @stats:	the table's counters (mos_tm_stats())
 * @open:	flows still in the table
 */
void mr_print_summary(struct mr_ctx *c, const struct tm_cap_counts *n,
		      const u64 *stats, unsigned int open)
{
	struct line l;
	unsigned int i;

	line_start(&l, c);
	if (c->json) {
		json_bool(&l.j, "summary", true);
	} else {
		fputs("summary", c->out);
		l.n = 1;
	}
	put_u64(&l, "packets", n->packets, false);
	put_u64(&l, "tcp", n->tcp, false);
	put_u64(&l, "other", n->other, false);
	put_u64(&l, "parse_errors", n->parse_errors, false);
	put_u64(&l, "truncated", n->truncated, false);
	put_u64(&l, "non_ip", n->non_ip, false);
	put_u64(&l, "ip_fragments", n->ip_fragments, false);
	put_u64(&l, "ip6_opt_discard", n->ip6_opt_discard, false);
	put_u64(&l, "ip6_hbh_not_first", n->ip6_hbh_not_first, false);
	put_u64(&l, "ip6_rh_discard", n->ip6_rh_discard, false);
	put_u64(&l, "ip4_opt_discard", n->ip4_opt_discard, false);
	put_u64(&l, "decap", n->decap, false);
	put_u64(&l, "decap_unknown", n->decap_unknown, false);
	put_u64(&l, "decap_bad", n->decap_bad, false);
	put_u64(&l, "decap_deep", n->decap_deep, false);
	put_u64(&l, "flows", stats[TM_STAT_FLOWS], false);
	put_u64(&l, "open", open, false);

	/* Text: "events: NAME=N ..."; JSON: "events":{"NAME":N,...} */
	if (c->json)
		json_obj_begin(&l.j, "events");
	else
		fputs(" events:", c->out);
	for (i = 0; i < TM_EV_MAX; i++) {
		if (i == TM_EV_PKT_OUT)
			continue;
		if (c->json)
			json_u64(&l.j, nz(mos_tm_event_name(i)),
				 stats[TM_STAT_EV + i]);
		else
			fprintf(c->out, " %s=%llu", nz(mos_tm_event_name(i)),
				(unsigned long long)stats[TM_STAT_EV + i]);
	}
	if (c->json)
		json_obj_end(&l.j);

	put_u64(&l, "bytes_c2s", stats[TM_STAT_BYTES_C2S], false);
	put_u64(&l, "bytes_s2c", stats[TM_STAT_BYTES_S2C], false);
	put_u64(&l, "gaps", stats[TM_STAT_GAPS], false);
	put_u64(&l, "gap_bytes", stats[TM_STAT_GAP_BYTES], false);
	put_u64(&l, "csum_bad", n->csum_bad, false);
	/* What the receivers did not accept (tcpmon.rst) */
	for (i = 0; i < ARRAY_SIZE(nacc_stats); i++)
		put_u64(&l, nacc_stats[i].name, stats[nacc_stats[i].stat],
			false);
	if (c->live) {
		put_u64(&l, "pcap_recv", n->pcap_recv, false);
		put_u64(&l, "pcap_drop", n->pcap_drop, false);
		put_u64(&l, "pcap_ifdrop", n->pcap_ifdrop, false);
	}
	line_end(&l);
}
