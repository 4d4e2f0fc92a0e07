// SPDX-License-Identifier: GPL-2.0
/*
 * ring.c - the record ring of a /dev/mos consumer
 *
 * DOC: Theory of Operation
 *
 * Many producers (the CPUs running the hooks), one consumer (the process
 * that mapped the ring), after the BPF ring buffer: three meta pages (the
 * consumer position, the header, the producer position, each on its own
 * page so that the consumer's writes and the producers' never share a
 * cache line) and a power-of-two data area whose pages are vmap()'d twice
 * in a row, so a record that wraps is contiguous for both sides.
 *
 * Producers serialise on &mos_ring.lock only to reserve: they read the
 * consumer position (acquire), clamp it to what can be true, check for
 * room, write the record header with %MOS_REC_BUSY, publish the new
 * producer position (release) and drop the lock.  They fill the record
 * and commit it without the lock: the release store of the header's
 * length clears %MOS_REC_BUSY.  The consumer stops at a busy record, so
 * records become visible in the order they were reserved.  The packet
 * path commits a ring's first record of a packet last (mos_dev_batch(),
 * deliver_kern.h), so a packet's records become visible together.
 *
 * A full ring never waits: the reservation fails, and the caller counts
 * the loss (chardev.c).
 *
 * Holds (inline mode): before a packet changes the tracker's state, room
 * for every record it may cause is set aside with mos_ring_hold(), which
 * fails rather than promise room that is not there; the packet is then
 * dropped unseen.  Records reserved against a hold always fit; records
 * reserved without one must leave room for all the holds (&mos_ring.held).
 * What a packet did not use is given back with mos_ring_unhold().
 *
 * Wake-ups: only when the record committed is the one the consumer
 * position points at, that is, when the consumer had caught up and may be
 * sleeping in poll().  With a wake-up threshold (%MOS_RING_F_WAKEUP), only
 * when the record committed is the one that brings the bytes waiting from
 * the consumer position to the threshold, and poll() finds the ring
 * readable only from there: the consumer takes records in batches, and
 * its poll() timeout bounds how long fewer wait.  Each record is judged
 * against the consumer position read after its length is published, so
 * of the records a sleeping consumer waits for, the one that reaches the
 * threshold wakes it, whatever the order of the commits.
 *
 * Context: producers run with bottom halves disabled (the hooks, the
 * expiry work and the control plane all call the tracker that way), so
 * the lock is a plain spinlock.
 */

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/mos.h>
#include "ring.h"

#define MOS_RING_META_PAGES	MOS_RING_PGOFF_DATA

/**
 * struct mos_ring - a ring and its mappings
 * @lock: serialises reservations
 * @cons: the consumer position page (userspace writes it)
 * @hdr: the header page
 * @prod: the producer position page
 * @data: the data area, followed by its second mapping
 * @mask: data size minus one
 * @wq: where the consumer sleeps in poll()
 * @wakeup: bytes of records that wake the consumer (0: the first)
 * @pages: the pages: meta pages, then data pages
 * @nr_data: data pages
 * @held: bytes set aside for packets being processed (mos_ring_hold())
 * @full_cons: the consumer's position when holds started failing
 * @full_since: since when (ns); 0 while holds succeed
 * @stalled: the consumer stalled (mos_ring_stalled())
 */
struct mos_ring {
	spinlock_t lock;	/* reservations, @held, the stall fields */
	u64 held;
	u64 full_cons;
	u64 full_since;
	bool stalled;
	struct mos_ring_pos *cons;
	struct mos_ring_hdr *hdr;
	struct mos_ring_pos *prod;
	u8 *data;
	u64 mask;
	wait_queue_head_t *wq;
	u32 wakeup;
	struct page **pages;
	unsigned int nr_data;
};

/**
 * mos_ring_new() - allocate a ring
 * @data_size: bytes of the data area: a power of two, %MOS_RING_MIN to
 *	%MOS_RING_MAX
 * @wakeup: bytes of records waiting that wake the consumer, at most half
 *	of @data_size; 0: the first record it waits for
 * @wq: the wait queue to wake when records arrive
 *
 * The pages are charged to the caller's memory cgroup.
 *
 * Context: process, may sleep.
 * Return: the ring, or an ERR_PTR().
 */
struct mos_ring *mos_ring_new(u64 data_size, u32 wakeup,
			      wait_queue_head_t *wq)
{
	unsigned int nr_data, nr_meta = MOS_RING_META_PAGES, i;
	struct page **map;
	struct mos_ring *rb;
	void *base;

	if (data_size < MOS_RING_MIN || data_size > MOS_RING_MAX ||
	    !is_power_of_2(data_size) || data_size < PAGE_SIZE ||
	    wakeup > data_size / 2)
		return ERR_PTR(-EINVAL);
	nr_data = data_size >> PAGE_SHIFT;

	rb = kzalloc(sizeof(*rb), GFP_KERNEL_ACCOUNT);
	if (!rb)
		return ERR_PTR(-ENOMEM);
	rb->pages = kvcalloc(nr_meta + nr_data, sizeof(*rb->pages),
			     GFP_KERNEL_ACCOUNT);
	map = kvcalloc(nr_meta + 2 * nr_data, sizeof(*map), GFP_KERNEL);
	if (!rb->pages || !map)
		goto err;
	for (i = 0; i < nr_meta + nr_data; i++) {
		rb->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					  __GFP_NOWARN);
		if (!rb->pages[i])
			goto err;
	}
	rb->nr_data = nr_data;
	for (i = 0; i < nr_meta + nr_data; i++)
		map[i] = rb->pages[i];
	for (i = 0; i < nr_data; i++)
		map[nr_meta + nr_data + i] = rb->pages[nr_meta + i];
	base = vmap(map, nr_meta + 2 * nr_data, VM_MAP | VM_USERMAP,
		    PAGE_KERNEL);
	kvfree(map);
	map = NULL;
	if (!base)
		goto err;

	spin_lock_init(&rb->lock);
	rb->cons = base + MOS_RING_PGOFF_CONS * PAGE_SIZE;
	rb->hdr = base + MOS_RING_PGOFF_HDR * PAGE_SIZE;
	rb->prod = base + MOS_RING_PGOFF_PROD * PAGE_SIZE;
	rb->data = base + MOS_RING_PGOFF_DATA * PAGE_SIZE;
	rb->mask = data_size - 1;
	rb->wq = wq;
	rb->wakeup = wakeup;
	rb->hdr->magic = MOS_RING_MAGIC;
	rb->hdr->abi_major = MOS_ABI_MAJOR;
	rb->hdr->abi_minor = MOS_ABI_MINOR;
	rb->hdr->page_size = PAGE_SIZE;
	rb->hdr->data_size = data_size;
	return rb;

err:
	kvfree(map);
	mos_ring_free(rb);
	return ERR_PTR(-ENOMEM);
}

/**
 * mos_ring_free() - free a ring no producer and no mapping uses
 * @rb: the ring, or NULL
 *
 * Context: process.
 */
void mos_ring_free(struct mos_ring *rb)
{
	unsigned int i;

	if (!rb)
		return;
	if (rb->cons)
		vunmap(rb->cons);
	if (rb->pages) {
		for (i = 0; i < MOS_RING_META_PAGES + rb->nr_data; i++)
			if (rb->pages[i])
				__free_page(rb->pages[i]);
		kvfree(rb->pages);
	}
	kfree(rb);
}

/**
 * mos_ring_mmap() - map part of a ring into a process
 * @rb: the ring
 * @vma: the mapping: page offsets as in uapi/linux/mos.h
 *
 * Only the consumer page may be mapped writable; every other mapping is
 * made read-only for good (no mprotect() back to writable).
 *
 * Context: process, mmap lock held.
 * Return: 0, -EPERM for a writable mapping of another page, -EINVAL past
 * the end.
 */
int mos_ring_mmap(struct mos_ring *rb, struct vm_area_struct *vma)
{
	unsigned long pages = vma_pages(vma);
	unsigned long total = MOS_RING_META_PAGES + 2UL * rb->nr_data;

	if (vma->vm_pgoff >= total || pages > total - vma->vm_pgoff)
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE) {
		if (vma->vm_pgoff != MOS_RING_PGOFF_CONS || pages != 1)
			return -EPERM;
	} else if (vma->vm_pgoff != MOS_RING_PGOFF_CONS || pages != 1) {
		mos_vma_no_write(vma);
	}
	return remap_vmalloc_range(vma, rb->cons, vma->vm_pgoff);
}

/* The clamped consumer position; &mos_ring.lock held */
static u64 mos_ring_cons(struct mos_ring *rb, u64 prod)
{
	u64 size = rb->mask + 1;

	/* Userspace writes it: only a value between these two can be true. */
	return clamp(smp_load_acquire(&rb->cons->pos),
		     prod > size ? prod - size : 0, prod);
}

/**
 * mos_ring_hold() - set room aside for the records of one packet
 * @rb: the ring
 * @bytes: how much, records with their headers
 *
 * Context: bottom halves disabled; does not sleep.
 * Return: true if the room is there (then reserve against it with
 * mos_ring_reserve() and give back the rest with mos_ring_unhold()).
 */
bool mos_ring_hold(struct mos_ring *rb, u32 bytes)
{
	u64 size = rb->mask + 1, prod;
	bool ok;

	spin_lock(&rb->lock);
	prod = rb->prod->pos;
	ok = prod - mos_ring_cons(rb, prod) + rb->held + bytes <= size;
	if (ok) {
		rb->held += bytes;
		/* A stall ends only when the consumer moves */
		if (!rb->stalled)
			rb->full_since = 0;
	}
	spin_unlock(&rb->lock);
	return ok;
}

/**
 * mos_ring_stalled() - after a failed hold: has the consumer stalled?
 * @rb: the ring
 * @stall_ns: how long a consumer may leave a full ring unread (0: for
 *	ever)
 * @now: the time, ns
 * @newly: set when this call declares the stall
 *
 * A consumer stalls when its ring has refused holds for @stall_ns while
 * its position did not move.  A move ends the stall or starts the count
 * again, as does a hold that succeeds before the stall.
 *
 * Context: bottom halves disabled; does not sleep.
 * Return: true if the consumer has stalled.
 */
bool mos_ring_stalled(struct mos_ring *rb, u64 stall_ns, u64 now, bool *newly)
{
	u64 cons;
	bool was;

	spin_lock(&rb->lock);
	cons = mos_ring_cons(rb, rb->prod->pos);
	if (!rb->full_since || cons != rb->full_cons) {
		rb->full_cons = cons;
		rb->full_since = now ?: 1;
		rb->stalled = false;
	}
	was = rb->stalled;
	rb->stalled = stall_ns && now - rb->full_since >= stall_ns;
	*newly = rb->stalled && !was;
	spin_unlock(&rb->lock);
	return rb->stalled;
}

/**
 * mos_ring_size() - bytes of a ring's data area
 * @rb: the ring
 *
 * Return: the size.
 */
u64 mos_ring_size(const struct mos_ring *rb)
{
	return rb->mask + 1;
}

/**
 * mos_ring_unhold() - give back what a hold did not use
 * @rb: the ring
 * @bytes: the rest of the hold
 *
 * Context: bottom halves disabled; does not sleep.
 */
void mos_ring_unhold(struct mos_ring *rb, u32 bytes)
{
	spin_lock(&rb->lock);
	rb->held -= min_t(u64, rb->held, bytes);
	spin_unlock(&rb->lock);
}

/**
 * mos_ring_reserve() - reserve room for a record
 * @rb: the ring
 * @len: bytes of its body (at most %MOS_REC_LEN_MASK)
 * @type: &enum mos_rec_type
 * @sock: &mos_rec.sock
 * @hold: what is left of the caller's hold (mos_ring_hold()), used and
 *	decreased if the record fits in it; or NULL
 *
 * Context: bottom halves disabled; does not sleep.
 * Return: the body to fill, then to give to mos_ring_commit(); NULL when
 * the ring has no room.
 */
void *mos_ring_reserve(struct mos_ring *rb, u32 len, u16 type, u16 sock,
		       u32 *hold)
{
	u64 size = rb->mask + 1, prod, used;
	u32 total = ALIGN(sizeof(struct mos_rec) + len, MOS_REC_ALIGN);
	bool mine = hold && *hold >= total;
	struct mos_rec *rec;

	if (len > MOS_REC_LEN_MASK || total > size / 2)
		return NULL;
	spin_lock(&rb->lock);
	prod = rb->prod->pos;
	used = prod + total - mos_ring_cons(rb, prod);
	/* Within a hold, the room is counted in @held already. */
	if (used + rb->held - (mine ? total : 0) > size) {
		spin_unlock(&rb->lock);
		return NULL;
	}
	if (mine) {
		rb->held -= total;
		*hold -= total;
	}
	rec = (struct mos_rec *)(rb->data + (prod & rb->mask));
	rec->len = len | MOS_REC_BUSY;
	rec->type = type;
	rec->sock = sock;
	/* The busy header before the position that exposes it (consumer) */
	smp_store_release(&rb->prod->pos, prod + total);
	spin_unlock(&rb->lock);
	return rec + 1;
}

/**
 * mos_ring_commit() - make a reserved record visible
 * @rb: the ring
 * @body: what mos_ring_reserve() returned
 * @discard: mark it to be skipped
 *
 * Wakes the consumer when it was waiting for this very record, or with a
 * wake-up threshold, when this record brings what waits to it.
 *
 * Context: bottom halves disabled.
 */
void mos_ring_commit(struct mos_ring *rb, void *body, bool discard)
{
	struct mos_rec *rec = (struct mos_rec *)body - 1;
	u32 len = rec->len & ~MOS_REC_BUSY, total;
	u64 off = (u8 *)rec - rb->data, before;

	if (discard)
		len |= MOS_REC_DISCARD;
	/* The body before the length that exposes it (consumer: acquire) */
	smp_store_release(&rec->len, len);
	/*
	 * The length before the consumer position is read: pairs with the
	 * consumer storing its position, then polling (mos_ring_readable()).
	 */
	smp_mb();
	before = (off - READ_ONCE(rb->cons->pos)) & rb->mask;
	if (!rb->wakeup) {
		if (!before)
			wake_up_interruptible(rb->wq);
		return;
	}
	total = ALIGN(sizeof(*rec) + (len & MOS_REC_LEN_MASK), MOS_REC_ALIGN);
	if (before < rb->wakeup && before + total >= rb->wakeup)
		wake_up_interruptible(rb->wq);
}

/**
 * mos_ring_readable() - whether records wait for the consumer
 * @rb: the ring
 *
 * Return: true if the producer position is past the consumer's, by at
 * least the wake-up threshold if the ring has one.
 */
bool mos_ring_readable(struct mos_ring *rb)
{
	u64 prod, cons;

	/*
	 * The consumer stored its position before it polled, and poll()
	 * queued it on the wait queue: both before the producer position
	 * is read.  Pairs with the barrier in mos_ring_commit().
	 */
	smp_mb();
	/* Pairs with the release in mos_ring_reserve() */
	prod = smp_load_acquire(&rb->prod->pos);
	cons = READ_ONCE(rb->cons->pos);
	if (!rb->wakeup)
		return prod != cons;
	/* A position userspace wrote past the producer's: readable */
	return prod - cons >= rb->wakeup;
}
