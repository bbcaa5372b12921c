// SPDX-License-Identifier: MIT
/*
 * Long-term migration and the mmap lock (run under TSan in CI):
 *  - migrating a PTE-mapped THP locks its mm once per rmap walk, not once
 *    per mapping (512 recursive trylocks overflowed TSan's deadlock
 *    detector, "n_recursive_locks");
 *  - a long-term pin never fails because another thread merely waits to
 *    mprotect an unrelated page: the walk does not trylock the mm the
 *    caller holds (a writer-preferring lock refuses a reader while a writer
 *    queues), and waits for a busy mm instead of giving up.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "gup_fixture.h"

#define PROT_RW		(PROT_READ | PROT_WRITE)
#define PINS		400

static int setup_movable(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.movable_mb = 32;
	return gup_fx_setup_cfg(state, &cfg);
}

static void pte_mapped_thp_migrates_with_one_lock_per_mm(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct folio *old;

	assert_non_null(pages);
	fx_touch(fx, addr, 1, 0x5a);
	old = gupsim_page_folio(fx_page(fx, addr));
	assert_int_equal(gupsim_folio_order(old), HPAGE_PMD_ORDER);
	assert_int_equal(gupsim_page_zonenum(&old->page), ZONE_MOVABLE);
	/* mprotect of one page splits the PMD: 512 PTEs map the THP */
	assert_int_equal(gupsim_mprotect(fx->mm, addr, PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(gupsim_mprotect(fx->mm, addr, PAGE_SIZE, PROT_RW), 0);
	assert_ptr_equal(gupsim_page_folio(fx_page(fx, addr + PMD_SIZE - PAGE_SIZE)), old);

	assert_int_equal(fx_pup(fx, addr, HPAGE_PMD_NR, FOLL_LONGTERM | FOLL_WRITE, pages),
			 HPAGE_PMD_NR);
	assert_ptr_not_equal(gupsim_page_folio(pages[0]), old);
	assert_int_equal(gupsim_page_zonenum(pages[0]), ZONE_NORMAL);
	assert_int_equal(fx_peek(fx, addr), 0x5a);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_FAIL), 0);
	assert_int_equal(mmap_locks_held(), 0);
	gupsim_unpin_user_pages(pages, HPAGE_PMD_NR);
	free(pages);
	assert_int_equal(WARNS(fx), 0);
}

struct race {
	struct gup_fx *fx;
	unsigned long other;		/* the page the mprotect thread flips */
	atomic_bool stop;
	bool fast;
	long failures, pins;
};

static void *mprotect_loop(void *arg)
{
	struct race *r = arg;
	long errors = 0;

	for (unsigned long i = 0; !atomic_load(&r->stop); i++)
		if (gupsim_mprotect(r->fx->mm, r->other, PAGE_SIZE, (i & 1) ? PROT_READ : PROT_RW))
			errors++;
	return (void *)errors;
}

/* One movable page: mapped, written, pinned long-term (so migrated), freed. */
static long pin_one(struct race *r)
{
	struct gup_fx *fx = r->fx;
	unsigned long a = gupsim_mmap(fx->mm, 0, PAGE_SIZE, PROT_RW,
				      MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	unsigned char byte = 0x42;
	struct page *page = NULL;
	long ret;

	if (IS_ERR_VALUE(a) || gupsim_write(fx->mm, a, &byte, 1) != 1)
		return -1;
	if (r->fast) {
		ret = gupsim_pin_user_pages_fast(a, 1, FOLL_LONGTERM | FOLL_WRITE, &page);
	} else {
		gupsim_mmap_read_lock(fx->mm);
		ret = gupsim_pin_user_pages(a, 1, FOLL_LONGTERM | FOLL_WRITE, &page);
		gupsim_mmap_read_unlock(fx->mm);
	}
	if (ret == 1)
		gupsim_unpin_user_page(page);
	gupsim_munmap(fx->mm, a, PAGE_SIZE);
	return ret;
}

static void *pin_loop(void *arg)
{
	struct race *r = arg;

	gupsim_kthread_use_mm(r->fx->mm);
	for (int i = 0; i < PINS; i++) {
		if (pin_one(r) != 1)
			r->failures++;
		r->pins++;
	}
	gupsim_kthread_unuse_mm(r->fx->mm);
	atomic_store(&r->stop, true);
	return NULL;
}

static void run_race(void **state, bool fast)
{
	struct gup_fx *fx = FX(state);
	struct race r = { .fx = fx, .fast = fast };
	pthread_t pinner, writer;
	void *errors;

	r.other = fx_map_anon(fx, 1);
	fx_touch(fx, r.other, 1, 1);
	assert_int_equal(pthread_create(&writer, NULL, mprotect_loop, &r), 0);
	assert_int_equal(pthread_create(&pinner, NULL, pin_loop, &r), 0);
	assert_int_equal(pthread_join(pinner, NULL), 0);
	assert_int_equal(pthread_join(writer, &errors), 0);
	assert_null(errors);
	assert_int_equal(r.pins, PINS);
	assert_int_equal(r.failures, 0);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_FAIL), 0);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_SUCCESS), PINS);
	assert_int_equal(WARNS(fx), 0);
}

static void longterm_pins_ignore_a_writer_queued_on_the_callers_lock(void **state)
{
	run_race(state, false);
}

static void fast_longterm_pins_wait_for_a_busy_mm(void **state)
{
	run_race(state, true);
}

struct queued_writer {
	struct mm_struct *mm;
	unsigned long addr;
	int ret;
};

static void *mprotect_once(void *arg)
{
	struct queued_writer *w = arg;

	w->ret = gupsim_mprotect(w->mm, w->addr, PAGE_SIZE, PROT_READ);
	return NULL;
}

/* A writer-preferring lock refuses new readers once a writer waits. */
static void wait_until_writer_queued(struct mm_struct *mm)
{
	while (!pthread_rwlock_tryrdlock(&mm->mmap_lock)) {
		pthread_rwlock_unlock(&mm->mmap_lock);
		sched_yield();
	}
}

/*
 * The 131 of 191,650, made certain: the caller holds its read lock
 * and another thread waits for the write lock (to mprotect an unrelated
 * page) all through the pin. Each pin migrates and succeeds.
 */
static void longterm_pin_succeeds_while_a_writer_waits(void **state)
{
	struct gup_fx *fx = FX(state);
	struct queued_writer w = { .mm = fx->mm, .addr = fx_map_anon(fx, 1) };

	for (int round = 0; round < 20; round++) {
		unsigned long a = fx_map_anon(fx, 1);
		struct page *page = NULL;
		pthread_t t;

		fx_touch(fx, a, 1, (unsigned char)round);
		assert_int_equal(gupsim_page_zonenum(fx_page(fx, a)), ZONE_MOVABLE);
		gupsim_mmap_read_lock(fx->mm);
		assert_int_equal(pthread_create(&t, NULL, mprotect_once, &w), 0);
		wait_until_writer_queued(fx->mm);
		assert_int_equal(gupsim_pin_user_pages(a, 1, FOLL_LONGTERM | FOLL_WRITE, &page), 1);
		gupsim_mmap_read_unlock(fx->mm);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(w.ret, 0);
		assert_int_equal(gupsim_page_zonenum(page), ZONE_NORMAL);
		gupsim_unpin_user_page(page);
		assert_int_equal(gupsim_munmap(fx->mm, a, PAGE_SIZE), 0);
	}
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_SUCCESS), 20);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_FAIL), 0);
	assert_int_equal(WARNS(fx), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_movable, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(pte_mapped_thp_migrates_with_one_lock_per_mm),
		T(longterm_pin_succeeds_while_a_writer_waits),
		T(longterm_pins_ignore_a_writer_queued_on_the_callers_lock),
		T(fast_longterm_pins_wait_for_a_busy_mm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
