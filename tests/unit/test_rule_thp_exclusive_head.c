// SPDX-License-Identifier: MIT
/*
 * PageAnonExclusive of a PMD-mapped THP lives on the head page only:
 * folio_add_new_anon_rmap() (PMD branch) and do_huge_pmd_wp_page() set it
 * there, fork's __folio_try_dup_anon_rmap() (RMAP_LEVEL_PMD) clears it
 * there, and __split_huge_pmd_locked() spreads the head's state to every
 * subpage when the PMD becomes 512 PTEs. The same in every modelled release.
 */
#include "gup_fixture.h"

static int setup_at(void **state, unsigned int version)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.kernel_version = version;
	return gup_fx_setup_cfg(state, &cfg);
}

static int setup_newest(void **state) { return setup_at(state, 0); }
static int setup_6_6(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 6, 0)); }

static bool raw_exclusive(struct folio *folio, long i)
{
	return PageFlag(folio_page(folio, i), PG_anon_exclusive);
}

static struct folio *thp_at(struct gup_fx *fx, unsigned long a)
{
	enum pt_level l = PT_PTE;

	assert_non_null(pgtable_lookup(fx->mm, a, &l));
	assert_int_equal(l, PT_PMD);
	return page_folio(fx_page(fx, a));
}

static void pmd_fault_marks_the_head_only(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_map_thp(fx, 1);
	struct folio *folio;
	struct page *pages[1];

	fx_touch(fx, a, 1, 1);
	folio = thp_at(fx, a);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_true(raw_exclusive(folio, 0));
	for (long i = 1; i < HPAGE_PMD_NR; i++)
		assert_false(raw_exclusive(folio, i));
	assert_false(gupsim_PageAnonExclusive(folio_page(folio, 7)));
	/* a R/O pin of a tail page asks the head (follow_huge_pmd): no unshare */
	assert_int_equal(fx_pup(fx, a + 7 * PAGE_SIZE, 1, 0, pages), 1);
	assert_ptr_equal(pages[0], folio_page(folio, 7));
	assert_int_equal(STAT(fx, GUPSIM_NR_UNSHARES), 0);
	gupsim_unpin_user_page(pages[0]);
}

static void pmd_split_spreads_the_head_state(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_map_thp(fx, 1);
	struct folio *folio;

	fx_touch(fx, a, 1, 1);
	folio = thp_at(fx, a);
	/* mprotect of one page splits the PMD (__split_huge_pmd_locked) */
	assert_int_equal(gupsim_mprotect(fx->mm, a, PAGE_SIZE, PROT_READ), 0);
	for (long i = 0; i < HPAGE_PMD_NR; i++)
		assert_true(raw_exclusive(folio, i));
	assert_true(gupsim_PageAnonExclusive(folio_page(folio, 300)));
}

/* fork shares the PMD: the head is cleared; reuse sets the head again. */
static void fork_clears_the_head_and_reuse_sets_it(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_map_thp(fx, 1);
	struct mm_struct *child;
	struct folio *folio;
	struct page *pages[1];

	fx_touch(fx, a, 1, 1);
	folio = thp_at(fx, a);
	child = gupsim_fork(fx->mm);
	assert_non_null(child);
	assert_ptr_equal(thp_at(fx, a), folio);
	for (long i = 0; i < HPAGE_PMD_NR; i++)
		assert_false(raw_exclusive(folio, i));
	/* the child goes: the parent's write fault reuses the THP in place
	 * and marks the head only */
	gupsim_mm_put(child);
	fx_touch(fx, a, 1, 2);
	assert_ptr_equal(thp_at(fx, a), folio);
	assert_true(raw_exclusive(folio, 0));
	assert_false(raw_exclusive(folio, 1));
	/* a R/O pin of a tail then needs no unshare either */
	assert_int_equal(fx_pup(fx, a + 9 * PAGE_SIZE, 1, 0, pages), 1);
	assert_int_equal(STAT(fx, GUPSIM_NR_UNSHARES), 0);
	gupsim_unpin_user_page(pages[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pmd_fault_marks_the_head_only, setup_newest,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(pmd_fault_marks_the_head_only, setup_6_6,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(pmd_split_spreads_the_head_state, setup_newest,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(fork_clears_the_head_and_reuse_sets_it,
						setup_newest, gup_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
