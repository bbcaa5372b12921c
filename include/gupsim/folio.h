/* SPDX-License-Identifier: MIT */
/**
 * @file folio.h
 * @brief Pages, folios, references and pins (reference §2, §3).
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
 * @param sim   the machine
 * @param order 0 to MAX_PAGE_ORDER
 * @param flags a mask of enum gupsim_alloc_flags
 * @return the folio, or NULL with errno ENOMEM (no memory) or EINVAL (bad order)
 */
GUPSIM_API struct folio *gupsim_folio_alloc(struct gupsim *sim, unsigned int order,
					    unsigned int flags);
/** @brief Number of free 4 KiB pages in the machine (all zones). */
GUPSIM_API unsigned long gupsim_nr_free_pages(struct gupsim *sim);
/** @brief Number of free pages in one zone (ZONE_NORMAL counts CMA too). */
GUPSIM_API unsigned long gupsim_zone_free_pages(struct gupsim *sim, enum zone_type zone);
/** @brief The page at @p pfn of machine @p sim, or NULL if outside it. */
GUPSIM_API struct page *gupsim_pfn_to_page(struct gupsim *sim, unsigned long pfn);
/**@}*/

/** @name References */
/**@{*/
/** @brief The folio that contains @p page. */
GUPSIM_API struct folio *gupsim_page_folio(const struct page *page);
/** @brief The @p n-th page of @p folio. */
GUPSIM_API struct page *gupsim_folio_page(struct folio *folio, unsigned long n);
GUPSIM_API long gupsim_folio_nr_pages(const struct folio *folio);
GUPSIM_API unsigned int gupsim_folio_order(const struct folio *folio);
GUPSIM_API bool gupsim_folio_test_large(const struct folio *folio);
/** @brief folio_has_pincount(): true for every large folio (64-bit rule). */
GUPSIM_API bool gupsim_folio_has_pincount(const struct folio *folio);
GUPSIM_API int gupsim_folio_ref_count(const struct folio *folio);
/** @brief The refcount of @p page's folio (the kernel's page_ref_count on a head). */
GUPSIM_API int gupsim_page_ref_count(const struct page *page);
GUPSIM_API int gupsim_page_count(const struct page *page);
/** @brief The large folio's _pincount (0 for a small folio). */
GUPSIM_API int gupsim_folio_pincount(const struct folio *folio);
GUPSIM_API int gupsim_folio_mapcount(const struct folio *folio);
GUPSIM_API int gupsim_page_mapcount(const struct page *page);
GUPSIM_API void gupsim_get_page(struct page *page);
GUPSIM_API void gupsim_put_page(struct page *page);
GUPSIM_API void gupsim_folio_get(struct folio *folio);
GUPSIM_API void gupsim_folio_put(struct folio *folio);
/** @brief Drop @p refs references; frees the folio when the count reaches 0. */
GUPSIM_API void gupsim_folio_put_refs(struct folio *folio, int refs);
/** @brief Take a reference unless the count is 0 (the folio is being freed). */
GUPSIM_API bool gupsim_folio_try_get(struct folio *folio);
/**@}*/

/** @name Pins (reference §2.2, §2.3) */
/**@{*/
/**
 * @brief Grab @p refs references or pins on @p folio according to @p flags
 * (FOLL_GET or FOLL_PIN); the caller already holds a stable reference.
 * @return 0, -ENOMEM (refcount <= 0, with a WARN) or -EREMOTEIO (P2PDMA
 * folio without FOLL_PCI_P2PDMA)
 */
GUPSIM_API int gupsim_try_grab_folio(struct folio *folio, int refs, unsigned int flags);
/** @brief Add one pin to an already pinned folio; not counted in vmstat. */
GUPSIM_API void gupsim_folio_add_pin(struct folio *folio);
/** @brief Add @p pins pins to a pinned folio; counted in nr_foll_pin_acquired. */
GUPSIM_API int gupsim_folio_add_pins(struct folio *folio, unsigned int pins);
GUPSIM_API void gupsim_unpin_user_page(struct page *page);
GUPSIM_API void gupsim_unpin_user_pages(struct page **pages, unsigned long npages);
GUPSIM_API void gupsim_unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
						   bool make_dirty);
GUPSIM_API void gupsim_unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
							bool make_dirty);
GUPSIM_API void gupsim_unpin_folio(struct folio *folio);
GUPSIM_API void gupsim_unpin_user_folio(struct folio *folio, unsigned long npages);
GUPSIM_API void gupsim_unpin_folios(struct folio **folios, unsigned long nfolios);
/** @brief Large folio: pincount > 0; small folio: refcount >= 1024. */
GUPSIM_API bool gupsim_folio_maybe_dma_pinned(struct folio *folio);
/** @brief folio_maybe_dma_pinned(page_folio(page)) (removed from the kernel; kept). */
GUPSIM_API bool gupsim_page_maybe_dma_pinned(struct page *page);
GUPSIM_API bool gupsim_folio_is_longterm_pinnable(struct folio *folio);
/**@}*/

/** @name Page state */
/**@{*/
GUPSIM_API bool gupsim_is_zero_page(const struct page *page);
GUPSIM_API bool gupsim_is_zero_folio(const struct folio *folio);
GUPSIM_API bool gupsim_is_huge_zero_folio(const struct folio *folio);
/** @brief The shared small zero page of @p sim. */
GUPSIM_API struct page *gupsim_zero_page(struct gupsim *sim);
/** @brief The huge zero folio of @p sim (allocated on first use), or NULL. */
GUPSIM_API struct folio *gupsim_huge_zero_folio(struct gupsim *sim);
GUPSIM_API unsigned long gupsim_page_to_pfn(const struct page *page);
/** @brief pfn_to_page() in the machine of the calling thread's current->mm. */
GUPSIM_API struct page *gupsim_pfn_to_page_current(unsigned long pfn);
/** @brief The simulated contents of @p page (PAGE_SIZE bytes). */
GUPSIM_API void *gupsim_page_address(const struct page *page);
GUPSIM_API bool gupsim_folio_test_dirty(const struct folio *folio);
GUPSIM_API bool gupsim_folio_mark_dirty(struct folio *folio);
GUPSIM_API bool gupsim_folio_test_anon(const struct folio *folio);
GUPSIM_API bool gupsim_folio_test_hugetlb(const struct folio *folio);
GUPSIM_API bool gupsim_PageAnonExclusive(const struct page *page);
GUPSIM_API enum zone_type gupsim_page_zonenum(const struct page *page);
GUPSIM_API bool gupsim_is_migrate_cma_page(const struct page *page);
GUPSIM_API void gupsim_folio_lock(struct folio *folio);
GUPSIM_API void gupsim_folio_unlock(struct folio *folio);
/**
 * @brief Print @p page in the kernel's dump_page() format to the machine's
 * log stream (gupsim_set_log()).
 */
GUPSIM_API void gupsim_dump_page(const struct page *page, const char *reason);
/**@}*/

GUPSIM_END_DECLS

#endif /* GUPSIM_FOLIO_H */
