// SPDX-License-Identifier: GPL-2.0
/*
 * tm_port_test.c - the userspace port of the kernel's primitives
 * (tools/tcpmon/port_user.c) computes what the kernel does
 *
 * hsiphash() and hsiphash_3u32(), which hash the flow table's keys,
 * against the test vectors of the kernel's own test, lib/siphash_kunit.c
 * (test_vectors_hsiphash, for 64-bit kernels: the key 00 01 .. 0f, and
 * the input 00 01 .. of each length).  The IPv4 key is 12 bytes, the
 * IPv6 key 36.
 */
#include "tcpmon.h"
#include "kselftest_harness.h"

static const hsiphash_key_t key = {
	{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }
};

/* test_vectors_hsiphash[len], len 0 to 43 */
static const u32 vec[] = {
	0x050fc4dcU, 0x7d57ca93U, 0x4dc7d44dU, 0xe7ddf7fbU, 0x88d38328U,
	0x49533b67U, 0xc59f22a7U, 0x9bb11140U, 0x8d299a8eU, 0x6c063de4U,
	0x92ff097fU, 0xf94dc352U, 0x57b4d9a2U, 0x1229ffa7U, 0xc0f95d34U,
	0x2a519956U, 0x7d908b66U, 0x63dbd80cU, 0xb473e63eU, 0x8d297d1cU,
	0xa6cce040U, 0x2b45f844U, 0xa320872eU, 0xdae6c123U, 0x67349c8cU,
	0x705b0979U, 0xca9913a5U, 0x4ade3b35U, 0xef6cd00dU, 0x4ab1e1f4U,
	0x43c5e663U, 0x8c21d1bcU, 0x16a7b60dU, 0x7a8ff9bfU, 0x1f2a753eU,
	0xbf186b91U, 0xada26206U, 0xa3c33057U, 0xae3a36a1U, 0x7b108392U,
	0x99e41531U, 0x3f1ad944U, 0xc8138825U, 0xc28949a6U,
};

TEST(hsiphash_vectors)
{
	u8 in[sizeof(vec) / sizeof(vec[0])], unaligned[sizeof(in) + 1];
	unsigned int i;

	for (i = 0; i < sizeof(in); i++) {
		in[i] = i;
		unaligned[i + 1] = i;
	}
	for (i = 0; i < sizeof(in); i++) {
		EXPECT_EQ(vec[i], hsiphash(in, i, &key))
			TH_LOG("length %u", i);
		EXPECT_EQ(vec[i], hsiphash(unaligned + 1, i, &key))
			TH_LOG("length %u, unaligned", i);
	}
}

TEST(hsiphash_3u32_vector)
{
	/* The 12 bytes 00 .. 0b as three host-order words */
	EXPECT_EQ(vec[12], hsiphash_3u32(0x03020100U, 0x07060504U,
					 0x0b0a0908U, &key));
}

TEST_HARNESS_MAIN
