/* SPDX-License-Identifier: MIT */
/*
 * gupsim-bench's untouched-memory cases (bench_touch.c): first_touch_4k,
 * first_touch_thp and big_machine, fault + long-term pin of anonymous
 * memory that is never written.
 */
#ifndef GUPSIM_BENCH_TOUCH_H
#define GUPSIM_BENCH_TOUCH_H

#include <stdbool.h>
#include <stdio.h>

#include "bench_util.h"

struct bench_touch_env {
	bool quick;			/* no big_machine */
	const char *only;		/* --only: NULL or a substring of the case names */
	FILE *csv;			/* NULL or the CSV being written */
	double floor_ns;		/* the floor (ns/page) the rows are compared with */
};

/*
 * Measure first_touch_4k, first_touch_thp and big_machine (the selected
 * ones) and print a row for each. Returns the number of errors (a pin
 * that came back short, a machine that could not be made).
 */
int bench_touch_run(const struct bench_touch_env *env);
/* Their PASS/MISS lines: <= 30x the floor per page, RSS <= 256 MiB. */
void bench_touch_targets(void);

#endif /* GUPSIM_BENCH_TOUCH_H */
