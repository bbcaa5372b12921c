// SPDX-License-Identifier: MIT
/*
 * fork does not copy page tables that a fault can fill again
 * (vma_needs_copy() in mm/memory.c): shared file and shmem mappings, and
 * private ones without an anon_vma, are left empty in the child, which
 * faults them in; VM_PFNMAP / VM_MIXEDMAP and VMAs with an anon_vma are
 * copied. Right after fork, the page-cache folio's mapcount and refcount
 * therefore count the parent only. The same in v6.6 to mainline.
 */
#include "gup_fixture.h"

static int setup_at(void **state, unsigned int version)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.hugetlb_2m_pages = 1;
	cfg.kernel_version = version;
	return gup_fx_setup_cfg(state, &cfg);
}

static int setup_newest(void **state) { return setup_at(state, 0); }
static int setup_6_6(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 6, 0)); }

static bool mapped_in(struct mm_struct *mm, unsigned long addr)
{
	enum pt_level l = PT_PTE;
	pteval_t *e = pgtable_lookup(mm, addr, &l);

	return e && !pte_none(pt_read(e));
}

static void shared_file_is_refaulted_by_the_child(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "shm", PAGE_SIZE);
	unsigned long a = fx_mmap(fx, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, file);
	struct mm_struct *child;
	struct folio *folio;
	int ref;
	char c;

	fx_touch(fx, a, 1, 7);
	folio = page_folio(fx_page(fx, a));
	ref = folio_ref_count(folio);
	assert_int_equal(folio_mapcount(folio), 1);
	child = gupsim_fork(fx->mm);
	assert_non_null(child);
	/* nothing copied: the child's table is empty, the counts unchanged */
	assert_false(mapped_in(child, a));
	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(folio_ref_count(folio), ref);
	/* the child's fault maps the same page-cache folio */
	assert_int_equal(gupsim_read(child, a, &c, 1), 1);
	assert_int_equal(c, 7);
	assert_int_equal(folio_mapcount(folio), 2);
	assert_int_equal(folio_ref_count(folio), ref + 1);
	gupsim_mm_put(child);
	gupsim_file_put(file);
}

static void shared_hugetlb_is_refaulted_by_the_child(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_HUGETLBFS, "h", PMD_SIZE);
	unsigned long a = fx_mmap(fx, PMD_SIZE, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_HUGETLB, file);
	struct mm_struct *child;
	struct folio *folio;

	fx_touch(fx, a, 1, 7);
	folio = page_folio(fx_page(fx, a));
	child = gupsim_fork(fx->mm);
	assert_non_null(child);
	assert_false(mapped_in(child, a));
	assert_int_equal(folio_mapcount(folio), 1);
	gupsim_mm_put(child);
	gupsim_file_put(file);
}

/* A private mapping that has anon pages (an anon_vma) is copied. */
static void private_anon_with_pages_is_copied(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_map_anon(fx, 2);
	struct mm_struct *child;
	struct folio *folio;

	fx_touch(fx, a, 1, 7);
	folio = page_folio(fx_page(fx, a));
	child = gupsim_fork(fx->mm);
	assert_non_null(child);
	assert_true(mapped_in(child, a));
	assert_false(mapped_in(child, a + PAGE_SIZE));	/* was never faulted */
	assert_int_equal(folio_mapcount(folio), 2);
	assert_int_equal(folio_ref_count(folio), 2);
	gupsim_mm_put(child);
}

/* A private file mapping: not copied while it only maps file pages, copied
 * once a COW gave it an anon_vma (file pages and anon copies alike). */
static void private_file_copied_once_it_has_an_anon_vma(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "f", 2 * PAGE_SIZE);
	unsigned long a = fx_mmap(fx, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, file);
	struct mm_struct *child;

	fx_read_fault(fx, a, 2);
	child = gupsim_fork(fx->mm);
	assert_non_null(child);
	assert_false(mapped_in(child, a));
	gupsim_mm_put(child);

	fx_touch(fx, a, 1, 3);			/* COW: an anon page, an anon_vma */
	child = gupsim_fork(fx->mm);
	assert_non_null(child);
	assert_true(mapped_in(child, a));
	assert_true(mapped_in(child, a + PAGE_SIZE));	/* the file page too */
	gupsim_mm_put(child);
	gupsim_file_put(file);
}

/* VM_PFNMAP has no struct page to refault from: always copied. */
static void pfnmap_is_copied(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_PFNMAP, "io", PAGE_SIZE);
	unsigned long a = fx_mmap(fx, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, file);
	struct mm_struct *child;

	fx_read_fault(fx, a, 1);
	child = gupsim_fork(fx->mm);
	assert_non_null(child);
	assert_true(mapped_in(child, a));
	gupsim_mm_put(child);
	gupsim_file_put(file);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(shared_file_is_refaulted_by_the_child, setup_newest),
		T(shared_file_is_refaulted_by_the_child, setup_6_6),
		T(shared_hugetlb_is_refaulted_by_the_child, setup_newest),
		T(private_anon_with_pages_is_copied, setup_newest),
		T(private_file_copied_once_it_has_an_anon_vma, setup_newest),
		T(pfnmap_is_copied, setup_newest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
