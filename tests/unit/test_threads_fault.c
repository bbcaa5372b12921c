// SPDX-License-Identifier: MIT
/* Concurrent faults on the same entries: the losers of each race back off
 * (pte_same), every page ends up mapped once with exact counts, and
 * nothing leaks. Run under TSan in CI. */
#include <pthread.h>

#include "fault_test.h"

#define BASE		0x40000000UL
#define NR_THREADS	4
#define NR_PAGES	64

struct worker {
	struct mm_struct *mm;
	unsigned long base;
	int id;
	long failures;
};

/* Every thread reads then writes its own byte of every page, in a
 * different page order, so read, write and COW-of-zero faults collide. */
static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NR_PAGES; i++) {
			int p = (i * (2 * w->id + 1) + w->id) % NR_PAGES;	/* odd: a permutation */
			unsigned long a = w->base + (unsigned long)p * PAGE_SIZE + (unsigned long)w->id;
			unsigned char v = (unsigned char)(w->id + 1), r;

			if (gupsim_read(w->mm, a, &r, 1) != 1)
				w->failures++;
			if (gupsim_write(w->mm, a, &v, 1) != 1)
				w->failures++;
		}
	}
	return NULL;
}

static void run_workers(struct mm_fixture *f, unsigned long base)
{
	pthread_t t[NR_THREADS];
	struct worker w[NR_THREADS];

	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .mm = f->mm, .base = base, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_fn, &w[i]), 0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
}

static void check_pages(struct mm_fixture *f, unsigned long base)
{
	for (int p = 0; p < NR_PAGES; p++) {
		unsigned long a = base + (unsigned long)p * PAGE_SIZE;
		struct page *page = page_at(f->mm, a);
		struct folio *folio;

		assert_non_null(page);
		folio = page_folio(page);
		assert_true(folio_test_anon(folio));
		/* a PMD mapping keeps it on the head page
		 * (folio_add_new_anon_rmap()) */
		assert_true(PageAnonExclusive(folio_order(folio) >= HPAGE_PMD_ORDER ?
					      &folio->page : page));
		assert_int_equal(page_mapcount(page), 1);
		if (!folio_test_large(folio))
			assert_int_equal(folio_ref_count(folio), 1);
		for (int i = 0; i < NR_THREADS; i++)	/* no write was lost */
			assert_int_equal(read_byte(f->mm, a + (unsigned long)i), i + 1);
	}
}

static void concurrent_small_page_faults(void **state)
{
	struct mm_fixture *f = F(state);

	map_anon_at(f->mm, BASE, NR_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	run_workers(f, BASE);
	check_pages(f, BASE);
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON) + VMSTAT(f->sim, COW_COPIES), NR_PAGES);
}

static int mthp_setup(void **state)
{
	struct gupsim_config cfg;

	mm_default_cfg(&cfg);
	cfg.thp = GUPSIM_THP_ALWAYS;
	cfg.mthp_orders = BIT(2) | BIT(4);
	return mm_setup_cfg(state, &cfg);
}

static void concurrent_mthp_and_thp_faults(void **state)
{
	struct mm_fixture *f = F(state);

	map_anon_at(f->mm, BASE, NR_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	map_anon_at(f->mm, BASE + PMD_SIZE, PMD_SIZE, PROT_READ | PROT_WRITE, 0);
	run_workers(f, BASE);
	run_workers(f, BASE + PMD_SIZE);
	check_pages(f, BASE);
	check_pages(f, BASE + PMD_SIZE);
	assert_int_equal(folio_order(folio_at(f->mm, BASE + PMD_SIZE)), HPAGE_PMD_ORDER);
}

/* Tearing the address space down returns every page the faults took. */
static void teardown_returns_every_page(void **state)
{
	struct mm_fixture *f = F(state);
	unsigned long huge_zero = 0;

	map_anon_at(f->mm, BASE, NR_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	map_anon_at(f->mm, BASE + PMD_SIZE, PMD_SIZE, PROT_READ | PROT_WRITE, 0);
	run_workers(f, BASE);
	run_workers(f, BASE + PMD_SIZE);
	if (gupsim_huge_zero_folio(f->sim))	/* allocated once, kept by the machine */
		huge_zero = HPAGE_PMD_NR;
	gupsim_mm_put(f->mm);
	f->mm = NULL;
	assert_int_equal(gupsim_nr_free_pages(f->sim) + huge_zero, f->free_at_start);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(concurrent_small_page_faults, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(concurrent_mthp_and_thp_faults, mthp_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(teardown_returns_every_page, mthp_setup, mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
