// SPDX-License-Identifier: MIT
/*
 * MMU notifiers (mm/mmu_notifier.c): secondary MMUs (a device's page
 * tables, KVM) subscribe to an mm and hear about every range whose
 * mappings are about to change, so that they can drop their own
 * translations (and the pins or references behind them) first.
 *
 * The kernel protects the subscription list with SRCU; gupsim holds
 * mm->notifier_lock across the callbacks instead. Callbacks run with no
 * page-table, folio or anon_vma lock held, so they may unpin pages; like
 * the kernel's they must not take the mmap lock of the mm (the caller may
 * hold it for writing) nor register or unregister subscriptions.
 */
#include "internal.h"

static bool notifier_listed(struct mm_struct *mm, struct mmu_notifier *sub)
{
	for (struct mmu_notifier *n = mm->notifiers; n; n = n->next)
		if (n == sub)
			return true;
	return false;
}

static void notifier_unlink(struct mm_struct *mm, struct mmu_notifier *sub)
{
	for (struct mmu_notifier **p = &mm->notifiers; *p; p = &(*p)->next) {
		if (*p == sub) {
			*p = sub->next;
			break;
		}
	}
	sub->next = NULL;
	WRITE_ONCE_UL(&sub->mm, 0);
}

/*
 * mmu_notifier_register(). -EINVAL for a NULL argument or ops, or an mm
 * that is being torn down; -EBUSY if @sub is registered already (the
 * kernel would corrupt its list).
 */
int gupsim_mmu_notifier_register(struct mmu_notifier *sub, struct mm_struct *mm)
{
	int err = 0;

	if (!sub || !mm || !sub->ops)
		return -EINVAL;
	if (atomic_read(&mm->mm_users) <= 0)
		return -EINVAL;
	pthread_mutex_lock(&mm->notifier_lock);
	if (sub->mm || notifier_listed(mm, sub)) {
		err = -EBUSY;
	} else {
		/* newest first, as hlist_add_head_rcu() does */
		WRITE_ONCE_UL(&sub->mm, mm);
		sub->next = mm->notifiers;
		mm->notifiers = sub;
	}
	pthread_mutex_unlock(&mm->notifier_lock);
	return err;
}

/*
 * mmu_notifier_unregister(): calls ->release unless the mm's teardown
 * already did (then the subscription no longer refers to @mm, which may be
 * gone, and nothing is touched). As in the kernel, the caller keeps @mm
 * alive for the call: it must not race with the mm's last gupsim_mm_put().
 */
void gupsim_mmu_notifier_unregister(struct mmu_notifier *sub, struct mm_struct *mm)
{
	if (!sub || !mm || (struct mm_struct *)READ_ONCE_UL(&sub->mm) != mm)
		return;
	pthread_mutex_lock(&mm->notifier_lock);
	if (notifier_listed(mm, sub)) {
		if (sub->ops->release)
			sub->ops->release(sub, mm);
		notifier_unlink(mm, sub);
	}
	pthread_mutex_unlock(&mm->notifier_lock);
}

void mmu_notifier_invalidate_range_start(struct mm_struct *mm, unsigned long start,
					 unsigned long end, enum mmu_notifier_event event)
{
	struct mmu_notifier_range range = {
		.mm = mm, .start = start, .end = end, .event = event,
	};

	pthread_mutex_lock(&mm->notifier_lock);
	for (struct mmu_notifier *sub = mm->notifiers; sub; sub = sub->next) {
		int ret;

		if (!sub->ops->invalidate_range_start)
			continue;
		ret = sub->ops->invalidate_range_start(sub, &range);
		/* every gupsim range is blockable: a callback may not fail it */
		WARN(mm->sim, ret, "%p callback failed with %d in blockable context.\n",
		     (void *)sub->ops->invalidate_range_start, ret);
	}
	pthread_mutex_unlock(&mm->notifier_lock);
}

void mmu_notifier_invalidate_range_end(struct mm_struct *mm, unsigned long start,
				       unsigned long end, enum mmu_notifier_event event)
{
	struct mmu_notifier_range range = {
		.mm = mm, .start = start, .end = end, .event = event,
	};

	pthread_mutex_lock(&mm->notifier_lock);
	for (struct mmu_notifier *sub = mm->notifiers; sub; sub = sub->next)
		if (sub->ops->invalidate_range_end)
			sub->ops->invalidate_range_end(sub, &range);
	pthread_mutex_unlock(&mm->notifier_lock);
}

/*
 * The mm is going away (exit_mmap): every subscriber hears ->release once
 * and is unlinked; a later mmu_notifier_unregister() is then a no-op.
 */
void mmu_notifier_release(struct mm_struct *mm)
{
	pthread_mutex_lock(&mm->notifier_lock);
	while (mm->notifiers) {
		struct mmu_notifier *sub = mm->notifiers;

		if (sub->ops->release)
			sub->ops->release(sub, mm);
		notifier_unlink(mm, sub);
	}
	pthread_mutex_unlock(&mm->notifier_lock);
}
