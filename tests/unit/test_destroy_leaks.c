// SPDX-License-Identifier: MIT
/*
 * gupsim_destroy() with pins, references or mms still held reports what
 * was held, through the warn handler: one WARN with the outstanding pins
 * (and the acquired / released counts), the mm users and the pages still
 * referenced. A machine given back clean reports nothing.
 */
#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

static struct gupsim *small_sim(struct warn_log *w)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	gupsim_set_warn_handler(sim, warn_log_fn, w);
	return sim;
}

static void destroy_reports_pins_references_and_mm_users(void **state)
{
	struct warn_log w = { 0 };
	struct gupsim *sim = small_sim(&w);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct page *pages[3], *ref;
	struct folio *folio;
	unsigned long addr;

	(void)state;
	addr = gupsim_mmap(mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_false(IS_ERR_VALUE(addr));
	gupsim_mmap_read_lock(mm);
	assert_int_equal(gupsim_pin_user_pages_remote(mm, addr, 3, FOLL_WRITE, pages, NULL), 3);
	assert_int_equal(gupsim_get_user_pages_remote(mm, addr + 3 * PAGE_SIZE, 1, FOLL_WRITE, &ref,
						      NULL), 1);
	gupsim_mmap_read_unlock(mm);
	gupsim_unpin_user_page(pages[0]);
	folio = gupsim_folio_alloc(sim, 0, 0);	/* never put */
	assert_non_null(folio);
	gupsim_mm_get(mm);			/* two users, never put */
	assert_int_equal(w.count, 0);
	gupsim_destroy(sim);
	assert_int_equal(w.count, 1);
	assert_non_null(strstr(w.last, "gupsim_destroy: 2 pins outstanding (acquired 3, "
				       "released 1), 2 mm users (1 mms), 4 pages still referenced\n"));
}

static void clean_destroy_reports_nothing(void **state)
{
	struct warn_log w = { 0 };
	struct gupsim *sim = small_sim(&w);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct page *page;
	unsigned long addr;

	(void)state;
	addr = gupsim_mmap(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	gupsim_mmap_read_lock(mm);
	assert_int_equal(gupsim_pin_user_pages_remote(mm, addr, 1, FOLL_WRITE, &page, NULL), 1);
	gupsim_mmap_read_unlock(mm);
	gupsim_unpin_user_page(page);
	assert_non_null(gupsim_huge_zero_folio(sim));	/* the machine's own */
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_destroy(sim);
	assert_int_equal(w.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(destroy_reports_pins_references_and_mm_users),
		cmocka_unit_test(clean_destroy_reports_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
