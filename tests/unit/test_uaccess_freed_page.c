// SPDX-License-Identifier: MIT
/*
 * One put_page() too many frees a page that is still mapped: bad_page()
 * reports it, and from then on every user access of the page returns
 * -EFAULT (it used to retry forever: the folio's reference count is 0, so
 * the access could never take its reference).
 */
#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

static void access_after_put_page_too_many_returns_efault(void **state)
{
	struct warn_log w = { 0 };
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct mm_struct *mm;
	struct page *page;
	unsigned long addr, bad;
	char buf[8] = "data";

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	gupsim_set_warn_handler(sim, warn_log_fn, &w);
	mm = gupsim_mm_create(sim);
	addr = gupsim_mmap(mm, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_false(IS_ERR_VALUE(addr));
	bad = addr + PAGE_SIZE;
	for (int i = 0; i < 3; i++)
		assert_int_equal(gupsim_write(mm, addr + i * PAGE_SIZE, buf, 4), 4);
	gupsim_mmap_read_lock(mm);
	assert_int_equal(gupsim_get_user_pages_remote(mm, bad, 1, 0, &page, NULL), 1);
	gupsim_mmap_read_unlock(mm);
	gupsim_put_page(page);
	gupsim_put_page(page);			/* one too many: the mapping's */
	assert_true(w.count >= 1);
	assert_non_null(strstr(w.last, "BUG: Bad page state"));

	assert_int_equal(gupsim_read(mm, bad, buf, 4), -EFAULT);
	assert_int_equal(gupsim_write(mm, bad, buf, 4), -EFAULT);
	/* an access that starts on a good page stops at the bad one */
	assert_int_equal(gupsim_write(mm, bad - 2, buf, 4), 2);
	assert_int_equal(gupsim_read(mm, bad + PAGE_SIZE, buf, 4), 4);
	/* GUP of it returns too */
	gupsim_mmap_read_lock(mm);
	assert_true(gupsim_get_user_pages_remote(mm, bad, 1, 0, &page, NULL) < 0);
	gupsim_mmap_read_unlock(mm);
	gupsim_destroy(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(access_after_put_page_too_many_returns_efault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
