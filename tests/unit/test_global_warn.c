// SPDX-License-Identifier: MIT
/*
 * Reports that belong to no machine (a GUP call without current->mm,
 * kthread_use_mm(NULL)) reach the process-wide warn handler and honour the
 * process-wide strict flag.
 */
#include "helpers.h"
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void gup_without_mm_reaches_global_handler(void **state)
{
	struct warn_log w = { 0 };
	struct page *page;

	(void)state;
	gupsim_set_global_warn_handler(warn_log_fn, &w);
	assert_null(gupsim_current()->mm);
	assert_true(gupsim_get_user_pages_fast(0x10000, 1, 0, &page) < 0);
	assert_int_equal(w.count, 1);
	assert_true(strncmp(w.last, "WARNING: CPU: 0 PID: ", 21) == 0);
	assert_non_null(strstr(w.last, "GUP without an mm"));
	gupsim_set_global_warn_handler(NULL, NULL);
}

static void kthread_use_mm_null_reaches_global_handler(void **state)
{
	struct warn_log w = { 0 };

	(void)state;
	gupsim_set_global_warn_handler(warn_log_fn, &w);
	gupsim_kthread_use_mm(NULL);
	assert_int_equal(w.count, 1);
	assert_non_null(strstr(w.last, " gupsim_kthread_use_mm\n"));
	gupsim_set_global_warn_handler(NULL, NULL);
}

static void machine_reports_do_not_reach_global_handler(void **state)
{
	struct warn_log global = { 0 }, local = { 0 };
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct mm_struct *mm;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	gupsim_set_warn_handler(sim, warn_log_fn, &local);
	gupsim_set_global_warn_handler(warn_log_fn, &global);
	mm = gupsim_mm_create(sim);
	assert_non_null(mm);
	gupsim_kthread_unuse_mm(mm);		/* not in use: the machine's WARN */
	assert_int_equal(local.count, 1);
	assert_int_equal(global.count, 0);
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_check(sim), 0);
	gupsim_destroy(sim);
	gupsim_set_global_warn_handler(NULL, NULL);
}

/* Global strict mode: the child must die of SIGABRT after the handler ran. */
static void pipe_handler(void *arg, const char *msg)
{
	int fd = *(int *)arg;
	size_t len = strlen(msg);

	if (write(fd, msg, len) != (ssize_t)len)
		_exit(3);
}

static char *run_child(bool strict, int *status)
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

		setrlimit(RLIMIT_CORE, &no_core);
		close(fds[0]);
		gupsim_set_global_warn_handler(pipe_handler, &fds[1]);
		gupsim_set_global_strict(strict);
		gupsim_kthread_use_mm(NULL);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], seen + total, sizeof(seen) - 1 - (size_t)total)) > 0)
		total += n;
	seen[total] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return seen;
}

static void global_strict_aborts_after_machineless_warn(void **state)
{
	int status;
	char *seen;

	(void)state;
	seen = run_child(true, &status);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(seen, " gupsim_kthread_use_mm\n"));
}

static void without_global_strict_machineless_warn_returns(void **state)
{
	int status;
	char *seen;

	(void)state;
	seen = run_child(false, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(seen, " gupsim_kthread_use_mm\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gup_without_mm_reaches_global_handler),
		cmocka_unit_test(kthread_use_mm_null_reaches_global_handler),
		cmocka_unit_test(machine_reports_do_not_reach_global_handler),
		cmocka_unit_test(global_strict_aborts_after_machineless_warn),
		cmocka_unit_test(without_global_strict_machineless_warn_returns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
