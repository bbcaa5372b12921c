// SPDX-License-Identifier: MIT
/*
 * Bad-input survey, part 4: the get_user_pages()/pin_user_pages() family
 * (gup.h, semantics.md §1, §4.7, §10). Invalid flag combinations WARN once and
 * return -EINVAL (0 for the three pin_user_pages wrappers, semantics.md §1.3);
 * counts that overflow give the fast path's -EOVERFLOW/-EFAULT (semantics.md §1.10);
 * ranges with holes give -EFAULT or a partial count (semantics.md §1.5); and nothing is
 * grabbed, pinned, faulted in or counted by a call that fails.
 */
#include <sys/mman.h>

#include "bad_input.h"

struct gup_bi {
	struct sim_fixture f;		/* first: fixture_sim() and fixture_warns() */
	struct mm_struct *mm;
	unsigned long anon;		/* 4 pages, R/W, private anonymous, written */
};

#define NPAGES	4

static struct mm_struct *fx_mm(void **state) { return ((struct gup_bi *)*state)->mm; }
static unsigned long fx_anon(void **state) { return ((struct gup_bi *)*state)->anon; }

static int gup_setup(void **state)
{
	struct gupsim_config cfg;
	struct gup_bi *g = calloc(1, sizeof(*g));
	char buf[NPAGES * 4096] = { 1 };

	if (!g)
		return -1;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	g->f.sim = gupsim_create(&cfg);
	if (!g->f.sim)
		return -1;
	gupsim_set_warn_handler(g->f.sim, warn_log_fn, &g->f.warns);
	g->mm = gupsim_mm_create(g->f.sim);
	if (!g->mm)
		return -1;
	g->anon = gupsim_mmap(g->mm, 0, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (GUPSIM_IS_ERR_VALUE(g->anon) ||
	    gupsim_write(g->mm, g->anon, buf, sizeof(buf)) != (long)sizeof(buf))
		return -1;
	gupsim_kthread_use_mm(g->mm);
	*state = g;
	return 0;
}

static int gup_teardown(void **state)
{
	struct gup_bi *g = *state;

	if (gupsim_current()->mm)
		gupsim_kthread_unuse_mm(gupsim_current()->mm);
	gupsim_mm_put(g->mm);
	gupsim_destroy(g->f.sim);
	free(g);
	return 0;
}

/* The refcounts of the mapped folios, to compare before and after. */
static void mapped_refs(void **state, int refs[NPAGES])
{
	for (int i = 0; i < NPAGES; i++) {
		struct page *p = gupsim_follow_page(fx_mm(state), fx_anon(state) + i * PAGE_SIZE);

		assert_non_null(p);
		refs[i] = gupsim_page_count(p);
	}
}

struct before {
	struct bi_snapshot s;
	int refs[NPAGES];
	bool pinned;
};

static void before_take(void **state, struct before *b)
{
	bi_snap(fixture_sim(state), &b->s);
	mapped_refs(state, b->refs);
	b->pinned = gupsim_mm_has_pinned(fx_mm(state));
}

/* Nothing grabbed or counted; the mm's MMF_HAS_PINNED as before. */
static void before_assert(void **state, const struct before *b)
{
	int refs[NPAGES];

	bi_assert_unchanged(fixture_sim(state), &b->s);
	mapped_refs(state, refs);
	assert_memory_equal(refs, b->refs, sizeof(refs));
	assert_int_equal(gupsim_mm_has_pinned(fx_mm(state)), b->pinned);
}

/* The checks of is_valid_gup_args(), in the kernel's order (semantics.md §1.3). */
static void invalid_flag_combinations(void **state)
{
	unsigned long a = fx_anon(state);
	struct mm_struct *mm = fx_mm(state);
	struct page *pages[NPAGES];
	int locked;
	struct before b;

	before_take(state, &b);
	gupsim_mmap_read_lock(mm);
	/* an internal flag from the caller */
	assert_int_equal(gupsim_get_user_pages(a, 1, FOLL_PIN, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages(a, 1, FOLL_TOUCH, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_remote(mm, a, 1, FOLL_REMOTE, pages, NULL),
			 -EINVAL);
	assert_int_equal(gupsim_pin_user_pages(a, 1, FOLL_TOUCH, pages), 0);
	assert_int_equal(gupsim_pin_user_pages(a, 1, FOLL_MADV_POPULATE, pages), 0);
	assert_int_equal(gupsim_pin_user_pages_remote(mm, a, 1, FOLL_FAST_ONLY, pages, NULL), 0);
	/* *locked must be 1 */
	locked = 0;
	assert_int_equal(gupsim_get_user_pages_remote(mm, a, 1, 0, pages, &locked), -EINVAL);
	locked = 2;
	assert_int_equal(gupsim_pin_user_pages_remote(mm, a, 1, 0, pages, &locked), 0);
	locked = -1;
	assert_int_equal(gupsim_get_user_pages_remote(mm, a, 1, 0, pages, &locked), -EINVAL);
	/* FOLL_GET and FOLL_PIN together */
	assert_int_equal(gupsim_pin_user_pages(a, 1, FOLL_GET, pages), 0);
	/* FOLL_LONGTERM without FOLL_PIN */
	assert_int_equal(gupsim_get_user_pages(a, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_remote(mm, a, 1, FOLL_LONGTERM | FOLL_WRITE,
						      pages, NULL), -EINVAL);
	/* a reference or a pin without a pages array */
	assert_int_equal(gupsim_get_user_pages(a, 1, FOLL_GET, NULL), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages(a, 1, 0, NULL), 0);
	assert_int_equal(gupsim_pin_user_pages_remote(mm, a, 1, 0, NULL, NULL), 0);
	/* FOLL_LONGTERM with FOLL_PCI_P2PDMA */
	assert_int_equal(gupsim_pin_user_pages(a, 1, FOLL_LONGTERM | FOLL_PCI_P2PDMA, pages), 0);
	gupsim_mmap_read_unlock(mm);
	bi_expect_warns(state, 16);
	assert_int_equal(gupsim_get_user_pages_unlocked(a, 1, pages, FOLL_LONGTERM), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages_unlocked(a, 1, NULL, FOLL_WRITE), 0);
	assert_int_equal(gupsim_pin_user_pages_unlocked(a, 1, pages, FOLL_TRIED), 0);
	assert_int_equal(gupsim_get_user_pages_fast(a, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast(a, 1, FOLL_PIN, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast_only(a, 1, 0, NULL), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages_fast(a, 1, FOLL_GET, pages), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages_fast(a, 1, FOLL_LONGTERM | FOLL_PCI_P2PDMA,
						    pages), -EINVAL);
	bi_expect_warns(state, 8);
	/* none of these reached the mm: MMF_HAS_PINNED stays clear */
	before_assert(state, &b);
}

/* semantics.md §1.10 step 1: the fast path takes only nine flags. */
static void fast_path_refuses_other_flags(void **state)
{
	static const unsigned int refused[] = {
		FOLL_DUMP, FOLL_NOWAIT, FOLL_HWPOISON, FOLL_ANON, FOLL_SPLIT_PMD,
		FOLL_INTERRUPTIBLE, 1u << 13, 1u << 15, 1u << 23, 1u << 31,
	};
	unsigned long a = fx_anon(state);
	struct page *pages[NPAGES];
	struct before b;
	int n = (int)(sizeof(refused) / sizeof(refused[0]));

	before_take(state, &b);
	for (int i = 0; i < n; i++) {
		assert_int_equal(gupsim_get_user_pages_fast(a, 1, refused[i], pages), -EINVAL);
		assert_int_equal(gupsim_get_user_pages_fast_only(a, 1, refused[i], pages),
				 -EINVAL);
		assert_int_equal(gupsim_pin_user_pages_fast(a, 1, refused[i], pages), -EINVAL);
		assert_false(gupsim_get_user_page_fast_only(a, refused[i], pages));
	}
	bi_expect_warns(state, 4 * n);
	before_assert(state, &b);
}

/*
 * semantics.md §1.10: a negative count is sign-extended; start + len overflowing
 * is -EOVERFLOW, an end beyond the user address space -EFAULT. A pin call
 * sets MMF_HAS_PINNED before these checks (semantics.md §3.3).
 */
static void fast_path_counts_that_overflow(void **state)
{
	unsigned long a = fx_anon(state);
	struct page *pages[NPAGES];
	struct before b;

	before_take(state, &b);
	assert_int_equal(gupsim_get_user_pages_fast(a, -1, 0, pages), -EOVERFLOW);
	assert_int_equal(gupsim_get_user_pages_fast(a, INT_MIN, 0, pages), -EOVERFLOW);
	assert_int_equal(gupsim_get_user_pages_fast_only(a, -ENOMEM, 0, pages), -EOVERFLOW);
	assert_int_equal(gupsim_get_user_pages_fast(0, -1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_fast(a, INT_MAX, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_fast(ULONG_MAX, 1, 0, pages), -EOVERFLOW);
	assert_int_equal(gupsim_get_user_pages_fast((1UL << 47) - PAGE_SIZE, 2, 0, pages),
			 -EFAULT);
	assert_false(gupsim_get_user_page_fast_only(ULONG_MAX, 0, pages));
	/* zero pages: 0, nothing taken (api.md §9.5) */
	assert_int_equal(gupsim_get_user_pages_fast(a, 0, 0, pages), 0);
	assert_int_equal(gupsim_get_user_pages_fast_only(a, 0, FOLL_WRITE, pages), 0);
	bi_expect_warns(state, 0);
	before_assert(state, &b);

	/* pins: the same errnos, but the mm is marked as having pinned */
	assert_int_equal(gupsim_pin_user_pages_fast(a, -1, FOLL_WRITE, pages), -EOVERFLOW);
	assert_true(gupsim_mm_has_pinned(fx_mm(state)));
	assert_int_equal(gupsim_pin_user_pages_fast(0, -2, FOLL_LONGTERM, pages), -EFAULT);
	assert_int_equal(gupsim_pin_user_pages_fast(a, 0, 0, pages), 0);
	b.pinned = true;
	before_assert(state, &b);
	bi_expect_warns(state, 0);
}

/* The slow variants: 0 pages is 0; unsigned counts fail at the hole. */
static void slow_path_counts_and_holes(void **state)
{
	unsigned long a = fx_anon(state);
	struct mm_struct *mm = fx_mm(state);
	struct page *pages[2 * NPAGES];
	struct before b;
	long ret;

	before_take(state, &b);
	gupsim_mmap_read_lock(mm);
	assert_int_equal(gupsim_get_user_pages(a, 0, 0, pages), 0);
	assert_int_equal(gupsim_pin_user_pages(a, 0, 0, pages), 0);
	assert_int_equal(gupsim_get_user_pages_remote(mm, a, 0, 0, pages, NULL), 0);
	assert_int_equal(gupsim_pin_user_pages_remote(mm, a, 0, 0, pages, NULL), 0);
	gupsim_mmap_read_unlock(mm);
	assert_int_equal(gupsim_get_user_pages_unlocked(a, 0, pages, 0), 0);
	assert_int_equal(gupsim_pin_user_pages_unlocked(a, 0, pages, 0), 0);
	/* semantics.md §1.6 step 1: nothing happened, not even MMF_HAS_PINNED */
	before_assert(state, &b);

	gupsim_mmap_read_lock(mm);
	/* a hole at the first page: -EFAULT; user addresses beyond TASK_SIZE too */
	assert_int_equal(gupsim_get_user_pages(0x1000, 1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages(ULONG_MAX, 1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_pin_user_pages(ULONG_MAX & PAGE_MASK, ULONG_MAX, 0, pages),
			 -EFAULT);
	assert_int_equal(gupsim_get_user_pages_remote(mm, 1UL << 47, 1, 0, pages, NULL),
			 -EFAULT);
	/* ULONG_MAX pages from an unaligned start: the 4 mapped, then the hole */
	ret = gupsim_get_user_pages(a + 123, ULONG_MAX, 0, pages);
	gupsim_mmap_read_unlock(mm);
	assert_int_equal(ret, NPAGES);
	for (int i = 0; i < NPAGES; i++)
		gupsim_put_page(pages[i]);
	bi_expect_warns(state, 0);
	b.pinned = true;	/* the pin calls reached the mm */
	bi_snap(fixture_sim(state), &b.s);	/* slow-path calls were counted */
	before_assert(state, &b);
}

/* Holding no mm at all: a WARN and the invalid-arguments result. */
static void no_current_mm(void **state)
{
	unsigned long a = fx_anon(state);
	struct page *pages[NPAGES];
	struct vm_area_struct *vma = NULL;
	struct page *page;
	struct before b;

	gupsim_kthread_unuse_mm(fx_mm(state));
	before_take(state, &b);
	assert_int_equal(gupsim_get_user_pages(a, 1, 0, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_unlocked(a, 1, pages, 0), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast(a, 1, 0, pages), -EINVAL);
	assert_int_equal(gupsim_get_user_pages_fast_only(a, 1, 0, pages), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages_fast(a, 1, 0, pages), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages(a, 1, 0, pages), 0);
	assert_int_equal(gupsim_pin_user_pages_unlocked(a, 1, pages, 0), 0);
	assert_false(gupsim_get_user_page_fast_only(a, 0, pages));
	assert_null(gupsim_get_dump_page(a, NULL));
	assert_null(gupsim_pfn_to_page_current(0));
	/* the remote variants with a NULL mm */
	assert_int_equal(gupsim_get_user_pages_remote(NULL, a, 1, 0, pages, NULL), -EINVAL);
	assert_int_equal(gupsim_pin_user_pages_remote(NULL, a, 1, 0, pages, NULL), 0);
	page = gupsim_get_user_page_vma_remote(NULL, a, 0, &vma);
	assert_true(GUPSIM_IS_ERR_VALUE((unsigned long)page));
	assert_int_equal((long)page, -EINVAL);
	assert_null(vma);
	assert_int_equal(gupsim_fixup_user_fault(NULL, a, 0, NULL), -EFAULT);
	/* no machine to report to: the WARNs went to stderr */
	bi_expect_warns(state, 0);
	before_assert(state, &b);
	gupsim_kthread_use_mm(fx_mm(state));
}

static void get_user_page_vma_remote_bad_arguments(void **state)
{
	unsigned long a = fx_anon(state);
	struct mm_struct *mm = fx_mm(state);
	struct vm_area_struct *vma = NULL;
	struct page *page;
	struct before b;

	before_take(state, &b);
	gupsim_mmap_read_lock(mm);
	page = gupsim_get_user_page_vma_remote(mm, a, FOLL_NOWAIT, &vma);
	assert_int_equal((long)page, -EINVAL);
	page = gupsim_get_user_page_vma_remote(mm, a, -1, &vma);	/* every flag */
	assert_int_equal((long)page, -EINVAL);
	bi_expect_warns(state, 2);
	page = gupsim_get_user_page_vma_remote(mm, a, FOLL_LONGTERM, &vma);
	assert_int_equal((long)page, -EINVAL);
	bi_expect_warns(state, 1);
	page = gupsim_get_user_page_vma_remote(mm, 0x1000, 0, &vma);
	assert_int_equal((long)page, -EFAULT);
	assert_null(vma);
	bi_expect_warns(state, 0);
	bi_snap(fixture_sim(state), &b.s);	/* the hole was a slow-path call */
	/* a NULL vmap is allowed */
	page = gupsim_get_user_page_vma_remote(mm, a + 5, 0, NULL);
	gupsim_mmap_read_unlock(mm);
	assert_false(GUPSIM_IS_ERR_VALUE((unsigned long)page));
	gupsim_put_page(page);
	bi_snap(fixture_sim(state), &b.s);
	before_assert(state, &b);
}

/* get_dump_page(): holes and never-touched memory are NULL (semantics.md §10). */
static void get_dump_page_holes(void **state)
{
	struct mm_struct *mm = fx_mm(state);
	unsigned long fresh;
	int locked = 1;
	struct before b;

	fresh = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(fresh));
	before_take(state, &b);
	assert_null(gupsim_get_dump_page(0x1000, NULL));
	assert_null(gupsim_get_dump_page(ULONG_MAX, NULL));
	assert_null(gupsim_get_dump_page(fresh, NULL));	/* never touched: a hole */
	gupsim_mmap_read_lock(mm);
	assert_null(gupsim_get_dump_page(fresh, &locked));
	gupsim_mmap_read_unlock(mm);
	assert_int_equal(locked, 1);
	bi_expect_warns(state, 0);
	bi_snap(fixture_sim(state), &b.s);
	before_assert(state, &b);
	assert_null(gupsim_follow_page(mm, fresh));	/* nothing faulted in */
}

/* The caller must hold mmap_lock for the plain and remote variants. */
static void slow_path_without_the_lock_warns(void **state)
{
	unsigned long a = fx_anon(state);
	struct page *pages[1];
	int locked = 1;

	assert_int_equal(gupsim_get_user_pages(a, 1, 0, pages), 1);
	bi_expect_warn_text(state, "mmap_lock");
	bi_expect_warns(state, 1);
	gupsim_put_page(pages[0]);
	assert_int_equal(gupsim_pin_user_pages_remote(fx_mm(state), a, 1, 0, pages, &locked), 1);
	bi_expect_warns(state, 1);
	gupsim_unpin_user_page(pages[0]);
	bi_expect_warns(state, 0);
}

/* A page from a FOLL_GET call released as a pin, and the reverse. */
static void release_with_the_wrong_call(void **state)
{
	unsigned long a = fx_anon(state);
	struct page *pages[1];
	int refs[NPAGES], now[NPAGES];

	mapped_refs(state, refs);
	assert_int_equal(gupsim_get_user_pages_fast(a, 1, 0, pages), 1);
	gupsim_unpin_user_page(pages[0]);	/* a reference is no pin */
	bi_expect_warn_text(state, "not pinned");
	bi_expect_warns(state, 1);
	gupsim_put_page(pages[0]);
	mapped_refs(state, now);
	assert_memory_equal(now, refs, sizeof(refs));
	bi_expect_warns(state, 0);
}

static void memfd_pin_folios_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *memfd = gupsim_file_create(sim, GUPSIM_FILE_MEMFD, "m", 4 * PAGE_SIZE);
	struct file *reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "r", 4 * PAGE_SIZE);
	struct folio *folios[4];
	pgoff_t off = 0;
	struct bi_snapshot s;

	assert_non_null(memfd);
	assert_non_null(reg);
	bi_snap(sim, &s);
	assert_int_equal(gupsim_memfd_pin_folios(NULL, 0, 0, folios, 4, &off), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(reg, 0, 0, folios, 4, &off), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, -1, 0, folios, 4, &off), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, LLONG_MIN, 0, folios, 4, &off), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 2, 1, folios, 4, &off), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 0, folios, 0, &off), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 4 * PAGE_SIZE, folios, 4, &off),
			 -EINVAL);	/* end is inclusive, below the size */
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, LLONG_MAX, folios, 4, &off), -EINVAL);
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 0, NULL, 4, &off), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 0, folios, 4, NULL), -EINVAL);
	bi_expect_warns(state, 2);
	bi_assert_unchanged(sim, &s);
	gupsim_file_put(memfd);
	gupsim_file_put(reg);
}

/* fixup_user_fault(): no VMA, no permission, contradictory fault flags. */
static void fixup_user_fault_bad_arguments(void **state)
{
	struct mm_struct *mm = fx_mm(state);
	unsigned long a = fx_anon(state);
	unsigned long ro;
	bool unlocked = false;

	ro = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(ro));
	gupsim_mmap_read_lock(mm);
	assert_int_equal(gupsim_fixup_user_fault(mm, 0x1000, 0, NULL), -EFAULT);
	assert_int_equal(gupsim_fixup_user_fault(mm, ULONG_MAX, FAULT_FLAG_WRITE, &unlocked),
			 -EFAULT);
	assert_int_equal(gupsim_fixup_user_fault(mm, ro, FAULT_FLAG_WRITE, NULL), -EFAULT);
	bi_expect_warns(state, 0);
	/* sanitize_fault_flags(): UNSHARE with WRITE is a WARN and SIGSEGV */
	assert_int_equal(gupsim_fixup_user_fault(mm, a, FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE,
						 NULL), -EFAULT);
	bi_expect_warns(state, 1);
	assert_int_equal(gupsim_fixup_user_fault(mm, a, FAULT_FLAG_WRITE, &unlocked), 0);
	gupsim_mmap_read_unlock(mm);
	assert_false(unlocked);
	bi_expect_warns(state, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(invalid_flag_combinations, gup_setup, gup_teardown),
		cmocka_unit_test_setup_teardown(fast_path_refuses_other_flags, gup_setup,
						gup_teardown),
		cmocka_unit_test_setup_teardown(fast_path_counts_that_overflow, gup_setup,
						gup_teardown),
		cmocka_unit_test_setup_teardown(slow_path_counts_and_holes, gup_setup,
						gup_teardown),
		cmocka_unit_test_setup_teardown(no_current_mm, gup_setup, gup_teardown),
		cmocka_unit_test_setup_teardown(get_user_page_vma_remote_bad_arguments, gup_setup,
						gup_teardown),
		cmocka_unit_test_setup_teardown(get_dump_page_holes, gup_setup, gup_teardown),
		cmocka_unit_test_setup_teardown(slow_path_without_the_lock_warns, gup_setup,
						gup_teardown),
		cmocka_unit_test_setup_teardown(release_with_the_wrong_call, gup_setup,
						gup_teardown),
		cmocka_unit_test_setup_teardown(memfd_pin_folios_bad_arguments, gup_setup,
						gup_teardown),
		cmocka_unit_test_setup_teardown(fixup_user_fault_bad_arguments, gup_setup,
						gup_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
