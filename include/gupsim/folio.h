/* SPDX-License-Identifier: MIT */
/**
 * @file folio.h
 * @brief Pages, folios, references and pins (semantics.md §2, §3).
 *
 * Every function here has the kernel's semantics; its kernel name is
 * available through <gupsim/kernel.h>.
 */
#ifndef GUPSIM_FOLIO_H
#define GUPSIM_FOLIO_H

#include <gupsim/types.h>

GUPSIM_BEGIN_DECLS

/** @name Allocation (simulation control) */
/**@{*/
/** Flags for gupsim_folio_alloc(). */
enum gupsim_alloc_flags {
	GUPSIM_ALLOC_MOVABLE	= 1u << 0, /**< user memory: ZONE_MOVABLE, then CMA, then NORMAL */
	GUPSIM_ALLOC_ZERO	= 1u << 1, /**< zero the contents */
	GUPSIM_ALLOC_ONLY_MOVABLE = 1u << 2, /**< only ZONE_MOVABLE */
	GUPSIM_ALLOC_ONLY_CMA	= 1u << 3, /**< only CMA pageblocks */
	GUPSIM_ALLOC_NOWARN	= 1u << 4, /**< no warning when the order is impossible */
};

/**
 * @brief Allocate a folio of 2^order pages with a reference count of 1.
 *
 * Without a placement flag it comes from ZONE_NORMAL outside CMA;
 * GUPSIM_ALLOC_MOVABLE tries ZONE_MOVABLE, then CMA, then NORMAL. Release
 * it with gupsim_folio_put().
 * @param sim   the machine
 * @param order 0 to MAX_PAGE_ORDER
 * @param flags a mask of enum gupsim_alloc_flags
 * @return the folio, or NULL with errno ENOMEM (no memory) or EINVAL (NULL
 * @p sim, bad order, unknown flags, or both ONLY_ flags)
 */
GUPSIM_API struct folio *gupsim_folio_alloc(struct gupsim *sim, unsigned int order,
					    unsigned int flags);
/**
 * @brief Number of free 4 KiB pages in the machine.
 * @param sim the machine (NULL gives 0)
 * @return free pages of ZONE_NORMAL (CMA included) plus ZONE_MOVABLE;
 * ZONE_DEVICE pages are not counted
 */
GUPSIM_API unsigned long gupsim_nr_free_pages(struct gupsim *sim);
/**
 * @brief Number of free 4 KiB pages in one zone.
 * @param sim  the machine (NULL gives 0)
 * @param zone ZONE_NORMAL (its CMA pageblocks included) or ZONE_MOVABLE
 * @return the number of free pages; 0 for ZONE_DEVICE
 */
GUPSIM_API unsigned long gupsim_zone_free_pages(struct gupsim *sim, enum zone_type zone);
/**
 * @brief pfn_to_page() in a named machine.
 * @param sim the machine
 * @param pfn a page frame number
 * @return the struct page of @p pfn, or NULL if @p sim is NULL or @p pfn is
 * outside the machine
 */
GUPSIM_API struct page *gupsim_pfn_to_page(struct gupsim *sim, unsigned long pfn);
/**@}*/

/** @name References */
/**@{*/
/**
 * @brief page_folio(): the folio that contains @p page.
 * @param page any page (head or tail)
 * @return the folio (its head page), or NULL with errno EINVAL if @p page is NULL
 */
GUPSIM_API struct folio *gupsim_page_folio(const struct page *page);
/**
 * @brief folio_page(): the @p n-th page of @p folio.
 * @param folio the folio
 * @param n     index of the page, 0 to folio_nr_pages() - 1
 * @return the page, or NULL with errno EINVAL (NULL folio, @p n out of range)
 */
GUPSIM_API struct page *gupsim_folio_page(struct folio *folio, unsigned long n);
/**
 * @brief folio_nr_pages(): the number of 4 KiB pages in @p folio.
 * @param folio the folio
 * @return 1 << folio_order(); 0 (errno EINVAL) for NULL
 */
GUPSIM_API long gupsim_folio_nr_pages(const struct folio *folio);
/**
 * @brief folio_order(): log2 of the folio's number of pages.
 * @param folio the folio
 * @return 0 for a small folio, e.g. 9 for a PMD THP; 0 (errno EINVAL) for NULL
 */
GUPSIM_API unsigned int gupsim_folio_order(const struct folio *folio);
/**
 * @brief folio_test_large(): whether @p folio has more than one page.
 * @param folio the folio
 * @return true for order >= 1; false for a small folio or NULL
 */
GUPSIM_API bool gupsim_folio_test_large(const struct folio *folio);
/**
 * @brief folio_has_pincount(): whether pins are counted exactly in
 * _pincount (semantics.md §2.1).
 * @param folio the folio
 * @return true for every large folio (the 64-bit rule); false for a small
 * folio, whose pins are folded into _refcount as multiples of 1024, or NULL
 */
GUPSIM_API bool gupsim_folio_has_pincount(const struct folio *folio);
/**
 * @brief folio_ref_count(): the folio's _refcount.
 * @param folio the folio
 * @return references plus 1024 per pin (small folio) or 1 per pin (large
 * folio); 0 (errno EINVAL) for NULL
 */
GUPSIM_API int gupsim_folio_ref_count(const struct folio *folio);
/**
 * @brief page_ref_count(): the _refcount field of this very struct page.
 * @param page the page
 * @return the head page's count for a head or small page; 0 for a tail page
 * (use page_count() for the folio's count); 0 (errno EINVAL) for NULL
 */
GUPSIM_API int gupsim_page_ref_count(const struct page *page);
/**
 * @brief page_count(): the refcount of the folio that contains @p page.
 * @param page any page (head or tail)
 * @return folio_ref_count(page_folio(page)); 0 (errno EINVAL) for NULL
 */
GUPSIM_API int gupsim_page_count(const struct page *page);
/**
 * @brief The large folio's _pincount (gupsim accessor; the kernel reads the
 * field directly).
 * @param folio the folio
 * @return the exact number of pins of a large folio; 0 for a small folio
 * (its pins are in the refcount) and (errno EINVAL) for NULL
 */
GUPSIM_API int gupsim_folio_pincount(const struct folio *folio);
/**
 * @brief folio_mapcount(): how many page-table entries map the folio.
 * @param folio the folio
 * @return PTE mappings plus PMD/PUD mappings of the whole folio; 0 (errno
 * EINVAL) for NULL
 */
GUPSIM_API int gupsim_folio_mapcount(const struct folio *folio);
/**
 * @brief page_mapcount(): how many entries map this page.
 * @param page the page
 * @return its PTE mappings plus the PMD/PUD mappings of its folio; 0 (errno
 * EINVAL) for NULL
 */
GUPSIM_API int gupsim_page_mapcount(const struct page *page);
/**
 * @brief get_page(): take one plain reference on the page's folio.
 *
 * A plain reference is FOLL_GET's kind: it keeps the folio from being freed
 * but is invisible to folio_maybe_dma_pinned() (except that 1024 of them on
 * a small folio look like a pin). A folio with refcount 0 is not touched:
 * the call WARNs. NULL is ignored.
 * @param page any page of the folio
 */
GUPSIM_API void gupsim_get_page(struct page *page);
/**
 * @brief put_page(): drop one reference on the page's folio; the last one
 * frees it (a folio freed while mapped or pinned is reported as a bad page
 * and not reused). A put below zero WARNs and changes nothing.
 * @param page any page of the folio (NULL is ignored)
 */
GUPSIM_API void gupsim_put_page(struct page *page);
/**
 * @brief folio_get(): take one reference (see gupsim_get_page()).
 * @param folio the folio (NULL is ignored)
 */
GUPSIM_API void gupsim_folio_get(struct folio *folio);
/**
 * @brief folio_put(): drop one reference (see gupsim_put_page()).
 * @param folio the folio (NULL is ignored)
 */
GUPSIM_API void gupsim_folio_put(struct folio *folio);
/**
 * @brief folio_put_refs(): drop @p refs references; the folio is freed when
 * the count reaches 0. Dropping more than the count WARNs and changes nothing.
 * @param folio the folio (NULL is ignored)
 * @param refs  how many references (<= 0 does nothing)
 */
GUPSIM_API void gupsim_folio_put_refs(struct folio *folio, int refs);
/**
 * @brief folio_try_get(): take a reference unless the count is 0 (the folio
 * is being freed), as GUP-fast does.
 * @param folio the folio
 * @return true if a reference was taken; false for a free folio or NULL
 */
GUPSIM_API bool gupsim_folio_try_get(struct folio *folio);
/**@}*/

/** @name Pins (semantics.md §2.2, §2.3) */
/**@{*/
/**
 * @brief try_grab_folio(): grab @p refs references or pins on @p folio
 * according to @p flags; the caller already holds a stable reference.
 *
 * FOLL_GET: refcount += refs (the small zero page too). FOLL_PIN: nothing
 * on the small zero page; large folio: refcount += refs and _pincount +=
 * refs; small folio: refcount += 1024 * refs; nr_foll_pin_acquired += refs.
 * Neither flag: nothing. (semantics.md §2.2.)
 * @param folio the folio
 * @param refs  how many (> 0)
 * @param flags FOLL_GET or FOLL_PIN, optionally FOLL_PCI_P2PDMA
 * @return 0; -ENOMEM if the refcount is <= 0 (with a WARN); -EREMOTEIO for a
 * P2PDMA folio without FOLL_PCI_P2PDMA; -EINVAL for a NULL folio or refs <= 0
 */
GUPSIM_API int gupsim_try_grab_folio(struct folio *folio, int refs, unsigned int flags);
/**
 * @brief folio_add_pin(): add one pin to a folio the caller already pinned.
 *
 * Large folio: refcount += 1 and _pincount += 1 (WARN if it was not
 * pinned); small folio: refcount += 1024 (WARN if below 1024); the small
 * zero page: nothing. Like the kernel, it does not count in
 * nr_foll_pin_acquired, so its unpin makes "released" exceed "acquired".
 * @param folio the folio (NULL is ignored)
 */
GUPSIM_API void gupsim_folio_add_pin(struct folio *folio);
/**
 * @brief folio_add_pins(): add @p pins pins to a folio that is already
 * pinned (as iommufd does after memfd_pin_folios()).
 *
 * WARNs if the folio is not folio_maybe_dma_pinned(), then
 * try_grab_folio(folio, pins, FOLL_PIN): counted in nr_foll_pin_acquired.
 * @param folio the folio
 * @param pins  how many pins (1 to INT_MAX)
 * @return 0, -ENOMEM or -EREMOTEIO as try_grab_folio(); -EINVAL for a NULL
 * folio, 0 pins or more than INT_MAX
 */
GUPSIM_API int gupsim_folio_add_pins(struct folio *folio, unsigned int pins);
/**
 * @brief unpin_user_page(): release one pin taken by a pin_user_pages*() call.
 *
 * Large folio: _pincount -= 1 and refcount -= 1; small folio: refcount -=
 * 1024; the small zero page: nothing; nr_foll_pin_released += 1. Unpinning
 * a folio that holds no pin WARNs and changes nothing. The folio is freed
 * when its refcount reaches 0.
 * @param page the page that was returned pinned (NULL is ignored)
 */
GUPSIM_API void gupsim_unpin_user_page(struct page *page);
/**
 * @brief unpin_user_pages(): release one pin per entry of @p pages.
 *
 * Consecutive entries of the same folio are released together (an
 * optimisation: the totals are the same). NULL entries are skipped. An
 * @p npages that is an errno value (IS_ERR_VALUE) WARNs and does nothing.
 * @param pages  the array filled by a pin call
 * @param npages its number of entries (what the pin call returned)
 */
GUPSIM_API void gupsim_unpin_user_pages(struct page **pages, unsigned long npages);
/**
 * @brief unpin_user_pages_dirty_lock(): like gupsim_unpin_user_pages(), but
 * first marks each folio dirty (once per run of entries of the same folio)
 * when @p make_dirty is true: use it after a device wrote to the pages.
 *
 * With @p make_dirty, the kernel neither skips NULL entries nor checks for
 * an errno count; gupsim reports both with a WARN and releases nothing.
 * @param pages      the array filled by a pin call
 * @param npages     its number of entries
 * @param make_dirty mark the folios dirty before unpinning
 */
GUPSIM_API void gupsim_unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
						   bool make_dirty);
/**
 * @brief unpin_user_page_range_dirty_lock(): release one pin on each of
 * @p npages physically contiguous pages starting at @p page, folio by
 * folio, optionally marking each folio dirty.
 *
 * A range that runs past the end of the machine's memory WARNs and releases
 * nothing.
 * @param page       the first page (NULL is ignored)
 * @param npages     number of pages
 * @param make_dirty mark the folios dirty before unpinning
 */
GUPSIM_API void gupsim_unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
							bool make_dirty);
/**
 * @brief unpin_folio(): release one pin on @p folio (for memfd_pin_folios()).
 * @param folio the folio (NULL is ignored)
 */
GUPSIM_API void gupsim_unpin_folio(struct folio *folio);
/**
 * @brief unpin_user_folio(): release @p npages pins on @p folio at once.
 * @param folio  the folio (NULL is ignored)
 * @param npages number of pins (0 does nothing)
 */
GUPSIM_API void gupsim_unpin_user_folio(struct folio *folio, unsigned long npages);
/**
 * @brief unpin_folios(): release one pin per entry of @p folios; runs of
 * identical consecutive pointers are released together. NULL entries are
 * skipped; an errno-valued @p nfolios WARNs and does nothing.
 * @param folios  the array (e.g. filled by memfd_pin_folios())
 * @param nfolios its number of entries
 */
GUPSIM_API void gupsim_unpin_folios(struct folio **folios, unsigned long nfolios);
/**
 * @brief folio_maybe_dma_pinned(): may this folio be pinned for DMA?
 *
 * Large folio: _pincount > 0 (exact). Small folio: refcount >= 1024
 * (GUP_PIN_COUNTING_BIAS), so 1024 plain references look like a pin: false
 * positives are possible, false negatives are not (semantics.md §3.1).
 * @param folio the folio
 * @return the predicate; false for NULL
 */
GUPSIM_API bool gupsim_folio_maybe_dma_pinned(struct folio *folio);
/**
 * @brief page_maybe_dma_pinned(): folio_maybe_dma_pinned(page_folio(page)).
 * Removed from the kernel; gupsim keeps it with exactly that meaning.
 * @param page any page of the folio
 * @return the predicate for the page's folio; false for NULL
 */
GUPSIM_API bool gupsim_page_maybe_dma_pinned(struct page *page);
/**
 * @brief folio_is_longterm_pinnable(): may a FOLL_LONGTERM pin keep this
 * folio where it is (semantics.md §4.1)?
 * @param folio the folio
 * @return false for a folio in a CMA pageblock, an fs-DAX folio or a folio
 * in ZONE_MOVABLE (those must be migrated first, or refused); true for the
 * small zero page and any other folio; false for NULL
 */
GUPSIM_API bool gupsim_folio_is_longterm_pinnable(struct folio *folio);
/**@}*/

/** @name Page state */
/**@{*/
/**
 * @brief is_zero_page(): is @p page the machine's shared small zero page?
 * @param page the page
 * @return true only for the small zero page (never for the huge zero
 * folio); false for NULL
 */
GUPSIM_API bool gupsim_is_zero_page(const struct page *page);
/**
 * @brief is_zero_folio(): is @p folio the small zero page? Pins of it are
 * not counted anywhere.
 * @param folio the folio
 * @return true only for the small zero page; false for NULL
 */
GUPSIM_API bool gupsim_is_zero_folio(const struct folio *folio);
/**
 * @brief is_huge_zero_folio(): is @p folio the huge zero folio? It is
 * pinned and counted like any large folio.
 * @param folio the folio
 * @return true for the huge zero folio; false otherwise or for NULL
 */
GUPSIM_API bool gupsim_is_huge_zero_folio(const struct folio *folio);
/**
 * @brief The shared small zero page of @p sim.
 * @param sim the machine
 * @return the zero page, or NULL if @p sim is NULL
 */
GUPSIM_API struct page *gupsim_zero_page(struct gupsim *sim);
/**
 * @brief The huge zero folio of @p sim (a PMD-sized folio, allocated on
 * first use).
 * @param sim the machine
 * @return the folio; NULL if @p sim is NULL, use_huge_zero_page is false or
 * there is no memory for it
 */
GUPSIM_API struct folio *gupsim_huge_zero_folio(struct gupsim *sim);
/**
 * @brief page_to_pfn(): the page frame number of @p page in its machine.
 * @param page the page
 * @return its pfn; 0 for NULL
 */
GUPSIM_API unsigned long gupsim_page_to_pfn(const struct page *page);
/**
 * @brief pfn_to_page() in the machine of the calling thread's current->mm.
 * @param pfn a page frame number
 * @return the page; NULL without a current->mm or outside the machine
 */
GUPSIM_API struct page *gupsim_pfn_to_page_current(unsigned long pfn);
/**
 * @brief page_address(): the simulated contents of @p page.
 *
 * A page that nobody wrote has no contents (it reads as zeros and costs
 * no host memory); since the caller may write through the pointer, the
 * page and the following pages of its folio get their contents here
 * (zeros if they had none).
 * @param page the page
 * @return a pointer to its PAGE_SIZE bytes (the pages of a folio are
 * contiguous); NULL for NULL
 */
GUPSIM_API void *gupsim_page_address(const struct page *page);
/**
 * @brief folio_test_dirty(): is the folio marked dirty?
 * @param folio the folio
 * @return the PG_dirty bit; false for NULL
 */
GUPSIM_API bool gupsim_folio_test_dirty(const struct folio *folio);
/**
 * @brief folio_mark_dirty(): mark the folio dirty (writeback will write it).
 * @param folio the folio
 * @return true if the folio was clean before; false if it was already dirty
 * or is NULL
 */
GUPSIM_API bool gupsim_folio_mark_dirty(struct folio *folio);
/**
 * @brief folio_test_anon(): is this an anonymous folio?
 * @param folio the folio
 * @return true for anon memory (mapping = anon_vma | 1); false for file,
 * shmem, zero pages and NULL
 */
GUPSIM_API bool gupsim_folio_test_anon(const struct folio *folio);
/**
 * @brief folio_test_hugetlb(): is this a hugetlb folio?
 * @param folio the folio
 * @return true for a folio from a hugetlb pool; false otherwise or for NULL
 */
GUPSIM_API bool gupsim_folio_test_hugetlb(const struct folio *folio);
/**
 * @brief PageAnonExclusive(): is this anon page mapped by one process only,
 * so that it may be pinned or written without COW (semantics.md §5.1)?
 * @param page the page (for hugetlb the head's flag is read)
 * @return the PG_anon_exclusive bit; false for NULL
 */
GUPSIM_API bool gupsim_PageAnonExclusive(const struct page *page);
/**
 * @brief page_zonenum(): the zone of @p page.
 * @param page the page
 * @return ZONE_NORMAL (CMA pageblocks included), ZONE_MOVABLE or ZONE_DEVICE;
 * ZONE_NORMAL with errno EINVAL for NULL
 */
GUPSIM_API enum zone_type gupsim_page_zonenum(const struct page *page);
/**
 * @brief is_migrate_cma_page(): is @p page in a CMA pageblock?
 * @param page the page
 * @return true inside the machine's CMA area; false otherwise or for NULL
 */
GUPSIM_API bool gupsim_is_migrate_cma_page(const struct page *page);
/**
 * @brief folio_lock(): take the folio lock (PG_locked), waiting if needed.
 * @param folio the folio (NULL is ignored)
 */
GUPSIM_API void gupsim_folio_lock(struct folio *folio);
/**
 * @brief folio_unlock(): release the folio lock; WARNs if it was not held.
 * @param folio the folio (NULL is ignored)
 */
GUPSIM_API void gupsim_folio_unlock(struct folio *folio);
/**
 * @brief dump_page(): print @p page in the kernel's dump_page() format
 * (semantics.md §8: refcount, mapcount, mapping, index, pfn; for a large folio
 * the head line with its pincount; flags; raw words) to the machine's log
 * stream (gupsim_set_log()).
 * @param page   the page (NULL is ignored)
 * @param reason printed as "page dumped because: <reason>", or NULL
 */
GUPSIM_API void gupsim_dump_page(const struct page *page, const char *reason);
/**@}*/

GUPSIM_END_DECLS

#endif /* GUPSIM_FOLIO_H */
