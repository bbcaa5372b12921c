// SPDX-License-Identifier: MIT
/* hugetlb faults: pool folios, PMD leaves, COW by mapcount (semantics.md §5.1, §10). */
#include "fault_test.h"

#define BASE	0x40000000UL
#define HSZ	PMD_SIZE

static unsigned long map_huge_flags(struct mm_struct *mm, unsigned long addr, size_t len,
				    int flags)
{
	unsigned long a = gupsim_mmap(mm, addr, len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED | flags,
				      NULL, 0);

	assert_int_equal(a, addr);
	return a;
}

static unsigned long map_huge(struct mm_struct *mm, unsigned long addr, size_t len)
{
	return map_huge_flags(mm, addr, len, 0);
}

static void hugetlb_write_fault_maps_pool_folio(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;
	enum pt_level lvl;
	pteval_t e;

	map_huge(f->mm, BASE, HSZ);
	write_byte(f->mm, BASE + 3 * PAGE_SIZE + 1, 0x31);
	e = entry_at(f->mm, BASE + 3 * PAGE_SIZE, &lvl);
	assert_int_equal(lvl, PT_PMD);
	assert_true(pte_leaf(e) && pte_write(e) && pte_dirty(e));
	folio = folio_at(f->mm, BASE);
	assert_true(folio_test_hugetlb(folio));
	assert_true(folio_test_anon(folio));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(raw_entire_mapcount(folio), 1);
	/* semantics.md §5.1: the flag lives on the head page only */
	assert_true(PageFlag(&folio->page, PG_anon_exclusive));
	assert_false(PageFlag(folio_page(folio, 3), PG_anon_exclusive));
	assert_true(PageAnonExclusive(folio_page(folio, 3)));
	assert_int_equal(read_byte(f->mm, BASE + 3 * PAGE_SIZE + 1), 0x31);
	assert_int_equal(VMSTAT(f->sim, FAULT_HUGETLB), 1);
}

static void hugetlb_read_fault_maps_readonly(void **state)
{
	struct mm_fixture *f = F(state);
	pteval_t e;

	map_huge(f->mm, BASE, HSZ);
	assert_int_equal(read_byte(f->mm, BASE + 77), 0);
	e = entry_at(f->mm, BASE, NULL);
	assert_false(pte_write(e));
	assert_true(PageAnonExclusive(page_at(f->mm, BASE)));
	/* the write fault reuses the exclusive folio in place */
	write_byte(f->mm, BASE, 1);
	assert_true(pte_write(entry_at(f->mm, BASE, NULL)));
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
	assert_int_equal(VMSTAT(f->sim, FAULT_HUGETLB), 1);
}

/* The pool holds two 2 MiB folios: the third fault is SIGBUS. */
static void hugetlb_pool_exhaustion_is_sigbus(void **state)
{
	struct mm_fixture *f = F(state);
	unsigned char v = 1;

	/* mmap checks the pool without MAP_NORESERVE; the fault has no reserve */
	map_huge_flags(f->mm, BASE, 3 * HSZ, MAP_NORESERVE);
	write_byte(f->mm, BASE, 1);
	write_byte(f->mm, BASE + HSZ, 1);
	assert_int_equal(fault(f->mm, BASE + 2 * HSZ, FAULT_FLAG_WRITE), VM_FAULT_SIGBUS);
	assert_int_equal(gupsim_write(f->mm, BASE + 2 * HSZ, &v, 1), -EFAULT);
	assert_true(pte_none(entry_at(f->mm, BASE + 2 * HSZ, NULL)));
	assert_int_equal(VMSTAT(f->sim, FAULT_HUGETLB), 2);
	/* unmapping returns a folio to the pool, and the fault succeeds */
	assert_int_equal(gupsim_madvise(f->mm, BASE, HSZ, MADV_DONTNEED), 0);
	write_byte(f->mm, BASE + 2 * HSZ, 1);
	assert_int_equal(VMSTAT(f->sim, FAULT_HUGETLB), 3);
}

/* Fork-style sharing of a hugetlb leaf into @dst. */
static void share_huge(struct mm_struct *src, struct mm_struct *dst, unsigned long addr)
{
	struct vm_area_struct *svma, *dvma;
	pteval_t *s, *d, v;
	struct folio *folio;

	gupsim_mmap_read_lock(src);
	gupsim_mmap_read_lock(dst);
	svma = vma_lookup(src, addr);
	dvma = vma_lookup(dst, addr);
	s = pgtable_walk(src, addr, PT_PMD, false, NULL);
	d = pgtable_walk(dst, addr, PT_PMD, true, NULL);
	v = pt_read(s) & ~_PAGE_RW;
	folio = page_folio(pfn_to_page_sim(src->sim, pte_pfn(v)));
	assert_int_equal(folio_try_dup_anon_rmap_pmd(folio, dvma, svma), 0);
	folio_get(folio);
	pt_write(s, v);
	pt_write(d, v);
	gupsim_mmap_read_unlock(dst);
	gupsim_mmap_read_unlock(src);
}

static void hugetlb_cow_copies_shared_folio_from_pool(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);
	struct folio *old, *new;

	map_huge(f->mm, BASE, HSZ);
	map_huge(mm2, BASE, HSZ);
	write_byte(f->mm, BASE + 10, 0x10);
	old = folio_at(f->mm, BASE);
	share_huge(f->mm, mm2, BASE);
	assert_int_equal(folio_mapcount(old), 2);
	assert_false(PageAnonExclusive(&old->page));

	write_byte(f->mm, BASE + 11, 0x11);
	new = folio_at(f->mm, BASE);
	assert_ptr_not_equal(new, old);
	assert_true(folio_test_hugetlb(new));
	assert_true(PageAnonExclusive(&new->page));
	assert_int_equal(read_byte(f->mm, BASE + 10), 0x10);	/* copied */
	assert_int_equal(read_byte(mm2, BASE + 11), 0);		/* not seen */
	assert_int_equal(folio_mapcount(old), 1);
	assert_int_equal(folio_ref_count(old), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	/* the pool is empty now: a further COW is SIGBUS */
	gupsim_mm_put(mm2);
}

/* semantics.md §10: hugetlb reuse is decided by mapcount, not by the refcount, so an
 * extra reference (vmsplice, FOLL_GET) does not prevent it. */
static void hugetlb_reuse_ignores_extra_references(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;

	map_huge(f->mm, BASE, HSZ);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	ClearPageAnonExclusive(&folio->page);		/* previously shared */
	entry_update(f->mm, BASE, _PAGE_RW, 0);
	folio_get(folio);
	write_byte(f->mm, BASE, 2);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
	folio_put(folio);
}

static void hugetlb_unshare_copies_readonly(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);
	struct folio *old;

	map_huge(f->mm, BASE, HSZ);
	map_huge(mm2, BASE, HSZ);
	write_byte(f->mm, BASE, 0x42);
	old = folio_at(f->mm, BASE);
	share_huge(f->mm, mm2, BASE);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_ptr_not_equal(folio_at(f->mm, BASE), old);
	assert_false(pte_write(entry_at(f->mm, BASE, NULL)));
	assert_true(PageAnonExclusive(page_at(f->mm, BASE)));
	assert_int_equal(read_byte(f->mm, BASE), 0x42);
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
	gupsim_mm_put(mm2);
}

static void hugetlb_cow_with_empty_pool_is_sigbus(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);

	map_huge(f->mm, BASE, 2 * HSZ);
	map_huge(mm2, BASE, HSZ);
	write_byte(f->mm, BASE, 1);
	write_byte(f->mm, BASE + HSZ, 1);		/* the pool is empty */
	share_huge(f->mm, mm2, BASE);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE), VM_FAULT_SIGBUS);
	assert_false(pte_write(entry_at(f->mm, BASE, NULL)));
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
	gupsim_mm_put(mm2);
}

/* hugetlbfs MAP_SHARED: every mapping maps the page-cache folio. */
static void hugetlbfs_shared_mappings_share_the_folio(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_HUGETLBFS, "h", HSZ);
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);
	struct folio *folio;

	assert_non_null(file);
	assert_int_equal(gupsim_mmap(f->mm, BASE, HSZ, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	assert_int_equal(gupsim_mmap(mm2, BASE, HSZ, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	write_byte(f->mm, BASE + 5, 0x55);
	assert_int_equal(read_byte(mm2, BASE + 5), 0x55);
	folio = folio_at(f->mm, BASE);
	assert_ptr_equal(folio_at(mm2, BASE), folio);
	assert_true(folio_test_hugetlb(folio));
	assert_false(folio_test_anon(folio));
	assert_int_equal(folio_mapcount(folio), 2);
	assert_int_equal(VMSTAT(f->sim, FAULT_HUGETLB), 2);
	gupsim_mm_put(mm2);
	gupsim_file_put(file);
}

/* MAP_PRIVATE of hugetlbfs: the file folio read-only, a write copies it. */
static void hugetlbfs_private_write_copies(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_HUGETLBFS, "h", HSZ);
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);
	struct folio *cached;

	assert_int_equal(gupsim_mmap(mm2, BASE, HSZ, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	write_byte(mm2, BASE, 0x66);			/* the page cache has it now */
	cached = folio_at(mm2, BASE);
	assert_int_equal(gupsim_mmap(f->mm, BASE, HSZ, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_FIXED, file, 0), BASE);
	assert_int_equal(read_byte(f->mm, BASE), 0x66);
	assert_ptr_equal(folio_at(f->mm, BASE), cached);
	assert_false(pte_write(entry_at(f->mm, BASE, NULL)));
	write_byte(f->mm, BASE + 1, 0x67);
	assert_ptr_not_equal(folio_at(f->mm, BASE), cached);
	assert_true(folio_test_anon(folio_at(f->mm, BASE)));
	assert_int_equal(read_byte(f->mm, BASE), 0x66);
	assert_int_equal(read_byte(mm2, BASE + 1), 0);
	assert_int_equal(folio_mapcount(cached), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	gupsim_mm_put(mm2);
	gupsim_file_put(file);
}

/* semantics.md §10: after fork the parent's write copies from the pool; the child,
 * now the only mapper, reuses by mapcount. */
static void hugetlb_cow_after_fork(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *child;
	struct folio *folio;

	map_huge(f->mm, BASE, HSZ);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	child = gupsim_fork(f->mm);
	assert_false(IS_ERR(child));
	assert_int_equal(folio_mapcount(folio), 2);
	write_byte(f->mm, BASE, 2);
	assert_ptr_not_equal(folio_at(f->mm, BASE), folio);
	assert_int_equal(read_byte(child, BASE), 1);
	write_byte(child, BASE, 3);
	assert_ptr_equal(folio_at(child, BASE), folio);
	assert_int_equal(read_byte(f->mm, BASE), 2);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(mm_check(child), 0);
	gupsim_mm_put(child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
		T(hugetlb_write_fault_maps_pool_folio),
		T(hugetlb_read_fault_maps_readonly),
		T(hugetlb_pool_exhaustion_is_sigbus),
		T(hugetlb_cow_copies_shared_folio_from_pool),
		T(hugetlb_reuse_ignores_extra_references),
		T(hugetlb_unshare_copies_readonly),
		T(hugetlb_cow_with_empty_pool_is_sigbus),
		T(hugetlbfs_shared_mappings_share_the_folio),
		T(hugetlbfs_private_write_copies),
		T(hugetlb_cow_after_fork),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
