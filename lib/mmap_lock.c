// SPDX-License-Identifier: MIT
/*
 * The mmap lock (mm/mmap_lock.c, include/linux/mmap_lock.h): mmap_read_lock()
 * and friends, and the per-thread record of held locks behind
 * mmap_assert_locked().
 */
#include "internal.h"

/* The mmap lock: a pthread rwlock. Each thread remembers which mm locks it
 * holds, for mmap_assert_locked() (the kernel's lockdep check) and for
 * rmap_walk(), which must not relock an mm its caller holds. */

#define MMAP_HELD_MAX	16

static _Thread_local struct {
	unsigned int nr;
	struct mm_struct *mm[MMAP_HELD_MAX];
} mmap_held;

static void mmap_held_push(struct mm_struct *mm)
{
	if (mmap_held.nr < MMAP_HELD_MAX)
		mmap_held.mm[mmap_held.nr] = mm;
	mmap_held.nr++;
}

static void mmap_held_pop(struct mm_struct *mm)
{
	unsigned int n = mmap_held.nr < MMAP_HELD_MAX ? mmap_held.nr : MMAP_HELD_MAX;

	for (unsigned int i = n; i-- > 0;) {
		if (mmap_held.mm[i] == mm) {
			mmap_held.mm[i] = mmap_held.mm[n - 1];
			break;
		}
	}
	if (mmap_held.nr)
		mmap_held.nr--;
}

/*
 * Writers are preferred, like the kernel's rwsem: a stream of readers (GUP
 * in many threads) cannot starve munmap(). As with the rwsem, a thread must
 * then not take the read lock twice while a writer may be waiting.
 */
void mmap_lock_init(struct mm_struct *mm)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&mm->mmap_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

bool mmap_lock_held(struct mm_struct *mm)
{
	unsigned int n = mmap_held.nr < MMAP_HELD_MAX ? mmap_held.nr : MMAP_HELD_MAX;

	for (unsigned int i = 0; i < n; i++)
		if (mmap_held.mm[i] == mm)
			return true;
	return mmap_held.nr > MMAP_HELD_MAX;	/* lost track: assume so */
}

void mmap_assert_locked(struct mm_struct *mm)
{
	WARN(mm->sim, !mmap_lock_held(mm), "mmap_assert_locked: mm %d: mmap_lock not held\n",
	     mm->id);
}

void gupsim_mmap_read_lock(struct mm_struct *mm)
{
	if (!mm)
		return;
	pthread_rwlock_rdlock(&mm->mmap_lock);
	mmap_held_push(mm);
}

/* No fatal signals in the simulation: always 0. */
int gupsim_mmap_read_lock_killable(struct mm_struct *mm)
{
	if (!mm)
		return -EINVAL;
	gupsim_mmap_read_lock(mm);
	return 0;
}

bool gupsim_mmap_read_trylock(struct mm_struct *mm)
{
	if (!mm || pthread_rwlock_tryrdlock(&mm->mmap_lock))
		return false;
	mmap_held_push(mm);
	return true;
}

void gupsim_mmap_read_unlock(struct mm_struct *mm)
{
	if (!mm)
		return;
	mmap_held_pop(mm);
	pthread_rwlock_unlock(&mm->mmap_lock);
}

void gupsim_mmap_write_lock(struct mm_struct *mm)
{
	if (!mm)
		return;
	pthread_rwlock_wrlock(&mm->mmap_lock);
	mmap_held_push(mm);
}

void gupsim_mmap_write_unlock(struct mm_struct *mm)
{
	if (!mm)
		return;
	mmap_held_pop(mm);
	pthread_rwlock_unlock(&mm->mmap_lock);
}
