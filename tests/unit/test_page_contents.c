// SPDX-License-Identifier: MIT
/*
 * A page's contents exist only once something needs data. A page that was
 * never written reads as zeros and has no frame; a CPU write, a DMA write
 * or a copy of a page that has data gives it one; copying a page without
 * data gives a page without data; freeing drops the contents without
 * touching the frame, and a reused frame reads zeros. The bytes are
 * checked at every step of a page's life: fault, CPU write, fork, COW,
 * DMA, migration out of ZONE_MOVABLE, free, reuse.
 */
#include <unistd.h>

#include "mm_helpers.h"

#define ADDR	0x10000000UL
#define PROT_RW	(PROT_READ | PROT_WRITE)

/* 64 MiB NORMAL and 32 MiB MOVABLE: user pages land in ZONE_MOVABLE. */
static int setup_movable(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.movable_mb = 32;
	cfg.thp = GUPSIM_THP_NEVER;
	return mm_setup_cfg(state, &cfg);
}

static unsigned long data_pages(void **state)
{
	return page_data_nr_pages(fixture_sim(state));
}

/* The page mapped at @addr, faulted in for writing but not written. */
static struct page *fault_unwritten(struct mm_struct *mm, unsigned long addr)
{
	struct page *page = NULL;

	gupsim_kthread_use_mm(mm);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, FOLL_WRITE, &page), 1);
	gupsim_unpin_user_page(page);
	gupsim_kthread_unuse_mm(mm);
	return page;
}

/* The whole page at @addr as @mm's user sees it: @expect at @off, zeros elsewhere. */
static void check_user_page(struct mm_struct *mm, unsigned long addr, size_t off,
			    const char *expect)
{
	static unsigned char buf[PAGE_SIZE], want[PAGE_SIZE];

	memset(want, 0, sizeof(want));
	if (expect)
		memcpy(want + off, expect, strlen(expect));
	assert_int_equal(gupsim_read(mm, addr, buf, PAGE_SIZE), PAGE_SIZE);
	assert_memory_equal(buf, want, PAGE_SIZE);
}

/* The same through the device: DMA reads never give a page data. */
static void check_dma_page(struct page *page, size_t off, const char *expect)
{
	static unsigned char buf[PAGE_SIZE], want[PAGE_SIZE];
	bool had = page_has_data(page);

	memset(want, 0, sizeof(want));
	if (expect)
		memcpy(want + off, expect, strlen(expect));
	assert_int_equal(gupsim_dma_read(page, 0, buf, PAGE_SIZE), PAGE_SIZE);
	assert_memory_equal(buf, want, PAGE_SIZE);
	assert_int_equal(page_has_data(page), had);
}

static void unwritten_page_reads_zeros_without_data(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct page *page;
	unsigned long before;

	assert_int_equal(mmap_anon(mm, ADDR, PAGE_SIZE, PROT_RW, MAP_FIXED), ADDR);
	page = fault_unwritten(mm, ADDR);
	before = data_pages(state);
	assert_false(page_has_data(page));
	check_user_page(mm, ADDR, 0, NULL);
	check_dma_page(page, 0, NULL);
	assert_false(page_has_data(page));
	assert_int_equal(data_pages(state), before);
}

/*
 * never written -> CPU write -> fork -> COW -> DMA -> migrate -> free ->
 * reuse, and a second page that is never written beside it.
 */
static void contents_follow_a_page_through_its_life(void **state)
{
	struct mm_struct *mm = fixture_mm(state), *child;
	struct gupsim *sim = fixture_sim(state);
	unsigned long addr2 = ADDR + PAGE_SIZE, base, old_pfn;
	struct page *page, *blank, *pinned[2];

	assert_int_equal(mmap_anon(mm, ADDR, 2 * PAGE_SIZE, PROT_RW, MAP_FIXED), ADDR);
	page = fault_unwritten(mm, ADDR);
	blank = fault_unwritten(mm, addr2);
	base = data_pages(state);

	/* a CPU write gives the page data: one frame, zeros around the bytes */
	write_byte(mm, ADDR + 10, 'c');
	assert_true(page_has_data(page));
	assert_int_equal(data_pages(state), base + 1);
	check_user_page(mm, ADDR, 10, "c");

	/* fork shares both pages (COW): nothing is copied; the child's tables have data */
	child = gupsim_fork(mm);
	assert_false(GUPSIM_IS_ERR_VALUE((unsigned long)child));
	assert_ptr_equal(gupsim_follow_page(child, ADDR), page);
	assert_ptr_equal(gupsim_follow_page(child, addr2), blank);
	assert_true(page_has_data(page));
	assert_false(page_has_data(blank));
	base = data_pages(state) - 1;
	check_user_page(child, ADDR, 10, "c");
	check_user_page(child, addr2, 0, NULL);

	/* COW: the parent's copy of a page with data has data, the child keeps its bytes */
	write_byte(mm, ADDR + 11, 'w');
	assert_ptr_not_equal(gupsim_follow_page(mm, ADDR), page);
	assert_int_equal(data_pages(state), base + 2);
	check_user_page(mm, ADDR, 10, "cw");
	check_user_page(child, ADDR, 10, "c");
	/* ... and the copy of a page without data has none */
	gupsim_kthread_use_mm(mm);
	assert_int_equal(gupsim_pin_user_pages_fast(addr2, 1, FOLL_WRITE, pinned), 1);
	assert_ptr_not_equal(pinned[0], blank);
	assert_false(page_has_data(pinned[0]));
	assert_int_equal(data_pages(state), base + 2);
	gupsim_unpin_user_page(pinned[0]);
	old_pfn = gupsim_page_to_pfn(page);
	gupsim_mm_put(child);
	assert_false(pfn_has_data(sim, old_pfn));	/* the child's 'c' page went */
	base = data_pages(state) - 1;

	/* DMA into a pinned page: the CPU sees the device's bytes */
	page = gupsim_follow_page(mm, ADDR);
	assert_int_equal(gupsim_pin_user_pages_fast(ADDR, 1, FOLL_WRITE, pinned), 1);
	assert_int_equal(gupsim_dma_write(pinned[0], 12, "dma", 3), 3);
	gupsim_unpin_user_page(pinned[0]);
	check_user_page(mm, ADDR, 10, "cwdma");
	check_dma_page(page, 10, "cwdma");

	/* FOLL_LONGTERM migrates both out of ZONE_MOVABLE: bytes and no-data kept */
	assert_int_equal(gupsim_page_zonenum(page), ZONE_MOVABLE);
	old_pfn = gupsim_page_to_pfn(page);
	assert_int_equal(gupsim_pin_user_pages_fast(ADDR, 2, FOLL_WRITE | FOLL_LONGTERM,
						    pinned), 2);
	assert_int_equal(gupsim_page_zonenum(pinned[0]), ZONE_NORMAL);
	assert_int_equal(gupsim_page_zonenum(pinned[1]), ZONE_NORMAL);
	assert_false(pfn_has_data(sim, old_pfn));	/* the source was freed */
	assert_false(page_has_data(pinned[1]));
	assert_int_equal(data_pages(state), base + 1);
	check_dma_page(pinned[0], 10, "cwdma");
	check_dma_page(pinned[1], 0, NULL);
	check_user_page(mm, ADDR, 10, "cwdma");
	check_user_page(mm, addr2, 0, NULL);
	/* a DMA write gives the blank page its data */
	assert_int_equal(gupsim_dma_write(pinned[1], PAGE_SIZE - 2, "z", 2), 2);
	assert_int_equal(data_pages(state), base + 2);
	check_user_page(mm, addr2, PAGE_SIZE - 2, "z");
	gupsim_unpin_user_pages(pinned, 2);
	gupsim_kthread_unuse_mm(mm);
}

/* Freeing drops the contents without touching the frame; a reused frame reads zeros. */
static void freed_page_is_reused_with_zeros(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct gupsim *sim = fixture_sim(state);
	unsigned long base, pfn;
	struct page *page;

	assert_int_equal(mmap_anon(mm, ADDR, PAGE_SIZE, PROT_RW, MAP_FIXED), ADDR);
	page = fault_unwritten(mm, ADDR);
	base = data_pages(state);
	write_byte(mm, ADDR + 100, 0x5a);
	pfn = gupsim_page_to_pfn(page);
	assert_int_equal(data_pages(state), base + 1);

	assert_int_equal(gupsim_madvise(mm, ADDR, PAGE_SIZE, MADV_DONTNEED), 0);
	assert_false(pfn_has_data(sim, pfn));
	assert_int_equal(data_pages(state), base);
	assert_int_equal(pfn_mem(sim, pfn)[100], 0x5a);	/* the frame was not touched */

	/* the allocator hands the same frame out again: it reads zeros */
	page = fault_unwritten(mm, ADDR);
	assert_int_equal(gupsim_page_to_pfn(page), pfn);
	assert_false(page_has_data(page));
	check_user_page(mm, ADDR, 0, NULL);
	/* and its first write zeroes the old bytes away */
	write_byte(mm, ADDR + 7, 1);
	check_user_page(mm, ADDR, 7, "\001");
}

/* Frames that host memory backs (mincore), among the @nr from @pfn. */
static unsigned long resident_frames(struct gupsim *sim, unsigned long pfn, unsigned long nr)
{
	long host_page = sysconf(_SC_PAGESIZE);
	size_t len = nr * PAGE_SIZE, n = len / (size_t)host_page;
	unsigned char *vec = calloc(n, 1);
	unsigned long resident = 0;

	assert_non_null(vec);
	assert_int_equal(mincore(pfn_mem(sim, pfn), len, vec), 0);
	for (size_t i = 0; i < n; i++)
		resident += vec[i] & 1;
	free(vec);
	return resident;
}

/* Pinning memory nobody writes costs no frames on the host. */
static void unwritten_pinned_memory_has_no_frames(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct gupsim *sim = fixture_sim(state);
	enum { NR = 512 };
	static struct page *pages[NR];
	unsigned long base = data_pages(state);

	assert_int_equal(mmap_anon(mm, ADDR, NR * PAGE_SIZE, PROT_RW, MAP_FIXED), ADDR);
	gupsim_kthread_use_mm(mm);
	assert_int_equal(gupsim_pin_user_pages_fast(ADDR, NR, FOLL_WRITE | FOLL_LONGTERM,
						    pages), NR);
	gupsim_kthread_unuse_mm(mm);
	/* only the page tables the fault needed got data */
	assert_in_range(data_pages(state) - base, 1, 3);
	for (int i = 0; i < NR; i++) {
		assert_false(page_has_data(pages[i]));
		assert_int_equal(resident_frames(sim, gupsim_page_to_pfn(pages[i]), 1), 0);
	}
	gupsim_unpin_user_pages(pages, NR);
}

/*
 * Freed frames go back to the host in batches of RELEASE_BATCH 2 MiB
 * chunks, once each chunk is wholly free: not one madvise() per page.
 */
static void freed_chunks_go_back_to_the_host_in_batches(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folios[RELEASE_BATCH];
	unsigned long pfn[RELEASE_BATCH];

	for (int i = 0; i < RELEASE_BATCH; i++) {
		folios[i] = gupsim_folio_alloc(sim, HPAGE_PMD_ORDER, GUPSIM_ALLOC_MOVABLE);
		assert_non_null(folios[i]);
		pfn[i] = gupsim_page_to_pfn(&folios[i]->page);
		for (int j = 0; j < HPAGE_PMD_NR; j++)
			assert_int_equal(gupsim_dma_write(folio_page(folios[i], j), 0, "x", 1), 1);
		assert_int_equal(resident_frames(sim, pfn[i], HPAGE_PMD_NR), HPAGE_PMD_NR);
	}
	/* freed: the contents are gone at once, the host memory not yet */
	for (int i = 0; i < RELEASE_BATCH - 1; i++) {
		gupsim_folio_put(folios[i]);
		assert_false(pfn_has_data(sim, pfn[i]));
		assert_int_not_equal(resident_frames(sim, pfn[i], HPAGE_PMD_NR), 0);
	}
	/* the batch is full: every chunk goes back in one go */
	gupsim_folio_put(folios[RELEASE_BATCH - 1]);
	for (int i = 0; i < RELEASE_BATCH; i++)
		assert_int_equal(resident_frames(sim, pfn[i], HPAGE_PMD_NR), 0);
	/* and a frame of a released chunk reads zeros, with or without data */
	folios[0] = gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_MOVABLE);
	assert_non_null(folios[0]);
	assert_int_equal(((unsigned char *)page_address(&folios[0]->page))[0], 0);
	gupsim_folio_put(folios[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(unwritten_page_reads_zeros_without_data,
						setup_movable, mm_teardown),
		cmocka_unit_test_setup_teardown(contents_follow_a_page_through_its_life,
						setup_movable, mm_teardown),
		cmocka_unit_test_setup_teardown(freed_page_is_reused_with_zeros,
						setup_movable, mm_teardown),
		cmocka_unit_test_setup_teardown(unwritten_pinned_memory_has_no_frames,
						setup_movable, mm_teardown),
		cmocka_unit_test_setup_teardown(freed_chunks_go_back_to_the_host_in_batches,
						setup_movable, mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
