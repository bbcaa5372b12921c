// SPDX-License-Identifier: MIT
/*
 * Reverse mapping (mm/rmap.c): mapcounts of folios and pages, the anon_vma
 * that lets us find every mapping of an anonymous folio, and rmap_walk().
 *
 * The counting rules are the conventions written down in mm_internal.h:
 * a PTE adds one page->_mapcount (and, for a large folio, one
 * _large_mapcount; _nr_pages_mapped counts pages mapped by at least one
 * PTE); a PMD/PUD leaf adds one _entire_mapcount and one _large_mapcount.
 * Like the kernel's, these functions never touch _refcount: whoever
 * installs or clears the entry takes or drops the mapping's reference.
 *
 * anon_vma: the kernel keeps a tree of anon_vmas per fork hierarchy. gupsim
 * keeps one anon_vma per fork family that lists the family's mms; anon VMAs
 * never move (no mremap), so an anon folio with index i is mapped, if at
 * all, at address i << PAGE_SHIFT in some mm of its family.
 */
#include <stdlib.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* anon_vma objects
 *
 * They are type-stable, as the kernel's (SLAB_TYPESAFE_BY_RCU): a freed
 * anon_vma goes to a cache and is only ever reused as an anon_vma. An
 * unmapped anon folio keeps pointing at its (maybe dead) anon_vma, and
 * rmap_walk() may read that pointer while the last mm of the family goes
 * away; the refcount then reads 0 and the walk backs off, never touching
 * freed memory. The cache is process-wide, like a slab cache.
 */

static pthread_mutex_t anon_vma_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct anon_vma *anon_vma_cache;	/* linked through mms (nr_mms == 0) */

struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *av;

	pthread_mutex_lock(&anon_vma_cache_lock);
	av = anon_vma_cache;
	if (av)
		anon_vma_cache = (struct anon_vma *)av->mms;
	pthread_mutex_unlock(&anon_vma_cache_lock);
	if (!av) {
		av = calloc(1, sizeof(*av));
		if (!av)
			return NULL;
		pthread_mutex_init(&av->lock, NULL);
	}
	av->mms = NULL;
	av->nr_mms = av->cap_mms = 0;
	atomic_set(&av->refcount, 1);
	return av;
}

void anon_vma_get(struct anon_vma *av)
{
	atomic_inc(&av->refcount);
}

void anon_vma_put(struct anon_vma *av)
{
	if (!av || !atomic_dec_and_test(&av->refcount))
		return;
	pthread_mutex_lock(&av->lock);
	free(av->mms);
	av->nr_mms = av->cap_mms = 0;
	pthread_mutex_unlock(&av->lock);
	pthread_mutex_lock(&anon_vma_cache_lock);
	av->mms = (struct mm_struct **)anon_vma_cache;
	anon_vma_cache = av;
	pthread_mutex_unlock(&anon_vma_cache_lock);
}

/* Join @mm to the family. 0 or -ENOMEM. */
int anon_vma_add_mm(struct anon_vma *av, struct mm_struct *mm)
{
	int err = 0;

	pthread_mutex_lock(&av->lock);
	if (av->nr_mms == av->cap_mms) {
		unsigned int cap = av->cap_mms ? 2 * av->cap_mms : 4;
		struct mm_struct **mms = realloc(av->mms, cap * sizeof(*mms));

		if (!mms) {
			err = -ENOMEM;
			goto out;
		}
		av->mms = mms;
		av->cap_mms = cap;
	}
	av->mms[av->nr_mms++] = mm;
out:
	pthread_mutex_unlock(&av->lock);
	return err;
}

void anon_vma_remove_mm(struct anon_vma *av, struct mm_struct *mm)
{
	pthread_mutex_lock(&av->lock);
	for (unsigned int i = 0; i < av->nr_mms; i++) {
		if (av->mms[i] == mm) {
			av->mms[i] = av->mms[--av->nr_mms];
			break;
		}
	}
	pthread_mutex_unlock(&av->lock);
}

/*
 * fork: @child leaves the family mm_alloc() gave it and joins @parent's,
 * so that rmap_walk() finds the anon folios they will share (the kernel
 * links each child VMA into its parent's anon_vma chain, anon_vma_fork()).
 * Call it before the child maps an anon folio of its own. 0 or -ENOMEM.
 */
int anon_vma_fork(struct mm_struct *child, struct mm_struct *parent)
{
	struct anon_vma *own = child->anon_vma, *av = parent->anon_vma;
	int err;

	if (own == av)
		return 0;
	err = anon_vma_add_mm(av, child);
	if (err)
		return err;
	anon_vma_get(av);
	child->anon_vma = av;
	anon_vma_remove_mm(own, child);
	anon_vma_put(own);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Adding and removing mappings */

static void rmap_underflow(struct page *page, const char *what)
{
	WARN(page->sim, 1, "%s: mapcount underflow\n", what);
	dump_page(page, "mapcount underflow");
}

static void __folio_add_rmap_ptes(struct folio *folio, struct page *page, int nr)
{
	bool large = folio_test_large(folio);

	for (int i = 0; i < nr; i++) {
		/* -1 -> 0: the page's first mapping */
		if (atomic_inc_and_test(&page[i]._mapcount) && large)
			atomic_inc(&folio->_nr_pages_mapped);
	}
	if (large)
		atomic_add(nr, &folio->_large_mapcount);
}

static void __folio_add_rmap_pmd(struct folio *folio)
{
	if (WARN_ON_ONCE(folio->sim, !folio_test_large(folio)))
		return;
	atomic_inc(&folio->_entire_mapcount);
	atomic_inc(&folio->_large_mapcount);
}

static void __page_set_anon(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long address)
{
	struct anon_vma *av = vma->anon_vma ? vma->anon_vma : vma->vm_mm->anon_vma;

	folio->index = (address & PAGE_MASK) >> PAGE_SHIFT;
	/* the mapping is published last: folio_test_anon() readers see the index */
	smp_wmb();
	WRITE_ONCE_UL(&folio->mapping, (unsigned long)av | PAGE_MAPPING_ANON);
}

/*
 * A freshly allocated folio is mapped for the first time at @address (the
 * address of its first page). A folio of PMD order or more, and every
 * hugetlb folio, is mapped by one PMD/PUD leaf; others by one PTE per page.
 * semantics.md §5.1: a new anon page is exclusive (every page of a THP, the head of
 * a hugetlb folio).
 */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, bool exclusive)
{
	long nr = folio_nr_pages(folio);

	WARN_ON_ONCE(folio->sim, folio_mapped(folio));
	vma_anon_prepare(vma);
	if (!folio_test_hugetlb(folio))
		SetPageFlag(&folio->page, PG_swapbacked);
	__page_set_anon(folio, vma, address);

	if (!folio_test_large(folio)) {
		atomic_set(&folio->_mapcount, 0);
	} else if (folio_test_hugetlb(folio) || folio_order(folio) >= HPAGE_PMD_ORDER) {
		atomic_set(&folio->_entire_mapcount, 0);
		atomic_set(&folio->_large_mapcount, 0);
	} else {
		for (long i = 0; i < nr; i++)
			atomic_set(&folio_page(folio, i)->_mapcount, 0);
		atomic_set(&folio->_large_mapcount, (int)nr - 1);
		atomic_set(&folio->_nr_pages_mapped, (int)nr);
	}
	if (!exclusive)
		return;
	/*
	 * folio_add_new_anon_rmap(): a PMD-mapped THP, like hugetlb, records
	 * the mapping's exclusive state on the head page only;
	 * __split_huge_pmd_locked() spreads it to every subpage when the PMD
	 * becomes PTEs. PTE-mapped folios keep it per page.
	 */
	if (folio_test_hugetlb(folio) || folio_order(folio) >= HPAGE_PMD_ORDER) {
		SetPageAnonExclusive(&folio->page);
		return;
	}
	for (long i = 0; i < nr; i++)
		SetPageAnonExclusive(folio_page(folio, i));
}

/* More PTE mappings of pages of an anon folio that is already set up. */
void folio_add_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
			      struct vm_area_struct *vma)
{
	(void)vma;
	WARN_ON_ONCE(folio->sim, !folio_test_anon(folio));
	__folio_add_rmap_ptes(folio, page, nr);
}

void folio_add_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma)
{
	(void)vma;
	WARN_ON_ONCE(folio->sim, !folio_test_anon(folio));
	__folio_add_rmap_pmd(folio);
}

void folio_add_file_rmap_ptes(struct folio *folio, struct page *page, int nr,
			      struct vm_area_struct *vma)
{
	(void)vma;
	WARN_ON_ONCE(folio->sim, folio_test_anon(folio));
	__folio_add_rmap_ptes(folio, page, nr);
}

void folio_add_file_rmap_pmd(struct folio *folio, struct vm_area_struct *vma)
{
	(void)vma;
	WARN_ON_ONCE(folio->sim, folio_test_anon(folio));
	__folio_add_rmap_pmd(folio);
}

/*
 * Drop @nr PTE mappings. A count that is already -1 is reported and left
 * alone, so a buggy caller cannot drive the folio into an impossible state.
 */
void folio_remove_rmap_ptes(struct folio *folio, struct page *page, int nr,
			    struct vm_area_struct *vma)
{
	bool large = folio_test_large(folio);
	int removed = 0;

	(void)vma;
	for (int i = 0; i < nr; i++) {
		if (atomic_read(&page[i]._mapcount) < 0) {
			rmap_underflow(&page[i], "folio_remove_rmap_ptes");
			continue;
		}
		removed++;
		/* 0 -> -1: the page's last PTE mapping went */
		if (atomic_add_negative(-1, &page[i]._mapcount) && large)
			atomic_dec(&folio->_nr_pages_mapped);
	}
	if (large)
		atomic_sub(removed, &folio->_large_mapcount);
}

void folio_remove_rmap_pmd(struct folio *folio, struct vm_area_struct *vma)
{
	(void)vma;
	if (WARN_ON_ONCE(folio->sim, !folio_test_large(folio)))
		return;
	if (atomic_read(&folio->_entire_mapcount) < 0) {
		rmap_underflow(&folio->page, "folio_remove_rmap_pmd");
		return;
	}
	atomic_dec(&folio->_entire_mapcount);
	atomic_dec(&folio->_large_mapcount);
}

/* ------------------------------------------------------------------ */
/* fork */

/*
 * folio_needs_cow_for_dma() as fork sees it (semantics.md §3.3): only an mm that
 * ever pinned can hold pins that fork must respect.
 */
static bool fork_maybe_pinned(struct vm_area_struct *src, struct folio *folio)
{
	return test_bit(MMF_HAS_PINNED, &src->vm_mm->flags) && folio_maybe_dma_pinned(folio);
}

/*
 * semantics.md §5.4: duplicate @nr PTE mappings for the child. If the folio may be
 * pinned and any of the pages is exclusive, refuse with -EBUSY (the caller
 * copies the page instead); otherwise the pages become shared: exclusive is
 * cleared and the child's mappings counted. References are the caller's.
 */
int folio_try_dup_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
				 struct vm_area_struct *dst, struct vm_area_struct *src)
{
	(void)dst;
	if (fork_maybe_pinned(src, folio)) {
		for (int i = 0; i < nr; i++)
			if (PageAnonExclusive(&page[i]))
				return -EBUSY;
	}
	for (int i = 0; i < nr; i++)
		if (PageAnonExclusive(&page[i]))
			ClearPageAnonExclusive(&page[i]);
	__folio_add_rmap_ptes(folio, page, nr);
	return 0;
}

/*
 * The same for a PMD/PUD leaf: a THP or hugetlb folio whose exclusive state
 * lives on the head page (__folio_try_dup_anon_rmap(), RMAP_LEVEL_PMD).
 */
int folio_try_dup_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *dst,
				struct vm_area_struct *src)
{
	(void)dst;
	if (PageAnonExclusive(&folio->page)) {
		if (fork_maybe_pinned(src, folio))
			return -EBUSY;
		ClearPageAnonExclusive(&folio->page);
	}
	__folio_add_rmap_pmd(folio);
	return 0;
}

void folio_dup_file_rmap_ptes(struct folio *folio, struct page *page, int nr)
{
	__folio_add_rmap_ptes(folio, page, nr);
}

void folio_dup_file_rmap_pmd(struct folio *folio)
{
	__folio_add_rmap_pmd(folio);
}

/* ------------------------------------------------------------------ */
/* rmap_walk */

struct rmap_walk_state {
	struct folio *folio;
	rmap_fn fn;
	void *arg;
	struct rmap_locks *locks;
};

/* Does @entry (at @level) still map a page of @folio? */
static bool entry_maps_folio(pteval_t v, enum pt_level level, struct folio *folio)
{
	unsigned long pfn = page_to_pfn(&folio->page);

	if (!pte_present(v) || pte_special(v))
		return false;
	if (level > PT_PTE && !pte_leaf(v))
		return false;
	if (level > PT_PTE)
		return pte_pfn(v) == pfn;
	return pte_pfn(v) >= pfn && pte_pfn(v) < pfn + (unsigned long)folio_nr_pages(folio);
}

/*
 * Visit the entries of @vma that may map @folio in [start, end). The mmap
 * lock of vma->vm_mm is held, so the tables cannot go away; each entry is
 * rechecked under its table lock, which the callback runs under.
 */
static int rmap_walk_range(struct rmap_walk_state *s, struct vm_area_struct *vma,
			   unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct gupsim *sim = mm->sim;
	unsigned long addr = start;

	while (addr < end) {
		enum pt_level level = PT_PTE;
		pteval_t *entry = pgtable_lookup(mm, addr, &level);
		unsigned long size = 1UL << pt_shift(level);
		pteval_t v;
		int ret = 0;

		if (!entry) {
			addr = pgtable_hole_end(mm, addr);
			continue;
		}
		pt_lock(sim, entry);
		v = pt_read(entry);
		if (level > PT_PTE && !pte_none(v) && !pte_leaf(v)) {
			/* the leaf was split since the lookup: look again */
			pt_unlock(sim, entry);
			continue;
		}
		if (entry_maps_folio(v, level, s->folio))
			ret = s->fn(s->folio, vma, ALIGN_DOWN(addr, size), entry, level, s->arg);
		pt_unlock(sim, entry);
		if (ret)
			return ret;
		addr = ALIGN_DOWN(addr, size) + size;
	}
	return 0;
}

/*
 * The walker needs the mmap lock of every mm it visits, but its caller may
 * hold locks that rank below mmap_lock (the anon_vma or i_mmap lock is held
 * here, and the caller often holds its own mm's mmap lock). Blocking on
 * another mm's mmap lock could deadlock against a thread that holds that
 * lock and waits for ours, so other mms are only trylocked; one that is
 * busy is skipped and the walk reports -EAGAIN (the kernel's rmap walkers
 * take no mmap lock at all: RCU keeps their tables alive, which gupsim
 * models with the mmap lock). Each mm is locked once per walk and stays
 * locked until the walk ends, however many of its VMAs map the folio; an
 * mm the calling thread holds already is not locked again.
 */
static int rmap_lock_mm(struct rmap_walk_state *s, struct mm_struct *mm)
{
	struct rmap_locks *l = s->locks;

	if (mmap_lock_held(mm))
		return 0;
	if (l->nr == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 4;
		struct mm_struct **p = realloc(l->mm, cap * sizeof(*p));

		if (!p)
			return -EAGAIN;
		l->mm = p;
		l->cap = cap;
	}
	if (!mm_read_trylock(mm)) {
		if (l->want_busy && !l->busy && atomic_inc_not_zero(&mm->mm_users))
			l->busy = mm;
		return -EAGAIN;
	}
	/* a reference keeps the mm (and its lock) alive after the anon_vma or
	 * i_mmap lock is dropped; one whose last user is gone is being torn
	 * down (it stays on our list until we drop that lock): busy */
	if (!atomic_inc_not_zero(&mm->mm_users)) {
		mm_read_unlock(mm);
		return -EAGAIN;
	}
	l->mm[l->nr++] = mm;
	return 0;
}

void rmap_locks_release(struct rmap_locks *locks)
{
	while (locks->nr) {
		struct mm_struct *mm = locks->mm[--locks->nr];

		mm_read_unlock(mm);
		gupsim_mm_put(mm);
	}
	free(locks->mm);
	locks->mm = NULL;
	locks->cap = 0;
	if (locks->busy)
		gupsim_mm_put(locks->busy);
	locks->busy = NULL;
}

static int rmap_walk_vma(struct rmap_walk_state *s, struct vm_area_struct *vma,
			 unsigned long start, unsigned long end)
{
	start = start > vma->vm_start ? start : vma->vm_start;
	end = end < vma->vm_end ? end : vma->vm_end;
	if (start >= end)
		return 0;
	return rmap_walk_range(s, vma, start, end);
}

static int rmap_walk_anon_mm(struct rmap_walk_state *s, struct mm_struct *mm)
{
	unsigned long start = s->folio->index << PAGE_SHIFT;
	unsigned long end = start + ((unsigned long)folio_nr_pages(s->folio) << PAGE_SHIFT);
	struct vm_area_struct *vma;
	int ret = 0;

	for (vma = find_vma(mm, start); vma && vma->vm_start < end && !ret; vma = vma->vm_next)
		ret = rmap_walk_vma(s, vma, start, end);
	return ret;
}

/*
 * folio_get_anon_vma(): a reference on the folio's anon_vma, or NULL when
 * the folio is no longer mapped (its anon_vma may then be gone).
 */
static struct anon_vma *folio_get_anon_vma(struct folio *folio)
{
	struct anon_vma *av = folio_anon_vma(folio);

	if (!av || !folio_mapped(folio))
		return NULL;
	if (!atomic_inc_not_zero(&av->refcount))
		return NULL;
	/* mapped again after we took the reference: the anon_vma is live */
	if (!folio_mapped(folio) || folio_anon_vma(folio) != av) {
		anon_vma_put(av);
		return NULL;
	}
	return av;
}

static int rmap_walk_anon(struct rmap_walk_state *s)
{
	struct anon_vma *av = folio_get_anon_vma(s->folio);
	bool skipped = false;
	int ret = 0;

	if (!av)
		return 0;
	pthread_mutex_lock(&av->lock);
	for (unsigned int i = 0; i < av->nr_mms && !ret; i++) {
		struct mm_struct *mm = av->mms[i];

		if (rmap_lock_mm(s, mm)) {
			skipped = true;
			continue;
		}
		ret = rmap_walk_anon_mm(s, mm);
	}
	pthread_mutex_unlock(&av->lock);
	anon_vma_put(av);
	return ret ? ret : (skipped ? -EAGAIN : 0);
}

/* The part of @vma that maps file pages [index, index + nr). */
static int rmap_walk_file_vma(struct rmap_walk_state *s, struct vm_area_struct *vma)
{
	pgoff_t index = s->folio->index;
	unsigned long nr = (unsigned long)folio_nr_pages(s->folio);
	unsigned long vma_pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	unsigned long start, end;

	if (index + nr <= vma->vm_pgoff || index >= vma->vm_pgoff + vma_pages)
		return 0;
	if (index < vma->vm_pgoff) {
		start = vma->vm_start;
		end = start + ((index + nr - vma->vm_pgoff) << PAGE_SHIFT);
	} else {
		start = vma->vm_start + ((index - vma->vm_pgoff) << PAGE_SHIFT);
		end = start + (nr << PAGE_SHIFT);
	}
	return rmap_walk_vma(s, vma, start, end);
}

static int rmap_walk_file(struct rmap_walk_state *s, struct address_space *mapping)
{
	bool skipped = false;
	int ret = 0;

	pthread_mutex_lock(&mapping->lock);
	for (struct vm_area_struct *vma = mapping->i_mmap; vma && !ret; vma = vma->i_mmap_next) {
		if (rmap_lock_mm(s, vma->vm_mm)) {
			skipped = true;
			continue;
		}
		ret = rmap_walk_file_vma(s, vma);
	}
	pthread_mutex_unlock(&mapping->lock);
	return ret ? ret : (skipped ? -EAGAIN : 0);
}

/*
 * Call @fn for every entry that maps @folio: anon folios through their
 * family's mms, file folios through the i_mmap of their file. The caller
 * holds a reference on @folio. Returns the first non-zero @fn result, else
 * -EAGAIN if an mm was busy and skipped, else 0.
 */
int rmap_walk_locked(struct folio *folio, rmap_fn fn, void *arg, struct rmap_locks *locks)
{
	struct rmap_walk_state s = { .folio = folio, .fn = fn, .arg = arg, .locks = locks };
	struct address_space *mapping;

	if (folio_test_anon(folio))
		return rmap_walk_anon(&s);
	mapping = (struct address_space *)READ_ONCE_UL(&folio->mapping);
	if (!mapping)
		return 0;
	return rmap_walk_file(&s, mapping);
}

int rmap_walk(struct folio *folio, rmap_fn fn, void *arg)
{
	struct rmap_locks locks = { 0 };
	int ret = rmap_walk_locked(folio, fn, arg, &locks);

	rmap_locks_release(&locks);
	return ret;
}
