/* SPDX-License-Identifier: MIT */
/**
 * @file gup.h
 * @brief The get_user_pages() / pin_user_pages() family (reference §1, §4, §6).
 *
 * Signatures, added flags and return conventions are the kernel's. The
 * plain, *_fast and *_unlocked variants act on the calling thread's
 * current->mm (gupsim_kthread_use_mm()).
 */
#ifndef GUPSIM_GUP_H
#define GUPSIM_GUP_H

#include <gupsim/types.h>

GUPSIM_BEGIN_DECLS

/** @name Public FOLL_* flags (include/linux/mm_types.h values) */
/**@{*/
#define FOLL_WRITE		(1U << 0)
#define FOLL_GET		(1U << 1)
#define FOLL_DUMP		(1U << 2)
#define FOLL_FORCE		(1U << 3)
#define FOLL_NOWAIT		(1U << 4)
#define FOLL_NOFAULT		(1U << 5)
#define FOLL_HWPOISON		(1U << 6)
#define FOLL_ANON		(1U << 7)
#define FOLL_LONGTERM		(1U << 8)
#define FOLL_SPLIT_PMD		(1U << 9)
#define FOLL_PCI_P2PDMA		(1U << 10)
#define FOLL_INTERRUPTIBLE	(1U << 11)
#define FOLL_HONOR_NUMA_FAULT	(1U << 12)
/**@}*/

/** @name Internal FOLL_* flags (mm/internal.h); callers may not pass them */
/**@{*/
#define FOLL_TOUCH		(1U << 16)
#define FOLL_TRIED		(1U << 17)
#define FOLL_REMOTE		(1U << 18)
#define FOLL_PIN		(1U << 19)
#define FOLL_FAST_ONLY		(1U << 20)
#define FOLL_UNLOCKABLE		(1U << 21)
#define FOLL_MADV_POPULATE	(1U << 22)
#define INTERNAL_GUP_FLAGS	(FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | \
				 FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE)
/**@}*/

/** @name Fault flags (fixup_user_fault) */
/**@{*/
#define FAULT_FLAG_WRITE		(1U << 0)
#define FAULT_FLAG_MKWRITE		(1U << 1)
#define FAULT_FLAG_ALLOW_RETRY		(1U << 2)
#define FAULT_FLAG_RETRY_NOWAIT		(1U << 3)
#define FAULT_FLAG_KILLABLE		(1U << 4)
#define FAULT_FLAG_TRIED		(1U << 5)
#define FAULT_FLAG_USER			(1U << 6)
#define FAULT_FLAG_REMOTE		(1U << 7)
#define FAULT_FLAG_INSTRUCTION		(1U << 8)
#define FAULT_FLAG_INTERRUPTIBLE	(1U << 9)
#define FAULT_FLAG_UNSHARE		(1U << 10)
#define FAULT_FLAG_ORIG_PTE_VALID	(1U << 11)
#define FAULT_FLAG_VMA_LOCK		(1U << 12)
/**@}*/

GUPSIM_API long gupsim_get_user_pages_remote(struct mm_struct *mm, unsigned long start,
					     unsigned long nr_pages, unsigned int gup_flags,
					     struct page **pages, int *locked);
GUPSIM_API long gupsim_get_user_pages(unsigned long start, unsigned long nr_pages,
				      unsigned int gup_flags, struct page **pages);
GUPSIM_API long gupsim_get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
					       struct page **pages, unsigned int gup_flags);
GUPSIM_API int gupsim_get_user_pages_fast(unsigned long start, int nr_pages,
					  unsigned int gup_flags, struct page **pages);
GUPSIM_API int gupsim_get_user_pages_fast_only(unsigned long start, int nr_pages,
					       unsigned int gup_flags, struct page **pages);
GUPSIM_API int gupsim_pin_user_pages_fast(unsigned long start, int nr_pages,
					  unsigned int gup_flags, struct page **pages);
GUPSIM_API long gupsim_pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
					     unsigned long nr_pages, unsigned int gup_flags,
					     struct page **pages, int *locked);
GUPSIM_API long gupsim_pin_user_pages(unsigned long start, unsigned long nr_pages,
				      unsigned int gup_flags, struct page **pages);
GUPSIM_API long gupsim_pin_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
					       struct page **pages, unsigned int gup_flags);
/**
 * @brief Pin the folios of a shmem/memfd or hugetlbfs file in [start, end]
 * (end inclusive), one pin per folio (reference §4.7).
 * @return the number of folios pinned, or a negative errno
 */
GUPSIM_API long gupsim_memfd_pin_folios(struct file *memfd, long long start, long long end,
					struct folio **folios, unsigned int max_folios,
					pgoff_t *offset);
/** @brief One page with FOLL_FORCE | FOLL_DUMP | FOLL_GET, or NULL (a hole). */
GUPSIM_API struct page *gupsim_get_dump_page(unsigned long addr, int *locked);
/** @brief Resolve one fault at @p address; takes no reference. */
GUPSIM_API int gupsim_fixup_user_fault(struct mm_struct *mm, unsigned long address,
				       unsigned int fault_flags, bool *unlocked);
/** @brief The kernel's get_user_page_vma_remote(); an ERR_PTR on error. */
GUPSIM_API struct page *gupsim_get_user_page_vma_remote(struct mm_struct *mm,
							unsigned long addr, int gup_flags,
							struct vm_area_struct **vmap);
/** @brief get_user_pages_fast_only(addr, 1, ...) == 1. */
GUPSIM_API bool gupsim_get_user_page_fast_only(unsigned long addr, unsigned int gup_flags,
					       struct page **pagep);
/** @brief folio_needs_cow_for_dma(): only valid inside fork's copy. */
GUPSIM_API bool gupsim_folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio);

GUPSIM_END_DECLS

#endif /* GUPSIM_GUP_H */
