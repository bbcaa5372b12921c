// SPDX-License-Identifier: MIT
/*
 * Oracle facts, part (a): io_uring registered buffers (measured on Linux 6.18),
 * one test per scenario line of the live-kernel run, named after it. The
 * model of each caller is in oracle_model.h; part (b)-(d) is
 * test_oracle_facts_paths.c.
 */
#include "oracle_model.h"

/* ---- (a) io_uring registered buffers ---- */

static void uring_anon_write(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	unsigned long before[N], after[N];

	fx_touch(fx, addr, N, 1);
	pfns(fx, addr, N, before);
	uring_line(fx, addr, N, 0, N);
	pfns(fx, addr, N, after);
	assert_int_equal(count_changed(before, after, N), 0);
}

/* FOLL_WRITE breaks COW of the zero page: every pfn changes. */
static void uring_anon_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	unsigned long before[N], after[N];

	fx_read_fault(fx, addr, N);
	assert_int_equal(count_zero(fx, addr, N), N);
	pfns(fx, addr, N, before);
	uring_line(fx, addr, N, 0, N);
	pfns(fx, addr, N, after);
	assert_int_equal(count_changed(before, after, N), N);
	assert_int_equal(count_zero(fx, addr, N), 0);
}

static void uring_anon_untouched(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);

	assert_int_equal(count_present(fx, addr, N), 0);
	uring_line(fx, addr, N, 0, N);
	assert_int_equal(count_present(fx, addr, N), N);
}

static void uring_shared_anon_write(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_mmap(fx, N * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, NULL);

	fx_touch(fx, addr, N, 1);
	uring_line(fx, addr, N, 0, N);
}

static void uring_shared_anon_untouched(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_mmap(fx, N * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, NULL);

	uring_line(fx, addr, N, 0, N);
}

static unsigned long map_file(struct gup_fx *fx, enum gupsim_file_kind kind, int prot,
			      int flags, struct file **file)
{
	*file = gupsim_file_create(fx->sim, kind, "probe", N * PAGE_SIZE);
	assert_non_null(*file);
	return fx_mmap(fx, N * PAGE_SIZE, prot, flags, *file);
}

static void uring_memfd_write(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *f;
	unsigned long addr = map_file(fx, GUPSIM_FILE_MEMFD, PROT_READ | PROT_WRITE,
				      MAP_SHARED, &f);

	fx_touch(fx, addr, N, 1);
	uring_line(fx, addr, N, 0, N);
	gupsim_file_put(f);
}

static void uring_memfd_private_readfault(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *f;
	unsigned long addr = map_file(fx, GUPSIM_FILE_MEMFD, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE, &f);
	unsigned long before[N], after[N];

	fx_read_fault(fx, addr, N);
	pfns(fx, addr, N, before);
	uring_line(fx, addr, N, 0, N);
	pfns(fx, addr, N, after);
	assert_int_equal(count_changed(before, after, N), N);
	gupsim_file_put(f);
}

/* Fact 5: EFAULT, with a transient 1/1 when the first page is mapped. */
static void uring_file_shared(void **state, bool touch, int prot, long transient)
{
	struct gup_fx *fx = FX(state);
	struct file *f;
	unsigned long addr = map_file(fx, GUPSIM_FILE_REGULAR, prot, MAP_SHARED, &f);
	struct delta m = mark(fx);
	struct uring_buf b;

	if (touch)
		fx_touch(fx, addr, N, 1);
	assert_int_equal(uring_register(&b, addr, N), -EFAULT);
	expect_delta(fx, &m, transient, transient);
	gupsim_file_put(f);
}

static void uring_file_shared_write(void **state)
{
	uring_file_shared(state, true, PROT_READ | PROT_WRITE, 1);
}

static void uring_file_shared_untouched(void **state)
{
	uring_file_shared(state, false, PROT_READ | PROT_WRITE, 0);
}

static void uring_file_shared_protread(void **state)
{
	uring_file_shared(state, false, PROT_READ, 0);
}

static void uring_file_private(void **state, bool write, bool touch, unsigned long changed)
{
	struct gup_fx *fx = FX(state);
	struct file *f;
	unsigned long addr = map_file(fx, GUPSIM_FILE_REGULAR, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE, &f);
	unsigned long before[N], after[N];

	if (touch) {
		if (write)
			fx_touch(fx, addr, N, 1);
		else
			fx_read_fault(fx, addr, N);
	}
	pfns(fx, addr, N, before);
	uring_line(fx, addr, N, 0, N);
	pfns(fx, addr, N, after);
	assert_int_equal(count_changed(before, after, N), changed);
	for (unsigned long i = 0; i < N; i++)
		assert_true(gupsim_folio_test_anon(gupsim_page_folio(fx_page(fx, addr + i * PAGE_SIZE))));
	gupsim_file_put(f);
}

static void uring_file_private_write(void **state)
{
	uring_file_private(state, true, true, 0);	/* already anon */
}

static void uring_file_private_readfault(void **state)
{
	uring_file_private(state, false, true, N);
}

static void uring_file_private_untouched(void **state)
{
	uring_file_private(state, false, false, N);	/* 0 → anon pfn */
}

static void uring_anon_protread(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_mmap(fx, N * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				     NULL);
	struct delta m = mark(fx);
	struct uring_buf b;

	assert_int_equal(uring_register(&b, addr, N), -EFAULT);
	expect_delta(fx, &m, 0, 0);
}

/* Fact 6: the pages before the hole are pinned, then unpinned. */
static void uring_hole(void **state, unsigned long hole)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct delta m;
	struct uring_buf b;

	fx_touch(fx, addr, N, 1);
	assert_int_equal(gupsim_munmap(fx->mm, addr + hole * PAGE_SIZE, 4 * PAGE_SIZE), 0);
	m = mark(fx);
	assert_int_equal(uring_register(&b, addr, N), -EFAULT);
	expect_delta(fx, &m, (long)hole, (long)hole);
}

static void uring_hole_at_32(void **state)
{
	uring_hole(state, 32);
}

static void uring_hole_at_0(void **state)
{
	uring_hole(state, 0);
}

static void uring_subpage_straddle(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);

	fx_touch(fx, addr, 2, 1);
	/* 100 bytes across the boundary: the start rounds down, 2 pages */
	uring_line(fx, addr + PAGE_SIZE - 50, 2, 0, 2);
}

/* ---- THP: counted per page, coalesced by io_uring to one pin per folio ---- */

static void uring_thp_aligned_2x(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 2);

	fx_touch(fx, addr, 1, 1);
	fx_touch(fx, addr + PMD_SIZE, 1, 1);
	uring_line(fx, addr, 1024, 1022, 2);
}

static void uring_thp_1page(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);

	fx_touch(fx, addr, 1, 1);
	uring_line(fx, addr, 1, 0, 1);
}

static void uring_thp_subrange_64(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);

	fx_touch(fx, addr, 1, 1);
	uring_line(fx, addr + 100 * PAGE_SIZE, 64, 63, 1);
}

static void uring_thp_misaligned_1024(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 3);

	for (int i = 0; i < 3; i++)
		fx_touch(fx, addr + (unsigned long)i * PMD_SIZE, 1, 1);
	/* 511 + 512 + 1 pages of three THPs */
	uring_line(fx, addr + PAGE_SIZE, 1024, 1021, 3);
}

/* The write fault replaces the huge zero PMD by a new THP. */
static void uring_thp_zeropage(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct folio *hz;

	/* the huge zero PMD is unshared into a THP from v6.13 only
	 * (do_huge_zero_wp_pmd()); older releases split it */
	SKIP_BEFORE_KERNEL(6, 13);

	fx_read_fault(fx, addr, 1);
	hz = gupsim_page_folio(fx_page(fx, addr));
	assert_true(gupsim_is_huge_zero_folio(hz));
	uring_line(fx, addr, 512, 511, 1);
	assert_false(gupsim_is_huge_zero_folio(gupsim_page_folio(fx_page(fx, addr))));
	assert_int_equal(map_level(fx->mm, addr), PT_PMD);
}

static void uring_thp_untouched(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);

	uring_line(fx, addr, 512, 511, 1);
	assert_int_equal(map_level(fx->mm, addr), PT_PMD);
	assert_int_equal(gupsim_folio_order(gupsim_page_folio(fx_page(fx, addr))),
			 HPAGE_PMD_ORDER);
}

/* No coalescing when folio sizes are mixed. */
static void uring_thp_plus_4k(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 2);

	fx_touch(fx, addr, 1, 1);
	assert_int_equal(gupsim_madvise(fx->mm, addr + PMD_SIZE, PMD_SIZE, MADV_NOHUGEPAGE), 0);
	fx_touch(fx, addr + PMD_SIZE, 64, 1);
	uring_line(fx, addr, 576, 0, 576);
}

/* ---- hugetlb and mTHP: the same rules ---- */

static int setup_hugetlb(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.hugetlb_2m_pages = 3;
	return gup_fx_setup_cfg(state, &cfg);
}

static unsigned long map_hugetlb(struct gup_fx *fx, unsigned long nr_huge, bool touch)
{
	unsigned long addr = fx_mmap(fx, nr_huge * PMD_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, NULL);

	if (touch)
		for (unsigned long i = 0; i < nr_huge; i++)
			fx_touch(fx, addr + i * PMD_SIZE, 1, 1);
	return addr;
}

static void uring_hugetlb_2x(void **state)
{
	uring_line(FX(state), map_hugetlb(FX(state), 2, true), 1024, 1022, 2);
}

static void uring_hugetlb_1page(void **state)
{
	uring_line(FX(state), map_hugetlb(FX(state), 1, true), 1, 0, 1);
}

static void uring_hugetlb_misaligned_1023(void **state)
{
	unsigned long addr = map_hugetlb(FX(state), 2, true);

	uring_line(FX(state), addr + PAGE_SIZE, 1023, 1021, 2);
}

static void uring_hugetlb_untouched(void **state)
{
	uring_line(FX(state), map_hugetlb(FX(state), 1, false), 512, 511, 1);
}

static int setup_mthp64k(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.mthp_orders = 1UL << 4;	/* hugepages-64kB/enabled = madvise (inherit) */
	return gup_fx_setup_cfg(state, &cfg);
}

static unsigned long map_mthp_1m(struct gup_fx *fx)
{
	unsigned long raw = fx_mmap(fx, 2 << 20, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, NULL);
	unsigned long addr = ALIGN(raw, 1UL << 20);

	/* a 1 MiB VMA: too small for a PMD THP, room for 16 × 64 KiB */
	if (addr != raw)
		assert_int_equal(gupsim_munmap(fx->mm, raw, addr - raw), 0);
	assert_int_equal(gupsim_munmap(fx->mm, addr + (1 << 20), raw + (1 << 20) - addr), 0);
	assert_int_equal(gupsim_madvise(fx->mm, addr, 1 << 20, MADV_HUGEPAGE), 0);
	for (unsigned long i = 0; i < 16; i++)
		fx_touch(fx, addr + i * (64 << 10), 1, 1);
	assert_int_equal(gupsim_folio_order(gupsim_page_folio(fx_page(fx, addr))), 4);
	return addr;
}

static void uring_mthp64k_256(void **state)
{
	struct gup_fx *fx = FX(state);

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	uring_line(fx, map_mthp_1m(fx), 256, 240, 16);
}

static void uring_mthp64k_misaligned_64(void **state)
{
	struct gup_fx *fx = FX(state);

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	/* 8 + 16 + 16 + 16 + 8 */
	uring_line(fx, map_mthp_1m(fx) + 8 * PAGE_SIZE, 64, 59, 5);
}

/* Pins are references, not unique pages. */
static void uring_dup_iovec(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct uring_buf a, b;
	struct delta m;

	fx_touch(fx, addr, N, 1);
	m = mark(fx);
	assert_int_equal(uring_register(&a, addr, N), 0);
	assert_int_equal(uring_register(&b, addr, N), 0);
	expect_delta(fx, &m, 2 * N, 0);
	assert_int_equal(fx_ref(fx_page(fx, addr)), 1 + 2 * 1024);
	uring_unregister(&a);
	uring_unregister(&b);
	expect_delta(fx, &m, 0, 2 * N);
}

/* munmap() of a registered range releases nothing; the pins keep the pages. */
static void uring_munmap_while_registered(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, N);
	struct uring_buf b;
	struct delta m;

	fx_touch(fx, addr, N, 0x5c);
	m = mark(fx);
	assert_int_equal(uring_register(&b, addr, N), 0);
	assert_int_equal(gupsim_munmap(fx->mm, addr, N * PAGE_SIZE), 0);
	expect_delta(fx, &m, N, 0);
	assert_int_equal(fx_ref(b.pages[0]), 1024);	/* only the pin holds it */
	assert_int_equal(((unsigned char *)gupsim_page_address(b.pages[N - 1]))[0], 0x5c);
	uring_unregister(&b);
	expect_delta(fx, &m, 0, N);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, gup_fx_setup, gup_fx_teardown)
#define TS(fn, s) cmocka_unit_test_setup_teardown(fn, s, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(uring_anon_write),
		T(uring_anon_zeropage),
		T(uring_anon_untouched),
		T(uring_shared_anon_write),
		T(uring_shared_anon_untouched),
		T(uring_memfd_write),
		T(uring_memfd_private_readfault),
		T(uring_file_shared_write),
		T(uring_file_shared_untouched),
		T(uring_file_shared_protread),
		T(uring_file_private_write),
		T(uring_file_private_readfault),
		T(uring_file_private_untouched),
		T(uring_anon_protread),
		T(uring_hole_at_32),
		T(uring_hole_at_0),
		T(uring_subpage_straddle),
		T(uring_thp_aligned_2x),
		T(uring_thp_1page),
		T(uring_thp_subrange_64),
		T(uring_thp_misaligned_1024),
		T(uring_thp_zeropage),
		T(uring_thp_untouched),
		T(uring_thp_plus_4k),
		TS(uring_hugetlb_2x, setup_hugetlb),
		TS(uring_hugetlb_1page, setup_hugetlb),
		TS(uring_hugetlb_misaligned_1023, setup_hugetlb),
		TS(uring_hugetlb_untouched, setup_hugetlb),
		TS(uring_mthp64k_256, setup_mthp64k),
		TS(uring_mthp64k_misaligned_64, setup_mthp64k),
		T(uring_dup_iovec),
		T(uring_munmap_while_registered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
