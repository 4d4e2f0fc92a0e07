/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring.h - a consumer's ring of records (ring.c)
 */
#ifndef _MOS_RING_H
#define _MOS_RING_H

#include <linux/mm.h>
#include <linux/types.h>
#include <linux/wait.h>

struct mos_ring;

struct mos_ring *mos_ring_new(u64 data_size, u32 wakeup,
			      wait_queue_head_t *wq);
void mos_ring_free(struct mos_ring *rb);
int mos_ring_mmap(struct mos_ring *rb, struct vm_area_struct *vma);
void *mos_ring_reserve(struct mos_ring *rb, u32 len, u16 type, u16 sock,
		       u32 *hold);
bool mos_ring_hold(struct mos_ring *rb, u32 bytes);
bool mos_ring_stalled(struct mos_ring *rb, u64 stall_ns, u64 now, bool *newly);
u64 mos_ring_size(const struct mos_ring *rb);
void mos_ring_unhold(struct mos_ring *rb, u32 bytes);
void mos_ring_commit(struct mos_ring *rb, void *body, bool discard);
bool mos_ring_readable(struct mos_ring *rb);

/* A mapping that may never become writable (mprotect()) */
static inline void mos_vma_no_write(struct vm_area_struct *vma)
{
#ifdef MOS_HAVE_VM_FLAGS_CLEAR
	vm_flags_clear(vma, VM_MAYWRITE);
#else
	vma->vm_flags &= ~VM_MAYWRITE;
#endif
}

#endif /* _MOS_RING_H */
