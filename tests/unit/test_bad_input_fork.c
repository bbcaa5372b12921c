// SPDX-License-Identifier: MIT
/*
 * Bad-input survey, part 5: fork, truncate, writeback and the device-memory
 * files. gupsim_fork() of NULL is ERR_PTR(-EINVAL); a fork that runs out
 * of memory at any point returns ERR_PTR(-ENOMEM) and gives back every page
 * it took, leaving the parent as it was. Files refuse impossible sizes.
 */
#include <sys/mman.h>

#include "bad_input.h"

#define NPIN	32

static long ptr_err(const void *p)
{
	return GUPSIM_IS_ERR_VALUE((unsigned long)p) ? (long)p : 0;
}

static void fork_null_parent(void **state)
{
	(void)state;
	assert_int_equal(ptr_err(gupsim_fork(NULL)), -EINVAL);
	assert_false(gupsim_folio_needs_cow_for_dma(NULL, NULL));
}

/* The parent: NPIN pinned anon pages (fork must copy them), a shared file
 * mapping and a THP range (fork shares them). */
struct parent {
	struct mm_struct *mm;
	unsigned long anon, thp;
	struct page *pinned[NPIN];
	int refs[NPIN];
};

static void parent_build(void **state, struct parent *p)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "s", 8 * PAGE_SIZE);
	char buf[64] = "parent";
	unsigned long shm;

	p->mm = gupsim_mm_create(sim);
	assert_non_null(p->mm);
	assert_non_null(file);
	p->anon = gupsim_mmap(p->mm, 0, NPIN * PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	p->thp = gupsim_mmap(p->mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	shm = gupsim_mmap(p->mm, 0, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(p->anon));
	assert_false(GUPSIM_IS_ERR_VALUE(p->thp));
	assert_false(GUPSIM_IS_ERR_VALUE(shm));
	gupsim_file_put(file);
	assert_int_equal(gupsim_madvise(p->mm, p->thp, PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(gupsim_write(p->mm, p->thp, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(gupsim_write(p->mm, shm, buf, sizeof(buf)), sizeof(buf));
	gupsim_kthread_use_mm(p->mm);
	assert_int_equal(gupsim_pin_user_pages_fast(p->anon, NPIN, FOLL_WRITE, p->pinned), NPIN);
	gupsim_kthread_unuse_mm(p->mm);
	for (int i = 0; i < NPIN; i++)
		p->refs[i] = gupsim_page_count(p->pinned[i]);
}

static void parent_assert_unchanged(struct parent *p)
{
	for (int i = 0; i < NPIN; i++) {
		assert_ptr_equal(gupsim_follow_page(p->mm, p->anon + i * PAGE_SIZE), p->pinned[i]);
		assert_int_equal(gupsim_page_count(p->pinned[i]), p->refs[i]);
		assert_int_equal(gupsim_page_mapcount(p->pinned[i]), 1);
		assert_true(gupsim_PageAnonExclusive(p->pinned[i]));
	}
}

static void parent_release(struct parent *p)
{
	gupsim_unpin_user_pages(p->pinned, NPIN);
	gupsim_mm_put(p->mm);
}

/*
 * Memory runs out at every possible point of the copy (page tables, the
 * copies of the pinned pages): each failed fork is ERR_PTR(-ENOMEM), gives
 * every page back and leaves the parent's pages as they were.
 */
static void fork_out_of_memory_at_every_step(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct parent p;
	struct folio **hog;
	unsigned long free0 = gupsim_nr_free_pages(sim), nfree, n = 0, failures = 0;

	parent_build(state, &p);
	nfree = gupsim_nr_free_pages(sim);
	hog = calloc(nfree + 1, sizeof(*hog));
	assert_non_null(hog);
	while ((hog[n] = gupsim_folio_alloc(sim, 0, 0)) != NULL)
		n++;
	assert_int_equal(n, nfree);
	/* give back one page at a time until a fork succeeds */
	for (;;) {
		unsigned long before = gupsim_nr_free_pages(sim);
		struct mm_struct *child = gupsim_fork(p.mm);

		if (!GUPSIM_IS_ERR_VALUE((unsigned long)child)) {
			gupsim_mm_put(child);
			assert_int_equal(gupsim_nr_free_pages(sim), before);
			break;
		}
		assert_int_equal(ptr_err(child), -ENOMEM);
		assert_int_equal(gupsim_nr_free_pages(sim), before);
		parent_assert_unchanged(&p);
		failures++;
		assert_true(n > 0);
		gupsim_folio_put(hog[--n]);
	}
	/* the pgd, the tables, NPIN copies: at least that many failures */
	assert_true(failures > NPIN);
	bi_expect_warns(state, 0);
	while (n)
		gupsim_folio_put(hog[--n]);
	free(hog);
	parent_assert_unchanged(&p);
	parent_release(&p);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
}

/* folio_needs_cow_for_dma() outside fork: the kernel's VM_BUG, a WARN. */
static void folio_needs_cow_for_dma_outside_fork_warns(void **state)
{
	struct parent p;
	struct vm_area_struct *vma;

	parent_build(state, &p);
	gupsim_mmap_read_lock(p.mm);
	vma = gupsim_vma_lookup(p.mm, p.anon);
	gupsim_mmap_read_unlock(p.mm);
	assert_non_null(vma);
	assert_false(gupsim_folio_needs_cow_for_dma(vma, NULL));
	bi_expect_warns(state, 0);
	assert_true(gupsim_folio_needs_cow_for_dma(vma, gupsim_page_folio(p.pinned[0])));
	bi_expect_warn_text(state, "write_protect_seq");
	bi_expect_warns(state, 1);
	parent_assert_unchanged(&p);
	parent_release(&p);
}

static void truncate_and_writeback_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "r", 2 * PAGE_SIZE);
	struct file *shm = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "s", 2 * PAGE_SIZE);
	struct bi_snapshot s;

	assert_non_null(reg);
	assert_non_null(shm);
	bi_snap(sim, &s);
	assert_int_equal(gupsim_file_truncate(NULL, 0), -EINVAL);
	assert_int_equal(gupsim_file_truncate(reg, SIZE_MAX), -EFBIG);
	assert_int_equal(gupsim_file_truncate(shm, (64UL << 30) + 1), -EFBIG);
	assert_int_equal(gupsim_file_writeback(NULL), -EINVAL);
	assert_int_equal(gupsim_file_writeback(shm), 0);	/* nothing to write back to */
	assert_int_equal(gupsim_file_writeback(reg), 0);	/* nothing dirty */
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);
	gupsim_file_put(reg);
	gupsim_file_put(shm);
}

static int hugetlb_setup(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.hugetlb_2m_pages = 1;
	return sim_setup_cfg(state, &cfg);
}

static void truncate_hugetlbfs_to_part_of_a_huge_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *h = gupsim_file_create(sim, GUPSIM_FILE_HUGETLBFS, "h", PMD_SIZE);

	assert_non_null(h);
	assert_int_equal(gupsim_file_truncate(h, PAGE_SIZE), -EINVAL);
	assert_int_equal(gupsim_file_truncate(h, PMD_SIZE + PAGE_SIZE), -EINVAL);
	assert_int_equal(gupsim_file_truncate(h, 0), 0);
	bi_expect_warns(state, 0);
	gupsim_file_put(h);
}

/*
 * Truncating a mapped file whose pages are pinned: the pages leave the
 * page cache and the page tables, stay allocated while pinned, and come
 * back when unpinned.
 */
static void truncate_under_a_pin(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *f = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "s", 4 * PAGE_SIZE);
	struct mm_struct *mm = gupsim_mm_create(sim);
	unsigned long free0 = gupsim_nr_free_pages(sim), addr;
	struct page *pages[4];
	char c = 1;

	assert_non_null(f);
	assert_non_null(mm);
	addr = gupsim_mmap(mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(addr));
	gupsim_kthread_use_mm(mm);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 4, FOLL_WRITE | FOLL_LONGTERM, pages),
			 4);
	gupsim_kthread_unuse_mm(mm);
	assert_int_equal(gupsim_file_truncate(f, 0), 0);
	assert_null(gupsim_follow_page(mm, addr));
	assert_int_equal(gupsim_read(mm, addr, &c, 1), -EFAULT);	/* SIGBUS: past EOF */
	for (int i = 0; i < 4; i++)
		assert_int_equal(gupsim_page_count(pages[i]), 1024);	/* only the pin */
	assert_int_equal(gupsim_dma_write(pages[0], 0, &c, 1), 1);	/* still the device's */
	gupsim_unpin_user_pages(pages, 4);
	gupsim_mm_put(mm);
	gupsim_file_put(f);
	assert_int_equal(gupsim_nr_free_pages(sim), free0 + 1);	/* mm's pgd */
	bi_expect_warns(state, 0);
}

/* fs-DAX and P2PDMA files need ZONE_DEVICE memory (mm.h: EINVAL). */
static void device_files_without_device_memory(void **state)
{
	struct gupsim *sim = fixture_sim(state);

	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_FSDAX, "dax", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_P2PDMA, "bar", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
}

/* A NULL buffer is an error only with a non-zero length (mm.h). */
static void dma_null_buffer_of_length_zero(void **state)
{
	struct folio *f = gupsim_folio_alloc(fixture_sim(state), 0, 0);

	assert_non_null(f);
	assert_int_equal(gupsim_dma_write(&f->page, 0, NULL, 0), 0);
	assert_int_equal(gupsim_dma_read(&f->page, PAGE_SIZE, NULL, 0), 0);
	assert_int_equal(gupsim_dma_read(&f->page, PAGE_SIZE + 1, NULL, 0), -EINVAL);
	gupsim_folio_put(f);
	bi_expect_warns(state, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fork_null_parent),
		cmocka_unit_test_setup_teardown(fork_out_of_memory_at_every_step,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(folio_needs_cow_for_dma_outside_fork_warns,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(truncate_and_writeback_bad_arguments,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(truncate_hugetlbfs_to_part_of_a_huge_page,
						hugetlb_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(truncate_under_a_pin, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(device_files_without_device_memory,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(dma_null_buffer_of_length_zero,
						sim_setup, sim_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
