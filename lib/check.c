// SPDX-License-Identifier: MIT
/*
 * gupsim_check(): the machine's invariants, verified from scratch.
 *
 * Every page table of every mm and every page cache is walked; what they
 * say a folio must carry (mappings, page-cache references, pins) is
 * compared with the folio's own counters, following the conventions of
 * lib/mm_internal.h. The free lists of the buddy allocator are checked
 * against their counters, and with cfg.debug_pins the exact shadow pin
 * counts are checked against _pincount, the refcount bias and vmstat.
 * Each violation is reported through the warn handler with a dump_page.
 */
#include <stdlib.h>

#include "internal.h"

/* What the walk found for one pfn. */
struct seen {
	unsigned long pfn;		/* key + 1; 0 = empty slot */
	int pte_maps;			/* PTEs mapping this page */
	int pmd_maps;			/* PMD/PUD leaves mapping this folio (head only) */
	int cache_refs;			/* page-cache references (head only) */
	int mm_id;			/* an mm that maps it, for the exclusivity check */
	bool multi_mm;			/* mapped by more than one mm */
	bool writable_private;		/* mapped writable by a private mapping */
};

struct seen_map {
	struct seen *slots;
	unsigned long cap, used;
};

struct checker {
	struct gupsim *sim;
	struct seen_map map;
	long violations;
	bool oom;
};

/* The slot of @pfn, or the empty slot where it would go (m->cap > 0). */
static struct seen *probe(struct seen_map *m, unsigned long pfn)
{
	unsigned long h = ((pfn + 1) * 0x9E3779B97F4A7C15UL) & (m->cap - 1);

	while (m->slots[h].pfn && m->slots[h].pfn != pfn + 1)
		h = (h + 1) & (m->cap - 1);
	return &m->slots[h];
}

static struct seen *seen_get(struct checker *c, unsigned long pfn)
{
	struct seen_map *m = &c->map;
	struct seen *s;

	if ((m->used + 1) * 2 > m->cap) {
		struct seen_map n = { NULL, m->cap ? m->cap * 2 : 1024, 0 };

		n.slots = calloc(n.cap, sizeof(*n.slots));
		if (!n.slots) {
			c->oom = true;
			return NULL;
		}
		for (unsigned long i = 0; i < m->cap; i++) {
			if (!m->slots[i].pfn)
				continue;
			*probe(&n, m->slots[i].pfn - 1) = m->slots[i];
			n.used++;
		}
		free(m->slots);
		*m = n;
	}
	s = probe(m, pfn);
	if (!s->pfn) {
		memset(s, 0, sizeof(*s));
		s->pfn = pfn + 1;
		s->mm_id = -1;
		m->used++;
	}
	return s;
}

static void violation(struct checker *c, const struct page *page, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void violation(struct checker *c, const struct page *page, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->violations++;
	gupsim_warn(c->sim, __FILE__, __LINE__, "gupsim_check", "invariant violated: %s\n", msg);
	if (page)
		dump_page(page, "gupsim_check");
}

/* ---- page tables ---- */

/* Tally one PTE or leaf; mm_check() judges the entry's shape and place. */
static int tally_entry(struct mm_struct *mm, pteval_t *entry, enum pt_level level,
		       unsigned long addr, void *arg)
{
	struct checker *c = (struct checker *)arg;
	pteval_t v = pt_read(entry);
	struct vm_area_struct *vma;
	struct page *page;
	struct folio *folio;
	struct seen *s;

	if (!pte_present(v) || pte_special(v))
		return 0;	/* migration entries, zero pages, pfnmaps */
	page = pfn_to_page_sim(c->sim, pte_pfn(v));
	if (!page) {
		violation(c, NULL, "mm %d maps pfn %#lx beyond memory at %#lx", mm->id,
			  pte_pfn(v), addr);
		return 0;
	}
	folio = page_folio(page);
	if (folio_ref_count(folio) <= 0 || PageFlag(&folio->page, PG_buddy)) {
		violation(c, page, "mm %d maps a free page at %#lx", mm->id, addr);
		return 0;
	}
	s = seen_get(c, level == PT_PTE ? page_to_pfn(page) : page_to_pfn(&folio->page));
	if (!s)
		return -ENOMEM;
	if (level == PT_PTE)
		s->pte_maps++;
	else
		s->pmd_maps++;
	if (s->mm_id >= 0 && s->mm_id != mm->id)
		s->multi_mm = true;
	s->mm_id = mm->id;
	vma = vma_lookup(mm, addr);
	if (pte_write(v) && vma && !(vma->vm_flags & VM_SHARED))
		s->writable_private = true;
	return 0;
}

/* mm_check() verifies each mm on its own (entries against VMAs, folio
 * placement); the tally adds up what every mm maps, for the exact
 * per-folio checks below. */
static void check_mms(struct checker *c)
{
	struct mm_struct **mms = NULL;
	size_t n = 0, cap = 0;

	/* hold references, not the list lock, while taking mmap locks:
	 * fork takes them in the other order */
	pthread_mutex_lock(&c->sim->mm_list_lock);
	for (struct mm_struct *mm = c->sim->mm_list; mm; mm = mm->list_next) {
		if (n == cap) {
			struct mm_struct **more = realloc(mms, (cap = cap * 2 + 8) * sizeof(*mms));

			if (!more) {
				c->oom = true;
				break;
			}
			mms = more;
		}
		if (mm->pgd_pfn && atomic_inc_not_zero(&mm->mm_users))
			mms[n++] = mm;
	}
	pthread_mutex_unlock(&c->sim->mm_list_lock);

	for (size_t i = 0; i < n; i++) {
		struct mm_struct *mm = mms[i];
		long problems = mm_check(mm);
		bool taken;

		if (problems)
			violation(c, NULL, "mm %d: %ld problem(s), logged by mm_check", mm->id,
				  problems);
		/* a caller that holds this mm's lock is checked under its hold */
		taken = !mmap_lock_held(mm) && !mm_read_lock(mm);
		if (walk_page_range(mm, 0, TASK_SIZE_MAX + PAGE_SIZE, tally_entry, c))
			c->oom = true;
		if (taken)
			mm_read_unlock(mm);
		gupsim_mm_put(mm);
	}
	free(mms);
}

static void check_page_caches(struct checker *c)
{
	pthread_mutex_lock(&c->sim->file_list_lock);
	for (struct file *file = c->sim->file_list; file; file = file->list_next) {
		struct address_space *mapping = &file->mapping;

		pthread_mutex_lock(&mapping->lock);
		for (unsigned long i = 0; i < mapping->nr_slots; i++) {
			struct folio *folio = mapping->cache ? mapping->cache[i] : NULL;
			struct seen *s;

			if (!folio || folio->index != i)
				continue;	/* large folios are counted once */
			if (folio->mapping != mapping)
				violation(c, &folio->page, "page-cache folio of %s at %lu has mapping %p",
					  file->name, i, (void *)folio->mapping);
			s = seen_get(c, page_to_pfn(&folio->page));
			if (s)
				s->cache_refs += (int)folio_nr_pages(folio);
		}
		pthread_mutex_unlock(&mapping->lock);
	}
	pthread_mutex_unlock(&c->sim->file_list_lock);
}

/* ---- folios ---- */

static struct seen *lookup(struct checker *c, unsigned long pfn)
{
	struct seen *s;

	if (!c->map.cap)
		return NULL;
	s = probe(&c->map, pfn);
	return s->pfn ? s : NULL;
}

static void check_folio(struct checker *c, struct folio *folio)
{
	unsigned long head = page_to_pfn(&folio->page);
	long nr = folio_nr_pages(folio);
	struct seen *hs = lookup(c, head);
	int ptes = 0, pages_mapped = 0, pmds = hs ? hs->pmd_maps : 0;
	int cache = hs ? hs->cache_refs : 0, shadow = pin_shadow_count(folio);
	long expected;

	for (long i = 0; i < nr; i++) {
		struct page *p = folio_page(folio, i);
		struct seen *s = lookup(c, head + (unsigned long)i);
		int maps = s ? s->pte_maps : 0;

		if (atomic_read(&p->_mapcount) + 1 != maps)
			violation(c, p, "page mapcount %d but %d PTEs map it",
				  atomic_read(&p->_mapcount) + 1, maps);
		if (s && folio_test_anon(folio) && PageAnonExclusive(p) && s->multi_mm)
			violation(c, p, "anon-exclusive page mapped by several mms");
		if (s && s->writable_private && folio_test_anon(folio) && !PageAnonExclusive(p))
			violation(c, p, "writable private mapping of a non-exclusive anon page");
		ptes += maps;
		pages_mapped += maps > 0;
	}
	if (folio_test_large(folio)) {
		if (atomic_read(&folio->_entire_mapcount) + 1 != pmds)
			violation(c, &folio->page, "entire_mapcount %d but %d PMD/PUD leaves",
				  atomic_read(&folio->_entire_mapcount) + 1, pmds);
		if (atomic_read(&folio->_large_mapcount) + 1 != ptes + pmds)
			violation(c, &folio->page, "large_mapcount %d but %d mappings",
				  atomic_read(&folio->_large_mapcount) + 1, ptes + pmds);
		if (atomic_read(&folio->_nr_pages_mapped) != pages_mapped)
			violation(c, &folio->page, "nr_pages_mapped %d but %d pages mapped",
				  atomic_read(&folio->_nr_pages_mapped), pages_mapped);
		if (shadow >= 0 && atomic_read(&folio->_pincount) != shadow)
			violation(c, &folio->page, "pincount %d but %d pins taken",
				  atomic_read(&folio->_pincount), shadow);
	}
	expected = ptes + pmds + cache;
	if (shadow > 0)
		expected += folio_has_pincount(folio) ? shadow : (long)shadow * GUP_PIN_COUNTING_BIAS;
	if ((long)(unsigned int)folio_ref_count(folio) < expected)
		violation(c, &folio->page, "refcount %d below the %ld its mappings, cache and pins hold",
			  folio_ref_count(folio), expected);
	if (shadow > 0 && folio_test_anon(folio) && !PageAnonExclusive(&folio->page) &&
	    (!folio_test_large(folio) || folio_test_hugetlb(folio)))
		violation(c, &folio->page, "pinned anon folio is not exclusive");
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Every folio the walks found, each checked once. */
static void check_folios(struct checker *c)
{
	struct seen_map *m = &c->map;
	unsigned long *heads = malloc((m->used + 1) * sizeof(*heads)), n = 0;

	if (!heads) {
		c->oom = true;
		return;
	}
	for (unsigned long i = 0; i < m->cap; i++) {
		if (m->slots[i].pfn) {
			struct page *page = pfn_to_page_sim(c->sim, m->slots[i].pfn - 1);

			heads[n++] = page_to_pfn(&page_folio(page)->page);
		}
	}
	qsort(heads, n, sizeof(*heads), cmp_ulong);
	for (unsigned long i = 0; i < n; i++)
		if (!i || heads[i] != heads[i - 1])
			check_folio(c, (struct folio *)pfn_to_page_sim(c->sim, heads[i]));
	free(heads);
}

/* ---- allocator and pin balance ---- */

static void check_free_lists(struct checker *c)
{
	struct gupsim *sim = c->sim;

	pthread_mutex_lock(&sim->zone_lock);
	for (int p = 0; p < NR_POOLS; p++) {
		struct buddy_pool *pool = &sim->pools[p];
		unsigned long total = 0;

		for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
			unsigned long n = 0;

			for (struct page *pg = pool->free_area[order].head; pg; pg = pg->buddy_next) {
				unsigned long pfn = page_to_pfn(pg);

				if (!PageFlag(pg, PG_buddy) || pg->buddy_order != order ||
				    pfn < pool->start_pfn || pfn + (1UL << order) > pool->end_pfn ||
				    !IS_ALIGNED(pfn, 1UL << order))
					violation(c, pg, "bad free block at pfn %#lx order %u", pfn, order);
				n++;
			}
			if (n != pool->free_area[order].nr_free)
				violation(c, NULL, "pool %d order %u lists %lu blocks, counts %lu", p,
					  order, n, pool->free_area[order].nr_free);
			total += n << order;
		}
		if (total != (unsigned long)atomic_long_read(&pool->nr_free))
			violation(c, NULL, "pool %d holds %lu free pages, counts %ld", p, total,
				  atomic_long_read(&pool->nr_free));
	}
	pthread_mutex_unlock(&sim->zone_lock);
}

/* acquired - released = pins outstanding, but folio_add_pin() pins are
 * never "acquired" (semantics.md §2.6): they are counted apart. */
static void check_pin_balance(struct checker *c)
{
	struct gupsim *sim = c->sim;
	long shadow = 0, acquired, released, added;

	if (!sim->pin_shadow)
		return;
	for (unsigned long pfn = 0; pfn < sim->nr_pfns; pfn++)
		shadow += __ao_int_load(&sim->pin_shadow[pfn]);
	acquired = (long)gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	released = (long)gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED);
	added = atomic_long_read(&sim->nr_add_pin);
	if (acquired + added - released != shadow)
		violation(c, NULL, "nr_foll_pin_acquired %ld + folio_add_pin %ld - released %ld != %ld pins outstanding",
			  acquired, added, released, shadow);
}

long gupsim_check(struct gupsim *sim)
{
	struct checker c = { .sim = sim };

	if (!sim)
		return -EINVAL;
	check_mms(&c);
	check_page_caches(&c);
	check_folios(&c);
	check_free_lists(&c);
	check_pin_balance(&c);
	free(c.map.slots);
	if (c.oom)
		return -ENOMEM;
	return c.violations;
}
