// SPDX-License-Identifier: MIT
/*
 * FOLL_FORCE | FOLL_WRITE on a private, read-only hugetlb mapping (ptrace
 * POKETEXT into text mapped from hugetlbfs, uprobes). check_vma_flags()
 * refused it with -EFAULT until v6.14; since commit "mm/hugetlb: support
 * FOLL_FORCE|FOLL_WRITE" (v6.14) it succeeds: hugetlb_wp() copies the file
 * folio into a private anon folio mapped read-only, and follow_huge_pmd()
 * follows it because it is exclusive. The process itself still cannot write.
 */
#include "gup_fixture.h"

static int setup_at(void **state, unsigned int version)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.hugetlb_2m_pages = 2;
	cfg.kernel_version = version;
	return gup_fx_setup_cfg(state, &cfg);
}

static int setup_newest(void **state) { return setup_at(state, 0); }
static int setup_6_14(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 14, 0)); }
static int setup_6_12(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 12, 0)); }
static int setup_6_6(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 6, 0)); }

struct text {
	struct file *file;
	unsigned long addr;
	struct page *file_page;
};

/* hugetlbfs "text": one 2 MiB page holding 0x5a, mapped private and R/O. */
static void map_text(struct gup_fx *fx, struct text *t)
{
	unsigned char v = 0x5a;
	unsigned long w;

	t->file = gupsim_file_create(fx->sim, GUPSIM_FILE_HUGETLBFS, "text", PMD_SIZE);
	assert_non_null(t->file);
	w = fx_mmap(fx, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_HUGETLB, t->file);
	assert_int_equal(gupsim_write(fx->mm, w + 100, &v, 1), 1);
	assert_int_equal(gupsim_munmap(fx->mm, w, PMD_SIZE), 0);
	t->addr = fx_mmap(fx, PMD_SIZE, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, t->file);
	fx_read_fault(fx, t->addr, 1);
	t->file_page = fx_page(fx, t->addr);
	assert_false(gupsim_folio_test_anon(gupsim_page_folio(t->file_page)));
}

static void force_write_pins_a_private_copy(void **state)
{
	struct gup_fx *fx = FX(state);
	struct page *pages[1], *again[1];
	unsigned char v = 0x77, seen = 0;
	struct text t;

	map_text(fx, &t);
	assert_int_equal(fx_gup_remote(fx, t.addr + 100, 1, FOLL_WRITE, pages), -EFAULT);
	assert_int_equal(fx_gup_remote(fx, t.addr + 100, 1, FOLL_WRITE | FOLL_FORCE, pages), 1);
	assert_ptr_not_equal(pages[0], t.file_page);
	assert_true(gupsim_folio_test_anon(gupsim_page_folio(pages[0])));
	assert_true(gupsim_PageAnonExclusive(pages[0]));
	assert_int_equal(STAT(fx, GUPSIM_NR_COW_COPIES), 1);
	/* the poke lands in the private copy only */
	((unsigned char *)gupsim_page_address(pages[0]))[100] = v;
	assert_int_equal(gupsim_read(fx->mm, t.addr + 100, &seen, 1), 1);
	assert_int_equal(seen, 0x77);
	assert_int_equal(((unsigned char *)gupsim_page_address(t.file_page))[100], 0x5a);
	/* still read-only for the process; a second poke follows the copy */
	assert_false(pte_write(pt_read(pgtable_lookup(fx->mm, t.addr, &(enum pt_level){PT_PTE}))));
	assert_int_equal(gupsim_write(fx->mm, t.addr, &v, 1), -EFAULT);
	assert_int_equal(fx_gup_remote(fx, t.addr + 100, 1, FOLL_WRITE | FOLL_FORCE, again), 1);
	assert_ptr_equal(again[0], pages[0]);
	assert_int_equal(STAT(fx, GUPSIM_NR_COW_COPIES), 1);
	gupsim_put_page(again[0]);
	gupsim_put_page(pages[0]);
	gupsim_file_put(t.file);
}

/* Before v6.14 the same request is -EFAULT and nothing is copied. */
static void force_write_is_efault_before_6_14(void **state)
{
	struct gup_fx *fx = FX(state);
	struct page *pages[1];
	struct text t;

	map_text(fx, &t);
	assert_int_equal(fx_gup_remote(fx, t.addr, 1, FOLL_WRITE | FOLL_FORCE, pages), -EFAULT);
	assert_int_equal(STAT(fx, GUPSIM_NR_COW_COPIES), 0);
	assert_ptr_equal(fx_page(fx, t.addr), t.file_page);
	/* a forced read is fine in every release */
	assert_int_equal(fx_gup_remote(fx, t.addr, 1, FOLL_FORCE, pages), 1);
	gupsim_put_page(pages[0]);
	gupsim_file_put(t.file);
}

/* Anonymous private hugetlb, read-only: the read fault's folio is already
 * exclusive, so the forced write follows it without a copy. */
static void force_write_on_exclusive_anon_follows_it(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_mmap(fx, PMD_SIZE, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, NULL);
	struct page *pages[1], *first;

	fx_read_fault(fx, a, 1);
	first = fx_page(fx, a + PAGE_SIZE);
	assert_int_equal(fx_gup_remote(fx, a + PAGE_SIZE, 1, FOLL_WRITE | FOLL_FORCE, pages), 1);
	assert_ptr_equal(pages[0], first);
	assert_int_equal(STAT(fx, GUPSIM_NR_COW_COPIES), 0);
	gupsim_put_page(pages[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(force_write_pins_a_private_copy, setup_newest,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(force_write_pins_a_private_copy, setup_6_14,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(force_write_on_exclusive_anon_follows_it,
						setup_newest, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(force_write_is_efault_before_6_14, setup_6_12,
						gup_fx_teardown),
		cmocka_unit_test_setup_teardown(force_write_is_efault_before_6_14, setup_6_6,
						gup_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
