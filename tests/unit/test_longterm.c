// SPDX-License-Identifier: MIT
/*
 * FOLL_LONGTERM (semantics.md §4): pins of ZONE_MOVABLE and CMA folios are
 * dropped, the folios migrated with their contents and mappings, and the
 * range pinned again; fsdax, dirty-tracked files and P2PDMA have their own
 * answers; memfd_pin_folios() pins one per folio (semantics.md §4.7).
 */
#include "gup_fixture.h"

#define PROT_RW	(PROT_READ | PROT_WRITE)

static int setup_movable(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.movable_mb = 32;
	cfg.hugetlb_2m_pages = 2;	/* allocated movable: they land in ZONE_MOVABLE */
	return gup_fx_setup_cfg(state, &cfg);
}

static int setup_cma(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.cma_mb = 16;
	return gup_fx_setup_cfg(state, &cfg);
}

static int setup_device(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.device_mb = 4;
	return gup_fx_setup_cfg(state, &cfg);
}

static bool pinnable_zone(struct page *page)
{
	return gupsim_page_zonenum(page) == ZONE_NORMAL && !gupsim_is_migrate_cma_page(page);
}

/* Write a distinct byte to each page so that a migration must copy. */
static void fill(struct gup_fx *fx, unsigned long addr, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		unsigned char byte = (unsigned char)(0x30 + i);

		assert_int_equal(gupsim_write(fx->mm, addr + i * PAGE_SIZE + 17, &byte, 1), 1);
	}
}

static void check_contents(struct gup_fx *fx, unsigned long addr, unsigned long nr,
			   struct page **pages)
{
	for (unsigned long i = 0; i < nr; i++) {
		unsigned char *kaddr = gupsim_page_address(pages[i]);

		assert_int_equal(kaddr[17], 0x30 + i);
		assert_int_equal(fx_peek(fx, addr + i * PAGE_SIZE + 17), 0x30 + i);
		/* the process maps what is pinned */
		assert_ptr_equal(fx_page(fx, addr + i * PAGE_SIZE), pages[i]);
	}
}

/* semantics.md §4.2/§4.3: movable anon pages are migrated, then pinned; counts per round. */
static void movable_anon_pages_migrate(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 4);
	struct page *pages[4];
	struct page *before;

	fill(fx, addr, 4);
	before = fx_page(fx, addr);
	assert_int_equal(gupsim_page_zonenum(before), ZONE_MOVABLE);
	/* a short-term pin leaves it where it is */
	assert_int_equal(fx_pup(fx, addr, 4, 0, pages), 4);
	assert_ptr_equal(pages[0], before);
	gupsim_unpin_user_pages(pages, 4);

	assert_int_equal(fx_pup(fx, addr, 4, FOLL_LONGTERM | FOLL_WRITE, pages), 4);
	for (int i = 0; i < 4; i++) {
		assert_true(pinnable_zone(pages[i]));
		assert_int_equal(fx_ref(pages[i]), 1 + 1024);
		assert_true(gupsim_PageAnonExclusive(pages[i]));
	}
	check_contents(fx, addr, 4, pages);
	assert_int_equal(STAT(fx, GUPSIM_NR_LONGTERM_MIGRATIONS), 4);
	assert_int_equal(STAT(fx, GUPSIM_NR_LONGTERM_RETRIES), 1);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_SUCCESS), 4);
	/* first round: 4 pinned and dropped; second round: 4 kept (+ 4 short-term) */
	assert_int_equal(ACQ(fx), 4 + 4 + 4);
	assert_int_equal(REL(fx), 4 + 4);
	/* a second long-term pin finds pinnable pages: no migration */
	gupsim_unpin_user_pages(pages, 4);
	assert_int_equal(fx_pup(fx, addr, 4, FOLL_LONGTERM, pages), 4);
	assert_int_equal(STAT(fx, GUPSIM_NR_LONGTERM_MIGRATIONS), 4);
	gupsim_unpin_user_pages(pages, 4);
	assert_int_equal(ACQ(fx), REL(fx));
	/* the scope of memalloc_pin_save() ended */
	assert_int_equal(gupsim_current()->flags & PF_MEMALLOC_PIN, 0);
}

/* One GUPSIM_TRACE_MIGRATE record per folio moved, old and new pfn. */
struct migrate_trace {
	int events;
	unsigned long pfn, new_pfn, nr;
};

static void migrate_trace_fn(void *arg, const struct gupsim_trace_record *rec)
{
	struct migrate_trace *t = arg;

	if (rec->event != GUPSIM_TRACE_MIGRATE)
		return;
	t->events++;
	t->pfn = rec->pfn;
	t->new_pfn = rec->new_pfn;
	t->nr = rec->nr;
}

static void migration_is_traced(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct migrate_trace t = { 0 };
	struct page *pages[1];
	unsigned long old;

	fill(fx, addr, 1);
	old = gupsim_page_to_pfn(fx_page(fx, addr));
	gupsim_set_trace(fx->sim, migrate_trace_fn, &t);
	assert_int_equal(fx_pup(fx, addr, 1, FOLL_LONGTERM, pages), 1);
	gupsim_set_trace(fx->sim, NULL, NULL);
	assert_int_equal(t.events, 1);
	assert_int_equal(t.pfn, old);
	assert_int_equal(t.new_pfn, gupsim_page_to_pfn(pages[0]));
	assert_int_equal(t.nr, 1);
	gupsim_unpin_user_page(pages[0]);
}

/* The fast path refuses unpinnable folios without counting (semantics.md §2.2). */
static void fast_longterm_migrates_through_slow_path(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct page *pages[2];

	fill(fx, addr, 2);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 2, FOLL_LONGTERM | FOLL_WRITE, pages), 2);
	assert_int_equal(STAT(fx, GUPSIM_NR_GUP_FAST_FALLBACKS), 1);
	assert_true(pinnable_zone(pages[0]) && pinnable_zone(pages[1]));
	check_contents(fx, addr, 2, pages);
	/* fast: no count; slow round 1: 2 + 2 released; round 2: 2 */
	assert_int_equal(ACQ(fx), 4);
	assert_int_equal(REL(fx), 2);
	gupsim_unpin_user_pages(pages, 2);
}

static void movable_thp_migrates_as_thp(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_thp(fx, 1);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct folio *old, *new_;

	fill(fx, addr, 3);
	old = gupsim_page_folio(fx_page(fx, addr));
	assert_int_equal(gupsim_folio_order(old), HPAGE_PMD_ORDER);
	assert_int_equal(gupsim_page_zonenum(&old->page), ZONE_MOVABLE);
	assert_int_equal(fx_pup(fx, addr, HPAGE_PMD_NR, FOLL_LONGTERM, pages), HPAGE_PMD_NR);
	new_ = gupsim_page_folio(pages[0]);
	assert_ptr_not_equal(new_, old);
	assert_int_equal(gupsim_folio_order(new_), HPAGE_PMD_ORDER);
	assert_true(pinnable_zone(pages[0]));
	assert_int_equal(gupsim_folio_pincount(new_), HPAGE_PMD_NR);
	assert_int_equal(gupsim_folio_ref_count(new_), 1 + HPAGE_PMD_NR);
	check_contents(fx, addr, 3, pages);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_SUCCESS), HPAGE_PMD_NR);
	gupsim_unpin_user_pages(pages, HPAGE_PMD_NR);
	free(pages);
}

/* hugetlb pool pages in ZONE_MOVABLE move to a fresh hugetlb folio (semantics.md §4.4). */
static void movable_hugetlb_migrates(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_mmap(fx, PMD_SIZE, PROT_RW,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, NULL);
	struct page *pages[8];
	struct folio *old, *new_;

	fill(fx, addr, 8);
	old = gupsim_page_folio(fx_page(fx, addr));
	assert_true(gupsim_folio_test_hugetlb(old));
	assert_int_equal(gupsim_page_zonenum(&old->page), ZONE_MOVABLE);
	assert_int_equal(fx_pup(fx, addr, 8, FOLL_LONGTERM, pages), 8);
	new_ = gupsim_page_folio(pages[0]);
	assert_ptr_not_equal(new_, old);
	assert_true(gupsim_folio_test_hugetlb(new_));
	assert_true(pinnable_zone(pages[0]));
	assert_int_equal(gupsim_folio_pincount(new_), 8);
	check_contents(fx, addr, 8, pages);
	gupsim_unpin_user_pages(pages, 8);
}

/* A shmem page-cache folio: the cache and every mapping move to the copy. */
static void movable_shmem_page_cache_moves(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *file = gupsim_file_create(fx->sim, GUPSIM_FILE_SHMEM, "shm", 2 * PAGE_SIZE);
	unsigned long a = fx_mmap(fx, 2 * PAGE_SIZE, PROT_RW, MAP_SHARED, file);
	unsigned long b = fx_mmap(fx, 2 * PAGE_SIZE, PROT_RW, MAP_SHARED, file);
	struct page *pages[2];
	struct page *old;

	fill(fx, a, 2);
	fx_read_fault(fx, b, 2);
	old = fx_page(fx, a);
	assert_ptr_equal(fx_page(fx, b), old);
	assert_int_equal(gupsim_page_zonenum(old), ZONE_MOVABLE);
	assert_int_equal(fx_pup(fx, a, 2, FOLL_LONGTERM | FOLL_WRITE, pages), 2);
	assert_true(pinnable_zone(pages[0]));
	check_contents(fx, a, 2, pages);
	/* the other mapping follows, and writes through it reach the pinned page */
	assert_ptr_equal(fx_page(fx, b), pages[0]);
	fx_touch(fx, b + PAGE_SIZE, 1, 0xee);
	assert_int_equal(((unsigned char *)gupsim_page_address(pages[1]))[0], 0xee);
	gupsim_unpin_user_pages(pages, 2);
	gupsim_file_put(file);
}

static void cma_pages_migrate(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct page *pages[2];

	fill(fx, addr, 2);
	assert_true(gupsim_is_migrate_cma_page(fx_page(fx, addr)));
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 2, FOLL_LONGTERM, pages), 2);
	assert_false(gupsim_is_migrate_cma_page(pages[0]));
	assert_false(gupsim_is_migrate_cma_page(pages[1]));
	check_contents(fx, addr, 2, pages);
	assert_int_equal(STAT(fx, GUPSIM_NR_LONGTERM_MIGRATIONS), 2);
	gupsim_unpin_user_pages(pages, 2);
}

/* semantics.md §4.3: no pinnable memory for the copy: -ENOMEM and no pin left. */
static void migration_without_memory_is_enomem(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 2);
	struct folio *hog[64];
	struct page *pages[2];
	struct page *before;
	int nhog = 0;

	fill(fx, addr, 2);
	before = fx_page(fx, addr);
	/* eat ZONE_NORMAL, largest blocks first */
	for (int order = HPAGE_PUD_ORDER; order >= 0 && nhog < 64; ) {
		struct folio *f = gupsim_folio_alloc(fx->sim, (unsigned int)order,
						     GUPSIM_ALLOC_NOWARN);

		if (f)
			hog[nhog++] = f;
		else
			order--;
	}
	assert_int_equal(gupsim_zone_free_pages(fx->sim, ZONE_NORMAL), 0);
	assert_int_equal(fx_pup(fx, addr, 2, FOLL_LONGTERM, pages), -ENOMEM);
	assert_int_equal(ACQ(fx), REL(fx));
	assert_int_equal(fx_ref(before), 1);
	assert_ptr_equal(fx_page(fx, addr), before);
	assert_int_equal(fx_peek(fx, addr + 17), 0x30);
	assert_int_equal(STAT(fx, GUPSIM_NR_PGMIGRATE_FAIL), 1);
	for (int i = 0; i < nhog; i++)
		gupsim_folio_put(hog[i]);
	/* with memory back, it works */
	assert_int_equal(fx_pup(fx, addr, 2, FOLL_LONGTERM, pages), 2);
	gupsim_unpin_user_pages(pages, 2);
}

/* A folio with an extra reference cannot move: busy, then -ENOMEM. */
static void busy_folio_fails_migration(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long addr = fx_map_anon(fx, 1);
	struct page *pages[1], *held[1];

	fill(fx, addr, 1);
	assert_int_equal(fx_gup(fx, addr, 1, 0, held), 1);
	assert_int_equal(fx_pup(fx, addr, 1, FOLL_LONGTERM, pages), -ENOMEM);
	assert_ptr_equal(fx_page(fx, addr), held[0]);
	assert_int_equal(fx_ref(held[0]), 2);
	assert_int_equal(ACQ(fx), REL(fx));
	gupsim_put_page(held[0]);
}

/* semantics.md §4.6: P2PDMA pages need FOLL_PCI_P2PDMA (and never FOLL_LONGTERM). */
static void p2pdma_needs_its_flag(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *bar = gupsim_file_create(fx->sim, GUPSIM_FILE_P2PDMA, "bar", PAGE_SIZE);
	unsigned long addr = fx_mmap(fx, PAGE_SIZE, PROT_RW, MAP_SHARED, bar);
	struct page *pages[1];

	fx_touch(fx, addr, 1, 1);
	assert_int_equal(fx_pup(fx, addr, 1, 0, pages), -EREMOTEIO);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, 0, pages), -EREMOTEIO);
	assert_int_equal(fx_gup(fx, addr, 1, 0, pages), -EREMOTEIO);
	assert_int_equal(ACQ(fx), 0);
	assert_int_equal(gupsim_pin_user_pages_fast(addr, 1, FOLL_PCI_P2PDMA, pages), 1);
	assert_int_equal(gupsim_page_zonenum(pages[0]), ZONE_DEVICE);
	gupsim_unpin_user_page(pages[0]);
	assert_int_equal(ACQ(fx), 1);
	gupsim_file_put(bar);
}

/* ---- memfd_pin_folios() (semantics.md §4.7) ---- */

static void memfd_pin_folios_one_pin_per_folio(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *memfd = gupsim_file_create(fx->sim, GUPSIM_FILE_MEMFD, "m", 8 * PAGE_SIZE);
	struct folio *folios[8];
	pgoff_t offset = 99;
	long n;

	SKIP_BEFORE_KERNEL(6, 11);	/* no memfd_pin_folios() before v6.11 */
	n = gupsim_memfd_pin_folios(memfd, 100, 3 * PAGE_SIZE + 5, folios, 8, &offset);
	assert_int_equal(n, 4);
	assert_int_equal(offset, 100);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(gupsim_folio_ref_count(folios[i]), 1 + 1024);	/* cache + pin */
		assert_true(pinnable_zone(&folios[i]->page));
	}
	assert_int_equal(ACQ(fx), 4);
	/* no mm is involved */
	assert_false(gupsim_mm_has_pinned(fx->mm));
	gupsim_unpin_folios(folios, (unsigned long)n);
	assert_int_equal(REL(fx), 4);

	/* max_folios caps the count */
	n = gupsim_memfd_pin_folios(memfd, 0, 8 * PAGE_SIZE - 1, folios, 3, &offset);
	assert_int_equal(n, 3);
	assert_int_equal(offset, 0);
	gupsim_unpin_folios(folios, 3);
	gupsim_file_put(memfd);
}

static void memfd_pin_folios_bad_arguments(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *memfd = gupsim_file_create(fx->sim, GUPSIM_FILE_MEMFD, "m", 4 * PAGE_SIZE);
	struct file *reg = gupsim_file_create(fx->sim, GUPSIM_FILE_REGULAR, "r", 4 * PAGE_SIZE);
	struct folio *folios[4];
	pgoff_t offset;

	SKIP_BEFORE_KERNEL(6, 11);	/* no memfd_pin_folios() before v6.11 */
	assert_int_equal(gupsim_memfd_pin_folios(memfd, -1, 10, folios, 4, &offset), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 10, 9, folios, 4, &offset), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 10, folios, 0, &offset), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(NULL, 0, 10, folios, 4, &offset), -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(reg, 0, 10, folios, 4, &offset), -EINVAL);
	/* end is inclusive and must be inside the file */
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 4 * PAGE_SIZE, folios, 4, &offset),
			 -EINVAL);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 4 * PAGE_SIZE - 1, folios, 4, &offset),
			 4);
	gupsim_unpin_folios(folios, 4);
	assert_int_equal(ACQ(fx), 4);
	assert_int_equal(REL(fx), 4);
	gupsim_file_put(memfd);
	gupsim_file_put(reg);
}

/* Pages already in ZONE_MOVABLE are migrated; a huge folio is one pin. */
static void memfd_pin_folios_migrates_and_hugetlb(void **state)
{
	struct gup_fx *fx = FX(state);
	struct file *memfd = gupsim_file_create(fx->sim, GUPSIM_FILE_MEMFD, "m", 2 * PAGE_SIZE);
	struct file *huge = gupsim_file_create(fx->sim, GUPSIM_FILE_HUGETLBFS, "h", PMD_SIZE);
	unsigned long addr = fx_mmap(fx, 2 * PAGE_SIZE, PROT_RW, MAP_SHARED, memfd);
	struct folio *folios[2];
	pgoff_t offset;

	SKIP_BEFORE_KERNEL(6, 11);	/* no memfd_pin_folios() before v6.11 */
	fill(fx, addr, 2);
	assert_int_equal(gupsim_page_zonenum(fx_page(fx, addr)), ZONE_MOVABLE);
	assert_int_equal(gupsim_memfd_pin_folios(memfd, 0, 2 * PAGE_SIZE - 1, folios, 2, &offset),
			 2);
	assert_true(pinnable_zone(&folios[0]->page));
	assert_ptr_equal(fx_page(fx, addr), &folios[0]->page);
	assert_int_equal(fx_peek(fx, addr + PAGE_SIZE + 17), 0x31);
	assert_int_equal(STAT(fx, GUPSIM_NR_LONGTERM_MIGRATIONS), 2);
	gupsim_unpin_folios(folios, 2);

	assert_int_equal(gupsim_memfd_pin_folios(huge, 5000, PMD_SIZE - 1, folios, 2, &offset), 1);
	assert_true(gupsim_folio_test_hugetlb(folios[0]));
	assert_int_equal(offset, 5000);
	assert_int_equal(gupsim_folio_pincount(folios[0]), 1);
	/* iommufd-style: one pin per page on top */
	assert_int_equal(gupsim_folio_add_pins(folios[0], 511), 0);
	assert_int_equal(gupsim_folio_pincount(folios[0]), 512);
	gupsim_unpin_user_folio(folios[0], 512);
	gupsim_file_put(memfd);
	gupsim_file_put(huge);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, gup_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(movable_anon_pages_migrate, setup_movable),
		T(migration_is_traced, setup_movable),
		T(fast_longterm_migrates_through_slow_path, setup_movable),
		T(movable_thp_migrates_as_thp, setup_movable),
		T(movable_hugetlb_migrates, setup_movable),
		T(movable_shmem_page_cache_moves, setup_movable),
		T(cma_pages_migrate, setup_cma),
		T(migration_without_memory_is_enomem, setup_movable),
		T(busy_folio_fails_migration, setup_movable),
		T(p2pdma_needs_its_flag, setup_device),
		T(memfd_pin_folios_one_pin_per_folio, gup_fx_setup),
		T(memfd_pin_folios_bad_arguments, gup_fx_setup),
		T(memfd_pin_folios_migrates_and_hugetlb, setup_movable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
