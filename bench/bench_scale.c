// SPDX-License-Identifier: MIT
/*
 * gupsim-bench's VMA sweeps: a process with N VMAs, N = 10 ... 65,530
 * (vm.max_map_count's default), built by one-page anonymous mmap() calls
 * with alternating protections so that nothing merges, placed top-down by
 * get_unmapped_area() as a real process's are.
 *
 *   scale_vmas  one-page pin_user_pages() (+ unpin) at the last VMA, the
 *               highest one: the one a list walk from the bottom finds last
 *   scale_mmap  ns per VMA to build the N VMAs
 *   scale_fork  ns per VMA of gupsim_fork() of the process
 *   scale_exit  ns per VMA of tearing down a process (info, no target)
 *
 * Each row is named "<case>@<N>"; its "x floor" column is the ratio to the
 * same case at N = 100, measured in the same run. Targets: N = 65,530 at
 * most 3x N = 100 (the kernel's maple tree gives O(log n) lookups and
 * linear fork). Medians of a few repetitions, in thread CPU time except
 * for the pin (see cpu_now_ns()); no timing is asserted.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <gupsim/gupsim.h>
#include "bench_scale.h"

static const unsigned long scale_n[] = { 10, 100, 1000, 10000, 30000, 65530 };
#define NR_N		(sizeof(scale_n) / sizeof(scale_n[0]))
#define REF_INDEX	1		/* N = 100 */
#define MAX_REPS	7

enum scale_case { SC_VMAS, SC_MMAP, SC_FORK, SC_EXIT, NR_CASES };

static const char *const case_name[NR_CASES] = {
	"scale_vmas", "scale_mmap", "scale_fork", "scale_exit",
};
static const char *const case_note[NR_CASES] = {
	"1-page pin_user_pages at the last VMA; x N=100",
	"mmap per VMA while building N; x N=100",
	"fork per VMA; x N=100",
	"teardown per VMA (info); x N=100",
};

/* ns per operation (per VMA for mmap, fork, exit), < 0 when not measured */
static double result[NR_CASES][NR_N];
static const struct bench_scale_env *env;
static int errors;

static void scale_error(const char *what, unsigned long n)
{
	fprintf(stderr, "gupsim-bench: ERROR: %s at N = %lu\n", what, n);
	errors++;
}

static bool case_selected(enum scale_case c)
{
	return !env->only || strstr(case_name[c], env->only);
}

/*
 * The builds, forks and teardowns of large N last tens of milliseconds: on
 * a loaded machine they are preempted far more often than the short ones
 * of small N, which would bias wall time against large N. They are timed
 * in CPU time of the thread instead (the pin, in short samples, in wall
 * time like every other case).
 */
static long long cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double median(double *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : -1;
}

/*
 * A process with @n one-page VMAs; the first (and so highest) is writable
 * and faulted in. Returns the mm, its highest page in *last and the ns per
 * mmap in *ns_per_vma, or NULL.
 */
static struct mm_struct *build_vmas(struct gupsim *sim, unsigned long n, unsigned long *last,
				    double *ns_per_vma)
{
	struct mm_struct *mm = gupsim_mm_create(sim);
	long long t0;

	if (!mm)
		return NULL;
	t0 = cpu_now_ns();
	for (unsigned long i = 0; i < n; i++) {
		int prot = (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE;
		unsigned long addr = gupsim_mmap(mm, 0, PAGE_SIZE, prot,
						 MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);

		if (GUPSIM_IS_ERR_VALUE(addr)) {
			scale_error("mmap failed", n);
			gupsim_mm_put(mm);
			return NULL;
		}
		if (!i)
			*last = addr;
	}
	*ns_per_vma = (double)(cpu_now_ns() - t0) / (double)n;
	return mm;
}

/* Pin and unpin the last VMA's page, @reps times. */
struct pin_last {
	struct mm_struct *mm;
	unsigned long addr;
	bool failed;
};

static long long body_pin_last(void *arg, unsigned long reps)
{
	struct pin_last *p = arg;
	long long t0 = bench_now_ns();
	struct page *page;

	for (unsigned long r = 0; r < reps; r++) {
		long got;

		gupsim_mmap_read_lock(p->mm);
		got = gupsim_pin_user_pages(p->addr, 1, 0, &page);
		gupsim_mmap_read_unlock(p->mm);
		if (got != 1) {
			p->failed = true;
			break;
		}
		gupsim_unpin_user_pages(&page, 1);
	}
	return bench_now_ns() - t0;
}

static void measure_pin(struct mm_struct *mm, unsigned long addr, unsigned int i)
{
	struct bench_opts o = env->quick ?
		(struct bench_opts){ .samples = 31, .sample_ns = 300000, .warmup = 2 } :
		(struct bench_opts){ .samples = 101, .sample_ns = 1000000, .warmup = 5 };
	struct pin_last p = { .mm = mm, .addr = addr };
	static const char one = 1;

	gupsim_kthread_use_mm(mm);
	if (gupsim_write(mm, addr, &one, 1) != 1) {
		scale_error("write to the last VMA failed", scale_n[i]);
	} else {
		result[SC_VMAS][i] = bench_measure(&o, body_pin_last, &p, 1);
		if (p.failed) {
			result[SC_VMAS][i] = -1;
			scale_error("pin_user_pages at the last VMA failed", scale_n[i]);
		}
	}
	gupsim_kthread_unuse_mm(mm);
}

/* One N: builds (mmap, exit), the pin, forks. */
static void measure_n(unsigned int i, unsigned int reps)
{
	double mmap_ns[MAX_REPS], fork_ns[MAX_REPS], exit_ns[MAX_REPS];
	unsigned long n = scale_n[i], last = 0;
	unsigned int nb = 0, nf = 0;
	struct gupsim_config cfg;
	struct mm_struct *mm = NULL;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	sim = gupsim_create(&cfg);
	if (!sim) {
		scale_error("gupsim_create failed", n);
		return;
	}
	for (unsigned int r = 0; r < reps; r++) {
		long long t0;

		mm = build_vmas(sim, n, &last, &mmap_ns[nb]);
		if (!mm)
			break;
		nb++;
		if (r == reps - 1)
			break;		/* the last one stays for the pin and the forks */
		t0 = cpu_now_ns();
		gupsim_mm_put(mm);
		exit_ns[r] = (double)(cpu_now_ns() - t0) / (double)n;
		mm = NULL;
	}
	result[SC_MMAP][i] = median(mmap_ns, nb);
	result[SC_EXIT][i] = median(exit_ns, nb ? nb - 1 : 0);
	if (!mm)
		goto out;
	if (case_selected(SC_VMAS))
		measure_pin(mm, last, i);
	for (unsigned int r = 0; r < reps && case_selected(SC_FORK); r++) {
		long long t0 = cpu_now_ns();
		struct mm_struct *child = gupsim_fork(mm);

		if (GUPSIM_IS_ERR_VALUE((unsigned long)child)) {
			scale_error("fork failed", n);
			break;
		}
		fork_ns[nf++] = (double)(cpu_now_ns() - t0) / (double)n;
		gupsim_mm_put(child);
	}
	result[SC_FORK][i] = median(fork_ns, nf);
	gupsim_mm_put(mm);
out:
	gupsim_destroy(sim);
}

static void emit_case(enum scale_case c)
{
	double ref = result[c][REF_INDEX];
	char name[32];

	for (unsigned int i = 0; i < NR_N; i++) {
		struct bench_row row = {
			name, 1, 1, result[c][i], result[c][i], ref > 0 ? ref : 1, case_note[c],
		};

		snprintf(name, sizeof(name), "%s@%lu", case_name[c], scale_n[i]);
		if (ref <= 0 && row.ns_per_page > 0)
			row.ns_per_page = -1;
		bench_table_row(stdout, &row);
		if (env->csv)
			bench_csv_row(env->csv, &row);
	}
	fflush(stdout);
}

int bench_scale_run(const struct bench_scale_env *e)
{
	unsigned int reps;
	bool any = false;

	env = e;
	reps = env->quick ? 3 : MAX_REPS;
	for (unsigned int c = 0; c < NR_CASES; c++) {
		for (unsigned int i = 0; i < NR_N; i++)
			result[c][i] = -1;
		any |= case_selected(c);
	}
	if (!any)
		return 0;
	for (unsigned int i = 0; i < NR_N; i++)
		measure_n(i, reps);
	for (unsigned int c = 0; c < NR_CASES; c++)
		if (case_selected(c))
			emit_case(c);
	return errors;
}

void bench_scale_targets(void)
{
	for (unsigned int c = 0; c < SC_EXIT; c++) {
		double ref = result[c][REF_INDEX], top = result[c][NR_N - 1];
		double x = top / ref;

		if (ref <= 0 || top <= 0)
			continue;
		printf("%s %s: %.1f ns at N = %lu, %.1f ns at N = %lu: %.2fx "
		       "(target <= 3x)\n", x <= 3.0 ? "PASS" : "MISS", case_name[c], top,
		       scale_n[NR_N - 1], ref, scale_n[REF_INDEX], x);
	}
	if (result[SC_EXIT][REF_INDEX] > 0 && result[SC_EXIT][NR_N - 1] > 0)
		printf("info scale_exit: teardown per VMA %.2fx from N = 100 to N = %lu\n",
		       result[SC_EXIT][NR_N - 1] / result[SC_EXIT][REF_INDEX], scale_n[NR_N - 1]);
}
