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
 *	[decap]
 * @c: the connection, not open yet
 * @argc: arguments after the verb
 * @argv: the arguments
 *
 * Native mode (the driver's XDP) by default; generic runs the program on
 * the skb.  Passive by default: every frame passes; inline applies the
 * namespace's drops (XDP_DROP).  decap removes encapsulations (IP in IP,
 * GRE, ERSPAN, VXLAN, Geneve, PPPoE, GTP-U) and tracks the inner packet.
 *
 * Return: the exit status.
 */
int do_link_attach(struct mosctl *c, int argc, char **argv)
{
	const char *verb = "link attach", *dev;
	bool inl = false, generic = false, decap = false;
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
		} else {
			return usage_error(verb, "unexpected \"%s\"", argv[i]);
		}
	}
	if (mosctl_open(c, true))
		return EXIT_REFUSED;
	ifindex = link_ifindex(verb, dev);
	if (!ifindex)
		return EXIT_REFUSED;
	if (decap) {
		err = link_abi_minor();
		if (err >= 0 && err < LINK_DECAP_MINOR) {
			fprintf(stderr,
				"mosctl: %s: the loaded mos.ko (ABI 0.%d) cannot decapsulate (0.%d)\n",
				verb, err, LINK_DECAP_MINOR);
			return EXIT_REFUSED;
		}
		if (err < 0) {
			fprintf(stderr, "mosctl: %s: /dev/%s: %s\n", verb,
				MOS_DEV_NAME, strerror(-err));
			return EXIT_REFUSED;
		}
	}

	err = link_bpf_load((inl ? MOS_XDP_F_INLINE : 0) |
			    (decap ? MOS_XDP_F_DECAP : 0), &lb);
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

struct link_list {
	unsigned int ifindex[MOS_XDP_LINKS_MAX];
	unsigned int n;
};

static int link_list_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MOS_A_MAX + 1], *a;
	struct link_list *l = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, NULL) ||
	    !tb[MOS_A_LINKS])
		return NL_OK;
	nla_for_each_nested(a, tb[MOS_A_LINKS], rem)
		if (nla_type(a) == MOS_A_IFINDEX && l->n < MOS_XDP_LINKS_MAX)
			l->ifindex[l->n++] = nla_get_u32(a);
	return NL_OK;
}

/*
 * " flags passive|inline[,decap]" of mos's program, " flags -" when no
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
 * or inline, then ",decap"), "-" for none.  JSON: {"links": [{"dev",
 * "ifindex", "mode", "prog", "program", "flags": [...]}]}.
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
		out_obj_end();
	}
	out_arr_end();
	out_end();
	return EXIT_OK;
}
