/* SPDX-License-Identifier: MIT */
/*
 * gupsim-bench's measuring kit: CLOCK_MONOTONIC, calibrated repetitions,
 * medians of samples, worker threads released together, and the result
 * table / CSV.
 */
#ifndef GUPSIM_BENCH_UTIL_H
#define GUPSIM_BENCH_UTIL_H

#include <stdbool.h>
#include <stdio.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
long long bench_now_ns(void);

/*
 * One timed body: run @reps repetitions and return the nanoseconds that
 * count (set-up and tear-down inside a repetition may be left out).
 */
typedef long long (*bench_body_fn)(void *arg, unsigned long reps);

struct bench_opts {
	unsigned int samples;		/* samples per measurement (median taken) */
	long long sample_ns;		/* target duration of one sample */
	unsigned int warmup;		/* untimed repetitions first */
};

/*
 * The median over opts->samples samples of ns per unit, where one
 * repetition of @body does @units_per_rep units (pages). The repetitions
 * per sample are calibrated so that a sample lasts about opts->sample_ns.
 */
double bench_measure(const struct bench_opts *opts, bench_body_fn body, void *arg,
		     double units_per_rep);
/* The fastest sample of the last bench_measure() (the least disturbed one). */
double bench_last_best(void);

/*
 * A pool of worker threads that stay alive across samples (so a sample
 * measures the work, not thread start-up, new per-thread state or cold
 * caches): each bench_pool_run() releases them together through a barrier
 * to run @fn(arg, index, reps), and returns the wall time from the release
 * to the last one finishing.
 */
typedef void (*bench_thread_fn)(void *arg, unsigned int index, unsigned long reps);
struct bench_pool;
struct bench_pool *bench_pool_start(unsigned int nthreads, bench_thread_fn fn, void *arg);
long long bench_pool_run(struct bench_pool *pool, unsigned long reps);
void bench_pool_stop(struct bench_pool *pool);

/* One row of results. */
struct bench_row {
	const char *name;
	unsigned int threads;
	unsigned int pages_per_call;
	double ns_per_page;		/* median; < 0: not measured (n/a) */
	double best_ns;			/* the fastest sample */
	double floor_ns;		/* the floor it is compared with */
	const char *note;
};

void bench_table_header(FILE *out);
void bench_table_row(FILE *out, const struct bench_row *row);
/* CSV: case,threads,pages_per_call,ns_per_page,ratio_to_floor */
void bench_csv_header(FILE *out);
void bench_csv_row(FILE *out, const struct bench_row *row);

/* A target's line: "PASS " or "MISS ", then the printf-style text and a newline. */
void bench_target(bool pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resident set size of this process in bytes (/proc/self/statm). */
unsigned long bench_rss_bytes(void);

#endif /* GUPSIM_BENCH_UTIL_H */
