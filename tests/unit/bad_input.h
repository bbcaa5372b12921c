/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the bad-input survey (tests/unit/test_bad_input_*.c):
 * every public function gets the worst arguments, and each test checks the
 * documented result (errno or return value, or a WARN through the handler),
 * and that nothing else changed: free pages, every vmstat counter except
 * the WARN and bad-page counts, and the counts of the folios involved.
 */
#ifndef GUPSIM_TEST_BAD_INPUT_H
#define GUPSIM_TEST_BAD_INPUT_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include "helpers.h"

#define ERRNO_VALUE(e)	((unsigned long)-(long)(e))	/* an errno as a count */

/* The machine state a rejected call must leave untouched. */
struct bi_snapshot {
	unsigned long free_pages;
	unsigned long vm[GUPSIM_NR_VMSTAT_ITEMS];
};

static inline bool bi_vm_item_tracked(int item)
{
	return item != GUPSIM_NR_WARNINGS && item != GUPSIM_NR_BAD_PAGES;
}

static inline void bi_snap(struct gupsim *sim, struct bi_snapshot *s)
{
	s->free_pages = gupsim_nr_free_pages(sim);
	for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++)
		s->vm[i] = gupsim_vmstat(sim, (enum gupsim_vmstat_item)i);
}

/* Free pages and every counter but the WARN/bad-page ones are as in @s. */
static inline void bi_assert_unchanged(struct gupsim *sim, const struct bi_snapshot *s)
{
	assert_int_equal(gupsim_nr_free_pages(sim), s->free_pages);
	for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++) {
		if (!bi_vm_item_tracked(i))
			continue;
		if (gupsim_vmstat(sim, (enum gupsim_vmstat_item)i) != s->vm[i])
			fail_msg("vmstat %s changed: %lu -> %lu",
				 gupsim_vmstat_name((enum gupsim_vmstat_item)i), s->vm[i],
				 gupsim_vmstat(sim, (enum gupsim_vmstat_item)i));
	}
}

/* Exactly @n WARNs reached the handler since the last call; reset. */
static inline void bi_expect_warns(void **state, int n)
{
	struct warn_log *w = fixture_warns(state);

	if (w->count != n)
		fail_msg("expected %d WARNs, got %d (last: %s)", n, w->count, w->last);
	w->count = 0;
	w->last[0] = '\0';
}

/* The last WARN's text contains @needle. */
static inline void bi_expect_warn_text(void **state, const char *needle)
{
	const char *last = fixture_warns(state)->last;

	if (!strstr(last, needle))
		fail_msg("WARN text \"%s\" lacks \"%s\"", last, needle);
}

/* A folio's observable counts. */
struct bi_folio_counts {
	int ref, pins, mapcount;
	bool dirty;
};

static inline struct bi_folio_counts bi_counts(struct folio *f)
{
	struct bi_folio_counts c = {
		gupsim_folio_ref_count(f), gupsim_folio_pincount(f),
		gupsim_folio_mapcount(f), gupsim_folio_test_dirty(f),
	};
	return c;
}

static inline void bi_assert_counts(struct folio *f, struct bi_folio_counts c)
{
	assert_int_equal(gupsim_folio_ref_count(f), c.ref);
	assert_int_equal(gupsim_folio_pincount(f), c.pins);
	assert_int_equal(gupsim_folio_mapcount(f), c.mapcount);
	assert_int_equal(gupsim_folio_test_dirty(f), c.dirty);
}

/* A machine with the given tweaks and its warnings captured. */
static inline int bi_setup_debug_pins(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.debug_pins = true;
	return sim_setup_cfg(state, &cfg);
}

#endif /* GUPSIM_TEST_BAD_INPUT_H */
