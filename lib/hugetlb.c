// SPDX-License-Identifier: MIT
/*
 * hugetlb pools: 2 MiB and 1 GiB folios reserved when the machine is
 * created (the kernel's boot-time nr_hugepages), handed out by hugetlb
 * faults and returned to the pool when their last reference goes.
 * Migration targets (FOLL_LONGTERM out of ZONE_MOVABLE/CMA) are "surplus"
 * folios allocated fresh from the buddy allocator and freed back to it.
 */
#include <stdlib.h>

#include "internal.h"

static struct hstate *hstate_for(struct gupsim *sim, unsigned int order)
{
	if (order == HPAGE_PMD_ORDER)
		return &sim->hstates[0];
	if (order == HPAGE_PUD_ORDER)
		return &sim->hstates[1];
	return NULL;
}

/* A surplus folio is marked in page[0].private; pool folios keep 0. */
#define HUGETLB_SURPLUS	1UL

static void hugetlb_prep(struct folio *folio)
{
	SetPageFlag(&folio->page, PG_hugetlb);
}

static int hstate_fill(struct gupsim *sim, struct hstate *h, unsigned int order,
		       unsigned long count)
{
	h->order = order;
	if (!count)
		return 0;
	h->free = calloc(count, sizeof(*h->free));
	if (!h->free)
		return -ENOMEM;
	for (unsigned long i = 0; i < count; i++) {
		struct folio *folio = folio_alloc_gfp(sim, order, __GFP_MOVABLE | __GFP_NOWARN);

		if (!folio)
			return -ENOMEM;
		hugetlb_prep(folio);
		atomic_set(&folio->_refcount, 0);	/* free in the pool */
		h->free[h->nr_free++] = folio;
		h->nr_huge_pages++;
	}
	return 0;
}

int hugetlb_pools_init(struct gupsim *sim)
{
	int err = hstate_fill(sim, &sim->hstates[1], HPAGE_PUD_ORDER, sim->cfg.hugetlb_1g_pages);

	if (!err)
		err = hstate_fill(sim, &sim->hstates[0], HPAGE_PMD_ORDER, sim->cfg.hugetlb_2m_pages);
	return err;
}

void hugetlb_pools_destroy(struct gupsim *sim)
{
	for (int i = 0; i < 2; i++) {
		free(sim->hstates[i].free);
		sim->hstates[i].free = NULL;
		sim->hstates[i].nr_free = 0;
	}
}

struct folio *hugetlb_folio_alloc(struct gupsim *sim, unsigned int order)
{
	struct hstate *h = hstate_for(sim, order);
	struct folio *folio = NULL;

	if (!h)
		return NULL;
	pthread_mutex_lock(&sim->hugetlb_lock);
	if (h->nr_free)
		folio = h->free[--h->nr_free];
	pthread_mutex_unlock(&sim->hugetlb_lock);
	if (!folio)
		return NULL;
	atomic_set(&folio->_refcount, 1);
	return folio;	/* no data (dropped when it came back): hugetlb faults zero */
}

struct folio *hugetlb_folio_alloc_fresh(struct gupsim *sim, unsigned int order, gfp_t gfp)
{
	struct hstate *h = hstate_for(sim, order);
	struct folio *folio;

	if (!h)
		return NULL;
	folio = folio_alloc_gfp(sim, order, gfp | __GFP_NOWARN);
	if (!folio)
		return NULL;
	hugetlb_prep(folio);
	folio->private = HUGETLB_SURPLUS;
	pthread_mutex_lock(&sim->hugetlb_lock);
	h->nr_surplus++;
	pthread_mutex_unlock(&sim->hugetlb_lock);
	return folio;
}

/* The last reference went: back to the pool, or to the buddy if surplus. */
void hugetlb_folio_free(struct folio *folio)
{
	struct gupsim *sim = folio->sim;
	struct hstate *h = hstate_for(sim, folio_order(folio));

	if (atomic_read(&folio->_pincount)) {
		bad_page(&folio->page, "nonzero pincount");
		return;
	}
	if (atomic_read(&folio->_entire_mapcount) != -1 ||
	    atomic_read(&folio->_large_mapcount) != -1) {
		bad_page(&folio->page, "nonzero mapcount");
		return;
	}
	pin_shadow_reset(folio);
	folio->mapping = NULL;
	folio->index = 0;
	ClearPageFlag(&folio->page, PG_anon_exclusive);
	ClearPageFlag(&folio->page, PG_dirty);
	if (folio->private == HUGETLB_SURPLUS || !h || !h->free) {
		folio->private = 0;
		ClearPageFlag(&folio->page, PG_hugetlb);
		pthread_mutex_lock(&sim->hugetlb_lock);
		if (h && h->nr_surplus)
			h->nr_surplus--;
		pthread_mutex_unlock(&sim->hugetlb_lock);
		__folio_put(folio);	/* no longer hugetlb: back to the buddy */
		return;
	}
	page_data_release_folio(folio);
	pthread_mutex_lock(&sim->hugetlb_lock);
	if (h->nr_free < h->nr_huge_pages)
		h->free[h->nr_free++] = folio;
	pthread_mutex_unlock(&sim->hugetlb_lock);
}
