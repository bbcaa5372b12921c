/* SPDX-License-Identifier: MIT */
/*
 * Fixtures for the GUP tests: a machine, one mm used as current->mm, and
 * helpers to map, touch and measure. Teardown checks that every page came
 * back to the allocator (no leaked reference or pin).
 */
#ifndef GUPSIM_TEST_GUP_FIXTURE_H
#define GUPSIM_TEST_GUP_FIXTURE_H

#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

struct gup_fx {
	struct gupsim *sim;
	struct mm_struct *mm;
	struct warn_log warns;
	unsigned long free_at_start;
	void *priv;			/* the test's initial state (prestate), if any */
};

#define FX(state)	((struct gup_fx *)*(state))
#define ACQ(fx)		((long)gupsim_vmstat((fx)->sim, GUPSIM_NR_FOLL_PIN_ACQUIRED))
#define REL(fx)		((long)gupsim_vmstat((fx)->sim, GUPSIM_NR_FOLL_PIN_RELEASED))
#define STAT(fx, item)	((long)gupsim_vmstat((fx)->sim, (item)))
#define WARNS(fx)	((fx)->warns.count)

static inline int gup_fx_setup_cfg(void **state, const struct gupsim_config *cfg)
{
	struct gup_fx *fx = (struct gup_fx *)calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->priv = *state;
	fx->sim = gupsim_create(cfg);
	if (!fx->sim) {
		free(fx);
		return -1;
	}
	gupsim_set_warn_handler(fx->sim, warn_log_fn, &fx->warns);
	fx->free_at_start = gupsim_nr_free_pages(fx->sim);
	fx->mm = gupsim_mm_create(fx->sim);
	if (!fx->mm) {
		gupsim_destroy(fx->sim);
		free(fx);
		return -1;
	}
	gupsim_kthread_use_mm(fx->mm);
	*state = fx;
	return 0;
}

static inline void gup_fx_config(struct gupsim_config *cfg)
{
	gupsim_config_init(cfg);
	cfg->normal_mb = 64;
	cfg->kernel_version = test_kernel_version();
}

static inline int gup_fx_setup(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	return gup_fx_setup_cfg(state, &cfg);
}

/* Tear the mm down; every page must be back (the huge zero folio may stay). */
static inline int gup_fx_teardown(void **state)
{
	struct gup_fx *fx = FX(state);
	unsigned long expect = fx->free_at_start;

	if (fx->mm) {
		gupsim_kthread_unuse_mm(fx->mm);
		gupsim_mm_put(fx->mm);
	}
	if (fx->sim->huge_zero_folio)
		expect -= HPAGE_PMD_NR;
	if (gupsim_nr_free_pages(fx->sim) != expect)
		fail_msg("leak: %lu pages free at the end, %lu at the start",
			 gupsim_nr_free_pages(fx->sim), expect);
	gupsim_destroy(fx->sim);
	free(fx);
	return 0;
}

/* An mmap that must succeed. */
static inline unsigned long fx_mmap(struct gup_fx *fx, size_t len, int prot, int flags,
				    struct file *file)
{
	unsigned long addr = gupsim_mmap(fx->mm, 0, len, prot, flags, file, 0);

	if (IS_ERR_VALUE(addr))
		fail_msg("mmap failed: %ld", (long)addr);
	return addr;
}

static inline unsigned long fx_map_anon(struct gup_fx *fx, unsigned long nr_pages)
{
	return fx_mmap(fx, nr_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, NULL);
}

/* A 2 MiB-aligned anon THP region of @nr_pmds PMDs (MADV_HUGEPAGE). */
static inline unsigned long fx_map_thp(struct gup_fx *fx, unsigned long nr_pmds)
{
	unsigned long raw = fx_mmap(fx, (nr_pmds + 1) * PMD_SIZE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, NULL);
	unsigned long addr = ALIGN(raw, PMD_SIZE);

	if (addr != raw)
		assert_int_equal(gupsim_munmap(fx->mm, raw, addr - raw), 0);
	assert_int_equal(gupsim_munmap(fx->mm, addr + nr_pmds * PMD_SIZE,
				       raw + PMD_SIZE - addr), 0);
	assert_int_equal(gupsim_madvise(fx->mm, addr, nr_pmds * PMD_SIZE, MADV_HUGEPAGE), 0);
	return addr;
}

/* Write @byte to each of @nr_pages pages: write faults, as a CPU would. */
static inline void fx_touch(struct gup_fx *fx, unsigned long addr, unsigned long nr_pages,
			    unsigned char byte)
{
	for (unsigned long i = 0; i < nr_pages; i++)
		assert_int_equal(gupsim_write(fx->mm, addr + i * PAGE_SIZE, &byte, 1), 1);
}

/* Read one byte of each page: read faults (the zero page for anon memory). */
static inline void fx_read_fault(struct gup_fx *fx, unsigned long addr, unsigned long nr_pages)
{
	unsigned char byte;

	for (unsigned long i = 0; i < nr_pages; i++)
		assert_int_equal(gupsim_read(fx->mm, addr + i * PAGE_SIZE, &byte, 1), 1);
}

static inline unsigned char fx_peek(struct gup_fx *fx, unsigned long addr)
{
	unsigned char byte = 0;

	assert_int_equal(gupsim_read(fx->mm, addr, &byte, 1), 1);
	return byte;
}

static inline struct page *fx_page(struct gup_fx *fx, unsigned long addr)
{
	struct page *page = gupsim_follow_page(fx->mm, addr);

	assert_non_null(page);
	return page;
}

static inline int fx_ref(struct page *page)
{
	return gupsim_folio_ref_count(gupsim_page_folio(page));
}

static inline int fx_pincount(struct page *page)
{
	return gupsim_folio_pincount(gupsim_page_folio(page));
}

/*
 * The plain and *_remote (locked == NULL) variants expect the caller to
 * hold the mmap lock, as kernel callers do.
 */
static inline long fx_gup(struct gup_fx *fx, unsigned long start, unsigned long nr,
			  unsigned int flags, struct page **pages)
{
	long ret;

	gupsim_mmap_read_lock(fx->mm);
	ret = gupsim_get_user_pages(start, nr, flags, pages);
	gupsim_mmap_read_unlock(fx->mm);
	return ret;
}

static inline long fx_pup(struct gup_fx *fx, unsigned long start, unsigned long nr,
			  unsigned int flags, struct page **pages)
{
	long ret;

	gupsim_mmap_read_lock(fx->mm);
	ret = gupsim_pin_user_pages(start, nr, flags, pages);
	gupsim_mmap_read_unlock(fx->mm);
	return ret;
}

static inline long fx_gup_remote(struct gup_fx *fx, unsigned long start, unsigned long nr,
				 unsigned int flags, struct page **pages)
{
	long ret;

	gupsim_mmap_read_lock(fx->mm);
	ret = gupsim_get_user_pages_remote(fx->mm, start, nr, flags, pages, NULL);
	gupsim_mmap_read_unlock(fx->mm);
	return ret;
}

static inline long fx_pup_remote(struct gup_fx *fx, unsigned long start, unsigned long nr,
				 unsigned int flags, struct page **pages)
{
	long ret;

	gupsim_mmap_read_lock(fx->mm);
	ret = gupsim_pin_user_pages_remote(fx->mm, start, nr, flags, pages, NULL);
	gupsim_mmap_read_unlock(fx->mm);
	return ret;
}

#endif /* GUPSIM_TEST_GUP_FIXTURE_H */
