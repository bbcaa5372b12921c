// SPDX-License-Identifier: MIT
/* Bad inputs found by the survey and fixed afterwards. */
#include <sys/mman.h>
#include "helpers.h"
#include "internal.h"

/* file_mmap_ok(): a file offset past MAX_LFS_FILESIZE is -EOVERFLOW. */
static void mmap_of_a_negative_file_offset_is_eoverflow(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct file *f = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "shm", 4 * PAGE_SIZE);
	unsigned long free0 = gupsim_nr_free_pages(sim);

	assert_int_equal((long)gupsim_mmap(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
					   MAP_SHARED, f, (off_t)-4096), -EOVERFLOW);
	assert_null(mm->mmap);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
	gupsim_file_put(f);
	gupsim_mm_put(mm);
}

/* A DMA to a struct page that belongs to no folio is refused, not a crash. */
static void dma_to_a_page_of_no_folio_is_einval(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folio = gupsim_folio_alloc(sim, 0, 0);
	struct page *stray = &folio->page + 1001;
	char buf[8] = { 0 };

	if (!page_uninit(stray)) {	/* the allocator happened to use it */
		gupsim_folio_put(folio);
		skip();
	}
	assert_int_equal(gupsim_dma_read(stray, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(gupsim_dma_write(stray, 0, buf, sizeof(buf)), -EINVAL);
	gupsim_folio_put(folio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mmap_of_a_negative_file_offset_is_eoverflow,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(dma_to_a_page_of_no_folio_is_einval,
						sim_setup, sim_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
