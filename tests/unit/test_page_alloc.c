// SPDX-License-Identifier: MIT
/* lib/page_alloc.c, lib/zero_page.c, lib/hugetlb.c: the machine's memory. */
#include "helpers.h"
#include "internal.h"

static struct gupsim *make(unsigned long normal, unsigned long movable, unsigned long cma)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = normal;
	cfg.movable_mb = movable;
	cfg.cma_mb = cma;
	return gupsim_create(&cfg);
}

static void config_defaults_match_design(void **state)
{
	struct gupsim_config cfg;

	(void)state;
	gupsim_config_init(&cfg);
	assert_int_equal(cfg.size, sizeof(cfg));
	assert_int_equal(cfg.normal_mb, 1024);
	assert_int_equal(cfg.movable_mb, 0);
	assert_int_equal(cfg.cma_mb, 0);
	assert_int_equal(cfg.thp, GUPSIM_THP_MADVISE);
	assert_true(cfg.use_zero_page);
	assert_true(cfg.use_huge_zero_page);
	assert_false(cfg.strict);
	assert_false(cfg.debug_pins);
	assert_int_equal(cfg.mthp_orders, 0);
}

static void impossible_configs_fail_with_errno(void **state)
{
	struct gupsim_config cfg;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 0;
	errno = 0;
	assert_null(gupsim_create(&cfg));
	assert_int_equal(errno, EINVAL);

	gupsim_config_init(&cfg);
	cfg.cma_mb = cfg.normal_mb;		/* CMA cannot be all of NORMAL */
	assert_null(gupsim_create(&cfg));
	assert_int_equal(errno, EINVAL);

	gupsim_config_init(&cfg);
	cfg.cma_mb = 3;				/* not whole pageblocks */
	assert_null(gupsim_create(&cfg));
	assert_int_equal(errno, EINVAL);

	gupsim_config_init(&cfg);
	cfg.thp = (enum gupsim_thp_mode)7;
	assert_null(gupsim_create(&cfg));
	assert_int_equal(errno, EINVAL);

	gupsim_config_init(&cfg);
	cfg.mthp_orders = 1UL << 9;		/* PMD order is not an mTHP order */
	assert_null(gupsim_create(&cfg));
	assert_int_equal(errno, EINVAL);

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.hugetlb_2m_pages = 1000;		/* 2000 MiB of 64 */
	assert_null(gupsim_create(&cfg));
	assert_int_equal(errno, ENOMEM);

	gupsim_config_init(&cfg);
	cfg.size = 8;				/* a struct from nowhere */
	assert_null(gupsim_create(&cfg));
	assert_int_equal(errno, EINVAL);
}

static void create_null_uses_defaults(void **state)
{
	struct gupsim *sim;

	(void)state;
	sim = gupsim_create(NULL);
	assert_non_null(sim);
	/* 1 GiB, minus the zero page */
	assert_int_equal(gupsim_nr_free_pages(sim), 262144 - 1);
	gupsim_destroy(sim);
}

static void every_order_allocates_and_frees_back(void **state)
{
	struct gupsim *sim = make(2048, 0, 0);
	unsigned long start;

	(void)state;
	assert_non_null(sim);
	start = gupsim_nr_free_pages(sim);
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct folio *folio = gupsim_folio_alloc(sim, order, 0);

		assert_non_null(folio);
		assert_int_equal(gupsim_folio_order(folio), order);
		assert_int_equal(gupsim_folio_nr_pages(folio), 1L << order);
		assert_int_equal(gupsim_folio_ref_count(folio), 1);
		assert_int_equal(gupsim_folio_mapcount(folio), 0);
		assert_int_equal(gupsim_nr_free_pages(sim), start - (1UL << order));
		if (order) {
			struct page *tail = gupsim_folio_page(folio, (1UL << order) - 1);

			assert_true(gupsim_folio_test_large(folio));
			assert_ptr_equal(gupsim_page_folio(tail), folio);
			assert_int_equal(gupsim_page_ref_count(tail), 0);	/* tails: 0 */
			assert_int_equal(gupsim_page_count(tail), 1);
			assert_int_equal(gupsim_folio_pincount(folio), 0);
		}
		assert_int_equal(gupsim_page_to_pfn(&folio->page) % (1UL << order), 0);
		gupsim_folio_put(folio);
		assert_int_equal(gupsim_nr_free_pages(sim), start);
	}
	gupsim_destroy(sim);
}

static void bad_orders_and_flags_are_einval(void **state)
{
	struct gupsim *sim = make(64, 0, 0);

	(void)state;
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, MAX_PAGE_ORDER + 1, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(gupsim_folio_alloc(sim, 0, 1u << 30));
	assert_int_equal(errno, EINVAL);
	assert_null(gupsim_folio_alloc(NULL, 0, 0));
	assert_int_equal(errno, EINVAL);
	/* 1 GiB does not fit in 64 MiB */
	assert_null(gupsim_folio_alloc(sim, MAX_PAGE_ORDER, 0));
	assert_int_equal(errno, ENOMEM);
	gupsim_destroy(sim);
}

static void movable_memory_goes_to_movable_then_cma(void **state)
{
	struct gupsim *sim = make(64, 8, 8);
	struct folio *f;

	(void)state;
	assert_non_null(sim);
	f = gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_MOVABLE);
	assert_int_equal(gupsim_page_zonenum(&f->page), ZONE_MOVABLE);
	assert_false(gupsim_folio_is_longterm_pinnable(f));
	gupsim_folio_put(f);

	f = gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_ONLY_CMA);
	assert_int_equal(gupsim_page_zonenum(&f->page), ZONE_NORMAL);
	assert_true(gupsim_is_migrate_cma_page(&f->page));
	assert_false(gupsim_folio_is_longterm_pinnable(f));
	gupsim_folio_put(f);

	f = gupsim_folio_alloc(sim, 0, 0);
	assert_int_equal(gupsim_page_zonenum(&f->page), ZONE_NORMAL);
	assert_false(gupsim_is_migrate_cma_page(&f->page));
	assert_true(gupsim_folio_is_longterm_pinnable(f));
	gupsim_folio_put(f);

	/* inside a PF_MEMALLOC_PIN scope user memory avoids MOVABLE and CMA */
	get_current()->flags |= PF_MEMALLOC_PIN;
	f = gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_MOVABLE);
	get_current()->flags &= ~PF_MEMALLOC_PIN;
	assert_true(gupsim_folio_is_longterm_pinnable(f));
	gupsim_folio_put(f);
	gupsim_destroy(sim);
}

static void zero_page_and_huge_zero_folio(void **state)
{
	struct gupsim *sim = make(64, 0, 0);
	struct page *zp = gupsim_zero_page(sim);
	struct folio *hz = gupsim_huge_zero_folio(sim);
	unsigned char buf[64];

	(void)state;
	assert_true(gupsim_is_zero_page(zp));
	assert_true(gupsim_is_zero_folio(gupsim_page_folio(zp)));
	assert_false(gupsim_is_huge_zero_folio(gupsim_page_folio(zp)));
	assert_non_null(hz);
	assert_ptr_equal(hz, gupsim_huge_zero_folio(sim));
	assert_true(gupsim_is_huge_zero_folio(hz));
	assert_false(gupsim_is_zero_folio(hz));	/* semantics.md §2.4: not is_zero_folio */
	assert_int_equal(gupsim_folio_order(hz), HPAGE_PMD_ORDER);
	memset(buf, 0, sizeof(buf));
	assert_memory_equal(gupsim_page_address(zp), buf, sizeof(buf));
	gupsim_destroy(sim);
}

static void hugetlb_pool_is_reserved_at_create(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct folio *f;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 2048;
	cfg.hugetlb_2m_pages = 4;
	cfg.hugetlb_1g_pages = 1;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	assert_int_equal(gupsim_nr_free_pages(sim), 524288 - 1 - 4 * 512 - 262144);
	for (int i = 0; i < 4; i++) {
		f = hugetlb_folio_alloc(sim, HPAGE_PMD_ORDER);
		assert_non_null(f);
		assert_true(gupsim_folio_test_hugetlb(f));
		gupsim_folio_put(f);	/* back to the pool, not the buddy */
	}
	f = hugetlb_folio_alloc(sim, HPAGE_PUD_ORDER);
	assert_non_null(f);
	assert_null(hugetlb_folio_alloc(sim, HPAGE_PUD_ORDER));	/* pool exhausted */
	gupsim_folio_put(f);
	assert_int_equal(gupsim_nr_free_pages(sim), 524288 - 1 - 4 * 512 - 262144);
	gupsim_destroy(sim);
}

static void freeing_a_pinned_folio_is_bad_page(void **state)
{
	struct sim_fixture *fx = (struct sim_fixture *)*state;
	struct gupsim *sim = fx->sim;
	unsigned long start = gupsim_nr_free_pages(sim);
	struct folio *f = gupsim_folio_alloc(sim, 2, 0);

	/* a stray pincount, then the last reference goes */
	atomic_set(&f->_pincount, 1);
	gupsim_folio_put(f);
	assert_int_equal(fx->warns.count, 1);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_BAD_PAGES), 1);
	/* the kernel leaks a bad page rather than reuse it */
	assert_int_equal(gupsim_nr_free_pages(sim), start - 4);
}

static void pfn_lookup_is_bounded(void **state)
{
	struct gupsim *sim = fixture_sim(state);

	assert_non_null(gupsim_pfn_to_page(sim, 0));
	assert_null(gupsim_pfn_to_page(sim, 64 * 256));
	assert_null(gupsim_pfn_to_page(NULL, 0));
	assert_int_equal(sizeof(struct page), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_defaults_match_design),
		cmocka_unit_test(impossible_configs_fail_with_errno),
		cmocka_unit_test(create_null_uses_defaults),
		cmocka_unit_test(every_order_allocates_and_frees_back),
		cmocka_unit_test(bad_orders_and_flags_are_einval),
		cmocka_unit_test(movable_memory_goes_to_movable_then_cma),
		cmocka_unit_test(zero_page_and_huge_zero_folio),
		cmocka_unit_test(hugetlb_pool_is_reserved_at_create),
		cmocka_unit_test_setup_teardown(freeing_a_pinned_folio_is_bad_page, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(pfn_lookup_is_bounded, sim_setup, sim_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
