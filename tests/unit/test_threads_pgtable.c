// SPDX-License-Identifier: MIT
/* lib/pgtable.c: 4-level tables, leaves, locks, deferred freeing. */
#include <pthread.h>
#include <stdlib.h>
#include "helpers.h"
#include "internal.h"

static struct mm_struct *bare_mm(struct gupsim *sim)
{
	struct mm_struct *mm = calloc(1, sizeof(*mm));

	assert_non_null(mm);
	mm->sim = sim;
	assert_int_equal(pgtable_init(mm), 0);
	return mm;
}

static void walk_allocates_three_tables_for_a_pte(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct mm_struct *mm = bare_mm(sim);
	unsigned long addr = 0x7f0000201000UL;
	enum pt_level level;
	pteval_t *pte;

	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 1);	/* the root */
	assert_null(pgtable_walk(mm, addr, PT_PTE, false, &level));
	assert_int_equal(level, PT_PGD);
	pte = pgtable_walk(mm, addr, PT_PTE, true, &level);
	assert_non_null(pte);
	assert_int_equal(level, PT_PTE);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 4);
	assert_true(PageFlag(pt_page_of(sim, pte), PG_table));
	assert_null(pgtable_lookup(mm, addr, &level));	/* PTE still none */
	pt_write(pte, pfn_pte(123, _PAGE_PRESENT | _PAGE_USER));
	assert_ptr_equal(pgtable_lookup(mm, addr, &level), pte);
	assert_int_equal(level, PT_PTE);
	assert_int_equal(pte_pfn(pt_read(pte)), 123);
	/* the neighbour shares the PTE table */
	assert_ptr_equal(pgtable_walk(mm, addr + PAGE_SIZE, PT_PTE, true, NULL), pte + 1);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 4);

	/* a non-empty table survives free_pgtables, an empty one does not */
	free_pgtables(mm, ALIGN_DOWN(addr, PMD_SIZE), ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 4);
	pt_write(pte, 0);
	free_pgtables(mm, ALIGN_DOWN(addr, PMD_SIZE), ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 1);
	pgtable_destroy(mm);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
	assert_int_equal(fixture_warns(state)->count, 0);
	free(mm);
}

static void pmd_leaf_stops_the_walk(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = bare_mm(sim);
	unsigned long addr = 0x40000000UL;
	enum pt_level level;
	pteval_t *pmd = pgtable_walk(mm, addr, PT_PMD, true, &level);

	assert_non_null(pmd);
	pt_write(pmd, pfn_pte(512, _PAGE_PRESENT | _PAGE_USER | _PAGE_PSE));
	assert_null(pgtable_walk(mm, addr + 5 * PAGE_SIZE, PT_PTE, true, &level));
	assert_int_equal(level, PT_PMD);
	assert_ptr_equal(pgtable_lookup(mm, addr + 5 * PAGE_SIZE, &level), pmd);
	assert_int_equal(level, PT_PMD);
	pt_write(pmd, 0);
	pgtable_destroy(mm);
	free(mm);
}

/* A lockless walker keeps reading while tables come and go. */
struct race {
	struct mm_struct *mm;
	unsigned long addr;
	int stop;
	long seen;
};

static void *walker(void *arg)
{
	struct race *r = (struct race *)arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		pteval_t *pte;

		gup_fast_enter(r->mm->sim);
		pte = pgtable_lookup(r->mm, r->addr, NULL);
		if (pte && pte_present(pt_read(pte)))
			r->seen++;
		gup_fast_exit(r->mm->sim);
	}
	return NULL;
}

static void tables_are_freed_only_after_walkers_leave(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct race r = { .mm = bare_mm(sim), .addr = 0x600000000000UL };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, walker, &r), 0);
	for (int i = 0; i < 2000; i++) {
		pteval_t *pte = pgtable_walk(r.mm, r.addr, PT_PTE, true, NULL);

		assert_non_null(pte);
		pt_write(pte, pfn_pte(7, _PAGE_PRESENT | _PAGE_USER));
		pt_write(pte, 0);
		free_pgtables(r.mm, r.addr, r.addr + PAGE_SIZE);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	pgtable_destroy(r.mm);
	free(r.mm);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, sim_setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SETUP(walk_allocates_three_tables_for_a_pte),
		SETUP(pmd_leaf_stops_the_walk),
		SETUP(tables_are_freed_only_after_walkers_leave),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
