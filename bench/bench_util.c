// SPDX-License-Identifier: MIT
/* gupsim-bench's measuring kit (see bench_util.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

long long bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double last_best;

double bench_last_best(void)
{
	return last_best;
}

double bench_measure(const struct bench_opts *opts, bench_body_fn body, void *arg,
		     double units_per_rep)
{
	double v[512];
	unsigned int n = opts->samples < 512 ? opts->samples : 512;
	unsigned long reps = 1;
	long long t0, wall;

	if (opts->warmup)
		body(arg, opts->warmup);
	/* calibrate on wall time (set-up included), doubling up to the target */
	for (;;) {
		t0 = bench_now_ns();
		body(arg, reps);
		wall = bench_now_ns() - t0;
		if (wall >= opts->sample_ns / 4 || reps >= (1UL << 30))
			break;
		reps *= 2;
	}
	if (wall > 0 && wall < opts->sample_ns)
		reps = (unsigned long)((double)reps * (double)opts->sample_ns / (double)wall);
	if (!reps)
		reps = 1;
	for (unsigned int s = 0; s < n; s++)
		v[s] = (double)body(arg, reps) / ((double)reps * units_per_rep);
	qsort(v, n, sizeof(*v), cmp_double);
	last_best = v[0];
	return median(v, n);
}

/* ---- a pool of threads released together ---- */

#define POOL_MAX	16

struct bench_pool {
	pthread_barrier_t start, done;
	bench_thread_fn fn;
	void *arg;
	unsigned int nthreads;
	unsigned long reps;		/* 0: leave */
	pthread_t tid[POOL_MAX];
	struct pool_slot {
		struct bench_pool *pool;
		unsigned int index;
		long long t_end;
	} slot[POOL_MAX];
};

static void *pool_main(void *p)
{
	struct pool_slot *slot = p;
	struct bench_pool *pool = slot->pool;

	for (;;) {
		pthread_barrier_wait(&pool->start);
		if (!pool->reps)
			return NULL;
		pool->fn(pool->arg, slot->index, pool->reps);
		slot->t_end = bench_now_ns();
		pthread_barrier_wait(&pool->done);
	}
}

struct bench_pool *bench_pool_start(unsigned int nthreads, bench_thread_fn fn, void *arg)
{
	struct bench_pool *pool = calloc(1, sizeof(*pool));

	if (!pool) {
		perror("gupsim-bench");
		exit(1);
	}
	pool->nthreads = nthreads < POOL_MAX ? nthreads : POOL_MAX;
	pool->fn = fn;
	pool->arg = arg;
	pthread_barrier_init(&pool->start, NULL, pool->nthreads + 1);
	pthread_barrier_init(&pool->done, NULL, pool->nthreads + 1);
	for (unsigned int i = 0; i < pool->nthreads; i++) {
		pool->slot[i] = (struct pool_slot){ .pool = pool, .index = i };
		if (pthread_create(&pool->tid[i], NULL, pool_main, &pool->slot[i])) {
			perror("gupsim-bench: pthread_create");
			exit(1);
		}
	}
	return pool;
}

long long bench_pool_run(struct bench_pool *pool, unsigned long reps)
{
	long long t_start, t_end = 0;

	pool->reps = reps ? reps : 1;
	t_start = bench_now_ns();
	pthread_barrier_wait(&pool->start);
	pthread_barrier_wait(&pool->done);
	for (unsigned int i = 0; i < pool->nthreads; i++)
		if (pool->slot[i].t_end > t_end)
			t_end = pool->slot[i].t_end;
	return t_end - t_start;
}

void bench_pool_stop(struct bench_pool *pool)
{
	pool->reps = 0;
	pthread_barrier_wait(&pool->start);
	for (unsigned int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->tid[i], NULL);
	pthread_barrier_destroy(&pool->start);
	pthread_barrier_destroy(&pool->done);
	free(pool);
}

/* ---- output ---- */

void bench_table_header(FILE *out)
{
	fprintf(out, "%-22s %7s %5s %9s %9s %8s  %s\n", "case", "threads", "pages",
		"ns/page", "best", "x floor", "note");
	fprintf(out, "%-22s %7s %5s %9s %9s %8s  %s\n", "----------------------", "-------",
		"-----", "---------", "---------", "--------", "----");
}

void bench_table_row(FILE *out, const struct bench_row *row)
{
	if (row->ns_per_page < 0) {
		fprintf(out, "%-22s %7u %5u %9s %9s %8s  %s\n", row->name, row->threads,
			row->pages_per_call, "n/a", "", "", row->note ? row->note : "");
		return;
	}
	fprintf(out, "%-22s %7u %5u %9.2f %9.2f %8.2f  %s\n", row->name, row->threads,
		row->pages_per_call, row->ns_per_page, row->best_ns,
		row->ns_per_page / row->floor_ns, row->note ? row->note : "");
}

void bench_csv_header(FILE *out)
{
	fprintf(out, "case,threads,pages_per_call,ns_per_page,ratio_to_floor\n");
}

void bench_csv_row(FILE *out, const struct bench_row *row)
{
	if (row->ns_per_page < 0)
		return;
	fprintf(out, "%s,%u,%u,%.3f,%.3f\n", row->name, row->threads, row->pages_per_call,
		row->ns_per_page, row->ns_per_page / row->floor_ns);
}

unsigned long bench_rss_bytes(void)
{
	unsigned long pages_total = 0, pages_rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &pages_total, &pages_rss) != 2)
		pages_rss = 0;
	fclose(f);
	return pages_rss * (unsigned long)sysconf(_SC_PAGESIZE);
}

void bench_target(bool pass, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", pass ? "PASS" : "MISS");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}
