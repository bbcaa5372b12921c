/* SPDX-License-Identifier: MIT */
/**
 * @file vmstat.h
 * @brief /proc/vmstat-style counters of a simulated machine.
 *
 * Counters are sharded per thread and folded on read; nr_foll_pin_* count
 * per 4 KiB page, as the kernel does (semantics.md §2.6).
 */
#ifndef GUPSIM_VMSTAT_H
#define GUPSIM_VMSTAT_H

#include <stdio.h>
#include <gupsim/export.h>

GUPSIM_BEGIN_DECLS

struct gupsim;

/** The counters; gupsim_vmstat_print() prints each as "name value". */
enum gupsim_vmstat_item {
	GUPSIM_NR_FOLL_PIN_ACQUIRED,	/**< nr_foll_pin_acquired */
	GUPSIM_NR_FOLL_PIN_RELEASED,	/**< nr_foll_pin_released */
	GUPSIM_NR_COW_COPIES,		/**< gupsim_cow_copies: wp faults that copied */
	GUPSIM_NR_UNSHARES,		/**< gupsim_unshares: FAULT_FLAG_UNSHARE faults */
	GUPSIM_NR_LONGTERM_MIGRATIONS,	/**< gupsim_longterm_migrations: folios migrated */
	GUPSIM_NR_FORK_PINNED_COPIES,	/**< gupsim_fork_pinned_copies */
	GUPSIM_NR_THP_SPLITS,		/**< thp_split_pmd: PMD mappings split */
	GUPSIM_NR_WARNINGS,		/**< gupsim_warnings */
	GUPSIM_NR_PIN_SANITIZER_REPORTS, /**< gupsim_pin_sanitizer_reports */
	GUPSIM_NR_GUP_FAST_CALLS,	/**< gupsim_gup_fast_calls */
	GUPSIM_NR_GUP_FAST_FALLBACKS,	/**< gupsim_gup_fast_fallbacks */
	GUPSIM_NR_GUP_SLOW_CALLS,	/**< gupsim_gup_slow_calls */
	GUPSIM_NR_PGFAULT,		/**< pgfault: every handled fault */
	GUPSIM_NR_FAULT_ANON,		/**< gupsim_fault_anon: new anon page */
	GUPSIM_NR_FAULT_ZERO_PAGE,	/**< gupsim_fault_zero_page */
	GUPSIM_NR_FAULT_FILE,		/**< gupsim_fault_file */
	GUPSIM_NR_FAULT_HUGETLB,	/**< gupsim_fault_hugetlb */
	GUPSIM_NR_THP_FAULT_ALLOC,	/**< thp_fault_alloc */
	GUPSIM_NR_THP_FAULT_FALLBACK,	/**< thp_fault_fallback */
	GUPSIM_NR_MTHP_FAULT_ALLOC,	/**< gupsim_mthp_fault_alloc */
	GUPSIM_NR_COW_REUSES,		/**< gupsim_cow_reuses: wp faults that reused */
	GUPSIM_NR_LONGTERM_RETRIES,	/**< gupsim_longterm_retries */
	GUPSIM_NR_THP_SPLIT_PAGE,	/**< thp_split_page: large folios split */
	GUPSIM_NR_WRITEBACK,		/**< gupsim_writeback: folios written back */
	GUPSIM_NR_WRITEBACK_PINNED,	/**< gupsim_writeback_pinned: of those, maybe pinned */
	GUPSIM_NR_PGMIGRATE_SUCCESS,	/**< pgmigrate_success */
	GUPSIM_NR_PGMIGRATE_FAIL,	/**< pgmigrate_fail */
	GUPSIM_NR_BAD_PAGES,		/**< gupsim_bad_pages: bad_page() reports */
	GUPSIM_NR_VMSTAT_ITEMS
};

/**
 * @brief The value of one counter, summed over every thread's shard.
 * @param sim  the machine
 * @param item the counter
 * @return its value since the machine was created; 0 for an unknown item
 * or a NULL @p sim
 */
GUPSIM_API unsigned long gupsim_vmstat(struct gupsim *sim, enum gupsim_vmstat_item item);
/**
 * @brief The /proc/vmstat-style name of @p item.
 * @param item the counter
 * @return e.g. "nr_foll_pin_acquired", or NULL for an unknown item
 */
GUPSIM_API const char *gupsim_vmstat_name(enum gupsim_vmstat_item item);
/**
 * @brief Print every counter as a "name value\n" line, in enum order, from
 * one consistent fold.
 * @param sim the machine
 * @param out the stream
 * @return 0, or -EINVAL (NULL argument) or the write error as -errno
 */
GUPSIM_API int gupsim_vmstat_print(struct gupsim *sim, FILE *out);

GUPSIM_END_DECLS

#endif /* GUPSIM_VMSTAT_H */
