// SPDX-License-Identifier: MIT
/*
 * Truncation and writeback: the file operations that reach into every
 * mapping of a file. Writeback cleans dirty folios and counts those that
 * may be pinned for DMA (pin_user_pages.rst CASE 5).
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

/* ---- truncation ---- */

static void truncate_drops_the_folios_past_the_end(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct file *file = create(state, GUPSIM_FILE_SHMEM, 4 * PAGE_SIZE);
	struct folio *keep;
	unsigned char *mem;
	int err = 0;

	for (pgoff_t i = 0; i < 4; i++)
		folio_put(get(file, i));
	keep = get(file, 1);
	mem = page_address(&keep->page);
	memset(mem, 0x5a, PAGE_SIZE);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 4);

	/* a page and a half: the bytes past the end read zero */
	assert_int_equal(gupsim_file_truncate(file, PAGE_SIZE + 100), 0);
	assert_int_equal(file->size, PAGE_SIZE + 100);
	assert_int_equal(mem[99], 0x5a);
	assert_int_equal(mem[100], 0);
	assert_int_equal(mem[PAGE_SIZE - 1], 0);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 - 2);
	assert_null(filemap_get_folio(file, 2, true, &err));
	assert_int_equal(err, -EINVAL);

	/* growing again gives fresh slots */
	assert_int_equal(gupsim_file_truncate(file, 3 * PAGE_SIZE), 0);
	assert_null(filemap_lookup(file, 2));
	folio_put(get(file, 2));
	folio_put(keep);
	assert_int_equal(gupsim_file_truncate(file, 0), 0);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
	assert_int_equal(file->mapping.nr_slots, 0);
	gupsim_file_put(file);
}

static void truncate_bad_arguments(void **state)
{
	struct file *file = create(state, GUPSIM_FILE_HUGETLBFS, PMD_SIZE);

	assert_int_equal(gupsim_file_truncate(NULL, 0), -EINVAL);
	assert_int_equal(gupsim_file_truncate(file, PAGE_SIZE), -EINVAL);
	assert_int_equal(gupsim_file_truncate(file, FILE_MAX_BYTES + PMD_SIZE), -EFBIG);
	assert_int_equal(file->size, PMD_SIZE);
	assert_int_equal(gupsim_file_truncate(file, 2 * PMD_SIZE), 0);
	assert_int_equal(file->mapping.nr_slots, 2 * HPAGE_PMD_NR);
	gupsim_file_put(file);
}

/* ---- writeback ---- */

static void writeback_cleans_dirty_folios_and_counts_pinned_ones(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = create(state, GUPSIM_FILE_REGULAR, 3 * PAGE_SIZE);
	struct folio *a = get(file, 0), *b = get(file, 1), *c = get(file, 2);
	unsigned long wb0 = gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK);
	unsigned long pinned0 = gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED);

	folio_mark_dirty(a);
	folio_mark_dirty(b);
	assert_int_equal(try_grab_folio(b, 1, FOLL_PIN), 0);
	assert_int_equal(gupsim_file_writeback(file), 2);
	assert_false(folio_test_dirty(a));
	assert_false(folio_test_dirty(b));
	assert_false(folio_test_dirty(c));
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK), wb0 + 2);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED), pinned0 + 1);
	/* nothing dirty: nothing to do */
	assert_int_equal(gupsim_file_writeback(file), 0);
	/* a device writes through its pin; the driver dirties on unpin */
	gupsim_unpin_user_page_range_dirty_lock(&b->page, 1, true);
	assert_true(folio_test_dirty(b));
	assert_int_equal(gupsim_file_writeback(file), 1);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED), pinned0 + 1);
	folio_put(a);
	folio_put(b);
	folio_put(c);
	gupsim_file_put(file);
}

static void writeback_of_files_that_cannot_write_back(void **state)
{
	struct file *shm = create(state, GUPSIM_FILE_SHMEM, PAGE_SIZE);
	struct folio *folio = get(shm, 0);

	folio_mark_dirty(folio);
	/* semantics.md §1.7: tmpfs has no writeback */
	assert_int_equal(gupsim_file_writeback(shm), 0);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(gupsim_file_writeback(NULL), -EINVAL);
	folio_put(folio);
	gupsim_file_put(shm);
}

/* ---- with mappings ---- */

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

static pteval_t entry_at(struct mm_struct *mm, unsigned long addr)
{
	pteval_t *e = pgtable_lookup(mm, addr, NULL);

	return e ? pt_read(e) : 0;
}

/*
 * CASE 5: the page is pinned for DMA while writeback cleans it; the PTE is
 * write-protected so a CPU write faults and dirties the folio again.
 */
static void writeback_write_protects_and_counts_a_pinned_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = create(state, GUPSIM_FILE_REGULAR, 2 * PAGE_SIZE);
	struct mm_struct *mm = mm_new(state);
	unsigned long addr = map(mm, 2 * PAGE_SIZE, MAP_SHARED, file);
	unsigned long wb0 = gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK);
	unsigned long pinned0 = gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED);
	struct folio *folio;
	pteval_t e;

	assert_int_equal(gupsim_write(mm, addr, "cpu", 4), 4);
	assert_int_equal(gupsim_write(mm, addr + PAGE_SIZE, "other", 6), 6);
	folio = page_folio(gupsim_follow_page(mm, addr));
	assert_true(folio_test_dirty(folio));
	e = entry_at(mm, addr);
	assert_true(pte_write(e) && pte_dirty(e));
	assert_int_equal(gupsim_try_grab_folio(folio, 1, FOLL_PIN), 0);

	assert_int_equal(gupsim_file_writeback(file), 2);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK), wb0 + 2);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED), pinned0 + 1);
	assert_false(folio_test_dirty(folio));
	e = entry_at(mm, addr);
	assert_true(pte_present(e));
	assert_false(pte_write(e));
	assert_false(pte_dirty(e));
	assert_false(pte_write(entry_at(mm, addr + PAGE_SIZE)));
	assert_int_equal(mm_check(mm), 0);

	/* the device writes through its pin: the kernel does not notice */
	assert_int_equal(gupsim_dma_write(&folio->page, 0, "dma", 4), 4);
	assert_false(folio_test_dirty(folio));
	assert_int_equal(gupsim_file_writeback(file), 0);
	/* a CPU write faults (write-notify) and dirties the folio again */
	assert_int_equal(gupsim_write(mm, addr + 8, "x", 2), 2);
	assert_true(folio_test_dirty(folio));
	assert_true(pte_write(entry_at(mm, addr)));
	assert_ptr_equal(page_folio(gupsim_follow_page(mm, addr)), folio);
	assert_int_equal(gupsim_file_writeback(file), 1);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED), pinned0 + 2);

	gupsim_unpin_user_page(&folio->page);
	gupsim_mm_put(mm);
	gupsim_file_put(file);
}

static void writeback_leaves_private_mappings_alone(void **state)
{
	struct file *file = create(state, GUPSIM_FILE_REGULAR, PAGE_SIZE);
	struct mm_struct *mm = mm_new(state);
	unsigned long shared = map(mm, PAGE_SIZE, MAP_SHARED, file);
	unsigned long priv = map(mm, PAGE_SIZE, MAP_PRIVATE, file);
	pteval_t before;
	char c;

	assert_int_equal(gupsim_write(mm, shared, "s", 2), 2);
	assert_int_equal(gupsim_read(mm, priv, &c, 1), 1);	/* maps the cache page */
	before = entry_at(mm, priv);
	assert_int_equal(gupsim_file_writeback(file), 1);
	assert_int_equal(entry_at(mm, priv), before);
	assert_false(pte_write(entry_at(mm, shared)));
	gupsim_mm_put(mm);
	gupsim_file_put(file);
}

static void truncate_unmaps_file_pages_and_private_copies(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct file *file = create(state, GUPSIM_FILE_SHMEM, 2 * PAGE_SIZE);
	struct mm_struct *a = mm_new(state), *b = mm_new(state);
	unsigned long shared = map(a, 2 * PAGE_SIZE, MAP_SHARED, file);
	unsigned long priv = map(b, 2 * PAGE_SIZE, MAP_PRIVATE, file);
	char c;

	assert_int_equal(gupsim_write(a, shared, "keep", 5), 5);
	assert_int_equal(gupsim_write(a, shared + PAGE_SIZE, "gone", 5), 5);
	assert_int_equal(gupsim_read(b, priv, &c, 1), 1);
	assert_int_equal(gupsim_write(b, priv + PAGE_SIZE, "cow", 4), 4);
	assert_non_null(gupsim_follow_page(b, priv + PAGE_SIZE));

	assert_int_equal(gupsim_file_truncate(file, PAGE_SIZE), 0);
	assert_null(gupsim_follow_page(a, shared + PAGE_SIZE));
	/* even_cows: the private copy past the end goes too */
	assert_null(gupsim_follow_page(b, priv + PAGE_SIZE));
	assert_non_null(gupsim_follow_page(a, shared));
	/* past the end of the file: SIGBUS */
	assert_int_equal(gupsim_read(a, shared + PAGE_SIZE, &c, 1), -EFAULT);
	assert_int_equal(gupsim_read(b, priv + PAGE_SIZE, &c, 1), -EFAULT);
	assert_int_equal(mm_check(a), 0);
	assert_int_equal(mm_check(b), 0);
	gupsim_mm_put(a);
	gupsim_mm_put(b);
	gupsim_file_put(file);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(truncate_drops_the_folios_past_the_end, sim_setup_files),
		T(truncate_bad_arguments, sim_setup_files),
		T(writeback_cleans_dirty_folios_and_counts_pinned_ones, sim_setup_files),
		T(writeback_of_files_that_cannot_write_back, sim_setup_files),
		T(writeback_write_protects_and_counts_a_pinned_folio, sim_setup_files),
		T(writeback_leaves_private_mappings_alone, sim_setup_files),
		T(truncate_unmaps_file_pages_and_private_copies, sim_setup_files),
	};

	return cmocka_run_group_tests_name("writeback", tests, NULL, NULL);
}
