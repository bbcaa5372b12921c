/* SPDX-License-Identifier: MIT */
/*
 * The facts measured on a live kernel (Linux 6.18, with the gup_probe
 * oracle) that concern the GUP API are tested one scenario line at a
 * time, named after it. The callers are modelled by what they call:
 *
 * - io_uring buffer registration: pin_user_pages_fast(FOLL_WRITE |
 *   FOLL_LONGTERM); a short pin is undone (-EFAULT); then, if every page
 *   lies in large folios of one size, all pins but one per folio are
 *   dropped (the coalescing of oracle fact 4); unregister unpins the rest;
 * - O_DIRECT and process_vm_readv/writev: short-term FOLL_PIN through
 *   pin_user_pages_fast() / pin_user_pages_remote(), FOLL_WRITE when the
 *   kernel writes into user memory;
 * - vmsplice, ptrace: FOLL_GET.
 *
 * A/R below are the nr_foll_pin_acquired/released deltas the oracle shows.
 */
#ifndef GUPSIM_TEST_ORACLE_MODEL_H
#define GUPSIM_TEST_ORACLE_MODEL_H

#include "gup_test_module.h"

#define N	64	/* pages per scenario unless stated (the oracle's N) */

struct uring_buf {
	struct page **pages;
	unsigned long nr;		/* entries */
	unsigned long pins;		/* pins held: nr, or one per folio */
};

/* io_check_coalesce_buffer(): large folios of one size, pages in order. */
static inline bool uring_can_coalesce(struct page **pages, unsigned long nr)
{
	struct folio *folio = gupsim_page_folio(pages[0]);
	long size = gupsim_folio_nr_pages(folio);
	unsigned long count = 1, nr_folios = 1;

	if (nr <= 1 || size == 1)
		return false;
	for (unsigned long i = 1; i < nr; i++) {
		struct folio *f = gupsim_page_folio(pages[i]);

		if (f == folio && pages[i] == pages[i - 1] + 1) {
			count++;
			continue;
		}
		/* the first folio must run to its end, the middle ones be whole */
		if (nr_folios == 1 ? pages[i - 1] != gupsim_folio_page(folio, (unsigned long)size - 1)
				   : count != (unsigned long)size)
			return false;
		if (gupsim_folio_nr_pages(f) != size || pages[i] != gupsim_folio_page(f, 0))
			return false;
		folio = f;
		count = 1;
		nr_folios++;
	}
	return true;
}

/* IORING_REGISTER_BUFFERS: 0 or -errno. */
static inline long uring_register(struct uring_buf *b, unsigned long addr, unsigned long nr)
{
	long ret;

	b->pages = calloc(nr, sizeof(*b->pages));
	b->nr = nr;
	b->pins = 0;
	ret = gupsim_pin_user_pages_fast(addr, (int)nr, FOLL_WRITE | FOLL_LONGTERM, b->pages);
	if (ret >= 0 && (unsigned long)ret != nr) {
		gupsim_unpin_user_pages(b->pages, (unsigned long)ret);
		ret = -EFAULT;
	}
	if (ret < 0) {
		free(b->pages);
		b->pages = NULL;
		return ret;
	}
	b->pins = nr;
	if (uring_can_coalesce(b->pages, nr)) {
		for (unsigned long i = 0; i < nr; ) {
			struct folio *f = gupsim_page_folio(b->pages[i]);
			unsigned long run = 1;

			while (i + run < nr && gupsim_page_folio(b->pages[i + run]) == f)
				run++;
			gupsim_unpin_user_folio(f, run - 1);
			b->pins -= run - 1;
			i += run;
		}
	}
	return 0;
}

static inline void uring_unregister(struct uring_buf *b)
{
	if (b->pins == b->nr) {
		gupsim_unpin_user_pages(b->pages, b->nr);
	} else {
		for (unsigned long i = 0; i < b->nr; i++)
			if (i == 0 || gupsim_page_folio(b->pages[i]) !=
				      gupsim_page_folio(b->pages[i - 1]))
				gupsim_unpin_folio(gupsim_page_folio(b->pages[i]));
	}
	free(b->pages);
	b->pages = NULL;
}

/* Counter deltas since the last mark. */
struct delta {
	long a, r;
};

static inline struct delta mark(struct gup_fx *fx)
{
	struct delta d = { ACQ(fx), REL(fx) };

	return d;
}

static inline void expect_delta(struct gup_fx *fx, struct delta *m, long a, long r)
{
	assert_int_equal(ACQ(fx) - m->a, a);
	assert_int_equal(REL(fx) - m->r, r);
	*m = mark(fx);
}

/* The page-table level that maps @addr (PT_PMD: a PMD-mapped THP). */
static inline enum pt_level map_level(struct mm_struct *mm, unsigned long addr)
{
	enum pt_level level = PT_PTE;

	assert_non_null(pgtable_lookup(mm, addr, &level));
	return level;
}

static inline unsigned long pfn_at(struct gup_fx *fx, unsigned long addr)
{
	struct page *page = gupsim_follow_page(fx->mm, addr);

	return page ? gupsim_page_to_pfn(page) : 0;
}

static inline void pfns(struct gup_fx *fx, unsigned long addr, unsigned long nr, unsigned long *out)
{
	for (unsigned long i = 0; i < nr; i++)
		out[i] = pfn_at(fx, addr + i * PAGE_SIZE);
}

static inline unsigned long count_changed(const unsigned long *a, const unsigned long *b,
				   unsigned long nr)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < nr; i++)
		n += a[i] != b[i];
	return n;
}

static inline unsigned long count_zero(struct gup_fx *fx, unsigned long addr, unsigned long nr)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = gupsim_follow_page(fx->mm, addr + i * PAGE_SIZE);

		n += p && gupsim_is_zero_page(p);
	}
	return n;
}

static inline unsigned long count_present(struct gup_fx *fx, unsigned long addr, unsigned long nr)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < nr; i++)
		n += gupsim_follow_page(fx->mm, addr + i * PAGE_SIZE) != NULL;
	return n;
}

/* Register, check A/R, unregister, check A/R: a whole uring_* line. */
static inline void uring_line(struct gup_fx *fx, unsigned long addr, unsigned long nr, long reg_r,
		       long unreg_r)
{
	struct uring_buf b;
	struct delta m = mark(fx);

	assert_int_equal(uring_register(&b, addr, nr), 0);
	expect_delta(fx, &m, (long)nr, reg_r);
	uring_unregister(&b);
	expect_delta(fx, &m, 0, unreg_r);
}

#endif /* GUPSIM_TEST_ORACLE_MODEL_H */
