// SPDX-License-Identifier: MIT
/*
 * gupsim-bench's untouched-memory cases: fault + long-term pin (FOLL_WRITE |
 * FOLL_LONGTERM, 512 pages a call) of anonymous memory that is never
 * written, with its cost per page against the same-run floor and the RSS
 * it leaves.
 *
 *   first_touch_4k   2 GiB of 4 KiB pages on a 4 GiB machine
 *   first_touch_thp  the same with THPs
 *   big_machine      a 64 GiB machine with 32 GiB pinned (full mode only)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gupsim/gupsim.h>
#include "bench_touch.h"

#define MB		(1UL << 20)
#define MAX_PPC		512U

static const struct bench_touch_env *env;
static int errors;

static bool selected(const char *name)
{
	return !env->only || strstr(name, env->only);
}

static void touch_error(const char *what)
{
	fprintf(stderr, "gupsim-bench: ERROR: %s\n", what);
	errors++;
}

static struct gupsim *touch_machine(unsigned long normal_mb)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = normal_mb;
	sim = gupsim_create(&cfg);
	if (!sim)
		perror("gupsim-bench: gupsim_create");
	return sim;
}

/*
 * Fault + long-term pin of never-written memory on a new machine, twice:
 * a cold pass (every struct page, page table and host page new: the
 * time and RSS a test pays) and a second pass over a new mapping of the
 * same machine, whose struct pages the host has already faulted in, as a
 * kernel's memmap is from boot (the per-page cost the target is about).
 */
struct touch_run {
	double median_ns, best_ns;	/* 2nd pass, per page, over the 512-page calls */
	double cold_ns, seconds;	/* cold pass: ns/page and seconds of the pin calls */
	double rss_mb;			/* the process's RSS after the cold pass */
	bool ok;
};

struct touch_result {
	struct touch_run pages_4k, thp, big;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Long-term pin @npages from @addr in calls of MAX_PPC pages, faulting
 * them in, and keep the pins. Each call is one sample: its ns per page go
 * to @samples. Returns the ns of all the calls, or -1 if one came back
 * short.
 */
static long long pin_untouched(unsigned long addr, unsigned long npages, double *samples)
{
	struct page *pages[MAX_PPC];
	long long spent = 0;

	for (unsigned long off = 0; off < npages; off += MAX_PPC) {
		long long t0 = bench_now_ns(), ns;
		int got = gupsim_pin_user_pages_fast(addr + off * PAGE_SIZE, MAX_PPC,
						     FOLL_WRITE | FOLL_LONGTERM, pages);

		ns = bench_now_ns() - t0;
		spent += ns;
		samples[off / MAX_PPC] = (double)ns / MAX_PPC;
		if (got != (int)MAX_PPC)
			return -1;
	}
	return spent;
}

/* Unpin what pin_untouched() pinned, found again through the page tables. */
static void unpin_range(struct mm_struct *mm, unsigned long addr, unsigned long npages)
{
	for (unsigned long i = 0; i < npages; i++) {
		struct page *page = gupsim_follow_page(mm, addr + i * PAGE_SIZE);

		if (page)
			gupsim_unpin_user_page(page);
	}
}

/* One pass: map @len, pin it all, *@rss_mb after, unpin, unmap. ns or -1. */
static long long touch_pass(struct mm_struct *mm, unsigned long len, bool thp, double *samples,
			    double *rss_mb)
{
	unsigned long map = gupsim_mmap(mm, 0, len + PMD_SIZE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	unsigned long addr = (map + PMD_SIZE - 1) & PMD_MASK;
	long long ns;

	if (GUPSIM_IS_ERR_VALUE(map))
		return -1;
	gupsim_madvise(mm, addr, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	ns = pin_untouched(addr, len >> PAGE_SHIFT, samples);
	if (rss_mb)
		*rss_mb = (double)bench_rss_bytes() / (double)MB;
	unpin_range(mm, addr, len >> PAGE_SHIFT);
	gupsim_munmap(mm, map, len + PMD_SIZE);
	return ns;
}

/* @gib GiB (THPs when @thp) on a new machine of @machine_mb; @warm: a 2nd pass too. */
static void touch_run(unsigned long machine_mb, unsigned long gib, bool thp, bool warm,
		      struct touch_run *run)
{
	struct gupsim *sim = touch_machine(machine_mb);
	struct mm_struct *mm = sim ? gupsim_mm_create(sim) : NULL;
	unsigned long len = gib << 30, calls = (len >> PAGE_SHIFT) / MAX_PPC;
	double *samples = calloc(calls, sizeof(*samples));
	long long cold = -1, ns = 0;

	if (mm && samples) {
		gupsim_kthread_use_mm(mm);
		cold = touch_pass(mm, len, thp, samples, &run->rss_mb);
		if (cold > 0 && warm)
			ns = touch_pass(mm, len, thp, samples, NULL);
		gupsim_kthread_unuse_mm(mm);
	}
	run->ok = cold > 0 && ns >= 0;
	if (run->ok) {
		qsort(samples, calls, sizeof(*samples), cmp_double);
		run->median_ns = samples[calls / 2];
		run->best_ns = samples[0];
		run->seconds = (double)cold / 1e9;
		run->cold_ns = (double)cold / (double)(len >> PAGE_SHIFT);
	} else {
		touch_error("first_touch/big_machine: could not pin never-written memory");
	}
	free(samples);
	if (mm)
		gupsim_mm_put(mm);
	gupsim_destroy(sim);
}

static void emit_touch(const char *name, const struct touch_run *run, bool warm,
		       const char *what)
{
	char note[128];
	struct bench_row row = { name, 1, MAX_PPC, !run->ok ? -1 : warm ? run->median_ns :
				 run->cold_ns, warm ? run->best_ns : run->cold_ns, env->floor_ns,
				 note };

	snprintf(note, sizeof(note), "%s; cold %.0f ns/page, %.2f s, RSS %.0f MiB", what,
		 run->cold_ns, run->seconds, run->rss_mb);
	bench_table_row(stdout, &row);
	fflush(stdout);
	if (env->csv)
		bench_csv_row(env->csv, &row);
}

static struct touch_result result;

int bench_touch_run(const struct bench_touch_env *e)
{
	env = e;
	if (selected("first_touch_4k")) {
		touch_run(4096, 2, false, true, &result.pages_4k);
		emit_touch("first_touch_4k", &result.pages_4k, true, "2 GiB never written");
	}
	if (selected("first_touch_thp")) {
		touch_run(4096, 2, true, true, &result.thp);
		emit_touch("first_touch_thp", &result.thp, true, "2 GiB of THPs never written");
	}
	if (!selected("big_machine"))
		return errors;
	if (env->quick) {
		struct bench_row row = { "big_machine", 1, MAX_PPC, -1, bench_last_best(),
					 env->floor_ns, "full mode only (32 GiB pinned)" };

		bench_table_row(stdout, &row);
		fflush(stdout);
		return errors;
	}
	touch_run(64 * 1024, 32, false, false, &result.big);
	emit_touch("big_machine", &result.big, false, "64 GiB machine, 32 GiB pinned");
	return errors;
}

void bench_touch_targets(void)
{
	const struct touch_run *p = &result.pages_4k, *h = &result.thp, *b = &result.big;
	double fl = env ? env->floor_ns : 1;

	if (p->ok) {
		bench_target(p->median_ns / fl <= 30.0, "first_touch_4k: fault + long-term pin "
			     "of never-written memory %.1f ns/page = %.1fx floor (target <= 30x); "
			     "best sample %.1f ns; cold pass %.0f ns/page", p->median_ns,
			     p->median_ns / fl, p->best_ns, p->cold_ns);
		bench_target(p->rss_mb <= 256.0, "first_touch_4k: RSS %.0f MiB with 2 GiB faulted "
			     "and pinned, never written (target <= 256 MiB)", p->rss_mb);
	}
	if (h->ok)
		bench_target(h->median_ns / fl <= 30.0, "first_touch_thp: the same with THPs "
			     "%.2f ns/page = %.2fx floor (target <= 30x); cold pass %.1f "
			     "ns/page, RSS %.0f MiB", h->median_ns, h->median_ns / fl, h->cold_ns,
			     h->rss_mb);
	if (b->ok)
		bench_target(b->rss_mb <= 1024.0, "big_machine: 64 GiB machine, 32 GiB faulted "
			     "and long-term pinned in %.1f s, RSS %.0f MiB (target: runs, RSS "
			     "<= 1 GiB)", b->seconds, b->rss_mb);
}
