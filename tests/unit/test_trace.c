// SPDX-License-Identifier: MIT
/* Trace events: the callback, emission, and the tracepoint-style printer. */
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

struct trace_log {
	int count;
	struct gupsim_trace_record last;
	char name[64];
};

static void trace_log_fn(void *arg, const struct gupsim_trace_record *rec)
{
	struct trace_log *t = arg;

	t->count++;
	t->last = *rec;
	snprintf(t->name, sizeof(t->name), "%s", rec->name ? rec->name : "(null)");
}

static void callback_receives_events(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = (struct mm_struct *)0x1000;
	struct trace_log t = { 0 };
	struct gupsim_trace_record rec = {
		.event = GUPSIM_TRACE_GUP, .name = "pin_user_pages", .mm = mm,
		.addr = 0x7f0000000000UL, .nr = 16, .flags = FOLL_PIN | FOLL_WRITE, .ret = 16,
	};

	assert_false(trace_enabled(sim));
	gupsim_set_trace(sim, trace_log_fn, &t);
	assert_true(trace_enabled(sim));
	gupsim_trace_emit(sim, &rec);
	assert_int_equal(t.count, 1);
	assert_string_equal(t.name, "pin_user_pages");
	assert_int_equal(t.last.event, GUPSIM_TRACE_GUP);
	assert_ptr_equal(t.last.mm, mm);
	assert_int_equal(t.last.addr, 0x7f0000000000UL);
	assert_int_equal(t.last.nr, 16);
	assert_int_equal(t.last.flags, FOLL_PIN | FOLL_WRITE);
	assert_int_equal(t.last.ret, 16);
}

/* An emitter that gives no name gets the event's default one. */
static void unnamed_event_gets_default_name(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct trace_log t = { 0 };
	struct gupsim_trace_record rec = { .event = GUPSIM_TRACE_COW, .pfn = 5, .new_pfn = 9 };

	gupsim_set_trace(sim, trace_log_fn, &t);
	gupsim_trace_emit(sim, &rec);
	assert_int_equal(t.count, 1);
	assert_string_equal(t.name, "mm_cow");
	assert_int_equal(t.last.pfn, 5);
	assert_int_equal(t.last.new_pfn, 9);
	assert_null(rec.name);		/* the emitter's record is not changed */
}

static void disabled_trace_emits_nothing(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct trace_log t = { 0 };
	struct gupsim_trace_record rec = { .event = GUPSIM_TRACE_FAULT };

	gupsim_trace_emit(sim, &rec);		/* never set: nothing happens */
	gupsim_set_trace(sim, trace_log_fn, &t);
	gupsim_trace_emit(sim, &rec);
	gupsim_set_trace(sim, NULL, &t);
	assert_false(trace_enabled(sim));
	gupsim_trace_emit(sim, &rec);
	gupsim_trace_emit(sim, NULL);
	gupsim_trace_emit(NULL, &rec);
	gupsim_set_trace(NULL, trace_log_fn, &t);
	assert_int_equal(t.count, 1);
}

static char *print_records(const struct gupsim_trace_record *recs, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		gupsim_trace_print(f, &recs[i]);
	fclose(f);
	return buf;
}

static void print_writes_tracepoint_lines(void **state)
{
	const struct gupsim_trace_record recs[] = {
		{ .event = GUPSIM_TRACE_GUP, .name = "gup_pin", .mm = (struct mm_struct *)0xffff888012345678UL,
		  .addr = 0x7f1c2a400000UL, .nr = 512, .flags = 0x40101, .ret = 512 },
		{ .event = GUPSIM_TRACE_COW, .mm = NULL, .addr = 0x1000, .ret = 0,
		  .pfn = 0x1a2b3, .new_pfn = 0x1a2b4 },
		{ .event = GUPSIM_TRACE_MIGRATE, .nr = 1, .ret = -12, .pfn = 0x40000, .new_pfn = 0x200 },
		{ .event = GUPSIM_TRACE_UNPIN, .nr = 3, .flags = 0x40000, .pfn = 0x77 },
		/* the kernel's %#lx prints zero as 0x0 */
		{ .event = GUPSIM_TRACE_FORK_COPY, .addr = 0, .pfn = 0, .new_pfn = 0x10 },
		{ .event = GUPSIM_TRACE_FAULT, .mm = (struct mm_struct *)0x10, .addr = 0x2000,
		  .flags = 0x1, .ret = 0x400 },
	};
	char *out = print_records(recs, (int)ARRAY_SIZE(recs));

	(void)state;
	assert_string_equal(out,
		"gup_pin: mm=ffff888012345678 addr=0x7f1c2a400000 nr=512 flags=0x40101 ret=512\n"
		"mm_cow: mm=0000000000000000 addr=0x1000 ret=0 pfn=0x1a2b3 new_pfn=0x1a2b4\n"
		"mm_migrate_longterm: nr=1 ret=-12 pfn=0x40000 new_pfn=0x200\n"
		"gup_unpin: nr=3 flags=0x40000 pfn=0x77\n"
		"mm_fork_copy: mm=0000000000000000 addr=0x0 pfn=0x0 new_pfn=0x10\n"
		"mm_fault: mm=0000000000000010 addr=0x2000 flags=0x1 ret=1024\n");
	free(out);
}

/* The printer is a ready callback: install it with a FILE *. */
static void printer_works_as_callback(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct gupsim_trace_record rec = {
		.event = GUPSIM_TRACE_THP_SPLIT, .mm = (struct mm_struct *)0x20,
		.addr = 0x200000, .nr = 512, .ret = 0, .pfn = 0x400,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	gupsim_set_trace(sim, gupsim_trace_print, f);
	gupsim_trace_emit(sim, &rec);
	gupsim_set_trace(sim, NULL, NULL);
	gupsim_trace_emit(sim, &rec);
	fclose(f);
	assert_string_equal(buf, "mm_thp_split: mm=0000000000000020 addr=0x200000 nr=512 ret=0 pfn=0x400\n");
	free(buf);
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, sim_setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SETUP(callback_receives_events),
		SETUP(unnamed_event_gets_default_name),
		SETUP(disabled_trace_emits_nothing),
		cmocka_unit_test(print_writes_tracepoint_lines),
		SETUP(printer_works_as_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
