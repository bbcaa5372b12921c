// SPDX-License-Identifier: MIT
/*
 * hugetlb faults (mm/hugetlb.c: hugetlb_fault, hugetlb_no_page, hugetlb_wp).
 * The pools themselves are in hugetlb.c.
 *
 * A hugetlb folio is always mapped whole, by a PMD (2 MiB) or PUD (1 GiB)
 * leaf holding one reference and one entire mapcount. Anon hugetlb folios
 * keep PageAnonExclusive on the head page only (semantics.md §5.1).
 * Private mappings take new folios from the pool; shared ones map the
 * hugetlbfs page cache. COW reuse is decided by mapcount / exclusive, not
 * by the refcount (hugetlb_wp() in mm/hugetlb.c): this is why cow.c's
 * vmsplice cases may leak (XFAIL).
 */
#include "fault.h"

struct hugetlb_fault {
	struct vm_fault *vmf;
	unsigned int order;
	unsigned long haddr, size;
};

static pteval_t huge_leaf_prot(const struct vm_area_struct *vma)
{
	return vm_get_page_prot(vma->vm_flags) | _PAGE_PSE;
}

/* Install a new leaf for @folio if the entry is still none; takes no refs. */
static bool hugetlb_install(struct hugetlb_fault *hf, struct folio *folio, bool anon,
			    pteval_t entry)
{
	struct vm_fault *vmf = hf->vmf;

	if (!pte_none(pt_read(vmf->pte)))
		return false;
	if (anon)
		folio_add_new_anon_rmap(folio, vmf->vma, hf->haddr, true);
	else
		folio_add_file_rmap_pmd(folio, vmf->vma);
	smp_wmb();
	pt_write(vmf->pte, pfn_pte(page_to_pfn(&folio->page), entry));
	return true;
}

/*
 * Copy the folio mapped by orig_pte into a new pool folio, mapped exclusive
 * anon: writable and dirty for a write, read-only for an unshare. Called
 * unlocked with a reference on @old. The pool being empty is SIGBUS, as in
 * the kernel (alloc_hugetlb_folio's -ENOSPC).
 */
static vm_fault_t hugetlb_wp_copy(struct hugetlb_fault *hf, struct folio *old)
{
	struct vm_fault *vmf = hf->vmf;
	struct vm_area_struct *vma = vmf->vma;
	bool unshare = fault_is_unshare(vmf);
	struct folio *new = hugetlb_folio_alloc(vmf->sim, hf->order);
	unsigned long start = hf->haddr, end = hf->haddr + hf->size;
	bool replaced = false;
	pteval_t entry;

	if (!new) {
		folio_put(old);
		return VM_FAULT_SIGBUS;
	}
	folio_copy_contents(new, old);
	mmu_notifier_invalidate_range_start(vmf->mm, start, end, MMU_NOTIFY_CLEAR);
	pt_lock(vmf->sim, vmf->pte);
	if (pt_read(vmf->pte) == vmf->orig_pte) {
		entry = huge_leaf_prot(vma) | _PAGE_ACCESSED;
		if (!unshare)
			entry = maybe_mkwrite(entry | _PAGE_DIRTY, vma);
		folio_add_new_anon_rmap(new, vma, hf->haddr, true);
		smp_wmb();
		pt_write(vmf->pte, pfn_pte(page_to_pfn(&new->page), entry));
		folio_remove_rmap_pmd(old, vma);
		replaced = true;
	}
	pt_unlock(vmf->sim, vmf->pte);
	mmu_notifier_invalidate_range_end(vmf->mm, start, end, MMU_NOTIFY_CLEAR);
	if (replaced) {
		folio_put(old);		/* the old mapping's reference */
		count_vm_event(vmf->sim, unshare ? GUPSIM_NR_UNSHARES : GUPSIM_NR_COW_COPIES);
		fault_trace(vmf, unshare ? GUPSIM_TRACE_UNSHARE : GUPSIM_TRACE_COW, "hugetlb_wp",
			    pte_pfn(vmf->orig_pte), page_to_pfn(&new->page), 0);
	} else {
		folio_put(new);
	}
	folio_put(old);
	return 0;
}

/*
 * hugetlb_wp(): write or unshare fault on a read-only hugetlb leaf. Called
 * with the entry locked and equal to orig_pte.
 */
static vm_fault_t hugetlb_wp(struct hugetlb_fault *hf)
{
	struct vm_fault *vmf = hf->vmf;
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio = page_folio(pfn_to_page_sim(vmf->sim, pte_pfn(vmf->orig_pte)));

	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) {
		pt_write(vmf->pte, maybe_mkwrite(vmf->orig_pte | _PAGE_DIRTY | _PAGE_ACCESSED, vma));
		pt_unlock(vmf->sim, vmf->pte);
		folio_mark_dirty(folio);
		return 0;
	}
	/* semantics.md §10: reuse when exclusive or mapped once, whatever the refcount */
	if (folio_test_anon(folio) &&
	    (PageAnonExclusive(&folio->page) || folio_mapcount(folio) == 1)) {
		if (!PageAnonExclusive(&folio->page))
			SetPageAnonExclusive(&folio->page);
		if (!fault_is_unshare(vmf))
			pt_write(vmf->pte, maybe_mkwrite(vmf->orig_pte | _PAGE_DIRTY |
							 _PAGE_ACCESSED, vma));
		pt_unlock(vmf->sim, vmf->pte);
		count_vm_event(vmf->sim, GUPSIM_NR_COW_REUSES);
		if (fault_is_unshare(vmf))
			count_vm_event(vmf->sim, GUPSIM_NR_UNSHARES);
		return 0;
	}
	folio_get(folio);
	pt_unlock(vmf->sim, vmf->pte);
	return hugetlb_wp_copy(hf, folio);
}

/*
 * hugetlb_no_page(): shared mappings map the hugetlbfs page-cache folio;
 * private ones map the file's folio read-only if it has one (a write then
 * COWs it), else a new anon folio from the pool.
 */
static vm_fault_t hugetlb_no_page(struct hugetlb_fault *hf)
{
	struct vm_fault *vmf = hf->vmf;
	struct vm_area_struct *vma = vmf->vma;
	bool shared = vma->vm_flags & VM_MAYSHARE;
	pgoff_t idx = vma->vm_pgoff + ((hf->haddr - vma->vm_start) >> PAGE_SHIFT);
	struct folio *folio = NULL;
	bool anon = false, mapped;
	pteval_t entry = huge_leaf_prot(vma) | _PAGE_ACCESSED;
	int err = 0;

	if (vma->vm_file) {
		folio = shared ? filemap_get_folio(vma->vm_file, idx, true, &err)
			       : filemap_lookup(vma->vm_file, idx);
		if (!folio && shared)
			return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	if (!folio) {
		folio = hugetlb_folio_alloc(vmf->sim, hf->order);
		if (!folio)
			return VM_FAULT_SIGBUS;	/* pool exhausted */
		anon = true;
	}
	if (WARN_ON_ONCE(vmf->sim, folio_order(folio) != hf->order)) {
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	if (shared && (vma->vm_flags & VM_WRITE) && fault_is_write(vmf)) {
		entry |= _PAGE_RW | _PAGE_DIRTY;
		folio_mark_dirty(folio);
	} else if (shared) {
		entry = maybe_mkwrite(entry, vma);	/* hugetlbfs has no writeback */
	} else if (anon && fault_is_write(vmf)) {
		entry = maybe_mkwrite(entry | _PAGE_DIRTY, vma);
	}
	pt_lock(vmf->sim, vmf->pte);
	mapped = hugetlb_install(hf, folio, anon, entry);
	pt_unlock(vmf->sim, vmf->pte);
	if (!mapped) {
		folio_put(folio);
		return 0;
	}
	count_vm_event(vmf->sim, GUPSIM_NR_FAULT_HUGETLB);
	return 0;
}

vm_fault_t hugetlb_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	unsigned int order = vma_hugetlb_order(vma);
	struct vm_fault vmf = {
		.vma = vma, .mm = vma->vm_mm, .sim = vma->vm_mm->sim,
		.address = address & PAGE_MASK, .real_address = address, .flags = flags,
	};
	struct hugetlb_fault hf = { .vmf = &vmf, .order = order };
	enum pt_level level;
	pteval_t entry;

	if (order != HPAGE_PMD_ORDER && order != HPAGE_PUD_ORDER)
		return VM_FAULT_SIGBUS;
	level = order == HPAGE_PMD_ORDER ? PT_PMD : PT_PUD;
	hf.size = PAGE_SIZE << order;
	hf.haddr = ALIGN_DOWN(address, hf.size);
	vmf.pte = pgtable_walk(vmf.mm, hf.haddr, level, true, NULL);
	if (!vmf.pte)
		return VM_FAULT_OOM;
	vmf.orig_pte = entry = pt_read(vmf.pte);

	if (pte_none(entry)) {
		vm_fault_t ret = hugetlb_no_page(&hf);

		/* a private write COWs a file folio at once (the kernel's
		 * "optimization, do the COW without a second fault") */
		if (ret || !fault_is_write(&vmf) || (vma->vm_flags & VM_MAYSHARE))
			return ret;
		vmf.orig_pte = entry = pt_read(vmf.pte);
		if (pte_none(entry) || pte_write(entry))
			return 0;
	}
	/* migration_entry_wait_huge() */
	if (pte_is_migration(entry)) {
		migration_entry_wait(vmf.sim, vmf.pte, entry);
		return 0;
	}
	if (!pte_leaf(entry) || !pte_present(entry))
		return VM_FAULT_SIGBUS;
	pt_lock(vmf.sim, vmf.pte);
	if (pt_read(vmf.pte) != entry) {
		pt_unlock(vmf.sim, vmf.pte);
		return 0;
	}
	if ((flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pte_write(entry))
		return hugetlb_wp(&hf);
	entry |= _PAGE_ACCESSED | ((flags & FAULT_FLAG_WRITE) ? _PAGE_DIRTY : 0);
	if (entry != vmf.orig_pte)
		pt_write(vmf.pte, entry);
	pt_unlock(vmf.sim, vmf.pte);
	return 0;
}
