// SPDX-License-Identifier: MIT
/*
 * madvise(2): MADV_DONTNEED, the VMA flag advice, hints, errnos, and the
 * Linux rule that unmapped parts are skipped but reported with -ENOMEM.
 */
#include "mm_helpers.h"

#define P	PAGE_SIZE

static void madvise_rejects_bad_arguments(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);

	assert_int_equal(gupsim_madvise(NULL, a, P, MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, P, 12345), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, P, -1), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a + 1, P, MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, (size_t)-1, MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, a, 0, MADV_DONTNEED), 0);
	/* hints are accepted and change nothing, but holes still count */
	assert_int_equal(gupsim_madvise(mm, a, 4 * P, MADV_WILLNEED), 0);
	assert_int_equal(gupsim_madvise(mm, a, 4 * P, MADV_SEQUENTIAL), 0);
	assert_int_equal(gupsim_madvise(mm, a, 8 * P, MADV_NORMAL), -ENOMEM);
	assert_int_equal(gupsim_madvise(mm, 0x100000000000UL, P, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(map_count(mm), 1);
}

static void dontneed_zaps_and_frees(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long before;

	for (int i = 0; i < 4; i++)
		install_anon(mm, a + i * P, 0, true, false);
	before = gupsim_nr_free_pages(sim);
	assert_int_equal(gupsim_madvise(mm, a + P, 2 * P, MADV_DONTNEED), 0);
	assert_int_equal(gupsim_nr_free_pages(sim), before + 2);
	assert_int_equal(pte_at(mm, a + P), 0);
	assert_int_equal(pte_at(mm, a + 2 * P), 0);
	assert_true(pte_present(pte_at(mm, a + 3 * P)));
	/* the VMA stays whole */
	assert_int_equal(map_count(mm), 1);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void dontneed_applies_around_holes(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);

	install_anon(mm, a, 0, true, false);
	install_anon(mm, a + 3 * P, 0, true, false);
	assert_int_equal(gupsim_munmap(mm, a + P, 2 * P), 0);
	assert_int_equal(gupsim_madvise(mm, a, 4 * P, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(pte_at(mm, a), 0);
	assert_int_equal(pte_at(mm, a + 3 * P), 0);
}

static void dontneed_refuses_locked_and_pfnmap(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *dev = gupsim_file_create(sim, GUPSIM_FILE_PFNMAP, "dev", 2 * P);
	unsigned long l = mmap_anon(mm, 0, 2 * P, PROT_READ | PROT_WRITE, MAP_LOCKED);
	unsigned long d = gupsim_mmap(mm, 0, 2 * P, PROT_READ, MAP_SHARED, dev, 0);

	assert_true(vm_flags_at(mm, l) & VM_LOCKED);
	assert_int_equal(gupsim_madvise(mm, l, P, MADV_DONTNEED), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, d, P, MADV_DONTNEED), -EINVAL);
	gupsim_file_put(dev);
}

static void dontneed_on_hugetlb_frees_whole_huge_pages(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long h = mmap_anon(mm, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	unsigned long pool;

	install_anon(mm, h, HPAGE_PMD_ORDER, true, true);
	install_anon(mm, h + PMD_SIZE, HPAGE_PMD_ORDER, true, true);
	pool = sim->hstates[0].nr_free;
	assert_int_equal(gupsim_madvise(mm, h + P, P, MADV_DONTNEED), -EINVAL);
	/* the end is rounded down to a huge page: only the first goes */
	assert_int_equal(gupsim_madvise(mm, h, PMD_SIZE + P, MADV_DONTNEED), 0);
	assert_int_equal(sim->hstates[0].nr_free, pool + 1);
	assert_int_equal(entry_at(mm, h, NULL), 0);
	assert_true(pte_leaf(entry_at(mm, h + PMD_SIZE, NULL)));
	/* less than a huge page: nothing */
	assert_int_equal(gupsim_madvise(mm, h + PMD_SIZE, P, MADV_DONTNEED), 0);
	assert_true(pte_leaf(entry_at(mm, h + PMD_SIZE, NULL)));
}

static void hugepage_advice_sets_vma_flags(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long h = mmap_anon(mm, 0, 2 * PMD_SIZE, PROT_READ, MAP_HUGETLB);
	unsigned long start, end, flags;

	assert_int_equal(gupsim_madvise(mm, a + P, 2 * P, MADV_HUGEPAGE), 0);
	assert_int_equal(map_count(mm), 4);
	assert_true(vma_at(mm, a + P, &start, &end, &flags));
	assert_int_equal(start, a + P);
	assert_int_equal(end, a + 3 * P);
	assert_int_equal(flags & (VM_HUGEPAGE | VM_NOHUGEPAGE), VM_HUGEPAGE);
	assert_int_equal(gupsim_madvise(mm, a, 4 * P, MADV_NOHUGEPAGE), 0);
	assert_int_equal(map_count(mm), 2);
	assert_int_equal(vm_flags_at(mm, a + P) & (VM_HUGEPAGE | VM_NOHUGEPAGE), VM_NOHUGEPAGE);
	/* hugetlb: the flag is taken; splitting inside a huge page is not */
	assert_int_equal(gupsim_madvise(mm, h, PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_true(vm_flags_at(mm, h) & VM_HUGEPAGE);
	assert_int_equal(gupsim_madvise(mm, h + PMD_SIZE, P, MADV_HUGEPAGE), -EINVAL);
	assert_false(vm_flags_at(mm, h + PMD_SIZE) & VM_HUGEPAGE);
}

static void dontfork_advice_marks_vmas(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *dev = gupsim_file_create(sim, GUPSIM_FILE_PFNMAP, "dev", 2 * P);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long d = gupsim_mmap(mm, 0, 2 * P, PROT_READ, MAP_SHARED, dev, 0);
	struct vm_area_struct *vma;

	assert_int_equal(gupsim_madvise(mm, a + 2 * P, 2 * P, MADV_DONTFORK), 0);
	assert_int_equal(map_count(mm), 3);
	gupsim_mmap_read_lock(mm);
	vma = gupsim_vma_lookup(mm, a + 2 * P);
	assert_true(vma->vm_flags & VM_DONTCOPY);
	assert_true(vma->_sim_flags & VMA_SIM_DONTFORK);
	assert_false(gupsim_vma_lookup(mm, a)->vm_flags & VM_DONTCOPY);
	gupsim_mmap_read_unlock(mm);
	assert_int_equal(gupsim_madvise(mm, a, 4 * P, MADV_DOFORK), 0);
	assert_int_equal(map_count(mm), 2);
	assert_false(vm_flags_at(mm, a + 3 * P) & VM_DONTCOPY);
	/* not on VM_IO */
	assert_int_equal(gupsim_madvise(mm, d, P, MADV_DONTFORK), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, d, P, MADV_DOFORK), -EINVAL);
	/* a hole: the rest is done, -ENOMEM */
	assert_int_equal(gupsim_munmap(mm, a + P, P), 0);
	assert_int_equal(gupsim_madvise(mm, a, 4 * P, MADV_DONTFORK), -ENOMEM);
	assert_true(vm_flags_at(mm, a) & VM_DONTCOPY);
	assert_true(vm_flags_at(mm, a + 2 * P) & VM_DONTCOPY);
	gupsim_file_put(dev);
}

static void populate_faults_in_without_references(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long r = mmap_anon(mm, 0, 2 * P, PROT_READ, 0);
	unsigned long n = mmap_anon(mm, 0, P, PROT_NONE, 0);

	assert_int_equal(gupsim_madvise(mm, a, 2 * P, MADV_POPULATE_READ), 0);
	assert_ptr_equal(gupsim_follow_page(mm, a), sim->zero_page);
	assert_ptr_equal(gupsim_follow_page(mm, a + P), sim->zero_page);
	assert_int_equal(gupsim_madvise(mm, a + P, 3 * P, MADV_POPULATE_WRITE), 0);
	for (int i = 1; i < 4; i++) {
		struct folio *folio = folio_at(mm, a + i * P);

		assert_true(pte_write(pte_at(mm, a + i * P)));
		assert_true(folio_test_anon(folio) && PageAnonExclusive(&folio->page));
		assert_int_equal(folio_ref_count(folio), 1);	/* only the mapping's */
	}
	assert_ptr_equal(gupsim_follow_page(mm, a), sim->zero_page);
	/* semantics.md §10: no VMA -ENOMEM, VMA check failure -EINVAL */
	assert_int_equal(gupsim_madvise(mm, a + 3 * P, 2 * P, MADV_POPULATE_READ), -ENOMEM);
	assert_int_equal(gupsim_madvise(mm, r, 2 * P, MADV_POPULATE_WRITE), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, n, P, MADV_POPULATE_READ), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, r, 2 * P, MADV_POPULATE_READ), 0);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void populate_refuses_io_mappings(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *dev = gupsim_file_create(sim, GUPSIM_FILE_PFNMAP, "dev", 2 * P);
	unsigned long d = gupsim_mmap(mm, 0, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);

	/* check_vma_flags(): VM_IO | VM_PFNMAP, which populate reports as -EINVAL */
	assert_int_equal(gupsim_madvise(mm, d, 2 * P, MADV_POPULATE_READ), -EINVAL);
	assert_int_equal(gupsim_madvise(mm, d, 2 * P, MADV_POPULATE_WRITE), -EINVAL);
	gupsim_file_put(dev);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
	const struct CMUnitTest tests[] = {
		T(madvise_rejects_bad_arguments),
		T(dontneed_zaps_and_frees),
		T(dontneed_applies_around_holes),
		T(dontneed_refuses_locked_and_pfnmap),
		T(dontneed_on_hugetlb_frees_whole_huge_pages),
		T(hugepage_advice_sets_vma_flags),
		T(dontfork_advice_marks_vmas),
		T(populate_faults_in_without_references),
		T(populate_refuses_io_mappings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
