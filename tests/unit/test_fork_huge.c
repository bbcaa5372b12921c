// SPDX-License-Identifier: MIT
/*
 * fork() of large folios (semantics.md §5.4, oracle fork_pinned_thp and
 * fork_unpinned_thp): a pinned PMD THP is split in the parent and copied
 * page by page, an unpinned one shared by PMD; PTE-mapped mTHP folios are
 * duplicated as a batch or copied page by page; the huge zero PMD is
 * shared; hugetlb folios are copied into the pool or shared.
 */
#include "fork_test.h"

/* ---- THP (oracle fork_pinned_thp / fork_unpinned_thp) ---- */

static void fork_splits_pinned_thp_and_copies_its_pages(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map_thp(parent), copies;
	enum pt_level level;
	struct folio *thp;

	put_str(parent, addr + 5 * PAGE_SIZE, "thp");
	entry_at(parent, addr, &level);
	assert_int_equal(level, PT_PMD);
	thp = pin_at(parent, addr + 5 * PAGE_SIZE);
	assert_int_equal(folio_order(thp), HPAGE_PMD_ORDER);
	copies = stat(state, GUPSIM_NR_FORK_PINNED_COPIES);

	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	/* the parent's PMD is split; the folio stays large and pinned */
	entry_at(parent, addr, &level);
	assert_int_equal(level, PT_PTE);
	assert_int_equal(folio_order(thp), HPAGE_PMD_ORDER);
	assert_int_equal(atomic_read(&thp->_pincount), 1);
	assert_ptr_equal(page_folio(gupsim_follow_page(parent, addr + PMD_SIZE - PAGE_SIZE)),
			 thp);
	/* the child has 512 small copies */
	assert_int_equal(stat(state, GUPSIM_NR_FORK_PINNED_COPIES), copies + HPAGE_PMD_NR);
	for (unsigned long off = 0; off < PMD_SIZE; off += 64 * PAGE_SIZE) {
		struct folio *f = page_folio(gupsim_follow_page(child, addr + off));

		assert_ptr_not_equal(f, thp);
		assert_false(folio_test_large(f));
	}
	assert_reads(child, addr + 5 * PAGE_SIZE, "thp");
	gupsim_unpin_user_page(&thp->page);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void fork_shares_unpinned_thp_by_pmd(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map_thp(parent);
	enum pt_level level;
	struct folio *thp;
	pteval_t e;

	put_str(parent, addr, "thp");
	thp = page_folio(gupsim_follow_page(parent, addr));
	assert_int_equal(folio_order(thp), HPAGE_PMD_ORDER);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	e = entry_at(child, addr, &level);
	assert_int_equal(level, PT_PMD);
	assert_false(pte_write(e));
	e = entry_at(parent, addr, &level);
	assert_int_equal(level, PT_PMD);
	assert_false(pte_write(e));
	assert_ptr_equal(page_folio(gupsim_follow_page(child, addr)), thp);
	assert_int_equal(folio_mapcount(thp), 2);
	assert_int_equal(folio_ref_count(thp), 2);
	assert_false(PageAnonExclusive(&thp->page));
	put_str(child, addr, "child");
	assert_reads(parent, addr, "thp");
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void fork_shares_the_huge_zero_pmd(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map_thp(parent);
	struct folio *huge_zero;
	enum pt_level level;
	char c = 1;

	assert_int_equal(gupsim_read(parent, addr, &c, 1), 1);
	huge_zero = page_folio(gupsim_follow_page(parent, addr));
	assert_true(is_huge_zero_folio(huge_zero));
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	entry_at(child, addr, &level);
	assert_int_equal(level, PT_PMD);
	assert_ptr_equal(page_folio(gupsim_follow_page(child, addr + PAGE_SIZE)), huge_zero);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

/* mTHP: a large folio mapped by PTEs is duplicated as one batch... */
static void fork_shares_pte_mapped_large_folio(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, 64 * 1024, ANON, NULL);
	struct folio *folio;

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	put_str(parent, addr, "mthp");
	folio = page_folio(gupsim_follow_page(parent, addr));
	assert_int_equal(folio_order(folio), 4);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	for (unsigned long i = 0; i < 16; i++) {
		struct page *page = gupsim_follow_page(child, addr + i * PAGE_SIZE);

		assert_ptr_equal(page, folio_page(folio, i));
		assert_false(PageAnonExclusive(page));
		assert_int_equal(page_mapcount(page), 2);
	}
	assert_int_equal(folio_mapcount(folio), 32);
	assert_int_equal(folio_ref_count(folio), 32);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

/* ...unless it may be pinned: then page by page, each one copied. */
static void fork_copies_pinned_pte_mapped_large_folio(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, 64 * 1024, ANON, NULL), copies;
	struct folio *folio;

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	put_str(parent, addr + 3 * PAGE_SIZE, "mthp");
	folio = pin_at(parent, addr + 3 * PAGE_SIZE);
	assert_int_equal(folio_order(folio), 4);
	copies = stat(state, GUPSIM_NR_FORK_PINNED_COPIES);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	assert_int_equal(stat(state, GUPSIM_NR_FORK_PINNED_COPIES), copies + 16);
	for (unsigned long i = 0; i < 16; i++) {
		struct page *page = gupsim_follow_page(child, addr + i * PAGE_SIZE);

		assert_ptr_not_equal(page_folio(page), folio);
		assert_true(PageAnonExclusive(folio_page(folio, i)));
	}
	assert_int_equal(folio_mapcount(folio), 16);
	assert_reads(child, addr + 3 * PAGE_SIZE, "mthp");
	gupsim_unpin_user_page(&folio->page);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

/* ---- hugetlb ---- */

static void fork_copies_pinned_hugetlb_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, PMD_SIZE, ANON | MAP_HUGETLB, NULL);
	struct folio *huge, *copy;

	put_str(parent, addr + 7, "huge");
	huge = pin_at(parent, addr);
	assert_true(folio_test_hugetlb(huge));
	assert_int_equal(sim->hstates[0].nr_free, 3);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	copy = page_folio(gupsim_follow_page(child, addr));
	assert_ptr_not_equal(copy, huge);
	assert_true(folio_test_hugetlb(copy));
	assert_true(PageAnonExclusive(&copy->page));
	assert_true(pte_write(entry_at(child, addr, NULL)));
	assert_int_equal(sim->hstates[0].nr_free, 2);
	assert_reads(child, addr + 7, "huge");
	assert_true(PageAnonExclusive(&huge->page));
	gupsim_unpin_user_page(&huge->page);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
	assert_int_equal(sim->hstates[0].nr_free, 4);
}

static void fork_shares_unpinned_hugetlb_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, PMD_SIZE, ANON | MAP_HUGETLB, NULL);
	struct folio *huge;

	put_str(parent, addr, "huge");
	huge = page_folio(gupsim_follow_page(parent, addr));
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	assert_ptr_equal(page_folio(gupsim_follow_page(child, addr)), huge);
	assert_int_equal(sim->hstates[0].nr_free, 3);
	assert_int_equal(folio_mapcount(huge), 2);
	assert_false(PageAnonExclusive(&huge->page));
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static int sim_setup_mthp(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.thp = GUPSIM_THP_ALWAYS;
	cfg.mthp_orders = 1UL << 4;	/* 64 KiB */
	return sim_setup_cfg(state, &cfg);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, sim_setup_fork, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(fork_splits_pinned_thp_and_copies_its_pages),
		T(fork_shares_unpinned_thp_by_pmd),
		T(fork_shares_the_huge_zero_pmd),
		cmocka_unit_test_setup_teardown(fork_shares_pte_mapped_large_folio,
						sim_setup_mthp, sim_teardown),
		cmocka_unit_test_setup_teardown(fork_copies_pinned_pte_mapped_large_folio,
						sim_setup_mthp, sim_teardown),
		T(fork_copies_pinned_hugetlb_folio),
		T(fork_shares_unpinned_hugetlb_folio),
	};

	return cmocka_run_group_tests_name("fork_huge", tests, NULL, NULL);
}
