// SPDX-License-Identifier: MIT
/*
 * mprotect(2) (mm/mprotect.c): new VMA protections, and the page-table
 * entries rewritten to match.
 *
 * A private writable VMA maps its pages read-only until a write fault
 * decides between reuse and COW. The exception is the kernel's "mprotect
 * optimization" (semantics.md §9.4, cow.c): when write permission comes back, an
 * entry that maps an exclusive anon page becomes writable at once, since
 * no COW could be needed. A shared writable VMA whose file tracks dirty
 * pages only gets writable entries for pages that are dirty already; the
 * others take a write fault first. PROT_NONE entries stay in place as
 * protnone entries (present to the kernel, not to the CPU).
 */
#include <sys/mman.h>

#include "internal.h"

#ifndef PROT_SEM
#define PROT_SEM	0x8	/* <asm-generic/mman-common.h> */
#endif

#define VM_ACCESS_FLAGS	(VM_READ | VM_WRITE | VM_EXEC)

struct change_args {
	struct vm_area_struct *vma;
	unsigned long start, end;
	unsigned long newflags;
};

/* can_change_pte_writable() / can_change_pmd_writable() */
static bool can_change_writable(struct vm_area_struct *vma, pteval_t v)
{
	struct page *page;

	if (vma->vm_flags & VM_SHARED) {
		if (!is_vm_hugetlb_page(vma) && vma_needs_dirty_tracking(vma))
			return pte_dirty(v);	/* a clean page needs its write fault */
		return true;
	}
	/* hugetlb_change_protection() never upgrades private entries */
	if (is_vm_hugetlb_page(vma) || pte_special(v))
		return false;
	page = pfn_to_page_sim(vma->vm_mm->sim, pte_pfn(v));
	return folio_test_anon(page_folio(page)) && PageAnonExclusive(page);
}

static pteval_t change_entry_prot(struct vm_area_struct *vma, pteval_t v,
				  unsigned long newflags)
{
	pteval_t nv = v & ~(_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_RW);

	if (!(newflags & VM_ACCESS_FLAGS))
		return nv | _PAGE_PROTNONE;
	nv |= _PAGE_PRESENT;
	if ((newflags & VM_WRITE) && can_change_writable(vma, v))
		nv |= _PAGE_RW;
	return nv;
}

static int change_entry(struct mm_struct *mm, pteval_t *entry, enum pt_level level,
			unsigned long addr, void *arg)
{
	struct change_args *c = arg;
	unsigned long size = 1UL << pt_shift(level);
	pteval_t v;

	if (level > PT_PTE && (addr < c->start || addr + size > c->end)) {
		/* VMA boundaries split THP mappings already; be safe anyway */
		if (level == PT_PMD && !is_vm_hugetlb_page(c->vma) &&
		    !split_huge_pmd(c->vma, entry, addr))
			return PT_WALK_AGAIN;
		WARN(mm->sim, 1, "change_protection: leaf at %#lx crosses the range\n", addr);
		return 0;
	}
	pt_lock(mm->sim, entry);
	v = pt_read(entry);
	if (level > PT_PTE && !pte_none(v) && !pte_leaf(v)) {
		pt_unlock(mm->sim, entry);
		return PT_WALK_AGAIN;
	}
	/* migration entries get the VMA's protection when they are restored */
	if (pte_present(v)) {
		pteval_t nv = change_entry_prot(c->vma, v, c->newflags);

		if (nv != v)
			pt_write(entry, nv);
	}
	pt_unlock(mm->sim, entry);
	return 0;
}

static void change_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct change_args c = {
		.vma = vma, .start = start, .end = end, .newflags = vma->vm_flags,
	};
	struct mm_struct *mm = vma->vm_mm;

	mmu_notifier_invalidate_range_start(mm, start, end, MMU_NOTIFY_PROTECTION_VMA);
	walk_page_range(mm, start, end, change_entry, &c);
	mmu_notifier_invalidate_range_end(mm, start, end, MMU_NOTIFY_PROTECTION_VMA);
}

/* The first address of [start, end) whose PUD entry is populated, or end. */
static unsigned long first_populated_pud(struct mm_struct *mm, unsigned long start,
					 unsigned long end)
{
	for (unsigned long a = start; a < end; a = ALIGN_DOWN(a, PUD_SIZE) + PUD_SIZE) {
		pteval_t *pud = pgtable_walk(mm, a, PT_PUD, false, NULL);

		if (pud && !pte_none(pt_read(pud)))
			return a;
	}
	return end;
}

/*
 * change_protection(): as in the kernel, each top-level (PGD) region gets
 * one MMU_NOTIFY_PROTECTION_VMA range, from its first populated PUD entry
 * to the end; a region with nothing mapped gets none. hugetlb VMAs always
 * notify their whole range.
 */
static void change_protection(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	unsigned long pgd_size = 1UL << pt_shift(PT_PGD);

	if (is_vm_hugetlb_page(vma)) {
		change_range(vma, start, end);
		return;
	}
	for (unsigned long addr = start, next; addr < end; addr = next) {
		unsigned long first;

		next = ALIGN_DOWN(addr, pgd_size) + pgd_size;
		if (next > end)
			next = end;
		first = first_populated_pud(vma->vm_mm, addr, next);
		if (first < next)
			change_range(vma, first, next);
	}
}

static unsigned long mprotect_newflags(const struct vm_area_struct *vma, int prot)
{
	unsigned long newflags = vma->vm_flags & ~VM_ACCESS_FLAGS;

	if (prot & PROT_READ)
		newflags |= VM_READ;
	if (prot & PROT_WRITE)
		newflags |= VM_WRITE;
	if (prot & PROT_EXEC)
		newflags |= VM_EXEC;
	return newflags;
}

/*
 * Everything that can refuse the call is checked before anything changes:
 * a hole (-ENOMEM), a permission the VMA may not get (-EACCES), a boundary
 * inside a hugetlb page (-EINVAL), the max_map_count limit (-ENOMEM). The
 * kernel stops at the first such VMA, having changed the earlier ones.
 */
static int mprotect_check(struct mm_struct *mm, unsigned long start, unsigned long end,
			  int prot)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	unsigned long tmp = start, splits = 0;
	int err;

	if (!vma || vma->vm_start > start)
		return -ENOMEM;
	for (; vma && vma->vm_start < end; vma = vma->vm_next) {
		unsigned long newflags = mprotect_newflags(vma, prot);

		if (vma->vm_start > tmp)
			return -ENOMEM;		/* a hole */
		/* newflags >> 4 puts VM_MAY* where VM_* are */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS)
			return -EACCES;
		if (newflags != vma->vm_flags) {
			if (vma->vm_start < start) {
				err = vma_split_check(vma, start, splits++);
				if (err)
					return err;
			}
			if (vma->vm_end > end) {
				err = vma_split_check(vma, end, splits++);
				if (err)
					return err;
			}
		}
		tmp = vma->vm_end;
	}
	return tmp < end ? -ENOMEM : 0;
}

static int mprotect_locked(struct mm_struct *mm, unsigned long start, unsigned long end,
			   int prot)
{
	unsigned long tmp = start;
	int err = mprotect_check(mm, start, end, prot);

	while (!err && tmp < end) {
		struct vm_area_struct *vma = vma_lookup(mm, tmp);
		unsigned long e = vma->vm_end < end ? vma->vm_end : end;
		unsigned long newflags = mprotect_newflags(vma, prot);

		if (newflags != vma->vm_flags) {
			vma = vma_isolate(vma, tmp, e);
			if (IS_ERR(vma))
				return (int)PTR_ERR(vma);
			vma->vm_flags = newflags;
			change_protection(vma, tmp, e);
			vma_merge_neighbours(vma);
		}
		tmp = e;
	}
	return err;
}

int gupsim_mprotect(struct mm_struct *mm, unsigned long start, size_t len, int prot)
{
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	unsigned long end;
	int err;

	if (!mm)
		return -EINVAL;
	prot &= ~grows;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = ALIGN(len, PAGE_SIZE);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	/* arch_validate_prot() on x86 */
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	/* gupsim has no stack VMAs that grow: PROT_GROWS* have nothing to act on */
	if (grows)
		return -EINVAL;
	err = mm_write_lock(mm);	/* -EDEADLK: the caller holds it */
	if (err)
		return err;
	err = mprotect_locked(mm, start, end, prot);
	mm_write_unlock(mm);
	return err;
}
