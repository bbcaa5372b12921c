// SPDX-License-Identifier: MIT
/*
 * debug_pins: put_page() on a pinned page (a pin released with put_page()
 * instead of unpin_user_page()) is reported at the put_page() as a
 * pin-sanitizer finding and drops nothing, so the pin's later unpin
 * balances and nothing is freed twice. It used to be reported only by a
 * later gupsim_check().
 */
#include "gup_fixture.h"

static int debug_pins_setup(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.debug_pins = true;
	return gup_fx_setup_cfg(state, &cfg);
}

static void put_page_of_pinned_small_page_reported_at_put(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct page *page;
	int before;

	fx_touch(fx, addr, 2, 1);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, FOLL_WRITE, &page), 1);
	before = gupsim_page_ref_count(page);
	gupsim_put_page(page);			/* should have been unpin_user_page() */
	assert_int_equal(WARNS(fx), 1);
	assert_non_null(strstr(fx->warns.last, "put_page() of a pinned page"));
	assert_int_equal(STAT(fx, GUPSIM_NR_PIN_SANITIZER_REPORTS), 1);
	assert_int_equal(gupsim_page_ref_count(page), before);
	assert_int_equal(gupsim_check(fx->sim), 0);
	gupsim_unpin_user_page(page);
	assert_int_equal(gupsim_check(fx->sim), 0);
	assert_int_equal(WARNS(fx), 1);
}

static void put_page_of_pinned_thp_reported_at_put(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct page *page;
	int before;

	fx_touch(fx, addr, 1, 1);
	assert_int_equal(gupsim_pin_user_pages_fast(addr + 5 * PAGE_SIZE, 1, FOLL_WRITE, &page),
			 1);
	gupsim_munmap(fx->mm, addr, PMD_SIZE);	/* only the pin holds it now */
	before = gupsim_folio_ref_count(gupsim_page_folio(page));
	assert_int_equal(before, 1);
	gupsim_put_page(page);			/* would free a pinned folio */
	assert_int_equal(WARNS(fx), 1);
	assert_int_equal(gupsim_folio_ref_count(gupsim_page_folio(page)), 1);
	gupsim_unpin_user_page(page);		/* frees it, once */
	assert_int_equal(WARNS(fx), 1);
	assert_int_equal(gupsim_vmstat(fx->sim, GUPSIM_NR_BAD_PAGES), 0);
	assert_int_equal(gupsim_check(fx->sim), 0);
}

static void put_page_of_extra_reference_on_pinned_page_is_fine(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct page *page, *ref;

	fx_touch(fx, addr, 1, 1);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, FOLL_WRITE, &page), 1);
	assert_int_equal(gupsim_get_user_pages_fast(addr, 1, 0, &ref), 1);
	gupsim_put_page(ref);			/* the FOLL_GET reference: fine */
	gupsim_unpin_user_page(page);
	assert_int_equal(WARNS(fx), 0);
	assert_int_equal(gupsim_check(fx->sim), 0);
}

#define T(t) cmocka_unit_test_setup_teardown(t, debug_pins_setup, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(put_page_of_pinned_small_page_reported_at_put),
		T(put_page_of_pinned_thp_reported_at_put),
		T(put_page_of_extra_reference_on_pinned_page_is_fine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
