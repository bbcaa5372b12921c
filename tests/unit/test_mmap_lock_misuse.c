// SPDX-License-Identifier: MIT
/*
 * mmap-lock misuse is reported as lockdep reports it, and answered with an
 * error instead of a hang or a lock released behind the caller's back:
 * unlocking a lock not held ("bad unlock balance detected!"), taking it
 * twice ("possible recursive locking detected"), and calling what takes
 * the lock itself (gupsim_write(), gupsim_munmap(), gupsim_mmap(),
 * gupsim_mprotect(), pin_user_pages_fast()'s slow path...) with the
 * caller's own lock held: -EDEADLK. The record of held locks has no fixed
 * size. alarm() turns the old hangs into failures.
 */
#include <pthread.h>
#include <unistd.h>

#include "mm_helpers.h"

#define HANG_GUARD	30
#define PROT_RW		(PROT_READ | PROT_WRITE)

static const char *last_warn(void **state)
{
	return fixture_warns(state)->last;
}

/* No other thread may be able to take the write lock while @mm is held. */
static bool write_lock_is_free(struct mm_struct *mm)
{
	if (pthread_rwlock_trywrlock(&mm->mmap_lock))
		return false;
	pthread_rwlock_unlock(&mm->mmap_lock);
	return true;
}

struct holder {
	struct mm_struct *mm;
	pthread_barrier_t locked, done;
};

static void *hold_read_lock(void *arg)
{
	struct holder *h = arg;

	gupsim_mmap_read_lock(h->mm);
	pthread_barrier_wait(&h->locked);
	pthread_barrier_wait(&h->done);
	gupsim_mmap_read_unlock(h->mm);
	return NULL;
}

/* lockdep: releasing what this thread does not hold releases nothing. */
static void unlock_without_holding_warns_and_releases_nothing(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct holder h = { .mm = mm };
	pthread_t t;

	assert_int_equal(pthread_barrier_init(&h.locked, NULL, 2), 0);
	assert_int_equal(pthread_barrier_init(&h.done, NULL, 2), 0);
	assert_int_equal(pthread_create(&t, NULL, hold_read_lock, &h), 0);
	pthread_barrier_wait(&h.locked);

	gupsim_mmap_read_unlock(mm);	/* another thread's read hold */
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_non_null(strstr(last_warn(state), "WARNING: bad unlock balance detected!"));
	gupsim_mmap_write_unlock(mm);
	assert_int_equal(fixture_warns(state)->count, 2);
	/* the other thread still holds its lock */
	assert_false(write_lock_is_free(mm));

	pthread_barrier_wait(&h.done);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(write_lock_is_free(mm));
	pthread_barrier_destroy(&h.locked);
	pthread_barrier_destroy(&h.done);
}

/* lockdep: a second hold WARNs; the unlocks still balance, nothing hangs. */
static void recursive_locking_warns_and_stays_balanced(void **state)
{
	struct mm_struct *mm = fixture_mm(state);

	alarm(HANG_GUARD);
	gupsim_mmap_read_lock(mm);
	gupsim_mmap_read_lock(mm);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_non_null(strstr(last_warn(state), "WARNING: possible recursive locking detected"));
	assert_int_equal(gupsim_mmap_read_lock_killable(mm), -EDEADLK);
	assert_false(gupsim_mmap_read_trylock(mm));
	gupsim_mmap_write_lock(mm);	/* would deadlock: WARN, nested */
	assert_int_equal(fixture_warns(state)->count, 3);
	gupsim_mmap_write_unlock(mm);
	gupsim_mmap_read_unlock(mm);
	assert_true(mmap_lock_held(mm));
	gupsim_mmap_read_unlock(mm);
	assert_false(mmap_lock_held(mm));
	assert_true(write_lock_is_free(mm));

	gupsim_mmap_write_lock(mm);
	gupsim_mmap_read_lock(mm);
	assert_int_equal(fixture_warns(state)->count, 4);
	gupsim_mmap_read_unlock(mm);
	gupsim_mmap_write_unlock(mm);
	assert_true(write_lock_is_free(mm));
	alarm(0);
	assert_int_equal(fixture_warns(state)->count, 4);
}

/* What takes the lock itself refuses to run under the caller's hold. */
static void calls_that_lock_refuse_the_callers_lock(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 2 * PAGE_SIZE, PROT_RW, 0);
	unsigned char byte = 5;
	int warns = 0;

	write_byte(mm, a, 1);
	alarm(HANG_GUARD);
	for (int write = 0; write < 2; write++) {
		if (write)
			gupsim_mmap_write_lock(mm);
		else
			gupsim_mmap_read_lock(mm);
		assert_int_equal(gupsim_write(mm, a, &byte, 1), -EDEADLK);
		assert_int_equal(gupsim_read(mm, a, &byte, 1), -EDEADLK);
		assert_int_equal(gupsim_munmap(mm, a, PAGE_SIZE), -EDEADLK);
		assert_int_equal((long)gupsim_mmap(mm, 0, PAGE_SIZE, PROT_RW,
						   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0), -EDEADLK);
		assert_int_equal(gupsim_mprotect(mm, a, PAGE_SIZE, PROT_READ), -EDEADLK);
		assert_int_equal(gupsim_madvise(mm, a, PAGE_SIZE, MADV_DONTNEED), -EDEADLK);
		assert_true(IS_ERR(gupsim_fork(mm)));
		warns += 7;
		assert_int_equal(fixture_warns(state)->count, warns);
		assert_non_null(strstr(last_warn(state), "possible recursive locking detected"));
		/* the caller's lock is still held, in its mode */
		assert_true(mmap_lock_held(mm));
		assert_false(write_lock_is_free(mm));
		if (write)
			gupsim_mmap_write_unlock(mm);
		else
			gupsim_mmap_read_unlock(mm);
		assert_true(write_lock_is_free(mm));
	}
	alarm(0);
	/* nothing was changed */
	assert_int_equal(read_byte(mm, a), 1);
	assert_int_equal(vm_flags_at(mm, a) & VM_WRITE, VM_WRITE);
	assert_int_equal(fixture_warns(state)->count, warns);
}

/*
 * gup_fast falls back to the slow path, which takes mmap_read_lock: under
 * the caller's read lock that is a recursive read lock (lockdep WARNs, and
 * a queued writer would deadlock it). Here: the WARN and -EDEADLK.
 */
static void pin_user_pages_fast_under_the_read_lock_is_edeadlk(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, PAGE_SIZE, PROT_RW, 0);	/* not faulted in */
	struct page *page = NULL;

	gupsim_kthread_use_mm(mm);
	gupsim_mmap_read_lock(mm);
	alarm(HANG_GUARD);
	assert_int_equal(gupsim_pin_user_pages_fast(a, 1, FOLL_WRITE, &page), -EDEADLK);
	alarm(0);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_non_null(strstr(last_warn(state), "possible recursive locking detected"));
	assert_true(mmap_lock_held(mm));
	gupsim_mmap_read_unlock(mm);
	/* without the lock it works */
	assert_int_equal(gupsim_pin_user_pages_fast(a, 1, FOLL_WRITE, &page), 1);
	gupsim_unpin_user_page(page);
	gupsim_kthread_unuse_mm(mm);
}

/* No fixed-size table: holding many mms never makes another look held. */
static void held_locks_are_tracked_without_a_limit(void **state)
{
	enum { NR = 40 };
	struct mm_struct *mms[NR];
	struct mm_struct *other = gupsim_mm_create(fixture_sim(state));

	assert_non_null(other);
	for (int i = 0; i < NR; i++) {
		mms[i] = gupsim_mm_create(fixture_sim(state));
		assert_non_null(mms[i]);
		gupsim_mmap_read_lock(mms[i]);
	}
	assert_false(mmap_lock_held(other));
	assert_false(mmap_lock_held(fixture_mm(state)));
	for (int i = 0; i < NR; i++)
		assert_true(mmap_lock_held(mms[i]));
	/* released in any order */
	for (int i = 0; i < NR; i += 2)
		gupsim_mmap_read_unlock(mms[i]);
	for (int i = 0; i < NR; i++)
		assert_int_equal(mmap_lock_held(mms[i]), i & 1);
	for (int i = 1; i < NR; i += 2)
		gupsim_mmap_read_unlock(mms[i]);
	assert_int_equal(mmap_locks_held(), 0);
	for (int i = 0; i < NR; i++)
		gupsim_mm_put(mms[i]);
	gupsim_mm_put(other);
	assert_int_equal(fixture_warns(state)->count, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(unlock_without_holding_warns_and_releases_nothing),
		T(recursive_locking_warns_and_stays_balanced),
		T(calls_that_lock_refuse_the_callers_lock),
		T(pin_user_pages_fast_under_the_read_lock_is_edeadlk),
		T(held_locks_are_tracked_without_a_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
