/* SPDX-License-Identifier: MIT */
/*
 * Private to the fault handlers (memory.c, huge_memory.c, hugetlb_fault.c):
 * the kernel's struct vm_fault and the helpers the three files share.
 * Everything other lib/ files need is in mm_internal.h.
 */
#ifndef GUPSIM_FAULT_H
#define GUPSIM_FAULT_H

#include "internal.h"

/* One fault in progress (the kernel's struct vm_fault). */
struct vm_fault {
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	struct gupsim *sim;
	unsigned long address;		/* page aligned */
	unsigned long real_address;	/* as passed to handle_mm_fault */
	unsigned int flags;		/* FAULT_FLAG_*, sanitized */
	pgoff_t pgoff;			/* file page of address */
	pteval_t *pmd;			/* the PMD entry (NULL for hugetlb PUD) */
	pteval_t *pte;			/* the PTE (or hugetlb leaf) entry */
	pteval_t orig_pmd;
	pteval_t orig_pte;
	struct page *page;		/* the page mapped by orig_pte, if any */
};

static inline bool fault_is_write(const struct vm_fault *vmf)
{
	return vmf->flags & FAULT_FLAG_WRITE;
}
static inline bool fault_is_unshare(const struct vm_fault *vmf)
{
	return vmf->flags & FAULT_FLAG_UNSHARE;
}

/* memory.c */
void fault_trace(struct vm_fault *vmf, enum gupsim_trace_event ev, const char *name,
		 unsigned long pfn, unsigned long new_pfn, long ret);
/* A new anon folio for user memory: movable, zeroed (vma_alloc_zeroed_movable_folio). */
static inline struct folio *alloc_user_folio(struct gupsim *sim, unsigned int order)
{
	return folio_alloc_gfp(sim, order, GFP_HIGHUSER_MOVABLE | __GFP_ZERO | __GFP_NOWARN);
}

/* huge_memory.c */
vm_fault_t do_huge_pmd_anonymous_page(struct vm_fault *vmf);
vm_fault_t do_huge_pmd_wp_page(struct vm_fault *vmf);
vm_fault_t do_huge_pmd_numa_page(struct vm_fault *vmf);
void huge_pmd_set_accessed(struct vm_fault *vmf);

/* hugetlb_fault.c */
vm_fault_t hugetlb_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags);

#endif /* GUPSIM_FAULT_H */
