// SPDX-License-Identifier: MIT
/*
 * Rules that changed between v6.6 and mainline, each under the releases on
 * both sides of the change (the five rules of the GUP audit have their own
 * test_rule_*.c files):
 * - anon mTHP exists from v6.8 ("mm: thp: support allocation of anonymous
 *   multi-size THP"): older releases fault order-0 pages;
 * - a write or unshare fault on the huge zero PMD gets a fresh THP from
 *   v6.13 ("mm: allocate THP on hugezeropage wp-fault"); before, the PMD
 *   is split into zero-page PTEs and one small page is copied;
 * - memfd_pin_folios() exists from v6.11 ("mm/gup: introduce
 *   memfd_pin_folios() for pinning memfd folios").
 */
#include "fault_test.h"

#define BASE	0x40000000UL

static int setup_at(void **state, unsigned int version)
{
	struct gupsim_config cfg;

	mm_default_cfg(&cfg);
	cfg.mthp_orders = BIT(4);	/* 64 KiB */
	cfg.kernel_version = version;
	return mm_setup_cfg(state, &cfg);
}

static int setup_newest(void **state) { return setup_at(state, 0); }
static int setup_6_13(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 13, 0)); }
static int setup_6_12(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 12, 0)); }
static int setup_6_11(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 11, 0)); }
static int setup_6_10(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 10, 0)); }
static int setup_6_8(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 8, 0)); }
static int setup_6_7(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 7, 0)); }
static int setup_6_6(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 6, 0)); }

static void madvised(struct mm_fixture *f, size_t len)
{
	map_anon_at(f->mm, BASE, len, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(gupsim_madvise(f->mm, BASE, len, MADV_HUGEPAGE), 0);
}

static void anon_mthp_faults_a_64k_folio(void **state)
{
	struct mm_fixture *f = F(state);

	madvised(f, 64 * 1024);		/* too small for a PMD */
	write_byte(f->mm, BASE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), 4);
	assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), 1);
}

static void no_anon_mthp_before_6_8(void **state)
{
	struct mm_fixture *f = F(state);

	madvised(f, 64 * 1024);
	write_byte(f->mm, BASE, 1);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), 0);
	assert_int_equal(VMSTAT(f->sim, MTHP_FAULT_ALLOC), 0);
}

static void huge_zero_write_gets_a_thp(void **state)
{
	struct mm_fixture *f = F(state);
	enum pt_level lvl;

	madvised(f, PMD_SIZE);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	write_byte(f->mm, BASE + 5 * PAGE_SIZE, 5);
	entry_at(f->mm, BASE, &lvl);
	assert_int_equal(lvl, PT_PMD);
	assert_int_equal(folio_order(folio_at(f->mm, BASE)), HPAGE_PMD_ORDER);
	assert_int_equal(VMSTAT(f->sim, THP_SPLITS), 0);
}

static void huge_zero_write_splits_before_6_13(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;
	enum pt_level lvl;

	madvised(f, PMD_SIZE);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	write_byte(f->mm, BASE + 5 * PAGE_SIZE, 5);
	entry_at(f->mm, BASE + 5 * PAGE_SIZE, &lvl);
	assert_int_equal(lvl, PT_PTE);
	folio = folio_at(f->mm, BASE + 5 * PAGE_SIZE);
	assert_int_equal(folio_order(folio), 0);
	assert_true(PageAnonExclusive(&folio->page));
	/* the other 511 PTEs map the small zero page */
	assert_true(is_zero_page(page_at(f->mm, BASE)));
	assert_true(is_zero_page(page_at(f->mm, BASE + 6 * PAGE_SIZE)));
	assert_int_equal(read_byte(f->mm, BASE + 5 * PAGE_SIZE), 5);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
}

static void memfd_pin_folios_pins(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *memfd = gupsim_file_create(f->sim, GUPSIM_FILE_MEMFD, "m", 2 * PAGE_SIZE);
	struct folio *folios[2];
	pgoff_t off = 1;

	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 2 * PAGE_SIZE - 1, folios, 2, &off), 2);
	assert_int_equal(off, 0);
	gupsim_unpin_folios(folios, 2);
	gupsim_file_put(memfd);
}

static void memfd_pin_folios_absent_before_6_11(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *memfd = gupsim_file_create(f->sim, GUPSIM_FILE_MEMFD, "m", 2 * PAGE_SIZE);
	struct folio *folios[2];
	pgoff_t off = 1;

	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 2 * PAGE_SIZE - 1, folios, 2, &off),
			 -ENOSYS);
	assert_int_equal(off, 1);
	assert_int_equal(gupsim_vmstat(f->sim, GUPSIM_NR_FOLL_PIN_ACQUIRED), 0);
	gupsim_file_put(memfd);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, mm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(anon_mthp_faults_a_64k_folio, setup_newest),
		T(anon_mthp_faults_a_64k_folio, setup_6_12),
		T(anon_mthp_faults_a_64k_folio, setup_6_8),
		T(no_anon_mthp_before_6_8, setup_6_7),
		T(no_anon_mthp_before_6_8, setup_6_6),
		T(huge_zero_write_gets_a_thp, setup_newest),
		T(huge_zero_write_gets_a_thp, setup_6_13),
		T(huge_zero_write_splits_before_6_13, setup_6_12),
		T(huge_zero_write_splits_before_6_13, setup_6_6),
		T(memfd_pin_folios_pins, setup_newest),
		T(memfd_pin_folios_pins, setup_6_12),
		T(memfd_pin_folios_pins, setup_6_11),
		T(memfd_pin_folios_absent_before_6_11, setup_6_10),
		T(memfd_pin_folios_absent_before_6_11, setup_6_6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
