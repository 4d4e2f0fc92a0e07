// SPDX-License-Identifier: GPL-2.0
/*
 * port_user.c - what the tcpmon core needs from the kernel, in userspace
 *
 * Built only into build/lib/libtcpmon.a, next to the core's own files:
 * hsiphash (the kernel's: SipHash-1-3 on 64-bit), random bytes, and the
 * allocators tm_port.h maps to libc.  tm_user_fail_alloc lets tests and fuzzers make
 * every Nth packet-path allocation fail, as GFP_ATOMIC can.
 */

#include <stdint.h>
#include <sys/random.h>
#include "tcpmon.h"

unsigned int tm_user_fail_alloc;
static unsigned int tm_user_allocs;

/**
 * tm_user_cache_create() - stand-in for kmem_cache_create()
 * @name: unused
 * @size: object size
 *
 * Return: a cache descriptor, or NULL.
 */
struct kmem_cache *tm_user_cache_create(const char *name, size_t size)
{
	struct kmem_cache *c = malloc(sizeof(*c));

	(void)name;
	if (c)
		c->size = size;
	return c;
}

/**
 * tm_alloc_pkt() - packet-path allocation, failing on request
 * @size: bytes
 *
 * Return: memory, or NULL (every tm_user_fail_alloc-th call when set).
 */
void *tm_alloc_pkt(size_t size)
{
	if (tm_user_fail_alloc && ++tm_user_allocs % tm_user_fail_alloc == 0)
		return NULL;
	return malloc(size);
}

/**
 * tm_alloc_flow() - stand-in for kmem_cache_zalloc(GFP_ATOMIC)
 * @c: cache
 *
 * Return: zeroed memory, or NULL (failing on request like tm_alloc_pkt()).
 */
void *tm_alloc_flow(struct kmem_cache *c)
{
	if (tm_user_fail_alloc && ++tm_user_allocs % tm_user_fail_alloc == 0)
		return NULL;
	return calloc(1, c->size);
}

/**
 * tm_flat_read() - tm_read_t over a &struct tm_flat
 * @pkt:	&struct tm_flat
 * @off:	offset from the IP header
 * @len:	bytes wanted
 * @buf:	@len bytes, aligned for the header the caller reads
 *
 * The core reads headers through the pointer as structs (struct iphdr,
 * struct tcphdr): a misaligned header (after 14 bytes of Ethernet in a
 * capture, say) is copied into @buf, as skb_header_pointer() would.
 *
 * Return: @len bytes at @off, in the buffer or in @buf; NULL past the end.
 */
const void *tm_flat_read(const void *pkt, unsigned int off, unsigned int len,
			 void *buf)
{
	const struct tm_flat *fl = pkt;
	const u8 *at;

	if (off > fl->len || len > fl->len - off)
		return NULL;
	at = fl->data + off;
	if ((uintptr_t)at & 7) {
		/*
		 * TCP and IPv4 headers without options, and the timestamps
		 * option with its two NOPs: constant copies, made inline
		 */
		if (len == 20)
			memcpy(buf, at, 20);
		else if (len == 12)
			memcpy(buf, at, 12);
		else if (len == 32)
			memcpy(buf, at, 32);
		else
			memcpy(buf, at, len);
		return buf;
	}
	return at;
}

/**
 * tm_flat_copy() - tm_copy_t over a &struct tm_flat
 * @src:	&struct tm_flat
 * @off:	offset in it
 * @dst:	destination
 * @len:	bytes
 *
 * Return: 0, or -EINVAL past the end of the buffer.
 */
int tm_flat_copy(const void *src, unsigned int off, void *dst,
		 unsigned int len)
{
	const struct tm_flat *fl = src;

	if (off > fl->len || len > fl->len - off)
		return -EINVAL;
	memcpy(dst, fl->data + off, len);
	return 0;
}

/**
 * get_random_bytes() - fill @buf from the kernel's random pool
 * @buf: destination
 * @len: bytes
 */
void get_random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0) {
			/* Only a key for hash spreading: degrade, don't fail. */
			memset(p, 0x5a, len);
			return;
		}
		p += n;
		len -= n;
	}
}

static inline u64 rotl64(u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);	\
	v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);	\
} while (0)

/* The state after the key, and the last block's length byte */
#define HSIP_INIT(key, len)						\
	u64 v0 = 0x736f6d6570736575ULL ^ (key)->key[0];		\
	u64 v1 = 0x646f72616e646f6dULL ^ (key)->key[1];		\
	u64 v2 = 0x6c7967656e657261ULL ^ (key)->key[0];		\
	u64 v3 = 0x7465646279746573ULL ^ (key)->key[1];		\
	u64 b = (u64)(len) << 56

/* The last block, then three finalisation rounds: SipHash-1-3 */
static inline u32 hsip_final(u64 v0, u64 v1, u64 v2, u64 v3, u64 b)
{
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return (u32)((v0 ^ v1) ^ (v2 ^ v3));
}

/**
 * hsiphash() - the kernel's hsiphash() of @len bytes under @key
 * @data: input
 * @len: its length
 * @key: 128-bit key
 *
 * SipHash-1-3 with a 32-bit result, which is what hsiphash() computes on
 * a 64-bit kernel: one round per 8-byte block, three to finish.
 *
 * Return: the hash, equal to the kernel's of the same bytes and key on a
 * little-endian 64-bit host.
 */
u32 hsiphash(const void *data, size_t len, const hsiphash_key_t *key)
{
	const unsigned char *p = data;
	size_t i, left = len & 7;
	u64 m;
	HSIP_INIT(key, len);

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = 0;
	memcpy(&m, p + i, left);	/* little-endian host */
	return hsip_final(v0, v1, v2, v3, b | m);
}

/**
 * hsiphash_3u32() - hsiphash() of three words, as the kernel's
 * @a: first word
 * @b3: second word
 * @c: third word
 * @key: 128-bit key
 *
 * Return: hsiphash() of the 12 bytes a, b3, c in host order.
 */
u32 hsiphash_3u32(u32 a, u32 b3, u32 c, const hsiphash_key_t *key)
{
	u64 m = (u64)b3 << 32 | a;	/* little-endian host */
	HSIP_INIT(key, 12);

	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	return hsip_final(v0, v1, v2, v3, b | c);
}
