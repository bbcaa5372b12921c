// SPDX-License-Identifier: MIT
/*
 * madvise(2) (mm/madvise.c): the advice gupsim models.
 *
 * MADV_DONTNEED zaps, MADV_HUGEPAGE / MADV_NOHUGEPAGE / MADV_DONTFORK /
 * MADV_DOFORK change VMA flags (splitting and merging VMAs), and
 * MADV_POPULATE_READ / _WRITE fault pages in through GUP (semantics.md §10,
 * FOLL_MADV_POPULATE). Pure hints (NORMAL, RANDOM, SEQUENTIAL, WILLNEED,
 * COLD, PAGEOUT, FREE) are accepted and do nothing: gupsim has no swap and
 * no reclaim. Any other advice is -EINVAL.
 *
 * As in Linux, unmapped parts of the range are skipped, the advice is
 * applied to the rest, and the call then fails with -ENOMEM.
 */
#include <sys/mman.h>

#include "internal.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif

static bool madvise_hint_only(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_FREE:
		return true;
	default:
		return false;
	}
}

static bool madvise_changes_flags(int advice)
{
	return advice == MADV_HUGEPAGE || advice == MADV_NOHUGEPAGE ||
	       advice == MADV_DONTFORK || advice == MADV_DOFORK;
}

/* ---- MADV_DONTNEED ---- */

/*
 * madvise_dontneed_free_valid_vma(): never on VM_LOCKED or VM_PFNMAP
 * VMAs; on hugetlb only from a huge-page boundary, the end rounded down to
 * one (so that a page-rounded length never frees a partial huge page).
 */
static int madvise_dontneed(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	if (is_vm_hugetlb_page(vma)) {
		unsigned long hsize = PAGE_SIZE << vma_hugetlb_order(vma);

		if (!IS_ALIGNED(start, hsize))
			return -EINVAL;
		end = ALIGN_DOWN(end, hsize);
		if (end <= start)
			return 0;
	} else if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP)) {
		return -EINVAL;
	}
	mmu_notifier_invalidate_range_start(mm, start, end, MMU_NOTIFY_CLEAR);
	zap_page_range(vma, start, end);
	mmu_notifier_invalidate_range_end(mm, start, end, MMU_NOTIFY_CLEAR);
	return 0;
}

/* ---- flag changes ---- */

static int madvise_new_flags(struct vm_area_struct *vma, int advice, unsigned long *flags,
			     unsigned long *sim_flags)
{
	unsigned long f = vma->vm_flags, s = vma->_sim_flags;

	switch (advice) {
	case MADV_HUGEPAGE:
		f = (f & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		break;
	case MADV_NOHUGEPAGE:
		f = (f & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	case MADV_DONTFORK:
		if (f & VM_IO)
			return -EINVAL;
		f |= VM_DONTCOPY;
		s |= VMA_SIM_DONTFORK;
		break;
	case MADV_DOFORK:
		if (f & VM_IO)
			return -EINVAL;
		f &= ~VM_DONTCOPY;
		s &= ~VMA_SIM_DONTFORK;
		break;
	}
	*flags = f;
	*sim_flags = s;
	return 0;
}

/* madvise_update_vma(): split off [start, end) if its flags change. */
static int madvise_update_vma(struct vm_area_struct *vma, unsigned long start,
			      unsigned long end, int advice)
{
	unsigned long flags, sim_flags;
	int err = madvise_new_flags(vma, advice, &flags, &sim_flags);

	if (err)
		return err;
	if (flags == vma->vm_flags && sim_flags == vma->_sim_flags)
		return 0;
	if (start > vma->vm_start) {
		err = vma_split_check(vma, start, 0);
		if (!err && end < vma->vm_end)
			err = vma_split_check(vma, end, 1);
		if (err)
			return err;
	} else if (end < vma->vm_end) {
		err = vma_split_check(vma, end, 0);
		if (err)
			return err;
	}
	vma = vma_isolate(vma, start, end);
	if (IS_ERR(vma))
		return (int)PTR_ERR(vma);
	vma->vm_flags = flags;
	vma->_sim_flags = sim_flags;
	vma_merge_neighbours(vma);
	return 0;
}

/* ---- the walk ---- */

static int madvise_vma(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		       int advice)
{
	if (advice == MADV_DONTNEED)
		return madvise_dontneed(vma, start, end);
	if (madvise_changes_flags(advice))
		return madvise_update_vma(vma, start, end, advice);
	return 0;
}

/*
 * madvise_walk_vmas(): the advice per VMA piece; an error stops the walk,
 * a hole is remembered and reported as -ENOMEM at the end.
 */
static int madvise_walk_vmas(struct mm_struct *mm, unsigned long start, unsigned long end,
			     int advice)
{
	int unmapped_error = 0;

	while (start < end) {
		struct vm_area_struct *vma = find_vma(mm, start);
		unsigned long e;
		int err;

		if (!vma || vma->vm_start >= end)
			return -ENOMEM;
		if (vma->vm_start > start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
		}
		e = vma->vm_end < end ? vma->vm_end : end;
		err = madvise_vma(vma, start, e, advice);
		if (err)
			return err;
		start = e;
	}
	return unmapped_error;
}

/* madvise_populate(): the errors of faultin_page_range() as madvise reports them. */
static int madvise_populate(struct mm_struct *mm, unsigned long start, unsigned long end,
			    bool write)
{
	int locked = 1;

	while (start < end) {
		long pages = faultin_page_range(mm, start, end, write, &locked);

		if (!locked) {
			gupsim_mmap_read_lock(mm);
			locked = 1;
		}
		if (pages < 0) {
			switch (pages) {
			case -EINTR:
			case -EINVAL:		/* incompatible mappings or permissions */
			case -EHWPOISON:
			case -EFAULT:		/* VM_FAULT_SIGBUS or VM_FAULT_SIGSEGV */
				return (int)pages;
			default:		/* -ENOMEM: no VMA, or out of memory */
				return -ENOMEM;
			}
		}
		if (WARN_ON_ONCE(mm->sim, pages == 0))
			return -EFAULT;
		start += (unsigned long)pages * PAGE_SIZE;
	}
	return 0;
}

static bool madvise_behavior_valid(int advice)
{
	return advice == MADV_DONTNEED || madvise_changes_flags(advice) ||
	       advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE ||
	       madvise_hint_only(advice);
}

int gupsim_madvise(struct mm_struct *mm, unsigned long start, size_t len_in, int advice)
{
	unsigned long len, end;
	int err;

	if (!mm)
		return -EINVAL;
	if (!madvise_behavior_valid(advice))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	len = ALIGN((unsigned long)len_in, PAGE_SIZE);
	if (len_in && !len)
		return -EINVAL;		/* rounding up overflowed */
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;

	if (madvise_changes_flags(advice)) {
		err = mm_write_lock(mm);	/* -EDEADLK: the caller holds it */
		if (err)
			return err;
		err = madvise_walk_vmas(mm, start, end, advice);
		mm_write_unlock(mm);
		return err;
	}
	err = mm_read_lock(mm);
	if (err)
		return err;
	if (advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE)
		err = madvise_populate(mm, start, end, advice == MADV_POPULATE_WRITE);
	else
		err = madvise_walk_vmas(mm, start, end, advice);
	mm_read_unlock(mm);
	return err;
}
