/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_user.h - the kernel names the tcpmon core uses, for userspace
 *
 * Included by kmod/tcpmon/tm_port.h when the core builds into
 * build/lib/libtcpmon.a.  Userspace stand-ins, not kernel code: the
 * implementations are in port_user.c.
 */
#ifndef _MOS_TM_USER_H
#define _MOS_TM_USER_H


#include <assert.h>	/* static_assert */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>	/* before the linux/ headers: libc-compat.h */
#include <linux/types.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#include <limits.h>	/* ULONG_MAX */
#include <stdlib.h>

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define READ_ONCE(x)	(*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#ifndef min
#define min(a, b)	((a) < (b) ? (a) : (b))
#endif
#ifndef max
#define max(a, b)	((a) > (b) ? (a) : (b))
#endif
#ifndef min_t
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#endif
#ifndef max_t
#define max_t(t, a, b)	((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#endif
#ifndef BIT_ULL
#define BIT_ULL(n)	(1ULL << (n))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif
/* Red-black trees, as <linux/rbtree.h> */
#include "rbtree_user.h"

#define __percpu
#ifndef noinline
#define noinline	__attribute__((__noinline__))
#endif
#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#define __rcu
#define GFP_KERNEL	0
#define GFP_KERNEL_ACCOUNT	0
#define EINVAL		22
#define ENOMEM		12

/*
 * The userspace build is single-threaded: locks and RCU are no-ops, and
 * an RCU callback runs at once (nothing can still hold the object).
 */
typedef struct { int unused; } spinlock_t;
#define spin_lock_init(l)	((void)(l))
#define spin_lock(l)		((void)(l))
#define spin_unlock(l)		((void)(l))
#define spin_trylock(l)		((void)(l), 1)
#define spin_lock_bh(l)		((void)(l))
#define spin_unlock_bh(l)	((void)(l))
#define local_bh_disable()	((void)0)
#define local_bh_enable()	((void)0)
#define lockdep_assert_held(l)	((void)(l))
#define rcu_read_lock()		((void)0)
#define rcu_read_unlock()	((void)0)
#define cond_resched()		((void)0)
#define rcu_barrier()		((void)0)
#define WARN_ON(c)		({ bool __w = !!(c); __w; })

struct rcu_head {
	void (*func)(struct rcu_head *head);
};

static inline void call_rcu(struct rcu_head *head,
			    void (*func)(struct rcu_head *head))
{
	func(head);
}

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { long long counter; } atomic64_t;
/*
 * Atomic as in the kernel: the tables of libmosuser's contexts run on
 * their threads at once and share tm_mem_used (table.c)
 */
#define TM_RLX				__ATOMIC_RELAXED
#define atomic_read(v)			__atomic_load_n(&(v)->counter, TM_RLX)
#define atomic_set(v, i)		__atomic_store_n(&(v)->counter, (i), TM_RLX)
#define atomic_inc_return(v)		__atomic_add_fetch(&(v)->counter, 1, TM_RLX)
#define atomic_dec(v)			((void)__atomic_sub_fetch(&(v)->counter, 1, TM_RLX))
#define atomic_inc(v)			((void)__atomic_add_fetch(&(v)->counter, 1, TM_RLX))
#define atomic_long_read(v)		__atomic_load_n(&(v)->counter, TM_RLX)
#define atomic_long_set(v, i)		__atomic_store_n(&(v)->counter, (i), TM_RLX)
#define atomic_long_add_return(i, v)	__atomic_add_fetch(&(v)->counter, (i), TM_RLX)
#define atomic_long_sub(i, v)		((void)__atomic_sub_fetch(&(v)->counter, (i), TM_RLX))
#define ATOMIC_LONG_INIT(i)		{ (i) }
#define atomic64_inc_return(v)		__atomic_add_fetch(&(v)->counter, 1, TM_RLX)
#define atomic64_set(v, i)		__atomic_store_n(&(v)->counter, (i), TM_RLX)

/* Per-CPU data: one CPU. */
#define alloc_percpu(t)		((t *)calloc(1, sizeof(t)))
#define free_percpu(p)		free(p)
#define per_cpu_ptr(p, cpu)	((void)(cpu), (p))
#define this_cpu_ptr(p)		(p)
#define this_cpu_add(pcp, n)	((pcp) += (n))
#define for_each_possible_cpu(cpu)	for ((cpu) = 0; (cpu) < 1; (cpu)++)
#define cmpxchg(p, o, n)	__sync_val_compare_and_swap((p), (o), (n))

/* Hash lists, as the kernel's <linux/list.h> */
struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

static inline int hlist_unhashed(const struct hlist_node *h)
{
	return !h->pprev;
}

static inline int hlist_empty(const struct hlist_head *h)
{
	return !h->first;
}

static inline void hlist_add_head_rcu(struct hlist_node *n,
				      struct hlist_head *h)
{
	n->next = h->first;
	n->pprev = &h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
}

static inline void hlist_del_init_rcu(struct hlist_node *n)
{
	if (hlist_unhashed(n))
		return;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

#define hlist_entry_safe(ptr, type, member) \
	({ __typeof__(ptr) ____ptr = (ptr); \
	   ____ptr ? container_of(____ptr, type, member) : NULL; })
#define hlist_for_each_entry_rcu(pos, head, member) \
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member); \
	     pos; \
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), \
				    member))
#define hlist_for_each_entry_safe(pos, n, head, member) \
	for (pos = hlist_entry_safe((head)->first, __typeof__(*pos), member); \
	     pos && ({ n = pos->member.next; 1; }); \
	     pos = hlist_entry_safe(n, __typeof__(*pos), member))

/* Allocation */
struct kmem_cache {
	size_t size;
};

struct kmem_cache *tm_user_cache_create(const char *name, size_t size);
#define kmem_cache_create(name, size, align, flags, ctor) \
	tm_user_cache_create(name, size)
#define kmem_cache_destroy(c)		free(c)
#define kmem_cache_zalloc(c, gfp)	calloc(1, (c)->size)
#define kmem_cache_free(c, p)		free(p)
#define kvcalloc(n, size, gfp)		calloc(n, size)
#define kvfree(p)			free(p)
#define kzalloc(size, gfp)		calloc(1, size)
#define kfree(p)			free(p)

extern unsigned int tm_user_fail_alloc;	/* for tests: fail every Nth */
void *tm_alloc_pkt(size_t size);
void *tm_alloc_flow(struct kmem_cache *c);
#define tm_free(p)			free(p)

/* Each table makes its own flow cache: no mos_tm_init() needed */
#define TM_PORT_SHARED_CACHE	false

/*
 * hsiphash, as <linux/siphash.h> has it on 64-bit kernels: SipHash-1-3
 * with a 32-bit result
 */
typedef struct {
	unsigned long key[2];
} hsiphash_key_t;

u32 hsiphash(const void *data, size_t len, const hsiphash_key_t *key);

/**
 * struct tm_flat - a packet in one buffer, from its IP header on
 * @data: the bytes
 * @len: how many
 *
 * With tm_flat_read() and tm_flat_copy(), the &struct tm_src of a packet
 * held in memory (a capture record, a test's or a fuzzer's buffer).
 */
struct tm_flat {
	const u8 *data;
	unsigned int len;
};

const void *tm_flat_read(const void *pkt, unsigned int off, unsigned int len,
			 void *buf);
int tm_flat_copy(const void *src, unsigned int off, void *dst,
		 unsigned int len);
u32 hsiphash_3u32(u32 a, u32 b, u32 c, const hsiphash_key_t *key);
#define __force
#ifndef swap
#define swap(a, b) \
	do { __typeof__(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)
#endif
void get_random_bytes(void *buf, size_t len);

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

/* Userspace also names the core's enums (names.c) */
#include "tm_names.h"

#endif /* _MOS_TM_USER_H */
