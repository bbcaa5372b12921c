// SPDX-License-Identifier: MIT
/*
 * Transparent huge pages (mm/huge_memory.c): which VMAs may use them, PMD
 * faults (the huge zero folio on read, a new PMD THP on write), the PMD
 * write-protect fault, splitting a PMD mapping into PTEs and splitting a
 * large folio into small ones.
 *
 * Rmap conventions (mm_internal.h): a PMD leaf holds one folio reference,
 * one _entire_mapcount and one _large_mapcount; the huge zero folio is
 * mapped by a special leaf that holds neither.
 */
#include <sched.h>
#include <stdlib.h>

#include "fault.h"

/*
 * THP and mTHP eligibility. The top-level mode decides ("inherit" for the
 * mTHP orders of cfg.mthp_orders): ALWAYS, or MADVISE with VM_HUGEPAGE;
 * never with VM_NOHUGEPAGE or NEVER. Only private anonymous VMAs, and only
 * where the naturally aligned range of the order lies inside the VMA.
 */
bool thp_vma_allowable(struct vm_area_struct *vma, unsigned long addr, unsigned int order)
{
	struct gupsim *sim = vma->vm_mm->sim;
	unsigned long size = PAGE_SIZE << order, haddr = ALIGN_DOWN(addr, size);

	if (order != HPAGE_PMD_ORDER && !(order >= 2 && order < HPAGE_PMD_ORDER &&
					  (sim->cfg.mthp_orders & BIT(order))))
		return false;
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return false;
	if (sim->cfg.thp == GUPSIM_THP_NEVER)
		return false;
	if (sim->cfg.thp == GUPSIM_THP_MADVISE && !(vma->vm_flags & VM_HUGEPAGE))
		return false;
	if (!vma_is_anonymous(vma) || (vma->vm_flags & (VM_SHARED | VM_HUGETLB | VM_PFNMAP | VM_IO)))
		return false;
	return haddr >= vma->vm_start && haddr + size <= vma->vm_end;
}

static inline pteval_t pmd_leaf_prot(const struct vm_area_struct *vma)
{
	return vm_get_page_prot(vma->vm_flags) | _PAGE_PSE;
}

void huge_pmd_set_accessed(struct vm_fault *vmf)
{
	pteval_t entry = vmf->orig_pmd | _PAGE_ACCESSED;

	if (fault_is_write(vmf))
		entry |= _PAGE_DIRTY;
	pt_lock(vmf->sim, vmf->pmd);
	if (pt_read(vmf->pmd) == vmf->orig_pmd && entry != vmf->orig_pmd)
		pt_write(vmf->pmd, entry);
	pt_unlock(vmf->sim, vmf->pmd);
}

/* semantics.md §1.8: a protnone PMD in an accessible VMA is a NUMA hint: restore it. */
vm_fault_t do_huge_pmd_numa_page(struct vm_fault *vmf)
{
	pteval_t entry = (vmf->orig_pmd & ~_PAGE_PROTNONE) |
			 _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

	pt_lock(vmf->sim, vmf->pmd);
	if (pt_read(vmf->pmd) == vmf->orig_pmd)
		pt_write(vmf->pmd, entry);
	pt_unlock(vmf->sim, vmf->pmd);
	return 0;
}

/*
 * Map a new exclusive PMD THP at the fault's 2 MiB range (map_anon_folio_pmd):
 * dirty, writable with VM_WRITE. Returns false if the PMD changed meanwhile.
 * Called with the PMD locked.
 */
static bool map_anon_folio_pmd(struct vm_fault *vmf, struct folio *folio, pteval_t expect)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & PMD_MASK;
	pteval_t entry;

	if (pt_read(vmf->pmd) != expect)
		return false;
	entry = pfn_pte(page_to_pfn(&folio->page), pmd_leaf_prot(vma) | _PAGE_ACCESSED);
	entry = maybe_mkwrite(entry | _PAGE_DIRTY, vma);
	folio_add_new_anon_rmap(folio, vma, haddr, true);
	smp_wmb();
	pt_write(vmf->pmd, entry);
	return true;
}

static struct folio *alloc_anon_folio_pmd(struct vm_fault *vmf)
{
	struct folio *folio = alloc_user_folio(vmf->sim, HPAGE_PMD_ORDER);

	if (!folio) {
		count_vm_event(vmf->sim, GUPSIM_NR_THP_FAULT_FALLBACK);
		return NULL;
	}
	count_vm_event(vmf->sim, GUPSIM_NR_THP_FAULT_ALLOC);
	return folio;
}

/* semantics.md §2.4: a read fault maps the huge zero folio by a special leaf. */
static vm_fault_t do_huge_zero_pmd(struct vm_fault *vmf, struct folio *zero)
{
	pteval_t entry = pfn_pte(page_to_pfn(&zero->page), pmd_leaf_prot(vmf->vma) | _PAGE_SPECIAL);

	pt_lock(vmf->sim, vmf->pmd);
	if (pte_none(pt_read(vmf->pmd))) {
		pt_write(vmf->pmd, entry);
		count_vm_event(vmf->sim, GUPSIM_NR_FAULT_ZERO_PAGE);
	}
	pt_unlock(vmf->sim, vmf->pmd);
	return 0;
}

vm_fault_t do_huge_pmd_anonymous_page(struct vm_fault *vmf)
{
	struct folio *folio;

	/* the kernel prepares the anon_vma before it chooses the huge zero
	 * folio, so even a read fault gives the VMA one */
	vma_anon_prepare(vmf->vma);
	if (!fault_is_write(vmf) && vmf->sim->cfg.use_huge_zero_page) {
		folio = mm_get_huge_zero_folio(vmf->sim);
		if (!folio) {
			count_vm_event(vmf->sim, GUPSIM_NR_THP_FAULT_FALLBACK);
			return VM_FAULT_FALLBACK;
		}
		return do_huge_zero_pmd(vmf, folio);
	}
	folio = alloc_anon_folio_pmd(vmf);
	if (!folio)
		return VM_FAULT_FALLBACK;
	pt_lock(vmf->sim, vmf->pmd);
	if (!map_anon_folio_pmd(vmf, folio, 0)) {
		pt_unlock(vmf->sim, vmf->pmd);
		folio_put(folio);
		return 0;
	}
	pt_unlock(vmf->sim, vmf->pmd);
	count_vm_event(vmf->sim, GUPSIM_NR_FAULT_ANON);
	return 0;
}

/*
 * semantics.md §2.4 do_huge_zero_wp_pmd(): a write or unshare fault on the huge zero
 * PMD allocates a fresh zeroed PMD THP; only if none can be had is the PMD
 * split, and the PTE-level fault then takes a small page.
 */
static vm_fault_t do_huge_zero_wp_pmd(struct vm_fault *vmf)
{
	unsigned long haddr = vmf->address & PMD_MASK;
	bool unshare = fault_is_unshare(vmf);
	struct folio *folio = alloc_anon_folio_pmd(vmf);
	bool mapped;

	if (!folio) {
		if (split_huge_pmd(vmf->vma, vmf->pmd, vmf->address))
			return VM_FAULT_OOM;
		return VM_FAULT_FALLBACK;
	}
	mmu_notifier_invalidate_range_start(vmf->mm, haddr, haddr + PMD_SIZE, MMU_NOTIFY_CLEAR);
	pt_lock(vmf->sim, vmf->pmd);
	mapped = map_anon_folio_pmd(vmf, folio, vmf->orig_pmd);
	pt_unlock(vmf->sim, vmf->pmd);
	mmu_notifier_invalidate_range_end(vmf->mm, haddr, haddr + PMD_SIZE, MMU_NOTIFY_CLEAR);
	if (!mapped) {
		folio_put(folio);
		return 0;
	}
	count_vm_event(vmf->sim, unshare ? GUPSIM_NR_UNSHARES : GUPSIM_NR_COW_COPIES);
	fault_trace(vmf, unshare ? GUPSIM_TRACE_UNSHARE : GUPSIM_TRACE_COW, "do_huge_zero_wp_pmd",
		    pte_pfn(vmf->orig_pmd), page_to_pfn(&folio->page), 0);
	return 0;
}

/*
 * semantics.md §5.3 do_huge_pmd_wp_page(): the huge zero PMD gets a new THP; an
 * exclusive anon THP (or one whose only reference is this mapping) is
 * reused: unshare returns at once, a write makes the PMD writable; anything
 * else is split and handled by the PTE-level fault (VM_FAULT_FALLBACK).
 */
vm_fault_t do_huge_pmd_wp_page(struct vm_fault *vmf)
{
	struct gupsim *sim = vmf->sim;
	pteval_t orig = vmf->orig_pmd;
	struct folio *folio;
	struct page *page;

	if (pte_special(orig)) {
		if (!is_huge_zero_folio((struct folio *)pfn_to_page_sim(sim, pte_pfn(orig))))
			return VM_FAULT_SIGBUS;
		/*
		 * A fresh THP replaces the huge zero PMD from v6.13 (commit
		 * "mm: allocate THP on hugezeropage wp-fault"); before, the
		 * PMD is split into small zero-page PTEs and the PTE fault
		 * copies one small page.
		 */
		if (kernel_at_least(sim, 6, 13))
			return do_huge_zero_wp_pmd(vmf);
		if (split_huge_pmd(vmf->vma, vmf->pmd, vmf->address))
			return VM_FAULT_OOM;
		return VM_FAULT_FALLBACK;
	}
	pt_lock(sim, vmf->pmd);
	if (pt_read(vmf->pmd) != orig) {
		pt_unlock(sim, vmf->pmd);
		return 0;
	}
	page = pfn_to_page_sim(sim, pte_pfn(orig));
	folio = page_folio(page);
	if (!folio_test_anon(folio))
		goto fallback;
	if (!PageAnonExclusive(page)) {
		bool reuse;

		if (!folio_trylock(folio))
			goto fallback;
		/* the PMD mapping is the only reference: no GUP ref, no pin */
		reuse = folio_ref_count(folio) == 1;
		folio_unlock(folio);
		if (!reuse)
			goto fallback;
		/* do_huge_pmd_wp_page(): the head page holds a PMD
		 * mapping's exclusive state */
		SetPageAnonExclusive(page);
	}
	if (fault_is_unshare(vmf)) {
		pt_unlock(sim, vmf->pmd);
		count_vm_event(sim, GUPSIM_NR_COW_REUSES);
		count_vm_event(sim, GUPSIM_NR_UNSHARES);
		return 0;
	}
	pt_write(vmf->pmd, maybe_mkwrite(orig | _PAGE_ACCESSED | _PAGE_DIRTY, vmf->vma));
	pt_unlock(sim, vmf->pmd);
	count_vm_event(sim, GUPSIM_NR_COW_REUSES);
	fault_trace(vmf, GUPSIM_TRACE_COW, "wp_huge_pmd_reuse", pte_pfn(orig), pte_pfn(orig), 0);
	return 0;

fallback:
	pt_unlock(sim, vmf->pmd);
	if (split_huge_pmd(vmf->vma, vmf->pmd, vmf->address))
		return VM_FAULT_OOM;
	return VM_FAULT_FALLBACK;
}

/* ------------------------------------------------------------------ */
/* Splitting a PMD mapping */

static void split_huge_pmd_locked(struct vm_area_struct *vma, pteval_t *pmd, pteval_t old,
				  pteval_t *ptes)
{
	struct gupsim *sim = vma->vm_mm->sim;
	pteval_t bits = old & ~(PTE_PFN_MASK | _PAGE_PSE);
	unsigned long pfn = pte_pfn(old);
	struct folio *folio;
	bool exclusive;

	if (pte_special(old)) {
		/* semantics.md §2.4: the huge zero folio becomes 512 small zero-page entries */
		unsigned long zpfn = page_to_pfn(sim->zero_page);

		for (int i = 0; i < HPAGE_PMD_NR; i++)
			ptes[i] = pfn_pte(zpfn, bits);
		return;
	}
	folio = page_folio(pfn_to_page_sim(sim, pfn));
	/* each PTE holds a reference and a mapcount; the PMD's go after */
	folio_ref_add(folio, HPAGE_PMD_NR - 1);
	if (folio_test_anon(folio)) {
		/* semantics.md §5.1: the PMD mapping's exclusive state (head page) passes
		 * to every subpage */
		exclusive = PageAnonExclusive(&folio->page);
		for (int i = 0; i < HPAGE_PMD_NR; i++) {
			if (exclusive)
				SetPageAnonExclusive(folio_page(folio, i));
			else
				ClearPageAnonExclusive(folio_page(folio, i));
		}
		folio_add_anon_rmap_ptes(folio, &folio->page, HPAGE_PMD_NR, vma);
	} else {
		folio_add_file_rmap_ptes(folio, &folio->page, HPAGE_PMD_NR, vma);
	}
	for (int i = 0; i < HPAGE_PMD_NR; i++)
		ptes[i] = pfn_pte(pfn + (unsigned long)i, bits);
	folio_remove_rmap_pmd(folio, vma);
	(void)pmd;
}

/*
 * Replace the PMD leaf covering @addr by a PTE table that maps the same
 * folio (the folio stays large). The table is filled first and published
 * with one store, so a lockless walker sees either the old leaf or the new
 * table. Takes the PMD lock; 0, or -ENOMEM if no table could be allocated.
 */
int split_huge_pmd(struct vm_area_struct *vma, pteval_t *pmd, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct gupsim *sim = mm->sim;
	unsigned long haddr = addr & PMD_MASK;
	struct page *table;
	pteval_t old = pt_read(pmd);

	if (!pte_leaf(old))
		return 0;
	if (WARN_ON_ONCE(sim, is_vm_hugetlb_page(vma)))
		return -EINVAL;
	table = pt_alloc(sim);
	if (!table)
		return -ENOMEM;
	mmu_notifier_invalidate_range_start(mm, haddr, haddr + PMD_SIZE, MMU_NOTIFY_CLEAR);
	pt_lock(sim, pmd);
	old = pt_read(pmd);
	if (pte_leaf(old)) {
		split_huge_pmd_locked(vma, pmd, old, pt_table(sim, page_to_pfn(table)));
		smp_wmb();
		pt_write(pmd, pfn_pte(page_to_pfn(table), _PAGE_TABLE));
		table = NULL;
		count_vm_event(sim, GUPSIM_NR_THP_SPLITS);
	}
	pt_unlock(sim, pmd);
	mmu_notifier_invalidate_range_end(mm, haddr, haddr + PMD_SIZE, MMU_NOTIFY_CLEAR);
	if (table) {
		pt_free(table);
	} else if (trace_enabled(sim)) {
		struct gupsim_trace_record rec = {
			.event = GUPSIM_TRACE_THP_SPLIT, .name = "split_huge_pmd", .mm = mm,
			.addr = haddr, .nr = HPAGE_PMD_NR, .pfn = pte_pfn(old),
		};

		gupsim_trace_emit(sim, &rec);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Splitting a large folio into small ones */

/* A small set of pointers (the mms, or the PTE tables, that map a folio). */
struct ptr_set {
	void **p;
	int nr, cap;
};

static int ptr_set_add(struct ptr_set *set, void *ptr)
{
	for (int i = 0; i < set->nr; i++)
		if (set->p[i] == ptr)
			return 0;
	if (set->nr == set->cap) {
		int cap = set->cap ? 2 * set->cap : 8;
		void **p = realloc(set->p, (size_t)cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		set->p = p;
		set->cap = cap;
	}
	set->p[set->nr++] = ptr;
	return 1;
}

static bool ptr_set_has(const struct ptr_set *set, const void *ptr)
{
	for (int i = 0; i < set->nr; i++)
		if (set->p[i] == ptr)
			return true;
	return false;
}

struct split_ctx {
	struct gupsim *sim;
	struct ptr_set mms;		/* each with an mm_users reference */
	struct ptr_set locked;		/* the mms whose mmap lock we took */
	struct ptr_set tables;		/* first entry of each PTE table */
	int err;			/* -ENOMEM, or -EAGAIN: PMD-mapped / unknown mm */
};

static int collect_mm(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
		      pteval_t *entry, enum pt_level level, void *arg)
{
	struct split_ctx *c = arg;
	struct mm_struct *mm = vma->vm_mm;

	(void)folio, (void)addr, (void)entry;
	if (level != PT_PTE) {
		c->err = -EAGAIN;
		return 1;
	}
	if (ptr_set_has(&c->mms, mm) || !atomic_inc_not_zero(&mm->mm_users))
		return 0;
	if (ptr_set_add(&c->mms, mm) < 0) {
		gupsim_mm_put(mm);
		c->err = -ENOMEM;
		return 1;
	}
	return 0;
}

static int collect_table(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			 pteval_t *entry, enum pt_level level, void *arg)
{
	struct split_ctx *c = arg;

	(void)folio, (void)addr;
	if (level != PT_PTE) {
		c->err = -EAGAIN;	/* a PMD maps it */
		return 1;
	}
	if (!ptr_set_has(&c->mms, vma->vm_mm)) {
		c->err = -EBUSY;	/* an mm we have not locked: try again */
		return 1;
	}
	if (ptr_set_add(&c->tables, (void *)((unsigned long)entry & PAGE_MASK)) < 0) {
		c->err = -ENOMEM;
		return 1;
	}
	return 0;
}

/* mmap read locks keep the tables of every mm that maps the folio alive. */
static bool lock_mms(struct split_ctx *c)
{
	for (int i = 0; i < c->mms.nr; i++) {
		struct mm_struct *mm = c->mms.p[i];

		if (mmap_lock_held(mm))
			continue;
		if (!mm_read_trylock(mm))
			return false;
		if (ptr_set_add(&c->locked, mm) < 0) {
			mm_read_unlock(mm);
			return false;
		}
	}
	return true;
}

static void unlock_mms(struct split_ctx *c)
{
	for (int i = 0; i < c->locked.nr; i++)
		mm_read_unlock(c->locked.p[i]);
	c->locked.nr = 0;
}

/* Lock every collected table, or none (trylock: rmap order is no lock order). */
static bool lock_tables(struct split_ctx *c)
{
	for (int i = 0; i < c->tables.nr; i++) {
		if (!pt_trylock(c->sim, c->tables.p[i])) {
			while (i--)
				pt_unlock(c->sim, c->tables.p[i]);
			return false;
		}
	}
	return true;
}

static void unlock_tables(struct split_ctx *c)
{
	for (int i = 0; i < c->tables.nr; i++)
		pt_unlock(c->sim, c->tables.p[i]);
}

/* The PTEs of the locked tables that map a page of @folio. */
static int count_pte_mappings(struct split_ctx *c, struct folio *folio)
{
	unsigned long first = page_to_pfn(&folio->page);
	unsigned long last = first + (unsigned long)folio_nr_pages(folio);
	int n = 0;

	for (int i = 0; i < c->tables.nr; i++) {
		pteval_t *table = c->tables.p[i];

		for (int j = 0; j < PTRS_PER_TABLE; j++) {
			pteval_t e = pt_read(&table[j]);

			if (pte_present(e) && !pte_special(e) && pte_pfn(e) >= first &&
			    pte_pfn(e) < last)
				n++;
		}
	}
	return n;
}

#define SPLIT_KEEP_FLAGS (BIT(PG_dirty) | BIT(PG_uptodate) | BIT(PG_swapbacked) | \
			  BIT(PG_referenced) | BIT(PG_active))

/*
 * The folio's refcount is frozen at 0 and every table mapping it is
 * locked: turn each page into an order-0 folio whose references are its
 * own PTE mappings; the caller's reference stays on the head.
 */
static void split_folio_frozen(struct folio *folio)
{
	long nr = folio_nr_pages(folio);
	struct address_space *mapping = folio->mapping;
	pgoff_t index = folio->index;
	unsigned long keep = READ_ONCE_UL(&folio->flags) & SPLIT_KEEP_FLAGS;

	for (long i = 1; i < nr; i++) {
		struct page *p = folio_page(folio, i);

		/* page[1] held the large folio's metadata: it becomes a head */
		p->mapping = mapping;
		p->index = index + (pgoff_t)i;
		p->private = 0;
		for (int f = 0; f < __NR_PAGEFLAGS; f++)
			if (keep & BIT(f))
				SetPageFlag(p, (enum pageflags)f);
		atomic_set(&p->_refcount, atomic_read(&p->_mapcount) + 1);
	}
	smp_wmb();	/* each small folio is complete before lookups can find it */
	for (long i = 1; i < nr; i++)
		smp_store_release_ul(&folio_page(folio, i)->compound_head, 0);
	ClearPageFlag(&folio->page, PG_head);
	ClearPageFlag(&folio->page, PG_large_rmappable);
	smp_wmb();
	folio_ref_unfreeze(folio, atomic_read(&folio->_mapcount) + 1 + 1);
}

/*
 * One attempt: with the mmap lock of every mm that maps the folio and the
 * lock of every table that maps it, no mapping can come or go; then the
 * refcount must freeze at exactly mappings + 1 (the caller's).
 */
static int try_split_folio(struct split_ctx *c, struct folio *folio)
{
	int ret = -EAGAIN, mapcount;

	c->err = 0;
	c->tables.nr = 0;
	rmap_walk(folio, collect_mm, c);
	if (c->err)
		return c->err;
	if (!lock_mms(c)) {
		ret = -EBUSY;
		goto out;
	}
	rmap_walk(folio, collect_table, c);
	if (c->err) {
		ret = c->err;
		goto out;
	}
	if (atomic_read(&folio->_entire_mapcount) >= 0) {
		ret = -EAGAIN;		/* a PMD maps it */
		goto out;
	}
	if (!lock_tables(c)) {
		ret = -EBUSY;
		goto out;
	}
	mapcount = folio_mapcount(folio);
	if (count_pte_mappings(c, folio) != mapcount) {
		ret = -EBUSY;		/* a mapping we did not see */
	} else if (folio_ref_freeze(folio, mapcount + 1)) {
		split_folio_frozen(folio);
		ret = 0;
	}
	unlock_tables(c);
out:
	unlock_mms(c);
	return ret;
}

/*
 * Split an unpinned large anon folio that no PMD maps into order-0 folios
 * (split_huge_page_to_list_to_order). The caller holds one reference, kept
 * on the head page; the folio lock is taken here. Any reference other than
 * the mappings and the caller's (a pin, a GUP reference, a migration)
 * makes it fail with -EAGAIN, as does a PMD mapping.
 */
int split_folio(struct folio *folio)
{
	struct gupsim *sim = folio->sim;
	struct split_ctx c = { .sim = sim };
	unsigned long pfn = page_to_pfn(&folio->page);
	long nr = folio_nr_pages(folio);
	int ret = -EAGAIN;

	if (!folio_test_large(folio) || folio_test_hugetlb(folio) || !folio_test_anon(folio))
		return -EINVAL;
	if (folio_maybe_dma_pinned(folio) || !folio_trylock(folio))
		return -EAGAIN;
	/* -EBUSY: lost a race with a lock holder or a new mapping; try again */
	for (int tries = 0; tries < 100; tries++) {
		ret = try_split_folio(&c, folio);
		if (ret != -EBUSY)
			break;
		sched_yield();
	}
	if (ret == -EBUSY)
		ret = -EAGAIN;
	folio_unlock(folio);
	for (int i = 0; i < c.mms.nr; i++)
		gupsim_mm_put(c.mms.p[i]);
	free(c.mms.p);
	free(c.locked.p);
	free(c.tables.p);
	if (ret)
		return ret;
	count_vm_event(sim, GUPSIM_NR_THP_SPLIT_PAGE);
	if (trace_enabled(sim)) {
		struct gupsim_trace_record rec = {
			.event = GUPSIM_TRACE_THP_SPLIT, .name = "split_folio",
			.nr = (unsigned long)nr, .pfn = pfn,
		};

		gupsim_trace_emit(sim, &rec);
	}
	return 0;
}
