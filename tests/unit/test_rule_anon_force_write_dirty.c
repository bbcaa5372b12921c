// SPDX-License-Identifier: MIT
/*
 * do_anonymous_page() maps a new anon page writable and dirty only when the
 * VMA has VM_WRITE. A FOLL_FORCE write (ptrace POKEDATA into a PROT_READ
 * private mapping never touched) faults with FAULT_FLAG_WRITE but leaves a
 * clean, read-only PTE; follow_page_pte() with FOLL_TOUCH then marks the
 * folio dirty. Same in v6.6, v6.12 and mainline.
 */
#include "gup_fixture.h"

static int setup_at(void **state, unsigned int version)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.kernel_version = version;
	return gup_fx_setup_cfg(state, &cfg);
}

static int setup_newest(void **state) { return setup_at(state, 0); }
static int setup_6_12(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 12, 0)); }
static int setup_6_6(void **state) { return setup_at(state, GUPSIM_KERNEL_VERSION(6, 6, 0)); }

static pteval_t pte_of(struct gup_fx *fx, unsigned long addr)
{
	enum pt_level l = PT_PTE;
	pteval_t *e = pgtable_lookup(fx->mm, addr, &l);

	assert_non_null(e);
	assert_int_equal(l, PT_PTE);
	return pt_read(e);
}

static void forced_write_leaves_pte_clean_folio_dirty(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_mmap(fx, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL);
	struct page *pages[1];
	struct folio *folio;
	pteval_t e;

	assert_int_equal(fx_gup_remote(fx, a, 1, FOLL_WRITE | FOLL_FORCE, pages), 1);
	e = pte_of(fx, a);
	assert_false(pte_write(e));
	assert_false(pte_dirty(e));
	folio = page_folio(pages[0]);
	assert_true(folio_test_anon(folio));
	assert_true(PageAnonExclusive(pages[0]));
	assert_true(folio_test_dirty(folio));	/* FOLL_TOUCH */
	gupsim_put_page(pages[0]);
}

/* With VM_WRITE the same fault maps the page writable and dirty. */
static void write_fault_with_vm_write_is_dirty(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_map_anon(fx, 1);
	struct page *pages[1];
	pteval_t e;

	assert_int_equal(fx_gup_remote(fx, a, 1, FOLL_WRITE, pages), 1);
	e = pte_of(fx, a);
	assert_true(pte_write(e));
	assert_true(pte_dirty(e));
	gupsim_put_page(pages[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(forced_write_leaves_pte_clean_folio_dirty,
						setup_newest, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(forced_write_leaves_pte_clean_folio_dirty,
						setup_6_12, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(forced_write_leaves_pte_clean_folio_dirty,
						setup_6_6, gup_fx_teardown),
		cmocka_unit_test_setup_teardown(write_fault_with_vm_write_is_dirty, setup_newest,
						gup_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
