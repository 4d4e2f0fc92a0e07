// SPDX-License-Identifier: GPL-2.0
/*
 * sendpkt_check_test.c - the checks of %MOS_IOC_SENDPKT (kmod/rec.h:
 * mos_sendpkt_arg_check(), mos_sendpkt_pkt_check()), which the kernel
 * and the offline backend share
 *
 * The flow is 10.0.1.2:40000 (client) - 10.0.2.2:7000 (server), and
 * fd00:1::2 - fd00:2::2 on the same ports.  A packet is accepted only if
 * it is a TCP segment of that flow from the side given to the other
 * end, with the header fields RFC 791, RFC 8200 and RFC 9293 define
 * consistent with its length (Documentation/uapi.rst, "Sending
 * packets"): each case below breaks one field of a good packet.
 */
#include <arpa/inet.h>
#include <string.h>
#include "../../kmod/rec.h"
#include "kselftest_harness.h"

static const u8 cli4[4] = { 10, 0, 1, 2 }, svr4[4] = { 10, 0, 2, 2 };
static const u8 cli6[16] = { 0xfd, 0, 0, 1, [15] = 2 };
static const u8 svr6[16] = { 0xfd, 0, 0, 2, [15] = 2 };

static struct mos_ioc_sendpkt req(u8 family, u32 side, u32 len)
{
	struct mos_ioc_sendpkt a = {
		.size = sizeof(a), .side = side, .len = len,
		.flags = MOS_SENDPKT_F_TCP_CSUM,
	};

	a.flow.flow = 42;
	a.flow.family = family;
	memcpy(a.flow.cli_addr, family == 4 ? cli4 : cli6, family == 4 ? 4 : 16);
	memcpy(a.flow.svr_addr, family == 4 ? svr4 : svr6, family == 4 ? 4 : 16);
	a.flow.cli_port = htons(40000);
	a.flow.svr_port = htons(7000);
	return a;
}

/* A segment from the server to the client with @plen payload bytes */
static u32 pkt4(u8 *b, u32 plen)
{
	u32 len = 20 + 20 + plen;

	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = len >> 8;
	b[3] = len & 0xff;
	b[6] = 0x40;		/* DF */
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, svr4, 4);
	memcpy(b + 16, cli4, 4);
	b[20] = 7000 >> 8;
	b[21] = 7000 & 0xff;
	b[22] = 40000 >> 8;
	b[23] = 40000 & 0xff;
	b[32] = 5 << 4;
	b[33] = 0x18;
	return len;
}

static u32 pkt6(u8 *b, u32 plen)
{
	u32 len = 40 + 20 + plen;

	memset(b, 0, len);
	b[0] = 0x60;
	b[4] = (len - 40) >> 8;
	b[5] = (len - 40) & 0xff;
	b[6] = IPPROTO_TCP;
	b[7] = 64;
	memcpy(b + 8, svr6, 16);
	memcpy(b + 24, cli6, 16);
	b[40] = 7000 >> 8;
	b[41] = 7000 & 0xff;
	b[42] = 40000 >> 8;
	b[43] = 40000 & 0xff;
	b[52] = 5 << 4;
	b[53] = 0x18;
	return len;
}

/* mos_sendpkt_arg_check() then mos_sendpkt_pkt_check() */
static int check(const struct mos_ioc_sendpkt *a, const u8 *pkt, u32 *l4)
{
	struct tm_key k;
	int err;

	err = mos_sendpkt_arg_check(a, &k);
	return err ? err : mos_sendpkt_pkt_check(&k, a->side, pkt, a->len, l4);
}

TEST(ipv4)
{
	struct mos_ioc_sendpkt a;
	u8 b[128];
	u32 len, l4 = 0;

	len = pkt4(b, 5);
	a = req(4, 1, len);
	ASSERT_EQ(0, check(&a, b, &l4));
	EXPECT_EQ(20, l4);
	/* The same bytes claimed from the client: not from its address */
	a.side = 0;
	EXPECT_EQ(-EINVAL, check(&a, b, &l4));
	a.side = 1;
#define BREAK(at, val) do {						\
		u8 o = b[at];						\
		b[at] = (val);						\
		EXPECT_EQ(-EINVAL, check(&a, b, &l4)) TH_LOG("byte %d", at); \
		b[at] = o;						\
	} while (0)
	BREAK(0, 0x46);		/* options */
	BREAK(0, 0x65);		/* version 6 */
	BREAK(3, len + 1);	/* total length */
	BREAK(6, 0x20);		/* more fragments */
	BREAK(7, 1);		/* fragment offset */
	BREAK(6, 0x80);		/* the reserved bit */
	BREAK(9, IPPROTO_UDP);
	BREAK(15, 3);		/* source address */
	BREAK(19, 3);		/* destination address */
	BREAK(21, 0x59);	/* source port */
	BREAK(23, 0x41);	/* destination port */
	BREAK(32, 4 << 4);	/* data offset below 5 */
	BREAK(32, 8 << 4);	/* data offset past the packet */
#undef BREAK
	/* Options within the packet are the sender's */
	b[32] = 6 << 4;
	EXPECT_EQ(0, check(&a, b, &l4));
	/* An IPv6 packet for an IPv4 flow */
	len = pkt6(b, 5);
	a = req(4, 1, len);
	EXPECT_EQ(-EINVAL, check(&a, b, &l4));
}

TEST(ipv6)
{
	struct mos_ioc_sendpkt a;
	u8 b[128];
	u32 len, l4 = 0;

	len = pkt6(b, 0);
	a = req(6, 1, len);
	ASSERT_EQ(0, check(&a, b, &l4));
	EXPECT_EQ(40, l4);
	b[6] = 0;		/* a hop-by-hop header */
	EXPECT_EQ(-EINVAL, check(&a, b, &l4));
	b[6] = IPPROTO_TCP;
	b[5]++;			/* payload length */
	EXPECT_EQ(-EINVAL, check(&a, b, &l4));
	b[5]--;
	b[23] ^= 1;		/* source address */
	EXPECT_EQ(-EINVAL, check(&a, b, &l4));
	b[23] ^= 1;
	b[39] ^= 1;		/* destination address */
	EXPECT_EQ(-EINVAL, check(&a, b, &l4));
	b[39] ^= 1;
	EXPECT_EQ(0, check(&a, b, &l4));
}

TEST(request)
{
	struct mos_ioc_sendpkt a;
	struct tm_key k;

	a = req(4, 2, 40);
	EXPECT_EQ(-EINVAL, mos_sendpkt_arg_check(&a, &k));	/* side */
	a = req(4, 0, 39);
	EXPECT_EQ(-EINVAL, mos_sendpkt_arg_check(&a, &k));	/* too short */
	a = req(6, 0, 59);
	EXPECT_EQ(-EINVAL, mos_sendpkt_arg_check(&a, &k));
	a = req(4, 0, MOS_SENDPKT_MAX + 1);
	EXPECT_EQ(-EINVAL, mos_sendpkt_arg_check(&a, &k));
	a = req(4, 0, MOS_SENDPKT_MAX);
	EXPECT_EQ(0, mos_sendpkt_arg_check(&a, &k));
	a = req(5, 0, 40);
	EXPECT_EQ(-EINVAL, mos_sendpkt_arg_check(&a, &k));	/* family */
	a = req(4, 0, 40);
	a.flow.flow = 0;
	EXPECT_EQ(-EINVAL, mos_sendpkt_arg_check(&a, &k));
	a = req(4, 0, 40);
	a.flags = 0x2;
	EXPECT_EQ(-EOPNOTSUPP, mos_sendpkt_arg_check(&a, &k));
	/* The key names the flow as its record does */
	a = req(4, 0, 40);
	ASSERT_EQ(0, mos_sendpkt_arg_check(&a, &k));
	EXPECT_EQ(4, k.family);
	EXPECT_EQ(0, memcmp(&k.addr[TM_CLI], cli4, 4));
	EXPECT_EQ(0, memcmp(&k.addr[TM_SVR], svr4, 4));
	EXPECT_EQ(htons(40000), k.port[TM_CLI]);
	EXPECT_EQ(htons(7000), k.port[TM_SVR]);
}

TEST_HARNESS_MAIN
