// SPDX-License-Identifier: MIT
/*
 * GUP-fast (semantics.md §6): walk the page tables of current->mm without the mmap
 * lock, grab each page with try_grab_folio_fast(), re-check the entry, and
 * stop at the first thing that needs the slow path; the slow path then
 * does the rest of the range. Page tables cannot be freed under the walk:
 * gup_fast_enter()/exit() stand for the kernel's local_irq_save()/restore()
 * that holds off tlb_remove_table_sync_one().
 */
#include "gup_internal.h"

struct gup_fast_walk {
	struct gupsim *sim;
	unsigned int flags;
	struct page **pages;
	unsigned long nr;		/* pages grabbed so far */
};

static pteval_t *table_entry(struct gupsim *sim, pteval_t parent, unsigned long addr,
			     enum pt_level level)
{
	return pt_table(sim, pte_pfn(parent)) + pt_index(addr, level);
}

/* The end of the @level entry that maps @addr, capped at @end. */
static unsigned long level_addr_end(unsigned long addr, unsigned long end, enum pt_level level)
{
	unsigned long size = 1UL << pt_shift(level);
	unsigned long boundary = (addr + size) & ~(size - 1);

	return boundary - 1 < end - 1 ? boundary : end;
}

/*
 * semantics.md §4.5 gup_fast_folio_allowed(): without a VMA, refuse what only the
 * slow path can judge: a R/W long-term pin of a non-shmem file folio,
 * secretmem, a truncated folio. Runs after the grab and the re-check.
 */
static bool gup_fast_folio_allowed(struct folio *folio, unsigned int flags)
{
	bool reject_file_backed = (flags & (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) ==
				  (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE);
	/* secretmem folios are always small */
	bool check_secretmem = !folio_test_large(folio);
	struct address_space *mapping;
	unsigned long tag;

	if (!reject_file_backed && !check_secretmem)
		return true;
	/* no slab folios in gupsim; hugetlb needs no dirty tracking */
	if (folio_test_hugetlb(folio))
		return true;
	/* read once: truncation may clear it under us */
	mapping = (struct address_space *)READ_ONCE_UL(&folio->mapping);
	if (!mapping)
		return false;
	tag = (unsigned long)mapping & FOLIO_MAPPING_FLAGS;
	if (tag)
		return tag & PAGE_MAPPING_ANON;	/* anon and KSM folios are fine */
	if (check_secretmem && (READ_ONCE_UL(&mapping->flags) & AS_SECRETMEM))
		return false;
	return !reject_file_backed || shmem_mapping(mapping);
}

/* Keep a grabbed page, unless one of the post-grab checks of semantics.md §6 fails. */
static bool gup_fast_keep(struct gup_fast_walk *w, struct folio *folio, struct page *head,
			  pteval_t orig, const pteval_t *entry, int refs)
{
	if (unlikely(pt_read(entry) != orig) || !gup_fast_folio_allowed(folio, w->flags) ||
	    (!pte_write(orig) && gup_must_unshare(NULL, w->flags, head))) {
		gup_put_folio(folio, refs, w->flags);
		return false;
	}
	/* arch_make_folio_accessible() always succeeds off s390 */
	folio_set_referenced(folio);
	return true;
}

/* semantics.md §6 gup_fast_pte_range(): one grab per PTE, no batching across PTEs. */
static bool gup_fast_pte_range(struct gup_fast_walk *w, pteval_t pmd, const pteval_t *pmdp,
			       unsigned long addr, unsigned long end)
{
	pteval_t *ptep = table_entry(w->sim, pmd, addr, PT_PTE);

	do {
		pteval_t pte = pt_read(ptep);
		struct folio *folio;
		struct page *page;

		/* protnone, not user-present, R/O for a write, zero page, pfnmap */
		if (pte_protnone(pte) || !pte_access_permitted(pte, w->flags & FOLL_WRITE) ||
		    pte_special(pte))
			return false;
		page = entry_page(w->sim, pte);
		folio = try_grab_folio_fast(page, 1, w->flags);
		if (!folio)
			return false;
		/* the PMD must still point at this table (pmd_val(*pmdp)) */
		if (unlikely(pt_read(pmdp) != pmd)) {
			gup_put_folio(folio, 1, w->flags);
			return false;
		}
		if (!gup_fast_keep(w, folio, page, pte, ptep, 1))
			return false;
		w->pages[w->nr++] = page;
	} while (ptep++, addr += PAGE_SIZE, addr != end);
	return true;
}

/*
 * semantics.md §6 gup_fast_pmd_leaf() / gup_fast_pud_leaf(), semantics.md §2.7: one grab of
 * all the pages of the leaf inside [addr, end), then one page pointer each.
 */
static bool gup_fast_leaf(struct gup_fast_walk *w, pteval_t orig, const pteval_t *entry,
			  enum pt_level level, unsigned long addr, unsigned long end)
{
	unsigned long leaf_size = 1UL << pt_shift(level);
	int refs = (int)((end - addr) >> PAGE_SHIFT);
	struct folio *folio;
	struct page *page, **dst;

	if (!pte_access_permitted(orig, w->flags & FOLL_WRITE))
		return false;
	if (pte_special(orig))	/* the huge zero folio, pfnmap */
		return false;
	page = entry_page(w->sim, orig) + ((addr & (leaf_size - 1)) >> PAGE_SHIFT);
	folio = try_grab_folio_fast(page, refs, w->flags);
	if (!folio)
		return false;
	if (!gup_fast_keep(w, folio, &folio->page, orig, entry, refs))
		return false;
	/* a local cursor: the stores cannot alias w->nr */
	dst = w->pages + w->nr;
	for (int i = 0; i < refs; i++)
		dst[i] = page + i;
	w->nr += (unsigned long)refs;
	return true;
}

static bool gup_fast_pmd_range(struct gup_fast_walk *w, pteval_t pud, unsigned long addr,
			       unsigned long end)
{
	pteval_t *pmdp = table_entry(w->sim, pud, addr, PT_PMD);
	unsigned long next;

	do {
		pteval_t pmd = pt_read(pmdp);

		next = level_addr_end(addr, end, PT_PMD);
		if (!pte_present(pmd))
			return false;
		if (pte_leaf(pmd)) {
			/* NUMA hinting: the slow path decides (semantics.md §6) */
			if (pte_protnone(pmd) || !gup_fast_leaf(w, pmd, pmdp, PT_PMD, addr, next))
				return false;
		} else if (!gup_fast_pte_range(w, pmd, pmdp, addr, next)) {
			return false;
		}
	} while (pmdp++, addr = next, addr != end);
	return true;
}

static bool gup_fast_pud_range(struct gup_fast_walk *w, pteval_t pgd, unsigned long addr,
			       unsigned long end)
{
	pteval_t *pudp = table_entry(w->sim, pgd, addr, PT_PUD);
	unsigned long next;

	do {
		pteval_t pud = pt_read(pudp);

		next = level_addr_end(addr, end, PT_PUD);
		if (!pte_present(pud))
			return false;
		if (pte_leaf(pud)) {
			if (!gup_fast_leaf(w, pud, pudp, PT_PUD, addr, next))
				return false;
		} else if (!gup_fast_pmd_range(w, pud, addr, next)) {
			return false;
		}
	} while (pudp++, addr = next, addr != end);
	return true;
}

static void gup_fast_pgd_range(struct gup_fast_walk *w, struct mm_struct *mm,
			       unsigned long addr, unsigned long end)
{
	pteval_t *pgdp = pt_table(w->sim, mm->pgd_pfn) + pt_index(addr, PT_PGD);
	unsigned long next;

	do {
		pteval_t pgd = pt_read(pgdp);

		next = level_addr_end(addr, end, PT_PGD);
		if (!(pgd & _PAGE_PRESENT) || pte_leaf(pgd))
			return;
		if (!gup_fast_pud_range(w, pgd, addr, next))
			return;
	} while (pgdp++, addr = next, addr != end);
}

/* gup_fast_unpin_user_pages(): undo after a fork race, no sanity checks. */
static void gup_fast_unpin_user_pages(struct page **pages, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; ) {
		struct folio *folio = page_folio(pages[i]);
		unsigned long run = 1;

		while (i + run < nr && page_folio(pages[i + run]) == folio)
			run++;
		gup_put_folio(folio, (int)run, FOLL_PIN);
		i += run;
	}
}

static void trace_gup_fast(struct mm_struct *mm, unsigned long start, unsigned long end,
			   unsigned int flags, unsigned long nr)
{
	struct gupsim_trace_record rec = {
		.event = GUPSIM_TRACE_GUP_FAST,
		.name = "gup_fast",
		.mm = mm,
		.addr = start,
		.nr = (end - start) >> PAGE_SHIFT,
		.flags = flags,
		.ret = (long)nr,
	};

	if (trace_enabled(mm->sim))
		gupsim_trace_emit(mm->sim, &rec);
}

/*
 * semantics.md §6, §5.5: the lockless walk. A pin reads write_protect_seq first: a
 * fork copying right now (odd) or one that ran during the walk makes us
 * drop everything, and the slow path (which waits for fork's mmap_lock)
 * does the whole range.
 */
static unsigned long gup_fast(struct mm_struct *mm, unsigned long start, unsigned long end,
			      unsigned int flags, struct page **pages)
{
	struct gup_fast_walk w = { .sim = mm->sim, .flags = flags, .pages = pages };
	unsigned long seq = 0;

	count_vm_event(mm->sim, GUPSIM_NR_GUP_FAST_CALLS);
	if (flags & FOLL_PIN) {
		seq = smp_load_acquire_ul(&mm->write_protect_seq);
		if (seq & 1) {
			trace_gup_fast(mm, start, end, flags, 0);
			return 0;
		}
	}
	gup_fast_enter(mm->sim);
	gup_fast_pgd_range(&w, mm, start, end);
	gup_fast_exit(mm->sim);

	if (flags & FOLL_PIN) {
		/* read_seqcount_retry(): the pins are visible before this read */
		smp_mb();
		if (smp_load_acquire_ul(&mm->write_protect_seq) != seq) {
			gup_fast_unpin_user_pages(pages, w.nr);
			w.nr = 0;
		} else {
			sanity_check_pinned_pages(pages, w.nr);
		}
	}
	trace_gup_fast(mm, start, end, flags, w.nr);
	return w.nr;
}

/* semantics.md §1.10 gup_fast_fallback() */
long gup_fast_fallback(unsigned long start, unsigned long nr_pages, unsigned int gup_flags,
		       struct page **pages)
{
	struct mm_struct *mm = get_current()->mm;
	unsigned long len, end, nr_pinned;
	int locked = 0;
	long ret;

	if (WARN_ON_ONCE(mm->sim, gup_flags & ~GUP_FAST_ALLOWED_FLAGS))
		return -EINVAL;
	/* before the range checks: a call that fails them still sets it */
	if (gup_flags & FOLL_PIN)
		mm_set_has_pinned_flag(mm);

	start &= PAGE_MASK;
	len = nr_pages << PAGE_SHIFT;	/* a negative count wraps, as in the kernel */
	if (__builtin_add_overflow(start, len, &end))
		return -EOVERFLOW;
	if (end > TASK_SIZE_MAX)
		return -EFAULT;
	/* semantics.md §1.10: the kernel has no explicit check; the contract is 0 */
	if (!nr_pages)
		return 0;

	nr_pinned = gup_fast(mm, start, end, gup_flags, pages);
	if (nr_pinned == nr_pages || (gup_flags & FOLL_FAST_ONLY))
		return (long)nr_pinned;

	/* the slow path starts at the first page the walk did not get */
	count_vm_event(mm->sim, GUPSIM_NR_GUP_FAST_FALLBACKS);
	ret = __gup_longterm_locked(mm, start + (nr_pinned << PAGE_SHIFT), nr_pages - nr_pinned,
				    pages + nr_pinned, &locked,
				    gup_flags | FOLL_TOUCH | FOLL_UNLOCKABLE);
	if (ret < 0)
		/* the caller must unpin what the walk got: no errno then */
		return nr_pinned ? (long)nr_pinned : ret;
	return ret + (long)nr_pinned;
}
