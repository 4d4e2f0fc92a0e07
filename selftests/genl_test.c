// SPDX-License-Identifier: GPL-2.0
/*
 * genl_test.c - the "mos" generic netlink family rejects bad requests
 *
 * Runs in the test VM with mos.ko loaded, as root, in a namespace where
 * monitoring is off.  Each request is sent raw with libnl and the kernel's
 * errno is read from the ack.
 */

#include <errno.h>
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

/* Send @cmd with @nattrs u32 attributes of type @attr; the kernel's errno. */
static int request(int cmd, int version, int attr, int nattrs)
{
	struct nl_sock *sk = nl_socket_alloc();
	int family, i, kerr = 1;
	struct nl_msg *msg;

	if (!sk || genl_connect(sk))
		return -1000;
	family = genl_ctrl_resolve(sk, MOS_GENL_NAME);
	if (family < 0)
		return -1001;
	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
		    NLM_F_REQUEST | NLM_F_ACK, cmd, version);
	for (i = 0; i < nattrs; i++)
		nla_put_u32(msg, attr, 1);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, err_cb, &kerr);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &kerr);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, ack_cb, &kerr);
	nl_send_auto(sk, msg);
	nlmsg_free(msg);
	nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	return kerr;
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
