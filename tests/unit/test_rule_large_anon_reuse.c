// SPDX-License-Identifier: MIT
/*
 * Write (or unshare) fault on a PTE of a large anon folio whose page is
 * not exclusive, per release:
 * - v6.15+ __wp_can_reuse_large_anon_folio() (commit "mm: COW reuse support
 *   for PTE-mapped THP"): never reused when folio_large_mapcount() <= 1 (the
 *   page goes to a new order-0 folio and the large one is freed up);
 *   otherwise reused when every reference is a mapping of this mm.
 * - v6.10 to v6.14 ("mm: prohibit the last subpage from reusing the entire
 *   large folio"): a large folio is never reused.
 * - v6.6 to v6.9: the small-folio rule: reused if its one reference is the
 *   faulting mapping.
 */
#include "fault_test.h"

#define BASE	0x40000000UL

static int setup_at(void **state, unsigned int version)
{
	struct gupsim_config cfg;

	mm_default_cfg(&cfg);
	cfg.thp = GUPSIM_THP_ALWAYS;
	cfg.mthp_orders = BIT(2);	/* 16 KiB */
	cfg.kernel_version = version;
	return mm_setup_cfg(state, &cfg);
}

static int setup_newest(void **state) { return setup_at(state, 0); }
static int setup_6_15(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 15, 0)); }
static int setup_6_12(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 12, 0)); }
/* v6.8/v6.9: anon mTHP exists (v6.8) and the pre-v6.10 reuse rule holds */
static int setup_6_9(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 9, 0)); }

/* A 16 KiB anon folio shared with a child that then exits: all four PTEs
 * ours again, read-only, none exclusive; @keep of them stay mapped. */
static struct folio *shared_then_alone(struct mm_fixture *f, int keep)
{
	struct mm_struct *child;
	struct folio *folio;

	map_anon_at(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	for (int i = 0; i < 4; i++)
		write_byte(f->mm, BASE + (unsigned long)i * PAGE_SIZE, (unsigned char)(i + 1));
	folio = folio_at(f->mm, BASE);
	assert_int_equal(folio_order(folio), 2);
	child = gupsim_fork(f->mm);
	assert_false(IS_ERR_OR_NULL(child));
	gupsim_mm_put(child);
	if (keep < 4)
		assert_int_equal(gupsim_madvise(f->mm, BASE + (unsigned long)keep * PAGE_SIZE,
						(4 - (unsigned long)keep) * PAGE_SIZE,
						MADV_DONTNEED), 0);
	assert_int_equal(folio_mapcount(folio), keep);
	assert_int_equal(folio_ref_count(folio), keep);
	assert_false(PageAnonExclusive(folio_page(folio, 0)));
	return folio;
}

static void last_mapped_page_is_copied_to_order0(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio = shared_then_alone(f, 1);
	struct folio *now;

	write_byte(f->mm, BASE, 9);
	now = folio_at(f->mm, BASE);
	assert_ptr_not_equal(now, folio);
	assert_int_equal(folio_order(now), 0);
	assert_true(PageAnonExclusive(&now->page));
	assert_int_equal(read_byte(f->mm, BASE), 9);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 0);
}

/* The R/O pin's unshare fault does the same: it pins the order-0 copy. */
static void ro_pin_of_last_mapped_page_pins_a_copy(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio = shared_then_alone(f, 1);
	struct page *pages[1];

	gupsim_kthread_use_mm(f->mm);
	gupsim_mmap_read_lock(f->mm);
	assert_int_equal(gupsim_pin_user_pages_remote(f->mm, BASE, 1, 0, pages, NULL), 1);
	gupsim_mmap_read_unlock(f->mm);
	gupsim_kthread_unuse_mm(f->mm);
	assert_ptr_not_equal(page_folio(pages[0]), folio);
	assert_int_equal(folio_order(page_folio(pages[0])), 0);
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
	gupsim_unpin_user_page(pages[0]);
}

/* v6.8-v6.9 (no anon mTHP before): the one reference is ours, the
 * large folio is reused. */
static void last_mapped_page_reused_before_6_10(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio = shared_then_alone(f, 1);

	write_byte(f->mm, BASE, 9);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
}

/* All four PTEs ours: v6.15+ reuses the folio in place. */
static void fully_mapped_exclusively_is_reused(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio = shared_then_alone(f, 4);

	write_byte(f->mm, BASE + PAGE_SIZE, 9);
	assert_ptr_equal(folio_at(f->mm, BASE + PAGE_SIZE), folio);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
}

/* Before v6.15 the same fault copies (v6.10+: never reuse large; v6.6:
 * four references are not one). */
static void fully_mapped_is_copied_before_6_15(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio = shared_then_alone(f, 4);

	write_byte(f->mm, BASE + PAGE_SIZE, 9);
	assert_ptr_not_equal(folio_at(f->mm, BASE + PAGE_SIZE), folio);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 0);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, mm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(last_mapped_page_is_copied_to_order0, setup_newest),
		T(last_mapped_page_is_copied_to_order0, setup_6_15),
		T(last_mapped_page_is_copied_to_order0, setup_6_12),
		T(ro_pin_of_last_mapped_page_pins_a_copy, setup_newest),
		T(last_mapped_page_reused_before_6_10, setup_6_9),
		T(fully_mapped_exclusively_is_reused, setup_newest),
		T(fully_mapped_exclusively_is_reused, setup_6_15),
		T(fully_mapped_is_copied_before_6_15, setup_6_12),
		T(fully_mapped_is_copied_before_6_15, setup_6_9),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
