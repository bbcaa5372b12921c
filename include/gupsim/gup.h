/* SPDX-License-Identifier: MIT */
/**
 * @file gup.h
 * @brief The get_user_pages() / pin_user_pages() family (semantics.md §1, §4, §6).
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
#define FOLL_WRITE		(1U << 0)  /**< write access: write fault / COW break first */
#define FOLL_GET		(1U << 1)  /**< take a plain reference (+1 per page) */
#define FOLL_DUMP		(1U << 2)  /**< core dump: holes and zero pages give -EFAULT */
#define FOLL_FORCE		(1U << 3)  /**< ptrace-style access past VM_READ/VM_WRITE */
#define FOLL_NOWAIT		(1U << 4)  /**< do not wait for I/O; may return 0 */
#define FOLL_NOFAULT		(1U << 5)  /**< never fault: -EFAULT instead */
#define FOLL_HWPOISON		(1U << 6)  /**< poisoned pages give -EHWPOISON */
#define FOLL_ANON		(1U << 7)  /**< anonymous VMAs only */
#define FOLL_LONGTERM		(1U << 8)  /**< long-term pin; requires FOLL_PIN */
#define FOLL_SPLIT_PMD		(1U << 9)  /**< split a PMD-mapped THP into PTEs first */
#define FOLL_PCI_P2PDMA		(1U << 10) /**< allow PCI peer-to-peer DMA pages */
#define FOLL_INTERRUPTIBLE	(1U << 11) /**< any signal interrupts, not only fatal */
#define FOLL_HONOR_NUMA_FAULT	(1U << 12) /**< fault on NUMA-hinting PROT_NONE entries */
/**@}*/

/** @name Internal FOLL_* flags (mm/internal.h); callers may not pass them */
/**@{*/
#define FOLL_TOUCH		(1U << 16) /**< mark accessed (and dirty on write) */
#define FOLL_TRIED		(1U << 17) /**< retry after the lock was dropped */
#define FOLL_REMOTE		(1U << 18) /**< set by the *_remote variants */
#define FOLL_PIN		(1U << 19) /**< set by the pin_user_pages*() wrappers */
#define FOLL_FAST_ONLY		(1U << 20) /**< set by get_user_pages_fast_only() */
#define FOLL_UNLOCKABLE		(1U << 21) /**< the fault may drop mmap_lock */
#define FOLL_MADV_POPULATE	(1U << 22) /**< MADV_POPULATE_READ/WRITE */
/** Every internal flag: passing one to a wrapper is invalid (WARN). */
#define INTERNAL_GUP_FLAGS	(FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | \
				 FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE)
/**@}*/

/**
 * @name Fault flags (fixup_user_fault)
 * The kernel's FAULT_FLAG_* values (enum fault_flag), for
 * gupsim_fixup_user_fault() and trace records of faults.
 */
/**@{*/
#define FAULT_FLAG_WRITE		(1U << 0)	/**< the fault is a write */
#define FAULT_FLAG_MKWRITE		(1U << 1)	/**< write to a R/O present entry */
#define FAULT_FLAG_ALLOW_RETRY		(1U << 2)	/**< may drop mmap_lock and retry */
#define FAULT_FLAG_RETRY_NOWAIT		(1U << 3)	/**< do not wait for I/O */
#define FAULT_FLAG_KILLABLE		(1U << 4)	/**< fatal signals interrupt */
#define FAULT_FLAG_TRIED		(1U << 5)	/**< second try after a retry */
#define FAULT_FLAG_USER			(1U << 6)	/**< from user space */
#define FAULT_FLAG_REMOTE		(1U << 7)	/**< another process's mm */
#define FAULT_FLAG_INSTRUCTION		(1U << 8)	/**< an instruction fetch */
#define FAULT_FLAG_INTERRUPTIBLE	(1U << 9)	/**< any signal interrupts */
#define FAULT_FLAG_UNSHARE		(1U << 10)	/**< unshare for a R/O pin (no write) */
#define FAULT_FLAG_ORIG_PTE_VALID	(1U << 11)	/**< orig_pte is known */
#define FAULT_FLAG_VMA_LOCK		(1U << 12)	/**< VMA lock held, not mmap_lock */
/**@}*/

/**
 * @name Return convention of every get/pin variant below (semantics.md §1.5)
 * > 0: the number of pages obtained, possibly fewer than @p nr_pages
 * (partial success: the error at the first failing page is dropped; retry
 * from start + ret * PAGE_SIZE to see it); the caller owns pages[0..ret-1]
 * and must release each with put_page() (FOLL_GET) or unpin_user_page*()
 * (FOLL_PIN). 0: @p nr_pages was 0, FOLL_NOWAIT would have blocked, the
 * fast-only walk grabbed nothing, or (pin_user_pages, _remote, _unlocked
 * only) the arguments were invalid. < 0: -errno, and nothing was obtained.
 * An unaligned @p start means the page that contains it.
 */
/**@{*/
/**
 * @brief get_user_pages_remote(): take a reference (FOLL_GET) on each page
 * of [start, start + nr_pages pages) of @p mm, faulting pages in as needed.
 *
 * Adds FOLL_TOUCH | FOLL_REMOTE; FOLL_GET is implied when @p pages is given.
 * The caller holds mmap_read_lock(@p mm).
 * @param mm        the address space (need not be current->mm)
 * @param start     user address
 * @param nr_pages  number of pages
 * @param gup_flags public FOLL_* flags (FOLL_WRITE, FOLL_FORCE, …); not FOLL_LONGTERM
 * @param pages     array of @p nr_pages entries to fill, or NULL (fault in only)
 * @param locked    NULL, or a pointer to 1 (the lock may then be dropped and
 *                  *locked is set to 0 if so)
 * @return see above. Errors: -EINVAL (invalid flags or arguments, with a
 * WARN), -EFAULT (no VMA, VMA permissions, VM_IO/VM_PFNMAP, hole),
 * -ENOMEM, -EOPNOTSUPP (FOLL_SPLIT_PMD on hugetlb), -EREMOTEIO (P2PDMA page
 * without FOLL_PCI_P2PDMA), -EHWPOISON, -EINTR
 */
GUPSIM_API long gupsim_get_user_pages_remote(struct mm_struct *mm, unsigned long start,
					     unsigned long nr_pages, unsigned int gup_flags,
					     struct page **pages, int *locked);
/**
 * @brief get_user_pages(): gupsim_get_user_pages_remote() on current->mm
 * without FOLL_REMOTE; the caller holds mmap_read_lock(current->mm).
 * @param start     user address
 * @param nr_pages  number of pages
 * @param gup_flags public FOLL_* flags; not FOLL_LONGTERM
 * @param pages     array to fill, or NULL
 * @return as gupsim_get_user_pages_remote()
 */
GUPSIM_API long gupsim_get_user_pages(unsigned long start, unsigned long nr_pages,
				      unsigned int gup_flags, struct page **pages);
/**
 * @brief get_user_pages_unlocked(): like gupsim_get_user_pages(), but takes
 * and releases mmap_read_lock(current->mm) itself.
 * @param start     user address
 * @param nr_pages  number of pages
 * @param pages     array to fill, or NULL
 * @param gup_flags public FOLL_* flags; not FOLL_LONGTERM
 * @return as gupsim_get_user_pages_remote(); also -EAGAIN if the lock
 * cannot be taken
 */
GUPSIM_API long gupsim_get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
					       struct page **pages, unsigned int gup_flags);
/**
 * @brief get_user_pages_fast(): FOLL_GET on current->mm through the
 * lockless page-table walk; whatever the walk cannot grab (not present,
 * needs a fault or COW, special or zero-page entry, …) is done by the slow
 * path. Takes no lock; the caller must not hold mmap_lock.
 * @param start     user address
 * @param nr_pages  number of pages (0 returns 0)
 * @param gup_flags only FOLL_WRITE, FOLL_FORCE, FOLL_NOFAULT,
 *                  FOLL_PCI_P2PDMA, FOLL_HONOR_NUMA_FAULT (others: -EINVAL)
 * @param pages     array of @p nr_pages entries to fill
 * @return as above; fast-path argument errors: -EINVAL (flags), -EOVERFLOW
 * (start + length overflows, e.g. a negative @p nr_pages), -EFAULT (end
 * beyond the user address space)
 */
GUPSIM_API int gupsim_get_user_pages_fast(unsigned long start, int nr_pages,
					  unsigned int gup_flags, struct page **pages);
/**
 * @brief get_user_pages_fast_only(): the lockless walk of
 * gupsim_get_user_pages_fast() alone: never faults, never sleeps, never
 * falls back to the slow path.
 * @param start     user address
 * @param nr_pages  number of pages
 * @param gup_flags as for gupsim_get_user_pages_fast()
 * @param pages     array to fill
 * @return the number of pages grabbed (0 if none), or -EINVAL, -EOVERFLOW,
 * -EFAULT for bad arguments
 */
GUPSIM_API int gupsim_get_user_pages_fast_only(unsigned long start, int nr_pages,
					       unsigned int gup_flags, struct page **pages);
/**
 * @brief pin_user_pages_fast(): FOLL_PIN on current->mm, lockless walk
 * first, slow path for the rest (the usual call for Direct I/O, and with
 * FOLL_LONGTERM for RDMA or io_uring buffers).
 *
 * Once the flags are valid, sets MMF_HAS_PINNED on the mm, even if the
 * range then fails (-EFAULT, -EOVERFLOW). The walk backs off on a
 * concurrent fork (write_protect_seq) and the slow path redoes the whole
 * range.
 * @param start     user address
 * @param nr_pages  number of pages (0 returns 0)
 * @param gup_flags FOLL_WRITE, FOLL_LONGTERM, FOLL_FORCE, FOLL_NOFAULT,
 *                  FOLL_PCI_P2PDMA (not with FOLL_LONGTERM), FOLL_HONOR_NUMA_FAULT
 * @param pages     array of @p nr_pages entries to fill (required)
 * @return as above; invalid arguments give -EINVAL (unlike pin_user_pages());
 * FOLL_LONGTERM adds -EOPNOTSUPP (fs-DAX), -EFAULT (writable pin of a
 * dirty-tracked shared file mapping) and -ENOMEM (migration failed)
 */
GUPSIM_API int gupsim_pin_user_pages_fast(unsigned long start, int nr_pages,
					  unsigned int gup_flags, struct page **pages);
/**
 * @brief pin_user_pages_remote(): FOLL_PIN on @p mm (adds FOLL_TOUCH |
 * FOLL_REMOTE), slow path; the caller holds mmap_read_lock(@p mm).
 *
 * With FOLL_LONGTERM, pinned folios in ZONE_MOVABLE or CMA are unpinned,
 * migrated to pinnable memory and the call retries.
 * @param mm        the address space
 * @param start     user address
 * @param nr_pages  number of pages
 * @param gup_flags public FOLL_* flags, e.g. FOLL_WRITE | FOLL_LONGTERM
 * @param pages     array of @p nr_pages entries to fill (required)
 * @param locked    NULL, or a pointer to 1
 * @return as above, but **0, not -EINVAL, for invalid arguments** (a
 * historical quirk, with a WARN)
 */
GUPSIM_API long gupsim_pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
					     unsigned long nr_pages, unsigned int gup_flags,
					     struct page **pages, int *locked);
/**
 * @brief pin_user_pages(): FOLL_PIN on current->mm, slow path, **without**
 * FOLL_TOUCH; the caller holds mmap_read_lock(current->mm).
 * @param start     user address
 * @param nr_pages  number of pages
 * @param gup_flags public FOLL_* flags
 * @param pages     array of @p nr_pages entries to fill (required)
 * @return as gupsim_pin_user_pages_remote(): 0 for invalid arguments
 */
GUPSIM_API long gupsim_pin_user_pages(unsigned long start, unsigned long nr_pages,
				      unsigned int gup_flags, struct page **pages);
/**
 * @brief pin_user_pages_unlocked(): like gupsim_pin_user_pages() (with
 * FOLL_TOUCH), taking and releasing mmap_read_lock(current->mm) itself.
 * @param start     user address
 * @param nr_pages  number of pages
 * @param pages     array of @p nr_pages entries to fill (required)
 * @param gup_flags public FOLL_* flags
 * @return as gupsim_pin_user_pages_remote(): 0 for invalid arguments
 */
GUPSIM_API long gupsim_pin_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
					       struct page **pages, unsigned int gup_flags);
/**@}*/
/**
 * @brief memfd_pin_folios(): pin the folios of a shmem/memfd or hugetlbfs
 * file in [start, end] (end inclusive), one pin per folio, allocating
 * missing ones and migrating them out of ZONE_MOVABLE/CMA (semantics.md §4.7).
 *
 * Each folio counts 1 in nr_foll_pin_acquired; MMF_HAS_PINNED is not set.
 * Release with unpin_folio()/unpin_folios().
 * @param memfd      the file
 * @param start      first byte offset
 * @param end        last byte offset (inclusive), below the file size
 * @param folios     array of @p max_folios entries to fill
 * @param max_folios capacity of @p folios (at least 1)
 * @param offset     set to the offset of @p start in the first folio
 * @return the number of folios pinned (<= @p max_folios), or -EINVAL (bad
 * range, NULL file, not shmem/hugetlbfs, max_folios 0), -ENOMEM
 */
GUPSIM_API long gupsim_memfd_pin_folios(struct file *memfd, long long start, long long end,
					struct folio **folios, unsigned int max_folios,
					pgoff_t *offset);
/**
 * @brief get_dump_page(): one page of current->mm for a core dump
 * (FOLL_FORCE | FOLL_DUMP | FOLL_GET).
 * @param addr   user address
 * @param locked pointer to the caller's lock state (1: mmap_read_lock held,
 *               0: not held), or NULL for "not held" (a gupsim extension)
 * @return the page with one more reference (put_page() it), or NULL for a
 * hole: never-touched anon memory, the zero pages, an error
 */
GUPSIM_API struct page *gupsim_get_dump_page(unsigned long addr, int *locked);
/**
 * @brief fixup_user_fault(): resolve one fault at @p address of @p mm as a
 * futex or KVM does; takes no reference. The caller holds mmap_read_lock.
 * @param mm          the address space
 * @param address     user address
 * @param fault_flags FAULT_FLAG_* (e.g. FAULT_FLAG_WRITE)
 * @param unlocked    NULL, or set to true if the lock was dropped and retaken
 * @return 0, or -EFAULT (no VMA, not permitted), -ENOMEM, -EINTR, -EHWPOISON
 */
GUPSIM_API int gupsim_fixup_user_fault(struct mm_struct *mm, unsigned long address,
				       unsigned int fault_flags, bool *unlocked);
/**
 * @brief get_user_page_vma_remote(): one page of @p mm with a reference,
 * and its VMA. The caller holds mmap_read_lock(@p mm).
 * @param mm        the address space
 * @param addr      user address
 * @param gup_flags public FOLL_* flags (FOLL_NOWAIT is refused)
 * @param vmap      set to the VMA containing @p addr
 * @return the page (put_page() it), or ERR_PTR(-errno); FOLL_NOWAIT or a
 * missing VMA give ERR_PTR(-EINVAL) with a WARN
 */
GUPSIM_API struct page *gupsim_get_user_page_vma_remote(struct mm_struct *mm,
							unsigned long addr, int gup_flags,
							struct vm_area_struct **vmap);
/**
 * @brief get_user_page_fast_only(): one page, lockless only.
 * @param addr      user address
 * @param gup_flags as for gupsim_get_user_pages_fast()
 * @param pagep     set to the page on success
 * @return get_user_pages_fast_only(addr, 1, gup_flags, pagep) == 1
 */
GUPSIM_API bool gupsim_get_user_page_fast_only(unsigned long addr, unsigned int gup_flags,
					       struct page **pagep);
/**
 * @brief folio_needs_cow_for_dma(): must fork copy this folio for the child
 * instead of sharing it (semantics.md §3.3)? Only meaningful while fork copies
 * the page tables of @p vma's mm.
 * @param vma   the parent's VMA
 * @param folio the folio
 * @return false if the mm never pinned (no MMF_HAS_PINNED); otherwise
 * folio_maybe_dma_pinned(@p folio)
 */
GUPSIM_API bool gupsim_folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio);

GUPSIM_END_DECLS

#endif /* GUPSIM_GUP_H */
