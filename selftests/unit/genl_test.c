// SPDX-License-Identifier: GPL-2.0
/*
 * genl_test.c - the "mos" generic netlink family rejects bad requests
 *
 * Runs in the test VM with mos.ko loaded, as root, in a namespace where
 * monitoring is off.  Each request is sent raw with libnl and the kernel's
 * errno is read from the ack.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include "kselftest_harness.h"
#include <linux/mos.h>

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	*(int *)arg = e->error;
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	*(int *)arg = 0;
	return NL_STOP;
}

/* A request to the family, or NULL; *sk set to its socket */
static struct nl_msg *req_new(struct nl_sock **sk, int cmd, int version,
			      int size)
{
	struct nl_msg *msg;
	int family;

	*sk = nl_socket_alloc();
	if (!*sk || genl_connect(*sk))
		return NULL;
	family = genl_ctrl_resolve(*sk, MOS_GENL_NAME);
	if (family < 0)
		return NULL;
	msg = nlmsg_alloc_size(size + 4096);
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
		    NLM_F_REQUEST | NLM_F_ACK, cmd, version);
	return msg;
}

/* Send it, free both; the kernel's errno */
static int req_send(struct nl_sock *sk, struct nl_msg *msg)
{
	int kerr = 1;

	if (!msg) {
		nl_socket_free(sk);
		return -1000;
	}
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, err_cb, &kerr);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &kerr);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, ack_cb, &kerr);
	nl_send_auto(sk, msg);
	nlmsg_free(msg);
	nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	return kerr;
}

/* Send @cmd with @nattrs u32 attributes of type @attr; the kernel's errno. */
static int request(int cmd, int version, int attr, int nattrs)
{
	struct nl_sock *sk;
	struct nl_msg *msg = req_new(&sk, cmd, version, 0);
	int i;

	for (i = 0; msg && i < nattrs; i++)
		nla_put_u32(msg, attr, 1);
	return req_send(sk, msg);
}

/* One attribute of any type and payload; the kernel's errno. */
static int request_attr(int cmd, int attr, const void *data, int len)
{
	struct nl_sock *sk;
	struct nl_msg *msg = req_new(&sk, cmd, MOS_GENL_VERSION, len);

	if (msg && attr)
		nla_put(msg, attr, len, data);
	return req_send(sk, msg);
}

/* A rule: the program, if any, and the action if @act >= 0 */
static int rule_add(const void *prog, int len, int act)
{
	struct nl_sock *sk;
	struct nl_msg *msg = req_new(&sk, MOS_CMD_RULE_ADD, MOS_GENL_VERSION,
				     len);

	if (msg && prog)
		nla_put(msg, MOS_A_RULE_BPF, len, prog);
	if (msg && act >= 0)
		nla_put_u8(msg, MOS_A_RULE_ACTION, act);
	return req_send(sk, msg);
}

TEST(get_succeeds)
{
	ASSERT_EQ(0, request(MOS_CMD_NS_GET, MOS_GENL_VERSION, 0, 0));
}

TEST(attributes_are_rejected)
{
	/* No command takes attributes: known, unknown, huge types alike. */
	EXPECT_EQ(-EINVAL, request(MOS_CMD_NS_GET, MOS_GENL_VERSION, MOS_A_NS_ENABLED, 1));
	EXPECT_EQ(-EINVAL, request(MOS_CMD_NS_GET, MOS_GENL_VERSION, MOS_A_STATS, 1));
	EXPECT_EQ(-EINVAL, request(MOS_CMD_NS_GET, MOS_GENL_VERSION, 0x3fff, 1));
	EXPECT_EQ(-EINVAL, request(MOS_CMD_NS_GET, MOS_GENL_VERSION, MOS_A_UNSPEC, 4));
	/* and a rejected enable changes nothing */
	EXPECT_EQ(-EINVAL, request(MOS_CMD_NS_ENABLE, MOS_GENL_VERSION, MOS_A_NS_ENABLED, 1));
	EXPECT_EQ(-ENOENT, request(MOS_CMD_NS_DISABLE, MOS_GENL_VERSION, 0, 0));
}

TEST(bad_attributes)
{
	__u8 two = 2, one = 1;
	__u32 big = 5, bad_fd = 9999, zero = 0;
	__u64 zero64 = 0, one64 = 1;
	int null_fd = open("/dev/null", O_RDONLY);

	/* Out of range, wrong length */
	EXPECT_EQ(-ERANGE, request_attr(MOS_CMD_NS_ENABLE, MOS_A_MODE, &two, 1));
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_NS_ENABLE, MOS_A_MODE, &big, 4));
	/* An attribute the command does not take */
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_NS_DISABLE, MOS_A_MODE, &one, 1));
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_RULE_FLUSH, MOS_A_RULE_ID, &big, 4));
	/* Namespace descriptors: not open, not a namespace */
	EXPECT_EQ(-EBADF, request_attr(MOS_CMD_NS_GET, MOS_A_NETNS_FD, &bad_fd, 4));
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_NS_GET, MOS_A_NETNS_FD, &null_fd, 4));
	close(null_fd);
	/* Limits: missing, empty, out of range */
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_NS_SET, 0, NULL, 0));
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_NS_SET, MOS_A_LIMITS | NLA_F_NESTED, NULL, 0));
	/* Rules: no such rule, id 0 */
	EXPECT_EQ(-ENOENT, request_attr(MOS_CMD_RULE_DEL, MOS_A_RULE_ID, &big, 4));
	EXPECT_EQ(-ERANGE, request_attr(MOS_CMD_RULE_DEL, MOS_A_RULE_ID, &zero, 4));
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_RULE_DEL, 0, NULL, 0));
	/* Flow reset: no id, id 0, a 4-byte id, monitoring off */
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_FLOW_RESET, 0, NULL, 0));
	EXPECT_EQ(-ERANGE, request_attr(MOS_CMD_FLOW_RESET, MOS_A_FLOW_ID, &zero64, 8));
	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_FLOW_RESET, MOS_A_FLOW_ID, &big, 4));
	EXPECT_EQ(-ENOENT, request_attr(MOS_CMD_FLOW_RESET, MOS_A_FLOW_ID, &one64, 8));
	/* the module still answers */
	EXPECT_EQ(0, request(MOS_CMD_NS_GET, MOS_GENL_VERSION, 0, 0));
}

/*
 * What %MOS_CMD_NS_GET says of the recorded devices: "I<ifindex>" for each
 * %MOS_A_IFINDEX of %MOS_A_LINKS, "S<counters>:<sum>" for each
 * %MOS_A_LINK_STATS, in their order
 */
static int links_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MOS_A_MAX + 1], *a, *c;
	char *out = arg;
	int rem, crem, n;
	__u64 sum;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MOS_A_MAX, NULL) ||
	    !tb[MOS_A_LINKS])
		return NL_OK;
	nla_for_each_nested(a, tb[MOS_A_LINKS], rem) {
		if (nla_type(a) == MOS_A_IFINDEX) {
			sprintf(out + strlen(out), "I%u", nla_get_u32(a));
		} else if (nla_type(a) == MOS_A_LINK_STATS) {
			n = 0;
			sum = 0;
			nla_for_each_nested(c, a, crem) {
				if (nla_type(c) == MOS_LSTAT_PAD)
					continue;
				n++;
				sum += nla_get_u64(c);
			}
			sprintf(out + strlen(out), "S%d:%llu", n,
				(unsigned long long)sum);
		}
	}
	return NL_OK;
}

static void links_get(char *out)
{
	struct nl_sock *sk;
	struct nl_msg *msg = req_new(&sk, MOS_CMD_NS_GET, MOS_GENL_VERSION, 0);

	out[0] = 0;
	if (!msg) {
		nl_socket_free(sk);
		return;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, links_cb, out);
	nl_send_auto(sk, msg);
	nlmsg_free(msg);
	nl_recvmsgs_default(sk);
	nl_socket_free(sk);
}

/* The record of XDP-attached devices (lo is device 1 in any namespace) */
TEST(links)
{
	char seen[256];

	__u32 lo = 1, zero = 0, none = 0x7fffffff;

	EXPECT_EQ(-EINVAL, request_attr(MOS_CMD_LINK_ADD, 0, NULL, 0));
	EXPECT_EQ(-ERANGE, request_attr(MOS_CMD_LINK_ADD, MOS_A_IFINDEX, &zero, 4));
	EXPECT_EQ(-ENODEV, request_attr(MOS_CMD_LINK_ADD, MOS_A_IFINDEX, &none, 4));
	EXPECT_EQ(-ENOENT, request_attr(MOS_CMD_LINK_DEL, MOS_A_IFINDEX, &lo, 4));
	links_get(seen);
	EXPECT_STREQ("", seen);
	EXPECT_EQ(0, request_attr(MOS_CMD_LINK_ADD, MOS_A_IFINDEX, &lo, 4));
	/* lo, then its counters: every one of enum mos_link_stat, all 0 */
	links_get(seen);
	EXPECT_STREQ("I1S12:0", seen);
	EXPECT_EQ(MOS_LSTAT_MAX, 12);
	EXPECT_EQ(-EEXIST, request_attr(MOS_CMD_LINK_ADD, MOS_A_IFINDEX, &lo, 4));
	EXPECT_EQ(0, request_attr(MOS_CMD_LINK_DEL, MOS_A_IFINDEX, &lo, 4));
	links_get(seen);
	EXPECT_STREQ("", seen);
	EXPECT_EQ(-ENOENT, request_attr(MOS_CMD_LINK_DEL, MOS_A_IFINDEX, &lo, 4));
}

TEST(bad_programs)
{
	/* { code, jt, jf, k } */
	static const __u8 ret1[8] = { 0x06, 0, 0, 0, 1, 0, 0, 0 };
	static const __u8 no_ret[8] = { 0x20, 0, 0, 0, 0, 0, 0, 0 };
	static const __u8 bad_jump[16] = {
		0x15, 0, 9, 0, 6, 0, 0, 0,	/* jeq #6, +0, +9: past the end */
		0x06, 0, 0, 0, 1, 0, 0, 0,
	};
	static __u8 huge[(MOS_RULE_INSNS_MAX + 1) * 8];
	int i;

	for (i = 0; i < MOS_RULE_INSNS_MAX + 1; i++)
		memcpy(huge + 8 * i, ret1, 8);
	EXPECT_EQ(-EINVAL, rule_add(NULL, 0, MOS_ACTION_MONITOR));
	EXPECT_EQ(-EINVAL, rule_add(ret1, 8, -1));
	EXPECT_EQ(-EINVAL, rule_add(ret1, 7, MOS_ACTION_MONITOR));
	EXPECT_EQ(-EINVAL, rule_add(ret1, 0, MOS_ACTION_MONITOR));
	EXPECT_EQ(-EINVAL, rule_add(no_ret, 8, MOS_ACTION_MONITOR));
	EXPECT_EQ(-EINVAL, rule_add(bad_jump, 16, MOS_ACTION_MONITOR));
	EXPECT_EQ(-ERANGE, rule_add(huge, sizeof(huge), MOS_ACTION_MONITOR));
	EXPECT_EQ(-ERANGE, rule_add(ret1, 8, __MOS_ACTION_MAX));
	/* a good one, then none left */
	EXPECT_EQ(0, rule_add(ret1, 8, MOS_ACTION_MONITOR));
	EXPECT_EQ(0, request(MOS_CMD_RULE_FLUSH, MOS_GENL_VERSION, 0, 0));
	EXPECT_EQ(0, request(MOS_CMD_NS_GET, MOS_GENL_VERSION, 0, 0));
}

TEST(unknown_commands)
{
	EXPECT_EQ(-EOPNOTSUPP, request(MOS_CMD_UNSPEC, MOS_GENL_VERSION, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, request(__MOS_CMD_MAX, MOS_GENL_VERSION, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, request(255, MOS_GENL_VERSION, 0, 0));
}

TEST(enable_disable_raw)
{
	ASSERT_EQ(0, request(MOS_CMD_NS_ENABLE, MOS_GENL_VERSION, 0, 0));
	EXPECT_EQ(-EEXIST, request(MOS_CMD_NS_ENABLE, MOS_GENL_VERSION, 0, 0));
	ASSERT_EQ(0, request(MOS_CMD_NS_DISABLE, MOS_GENL_VERSION, 0, 0));
	EXPECT_EQ(-ENOENT, request(MOS_CMD_NS_DISABLE, MOS_GENL_VERSION, 0, 0));
}

TEST_HARNESS_MAIN
