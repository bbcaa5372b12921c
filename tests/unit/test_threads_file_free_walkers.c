// SPDX-License-Identifier: MIT
/*
 * The last fput() of a file waits for the GUP-fast walkers that are inside
 * a walk: gup_fast_folio_allowed() reads folio->mapping and then the
 * mapping's flags without a lock, and the kernel frees the inode only after
 * an RCU grace period, which cannot end while a walker has interrupts
 * disabled. Run under TSan in CI.
 */
#include <pthread.h>
#include <sched.h>

#include "helpers.h"
#include "internal.h"

#define YIELDS	20000

struct race {
	struct gupsim *sim;
	struct file *file;
	atomic_t inside;	/* the walker is between enter and exit */
	atomic_t putting;	/* the putter is about to drop the last reference */
	atomic_t freed;		/* gupsim_file_put() returned */
	atomic_t freed_while_inside;
};

static void *walker_fn(void *arg)
{
	struct race *r = arg;

	gup_fast_enter(r->sim);
	atomic_set(&r->inside, 1);
	while (!atomic_read(&r->putting))
		sched_yield();
	/* the file must outlive this walk, however long it takes */
	for (int i = 0; i < YIELDS; i++) {
		if (atomic_read(&r->freed))
			atomic_set(&r->freed_while_inside, 1);
		sched_yield();
	}
	gup_fast_exit(r->sim);
	return NULL;
}

static void *putter_fn(void *arg)
{
	struct race *r = arg;

	while (!atomic_read(&r->inside))
		sched_yield();
	atomic_set(&r->putting, 1);
	gupsim_file_put(r->file);
	atomic_set(&r->freed, 1);
	return NULL;
}

static void last_fput_waits_for_lockless_walkers(void **state)
{
	struct race r = { .sim = fixture_sim(state) };
	pthread_t walker, putter;

	r.file = gupsim_file_create(r.sim, GUPSIM_FILE_REGULAR, "f", 4 * PAGE_SIZE);
	assert_non_null(r.file);
	assert_int_equal(pthread_create(&walker, NULL, walker_fn, &r), 0);
	assert_int_equal(pthread_create(&putter, NULL, putter_fn, &r), 0);
	assert_int_equal(pthread_join(walker, NULL), 0);
	assert_int_equal(pthread_join(putter, NULL), 0);
	assert_int_equal(atomic_read(&r.freed), 1);
	assert_int_equal(atomic_read(&r.freed_while_inside), 0);
}

/* A put that is not the last one does not wait (and the walker can be ours). */
static void other_puts_do_not_wait(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "g", PAGE_SIZE);

	assert_non_null(file);
	get_file(file);
	gup_fast_enter(sim);
	gupsim_file_put(file);		/* a reference is left: returns at once */
	gup_fast_exit(sim);
	fput(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(last_fput_waits_for_lockless_walkers,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(other_puts_do_not_wait, sim_setup, sim_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
