// SPDX-License-Identifier: MIT
/*
 * Two threads pin and unpin the same small folio and the same large folio
 * a million times each, with the slow and the fast grab; every count must
 * come back to where it started (run under TSan in CI).
 */
#include <pthread.h>
#include "helpers.h"
#include "internal.h"

#define ITERS 1000000

struct shared {
	struct folio *small, *large;
};

static void *hammer(void *arg)
{
	struct shared *s = (struct shared *)arg;

	for (int i = 0; i < ITERS; i++) {
		struct folio *f = (i & 1) ? s->large : s->small;

		if (i & 2) {
			if (gupsim_try_grab_folio(f, 1, FOLL_PIN))
				return (void *)1;
		} else if (try_grab_folio_fast(&f->page, 1, FOLL_PIN) != f) {
			return (void *)1;
		}
		if (!gupsim_folio_maybe_dma_pinned(f))
			return (void *)1;
		gupsim_unpin_folio(f);
	}
	return NULL;
}

static void two_threads_pin_and_unpin_same_folios(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct shared s = {
		.small = gupsim_folio_alloc(sim, 0, 0),
		.large = gupsim_folio_alloc(sim, HPAGE_PMD_ORDER, 0),
	};
	pthread_t t[2];
	void *ret;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &s), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(gupsim_folio_ref_count(s.small), 1);
	assert_int_equal(gupsim_folio_ref_count(s.large), 1);
	assert_int_equal(gupsim_folio_pincount(s.large), 0);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED), 2 * ITERS);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED), 2 * ITERS);
	assert_int_equal(fixture_warns(state)->count, 0);
	gupsim_folio_put(s.small);
	gupsim_folio_put(s.large);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(two_threads_pin_and_unpin_same_folios,
						sim_setup, sim_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
