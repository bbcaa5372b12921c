// SPDX-License-Identifier: MIT
/* lib/check.c: gupsim_check() finds nothing on a sane machine and finds
 * each kind of corruption it is meant to find. */
#include <sys/mman.h>
#include "helpers.h"
#include "internal.h"

static int setup_debug(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.debug_pins = true;
	return sim_setup_cfg(state, &cfg);
}

/* An mm with small pages, a THP and a file mapping, some of them pinned. */
static struct mm_struct *busy_mm(struct gupsim *sim, unsigned long *small, unsigned long *thp)
{
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct file *f = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "shm", 8 * PAGE_SIZE);
	unsigned long file;
	char c = 1;

	*small = gupsim_mmap(mm, 0, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	*thp = gupsim_mmap(mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	gupsim_madvise(mm, *thp, PMD_SIZE, MADV_HUGEPAGE);
	file = gupsim_mmap(mm, 0, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	gupsim_file_put(f);
	for (int i = 0; i < 8; i++) {
		gupsim_write(mm, *small + i * PAGE_SIZE, &c, 1);
		gupsim_write(mm, file + i * PAGE_SIZE, &c, 1);
	}
	gupsim_write(mm, *thp, &c, 1);
	return mm;
}

static void sane_machine_has_no_violations(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long small, thp;
	struct mm_struct *mm = busy_mm(sim, &small, &thp);
	struct page *pages[16];

	gupsim_kthread_use_mm(mm);
	assert_int_equal(gupsim_pin_user_pages_fast(small, 8, FOLL_WRITE, pages), 8);
	assert_int_equal(gupsim_pin_user_pages_fast(thp, 8, FOLL_WRITE, pages + 8), 8);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_unpin_user_pages(pages, 16);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_check(sim), 0);
	assert_int_equal(fixture_warns(state)->count, 0);
}

static void wrong_mapcount_is_found(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long small, thp;
	struct mm_struct *mm = busy_mm(sim, &small, &thp);
	struct page *page = gupsim_follow_page(mm, small);

	atomic_inc(&page->_mapcount);
	assert_true(gupsim_check(sim) >= 1);
	assert_true(fixture_warns(state)->count >= 1);
	assert_non_null(strstr(fixture_warns(state)->last, "invariant violated"));
	atomic_dec(&page->_mapcount);
	fixture_warns(state)->count = 0;
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_mm_put(mm);
}

static void lost_pin_is_found(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long small, thp;
	struct mm_struct *mm = busy_mm(sim, &small, &thp);
	struct page *page;

	gupsim_kthread_use_mm(mm);
	assert_int_equal(gupsim_pin_user_pages_fast(thp, 1, FOLL_WRITE, &page), 1);
	/* a pin that vanished without an unpin: pincount, shadow and vmstat disagree */
	atomic_dec(&((struct folio *)gupsim_page_folio(page))->_pincount);
	assert_true(gupsim_check(sim) >= 1);
	atomic_inc(&((struct folio *)gupsim_page_folio(page))->_pincount);
	gupsim_unpin_user_page(page);
	fixture_warns(state)->count = 0;
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
}

static void refcount_below_mappings_is_found(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long small, thp;
	struct mm_struct *mm = busy_mm(sim, &small, &thp);
	struct folio *folio = gupsim_page_folio(gupsim_follow_page(mm, small + PAGE_SIZE));

	atomic_dec(&folio->_refcount);	/* the mapping's reference is gone */
	assert_true(gupsim_check(sim) >= 1);
	atomic_inc(&folio->_refcount);
	gupsim_mm_put(mm);
}

static void corrupt_free_list_count_is_found(void **state)
{
	struct gupsim *sim = fixture_sim(state);

	sim->pools[POOL_NORMAL].free_area[0].nr_free++;
	assert_true(gupsim_check(sim) >= 1);
	sim->pools[POOL_NORMAL].free_area[0].nr_free--;
	assert_int_equal(gupsim_check(sim), 0);
	assert_int_equal(gupsim_check(NULL), -EINVAL);
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, setup_debug, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SETUP(sane_machine_has_no_violations),
		SETUP(wrong_mapcount_is_found),
		SETUP(lost_pin_is_found),
		SETUP(refcount_below_mappings_is_found),
		SETUP(corrupt_free_list_count_is_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
