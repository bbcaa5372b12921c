// SPDX-License-Identifier: MIT
/*
 * A device write to the small zero page is reported whether or not
 * debug_pins is set: it needs no shadow count to be seen (it used to be
 * checked only with debug_pins). A device read of it is fine.
 */
#include "helpers.h"
#include "internal.h"

static void dma_write_to_zero_page_reported_without_debug_pins(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct page *zero = gupsim_zero_page(sim);
	char zeros[8] = { 0 }, buf[8];

	assert_false(sim->cfg.debug_pins);
	assert_int_equal(gupsim_dma_read(zero, 0, buf, 8), 8);
	assert_int_equal(w->count, 0);
	assert_int_equal(gupsim_dma_write(zero, 0, zeros, 8), 8);
	assert_int_equal(w->count, 1);
	assert_non_null(strstr(w->last, "pin sanitizer: DMA write of 8 bytes"));
	assert_non_null(strstr(w->last, "the shared zero page"));
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_PIN_SANITIZER_REPORTS), 1);
	assert_int_equal(gupsim_check(sim), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(dma_write_to_zero_page_reported_without_debug_pins,
						sim_setup, sim_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
