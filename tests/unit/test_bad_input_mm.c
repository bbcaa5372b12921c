// SPDX-License-Identifier: MIT
/*
 * Bad-input survey, part 3: address spaces (mm.h). mmap, munmap, mprotect
 * and madvise give their system calls' errnos, checked in the kernel's
 * order (do_mmap(), __vm_munmap(), do_mprotect_pkey(), do_madvise());
 * user accesses give -EFAULT; NULL everywhere is -EINVAL, NULL or nothing;
 * every refusal leaves the address space and the machine as they were.
 *
 * Not detectable, so not tested: an mm used after its last gupsim_mm_put()
 * (its memory is freed, as a kernel mm_struct is), and a call that takes
 * the mmap lock made by a thread that already holds it (a deadlock, as in
 * the kernel).
 */
#include <sys/mman.h>

#include "bad_input.h"

struct mm_fixture {
	struct sim_fixture f;		/* first: fixture_sim() and fixture_warns() */
	struct mm_struct *mm;
	unsigned long anon;		/* 4 pages, R/W, private anonymous */
};

static struct mm_struct *fixture_mm(void **state)
{
	return ((struct mm_fixture *)*state)->mm;
}

static unsigned long fixture_anon(void **state)
{
	return ((struct mm_fixture *)*state)->anon;
}

static int mm_setup(void **state)
{
	struct gupsim_config cfg;
	struct mm_fixture *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.hugetlb_2m_pages = 1;
	m->f.sim = gupsim_create(&cfg);
	if (!m->f.sim)
		return -1;
	gupsim_set_warn_handler(m->f.sim, warn_log_fn, &m->f.warns);
	m->mm = gupsim_mm_create(m->f.sim);
	if (!m->mm)
		return -1;
	m->anon = gupsim_mmap(m->mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (GUPSIM_IS_ERR_VALUE(m->anon))
		return -1;
	*state = m;
	return 0;
}

static int mm_teardown(void **state)
{
	struct mm_fixture *m = *state;

	gupsim_mm_put(m->mm);
	gupsim_destroy(m->f.sim);
	free(m);
	return 0;
}

/* The VMAs of the fixture's mm as (start, end, flags) triples. */
struct vma_list {
	int n;
	unsigned long v[3 * 16];
};

static void vma_list_take(struct mm_struct *mm, struct vma_list *l)
{
	struct vm_area_struct *vma;

	l->n = 0;
	gupsim_mmap_read_lock(mm);
	for (vma = gupsim_find_vma(mm, 0); vma && l->n < 16; vma = vma->vm_next, l->n++) {
		l->v[3 * l->n] = vma->vm_start;
		l->v[3 * l->n + 1] = vma->vm_end;
		l->v[3 * l->n + 2] = vma->vm_flags;
	}
	gupsim_mmap_read_unlock(mm);
}

static void vma_list_assert_same(struct mm_struct *mm, const struct vma_list *before)
{
	struct vma_list now;

	vma_list_take(mm, &now);
	assert_int_equal(now.n, before->n);
	assert_memory_equal(now.v, before->v, sizeof(unsigned long) * 3 * (size_t)now.n);
}

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define MMAP_ERR(e)	((unsigned long)-(long)(e))

static void null_mm_everywhere(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mmu_notifier_ops ops = { 0 };
	struct mmu_notifier sub = { .ops = &ops };
	struct bi_snapshot s;
	char buf[8];

	bi_snap(sim, &s);
	assert_int_equal(gupsim_mmap(NULL, 0, PAGE_SIZE, RW, ANON, NULL, 0), MMAP_ERR(EINVAL));
	assert_int_equal(gupsim_munmap(NULL, 0, PAGE_SIZE), -EINVAL);
	assert_int_equal(gupsim_mprotect(NULL, 0, PAGE_SIZE, PROT_READ), -EINVAL);
	assert_int_equal(gupsim_madvise(NULL, 0, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_read(NULL, 0, buf, 8), -EINVAL);
	assert_int_equal(gupsim_write(NULL, 0, buf, 8), -EINVAL);
	assert_null(gupsim_follow_page(NULL, 0));
	assert_null(gupsim_find_vma(NULL, 0));
	assert_null(gupsim_vma_lookup(NULL, 0));
	assert_null(gupsim_mm_sim(NULL));
	assert_false(gupsim_mm_has_pinned(NULL));
	gupsim_mm_get(NULL);
	gupsim_mm_put(NULL);
	gupsim_mmap_read_lock(NULL);
	gupsim_mmap_read_unlock(NULL);
	gupsim_mmap_write_lock(NULL);
	gupsim_mmap_write_unlock(NULL);
	assert_int_equal(gupsim_mmap_read_lock_killable(NULL), -EINVAL);
	assert_false(gupsim_mmap_read_trylock(NULL));
	assert_int_equal(gupsim_mmu_notifier_register(&sub, NULL), -EINVAL);
	assert_int_equal(gupsim_mmu_notifier_register(NULL, fixture_mm(state)), -EINVAL);
	gupsim_mmu_notifier_unregister(NULL, NULL);
	gupsim_mmu_notifier_unregister(&sub, NULL);
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);
}

/* ksys_mmap_pgoff() / do_mmap() order: offset, type, length, address. */
static void mmap_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "f", 4 * PAGE_SIZE);
	struct bi_snapshot s;
	struct vma_list v;

	assert_non_null(file);
	bi_snap(sim, &s);
	vma_list_take(mm, &v);
	assert_int_equal(gupsim_mmap(mm, 0, 0, RW, ANON, NULL, 0), MMAP_ERR(EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, PAGE_SIZE, RW, ANON, NULL, 1), MMAP_ERR(EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, PAGE_SIZE, RW, MAP_SHARED, file, 100),
			 MMAP_ERR(EINVAL));
	/* neither MAP_PRIVATE nor MAP_SHARED, or an undefined type */
	assert_int_equal(gupsim_mmap(mm, 0, PAGE_SIZE, RW, MAP_ANONYMOUS, NULL, 0),
			 MMAP_ERR(EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, PAGE_SIZE, RW, 0x0f | MAP_ANONYMOUS, NULL, 0),
			 MMAP_ERR(EINVAL));
	/* MAP_SHARED_VALIDATE refuses flags it does not know */
	assert_int_equal(gupsim_mmap(mm, 0, PAGE_SIZE, RW,
				     MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800000, NULL, 0),
			 MMAP_ERR(EOPNOTSUPP));
	/* no file without MAP_ANONYMOUS */
	assert_int_equal(gupsim_mmap(mm, 0, PAGE_SIZE, RW, MAP_PRIVATE, NULL, 0),
			 MMAP_ERR(EBADF));
	/* lengths that overflow or exceed the address space */
	assert_int_equal(gupsim_mmap(mm, 0, SIZE_MAX, RW, ANON, NULL, 0), MMAP_ERR(ENOMEM));
	assert_int_equal(gupsim_mmap(mm, 0, SIZE_MAX - PAGE_SIZE, RW, ANON, NULL, 0),
			 MMAP_ERR(ENOMEM));
	assert_int_equal(gupsim_mmap(mm, 0, 1UL << 47, RW, ANON, NULL, 0), MMAP_ERR(ENOMEM));
	/* MAP_FIXED: unaligned, beyond the user address space */
	assert_int_equal(gupsim_mmap(mm, 0x10000001, PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0),
			 MMAP_ERR(EINVAL));
	assert_int_equal(gupsim_mmap(mm, 1UL << 47, PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0),
			 MMAP_ERR(ENOMEM));
	assert_int_equal(gupsim_mmap(mm, ULONG_MAX & PAGE_MASK, PAGE_SIZE, RW,
				     ANON | MAP_FIXED, NULL, 0), MMAP_ERR(ENOMEM));
	assert_int_equal(gupsim_mmap(mm, fixture_anon(state), PAGE_SIZE, RW,
				     ANON | MAP_FIXED_NOREPLACE, NULL, 0), MMAP_ERR(EEXIST));
	/* hugetlb: no such huge page size; not a hugetlbfs file; pool too small */
	assert_int_equal(gupsim_mmap(mm, 0, PMD_SIZE, RW, ANON | MAP_HUGETLB | (20 << 26),
				     NULL, 0), MMAP_ERR(EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, PAGE_SIZE, RW, MAP_SHARED | MAP_HUGETLB, file, 0),
			 MMAP_ERR(EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, 2 * PMD_SIZE, RW, ANON | MAP_HUGETLB, NULL, 0),
			 MMAP_ERR(ENOMEM));
	bi_assert_unchanged(sim, &s);
	vma_list_assert_same(mm, &v);
	bi_expect_warns(state, 0);
	gupsim_file_put(file);
}

/* A file belongs to one machine; mapping it into another is refused. */
static void mmap_file_of_another_machine(void **state)
{
	struct gupsim *other = gupsim_create(NULL);
	struct file *file;

	assert_non_null(other);
	file = gupsim_file_create(other, GUPSIM_FILE_SHMEM, "f", PAGE_SIZE);
	assert_non_null(file);
	assert_int_equal(gupsim_mmap(fixture_mm(state), 0, PAGE_SIZE, RW, MAP_SHARED, file, 0),
			 MMAP_ERR(EINVAL));
	gupsim_file_put(file);
	gupsim_destroy(other);
	bi_expect_warns(state, 0);
}

/* __vm_munmap(): unaligned, zero or out-of-range lengths are -EINVAL. */
static void munmap_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = fixture_anon(state);
	unsigned long huge;
	struct bi_snapshot s;
	struct vma_list v;

	huge = gupsim_mmap(mm, 0, PMD_SIZE, RW, ANON | MAP_HUGETLB, NULL, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(huge));
	bi_snap(sim, &s);
	vma_list_take(mm, &v);
	assert_int_equal(gupsim_munmap(mm, a + 1, PAGE_SIZE), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, a, 0), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, a, SIZE_MAX), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, ULONG_MAX & PAGE_MASK, PAGE_SIZE), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, 1UL << 47, PAGE_SIZE), -EINVAL);
	/* inside a huge page: the hugetlb VMA cannot be split there */
	assert_int_equal(gupsim_munmap(mm, huge + PAGE_SIZE, PAGE_SIZE), -EINVAL);
	/* nothing mapped there: fine, nothing happens */
	assert_int_equal(gupsim_munmap(mm, 0x1000, PAGE_SIZE), 0);
	bi_assert_unchanged(sim, &s);
	vma_list_assert_same(mm, &v);
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_munmap(mm, huge, PMD_SIZE), 0);
}

/* do_mprotect_pkey(): alignment, then len 0 is 0, then wrap, then prot. */
static void mprotect_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = fixture_anon(state);
	struct bi_snapshot s;
	struct vma_list v;

	bi_snap(sim, &s);
	vma_list_take(mm, &v);
	assert_int_equal(gupsim_mprotect(mm, a + 1, PAGE_SIZE, PROT_READ), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, 0, 0x100), 0);	/* len 0 before prot */
	assert_int_equal(gupsim_mprotect(mm, a, 0, PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, SIZE_MAX, PROT_READ), -ENOMEM);
	assert_int_equal(gupsim_mprotect(mm, ULONG_MAX & PAGE_MASK, 2 * PAGE_SIZE, PROT_READ),
			 -ENOMEM);
	assert_int_equal(gupsim_mprotect(mm, a, PAGE_SIZE, 0x100), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, PAGE_SIZE, -1), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, PAGE_SIZE,
					 PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
	/* a range with a hole: -ENOMEM, and nothing changed before it */
	assert_int_equal(gupsim_mprotect(mm, a, 8 * PAGE_SIZE, PROT_READ), -ENOMEM);
	assert_int_equal(gupsim_mprotect(mm, 0x1000, PAGE_SIZE, PROT_READ), -ENOMEM);
	bi_assert_unchanged(sim, &s);
	vma_list_assert_same(mm, &v);
	bi_expect_warns(state, 0);
}

/* do_madvise(): advice, alignment, rounding, wrap, then the VMAs. */
static void madvise_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = fixture_anon(state);
	struct bi_snapshot s;
	struct vma_list v;

	bi_snap(sim, &s);
	vma_list_take(mm, &v);
	assert_int_equal(gupsim_madvise(mm, a, PAGE_SIZE, -1), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, PAGE_SIZE, 12345), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, PAGE_SIZE, INT_MAX), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a + 1, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, SIZE_MAX, MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, ULONG_MAX & PAGE_MASK, 2 * PAGE_SIZE,
					MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, 0, MADV_DONTNEED), 0);
	assert_int_equal(gupsim_madvise(mm, 0x1000, PAGE_SIZE, MADV_HUGEPAGE), -ENOMEM);
	bi_assert_unchanged(sim, &s);
	/* a populate of a hole reaches the GUP slow path (counted) and fails */
	assert_int_equal(gupsim_madvise(mm, 0x1000, PAGE_SIZE, MADV_POPULATE_READ), -ENOMEM);
	assert_int_equal(gupsim_madvise(mm, a + 2 * PAGE_SIZE, 4 * PAGE_SIZE,
					MADV_POPULATE_WRITE), -ENOMEM);
	vma_list_assert_same(mm, &v);
	bi_expect_warns(state, 0);
}

/* access_ok() and the page faults of a user access. */
static void user_access_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = fixture_anon(state);
	char buf[2 * 4096] = { 1 };
	struct bi_snapshot s;

	bi_snap(sim, &s);
	assert_int_equal(gupsim_read(mm, a, buf, 0), 0);
	assert_int_equal(gupsim_write(mm, a, NULL, 0), 0);
	assert_int_equal(gupsim_read(mm, a, NULL, 8), -EFAULT);
	assert_int_equal(gupsim_write(mm, a, NULL, 8), -EFAULT);
	assert_int_equal(gupsim_read(mm, ULONG_MAX - 3, buf, 8), -EFAULT);
	assert_int_equal(gupsim_write(mm, 1UL << 47, buf, 8), -EFAULT);
	assert_int_equal(gupsim_read(mm, 0x1000, buf, 8), -EFAULT);
	assert_int_equal(gupsim_write(mm, a - PAGE_SIZE, buf, 8), -EFAULT);
	bi_assert_unchanged(sim, &s);	/* nothing faulted in */
	/* a store that runs off the mapping stops at its end */
	assert_int_equal(gupsim_write(mm, a + 3 * PAGE_SIZE + 16, buf, sizeof(buf)),
			 PAGE_SIZE - 16);
	/* a store to a read-only mapping */
	assert_int_equal(gupsim_mprotect(mm, a, PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(gupsim_write(mm, a, buf, 8), -EFAULT);
	assert_null(gupsim_follow_page(mm, ULONG_MAX));
	assert_null(gupsim_follow_page(mm, 1UL << 47));
	assert_null(gupsim_follow_page(mm, a));	/* never touched */
	bi_expect_warns(state, 0);
}

static int ret_busy(struct mmu_notifier *sub, const struct mmu_notifier_range *range)
{
	(void)sub;
	(void)range;
	return -EAGAIN;
}

/* Registered twice, no ops, a callback that fails a blockable range. */
static void mmu_notifier_misuse(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct mm_struct *other = gupsim_mm_create(fixture_sim(state));
	struct mmu_notifier_ops ops = { .invalidate_range_start = ret_busy };
	struct mmu_notifier sub = { .ops = &ops };
	struct mmu_notifier no_ops = { 0 };

	assert_non_null(other);
	assert_int_equal(gupsim_mmu_notifier_register(&no_ops, mm), -EINVAL);
	assert_int_equal(gupsim_mmu_notifier_register(&sub, mm), 0);
	assert_int_equal(gupsim_mmu_notifier_register(&sub, mm), -EBUSY);
	assert_int_equal(gupsim_mmu_notifier_register(&sub, other), -EBUSY);
	/* unregistering from the wrong mm does nothing */
	gupsim_mmu_notifier_unregister(&sub, other);
	gupsim_mmu_notifier_unregister(&no_ops, mm);
	bi_expect_warns(state, 0);
	assert_int_equal(gupsim_munmap(mm, fixture_anon(state), PAGE_SIZE), 0);
	bi_expect_warn_text(state, "blockable");
	bi_expect_warns(state, 1);
	gupsim_mmu_notifier_unregister(&sub, mm);
	gupsim_mmu_notifier_unregister(&sub, mm);	/* twice: nothing */
	assert_int_equal(gupsim_munmap(mm, fixture_anon(state) + PAGE_SIZE, PAGE_SIZE), 0);
	bi_expect_warns(state, 0);
	gupsim_mm_put(other);
}

/* kthread_use_mm(): NULL, a second mm, unusing one not in use. */
static void kthread_use_mm_misuse(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct mm_struct *other = gupsim_mm_create(fixture_sim(state));

	assert_non_null(other);
	assert_null(gupsim_current()->mm);
	gupsim_kthread_unuse_mm(mm);		/* none in use */
	bi_expect_warns(state, 1);
	gupsim_kthread_use_mm(mm);
	gupsim_kthread_use_mm(mm);		/* the same again: nothing */
	bi_expect_warns(state, 0);
	gupsim_kthread_use_mm(NULL);
	bi_expect_warns(state, 1);
	assert_ptr_equal(gupsim_current()->mm, mm);
	gupsim_kthread_unuse_mm(other);		/* not the one in use */
	bi_expect_warns(state, 1);
	assert_ptr_equal(gupsim_current()->mm, mm);
	gupsim_kthread_unuse_mm(NULL);
	bi_expect_warns(state, 1);
	gupsim_kthread_use_mm(other);		/* a second one: the first is unused */
	bi_expect_warns(state, 1);
	assert_ptr_equal(gupsim_current()->mm, other);
	gupsim_kthread_unuse_mm(other);
	assert_null(gupsim_current()->mm);
	bi_expect_warns(state, 0);
	gupsim_mm_put(other);
}

/* VMA lookups without the mmap lock: the kernel's mmap_assert_locked(). */
static void vma_lookup_without_lock_warns(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = fixture_anon(state);

	assert_non_null(gupsim_vma_lookup(mm, a));
	assert_non_null(gupsim_find_vma(mm, 0));
	bi_expect_warns(state, 2);
	gupsim_mmap_read_lock(mm);
	assert_null(gupsim_vma_lookup(mm, ULONG_MAX));
	assert_null(gupsim_find_vma(mm, ULONG_MAX));
	assert_null(gupsim_vma_lookup(mm, a - 1));
	gupsim_mmap_read_unlock(mm);
	bi_expect_warns(state, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(null_mm_everywhere, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_bad_arguments, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_file_of_another_machine, mm_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(munmap_bad_arguments, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mprotect_bad_arguments, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(madvise_bad_arguments, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(user_access_bad_arguments, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mmu_notifier_misuse, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(kthread_use_mm_misuse, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(vma_lookup_without_lock_warns, mm_setup,
						mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
