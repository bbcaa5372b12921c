/* SPDX-License-Identifier: MIT */
/**
 * @file kernel.h
 * @brief Kernel names for the gupsim API (opt-in, like liburcu's flavour
 * mapping): `pin_user_pages()`, `folio_put()`, `current->mm`, `IS_ERR()`...
 *
 * Every name below is a macro onto an exported gupsim_* symbol, so a program
 * that does not include this header sees no kernel names at link time.
 */
#ifndef GUPSIM_KERNEL_H
#define GUPSIM_KERNEL_H

#include <gupsim/gupsim.h>

/** @name Error pointers (include/linux/err.h) */
/**@{*/
/** The largest errno an error pointer or value carries (4095). */
#define MAX_ERRNO		GUPSIM_MAX_ERRNO
/** True if @p x is a negative errno cast to an unsigned long (e.g. gupsim_mmap()'s result). */
#define IS_ERR_VALUE(x)		GUPSIM_IS_ERR_VALUE(x)
/**
 * @brief Encode a negative errno as a pointer.
 * @param error -errno
 * @return the error pointer
 */
static inline void *ERR_PTR(long error) { return (void *)error; }
/**
 * @brief Decode an error pointer.
 * @param ptr a pointer for which IS_ERR() is true
 * @return the negative errno
 */
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
/**
 * @brief Is @p ptr an error pointer?
 * @param ptr a pointer returned by e.g. gupsim_fork()
 * @return true for ERR_PTR(-errno) values
 */
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
/**
 * @brief Is @p ptr NULL or an error pointer?
 * @param ptr the pointer
 * @return true for NULL or ERR_PTR(-errno)
 */
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }
/**@}*/

/** @name Task context and the mmap lock */
/**@{*/
/**
 * `current` is the calling thread's task (gupsim_current()); every other
 * name maps onto the gupsim_ symbol of the same name (mmget and mmput onto
 * gupsim_mm_get and gupsim_mm_put). In C `current` is a macro; in C++ it
 * is a constant object (below) so that the standard library's members
 * named `current` (std::reverse_iterator) still compile, whatever the
 * include order. Define GUPSIM_NO_CURRENT before including this header to
 * leave the name `current` alone (then call gupsim_current()).
 */
#if !defined(GUPSIM_NO_CURRENT) && !defined(__cplusplus)
#define current				(gupsim_current())
#endif
#define kthread_use_mm			gupsim_kthread_use_mm
#define kthread_unuse_mm		gupsim_kthread_unuse_mm
#define mmap_read_lock			gupsim_mmap_read_lock
#define mmap_read_lock_killable		gupsim_mmap_read_lock_killable
#define mmap_read_trylock		gupsim_mmap_read_trylock
#define mmap_read_unlock		gupsim_mmap_read_unlock
#define mmap_write_lock			gupsim_mmap_write_lock
#define mmap_write_unlock		gupsim_mmap_write_unlock
#define find_vma			gupsim_find_vma
#define vma_lookup			gupsim_vma_lookup
#define mmget				gupsim_mm_get
#define mmput				gupsim_mm_put
#define mmu_notifier_register		gupsim_mmu_notifier_register
#define mmu_notifier_unregister		gupsim_mmu_notifier_unregister
/**@}*/

/** @name References */
/**@{*/
/** The kernel name of gupsim_<name> (see that function). */
#define page_folio			gupsim_page_folio
#define folio_page			gupsim_folio_page
#define folio_nr_pages			gupsim_folio_nr_pages
#define folio_order			gupsim_folio_order
#define folio_test_large		gupsim_folio_test_large
#define folio_has_pincount		gupsim_folio_has_pincount
#define folio_ref_count			gupsim_folio_ref_count
#define page_ref_count			gupsim_page_ref_count
#define page_count			gupsim_page_count
#define folio_mapcount			gupsim_folio_mapcount
#define page_mapcount			gupsim_page_mapcount
#define get_page			gupsim_get_page
#define put_page			gupsim_put_page
#define folio_get			gupsim_folio_get
#define folio_put			gupsim_folio_put
#define folio_put_refs			gupsim_folio_put_refs
#define folio_try_get			gupsim_folio_try_get
/**@}*/

/** @name Pins */
/**@{*/
/** The kernel name of gupsim_<name> (see that function). */
#define try_grab_folio			gupsim_try_grab_folio
#define folio_add_pin			gupsim_folio_add_pin
#define folio_add_pins			gupsim_folio_add_pins
#define unpin_user_page			gupsim_unpin_user_page
#define unpin_user_pages		gupsim_unpin_user_pages
#define unpin_user_pages_dirty_lock	gupsim_unpin_user_pages_dirty_lock
#define unpin_user_page_range_dirty_lock gupsim_unpin_user_page_range_dirty_lock
#define unpin_folio			gupsim_unpin_folio
#define unpin_user_folio		gupsim_unpin_user_folio
#define unpin_folios			gupsim_unpin_folios
#define folio_maybe_dma_pinned		gupsim_folio_maybe_dma_pinned
#define page_maybe_dma_pinned		gupsim_page_maybe_dma_pinned
#define folio_is_longterm_pinnable	gupsim_folio_is_longterm_pinnable
#define folio_needs_cow_for_dma		gupsim_folio_needs_cow_for_dma
/**@}*/

/** @name Page state */
/**@{*/
/**
 * The kernel name of gupsim_<name> (pfn_to_page is
 * gupsim_pfn_to_page_current, resolved in current->mm's machine).
 */
#define is_zero_page			gupsim_is_zero_page
#define is_zero_folio			gupsim_is_zero_folio
#define is_huge_zero_folio		gupsim_is_huge_zero_folio
#define page_to_pfn			gupsim_page_to_pfn
#define pfn_to_page			gupsim_pfn_to_page_current
#define page_address			gupsim_page_address
#define folio_test_dirty		gupsim_folio_test_dirty
#define folio_mark_dirty		gupsim_folio_mark_dirty
#define folio_test_anon			gupsim_folio_test_anon
#define folio_test_hugetlb		gupsim_folio_test_hugetlb
#define PageAnonExclusive		gupsim_PageAnonExclusive
#define page_zonenum			gupsim_page_zonenum
#define is_migrate_cma_page		gupsim_is_migrate_cma_page
#define folio_lock			gupsim_folio_lock
#define folio_unlock			gupsim_folio_unlock
#define dump_page			gupsim_dump_page
/**@}*/

/** @name The get_user_pages() family */
/**@{*/
/** The kernel name of gupsim_<name> (see that function). */
#define get_user_pages_remote		gupsim_get_user_pages_remote
#define get_user_pages			gupsim_get_user_pages
#define get_user_pages_unlocked		gupsim_get_user_pages_unlocked
#define get_user_pages_fast		gupsim_get_user_pages_fast
#define get_user_pages_fast_only	gupsim_get_user_pages_fast_only
#define get_user_page_fast_only		gupsim_get_user_page_fast_only
#define get_user_page_vma_remote	gupsim_get_user_page_vma_remote
#define pin_user_pages_fast		gupsim_pin_user_pages_fast
#define pin_user_pages_remote		gupsim_pin_user_pages_remote
#define pin_user_pages			gupsim_pin_user_pages
#define pin_user_pages_unlocked		gupsim_pin_user_pages_unlocked
#define memfd_pin_folios		gupsim_memfd_pin_folios
#define get_dump_page			gupsim_get_dump_page
#define fixup_user_fault		gupsim_fixup_user_fault
/**@}*/

#if defined(__cplusplus) && !defined(GUPSIM_NO_CURRENT)
/**
 * C++ spelling of `current`: `current->mm`, `current == t` and passing
 * `current` as a `struct task_struct *` call gupsim_current() each time,
 * as the C macro does, without a macro.
 */
struct gupsim_current_task {
	/** @brief `current->field` @return the calling thread's task */
	struct task_struct *operator->() const { return gupsim_current(); }
	/** @brief `current` as a pointer @return the calling thread's task */
	operator struct task_struct *() const { return gupsim_current(); }
};
/** The calling thread's task (C++). */
static constexpr gupsim_current_task current{};
#endif

#endif /* GUPSIM_KERNEL_H */
