// SPDX-License-Identifier: MIT
/*
 * semantics.md §1.3 and §1.10: argument validation of every GUP entry point.
 * Each invalid call is one WARN and the entry point's own return value
 * (-EINVAL, or 0 for pin_user_pages*), with nothing grabbed.
 */
#include <limits.h>

#include "gup_fixture.h"

/* A mapped, written page whose counts must not move on a failing call. */
struct probe {
	unsigned long addr;
	struct page *page;
	int ref;
	long acq;
};

static struct probe probe_setup(struct gup_fx *fx)
{
	struct probe p;

	p.addr = fx_map_anon(fx, 4);
	fx_touch(fx, p.addr, 4, 0x5a);
	p.page = fx_page(fx, p.addr);
	p.ref = fx_ref(p.page);
	p.acq = ACQ(fx);
	return p;
}

/* Nothing was grabbed, and exactly @warns WARNs were reported. */
static void probe_unchanged(struct gup_fx *fx, const struct probe *p, int warns_before,
			    int warns)
{
	assert_int_equal(fx_ref(p->page), p->ref);
	assert_int_equal(ACQ(fx), p->acq);
	assert_int_equal(WARNS(fx) - warns_before, warns);
}

static const unsigned int internal_flags[] = {
	FOLL_TOUCH, FOLL_TRIED, FOLL_REMOTE, FOLL_PIN, FOLL_FAST_ONLY, FOLL_UNLOCKABLE,
	FOLL_MADV_POPULATE,
};

/* semantics.md §1.3 check 1: a caller may not pass internal flags, to any entry point. */
static void internal_flags_rejected_everywhere(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[4];

	for (size_t i = 0; i < ARRAY_SIZE(internal_flags); i++) {
		unsigned int f = internal_flags[i];
		int w = WARNS(fx);

		assert_int_equal(fx_gup(fx, p.addr, 1, f, pages), -EINVAL);
		assert_int_equal(fx_gup_remote(fx, p.addr, 1, f, pages),
				 -EINVAL);
		assert_int_equal(gupsim_get_user_pages_unlocked(p.addr, 1, pages, f), -EINVAL);
		assert_int_equal(gupsim_get_user_pages_fast(p.addr, 1, f, pages), -EINVAL);
		assert_int_equal(gupsim_get_user_pages_fast_only(p.addr, 1, f, pages), -EINVAL);
		assert_int_equal(gupsim_pin_user_pages_fast(p.addr, 1, f, pages), -EINVAL);
		/* the historical quirk: 0, not -EINVAL */
		assert_int_equal(fx_pup(fx, p.addr, 1, f, pages), 0);
		assert_int_equal(fx_pup_remote(fx, p.addr, 1, f, pages), 0);
		assert_int_equal(gupsim_pin_user_pages_unlocked(p.addr, 1, pages, f), 0);
		probe_unchanged(fx, &p, w, 9);
	}
	/* validation runs before MMF_HAS_PINNED is set */
	assert_false(gupsim_mm_has_pinned(fx->mm));
}

/* semantics.md §1.3 check 3: *locked must be 1. */
static void locked_must_be_one(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1];
	int w = WARNS(fx);

	for (int v = -1; v <= 2; v++) {
		int locked = v;

		if (v == 1)
			continue;
		assert_int_equal(gupsim_get_user_pages_remote(fx->mm, p.addr, 1, 0, pages,
							      &locked), -EINVAL);
		assert_int_equal(gupsim_pin_user_pages_remote(fx->mm, p.addr, 1, 0, pages,
							      &locked), 0);
		assert_int_equal(locked, v);	/* untouched */
	}
	probe_unchanged(fx, &p, w, 6);
}

/* semantics.md §1.3 check 4: GET and PIN together. */
static void get_and_pin_together(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1];
	int w = WARNS(fx);

	assert_int_equal(fx_pup(fx, p.addr, 1, FOLL_GET, pages), 0);
	assert_int_equal(gupsim_pin_user_pages_unlocked(p.addr, 1, pages, FOLL_GET), 0);
	assert_int_equal(fx_pup_remote(fx, p.addr, 1, FOLL_GET, pages), 0);
	assert_int_equal(gupsim_pin_user_pages_fast(p.addr, 1, FOLL_GET, pages), -EINVAL);
	probe_unchanged(fx, &p, w, 4);
}

/* semantics.md §1.3 check 5: FOLL_LONGTERM needs FOLL_PIN. */
static void longterm_without_pin(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1];
	int w = WARNS(fx);

	assert_int_equal(fx_gup(fx, p.addr, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_remote(fx->mm, p.addr, 1, FOLL_LONGTERM, pages,
						      NULL), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_unlocked(p.addr, 1, pages, FOLL_LONGTERM), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast(p.addr, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast_only(p.addr, 1, FOLL_LONGTERM, pages),
			 -EINVAL);
	probe_unchanged(fx, &p, w, 5);
}

/* semantics.md §1.3 check 6: GET or PIN without a pages array. */
static void null_pages_with_get_or_pin(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	int w = WARNS(fx);

	assert_int_equal(fx_gup(fx, p.addr, 1, FOLL_GET, NULL), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast(p.addr, 1, 0, NULL), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast_only(p.addr, 1, 0, NULL), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages_fast(p.addr, 1, 0, NULL), -EINVAL);
	assert_int_equal(fx_pup(fx, p.addr, 1, 0, NULL), 0);
	assert_int_equal(fx_pup_remote(fx, p.addr, 1, 0, NULL), 0);
	assert_int_equal(gupsim_pin_user_pages_unlocked(p.addr, 1, NULL, 0), 0);
	probe_unchanged(fx, &p, w, 7);
}

/* Without GET or PIN a NULL array is valid: a fault-in that keeps nothing. */
static void null_pages_without_get_faults_in_only(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 3);
	struct probe p = probe_setup(fx);
	int w = WARNS(fx);

	assert_null(gupsim_follow_page(fx->mm, addr));
	assert_int_equal(fx_gup(fx, addr, 3, FOLL_WRITE, NULL), 3);
	assert_int_equal(fx_gup_remote(fx, p.addr, 4, 0, NULL), 4);
	probe_unchanged(fx, &p, w, 0);
	for (int i = 0; i < 3; i++) {
		struct page *page = fx_page(fx, addr + (unsigned long)i * PAGE_SIZE);

		/* the mapping's reference only */
		assert_int_equal(fx_ref(page), 1);
	}
}

/* semantics.md §1.3 check 7: FOLL_LONGTERM with FOLL_PCI_P2PDMA (not lifted upstream). */
static void longterm_with_p2pdma(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1];
	unsigned int f = FOLL_LONGTERM | FOLL_PCI_P2PDMA;
	int w = WARNS(fx);

	assert_int_equal(fx_pup(fx, p.addr, 1, f, pages), 0);
	assert_int_equal(fx_pup_remote(fx, p.addr, 1, f, pages), 0);
	assert_int_equal(gupsim_pin_user_pages_unlocked(p.addr, 1, pages, f), 0);
	assert_int_equal(gupsim_pin_user_pages_fast(p.addr, 1, f, pages), -EINVAL);
	probe_unchanged(fx, &p, w, 4);
}

/* semantics.md §1.10 step 1: the fast variants accept only a whitelist of flags. */
static void fast_flag_whitelist(void **state)
{
	static const unsigned int refused[] = {
		FOLL_DUMP, FOLL_NOWAIT, FOLL_HWPOISON, FOLL_ANON, FOLL_SPLIT_PMD,
		FOLL_INTERRUPTIBLE,
	};
	static const unsigned int accepted[] = {
		FOLL_WRITE, FOLL_FORCE, FOLL_NOFAULT, FOLL_HONOR_NUMA_FAULT, FOLL_PCI_P2PDMA,
	};
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1];
	int w = WARNS(fx);

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		assert_int_equal(gupsim_get_user_pages_fast(p.addr, 1, refused[i], pages), -EINVAL);
		assert_int_equal(gupsim_pin_user_pages_fast(p.addr, 1, refused[i], pages), -EINVAL);
		assert_int_equal(gupsim_get_user_pages_fast_only(p.addr, 1, refused[i], pages),
				 -EINVAL);
	}
	probe_unchanged(fx, &p, w, 3 * (int)ARRAY_SIZE(refused));
	/* the whitelist check comes before MMF_HAS_PINNED */
	assert_false(gupsim_mm_has_pinned(fx->mm));

	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++) {
		assert_int_equal(gupsim_get_user_pages_fast(p.addr, 1, accepted[i], pages), 1);
		assert_ptr_equal(pages[0], p.page);
		gupsim_put_page(pages[0]);
	}
	probe_unchanged(fx, &p, w, 3 * (int)ARRAY_SIZE(refused));
}

/*
 * semantics.md §1.10 edge cases: a negative count is sign-extended; -n from a start
 * of at least n pages overflows (-EOVERFLOW), from below it wraps past
 * TASK_SIZE_MAX (-EFAULT). Never 0, never a WARN. A pin still sets
 * MMF_HAS_PINNED, which happens before the range checks.
 */
static void fast_negative_counts(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1];
	int w = WARNS(fx);

	assert_true(p.addr >= 4 * PAGE_SIZE);
	assert_int_equal(gupsim_get_user_pages_fast(p.addr, -1, 0, pages), -EOVERFLOW);
	assert_int_equal(gupsim_get_user_pages_fast(p.addr, -4, 0, pages), -EOVERFLOW);
	assert_int_equal(gupsim_get_user_pages_fast(PAGE_SIZE, -1, 0, pages), -EOVERFLOW);
	assert_int_equal(gupsim_get_user_pages_fast(PAGE_SIZE, -2, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_fast(0, -1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_fast(0, INT_MIN, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_fast_only(p.addr, -1, 0, pages), -EOVERFLOW);
	assert_false(gupsim_mm_has_pinned(fx->mm));
	assert_int_equal(gupsim_pin_user_pages_fast(0, -1, 0, pages), -EFAULT);
	assert_true(gupsim_mm_has_pinned(fx->mm));
	probe_unchanged(fx, &p, w, 0);
}

/* semantics.md §1.10: a range that ends above TASK_SIZE_MAX is -EFAULT for the fast variants. */
static void fast_range_beyond_task_size(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[2];
	int w = WARNS(fx);

	assert_int_equal(gupsim_get_user_pages_fast(TASK_SIZE_MAX - PAGE_SIZE, 2, 0, pages),
			 -EFAULT);
	assert_int_equal(gupsim_pin_user_pages_fast(TASK_SIZE_MAX, 1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_fast(ULONG_MAX & PAGE_MASK, 1, 0, pages),
			 -EOVERFLOW);
	probe_unchanged(fx, &p, w, 0);
}

/* semantics.md §1.10: zero pages is 0 and nothing else, for every variant. */
static void zero_pages_is_zero(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1] = { NULL };
	long slow = STAT(fx, GUPSIM_NR_GUP_SLOW_CALLS);
	int w = WARNS(fx);

	assert_int_equal(fx_gup(fx, p.addr, 0, 0, pages), 0);
	assert_int_equal(fx_gup_remote(fx, p.addr, 0, 0, pages), 0);
	assert_int_equal(gupsim_get_user_pages_unlocked(p.addr, 0, pages, 0), 0);
	assert_int_equal(gupsim_get_user_pages_fast(p.addr, 0, 0, pages), 0);
	assert_int_equal(gupsim_get_user_pages_fast_only(p.addr, 0, 0, pages), 0);
	assert_int_equal(fx_pup(fx, p.addr, 0, 0, pages), 0);
	assert_int_equal(fx_pup_remote(fx, p.addr, 0, 0, pages), 0);
	assert_int_equal(gupsim_pin_user_pages_unlocked(p.addr, 0, pages, 0), 0);
	/* semantics.md §1.6 step 1: the slow path returns before setting MMF_HAS_PINNED */
	assert_false(gupsim_mm_has_pinned(fx->mm));
	assert_int_equal(gupsim_pin_user_pages_fast(p.addr, 0, 0, pages), 0);
	/* semantics.md §1.10 step 2: the fast path sets it before looking at the range */
	assert_true(gupsim_mm_has_pinned(fx->mm));
	assert_null(pages[0]);
	assert_int_equal(STAT(fx, GUPSIM_NR_GUP_SLOW_CALLS), slow);
	probe_unchanged(fx, &p, w, 0);
}

/* semantics.md §1.6, §1.11: an unaligned start means the page that contains it. */
static void unaligned_start_rounds_down(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[2];
	struct page *second = fx_page(fx, p.addr + PAGE_SIZE);

	assert_int_equal(fx_gup(fx, p.addr + 100, 1, 0, pages), 1);
	assert_ptr_equal(pages[0], p.page);
	assert_int_equal(fx_ref(p.page), p.ref + 1);
	gupsim_put_page(pages[0]);

	/* nr_pages counts from the page of start: two pages, not three */
	assert_int_equal(gupsim_pin_user_pages_fast(p.addr + PAGE_SIZE - 1, 2, 0, pages), 2);
	assert_ptr_equal(pages[0], p.page);
	assert_ptr_equal(pages[1], second);
	assert_int_equal(ACQ(fx) - p.acq, 2);
	gupsim_unpin_user_pages(pages, 2);

	assert_int_equal(fx_pup(fx, p.addr + 1, 2, 0, pages), 2);
	assert_ptr_equal(pages[1], second);
	gupsim_unpin_user_pages(pages, 2);
	assert_int_equal(fx_ref(p.page), p.ref);
	assert_int_equal(ACQ(fx), REL(fx));
}

/* semantics.md §1.10: slow variants take unsigned counts; a huge one ends at the first hole. */
static void slow_huge_counts_stop_at_the_hole(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[8];
	unsigned long hole = fx_map_anon(fx, 1);
	int w = WARNS(fx);

	assert_int_equal(gupsim_munmap(fx->mm, hole, PAGE_SIZE), 0);
	/* nothing at all: -EFAULT whatever the count */
	assert_int_equal(fx_gup(fx, hole, ULONG_MAX, 0, pages), -EFAULT);
	assert_int_equal(fx_pup(fx, hole, (unsigned long)-1, 0, pages), -EFAULT);
	assert_int_equal(fx_gup(fx, TASK_SIZE_MAX + PAGE_SIZE, 1, 0, pages), -EFAULT);
	probe_unchanged(fx, &p, w, 0);

	/* one page, then the hole: a huge count gives 1 */
	assert_int_equal(gupsim_munmap(fx->mm, p.addr + PAGE_SIZE, 3 * PAGE_SIZE), 0);
	assert_int_equal(fx_gup(fx, p.addr, ULONG_MAX, 0, pages), 1);
	assert_ptr_equal(pages[0], p.page);
	gupsim_put_page(pages[0]);
	assert_int_equal(fx_pup(fx, p.addr, (unsigned long)-1, 0, pages), 1);
	assert_int_equal(ACQ(fx) - p.acq, 1);
	gupsim_unpin_user_page(pages[0]);
	assert_int_equal(fx_ref(p.page), p.ref);
	assert_int_equal(REL(fx), ACQ(fx));
	assert_int_equal(WARNS(fx), w);
}

/* The kernel would oops on a NULL mm; gupsim reports it as invalid. */
static void null_mm_is_invalid(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct page *pages[1];
	struct vm_area_struct *vma = NULL;

	assert_int_equal(gupsim_get_user_pages_remote(NULL, p.addr, 1, 0, pages, NULL), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages_remote(NULL, p.addr, 1, 0, pages, NULL), 0);
	assert_int_equal(PTR_ERR(gupsim_get_user_page_vma_remote(NULL, p.addr, 0, &vma)),
			 -EINVAL);
	assert_null(vma);
	assert_int_equal(gupsim_fixup_user_fault(NULL, p.addr, 0, NULL), -EFAULT);

	/* no current->mm (a thread that never called kthread_use_mm()) */
	gupsim_kthread_unuse_mm(fx->mm);
	assert_int_equal(fx_gup(fx, p.addr, 1, 0, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast(p.addr, 1, 0, pages), -EINVAL);
	assert_int_equal(fx_pup(fx, p.addr, 1, 0, pages), 0);
	assert_int_equal(gupsim_pin_user_pages_fast(p.addr, 1, 0, pages), -EINVAL);
	assert_null(gupsim_get_dump_page(p.addr, NULL));
	gupsim_kthread_use_mm(fx->mm);
	assert_int_equal(fx_ref(p.page), p.ref);
	assert_int_equal(ACQ(fx), p.acq);
	assert_false(gupsim_mm_has_pinned(fx->mm));
}

/* get_user_page_vma_remote(): FOLL_NOWAIT is a WARN and -EINVAL (semantics.md §1.4). */
static void vma_remote_refuses_nowait(void **state)
{
	struct gup_fx *fx = FX(state);
	struct probe p = probe_setup(fx);
	struct vm_area_struct *vma = NULL;
	struct page *page;
	int w = WARNS(fx);

	page = gupsim_get_user_page_vma_remote(fx->mm, p.addr, FOLL_NOWAIT, &vma);
	assert_int_equal(PTR_ERR(page), -EINVAL);
	probe_unchanged(fx, &p, w, 1);

	gupsim_mmap_read_lock(fx->mm);
	page = gupsim_get_user_page_vma_remote(fx->mm, p.addr + 5, 0, &vma);
	gupsim_mmap_read_unlock(fx->mm);
	assert_ptr_equal(page, p.page);
	assert_non_null(vma);
	assert_true(vma->vm_start <= p.addr && p.addr < vma->vm_end);
	assert_int_equal(fx_ref(p.page), p.ref + 1);
	gupsim_put_page(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(internal_flags_rejected_everywhere, gup_fx_setup,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(locked_must_be_one, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(get_and_pin_together, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(longterm_without_pin, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(null_pages_with_get_or_pin, gup_fx_setup,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(null_pages_without_get_faults_in_only, gup_fx_setup,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(longterm_with_p2pdma, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(fast_flag_whitelist, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(fast_negative_counts, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(fast_range_beyond_task_size, gup_fx_setup,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(zero_pages_is_zero, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(unaligned_start_rounds_down, gup_fx_setup,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(slow_huge_counts_stop_at_the_hole, gup_fx_setup,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(null_mm_is_invalid, gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(vma_remote_refuses_nowait, gup_fx_setup,
						gup_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
