// SPDX-License-Identifier: MIT
/*
 * gupsim-bench: micro-benchmarks of the simulated GUP paths, each compared
 * with a floor measured in the same run: one atomic add plus one atomic sub
 * per page (what pinning and unpinning a page minimally costs: one RMW on
 * the refcount each way), on a private cache line, and on a line shared by
 * two threads for the threaded cases. Medians of repeated samples after a
 * warm-up, CLOCK_MONOTONIC.
 *
 * ns/page is wall time divided by all the pages processed (by all threads):
 * the inverse of throughput. Targets are checked and printed as PASS/MISS
 * lines; a MISS is reported, not failed (exit 0). Exit 1 only when a GUP
 * call does not do what it must (a short pin, unbalanced counters).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gupsim/gupsim.h>
#include "atomic/atomic.h"	/* the library's backend, for the floor */
#include "bench_util.h"
#include "bench_scale.h"
#include "bench_touch.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << MAP_HUGE_SHIFT)
#endif

#define MB		(1UL << 20)
#define REGION_PAGES	1024UL		/* 4 MiB per region (per thread) */
#define MAX_PPC		512U

static const unsigned int sweep_ppc[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };

static struct bench_opts opts;
static bool quick;
static const char *only;		/* --only: run the cases whose name contains it */
static unsigned int only_ppc;		/* --ppc: sweeps measure only this many pages per call */
static FILE *csv;
static int errors;

/* floors, ns/page */
static double floor_1, floor_2_private, floor_2_shared;
static double floor_1_best;
static double floor_lines_1;		/* info: one cache line per page */

/* ------------------------------------------------------------------ */
/* Reporting */

static void emit(const char *name, unsigned int threads, unsigned int ppc, double ns,
		 double floor_ns, const char *note)
{
	struct bench_row row = { name, threads, ppc, ns, bench_last_best(), floor_ns, note };

	bench_table_row(stdout, &row);
	fflush(stdout);
	if (csv)
		bench_csv_row(csv, &row);
}

static bool selected(const char *name)
{
	return !only || strstr(name, only);
}

static void error(const char *what)
{
	fprintf(stderr, "gupsim-bench: ERROR: %s\n", what);
	errors++;
}

/* ------------------------------------------------------------------ */
/* The floor: one atomic add + one atomic sub per page */

struct floor_line {
	atomic_t v;
	char pad[64 - sizeof(atomic_t)];
} __attribute__((aligned(64)));

static struct floor_line floor_lines[16];
/* one line per page, like the refcounts of REGION_PAGES struct pages */
static struct floor_line page_lines[REGION_PAGES];

static void floor_pass(atomic_t *v, unsigned long reps)
{
	for (unsigned long r = 0; r < reps; r++) {
		for (unsigned long i = 0; i < REGION_PAGES; i++) {
			atomic_add(1, v);
			atomic_sub(1, v);
		}
	}
}

static long long body_floor(void *arg, unsigned long reps)
{
	long long t0 = bench_now_ns();

	floor_pass(&floor_lines[0].v, reps);
	return bench_now_ns() - t0;
}

/* The floor's RMW pair on a different line for every page (64 KiB of lines). */
static long long body_floor_lines(void *arg, unsigned long reps)
{
	long long t0 = bench_now_ns();

	for (unsigned long r = 0; r < reps; r++) {
		for (unsigned long i = 0; i < REGION_PAGES; i++) {
			atomic_add(1, &page_lines[i].v);
			atomic_sub(1, &page_lines[i].v);
		}
	}
	return bench_now_ns() - t0;
}

static void thread_floor_private(void *arg, unsigned int index, unsigned long reps)
{
	floor_pass(&floor_lines[index + 1].v, reps);
}

static void thread_floor_shared(void *arg, unsigned int index, unsigned long reps)
{
	floor_pass(&floor_lines[0].v, reps);
}

/* A body that runs one sample on a pool of threads. */
static long long body_pool(void *arg, unsigned long reps)
{
	return bench_pool_run(arg, reps);
}

/* The median ns/page of @fn on @threads threads, @pages_per_rep per thread. */
static double measure_threads(unsigned int threads, bench_thread_fn fn, void *arg,
			      double pages_per_rep)
{
	struct bench_pool *pool = bench_pool_start(threads, fn, arg);
	double ns = bench_measure(&opts, body_pool, pool, threads * pages_per_rep);

	bench_pool_stop(pool);
	return ns;
}

static void measure_floors(void)
{
	floor_1 = bench_measure(&opts, body_floor, NULL, REGION_PAGES);
	floor_1_best = bench_last_best();
	emit("floor_private", 1, 1, floor_1, floor_1, "atomic add+sub, own line");
	floor_lines_1 = bench_measure(&opts, body_floor_lines, NULL, REGION_PAGES);
	emit("floor_line_per_page", 1, 1, floor_lines_1, floor_1,
	     "info: the same, one line per page (64 KiB)");
	floor_2_private = measure_threads(2, thread_floor_private, NULL, REGION_PAGES);
	emit("floor_private", 2, 1, floor_2_private, floor_2_private, "one line per thread");
	floor_2_shared = measure_threads(2, thread_floor_shared, NULL, REGION_PAGES);
	emit("floor_shared", 2, 1, floor_2_shared, floor_2_shared, "both threads, one line");
}

/* ------------------------------------------------------------------ */
/* Machines and regions */

static struct gupsim *machine(unsigned long normal_mb, unsigned long huge_2m,
			      unsigned long huge_1g)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = normal_mb;
	cfg.hugetlb_2m_pages = huge_2m;
	cfg.hugetlb_1g_pages = huge_1g;
	sim = gupsim_create(&cfg);
	if (!sim)
		perror("gupsim-bench: gupsim_create");
	return sim;
}

enum backing { BACK_4K, BACK_THP, BACK_HUGETLB_2M, BACK_HUGETLB_1G };

static const char *backing_name[] = { "4 KiB pages", "THP", "hugetlb 2 MiB", "hugetlb 1 GiB" };
static const unsigned int backing_order[] = { 0, 9, 9, 18 };

/*
 * Map @npages of private anonymous memory of the given backing into @mm and
 * fault every page in with a user write. Returns the address, or 0 with a
 * reason in *why when the machine cannot provide that backing.
 */
static unsigned long map_region(struct mm_struct *mm, enum backing back, unsigned long npages,
				const char **why)
{
	unsigned long len = npages * PAGE_SIZE, align = 0, addr;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	static const char one = 1;
	struct page *page;

	if (back == BACK_THP)
		align = PMD_SIZE;
	if (back == BACK_HUGETLB_2M)
		flags |= MAP_HUGETLB;
	if (back == BACK_HUGETLB_1G)
		flags |= MAP_HUGETLB | MAP_HUGE_1GB;
	addr = gupsim_mmap(mm, 0, len + align, PROT_READ | PROT_WRITE, flags, NULL, 0);
	if (GUPSIM_IS_ERR_VALUE(addr)) {
		*why = strerror(-(int)(long)addr);
		return 0;
	}
	if (align)
		addr = (addr + align - 1) & ~(align - 1);
	if (back == BACK_4K || back == BACK_THP)
		gupsim_madvise(mm, addr, len,
			       back == BACK_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (unsigned long i = 0; i < npages; i++) {
		if (gupsim_write(mm, addr + i * PAGE_SIZE, &one, 1) != 1) {
			*why = "user write faulted";
			return 0;
		}
	}
	page = gupsim_follow_page(mm, addr);
	if (!page || gupsim_folio_order(gupsim_page_folio(page)) != backing_order[back]) {
		*why = "the fault did not give that folio size";
		return 0;
	}
	return addr;
}

/* ------------------------------------------------------------------ */
/* Pin / get loops */

enum gup_api { API_PIN_FAST, API_GET_FAST, API_PIN, API_PIN_LONGTERM };

struct pin_job {
	struct mm_struct *mm;
	unsigned long addr;		/* first page of the region */
	unsigned long npages;		/* pages per repetition (per thread) */
	unsigned int ppc;		/* pages per call */
	enum gup_api api;
	bool shared;			/* threads: all on the same pages */
	atomic_t failed;		/* a call came back short */
	atomic_long_t cpu_ns, cpu_pages; /* threads: CPU time they got, pages done */
};

static long gup_call(const struct pin_job *j, unsigned long addr, unsigned int n,
		     struct page **pages)
{
	long got;

	switch (j->api) {
	case API_PIN_FAST:
		return gupsim_pin_user_pages_fast(addr, (int)n, FOLL_WRITE, pages);
	case API_GET_FAST:
		return gupsim_get_user_pages_fast(addr, (int)n, FOLL_WRITE, pages);
	case API_PIN:
	case API_PIN_LONGTERM:
		gupsim_mmap_read_lock(j->mm);
		got = gupsim_pin_user_pages(addr, n, FOLL_WRITE |
					    (j->api == API_PIN_LONGTERM ? FOLL_LONGTERM : 0),
					    pages);
		gupsim_mmap_read_unlock(j->mm);
		return got;
	}
	return -EINVAL;
}

static void gup_release(const struct pin_job *j, struct page **pages, long n)
{
	if (j->api != API_GET_FAST) {
		gupsim_unpin_user_pages(pages, (unsigned long)n);
		return;
	}
	for (long i = 0; i < n; i++)
		gupsim_put_page(pages[i]);
}

/* One pass over the region: pin ppc pages, release them, move on. */
static void pin_pass(struct pin_job *j, unsigned long addr, struct page **pages)
{
	for (unsigned long off = 0; off < j->npages; off += j->ppc) {
		unsigned int n = (unsigned int)(j->npages - off < j->ppc ? j->npages - off : j->ppc);
		long got = gup_call(j, addr + off * PAGE_SIZE, n, pages);

		if (got > 0)
			gup_release(j, pages, got);
		if (got != (long)n) {
			atomic_set(&j->failed, 1);
			return;
		}
	}
}

static long long body_pin(void *arg, unsigned long reps)
{
	struct pin_job *j = arg;
	struct page *pages[MAX_PPC];
	long long t0 = bench_now_ns();

	for (unsigned long r = 0; r < reps; r++)
		pin_pass(j, j->addr, pages);
	return bench_now_ns() - t0;
}

static long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void thread_pin(void *arg, unsigned int index, unsigned long reps)
{
	struct pin_job *j = arg;
	struct page *pages[MAX_PPC];
	unsigned long addr = j->addr + (j->shared ? 0 : index * j->npages * PAGE_SIZE);

	long long t0 = thread_cpu_ns();

	gupsim_kthread_use_mm(j->mm);
	for (unsigned long r = 0; r < reps; r++)
		pin_pass(j, addr, pages);
	gupsim_kthread_unuse_mm(j->mm);
	atomic_long_add(thread_cpu_ns() - t0, &j->cpu_ns);
	atomic_long_add((long)(reps * j->npages), &j->cpu_pages);
}

/* CPU ns per page per thread since the last call (what the threads got). */
static double job_cpu_per_page(struct pin_job *j)
{
	long ns = atomic_long_read(&j->cpu_ns), pages = atomic_long_read(&j->cpu_pages);

	atomic_long_set(&j->cpu_ns, 0);
	atomic_long_set(&j->cpu_pages, 0);
	return pages ? (double)ns / (double)pages : -1;
}

/* The pins taken and released must balance, and no call may come back short. */
static bool check_job(struct gupsim *sim, struct pin_job *j, const char *name)
{
	unsigned long acq = gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	unsigned long rel = gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED);
	char msg[160];

	if (atomic_read(&j->failed)) {
		snprintf(msg, sizeof(msg), "%s: a GUP call returned fewer pages than asked", name);
		error(msg);
		return false;
	}
	if (acq != rel) {
		snprintf(msg, sizeof(msg), "%s: nr_foll_pin_acquired %lu != released %lu",
			 name, acq, rel);
		error(msg);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Cases */

struct results {
	double pin_fast_4k, pin_fast_thp, mt_1, mt_2_disjoint, mt_2_shared;
	double pin_fast_4k_best, pin_fast_thp_best;
	double cpu_1, cpu_2;		/* CPU ns per page per thread, disjoint pages */
};
static struct results res = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };

/* One pin case on one backing; a sweep of pages per call when @sweep. */
static double pin_case(const char *name, enum backing back, enum gup_api api,
		       unsigned long npages, bool sweep, double *best)
{
	struct gupsim *sim;
	struct mm_struct *mm;
	struct pin_job job = { .api = api, .npages = npages, .ppc = MAX_PPC };
	const char *why = NULL;
	double ns = -1, at512 = -1;

	if (!selected(name))
		return -1;
	sim = machine(back == BACK_HUGETLB_1G ? 3072 : 256,
		      back == BACK_HUGETLB_2M ? npages / 512 : 0,
		      back == BACK_HUGETLB_1G ? 1 : 0);
	if (!sim || !(mm = gupsim_mm_create(sim))) {
		emit(name, 1, MAX_PPC, -1, floor_1, "no machine");
		return -1;
	}
	gupsim_kthread_use_mm(mm);
	job.mm = mm;
	job.addr = map_region(mm, back, npages, &why);
	if (!job.addr) {
		char note[160];

		snprintf(note, sizeof(note), "%s not available: %s", backing_name[back], why);
		emit(name, 1, MAX_PPC, -1, floor_1, note);
		goto out;
	}
	for (size_t k = 0; k < (sweep ? sizeof(sweep_ppc) / sizeof(sweep_ppc[0]) : 1); k++) {
		job.ppc = sweep ? sweep_ppc[k] : MAX_PPC;
		if (sweep && only_ppc && job.ppc != only_ppc)
			continue;
		ns = bench_measure(&opts, body_pin, &job, (double)npages);
		if (!check_job(sim, &job, name))
			break;
		emit(name, 1, job.ppc, ns, floor_1, job.ppc == MAX_PPC ? backing_name[back] : "");
		if (job.ppc == MAX_PPC) {
			at512 = ns;
			if (best)
				*best = bench_last_best();
		}
	}
out:
	gupsim_kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	gupsim_destroy(sim);
	return at512;
}

/* pin_fast_4k on 1 and 2 threads, disjoint and shared pages. */
static void threaded_cases(void)
{
	struct gupsim *sim;
	struct mm_struct *mm;
	struct pin_job job = { .api = API_PIN_FAST, .npages = REGION_PAGES, .ppc = MAX_PPC };
	const char *why = NULL;
	char note[96];

	if (!selected("pin_fast_4k_disjoint") && !selected("pin_fast_4k_shared"))
		return;
	sim = machine(256, 0, 0);
	if (!sim || !(mm = gupsim_mm_create(sim)))
		return;
	job.mm = mm;
	job.addr = map_region(mm, BACK_4K, 2 * REGION_PAGES, &why);
	if (!job.addr) {
		emit("pin_fast_4k_disjoint", 2, MAX_PPC, -1, floor_2_private, why);
		goto out;
	}
	res.mt_1 = measure_threads(1, thread_pin, &job, REGION_PAGES);
	res.cpu_1 = job_cpu_per_page(&job);
	snprintf(note, sizeof(note), "thread harness; CPU %.1f ns/page/thread", res.cpu_1);
	emit("pin_fast_4k_disjoint", 1, MAX_PPC, res.mt_1, floor_1, note);
	res.mt_2_disjoint = measure_threads(2, thread_pin, &job, REGION_PAGES);
	res.cpu_2 = job_cpu_per_page(&job);
	snprintf(note, sizeof(note), "own pages; CPU %.1f ns/page/thread", res.cpu_2);
	emit("pin_fast_4k_disjoint", 2, MAX_PPC, res.mt_2_disjoint, floor_2_private, note);
	job.shared = true;
	res.mt_2_shared = measure_threads(2, thread_pin, &job, REGION_PAGES);
	snprintf(note, sizeof(note), "same pages; CPU %.1f ns/page/thread",
		 job_cpu_per_page(&job));
	emit("pin_fast_4k_shared", 2, MAX_PPC, res.mt_2_shared, floor_2_shared, note);
	check_job(sim, &job, "pin_fast_4k threads");
out:
	gupsim_mm_put(mm);
	gupsim_destroy(sim);
}

/* fault_anon: a user write to each page of a fresh 4 KiB-page mapping. */
struct fault_job {
	struct mm_struct *mm;
	bool failed;
};

static long long body_fault(void *arg, unsigned long reps)
{
	struct fault_job *f = arg;
	static const char one = 1;
	long long spent = 0;

	for (unsigned long r = 0; r < reps; r++) {
		unsigned long len = REGION_PAGES * PAGE_SIZE;
		unsigned long addr = gupsim_mmap(f->mm, 0, len, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		long long t0;

		if (GUPSIM_IS_ERR_VALUE(addr)) {
			f->failed = true;
			return 1;
		}
		gupsim_madvise(f->mm, addr, len, MADV_NOHUGEPAGE);
		t0 = bench_now_ns();
		for (unsigned long i = 0; i < REGION_PAGES; i++)
			f->failed |= gupsim_write(f->mm, addr + i * PAGE_SIZE, &one, 1) != 1;
		spent += bench_now_ns() - t0;
		gupsim_munmap(f->mm, addr, len);
	}
	return spent;
}

static void fault_case(void)
{
	struct gupsim *sim;
	struct fault_job f = { 0 };
	double ns;

	if (!selected("fault_anon") || !(sim = machine(256, 0, 0)))
		return;
	f.mm = gupsim_mm_create(sim);
	if (f.mm) {
		ns = bench_measure(&opts, body_fault, &f, REGION_PAGES);
		if (f.failed)
			error("fault_anon: a user write failed");
		emit("fault_anon", 1, 1, f.failed ? -1 : ns, floor_1, "write fault, new anon page");
		gupsim_mm_put(f.mm);
	}
	gupsim_destroy(sim);
}

/* fork_pinned: fork an mm whose pages are all pinned (each is copied). */
static unsigned long forks_done;

static long long body_fork(void *arg, unsigned long reps)
{
	struct mm_struct *mm = arg;
	long long spent = 0;

	for (unsigned long r = 0; r < reps; r++) {
		long long t0 = bench_now_ns();
		struct mm_struct *child = gupsim_fork(mm);

		spent += bench_now_ns() - t0;
		if (GUPSIM_IS_ERR_VALUE((unsigned long)child)) {
			error("fork failed");
			return spent ? spent : 1;
		}
		gupsim_mm_put(child);
		forks_done++;
	}
	return spent;
}

static void fork_case(const char *name, bool pin)
{
	struct gupsim *sim;
	struct mm_struct *mm;
	struct page **pages;
	unsigned long addr;
	const char *why = NULL;
	unsigned long copies;
	long got = 0;
	char msg[128];
	double ns;

	if (!selected(name))
		return;
	if (!(sim = machine(512, 0, 0)))
		return;
	mm = gupsim_mm_create(sim);
	pages = calloc(REGION_PAGES, sizeof(*pages));
	if (!mm || !pages)
		goto out;
	gupsim_kthread_use_mm(mm);
	addr = map_region(mm, BACK_4K, REGION_PAGES, &why);
	if (!addr) {
		emit(name, 1, 1, -1, floor_1, why);
		goto out;
	}
	if (pin) {
		got = gupsim_pin_user_pages_fast(addr, REGION_PAGES, FOLL_WRITE, pages);
		if (got != (long)REGION_PAGES) {
			error("fork_pinned: could not pin the region");
			goto unpin;
		}
	}
	forks_done = 0;
	copies = gupsim_vmstat(sim, GUPSIM_NR_FORK_PINNED_COPIES);
	ns = bench_measure(&opts, body_fork, mm, REGION_PAGES);
	emit(name, 1, 1, ns, floor_1, pin ? "every page pinned: copied" : "COW-shared");
	/* semantics.md §5.4: each fork copies every pinned page, and only those */
	copies = gupsim_vmstat(sim, GUPSIM_NR_FORK_PINNED_COPIES) - copies;
	if (copies != (pin ? forks_done * REGION_PAGES : 0)) {
		snprintf(msg, sizeof(msg), "%s: %lu forks copied %lu pinned pages", name,
			 forks_done, copies);
		error(msg);
	}
unpin:
	if (got > 0)
		gupsim_unpin_user_pages(pages, (unsigned long)got);
	gupsim_kthread_unuse_mm(mm);
out:
	free(pages);
	if (mm)
		gupsim_mm_put(mm);
	gupsim_destroy(sim);
}

/* ------------------------------------------------------------------ */
/* Memory: a 16 GiB machine with 1 GiB touched */

struct rss_result {
	double created_mb, touched_mb;
	bool ok;
};

static struct rss_result rss_case(void)
{
	struct rss_result r = { 0 };
	unsigned long base = bench_rss_bytes(), created, addr, len = 1024 * MB;
	struct gupsim *sim = machine(16 * 1024, 0, 0);
	struct mm_struct *mm;
	static const char one = 1;

	if (!sim)
		return r;
	created = bench_rss_bytes();
	mm = gupsim_mm_create(sim);
	addr = mm ? gupsim_mmap(mm, 0, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0) : (unsigned long)-ENOMEM;
	if (!GUPSIM_IS_ERR_VALUE(addr)) {
		gupsim_madvise(mm, addr, len, MADV_NOHUGEPAGE);
		r.ok = true;
		for (unsigned long off = 0; off < len && r.ok; off += PAGE_SIZE)
			r.ok = gupsim_write(mm, addr + off, &one, 1) == 1;
	}
	r.created_mb = ((double)created - (double)base) / (double)MB;
	r.touched_mb = ((double)bench_rss_bytes() - (double)base) / (double)MB;
	if (mm)
		gupsim_mm_put(mm);
	gupsim_destroy(sim);
	return r;
}

/* ------------------------------------------------------------------ */
/* Targets */

static void check_targets(const struct rss_result *rss)
{
	printf("\nTargets:\n");
	if (res.pin_fast_4k > 0) {
		double x = res.pin_fast_4k / floor_1;

		bench_target(x <= 4.0, "pin_fast_4k: %.2f ns/page = %.2fx floor (target <= 4x); "
			     "best samples: %.2f ns = %.2fx the floor's best", res.pin_fast_4k, x,
			     res.pin_fast_4k_best, res.pin_fast_4k_best / floor_1_best);
		printf("info pin_fast_4k: %.2fx the same atomics on one cache line per page "
		       "(%.2f ns/page)\n", res.pin_fast_4k / floor_lines_1, floor_lines_1);
	}
	if (res.pin_fast_thp > 0) {
		bench_target(res.pin_fast_thp <= 1.5, "pin_fast_thp: %.3f ns/page (target <= "
			     "1.5 ns/page); best sample %.3f ns", res.pin_fast_thp,
			     res.pin_fast_thp_best);
		if (res.pin_fast_4k > 0) {
			double x = res.pin_fast_4k / res.pin_fast_thp;

			bench_target(x >= 20.0, "pin_fast_thp: %.1fx faster per page than "
				     "pin_fast_4k (target >= 20x)", x);
		}
	}
	if (res.mt_1 > 0 && res.mt_2_disjoint > 0) {
		double x = res.mt_1 / res.mt_2_disjoint;

		bench_target(x >= 1.7, "pin_fast_4k 2 threads, disjoint pages: %.2fx the "
			     "throughput of 1 thread (target >= 1.7x; %ld CPUs online)", x,
			     sysconf(_SC_NPROCESSORS_ONLN));
	}
	if (res.cpu_1 > 0 && res.cpu_2 > 0)
		printf("info pin_fast_4k disjoint pages, CPU time per page per thread: %.1f ns "
		       "with 1 thread, %.1f ns with 2 (equal means the library itself scales; "
		       "the wall-time speed-up also needs 2 idle CPUs)\n", res.cpu_1, res.cpu_2);
	if (res.mt_2_shared > 0 && res.mt_1 > 0)
		printf("info pin_fast_4k 2 threads, shared pages: %.2fx the throughput of 1 thread\n",
		       res.mt_1 / res.mt_2_shared);
	bench_target(sizeof(struct page) <= 64, "sizeof(struct page) = %zu (target <= 64)",
		     sizeof(struct page));
	if (rss->ok) {
		/* touched: 1 GiB of contents + memmap and page tables for it */
		double extra = rss->touched_mb - 1024.0;

		bench_target(rss->created_mb <= 64 && extra <= 102.4,
			     "RSS of a 16 GiB machine: %.1f MiB created, %.1f MiB with 1 GiB "
			     "touched (%.1f MiB beyond the 1 GiB itself; target: untouched memory "
			     "~free, overhead <= 10%%)", rss->created_mb, rss->touched_mb, extra);
	} else if (selected("rss")) {
		bench_target(false, "RSS of a 16 GiB machine: could not touch 1 GiB");
	}
}

/* ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gupsim-bench [--quick] [--csv FILE] [--only NAME] [--ppc N]\n"
		"  --quick      short run (under 20 s): fewer, shorter samples; no pin_1g, no big_machine\n"
		"  --csv FILE   write case,threads,pages_per_call,ns_per_page,ratio_to_floor\n"
		"  --only NAME  run only the cases whose name contains NAME (floors always run)\n"
		"  --ppc N      sweeps: only N pages per call (for profiling one point)\n"
		"Plot the CSV with bench/plot.\n");
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "csv", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "ppc", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			quick = true;
			break;
		case 'c':
			csv = fopen(optarg, "w");
			if (!csv) {
				perror(optarg);
				exit(1);
			}
			break;
		case 'o':
			only = optarg;
			break;
		case 'p':
			only_ppc = (unsigned int)atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(1);
	}
	/*
	 * Many short samples: on a shared machine a short sample often runs
	 * without being preempted, and the median is then the speed of the
	 * code rather than of the scheduler.
	 */
	opts = quick ? (struct bench_opts){ .samples = 101, .sample_ns = 500000, .warmup = 2 }
		     : (struct bench_opts){ .samples = 251, .sample_ns = 2000000, .warmup = 5 };
}

static void print_header(void)
{
	double load[3] = { 0 };

	getloadavg(load, 3);
	printf("gupsim-bench %s: gupsim %s, atomics: %s, %s mode, %ld CPUs online, "
	       "load %.2f %.2f %.2f\n", quick ? "--quick" : "(full)", gupsim_version(),
	       GUPSIM_ATOMIC_BACKEND, quick ? "quick" : "full", sysconf(_SC_NPROCESSORS_ONLN),
	       load[0], load[1], load[2]);
	printf("ns/page: wall time / pages processed by all threads, median of %u samples of "
	       "~%.1f ms;\nbest: the fastest sample; x floor: median / the floor's median\n\n",
	       opts.samples, (double)opts.sample_ns / 1e6);
	bench_table_header(stdout);
	if (csv)
		bench_csv_header(csv);
}

/* How much of the wall time this process got: the rest went to other load. */
static void print_cpu_share(long long t0)
{
	struct rusage ru;
	double wall = (double)(bench_now_ns() - t0) / 1e9, cpu = 0;

	if (!getrusage(RUSAGE_SELF, &ru))
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("\n%.1f s wall, %.1f s CPU (%.0f%% of one CPU; the machine's other load "
	       "shares the rest)\n", wall, cpu, 100.0 * cpu / wall);
}

int main(int argc, char **argv)
{
	struct rss_result rss = { 0 };
	long long t0 = bench_now_ns();

	parse_args(argc, argv);
	print_header();
	measure_floors();

	res.pin_fast_4k = pin_case("pin_fast_4k", BACK_4K, API_PIN_FAST, REGION_PAGES, true,
				   &res.pin_fast_4k_best);
	res.pin_fast_thp = pin_case("pin_fast_thp", BACK_THP, API_PIN_FAST, 2 * REGION_PAGES,
				    true, &res.pin_fast_thp_best);
	pin_case("get_fast_4k", BACK_4K, API_GET_FAST, REGION_PAGES, false, NULL);
	pin_case("pin_slow_4k", BACK_4K, API_PIN, REGION_PAGES, false, NULL);
	pin_case("pin_longterm_4k", BACK_4K, API_PIN_LONGTERM, REGION_PAGES, false, NULL);
	pin_case("pin_hugetlb_2m", BACK_HUGETLB_2M, API_PIN_FAST, 2 * REGION_PAGES, false, NULL);
	if (!quick)
		pin_case("pin_1g", BACK_HUGETLB_1G, API_PIN_FAST, 1UL << 18, false, NULL);
	else if (selected("pin_1g"))
		emit("pin_1g", 1, MAX_PPC, -1, floor_1, "full mode only (touches 1 GiB)");
	threaded_cases();
	fault_case();
	fork_case("fork_pinned", true);
	fork_case("fork_unpinned", false);
	if (selected("rss"))
		rss = rss_case();
	errors += bench_touch_run(&(struct bench_touch_env){ quick, only, csv, floor_1 });
	errors += bench_scale_run(&(struct bench_scale_env){ quick, only, csv });

	check_targets(&rss);
	bench_touch_targets();
	bench_scale_targets();
	print_cpu_share(t0);
	printf("%d error(s)\n", errors);
	if (csv)
		fclose(csv);
	return errors ? 1 : 0;
}
