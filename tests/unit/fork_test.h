/* SPDX-License-Identifier: MIT */
/* Fixtures and probes shared by the fork tests (test_fork*.c). */
#ifndef GUPSIM_FORK_TEST_H
#define GUPSIM_FORK_TEST_H

#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

static inline int sim_setup_fork(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.hugetlb_2m_pages = 4;
	return sim_setup_cfg(state, &cfg);
}

static inline struct mm_struct *mm_new(void **state)
{
	struct mm_struct *mm = gupsim_mm_create(fixture_sim(state));

	assert_non_null(mm);
	return mm;
}

static inline unsigned long map(struct mm_struct *mm, size_t len, int flags, struct file *file)
{
	unsigned long addr = gupsim_mmap(mm, 0, len, RW, flags, file, 0);

	assert_false(IS_ERR_VALUE(addr));
	return addr;
}

static inline unsigned long map_thp(struct mm_struct *mm)
{
	unsigned long addr = gupsim_mmap(mm, 0, 2 * PMD_SIZE, RW, ANON, NULL, 0);

	assert_false(IS_ERR_VALUE(addr));
	addr = ALIGN(addr, PMD_SIZE);
	assert_int_equal(gupsim_madvise(mm, addr, PMD_SIZE, MADV_HUGEPAGE), 0);
	return addr;
}

static inline void put_str(struct mm_struct *mm, unsigned long addr, const char *s)
{
	assert_int_equal(gupsim_write(mm, addr, s, strlen(s) + 1), (long)strlen(s) + 1);
}

static inline void assert_reads(struct mm_struct *mm, unsigned long addr, const char *s)
{
	char buf[64] = { 0 };

	assert_int_equal(gupsim_read(mm, addr, buf, strlen(s) + 1), (long)strlen(s) + 1);
	assert_string_equal(buf, s);
}

static inline unsigned long pfn_at(struct mm_struct *mm, unsigned long addr)
{
	struct page *page = gupsim_follow_page(mm, addr);

	assert_non_null(page);
	return page_to_pfn(page);
}

/* The entry that maps @addr and its level (0 and PT_PTE if none). */
static inline pteval_t entry_at(struct mm_struct *mm, unsigned long addr, enum pt_level *level)
{
	enum pt_level lvl = PT_PTE;
	pteval_t *e = pgtable_lookup(mm, addr, &lvl);

	if (level)
		*level = lvl;
	return e ? pt_read(e) : 0;
}

/* A FOLL_PIN on the page mapped at @addr, as pin_user_pages() would leave it. */
static inline struct folio *pin_at(struct mm_struct *mm, unsigned long addr)
{
	struct folio *folio = page_folio(gupsim_follow_page(mm, addr));

	assert_int_equal(gupsim_try_grab_folio(folio, 1, FOLL_PIN), 0);
	mm_set_has_pinned_flag(mm);
	return folio;
}

/* Both page tables agree with the VMAs and with every folio's counts. */
static inline void assert_consistent(struct mm_struct *parent, struct mm_struct *child)
{
	assert_int_equal(mm_check(parent), 0);
	assert_int_equal(mm_check(child), 0);
}

static inline unsigned long stat(void **state, enum gupsim_vmstat_item item)
{
	return gupsim_vmstat(fixture_sim(state), item);
}

#endif /* GUPSIM_FORK_TEST_H */
