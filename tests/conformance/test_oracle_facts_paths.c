// SPDX-License-Identifier: MIT
/*
 * Oracle facts measured on Linux 6.18, parts (b)-(d): O_DIRECT and
 * process_vm_readv/writev (short-term pins), FOLL_GET users, and fork()
 * with registered buffers. One test per scenario line, named after it.
 */
#include "oracle_model.h"

/* ---- (b) O_DIRECT: short-term pins through pin_user_pages_fast() ---- */

static long odirect(struct gup_fx *fx, unsigned long addr, unsigned long nr, bool read_into)
{
	struct page **pages = calloc(nr, sizeof(*pages));
	long ret = gupsim_pin_user_pages_fast(addr, (int)nr, read_into ? FOLL_WRITE : 0, pages);

	/* the bio is done: release, dirtying what the device wrote */
	if (ret > 0)
		gupsim_unpin_user_pages_dirty_lock(pages, (unsigned long)ret, read_into);
	if (ret >= 0 && (unsigned long)ret != nr)
		ret = -EFAULT;
	free(pages);
	return ret;
}

/* Fact 2: the small zero page is not counted. */
static void odirect_write_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct delta m;

	fx_read_fault(fx, addr, N);
	m = mark(fx);
	assert_int_equal(odirect(fx, addr, N, false), N);
	expect_delta(fx, &m, 0, 0);
	assert_int_equal(count_zero(fx, addr, N), N);
}

/* The GUP read fault maps the zero page (zeropfn 0 → 64). */
static void odirect_write_untouched(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct delta m = mark(fx);

	assert_int_equal(odirect(fx, addr, N, false), N);
	expect_delta(fx, &m, 0, 0);
	assert_int_equal(count_zero(fx, addr, N), N);
}

static void odirect_read_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct delta m;

	fx_read_fault(fx, addr, N);
	m = mark(fx);
	assert_int_equal(odirect(fx, addr, N, true), N);
	expect_delta(fx, &m, N, N);
	assert_int_equal(count_zero(fx, addr, N), 0);
}

/* Fact 3: the huge zero folio IS counted, and stays mapped. */
static void odirect_write_thp_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct delta m;

	fx_read_fault(fx, addr, 1);
	m = mark(fx);
	assert_int_equal(odirect(fx, addr, 512, false), 512);
	expect_delta(fx, &m, 512, 512);
	assert_true(gupsim_is_huge_zero_folio(gupsim_page_folio(fx_page(fx, addr))));
}

static void odirect_read_thp_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct delta m;

	/* the huge zero PMD is unshared into a THP from v6.13 only
	 * (do_huge_zero_wp_pmd()); older releases split it */
	SKIP_BEFORE_KERNEL(6, 13);

	fx_read_fault(fx, addr, 1);
	m = mark(fx);
	assert_int_equal(odirect(fx, addr, 512, true), 512);
	expect_delta(fx, &m, 512, 512);
	assert_false(gupsim_is_huge_zero_folio(gupsim_page_folio(fx_page(fx, addr))));
	assert_int_equal(map_level(fx->mm, addr), PT_PMD);
}

static void odirect_read_into_protread(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_mmap(fx, N * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				     NULL);
	struct delta m = mark(fx);

	assert_int_equal(odirect(fx, addr, N, true), -EFAULT);
	expect_delta(fx, &m, 0, 0);
}

static void odirect_read_buf_hole_at_32(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct delta m;

	fx_touch(fx, addr, N, 1);
	assert_int_equal(gupsim_munmap(fx->mm, addr + 32 * PAGE_SIZE, PAGE_SIZE), 0);
	m = mark(fx);
	assert_int_equal(odirect(fx, addr, N, true), -EFAULT);
	expect_delta(fx, &m, 32, 32);
}

/* ---- (c) process_vm_readv/writev: pin_user_pages_remote() ---- */

static long pvm(struct gup_fx *fx, unsigned long addr, unsigned long nr, bool write)
{
	struct page **pages = calloc(nr, sizeof(*pages));
	long ret;

	gupsim_mmap_read_lock(fx->mm);
	ret = gupsim_pin_user_pages_remote(fx->mm, addr, nr, write ? FOLL_WRITE : 0, pages, NULL);
	gupsim_mmap_read_unlock(fx->mm);
	if (ret > 0)
		gupsim_unpin_user_pages_dirty_lock(pages, (unsigned long)ret, write);
	free(pages);
	return ret;
}

static void process_vm_readv_anon(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct delta m;

	fx_touch(fx, addr, N, 1);
	m = mark(fx);
	assert_int_equal(pvm(fx, addr, N, false), N);
	expect_delta(fx, &m, N, N);
	assert_int_equal(pvm(fx, addr, N, true), N);	/* process_vm_writev_anon */
	expect_delta(fx, &m, N, N);
}

static void process_vm_readv_zeropage_and_untouched(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long a = fx_map_anon(fx, N), b = fx_map_anon(fx, N);
	struct delta m;

	fx_read_fault(fx, a, N);
	m = mark(fx);
	assert_int_equal(pvm(fx, a, N, false), N);
	assert_int_equal(pvm(fx, b, N, false), N);
	expect_delta(fx, &m, 0, 0);
	assert_int_equal(count_zero(fx, b, N), N);
}

static void process_vm_writev_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct delta m;

	fx_read_fault(fx, addr, N);
	m = mark(fx);
	assert_int_equal(pvm(fx, addr, N, true), N);
	expect_delta(fx, &m, N, N);
	assert_int_equal(count_zero(fx, addr, N), 0);
}

/* The slow path counts per 4 KiB subpage too, huge zero folio included. */
static void process_vm_readv_thp_and_thp_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long thp = fx_map_thp(fx, 1), hz = fx_map_thp(fx, 1);
	struct delta m;

	fx_touch(fx, thp, 1, 1);
	fx_read_fault(fx, hz, 1);
	m = mark(fx);
	assert_int_equal(pvm(fx, thp, 512, false), 512);
	expect_delta(fx, &m, 512, 512);
	assert_int_equal(pvm(fx, hz, 512, false), 512);
	expect_delta(fx, &m, 512, 512);
	assert_true(gupsim_is_huge_zero_folio(gupsim_page_folio(fx_page(fx, hz))));
}

/* FOLL_GET users never touch the pin counters. */
static void vmsplice_ptrace_populate_take_no_pins(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct page *pages[N];
	struct delta m = mark(fx);
	unsigned char poke = 9;

	fx_touch(fx, addr, N, 1);
	/* vmsplice_to_pipe */
	assert_int_equal(gupsim_get_user_pages_fast(addr, N, 0, pages), N);
	for (int i = 0; i < N; i++)
		gupsim_put_page(pages[i]);
	/* ptrace_peek_poke: access_remote_vm() with FOLL_FORCE */
	for (int i = 0; i < N; i++) {
		unsigned long a = addr + (unsigned long)i * PAGE_SIZE;

		assert_int_equal(fx_gup_remote(fx, a, 1, FOLL_FORCE, pages), 1);
		gupsim_put_page(pages[0]);
		assert_int_equal(fx_gup_remote(fx, a, 1, FOLL_FORCE | FOLL_WRITE, pages), 1);
		memcpy(gupsim_page_address(pages[0]), &poke, 1);
		gupsim_put_page(pages[0]);
	}
	/* madv_populate_write */
	assert_int_equal(gupsim_madvise(fx->mm, addr, N * PAGE_SIZE, MADV_POPULATE_WRITE), 0);
	expect_delta(fx, &m, 0, 0);
	assert_int_equal(fx_peek(fx, addr + 5 * PAGE_SIZE), 9);
}

/* ---- (d) fork() with registered buffers ---- */

static void fork_pinned_4k(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long pinned = fx_map_anon(fx, 8), ctl = fx_map_anon(fx, 8);
	unsigned long ppfn[8], cpfn[8], after[8];
	struct mm_struct *child;
	struct uring_buf b;
	struct delta m;

	fx_touch(fx, pinned, 8, 'A');
	fx_touch(fx, ctl, 8, 'A');
	assert_int_equal(uring_register(&b, pinned, 8), 0);
	pfns(fx, pinned, 8, ppfn);
	m = mark(fx);
	child = gupsim_fork(fx->mm);
	assert_false(IS_ERR(child));
	expect_delta(fx, &m, 0, 0);	/* fork touches no counter */
	for (int i = 0; i < 8; i++) {
		unsigned long a = pinned + (unsigned long)i * PAGE_SIZE;
		unsigned long c = ctl + (unsigned long)i * PAGE_SIZE;
		unsigned char byte;

		cpfn[i] = gupsim_page_to_pfn(gupsim_follow_page(child, a));
		assert_int_not_equal(cpfn[i], ppfn[i]);		/* copied eagerly */
		assert_ptr_equal(gupsim_follow_page(child, c), fx_page(fx, c));	/* shared */
		assert_int_equal(gupsim_read(child, a, &byte, 1), 1);
		assert_int_equal(byte, 'A');			/* child_saw_parent_data */
	}
	pfns(fx, pinned, 8, after);
	assert_int_equal(count_changed(ppfn, after, 8), 0);	/* parent keeps its pins */
	/* the registration stays coherent with the parent, not the child */
	for (int i = 0; i < 8; i++) {
		unsigned char c = 'C';

		assert_int_equal(gupsim_write(child, pinned + (unsigned long)i * PAGE_SIZE, &c, 1),
				 1);
	}
	assert_int_equal(((unsigned char *)gupsim_page_address(b.pages[3]))[0], 'A');
	uring_unregister(&b);
	expect_delta(fx, &m, 0, 8);
	gupsim_mm_put(child);
}

static void fork_pinned_thp(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct mm_struct *child;
	struct uring_buf b;
	struct folio *folio;
	struct delta m;

	fx_touch(fx, addr, 1, 'A');
	folio = gupsim_page_folio(fx_page(fx, addr));
	assert_int_equal(uring_register(&b, addr, 512), 0);	/* one pin kept */
	assert_int_equal(gupsim_folio_pincount(folio), 1);
	m = mark(fx);
	child = gupsim_fork(fx->mm);
	assert_false(IS_ERR(child));
	expect_delta(fx, &m, 0, 0);
	/* the parent's PMD was split, the folio stays large */
	assert_int_equal(map_level(fx->mm, addr), PT_PTE);
	assert_int_equal(gupsim_folio_order(folio), HPAGE_PMD_ORDER);
	assert_ptr_equal(gupsim_page_folio(fx_page(fx, addr + 100 * PAGE_SIZE)), folio);
	/* the child got 512 small copies */
	assert_int_equal(map_level(child, addr), PT_PTE);
	for (int i = 0; i < 512; i += 73) {
		struct page *p = gupsim_follow_page(child, addr + (unsigned long)i * PAGE_SIZE);

		assert_ptr_not_equal(gupsim_page_folio(p), folio);
		assert_int_equal(gupsim_folio_order(gupsim_page_folio(p)), 0);
	}
	uring_unregister(&b);
	expect_delta(fx, &m, 0, 1);
	gupsim_mm_put(child);
}

static void fork_unpinned_thp(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct mm_struct *child;

	fx_touch(fx, addr, 1, 'A');
	child = gupsim_fork(fx->mm);
	assert_false(IS_ERR(child));
	assert_ptr_equal(gupsim_follow_page(child, addr + 9 * PAGE_SIZE),
			 fx_page(fx, addr + 9 * PAGE_SIZE));
	assert_int_equal(map_level(child, addr), PT_PMD);
	assert_int_equal(map_level(fx->mm, addr), PT_PMD);
	gupsim_mm_put(child);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, gup_fx_setup, gup_fx_teardown)
#define TS(fn, s) cmocka_unit_test_setup_teardown(fn, s, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(odirect_write_zeropage),
		T(odirect_write_untouched),
		T(odirect_read_zeropage),
		T(odirect_write_thp_zeropage),
		T(odirect_read_thp_zeropage),
		T(odirect_read_into_protread),
		T(odirect_read_buf_hole_at_32),
		T(process_vm_readv_anon),
		T(process_vm_readv_zeropage_and_untouched),
		T(process_vm_writev_zeropage),
		T(process_vm_readv_thp_and_thp_zeropage),
		T(vmsplice_ptrace_populate_take_no_pins),
		T(fork_pinned_4k),
		T(fork_pinned_thp),
		T(fork_unpinned_thp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
