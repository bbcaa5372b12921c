// SPDX-License-Identifier: MIT
/*
 * THP and mTHP faults, the huge zero folio, PMD split and folio split
 * (semantics.md §2.4, §5.3).
 */
#include "fault_test.h"

#define BASE	0x40000000UL	/* 2 MiB aligned (1 GiB) */
#define THP_SZ	PMD_SIZE

static void madvised_thp(struct mm_fixture *f, unsigned long addr, size_t len)
{
	map_anon_at(f->mm, addr, len, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(gupsim_madvise(f->mm, addr, len, MADV_HUGEPAGE), 0);
}

static void write_fault_maps_pmd_thp(void **state)
{
	struct mm_fixture *f = F(state);
	enum pt_level lvl;
	struct folio *folio;
	pteval_t e;

	madvised_thp(f, BASE, THP_SZ);
	write_byte(f->mm, BASE + 12345, 0x12);
	e = entry_at(f->mm, BASE + 12345, &lvl);
	assert_int_equal(lvl, PT_PMD);
	assert_true(pte_leaf(e) && pte_write(e) && pte_dirty(e) && !pte_special(e));
	folio = folio_at(f->mm, BASE);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(raw_entire_mapcount(folio), 1);
	assert_int_equal(atomic_read(&folio_page(folio, 3)->_mapcount), -1);
	assert_true(PageAnonExclusive(&folio->page));
	assert_ptr_equal(page_at(f->mm, BASE + 12345), folio_page(folio, 3));
	assert_int_equal(read_byte(f->mm, BASE + 12345), 0x12);
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_ALLOC), 1);
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON), 1);
}

static void no_thp_without_madvise_or_when_unaligned(void **state)
{
	struct mm_fixture *f = F(state);
	enum pt_level lvl;

	map_anon_at(f->mm, BASE, THP_SZ, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);			/* thp=madvise, no MADV_HUGEPAGE */
	entry_at(f->mm, BASE, &lvl);
	assert_int_equal(lvl, PT_PTE);
	/* MADV_HUGEPAGE, but the VMA does not cover an aligned 2 MiB */
	madvised_thp(f, BASE + 4 * THP_SZ + PAGE_SIZE, THP_SZ);
	write_byte(f->mm, BASE + 4 * THP_SZ + PAGE_SIZE, 1);
	entry_at(f->mm, BASE + 4 * THP_SZ + PAGE_SIZE, &lvl);
	assert_int_equal(lvl, PT_PTE);
	/* MADV_NOHUGEPAGE wins */
	madvised_thp(f, BASE + 8 * THP_SZ, THP_SZ);
	assert_int_equal(gupsim_madvise(f->mm, BASE + 8 * THP_SZ, THP_SZ, MADV_NOHUGEPAGE), 0);
	write_byte(f->mm, BASE + 8 * THP_SZ, 1);
	entry_at(f->mm, BASE + 8 * THP_SZ, &lvl);
	assert_int_equal(lvl, PT_PTE);
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_ALLOC), 0);
}

/* semantics.md §2.4: a read fault maps the huge zero folio by a special PMD. */
static void read_fault_maps_huge_zero_folio(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *hz = gupsim_huge_zero_folio(f->sim);
	int ref = folio_ref_count(hz);
	enum pt_level lvl;
	pteval_t e;

	madvised_thp(f, BASE, THP_SZ);
	assert_int_equal(read_byte(f->mm, BASE + 999), 0);
	e = entry_at(f->mm, BASE, &lvl);
	assert_int_equal(lvl, PT_PMD);
	assert_true(pte_leaf(e) && pte_special(e) && !pte_write(e));
	assert_ptr_equal(folio_at(f->mm, BASE), hz);
	assert_int_equal(folio_ref_count(hz), ref);
	assert_int_equal(raw_entire_mapcount(hz), 0);
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_ALLOC), 0);
	assert_int_equal(VMSTAT(f->sim, FAULT_ZERO_PAGE), 1);
}

static void read_fault_without_huge_zero_allocates_thp(void **state)
{
	struct gupsim_config cfg;
	struct mm_fixture *f;

	mm_teardown(state);
	mm_default_cfg(&cfg);
	cfg.use_huge_zero_page = false;
	assert_int_equal(mm_setup_cfg(state, &cfg), 0);
	f = F(state);
	madvised_thp(f, BASE, THP_SZ);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), HPAGE_PMD_ORDER);
	assert_true(folio_test_anon(folio_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_ALLOC), 1);
}

/* semantics.md §2.4 do_huge_zero_wp_pmd: a write gets a fresh THP, no split. */
static void huge_zero_write_allocates_new_thp(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *hz = gupsim_huge_zero_folio(f->sim), *folio;
	enum pt_level lvl;

	SKIP_BEFORE_KERNEL(6, 13);	/* do_huge_zero_wp_pmd() */
	madvised_thp(f, BASE, THP_SZ);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	write_byte(f->mm, BASE + 5 * PAGE_SIZE, 0x5);
	folio = folio_at(f->mm, BASE);
	assert_ptr_not_equal(folio, hz);
	entry_at(f->mm, BASE, &lvl);
	assert_int_equal(lvl, PT_PMD);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_true(PageAnonExclusive(&folio->page));
	assert_true(pte_write(entry_at(f->mm, BASE, NULL)));
	assert_int_equal(read_byte(f->mm, BASE + 5 * PAGE_SIZE), 0x5);
	assert_int_equal(read_byte(f->mm, BASE + 6 * PAGE_SIZE), 0);
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_ALLOC), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 0);
}

static void huge_zero_unshare_allocates_new_thp(void **state)
{
	struct mm_fixture *f = F(state);

	SKIP_BEFORE_KERNEL(6, 13);	/* do_huge_zero_wp_pmd() */
	madvised_thp(f, BASE, THP_SZ);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_false(is_huge_zero_folio(folio_at(f->mm, BASE)));
	assert_true(folio_test_anon(folio_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 0);
}

/* Take every free block of @order and above, so that no THP can be had. */
static struct folio **exhaust_order(struct gupsim *sim, unsigned int order, int *n)
{
	struct folio **v = calloc(100000, sizeof(*v));

	*n = 0;
	for (unsigned int o = MAX_PAGE_ORDER + 1; o-- > order;) {
		struct folio *folio;

		while ((folio = gupsim_folio_alloc(sim, o, GUPSIM_ALLOC_NOWARN)))
			v[(*n)++] = folio;
	}
	return v;
}

static void release_all(struct folio **v, int n)
{
	while (n--)
		gupsim_folio_put(v[n]);
	free(v);
}

/* semantics.md §2.4: only when no THP can be allocated is the huge zero PMD split. */
static void huge_zero_write_without_memory_splits(void **state)
{
	struct mm_fixture *f = F(state);
	struct page *zero = gupsim_zero_page(f->sim);
	struct folio **held;
	int n, zeros = 0;

	SKIP_BEFORE_KERNEL(6, 13);	/* do_huge_zero_wp_pmd() */
	madvised_thp(f, BASE, THP_SZ);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	held = exhaust_order(f->sim, HPAGE_PMD_ORDER, &n);
	write_byte(f->mm, BASE + 7 * PAGE_SIZE, 7);
	release_all(held, n);

	assert_int_equal(VMSTAT(f->sim, THP_FAULT_FALLBACK), 1);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 1);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		pteval_t e = pte_at(f->mm, BASE + (unsigned long)i * PAGE_SIZE);

		if (i == 7) {
			assert_false(pte_special(e));
			assert_true(pte_write(e));
			continue;
		}
		assert_true(pte_special(e) && !pte_write(e));
		zeros += page_at(f->mm, BASE + (unsigned long)i * PAGE_SIZE) == zero;
	}
	assert_int_equal(zeros, HPAGE_PMD_NR - 1);
	assert_int_equal(read_byte(f->mm, BASE + 7 * PAGE_SIZE), 7);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
}

static void thp_fault_falls_back_to_ptes(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio **held;
	enum pt_level lvl;
	int n;

	madvised_thp(f, BASE, THP_SZ);
	held = exhaust_order(f->sim, HPAGE_PMD_ORDER, &n);
	write_byte(f->mm, BASE, 1);
	release_all(held, n);
	entry_at(f->mm, BASE, &lvl);
	assert_int_equal(lvl, PT_PTE);
	assert_false(folio_test_large(folio_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_FALLBACK), 1);
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_ALLOC), 0);
}

static void split_huge_pmd_keeps_every_count(void **state)
{
	struct mm_fixture *f = F(state);
	struct vm_area_struct *vma;
	struct folio *folio;
	pteval_t *pmd;
	int mapped = 0;

	madvised_thp(f, BASE, THP_SZ);
	write_byte(f->mm, BASE + 3 * PAGE_SIZE, 0x33);
	folio = folio_at(f->mm, BASE);
	folio_get(folio);			/* an extra reference must survive */

	gupsim_mmap_read_lock(f->mm);
	vma = vma_lookup(f->mm, BASE);
	pmd = pgtable_walk(f->mm, BASE, PT_PMD, false, NULL);
	assert_int_equal(split_huge_pmd(vma, pmd, BASE + 100 * PAGE_SIZE), 0);
	gupsim_mmap_read_unlock(f->mm);

	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 1);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);	/* the folio stays large */
	assert_int_equal(folio_ref_count(folio), HPAGE_PMD_NR + 1);
	assert_int_equal(folio_mapcount(folio), HPAGE_PMD_NR);
	assert_int_equal(raw_entire_mapcount(folio), 0);
	assert_int_equal(atomic_read(&folio->_nr_pages_mapped), HPAGE_PMD_NR);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		unsigned long a = BASE + (unsigned long)i * PAGE_SIZE;
		pteval_t e = pte_at(f->mm, a);

		assert_ptr_equal(page_at(f->mm, a), folio_page(folio, i));
		assert_int_equal(page_mapcount(folio_page(folio, i)), 1);
		assert_true(PageAnonExclusive(folio_page(folio, i)));
		mapped += pte_write(e) && pte_dirty(e) && !pte_leaf(e);
	}
	assert_int_equal(mapped, HPAGE_PMD_NR);
	assert_int_equal(read_byte(f->mm, BASE + 3 * PAGE_SIZE), 0x33);
	folio_put(folio);
}

static void split_huge_pmd_of_huge_zero_maps_small_zero_pages(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *hz = gupsim_huge_zero_folio(f->sim);
	struct page *zero = gupsim_zero_page(f->sim);
	int hz_ref = folio_ref_count(hz), zero_ref = page_ref_count_of(zero);
	struct vm_area_struct *vma;
	pteval_t *pmd;

	madvised_thp(f, BASE, THP_SZ);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	gupsim_mmap_read_lock(f->mm);
	vma = vma_lookup(f->mm, BASE);
	pmd = pgtable_walk(f->mm, BASE, PT_PMD, false, NULL);
	assert_int_equal(split_huge_pmd(vma, pmd, BASE), 0);
	gupsim_mmap_read_unlock(f->mm);
	for (int i = 0; i < HPAGE_PMD_NR; i += 37) {
		pteval_t e = pte_at(f->mm, BASE + (unsigned long)i * PAGE_SIZE);

		assert_true(pte_special(e) && !pte_write(e));
		assert_ptr_equal(page_at(f->mm, BASE + (unsigned long)i * PAGE_SIZE), zero);
	}
	assert_int_equal(folio_ref_count(hz), hz_ref);
	assert_int_equal(page_ref_count_of(zero), zero_ref);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 1);
}

/* semantics.md §5.3: an exclusive THP is reused at PMD level. */
static void exclusive_thp_wp_fault_reuses_pmd(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;
	enum pt_level lvl;

	madvised_thp(f, BASE, THP_SZ);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	entry_update(f->mm, BASE, _PAGE_RW, 0);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_false(pte_write(entry_at(f->mm, BASE, NULL)));
	write_byte(f->mm, BASE + PAGE_SIZE, 2);
	assert_true(pte_write(entry_at(f->mm, BASE, &lvl)));
	assert_int_equal(lvl, PT_PMD);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 2);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 0);
}

/* semantics.md §5.3: a non-exclusive THP with a second reference is split and the
 * PTE-level fault copies one small page. */
static void shared_thp_wp_fault_splits_and_copies(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio, *copy;

	madvised_thp(f, BASE, THP_SZ);
	write_byte(f->mm, BASE + 9 * PAGE_SIZE, 9);
	folio = folio_at(f->mm, BASE);
	folio_get(folio);			/* e.g. the child's PMD after fork */
	for (int i = 0; i < HPAGE_PMD_NR; i++)
		ClearPageAnonExclusive(folio_page(folio, i));
	entry_update(f->mm, BASE, _PAGE_RW, 0);
	write_byte(f->mm, BASE + 9 * PAGE_SIZE + 1, 10);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 1);
	copy = folio_at(f->mm, BASE + 9 * PAGE_SIZE);
	assert_ptr_not_equal(copy, folio);
	assert_false(folio_test_large(copy));
	assert_true(PageAnonExclusive(&copy->page));
	assert_int_equal(read_byte(f->mm, BASE + 9 * PAGE_SIZE), 9);
	assert_ptr_equal(folio_at(f->mm, BASE + 8 * PAGE_SIZE), folio);
	assert_int_equal(folio_mapcount(folio), HPAGE_PMD_NR - 1);
	assert_int_equal(folio_ref_count(folio), HPAGE_PMD_NR - 1 + 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	folio_put(folio);
}

static void split_pmd_mapped(struct mm_fixture *f, unsigned long addr)
{
	struct vm_area_struct *vma;

	gupsim_mmap_read_lock(f->mm);
	vma = vma_lookup(f->mm, addr);
	assert_int_equal(split_huge_pmd(vma, pgtable_walk(f->mm, addr, PT_PMD, false, NULL),
					addr), 0);
	gupsim_mmap_read_unlock(f->mm);
}

static void split_folio_of_pte_mapped_thp(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;

	madvised_thp(f, BASE, THP_SZ);
	write_byte(f->mm, BASE + 2 * PAGE_SIZE, 2);
	folio = folio_at(f->mm, BASE);
	folio_get(folio);
	/* PMD-mapped: refused */
	assert_int_equal(split_folio(folio), -EAGAIN);
	split_pmd_mapped(f, BASE);
	assert_int_equal(split_folio(folio), 0);
	assert_false(folio_test_large(folio));
	assert_int_equal(folio_ref_count(folio), 2);	/* its PTE + ours */
	for (int i = 1; i < HPAGE_PMD_NR; i += 51) {
		struct folio *small = folio_at(f->mm, BASE + (unsigned long)i * PAGE_SIZE);

		assert_ptr_equal(&small->page, folio_page(folio, i));
		assert_false(folio_test_large(small));
		assert_int_equal(folio_ref_count(small), 1);
		assert_int_equal(folio_mapcount(small), 1);
		assert_true(folio_test_anon(small));
		assert_int_equal(small->index, (BASE >> PAGE_SHIFT) + (unsigned long)i);
		assert_true(PageAnonExclusive(&small->page));
	}
	assert_int_equal(read_byte(f->mm, BASE + 2 * PAGE_SIZE), 2);
	assert_int_equal(VMSTAT(f->sim, THP_SPLIT_PAGE), 1);
	folio_put(folio);
	/* each page is now freed on its own: unmap half of them */
	assert_int_equal(gupsim_madvise(f->mm, BASE, THP_SZ / 2, MADV_DONTNEED), 0);
	assert_true(pte_none(entry_at(f->mm, BASE, NULL)));
	assert_int_equal(read_byte(f->mm, BASE + THP_SZ / 2), 0);
}

static void split_folio_refuses_pinned_folio(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;

	madvised_thp(f, BASE, THP_SZ);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	split_pmd_mapped(f, BASE);
	folio_get(folio);
	assert_int_equal(try_grab_folio(folio, 1, FOLL_PIN), 0);
	assert_int_equal(split_folio(folio), -EAGAIN);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_ref_count(folio), HPAGE_PMD_NR + 2);
	gup_put_folio(folio, 1, FOLL_PIN);
	/* an extra plain reference also makes the freeze fail */
	folio_get(folio);
	assert_int_equal(split_folio(folio), -EAGAIN);
	folio_put(folio);
	assert_int_equal(split_folio(folio), 0);
	assert_int_equal(VMSTAT(f->sim, THP_SPLIT_PAGE), 1);
	folio_put(folio);
}

/* semantics.md §9.4 fork_unpinned_thp: the child shares the PMD; the first write
 * splits the writer's PMD and copies one small page. */
static void thp_after_fork_write_splits_and_copies(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *child;
	struct folio *folio;
	enum pt_level lvl;

	madvised_thp(f, BASE, THP_SZ);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	child = gupsim_fork(f->mm);
	assert_false(IS_ERR(child));
	assert_ptr_equal(folio_at(child, BASE), folio);
	assert_int_equal(raw_entire_mapcount(folio), 2);
	assert_int_equal(folio_ref_count(folio), 2);

	write_byte(f->mm, BASE, 2);
	entry_at(f->mm, BASE, &lvl);
	assert_int_equal(lvl, PT_PTE);
	entry_at(child, BASE, &lvl);
	assert_int_equal(lvl, PT_PMD);			/* the child keeps its PMD */
	assert_false(folio_test_large(folio_at(f->mm, BASE)));
	assert_ptr_equal(folio_at(f->mm, BASE + PAGE_SIZE), folio);
	assert_int_equal(read_byte(child, BASE), 1);
	assert_int_equal(folio_mapcount(folio), 1 + HPAGE_PMD_NR - 1);
	assert_int_equal(folio_ref_count(folio), 1 + HPAGE_PMD_NR - 1);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(mm_check(child), 0);
	gupsim_mm_put(child);
}

/* ---- mTHP ---- */

static int mthp_setup(void **state)
{
	struct gupsim_config cfg;

	mm_default_cfg(&cfg);
	cfg.thp = GUPSIM_THP_ALWAYS;
	cfg.mthp_orders = 0x1fcUL;			/* orders 2..8 */
	return mm_setup_cfg(state, &cfg);
}

/* A 1 MiB VMA cannot hold a PMD THP: each order in turn is the largest. */
static void mthp_fault_of_each_order(void **state)
{
	struct mm_fixture *f = F(state);

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	for (unsigned int order = 2; order <= 8; order++) {
		unsigned long addr = BASE + order * THP_SZ;
		long nr = 1L << order;
		struct folio *folio;

		map_anon_at(f->mm, addr, PAGE_SIZE << order, PROT_READ | PROT_WRITE, 0);
		write_byte(f->mm, addr + PAGE_SIZE, (unsigned char)order);
		folio = folio_at(f->mm, addr);
		assert_int_equal(folio_order(folio), order);
		assert_int_equal(folio_ref_count(folio), nr);
		assert_int_equal(folio_mapcount(folio), nr);
		assert_int_equal(atomic_read(&folio->_nr_pages_mapped), nr);
		assert_int_equal(raw_entire_mapcount(folio), 0);
		for (long i = 0; i < nr; i++) {
			pteval_t e = pte_at(f->mm, addr + (unsigned long)i * PAGE_SIZE);

			assert_int_equal(pte_pfn(e), page_to_pfn(folio_page(folio, i)));
			assert_true(pte_write(e));
			assert_true(PageAnonExclusive(folio_page(folio, i)));
		}
		assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), order - 1);
	}
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON), 7);
	assert_int_equal(VMSTAT(f->sim, THP_FAULT_ALLOC), 0);
}

/* Read faults map the zero page even where mTHP could be used. */
static void mthp_range_read_fault_maps_zero_page(void **state)
{
	struct mm_fixture *f = F(state);

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	map_anon_at(f->mm, BASE, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	assert_ptr_equal(page_at(f->mm, BASE), gupsim_zero_page(f->sim));
	assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), 0);
}

/* A partly mapped range: the largest order whose PTEs are all none. */
static void mthp_falls_back_when_range_partly_mapped(void **state)
{
	struct mm_fixture *f = F(state);

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	map_anon_at(f->mm, BASE, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(read_byte(f->mm, BASE + 5 * PAGE_SIZE), 0);	/* page 5 mapped */
	write_byte(f->mm, BASE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), 2);	/* pages 0-3 */
	write_byte(f->mm, BASE + 9 * PAGE_SIZE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE + 9 * PAGE_SIZE)), 3); /* 8-15 */
	write_byte(f->mm, BASE + 4 * PAGE_SIZE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE + 4 * PAGE_SIZE)), 0);
	assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), 2);
}

/* A small VMA: orders that do not fit inside it are skipped. */
static void mthp_order_must_fit_the_vma(void **state)
{
	struct mm_fixture *f = F(state);

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	map_anon_at(f->mm, BASE + 4 * PAGE_SIZE, 12 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE + 4 * PAGE_SIZE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE + 4 * PAGE_SIZE)), 2);
	write_byte(f->mm, BASE + 8 * PAGE_SIZE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE + 8 * PAGE_SIZE)), 3);
}

/* Fragmented memory: the largest order the allocator can still give. */
static void mthp_falls_back_when_memory_is_fragmented(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio **held, *freed;
	int n;

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	map_anon_at(f->mm, BASE, 64 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	gupsim_mmap_read_lock(f->mm);
	assert_non_null(pgtable_walk(f->mm, BASE, PT_PTE, true, NULL));	/* tables first */
	gupsim_mmap_read_unlock(f->mm);
	held = exhaust_order(f->sim, 0, &n);
	/* give back one order-3 block only */
	freed = NULL;
	for (int i = 0; i < n && !freed; i++) {
		if (folio_order(held[i]) == 3) {
			freed = held[i];
			held[i] = held[--n];
		}
	}
	assert_non_null(freed);
	gupsim_folio_put(freed);
	write_byte(f->mm, BASE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), 3);
	/* nothing left at all: the fault fails with OOM, no mapping */
	assert_int_equal(fault(f->mm, BASE + 32 * PAGE_SIZE, FAULT_FLAG_WRITE), VM_FAULT_OOM);
	assert_true(pte_none(entry_at(f->mm, BASE + 32 * PAGE_SIZE, NULL)));
	release_all(held, n);
	/* and orders come back once memory does */
	write_byte(f->mm, BASE + 32 * PAGE_SIZE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE + 32 * PAGE_SIZE)), 5);
}

static void mthp_follows_thp_mode(void **state)
{
	struct mm_fixture *f = F(state);

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	/* thp=always: every private anon VMA, unless MADV_NOHUGEPAGE */
	map_anon_at(f->mm, BASE, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(gupsim_madvise(f->mm, BASE, 16 * PAGE_SIZE, MADV_NOHUGEPAGE), 0);
	write_byte(f->mm, BASE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), 0);
	assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), 0);
}

static void mthp_needs_madvise_in_madvise_mode(void **state)
{
	struct gupsim_config cfg;
	struct mm_fixture *f;

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	mm_teardown(state);
	mm_default_cfg(&cfg);
	cfg.mthp_orders = BIT(4);
	assert_int_equal(mm_setup_cfg(state, &cfg), 0);
	f = F(state);
	map_anon_at(f->mm, BASE, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), 0);
	map_anon_at(f->mm, BASE + THP_SZ, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(gupsim_madvise(f->mm, BASE + THP_SZ, 16 * PAGE_SIZE, MADV_HUGEPAGE), 0);
	write_byte(f->mm, BASE + THP_SZ, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE + THP_SZ)), 4);
	assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), 1);
}

static void split_folio_of_mthp(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	map_anon_at(f->mm, BASE, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	assert_int_equal(folio_order(folio), 4);
	assert_int_equal(gupsim_madvise(f->mm, BASE + 8 * PAGE_SIZE, 8 * PAGE_SIZE,
					MADV_DONTNEED), 0);
	folio_get(folio);
	assert_int_equal(folio_mapcount(folio), 8);
	assert_int_equal(split_folio(folio), 0);
	assert_int_equal(folio_ref_count(folio), 2);
	assert_int_equal(folio_ref_count(folio_at(f->mm, BASE + 7 * PAGE_SIZE)), 1);
	folio_put(folio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
#define M(fn) cmocka_unit_test_setup_teardown(fn, mthp_setup, mm_teardown)
		T(write_fault_maps_pmd_thp),
		T(no_thp_without_madvise_or_when_unaligned),
		T(read_fault_maps_huge_zero_folio),
		T(read_fault_without_huge_zero_allocates_thp),
		T(huge_zero_write_allocates_new_thp),
		T(huge_zero_unshare_allocates_new_thp),
		T(huge_zero_write_without_memory_splits),
		T(thp_fault_falls_back_to_ptes),
		T(split_huge_pmd_keeps_every_count),
		T(split_huge_pmd_of_huge_zero_maps_small_zero_pages),
		T(exclusive_thp_wp_fault_reuses_pmd),
		T(shared_thp_wp_fault_splits_and_copies),
		T(split_folio_of_pte_mapped_thp),
		T(split_folio_refuses_pinned_folio),
		T(thp_after_fork_write_splits_and_copies),
		M(mthp_fault_of_each_order),
		M(mthp_range_read_fault_maps_zero_page),
		M(mthp_falls_back_when_range_partly_mapped),
		M(mthp_order_must_fit_the_vma),
		M(mthp_falls_back_when_memory_is_fragmented),
		M(mthp_follows_thp_mode),
		T(mthp_needs_madvise_in_madvise_mode),
		M(split_folio_of_mthp),
#undef T
#undef M
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
