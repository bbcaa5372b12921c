// SPDX-License-Identifier: MIT
/*
 * The shared zero page and the huge zero folio (semantics.md §2.4).
 *
 * The small zero page is mapped by read faults of anonymous memory; a
 * FOLL_PIN on it only pretends (no refcount or vmstat change). The huge
 * zero folio is a PMD-sized folio mapped by read faults of THP-enabled
 * ranges; it is NOT is_zero_folio(), so pins on it are counted like those
 * on any large folio. Both live until the machine is destroyed.
 */
#include "internal.h"

int zero_page_init(struct gupsim *sim)
{
	struct folio *folio = folio_alloc_gfp(sim, 0, GFP_KERNEL | __GFP_ZERO);

	if (!folio)
		return -ENOMEM;
	SetPageFlag(&folio->page, PG_reserved);
	SetPageFlag(&folio->page, PG_uptodate);
	sim->zero_page = &folio->page;
	return 0;
}

struct folio *mm_get_huge_zero_folio(struct gupsim *sim)
{
	struct folio *folio = (struct folio *)smp_load_acquire_ul((unsigned long *)&sim->huge_zero_folio);

	if (folio || !sim->cfg.use_huge_zero_page)
		return folio;
	pthread_mutex_lock(&sim->huge_zero_lock);
	folio = sim->huge_zero_folio;
	if (!folio) {
		folio = folio_alloc_gfp(sim, HPAGE_PMD_ORDER, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
		if (folio) {
			SetPageFlag(&folio->page, PG_uptodate);
			smp_store_release_ul((unsigned long *)&sim->huge_zero_folio, (unsigned long)folio);
		}
	}
	pthread_mutex_unlock(&sim->huge_zero_lock);
	return folio;
}

struct page *gupsim_zero_page(struct gupsim *sim)
{
	return sim ? sim->zero_page : NULL;
}

struct folio *gupsim_huge_zero_folio(struct gupsim *sim)
{
	return sim ? mm_get_huge_zero_folio(sim) : NULL;
}

bool gupsim_is_zero_page(const struct page *page)
{
	return page && !page_uninit(page) && is_zero_page(page);
}

bool gupsim_is_zero_folio(const struct folio *folio)
{
	return folio && !page_uninit(&folio->page) && is_zero_folio(folio);
}

bool gupsim_is_huge_zero_folio(const struct folio *folio)
{
	return folio && !page_uninit(&folio->page) && is_huge_zero_folio(folio);
}
