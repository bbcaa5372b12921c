// SPDX-License-Identifier: MIT
/* current, kthread_use_mm / kthread_unuse_mm, and the word spinlock. */
#include "helpers.h"
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "internal.h"

static void current_is_per_thread(void **state)
{
	struct task_struct *t = gupsim_current();

	(void)state;
	assert_ptr_equal(t, gupsim_current());
	assert_int_equal(t->pid, (int)syscall(SYS_gettid));
	assert_null(t->mm);
}

static void *current_of_thread(void *arg)
{
	(void)arg;
	return gupsim_current();
}

static void other_thread_has_its_own_current(void **state)
{
	pthread_t th;
	void *other;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, current_of_thread, NULL), 0);
	pthread_join(th, &other);
	assert_ptr_not_equal(other, gupsim_current());
}

/* A bare mm_struct of the fixture's machine (the mm side lives elsewhere). */
static void fake_mm(struct mm_struct *mm, struct gupsim *sim)
{
	memset(mm, 0, sizeof(*mm));
	mm->sim = sim;
	atomic_set(&mm->mm_users, 1);
}

static void use_and_unuse_mm(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct mm_struct mm;

	fake_mm(&mm, sim);
	gupsim_kthread_use_mm(&mm);
	assert_ptr_equal(gupsim_current()->mm, &mm);
	gupsim_kthread_use_mm(&mm);		/* same mm again: no change */
	assert_ptr_equal(gupsim_current()->mm, &mm);
	gupsim_kthread_unuse_mm(&mm);
	assert_null(gupsim_current()->mm);
	assert_int_equal(w->count, 0);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WARNINGS), 0);
}

static void use_of_second_mm_warns(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct mm_struct a, b;

	fake_mm(&a, sim);
	fake_mm(&b, sim);
	gupsim_kthread_use_mm(&a);
	gupsim_kthread_use_mm(&b);
	assert_int_equal(w->count, 1);
	assert_non_null(strstr(w->last, " at mm/task.c:"));
	assert_non_null(strstr(w->last, " gupsim_kthread_use_mm\n"));
	assert_ptr_equal(gupsim_current()->mm, &b);	/* the new one is in use */
	gupsim_kthread_unuse_mm(&b);
	assert_null(gupsim_current()->mm);
	assert_int_equal(w->count, 1);
}

static void unuse_of_wrong_mm_warns_and_keeps_current(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct mm_struct a, b;

	fake_mm(&a, sim);
	fake_mm(&b, sim);
	gupsim_kthread_unuse_mm(&a);		/* nothing in use */
	assert_int_equal(w->count, 1);
	gupsim_kthread_use_mm(&a);
	gupsim_kthread_unuse_mm(&b);		/* not the one in use */
	assert_int_equal(w->count, 2);
	assert_non_null(strstr(w->last, " gupsim_kthread_unuse_mm\n"));
	assert_ptr_equal(gupsim_current()->mm, &a);
	gupsim_kthread_use_mm(NULL);
	assert_int_equal(w->count, 3);
	assert_ptr_equal(gupsim_current()->mm, &a);
	gupsim_kthread_unuse_mm(&a);
	assert_null(gupsim_current()->mm);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WARNINGS), 3);
}

#define LOCK_ROUNDS	200000

struct lock_arg {
	unsigned long lock;
	long counter;			/* plain: protected by the lock */
};

static void *lock_many(void *p)
{
	struct lock_arg *a = p;
	int i;

	for (i = 0; i < LOCK_ROUNDS; i++) {
		spin_lock_word(&a->lock);
		a->counter++;
		spin_unlock_word(&a->lock);
	}
	return NULL;
}

static void spin_lock_word_excludes(void **state)
{
	struct lock_arg a = { 0, 0 };
	pthread_t th[3];
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, lock_many, &a), 0);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(a.counter, 3L * LOCK_ROUNDS);
	assert_int_equal(a.lock, 0);
	assert_true(spin_trylock_word(&a.lock));
	assert_false(spin_trylock_word(&a.lock));
	spin_unlock_word(&a.lock);
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, sim_setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(current_is_per_thread),
		cmocka_unit_test(other_thread_has_its_own_current),
		SETUP(use_and_unuse_mm),
		SETUP(use_of_second_mm_warns),
		SETUP(unuse_of_wrong_mm_warns_and_keeps_current),
		cmocka_unit_test(spin_lock_word_excludes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
