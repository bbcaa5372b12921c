// SPDX-License-Identifier: MIT
/*
 * The calling thread's task context (`current`), kthread_use_mm() and the
 * word spinlock used for page-table locks.
 *
 * Every thread is its own task: current->mm is the address space the plain,
 * *_fast and *_unlocked GUP variants act on, set with kthread_use_mm() as a
 * kernel worker thread (io_uring, vhost) does.
 */
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "internal.h"

_Thread_local struct task_struct gupsim_current_task;

static int task_tid(void)
{
	return (int)syscall(SYS_gettid);
}

struct task_struct *gupsim_current(void)
{
	struct task_struct *tsk = get_current();

	if (unlikely(!tsk->pid))
		tsk->pid = task_tid();
	return tsk;
}

/*
 * kthread_use_mm(): make @mm the calling thread's current->mm. Using a
 * second mm without unusing the first WARNs (the kernel WARNs on any
 * tsk->mm); the old mm is then released so that no reference leaks. Using
 * the same mm again is a no-op.
 */
void gupsim_kthread_use_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = gupsim_current();
	struct mm_struct *old = tsk->mm;

	if (!mm) {
		WARN_ON_ONCE(old ? old->sim : NULL, true);
		return;
	}
	if (old == mm)
		return;
	if (WARN_ON_ONCE(mm->sim, old != NULL))
		gupsim_kthread_unuse_mm(old);
	/*
	 * TODO(mm helper): take a reference with gupsim_mm_get(mm) here, and
	 * drop it with gupsim_mm_put() in gupsim_kthread_unuse_mm(), once
	 * lib/mmap.c provides them (the kernel's mmgrab()/mmdrop() pair keeps
	 * the mm alive while a kthread uses it).
	 */
	tsk->mm = mm;
}

/* kthread_unuse_mm(): @mm must be the one in use (WARN and no change if not). */
void gupsim_kthread_unuse_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = gupsim_current();

	if (WARN_ON_ONCE(mm ? mm->sim : (tsk->mm ? tsk->mm->sim : NULL), tsk->mm != mm || !mm))
		return;
	tsk->mm = NULL;
	/* TODO(mm helper): gupsim_mm_put(mm), paired with use_mm's gupsim_mm_get(). */
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#define SPIN_LOCK_SPINS	128

/*
 * Take a word lock: spin a bounded number of times on a plain read (no
 * cache-line bouncing while the holder works), then let the holder run.
 * The simulator may have more threads than CPUs, where pure spinning
 * would burn the holder's time slice.
 */
void spin_lock_word(unsigned long *word)
{
	unsigned int spins;

	for (;;) {
		if (spin_trylock_word(word))
			return;
		for (spins = 0; spins < SPIN_LOCK_SPINS; spins++) {
			cpu_relax();
			if (!READ_ONCE_UL(word))
				break;
		}
		if (READ_ONCE_UL(word))
			sched_yield();
	}
}
