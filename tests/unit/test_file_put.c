// SPDX-License-Identifier: MIT
/*
 * gupsim_file_put() drops the creator's one reference: a second call on a
 * file that is still mapped WARNs and changes nothing (it used to drop the
 * mapping's reference and free the file under it).
 */
#include <sys/mman.h>

#include "gup_fixture.h"

#define P	PAGE_SIZE

static void second_file_put_on_mapped_file_warns_and_changes_nothing(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *f = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "twice", 4 * P);
	unsigned long addr;
	char buf[4] = "abc";

	assert_non_null(f);
	addr = fx_mmap(fx, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, f);
	assert_int_equal(gupsim_write(fx->mm, addr, buf, 4), 4);
	assert_int_equal(atomic_read(&f->refcount), 2);
	gupsim_file_put(f);			/* close() after mmap(): fine */
	assert_int_equal(WARNS(fx), 0);
	gupsim_file_put(f);			/* misuse: reported, nothing changes */
	assert_int_equal(WARNS(fx), 1);
	assert_non_null(strstr(fx->warns.last, "gupsim_file_put() called twice"));
	assert_int_equal(atomic_read(&f->refcount), 1);

	/* the mapping still works through the page cache */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gupsim_read(fx->mm, addr, buf, 4), 4);
	assert_string_equal(buf, "abc");
	assert_int_equal(gupsim_write(fx->mm, addr + 2 * P, buf, 4), 4);
	assert_int_equal(gupsim_check(fx->sim), 0);
	assert_int_equal(gupsim_munmap(fx->mm, addr, 4 * P), 0);	/* frees the file */
	assert_int_equal(WARNS(fx), 1);
	assert_int_equal(gupsim_check(fx->sim), 0);
}

static void file_put_once_frees_unmapped_file(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *f = gupsim_file_create(fx->sim, GUPSIM_FILE_REGULAR, "once", 2 * P);

	assert_non_null(f);
	gupsim_file_put(f);
	assert_null(fx->sim->file_list);
	assert_int_equal(WARNS(fx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(second_file_put_on_mapped_file_warns_and_changes_nothing,
						gup_fx_setup, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(file_put_once_frees_unmapped_file,
						gup_fx_setup, gup_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
