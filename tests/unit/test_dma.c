// SPDX-License-Identifier: MIT
/*
 * The DMA device and the pin sanitizer: a device reads and writes a page's
 * memory directly; with debug_pins, DMA to a folio that holds no pin or to
 * a freed folio is reported and counted, and still happens.
 */
#include "helpers.h"
#include "internal.h"

static int sim_setup_debug_pins(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.debug_pins = true;
	return sim_setup_cfg(state, &cfg);
}

static unsigned long reports(void **state)
{
	return gupsim_vmstat(fixture_sim(state), GUPSIM_NR_PIN_SANITIZER_REPORTS);
}

static void dma_write_then_read_round_trips(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 0, GUPSIM_ALLOC_ZERO);
	char out[16] = { 0 };

	assert_non_null(folio);
	assert_int_equal(gupsim_dma_write(&folio->page, 100, "device data", 12), 12);
	assert_string_equal((char *)page_address(&folio->page) + 100, "device data");
	assert_int_equal(gupsim_dma_read(&folio->page, 100, out, 12), 12);
	assert_string_equal(out, "device data");
	gupsim_folio_put(folio);
}

static void dma_runs_into_following_pages_of_the_folio(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 2, GUPSIM_ALLOC_ZERO);
	static unsigned char buf[PAGE_SIZE];
	unsigned char *mem;

	assert_non_null(folio);
	mem = page_address(&folio->page);
	memset(buf, 0xab, 200);
	/* page 1, 96 bytes before its end: 104 bytes land in page 2 */
	assert_int_equal(gupsim_dma_write(folio_page(folio, 1), PAGE_SIZE - 96, buf, 200), 200);
	assert_int_equal(mem[2 * PAGE_SIZE - 97], 0);
	assert_int_equal(mem[2 * PAGE_SIZE - 96], 0xab);
	assert_int_equal(mem[2 * PAGE_SIZE + 103], 0xab);
	assert_int_equal(mem[2 * PAGE_SIZE + 104], 0);
	/* an offset past the page itself, still inside the folio */
	assert_int_equal(gupsim_dma_read(&folio->page, 3 * PAGE_SIZE, buf, PAGE_SIZE), PAGE_SIZE);
	/* up to the last byte of the folio is fine, one more is not */
	assert_int_equal(gupsim_dma_write(folio_page(folio, 3), PAGE_SIZE - 1, buf, 1), 1);
	assert_int_equal(gupsim_dma_write(folio_page(folio, 3), PAGE_SIZE - 96, buf, 200),
			 -EINVAL);
	assert_int_equal(gupsim_dma_read(folio_page(folio, 3), PAGE_SIZE, buf, 1), -EINVAL);
	assert_int_equal(gupsim_dma_read(&folio->page, (size_t)-1, buf, 2), -EINVAL);
	gupsim_folio_put(folio);
}

static void dma_past_a_small_folio_is_einval(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 0, GUPSIM_ALLOC_ZERO);
	char buf[8] = "abcdefg";

	assert_non_null(folio);
	assert_int_equal(gupsim_dma_write(&folio->page, PAGE_SIZE - 4, buf, 8), -EINVAL);
	/* nothing was written */
	assert_int_equal(((char *)page_address(&folio->page))[PAGE_SIZE - 4], 0);
	gupsim_folio_put(folio);
}

static void dma_bad_arguments(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 0, 0);
	char buf[4];

	assert_non_null(folio);
	assert_int_equal(gupsim_dma_write(NULL, 0, buf, 4), -EINVAL);
	assert_int_equal(gupsim_dma_read(NULL, 0, buf, 4), -EINVAL);
	assert_int_equal(gupsim_dma_write(&folio->page, 0, NULL, 4), -EINVAL);
	assert_int_equal(gupsim_dma_read(&folio->page, 0, NULL, 4), -EINVAL);
	assert_int_equal(gupsim_dma_read(&folio->page, 0, NULL, 0), 0);
	assert_int_equal(gupsim_dma_read(&folio->page, 0, buf, 0), 0);
	gupsim_folio_put(folio);
}

static void no_sanitizer_without_debug_pins(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 0, 0);
	unsigned long before = reports(state);

	assert_non_null(folio);
	assert_int_equal(gupsim_dma_write(&folio->page, 0, "x", 1), 1);
	assert_int_equal(reports(state), before);
	assert_int_equal(fixture_warns(state)->count, 0);
	gupsim_folio_put(folio);
}

static void sanitizer_reports_dma_to_unpinned_page(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 0, GUPSIM_ALLOC_ZERO);
	unsigned long before = reports(state);

	assert_non_null(folio);
	assert_int_equal(gupsim_dma_write(&folio->page, 0, "late", 5), 5);
	assert_int_equal(reports(state), before + 1);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_non_null(strstr(fixture_warns(state)->last,
			       "pin sanitizer: DMA write of 5 bytes to pfn"));
	assert_non_null(strstr(fixture_warns(state)->last, "the folio holds no pin"));
	/* the access happened all the same, as real DMA would */
	assert_string_equal((char *)page_address(&folio->page), "late");
	gupsim_folio_put(folio);
}

static void sanitizer_accepts_dma_to_pinned_page(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 0, GUPSIM_ALLOC_ZERO);
	unsigned long before = reports(state);
	char buf[4];

	assert_non_null(folio);
	assert_int_equal(gupsim_try_grab_folio(folio, 1, FOLL_PIN), 0);
	assert_int_equal(pin_shadow_count(folio), 1);
	assert_int_equal(gupsim_dma_write(&folio->page, 0, "ok", 3), 3);
	assert_int_equal(gupsim_dma_read(&folio->page, 0, buf, 3), 3);
	assert_int_equal(reports(state), before);
	assert_int_equal(fixture_warns(state)->count, 0);

	/* once unpinned, the device has no business there any more */
	gupsim_unpin_user_page(&folio->page);
	assert_int_equal(gupsim_dma_read(&folio->page, 0, buf, 3), 3);
	assert_int_equal(reports(state), before + 1);
	gupsim_folio_put(folio);
}

static void sanitizer_reports_dma_through_a_get_reference(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), 0, 0);
	unsigned long before = reports(state);

	assert_non_null(folio);
	assert_int_equal(gupsim_try_grab_folio(folio, 1, FOLL_GET), 0);
	assert_int_equal(gupsim_dma_write(&folio->page, 0, "g", 1), 1);
	assert_int_equal(reports(state), before + 1);
	gupsim_folio_put(folio);
	gupsim_folio_put(folio);
}

static void sanitizer_counts_pins_per_folio(void **state)
{
	struct folio *folio = gupsim_folio_alloc(fixture_sim(state), HPAGE_PMD_ORDER, 0);
	unsigned long before = reports(state);

	assert_non_null(folio);
	/* one pin on the large folio covers a DMA to any of its pages */
	assert_int_equal(gupsim_try_grab_folio(folio, 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_dma_write(folio_page(folio, 300), 10, "tail", 4), 4);
	gupsim_folio_add_pin(folio);
	gupsim_unpin_user_page(&folio->page);
	assert_int_equal(gupsim_dma_write(folio_page(folio, 511), 0, "end", 3), 3);
	assert_int_equal(reports(state), before);
	gupsim_unpin_user_page(&folio->page);
	assert_int_equal(gupsim_dma_write(folio_page(folio, 511), 0, "end", 3), 3);
	assert_int_equal(reports(state), before + 1);
	gupsim_folio_put(folio);
}

static void sanitizer_reports_dma_to_freed_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folio = gupsim_folio_alloc(sim, 0, 0);
	unsigned long before = reports(state);
	struct page *page;

	assert_non_null(folio);
	page = &folio->page;
	gupsim_folio_put(folio);	/* freed: refcount 0 */
	assert_int_equal(gupsim_page_ref_count(page), 0);
	assert_int_equal(gupsim_dma_write(page, 0, "uaf", 4), 4);
	assert_int_equal(reports(state), before + 1);
	assert_non_null(strstr(fixture_warns(state)->last, "the folio has been freed"));
}

static void sanitizer_zero_page_read_ok_write_reported(void **state)
{
	struct page *zero = gupsim_zero_page(fixture_sim(state));
	unsigned long before = reports(state);
	char zeros[8] = { 0 }, buf[8];

	/* a R/O pin of the zero page records no pin (semantics.md §2.4) */
	assert_int_equal(gupsim_try_grab_folio(page_folio(zero), 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_dma_read(zero, 0, buf, 8), 8);
	assert_int_equal(reports(state), before);
	assert_int_equal(gupsim_dma_write(zero, 0, zeros, 8), 8);
	assert_int_equal(reports(state), before + 1);
	assert_non_null(strstr(fixture_warns(state)->last, "the shared zero page"));
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test_setup_teardown(dma_write_then_read_round_trips, sim_setup,
						sim_teardown),
		cmocka_unit_test_setup_teardown(dma_runs_into_following_pages_of_the_folio,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(dma_past_a_small_folio_is_einval, sim_setup,
						sim_teardown),
		cmocka_unit_test_setup_teardown(dma_bad_arguments, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(no_sanitizer_without_debug_pins, sim_setup,
						sim_teardown),
	};
	const struct CMUnitTest sanitizer[] = {
		cmocka_unit_test_setup_teardown(sanitizer_reports_dma_to_unpinned_page,
						sim_setup_debug_pins, sim_teardown),
		cmocka_unit_test_setup_teardown(sanitizer_accepts_dma_to_pinned_page,
						sim_setup_debug_pins, sim_teardown),
		cmocka_unit_test_setup_teardown(sanitizer_reports_dma_through_a_get_reference,
						sim_setup_debug_pins, sim_teardown),
		cmocka_unit_test_setup_teardown(sanitizer_counts_pins_per_folio,
						sim_setup_debug_pins, sim_teardown),
		cmocka_unit_test_setup_teardown(sanitizer_reports_dma_to_freed_folio,
						sim_setup_debug_pins, sim_teardown),
		cmocka_unit_test_setup_teardown(sanitizer_zero_page_read_ok_write_reported,
						sim_setup_debug_pins, sim_teardown),
	};
	int failed = cmocka_run_group_tests_name("dma", plain, NULL, NULL);

	return failed + cmocka_run_group_tests_name("pin_sanitizer", sanitizer, NULL, NULL);
}
