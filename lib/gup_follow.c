// SPDX-License-Identifier: MIT
/*
 * follow_page_mask(): look up the page mapped at an address of a VMA and
 * grab it per the FOLL_* flags, under the page-table lock, with the mmap
 * lock held (semantics.md §1.8). NULL means "fault it in"; -EMLINK means "unshare
 * it first" (semantics.md §5.2); other ERR_PTRs end the GUP loop.
 */
#include "gup_internal.h"

/* The entry for @addr at @level of the table whose frame is @table_pfn. */
static pteval_t *table_entry(struct gupsim *sim, unsigned long table_pfn, unsigned long addr,
			     enum pt_level level)
{
	return pt_table(sim, table_pfn) + pt_index(addr, level);
}

/* A present entry that points to a lower-level table. */
static bool entry_is_table(pteval_t e)
{
	return (e & _PAGE_PRESENT) && !pte_leaf(e);
}

static void folio_mark_accessed(struct folio *folio)
{
	folio_set_referenced(folio);
}

/*
 * semantics.md §1.8 no_page_table(): nothing is mapped. Only a core dump reports
 * holes that a fault would fill with zeroes, rather than faulting them in.
 */
static struct page *no_page_table(struct vm_area_struct *vma, unsigned int flags,
				  unsigned long address)
{
	if (!(flags & FOLL_DUMP))
		return NULL;
	if (is_vm_hugetlb_page(vma)) {
		struct folio *folio = NULL;

		if (vma->vm_file) {
			unsigned int order = vma_hugetlb_order(vma);
			pgoff_t idx = ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;

			folio = filemap_lookup(vma->vm_file, ALIGN_DOWN(idx, 1UL << order));
		}
		if (!folio)
			return ERR_PTR(-EFAULT);
		folio_put(folio);
		return NULL;
	}
	/* every file VMA of gupsim has a ->fault */
	if (vma_is_anonymous(vma))
		return ERR_PTR(-EFAULT);
	return NULL;
}

/*
 * gup_can_follow_protnone(): without FOLL_HONOR_NUMA_FAULT, GUP follows
 * NUMA-hinting PROT_NONE entries; with it, only those of a VMA that is
 * itself inaccessible.
 */
static bool gup_can_follow_protnone(struct vm_area_struct *vma, unsigned int flags)
{
	if (!(flags & FOLL_HONOR_NUMA_FAULT))
		return true;
	return !(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC));
}

/*
 * can_follow_write_common(): FOLL_FORCE may write through a R/O entry of a
 * private, never-writable-now VMA once COW has given us an exclusive anon
 * page (semantics.md §1.11). gupsim has no soft-dirty or uffd-wp, so those two
 * conditions never require a fault.
 */
static bool can_follow_write_common(struct page *page, struct vm_area_struct *vma,
				    unsigned int flags)
{
	if (!(flags & FOLL_FORCE))
		return false;
	if (vma->vm_flags & (VM_MAYSHARE | VM_SHARED))
		return false;
	if (!(vma->vm_flags & VM_MAYWRITE))
		return false;
	if (vma->vm_flags & VM_WRITE)
		return false;	/* a plain write fault makes it writable */
	return page && folio_test_anon(page_folio(page)) && PageAnonExclusive(page);
}

static bool can_follow_write_entry(pteval_t e, struct page *page, struct vm_area_struct *vma,
				   unsigned int flags)
{
	return pte_write(e) || can_follow_write_common(page, vma, flags);
}

/* follow_pfn_pte(): a PTE without a struct page (VM_MIXEDMAP and the like). */
static struct page *follow_pfn_pte(pteval_t *ptep, pteval_t pte, unsigned int flags)
{
	/* there is no page to take a reference on */
	if (flags & FOLL_GET)
		return ERR_PTR(-EFAULT);
	if (flags & FOLL_TOUCH) {
		pteval_t touched = pte | _PAGE_ACCESSED;

		if (flags & FOLL_WRITE)
			touched |= _PAGE_DIRTY;
		if (touched != pte)
			pt_write(ptep, touched);
	}
	return ERR_PTR(-EEXIST);
}

/* Steps 3-9 of semantics.md §1.8 follow_page_pte(), with the PTE lock held. */
static struct page *follow_present_pte(struct vm_area_struct *vma, unsigned long address,
				       pteval_t *ptep, pteval_t pte, unsigned int flags)
{
	struct gupsim *sim = vma->vm_mm->sim;
	/* NULL for "special" entries: the zero page, pfn-only mappings */
	struct page *page = vm_normal_page(vma, address, pte);
	struct folio *folio;
	int ret;

	if ((flags & FOLL_WRITE) && !can_follow_write_entry(pte, page, vma, flags))
		return NULL;	/* a write fault (COW) first */
	if (!page) {
		if (flags & FOLL_DUMP)	/* no zero page in a core dump */
			return ERR_PTR(-EFAULT);
		if (!is_zero_pfn(sim, pte_pfn(pte)))
			return follow_pfn_pte(ptep, pte, flags);
		page = entry_page(sim, pte);
	}
	folio = page_folio(page);

	/* semantics.md §5.2: a R/O pin must not see a page COW could replace */
	if (!pte_write(pte) && gup_must_unshare(vma, flags, page))
		return ERR_PTR(-EMLINK);

	ret = try_grab_folio(folio, 1, flags);
	if (ret)
		return ERR_PTR(ret);
	/* arch_make_folio_accessible() always succeeds off s390 */
	if (flags & FOLL_TOUCH) {
		if ((flags & FOLL_WRITE) && !pte_dirty(pte) && !folio_test_dirty(folio))
			folio_mark_dirty(folio);
		folio_mark_accessed(folio);
	}
	return page;
}

/* semantics.md §1.8 follow_page_pte(): @pmdp held a table when the caller looked. */
static struct page *follow_page_pte(struct vm_area_struct *vma, unsigned long address,
				    pteval_t *pmdp, pteval_t pmdval, unsigned int flags)
{
	struct gupsim *sim = vma->vm_mm->sim;
	pteval_t *ptep = table_entry(sim, pte_pfn(pmdval), address, PT_PTE);
	struct page *page;
	pteval_t pte;

	pt_lock(sim, ptep);
	/* pte_offset_map_lock(): the table must still be the one we locked */
	if (unlikely(pt_read(pmdp) != pmdval)) {
		pt_unlock(sim, ptep);
		return NULL;
	}
	pte = pt_read(ptep);
	if (!pte_present(pte)) {
		pt_unlock(sim, ptep);
		/* swap or migration entries are resolved by the fault */
		return pte_none(pte) ? no_page_table(vma, flags, address) : NULL;
	}
	if (pte_protnone(pte) && !gup_can_follow_protnone(vma, flags)) {
		pt_unlock(sim, ptep);
		return NULL;
	}
	page = follow_present_pte(vma, address, ptep, pte, flags);
	pt_unlock(sim, ptep);
	return page;
}

/*
 * semantics.md §1.8 follow_huge_pmd() / follow_huge_pud(): a THP, huge zero or
 * hugetlb leaf, with its table lock held. One reference or pin is taken
 * here; __get_user_pages() grabs the rest of the leaf in one go.
 */
static struct page *follow_huge_leaf(struct vm_area_struct *vma, unsigned long address,
				     pteval_t *entry, enum pt_level level, unsigned int flags,
				     unsigned long *page_mask)
{
	struct gupsim *sim = vma->vm_mm->sim;
	pteval_t e = pt_read(entry);
	struct page *head = entry_page(sim, e);
	unsigned long nr = 1UL << (pt_shift(level) - PAGE_SHIFT);
	struct folio *folio = page_folio(head);
	int ret;

	if ((flags & FOLL_WRITE) && !can_follow_write_entry(e, head, vma, flags))
		return NULL;
	if ((flags & FOLL_DUMP) && is_huge_zero_folio(folio))
		return ERR_PTR(-EFAULT);
	if (pte_protnone(e) && !gup_can_follow_protnone(vma, flags))
		return NULL;
	if (!pte_write(e) && gup_must_unshare(vma, flags, head))
		return ERR_PTR(-EMLINK);

	ret = try_grab_folio(folio, 1, flags);
	if (ret)
		return ERR_PTR(ret);
	/* touch_pmd(): young, and dirty for a write (THP only) */
	if ((flags & FOLL_TOUCH) && !folio_test_hugetlb(folio) && level == PT_PMD) {
		pteval_t touched = e | _PAGE_ACCESSED;

		if (flags & FOLL_WRITE)
			touched |= _PAGE_DIRTY;
		if (touched != e)
			pt_write(entry, touched);
	}
	*page_mask = nr - 1;
	return head + ((address & ((nr << PAGE_SHIFT) - 1)) >> PAGE_SHIFT);
}

/* FOLL_SPLIT_PMD: map the THP with PTEs (the folio stays large), then look. */
static struct page *follow_split_pmd(struct vm_area_struct *vma, unsigned long address,
				     pteval_t *pmdp, unsigned int flags)
{
	pteval_t pmdval;

	if (split_huge_pmd(vma, pmdp, address))
		return ERR_PTR(-ENOMEM);
	/*
	 * A file THP is split by zapping the PMD: put a PTE table there, so
	 * that the fault maps a PTE and not the PMD again (pte_alloc()).
	 */
	if (!entry_is_table(pt_read(pmdp)))
		pgtable_walk(vma->vm_mm, address, PT_PTE, true, NULL);
	pmdval = pt_read(pmdp);
	if (pte_none(pmdval))
		return ERR_PTR(-ENOMEM);
	if (!entry_is_table(pmdval))
		return NULL;	/* mapped huge again meanwhile: retry */
	return follow_page_pte(vma, address, pmdp, pmdval, flags);
}

static struct page *follow_pmd_mask(struct vm_area_struct *vma, unsigned long address,
				    pteval_t *pmdp, unsigned int flags, unsigned long *page_mask)
{
	struct gupsim *sim = vma->vm_mm->sim;
	pteval_t pmdval = pt_read(pmdp);
	struct page *page;

	/* a none or non-present (migration) PMD: no_page_table() either way */
	if (!pte_present(pmdval))
		return no_page_table(vma, flags, address);
	if (!pte_leaf(pmdval))
		return follow_page_pte(vma, address, pmdp, pmdval, flags);
	if (pte_protnone(pmdval) && !gup_can_follow_protnone(vma, flags))
		return no_page_table(vma, flags, address);

	pt_lock(sim, pmdp);
	pmdval = pt_read(pmdp);
	if (unlikely(!pte_present(pmdval))) {
		pt_unlock(sim, pmdp);
		return no_page_table(vma, flags, address);
	}
	if (unlikely(!pte_leaf(pmdval))) {	/* split under us */
		pt_unlock(sim, pmdp);
		return follow_page_pte(vma, address, pmdp, pmdval, flags);
	}
	if ((flags & FOLL_SPLIT_PMD) && !is_vm_hugetlb_page(vma)) {
		pt_unlock(sim, pmdp);
		return follow_split_pmd(vma, address, pmdp, flags);
	}
	page = follow_huge_leaf(vma, address, pmdp, PT_PMD, flags, page_mask);
	pt_unlock(sim, pmdp);
	return page;
}

static struct page *follow_pud_mask(struct vm_area_struct *vma, unsigned long address,
				    pteval_t *pudp, unsigned int flags, unsigned long *page_mask)
{
	struct gupsim *sim = vma->vm_mm->sim;
	pteval_t pud = pt_read(pudp);
	struct page *page;

	if (!pte_present(pud))
		return no_page_table(vma, flags, address);
	if (pte_leaf(pud)) {
		pt_lock(sim, pudp);
		pud = pt_read(pudp);
		if (pte_present(pud) && pte_leaf(pud))
			page = follow_huge_leaf(vma, address, pudp, PT_PUD, flags, page_mask);
		else
			page = NULL;
		pt_unlock(sim, pudp);
		return page ? page : no_page_table(vma, flags, address);
	}
	return follow_pmd_mask(vma, address, table_entry(sim, pte_pfn(pud), address, PT_PMD),
			       flags, page_mask);
}

/*
 * semantics.md §1.8: walk pgd → pud → pmd → pte. *page_mask is set to the leaf's
 * size in pages minus one for a PMD/PUD leaf, 0 otherwise.
 */
struct page *follow_page_mask(struct vm_area_struct *vma, unsigned long address,
			      unsigned int flags, unsigned long *page_mask)
{
	struct mm_struct *mm = vma->vm_mm;
	struct gupsim *sim = mm->sim;
	pteval_t pgd;

	*page_mask = 0;
	pgd = pt_read(table_entry(sim, mm->pgd_pfn, address, PT_PGD));
	if (!entry_is_table(pgd))
		return no_page_table(vma, flags, address);
	return follow_pud_mask(vma, address, table_entry(sim, pte_pfn(pgd), address, PT_PUD),
			       flags, page_mask);
}
