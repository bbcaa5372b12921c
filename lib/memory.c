// SPDX-License-Identifier: MIT
/*
 * Page faults (mm/memory.c): handle_mm_fault() and the PTE-level handlers.
 *
 * - anonymous faults: the small zero page on read, a new exclusive anon
 *   folio on write, multi-size THP (mTHP) orders where enabled;
 * - write-protect faults (do_wp_page): COW reuse or copy, FAULT_FLAG_UNSHARE
 *   (semantics.md §5.3), write-notify of shared file mappings;
 * - file faults through the page cache, VM_PFNMAP special entries;
 * - NUMA-hinting (protnone) faults.
 *
 * PMD-level THP faults live in huge_memory.c, hugetlb faults in
 * hugetlb_fault.c. Every entry change happens under the lock of the table
 * that holds the entry, after checking that the entry is still the one the
 * fault was decided on (the kernel's pte_same()); a fault that lost a race
 * returns 0 and the access retries, as in the kernel.
 *
 * Counters (vmstat.h): pgfault for every call; gupsim_fault_anon for a new
 * anon folio mapped on a none entry (PTE, mTHP or PMD THP);
 * gupsim_fault_zero_page for a small or huge zero page mapped;
 * gupsim_fault_file for each page-cache page a file fault looked up;
 * gupsim_mthp_fault_alloc / thp_fault_alloc / thp_fault_fallback as the
 * kernel's. Write-protect faults: gupsim_cow_copies for a write that
 * copied, gupsim_unshares for an unshare that copied or reused, and
 * gupsim_cow_reuses for a write or unshare that kept the page.
 */
#include <sched.h>

#include "fault.h"

struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pteval_t pte)
{
	(void)addr;
	if (pte_special(pte))
		return NULL;
	return pfn_to_page_sim(vma->vm_mm->sim, pte_pfn(pte));
}

void fault_trace(struct vm_fault *vmf, enum gupsim_trace_event ev, const char *name,
		 unsigned long pfn, unsigned long new_pfn, long ret)
{
	struct gupsim_trace_record rec = {
		.event = ev, .name = name, .mm = vmf->mm, .addr = vmf->address,
		.nr = 1, .flags = vmf->flags, .ret = ret, .pfn = pfn, .new_pfn = new_pfn,
	};

	if (trace_enabled(vmf->sim))
		gupsim_trace_emit(vmf->sim, &rec);
}

static inline unsigned long zero_pfn(struct gupsim *sim)
{
	return page_to_pfn(sim->zero_page);
}

static inline bool is_zero_pfn_entry(struct gupsim *sim, pteval_t e)
{
	return pte_special(e) && pte_pfn(e) == zero_pfn(sim);
}

static inline pgoff_t linear_page_index(const struct vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* ------------------------------------------------------------------ */
/* Write-protect faults: reuse or copy (semantics.md §5.3) */

/* Replace a PTE under its lock; the new value is complete before it is seen. */
static void set_pte_locked(pteval_t *pte, pteval_t entry)
{
	smp_wmb();
	pt_write(pte, entry);
}

/*
 * wp_can_reuse_anon_folio() for a large folio: the kernel's
 * __wp_can_reuse_large_anon_folio asks "not maybe mapped shared, mapcount
 * == refcount, owned by this mm" using its MM_ID tracking. gupsim decides
 * it exactly instead: reuse only if no PMD maps the folio, every reference
 * is one of its mappings (no GUP reference, no pin, no other user), and
 * every mapping is a PTE of the page table we hold locked (so this mm is
 * the only one that maps it). Anon folios sit at the address their index
 * names, so those PTEs can only be the ones covering the folio there.
 */
static bool wp_can_reuse_large_anon_folio(struct folio *folio, struct vm_fault *vmf)
{
	unsigned long start = folio->index << PAGE_SHIFT;
	long nr = folio_nr_pages(folio);
	unsigned long pfn = page_to_pfn(&folio->page);
	int mapcount = folio_mapcount(folio);
	pteval_t *first;
	int mine = 0;

	/* "free up a large folio if only a single page is mapped": the page
	 * is copied to a new order-0 folio rather than keeping the large one */
	if (mapcount <= 1)
		return false;
	if (folio_test_hugetlb(folio) || atomic_read(&folio->_entire_mapcount) >= 0)
		return false;
	if (folio_ref_count(folio) != mapcount)
		return false;
	if ((start & PMD_MASK) != (vmf->address & PMD_MASK) ||
	    ((start + (nr << PAGE_SHIFT) - 1) & PMD_MASK) != (vmf->address & PMD_MASK))
		return false;
	first = vmf->pte - ((long)(vmf->address - start) >> PAGE_SHIFT);
	for (long i = 0; i < nr; i++) {
		pteval_t e = pt_read(&first[i]);

		if (pte_present(e) && !pte_special(e) && pte_pfn(e) == pfn + (unsigned long)i)
			mine++;
	}
	return mine == mapcount && folio_ref_count(folio) == mapcount;
}

/*
 * semantics.md §5.3 wp_can_reuse_anon_folio(): a small folio is reused only if its
 * one reference is the mapping we are faulting on (ref > 3 is the quick
 * reject; no LRU or swap cache to drain here).
 */
static bool wp_can_reuse_anon_folio(struct folio *folio, struct vm_fault *vmf)
{
	bool reuse;

	/*
	 * A large folio: __wp_can_reuse_large_anon_folio() since v6.15
	 * (commit "mm: COW reuse support for PTE-mapped THP"); v6.10 to v6.14
	 * never reuse it ("mm: prohibit the last subpage from reusing the
	 * entire large folio", v6.10); before, the small-folio rule below
	 * applied to it as well (reuse if its one reference is ours).
	 */
	if (folio_test_large(folio)) {
		if (kernel_at_least(vmf->sim, 6, 15))
			return wp_can_reuse_large_anon_folio(folio, vmf);
		if (kernel_at_least(vmf->sim, 6, 10))
			return false;
	}
	if (folio_ref_count(folio) > 3)
		return false;
	if (folio_ref_count(folio) > 1)
		return false;
	if (!folio_trylock(folio))
		return false;
	reuse = folio_ref_count(folio) == 1;
	folio_unlock(folio);
	return reuse;
}

/* Write to a page we may keep: writable (if VM_WRITE) and dirty. Unlocks. */
static vm_fault_t wp_page_reuse(struct vm_fault *vmf)
{
	pteval_t entry = maybe_mkwrite(vmf->orig_pte | _PAGE_DIRTY | _PAGE_ACCESSED, vmf->vma);

	pt_write(vmf->pte, entry);
	pt_unlock(vmf->sim, vmf->pte);
	count_vm_event(vmf->sim, GUPSIM_NR_COW_REUSES);
	fault_trace(vmf, GUPSIM_TRACE_COW, "wp_page_reuse", pte_pfn(vmf->orig_pte),
		    pte_pfn(vmf->orig_pte), 0);
	return 0;
}

/*
 * semantics.md §5.3 wp_page_copy(): a new exclusive anon page replaces the old one
 * (zeroed for the zero page, copied otherwise). A write maps it dirty and,
 * with VM_WRITE, writable; an unshare maps it read-only and keeps the old
 * soft-dirty bit. The old mapping's mapcount and reference go. Called with
 * the PTE unlocked and a reference on @old (NULL for special entries).
 */
static vm_fault_t wp_page_copy(struct vm_fault *vmf, struct folio *old)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gupsim *sim = vmf->sim;
	bool unshare = fault_is_unshare(vmf);
	unsigned long old_pfn = pte_pfn(vmf->orig_pte);
	unsigned long start = vmf->address, end = start + PAGE_SIZE;
	struct folio *new;
	bool replaced = false;
	pteval_t entry;

	new = alloc_user_folio(sim, 0);
	if (!new) {
		if (old)
			folio_put(old);
		return VM_FAULT_OOM;
	}
	if (!is_zero_pfn_entry(sim, vmf->orig_pte))
		pfn_data_copy(sim, page_to_pfn(&new->page), old_pfn);

	mmu_notifier_invalidate_range_start(vmf->mm, start, end, MMU_NOTIFY_CLEAR);
	pt_lock(sim, vmf->pte);
	if (pt_read(vmf->pte) == vmf->orig_pte) {
		entry = pfn_pte(page_to_pfn(&new->page),
				vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED);
		if (unshare)
			entry |= vmf->orig_pte & _PAGE_SOFT_DIRTY;
		else
			entry = maybe_mkwrite(entry | _PAGE_DIRTY, vma);
		folio_add_new_anon_rmap(new, vma, vmf->address, true);
		set_pte_locked(vmf->pte, entry);
		if (old)
			folio_remove_rmap_ptes(old, vmf->page, 1, vma);
		replaced = true;
	}
	pt_unlock(sim, vmf->pte);
	mmu_notifier_invalidate_range_end(vmf->mm, start, end, MMU_NOTIFY_CLEAR);

	if (!replaced) {
		folio_put(new);
	} else {
		count_vm_event(sim, unshare ? GUPSIM_NR_UNSHARES : GUPSIM_NR_COW_COPIES);
		fault_trace(vmf, unshare ? GUPSIM_TRACE_UNSHARE : GUPSIM_TRACE_COW,
			    "wp_page_copy", old_pfn, page_to_pfn(&new->page), 0);
	}
	if (old) {
		if (replaced)
			folio_put(old);		/* the old mapping's reference */
		folio_put(old);			/* ours */
	}
	return 0;
}

/*
 * A write to a read-only PTE of a shared mapping: write-notify / dirty
 * tracking. The page stays; the entry becomes writable and dirty and the
 * folio is marked dirty for writeback. Unlocks.
 */
static vm_fault_t wp_page_shared(struct vm_fault *vmf)
{
	pteval_t entry = maybe_mkwrite(vmf->orig_pte | _PAGE_DIRTY | _PAGE_ACCESSED, vmf->vma);

	pt_write(vmf->pte, entry);
	pt_unlock(vmf->sim, vmf->pte);
	if (vmf->page)
		folio_mark_dirty(page_folio(vmf->page));
	return 0;
}

/*
 * semantics.md §5.3 do_wp_page(): a write or unshare fault on a present, read-only
 * PTE. Called with the PTE locked and equal to orig_pte.
 */
static vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	bool unshare = fault_is_unshare(vmf);
	struct folio *folio = NULL;

	vmf->page = vm_normal_page(vma, vmf->address, vmf->orig_pte);
	/* shared mappings never see an unshare fault (sanitize_fault_flags) */
	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE))
		return wp_page_shared(vmf);

	if (vmf->page)
		folio = page_folio(vmf->page);
	if (folio && folio_test_anon(folio) &&
	    (PageAnonExclusive(vmf->page) || wp_can_reuse_anon_folio(folio, vmf))) {
		if (!PageAnonExclusive(vmf->page))
			SetPageAnonExclusive(vmf->page);
		if (unshare) {
			/* semantics.md §5.3: exclusive now, and still not writable */
			pt_unlock(vmf->sim, vmf->pte);
			count_vm_event(vmf->sim, GUPSIM_NR_COW_REUSES);
			count_vm_event(vmf->sim, GUPSIM_NR_UNSHARES);
			fault_trace(vmf, GUPSIM_TRACE_UNSHARE, "wp_page_reuse",
				    page_to_pfn(vmf->page), page_to_pfn(vmf->page), 0);
			return 0;
		}
		return wp_page_reuse(vmf);
	}
	/* the zero page, a file page of a private mapping, a shared anon page */
	if (folio)
		folio_get(folio);
	pt_unlock(vmf->sim, vmf->pte);
	return wp_page_copy(vmf, folio);
}

/* ------------------------------------------------------------------ */
/* Anonymous faults */

static bool pte_range_none(pteval_t *pte, long nr)
{
	for (long i = 0; i < nr; i++)
		if (!pte_none(pt_read(&pte[i])))
			return false;
	return true;
}

/* A read fault on anon memory maps the shared zero page, special, R/O. */
static vm_fault_t do_anonymous_zero_page(struct vm_fault *vmf)
{
	pteval_t entry = pfn_pte(zero_pfn(vmf->sim),
				 vm_get_page_prot(vmf->vma->vm_flags) | _PAGE_SPECIAL);
	vm_fault_t ret = 0;

	pt_lock(vmf->sim, vmf->pte);
	if (pte_none(pt_read(vmf->pte))) {
		pt_write(vmf->pte, entry);
		count_vm_event(vmf->sim, GUPSIM_NR_FAULT_ZERO_PAGE);
	}
	pt_unlock(vmf->sim, vmf->pte);
	return ret;
}

/*
 * mTHP: the largest enabled order (cfg.mthp_orders, "inherit") that fits
 * inside the VMA, is naturally aligned and whose PTEs are all none; smaller
 * orders when allocation fails; order 0 last.
 */
static struct folio *alloc_anon_folio(struct vm_fault *vmf, unsigned int *orderp)
{
	/* anon mTHP exists from v6.8 (commit "mm: thp: support allocation of
	 * anonymous multi-size THP"); older releases fault order 0 here */
	unsigned long orders = kernel_at_least(vmf->sim, 6, 8) ? vmf->sim->cfg.mthp_orders : 0;
	struct folio *folio;

	for (int order = HPAGE_PMD_ORDER - 1; order >= 2; order--) {
		unsigned long addr = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
		pteval_t *pte = vmf->pte - ((vmf->address - addr) >> PAGE_SHIFT);

		if (!(orders & BIT(order)) || !thp_vma_allowable(vmf->vma, vmf->address, order))
			continue;
		if (!pte_range_none(pte, 1L << order))
			continue;
		folio = alloc_user_folio(vmf->sim, order);
		if (folio) {
			*orderp = order;
			return folio;
		}
	}
	*orderp = 0;
	return alloc_user_folio(vmf->sim, 0);
}

/* semantics.md §5.1: a new anon folio is exclusive; every PTE holds a reference. */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;
	unsigned int order;
	unsigned long addr, pfn;
	pteval_t *pte, entry;
	long nr;

	/* MAP_SHARED anonymous memory is a shmem file, never an anon VMA */
	if (vma->vm_flags & VM_SHARED)
		return VM_FAULT_SIGBUS;
	if (!fault_is_write(vmf) && vmf->sim->cfg.use_zero_page)
		return do_anonymous_zero_page(vmf);

	folio = alloc_anon_folio(vmf, &order);
	if (!folio)
		return VM_FAULT_OOM;
	nr = 1L << order;
	addr = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
	pte = vmf->pte - ((vmf->address - addr) >> PAGE_SHIFT);
	pfn = page_to_pfn(&folio->page);

	/*
	 * do_anonymous_page(): writable and dirty only with VM_WRITE, read or
	 * write fault alike. A FOLL_FORCE write fault on a VMA without it
	 * leaves a clean read-only PTE; follow_page_pte() with FOLL_TOUCH then
	 * marks the folio dirty instead (the same in every modelled release).
	 */
	entry = vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED;
	if (vma->vm_flags & VM_WRITE)
		entry |= _PAGE_RW | _PAGE_DIRTY;

	pt_lock(vmf->sim, vmf->pte);
	if (!pte_range_none(pte, nr)) {
		pt_unlock(vmf->sim, vmf->pte);
		folio_put(folio);
		return 0;
	}
	folio_ref_add(folio, (int)nr - 1);
	folio_add_new_anon_rmap(folio, vma, addr, true);
	smp_wmb();
	for (long i = 0; i < nr; i++)
		pt_write(&pte[i], pfn_pte(pfn + (unsigned long)i, entry));
	pt_unlock(vmf->sim, vmf->pte);

	count_vm_event(vmf->sim, GUPSIM_NR_FAULT_ANON);
	if (order)
		count_vm_event(vmf->sim, GUPSIM_NR_MTHP_FAULT_ALLOC);
	return 0;
}

/* ------------------------------------------------------------------ */
/* File faults */

static vm_fault_t file_fault_get(struct vm_fault *vmf, struct folio **foliop)
{
	int err = 0;
	struct folio *folio = filemap_get_folio(vmf->vma->vm_file, vmf->pgoff, true, &err);
	pgoff_t off;

	if (!folio)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	off = vmf->pgoff - folio->index;
	if (WARN_ON_ONCE(vmf->sim, off >= (pgoff_t)folio_nr_pages(folio))) {
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = folio_page(folio, off);
	*foliop = folio;
	count_vm_event(vmf->sim, GUPSIM_NR_FAULT_FILE);
	return 0;
}

/* Map @vmf->page of @folio (our reference becomes the mapping's). */
static vm_fault_t finish_file_fault(struct vm_fault *vmf, struct folio *folio, pteval_t entry)
{
	pt_lock(vmf->sim, vmf->pte);
	if (!pte_none(pt_read(vmf->pte))) {
		pt_unlock(vmf->sim, vmf->pte);
		folio_put(folio);
		return 0;
	}
	folio_add_file_rmap_ptes(folio, vmf->page, 1, vmf->vma);
	set_pte_locked(vmf->pte, pfn_pte(page_to_pfn(vmf->page), entry));
	pt_unlock(vmf->sim, vmf->pte);
	return 0;
}

/*
 * Read fault: map the page-cache page. A shared writable mapping gets it
 * writable at once unless it needs dirty tracking (write-notify); a private
 * mapping always read-only, a write then COWs it (semantics.md §5.3).
 */
static vm_fault_t do_read_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;
	vm_fault_t ret = file_fault_get(vmf, &folio);
	pteval_t entry = vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED;

	if (ret)
		return ret;
	if ((vma->vm_flags & VM_SHARED) && !vma_needs_dirty_tracking(vma))
		entry = maybe_mkwrite(entry, vma);
	return finish_file_fault(vmf, folio, entry);
}

/* Write fault on a shared mapping: writable, dirty, the folio marked dirty. */
static vm_fault_t do_shared_fault(struct vm_fault *vmf)
{
	struct folio *folio;
	vm_fault_t ret = file_fault_get(vmf, &folio);
	pteval_t entry;

	if (ret)
		return ret;
	entry = vm_get_page_prot(vmf->vma->vm_flags) | _PAGE_ACCESSED | _PAGE_DIRTY;
	folio_mark_dirty(folio);
	return finish_file_fault(vmf, folio, maybe_mkwrite(entry, vmf->vma));
}

/* Write fault on a private file mapping: a private anon copy of the file
 * page, exclusive (semantics.md §5.3 "file page in a MAP_PRIVATE mapping"). */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio, *new;
	vm_fault_t ret;
	pteval_t entry;

	new = alloc_user_folio(vmf->sim, 0);
	if (!new)
		return VM_FAULT_OOM;
	ret = file_fault_get(vmf, &folio);
	if (ret) {
		folio_put(new);
		return ret;
	}
	page_data_copy(&new->page, vmf->page);
	folio_put(folio);

	entry = vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED | _PAGE_DIRTY;
	entry = maybe_mkwrite(entry, vma);
	pt_lock(vmf->sim, vmf->pte);
	if (!pte_none(pt_read(vmf->pte))) {
		pt_unlock(vmf->sim, vmf->pte);
		folio_put(new);
		return 0;
	}
	folio_add_new_anon_rmap(new, vma, vmf->address, true);
	set_pte_locked(vmf->pte, pfn_pte(page_to_pfn(&new->page), entry));
	pt_unlock(vmf->sim, vmf->pte);
	return 0;
}

/*
 * VM_IO | VM_PFNMAP: device pfns mapped by special entries; no struct page
 * reference or mapcount (GUP refuses them, semantics.md §1.11). The file supplies
 * the pfn and keeps its own reference on the frame.
 */
static vm_fault_t do_pfnmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long pfn;
	struct folio *folio;
	vm_fault_t ret = file_fault_get(vmf, &folio);
	pteval_t entry;

	if (ret)
		return ret;
	pfn = page_to_pfn(vmf->page);
	folio_put(folio);
	entry = pfn_pte(pfn, vm_get_page_prot(vma->vm_flags) | _PAGE_SPECIAL | _PAGE_ACCESSED);
	if (vma->vm_flags & VM_SHARED)
		entry = maybe_mkwrite(entry, vma);
	pt_lock(vmf->sim, vmf->pte);
	if (pte_none(pt_read(vmf->pte)))
		pt_write(vmf->pte, entry);
	pt_unlock(vmf->sim, vmf->pte);
	return 0;
}

static vm_fault_t do_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;

	if (!vma->vm_file)
		return VM_FAULT_SIGBUS;
	vmf->pgoff = linear_page_index(vma, vmf->address);
	if (vma->vm_flags & VM_PFNMAP)
		return do_pfnmap_fault(vmf);
	if (!fault_is_write(vmf))
		return do_read_fault(vmf);
	if (!(vma->vm_flags & VM_SHARED))
		return do_cow_fault(vmf);
	return do_shared_fault(vmf);
}

/* ------------------------------------------------------------------ */
/* The PTE level */

/*
 * semantics.md §1.8, §10 FOLL_HONOR_NUMA_FAULT: a protnone entry in an accessible
 * VMA is a NUMA-hinting entry; the fault restores it (gupsim has one node,
 * so nothing migrates). The write bit is kept, as the kernel keeps it.
 */
static vm_fault_t do_numa_page(struct vm_fault *vmf)
{
	pteval_t entry = (vmf->orig_pte & ~_PAGE_PROTNONE) |
			 _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

	pt_lock(vmf->sim, vmf->pte);
	if (pt_read(vmf->pte) == vmf->orig_pte)
		pt_write(vmf->pte, entry);
	pt_unlock(vmf->sim, vmf->pte);
	return 0;
}

/* pgtable_walk() gave no entry: a leaf at a higher level raced in (let the
 * access retry) or there was no memory for a table. */
static vm_fault_t walk_failure(struct mm_struct *mm, unsigned long addr, enum pt_level want)
{
	enum pt_level lvl;

	if (pgtable_lookup(mm, addr, &lvl) && lvl > want)
		return 0;
	return VM_FAULT_OOM;
}

static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	pteval_t entry;

	vmf->pte = pgtable_walk(vmf->mm, vmf->address, PT_PTE, true, NULL);
	if (!vmf->pte)
		return walk_failure(vmf->mm, vmf->address, PT_PTE);
	vmf->orig_pte = entry = pt_read(vmf->pte);

	if (pte_none(entry))
		return vma_is_anonymous(vmf->vma) ? do_anonymous_page(vmf) : do_fault(vmf);
	if (!pte_present(entry)) {
		/* a migration entry: wait for it to go, then retry the access */
		if (pte_is_migration(entry)) {
			migration_entry_wait(vmf->sim, vmf->pte, entry);
			return 0;
		}
		return VM_FAULT_SIGBUS;
	}
	if (pte_protnone(entry) && vma_is_accessible(vmf->vma))
		return do_numa_page(vmf);

	pt_lock(vmf->sim, vmf->pte);
	if (pt_read(vmf->pte) != entry) {
		pt_unlock(vmf->sim, vmf->pte);
		return 0;
	}
	if (vmf->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
		if (!pte_write(entry))
			return do_wp_page(vmf);
		if (fault_is_write(vmf))
			entry |= _PAGE_DIRTY;
	}
	entry |= _PAGE_ACCESSED;
	if (entry != vmf->orig_pte)
		pt_write(vmf->pte, entry);
	pt_unlock(vmf->sim, vmf->pte);
	return 0;
}

static vm_fault_t __handle_mm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t ret;

	vmf->pmd = pgtable_walk(vmf->mm, vmf->address, PT_PMD, true, NULL);
	if (!vmf->pmd)
		return walk_failure(vmf->mm, vmf->address, PT_PMD);
	vmf->orig_pmd = pt_read(vmf->pmd);

	/* pmd_migration_entry_wait() */
	if (pte_is_migration(vmf->orig_pmd)) {
		migration_entry_wait(vmf->sim, vmf->pmd, vmf->orig_pmd);
		return 0;
	}
	if (pte_none(vmf->orig_pmd) && thp_vma_allowable(vma, vmf->address, HPAGE_PMD_ORDER)) {
		ret = do_huge_pmd_anonymous_page(vmf);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
	} else if (pte_leaf(vmf->orig_pmd)) {
		if (pte_protnone(vmf->orig_pmd) && vma_is_accessible(vma))
			return do_huge_pmd_numa_page(vmf);
		if ((vmf->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) &&
		    !pte_write(vmf->orig_pmd)) {
			ret = do_huge_pmd_wp_page(vmf);
			if (!(ret & VM_FAULT_FALLBACK))
				return ret;
		} else {
			huge_pmd_set_accessed(vmf);
			return 0;
		}
	}
	return handle_pte_fault(vmf);
}

/* ------------------------------------------------------------------ */
/* Entry points */

/* semantics.md §1.9, §5.3 sanitize_fault_flags() */
static vm_fault_t sanitize_fault_flags(struct vm_area_struct *vma, unsigned int *flags)
{
	if (*flags & FAULT_FLAG_UNSHARE) {
		if (WARN_ON_ONCE(vma->vm_mm->sim, *flags & FAULT_FLAG_WRITE))
			return VM_FAULT_SIGSEGV;
		/* only COW mappings can be unshared: elsewhere a read fault */
		if (!is_cow_mapping(vma->vm_flags))
			*flags &= ~FAULT_FLAG_UNSHARE;
	}
	return 0;
}

/*
 * The access check the CPU's fault handler (access_error) and GUP's
 * check_vma_flags make before the fault: a write needs VM_WRITE, except a
 * FOLL_FORCE write to a COW mapping (semantics.md §1.11); a read needs an accessible
 * VMA, except a FOLL_FORCE read with VM_MAYREAD (ptrace peek).
 */
static bool fault_access_error(const struct vm_area_struct *vma, unsigned int flags)
{
	bool force = flags & FAULT_FLAG_GUPSIM_FORCE;

	if (flags & FAULT_FLAG_WRITE) {
		if (vma->vm_flags & VM_WRITE)
			return false;
		return !(force && is_cow_mapping(vma->vm_flags));
	}
	if (vma_is_accessible(vma))
		return false;
	return !(force && (vma->vm_flags & VM_MAYREAD));
}

vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_fault vmf = {
		.vma = vma, .mm = mm, .sim = mm->sim,
		.address = address & PAGE_MASK, .real_address = address,
	};
	vm_fault_t ret;

	count_vm_event(mm->sim, GUPSIM_NR_PGFAULT);
	ret = sanitize_fault_flags(vma, &flags);
	vmf.flags = flags;
	if (!ret && (address < vma->vm_start || address >= vma->vm_end))
		ret = VM_FAULT_SIGSEGV;
	if (!ret && fault_access_error(vma, flags))
		ret = VM_FAULT_SIGSEGV;
	if (!ret) {
		if (is_vm_hugetlb_page(vma))
			ret = hugetlb_fault(vma, address, flags);
		else
			ret = __handle_mm_fault(&vmf);
	}
	fault_trace(&vmf, GUPSIM_TRACE_FAULT, "handle_mm_fault", 0, 0, (long)ret);
	return ret;
}

/* Whether a CPU access of @addr would go through without a fault. */
static bool user_access_ok(struct mm_struct *mm, unsigned long addr, bool write)
{
	enum pt_level lvl;
	pteval_t *e = pgtable_lookup(mm, addr, &lvl);

	return e && pte_access_permitted(pt_read(e), write);
}

int fault_in_user(struct mm_struct *mm, unsigned long addr, bool write)
{
	unsigned int flags = FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0);

	pteval_t prev = 0;

	/* a fault that lost a race returns 0 and the access retries; bounded
	 * here so that a broken entry cannot hang the caller. Only faults that
	 * change nothing count: one that waited for a migration does. */
	for (int tries = 0; tries < 1000; tries++) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		enum pt_level lvl;
		pteval_t *e = pgtable_lookup(mm, addr, &lvl);
		pteval_t now = e ? pt_read(e) : 0;
		vm_fault_t ret;

		if (now != prev)
			tries = 0;
		prev = now;
		if (!vma)
			return -EFAULT;
		if (user_access_ok(mm, addr, write))
			return 0;
		ret = handle_mm_fault(vma, addr, flags);
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret & VM_FAULT_ERROR)
			return -EFAULT;
	}
	WARN(mm->sim, 1, "fault_in_user: no progress at %#lx\n", addr);
	return -EFAULT;
}
