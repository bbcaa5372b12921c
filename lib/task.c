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
#include <stdlib.h>
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
 * kthread_use_mm() and the machine's lifetime.
 *
 * A thread that uses an mm holds a reference on it (mm_users, what the
 * kernel's mmgrab() + mmget_not_zero() pairing gives a worker), dropped at
 * kthread_unuse_mm() or when the thread exits: the owner's last
 * gupsim_mm_put() then leaves the mm alive until the thread lets it go.
 *
 * gupsim_destroy() cannot reach into other threads' current: an mm still
 * in use there is "orphaned" instead of freed. gupsim_destroy() WARNs,
 * empties it (no VMA, no page, no table, no machine: mm->sim is NULL) and
 * keeps its struct, which the last thread to unuse it frees. Until then
 * every call that acts on current->mm finds it orphaned (current_mm()) and
 * reports it as a GUP without an mm; kthread_unuse_mm() just lets it go.
 * kthread_users and orphaned are protected by task_mm_lock, process-wide
 * since it must outlive the machine; it is taken only by use, unuse and
 * gupsim_destroy().
 */
static pthread_mutex_t task_mm_lock = PTHREAD_MUTEX_INITIALIZER;

/* mmget_not_zero() + one more thread using @mm; false (WARN) if dead. */
static bool mm_use_get(struct mm_struct *mm)
{
	if (WARN(mm->sim, !atomic_inc_not_zero(&mm->mm_users),
		 "kthread_use_mm: mm %d has no users\n", mm->id))
		return false;
	pthread_mutex_lock(&task_mm_lock);
	mm->kthread_users++;
	pthread_mutex_unlock(&task_mm_lock);
	return true;
}

/* The calling thread stops using @mm: drop its reference, or free an orphan. */
static void mm_use_put(struct mm_struct *mm)
{
	bool orphaned, free_it;

	pthread_mutex_lock(&task_mm_lock);
	mm->kthread_users--;
	orphaned = READ_ONCE_UL(&mm->orphaned);
	/* mm->sim is cleared once gupsim_destroy() has emptied it */
	free_it = orphaned && !mm->kthread_users && !mm->sim;
	pthread_mutex_unlock(&task_mm_lock);
	if (free_it)
		free(mm);
	else if (!orphaned)
		gupsim_mm_put(mm);
}

int mms_orphan_used(struct gupsim *sim)
{
	int n = 0;

	pthread_mutex_lock(&sim->mm_list_lock);
	pthread_mutex_lock(&task_mm_lock);
	for (struct mm_struct *mm = sim->mm_list; mm; mm = mm->list_next) {
		if (mm->kthread_users) {
			WRITE_ONCE_UL(&mm->orphaned, 1);
			n += mm->kthread_users;
		}
	}
	pthread_mutex_unlock(&task_mm_lock);
	pthread_mutex_unlock(&sim->mm_list_lock);
	return n;
}

void mm_orphan_done(struct mm_struct *mm)
{
	bool free_it;

	pthread_mutex_lock(&task_mm_lock);
	mm->sim = NULL;
	free_it = !mm->kthread_users;
	pthread_mutex_unlock(&task_mm_lock);
	if (free_it)
		free(mm);
}

struct mm_struct *current_mm(void)
{
	struct mm_struct *mm = get_current()->mm;

	/* orphaned only ever goes 0 -> 1, and only by gupsim_destroy() */
	if (!mm || likely(!READ_ONCE_UL(&mm->orphaned)))
		return mm;
	WARN(NULL, 1, "current->mm %d belongs to a destroyed machine (kthread_unuse_mm() missing)\n",
	     mm->id);
	return NULL;
}

/*
 * kthread_use_mm(): make @mm the calling thread's current->mm, holding a
 * reference on it. Using a second mm without unusing the first WARNs (the
 * kernel WARNs on any tsk->mm); the old mm is then released so that no
 * reference leaks. Using the same mm again is a no-op.
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
	if (!mm_use_get(mm))
		return;
	tsk->mm = mm;
	task_arm_exit();
}

/* kthread_unuse_mm(): @mm must be the one in use (WARN and no change if not). */
void gupsim_kthread_unuse_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = gupsim_current();

	if (WARN_ON_ONCE(mm ? mm->sim : (tsk->mm ? tsk->mm->sim : NULL), tsk->mm != mm || !mm))
		return;
	tsk->mm = NULL;
	mm_use_put(mm);
}

/* ------------------------------------------------------------------ */
/* Thread exit: what a thread holds goes when it exits (a pthread key's
 * destructor; the main thread's run only if it calls pthread_exit()). */

static pthread_key_t task_exit_key;
static pthread_once_t task_exit_once = PTHREAD_ONCE_INIT;
static _Thread_local bool task_exit_armed;
static atomic_long_t task_next_thread_id;
static _Thread_local unsigned long task_thread_nr;

unsigned long task_thread_id(void)
{
	if (unlikely(!task_thread_nr))
		task_thread_nr = (unsigned long)atomic_long_add_return(1, &task_next_thread_id);
	return task_thread_nr;
}

static pthread_mutex_t task_links_mutex = PTHREAD_MUTEX_INITIALIZER;
/* The calling thread's links: a circular list, set up on first use. */
static _Thread_local struct task_link task_links_head;

void task_links_lock(void)
{
	pthread_mutex_lock(&task_links_mutex);
}

void task_links_unlock(void)
{
	pthread_mutex_unlock(&task_links_mutex);
}

void task_link_add(struct task_link *link)
{
	struct task_link *head = &task_links_head;

	if (!head->next)
		head->next = head->prev = head;
	link->next = head->next;
	link->prev = head;
	head->next->prev = link;
	head->next = link;
	task_arm_exit();
}

void task_link_del(struct task_link *link)
{
	if (!link->next)
		return;
	link->prev->next = link->next;
	link->next->prev = link->prev;
	link->next = link->prev = NULL;
}

/* Let go of what the thread owns in every machine (see struct task_link). */
static void task_links_exit(void)
{
	struct task_link *head = &task_links_head;

	task_links_lock();
	while (head->next && head->next != head) {
		struct task_link *link = head->next;

		task_link_del(link);
		link->exit(link);
	}
	task_links_unlock();
}

static void task_exit(void *unused)
{
	struct task_struct *tsk = get_current();
	struct mm_struct *mm = tsk->mm;

	(void)unused;
	task_exit_armed = false;	/* re-armed if what follows counts again */
	if (mm) {
		/* the kernel's exit_mm() drops a worker's mm silently */
		tsk->mm = NULL;
		mm_use_put(mm);
	}
	task_links_exit();
}

static void task_exit_key_create(void)
{
	if (pthread_key_create(&task_exit_key, task_exit))
		abort();	/* PTHREAD_KEYS_MAX reached: nothing sensible to do */
}

void task_arm_exit(void)
{
	if (likely(task_exit_armed))
		return;
	pthread_once(&task_exit_once, task_exit_key_create);
	/* any non-NULL value: the destructor runs only for those */
	pthread_setspecific(task_exit_key, &task_exit_armed);
	task_exit_armed = true;
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
