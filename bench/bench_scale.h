/* SPDX-License-Identifier: MIT */
/*
 * gupsim-bench's VMA sweeps (bench_scale.c): how the cost of a lookup, an
 * mmap, a fork and a teardown grows with the number of VMAs of a process,
 * N = 10 ... 65,530 (vm.max_map_count).
 */
#ifndef GUPSIM_BENCH_SCALE_H
#define GUPSIM_BENCH_SCALE_H

#include <stdbool.h>
#include <stdio.h>

#include "bench_util.h"

struct bench_scale_env {
	bool quick;			/* fewer repetitions */
	const char *only;		/* --only: NULL or a substring of the case names */
	FILE *csv;			/* NULL or the CSV being written */
};

/*
 * Measure scale_vmas, scale_mmap, scale_fork (and scale_exit, for
 * information) at every N and print a row per case and N, named
 * "<case>@<N>", its ratio column relative to N = 100. Returns the number
 * of errors (a call that failed).
 */
int bench_scale_run(const struct bench_scale_env *env);
/* The PASS/MISS lines of the sweeps: N = 65,530 at most 3x N = 100. */
void bench_scale_targets(void);

#endif /* GUPSIM_BENCH_SCALE_H */
