// SPDX-License-Identifier: MIT
/*
 * GUP-fast and the slow path racing everything that changes page tables
 * (semantics.md §5.5, §6, and real threads, not a simulated
 * schedule): munmap + mmap,
 * fork, COW writes, MADV_DONTNEED, THP splits and long-term migration, all
 * on one mm from other threads. At the end every page must be back with
 * the allocator, nr_foll_pin_acquired == released, and no WARN or bad page
 * may have been reported. Run under TSan with the `threads` label.
 */
#include <pthread.h>

#include "gup_fixture.h"

#define NR_PAGES	64
#define ITERS		400

struct race {
	struct gup_fx *fx;
	unsigned long anon;		/* NR_PAGES small pages */
	unsigned long thp;		/* one PMD THP region */
	pthread_barrier_t start;
	int pin_errors;			/* pins that did not look pinned */
};

static void use_mm(struct race *r)
{
	gupsim_kthread_use_mm(r->fx->mm);
	pthread_barrier_wait(&r->start);
}

/* Every page handed out must be pinned (or be the zero page) until unpinned. */
static void check_pinned(struct race *r, struct page **pages, long n)
{
	for (long i = 0; i < n; i++) {
		struct page *p = pages[i];

		if (!gupsim_is_zero_page(p) && !gupsim_page_maybe_dma_pinned(p))
			__atomic_add_fetch(&r->pin_errors, 1, __ATOMIC_RELAXED);
	}
}

static void *fast_pinner(void *arg)
{
	struct race *r = arg;
	struct page *pages[NR_PAGES];

	use_mm(r);
	for (int i = 0; i < ITERS; i++) {
		unsigned int flags = (i & 1) ? FOLL_WRITE : 0;
		long n = gupsim_pin_user_pages_fast(r->anon, NR_PAGES, flags | FOLL_LONGTERM, pages);

		if (n > 0) {
			check_pinned(r, pages, n);
			gupsim_unpin_user_pages(pages, (unsigned long)n);
		}
		n = gupsim_pin_user_pages_fast(r->thp + (unsigned long)(i % 448) * PAGE_SIZE,
					       NR_PAGES, flags, pages);
		if (n > 0) {
			check_pinned(r, pages, n);
			gupsim_unpin_user_pages(pages, (unsigned long)n);
		}
		n = gupsim_get_user_pages_fast_only(r->anon, NR_PAGES, 0, pages);
		for (long j = 0; j < n; j++)
			gupsim_put_page(pages[j]);
	}
	gupsim_kthread_unuse_mm(r->fx->mm);
	return NULL;
}

static void *slow_pinner(void *arg)
{
	struct race *r = arg;
	struct page *pages[NR_PAGES];

	use_mm(r);
	for (int i = 0; i < ITERS; i++) {
		long n = gupsim_pin_user_pages_unlocked(r->anon, NR_PAGES, pages,
							FOLL_LONGTERM | FOLL_WRITE);

		if (n > 0) {
			check_pinned(r, pages, n);
			gupsim_unpin_user_pages_dirty_lock(pages, (unsigned long)n, true);
		}
		n = gupsim_get_user_pages_unlocked(r->thp, NR_PAGES, pages, 0);
		for (long j = 0; j < n; j++)
			gupsim_put_page(pages[j]);
	}
	gupsim_kthread_unuse_mm(r->fx->mm);
	return NULL;
}

/* munmap + MAP_FIXED mmap of a slice, DONTNEED of another, COW writes. */
static void *mapper(void *arg)
{
	struct race *r = arg;
	struct mm_struct *mm = r->fx->mm;

	use_mm(r);
	for (int i = 0; i < ITERS; i++) {
		unsigned long slice = r->anon + (unsigned long)(i % 8) * 8 * PAGE_SIZE;
		unsigned char byte = (unsigned char)i;

		if (i % 3 == 0) {
			gupsim_munmap(mm, slice, 4 * PAGE_SIZE);
			gupsim_mmap(mm, slice, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		} else if (i % 3 == 1) {
			gupsim_madvise(mm, slice, 8 * PAGE_SIZE, MADV_DONTNEED);
		}
		for (int p = 0; p < NR_PAGES; p += 5)
			gupsim_write(mm, r->anon + (unsigned long)p * PAGE_SIZE, &byte, 1);
		gupsim_write(mm, r->thp + (unsigned long)(i % 512) * PAGE_SIZE, &byte, 1);
	}
	gupsim_kthread_unuse_mm(mm);
	return NULL;
}

/* fork (write_protect_seq), then COW in the parent; THP splits by mprotect. */
static void *forker(void *arg)
{
	struct race *r = arg;
	struct mm_struct *mm = r->fx->mm;

	use_mm(r);
	for (int i = 0; i < ITERS / 4; i++) {
		struct mm_struct *child = gupsim_fork(mm);
		unsigned char byte = 0xcc;

		if (!IS_ERR(child)) {
			gupsim_write(child, r->anon, &byte, 1);
			gupsim_mm_put(child);
		}
		gupsim_mprotect(mm, r->thp + PAGE_SIZE, PAGE_SIZE, PROT_READ);
		gupsim_mprotect(mm, r->thp + PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE);
		if (i % 4 == 0)
			gupsim_madvise(mm, r->thp, PMD_SIZE, MADV_DONTNEED);
	}
	gupsim_kthread_unuse_mm(mm);
	return NULL;
}

static void gup_races_everything(void **state)
{
	struct gup_fx *fx = FX(state);
	struct race r = { .fx = fx };
	void *(*fns[])(void *) = { fast_pinner, fast_pinner, slow_pinner, mapper, forker };
	pthread_t tids[ARRAY_SIZE(fns)];

	r.anon = fx_map_anon(fx, NR_PAGES);
	r.thp = fx_map_thp(fx, 1);
	fx_touch(fx, r.anon, NR_PAGES, 1);
	fx_touch(fx, r.thp, 1, 1);
	pthread_barrier_init(&r.start, NULL, ARRAY_SIZE(fns));
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++)
		assert_int_equal(pthread_create(&tids[i], NULL, fns[i], &r), 0);
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++)
		pthread_join(tids[i], NULL);
	pthread_barrier_destroy(&r.start);

	assert_int_equal(r.pin_errors, 0);
	assert_int_equal(ACQ(fx), REL(fx));
	assert_true(ACQ(fx) > 0);
	assert_int_equal(WARNS(fx), 0);
	assert_int_equal(STAT(fx, GUPSIM_NR_BAD_PAGES), 0);
	/* the fixture's teardown checks that every page came back */
}

static int setup_movable(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.movable_mb = 32;	/* re-faulted pages land here: long-term pins migrate */
	return gup_fx_setup_cfg(state, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(gup_races_everything, setup_movable,
						gup_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
