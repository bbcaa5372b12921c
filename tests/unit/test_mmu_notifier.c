// SPDX-License-Identifier: MIT
/*
 * MMU notifiers: registration, the exact ranges and events of munmap,
 * MAP_FIXED, mprotect and MADV_DONTNEED, release at teardown, and a
 * secondary MMU that unpins its pages from its invalidate callback.
 */
#include "mm_helpers.h"

#define P	PAGE_SIZE

struct event {
	char kind;			/* 's'tart, 'e'nd, 'r'elease */
	unsigned long start, end;
	enum mmu_notifier_event event;
};

struct recorder {
	struct mmu_notifier sub;	/* first */
	int id;
	int nr;
	struct event ev[16];
	int *order;			/* shared log of which recorder ran */
	int *order_nr;
	int ret;			/* what invalidate_range_start answers */
	/* a "device" that pinned a page and lets go when told to */
	struct folio *pinned;
	unsigned long pinned_addr;
	bool saw_mapped_at_start, saw_unmapped_at_end;
};

static void record(struct recorder *r, char kind, const struct mmu_notifier_range *range)
{
	if (r->nr < 16) {
		r->ev[r->nr].kind = kind;
		if (range) {
			r->ev[r->nr].start = range->start;
			r->ev[r->nr].end = range->end;
			r->ev[r->nr].event = range->event;
		}
	}
	r->nr++;
	if (r->order)
		r->order[(*r->order_nr)++] = r->id;
}

/* Read without the mmap lock: the caller of the notifier holds it. */
static bool mapped_now(struct mm_struct *mm, unsigned long addr)
{
	enum pt_level level;
	pteval_t *e = pgtable_lookup(mm, addr, &level);

	return e && pte_present(pt_read(e));
}

static int rec_start(struct mmu_notifier *sub, const struct mmu_notifier_range *range)
{
	struct recorder *r = (struct recorder *)sub;

	record(r, 's', range);
	if (r->pinned && range->start <= r->pinned_addr && r->pinned_addr < range->end) {
		r->saw_mapped_at_start = mapped_now(range->mm, r->pinned_addr);
		gupsim_unpin_user_page(&r->pinned->page);
		r->pinned = NULL;
	}
	return r->ret;
}

static void rec_end(struct mmu_notifier *sub, const struct mmu_notifier_range *range)
{
	struct recorder *r = (struct recorder *)sub;

	record(r, 'e', range);
	if (r->pinned_addr && range->start <= r->pinned_addr && r->pinned_addr < range->end)
		r->saw_unmapped_at_end = !mapped_now(range->mm, r->pinned_addr);
}

static void rec_release(struct mmu_notifier *sub, struct mm_struct *mm)
{
	(void)mm;
	record((struct recorder *)sub, 'r', NULL);
}

static const struct mmu_notifier_ops rec_ops = {
	.release = rec_release,
	.invalidate_range_start = rec_start,
	.invalidate_range_end = rec_end,
};

static void expect(const struct recorder *r, int i, char kind, unsigned long start,
		   unsigned long end, enum mmu_notifier_event event)
{
	assert_true(i < r->nr);
	assert_int_equal(r->ev[i].kind, kind);
	assert_int_equal(r->ev[i].start, start);
	assert_int_equal(r->ev[i].end, end);
	assert_int_equal(r->ev[i].event, event);
}

static void registration_checks_its_arguments(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct recorder r = { .sub.ops = &rec_ops };
	struct mmu_notifier no_ops = { 0 };

	assert_int_equal(gupsim_mmu_notifier_register(NULL, mm), -EINVAL);
	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, NULL), -EINVAL);
	assert_int_equal(gupsim_mmu_notifier_register(&no_ops, mm), -EINVAL);
	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), 0);
	assert_ptr_equal(r.sub.mm, mm);
	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), -EBUSY);
	/* unregister runs ->release, once */
	gupsim_mmu_notifier_unregister(&r.sub, mm);
	gupsim_mmu_notifier_unregister(&r.sub, mm);
	gupsim_mmu_notifier_unregister(NULL, mm);
	assert_int_equal(r.nr, 1);
	assert_int_equal(r.ev[0].kind, 'r');
	assert_null(r.sub.mm);
	/* and no more callbacks */
	assert_int_equal(gupsim_munmap(mm, mmap_anon(mm, 0, P, PROT_READ, 0), P), 0);
	assert_int_equal(r.nr, 1);
}

static void munmap_notifies_the_exact_range(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct recorder r = { .sub.ops = &rec_ops };
	unsigned long a = mmap_anon(mm, 0, 8 * P, PROT_READ | PROT_WRITE, 0);

	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), 0);
	/* a range that covers a hole after the VMA: the range as asked */
	assert_int_equal(gupsim_munmap(mm, a + 6 * P, 4 * P), 0);
	assert_int_equal(r.nr, 2);
	expect(&r, 0, 's', a + 6 * P, a + 10 * P, MMU_NOTIFY_UNMAP);
	expect(&r, 1, 'e', a + 6 * P, a + 10 * P, MMU_NOTIFY_UNMAP);
	/* the length is rounded up to pages */
	assert_int_equal(gupsim_munmap(mm, a + P, 1), 0);
	expect(&r, 2, 's', a + P, a + 2 * P, MMU_NOTIFY_UNMAP);
	/* nothing mapped: no notification */
	assert_int_equal(gupsim_munmap(mm, a + P, P), 0);
	assert_int_equal(gupsim_munmap(mm, 0x100000000000UL, 16 * P), 0);
	assert_int_equal(r.nr, 4);
	/* MAP_FIXED over a mapping unmaps it first */
	assert_int_equal(mmap_anon(mm, a + 2 * P, 2 * P, PROT_READ, MAP_FIXED), a + 2 * P);
	assert_int_equal(r.nr, 6);
	expect(&r, 4, 's', a + 2 * P, a + 4 * P, MMU_NOTIFY_UNMAP);
	/* teardown: ->release only */
	gupsim_mm_put(mm);
	((struct mm_fixture *)*state)->mm = NULL;
	assert_int_equal(r.nr, 7);
	assert_int_equal(r.ev[6].kind, 'r');
	assert_null(r.sub.mm);
}

static void mprotect_notifies_each_changed_vma(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct recorder r = { .sub.ops = &rec_ops };
	unsigned long a = mmap_anon(mm, 0, 8 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long far = mmap_anon(mm, 0x300000000000UL, 4 * P, PROT_READ, 0);

	install_anon(mm, a, 0, true, false);
	assert_int_equal(gupsim_mprotect(mm, a + 4 * P, 2 * P, PROT_READ), 0);
	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), 0);
	/* [a, a+4P) RW, [a+4P, a+6P) R, [a+6P, a+8P) RW: to R everywhere */
	assert_int_equal(gupsim_mprotect(mm, a + P, 7 * P, PROT_READ), 0);
	assert_int_equal(r.nr, 4);
	expect(&r, 0, 's', a + P, a + 4 * P, MMU_NOTIFY_PROTECTION_VMA);
	expect(&r, 1, 'e', a + P, a + 4 * P, MMU_NOTIFY_PROTECTION_VMA);
	expect(&r, 2, 's', a + 6 * P, a + 8 * P, MMU_NOTIFY_PROTECTION_VMA);
	/* no change: no notification */
	assert_int_equal(gupsim_mprotect(mm, a + P, 7 * P, PROT_READ), 0);
	assert_int_equal(r.nr, 4);
	/* nothing ever mapped in that part of the address space: none either */
	assert_int_equal(gupsim_mprotect(mm, far, 4 * P, PROT_NONE), 0);
	assert_int_equal(r.nr, 4);
	gupsim_mmu_notifier_unregister(&r.sub, mm);
}

static void dontneed_notifies_clear_per_vma(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct recorder r = { .sub.ops = &rec_ops };
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);

	assert_int_equal(mmap_anon(mm, a + 4 * P, 4 * P, PROT_READ, MAP_FIXED), a + 4 * P);
	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), 0);
	assert_int_equal(gupsim_madvise(mm, a + 2 * P, 4 * P, MADV_DONTNEED), 0);
	assert_int_equal(r.nr, 4);
	expect(&r, 0, 's', a + 2 * P, a + 4 * P, MMU_NOTIFY_CLEAR);
	expect(&r, 1, 'e', a + 2 * P, a + 4 * P, MMU_NOTIFY_CLEAR);
	expect(&r, 2, 's', a + 4 * P, a + 6 * P, MMU_NOTIFY_CLEAR);
	expect(&r, 3, 'e', a + 4 * P, a + 6 * P, MMU_NOTIFY_CLEAR);
	gupsim_mmu_notifier_unregister(&r.sub, mm);
}

/*
 * truncate_pagecache(): each mapping of the file is zapped from the new end
 * to its own end (holelen 0), one MMU_NOTIFY_CLEAR range per VMA, before
 * and after the page cache is dropped, even when the file grows; shmem
 * only when it shrinks past a page (shmem_setattr()).
 */
static void truncate_notifies_clear_from_the_new_end(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct gupsim *sim = gupsim_mm_sim(mm);
	struct recorder r = { .sub.ops = &rec_ops };
	struct file *reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "r", 4 * P);
	struct file *shm = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "s", 4 * P);
	unsigned long a, b;

	assert_non_null(reg);
	assert_non_null(shm);
	/* the regular file's mapping reaches past its end */
	a = gupsim_mmap(mm, 0, 6 * P, PROT_READ | PROT_WRITE, MAP_SHARED, reg, 0);
	b = gupsim_mmap(mm, 0, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	assert_false(IS_ERR_VALUE(a));
	assert_false(IS_ERR_VALUE(b));
	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), 0);

	assert_int_equal(gupsim_file_truncate(reg, P + 100), 0);
	assert_int_equal(r.nr, 4);
	for (int i = 0; i < 4; i += 2) {
		expect(&r, i, 's', a + 2 * P, a + 6 * P, MMU_NOTIFY_CLEAR);
		expect(&r, i + 1, 'e', a + 2 * P, a + 6 * P, MMU_NOTIFY_CLEAR);
	}
	/* growing: what lies past the new end is zapped all the same */
	assert_int_equal(gupsim_file_truncate(reg, 5 * P), 0);
	assert_int_equal(r.nr, 8);
	expect(&r, 4, 's', a + 5 * P, a + 6 * P, MMU_NOTIFY_CLEAR);
	expect(&r, 7, 'e', a + 5 * P, a + 6 * P, MMU_NOTIFY_CLEAR);
	/* shmem: nothing when it grows, twice when it shrinks */
	assert_int_equal(gupsim_file_truncate(shm, 8 * P), 0);
	assert_int_equal(r.nr, 8);
	assert_int_equal(gupsim_file_truncate(shm, 2 * P), 0);
	assert_int_equal(r.nr, 12);
	expect(&r, 8, 's', b + 2 * P, b + 4 * P, MMU_NOTIFY_CLEAR);
	expect(&r, 11, 'e', b + 2 * P, b + 4 * P, MMU_NOTIFY_CLEAR);
	gupsim_mmu_notifier_unregister(&r.sub, mm);
	assert_int_equal(gupsim_munmap(mm, a, 6 * P), 0);
	assert_int_equal(gupsim_munmap(mm, b, 4 * P), 0);
	gupsim_file_put(reg);
	gupsim_file_put(shm);
}

static void subscribers_run_newest_first(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	int order[16], n = 0;
	struct recorder r1 = { .sub.ops = &rec_ops, .id = 1, .order = order, .order_nr = &n };
	struct recorder r2 = { .sub.ops = &rec_ops, .id = 2, .order = order, .order_nr = &n };
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ, 0);

	assert_int_equal(gupsim_mmu_notifier_register(&r1.sub, mm), 0);
	assert_int_equal(gupsim_mmu_notifier_register(&r2.sub, mm), 0);
	assert_int_equal(gupsim_munmap(mm, a, P), 0);
	assert_int_equal(n, 4);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	assert_int_equal(order[3], 1);
	gupsim_mmu_notifier_unregister(&r1.sub, mm);
	gupsim_mmu_notifier_unregister(&r2.sub, mm);
}

static void failing_a_blockable_range_warns(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct recorder r = { .sub.ops = &rec_ops, .ret = -EAGAIN };
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ, 0);

	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), 0);
	assert_int_equal(gupsim_munmap(mm, a, P), 0);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_non_null(strstr(fixture_warns(state)->last, "blockable"));
	gupsim_mmu_notifier_unregister(&r.sub, mm);
}

static void a_device_unpins_from_its_callback(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct recorder r = { .sub.ops = &rec_ops };
	unsigned long a = mmap_anon(mm, 0, 2 * P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a + P, 0, true, false);
	unsigned long free_before;

	/* the device holds a pin, as pin_user_pages() would have given it */
	assert_int_equal(try_grab_folio(folio, 1, FOLL_PIN), 0);
	r.pinned = folio;
	r.pinned_addr = a + P;
	assert_int_equal(gupsim_mmu_notifier_register(&r.sub, mm), 0);
	free_before = gupsim_nr_free_pages(sim);
	assert_int_equal(gupsim_munmap(mm, a, 2 * P), 0);
	assert_null(r.pinned);
	assert_true(r.saw_mapped_at_start);
	assert_true(r.saw_unmapped_at_end);
	/* the page (and the tables) are free again, nothing warned */
	assert_true(gupsim_nr_free_pages(sim) > free_before);
	assert_int_equal(fixture_warns(state)->count, 0);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED), 1);
	gupsim_mmu_notifier_unregister(&r.sub, mm);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
	const struct CMUnitTest tests[] = {
		T(registration_checks_its_arguments),
		T(munmap_notifies_the_exact_range),
		T(mprotect_notifies_each_changed_vma),
		T(dontneed_notifies_clear_per_vma),
		T(truncate_notifies_clear_from_the_new_end),
		T(subscribers_run_newest_first),
		T(failing_a_blockable_range_warns),
		T(a_device_unpins_from_its_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
