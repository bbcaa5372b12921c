// SPDX-License-Identifier: MIT
/*
 * GUP-fast (semantics.md §6, §2.7, §4.5, §5.5): what the lockless walk grabs
 * by itself, when it bails, and that the slow path then does the rest.
 */
#include "gup_fixture.h"

#define PROT_RW	(PROT_READ | PROT_WRITE)

struct fast_stats {
	long calls, fallbacks, slow;
};

static struct fast_stats fast_stats(struct gup_fx *fx)
{
	struct fast_stats s = {
		.calls = STAT(fx, GUPSIM_NR_GUP_FAST_CALLS),
		.fallbacks = STAT(fx, GUPSIM_NR_GUP_FAST_FALLBACKS),
		.slow = STAT(fx, GUPSIM_NR_GUP_SLOW_CALLS),
	};

	return s;
}

static void expect_fast(struct gup_fx *fx, struct fast_stats before, long calls, long fallbacks)
{
	struct fast_stats now = fast_stats(fx);

	assert_int_equal(now.calls - before.calls, calls);
	assert_int_equal(now.fallbacks - before.fallbacks, fallbacks);
	assert_int_equal(now.slow - before.slow, fallbacks);
}

/* A trace callback that records the GUP_FAST events' results. */
struct fast_trace {
	int events;
	long last_ret;
};

static void fast_trace_fn(void *arg, const struct gupsim_trace_record *rec)
{
	struct fast_trace *t = arg;

	if (rec->event == GUPSIM_TRACE_GUP_FAST) {
		t->events++;
		t->last_ret = rec->ret;
	}
}

static void present_pages_need_no_slow_path(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 8);
	struct fast_stats s;
	struct page *pages[8];

	fx_touch(fx, addr, 8, 1);
	s = fast_stats(fx);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 8, FOLL_WRITE, pages), 8);
	expect_fast(fx, s, 1, 0);
	for (int i = 0; i < 8; i++) {
		assert_ptr_equal(pages[i], fx_page(fx, addr + (unsigned long)i * PAGE_SIZE));
		assert_int_equal(fx_ref(pages[i]), 1 + 1024);
	}
	assert_int_equal(ACQ(fx), 8);
	assert_true(gupsim_mm_has_pinned(fx->mm));
	gupsim_unpin_user_pages(pages, 8);

	s = fast_stats(fx);
	assert_int_equal(gupsim_get_user_pages_fast(addr, 8, 0, pages), 8);
	expect_fast(fx, s, 1, 0);
	assert_int_equal(fx_ref(pages[0]), 2);
	for (int i = 0; i < 8; i++)
		gupsim_put_page(pages[i]);
	assert_int_equal(REL(fx), 8);
}

/* Not present: the walk gets nothing, the slow path faults everything in. */
static void untouched_falls_back(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 4);
	struct fast_stats s = fast_stats(fx);
	struct fast_trace t = { 0 };
	struct page *pages[4];

	gupsim_set_trace(fx->sim, fast_trace_fn, &t);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 4, FOLL_WRITE, pages), 4);
	gupsim_set_trace(fx->sim, NULL, NULL);
	expect_fast(fx, s, 1, 1);
	assert_int_equal(t.events, 1);
	assert_int_equal(t.last_ret, 0);
	assert_false(gupsim_is_zero_page(pages[0]));
	assert_int_equal(ACQ(fx), 4);
	gupsim_unpin_user_pages(pages, 4);
}

/* The walk stops at the first page it cannot take; slow starts there. */
static void fallback_starts_at_first_missing_page(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 6);
	struct fast_trace t = { 0 };
	struct page *pages[6];

	fx_touch(fx, addr, 3, 1);
	fx_touch(fx, addr + 4 * PAGE_SIZE, 2, 1);
	gupsim_set_trace(fx->sim, fast_trace_fn, &t);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 6, FOLL_WRITE, pages), 6);
	gupsim_set_trace(fx->sim, NULL, NULL);
	assert_int_equal(t.last_ret, 3);
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(pages[i], fx_page(fx, addr + (unsigned long)i * PAGE_SIZE));
	assert_int_equal(ACQ(fx), 6);
	gupsim_unpin_user_pages(pages, 6);
}

/* semantics.md §1.11: a hole after k pages gives k, fast k plus a slow -EFAULT. */
static void hole_after_k_pages(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 4);
	struct page *pages[4];

	fx_touch(fx, addr, 4, 1);
	assert_int_equal(gupsim_munmap(fx->mm, addr + 2 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 4, FOLL_WRITE, pages), 2);
	assert_int_equal(ACQ(fx), 2);
	gupsim_unpin_user_pages(pages, 2);
	assert_int_equal(gupsim_pin_user_pages_fast(addr + 2 * PAGE_SIZE, 2, 0, pages), -EFAULT);
	assert_int_equal(ACQ(fx), 2);
}

/* semantics.md §2.7: a whole PMD THP is one grab of 512, with the same totals. */
static void pmd_leaf_is_one_batch(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct fast_stats s;
	struct folio *folio;

	fx_touch(fx, addr, 1, 1);
	folio = gupsim_page_folio(fx_page(fx, addr));
	s = fast_stats(fx);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, HPAGE_PMD_NR, FOLL_WRITE, pages),
			 HPAGE_PMD_NR);
	expect_fast(fx, s, 1, 0);
	assert_int_equal(gupsim_folio_ref_count(folio), 1 + HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_pincount(folio), HPAGE_PMD_NR);
	assert_int_equal(ACQ(fx), HPAGE_PMD_NR);
	for (int i = 0; i < HPAGE_PMD_NR; i++)
		assert_ptr_equal(pages[i], gupsim_folio_page(folio, (unsigned long)i));
	gupsim_unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_ref_count(folio), 1);

	/* a range inside the leaf takes only its own pages */
	assert_int_equal(gupsim_get_user_pages_fast(addr + 10 * PAGE_SIZE, 5, 0, pages), 5);
	assert_int_equal(gupsim_folio_ref_count(folio), 1 + 5);
	assert_ptr_equal(pages[0], gupsim_folio_page(folio, 10));
	for (int i = 0; i < 5; i++)
		gupsim_put_page(pages[i]);
	free(pages);
}

/* semantics.md §6: the zero page and the huge zero folio are special: the walk bails. */
static void zero_pages_go_to_the_slow_path(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	unsigned long thp = fx_map_thp(fx, 1);
	struct page *zero = gupsim_zero_page(fx->sim);
	struct page *pages[2];
	struct fast_stats s;
	int z;

	fx_read_fault(fx, addr, 2);
	z = gupsim_page_ref_count(zero);
	s = fast_stats(fx);
	assert_int_equal(gupsim_get_user_pages_fast(addr, 2, 0, pages), 2);
	expect_fast(fx, s, 1, 1);
	assert_ptr_equal(pages[0], zero);
	assert_int_equal(gupsim_page_ref_count(zero), z + 2);
	gupsim_put_page(pages[0]);
	gupsim_put_page(pages[1]);

	fx_read_fault(fx, thp, 1);
	s = fast_stats(fx);
	assert_int_equal(gupsim_pin_user_pages_fast(thp, 2, 0, pages), 2);
	expect_fast(fx, s, 1, 1);
	assert_true(gupsim_is_huge_zero_folio(gupsim_page_folio(pages[0])));
	assert_int_equal(ACQ(fx), 2);
	gupsim_unpin_user_pages(pages, 2);
	assert_int_equal(REL(fx), 2);
}

/* semantics.md §6: a write through a R/O PTE bails; the slow path's write fault COWs. */
static void write_to_readonly_pte_falls_back(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct page *pages[1];
	struct fast_stats s;
	struct page *zero;

	fx_read_fault(fx, addr, 1);
	zero = fx_page(fx, addr);
	s = fast_stats(fx);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, FOLL_WRITE, pages), 1);
	expect_fast(fx, s, 1, 1);
	assert_ptr_not_equal(pages[0], zero);
	assert_ptr_equal(fx_page(fx, addr), pages[0]);
	gupsim_unpin_user_page(pages[0]);
}

/* semantics.md §5.2: a R/O pin of a page shared with a child bails and unshares. */
static void ro_pin_of_shared_page_bails(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct mm_struct *child;
	struct page *pages[1];
	struct fast_stats s;
	struct page *shared;

	fx_touch(fx, addr, 1, 5);
	child = gupsim_fork(fx->mm);
	assert_false(IS_ERR(child));
	shared = fx_page(fx, addr);
	/* GET: the walk takes the shared page itself */
	s = fast_stats(fx);
	assert_int_equal(gupsim_get_user_pages_fast(addr, 1, 0, pages), 1);
	expect_fast(fx, s, 1, 0);
	assert_ptr_equal(pages[0], shared);
	gupsim_put_page(pages[0]);
	/* PIN: the walk must not pin a page COW could replace */
	s = fast_stats(fx);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, 0, pages), 1);
	expect_fast(fx, s, 1, 1);
	assert_ptr_not_equal(pages[0], shared);
	assert_ptr_equal(gupsim_follow_page(child, addr), shared);
	/* the walk's pin on the shared page was put back: a transient 1/1 */
	assert_int_equal(fx_ref(shared), 1);
	assert_int_equal(ACQ(fx), 2);
	assert_int_equal(REL(fx), 1);
	gupsim_unpin_user_page(pages[0]);
	gupsim_mm_put(child);
}

/* FOLL_FAST_ONLY: never a fault, never the slow path, 0 is a valid answer. */
static void fast_only_never_falls_back(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 3);
	struct page *pages[3];
	struct page *page = NULL;
	struct fast_stats s = fast_stats(fx);
	long faults = STAT(fx, GUPSIM_NR_PGFAULT);

	assert_int_equal(gupsim_get_user_pages_fast_only(addr, 3, 0, pages), 0);
	assert_false(gupsim_get_user_page_fast_only(addr, 0, &page));
	assert_int_equal(STAT(fx, GUPSIM_NR_PGFAULT), faults);
	expect_fast(fx, s, 2, 0);

	fx_touch(fx, addr, 2, 1);
	assert_int_equal(gupsim_get_user_pages_fast_only(addr, 3, FOLL_WRITE, pages), 2);
	assert_int_equal(fx_ref(pages[0]), 2);
	gupsim_put_page(pages[0]);
	gupsim_put_page(pages[1]);
	assert_true(gupsim_get_user_page_fast_only(addr + PAGE_SIZE, 0, &page));
	assert_ptr_equal(page, fx_page(fx, addr + PAGE_SIZE));
	gupsim_put_page(page);
	expect_fast(fx, s, 4, 0);
}

/* semantics.md §5.5: while fork copies (odd write_protect_seq), pins skip the walk. */
static void pin_during_fork_copy_goes_slow(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct fast_trace t = { 0 };
	struct page *pages[2];
	struct fast_stats s;

	fx_touch(fx, addr, 2, 1);
	WRITE_ONCE_UL(&fx->mm->write_protect_seq, fx->mm->write_protect_seq + 1);
	gupsim_set_trace(fx->sim, fast_trace_fn, &t);
	s = fast_stats(fx);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 2, 0, pages), 2);
	expect_fast(fx, s, 1, 1);
	assert_int_equal(t.last_ret, 0);
	gupsim_unpin_user_pages(pages, 2);
	/* GET does not look at the seqcount */
	s = fast_stats(fx);
	assert_int_equal(gupsim_get_user_pages_fast(addr, 2, 0, pages), 2);
	expect_fast(fx, s, 1, 0);
	assert_int_equal(t.last_ret, 2);
	gupsim_set_trace(fx->sim, NULL, NULL);
	gupsim_put_page(pages[0]);
	gupsim_put_page(pages[1]);
	WRITE_ONCE_UL(&fx->mm->write_protect_seq, fx->mm->write_protect_seq + 1);
	assert_int_equal(ACQ(fx), 2);
	assert_int_equal(REL(fx), 2);
}

/* PROT_NONE: the walk bails on protnone, the slow path refuses. */
static void prot_none_is_efault(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct page *pages[1];

	fx_touch(fx, addr, 1, 1);
	assert_int_equal(gupsim_mprotect(fx->mm, addr, PAGE_SIZE, PROT_NONE), 0);
	assert_int_equal(gupsim_get_user_pages_fast(addr, 1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, 0, pages), -EFAULT);
	assert_int_equal(fx_ref(fx_page(fx, addr)), 1);
	assert_int_equal(ACQ(fx), 0);
}

/*
 * Oracle (c)/(a) uring_file_shared_write: R/W long-term pin of a written
 * MAP_SHARED regular file: the walk grabs the first page, semantics.md §4.5 rejects it
 * and puts it back (a transient 1/1), the slow path fails with no pin.
 */
static void longterm_rw_shared_file_transient_pin(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_REGULAR, "ext4", 4 * PAGE_SIZE);
	unsigned long addr = fx_mmap(fx, 4 * PAGE_SIZE, PROT_RW, MAP_SHARED, file);
	struct page *pages[4];
	int ref;

	fx_touch(fx, addr, 4, 1);
	ref = fx_ref(fx_page(fx, addr));
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 4, FOLL_WRITE | FOLL_LONGTERM, pages),
			 -EFAULT);
	assert_int_equal(ACQ(fx), 1);
	assert_int_equal(REL(fx), 1);
	assert_int_equal(fx_ref(fx_page(fx, addr)), ref);
	/* R/O long-term pins of it are fine, fast */
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 4, FOLL_LONGTERM, pages), 4);
	gupsim_unpin_user_pages(pages, 4);
	gupsim_file_put(file);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, gup_fx_setup, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(present_pages_need_no_slow_path),
		T(untouched_falls_back),
		T(fallback_starts_at_first_missing_page),
		T(hole_after_k_pages),
		T(pmd_leaf_is_one_batch),
		T(zero_pages_go_to_the_slow_path),
		T(write_to_readonly_pte_falls_back),
		T(ro_pin_of_shared_page_bails),
		T(fast_only_never_falls_back),
		T(pin_during_fork_copy_goes_slow),
		T(prot_none_is_efault),
		T(longterm_rw_shared_file_transient_pin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
