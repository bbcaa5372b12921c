// SPDX-License-Identifier: MIT
/*
 * The warn handler and the trace callback run with no library lock held,
 * so they may call back into gupsim: reports and trace events raised under
 * munmap()'s write lock, a fault's read lock or a page-table lock wait, in
 * order, until the thread's last library lock is released, before the
 * public call returns. Strict mode still aborts. alarm() turns the hangs
 * these used to be into failures.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mm_helpers.h"

#define HANG_GUARD	30	/* seconds: a hang fails the test instead */

/* Make the next unmap of @addr's page underflow its mapcount: a WARN and a
 * dump_page report, both raised under munmap's write and table locks. */
static void corrupt_mapcount(struct mm_struct *mm, unsigned long addr)
{
	struct folio *folio = folio_at(mm, addr);

	assert_non_null(folio);
	atomic_set(&folio->page._mapcount, -1);
}

struct check_from_handler {
	struct gupsim *sim;
	int calls;
	int checked;
	unsigned int locks_held;	/* mmap locks held when the handler ran */
	char first[64];
};

static void handler_checks(void *arg, const char *msg)
{
	struct check_from_handler *h = arg;

	if (h->calls++ == 0)
		snprintf(h->first, sizeof(h->first), "%s", msg);
	h->locks_held += mmap_locks_held();
	if (!h->checked++)
		(void)gupsim_check(h->sim);	/* takes every mm's lock */
}

static void warn_handler_may_call_gupsim_check_during_munmap(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct check_from_handler h = { .sim = fixture_sim(state) };
	unsigned long a = mmap_anon(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);

	write_byte(mm, a, 1);
	write_byte(mm, a + PAGE_SIZE, 2);
	corrupt_mapcount(mm, a);
	gupsim_set_warn_handler(fixture_sim(state), handler_checks, &h);
	alarm(HANG_GUARD);
	assert_int_equal(gupsim_munmap(mm, a, PAGE_SIZE), 0);
	assert_true(h.calls >= 1);
	assert_int_equal(h.locks_held, 0);
	assert_non_null(strstr(h.first, "WARNING: CPU"));
	/* munmap's lock was not released under it: the next one completes */
	assert_int_equal(gupsim_munmap(mm, a + PAGE_SIZE, PAGE_SIZE), 0);
	assert_false(mmap_lock_held(mm));
	alarm(0);
	gupsim_set_warn_handler(fixture_sim(state), warn_log_fn, fixture_warns(state));
}

struct munmap_from_trace {
	struct mm_struct *mm;
	unsigned long victim;
	int faults;
	long munmap_ret;
	unsigned int locks_held;
};

static void trace_munmaps(void *arg, const struct gupsim_trace_record *rec)
{
	struct munmap_from_trace *t = arg;

	if (rec->event != GUPSIM_TRACE_FAULT || t->faults++)
		return;
	t->locks_held = mmap_locks_held();
	t->munmap_ret = gupsim_munmap(t->mm, t->victim, PAGE_SIZE);
}

static void trace_callback_may_munmap_on_a_fault_event(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	struct munmap_from_trace t = { .mm = mm, .victim = a + PAGE_SIZE, .munmap_ret = 1 };
	unsigned char byte = 7;

	gupsim_set_trace(fixture_sim(state), trace_munmaps, &t);
	alarm(HANG_GUARD);
	assert_int_equal(gupsim_write(mm, a, &byte, 1), 1);
	alarm(0);
	gupsim_set_trace(fixture_sim(state), NULL, NULL);
	assert_true(t.faults >= 1);
	assert_int_equal(t.locks_held, 0);
	assert_int_equal(t.munmap_ret, 0);
	assert_false(vma_at(mm, a + PAGE_SIZE, NULL, NULL, NULL));
	assert_int_equal(read_byte(mm, a), 7);
	assert_int_equal(fixture_warns(state)->count, 0);
}

/* Without a handler, the log keeps the order: the WARN, then its dump_page. */
static void deferred_reports_keep_their_order_in_the_log(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	FILE *log = tmpfile();
	char text[8192];
	size_t len;

	assert_non_null(log);
	write_byte(mm, a, 1);
	corrupt_mapcount(mm, a);
	gupsim_set_warn_handler(fixture_sim(state), NULL, NULL);
	gupsim_set_log(fixture_sim(state), log);
	assert_int_equal(gupsim_munmap(mm, a, PAGE_SIZE), 0);
	gupsim_set_log(fixture_sim(state), NULL);
	gupsim_set_warn_handler(fixture_sim(state), warn_log_fn, fixture_warns(state));
	rewind(log);
	len = fread(text, 1, sizeof(text) - 1, log);
	text[len] = '\0';
	fclose(log);
	assert_non_null(strstr(text, "mapcount underflow\n"));
	assert_non_null(strstr(text, "page dumped because: mapcount underflow"));
	assert_true(strstr(text, "WARNING: CPU") < strstr(text, "page dumped because"));
}

/* Strict mode aborts when a deferred report is delivered. */
static void strict_mode_aborts_on_a_deferred_report(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct gupsim_config cfg;
		struct gupsim *sim;
		struct mm_struct *mm;
		unsigned long a;

		gupsim_config_init(&cfg);
		cfg.normal_mb = 16;
		cfg.strict = true;
		sim = gupsim_create(&cfg);
		mm = sim ? gupsim_mm_create(sim) : NULL;
		if (!mm)
			_exit(2);
		gupsim_set_log(sim, fopen("/dev/null", "w"));
		a = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		write_byte(mm, a, 1);
		atomic_set(&folio_at(mm, a)->page._mapcount, -1);
		alarm(HANG_GUARD);
		(void)gupsim_munmap(mm, a, PAGE_SIZE);
		_exit(0);	/* not reached: strict mode aborts */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(warn_handler_may_call_gupsim_check_during_munmap),
		T(trace_callback_may_munmap_on_a_fault_event),
		T(deferred_reports_keep_their_order_in_the_log),
		cmocka_unit_test(strict_mode_aborts_on_a_deferred_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
