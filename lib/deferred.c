// SPDX-License-Identifier: MIT
/*
 * Reports and trace events raised under library locks wait until the
 * thread holds none.
 *
 * The warn handler and the trace callback may call back into gupsim
 * (docs/api.md). Called where they were raised, under munmap()'s write lock
 * or a fault's read lock or a page-table lock, such a call would deadlock
 * or release a lock it does not own. So each thread counts the library
 * locks it holds (the mmap locks the library takes for one call, page-table
 * locks, folio locks: lib_lock_acquired() / lib_lock_released()); a report
 * or trace event raised while that count is not zero is queued, in order,
 * and the release that brings the count back to zero delivers the queue,
 * before the public call returns. Events raised while the queue is being
 * delivered (by a handler that calls into gupsim) join its end, so the
 * order in which they were raised is kept. Strict mode aborts when the
 * report is delivered. mmap locks the caller took itself (the public
 * gupsim_mmap_*_lock()) are not library locks: a handler may run while the
 * caller holds one, and gets -EDEADLK if it asks gupsim for the same lock.
 *
 * A queued entry is allocated; without memory the report or event is
 * delivered at once, as before.
 */
#include <stdlib.h>

#include "internal.h"

_Thread_local unsigned int lib_lock_depth;
_Thread_local bool lib_deferred_pending;

enum deferred_kind { DEFERRED_REPORT, DEFERRED_LOG, DEFERRED_TRACE };

struct deferred {
	struct deferred *next;
	enum deferred_kind kind;
	struct gupsim *sim;
	struct gupsim_trace_record rec;
	char text[];
};

static _Thread_local struct {
	struct deferred *head, *tail;
	bool flushing;
} queue;

static bool must_defer(void)
{
	return lib_lock_depth || queue.flushing;
}

static void enqueue(struct deferred *d)
{
	d->next = NULL;
	if (queue.tail)
		queue.tail->next = d;
	else
		queue.head = d;
	queue.tail = d;
	lib_deferred_pending = true;
}

static bool text_defer(struct gupsim *sim, const char *text, enum deferred_kind kind)
{
	size_t len = strlen(text) + 1;
	struct deferred *d;

	if (!must_defer())
		return false;
	d = malloc(sizeof(*d) + len);
	if (!d)
		return false;
	d->kind = kind;
	d->sim = sim;
	memcpy(d->text, text, len);
	enqueue(d);
	return true;
}

bool report_defer(struct gupsim *sim, const char *text)
{
	return text_defer(sim, text, DEFERRED_REPORT);
}

/* Text for the log stream only (dump_page()), kept in order with reports. */
bool log_defer(struct gupsim *sim, const char *text)
{
	return text_defer(sim, text, DEFERRED_LOG);
}

bool trace_defer(struct gupsim *sim, const struct gupsim_trace_record *rec)
{
	struct deferred *d;

	if (!must_defer())
		return false;
	d = malloc(sizeof(*d));
	if (!d)
		return false;
	d->kind = DEFERRED_TRACE;
	d->sim = sim;
	d->rec = *rec;
	enqueue(d);
	return true;
}

/* Deliver the queue, oldest first, including what the handlers add to it. */
void deferred_flush(void)
{
	struct deferred *d;

	if (queue.flushing || lib_lock_depth)
		return;
	queue.flushing = true;
	while ((d = queue.head)) {
		queue.head = d->next;
		if (!queue.head)
			queue.tail = NULL;
		if (d->kind == DEFERRED_REPORT)
			report_deliver(d->sim, d->text);
		else if (d->kind == DEFERRED_LOG)
			log_deliver(d->sim, d->text);
		else
			trace_deliver(d->sim, &d->rec);
		free(d);
	}
	lib_deferred_pending = false;
	queue.flushing = false;
}
