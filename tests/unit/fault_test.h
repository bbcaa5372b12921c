/* SPDX-License-Identifier: MIT */
/* Fixtures and page-table probes shared by the fault, COW, THP and hugetlb tests. */
#ifndef GUPSIM_FAULT_TEST_H
#define GUPSIM_FAULT_TEST_H

#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

#define VMSTAT(sim, item) gupsim_vmstat(sim, GUPSIM_NR_##item)

/* A machine and one address space. */
struct mm_fixture {
	struct gupsim *sim;
	struct mm_struct *mm;
	struct warn_log warns;
	unsigned long free_at_start;
};

static inline struct mm_fixture *F(void **state)
{
	return (struct mm_fixture *)*state;
}

static inline int mm_setup_cfg(void **state, const struct gupsim_config *cfg)
{
	struct mm_fixture *f = (struct mm_fixture *)calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->sim = gupsim_create(cfg);
	if (!f->sim) {
		free(f);
		return -1;
	}
	gupsim_set_warn_handler(f->sim, warn_log_fn, &f->warns);
	f->free_at_start = gupsim_nr_free_pages(f->sim);
	f->mm = gupsim_mm_create(f->sim);
	if (!f->mm)
		return -1;
	*state = f;
	return 0;
}

/* 64 MiB, THP on madvise, zero pages on, mTHP off, two 2 MiB hugetlb pages. */
static inline void mm_default_cfg(struct gupsim_config *cfg)
{
	gupsim_config_init(cfg);
	cfg->normal_mb = 64;
	cfg->hugetlb_2m_pages = 2;
	cfg->kernel_version = test_kernel_version();
}

static inline int mm_setup(void **state)
{
	struct gupsim_config cfg;

	mm_default_cfg(&cfg);
	return mm_setup_cfg(state, &cfg);
}

/* Every test ends without a WARN and with page tables that agree with
 * every folio's counters (mm_check). */
static inline int mm_teardown(void **state)
{
	struct mm_fixture *f = F(state);
	int warns = f->warns.count;
	long problems = f->mm ? mm_check(f->mm) : 0;

	if (f->mm)
		gupsim_mm_put(f->mm);
	if (warns)
		fprintf(stderr, "unexpected WARN: %s\n", f->warns.last);
	if (problems)
		fprintf(stderr, "mm_check: %ld problems\n", problems);
	gupsim_destroy(f->sim);
	free(f);
	return warns || problems ? -1 : 0;
}

/* mmap of anonymous memory at a 2 MiB-aligned address chosen by the test. */
static inline unsigned long map_anon_at(struct mm_struct *mm, unsigned long addr, size_t len,
					int prot, int flags)
{
	unsigned long a = gupsim_mmap(mm, addr, len, prot,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags, NULL, 0);

	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(a, addr);
	return a;
}

/* The entry mapping @addr (PTE or leaf), its level, and its value. */
static inline pteval_t entry_at(struct mm_struct *mm, unsigned long addr, enum pt_level *lvl)
{
	enum pt_level l = PT_PTE;
	pteval_t *e = pgtable_lookup(mm, addr, &l);

	if (lvl)
		*lvl = l;
	return e ? pt_read(e) : 0;
}

static inline pteval_t pte_at(struct mm_struct *mm, unsigned long addr)
{
	enum pt_level l;
	pteval_t e = entry_at(mm, addr, &l);

	assert_int_equal(l, PT_PTE);
	return e;
}

/* The page mapped at @addr (subpage of a leaf), or NULL. */
static inline struct page *page_at(struct mm_struct *mm, unsigned long addr)
{
	enum pt_level l;
	pteval_t e = entry_at(mm, addr, &l);
	unsigned long off = (addr & ((1UL << pt_shift(l)) - 1)) >> PAGE_SHIFT;

	if (!pte_present(e))
		return NULL;
	return pfn_to_page_sim(mm->sim, pte_pfn(e) + off);
}

static inline struct folio *folio_at(struct mm_struct *mm, unsigned long addr)
{
	struct page *p = page_at(mm, addr);

	assert_non_null(p);
	if (!p)
		abort();
	return page_folio(p);
}

/* handle_mm_fault() as GUP calls it: mmap lock held for read. */
static inline vm_fault_t fault(struct mm_struct *mm, unsigned long addr, unsigned int flags)
{
	struct vm_area_struct *vma;
	vm_fault_t ret = VM_FAULT_SIGSEGV;

	gupsim_mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma)
		ret = handle_mm_fault(vma, addr, flags);
	gupsim_mmap_read_unlock(mm);
	return ret;
}

/* Change an entry by hand (the way mprotect or a test would), under its lock. */
static inline void entry_update(struct mm_struct *mm, unsigned long addr, pteval_t clear,
				pteval_t set)
{
	enum pt_level l;
	pteval_t *e;

	gupsim_mmap_read_lock(mm);
	e = pgtable_lookup(mm, addr, &l);
	assert_non_null(e);
	pt_lock(mm->sim, e);
	pt_write(e, (pt_read(e) & ~clear) | set);
	pt_unlock(mm->sim, e);
	gupsim_mmap_read_unlock(mm);
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

static inline int page_ref_count_of(struct page *page)
{
	return folio_ref_count(page_folio(page));
}

static inline int raw_entire_mapcount(struct folio *folio)
{
	return atomic_read(&folio->_entire_mapcount) + 1;
}

#endif /* GUPSIM_FAULT_TEST_H */
