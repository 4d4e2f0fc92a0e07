// SPDX-License-Identifier: GPL-2.0
/*
 * link.c - link attach, link detach, link show: mos's XDP program on a
 * device (Documentation/xdp.rst)
 *
 * attach loads the program (xdp/mos_xdp.bpf.c, embedded in mosctl as a
 * libbpf skeleton), records the device with the module
 * (%MOS_CMD_LINK_ADD) and attaches the program to the device through
 * rtnetlink (bpf_xdp_attach()), not replacing another program.  The
 * device then holds the program, and the program the module: the
 * attachment outlives mosctl, and goes with the device (its namespace
 * deleted, the device removed) or with link detach.  Everything happens
 * in the target namespace (-n enters it).
 */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "mosctl.h"
#include "link_bpf.h"

/* The first ABI minor whose kfunc knows %MOS_XDP_F_DECAP */
#define LINK_DECAP_MINOR	10
/* ... %MOS_XDP_F_TRUST_CSUM and %MOS_XDP_F_TX, and reports counters */
#define LINK_TX_MINOR		12

/*
 * The loaded module's /dev/mos ABI minor, or -errno.  An older module's
 * kfunc aborts every frame that carries a flag it does not know, and the
 * program passes those: nothing would be tracked, silently.
 */
static int link_abi_minor(void)
{
	struct mos_ioc_version v;
	int fd, err = 0;

	fd = open("/dev/" MOS_DEV_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, MOS_IOC_VERSION, &v))
		err = -errno;
	close(fd);
	return err ? err : (int)v.abi_minor;
}

/* @name's index in the namespace, or 0 with a message */
static unsigned int link_ifindex(const char *verb, const char *name)
{
	unsigned int ifindex = if_nametoindex(name);

	if (!ifindex)
		fprintf(stderr, "mosctl: %s: no device \"%s\"%s%s\n", verb, name,
			opt.netns ? " in namespace " : "",
			opt.netns ? opt.netns : "");
	return ifindex;
}

/* Send %MOS_CMD_LINK_ADD or %MOS_CMD_LINK_DEL for @ifindex */
static int link_record(struct mosctl *c, int cmd, unsigned int ifindex)
{
	struct nl_msg *msg = mosctl_msg(c, cmd, 0);

	if (msg && nla_put_u32(msg, MOS_A_IFINDEX, ifindex)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return mosctl_talk(c, msg, NULL, NULL);
}

/**
 * do_link_attach() - link attach DEV [mode native|generic] [passive|inline]
 *	[decap] [trust-csum]
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Native mode (the driver's XDP) by default; generic runs the program on
 * the skb.  Passive by default: every frame passes; inline applies the
 * namespace's drops (XDP_DROP).  decap removes encapsulations (IP in IP,
 * GRE, ERSPAN, VXLAN, Geneve, PPPoE, GTP-U) and tracks the inner packet.
 * trust-csum verifies no TCP checksum (a mirror port whose checksums were
 * verified upstream).  Inline, with a module that can (ABI minor 12), the
 * program also sends the resets of reset rules (%MOS_XDP_F_TX).
 *
 * Return: the exit status.
 */
int do_link_attach(struct mosctl *c, int argc, char **argv)
{
	const char *verb = "link attach", *dev;
	bool inl = false, generic = false, decap = false, trust = false;
	unsigned int flags;
	int minor = -1;
	struct link_bpf *lb;
	unsigned int ifindex;
	int err, i;

	if (argc < 1)
		return usage_error(verb, "no device given");
	dev = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "mode") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "native"))
				generic = false;
			else if (!strcmp(argv[i], "generic"))
				generic = true;
			else
				return usage_error(verb, "bad mode \"%s\" (native|generic)",
						   argv[i]);
		} else if (!strcmp(argv[i], "passive")) {
			inl = false;
		} else if (!strcmp(argv[i], "inline")) {
			inl = true;
		} else if (!strcmp(argv[i], "decap")) {
			decap = true;
		} else if (!strcmp(argv[i], "trust-csum")) {
			trust = true;
		} else {
			return usage_error(verb, "unexpected \"%s\"", argv[i]);
		}
	}
	if (mosctl_open(c, true))
		return EXIT_REFUSED;
	ifindex = link_ifindex(verb, dev);
	if (!ifindex)
		return EXIT_REFUSED;
	if (decap || trust || inl)
		minor = link_abi_minor();
	if ((decap || trust) && minor < 0) {
		fprintf(stderr, "mosctl: %s: /dev/%s: %s\n", verb,
			MOS_DEV_NAME, strerror(-minor));
		return EXIT_REFUSED;
	}
	if (decap && minor < LINK_DECAP_MINOR) {
		fprintf(stderr,
			"mosctl: %s: the loaded mos.ko (ABI 0.%d) cannot decapsulate (0.%d)\n",
			verb, minor, LINK_DECAP_MINOR);
		return EXIT_REFUSED;
	}
	if (trust && minor < LINK_TX_MINOR) {
		fprintf(stderr,
			"mosctl: %s: the loaded mos.ko (ABI 0.%d) cannot trust checksums (0.%d)\n",
			verb, minor, LINK_TX_MINOR);
		return EXIT_REFUSED;
	}

	flags = (inl ? MOS_XDP_F_INLINE : 0) | (decap ? MOS_XDP_F_DECAP : 0) |
		(trust ? MOS_XDP_F_TRUST_CSUM : 0);
	/* An older kfunc would abort every frame with the flag */
	if (inl && minor >= LINK_TX_MINOR)
		flags |= MOS_XDP_F_TX;
	err = link_bpf_load(flags, &lb);
	if (err) {
		fprintf(stderr,
			"mosctl: %s: cannot load the XDP program: %s (the module's kfunc mos_xdp_input is missing: mos.ko not loaded, or built without BTF?)\n",
			verb, strerror(-err));
		return EXIT_REFUSED;
	}
	/* Recorded first: the program's first frame already counts */
	err = link_record(c, MOS_CMD_LINK_ADD, ifindex);
	if (err) {
		link_bpf_free(lb);
		return mosctl_report(c, verb, err);
	}
	err = link_bpf_attach(lb, ifindex, generic);
	if (err) {
		fprintf(stderr, "mosctl: %s: cannot attach to %s: %s%s\n", verb,
			dev, strerror(-err),
			err == -EBUSY || err == -EEXIST ?
			" (another XDP program is attached)" :
			err == -EOPNOTSUPP ? " (no native XDP: try mode generic)" : "");
		link_record(c, MOS_CMD_LINK_DEL, ifindex);
		link_bpf_free(lb);
		return EXIT_REFUSED;
	}
	/* The device holds the program now */
	link_bpf_free(lb);
	return EXIT_OK;
}

/**
 * do_link_detach() - link detach DEV: mos's program off the device
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Another program attached to the device is left alone; the device is
 * forgotten by the module in any case.
 *
 * Return: the exit status.
 */
int do_link_detach(struct mosctl *c, int argc, char **argv)
{
	const char *verb = "link detach";
	struct link_prog lp;
	unsigned int ifindex;
	int err;

	if (argc < 1)
		return usage_error(verb, "no device given");
	if (no_more_args(verb, argc - 1, argv + 1))
		return EXIT_USAGE;
	if (mosctl_open(c, true))
		return EXIT_REFUSED;
	ifindex = link_ifindex(verb, argv[0]);
	if (!ifindex)
		return EXIT_REFUSED;
	err = link_bpf_query(ifindex, &lp);
	if (!err && lp.mos)
		err = link_bpf_detach(ifindex, &lp);
	if (err) {
		fprintf(stderr, "mosctl: %s: %s: %s\n", verb, argv[0],
			strerror(-err));
		return EXIT_REFUSED;
	}
	return mosctl_report(c, verb, link_record(c, MOS_CMD_LINK_DEL, ifindex));
}

/**
 * struct link_list - the devices of %MOS_A_LINKS
 * @ifindex: their indexes
 * @has_stats: the module gave their counters (ABI minor 12)
 * @stats: their &enum mos_link_stat counters
 * @n: how many
 */
struct link_list {
	unsigned int ifindex[MOS_XDP_LINKS_MAX];
	bool has_stats[MOS_XDP_LINKS_MAX];
	unsigned long long stats[MOS_XDP_LINKS_MAX][__MOS_LSTAT_MAX];
	unsigned int n;
};

/* The counters' names, by &enum mos_link_stat, in text and JSON */
static const char *const link_stat_names[__MOS_LSTAT_MAX] = {
	[MOS_LSTAT_FRAMES] = "frames",
	[MOS_LSTAT_BYTES] = "bytes",
	[MOS_LSTAT_NONIP] = "nonip",
	[MOS_LSTAT_TRACKED] = "tracked",
	[MOS_LSTAT_DECAP] = "decap",
	[MOS_LSTAT_DECAP_ERR] = "decap_err",
	[MOS_LSTAT_CSUM_BAD] = "csum_bad",
	[MOS_LSTAT_CSUM_TRUSTED] = "csum_trusted",
	[MOS_LSTAT_DROPPED] = "dropped",
	[MOS_LSTAT_RESETS] = "resets",
	[MOS_LSTAT_RESET_UNSENT] = "reset_unsent",
	[MOS_LSTAT_PARSE_ERR] = "parse_errors",
};

/* Each %MOS_A_IFINDEX, and the %MOS_A_LINK_STATS after it */
static int link_list_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MOS_A_MAX + 1], *a, *c;
	struct link_list *l = arg;
	int rem, crem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, NULL) ||
	    !tb[MOS_A_LINKS])
		return NL_OK;
	nla_for_each_nested(a, tb[MOS_A_LINKS], rem) {
		if (nla_type(a) == MOS_A_IFINDEX && l->n < MOS_XDP_LINKS_MAX) {
			l->ifindex[l->n++] = nla_get_u32(a);
		} else if (nla_type(a) == MOS_A_LINK_STATS && l->n) {
			l->has_stats[l->n - 1] = true;
			nla_for_each_nested(c, a, crem)
				if (nla_type(c) > MOS_LSTAT_PAD &&
				    nla_type(c) < __MOS_LSTAT_MAX &&
				    nla_len(c) == sizeof(uint64_t))
					l->stats[l->n - 1][nla_type(c)] =
						nla_get_u64(c);
		}
	}
	return NL_OK;
}

/*
 * " flags passive|inline[,decap][,trust-csum]" of mos's program, " flags -" when no
 * program of mos's is attached or its flags cannot be read; JSON: "flags":
 * ["inline", "decap"], [] for "-"
 */
static void link_show_flags(const struct link_prog *lp)
{
	bool known = lp->mos && lp->flags_known;

	out_text(" flags ");
	out_arr_begin("flags");
	if (!known) {
		out_text("-");
	} else {
		out_str(NULL, "%s", lp->flags & MOS_XDP_F_INLINE ? "inline" :
				    "passive");
		if (lp->flags & MOS_XDP_F_DECAP)
			out_str(NULL, ",%s", "decap");
		if (lp->flags & MOS_XDP_F_TRUST_CSUM)
			out_str(NULL, ",%s", "trust-csum");
	}
	out_arr_end();
}

/**
 * do_link_show() - link show: the devices recorded as XDP-attached
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Text: "eth0 ifindex 2 mode native prog 42 mos flags passive", "mos"
 * when the program attached is mos's, "other" when another program is,
 * "none" when none is; the flags mos's program was loaded with (passive
 * or inline, then ",decap", ",trust-csum"), "-" for none; then, indented
 * on a second line, the device's counters since it was recorded ("  frames
 * 12 bytes 1400 nonip 0 ...", &enum mos_link_stat), when the module gives
 * them.  JSON: {"links": [{"dev", "ifindex", "mode", "prog", "program",
 * "flags": [...], "stats": {"frames": 12, ...}}]}.
 *
 * Return: the exit status.
 */
int do_link_show(struct mosctl *c, int argc, char **argv)
{
	struct link_list l = { .n = 0 };
	unsigned int i;
	int err;

	if (no_more_args("link show", argc, argv))
		return EXIT_USAGE;
	if (mosctl_open(c, true))
		return EXIT_REFUSED;
	err = mosctl_cmd(c, MOS_CMD_NS_GET, link_list_cb, &l);
	if (err)
		return mosctl_report(c, "link show", err);
	out_begin();
	out_arr_begin("links");
	for (i = 0; i < l.n; i++) {
		char name[IF_NAMESIZE] = "?";
		struct link_prog lp;

		if (!if_indextoname(l.ifindex[i], name))
			snprintf(name, sizeof(name), "?");
		if (link_bpf_query(l.ifindex[i], &lp))
			memset(&lp, 0, sizeof(lp));
		out_obj_begin(NULL);
		out_str("dev", "%s", name);
		out_u64("ifindex", " ifindex %llu", l.ifindex[i]);
		out_str("mode", " mode %s", link_bpf_mode_name(lp.mode));
		out_u64("prog", " prog %llu", lp.id);
		out_str("program", " %s", !lp.id ? "none" : lp.mos ? "mos" : "other");
		link_show_flags(&lp);
		out_text("\n");
		if (l.has_stats[i]) {
			unsigned int j;

			out_obj_begin("stats");
			out_text(" ");
			for (j = MOS_LSTAT_FRAMES; j < __MOS_LSTAT_MAX; j++) {
				out_text(" %s", link_stat_names[j]);
				out_u64(link_stat_names[j], " %llu",
					l.stats[i][j]);
			}
			out_text("\n");
			out_obj_end();
		}
		out_obj_end();
	}
	out_arr_end();
	out_end();
	return EXIT_OK;
}
