// SPDX-License-Identifier: MIT
/* handle_mm_fault(): anonymous, zero-page, file and protnone faults, flag rules. */
#include "fault_test.h"

#define BASE	0x40000000UL

static void read_fault_maps_zero_page_special(void **state)
{
	struct mm_fixture *f = F(state);
	struct page *zero = gupsim_zero_page(f->sim);
	int zero_ref = page_ref_count_of(zero);
	unsigned long free0;
	pteval_t e;

	map_anon_at(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	free0 = gupsim_nr_free_pages(f->sim);
	assert_int_equal(fault(f->mm, BASE + PAGE_SIZE, 0), 0);
	e = pte_at(f->mm, BASE + PAGE_SIZE);
	assert_true(pte_present(e) && pte_special(e));
	assert_false(pte_write(e));
	assert_ptr_equal(page_at(f->mm, BASE + PAGE_SIZE), zero);
	assert_int_equal(page_ref_count_of(zero), zero_ref);	/* special: no reference */
	assert_int_equal(atomic_read(&zero->_mapcount), -1);	/* and no mapcount */
	assert_int_equal(VMSTAT(f->sim, FAULT_ZERO_PAGE), 1);
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON), 0);
	assert_int_equal(VMSTAT(f->sim, PGFAULT), 1);
	/* the PUD, PMD and PTE tables were allocated, no user page */
	assert_int_equal(free0 - gupsim_nr_free_pages(f->sim), 3);
	assert_int_equal(read_byte(f->mm, BASE + PAGE_SIZE + 17), 0);
}

static void read_fault_without_zero_page_allocates(void **state)
{
	struct gupsim_config cfg;
	struct mm_fixture *f;
	struct folio *folio;
	pteval_t e;

	mm_teardown(state);
	mm_default_cfg(&cfg);
	cfg.use_zero_page = false;
	assert_int_equal(mm_setup_cfg(state, &cfg), 0);
	f = F(state);
	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	e = pte_at(f->mm, BASE);
	assert_false(pte_special(e));
	/* the kernel maps a new anon page writable and dirty whenever VM_WRITE */
	assert_true(pte_write(e) && pte_dirty(e));
	folio = folio_at(f->mm, BASE);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(folio_mapcount(folio), 1);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(VMSTAT(f->sim, FAULT_ZERO_PAGE), 0);
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON), 1);
}

static void write_fault_allocates_exclusive_anon(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;
	pteval_t e;

	map_anon_at(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(fault(f->mm, BASE + 2 * PAGE_SIZE, FAULT_FLAG_WRITE), 0);
	e = pte_at(f->mm, BASE + 2 * PAGE_SIZE);
	assert_true(pte_present(e) && pte_write(e) && pte_dirty(e) && pte_young(e));
	assert_true(e & _PAGE_USER);
	assert_false(pte_special(e));
	folio = folio_at(f->mm, BASE + 2 * PAGE_SIZE);
	assert_false(folio_test_large(folio));
	assert_true(folio_test_anon(folio));
	assert_int_equal(folio->index, (BASE + 2 * PAGE_SIZE) >> PAGE_SHIFT);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(folio_mapcount(folio), 1);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON), 1);
	assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), 0);
	/* neighbours stay unmapped */
	assert_true(pte_none(entry_at(f->mm, BASE + PAGE_SIZE, NULL)));
	assert_true(pte_none(entry_at(f->mm, BASE + 3 * PAGE_SIZE, NULL)));
}

static void write_after_read_replaces_zero_page(void **state)
{
	struct mm_fixture *f = F(state);
	struct page *zero = gupsim_zero_page(f->sim);
	int zero_ref = page_ref_count_of(zero);
	struct folio *folio;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	assert_ptr_equal(page_at(f->mm, BASE), zero);
	write_byte(f->mm, BASE + 5, 0x5a);
	folio = folio_at(f->mm, BASE);
	assert_ptr_not_equal(&folio->page, zero);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_ref_count(folio), 1);
	assert_true(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(read_byte(f->mm, BASE + 5), 0x5a);
	assert_int_equal(read_byte(f->mm, BASE + 6), 0);	/* zeroed, not garbage */
	assert_int_equal(page_ref_count_of(zero), zero_ref);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 0);
}

static void write_to_readonly_vma_is_sigsegv(void **state)
{
	struct mm_fixture *f = F(state);

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ, 0);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE), VM_FAULT_SIGSEGV);
	assert_true(pte_none(entry_at(f->mm, BASE, NULL)));
	unsigned char v = 1;

	assert_int_equal(gupsim_write(f->mm, BASE, &v, 1), -EFAULT);
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON), 0);
}

/* semantics.md §1.11: FOLL_FORCE write to a R/O private VMA: exclusive, dirty, R/O. */
static void forced_write_to_readonly_private_vma(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;
	pteval_t e;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ, 0);
	assert_int_equal(read_byte(f->mm, BASE), 0);		/* zero page first */
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE | FAULT_FLAG_GUPSIM_FORCE), 0);
	e = pte_at(f->mm, BASE);
	assert_false(pte_special(e));
	assert_true(pte_dirty(e));
	assert_false(pte_write(e));
	folio = folio_at(f->mm, BASE);
	assert_true(folio_test_anon(folio));
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	/* a second forced write reuses the exclusive page */
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE | FAULT_FLAG_GUPSIM_FORCE), 0);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);
	assert_false(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
}

/* do_anonymous_page(): dirty and writable only with VM_WRITE, so a forced
 * write fault of an untouched R/O VMA maps a clean, read-only PTE. */
static void forced_write_to_untouched_readonly_vma(void **state)
{
	struct mm_fixture *f = F(state);
	pteval_t e;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ, 0);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE | FAULT_FLAG_GUPSIM_FORCE), 0);
	e = pte_at(f->mm, BASE);
	assert_true(!pte_dirty(e) && !pte_write(e) && !pte_special(e));
	assert_true(PageAnonExclusive(page_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, FAULT_ANON), 1);
}

/* semantics.md §1.11: write to a R/O shared VMA with FORCE is -EFAULT (not COW). */
static void forced_write_to_readonly_shared_vma_fails(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_SHMEM, "shm", 4 * PAGE_SIZE);
	unsigned long a;

	assert_non_null(file);
	a = gupsim_mmap(f->mm, BASE, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, file, 0);
	assert_int_equal(a, BASE);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE | FAULT_FLAG_GUPSIM_FORCE),
			 VM_FAULT_SIGSEGV);
	gupsim_file_put(file);
}

/* semantics.md §1.9, §5.3: WRITE together with UNSHARE is a WARN and SIGSEGV. */
static void write_with_unshare_warns(void **state)
{
	struct mm_fixture *f = F(state);

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(f->warns.count, 1);
	assert_int_equal(VMSTAT(f->sim, WARNINGS), 1);
	assert_true(pte_none(entry_at(f->mm, BASE, NULL)));
	f->warns.count = 0;
}

/* semantics.md §5.3: a none PTE with UNSHARE is a read fault (the zero page). */
static void unshare_on_none_pte_is_a_read_fault(void **state)
{
	struct mm_fixture *f = F(state);

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_ptr_equal(page_at(f->mm, BASE), gupsim_zero_page(f->sim));
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 0);
	/* the retried unshare replaces the zero page by an exclusive R/O page */
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_ptr_not_equal(page_at(f->mm, BASE), gupsim_zero_page(f->sim));
	assert_true(PageAnonExclusive(page_at(f->mm, BASE)));
	assert_false(pte_write(pte_at(f->mm, BASE)));
	assert_false(pte_dirty(pte_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
}

static void prot_none_vma_faults_fail_unless_forced(void **state)
{
	struct mm_fixture *f = F(state);
	pteval_t e;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_NONE, 0);
	assert_int_equal(fault(f->mm, BASE, 0), VM_FAULT_SIGSEGV);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE), VM_FAULT_SIGSEGV);
	assert_int_equal(gupsim_read(f->mm, BASE, &e, 1), -EFAULT);
	/* semantics.md §1.11: a forced read with VM_MAYREAD maps a protnone entry */
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_GUPSIM_FORCE), 0);
	e = pte_at(f->mm, BASE);
	assert_true(pte_protnone(e));
	assert_false(pte_access_permitted(e, false));
	assert_int_equal(pte_pfn(e), page_to_pfn(gupsim_zero_page(f->sim)));
}

/* semantics.md §1.8 FOLL_HONOR_NUMA_FAULT: a protnone entry in an accessible VMA is a
 * NUMA hint; the fault restores it in place. */
static void numa_hint_fault_restores_entry(void **state)
{
	struct mm_fixture *f = F(state);
	struct page *page;
	pteval_t e;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 7);
	page = page_at(f->mm, BASE);
	entry_update(f->mm, BASE, _PAGE_PRESENT, _PAGE_PROTNONE);
	assert_true(pte_protnone(pte_at(f->mm, BASE)));
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	e = pte_at(f->mm, BASE);
	assert_true(pte_access_permitted(e, true));	/* the write bit was kept */
	assert_ptr_equal(page_at(f->mm, BASE), page);
	assert_int_equal(folio_ref_count(page_folio(page)), 1);
	assert_int_equal(read_byte(f->mm, BASE), 7);
}

static void fault_outside_vma_is_sigsegv(void **state)
{
	struct mm_fixture *f = F(state);
	struct vm_area_struct *vma;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	gupsim_mmap_read_lock(f->mm);
	vma = vma_lookup(f->mm, BASE);
	assert_int_equal(handle_mm_fault(vma, BASE + PAGE_SIZE, 0), VM_FAULT_SIGSEGV);
	gupsim_mmap_read_unlock(f->mm);
	assert_int_equal(VMSTAT(f->sim, PGFAULT), 1);
}

static void fault_in_user_maps_for_access(void **state)
{
	struct mm_fixture *f = F(state);

	map_anon_at(f->mm, BASE, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	gupsim_mmap_read_lock(f->mm);
	assert_int_equal(fault_in_user(f->mm, BASE, false), 0);
	assert_int_equal(fault_in_user(f->mm, BASE, true), 0);
	assert_int_equal(fault_in_user(f->mm, BASE + 2 * PAGE_SIZE, false), -EFAULT);
	gupsim_mmap_read_unlock(f->mm);
	assert_true(pte_write(pte_at(f->mm, BASE)));
	/* read fault (zero page) + write fault (COW of the zero page) */
	assert_int_equal(VMSTAT(f->sim, PGFAULT), 2);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
}

/* ---- file faults ---- */

static void private_file_read_maps_page_cache_readonly(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_REGULAR, "f", 4 * PAGE_SIZE);
	struct folio *cached;
	pteval_t e;

	assert_int_equal(gupsim_mmap(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_FIXED, file, PAGE_SIZE), BASE);
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	e = pte_at(f->mm, BASE);
	assert_false(pte_write(e));
	cached = filemap_lookup(file, 1);		/* vm_pgoff 1 */
	assert_non_null(cached);
	assert_ptr_equal(folio_at(f->mm, BASE), cached);
	assert_false(folio_test_anon(cached));
	assert_int_equal(folio_mapcount(cached), 1);
	assert_int_equal(VMSTAT(f->sim, FAULT_FILE), 1);
	folio_put(cached);
	gupsim_file_put(file);
}

/* semantics.md §5.3: a write to a MAP_PRIVATE file page gets a private anon copy. */
static void private_file_write_cows_to_anon(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_REGULAR, "f", 4 * PAGE_SIZE);
	struct folio *cached, *anon;
	unsigned char *data;

	assert_int_equal(gupsim_mmap(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_FIXED, file, 0), BASE);
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	cached = filemap_lookup(file, 0);
	data = folio_address(cached);
	data[3] = 0x33;
	write_byte(f->mm, BASE + 4, 0x44);
	anon = folio_at(f->mm, BASE);
	assert_ptr_not_equal(anon, cached);
	assert_true(folio_test_anon(anon));
	assert_true(PageAnonExclusive(&anon->page));
	assert_true(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(read_byte(f->mm, BASE + 3), 0x33);	/* copied */
	assert_int_equal(data[4], 0);				/* file untouched */
	assert_int_equal(folio_mapcount(cached), 0);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	/* a first write to another page COWs without mapping the file page */
	write_byte(f->mm, BASE + PAGE_SIZE, 1);
	assert_true(folio_test_anon(folio_at(f->mm, BASE + PAGE_SIZE)));
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, FAULT_FILE), 2);
	folio_put(cached);
	gupsim_file_put(file);
}

/* Dirty tracking: a regular file's shared writable mapping is read-only
 * after a read fault; the write fault makes it writable and dirties it. */
static void shared_file_write_notify(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_REGULAR, "f", 4 * PAGE_SIZE);
	struct folio *folio;

	assert_int_equal(gupsim_mmap(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	folio = folio_at(f->mm, BASE);
	assert_false(pte_write(pte_at(f->mm, BASE)));
	assert_false(folio_test_dirty(folio));
	write_byte(f->mm, BASE, 9);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);		/* no copy */
	assert_true(pte_write(pte_at(f->mm, BASE)) && pte_dirty(pte_at(f->mm, BASE)));
	assert_true(folio_test_dirty(folio));
	assert_int_equal(((unsigned char *)folio_address(folio))[0], 9);
	/* a first write fault maps writable and dirty at once */
	write_byte(f->mm, BASE + PAGE_SIZE, 1);
	assert_true(pte_write(pte_at(f->mm, BASE + PAGE_SIZE)));
	assert_true(folio_test_dirty(folio_at(f->mm, BASE + PAGE_SIZE)));
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
	gupsim_file_put(file);
}

/* shmem needs no dirty tracking: a read fault maps it writable. */
static void shared_shmem_read_maps_writable(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_SHMEM, "s", 4 * PAGE_SIZE);
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);

	assert_int_equal(gupsim_mmap(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	assert_int_equal(gupsim_mmap(mm2, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	assert_true(pte_write(pte_at(f->mm, BASE)));
	/* both mms map the same page-cache page */
	write_byte(f->mm, BASE + 100, 0x77);
	assert_int_equal(read_byte(mm2, BASE + 100), 0x77);
	assert_ptr_equal(folio_at(f->mm, BASE), folio_at(mm2, BASE));
	assert_int_equal(folio_mapcount(folio_at(mm2, BASE)), 2);
	gupsim_mm_put(mm2);
	gupsim_file_put(file);
}

static void file_fault_beyond_eof_is_sigbus(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_REGULAR, "f", PAGE_SIZE);

	assert_int_equal(gupsim_mmap(f->mm, BASE, 2 * PAGE_SIZE, PROT_READ,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	assert_int_equal(fault(f->mm, BASE + PAGE_SIZE, 0), VM_FAULT_SIGBUS);
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	gupsim_file_put(file);
}

/* VM_IO | VM_PFNMAP: special entries of the device's pfns, no reference. */
static void pfnmap_fault_maps_special_entry(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_PFNMAP, "dev", 2 * PAGE_SIZE);
	struct folio *frame;
	int ref;
	pteval_t e;

	assert_non_null(file);
	assert_int_equal(gupsim_mmap(f->mm, BASE, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	write_byte(f->mm, BASE + PAGE_SIZE + 3, 0x3c);
	e = pte_at(f->mm, BASE + PAGE_SIZE);
	assert_true(pte_special(e) && pte_write(e));
	frame = filemap_lookup(file, 1);
	assert_non_null(frame);
	ref = folio_ref_count(frame);
	assert_int_equal(pte_pfn(e), page_to_pfn(&frame->page));
	assert_int_equal(folio_mapcount(frame), 0);		/* no rmap */
	assert_int_equal(((unsigned char *)folio_address(frame))[3], 0x3c);
	gupsim_mm_put(f->mm);
	f->mm = NULL;
	assert_int_equal(folio_ref_count(frame), ref);		/* no reference either */
	folio_put(frame);
	gupsim_file_put(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
		T(read_fault_maps_zero_page_special),
		T(read_fault_without_zero_page_allocates),
		T(write_fault_allocates_exclusive_anon),
		T(write_after_read_replaces_zero_page),
		T(write_to_readonly_vma_is_sigsegv),
		T(forced_write_to_readonly_private_vma),
		T(forced_write_to_untouched_readonly_vma),
		T(forced_write_to_readonly_shared_vma_fails),
		T(write_with_unshare_warns),
		T(unshare_on_none_pte_is_a_read_fault),
		T(prot_none_vma_faults_fail_unless_forced),
		T(numa_hint_fault_restores_entry),
		T(fault_outside_vma_is_sigsegv),
		T(fault_in_user_maps_for_access),
		T(private_file_read_maps_page_cache_readonly),
		T(private_file_write_cows_to_anon),
		T(shared_file_write_notify),
		T(shared_shmem_read_maps_writable),
		T(file_fault_beyond_eof_is_sigbus),
		T(pfnmap_fault_maps_special_entry),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
