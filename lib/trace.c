// SPDX-License-Identifier: MIT
/*
 * Trace events: the simulator's counterpart of the kernel's tracepoints for
 * GUP, faults, COW, migration, fork copies, THP splits and unpins.
 *
 * The callback and its argument are changed and read as a pair under
 * sim->log_lock; the callback itself runs without any library lock held
 * (deferred.c queues the events raised under one), so it may call back
 * into the library. trace_enabled() (internal.h) is the lockless
 * check emitters make first.
 */
#include "internal.h"

/* Which record fields an event carries; the others are not printed. */
enum {
	TF_MM		= 1u << 0,
	TF_ADDR		= 1u << 1,
	TF_NR		= 1u << 2,
	TF_FLAGS	= 1u << 3,
	TF_RET		= 1u << 4,
	TF_PFN		= 1u << 5,
	TF_NEW_PFN	= 1u << 6,
};

struct trace_event_desc {
	const char *name;
	unsigned int fields;
};

#define TF_CALL		(TF_MM | TF_ADDR | TF_NR | TF_FLAGS | TF_RET)
#define TF_COPY		(TF_PFN | TF_NEW_PFN)

static const struct trace_event_desc trace_events[] = {
	[GUPSIM_TRACE_GUP]	 = { "gup",		TF_CALL },
	[GUPSIM_TRACE_GUP_FAST]	 = { "gup_fast",	TF_CALL },
	[GUPSIM_TRACE_FAULT]	 = { "mm_fault",	TF_MM | TF_ADDR | TF_FLAGS | TF_RET },
	[GUPSIM_TRACE_COW]	 = { "mm_cow",		TF_MM | TF_ADDR | TF_RET | TF_COPY },
	[GUPSIM_TRACE_UNSHARE]	 = { "mm_unshare",	TF_MM | TF_ADDR | TF_RET | TF_COPY },
	[GUPSIM_TRACE_MIGRATE]	 = { "mm_migrate_longterm", TF_NR | TF_RET | TF_COPY },
	[GUPSIM_TRACE_FORK_COPY] = { "mm_fork_copy",	TF_MM | TF_ADDR | TF_COPY },
	[GUPSIM_TRACE_THP_SPLIT] = { "mm_thp_split",	TF_MM | TF_ADDR | TF_NR | TF_RET | TF_PFN },
	[GUPSIM_TRACE_UNPIN]	 = { "gup_unpin",	TF_NR | TF_FLAGS | TF_PFN },
};

static const struct trace_event_desc *trace_desc(enum gupsim_trace_event event)
{
	if ((unsigned int)event >= ARRAY_SIZE(trace_events) || !trace_events[event].name)
		return NULL;
	return &trace_events[event];
}

void gupsim_set_trace(struct gupsim *sim, gupsim_trace_fn fn, void *arg)
{
	if (!sim)
		return;
	pthread_mutex_lock(&sim->log_lock);
	sim->trace_arg = arg;
	WRITE_ONCE_UL(&sim->trace_fn, (unsigned long)fn);
	pthread_mutex_unlock(&sim->log_lock);
}

/*
 * Deliver @rec to the machine's callback, naming it if the emitter did not;
 * under a library lock it waits until the thread holds none (deferred.c).
 */
void gupsim_trace_emit(struct gupsim *sim, const struct gupsim_trace_record *rec)
{
	if (!sim || !rec || !trace_enabled(sim))
		return;
	if (!trace_defer(sim, rec))
		trace_deliver(sim, rec);
}

void trace_deliver(struct gupsim *sim, const struct gupsim_trace_record *rec)
{
	const struct trace_event_desc *desc;
	struct gupsim_trace_record copy;
	gupsim_trace_fn fn;
	void *arg;

	pthread_mutex_lock(&sim->log_lock);
	fn = sim->trace_fn;
	arg = sim->trace_arg;
	pthread_mutex_unlock(&sim->log_lock);
	if (!fn)
		return;

	copy = *rec;
	desc = trace_desc(copy.event);
	if (!copy.name)
		copy.name = desc ? desc->name : "gupsim_unknown";
	fn(arg, &copy);
}

static __attribute__((format(printf, 4, 5)))
size_t trace_append(char *buf, size_t size, size_t n, const char *fmt, ...)
{
	va_list ap;
	int ret;

	if (n >= size)
		return n;
	va_start(ap, fmt);
	ret = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	return ret > 0 ? n + (size_t)ret : n;
}

/*
 * "<name>: mm=... addr=... nr=... flags=... ret=... pfn=... new_pfn=...",
 * with the kernel's printf conventions: %p as 16 hex digits, %#lx as 0x%lx
 * (the kernel prints 0 as "0x0").
 */
void gupsim_trace_print(void *arg, const struct gupsim_trace_record *rec)
{
	FILE *out = arg ? (FILE *)arg : stderr;
	const struct trace_event_desc *desc;
	unsigned int fields;
	char line[256];
	size_t n;

	if (!rec)
		return;
	desc = trace_desc(rec->event);
	fields = desc ? desc->fields : ~0u;

	n = trace_append(line, sizeof(line), 0, "%s:",
			 rec->name ? rec->name : (desc ? desc->name : "gupsim_unknown"));
	if (fields & TF_MM)
		n = trace_append(line, sizeof(line), n, " mm=%016lx", (unsigned long)rec->mm);
	if (fields & TF_ADDR)
		n = trace_append(line, sizeof(line), n, " addr=0x%lx", rec->addr);
	if (fields & TF_NR)
		n = trace_append(line, sizeof(line), n, " nr=%lu", rec->nr);
	if (fields & TF_FLAGS)
		n = trace_append(line, sizeof(line), n, " flags=0x%x", rec->flags);
	if (fields & TF_RET)
		n = trace_append(line, sizeof(line), n, " ret=%ld", rec->ret);
	if (fields & TF_PFN)
		n = trace_append(line, sizeof(line), n, " pfn=0x%lx", rec->pfn);
	if (fields & TF_NEW_PFN)
		(void)trace_append(line, sizeof(line), n, " new_pfn=0x%lx", rec->new_pfn);
	fprintf(out, "%s\n", line);
}
