// SPDX-License-Identifier: MIT
/*
 * Physical memory: the memmap of struct pages, zones (NORMAL with its CMA
 * pageblocks, MOVABLE, DEVICE) and a buddy allocator that hands out folios
 * of any order from 0 to MAX_PAGE_ORDER (1 GiB).
 *
 * The memmap and the backing store are reserved with MAP_NORESERVE and
 * touched lazily: a free block is described by its first struct page only,
 * so a machine of many GiB costs only what is used.
 *
 * Placement policy (documented in docs/concepts.md): user memory
 * (__GFP_MOVABLE) goes to ZONE_MOVABLE first, then to CMA pageblocks, then
 * to ordinary NORMAL pageblocks, so that long-term pin migration happens
 * deterministically when a test configures MOVABLE or CMA memory. Inside a
 * PF_MEMALLOC_PIN scope (memalloc_pin_save) MOVABLE and CMA are skipped.
 */
#include <stdlib.h>

#include "internal.h"

/* struct page is the kernel's 64 bytes; struct folio overlays two of them. */
_Static_assert(sizeof(struct page) <= 64, "struct page must be at most 64 bytes");
_Static_assert(sizeof(struct folio) == 2 * sizeof(struct page), "folio overlays 2 pages");
_Static_assert(offsetof(struct folio, _refcount) == offsetof(struct page, _refcount), "refcount");
_Static_assert(offsetof(struct folio, mapping) == offsetof(struct page, mapping), "mapping");
_Static_assert(offsetof(struct folio, _pincount) ==
	       sizeof(struct page) + offsetof(struct page, _pincount), "pincount in page[1]");
_Static_assert(offsetof(struct folio, _folio_order) ==
	       sizeof(struct page) + offsetof(struct page, _folio_order), "order in page[1]");

/*
 * page->sim never changes once set, but GUP-fast reads it locklessly
 * (try_grab_folio_fast()'s WARN argument) while a page is freed or
 * reallocated: write it only the first time, so that the reads never race
 * with a store (TSan).
 */
static inline void page_set_sim(struct page *page, struct gupsim *sim)
{
	if (page->sim != sim)
		page->sim = sim;
}

static inline struct page *pfn_page(struct gupsim *sim, unsigned long pfn)
{
	return sim->memmap + pfn;
}

struct page *pfn_to_page_sim(struct gupsim *sim, unsigned long pfn)
{
	if (!sim || pfn >= sim->nr_pfns)
		return NULL;
	return pfn_page(sim, pfn);
}

static enum zone_type pfn_zone(const struct gupsim *sim, unsigned long pfn)
{
	if (pfn >= sim->zone_start[ZONE_DEVICE])
		return ZONE_DEVICE;
	if (pfn >= sim->zone_start[ZONE_MOVABLE])
		return ZONE_MOVABLE;
	return ZONE_NORMAL;
}

static unsigned long zone_flags(const struct gupsim *sim, unsigned long pfn)
{
	return (unsigned long)pfn_zone(sim, pfn) << ZONES_PGSHIFT;
}

enum migratetype get_pageblock_migratetype(const struct page *page)
{
	const struct gupsim *sim = page->sim;
	unsigned long pfn = page_to_pfn(page);

	if (pfn >= sim->pools[POOL_CMA].start_pfn && pfn < sim->pools[POOL_CMA].end_pfn)
		return MIGRATE_CMA;
	return page_zonenum(page) == ZONE_MOVABLE ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
}

bool is_migrate_cma_page(const struct page *page)
{
	return get_pageblock_migratetype(page) == MIGRATE_CMA;
}

bool folio_is_zone_movable(const struct folio *folio)
{
	return page_zonenum(&folio->page) == ZONE_MOVABLE;
}

bool folio_is_zone_device(const struct folio *folio)
{
	return page_zonenum(&folio->page) == ZONE_DEVICE;
}

bool folio_is_fsdax(const struct folio *folio)
{
	return folio_is_zone_device(folio) && folio->private == PGMAP_FSDAX;
}

bool folio_is_pci_p2pdma(const struct folio *folio)
{
	return folio_is_zone_device(folio) && folio->private == PGMAP_P2PDMA;
}

/* ---- buddy free lists (sim->zone_lock held) ---- */

static void free_list_add(struct buddy_pool *pool, struct page *page, unsigned int order)
{
	struct free_area *area = &pool->free_area[order];

	page->buddy_order = order;
	page->buddy_prev = NULL;
	page->buddy_next = area->head;
	if (area->head)
		area->head->buddy_prev = page;
	area->head = page;
	area->nr_free++;
	SetPageFlag(page, PG_buddy);
}

static void free_list_del(struct buddy_pool *pool, struct page *page, unsigned int order)
{
	struct free_area *area = &pool->free_area[order];

	if (page->buddy_prev)
		page->buddy_prev->buddy_next = page->buddy_next;
	else
		area->head = page->buddy_next;
	if (page->buddy_next)
		page->buddy_next->buddy_prev = page->buddy_prev;
	page->buddy_next = page->buddy_prev = NULL;
	area->nr_free--;
	ClearPageFlag(page, PG_buddy);
}

/* Describe a free block by its first struct page only. */
static void init_free_head(struct gupsim *sim, unsigned long pfn)
{
	struct page *page = pfn_page(sim, pfn);

	WRITE_ONCE_UL(&page->flags, zone_flags(sim, pfn));
	WRITE_ONCE_UL(&page->compound_head, 0);
	atomic_set(&page->_refcount, 0);
	atomic_set(&page->_mapcount, -1);
	page_set_sim(page, sim);
}

/* Returns the order of the free block the pages ended up in. */
static unsigned int __free_block(struct gupsim *sim, struct buddy_pool *pool, unsigned long pfn,
				 unsigned int order)
{
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		if (buddy_pfn < pool->start_pfn || buddy_pfn + (1UL << order) > pool->end_pfn)
			break;
		buddy = pfn_page(sim, buddy_pfn);
		if (!PageFlag(buddy, PG_buddy) || buddy->buddy_order != order)
			break;
		free_list_del(pool, buddy, order);
		pfn &= ~(1UL << order);
		order++;
	}
	init_free_head(sim, pfn);
	free_list_add(pool, pfn_page(sim, pfn), order);
	return order;
}

static void pool_init(struct gupsim *sim, struct buddy_pool *pool)
{
	unsigned long pfn = pool->start_pfn;

	while (pfn < pool->end_pfn) {
		unsigned int order = MAX_PAGE_ORDER;

		while (order && (!IS_ALIGNED(pfn, 1UL << order) ||
				 pfn + (1UL << order) > pool->end_pfn))
			order--;
		init_free_head(sim, pfn);
		free_list_add(pool, pfn_page(sim, pfn), order);
		pfn += 1UL << order;
	}
	atomic_long_set(&pool->nr_free, (long)(pool->end_pfn - pool->start_pfn));
}

void page_alloc_init(struct gupsim *sim)
{
	for (int i = 0; i < NR_POOLS; i++)
		pool_init(sim, &sim->pools[i]);
}

static struct page *pool_alloc(struct gupsim *sim, struct buddy_pool *pool, unsigned int order)
{
	unsigned int o = order;
	struct page *page;
	unsigned long pfn;

	while (o <= MAX_PAGE_ORDER && !pool->free_area[o].head)
		o++;
	if (o > MAX_PAGE_ORDER)
		return NULL;
	page = pool->free_area[o].head;
	free_list_del(pool, page, o);
	pfn = page_to_pfn(page);
	/* hand the upper halves back as smaller free blocks */
	while (o > order) {
		o--;
		init_free_head(sim, pfn + (1UL << o));
		free_list_add(pool, pfn_page(sim, pfn + (1UL << o)), o);
	}
	/* claim the block's never-touched struct pages under the lock, so
	 * that gupsim_pfn_to_page() leaves them to prep_compound_page() */
	for (unsigned long i = 1; i < (1UL << order); i++)
		page_set_sim(page + i, sim);
	atomic_long_sub(1L << order, &pool->nr_free);
	return page;
}

/* ---- folios ---- */

void prep_compound_page(struct page *head, unsigned int order)
{
	struct gupsim *sim = head->sim;
	unsigned long pfn = page_to_pfn(head);
	unsigned long nr = 1UL << order;

	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = head + i;

		page_set_sim(p, sim);
		WRITE_ONCE_UL(&p->flags, zone_flags(sim, pfn + i));
		p->mapping = NULL;
		p->index = 0;
		p->private = 0;
		p->_sim_private = 0;
		atomic_set(&p->_mapcount, -1);
		atomic_set(&p->_refcount, 0);
		WRITE_ONCE_UL(&p->compound_head, i ? (unsigned long)head | 1 : 0);
	}
	if (order) {
		struct folio *folio = (struct folio *)head;

		SetPageFlag(head, PG_head);
		folio->_folio_order = (unsigned char)order;
		atomic_set(&folio->_large_mapcount, -1);
		atomic_set(&folio->_entire_mapcount, -1);
		atomic_set(&folio->_nr_pages_mapped, 0);
		atomic_set(&folio->_pincount, 0);
		folio->_folio_nr_pages = (unsigned int)nr;
	}
}

static int pools_for(gfp_t gfp, int *pools)
{
	int n = 0;

	if (gfp & __GFP_ONLY_MOVABLE) {
		pools[n++] = POOL_MOVABLE;
		return n;
	}
	if (gfp & __GFP_ONLY_CMA) {
		pools[n++] = POOL_CMA;
		return n;
	}
	if ((gfp & __GFP_MOVABLE) && !(get_current()->flags & PF_MEMALLOC_PIN)) {
		pools[n++] = POOL_MOVABLE;
		pools[n++] = POOL_CMA;
	}
	pools[n++] = POOL_NORMAL;
	return n;
}

#define GFP_KNOWN	(__GFP_MOVABLE | __GFP_ZERO | __GFP_ONLY_MOVABLE | __GFP_ONLY_CMA | __GFP_NOWARN)

struct folio *folio_alloc_gfp(struct gupsim *sim, unsigned int order, gfp_t gfp)
{
	struct page *page = NULL;
	int pools[NR_POOLS], n;

	if (order > MAX_PAGE_ORDER) {
		WARN(sim, !(gfp & __GFP_NOWARN), "page allocation of order %u > %u\n",
		     order, (unsigned int)MAX_PAGE_ORDER);
		return NULL;
	}
	n = pools_for(gfp, pools);
	pthread_mutex_lock(&sim->zone_lock);
	for (int i = 0; i < n && !page; i++)
		page = pool_alloc(sim, &sim->pools[pools[i]], order);
	pthread_mutex_unlock(&sim->zone_lock);
	if (!page)
		return NULL;

	prep_compound_page(page, order);
	atomic_set(&page->_refcount, 1);
	/*
	 * A new page has no data: it reads as zeros, __GFP_ZERO or not, and
	 * its frame is only written once something writes the page. (Its bit
	 * is already clear unless a DMA wrote to it while it was free.)
	 */
	page_data_drop(sim, page_to_pfn(page), 1UL << order);
	return (struct folio *)page;
}

struct page *alloc_page_gfp(struct gupsim *sim, gfp_t gfp)
{
	struct folio *folio = folio_alloc_gfp(sim, 0, gfp);

	return folio ? &folio->page : NULL;
}

/* ---- ZONE_DEVICE: pages handed to fsdax / p2pdma files one at a time ---- */

struct folio *device_folio_alloc(struct gupsim *sim, unsigned long pgmap_type)
{
	struct page *page;

	pthread_mutex_lock(&sim->zone_lock);
	page = sim->device_free;
	if (page)
		sim->device_free = page->buddy_next;
	else if (sim->device_next_pfn < sim->zone_end[ZONE_DEVICE])
		page = pfn_page(sim, sim->device_next_pfn++);
	if (page)
		page_set_sim(page, sim);	/* claimed under the lock, see pool_alloc() */
	pthread_mutex_unlock(&sim->zone_lock);
	if (!page)
		return NULL;
	prep_compound_page(page, 0);
	SetPageFlag(page, PG_device);
	page->private = pgmap_type;
	atomic_set(&page->_refcount, 1);
	page_data_drop(sim, page_to_pfn(page), 1);	/* reads as zeros */
	return (struct folio *)page;
}

static void device_folio_free(struct gupsim *sim, struct page *page)
{
	page->private = 0;
	pthread_mutex_lock(&sim->zone_lock);
	page->buddy_next = sim->device_free;
	sim->device_free = page;
	pthread_mutex_unlock(&sim->zone_lock);
}

/* ---- freeing ---- */

/*
 * free_pages_prepare(): a folio must not be freed while mapped or pinned.
 * The kernel reports it with bad_page() and leaks the page rather than
 * hand it out again; so do we. As in the kernel, the large-folio fields
 * are reported against page[1], where they live (free_tail_page_prepare()),
 * and the pages' own mapcounts tail by tail, then the head's.
 */
static bool free_pages_check(struct folio *folio)
{
	long nr = folio_nr_pages(folio);

	if (folio_test_large(folio)) {
		struct page *tail = folio_page(folio, 1);

		if (atomic_read(&folio->_entire_mapcount) != -1) {
			bad_page(tail, "nonzero entire_mapcount");
			return false;
		}
		if (atomic_read(&folio->_large_mapcount) != -1) {
			bad_page(tail, "nonzero large_mapcount");
			return false;
		}
		if (atomic_read(&folio->_nr_pages_mapped)) {
			bad_page(tail, "nonzero nr_pages_mapped");
			return false;
		}
		if (atomic_read(&folio->_pincount)) {
			bad_page(tail, "nonzero pincount");
			return false;
		}
	}
	for (long i = 1; i <= nr; i++) {
		struct page *p = folio_page(folio, i % nr);	/* the head last */

		if (atomic_read(&p->_mapcount) != -1) {
			bad_page(p, "nonzero mapcount");
			return false;
		}
	}
	return true;
}

static void free_pool_block(struct gupsim *sim, struct page *head, unsigned int order)
{
	unsigned long pfn = page_to_pfn(head);

	for (int i = 0; i < NR_POOLS; i++) {
		struct buddy_pool *pool = &sim->pools[i];

		if (pfn >= pool->start_pfn && pfn < pool->end_pfn) {
			pthread_mutex_lock(&sim->zone_lock);
			if (__free_block(sim, pool, pfn, order) >= pageblock_order)
				page_data_release_queue(sim, pfn, 1UL << order);
			pthread_mutex_unlock(&sim->zone_lock);
			atomic_long_add(1L << order, &pool->nr_free);
			return;
		}
	}
}

/*
 * Is [pfn, pfn + 2^order) inside one free block? A block of order o
 * starts at pfn rounded down to 2^o, and only free-list heads carry
 * PG_buddy (zone_lock held, which also keeps buddy_order stable).
 */
bool buddy_range_free(struct gupsim *sim, unsigned long pfn, unsigned int order)
{
	for (int i = 0; i < NR_POOLS; i++) {
		struct buddy_pool *pool = &sim->pools[i];

		if (pfn < pool->start_pfn || pfn >= pool->end_pfn)
			continue;
		for (unsigned int o = order; o <= MAX_PAGE_ORDER; o++) {
			unsigned long head = pfn & ~((1UL << o) - 1);
			struct page *page = pfn_page(sim, head);

			if (head < pool->start_pfn || head + (1UL << o) > pool->end_pfn)
				continue;
			if (PageFlag(page, PG_buddy) && page->buddy_order >= o)
				return true;
		}
		return false;
	}
	return false;
}

/* Return a folio whose refcount reached zero to where it came from. */
void __folio_put(struct folio *folio)
{
	struct gupsim *sim = folio->sim;
	unsigned int order = folio_order(folio);
	long nr = 1L << order;

	if (folio_test_hugetlb(folio)) {
		hugetlb_folio_free(folio);
		return;
	}
	if (!free_pages_check(folio))
		return;
	pin_shadow_reset(folio);
	page_data_drop(sim, page_to_pfn(&folio->page), (unsigned long)nr);
	folio->mapping = NULL;
	if (folio_is_zone_device(folio)) {
		WRITE_ONCE_UL(&folio->flags, zone_flags(sim, page_to_pfn(&folio->page)));
		device_folio_free(sim, &folio->page);
		return;
	}
	/* tail pages stop pointing at the head before the block is reused,
	 * so a racing lockless lookup never finds a stale folio */
	for (long i = 1; i < nr; i++)
		WRITE_ONCE_UL(&folio_page(folio, i)->compound_head, 0);
	WRITE_ONCE_UL(&folio->flags, zone_flags(sim, page_to_pfn(&folio->page)));
	free_pool_block(sim, &folio->page, order);
}

/* ---- public ---- */

struct folio *gupsim_folio_alloc(struct gupsim *sim, unsigned int order, unsigned int flags)
{
	struct folio *folio;

	if (!sim || (flags & ~GFP_KNOWN) || order > MAX_PAGE_ORDER ||
	    ((flags & __GFP_ONLY_MOVABLE) && (flags & __GFP_ONLY_CMA))) {
		errno = EINVAL;
		return NULL;
	}
	folio = folio_alloc_gfp(sim, order, flags);
	if (!folio)
		errno = ENOMEM;
	return folio;
}

unsigned long gupsim_zone_free_pages(struct gupsim *sim, enum zone_type zone)
{
	if (!sim)
		return 0;
	switch (zone) {
	case ZONE_NORMAL:
		return (unsigned long)(atomic_long_read(&sim->pools[POOL_NORMAL].nr_free) +
				       atomic_long_read(&sim->pools[POOL_CMA].nr_free));
	case ZONE_MOVABLE:
		return (unsigned long)atomic_long_read(&sim->pools[POOL_MOVABLE].nr_free);
	default:
		return 0;
	}
}

unsigned long gupsim_nr_free_pages(struct gupsim *sim)
{
	return gupsim_zone_free_pages(sim, ZONE_NORMAL) + gupsim_zone_free_pages(sim, ZONE_MOVABLE);
}

/*
 * The memmap is touched lazily: a free block describes itself in its first
 * struct page only, and the others are still all zeros (no machine, no
 * zone, mapcount 0 instead of -1). Before handing such a page to a caller,
 * initialise it as the free page it is. Under zone_lock: the allocator
 * claims a block's struct pages under the same lock (pool_alloc()).
 */
static struct page *pfn_to_page_init(struct gupsim *sim, unsigned long pfn)
{
	struct page *page = pfn_to_page_sim(sim, pfn);

	if (!page)
		return NULL;
	pthread_mutex_lock(&sim->zone_lock);
	if (!page->sim) {
		WRITE_ONCE_UL(&page->flags, zone_flags(sim, pfn));
		WRITE_ONCE_UL(&page->compound_head, 0);
		atomic_set(&page->_refcount, 0);
		atomic_set(&page->_mapcount, -1);
		page->sim = sim;
	}
	pthread_mutex_unlock(&sim->zone_lock);
	return page;
}

struct page *gupsim_pfn_to_page(struct gupsim *sim, unsigned long pfn)
{
	return pfn_to_page_init(sim, pfn);
}

struct page *gupsim_pfn_to_page_current(unsigned long pfn)
{
	struct mm_struct *mm = current_mm();

	return mm ? pfn_to_page_init(mm->sim, pfn) : NULL;
}

unsigned long gupsim_page_to_pfn(const struct page *page)
{
	return page && !page_uninit(page) ? page_to_pfn(page) : 0;
}

/*
 * The caller may write anywhere from @page to the end of its folio (its
 * pages are contiguous): those pages get data, zeros if they had none.
 */
void *gupsim_page_address(const struct page *page)
{
	struct folio *folio;
	long nr;

	if (!page || page_uninit(page))
		return NULL;
	folio = page_folio(page);
	nr = folio_nr_pages(folio) - (long)(page - &folio->page);
	for (long i = 1; i < nr; i++)
		page_address(page + i);
	return page_address(page);
}

enum zone_type gupsim_page_zonenum(const struct page *page)
{
	if (!page) {
		errno = EINVAL;
		return ZONE_NORMAL;
	}
	return page_zonenum(page);
}

bool gupsim_is_migrate_cma_page(const struct page *page)
{
	return page && !page_uninit(page) && is_migrate_cma_page(page);
}
