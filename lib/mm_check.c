// SPDX-License-Identifier: MIT
/*
 * mm_check(): walk an mm's page tables and check them against its VMAs and
 * against the counters of every folio they map, following the rmap
 * conventions of mm_internal.h. Meant for tests and for gupsim_check();
 * the machine must be quiet (no fault, unmap or pin in flight).
 *
 * Per entry: it lies inside a VMA of the right kind; a leaf maps a whole
 * folio of its size; a writable entry has VM_WRITE and, for an anon page,
 * PageAnonExclusive (semantics.md §5.2: a writable anon PTE implies exclusive);
 * anon folios belong to the mm's family at the address their index says;
 * file folios sit at their file offset; special entries map the zero
 * pages or pfnmap memory.
 *
 * Per folio: page->_mapcount, _entire_mapcount, _large_mapcount and
 * _nr_pages_mapped equal what the tables show when no other mm can map the
 * folio, and are at least that otherwise; the refcount covers every
 * mapping, the page cache's references and the pins.
 */
#include <stdlib.h>

#include "internal.h"

/*
 * Counts seen in the tables, per page (key: the struct page) and per folio
 * (key: the folio | 1).
 */
struct tally {
	uintptr_t key;			/* 0: free slot */
	int ptes;			/* page: PTEs that map it */
	int leaves;			/* folio: PMD/PUD leaves that map it */
	int pte_total, pages_mapped;	/* folio: PTEs, pages mapped by a PTE */
	unsigned long addr;		/* an address it is mapped at, for messages */
};

#define PAGE_KEY(page)		((uintptr_t)(page))
#define FOLIO_KEY(folio)	((uintptr_t)(folio) | 1)

struct check {
	struct mm_struct *mm;
	unsigned int flags;
	long problems;
	struct tally *t;
	size_t cap, nr;			/* cap: 0 or a power of two */
	struct vm_area_struct *vma;	/* the VMA of the last entry */
};

#define report(c, fmt, ...) \
	((c)->problems++, \
	 gupsim_log((c)->mm->sim, "mm_check: mm %d: " fmt "\n", (c)->mm->id, __VA_ARGS__))

/* ---- a small open-addressing table ---- */

static size_t tally_slot(const struct tally *t, size_t cap, uintptr_t key)
{
	size_t i = (size_t)(((key >> 6) * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);

	while (t[i].key && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return i;
}

static int tally_grow(struct check *c)
{
	size_t cap = c->cap ? 2 * c->cap : 1024;
	struct tally *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++)
		if (c->t[i].key)
			t[tally_slot(t, cap, c->t[i].key)] = c->t[i];
	free(c->t);
	c->t = t;
	c->cap = cap;
	return 0;
}

/* The entry of @key (created empty); invalidates earlier results. */
static struct tally *tally_get(struct check *c, uintptr_t key, unsigned long addr)
{
	size_t i;

	if (2 * (c->nr + 1) > c->cap && tally_grow(c))
		return NULL;
	i = tally_slot(c->t, c->cap, key);
	if (!c->t[i].key) {
		c->t[i].key = key;
		c->t[i].addr = addr;
		c->nr++;
	}
	return &c->t[i];
}

/* ---- per entry ---- */

static unsigned long entry_index(struct vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

static void check_special(struct check *c, struct vm_area_struct *vma, pteval_t v,
			  enum pt_level level, unsigned long addr)
{
	struct gupsim *sim = c->mm->sim;
	bool zero = level == PT_PTE && sim->zero_page &&
		    pte_pfn(v) == page_to_pfn(sim->zero_page);
	bool huge_zero = level == PT_PMD && sim->huge_zero_folio &&
			 pte_pfn(v) == page_to_pfn(&sim->huge_zero_folio->page);

	if (vma->vm_flags & (VM_PFNMAP | VM_IO | VM_MIXEDMAP))
		return;
	if (!zero && !huge_zero)
		report(c, "special entry %#lx at %#lx maps neither zero page", v, addr);
	else if (pte_write(v) || (vma->vm_flags & VM_SHARED))
		report(c, "zero page mapped %s at %#lx",
		       pte_write(v) ? "writable" : "in a shared VMA", addr);
}

/* Where the folio says it is mapped must be where it is. */
static void check_placement(struct check *c, struct vm_area_struct *vma, struct folio *folio,
			    struct page *page, unsigned long addr)
{
	unsigned long i = (unsigned long)(page - &folio->page);

	if (folio_test_anon(folio)) {
		if (vma->vm_flags & VM_SHARED)
			report(c, "anon folio in a shared VMA at %#lx", addr);
		if (folio_anon_vma(folio) != c->mm->anon_vma)
			report(c, "anon folio at %#lx is not of the mm's anon_vma", addr);
		if (folio->index + i != addr >> PAGE_SHIFT)
			report(c, "anon folio index %#lx + %lu does not match %#lx",
			       folio->index, i, addr);
		return;
	}
	if (!folio->mapping) {
		report(c, "folio at %#lx is mapped but has no mapping", addr);
		return;
	}
	if (!vma->vm_file || folio->mapping != &vma->vm_file->mapping) {
		report(c, "file folio at %#lx is not from the VMA's file", addr);
		return;
	}
	if (folio->index + i != entry_index(vma, addr))
		report(c, "file folio index %#lx + %lu at %#lx, VMA offset %#lx", folio->index, i,
		       addr, entry_index(vma, addr));
}

static void check_leaf_shape(struct check *c, struct vm_area_struct *vma, struct folio *folio,
			     struct page *page, enum pt_level level, unsigned long addr)
{
	unsigned int order = level == PT_PTE ? 0 : pt_shift(level) - PAGE_SHIFT;

	if (is_vm_hugetlb_page(vma) && (level == PT_PTE || order != vma_hugetlb_order(vma)))
		report(c, "hugetlb VMA mapped at level %d at %#lx", level, addr);
	if (level == PT_PTE)
		return;
	if (page != &folio->page || folio_order(folio) != order)
		report(c, "leaf at %#lx maps page %lu of an order-%u folio", addr,
		       (unsigned long)(page - &folio->page), folio_order(folio));
}

static int check_entry(struct mm_struct *mm, pteval_t *entry, enum pt_level level,
		       unsigned long addr, void *arg)
{
	struct check *c = arg;
	unsigned long size = 1UL << pt_shift(level);
	struct vm_area_struct *vma = c->vma;
	pteval_t v = pt_read(entry);
	struct folio *folio;
	struct page *page;
	struct tally *t;

	/* entries come in address order: most share the last one's VMA */
	if (!vma || addr < vma->vm_start || addr >= vma->vm_end)
		vma = c->vma = vma_lookup(mm, addr);
	if (!vma || addr + size > vma->vm_end) {
		report(c, "entry %#lx at %#lx (level %d) is outside every VMA", v, addr, level);
		return 0;
	}
	if (!pte_present(v))
		return 0;		/* migration entries hold nothing */
	if (pte_write(v) && !(vma->vm_flags & VM_WRITE))
		report(c, "writable entry at %#lx in a VMA without VM_WRITE", addr);
	if (pte_protnone(v) && (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)))
		report(c, "protnone entry at %#lx in an accessible VMA", addr);
	if (pte_special(v)) {
		check_special(c, vma, v, level, addr);
		return 0;
	}
	if (pte_pfn(v) >= mm->sim->nr_pfns) {
		report(c, "entry %#lx at %#lx maps no page", v, addr);
		return 0;
	}
	page = pfn_to_page_sim(mm->sim, pte_pfn(v));
	folio = page_folio(page);
	if (folio_ref_count(folio) <= 0) {
		report(c, "entry at %#lx maps a free folio (pfn %#lx)", addr, pte_pfn(v));
		return 0;
	}
	if (pte_write(v) && folio_test_anon(folio) && !PageAnonExclusive(page))
		report(c, "writable entry at %#lx maps a shared anon page", addr);
	check_leaf_shape(c, vma, folio, page, level, addr);
	check_placement(c, vma, folio, page, addr);

	if (level == PT_PTE) {
		int ptes = 1;

		/* per-page counts matter for large folios only: a small
		 * folio's one page is counted by its folio entry */
		if (folio_test_large(folio)) {
			t = tally_get(c, PAGE_KEY(page), addr);
			if (!t)
				return -ENOMEM;
			ptes = ++t->ptes;
		}
		t = tally_get(c, FOLIO_KEY(folio), addr);
		if (!t)
			return -ENOMEM;
		t->pte_total++;
		t->pages_mapped += ptes == 1;
	} else {
		t = tally_get(c, FOLIO_KEY(folio), addr);
		if (!t)
			return -ENOMEM;
		t->leaves++;
	}
	return 0;
}

/* ---- per folio ---- */

/* Can a mapping of @folio exist outside this mm? */
static bool folio_only_in(struct folio *folio, struct mm_struct *mm)
{
	bool only = true;

	if (folio_test_anon(folio)) {
		struct anon_vma *av = folio_anon_vma(folio);

		pthread_mutex_lock(&av->lock);
		only = av->nr_mms == 1 && av->mms[0] == mm;
		pthread_mutex_unlock(&av->lock);
	} else if (folio->mapping) {
		struct address_space *mapping = folio->mapping;

		pthread_mutex_lock(&mapping->lock);
		for (struct vm_area_struct *vma = mapping->i_mmap; vma; vma = vma->i_mmap_next)
			if (vma->vm_mm != mm)
				only = false;
		pthread_mutex_unlock(&mapping->lock);
	}
	return only;
}

static void check_count(struct check *c, bool exact, const char *what, unsigned long addr,
			long have, long seen)
{
	if (exact ? have != seen : have < seen)
		report(c, "%s of the folio at %#lx is %ld, the tables show %ld", what, addr, have,
		       seen);
}

static void check_folio(struct check *c, struct folio *folio, const struct tally *t)
{
	bool exact = folio_only_in(folio, c->mm);
	long cache = !folio_test_anon(folio) && folio->mapping ? folio_nr_pages(folio) : 0;
	long pins = folio_has_pincount(folio) ? atomic_read(&folio->_pincount) : 0;

	if (!folio_test_large(folio)) {
		check_count(c, exact, "mapcount", t->addr, folio_mapcount(folio), t->pte_total);
	} else {
		check_count(c, exact, "entire mapcount", t->addr,
			    atomic_read(&folio->_entire_mapcount) + 1, t->leaves);
		check_count(c, exact, "large mapcount", t->addr, folio_mapcount(folio),
			    t->pte_total + t->leaves);
		check_count(c, exact, "nr_pages_mapped", t->addr,
			    atomic_read(&folio->_nr_pages_mapped), t->pages_mapped);
	}
	/* every mapping, page-cache slot and pin holds a reference */
	check_count(c, c->flags & MM_CHECK_EXACT_REFS, "refcount", t->addr,
		    folio_ref_count(folio), folio_mapcount(folio) + cache + pins);
}

static void check_folios(struct check *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		const struct tally *t = &c->t[i];

		if (!t->key)
			continue;
		if (t->key & 1) {
			check_folio(c, (struct folio *)(t->key & ~(uintptr_t)1), t);
		} else {
			const struct page *page = (const struct page *)t->key;
			struct folio *folio = page_folio(page);

			if (folio_test_large(folio))
				check_count(c, folio_only_in(folio, c->mm), "page mapcount",
					    t->addr, atomic_read(&page->_mapcount) + 1, t->ptes);
		}
	}
}

long mm_check_flags(struct mm_struct *mm, unsigned int flags)
{
	struct check c = { .mm = mm, .flags = flags };
	/* a caller that holds this mm's lock is checked under its hold */
	bool taken = !mmap_lock_held(mm) && !mm_read_lock(mm);
	int err;

	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
		if (v->vm_start >= v->vm_end || !IS_ALIGNED(v->vm_start | v->vm_end, PAGE_SIZE))
			report(&c, "bad VMA [%#lx, %#lx)", v->vm_start, v->vm_end);
		if (v->vm_next && v->vm_next->vm_start < v->vm_end)
			report(&c, "VMAs overlap at %#lx", v->vm_next->vm_start);
		if (!v->vm_file && v->vm_pgoff != v->vm_start >> PAGE_SHIFT)
			report(&c, "anon VMA at %#lx has pgoff %#lx", v->vm_start, v->vm_pgoff);
	}
	err = walk_page_range(mm, 0, TASK_SIZE + PAGE_SIZE, check_entry, &c);
	if (!err)
		check_folios(&c);
	if (taken)
		mm_read_unlock(mm);
	free(c.t);
	if (err)
		report(&c, "out of memory after %zu folios", c.nr);
	return c.problems;
}

long mm_check(struct mm_struct *mm)
{
	return mm_check_flags(mm, 0);
}
