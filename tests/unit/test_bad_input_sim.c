// SPDX-License-Identifier: MIT
/*
 * Bad-input survey, part 2: the machine (configuration, creation and
 * teardown), the allocator and pfn lookups, vmstat, tracing, the log, the
 * DMA device and files. Impossible configurations fail with EINVAL/ENOMEM
 * and leak nothing (the asan preset runs the leak checker); out-of-range
 * lookups return NULL; every other misuse gives the documented errno.
 */
#include <sys/mman.h>

#include "bad_input.h"

static struct gupsim *create_with(void (*tweak)(struct gupsim_config *cfg))
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	tweak(&cfg);
	errno = 0;
	return gupsim_create(&cfg);
}

#define EXPECT_CREATE_FAILS(err, body)					\
	do {								\
		struct gupsim_config cfg;				\
		struct gupsim *sim;					\
									\
		gupsim_config_init(&cfg);				\
		cfg.normal_mb = 16;					\
		body;							\
		errno = 0;						\
		sim = gupsim_create(&cfg);				\
		if (sim) {						\
			gupsim_destroy(sim);				\
			fail_msg("created with: %s", #body);		\
		}							\
		if (errno != (err))					\
			fail_msg("%s: errno %d, expected %d", #body, errno, (err)); \
	} while (0)

static void config_init_null_is_ignored(void **state)
{
	(void)state;
	gupsim_config_init(NULL);
}

static void impossible_configurations_fail_with_einval(void **state)
{
	(void)state;
	EXPECT_CREATE_FAILS(EINVAL, cfg.size = 0);
	EXPECT_CREATE_FAILS(EINVAL, cfg.size = sizeof(size_t));
	EXPECT_CREATE_FAILS(EINVAL, cfg.normal_mb = 0);
	EXPECT_CREATE_FAILS(EINVAL, cfg.normal_mb = 3);
	EXPECT_CREATE_FAILS(EINVAL, cfg.normal_mb = ULONG_MAX);
	EXPECT_CREATE_FAILS(EINVAL, cfg.normal_mb = (4UL << 20) + 2);	/* > 4 TiB */
	EXPECT_CREATE_FAILS(EINVAL, cfg.movable_mb = 3);
	EXPECT_CREATE_FAILS(EINVAL, cfg.movable_mb = ULONG_MAX - 1);
	EXPECT_CREATE_FAILS(EINVAL, cfg.device_mb = 1);
	EXPECT_CREATE_FAILS(EINVAL, cfg.device_mb = ULONG_MAX - 1);
	EXPECT_CREATE_FAILS(EINVAL, cfg.cma_mb = 3);
	EXPECT_CREATE_FAILS(EINVAL, cfg.cma_mb = 16);	/* leaves NORMAL nothing */
	EXPECT_CREATE_FAILS(EINVAL, cfg.cma_mb = ULONG_MAX - 1);
	EXPECT_CREATE_FAILS(EINVAL, cfg.thp = (enum gupsim_thp_mode)3);
	EXPECT_CREATE_FAILS(EINVAL, cfg.thp = (enum gupsim_thp_mode)-1);
	EXPECT_CREATE_FAILS(EINVAL, cfg.mthp_orders = 1UL << 1);
	EXPECT_CREATE_FAILS(EINVAL, cfg.mthp_orders = 1UL << 9);
	EXPECT_CREATE_FAILS(EINVAL, cfg.mthp_orders = ULONG_MAX);
}

/* Sizes whose sum wraps around must not pass the total's check. */
static void zone_sizes_that_wrap_fail_with_einval(void **state)
{
	(void)state;
	/* 1024 + (2^64 - 1024) + 2048 = 2048 (mod 2^64) */
	EXPECT_CREATE_FAILS(EINVAL, (cfg.normal_mb = 1024, cfg.movable_mb = 0 - 1024UL,
				     cfg.device_mb = 2048));
	EXPECT_CREATE_FAILS(EINVAL, (cfg.normal_mb = 1024, cfg.device_mb = 0 - 1024UL,
				     cfg.movable_mb = 2048));
	/* cma_mb + 2 wraps to 0 */
	EXPECT_CREATE_FAILS(EINVAL, cfg.cma_mb = 0 - 2UL);
}

static void hugetlb_pools_larger_than_memory_fail_with_enomem(void **state)
{
	(void)state;
	EXPECT_CREATE_FAILS(ENOMEM, cfg.hugetlb_2m_pages = ULONG_MAX);
	EXPECT_CREATE_FAILS(ENOMEM, cfg.hugetlb_1g_pages = ULONG_MAX);
	EXPECT_CREATE_FAILS(ENOMEM, cfg.hugetlb_1g_pages = 1);
	/* exactly the whole memory: the zero page already took one page */
	EXPECT_CREATE_FAILS(ENOMEM, cfg.hugetlb_2m_pages = 8);
}

static void set_big_size(struct gupsim_config *cfg)
{
	cfg->size = SIZE_MAX;	/* a newer caller: the fields we know are used */
}

static void config_from_a_newer_caller_is_accepted(void **state)
{
	struct gupsim *sim = create_with(set_big_size);

	(void)state;
	assert_non_null(sim);
	assert_int_equal(gupsim_nr_free_pages(sim), 16 * 256 - 1);
	gupsim_destroy(sim);
}

static void null_machine_calls_are_harmless(void **state)
{
	(void)state;
	gupsim_destroy(NULL);
	gupsim_set_warn_handler(NULL, NULL, NULL);
	gupsim_set_log(NULL, stdout);
	gupsim_set_trace(NULL, gupsim_trace_print, NULL);
	assert_int_equal(gupsim_vmstat(NULL, GUPSIM_NR_FOLL_PIN_ACQUIRED), 0);
	assert_int_equal(gupsim_vmstat_print(NULL, stdout), -EINVAL);
	assert_int_equal(gupsim_nr_free_pages(NULL), 0);
	assert_int_equal(gupsim_zone_free_pages(NULL, ZONE_NORMAL), 0);
	assert_null(gupsim_pfn_to_page(NULL, 0));
	errno = 0;
	assert_null(gupsim_folio_alloc(NULL, 0, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(NULL, GUPSIM_FILE_SHMEM, "x", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_mm_create(NULL));
	assert_int_equal(errno, EINVAL);
	assert_non_null(gupsim_version());
	assert_int_equal(gupsim_vmstat_name((enum gupsim_vmstat_item)-1), NULL);
	assert_int_equal(gupsim_vmstat_name(GUPSIM_NR_VMSTAT_ITEMS), NULL);
}

static void vmstat_unknown_items_and_bad_streams(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	FILE *ro = fopen("/dev/null", "r");

	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_VMSTAT_ITEMS), 0);
	assert_int_equal(gupsim_vmstat(sim, (enum gupsim_vmstat_item)-1), 0);
	assert_int_equal(gupsim_vmstat(sim, (enum gupsim_vmstat_item)INT_MAX), 0);
	assert_int_equal(gupsim_vmstat_print(sim, NULL), -EINVAL);
	assert_non_null(ro);
	assert_true(gupsim_vmstat_print(sim, ro) < 0);	/* the write error */
	fclose(ro);
	bi_expect_warns(state, 0);
}

static void trace_print_copes_with_bad_records(void **state)
{
	struct gupsim_trace_record rec = { .event = (enum gupsim_trace_event)1000,
					   .addr = 0x1000, .ret = -14 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(out);
	gupsim_trace_print(out, NULL);
	gupsim_trace_print(out, &rec);
	rec.event = (enum gupsim_trace_event)-1;
	rec.name = "";
	gupsim_trace_print(out, &rec);
	fclose(out);
	assert_non_null(strstr(buf, "gupsim_unknown: "));
	assert_non_null(strstr(buf, "ret=-14"));
	assert_int_equal(buf[len - 1], '\n');
	free(buf);
}

/* Out-of-range pfns are NULL; every pfn inside the machine is a valid,
 * initialised struct page, free or not (the memmap is touched lazily). */
static void pfn_to_page_range_and_untouched_pages(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long nr = 64 * 256;	/* the fixture's 64 MiB */
	struct bi_snapshot s;
	struct page *page;

	assert_null(gupsim_pfn_to_page(sim, nr));
	assert_null(gupsim_pfn_to_page(sim, ULONG_MAX));
	assert_null(gupsim_pfn_to_page_current(0));	/* no current->mm */
	bi_snap(sim, &s);
	page = gupsim_pfn_to_page(sim, nr - 3);
	assert_non_null(page);
	assert_int_equal(gupsim_page_to_pfn(page), nr - 3);
	assert_int_equal(gupsim_page_count(page), 0);
	assert_int_equal(gupsim_page_mapcount(page), 0);
	assert_int_equal(gupsim_page_zonenum(page), ZONE_NORMAL);
	assert_false(gupsim_is_zero_page(page));
	assert_false(gupsim_folio_maybe_dma_pinned(gupsim_page_folio(page)));
	assert_non_null(gupsim_page_address(page));
	/* misuse of a free page is reported, and the machine stays as it was */
	gupsim_get_page(page);
	gupsim_put_page(page);
	gupsim_unpin_user_page(page);
	gupsim_unpin_user_page_range_dirty_lock(page, 3, true);
	gupsim_unpin_user_page_range_dirty_lock(page, 4, false);	/* past the end */
	bi_expect_warns(state, 7);
	assert_false(gupsim_folio_test_dirty(gupsim_page_folio(page)));
	assert_int_equal(gupsim_page_count(page), 0);
	bi_assert_unchanged(sim, &s);
}

static void pfn_to_page_in_movable_and_device_zones(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long normal = 16 * 256, movable = 8 * 256;
	struct page *page;

	page = gupsim_pfn_to_page(sim, normal + movable - 1);
	assert_non_null(page);
	assert_int_equal(gupsim_page_zonenum(page), ZONE_MOVABLE);
	assert_int_equal(gupsim_page_mapcount(page), 0);
	page = gupsim_pfn_to_page(sim, normal + movable + 1);
	assert_non_null(page);
	assert_int_equal(gupsim_page_zonenum(page), ZONE_DEVICE);
	assert_int_equal(gupsim_page_to_pfn(page), normal + movable + 1);
	assert_null(gupsim_pfn_to_page(sim, normal + movable + 4 * 256));
	bi_expect_warns(state, 0);
}

static int zones_setup(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.movable_mb = 8;
	cfg.device_mb = 4;
	return sim_setup_cfg(state, &cfg);
}

static void folio_alloc_bad_orders_and_flags(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct bi_snapshot s;

	bi_snap(sim, &s);
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, 19, 0));	/* > MAX_PAGE_ORDER */
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, UINT_MAX, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, 0, 1u << 31));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_ONLY_MOVABLE | GUPSIM_ALLOC_ONLY_CMA));
	assert_int_equal(errno, EINVAL);
	/* possible orders that do not fit: ENOMEM, no WARN */
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, 18, 0));	/* 1 GiB in 64 MiB */
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_ONLY_MOVABLE));	/* no MOVABLE */
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_ONLY_CMA));	/* no CMA */
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(gupsim_zone_free_pages(sim, ZONE_DEVICE), 0);
	assert_int_equal(gupsim_zone_free_pages(sim, (enum zone_type)99), 0);
	assert_int_equal(gupsim_zone_free_pages(sim, (enum zone_type)-1), 0);
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);
}

/* Memory exhausted: ENOMEM, and the huge zero folio is simply absent. */
static void exhausted_memory_gives_enomem(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long nfree = gupsim_nr_free_pages(sim);
	struct folio **all = calloc(nfree + 1, sizeof(*all));
	unsigned long n = 0;

	assert_non_null(all);
	while ((all[n] = gupsim_folio_alloc(sim, 0, 0)) != NULL)
		n++;
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(n, nfree);
	assert_int_equal(gupsim_nr_free_pages(sim), 0);
	assert_null(gupsim_huge_zero_folio(sim));
	errno = 0;
	assert_null(gupsim_mm_create(sim));	/* no page for its page table */
	assert_int_equal(errno, ENOMEM);
	while (n)
		gupsim_folio_put(all[--n]);
	free(all);
	assert_int_equal(gupsim_nr_free_pages(sim), nfree);
	bi_expect_warns(state, 0);
}

static void dma_bad_arguments_are_einval(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = gupsim_folio_alloc(sim, 1, GUPSIM_ALLOC_ZERO);
	char buf[16] = "0123456789abcde";
	struct bi_snapshot s;

	assert_non_null(f);
	bi_snap(sim, &s);
	assert_int_equal(gupsim_dma_write(NULL, 0, buf, 1), -EINVAL);
	assert_int_equal(gupsim_dma_read(NULL, 0, buf, 1), -EINVAL);
	assert_int_equal(gupsim_dma_write(&f->page, 0, NULL, 1), -EINVAL);
	assert_int_equal(gupsim_dma_read(&f->page, 0, NULL, 1), -EINVAL);
	assert_int_equal(gupsim_dma_write(&f->page, 2 * PAGE_SIZE, buf, 1), -EINVAL);
	assert_int_equal(gupsim_dma_write(&f->page, 2 * PAGE_SIZE - 1, buf, 2), -EINVAL);
	assert_int_equal(gupsim_dma_write(&f->page + 1, PAGE_SIZE, buf, 1), -EINVAL);
	assert_int_equal(gupsim_dma_write(&f->page, SIZE_MAX, buf, 2), -EINVAL);
	assert_int_equal(gupsim_dma_write(&f->page, 1, buf, SIZE_MAX), -EINVAL);
	assert_int_equal(gupsim_dma_read(&f->page, 0, buf, (size_t)LONG_MAX + 1), -EINVAL);
	/* the largest legal access: up to the folio's end, from a tail page */
	assert_int_equal(gupsim_dma_write(&f->page + 1, PAGE_SIZE - 16, buf, 16), 16);
	assert_int_equal(gupsim_dma_write(&f->page, 0, buf, 0), 0);
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);	/* no debug_pins: unchecked */
	gupsim_folio_put(f);
}

/* With debug_pins: DMA to a freed or unpinned folio is reported, once. */
static void dma_to_freed_folio_is_reported_by_pin_sanitizer(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *f = gupsim_folio_alloc(sim, 0, 0);
	unsigned long before;
	char buf[8] = { 0 };

	assert_non_null(f);
	assert_int_equal(gupsim_dma_read(&f->page, 0, buf, 8), 8);	/* not pinned */
	bi_expect_warn_text(state, "holds no pin");
	bi_expect_warns(state, 1);
	gupsim_folio_put(f);
	before = gupsim_vmstat(sim, GUPSIM_NR_PIN_SANITIZER_REPORTS);
	assert_int_equal(gupsim_dma_write(&f->page, 0, buf, 8), 8);
	bi_expect_warn_text(state, "freed");
	bi_expect_warns(state, 1);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_PIN_SANITIZER_REPORTS), before + 1);
	assert_int_equal(gupsim_folio_ref_count(f), 0);
}

static void file_create_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct bi_snapshot s;
	struct file *f;
	char name[1000];

	bi_snap(sim, &s);
	errno = 0;
	assert_null(gupsim_file_create(sim, (enum gupsim_file_kind)-1, "x", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, (enum gupsim_file_kind)1000, "x", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "x", SIZE_MAX));
	assert_int_equal(errno, EFBIG);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "x", (64UL << 30) + 1));
	assert_int_equal(errno, EFBIG);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_HUGETLBFS, "x", PAGE_SIZE));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gupsim_file_create(sim, GUPSIM_FILE_HUGETLBFS_1G, "x", PMD_SIZE));
	assert_int_equal(errno, EINVAL);
	bi_assert_unchanged(sim, &s);

	/* a name longer than a dentry's is cut, NULL is no name */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	f = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, name, 0);
	assert_non_null(f);
	gupsim_file_put(f);
	f = gupsim_file_create(sim, GUPSIM_FILE_MEMFD, NULL, PAGE_SIZE);
	assert_non_null(f);
	gupsim_file_put(f);
	gupsim_file_put(NULL);
	bi_assert_unchanged(sim, &s);
	bi_expect_warns(state, 0);
}

/*
 * A machine destroyed while address spaces and files still exist (mapped,
 * populated, pinned): gupsim_destroy() frees everything (the asan preset's
 * leak checker verifies it).
 */
static void destroy_with_live_mms_files_and_pins(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct mm_struct *mm, *mm2;
	struct file *file, *unmapped;
	struct folio *f;
	unsigned long addr, anon;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.hugetlb_2m_pages = 2;
	cfg.debug_pins = true;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	mm = gupsim_mm_create(sim);
	mm2 = gupsim_mm_create(sim);
	assert_non_null(mm);
	assert_non_null(mm2);
	gupsim_mm_get(mm2);	/* two references, never dropped */
	file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "shm", 4 * PAGE_SIZE);
	unmapped = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "reg", PAGE_SIZE);
	assert_non_null(file);
	assert_non_null(unmapped);
	addr = gupsim_mmap(mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(addr));
	anon = gupsim_mmap(mm2, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(anon));
	addr = gupsim_mmap(mm2, 0, PMD_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, NULL, 0);
	assert_false(GUPSIM_IS_ERR_VALUE(addr));
	/* populated: THPs, a hugetlb page, page cache */
	assert_int_equal(gupsim_madvise(mm2, anon, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(gupsim_madvise(mm2, anon, 2 * PMD_SIZE, MADV_POPULATE_WRITE), 0);
	assert_int_equal(gupsim_madvise(mm2, addr, PMD_SIZE, MADV_POPULATE_WRITE), 0);
	f = gupsim_folio_alloc(sim, 2, 0);	/* never put */
	assert_non_null(f);
	assert_int_equal(gupsim_try_grab_folio(f, 3, FOLL_PIN), 0);	/* never unpinned */
	gupsim_kthread_use_mm(mm);	/* still in use at destroy */
	{
		struct page *pages[4];
		unsigned long shm = gupsim_mmap(mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
						MAP_SHARED, file, 0);

		assert_false(GUPSIM_IS_ERR_VALUE(shm));
		/* pinned, never unpinned: page cache and a long-term pin */
		assert_int_equal(gupsim_pin_user_pages_fast(shm, 4, FOLL_WRITE | FOLL_LONGTERM,
							    pages), 4);
	}
	gupsim_destroy(sim);
	/* current->mm pointed into the destroyed machine: not detectable by
	 * the library (like any use after destroy); the test forgets it */
	gupsim_current()->mm = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_init_null_is_ignored),
		cmocka_unit_test(impossible_configurations_fail_with_einval),
		cmocka_unit_test(zone_sizes_that_wrap_fail_with_einval),
		cmocka_unit_test(hugetlb_pools_larger_than_memory_fail_with_enomem),
		cmocka_unit_test(config_from_a_newer_caller_is_accepted),
		cmocka_unit_test(null_machine_calls_are_harmless),
		cmocka_unit_test_setup_teardown(vmstat_unknown_items_and_bad_streams,
						sim_setup, sim_teardown),
		cmocka_unit_test(trace_print_copes_with_bad_records),
		cmocka_unit_test_setup_teardown(pfn_to_page_range_and_untouched_pages,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(pfn_to_page_in_movable_and_device_zones,
						zones_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(folio_alloc_bad_orders_and_flags,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(exhausted_memory_gives_enomem,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(dma_bad_arguments_are_einval,
						sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(dma_to_freed_folio_is_reported_by_pin_sanitizer,
						bi_setup_debug_pins, sim_teardown),
		cmocka_unit_test_setup_teardown(file_create_bad_arguments,
						sim_setup, sim_teardown),
		cmocka_unit_test(destroy_with_live_mms_files_and_pins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
