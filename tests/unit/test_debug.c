// SPDX-License-Identifier: MIT
/* WARN reports, the log stream, strict mode and bad_page. */
#include "helpers.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "internal.h"

static int tid(void)
{
	return (int)syscall(SYS_gettid);
}

/* ------------------------------------------------------------------ */
/* A log stream captured in memory */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void capture_start(struct gupsim *sim, struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	gupsim_set_log(sim, c->f);
}

/* Stop capturing (log back to stderr); the text stays in c->buf. */
static const char *capture_stop(struct gupsim *sim, struct capture *c)
{
	gupsim_set_log(sim, NULL);
	fclose(c->f);
	c->f = NULL;
	return c->buf;
}

static void capture_free(struct capture *c)
{
	free(c->buf);
	c->buf = NULL;
}

/* ------------------------------------------------------------------ */
/* WARN */

static void warn_reaches_handler_with_kernel_text(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	char want[256];

	gupsim_warn(sim, "/src/gupsim/lib/gup.c", 1234, "gup_put_folio",
		    "pages[%lu] is NOT dma-pinned\n", 7UL);
	snprintf(want, sizeof(want),
		 "WARNING: CPU: 0 PID: %d at mm/gup.c:1234 gup_put_folio\n"
		 "pages[7] is NOT dma-pinned\n", tid());
	assert_int_equal(w->count, 1);
	assert_string_equal(w->last, want);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WARNINGS), 1);
}

static void warn_without_message_is_one_line(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	char want[256];
	int line;

	line = __LINE__; WARN_ON_ONCE(sim, 1 + 1 == 2);
	snprintf(want, sizeof(want), "WARNING: CPU: 0 PID: %d at mm/test_debug.c:%d %s\n",
		 tid(), line, __func__);
	assert_int_equal(w->count, 1);
	assert_string_equal(w->last, want);
}

/* WARN_ON_ONCE reports every occurrence; a false condition reports nothing. */
static void every_warn_is_counted(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	int i, hits = 0;

	for (i = 0; i < 5; i++)
		if (WARN_ON_ONCE(sim, i % 2 == 0))
			hits++;
	assert_int_equal(hits, 3);
	assert_false(WARN(sim, false, "never %d\n", 1));
	assert_true(WARN(sim, true, "value %d out of range\n", 42));
	assert_int_equal(w->count, 4);
	assert_non_null(strstr(w->last, "\nvalue 42 out of range\n"));
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WARNINGS), 4);
}

static void default_handler_prints_to_log(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct capture c;
	char want[256];

	gupsim_set_warn_handler(sim, NULL, NULL);
	capture_start(sim, &c);
	gupsim_warn(sim, "lib/mmap.c", 10, "f", "first\n");
	gupsim_warn(sim, "lib/mmap.c", 11, "g", "no newline");
	capture_stop(sim, &c);
	snprintf(want, sizeof(want),
		 "WARNING: CPU: 0 PID: %d at mm/mmap.c:10 f\nfirst\n"
		 "WARNING: CPU: 0 PID: %d at mm/mmap.c:11 g\nno newline\n", tid(), tid());
	assert_string_equal(c.buf, want);
	assert_int_equal(w->count, 0);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WARNINGS), 2);
	capture_free(&c);
}

static void set_log_null_means_stderr(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct capture c;

	capture_start(sim, &c);
	assert_ptr_equal(sim->log, c.f);
	capture_stop(sim, &c);
	assert_ptr_equal(sim->log, stderr);
	capture_free(&c);
	/* NULL machines are ignored, not dereferenced */
	gupsim_set_log(NULL, stdout);
	gupsim_set_warn_handler(NULL, warn_log_fn, NULL);
}

static void log_writes_formatted_text(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct capture c;

	capture_start(sim, &c);
	gupsim_log(sim, "a=%d b=%s\n", 1, "two");
	capture_stop(sim, &c);
	assert_string_equal(c.buf, "a=1 b=two\n");
	capture_free(&c);
}

/* A warning from a handler must not deadlock: the handler runs unlocked. */
static void reentrant_handler(void *arg, const char *msg)
{
	struct sim_fixture *f = arg;

	(void)msg;
	if (f->warns.count++ == 0)
		gupsim_warn(f->sim, "lib/x.c", 1, "inner", NULL);
}

static void handler_may_warn_again(void **state)
{
	struct sim_fixture *f = *state;

	gupsim_set_warn_handler(f->sim, reentrant_handler, f);
	gupsim_warn(f->sim, "lib/x.c", 2, "outer", NULL);
	assert_int_equal(f->warns.count, 2);
	assert_int_equal(gupsim_vmstat(f->sim, GUPSIM_NR_WARNINGS), 2);
}

/* ------------------------------------------------------------------ */
/* strict mode: fork a child that must die of SIGABRT after reporting */

static void pipe_handler(void *arg, const char *msg)
{
	int fd = *(int *)arg;
	size_t len = strlen(msg);

	if (write(fd, msg, len) != (ssize_t)len)
		_exit(3);
}

typedef void (*strict_body)(struct gupsim *sim);

/* Run @body in a strict machine in a child; return what the handler saw. */
static char *run_strict_child(strict_body body, int *status)
{
	static char seen[4096];
	int fds[2];
	ssize_t n, total = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		struct gupsim_config cfg;
		struct gupsim *sim;

		setrlimit(RLIMIT_CORE, &no_core);
		close(fds[0]);
		gupsim_config_init(&cfg);
		cfg.normal_mb = 16;
		cfg.strict = true;
		sim = gupsim_create(&cfg);
		if (!sim)
			_exit(2);
		gupsim_set_warn_handler(sim, pipe_handler, &fds[1]);
		body(sim);
		_exit(0);	/* strict mode failed to abort */
	}
	close(fds[1]);
	while ((n = read(fds[0], seen + total, sizeof(seen) - 1 - (size_t)total)) > 0)
		total += n;
	seen[total] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return seen;
}

static void strict_warn_body(struct gupsim *sim)
{
	(void)WARN(sim, true, "strict %s\n", "mode");
}

static void strict_mode_aborts_after_warn(void **state)
{
	int status;
	char *seen;

	(void)state;
	seen = run_strict_child(strict_warn_body, &status);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_true(strncmp(seen, "WARNING: CPU: 0 PID: ", 21) == 0);
	assert_non_null(strstr(seen, " strict_warn_body\nstrict mode\n"));
}

static void no_warn_body(struct gupsim *sim)
{
	(void)WARN(sim, false, "not taken\n");
}

static void strict_mode_without_warn_exits_normally(void **state)
{
	int status;
	char *seen;

	(void)state;
	seen = run_strict_child(no_warn_body, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(seen, "");
}

/* ------------------------------------------------------------------ */
/* bad_page */

static void bad_page_reports_through_handler(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct folio *folio = gupsim_folio_alloc(sim, 0, 0);
	char comm[16] = "", want[256];

	assert_non_null(folio);
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	bad_page(&folio->page, "nonzero mapcount");
	assert_int_equal(w->count, 1);
	snprintf(want, sizeof(want), "BUG: Bad page state in process %s  pfn:%05lx\n"
		 "page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x%lx\n",
		 comm, page_to_pfn(&folio->page), page_to_pfn(&folio->page));
	assert_memory_equal(w->last, want, strlen(want));
	assert_non_null(strstr(w->last, "\npage dumped because: nonzero mapcount\n"));
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_BAD_PAGES), 1);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_WARNINGS), 0);
	gupsim_folio_put(folio);
}

/* The real path: freeing a large folio that is still pinned. */
static void free_of_pinned_folio_is_bad_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct folio *folio = gupsim_folio_alloc(sim, 2, 0);
	char want[96];

	assert_non_null(folio);
	atomic_set(&folio->_pincount, 1);		/* a stray pin */
	gupsim_folio_put(folio);
	assert_int_equal(w->count, 1);
	assert_true(strncmp(w->last, "BUG: Bad page state in process ", 31) == 0);
	assert_non_null(strstr(w->last, "\nhead: order:2 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:1\n"));
	assert_non_null(strstr(w->last, "\npage dumped because: nonzero pincount\n"));
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_BAD_PAGES), 1);
	/* the kernel reports page[1], where _pincount lives */
	snprintf(want, sizeof(want), "  pfn:%05lx\npage: refcount:0 mapcount:0 ",
		 gupsim_page_to_pfn(&folio->page) + 1);
	assert_non_null(strstr(w->last, want));
	snprintf(want, sizeof(want), " pfn:0x%lx\n", gupsim_page_to_pfn(&folio->page) + 1);
	assert_non_null(strstr(w->last, want));
}

/* A tail page still mapped is reported before the head (tails first). */
static void free_of_mapped_tail_reports_the_tail(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct warn_log *w = fixture_warns(state);
	struct folio *folio = gupsim_folio_alloc(sim, 2, 0);
	char want[64];

	assert_non_null(folio);
	atomic_set(&folio->page._mapcount, 0);		/* stray mappings */
	atomic_set(&folio_page(folio, 3)->_mapcount, 0);
	gupsim_folio_put(folio);
	assert_int_equal(w->count, 1);
	snprintf(want, sizeof(want), "  pfn:%05lx\n", gupsim_page_to_pfn(&folio->page) + 3);
	assert_non_null(strstr(w->last, want));
	assert_non_null(strstr(w->last, "\npage dumped because: nonzero mapcount\n"));
}

static void strict_bad_page_body(struct gupsim *sim)
{
	struct folio *folio = gupsim_folio_alloc(sim, 0, 0);

	if (folio)
		bad_page(&folio->page, "strict bad page");
}

static void strict_mode_aborts_after_bad_page(void **state)
{
	int status;
	char *seen;

	(void)state;
	seen = run_strict_child(strict_bad_page_body, &status);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_true(strncmp(seen, "BUG: Bad page state in process ", 31) == 0);
	assert_non_null(strstr(seen, "\npage dumped because: strict bad page\n"));
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, sim_setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SETUP(warn_reaches_handler_with_kernel_text),
		SETUP(warn_without_message_is_one_line),
		SETUP(every_warn_is_counted),
		SETUP(default_handler_prints_to_log),
		SETUP(set_log_null_means_stderr),
		SETUP(log_writes_formatted_text),
		SETUP(handler_may_warn_again),
		cmocka_unit_test(strict_mode_aborts_after_warn),
		cmocka_unit_test(strict_mode_without_warn_exits_normally),
		SETUP(bad_page_reports_through_handler),
		SETUP(free_of_pinned_folio_is_bad_page),
		SETUP(free_of_mapped_tail_reports_the_tail),
		cmocka_unit_test(strict_mode_aborts_after_bad_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
