// SPDX-License-Identifier: MIT
/* semantics.md §2 and §3, rule by rule: grabbing, releasing, predicates. */
#include "helpers.h"
#include "internal.h"

#define ACQ(sim) gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED)
#define REL(sim) gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED)

static struct folio *alloc(void **state, unsigned int order)
{
	struct folio *f = gupsim_folio_alloc(fixture_sim(state), order, 0);

	assert_non_null(f);
	return f;
}

static void pin_small_page_adds_bias(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);

	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_folio_ref_count(f), 1 + 1024);
	assert_int_equal(gupsim_folio_pincount(f), 0);	/* no _pincount field */
	assert_true(gupsim_folio_maybe_dma_pinned(f));
	assert_int_equal(ACQ(sim), 1);
	gupsim_unpin_folio(f);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_false(gupsim_folio_maybe_dma_pinned(f));
	assert_int_equal(REL(sim), 1);
	gupsim_folio_put(f);
}

static void pin_large_folio_adds_one_ref_and_one_pincount(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, HPAGE_PMD_ORDER);

	assert_int_equal(gupsim_try_grab_folio(f, 512, FOLL_PIN), 0);
	assert_int_equal(gupsim_folio_ref_count(f), 1 + 512);
	assert_int_equal(gupsim_folio_pincount(f), 512);
	assert_int_equal(ACQ(sim), 512);	/* per 4 KiB page, semantics.md §2.6 */
	gupsim_unpin_user_folio(f, 512);
	assert_int_equal(gupsim_folio_pincount(f), 0);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(REL(sim), 512);
	gupsim_folio_put(f);
}

static void order1_folio_has_pincount_on_64bit(void **state)
{
	struct folio *f = alloc(state, 1);

	assert_true(gupsim_folio_has_pincount(f));
	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_folio_ref_count(f), 2);
	assert_int_equal(gupsim_folio_pincount(f), 1);
	gupsim_unpin_folio(f);
	gupsim_folio_put(f);
}

static void get_adds_one_ref_and_no_stat(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *small = alloc(state, 0), *large = alloc(state, 4);

	assert_int_equal(gupsim_try_grab_folio(small, 3, FOLL_GET), 0);
	assert_int_equal(gupsim_try_grab_folio(large, 3, FOLL_GET), 0);
	assert_int_equal(gupsim_folio_ref_count(small), 4);
	assert_int_equal(gupsim_folio_ref_count(large), 4);
	assert_int_equal(gupsim_folio_pincount(large), 0);
	assert_int_equal(ACQ(sim), 0);
	gupsim_folio_put_refs(small, 4);
	gupsim_folio_put_refs(large, 4);
}

static void neither_get_nor_pin_grabs_nothing(void **state)
{
	struct folio *f = alloc(state, 0);

	assert_int_equal(gupsim_try_grab_folio(f, 1, 0), 0);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	gupsim_folio_put(f);
}

static void pin_zero_page_is_a_noop_and_uncounted(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct page *zp = gupsim_zero_page(sim);
	struct folio *zf = gupsim_page_folio(zp);
	int ref = gupsim_folio_ref_count(zf);

	assert_int_equal(gupsim_try_grab_folio(zf, 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_folio_ref_count(zf), ref);
	assert_int_equal(ACQ(sim), 0);
	gupsim_unpin_user_page(zp);
	assert_int_equal(gupsim_folio_ref_count(zf), ref);
	assert_int_equal(REL(sim), 0);
	assert_int_equal(fixture_warns(state)->count, 0);
}

static void get_zero_page_adds_a_ref(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *zf = gupsim_page_folio(gupsim_zero_page(sim));
	int ref = gupsim_folio_ref_count(zf);

	assert_int_equal(gupsim_try_grab_folio(zf, 1, FOLL_GET), 0);
	assert_int_equal(gupsim_folio_ref_count(zf), ref + 1);
	gupsim_put_page(gupsim_zero_page(sim));
	assert_int_equal(gupsim_folio_ref_count(zf), ref);
}

static void pin_huge_zero_folio_is_counted(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *hz = gupsim_huge_zero_folio(sim);
	int ref = gupsim_folio_ref_count(hz);

	assert_int_equal(gupsim_try_grab_folio(hz, 512, FOLL_PIN), 0);
	assert_int_equal(gupsim_folio_ref_count(hz), ref + 512);
	assert_int_equal(gupsim_folio_pincount(hz), 512);
	assert_int_equal(ACQ(sim), 512);
	gupsim_unpin_user_folio(hz, 512);
	assert_int_equal(REL(sim), 512);
	assert_int_equal(gupsim_folio_ref_count(hz), ref);
}

static void folio_add_pin_is_not_counted(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *small = alloc(state, 0), *large = alloc(state, 3);

	gupsim_try_grab_folio(small, 1, FOLL_PIN);
	gupsim_try_grab_folio(large, 1, FOLL_PIN);
	gupsim_folio_add_pin(small);
	gupsim_folio_add_pin(large);
	assert_int_equal(gupsim_folio_ref_count(small), 1 + 2048);
	assert_int_equal(gupsim_folio_ref_count(large), 3);
	assert_int_equal(gupsim_folio_pincount(large), 2);
	assert_int_equal(ACQ(sim), 2);
	gupsim_unpin_folio(small);
	gupsim_unpin_folio(small);
	gupsim_unpin_folio(large);
	gupsim_unpin_folio(large);
	/* semantics.md §2.6: released exceeds acquired by one per folio_add_pin */
	assert_int_equal(REL(sim), 4);
	assert_int_equal(fixture_warns(state)->count, 0);
	gupsim_folio_put(small);
	gupsim_folio_put(large);
}

static void folio_add_pin_on_unpinned_folio_warns(void **state)
{
	struct folio *f = alloc(state, 3);

	gupsim_folio_add_pin(f);
	assert_int_equal(fixture_warns(state)->count, 1);
	gupsim_unpin_folio(f);
	gupsim_folio_put(f);
}

static void folio_add_pins_is_counted(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 4);

	gupsim_try_grab_folio(f, 1, FOLL_PIN);
	assert_int_equal(gupsim_folio_add_pins(f, 15), 0);
	assert_int_equal(gupsim_folio_pincount(f), 16);
	assert_int_equal(ACQ(sim), 16);
	gupsim_unpin_user_folio(f, 16);
	assert_int_equal(REL(sim), 16);
	gupsim_folio_put(f);
}

static void maybe_dma_pinned_false_positive_at_1024_refs(void **state)
{
	struct folio *small = alloc(state, 0), *large = alloc(state, 2);

	/* ref 1 + 1023 plain references = 1024: "maybe pinned" (semantics.md §3.1) */
	for (int i = 0; i < 1022; i++)
		gupsim_folio_get(small);
	assert_false(gupsim_folio_maybe_dma_pinned(small));
	gupsim_folio_get(small);
	assert_true(gupsim_folio_maybe_dma_pinned(small));
	assert_true(gupsim_page_maybe_dma_pinned(&small->page));
	/* large folios have no false positives */
	for (int i = 0; i < 5000; i++)
		gupsim_folio_get(large);
	assert_false(gupsim_folio_maybe_dma_pinned(large));
	gupsim_folio_put_refs(small, 1024);
	gupsim_folio_put_refs(large, 5001);
}

static void grab_of_freed_folio_warns_enomem(void **state)
{
	struct folio *f = alloc(state, 0);

	gupsim_folio_put(f);	/* refcount 0: being freed */
	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), -ENOMEM);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
}

static void p2pdma_needs_its_flag(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct folio *f;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.device_mb = 2;
	sim = gupsim_create(&cfg);
	f = device_folio_alloc(sim, PGMAP_P2PDMA);
	assert_non_null(f);
	assert_int_equal(gupsim_page_zonenum(&f->page), ZONE_DEVICE);
	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), -EREMOTEIO);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN | FOLL_PCI_P2PDMA), 0);
	assert_null(try_grab_folio_fast(&f->page, 1, FOLL_PIN));
	gupsim_unpin_folio(f);
	gupsim_folio_put(f);
	gupsim_destroy(sim);
}

static void fast_grab_refuses_unpinnable_longterm(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct folio *f, *got;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.movable_mb = 4;
	sim = gupsim_create(&cfg);
	f = gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_ONLY_MOVABLE);
	assert_null(try_grab_folio_fast(&f->page, 1, FOLL_PIN | FOLL_LONGTERM));
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(ACQ(sim), 0);		/* no stat on the rejection path */
	got = try_grab_folio_fast(&f->page, 1, FOLL_PIN);
	assert_ptr_equal(got, f);
	assert_int_equal(gupsim_folio_ref_count(f), 1025);
	assert_int_equal(ACQ(sim), 1);
	gupsim_unpin_folio(f);
	gupsim_folio_put(f);
	gupsim_destroy(sim);
}

static void small_page_pin_overflow_is_refused(void **state)
{
	struct folio *f = alloc(state, 0);
	long n = 0;

	/* 2^21 pins of 1024 wrap a 32-bit count; then grabs fail (semantics.md §2.5) */
	while (gupsim_try_grab_folio(f, 1, FOLL_PIN) == 0)
		n++;
	assert_int_equal(n, 2097152);
	assert_int_equal(fixture_warns(state)->count, 1);
	for (long i = 0; i < n; i++)
		gupsim_unpin_folio(f);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	gupsim_folio_put(f);
}

static void unpin_of_unpinned_warns_and_changes_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *small = alloc(state, 0), *large = alloc(state, 2);

	gupsim_unpin_folio(small);
	gupsim_unpin_folio(large);
	assert_int_equal(fixture_warns(state)->count, 2);
	assert_int_equal(gupsim_folio_ref_count(small), 1);
	assert_int_equal(gupsim_folio_ref_count(large), 1);
	assert_int_equal(REL(sim), 0);
	gupsim_folio_put(small);
	gupsim_folio_put(large);
}

static void put_below_zero_warns(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0;
	struct folio *f = alloc(state, 0);

	free0 = gupsim_nr_free_pages(sim);
	gupsim_folio_put_refs(f, 2);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	gupsim_folio_put(f);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 + 1);
	gupsim_folio_get(f);	/* a reference on a free folio */
	assert_int_equal(fixture_warns(state)->count, 2);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
}

static void unpin_user_pages_groups_runs_and_skips_null(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *large = alloc(state, 2), *small = alloc(state, 0);
	struct page *pages[7];

	gupsim_try_grab_folio(large, 4, FOLL_PIN);
	gupsim_try_grab_folio(small, 2, FOLL_PIN);
	pages[0] = gupsim_folio_page(large, 0);
	pages[1] = gupsim_folio_page(large, 1);
	pages[2] = NULL;
	pages[3] = &small->page;
	pages[4] = gupsim_folio_page(large, 2);
	pages[5] = gupsim_folio_page(large, 3);
	pages[6] = &small->page;
	gupsim_unpin_user_pages(pages, 7);
	assert_int_equal(gupsim_folio_pincount(large), 0);
	assert_int_equal(gupsim_folio_ref_count(large), 1);
	assert_int_equal(gupsim_folio_ref_count(small), 1);
	assert_int_equal(REL(sim), 6);
	assert_int_equal(fixture_warns(state)->count, 0);
	/* an errno as a count is refused with a WARN */
	gupsim_unpin_user_pages(pages, (unsigned long)-EFAULT);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_int_equal(REL(sim), 6);
	gupsim_folio_put(large);
	gupsim_folio_put(small);
}

static void unpin_dirty_lock_marks_each_folio_dirty(void **state)
{
	struct folio *a = alloc(state, 1), *b = alloc(state, 0);
	struct page *pages[3] = { gupsim_folio_page(a, 0), gupsim_folio_page(a, 1), &b->page };

	gupsim_try_grab_folio(a, 2, FOLL_PIN);
	gupsim_try_grab_folio(b, 1, FOLL_PIN);
	gupsim_unpin_user_pages_dirty_lock(pages, 3, false);
	assert_false(gupsim_folio_test_dirty(a));
	gupsim_try_grab_folio(a, 2, FOLL_PIN);
	gupsim_try_grab_folio(b, 1, FOLL_PIN);
	gupsim_unpin_user_pages_dirty_lock(pages, 3, true);
	assert_true(gupsim_folio_test_dirty(a));
	assert_true(gupsim_folio_test_dirty(b));
	assert_int_equal(gupsim_folio_ref_count(a), 1);
	assert_int_equal(gupsim_folio_ref_count(b), 1);
	gupsim_folio_put(a);
	gupsim_folio_put(b);
}

static void unpin_range_walks_folio_by_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 3);

	gupsim_try_grab_folio(f, 6, FOLL_PIN);
	gupsim_unpin_user_page_range_dirty_lock(gupsim_folio_page(f, 2), 6, true);
	assert_int_equal(gupsim_folio_pincount(f), 0);
	assert_true(gupsim_folio_test_dirty(f));
	assert_int_equal(REL(sim), 6);
	gupsim_folio_put(f);
}

static void unpin_folios_groups_identical_pointers(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *a = alloc(state, 2), *b = alloc(state, 0);
	struct folio *folios[5] = { a, a, NULL, b, a };

	gupsim_try_grab_folio(a, 3, FOLL_PIN);
	gupsim_try_grab_folio(b, 1, FOLL_PIN);
	gupsim_unpin_folios(folios, 5);
	assert_int_equal(gupsim_folio_pincount(a), 0);
	assert_int_equal(gupsim_folio_ref_count(b), 1);
	assert_int_equal(REL(sim), 4);
	gupsim_unpin_folios(folios, (unsigned long)-EINVAL);
	assert_int_equal(fixture_warns(state)->count, 1);
	gupsim_folio_put(a);
	gupsim_folio_put(b);
}

static void null_arguments_are_harmless(void **state)
{
	(void)state;
	assert_int_equal(gupsim_try_grab_folio(NULL, 1, FOLL_PIN), -EINVAL);
	assert_int_equal(gupsim_folio_add_pins(NULL, 1), -EINVAL);
	gupsim_unpin_user_page(NULL);
	gupsim_unpin_user_pages(NULL, 3);
	gupsim_unpin_folio(NULL);
	gupsim_unpin_folios(NULL, 2);
	gupsim_put_page(NULL);
	gupsim_folio_put(NULL);
	assert_false(gupsim_folio_maybe_dma_pinned(NULL));
	assert_null(gupsim_page_folio(NULL));
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, sim_setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SETUP(pin_small_page_adds_bias),
		SETUP(pin_large_folio_adds_one_ref_and_one_pincount),
		SETUP(order1_folio_has_pincount_on_64bit),
		SETUP(get_adds_one_ref_and_no_stat),
		SETUP(neither_get_nor_pin_grabs_nothing),
		SETUP(pin_zero_page_is_a_noop_and_uncounted),
		SETUP(get_zero_page_adds_a_ref),
		SETUP(pin_huge_zero_folio_is_counted),
		SETUP(folio_add_pin_is_not_counted),
		SETUP(folio_add_pin_on_unpinned_folio_warns),
		SETUP(folio_add_pins_is_counted),
		SETUP(maybe_dma_pinned_false_positive_at_1024_refs),
		SETUP(grab_of_freed_folio_warns_enomem),
		cmocka_unit_test(p2pdma_needs_its_flag),
		cmocka_unit_test(fast_grab_refuses_unpinnable_longterm),
		SETUP(small_page_pin_overflow_is_refused),
		SETUP(unpin_of_unpinned_warns_and_changes_nothing),
		SETUP(put_below_zero_warns),
		SETUP(unpin_user_pages_groups_runs_and_skips_null),
		SETUP(unpin_dirty_lock_marks_each_folio_dirty),
		SETUP(unpin_range_walks_folio_by_folio),
		SETUP(unpin_folios_groups_identical_pointers),
		cmocka_unit_test(null_arguments_are_harmless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
