// SPDX-License-Identifier: MIT
/*
 * Files and the page cache: kinds and their mapping flags, the cache's
 * references, hugetlbfs and ZONE_DEVICE folios, the i_mmap list, and the
 * page cache shared by the mms that map a file. Truncation and writeback are in test_writeback.c.
 */
#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

#define RW	(PROT_READ | PROT_WRITE)

static int sim_setup_files(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.movable_mb = 16;
	cfg.device_mb = 4;
	cfg.hugetlb_2m_pages = 4;
	return sim_setup_cfg(state, &cfg);
}

static struct file *create(void **state, enum gupsim_file_kind kind, size_t size)
{
	struct file *file = gupsim_file_create(fixture_sim(state), kind, "f", size);

	assert_non_null(file);
	return file;
}

static struct folio *get(struct file *file, pgoff_t index)
{
	int err = 1;
	struct folio *folio = filemap_get_folio(file, index, true, &err);

	assert_non_null(folio);
	assert_int_equal(err, 0);
	return folio;
}

/* ---- kinds ---- */

static void file_kinds_have_the_kernel_mapping_flags(void **state)
{
	static const struct {
		enum gupsim_file_kind kind;
		unsigned long flags;
		const char *aops;
	} kinds[] = {
		{ GUPSIM_FILE_REGULAR, AS_WRITEBACK, "ext4_da_aops" },
		{ GUPSIM_FILE_SHMEM, AS_SHMEM, "shmem_aops" },
		{ GUPSIM_FILE_MEMFD, AS_SHMEM, "shmem_aops" },
		{ GUPSIM_FILE_HUGETLBFS, AS_HUGETLB, "hugetlbfs_aops" },
		{ GUPSIM_FILE_FSDAX, AS_FSDAX | AS_WRITEBACK, "ext4_dax_aops" },
		{ GUPSIM_FILE_HUGETLBFS_1G, AS_HUGETLB, "hugetlbfs_aops" },
		{ GUPSIM_FILE_PFNMAP, AS_PFNMAP, NULL },
		{ GUPSIM_FILE_SECRETMEM, AS_SECRETMEM, "secretmem_aops" },
		{ GUPSIM_FILE_P2PDMA, AS_P2PDMA, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct file *file = create(state, kinds[i].kind, PUD_SIZE);

		assert_int_equal(file->mapping.flags, kinds[i].flags);
		if (kinds[i].aops)
			assert_string_equal(file->mapping.a_ops_name, kinds[i].aops);
		else
			assert_null(file->mapping.a_ops_name);
		assert_ptr_equal(file->mapping.host, file);
		assert_int_equal(file->size, PUD_SIZE);
		assert_int_equal(atomic_read(&file->refcount), 1);
		assert_int_equal(shmem_mapping(&file->mapping), kinds[i].flags == AS_SHMEM);
		gupsim_file_put(file);
	}
}

static void memfd_names_like_the_kernel(void **state)
{
	struct file *memfd = gupsim_file_create(fixture_sim(state), GUPSIM_FILE_MEMFD, "buf", 0);
	struct file *other = gupsim_file_create(fixture_sim(state), GUPSIM_FILE_SHMEM, NULL, 0);

	assert_non_null(memfd);
	assert_non_null(other);
	assert_string_equal(memfd->name, "memfd:buf");
	assert_string_equal(other->name, "");
	assert_int_not_equal(memfd->ino, other->ino);
	gupsim_file_put(memfd);
	gupsim_file_put(other);
}

static void file_create_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);

	errno = 0;
	assert_null(gupsim_file_create(NULL, GUPSIM_FILE_SHMEM, "x", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, (enum gupsim_file_kind)42, "x", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, (enum gupsim_file_kind)-1, "x", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	/* hugetlbfs sizes are whole huge pages */
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_HUGETLBFS, "x", PMD_SIZE + PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_HUGETLBFS_1G, "x", PMD_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "x", FILE_MAX_BYTES + 1));
	assert_int_equal(errno, EFBIG);
	assert_null(sim->file_list);
}

static void device_files_need_device_memory(void **state)
{
	struct gupsim *sim = fixture_sim(state);	/* device_mb = 0 */

	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_FSDAX, "dax", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_P2PDMA, "p2p", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
}

/* ---- the page cache ---- */

static void page_cache_holds_a_reference_per_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct file *file = create(state, GUPSIM_FILE_SHMEM, 4 * PAGE_SIZE);
	struct folio *folio = get(file, 2), *again;

	/* the cache's reference plus ours */
	assert_int_equal(folio_ref_count(folio), 2);
	assert_ptr_equal(folio->mapping, &file->mapping);
	assert_int_equal(folio->index, 2);
	assert_false(folio_test_large(folio));
	assert_true(PageFlag(&folio->page, PG_uptodate));
	assert_true(PageFlag(&folio->page, PG_swapbacked));
	again = filemap_lookup(file, 2);
	assert_ptr_equal(again, folio);
	assert_int_equal(folio_ref_count(folio), 3);
	folio_put(again);
	folio_put(folio);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 1);
	/* the last reference to the file drops the cache */
	gupsim_file_put(file);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
	assert_null(sim->file_list);
}

static void page_cache_lookup_errors(void **state)
{
	struct file *file = create(state, GUPSIM_FILE_REGULAR, 2 * PAGE_SIZE + 1);
	int err = 0;

	/* 2 pages and a byte: 3 slots */
	assert_null(filemap_get_folio(file, 3, true, &err));
	assert_int_equal(err, -EINVAL);
	assert_null(filemap_get_folio(file, 2, false, &err));
	assert_int_equal(err, -ENOENT);
	assert_null(filemap_lookup(file, 0));
	folio_put(get(file, 2));
	gupsim_file_put(file);
}

static void regular_secretmem_and_pfnmap_folios(void **state)
{
	struct file *reg = create(state, GUPSIM_FILE_REGULAR, PAGE_SIZE);
	struct file *sec = create(state, GUPSIM_FILE_SECRETMEM, PAGE_SIZE);
	struct file *pfn = create(state, GUPSIM_FILE_PFNMAP, PAGE_SIZE);
	struct folio *a = get(reg, 0), *b = get(sec, 0), *c = get(pfn, 0);

	assert_false(PageFlag(&a->page, PG_swapbacked));
	/* page-cache pages are movable user memory; secretmem's are not */
	assert_int_equal(page_zonenum(&a->page), ZONE_MOVABLE);
	assert_false(folio_is_longterm_pinnable(a));
	assert_int_equal(page_zonenum(&b->page), ZONE_NORMAL);
	assert_ptr_equal(b->mapping, &sec->mapping);
	/* a device's frames: kernel memory */
	assert_int_equal(page_zonenum(&c->page), ZONE_NORMAL);
	folio_put(a);
	folio_put(b);
	folio_put(c);
	gupsim_file_put(reg);
	gupsim_file_put(sec);
	gupsim_file_put(pfn);
}

static void hugetlbfs_caches_huge_folios_at_every_index(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = create(state, GUPSIM_FILE_HUGETLBFS, 2 * PMD_SIZE);
	struct folio *a = get(file, 5), *b, *c;

	assert_int_equal(sim->hstates[0].nr_free, 3);
	assert_true(folio_test_hugetlb(a));
	assert_int_equal(folio_order(a), HPAGE_PMD_ORDER);
	assert_int_equal(a->index, 0);
	/* the cache holds 512 references, we hold one */
	assert_int_equal(folio_ref_count(a), HPAGE_PMD_NR + 1);
	b = get(file, HPAGE_PMD_NR - 1);
	assert_ptr_equal(b, a);
	c = get(file, HPAGE_PMD_NR);
	assert_ptr_not_equal(c, a);
	assert_int_equal(c->index, HPAGE_PMD_NR);
	assert_int_equal(sim->hstates[0].nr_free, 2);
	folio_put(a);
	folio_put(b);
	folio_put(c);
	gupsim_file_put(file);
	assert_int_equal(sim->hstates[0].nr_free, 4);
}

static void hugetlbfs_pool_exhausted_is_enomem(void **state)
{
	struct file *file = create(state, GUPSIM_FILE_HUGETLBFS_1G, PUD_SIZE);
	int err = 0;

	/* no 1 GiB pages in this machine's pool */
	assert_null(filemap_get_folio(file, 0, true, &err));
	assert_int_equal(err, -ENOMEM);
	gupsim_file_put(file);
}

static void device_files_cache_zone_device_pages(void **state)
{
	struct file *dax = create(state, GUPSIM_FILE_FSDAX, 2 * PAGE_SIZE);
	struct file *p2p = create(state, GUPSIM_FILE_P2PDMA, PAGE_SIZE);
	struct folio *a = get(dax, 1), *b = get(p2p, 0);

	assert_int_equal(page_zonenum(&a->page), ZONE_DEVICE);
	assert_true(folio_is_fsdax(a));
	assert_false(folio_is_longterm_pinnable(a));
	assert_int_equal(page_zonenum(&b->page), ZONE_DEVICE);
	assert_true(folio_is_pci_p2pdma(b));
	assert_int_equal(folio_ref_count(a), 2);
	folio_put(a);
	folio_put(b);
	gupsim_file_put(dax);
	gupsim_file_put(p2p);
}

static void a_pinned_folio_outlives_its_file(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct file *file = create(state, GUPSIM_FILE_MEMFD, PAGE_SIZE);
	struct folio *folio = get(file, 0);

	assert_int_equal(try_grab_folio(folio, 1, FOLL_PIN), 0);
	folio_put(folio);
	gupsim_file_put(file);
	/* out of the cache, no longer file-backed, still pinned */
	assert_null(folio->mapping);
	assert_int_equal(folio_ref_count(folio), GUP_PIN_COUNTING_BIAS);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 1);
	gupsim_unpin_user_page(&folio->page);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
}

static void replace_folio_moves_the_cache_references(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = create(state, GUPSIM_FILE_SHMEM, PAGE_SIZE);
	struct folio *old = get(file, 0), *new_folio = folio_alloc_gfp(sim, 0, 0), *found;

	assert_non_null(new_folio);
	folio_mark_dirty(old);
	filemap_replace_folio(old, new_folio);
	assert_int_equal(folio_ref_count(old), 1);		/* ours */
	assert_int_equal(folio_ref_count(new_folio), 2);	/* ours + the cache's */
	assert_ptr_equal(new_folio->mapping, &file->mapping);
	assert_int_equal(new_folio->index, 0);
	assert_true(folio_test_dirty(new_folio));
	assert_false(folio_test_dirty(old));
	found = filemap_lookup(file, 0);
	assert_ptr_equal(found, new_folio);
	folio_put(found);
	folio_put(old);
	folio_put(new_folio);
	gupsim_file_put(file);
}

/* ---- i_mmap and the VMA predicates ---- */

static void fake_vma(struct vm_area_struct *vma, struct file *file, unsigned long flags)
{
	memset(vma, 0, sizeof(*vma));
	vma->vm_start = 0x100000;
	vma->vm_end = 0x200000;
	vma->vm_flags = flags;
	vma->vm_file = file;
}

static void i_mmap_links_each_vma_once(void **state)
{
	struct file *file = create(state, GUPSIM_FILE_REGULAR, PAGE_SIZE);
	struct vm_area_struct a, b, copy;

	fake_vma(&a, file, VM_READ | VM_SHARED);
	fake_vma(&b, file, VM_READ);
	vma_link_file(&a);
	vma_link_file(&b);
	vma_link_file(&a);
	assert_ptr_equal(file->mapping.i_mmap, &b);
	assert_ptr_equal(b.i_mmap_next, &a);
	assert_null(a.i_mmap_next);
	/* a copy (vm_area_dup) carries stale links: it is linked anew */
	copy = a;
	vma_link_file(&copy);
	assert_ptr_equal(file->mapping.i_mmap, &copy);
	assert_ptr_equal(copy.i_mmap_next, &b);
	vma_unlink_file(&b);
	assert_ptr_equal(copy.i_mmap_next, &a);
	assert_ptr_equal(a.i_mmap_prev, &copy);
	vma_unlink_file(&b);
	vma_unlink_file(&copy);
	vma_unlink_file(&a);
	assert_null(file->mapping.i_mmap);
	gupsim_file_put(file);
}

static void vma_predicates_follow_the_mapping(void **state)
{
	struct file *reg = create(state, GUPSIM_FILE_REGULAR, PAGE_SIZE);
	struct file *shm = create(state, GUPSIM_FILE_SHMEM, PAGE_SIZE);
	struct file *huge = create(state, GUPSIM_FILE_HUGETLBFS_1G, PUD_SIZE);
	struct file *sec = create(state, GUPSIM_FILE_SECRETMEM, PAGE_SIZE);
	struct vm_area_struct v;

	/* semantics.md §1.7: shared + writable + a filesystem that writes back */
	fake_vma(&v, reg, VM_READ | VM_WRITE | VM_SHARED | VM_MAYWRITE | VM_MAYSHARE);
	assert_true(vma_needs_dirty_tracking(&v));
	v.vm_flags &= ~VM_WRITE;
	assert_false(vma_needs_dirty_tracking(&v));
	fake_vma(&v, reg, VM_READ | VM_WRITE | VM_MAYWRITE);
	assert_false(vma_needs_dirty_tracking(&v));
	fake_vma(&v, shm, VM_READ | VM_WRITE | VM_SHARED);
	assert_false(vma_needs_dirty_tracking(&v));
	assert_true(vma_is_shmem(&v));
	assert_false(vma_is_fsdax(&v));
	fake_vma(&v, NULL, VM_READ | VM_WRITE | VM_SHARED);
	assert_false(vma_needs_dirty_tracking(&v));
	assert_false(vma_is_shmem(&v));
	assert_int_equal(vma_hugetlb_order(&v), 0);
	v.vm_flags |= VM_HUGETLB;
	assert_int_equal(vma_hugetlb_order(&v), HPAGE_PMD_ORDER);
	fake_vma(&v, huge, VM_READ | VM_HUGETLB | VM_SHARED);
	assert_int_equal(vma_hugetlb_order(&v), HPAGE_PUD_ORDER);
	fake_vma(&v, sec, VM_READ | VM_WRITE | VM_SHARED);
	assert_true(vma_is_secretmem(&v));
	gupsim_file_put(reg);
	gupsim_file_put(shm);
	gupsim_file_put(huge);
	gupsim_file_put(sec);
}

static void dax_mappings_are_fsdax_and_dirty_tracked(void **state)
{
	struct file *dax = create(state, GUPSIM_FILE_FSDAX, PAGE_SIZE);
	struct vm_area_struct v;

	fake_vma(&v, dax, VM_READ | VM_WRITE | VM_SHARED);
	assert_true(vma_is_fsdax(&v));
	assert_true(vma_needs_dirty_tracking(&v));
	gupsim_file_put(dax);
}

static void files_left_behind_go_with_the_machine(void **state)
{
	struct file *file = create(state, GUPSIM_FILE_HUGETLBFS, PMD_SIZE);

	/* never put: gupsim_destroy() frees it and its cache (ASan checks) */
	folio_put(get(file, 0));
	get_file(file);
	assert_int_equal(atomic_read(&file->refcount), 2);
}

/* ---- mappings: the page cache shared between mms ---- */

static struct mm_struct *mm_new(void **state)
{
	struct mm_struct *mm = gupsim_mm_create(fixture_sim(state));

	assert_non_null(mm);
	return mm;
}

static unsigned long map(struct mm_struct *mm, size_t len, int flags, struct file *file)
{
	unsigned long addr = gupsim_mmap(mm, 0, len, RW, flags, file, 0);

	assert_false(IS_ERR_VALUE(addr));
	return addr;
}

static void put_str(struct mm_struct *mm, unsigned long addr, const char *s)
{
	assert_int_equal(gupsim_write(mm, addr, s, strlen(s) + 1), (long)strlen(s) + 1);
}

static void assert_reads(struct mm_struct *mm, unsigned long addr, const char *s)
{
	char buf[64] = { 0 };

	assert_int_equal(gupsim_read(mm, addr, buf, strlen(s) + 1), (long)strlen(s) + 1);
	assert_string_equal(buf, s);
}

static void shared_mappings_of_two_mms_share_the_page_cache(void **state)
{
	static const enum gupsim_file_kind kinds[] = {
		GUPSIM_FILE_REGULAR, GUPSIM_FILE_SHMEM, GUPSIM_FILE_MEMFD,
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct file *file = create(state, kinds[i], 2 * PAGE_SIZE);
		struct mm_struct *a = mm_new(state), *b = mm_new(state);
		unsigned long va = map(a, 2 * PAGE_SIZE, MAP_SHARED, file);
		unsigned long vb = map(b, 2 * PAGE_SIZE, MAP_SHARED, file);
		struct folio *folio;

		/* a mapping holds its own reference: closing the file is fine */
		gupsim_file_put(file);
		put_str(a, va + PAGE_SIZE + 10, "written by a");
		assert_reads(b, vb + PAGE_SIZE + 10, "written by a");
		folio = page_folio(gupsim_follow_page(a, va + PAGE_SIZE));
		assert_ptr_equal(page_folio(gupsim_follow_page(b, vb + PAGE_SIZE)), folio);
		assert_ptr_equal(folio->mapping, &file->mapping);
		assert_int_equal(folio->index, 1);
		/* the cache's reference and one per PTE */
		assert_int_equal(folio_mapcount(folio), 2);
		assert_int_equal(folio_ref_count(folio), 3);
		put_str(b, vb + PAGE_SIZE + 10, "and by b");
		assert_reads(a, va + PAGE_SIZE + 10, "and by b");
		gupsim_mm_put(a);
		assert_int_equal(folio_ref_count(folio), 2);
		gupsim_mm_put(b);	/* the last reference to the file */
	}
}

static void map_private_writes_stay_private(void **state)
{
	struct file *file = create(state, GUPSIM_FILE_REGULAR, PAGE_SIZE);
	struct mm_struct *a = mm_new(state), *b = mm_new(state);
	unsigned long shared = map(a, PAGE_SIZE, MAP_SHARED, file);
	unsigned long priv = map(b, PAGE_SIZE, MAP_PRIVATE, file);
	struct folio *cached;

	put_str(a, shared, "file data");
	/* before any write, the private mapping maps the page-cache page */
	assert_reads(b, priv, "file data");
	cached = page_folio(gupsim_follow_page(a, shared));
	assert_ptr_equal(page_folio(gupsim_follow_page(b, priv)), cached);
	put_str(a, shared, "update");
	assert_reads(b, priv, "update");
	/* a private write COWs to an anon page: the file does not see it */
	put_str(b, priv, "private");
	assert_true(folio_test_anon(page_folio(gupsim_follow_page(b, priv))));
	assert_reads(a, shared, "update");
	/* and the private copy no longer sees the file */
	put_str(a, shared, "later");
	assert_reads(b, priv, "private");
	assert_int_equal(folio_mapcount(cached), 1);
	gupsim_mm_put(a);
	gupsim_mm_put(b);
	gupsim_file_put(file);
}

static void hugetlbfs_shared_mappings_share_the_huge_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = create(state, GUPSIM_FILE_HUGETLBFS, PMD_SIZE);
	struct mm_struct *a = mm_new(state), *b = mm_new(state);
	unsigned long va = map(a, PMD_SIZE, MAP_SHARED, file);
	unsigned long vb = map(b, PMD_SIZE, MAP_SHARED, file);
	struct folio *folio;

	put_str(a, va + 300 * PAGE_SIZE, "huge");
	assert_reads(b, vb + 300 * PAGE_SIZE, "huge");
	folio = page_folio(gupsim_follow_page(b, vb));
	assert_true(folio_test_hugetlb(folio));
	assert_ptr_equal(page_folio(gupsim_follow_page(a, va + PMD_SIZE - 1)), folio);
	assert_int_equal(folio_ref_count(folio), HPAGE_PMD_NR + 2);
	assert_int_equal(sim->hstates[0].nr_free, 3);
	gupsim_mm_put(a);
	gupsim_mm_put(b);
	gupsim_file_put(file);
	assert_int_equal(sim->hstates[0].nr_free, 4);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(file_kinds_have_the_kernel_mapping_flags, sim_setup_files),
		T(memfd_names_like_the_kernel, sim_setup_files),
		T(file_create_bad_arguments, sim_setup_files),
		T(device_files_need_device_memory, sim_setup),
		T(page_cache_holds_a_reference_per_page, sim_setup_files),
		T(page_cache_lookup_errors, sim_setup_files),
		T(regular_secretmem_and_pfnmap_folios, sim_setup_files),
		T(hugetlbfs_caches_huge_folios_at_every_index, sim_setup_files),
		T(hugetlbfs_pool_exhausted_is_enomem, sim_setup_files),
		T(device_files_cache_zone_device_pages, sim_setup_files),
		T(a_pinned_folio_outlives_its_file, sim_setup_files),
		T(replace_folio_moves_the_cache_references, sim_setup_files),
		T(i_mmap_links_each_vma_once, sim_setup_files),
		T(vma_predicates_follow_the_mapping, sim_setup_files),
		T(dax_mappings_are_fsdax_and_dirty_tracked, sim_setup_files),
		T(files_left_behind_go_with_the_machine, sim_setup_files),
		T(shared_mappings_of_two_mms_share_the_page_cache, sim_setup_files),
		T(map_private_writes_stay_private, sim_setup_files),
		T(hugetlbfs_shared_mappings_share_the_huge_folio, sim_setup_files),
	};

	return cmocka_run_group_tests_name("file", tests, NULL, NULL);
}
