// SPDX-License-Identifier: MIT
/* gupsim-bench's measuring kit (see bench_util.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
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
	return median(v, n);
}

/* ---- threads released together ---- */

struct thread_run {
	pthread_barrier_t start;
	bench_thread_fn fn;
	void *arg;
	unsigned long reps;
	long long t_start;		/* set by the main thread at release */
};

struct thread_slot {
	struct thread_run *run;
	unsigned int index;
	long long t_end;
};

static void *thread_main(void *p)
{
	struct thread_slot *slot = p;

	pthread_barrier_wait(&slot->run->start);
	slot->run->fn(slot->run->arg, slot->index, slot->run->reps);
	slot->t_end = bench_now_ns();
	return NULL;
}

long long bench_run_threads(unsigned int nthreads, bench_thread_fn fn, void *arg,
			    unsigned long reps)
{
	struct thread_run run = { .fn = fn, .arg = arg, .reps = reps };
	struct thread_slot slots[16];
	pthread_t tid[16];
	long long t_end = 0;

	if (nthreads > 16)
		nthreads = 16;
	pthread_barrier_init(&run.start, NULL, nthreads + 1);
	for (unsigned int i = 0; i < nthreads; i++) {
		slots[i] = (struct thread_slot){ .run = &run, .index = i };
		if (pthread_create(&tid[i], NULL, thread_main, &slots[i])) {
			perror("gupsim-bench: pthread_create");
			exit(1);
		}
	}
	run.t_start = bench_now_ns();
	pthread_barrier_wait(&run.start);
	for (unsigned int i = 0; i < nthreads; i++) {
		pthread_join(tid[i], NULL);
		if (slots[i].t_end > t_end)
			t_end = slots[i].t_end;
	}
	pthread_barrier_destroy(&run.start);
	return t_end - run.t_start;
}

/* ---- output ---- */

void bench_table_header(FILE *out)
{
	fprintf(out, "%-26s %7s %6s %12s %9s  %s\n", "case", "threads", "pages", "ns/page",
		"x floor", "note");
	fprintf(out, "%-26s %7s %6s %12s %9s  %s\n", "--------------------------", "-------",
		"------", "------------", "---------", "----");
}

void bench_table_row(FILE *out, const struct bench_row *row)
{
	if (row->ns_per_page < 0) {
		fprintf(out, "%-26s %7u %6u %12s %9s  %s\n", row->name, row->threads,
			row->pages_per_call, "n/a", "", row->note ? row->note : "");
		return;
	}
	fprintf(out, "%-26s %7u %6u %12.2f %9.2f  %s\n", row->name, row->threads,
		row->pages_per_call, row->ns_per_page, row->ns_per_page / row->floor_ns,
		row->note ? row->note : "");
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
