/* SPDX-License-Identifier: MIT */
/*
 * Fixtures and white-box probes for the address-space tests: a machine with
 * one mm, the page-table entry at an address, the VMA shapes.
 */
#ifndef GUPSIM_TEST_MM_HELPERS_H
#define GUPSIM_TEST_MM_HELPERS_H

#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

#define MMAP_TOP	0x7f0000000000UL	/* where top-down placement starts */

struct mm_fixture {
	struct sim_fixture f;		/* first: fixture_sim() works on it */
	struct mm_struct *mm;
	unsigned long free_at_start;	/* gupsim_nr_free_pages() before the mm */
};

static inline struct mm_struct *fixture_mm(void **state)
{
	return ((struct mm_fixture *)*state)->mm;
}

static inline int mm_setup_cfg(void **state, const struct gupsim_config *cfg)
{
	struct mm_fixture *m = (struct mm_fixture *)calloc(1, sizeof(*m));

	if (!m)
		return -1;
	m->f.sim = gupsim_create(cfg);
	if (!m->f.sim) {
		free(m);
		return -1;
	}
	gupsim_set_warn_handler(m->f.sim, warn_log_fn, &m->f.warns);
	/* the huge zero folio lives as long as the machine: allocate it now so
	 * that page counts taken from here on are not disturbed by it */
	(void)gupsim_huge_zero_folio(m->f.sim);
	m->free_at_start = gupsim_nr_free_pages(m->f.sim);
	m->mm = gupsim_mm_create(m->f.sim);
	if (!m->mm) {
		gupsim_destroy(m->f.sim);
		free(m);
		return -1;
	}
	*state = m;
	return 0;
}

/* 64 MiB NORMAL, 8 huge pages of 2 MiB. */
static inline int mm_setup(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.hugetlb_2m_pages = 8;
	return mm_setup_cfg(state, &cfg);
}

/* Puts the mm (if the test did not) and checks that every page came back. */
static inline int mm_teardown(void **state)
{
	struct mm_fixture *m = (struct mm_fixture *)*state;
	int ret = 0;

	if (m->mm)
		gupsim_mm_put(m->mm);
	if (gupsim_nr_free_pages(m->f.sim) != m->free_at_start) {
		fprintf(stderr, "teardown: %lu free pages, %lu at start\n",
			gupsim_nr_free_pages(m->f.sim), m->free_at_start);
		ret = -1;
	}
	gupsim_destroy(m->f.sim);
	free(m);
	return ret;
}

/* The entry that maps @addr (0 if none), and its level. */
static inline pteval_t entry_at(struct mm_struct *mm, unsigned long addr, enum pt_level *level)
{
	enum pt_level l = PT_PTE;
	pteval_t *e, v = 0;

	gupsim_mmap_read_lock(mm);
	e = pgtable_lookup(mm, addr, &l);
	if (e)
		v = pt_read(e);
	gupsim_mmap_read_unlock(mm);
	if (level)
		*level = l;
	return v;
}

static inline pteval_t pte_at(struct mm_struct *mm, unsigned long addr)
{
	return entry_at(mm, addr, NULL);
}

static inline unsigned long map_count(struct mm_struct *mm)
{
	unsigned long n;

	gupsim_mmap_read_lock(mm);
	n = mm->map_count;
	gupsim_mmap_read_unlock(mm);
	return n;
}

/* The VMA containing @addr: its bounds and flags (0 / false if none). */
static inline bool vma_at(struct mm_struct *mm, unsigned long addr, unsigned long *start,
			  unsigned long *end, unsigned long *flags)
{
	struct vm_area_struct *vma;

	gupsim_mmap_read_lock(mm);
	vma = gupsim_vma_lookup(mm, addr);
	if (vma) {
		if (start)
			*start = vma->vm_start;
		if (end)
			*end = vma->vm_end;
		if (flags)
			*flags = vma->vm_flags;
	}
	gupsim_mmap_read_unlock(mm);
	return vma != NULL;
}

static inline unsigned long vm_flags_at(struct mm_struct *mm, unsigned long addr)
{
	unsigned long flags = 0;

	vma_at(mm, addr, NULL, NULL, &flags);
	return flags;
}

static inline unsigned long mmap_anon(struct mm_struct *mm, unsigned long addr, size_t len,
				      int prot, int extra_flags)
{
	return gupsim_mmap(mm, addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, NULL,
			   0);
}

static inline void write_byte(struct mm_struct *mm, unsigned long addr, unsigned char v)
{
	assert_int_equal(gupsim_write(mm, addr, &v, 1), 1);
}

static inline unsigned char read_byte(struct mm_struct *mm, unsigned long addr)
{
	unsigned char v = 0xee;

	assert_int_equal(gupsim_read(mm, addr, &v, 1), 1);
	return v;
}

/* The folio mapped at @addr (no reference), or NULL. */
static inline struct folio *folio_at(struct mm_struct *mm, unsigned long addr)
{
	struct page *page = gupsim_follow_page(mm, addr);

	return page ? page_folio(page) : NULL;
}

/*
 * Map a fresh, zeroed anon folio of @order at @addr the way a fault would,
 * without the fault path: order 0 and mTHP orders by PTEs, PMD order (and
 * hugetlb, from the pool when @hugetlb) by one leaf. Each mapping gets its
 * reference.
 */
static inline struct folio *install_anon(struct mm_struct *mm, unsigned long addr,
					 unsigned int order, bool writable, bool hugetlb)
{
	struct gupsim *sim = mm->sim;
	struct folio *folio = hugetlb ? hugetlb_folio_alloc(sim, order) :
				      folio_alloc_gfp(sim, order, __GFP_ZERO);
	pteval_t prot = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
	unsigned long pfn, nr = 1UL << order;
	struct vm_area_struct *vma;

	assert_non_null(folio);
	pfn = page_to_pfn(&folio->page);
	if (writable)
		prot |= _PAGE_RW | _PAGE_DIRTY;
	gupsim_mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	assert_non_null(vma);
	folio_add_new_anon_rmap(folio, vma, addr, true);
	if (hugetlb || order >= HPAGE_PMD_ORDER) {
		enum pt_level level = order == HPAGE_PUD_ORDER ? PT_PUD : PT_PMD;
		pteval_t *e = pgtable_walk(mm, addr, level, true, NULL);

		assert_non_null(e);
		pt_lock(sim, e);
		pt_write(e, pfn_pte(pfn, prot | _PAGE_PSE));
		pt_unlock(sim, e);
	} else {
		for (unsigned long i = 0; i < nr; i++) {
			pteval_t *e = pgtable_walk(mm, addr + i * PAGE_SIZE, PT_PTE, true, NULL);

			assert_non_null(e);
			pt_lock(sim, e);
			pt_write(e, pfn_pte(pfn + i, prot));
			pt_unlock(sim, e);
		}
		folio_ref_add(folio, (int)nr - 1);
	}
	gupsim_mmap_read_unlock(mm);
	return folio;
}

/* Map the small zero page at @addr as a read fault would (special entry). */
static inline void install_zero(struct mm_struct *mm, unsigned long addr)
{
	pteval_t *e;

	gupsim_mmap_read_lock(mm);
	e = pgtable_walk(mm, addr, PT_PTE, true, NULL);
	assert_non_null(e);
	pt_lock(mm->sim, e);
	pt_write(e, pfn_pte(page_to_pfn(mm->sim->zero_page),
			    _PAGE_PRESENT | _PAGE_USER | _PAGE_SPECIAL));
	pt_unlock(mm->sim, e);
	gupsim_mmap_read_unlock(mm);
}

/* Map page @index of @file's cache at @addr (shared file fault), + ref. */
static inline struct folio *install_file(struct mm_struct *mm, unsigned long addr,
					 struct file *file, pgoff_t index, bool dirty)
{
	int err = 0;
	struct folio *folio = filemap_get_folio(file, index, true, &err);
	struct vm_area_struct *vma;
	pteval_t *e, prot = _PAGE_PRESENT | _PAGE_USER;

	assert_non_null(folio);
	if (dirty)
		prot |= _PAGE_DIRTY | _PAGE_RW;
	gupsim_mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	assert_non_null(vma);
	folio_add_file_rmap_ptes(folio, &folio->page, 1, vma);
	e = pgtable_walk(mm, addr, PT_PTE, true, NULL);
	assert_non_null(e);
	pt_lock(mm->sim, e);
	pt_write(e, pfn_pte(page_to_pfn(&folio->page), prot));
	pt_unlock(mm->sim, e);
	gupsim_mmap_read_unlock(mm);
	return folio;
}

#endif /* GUPSIM_TEST_MM_HELPERS_H */
