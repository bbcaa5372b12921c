/* SPDX-License-Identifier: MIT */
/*
 * The part of kselftest.h that gup_test uses, reimplemented: the same
 * bytes on stdout and the same exit codes (KSFT_PASS 0, KSFT_FAIL 1,
 * KSFT_SKIP 4). ksft_print_msg() prefixes every call with "# ", which is
 * where the selftest's "us# \n" quirk comes from (semantics.md §9.2).
 * Counters are shared by the test threads, so they are updated under a lock.
 */
#ifndef GUPSIM_BENCH_KSFT_H
#define GUPSIM_BENCH_KSFT_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

struct ksft_count {
	unsigned int ksft_pass, ksft_fail, ksft_xfail, ksft_xpass, ksft_xskip, ksft_error;
};

static struct ksft_count ksft_cnt;
static unsigned int ksft_plan;
static pthread_mutex_t ksft_lock = PTHREAD_MUTEX_INITIALIZER;

static inline unsigned int ksft_test_num(void)
{
	return ksft_cnt.ksft_pass + ksft_cnt.ksft_fail + ksft_cnt.ksft_xfail +
	       ksft_cnt.ksft_xpass + ksft_cnt.ksft_xskip + ksft_cnt.ksft_error;
}

static inline void ksft_print_header(void)
{
	/* line buffered, as kselftest.h does, so a crash loses no line */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!getenv("KSFT_TAP_LEVEL"))
		printf("TAP version 13\n");
}

static inline void ksft_set_plan(unsigned int plan)
{
	ksft_plan = plan;
	printf("1..%u\n", ksft_plan);
}

static inline void ksft_print_cnts(void)
{
	if (ksft_plan != ksft_test_num())
		printf("# Planned tests != run tests (%u != %u)\n", ksft_plan, ksft_test_num());
	printf("# Totals: pass:%u fail:%u xfail:%u xpass:%u skip:%u error:%u\n",
	       ksft_cnt.ksft_pass, ksft_cnt.ksft_fail, ksft_cnt.ksft_xfail,
	       ksft_cnt.ksft_xpass, ksft_cnt.ksft_xskip, ksft_cnt.ksft_error);
}

static inline __attribute__((format(printf, 1, 2))) void ksft_print_msg(const char *msg, ...)
{
	int saved_errno = errno;
	va_list args;

	va_start(args, msg);
	/* one line at a time: with gup_test -j, threads print concurrently */
	pthread_mutex_lock(&ksft_lock);
	printf("# ");
	errno = saved_errno;
	vprintf(msg, args);
	pthread_mutex_unlock(&ksft_lock);
	va_end(args);
}

static inline __attribute__((format(printf, 2, 0)))
void ksft_result_v(const char *prefix, const char *msg, unsigned int *counter, va_list args)
{
	pthread_mutex_lock(&ksft_lock);
	(*counter)++;
	printf("%s %u ", prefix, ksft_test_num());
	vprintf(msg, args);
	pthread_mutex_unlock(&ksft_lock);
}

static inline __attribute__((format(printf, 1, 2))) void ksft_test_result_pass(const char *msg, ...)
{
	va_list args;

	va_start(args, msg);
	ksft_result_v("ok", msg, &ksft_cnt.ksft_pass, args);
	va_end(args);
}

static inline __attribute__((format(printf, 1, 2))) void ksft_test_result_fail(const char *msg, ...)
{
	va_list args;

	va_start(args, msg);
	ksft_result_v("not ok", msg, &ksft_cnt.ksft_fail, args);
	va_end(args);
}

#define ksft_test_result(condition, fmt, ...) do {		\
	if (!!(condition))					\
		ksft_test_result_pass(fmt, ##__VA_ARGS__);	\
	else							\
		ksft_test_result_fail(fmt, ##__VA_ARGS__);	\
} while (0)

static inline __attribute__((noreturn)) void ksft_exit_pass(void)
{
	ksft_print_cnts();
	exit(KSFT_PASS);
}

static inline __attribute__((noreturn, format(printf, 1, 2)))
void ksft_exit_fail_msg(const char *msg, ...)
{
	int saved_errno = errno;
	va_list args;

	va_start(args, msg);
	printf("Bail out! ");
	errno = saved_errno;
	vprintf(msg, args);
	va_end(args);
	ksft_print_cnts();
	exit(KSFT_FAIL);
}

static inline __attribute__((noreturn, format(printf, 1, 2)))
void ksft_exit_skip(const char *msg, ...)
{
	int saved_errno = errno;
	va_list args;

	va_start(args, msg);
	/*
	 * After a plan or a result: a skipped test line, numbered as
	 * kselftest.h does (after counting itself, so one too high);
	 * before: an empty plan.
	 */
	if (ksft_plan || ksft_test_num()) {
		ksft_cnt.ksft_xskip++;
		printf("ok %u # SKIP ", 1 + ksft_test_num());
	} else {
		printf("1..0 # SKIP ");
	}
	errno = saved_errno;
	vprintf(msg, args);
	va_end(args);
	if (ksft_test_num())
		ksft_print_cnts();
	exit(KSFT_SKIP);
}

#endif /* GUPSIM_BENCH_KSFT_H */
