// SPDX-License-Identifier: MIT
/*
 * The file operations that reach into every mapping of a file:
 * truncation (mm/truncate.c: unmap_mapping_range) and writeback
 * (mm/page-writeback.c: folio_clear_dirty_for_io, folio_mkclean).
 *
 * Writeback is the CASE 5 of pin_user_pages.rst: a folio under DMA is
 * written back and cleaned like any other, its shared mappings are
 * write-protected so that the next CPU write faults and dirties it again,
 * but a device writing through its pin dirties it behind the kernel's
 * back. gupsim_writeback_pinned counts the folios written back while
 * maybe pinned.
 */
#include <sched.h>
#include <stdlib.h>

#include "internal.h"

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

static struct address_space *folio_read_mapping(const struct folio *folio)
{
	return (struct address_space *)READ_ONCE_UL((const unsigned long *)&folio->mapping);
}

/* ---- truncation ---- */

struct mm_set {
	struct mm_struct **mms;
	unsigned long nr, cap;
};

static bool mm_set_add(struct mm_set *set, struct mm_struct *mm)
{
	for (unsigned long i = 0; i < set->nr; i++)
		if (set->mms[i] == mm)
			return true;
	if (set->nr == set->cap) {
		unsigned long cap = set->cap ? set->cap * 2 : 8;
		struct mm_struct **mms = realloc(set->mms, cap * sizeof(*mms));

		if (!mms)
			return false;
		set->mms = mms;
		set->cap = cap;
	}
	/* mmget_not_zero(): an mm being torn down unmaps the file itself */
	if (!atomic_inc_not_zero(&mm->mm_users))
		return true;
	set->mms[set->nr++] = mm;
	return true;
}

static unsigned long vma_file_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/*
 * Zap [first, first + nr) of @file in every VMA of @mm that maps it
 * (unmap_mapping_range_vma() -> zap_page_range_single()): one
 * MMU_NOTIFY_CLEAR range per VMA around it, whether or not anything is
 * mapped there.
 */
static void unmap_file_range_mm(struct mm_struct *mm, struct file *file, pgoff_t first,
				unsigned long nr)
{
	/* the caller's own hold will do (the kernel takes no mmap lock here) */
	bool taken = !mmap_lock_held(mm) && !mm_read_lock(mm);

	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next) {
		unsigned long start, end;
		pgoff_t lo, hi;

		if (vma->vm_file != file)
			continue;
		lo = max_t(pgoff_t, first, vma->vm_pgoff);
		hi = min_t(pgoff_t, first + nr, vma->vm_pgoff + vma_file_pages(vma));
		if (lo >= hi)
			continue;
		start = vma->vm_start + ((lo - vma->vm_pgoff) << PAGE_SHIFT);
		end = vma->vm_start + ((hi - vma->vm_pgoff) << PAGE_SHIFT);
		mmu_notifier_invalidate_range_start(mm, start, end, MMU_NOTIFY_CLEAR);
		zap_page_range(vma, start, end);
		mmu_notifier_invalidate_range_end(mm, start, end, MMU_NOTIFY_CLEAR);
	}
	if (taken)
		mm_read_unlock(mm);
}

/*
 * unmap_mapping_range(even_cows = 1): truncation unmaps the file pages
 * and the private COW copies made of them.
 */
static int unmap_mapping_pages(struct file *file, pgoff_t first, unsigned long nr)
{
	struct address_space *mapping = &file->mapping;
	struct mm_set set = { NULL, 0, 0 };
	int err = 0;

	pthread_mutex_lock(&mapping->lock);
	for (struct vm_area_struct *v = mapping->i_mmap; v && !err; v = v->i_mmap_next)
		if (!mm_set_add(&set, v->vm_mm))
			err = -ENOMEM;
	pthread_mutex_unlock(&mapping->lock);
	for (unsigned long i = 0; i < set.nr; i++) {
		if (!err)
			unmap_file_range_mm(set.mms[i], file, first, nr);
		gupsim_mm_put(set.mms[i]);
	}
	free(set.mms);
	return err;
}

static int file_truncate_check(struct file *file, size_t size)
{
	unsigned int order = file_hugetlb_order(file);

	if (size > FILE_MAX_BYTES)
		return -EFBIG;
	if (order && !IS_ALIGNED(size, PAGE_SIZE << order))
		return -EINVAL;
	return 0;
}

/*
 * How many times truncation to @new_nr pages unmaps the file's mappings
 * from there to their end: truncate_pagecache() twice, before and after
 * dropping the page cache (the second pass catches private COW copies
 * made meanwhile), whatever the new size; shmem_setattr() the same, but
 * only when the file shrinks past a page boundary; hugetlb_vmtruncate()
 * once, before.
 */
static int truncate_unmap_passes(struct file *file, unsigned long new_nr)
{
	struct address_space *mapping = &file->mapping;
	unsigned long old_nr;

	if (file_hugetlb_order(file))
		return 1;
	if (!shmem_mapping(mapping))
		return 2;
	pthread_mutex_lock(&mapping->lock);
	old_nr = mapping->nr_slots;
	pthread_mutex_unlock(&mapping->lock);
	return old_nr > new_nr ? 2 : 0;
}

int gupsim_file_truncate(struct file *file, size_t size)
{
	unsigned long new_nr = DIV_ROUND_UP((unsigned long)size, PAGE_SIZE), n = 0;
	/* holelen 0: from the new end to the end of every mapping */
	unsigned long to_end = ~0UL - new_nr;
	struct folio **gone = NULL;
	int passes, err, err2 = 0;
	long old_nr;

	if (!file)
		return -EINVAL;
	err = file_truncate_check(file, size);
	if (err)
		return err;
	passes = truncate_unmap_passes(file, new_nr);
	if (passes)
		err2 = unmap_mapping_pages(file, new_nr, to_end);
	old_nr = filemap_set_size(file, size, &gone, &n);
	if (old_nr < 0)
		return (int)old_nr;
	/* the folios are out of the cache: now out of every page table */
	if (passes == 2 || (passes == 1 && err2))
		err = unmap_mapping_pages(file, new_nr, to_end);
	filemap_release_folios(gone, n);
	free(gone);
	return err;
}

/* ---- writeback (CASE 5: writeback vs. DMA pins) ---- */

/* page_vma_mkclean_one(): shared mappings only; count what was cleaned. */
static int mkclean_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
		       pteval_t *entry, enum pt_level level, void *arg)
{
	unsigned long *cleaned = arg;
	pteval_t v;

	(void)folio;
	(void)addr;
	(void)level;
	if (!(vma->vm_flags & VM_SHARED))
		return 0;
	v = pt_read(entry);
	if (!pte_present(v) || (!pte_write(v) && !pte_dirty(v)))
		return 0;
	/* the next write through this entry faults (write-notify) and
	 * dirties the folio again */
	pt_write(entry, v & ~(pteval_t)(_PAGE_RW | _PAGE_DIRTY));
	(*cleaned)++;
	return 0;
}

/*
 * rmap_walk() only trylocks the mmap lock of the mms it visits and says
 * -EAGAIN when one was busy: the entries already cleaned stay clean and
 * count, the walk is redone without the folio lock held meanwhile (the
 * holder of that mmap lock may be waiting for it).
 */
static bool folio_mkclean_busy(struct folio *folio, unsigned long *cleaned)
{
	return rmap_walk(folio, mkclean_one, cleaned) == -EAGAIN;
}

/*
 * folio_clear_dirty_for_io() and the "write": a folio that may be pinned
 * for DMA is written back all the same, and the device can dirty it again
 * behind the kernel's back (pin_user_pages.rst CASE 5).
 */
static bool folio_write_one(struct address_space *mapping, struct folio *folio)
{
	struct gupsim *sim = folio->sim;
	unsigned long cleaned = 0;
	bool written = false;

	for (;;) {
		folio_lock(folio);
		if (folio_read_mapping(folio) != mapping)
			goto out;	/* truncated meanwhile */
		if (!folio_mkclean_busy(folio, &cleaned))
			break;
		folio_unlock(folio);
		sched_yield();
	}
	if (cleaned)
		folio_mark_dirty(folio);
	if (!test_and_clear_bit(PG_dirty, &folio->flags))
		goto out;
	SetPageFlag(&folio->page, PG_writeback);
	count_vm_event(sim, GUPSIM_NR_WRITEBACK);
	if (folio_maybe_dma_pinned(folio))
		count_vm_event(sim, GUPSIM_NR_WRITEBACK_PINNED);
	ClearPageFlag(&folio->page, PG_writeback);
	written = true;
out:
	folio_unlock(folio);
	return written;
}

long gupsim_file_writeback(struct file *file)
{
	struct address_space *mapping;
	unsigned long index = 0;
	long written = 0;

	if (!file)
		return -EINVAL;
	mapping = &file->mapping;
	/* semantics.md §1.7: shmem and hugetlbfs have nothing to write back to */
	if (!(mapping->flags & AS_WRITEBACK))
		return 0;
	for (;;) {
		struct folio *folio;

		pthread_mutex_lock(&mapping->lock);
		if (index >= mapping->nr_slots) {
			pthread_mutex_unlock(&mapping->lock);
			break;
		}
		folio = mapping->cache[index];
		if (folio) {
			unsigned long end = folio->index + (unsigned long)folio_nr_pages(folio);

			/* a folio freed while still in the cache (a put too
			 * many, reported when it happened) has no index to
			 * trust and no reference to take: step over its slot */
			index = end > index ? end : index + 1;
			if (!gupsim_folio_try_get(folio))
				folio = NULL;
		} else {
			index++;
		}
		pthread_mutex_unlock(&mapping->lock);
		if (!folio)
			continue;
		if (folio_write_one(mapping, folio))
			written++;
		folio_put(folio);
	}
	return written;
}
