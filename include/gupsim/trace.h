/* SPDX-License-Identifier: MIT */
/**
 * @file trace.h
 * @brief Trace events mirroring the kernel's tracepoints for GUP, faults,
 * COW, migration and fork copies.
 */
#ifndef GUPSIM_TRACE_H
#define GUPSIM_TRACE_H

#include <stdio.h>
#include <gupsim/export.h>

GUPSIM_BEGIN_DECLS

struct gupsim;
struct mm_struct;

/** The kinds of trace event. */
enum gupsim_trace_event {
	GUPSIM_TRACE_GUP,		/**< a get/pin call returned */
	GUPSIM_TRACE_GUP_FAST,		/**< the lockless walk finished */
	GUPSIM_TRACE_FAULT,		/**< handle_mm_fault */
	GUPSIM_TRACE_COW,		/**< a wp fault copied or reused */
	GUPSIM_TRACE_UNSHARE,		/**< an unshare fault */
	GUPSIM_TRACE_MIGRATE,		/**< a folio migrated (longterm pin) */
	GUPSIM_TRACE_FORK_COPY,		/**< fork copied a maybe-pinned page */
	GUPSIM_TRACE_THP_SPLIT,		/**< a PMD mapping or folio split */
	GUPSIM_TRACE_UNPIN,		/**< pins released */
};

/** One event. Fields that do not apply are 0. */
struct gupsim_trace_record {
	enum gupsim_trace_event event;	/**< which event */
	const char *name;		/**< the emitting function, or the event's default name */
	struct mm_struct *mm;		/**< the address space, if any */
	unsigned long addr;		/**< user address */
	unsigned long nr;		/**< pages asked for / affected */
	unsigned int flags;		/**< gup_flags or fault flags */
	long ret;			/**< result */
	unsigned long pfn;		/**< old pfn (COW, migration) */
	unsigned long new_pfn;		/**< new pfn (COW, migration) */
};

/**
 * @brief Trace callback: called synchronously, in the thread that caused
 * the event, with no library lock held (it may call into gupsim).
 * @param arg the pointer given to gupsim_set_trace()
 * @param rec the event; valid only during the call
 */
typedef void (*gupsim_trace_fn)(void *arg, const struct gupsim_trace_record *rec);
/**
 * @brief Install a trace callback for @p sim.
 * @param sim the machine (NULL is ignored)
 * @param fn  the callback, or NULL to disable tracing (the default)
 * @param arg passed to @p fn (e.g. a FILE * for gupsim_trace_print())
 */
GUPSIM_API void gupsim_set_trace(struct gupsim *sim, gupsim_trace_fn fn, void *arg);
/**
 * @brief A ready callback that prints one line per event:
 * "<name>: mm=… addr=0x… nr=… flags=0x… ret=… pfn=0x… new_pfn=0x…", with
 * only the fields that event carries.
 * @param arg a FILE * (NULL: stderr)
 * @param rec the event
 */
GUPSIM_API void gupsim_trace_print(void *arg, const struct gupsim_trace_record *rec);

GUPSIM_END_DECLS

#endif /* GUPSIM_TRACE_H */
