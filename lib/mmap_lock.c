// SPDX-License-Identifier: MIT
/*
 * The mmap lock (mm/mmap_lock.c, include/linux/mmap_lock.h): mmap_read_lock()
 * and friends, and the per-thread record of held locks behind
 * mmap_assert_locked().
 *
 * The lock is a pthread rwlock. Each thread records the mm locks it holds
 * (a dynamically grown array, one entry per mm), which gives
 * mmap_assert_locked() and rmap_walk() their answer and lets misuse be
 * reported as lockdep reports it (kernel/locking/lockdep.c):
 *  - taking a lock the thread already holds: "possible recursive locking
 *    detected". The public void functions record a nested hold instead of
 *    blocking (their unlock then balances it); the library's own callers
 *    get -EDEADLK.
 *  - releasing a lock the thread does not hold: "bad unlock balance
 *    detected!", and nothing is released.
 * Holds the library takes for the length of one call are marked, so that
 * reports and trace events raised under them wait until the last of the
 * thread's library locks is released (deferred.c).
 */
#include <stdlib.h>

#include "internal.h"

enum held_mode { HELD_READ, HELD_WRITE };

struct held_lock {
	struct mm_struct *mm;
	enum held_mode mode;
	unsigned int nested;		/* recursive holds recorded after a WARN */
	bool lib;			/* taken by the library for one call */
};

#define HELD_INLINE	8

/* The calling thread's holds; @e is @inl until more than HELD_INLINE are held. */
static _Thread_local struct {
	unsigned int nr, cap;
	unsigned int untracked;		/* holds we could not record (WARNed) */
	struct held_lock *e;
	struct held_lock inl[HELD_INLINE];
} held;

static const char *const mode_name[] = { "read", "write" };

static struct held_lock *held_find(const struct mm_struct *mm)
{
	for (unsigned int i = 0; i < held.nr; i++)
		if (held.e[i].mm == mm)
			return &held.e[i];
	return NULL;
}

/* Room for one more entry; false (WARNed by the caller) without memory. */
static bool held_reserve(void)
{
	struct held_lock *e;
	unsigned int cap;

	if (!held.e) {
		held.e = held.inl;
		held.cap = HELD_INLINE;
	}
	if (held.nr < held.cap)
		return true;
	cap = held.cap * 2;
	e = malloc(cap * sizeof(*e));
	if (!e)
		return false;
	memcpy(e, held.e, held.nr * sizeof(*e));
	if (held.e != held.inl)
		free(held.e);
	held.e = e;
	held.cap = cap;
	return true;
}

static void held_push(struct mm_struct *mm, enum held_mode mode, bool lib)
{
	if (!held_reserve()) {
		held.untracked++;
		WARN(mm->sim, 1, "mmap_lock: cannot track mm %d's lock: out of memory\n", mm->id);
		return;
	}
	held.e[held.nr++] = (struct held_lock){ .mm = mm, .mode = mode, .lib = lib };
	if (lib)
		lib_lock_acquired();
}

/* Forget @h; the caller releases the lock, then calls lib_lock_released(). */
static void held_drop(struct held_lock *h)
{
	*h = held.e[--held.nr];
	if (!held.nr && held.e != held.inl) {
		free(held.e);		/* back to the inline array: nothing leaks at exit */
		held.e = held.inl;
		held.cap = HELD_INLINE;
	}
}

/*
 * Writers are preferred, like the kernel's rwsem: a stream of readers (GUP
 * in many threads) cannot starve munmap(). As with the rwsem, a thread must
 * then not take the read lock twice while a writer may be waiting.
 */
int mmap_lock_init(struct mm_struct *mm)
{
	pthread_rwlockattr_t attr;
	int err;

	err = pthread_rwlockattr_init(&attr);
	if (err)
		return -err;
	err = pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (!err)
		err = pthread_rwlock_init(&mm->mmap_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return -err;
}

bool mmap_lock_held(struct mm_struct *mm)
{
	return held_find(mm) != NULL;
}

void mmap_assert_locked(struct mm_struct *mm)
{
	WARN(mm->sim, !mmap_lock_held(mm) && !held.untracked,
	     "mmap_assert_locked: mm %d: mmap_lock not held\n", mm->id);
}

/* lockdep's print_deadlock_bug() */
static void report_recursive(struct mm_struct *mm, enum held_mode mode, const struct held_lock *h)
{
	WARN(mm->sim, 1,
	     "WARNING: possible recursive locking detected\n"
	     "gupsim/%d is trying to acquire lock:\n"
	     " (&mm->mmap_lock) mm %d, %s\n"
	     "but task is already holding lock:\n"
	     " (&mm->mmap_lock) mm %d, %s\n",
	     gupsim_current()->pid, mm->id, mode_name[mode], mm->id, mode_name[h->mode]);
}

/* lockdep's print_unlock_imbalance_bug() */
static void report_unbalanced(struct mm_struct *mm, enum held_mode mode)
{
	WARN(mm->sim, 1,
	     "WARNING: bad unlock balance detected!\n"
	     "gupsim/%d is trying to release lock (&mm->mmap_lock) mm %d, %s\n"
	     "but there are no more locks to release!\n",
	     gupsim_current()->pid, mm->id, mode_name[mode]);
}

static int lock_mode(struct mm_struct *mm, enum held_mode mode)
{
	int err;

	if (mode == HELD_WRITE)
		err = pthread_rwlock_wrlock(&mm->mmap_lock);
	else
		err = pthread_rwlock_rdlock(&mm->mmap_lock);
	WARN(mm->sim, err, "mmap_lock: mm %d: %s lock failed: %s\n", mm->id, mode_name[mode],
	     strerror(err));
	return -err;
}

/* Take @mm's lock in @mode: 0, or -EDEADLK (WARNed) if this thread holds it. */
static int mmap_lock_take(struct mm_struct *mm, enum held_mode mode, bool lib)
{
	struct held_lock *h = held_find(mm);
	int err;

	if (h) {
		report_recursive(mm, mode, h);
		return -EDEADLK;
	}
	err = lock_mode(mm, mode);
	if (!err)
		held_push(mm, mode, lib);
	return err;
}

static void mmap_lock_release(struct mm_struct *mm, enum held_mode mode)
{
	struct held_lock *h = held_find(mm);
	bool lib = false;
	int err;

	if (!h && !held.untracked) {
		report_unbalanced(mm, mode);
		return;
	}
	if (h && h->nested) {
		h->nested--;
		return;
	}
	if (h && h->mode != mode)
		report_unbalanced(mm, mode);	/* released in the mode it was taken */
	if (h) {
		lib = h->lib;
		held_drop(h);
	} else {
		held.untracked--;
	}
	err = pthread_rwlock_unlock(&mm->mmap_lock);
	WARN(mm->sim, err, "mmap_lock: mm %d: unlock failed: %s\n", mm->id, strerror(err));
	if (lib)
		lib_lock_released();	/* may deliver what waited for it */
}

/* A public lock call on a lock this thread holds: WARN, and a nested hold. */
static void mmap_lock_public(struct mm_struct *mm, enum held_mode mode)
{
	struct held_lock *h = held_find(mm);

	if (h) {
		report_recursive(mm, mode, h);
		h->nested++;
		return;
	}
	(void)mmap_lock_take(mm, mode, false);
}

/* ------------------------------------------------------------------ */
/* The public API: locks the caller holds across calls */

void gupsim_mmap_read_lock(struct mm_struct *mm)
{
	if (mm)
		mmap_lock_public(mm, HELD_READ);
}

/* No fatal signals in the simulation: 0, or -EDEADLK (WARNed) if held. */
int gupsim_mmap_read_lock_killable(struct mm_struct *mm)
{
	if (!mm)
		return -EINVAL;
	return mmap_lock_take(mm, HELD_READ, false);
}

/* Like the kernel's, a trylock is not checked for recursion: false if held. */
bool gupsim_mmap_read_trylock(struct mm_struct *mm)
{
	if (!mm || held_find(mm) || pthread_rwlock_tryrdlock(&mm->mmap_lock))
		return false;
	held_push(mm, HELD_READ, false);
	return true;
}

void gupsim_mmap_read_unlock(struct mm_struct *mm)
{
	if (mm)
		mmap_lock_release(mm, HELD_READ);
}

void gupsim_mmap_write_lock(struct mm_struct *mm)
{
	if (mm)
		mmap_lock_public(mm, HELD_WRITE);
}

void gupsim_mmap_write_unlock(struct mm_struct *mm)
{
	if (mm)
		mmap_lock_release(mm, HELD_WRITE);
}

/* ------------------------------------------------------------------ */
/* The library's own holds, for the length of one call */

int mm_read_lock(struct mm_struct *mm)
{
	return mmap_lock_take(mm, HELD_READ, true);
}

int mm_write_lock(struct mm_struct *mm)
{
	return mmap_lock_take(mm, HELD_WRITE, true);
}

bool mm_read_trylock(struct mm_struct *mm)
{
	if (held_find(mm) || pthread_rwlock_tryrdlock(&mm->mmap_lock))
		return false;
	held_push(mm, HELD_READ, true);
	return true;
}

void mm_read_unlock(struct mm_struct *mm)
{
	mmap_lock_release(mm, HELD_READ);
}

void mm_write_unlock(struct mm_struct *mm)
{
	mmap_lock_release(mm, HELD_WRITE);
}

/* Release this thread's hold on @mm, nested ones included: @mm goes away. */
void mmap_lock_forget(struct mm_struct *mm)
{
	struct held_lock *h = held_find(mm);

	if (!h)
		return;
	h->nested = 0;
	mmap_lock_release(mm, h->mode);
}

unsigned int mmap_locks_held(void)
{
	return held.nr + held.untracked;
}
