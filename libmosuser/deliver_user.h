/* SPDX-License-Identifier: GPL-2.0 */
/*
 * deliver_user.h - the offline backend of kmod/deliver.c
 *
 * Included by kmod/deliver.h when it builds into libmosuser: the kernel
 * names deliver.c uses that tools/tcpmon/tm_user.h does not give, and the
 * backend's functions, defined in offline.c.  @priv is its struct
 * mos_offline, which has one consumer's &struct mos_dlv.  Userspace is
 * single-threaded here: a release store is a plain store.
 */
#ifndef _MOS_DELIVER_USER_H
#define _MOS_DELIVER_USER_H

#define rcu_dereference(p)	(p)
#define smp_store_release(p, v)	WRITE_ONCE(*(p), v)
#define hweight64(w)		((unsigned int)__builtin_popcountll(w))
#define ALIGN(x, a)		(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

struct mos_dlv *mos_dlv_next(void *priv, struct mos_dlv *d);
bool mos_dlv_any(void *priv);
struct mos_hold *mos_dlv_holds(void *priv);
bool mos_dlv_inline(void *priv);
void *mos_dlv_reserve(struct mos_dlv *d, u32 len, u16 type, u16 sock,
		      u32 *hold);
void mos_dlv_commit(struct mos_dlv *d, void *body, bool discard);
bool mos_dlv_hold(struct mos_dlv *d, u64 bytes);
bool mos_dlv_stalled(void *priv, struct mos_dlv *d);
void mos_dlv_unhold(struct mos_dlv *d, u32 bytes);
/* Offline nothing waits for a verdict: the records go as they are */
static inline void mos_dlv_verdict_note(void *priv, struct mos_dlv *d,
					const struct tm_flow *f, u8 from)
{
	(void)priv;
	(void)d;
	(void)f;
	(void)from;
}
u64 mos_dlv_size(struct mos_dlv *d);
bool mos_dlv_filter(struct bpf_prog *prog, const struct tm_src *src);
u32 mos_dlv_split_hash(const struct tm_flow *f);
int mos_dlv_key_hash(void *priv, const struct tm_key *k, u32 *hash);
u64 mos_dlv_now(void *priv);
void mos_dlv_stat(void *priv, unsigned int stat);
void mos_dlv_flow_note(void *priv, const struct tm_flow *f, bool end);
unsigned int mos_dlv_classify(void *priv, const struct tm_src *src,
			      u32 *rule);

#endif /* _MOS_DELIVER_USER_H */
