/* SPDX-License-Identifier: MIT */
/*
 * Shared by the GUP files only (gup.c, gup_slow.c, gup_fast.c, migrate.c):
 * the pieces of mm/gup.c and mm/internal.h that the rest of gupsim does not
 * call. What other lib files call is declared in mm_internal.h.
 */
#ifndef GUPSIM_GUP_INTERNAL_H
#define GUPSIM_GUP_INTERNAL_H

#include "internal.h"

/* Flags a *_fast caller may end up with (semantics.md §1.10 step 1). */
#define GUP_FAST_ALLOWED_FLAGS	(FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN | \
				 FOLL_GET | FOLL_FAST_ONLY | FOLL_NOFAULT | \
				 FOLL_PCI_P2PDMA | FOLL_HONOR_NUMA_FAULT)

/* The anon/KSM tag bits of folio->mapping (FOLIO_MAPPING_FLAGS). */
#define FOLIO_MAPPING_FLAGS	3UL

/*
 * memalloc_pin_save()/restore(): inside the scope the allocator leaves
 * ZONE_MOVABLE and CMA alone, so whatever a long-term pin faults in or
 * migrates to is pinnable (semantics.md §4.2, §4.3).
 */
static inline unsigned int memalloc_pin_save(void)
{
	struct task_struct *tsk = get_current();
	unsigned int old = tsk->flags & PF_MEMALLOC_PIN;

	tsk->flags |= PF_MEMALLOC_PIN;
	return old;
}

static inline void memalloc_pin_restore(unsigned int old)
{
	struct task_struct *tsk = get_current();

	tsk->flags = (tsk->flags & ~PF_MEMALLOC_PIN) | old;
}

/* vm_fault_to_errno() (semantics.md §1.9) */
static inline int vm_fault_to_errno(vm_fault_t ret, unsigned int foll_flags)
{
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & (VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE))
		return (foll_flags & FOLL_HWPOISON) ? -EHWPOISON : -EFAULT;
	if (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV))
		return -EFAULT;
	return 0;
}

/* The page the entry maps (the first page for a PMD/PUD leaf). */
static inline struct page *entry_page(struct gupsim *sim, pteval_t e)
{
	return pfn_to_page_sim(sim, pte_pfn(e));
}

static inline bool is_zero_pfn(struct gupsim *sim, unsigned long pfn)
{
	return pfn == page_to_pfn(sim->zero_page);
}

/* folio_set_referenced() / folio_mark_accessed() */
static inline void folio_set_referenced(struct folio *folio)
{
	if (!PageFlag(&folio->page, PG_referenced))
		SetPageFlag(&folio->page, PG_referenced);
}

/* gup_slow.c: the page-table half of the slow path */
long __get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		      unsigned int gup_flags, struct page **pages, int *locked);
int check_vma_flags(struct vm_area_struct *vma, unsigned int gup_flags);
struct vm_area_struct *gup_vma_lookup(struct mm_struct *mm, unsigned long addr);

/* gup_follow.c: follow_page_mask() and its levels */
struct page *follow_page_mask(struct vm_area_struct *vma, unsigned long address,
			      unsigned int flags, unsigned long *page_mask);

/* gup_fast.c */
long gup_fast_fallback(unsigned long start, unsigned long nr_pages, unsigned int gup_flags,
		       struct page **pages);

/* gup.c: tracing */
void trace_gup(struct mm_struct *mm, const char *name, unsigned long start,
	       unsigned long nr_pages, unsigned int gup_flags, long ret);

#endif /* GUPSIM_GUP_INTERNAL_H */
