// SPDX-License-Identifier: MIT
/*
 * Pin accounting: the half of mm/gup.c that grabs and releases references
 * and pins on folios (semantics.md §2, §3, §4.1). The page-table side of GUP lives
 * in gup.c and gup_fast.c.
 *
 *   small folio:  GET ref += 1        PIN ref += 1024 (GUP_PIN_COUNTING_BIAS)
 *   large folio:  GET ref += 1        PIN ref += 1, _pincount += 1
 *   zero page:    GET ref += 1        PIN nothing at all
 *   huge zero:    like any large folio (it is not is_zero_folio)
 *
 * nr_foll_pin_acquired/released move by one per page pinned (semantics.md §2.6).
 */
#include "internal.h"

/* ---- debug_pins: an exact shadow count of pins per folio ---- */

static int *shadow_slot(const struct folio *folio)
{
	const struct gupsim *sim = folio->sim;

	if (!sim->pin_shadow)
		return NULL;
	return &sim->pin_shadow[page_to_pfn(&folio->page)];
}

void pin_shadow_add(struct folio *folio, int refs)
{
	int *slot = shadow_slot(folio);

	if (slot)
		__ao_int_fetch_add(slot, refs);
}

void pin_shadow_sub(struct folio *folio, int refs)
{
	int *slot = shadow_slot(folio);

	if (slot)
		__ao_int_fetch_add(slot, -refs);
}

void pin_shadow_reset(struct folio *folio)
{
	int *slot = shadow_slot(folio);

	if (slot && __ao_int_load(slot)) {
		/* only a bad_page()-free folio gets here: its pins were all dropped */
		__ao_int_store(slot, 0);
	}
}

int pin_shadow_count(const struct folio *folio)
{
	int *slot = shadow_slot(folio);

	return slot ? __ao_int_load(slot) : -1;
}

/* ---- predicates ---- */

/* semantics.md §3.1: exact for large folios; small ones may report false positives. */
bool folio_maybe_dma_pinned(struct folio *folio)
{
	if (folio_has_pincount(folio))
		return atomic_read(&folio->_pincount) > 0;
	return (unsigned int)folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

/* semantics.md §4.1, checked in the kernel's order. */
bool folio_is_longterm_pinnable(struct folio *folio)
{
	if (get_pageblock_migratetype(&folio->page) == MIGRATE_CMA)
		return false;
	if (is_zero_folio(folio))
		return true;
	if (folio_is_fsdax(folio))
		return false;
	return !folio_is_zone_movable(folio);
}

/* ---- grabbing ---- */

/*
 * @refs pins of a small folio in refcount units. The kernel's refcount is a
 * wrapping 32-bit counter (semantics.md §2.5: no upper overflow check); the product
 * is computed modulo 2^32, as the kernel's wrapping arithmetic does, so that
 * a grab and its release stay exact inverses even when they wrap.
 */
static inline int pin_bias(int refs, unsigned int bias)
{
	return (int)((unsigned int)refs * bias);
}

/* semantics.md §2.2: the slow path's grab; the caller holds a stable reference. */
int try_grab_folio(struct folio *folio, int refs, unsigned int flags)
{
	if (WARN_ON_ONCE(folio->sim, folio_ref_count(folio) <= 0))
		return -ENOMEM;
	if (unlikely(!(flags & FOLL_PCI_P2PDMA) && folio_is_pci_p2pdma(folio)))
		return -EREMOTEIO;

	if (flags & FOLL_GET) {
		folio_ref_add(folio, refs);
	} else if (flags & FOLL_PIN) {
		if (is_zero_folio(folio))
			return 0;
		if (folio_has_pincount(folio)) {
			folio_ref_add(folio, refs);
			atomic_add(refs, &folio->_pincount);
		} else {
			folio_ref_add(folio, pin_bias(refs, GUP_PIN_COUNTING_BIAS));
		}
		pin_shadow_add(folio, refs);
		node_stat_mod_folio(folio, GUPSIM_NR_FOLL_PIN_ACQUIRED, refs);
	}
	return 0;
}

/*
 * try_get_folio(): add @refs unless the folio is being freed, then make
 * sure the page still belongs to that folio (a concurrent split or free
 * and reuse would change it).
 */
static struct folio *try_get_folio(struct page *page, int refs)
{
	struct folio *folio;

retry:
	folio = page_folio(page);
	if (WARN_ON_ONCE(page->sim, folio_ref_count(folio) < 0))
		return NULL;
	if (unlikely(!folio_ref_try_add(folio, refs)))
		return NULL;
	if (unlikely(page_folio(page) != folio)) {
		folio_put_refs(folio, refs);
		goto retry;
	}
	return folio;
}

/* semantics.md §2.2: the lockless grab of GUP-fast; may race with freeing. */
struct folio *try_grab_folio_fast(struct page *page, int refs, unsigned int flags)
{
	struct folio *folio;

	if (WARN_ON_ONCE(page->sim, (flags & (FOLL_GET | FOLL_PIN)) == 0))
		return NULL;
	if (unlikely(!(flags & FOLL_PCI_P2PDMA) && folio_is_pci_p2pdma(page_folio(page))))
		return NULL;
	if (flags & FOLL_GET)
		return try_get_folio(page, refs);
	if (is_zero_page(page))
		return page_folio(page);

	folio = try_get_folio(page, refs);
	if (!folio)
		return NULL;
	if (unlikely((flags & FOLL_LONGTERM) && !folio_is_longterm_pinnable(folio))) {
		folio_put_refs(folio, refs);
		return NULL;
	}
	if (folio_has_pincount(folio))
		atomic_add(refs, &folio->_pincount);
	else
		folio_ref_add(folio, pin_bias(refs, GUP_PIN_COUNTING_BIAS - 1));
	/* pairs with fork's check of folio_maybe_dma_pinned() (semantics.md §5.5) */
	smp_mb__after_atomic();
	pin_shadow_add(folio, refs);
	node_stat_mod_folio(folio, GUPSIM_NR_FOLL_PIN_ACQUIRED, refs);
	return folio;
}

/* ---- releasing ---- */

static bool pincount_sub_checked(struct folio *folio, int refs)
{
	int c = atomic_read(&folio->_pincount);

	do {
		if (c < refs)
			return false;
	} while (!atomic_try_cmpxchg(&folio->_pincount, &c, c - refs));
	return true;
}

static void report_unpin_unpinned(struct folio *folio, int refs)
{
	WARN(folio->sim, 1, "unpin of a folio that is not pinned (%d pins released)\n", refs);
	dump_page(&folio->page, "unpin of an unpinned folio");
}

/*
 * Drop @nr references counted modulo 2^32 (a small folio's pins in bias
 * units may exceed INT_MAX); the caller checked that the folio holds them.
 */
static void folio_put_refs_u32(struct folio *folio, unsigned int nr)
{
	if (nr > (unsigned int)INT32_MAX) {
		folio_put_refs(folio, INT32_MAX);
		nr -= (unsigned int)INT32_MAX;
	}
	folio_put_refs(folio, (int)nr);
}

/* semantics.md §2.3: every unpin ends here. Misuse is reported and changes nothing. */
void gup_put_folio(struct folio *folio, int refs, unsigned int flags)
{
	unsigned int drop = (unsigned int)refs;

	if (WARN(folio->sim, refs <= 0, "gup_put_folio() of %d references\n", refs))
		return;
	if (flags & FOLL_PIN) {
		int pins = refs;

		if (is_zero_folio(folio))
			return;
		if (folio_has_pincount(folio)) {
			if (!pincount_sub_checked(folio, pins)) {
				report_unpin_unpinned(folio, pins);
				return;
			}
		} else {
			drop = (unsigned int)pin_bias(pins, GUP_PIN_COUNTING_BIAS);
			if ((unsigned int)folio_ref_count(folio) < drop) {
				report_unpin_unpinned(folio, pins);
				return;
			}
		}
		pin_shadow_sub(folio, pins);
		node_stat_mod_folio(folio, GUPSIM_NR_FOLL_PIN_RELEASED, pins);
	}
	folio_put_refs_u32(folio, drop);
}

/* semantics.md §2.3 */
void folio_add_pin(struct folio *folio)
{
	if (is_zero_folio(folio))
		return;
	/*
	 * A freed folio (refcount 0): the kernel would WARN below and add the
	 * pin anyway, resurrecting free memory that the unpin then frees a
	 * second time. gupsim reports it and leaves the free folio alone.
	 */
	if (WARN(folio->sim, folio_ref_count(folio) <= 0,
		 "folio_add_pin() on a folio with refcount %d\n", folio_ref_count(folio))) {
		dump_page(&folio->page, "folio_add_pin on a free folio");
		return;
	}
	if (folio_has_pincount(folio)) {
		WARN_ON_ONCE(folio->sim, atomic_read(&folio->_pincount) < 1);
		folio_ref_add(folio, 1);
		atomic_inc(&folio->_pincount);
	} else {
		WARN_ON_ONCE(folio->sim, folio_ref_count(folio) < (int)GUP_PIN_COUNTING_BIAS);
		folio_ref_add(folio, (int)GUP_PIN_COUNTING_BIAS);
	}
	if (unlikely(folio->sim->pin_shadow)) {
		pin_shadow_add(folio, 1);
		atomic_long_inc(&folio->sim->nr_add_pin);
	}
}

int folio_add_pins(struct folio *folio, unsigned int pins)
{
	WARN_ON_ONCE(folio->sim, !folio_maybe_dma_pinned(folio));
	return try_grab_folio(folio, (int)pins, FOLL_PIN);
}

/*
 * semantics.md §5.6 (CONFIG_DEBUG_VM, here cfg.debug_pins): a pinned anon page must
 * be exclusive, or the pin could be lost to a COW.
 */
void sanity_check_pinned_pages(struct page **pages, unsigned long npages)
{
	unsigned long i = 0;

	/*
	 * Compiled out of the kernel without CONFIG_DEBUG_VM: test the
	 * machine's switch once per call, not once per page (the pages of
	 * one call belong to one machine).
	 */
	while (i < npages && (!pages[i] || page_uninit(pages[i])))
		i++;
	if (i == npages || !pages[i]->sim->cfg.debug_pins)
		return;
	for (; i < npages; i++) {
		struct page *page = pages[i];
		struct folio *folio;

		if (!page || page_uninit(page) || !page->sim->cfg.debug_pins)
			continue;
		folio = page_folio(page);
		if (is_zero_page(page) || !folio_test_anon(folio))
			continue;
		if (!folio_test_large(folio) || folio_test_hugetlb(folio)) {
			WARN(page->sim, !PageAnonExclusive(&folio->page),
			     "pinned anon page %lu is not exclusive\n", i);
		} else {
			WARN(page->sim, !PageAnonExclusive(&folio->page) && !PageAnonExclusive(page),
			     "pinned anon THP page %lu is not exclusive\n", i);
		}
	}
}

/*
 * The machine to report to, when a caller's arguments are wrong: the first
 * initialised entry's (only entry 0 is looked at for an errno-valued count).
 */
static struct gupsim *pages_sim(struct page **pages, unsigned long npages)
{
	if (!pages)
		return NULL;
	if (IS_ERR_VALUE(npages))
		npages = 1;
	for (unsigned long i = 0; i < npages; i++)
		if (pages[i] && !page_uninit(pages[i]))
			return pages[i]->sim;
	return NULL;
}

/*
 * Runs of consecutive entries that belong to the same folio. A folio's
 * pages are one stretch of the machine's memmap, so an entry belongs to
 * @folio iff it points inside that stretch. No struct page is read, so
 * unpinning a THP's 512 entries reads the array, not 512 struct pages
 * (semantics.md §2.3: the grouping only batches the atomics). NULL and other
 * machines' pages fall outside the stretch.
 */
static unsigned long folio_run(struct page **pages, unsigned long i, unsigned long npages,
			       struct folio *folio)
{
	uintptr_t first = (uintptr_t)&folio->page;
	uintptr_t span = (uintptr_t)folio_nr_pages(folio) * sizeof(struct page);
	unsigned long nr = 1;

	while (i + nr < npages && (uintptr_t)pages[i + nr] - first < span)
		nr++;
	return nr;
}

/* Does @folio hold at least @pins pins (as far as the counts tell)? */
static bool folio_holds_pins(struct folio *folio, int pins)
{
	if (is_zero_folio(folio))
		return true;
	if (folio_has_pincount(folio))
		return atomic_read(&folio->_pincount) >= pins;
	return (unsigned int)folio_ref_count(folio) >=
	       (unsigned int)pin_bias(pins, GUP_PIN_COUNTING_BIAS);
}

/*
 * The _dirty_lock variants: dirty the folio once per run (semantics.md §2.3), then
 * release. A folio that does not hold the pins is left clean: the unpin
 * WARNs and changes nothing (api.md §9.2).
 */
static void gup_put_folio_dirty(struct folio *folio, int pins, bool make_dirty)
{
	if (make_dirty && !folio_test_dirty(folio) && folio_holds_pins(folio, pins)) {
		folio_lock(folio);
		folio_mark_dirty(folio);
		folio_unlock(folio);
	}
	gup_put_folio(folio, pins, FOLL_PIN);
}

/* An entry no pin call can have returned (see page_uninit()). */
static bool uninit_page_arg(struct gupsim *sim, const struct page *page, const char *func)
{
	if (likely(!page_uninit(page)))
		return false;
	gupsim_warn(sim, __FILE__, __LINE__, func,
		    "struct page %p is not part of any folio (never initialised)\n", (void *)page);
	return true;
}

static void unpin_pages_common(struct page **pages, unsigned long npages, bool make_dirty)
{
	for (unsigned long i = 0; i < npages; ) {
		struct folio *folio;
		unsigned long nr;

		if (!pages[i]) {	/* NULL entries are skipped (semantics.md §11.11) */
			i++;
			continue;
		}
		if (uninit_page_arg(pages_sim(pages, npages), pages[i], __func__)) {
			i++;
			continue;
		}
		folio = page_folio(pages[i]);
		nr = folio_run(pages, i, npages, folio);
		gup_put_folio_dirty(folio, (int)nr, make_dirty);
		i += nr;
	}
}

void gupsim_unpin_user_pages(struct page **pages, unsigned long npages)
{
	/* an errno passed as a count is refused (plain WARN_ON in the kernel) */
	if (IS_ERR_VALUE(npages)) {
		gupsim_warn(pages_sim(pages, npages), __FILE__, __LINE__, __func__,
			    "npages %ld is an error value\n", (long)npages);
		return;
	}
	if (!pages || !npages)
		return;
	sanity_check_pinned_pages(pages, npages);
	unpin_pages_common(pages, npages, false);
}

void gupsim_unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
					bool make_dirty)
{
	if (!make_dirty) {
		gupsim_unpin_user_pages(pages, npages);
		return;
	}
	/* The kernel has no checks on this path and would crash on NULL or an
	 * errno count; gupsim reports them instead. */
	if (IS_ERR_VALUE(npages)) {
		gupsim_warn(pages_sim(pages, npages), __FILE__, __LINE__, __func__,
			    "npages %ld is an error value\n", (long)npages);
		return;
	}
	if (!pages)
		return;
	sanity_check_pinned_pages(pages, npages);
	for (unsigned long i = 0; i < npages; i++) {
		if (!pages[i]) {
			gupsim_warn(pages_sim(pages, npages), __FILE__, __LINE__, __func__,
				    "NULL page at index %lu\n", i);
			return;
		}
		if (uninit_page_arg(pages_sim(pages, npages), pages[i], __func__))
			return;
	}
	unpin_pages_common(pages, npages, true);
}

void gupsim_unpin_user_page(struct page *page)
{
	if (!page || uninit_page_arg(NULL, page, __func__))
		return;
	sanity_check_pinned_pages(&page, 1);
	gup_put_folio(page_folio(page), 1, FOLL_PIN);
}

/* Pages must be physically contiguous; walk folio by folio (semantics.md §2.3). */
void gupsim_unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
					     bool make_dirty)
{
	struct gupsim *sim;
	unsigned long pfn;

	if (!page || !npages || uninit_page_arg(NULL, page, __func__))
		return;
	sim = page->sim;
	pfn = page_to_pfn(page);
	if (WARN(sim, npages > sim->nr_pfns - pfn,
		 "unpin range of %lu pages runs past the end of memory\n", npages))
		return;
	for (unsigned long i = 0, nr; i < npages; i += nr) {
		struct page *p = page + i;
		struct folio *folio;

		if (uninit_page_arg(sim, p, __func__)) {	/* past the pinned folios */
			nr = 1;
			continue;
		}
		folio = page_folio(p);
		nr = min_t(unsigned long, npages - i,
			   (unsigned long)folio_nr_pages(folio) - (unsigned long)(p - &folio->page));
		gup_put_folio_dirty(folio, (int)nr, make_dirty);
	}
}

void gupsim_unpin_folio(struct folio *folio)
{
	if (folio && !uninit_page_arg(NULL, &folio->page, __func__))
		gup_put_folio(folio, 1, FOLL_PIN);
}

void gupsim_unpin_user_folio(struct folio *folio, unsigned long npages)
{
	if (!folio || !npages || uninit_page_arg(NULL, &folio->page, __func__))
		return;
	/* a folio never holds more than INT_MAX pins (the kernel's int refs) */
	if (WARN(folio->sim, npages > (unsigned long)INT32_MAX,
		 "unpin_user_folio() of %lu pins\n", npages))
		return;
	gup_put_folio(folio, (int)npages, FOLL_PIN);
}

/* Runs of identical consecutive pointers are put together (semantics.md §2.3). */
void gupsim_unpin_folios(struct folio **folios, unsigned long nfolios)
{
	if (IS_ERR_VALUE(nfolios)) {
		gupsim_warn(folios && folios[0] ? folios[0]->sim : NULL, __FILE__, __LINE__,
			    __func__, "nfolios %ld is an error value\n", (long)nfolios);
		return;
	}
	if (!folios)
		return;
	for (unsigned long i = 0; i < nfolios; ) {
		unsigned long nr = 1;

		if (!folios[i]) {
			i++;
			continue;
		}
		while (i + nr < nfolios && folios[i + nr] == folios[i])
			nr++;
		if (!uninit_page_arg(NULL, &folios[i]->page, __func__))
			gup_put_folio(folios[i], (int)nr, FOLL_PIN);
		i += nr;
	}
}

int gupsim_try_grab_folio(struct folio *folio, int refs, unsigned int flags)
{
	if (!folio || refs <= 0 || page_uninit(&folio->page))
		return -EINVAL;
	return try_grab_folio(folio, refs, flags);
}

void gupsim_folio_add_pin(struct folio *folio)
{
	if (folio && !uninit_page_arg(NULL, &folio->page, __func__))
		folio_add_pin(folio);
}

int gupsim_folio_add_pins(struct folio *folio, unsigned int pins)
{
	if (!folio || !pins || pins > (unsigned int)INT32_MAX || page_uninit(&folio->page))
		return -EINVAL;
	return folio_add_pins(folio, pins);
}

bool gupsim_folio_maybe_dma_pinned(struct folio *folio)
{
	return folio && folio_maybe_dma_pinned(folio);
}

bool gupsim_page_maybe_dma_pinned(struct page *page)
{
	return page && folio_maybe_dma_pinned(page_folio(page));
}

bool gupsim_folio_is_longterm_pinnable(struct folio *folio)
{
	return folio && !page_uninit(&folio->page) && folio_is_longterm_pinnable(folio);
}
