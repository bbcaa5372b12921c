// SPDX-License-Identifier: MIT
/*
 * mprotect(2): errnos, VMA split and merge, the entries rewritten: write
 * permission removed, protnone and back, and the "mprotect optimization"
 * that makes exclusive anon pages writable at once (semantics.md §9.4).
 */
#include "mm_helpers.h"

#define P	PAGE_SIZE

static void mprotect_rejects_bad_arguments(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);

	assert_int_equal(gupsim_mprotect(NULL, a, P, PROT_READ), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a + 1, P, PROT_READ), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, P, 0x100), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP),
			 -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, P, PROT_READ | PROT_GROWSDOWN), -EINVAL);
	assert_int_equal(gupsim_mprotect(mm, a, (size_t)-P, PROT_READ), -ENOMEM);
	assert_int_equal(gupsim_mprotect(mm, a, 0, PROT_READ), 0);
	/* a hole anywhere in the range: -ENOMEM and nothing changed */
	assert_int_equal(gupsim_mprotect(mm, a - P, 2 * P, PROT_READ), -ENOMEM);
	assert_int_equal(gupsim_mprotect(mm, a + 2 * P, 4 * P, PROT_READ), -ENOMEM);
	assert_int_equal(gupsim_mprotect(mm, 0x100000000000UL, P, PROT_READ), -ENOMEM);
	assert_int_equal(map_count(mm), 1);
	assert_true(vm_flags_at(mm, a + 3 * P) & VM_WRITE);
	/* PROT_SEM is accepted on x86 */
	assert_int_equal(gupsim_mprotect(mm, a, P, PROT_READ | 0x8), 0);
}

static void mprotect_splits_and_merges_back(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long start, end, flags;

	assert_int_equal(gupsim_mprotect(mm, a + P, 2 * P, PROT_READ), 0);
	assert_int_equal(map_count(mm), 3);
	assert_true(vma_at(mm, a + P, &start, &end, &flags));
	assert_int_equal(start, a + P);
	assert_int_equal(end, a + 3 * P);
	assert_int_equal(flags & (VM_READ | VM_WRITE | VM_EXEC), VM_READ);
	assert_int_equal(vm_flags_at(mm, a) & VM_WRITE, VM_WRITE);
	/* the right part first: it merges with its right neighbour */
	assert_int_equal(gupsim_mprotect(mm, a + 2 * P, P, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(map_count(mm), 3);
	assert_true(vma_at(mm, a + 2 * P, &start, &end, NULL));
	assert_int_equal(start, a + 2 * P);
	assert_int_equal(end, a + 4 * P);
	assert_int_equal(gupsim_mprotect(mm, a + P, P, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(map_count(mm), 1);
	/* across VMAs of different kinds */
	assert_int_equal(mmap_anon(mm, a + 4 * P, 2 * P, PROT_NONE, MAP_FIXED), a + 4 * P);
	assert_int_equal(gupsim_mprotect(mm, a + 3 * P, 3 * P, PROT_READ), 0);
	assert_int_equal(map_count(mm), 2);
	assert_true(vma_at(mm, a + 3 * P, &start, &end, NULL));
	assert_int_equal(start, a + 3 * P);
	assert_int_equal(end, a + 6 * P);
}

static void removing_write_write_protects(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 2 * P, PROT_READ | PROT_WRITE, 0);
	pteval_t e;

	install_anon(mm, a, 0, true, false);
	install_zero(mm, a + P);
	assert_true(pte_write(pte_at(mm, a)));
	assert_int_equal(gupsim_mprotect(mm, a, 2 * P, PROT_READ), 0);
	e = pte_at(mm, a);
	assert_true(pte_present(e) && !pte_protnone(e));
	assert_false(pte_write(e));
	assert_true(pte_dirty(e));		/* dirt and pfn stay */
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void prot_none_keeps_protnone_entries(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, 0, true, false);
	pteval_t e;

	assert_int_equal(gupsim_mprotect(mm, a, P, PROT_NONE), 0);
	e = pte_at(mm, a);
	assert_true(pte_protnone(e));
	assert_false(e & _PAGE_PRESENT);
	assert_false(pte_write(e));
	assert_false(pte_access_permitted(e, false));
	assert_int_equal(pte_pfn(e), page_to_pfn(&folio->page));
	/* still mapped: the page is held */
	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	/* back: present, and writable at once (exclusive anon) */
	assert_int_equal(gupsim_mprotect(mm, a, P, PROT_READ | PROT_WRITE), 0);
	e = pte_at(mm, a);
	assert_true(e & _PAGE_PRESENT);
	assert_false(pte_protnone(e));
	assert_true(pte_write(e));
}

static void adding_write_upgrades_exclusive_anon_only(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "f", 2 * P);
	struct file *reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "r", 2 * P);
	unsigned long a = mmap_anon(mm, 0, 3 * P, PROT_READ, 0);
	unsigned long s = gupsim_mmap(mm, 0, 2 * P, PROT_READ, MAP_SHARED, file, 0);
	unsigned long r = gupsim_mmap(mm, 0, 2 * P, PROT_READ, MAP_SHARED, reg, 0);
	struct folio *excl = install_anon(mm, a, 0, false, false);
	struct folio *shared = install_anon(mm, a + P, 0, false, false);

	install_zero(mm, a + 2 * P);
	ClearPageAnonExclusive(&shared->page);
	install_file(mm, s, file, 0, false);
	install_file(mm, r, reg, 0, false);
	install_file(mm, r + P, reg, 1, true);
	assert_int_equal(gupsim_mprotect(mm, a, 3 * P, PROT_READ | PROT_WRITE), 0);
	/* semantics.md §9.4 "mprotect() optimization": no COW can be needed */
	assert_true(pte_write(pte_at(mm, a)));
	/* a shared anon page and the zero page wait for their write fault */
	assert_false(pte_write(pte_at(mm, a + P)));
	assert_false(pte_write(pte_at(mm, a + 2 * P)));
	/* shmem needs no dirty tracking: writable */
	assert_int_equal(gupsim_mprotect(mm, s, 2 * P, PROT_READ | PROT_WRITE), 0);
	assert_true(pte_write(pte_at(mm, s)));
	/* a disk file: only a page that is dirty already */
	assert_int_equal(gupsim_mprotect(mm, r, 2 * P, PROT_READ | PROT_WRITE), 0);
	assert_false(pte_write(pte_at(mm, r)));
	assert_true(pte_write(pte_at(mm, r + P)));
	(void)excl;
	SetPageAnonExclusive(&shared->page);	/* as the write fault would have */
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	gupsim_file_put(file);
	gupsim_file_put(reg);
}

static void hugetlb_mprotect_needs_huge_alignment(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long h = mmap_anon(mm, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	pteval_t e;

	install_anon(mm, h, HPAGE_PMD_ORDER, true, true);
	assert_int_equal(gupsim_mprotect(mm, h, P, PROT_READ), -EINVAL);
	assert_int_equal(map_count(mm), 1);
	assert_int_equal(gupsim_mprotect(mm, h, PMD_SIZE, PROT_READ), 0);
	assert_int_equal(map_count(mm), 2);
	assert_false(pte_write(entry_at(mm, h, NULL)));
	/* private hugetlb entries are never upgraded by mprotect */
	assert_int_equal(gupsim_mprotect(mm, h, PMD_SIZE, PROT_READ | PROT_WRITE), 0);
	e = entry_at(mm, h, NULL);
	assert_true(pte_leaf(e));
	assert_false(pte_write(e));
	/* VM_HUGETLB VMAs are VM_DONTEXPAND, which never merges */
	assert_int_equal(map_count(mm), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
	const struct CMUnitTest tests[] = {
		T(mprotect_rejects_bad_arguments),
		T(mprotect_splits_and_merges_back),
		T(removing_write_write_protects),
		T(prot_none_keeps_protnone_entries),
		T(adding_write_upgrades_exclusive_anon_only),
		T(hugetlb_mprotect_needs_huge_alignment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
