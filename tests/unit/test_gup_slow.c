// SPDX-License-Identifier: MIT
/*
 * The slow path, rule by rule: semantics.md §1.5-§1.9, §2.4, §5.2, §5.3, §10.
 * Every test asserts exact counts before and after (refcount, pincount,
 * nr_foll_pin_*), and the fixture's teardown checks that no page leaked.
 */
#include <stdio.h>

#include "gup_fixture.h"

#define PROT_RW	(PROT_READ | PROT_WRITE)
#define ANON_PRIVATE (MAP_PRIVATE | MAP_ANONYMOUS)

static int zero_ref(struct gup_fx *fx)
{
	return gupsim_page_ref_count(gupsim_zero_page(fx->sim));
}

/* ---- grabbing small pages and the zero page (semantics.md §2.2, §2.4) ---- */

static void get_small_page_adds_one_ref(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct page *pages[2];
	struct page *page;

	fx_touch(fx, addr, 2, 1);
	page = fx_page(fx, addr);
	assert_int_equal(fx_ref(page), 1);	/* the mapping */
	assert_int_equal(fx_gup(fx, addr, 2, 0, pages), 2);
	assert_ptr_equal(pages[0], page);
	assert_int_equal(fx_ref(page), 2);
	assert_int_equal(ACQ(fx), 0);
	gupsim_put_page(pages[0]);
	gupsim_put_page(pages[1]);
	assert_int_equal(fx_ref(page), 1);
}

static void pin_small_page_adds_bias(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 3);
	struct page *pages[3];

	fx_touch(fx, addr, 3, 1);
	assert_int_equal(fx_pup(fx, addr, 3, FOLL_WRITE, pages), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fx_ref(pages[i]), 1 + 1024);
		assert_true(gupsim_page_maybe_dma_pinned(pages[i]));
	}
	assert_int_equal(ACQ(fx), 3);
	assert_true(gupsim_mm_has_pinned(fx->mm));
	gupsim_unpin_user_pages(pages, 3);
	assert_int_equal(fx_ref(fx_page(fx, addr)), 1);
	assert_int_equal(REL(fx), 3);
}

/* semantics.md §2.4: GET on the zero page takes a reference; PIN does nothing at all. */
static void zero_page_get_counts_pin_does_not(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 4);
	struct page *pages[4];
	int z = zero_ref(fx);

	/* untouched: the GUP read fault maps the zero page */
	assert_int_equal(fx_gup(fx, addr, 4, 0, pages), 4);
	for (int i = 0; i < 4; i++)
		assert_true(gupsim_is_zero_page(pages[i]));
	assert_int_equal(zero_ref(fx), z + 4);
	for (int i = 0; i < 4; i++)
		gupsim_put_page(pages[i]);
	assert_int_equal(zero_ref(fx), z);

	assert_int_equal(fx_pup(fx, addr, 4, 0, pages), 4);
	assert_true(gupsim_is_zero_page(pages[3]));
	assert_int_equal(zero_ref(fx), z);
	assert_int_equal(ACQ(fx), 0);
	gupsim_unpin_user_pages(pages, 4);
	assert_int_equal(REL(fx), 0);
	assert_int_equal(zero_ref(fx), z);
}

/* ---- large folios: page_mask / page_increm (semantics.md §1.6, §1.8, §7) ---- */

static void pin_whole_thp_counts_per_page(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct folio *folio;

	fx_touch(fx, addr, 1, 7);	/* one write fault maps the whole THP */
	folio = gupsim_page_folio(fx_page(fx, addr));
	assert_int_equal(gupsim_folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(gupsim_folio_ref_count(folio), 1);

	assert_int_equal(fx_pup(fx, addr, HPAGE_PMD_NR, FOLL_WRITE, pages), HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_ref_count(folio), 1 + HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_pincount(folio), HPAGE_PMD_NR);
	assert_int_equal(ACQ(fx), HPAGE_PMD_NR);
	for (int i = 0; i < HPAGE_PMD_NR; i++)
		assert_ptr_equal(pages[i], gupsim_folio_page(folio, (unsigned long)i));
	gupsim_unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_pincount(folio), 0);
	assert_int_equal(gupsim_folio_ref_count(folio), 1);
	assert_int_equal(REL(fx), HPAGE_PMD_NR);
	free(pages);
}

/* page_increm runs to the end of the leaf and no further than nr_pages. */
static void thp_partial_and_crossing_ranges(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 2);
	struct page *pages[64];
	struct folio *f0, *f1;

	fx_touch(fx, addr, 1, 1);
	fx_touch(fx, addr + PMD_SIZE, 1, 2);
	f0 = gupsim_page_folio(fx_page(fx, addr));
	f1 = gupsim_page_folio(fx_page(fx, addr + PMD_SIZE));
	assert_ptr_not_equal(f0, f1);

	/* 50 pages from page 100 of the first THP */
	assert_int_equal(fx_gup(fx, addr + 100 * PAGE_SIZE, 50, 0, pages), 50);
	assert_int_equal(gupsim_folio_ref_count(f0), 1 + 50);
	assert_ptr_equal(pages[49], gupsim_folio_page(f0, 149));
	for (int i = 0; i < 50; i++)
		gupsim_put_page(pages[i]);

	/* 20 pages from page 500: 12 of the first THP, 8 of the second */
	assert_int_equal(fx_pup(fx, addr + 500 * PAGE_SIZE, 20, 0, pages), 20);
	assert_int_equal(gupsim_folio_pincount(f0), 12);
	assert_int_equal(gupsim_folio_pincount(f1), 8);
	assert_ptr_equal(pages[11], gupsim_folio_page(f0, 511));
	assert_ptr_equal(pages[12], gupsim_folio_page(f1, 0));
	assert_int_equal(ACQ(fx), 20);
	gupsim_unpin_user_pages(pages, 20);
	assert_int_equal(gupsim_folio_ref_count(f0), 1);
	assert_int_equal(gupsim_folio_ref_count(f1), 1);
	assert_int_equal(REL(fx), 20);
}

/* semantics.md §2.4: the huge zero folio is pinned like any large folio, and counted. */
static void huge_zero_folio_is_counted(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct folio *hz;
	int ref;

	fx_read_fault(fx, addr, 1);
	hz = gupsim_page_folio(fx_page(fx, addr));
	assert_true(gupsim_is_huge_zero_folio(hz));
	ref = gupsim_folio_ref_count(hz);

	assert_int_equal(fx_pup(fx, addr, HPAGE_PMD_NR, 0, pages), HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_ref_count(hz), ref + HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_pincount(hz), HPAGE_PMD_NR);
	assert_int_equal(ACQ(fx), HPAGE_PMD_NR);
	/* a short-term R/O pin keeps the huge zero mapping */
	assert_ptr_equal(gupsim_page_folio(fx_page(fx, addr)), hz);
	gupsim_unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_ref_count(hz), ref);
	assert_int_equal(REL(fx), HPAGE_PMD_NR);
	free(pages);
}

/* ---- holes and partial success (semantics.md §1.5, §1.6) ---- */

static void hole_after_k_pages_returns_k(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 8);
	struct page *pages[8];
	int w = WARNS(fx);

	fx_touch(fx, addr, 8, 3);
	assert_int_equal(gupsim_munmap(fx->mm, addr + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(fx_pup(fx, addr, 8, FOLL_WRITE, pages), 5);
	assert_int_equal(ACQ(fx), 5);
	gupsim_unpin_user_pages(pages, 5);
	/* the caller retries at the hole and sees the error */
	assert_int_equal(fx_pup(fx, addr + 5 * PAGE_SIZE, 3, FOLL_WRITE, pages), -EFAULT);
	assert_int_equal(fx_gup(fx, addr + 5 * PAGE_SIZE, 3, 0, pages), -EFAULT);
	assert_int_equal(ACQ(fx), 5);
	assert_int_equal(REL(fx), 5);
	assert_int_equal(WARNS(fx), w);
	/* a pin that failed still set MMF_HAS_PINNED (semantics.md §3.3) */
	assert_true(gupsim_mm_has_pinned(fx->mm));
}

/* The range may cross VMAs; each one is checked on its own (semantics.md §1.6). */
static void range_across_vmas_checks_each(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 6);
	struct page *pages[6];

	fx_touch(fx, addr, 6, 3);
	/* split the VMA in three; the middle one read-only */
	assert_int_equal(gupsim_mprotect(fx->mm, addr + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ),
			 0);
	assert_int_equal(fx_gup(fx, addr, 6, 0, pages), 6);
	for (int i = 0; i < 6; i++)
		gupsim_put_page(pages[i]);
	/* a write stops at the read-only VMA: partial success */
	assert_int_equal(fx_pup(fx, addr, 6, FOLL_WRITE, pages), 2);
	gupsim_unpin_user_pages(pages, 2);
	assert_int_equal(ACQ(fx), REL(fx));
}

/* ---- check_vma_flags() (semantics.md §1.7) ---- */

static void write_to_prot_read_is_efault(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct page *pages[2];
	int ref;

	fx_touch(fx, addr, 2, 1);
	assert_int_equal(gupsim_mprotect(fx->mm, addr, 2 * PAGE_SIZE, PROT_READ), 0);
	ref = fx_ref(fx_page(fx, addr));
	assert_int_equal(fx_pup(fx, addr, 2, FOLL_WRITE, pages), -EFAULT);
	assert_int_equal(fx_gup(fx, addr, 2, FOLL_WRITE, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_unlocked(addr, 2, pages, FOLL_WRITE), -EFAULT);
	assert_int_equal(fx_ref(fx_page(fx, addr)), ref);
	assert_int_equal(ACQ(fx), 0);
	/* reading is fine */
	assert_int_equal(fx_pup(fx, addr, 2, 0, pages), 2);
	gupsim_unpin_user_pages(pages, 2);
}

/* PROT_NONE: -EFAULT, but FOLL_FORCE reads through VM_MAYREAD (ptrace peek). */
static void prot_none_needs_force(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct page *pages[1];
	struct page *page;

	fx_touch(fx, addr, 1, 0x42);
	page = fx_page(fx, addr);
	assert_int_equal(gupsim_mprotect(fx->mm, addr, PAGE_SIZE, PROT_NONE), 0);
	assert_int_equal(fx_gup(fx, addr, 1, 0, pages), -EFAULT);
	assert_int_equal(fx_pup(fx, addr, 1, 0, pages), -EFAULT);
	assert_int_equal(fx_gup_remote(fx, addr, 1, FOLL_FORCE, pages), 1);
	assert_ptr_equal(pages[0], page);
	assert_int_equal(((unsigned char *)gupsim_page_address(page))[0], 0x42);
	gupsim_put_page(pages[0]);
	assert_int_equal(fx_ref(page), 1);
}

/* semantics.md §1.11: a FORCE write to a R/O private mapping breaks COW, mapped R/O. */
static void force_write_to_readonly_private(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "force", PAGE_SIZE);
	unsigned long addr = fx_mmap(fx, PAGE_SIZE, PROT_READ, MAP_PRIVATE, file);
	unsigned char byte = 0x77, seen = 0;
	struct page *pages[1], *again[1];
	struct page *file_page;

	fx_read_fault(fx, addr, 1);
	file_page = fx_page(fx, addr);
	assert_false(gupsim_folio_test_anon(gupsim_page_folio(file_page)));
	assert_int_equal(fx_gup(fx, addr, 1, FOLL_WRITE, pages), -EFAULT);	/* no FORCE */

	assert_int_equal(fx_gup_remote(fx, addr, 1, FOLL_WRITE | FOLL_FORCE, pages), 1);
	assert_ptr_not_equal(pages[0], file_page);
	assert_true(gupsim_folio_test_anon(gupsim_page_folio(pages[0])));
	assert_true(gupsim_PageAnonExclusive(pages[0]));
	memcpy(gupsim_page_address(pages[0]), &byte, 1);	/* ptrace poke */
	assert_int_equal(gupsim_read(fx->mm, addr, &seen, 1), 1);
	assert_int_equal(seen, 0x77);
	/* still not writable for the process */
	assert_int_equal(gupsim_write(fx->mm, addr, &byte, 1), -EFAULT);
	/* the exclusive anon page is now followed directly (can_follow_write) */
	assert_int_equal(fx_gup_remote(fx, addr, 1, FOLL_WRITE | FOLL_FORCE, again), 1);
	assert_ptr_equal(again[0], pages[0]);
	assert_int_equal(fx_ref(pages[0]), 3);
	gupsim_put_page(again[0]);
	gupsim_put_page(pages[0]);
	/* the file is untouched */
	assert_int_equal(((unsigned char *)gupsim_page_address(file_page))[0], 0);
	gupsim_file_put(file);
}

static void force_write_to_readonly_shared_is_efault(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "shared", PAGE_SIZE);
	unsigned long addr = fx_mmap(fx, PAGE_SIZE, PROT_READ, MAP_SHARED, file);
	struct page *pages[1];

	fx_read_fault(fx, addr, 1);
	assert_int_equal(fx_gup_remote(fx, addr, 1, FOLL_WRITE | FOLL_FORCE, pages), -EFAULT);
	assert_int_equal(fx_gup_remote(fx, addr, 1, FOLL_FORCE, pages), 1);
	gupsim_put_page(pages[0]);
	gupsim_file_put(file);
}

static void special_vmas_refused(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *pfn = gupsim_file_create(fx->sim, GUPSIM_FILE_PFNMAP, "io", PAGE_SIZE);
	struct file *secret = gupsim_file_create(fx->sim, GUPSIM_FILE_SECRETMEM, "s", PAGE_SIZE);
	struct file *shm = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "shm", PAGE_SIZE);
	unsigned long a_pfn = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_SHARED, pfn);
	unsigned long a_sec = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_SHARED, secret);
	unsigned long a_shm = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_SHARED, shm);
	unsigned long a_anon = fx_map_anon(fx, 1);
	struct page *pages[1];

	/* VM_IO | VM_PFNMAP, secretmem: -EFAULT, fast or slow */
	assert_int_equal(fx_gup(fx, a_pfn, 1, 0, pages), -EFAULT);
	assert_int_equal(fx_pup(fx, a_pfn, 1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_pin_user_pages_fast(a_pfn, 1, 0, pages), -EFAULT);
	fx_touch(fx, a_sec, 1, 1);
	assert_int_equal(fx_gup(fx, a_sec, 1, 0, pages), -EFAULT);
	assert_int_equal(gupsim_get_user_pages_fast(a_sec, 1, 0, pages), -EFAULT);
	/* FOLL_ANON: only VMAs without vm_ops */
	assert_int_equal(fx_gup(fx, a_shm, 1, FOLL_ANON, pages), -EFAULT);
	assert_int_equal(fx_gup(fx, a_anon, 1, FOLL_ANON, pages), 1);
	gupsim_put_page(pages[0]);
	assert_int_equal(ACQ(fx), 0);
	gupsim_file_put(pfn);
	gupsim_file_put(secret);
	gupsim_file_put(shm);
}

/* semantics.md §1.7 row 6: R/W long-term pin of a dirty-tracked shared file mapping. */
static void longterm_write_of_regular_shared_file(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *reg = gupsim_file_create(fx->sim, GUPSIM_FILE_REGULAR, "ext4", PAGE_SIZE);
	struct file *shm = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "tmpfs", PAGE_SIZE);
	unsigned long a_reg = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_SHARED, reg);
	unsigned long a_shm = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_SHARED, shm);
	struct page *pages[1];
	unsigned int rw_lt = FOLL_WRITE | FOLL_LONGTERM;

	fx_touch(fx, a_reg, 1, 1);
	fx_touch(fx, a_shm, 1, 1);
	assert_int_equal(fx_pup(fx, a_reg, 1, rw_lt, pages), -EFAULT);
	assert_int_equal(ACQ(fx), 0);
	/* short-term R/W, or long-term R/O: fine */
	assert_int_equal(fx_pup(fx, a_reg, 1, FOLL_WRITE, pages), 1);
	gupsim_unpin_user_page(pages[0]);
	assert_int_equal(fx_pup(fx, a_reg, 1, FOLL_LONGTERM, pages), 1);
	gupsim_unpin_user_page(pages[0]);
	/* shmem needs no dirty tracking */
	assert_int_equal(fx_pup(fx, a_shm, 1, rw_lt, pages), 1);
	gupsim_unpin_user_page(pages[0]);
	assert_int_equal(ACQ(fx), 3);
	assert_int_equal(REL(fx), 3);
	gupsim_file_put(reg);
	gupsim_file_put(shm);
}

static void fsdax_longterm_is_eopnotsupp(void **state)
{
	struct gupsim_config cfg;
	struct gup_fx *fx;
	struct file *dax;
	unsigned long addr;
	struct page *pages[1];

	gup_fx_teardown(state);
	gup_fx_config(&cfg);
	cfg.device_mb = 4;
	assert_int_equal(gup_fx_setup_cfg(state, &cfg), 0);
	fx = FX(state);
	dax = gupsim_file_create(fx->sim, GUPSIM_FILE_FSDAX, "dax", PAGE_SIZE);
	addr = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_SHARED, dax);
	fx_touch(fx, addr, 1, 1);
	assert_int_equal(fx_pup(fx, addr, 1, FOLL_LONGTERM, pages), -EOPNOTSUPP);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, FOLL_LONGTERM, pages), -EOPNOTSUPP);
	assert_int_equal(ACQ(fx) - REL(fx), 0);
	/* short-term pins of fsdax pages are fine */
	assert_int_equal(fx_pup(fx, addr, 1, 0, pages), 1);
	assert_int_equal(gupsim_page_zonenum(pages[0]), ZONE_DEVICE);
	gupsim_unpin_user_page(pages[0]);
	gupsim_file_put(dax);
}

/* ---- FOLL_SPLIT_PMD (semantics.md §10) ---- */

static void split_pmd_maps_thp_with_ptes(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	long splits = STAT(fx, GUPSIM_NR_THP_SPLITS);
	struct page *pages[2];
	struct folio *folio;

	fx_touch(fx, addr, 1, 1);
	folio = gupsim_page_folio(fx_page(fx, addr));
	assert_int_equal(fx_gup_remote(fx, addr + 3 * PAGE_SIZE, 2, FOLL_SPLIT_PMD, pages), 2);
	assert_int_equal(STAT(fx, GUPSIM_NR_THP_SPLITS), splits + 1);
	/* the folio stays large, now mapped by 512 PTEs */
	assert_ptr_equal(gupsim_page_folio(pages[0]), folio);
	assert_int_equal(gupsim_folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(gupsim_folio_ref_count(folio), HPAGE_PMD_NR + 2);
	gupsim_put_page(pages[0]);
	gupsim_put_page(pages[1]);
}

/* ---- FOLL_NOFAULT, FOLL_DUMP, get_dump_page (semantics.md §10) ---- */

static void nofault_never_faults(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	long faults = STAT(fx, GUPSIM_NR_PGFAULT);
	struct page *pages[2];

	assert_int_equal(fx_gup(fx, addr, 2, FOLL_NOFAULT, pages), -EFAULT);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 2, FOLL_NOFAULT, pages), -EFAULT);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGFAULT), faults);
	assert_null(gupsim_follow_page(fx->mm, addr));
	fx_touch(fx, addr, 1, 1);
	/* present: fine; the next page needs a fault: partial */
	assert_int_equal(fx_pup(fx, addr, 2, FOLL_NOFAULT, pages), 1);
	gupsim_unpin_user_page(pages[0]);
}

static void dump_page_holes(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 3);
	unsigned long thp = fx_map_thp(fx, 1);
	struct page *page;
	int z = zero_ref(fx);
	int locked = 0;

	/* never touched: a hole, and no fault */
	assert_null(gupsim_get_dump_page(addr, NULL));
	assert_null(gupsim_follow_page(fx->mm, addr));
	/* the zero page and the huge zero folio: holes too */
	fx_read_fault(fx, addr + PAGE_SIZE, 1);
	assert_null(gupsim_get_dump_page(addr + PAGE_SIZE, &locked));
	assert_int_equal(locked, 0);
	assert_int_equal(zero_ref(fx), z);
	fx_read_fault(fx, thp, 1);
	assert_null(gupsim_get_dump_page(thp + 7 * PAGE_SIZE, NULL));
	/* a written page: +1 reference */
	fx_touch(fx, addr + 2 * PAGE_SIZE, 1, 9);
	page = gupsim_get_dump_page(addr + 2 * PAGE_SIZE, NULL);
	assert_ptr_equal(page, fx_page(fx, addr + 2 * PAGE_SIZE));
	assert_int_equal(fx_ref(page), 2);
	gupsim_put_page(page);
	/* with the caller's lock */
	gupsim_mmap_read_lock(fx->mm);
	locked = 1;
	page = gupsim_get_dump_page(addr + 2 * PAGE_SIZE, &locked);
	assert_int_equal(locked, 1);
	gupsim_mmap_read_unlock(fx->mm);
	assert_non_null(page);
	gupsim_put_page(page);
}

/* ---- unshare for R/O pins (semantics.md §5.2, §5.3) ---- */

/* An exclusive page mapped R/O is pinned in place. */
static void ro_pin_of_exclusive_page_in_place(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	long unshares = STAT(fx, GUPSIM_NR_UNSHARES);
	struct page *pages[1];
	struct page *page;

	fx_touch(fx, addr, 1, 1);
	page = fx_page(fx, addr);
	assert_int_equal(gupsim_mprotect(fx->mm, addr, PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(fx_pup(fx, addr, 1, FOLL_LONGTERM, pages), 1);
	assert_ptr_equal(pages[0], page);
	assert_int_equal(STAT(fx, GUPSIM_NR_UNSHARES), unshares);
	gupsim_unpin_user_page(pages[0]);
}

/* A page shared with a child after fork: a R/O pin unshares; GET does not. */
static void ro_pin_of_shared_anon_page_unshares(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	long unshares = STAT(fx, GUPSIM_NR_UNSHARES);
	struct mm_struct *child;
	struct page *pages[1];
	struct page *shared;

	fx_touch(fx, addr, 1, 0x11);
	child = gupsim_fork(fx->mm);
	assert_false(IS_ERR(child));
	shared = fx_page(fx, addr);
	assert_ptr_equal(gupsim_follow_page(child, addr), shared);
	assert_false(gupsim_PageAnonExclusive(shared));

	/* GET never unshares */
	assert_int_equal(fx_gup(fx, addr, 1, 0, pages), 1);
	assert_ptr_equal(pages[0], shared);
	gupsim_put_page(pages[0]);

	assert_int_equal(fx_pup(fx, addr, 1, 0, pages), 1);
	assert_int_equal(STAT(fx, GUPSIM_NR_UNSHARES), unshares + 1);
	assert_ptr_not_equal(pages[0], shared);
	assert_ptr_equal(fx_page(fx, addr), pages[0]);
	assert_true(gupsim_PageAnonExclusive(pages[0]));
	assert_int_equal(((unsigned char *)gupsim_page_address(pages[0]))[0], 0x11);
	/* the child keeps the old page */
	assert_ptr_equal(gupsim_follow_page(child, addr), shared);
	/* still mapped R/O: the unshare fault does not make it writable */
	assert_int_equal(fx_ref(pages[0]), 1 + 1024);
	gupsim_unpin_user_page(pages[0]);
	gupsim_mm_put(child);
}

/* semantics.md §5.3: the child is gone, the page still says "shared": reused in place. */
static void ro_pin_of_previously_shared_page_reuses(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	long unshares = STAT(fx, GUPSIM_NR_UNSHARES);
	struct page *pages[1];
	struct page *page;

	fx_touch(fx, addr, 1, 0x22);
	gupsim_mm_put(gupsim_fork(fx->mm));
	page = fx_page(fx, addr);
	assert_false(gupsim_PageAnonExclusive(page));
	assert_int_equal(fx_pup(fx, addr, 1, 0, pages), 1);
	assert_ptr_equal(pages[0], page);
	assert_true(gupsim_PageAnonExclusive(page));
	assert_int_equal(STAT(fx, GUPSIM_NR_UNSHARES), unshares + 1);
	gupsim_unpin_user_page(pages[0]);
}

/* semantics.md §2.4, §5.3: the zero page under a R/O long-term pin becomes a new anon page. */
static void ro_longterm_pin_of_zero_page(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct page *pages[1];
	int z;

	fx_read_fault(fx, addr, 1);
	assert_true(gupsim_is_zero_page(fx_page(fx, addr)));
	z = zero_ref(fx);
	/* short-term: the zero page itself, uncounted */
	assert_int_equal(fx_pup(fx, addr, 1, 0, pages), 1);
	assert_true(gupsim_is_zero_page(pages[0]));
	assert_int_equal(ACQ(fx), 0);
	gupsim_unpin_user_page(pages[0]);
	/* long-term: unshared into an exclusive zeroed anon page */
	assert_int_equal(fx_pup(fx, addr, 1, FOLL_LONGTERM, pages), 1);
	assert_false(gupsim_is_zero_page(pages[0]));
	assert_ptr_equal(fx_page(fx, addr), pages[0]);
	assert_true(gupsim_folio_test_anon(gupsim_page_folio(pages[0])));
	assert_int_equal(((unsigned char *)gupsim_page_address(pages[0]))[100], 0);
	assert_int_equal(fx_ref(pages[0]), 1 + 1024);
	assert_int_equal(ACQ(fx), 1);
	assert_int_equal(zero_ref(fx), z);
	gupsim_unpin_user_page(pages[0]);
}

/* semantics.md §5.3: a MAP_PRIVATE file page: short-term pins it, long-term unshares. */
static void ro_longterm_pin_of_private_file_page(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_REGULAR, "f", PAGE_SIZE);
	unsigned long addr = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_PRIVATE, file);
	struct page *pages[1];
	struct page *fpage;

	fx_read_fault(fx, addr, 1);
	fpage = fx_page(fx, addr);
	assert_false(gupsim_folio_test_anon(gupsim_page_folio(fpage)));
	assert_int_equal(fx_pup(fx, addr, 1, 0, pages), 1);
	assert_ptr_equal(pages[0], fpage);
	gupsim_unpin_user_page(pages[0]);
	assert_int_equal(fx_pup(fx, addr, 1, FOLL_LONGTERM, pages), 1);
	assert_ptr_not_equal(pages[0], fpage);
	assert_true(gupsim_folio_test_anon(gupsim_page_folio(pages[0])));
	assert_ptr_equal(fx_page(fx, addr), pages[0]);
	gupsim_unpin_user_page(pages[0]);
	gupsim_file_put(file);
}

/* ---- lock handling (semantics.md §1.4, §1.6) ---- */

static void unlocked_variants_take_and_drop_the_lock(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct page *pages[2];
	int locked;

	fx_touch(fx, addr, 2, 1);
	assert_int_equal(gupsim_get_user_pages_unlocked(addr, 2, pages, 0), 2);
	gupsim_put_page(pages[0]);
	gupsim_put_page(pages[1]);
	assert_int_equal(gupsim_pin_user_pages_unlocked(addr, 2, pages, FOLL_WRITE), 2);
	gupsim_unpin_user_pages(pages, 2);
	/* not held afterwards: a writer gets it */
	gupsim_mmap_write_lock(fx->mm);
	gupsim_mmap_write_unlock(fx->mm);

	/* *locked == 1: the caller's lock, never dropped by gupsim's faults */
	gupsim_mmap_read_lock(fx->mm);
	locked = 1;
	assert_int_equal(gupsim_pin_user_pages_remote(fx->mm, addr, 2, 0, pages, &locked), 2);
	assert_int_equal(locked, 1);
	gupsim_mmap_read_unlock(fx->mm);
	gupsim_unpin_user_pages(pages, 2);
	assert_int_equal(ACQ(fx), 4);
	assert_int_equal(REL(fx), 4);
}

/* semantics.md §1.4: pin_user_pages() has no FOLL_TOUCH; the _remote variant marks accessed. */
static void touch_marks_accessed_only_where_set(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct page *pages[1];
	struct folio *folio;

	fx_touch(fx, addr, 1, 1);
	folio = gupsim_page_folio(fx_page(fx, addr));
	/* the PTE is dirty after a write fault, so only a clean folio tells */
	ClearPageFlag(&folio->page, PG_dirty);
	ClearPageFlag(&folio->page, PG_referenced);
	assert_int_equal(fx_pup(fx, addr, 1, FOLL_WRITE, pages), 1);
	gupsim_unpin_user_page(pages[0]);
	assert_false(PageFlag(&folio->page, PG_referenced));
	assert_int_equal(fx_pup_remote(fx, addr, 1, FOLL_WRITE, pages), 1);
	gupsim_unpin_user_page(pages[0]);
	assert_true(PageFlag(&folio->page, PG_referenced));
}

/* ---- fixup_user_fault() and MADV_POPULATE (semantics.md §10) ---- */

static void fixup_user_fault_faults_without_reference(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	unsigned long ro = fx_mmap(fx, PAGE_SIZE, PROT_READ, ANON_PRIVATE, NULL);
	bool unlocked = false;

	gupsim_mmap_read_lock(fx->mm);
	assert_int_equal(gupsim_fixup_user_fault(fx->mm, addr, FAULT_FLAG_WRITE, &unlocked), 0);
	assert_false(unlocked);
	assert_int_equal(gupsim_fixup_user_fault(fx->mm, ro, FAULT_FLAG_WRITE, NULL), -EFAULT);
	assert_int_equal(gupsim_fixup_user_fault(fx->mm, ro, 0, NULL), 0);
	assert_int_equal(gupsim_fixup_user_fault(fx->mm, TASK_SIZE_MAX - PAGE_SIZE, 0, NULL),
			 -EFAULT);
	gupsim_mmap_read_unlock(fx->mm);
	assert_int_equal(fx_ref(fx_page(fx, addr)), 1);
	assert_false(gupsim_is_zero_page(fx_page(fx, addr)));
}

static void madv_populate_takes_no_reference(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 4);
	unsigned long none = fx_mmap(fx, PAGE_SIZE, PROT_NONE, ANON_PRIVATE, NULL);

	assert_int_equal(gupsim_madvise(fx->mm, addr, 4 * PAGE_SIZE, MADV_POPULATE_WRITE), 0);
	for (int i = 0; i < 4; i++) {
		struct page *page = fx_page(fx, addr + (unsigned long)i * PAGE_SIZE);

		assert_false(gupsim_is_zero_page(page));
		assert_int_equal(fx_ref(page), 1);
	}
	/* a VMA that fails the checks: -EINVAL; no VMA: -ENOMEM */
	assert_int_equal(gupsim_madvise(fx->mm, none, PAGE_SIZE, MADV_POPULATE_READ), -EINVAL);
	assert_int_equal(gupsim_munmap(fx->mm, addr + PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(gupsim_madvise(fx->mm, addr, 4 * PAGE_SIZE, MADV_POPULATE_READ), -ENOMEM);
	assert_int_equal(ACQ(fx), 0);
}

/* Every call ends with one GUPSIM_TRACE_GUP record: name, flags, result. */
struct gup_trace {
	int events;
	char name[64];
	unsigned int flags;
	unsigned long addr, nr;
	long ret;
};

static void gup_trace_fn(void *arg, const struct gupsim_trace_record *rec)
{
	struct gup_trace *t = arg;

	if (rec->event != GUPSIM_TRACE_GUP)
		return;
	t->events++;
	snprintf(t->name, sizeof(t->name), "%s", rec->name);
	t->flags = rec->flags;
	t->addr = rec->addr;
	t->nr = rec->nr;
	t->ret = rec->ret;
}

static void every_call_is_traced(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct gup_trace t = { 0 };
	struct page *pages[2];

	fx_touch(fx, addr, 2, 1);
	gupsim_set_trace(fx->sim, gup_trace_fn, &t);
	assert_int_equal(fx_pup(fx, addr, 2, FOLL_WRITE, pages), 2);
	assert_int_equal(t.events, 1);
	assert_string_equal(t.name, "pin_user_pages");
	assert_int_equal(t.flags, FOLL_WRITE | FOLL_PIN);	/* no FOLL_TOUCH */
	assert_int_equal(t.addr, addr);
	assert_int_equal(t.nr, 2);
	assert_int_equal(t.ret, 2);
	gupsim_unpin_user_pages(pages, 2);
	assert_int_equal(gupsim_get_user_pages_unlocked(addr, 2, pages, 0), 2);
	assert_int_equal(t.events, 2);
	assert_string_equal(t.name, "get_user_pages_unlocked");
	assert_int_equal(t.flags, FOLL_TOUCH | FOLL_UNLOCKABLE);
	gupsim_set_trace(fx->sim, NULL, NULL);
	gupsim_put_page(pages[0]);
	gupsim_put_page(pages[1]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, gup_fx_setup, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(get_small_page_adds_one_ref),
		T(pin_small_page_adds_bias),
		T(zero_page_get_counts_pin_does_not),
		T(pin_whole_thp_counts_per_page),
		T(thp_partial_and_crossing_ranges),
		T(huge_zero_folio_is_counted),
		T(hole_after_k_pages_returns_k),
		T(range_across_vmas_checks_each),
		T(write_to_prot_read_is_efault),
		T(prot_none_needs_force),
		T(force_write_to_readonly_private),
		T(force_write_to_readonly_shared_is_efault),
		T(special_vmas_refused),
		T(longterm_write_of_regular_shared_file),
		T(fsdax_longterm_is_eopnotsupp),
		T(split_pmd_maps_thp_with_ptes),
		T(nofault_never_faults),
		T(dump_page_holes),
		T(ro_pin_of_exclusive_page_in_place),
		T(ro_pin_of_shared_anon_page_unshares),
		T(ro_pin_of_previously_shared_page_reuses),
		T(ro_longterm_pin_of_zero_page),
		T(ro_longterm_pin_of_private_file_page),
		T(unlocked_variants_take_and_drop_the_lock),
		T(touch_marks_accessed_only_where_set),
		T(fixup_user_fault_faults_without_reference),
		T(madv_populate_takes_no_reference),
		T(every_call_is_traced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
