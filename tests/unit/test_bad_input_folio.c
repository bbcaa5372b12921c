// SPDX-License-Identifier: MIT
/*
 * Bad-input survey, part 1: pages, folios, references and pins (folio.h,
 * semantics.md §2, §3). NULL for every pointer, freed folios (refcount 0, which
 * a struct page still shows), counts that overflow, puts below zero, unpins
 * without pins. Each misuse gives the documented result and changes
 * nothing (docs/api.md §8.8, §9.2).
 */
#include "bad_input.h"

static struct folio *alloc(void **state, unsigned int order)
{
	struct folio *f = gupsim_folio_alloc(fixture_sim(state), order, 0);

	assert_non_null(f);
	return f;
}

/* A folio whose last reference is gone: its struct page is still there. */
static struct folio *freed_folio(void **state, unsigned int order)
{
	struct folio *f = alloc(state, order);

	gupsim_folio_put(f);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
	return f;
}

static void null_accessors_return_neutral_values_and_einval(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	errno = 0;
	assert_null(gupsim_page_folio(NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_folio_page(NULL, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_folio_nr_pages(NULL), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_folio_order(NULL), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_folio_ref_count(NULL), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_page_ref_count(NULL), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_page_count(NULL), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_folio_pincount(NULL), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_folio_mapcount(NULL), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(gupsim_page_mapcount(NULL), 0);
	assert_int_equal(errno, EINVAL);

	assert_false(gupsim_folio_test_large(NULL));
	assert_false(gupsim_folio_has_pincount(NULL));
	assert_false(gupsim_folio_try_get(NULL));
	assert_false(gupsim_folio_maybe_dma_pinned(NULL));
	assert_false(gupsim_page_maybe_dma_pinned(NULL));
	assert_false(gupsim_folio_is_longterm_pinnable(NULL));
	assert_false(gupsim_is_zero_page(NULL));
	assert_false(gupsim_is_zero_folio(NULL));
	assert_false(gupsim_is_huge_zero_folio(NULL));
	assert_false(gupsim_folio_test_dirty(NULL));
	assert_false(gupsim_folio_mark_dirty(NULL));
	assert_false(gupsim_folio_test_anon(NULL));
	assert_false(gupsim_folio_test_hugetlb(NULL));
	assert_false(gupsim_PageAnonExclusive(NULL));
	assert_false(gupsim_is_migrate_cma_page(NULL));
	assert_int_equal(gupsim_page_to_pfn(NULL), 0);
	assert_null(gupsim_page_address(NULL));
	assert_null(gupsim_zero_page(NULL));
	assert_null(gupsim_huge_zero_folio(NULL));
	errno = 0;
	assert_int_equal(gupsim_page_zonenum(NULL), ZONE_NORMAL);
	assert_int_equal(errno, EINVAL);
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);
}

static void null_reference_and_pin_calls_do_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	gupsim_get_page(NULL);
	gupsim_put_page(NULL);
	gupsim_folio_get(NULL);
	gupsim_folio_put(NULL);
	gupsim_folio_put_refs(NULL, 1);
	gupsim_folio_put_refs(NULL, INT_MAX);
	gupsim_folio_add_pin(NULL);
	gupsim_unpin_user_page(NULL);
	gupsim_unpin_folio(NULL);
	gupsim_unpin_user_folio(NULL, 1);
	gupsim_unpin_user_pages(NULL, 0);
	gupsim_unpin_user_pages(NULL, 3);
	gupsim_unpin_user_pages_dirty_lock(NULL, 3, false);
	gupsim_unpin_user_pages_dirty_lock(NULL, 3, true);
	gupsim_unpin_user_page_range_dirty_lock(NULL, 3, true);
	gupsim_unpin_folios(NULL, 3);
	gupsim_folio_lock(NULL);
	gupsim_folio_unlock(NULL);
	gupsim_dump_page(NULL, "nothing");
	assert_int_equal(gupsim_try_grab_folio(NULL, 1, FOLL_PIN), -EINVAL);
	assert_int_equal(gupsim_try_grab_folio(NULL, 1, FOLL_GET), -EINVAL);
	assert_int_equal(gupsim_folio_add_pins(NULL, 1), -EINVAL);
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);
}

static void folio_page_index_out_of_range_is_einval(void **state)
{
	struct folio *small = alloc(state, 0);
	struct folio *thp = alloc(state, HPAGE_PMD_ORDER);

	errno = 0;
	assert_null(gupsim_folio_page(small, 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_folio_page(thp, HPAGE_PMD_NR));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_folio_page(thp, ULONG_MAX));
	assert_int_equal(errno, EINVAL);
	assert_ptr_equal(gupsim_folio_page(thp, HPAGE_PMD_NR - 1), &thp->page + HPAGE_PMD_NR - 1);
	gupsim_folio_put(small);
	gupsim_folio_put(thp);
	bi_expect_warns(state, 0);
}

/* semantics.md §2.5 / api.md §9.2: a put below zero WARNs and frees nothing twice. */
static void put_below_zero_warns_and_frees_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = freed_folio(state, 0);
	struct folio *thp = freed_folio(state, HPAGE_PMD_ORDER);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	gupsim_folio_put(f);
	bi_expect_warn_text(state, "refcount underflow");
	bi_expect_warns(state, 1);
	gupsim_put_page(&f->page);
	gupsim_folio_put_refs(f, INT_MAX);
	gupsim_folio_put(thp);
	gupsim_put_page(&thp->page + 7);
	bi_expect_warns(state, 4);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
	assert_int_equal(gupsim_folio_ref_count(thp), 0);
	bi_assert_unchanged(sim, &s);

	/* every page is handed out once: nothing was freed twice */
	assert_int_equal(gupsim_nr_free_pages(sim), s.free_pages);
}

static void put_refs_more_than_held_warns_and_changes_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct bi_snapshot s;

	gupsim_folio_get(f);
	bi_snap(sim, &s);
	gupsim_folio_put_refs(f, 3);
	gupsim_folio_put_refs(f, INT_MAX);
	bi_expect_warns(state, 2);
	/* zero and negative counts do nothing, silently (folio.h) */
	gupsim_folio_put_refs(f, 0);
	gupsim_folio_put_refs(f, -1);
	gupsim_folio_put_refs(f, INT_MIN);
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_folio_ref_count(f), 2);
	bi_assert_unchanged(sim, &s);
	gupsim_folio_put_refs(f, 2);
	assert_int_equal(gupsim_nr_free_pages(sim), s.free_pages + 1);
}

/* api.md §9.2: a get on a freed folio WARNs and does not resurrect it. */
static void get_on_freed_folio_warns_and_changes_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = freed_folio(state, 0);
	struct folio *thp = freed_folio(state, 4);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	gupsim_folio_get(f);
	gupsim_get_page(&f->page);
	gupsim_get_page(&thp->page + 3);
	bi_expect_warns(state, 3);
	assert_false(gupsim_folio_try_get(f));
	assert_false(gupsim_folio_try_get(thp));
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
	assert_int_equal(gupsim_folio_ref_count(thp), 0);
	bi_assert_unchanged(sim, &s);
}

/* A tail page is no folio: its own _refcount is 0, so a get/put WARNs. */
static void tail_page_used_as_folio_warns(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *thp = alloc(state, 2);
	struct folio *tail = (struct folio *)(&thp->page + 1);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	assert_int_equal(gupsim_page_ref_count(&thp->page + 1), 0);
	gupsim_folio_get(tail);
	gupsim_folio_put(tail);
	bi_expect_warns(state, 2);
	assert_int_equal(gupsim_folio_ref_count(thp), 1);
	bi_assert_unchanged(sim, &s);
	gupsim_folio_put(thp);
}

/* try_grab_folio: -EINVAL for refs <= 0 (api.md §9.11), -ENOMEM + WARN on a
 * freed folio (semantics.md §2.2), nothing for neither GET nor PIN. */
static void try_grab_bad_counts_and_freed_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct folio *dead = freed_folio(state, 0);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	assert_int_equal(gupsim_try_grab_folio(f, 0, FOLL_PIN), -EINVAL);
	assert_int_equal(gupsim_try_grab_folio(f, -1, FOLL_PIN), -EINVAL);
	assert_int_equal(gupsim_try_grab_folio(f, INT_MIN, FOLL_GET), -EINVAL);
	assert_int_equal(gupsim_try_grab_folio(f, -ENOMEM, FOLL_GET), -EINVAL);
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_try_grab_folio(dead, 1, FOLL_PIN), -ENOMEM);
	assert_int_equal(gupsim_try_grab_folio(dead, 1, FOLL_GET), -ENOMEM);
	bi_expect_warns(state, 2);
	/* unknown flags and neither GET nor PIN: nothing happens (semantics.md §2.2) */
	assert_int_equal(gupsim_try_grab_folio(f, 1, 0), 0);
	assert_int_equal(gupsim_try_grab_folio(f, 1, 0x80000000u), 0);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(gupsim_folio_ref_count(dead), 0);
	bi_assert_unchanged(sim, &s);
	gupsim_folio_put(f);
}

/*
 * semantics.md §2.5: the refcount is a 32-bit counter that wraps; a huge grab and
 * its release are exact inverses, and the next grab of a wrapped folio
 * fails with -ENOMEM and a WARN.
 */
static void try_grab_int_max_wraps_and_unwinds(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct folio *thp = alloc(state, HPAGE_PMD_ORDER);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	assert_int_equal(gupsim_try_grab_folio(f, INT_MAX, FOLL_PIN), 0);
	assert_int_equal(gupsim_folio_ref_count(f), (int)(1u + (unsigned int)INT_MAX * 1024u));
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED),
			 s.vm[GUPSIM_NR_FOLL_PIN_ACQUIRED] + INT_MAX);
	gupsim_unpin_user_folio(f, INT_MAX);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED),
			 s.vm[GUPSIM_NR_FOLL_PIN_RELEASED] + INT_MAX);

	assert_int_equal(gupsim_try_grab_folio(thp, INT_MAX, FOLL_GET), 0);
	assert_int_equal(gupsim_folio_ref_count(thp), INT_MIN);
	assert_int_equal(gupsim_try_grab_folio(thp, 1, FOLL_PIN), -ENOMEM);
	bi_expect_warns(state, 1);
	gupsim_folio_put_refs(thp, INT_MAX);
	assert_int_equal(gupsim_folio_ref_count(thp), 1);
	assert_int_equal(gupsim_folio_pincount(thp), 0);
	bi_expect_warns(state, 0);
	gupsim_folio_put(f);
	gupsim_folio_put(thp);
}

/* Unpin without pin: the WARN of gup_put_folio(), counts untouched. */
static void unpin_without_pin_warns_and_changes_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct folio *thp = alloc(state, HPAGE_PMD_ORDER);
	struct page *pages[2] = { &f->page, &thp->page + 5 };
	struct folio *folios[2] = { f, thp };
	struct bi_folio_counts cf, ct;
	struct bi_snapshot s;

	gupsim_folio_get(f);	/* 2 plain references: still far from 1024 */
	cf = bi_counts(f);
	ct = bi_counts(thp);
	bi_snap(sim, &s);
	gupsim_unpin_user_page(&f->page);
	bi_expect_warn_text(state, "not pinned");
	gupsim_unpin_user_page(&thp->page + 1);
	gupsim_unpin_folio(f);
	gupsim_unpin_folio(thp);
	gupsim_unpin_user_folio(thp, 3);
	gupsim_unpin_user_pages(pages, 2);
	gupsim_unpin_user_pages_dirty_lock(pages, 2, false);
	gupsim_unpin_user_page_range_dirty_lock(&thp->page, 1, false);
	gupsim_unpin_folios(folios, 2);
	bi_expect_warns(state, 12);
	/* the dirtying variants refuse before they dirty anything */
	gupsim_unpin_user_pages_dirty_lock(pages, 2, true);
	gupsim_unpin_user_page_range_dirty_lock(&thp->page, 2, true);
	gupsim_unpin_user_page_range_dirty_lock(&f->page, 1, true);
	bi_expect_warns(state, 4);
	bi_assert_counts(f, cf);
	bi_assert_counts(thp, ct);
	bi_assert_unchanged(sim, &s);
	gupsim_folio_put_refs(f, 2);
	gupsim_folio_put(thp);
}

static void double_unpin_warns_once_and_keeps_counts(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct folio *thp = alloc(state, 3);
	struct bi_snapshot s;

	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_try_grab_folio(thp, 2, FOLL_PIN), 0);
	gupsim_unpin_folio(f);
	gupsim_unpin_user_folio(thp, 2);
	bi_snap(sim, &s);
	gupsim_unpin_folio(f);
	gupsim_unpin_user_page(&thp->page + 2);
	bi_expect_warns(state, 2);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(gupsim_folio_ref_count(thp), 1);
	assert_int_equal(gupsim_folio_pincount(thp), 0);
	bi_assert_unchanged(sim, &s);

	/* more pins released at once than held: refused as a whole */
	assert_int_equal(gupsim_try_grab_folio(thp, 2, FOLL_PIN), 0);
	bi_snap(sim, &s);
	gupsim_unpin_user_folio(thp, 3);
	bi_expect_warns(state, 1);
	assert_int_equal(gupsim_folio_pincount(thp), 2);
	assert_int_equal(gupsim_folio_ref_count(thp), 3);
	bi_assert_unchanged(sim, &s);
	gupsim_unpin_user_folio(thp, 2);
	gupsim_folio_put(f);
	gupsim_folio_put(thp);
}

/* Counts that cannot be a number of pins (> INT_MAX, errno values). */
static void unpin_user_folio_huge_counts_warn_and_change_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct folio *thp = alloc(state, HPAGE_PMD_ORDER);
	struct bi_snapshot s;

	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_try_grab_folio(thp, 1, FOLL_PIN), 0);
	bi_snap(sim, &s);
	gupsim_unpin_user_folio(thp, ULONG_MAX);
	gupsim_unpin_user_folio(thp, ERRNO_VALUE(EFAULT));
	gupsim_unpin_user_folio(thp, 1UL << 32);
	gupsim_unpin_user_folio(thp, (1UL << 32) | 1);
	gupsim_unpin_user_folio(f, (1UL << 32) | 1);
	gupsim_unpin_user_folio(f, (unsigned long)INT_MAX + 1);
	bi_expect_warns(state, 6);
	assert_int_equal(gupsim_folio_pincount(thp), 1);
	assert_int_equal(gupsim_folio_ref_count(thp), 2);
	assert_int_equal(gupsim_folio_ref_count(f), 1 + 1024);
	bi_assert_unchanged(sim, &s);
	gupsim_unpin_user_folio(f, 0);	/* 0 does nothing (folio.h) */
	bi_expect_warns(state, 0);
	gupsim_unpin_folio(f);
	gupsim_unpin_folio(thp);
	gupsim_folio_put(f);
	gupsim_folio_put(thp);
}

/* semantics.md §2.3: unpin_user_pages() and unpin_folios() refuse errno counts. */
static void unpin_arrays_refuse_errno_counts(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct page *pages[1] = { &f->page };
	struct folio *folios[1] = { f };
	struct bi_snapshot s;

	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	bi_snap(sim, &s);
	gupsim_unpin_user_pages(pages, ERRNO_VALUE(EFAULT));
	gupsim_unpin_user_pages(pages, ERRNO_VALUE(GUPSIM_MAX_ERRNO));
	gupsim_unpin_user_pages(pages, ULONG_MAX);
	gupsim_unpin_user_pages_dirty_lock(pages, ERRNO_VALUE(ENOMEM), false);
	gupsim_unpin_user_pages_dirty_lock(pages, ERRNO_VALUE(ENOMEM), true);
	gupsim_unpin_folios(folios, ERRNO_VALUE(EINVAL));
	bi_expect_warn_text(state, "error value");
	bi_expect_warns(state, 6);
	assert_int_equal(gupsim_folio_ref_count(f), 1 + 1024);
	assert_false(gupsim_folio_test_dirty(f));
	bi_assert_unchanged(sim, &s);
	gupsim_unpin_user_pages(pages, 1);
	gupsim_folio_put(f);
}

/* NULL entries: skipped by unpin_user_pages()/unpin_folios() (semantics.md §2.3);
 * refused as a whole by the dirtying variant, where the kernel crashes. */
static void unpin_arrays_with_null_entries(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct page *pages[4] = { NULL, &f->page, NULL, &f->page };
	struct folio *folios[4] = { f, NULL, f, NULL };
	struct bi_snapshot s;

	assert_int_equal(gupsim_try_grab_folio(f, 2, FOLL_PIN), 0);
	bi_snap(sim, &s);
	gupsim_unpin_user_pages_dirty_lock(pages, 4, true);
	bi_expect_warns(state, 1);
	assert_int_equal(gupsim_folio_ref_count(f), 1 + 2048);
	assert_false(gupsim_folio_test_dirty(f));
	bi_assert_unchanged(sim, &s);

	gupsim_unpin_user_pages(pages, 4);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(gupsim_try_grab_folio(f, 2, FOLL_PIN), 0);
	gupsim_unpin_folios(folios, 4);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	bi_expect_warns(state, 0);
	gupsim_folio_put(f);
}

/* A range past the end of memory is refused before anything is released. */
static void unpin_range_past_end_of_memory_warns(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct bi_snapshot s;

	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	bi_snap(sim, &s);
	gupsim_unpin_user_page_range_dirty_lock(&f->page, ULONG_MAX, true);
	gupsim_unpin_user_page_range_dirty_lock(&f->page, ERRNO_VALUE(EINVAL), false);
	bi_expect_warns(state, 2);
	assert_int_equal(gupsim_folio_ref_count(f), 1 + 1024);
	assert_false(gupsim_folio_test_dirty(f));
	bi_assert_unchanged(sim, &s);
	gupsim_unpin_user_page_range_dirty_lock(&f->page, 0, true);	/* nothing */
	gupsim_unpin_user_page_range_dirty_lock(&f->page, 1, true);
	assert_true(gupsim_folio_test_dirty(f));
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	bi_expect_warns(state, 0);
	gupsim_folio_put(f);
}

/* Unpins of a freed folio: WARN, and the free block is not touched. */
static void unpin_freed_folio_warns_and_changes_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = freed_folio(state, 0);
	struct folio *thp = freed_folio(state, HPAGE_PMD_ORDER);
	struct page *pages[2] = { &f->page, &thp->page + 9 };
	struct bi_snapshot s;

	bi_snap(sim, &s);
	gupsim_unpin_user_page(&f->page);
	gupsim_unpin_user_page(&thp->page + 1);
	gupsim_unpin_user_pages(pages, 2);
	gupsim_unpin_folio(thp);
	bi_expect_warns(state, 5);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
	assert_int_equal(gupsim_folio_ref_count(thp), 0);
	bi_assert_unchanged(sim, &s);
}

/*
 * folio_add_pin() on a folio that holds no pin WARNs (semantics.md §2.3); on a freed
 * folio it must also leave the free memory alone, or the next unpin would
 * free it a second time.
 */
static void folio_add_pin_on_freed_folio_changes_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = freed_folio(state, 0);
	struct folio *thp = freed_folio(state, 2);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	gupsim_folio_add_pin(f);
	gupsim_folio_add_pin(thp);
	bi_expect_warns(state, 2);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
	assert_int_equal(gupsim_folio_ref_count(thp), 0);
	assert_int_equal(gupsim_folio_pincount(thp), 0);
	gupsim_unpin_folio(f);
	bi_expect_warns(state, 1);
	bi_assert_unchanged(sim, &s);
}

/* folio_add_pins(): -EINVAL for 0 and > INT_MAX (api.md §9.11); on an
 * unpinned folio VM_WARN, then the grab (counted). */
static void folio_add_pins_bad_counts(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct folio *dead = freed_folio(state, 0);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	assert_int_equal(gupsim_folio_add_pins(f, 0), -EINVAL);
	assert_int_equal(gupsim_folio_add_pins(f, (unsigned int)INT_MAX + 1), -EINVAL);
	assert_int_equal(gupsim_folio_add_pins(f, UINT_MAX), -EINVAL);
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_folio_add_pins(dead, 1), -ENOMEM);
	bi_expect_warns(state, 2);	/* not pinned; refcount 0 */
	assert_int_equal(gupsim_folio_ref_count(dead), 0);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	bi_assert_unchanged(sim, &s);
	gupsim_folio_put(f);
}

static void folio_unlock_of_unlocked_folio_warns(void **state)
{
	struct folio *f = alloc(state, 0);

	gupsim_folio_unlock(f);
	bi_expect_warns(state, 1);
	gupsim_folio_lock(f);
	gupsim_folio_unlock(f);
	gupsim_folio_unlock(f);
	bi_expect_warns(state, 1);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	gupsim_folio_put(f);
}

/* Reading a freed folio is fine and says what it is. */
static void queries_on_freed_folio_are_safe(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = freed_folio(state, HPAGE_PMD_ORDER);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	assert_false(gupsim_folio_maybe_dma_pinned(f));
	assert_false(gupsim_folio_test_large(f));	/* no longer a head */
	assert_int_equal(gupsim_folio_mapcount(f), 0);
	assert_int_equal(gupsim_page_count(&f->page + 100), 0);
	assert_ptr_equal(gupsim_page_folio(&f->page + 100), (struct folio *)(&f->page + 100));
	assert_int_equal(gupsim_page_to_pfn(&f->page + 1), gupsim_page_to_pfn(&f->page) + 1);
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);
}

/*
 * Pointer arithmetic past a folio reaches struct pages the machine never
 * initialised (the memmap is touched lazily): queries answer neutrally,
 * grabs are -EINVAL, unpins WARN and skip them.
 */
static void pages_past_a_folio_are_refused(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = alloc(state, 0);
	struct page *stray = &f->page + 1001;	/* inside a free block */
	struct folio *stray_folio = (struct folio *)stray;
	struct page *pages[2] = { &f->page, stray };
	struct bi_snapshot s;

	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	bi_snap(sim, &s);
	assert_int_equal(gupsim_page_to_pfn(stray), 0);
	assert_null(gupsim_page_address(stray));
	assert_false(gupsim_is_zero_page(stray));
	assert_false(gupsim_is_zero_folio(stray_folio));
	assert_false(gupsim_is_huge_zero_folio(stray_folio));
	assert_false(gupsim_is_migrate_cma_page(stray));
	assert_false(gupsim_folio_is_longterm_pinnable(stray_folio));
	assert_false(gupsim_folio_maybe_dma_pinned(stray_folio));
	assert_int_equal(gupsim_try_grab_folio(stray_folio, 1, FOLL_PIN), -EINVAL);
	assert_int_equal(gupsim_try_grab_folio(stray_folio, 1, FOLL_GET), -EINVAL);
	assert_int_equal(gupsim_folio_add_pins(stray_folio, 1), -EINVAL);
	/* no machine to tell: these WARNs go to stderr */
	gupsim_folio_add_pin(stray_folio);
	gupsim_unpin_user_page(stray);
	gupsim_unpin_folio(stray_folio);
	gupsim_unpin_user_folio(stray_folio, 1);
	gupsim_unpin_folios(&stray_folio, 1);
	gupsim_unpin_user_page_range_dirty_lock(stray, 1, true);
	bi_expect_warns(state, 0);
	/* the dirtying variant refuses the whole array */
	gupsim_unpin_user_pages_dirty_lock(pages, 2, true);
	bi_expect_warns(state, 1);
	assert_false(gupsim_folio_test_dirty(f));
	bi_assert_unchanged(sim, &s);
	assert_int_equal(gupsim_folio_ref_count(f), 1 + 1024);

	/* the others release what they can and skip the stray entry */
	gupsim_unpin_user_pages(pages, 2);
	bi_expect_warn_text(state, "never initialised");
	bi_expect_warns(state, 1);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	pages[0] = stray;	/* the stray entry first */
	pages[1] = &f->page;
	gupsim_unpin_user_pages(pages, 2);
	bi_expect_warns(state, 1);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	assert_int_equal(gupsim_try_grab_folio(f, 1, FOLL_PIN), 0);
	/* f, the free head of the next block, then a never-touched page */
	gupsim_unpin_user_page_range_dirty_lock(&f->page, 3, false);
	bi_expect_warns(state, 2);
	assert_int_equal(gupsim_folio_ref_count(f), 1);
	gupsim_folio_put(f);
}

/*
 * A put without a get on the zero page or the huge zero folio: their
 * entries hold no reference (mm_internal.h), so this would free memory
 * that every zero-page mapping still reads. WARN, keep them.
 */
static void zero_page_put_without_get_keeps_it(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct page *zero = gupsim_zero_page(sim);
	struct folio *huge = gupsim_huge_zero_folio(sim);
	struct bi_snapshot s;

	assert_non_null(zero);
	assert_non_null(huge);
	bi_snap(sim, &s);
	assert_int_equal(gupsim_page_count(zero), 1);
	gupsim_put_page(zero);
	gupsim_folio_put(gupsim_page_folio(zero));
	gupsim_folio_put(huge);
	gupsim_put_page(gupsim_folio_page(huge, 3));
	gupsim_folio_put_refs(huge, 2);		/* more than held: the usual underflow */
	bi_expect_warns(state, 5);
	assert_int_equal(gupsim_page_count(zero), 1);
	assert_int_equal(gupsim_folio_ref_count(huge), 1);
	assert_true(gupsim_is_zero_page(zero));
	assert_true(gupsim_is_huge_zero_folio(huge));
	bi_assert_unchanged(sim, &s);
	/* balanced gets and puts are fine */
	gupsim_get_page(zero);
	gupsim_put_page(zero);
	gupsim_folio_get(huge);
	gupsim_folio_put(huge);
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_page_count(zero), 1);
	bi_assert_unchanged(sim, &s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(null_accessors_return_neutral_values_and_einval,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(null_reference_and_pin_calls_do_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(folio_page_index_out_of_range_is_einval,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(put_below_zero_warns_and_frees_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(put_refs_more_than_held_warns_and_changes_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(get_on_freed_folio_warns_and_changes_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(tail_page_used_as_folio_warns,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(try_grab_bad_counts_and_freed_folio,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(try_grab_int_max_wraps_and_unwinds,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(unpin_without_pin_warns_and_changes_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(double_unpin_warns_once_and_keeps_counts,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(unpin_user_folio_huge_counts_warn_and_change_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(unpin_arrays_refuse_errno_counts,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(unpin_arrays_with_null_entries,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(unpin_range_past_end_of_memory_warns,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(unpin_freed_folio_warns_and_changes_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(folio_add_pin_on_freed_folio_changes_nothing,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(folio_add_pins_bad_counts,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(folio_unlock_of_unlocked_folio_warns,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(queries_on_freed_folio_are_safe,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(pages_past_a_folio_are_refused,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(zero_page_put_without_get_keeps_it,
						sim_setup, sim_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
