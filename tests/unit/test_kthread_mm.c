// SPDX-License-Identifier: MIT
/*
 * kthread_use_mm() holds a reference on the mm (the kernel's mmgrab() +
 * mmget() pairing): the owner's last gupsim_mm_put() or gupsim_destroy()
 * while a thread still uses the mm is never a use after free. Destroying a
 * machine while a thread uses one of its mms WARNs; that thread's later
 * calls report "GUP without an mm" through the process-wide handler.
 */
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

static struct gupsim *small_sim(struct warn_log *w)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	gupsim_set_warn_handler(sim, warn_log_fn, w);
	return sim;
}

static unsigned long map_anon(struct mm_struct *mm, unsigned long pages)
{
	unsigned long addr = gupsim_mmap(mm, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);

	assert_false(IS_ERR_VALUE(addr));
	return addr;
}

static void pin_and_unpin(unsigned long addr)
{
	struct page *page;

	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, FOLL_WRITE, &page), 1);
	gupsim_unpin_user_page(page);
}

static void last_mm_put_while_used_keeps_the_mm(void **state)
{
	struct warn_log w = { 0 };
	struct gupsim *sim = small_sim(&w);
	unsigned long free_at_start = gupsim_nr_free_pages(sim);
	struct mm_struct *mm = gupsim_mm_create(sim);
	unsigned long addr;

	(void)state;
	addr = map_anon(mm, 4);
	gupsim_kthread_use_mm(mm);
	assert_int_equal(atomic_read(&mm->mm_users), 2);
	gupsim_mm_put(mm);			/* the owner lets go: the worker keeps it */
	pin_and_unpin(addr);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_kthread_unuse_mm(mm);		/* the last user: now it goes */
	assert_null(gupsim_current()->mm);
	assert_int_equal(gupsim_nr_free_pages(sim), free_at_start);
	assert_int_equal(w.count, 0);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_destroy(sim);
}

static void destroy_while_this_thread_uses_mm_warns(void **state)
{
	struct warn_log w = { 0 }, global = { 0 };
	struct gupsim *sim = small_sim(&w);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct page *page;
	unsigned long addr;

	(void)state;
	addr = map_anon(mm, 4);
	gupsim_kthread_use_mm(mm);
	pin_and_unpin(addr);
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_destroy(sim);
	/* the thread's use, then the leak report that counts its mm user */
	assert_int_equal(w.count, 2);
	assert_non_null(strstr(w.last, "gupsim_destroy: 0 pins outstanding (acquired 1, "
				       "released 1), 1 mm users (1 mms), 0 pages"));

	/* current->mm is an emptied shell: calls report, nothing is read freed */
	gupsim_set_global_warn_handler(warn_log_fn, &global);
	assert_true(gupsim_pin_user_pages_fast(addr, 1, FOLL_WRITE, &page) < 0);
	assert_true(global.count >= 1);
	assert_non_null(strstr(global.last, "GUP without an mm"));
	assert_null(gupsim_pfn_to_page_current(0));
	global.count = 0;
	gupsim_kthread_unuse_mm(mm);		/* frees the shell, no report */
	assert_null(gupsim_current()->mm);
	assert_int_equal(global.count, 0);
	gupsim_set_global_warn_handler(NULL, NULL);
}

/* A worker thread uses the mm across its owner's teardown. */
struct worker {
	struct mm_struct *mm;
	unsigned long addr;
	sem_t used, destroyed, done;
	long after;			/* the GUP result after the machine went */
	bool unuse;			/* unuse before exiting (else exit holds it) */
};

static void *worker_fn(void *p)
{
	struct worker *wk = p;
	struct page *page;

	gupsim_kthread_use_mm(wk->mm);
	pin_and_unpin(wk->addr);
	sem_post(&wk->used);
	sem_wait(&wk->destroyed);
	wk->after = gupsim_pin_user_pages_fast(wk->addr, 1, FOLL_WRITE, &page);
	if (wk->after == 1)
		gupsim_unpin_user_page(page);
	if (wk->unuse)
		gupsim_kthread_unuse_mm(wk->mm);
	return NULL;
}

static void run_worker(struct worker *wk, pthread_t *th)
{
	sem_init(&wk->used, 0, 0);
	sem_init(&wk->destroyed, 0, 0);
	assert_int_equal(pthread_create(th, NULL, worker_fn, wk), 0);
	sem_wait(&wk->used);
}

static void destroy_while_other_thread_uses_mm_warns(void **state)
{
	struct warn_log w = { 0 }, global = { 0 };
	struct gupsim *sim = small_sim(&w);
	struct worker wk = { .unuse = true };
	pthread_t th;

	(void)state;
	wk.mm = gupsim_mm_create(sim);
	wk.addr = map_anon(wk.mm, 2);
	run_worker(&wk, &th);
	gupsim_mm_put(wk.mm);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_destroy(sim);
	assert_int_equal(w.count, 2);
	assert_non_null(strstr(w.last, "1 mm users (1 mms)"));
	gupsim_set_global_warn_handler(warn_log_fn, &global);
	sem_post(&wk.destroyed);
	pthread_join(th, NULL);
	assert_true(wk.after < 0);
	assert_true(global.count >= 1);
	gupsim_set_global_warn_handler(NULL, NULL);
}

static void thread_exit_drops_its_mm(void **state)
{
	struct warn_log w = { 0 };
	struct gupsim *sim = small_sim(&w);
	unsigned long free_at_start = gupsim_nr_free_pages(sim);
	struct worker wk = { .unuse = false };
	pthread_t th;

	(void)state;
	wk.mm = gupsim_mm_create(sim);
	wk.addr = map_anon(wk.mm, 2);
	run_worker(&wk, &th);
	gupsim_mm_put(wk.mm);			/* the worker keeps it alive */
	assert_int_equal(gupsim_check(sim), 0);
	sem_post(&wk.destroyed);
	pthread_join(th, NULL);			/* exits still using it: dropped */
	assert_int_equal(wk.after, 1);
	assert_int_equal(gupsim_nr_free_pages(sim), free_at_start);
	assert_null(sim->mm_list);
	assert_int_equal(w.count, 0);
	gupsim_destroy(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(last_mm_put_while_used_keeps_the_mm),
		cmocka_unit_test(destroy_while_this_thread_uses_mm_warns),
		cmocka_unit_test(destroy_while_other_thread_uses_mm_warns),
		cmocka_unit_test(thread_exit_drops_its_mm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
