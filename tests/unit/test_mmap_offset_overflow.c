// SPDX-License-Identifier: MIT
/*
 * file_mmap_ok(): a file mapping whose last byte, off + len, lies past
 * MAX_LFS_FILESIZE (LLONG_MAX) is -EOVERFLOW, as the first byte's offset
 * already was; nothing is mapped.
 */
#include <limits.h>
#include <sys/mman.h>

#include "gup_fixture.h"

#define P	PAGE_SIZE

static void mmap_off_plus_len_past_max_lfs_filesize_is_eoverflow(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *f = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "big", 4 * P);
	off_t last = (off_t)(LLONG_MAX & ~(long long)(P - 1));	/* the last page offset */
	unsigned long addr;

	assert_non_null(f);
	addr = gupsim_mmap(fx->mm, 0, P, PROT_READ, MAP_SHARED, f, last);
	assert_int_equal((long)addr, -EOVERFLOW);
	addr = gupsim_mmap(fx->mm, 0, 2 * P, PROT_READ, MAP_SHARED, f, last - (off_t)P);
	assert_int_equal((long)addr, -EOVERFLOW);
	addr = gupsim_mmap(fx->mm, 0, 3 * P, PROT_READ, MAP_PRIVATE, f, last - (off_t)P);
	assert_int_equal((long)addr, -EOVERFLOW);
	assert_int_equal(fx->mm->map_count, 0);
	/* the largest mapping that fits: its last byte is at LLONG_MAX - 1 */
	addr = gupsim_mmap(fx->mm, 0, P, PROT_READ, MAP_SHARED, f, last - (off_t)P);
	assert_false(IS_ERR_VALUE(addr));
	assert_int_equal(gupsim_munmap(fx->mm, addr, P), 0);
	assert_int_equal(WARNS(fx), 0);
	assert_int_equal(gupsim_check(fx->sim), 0);
	gupsim_file_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mmap_off_plus_len_past_max_lfs_filesize_is_eoverflow,
						gup_fx_setup, gup_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
