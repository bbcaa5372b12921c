// SPDX-License-Identifier: MIT
/*
 * Multi-threaded soak: pinners pin and unpin with the fast and the slow
 * paths (short-term and long-term, so pages migrate out of ZONE_MOVABLE)
 * while other threads fork, munmap and re-mmap, write (COW), MADV_DONTNEED
 * and split THPs under them. At the end the invariant checker must be
 * clean, pins balanced and every page back in the allocator.
 *
 *   stress_soak [--seconds N]   (default 5, or $GUPSIM_STRESS_SECONDS; ctest runs
 *                                10 s, under ASan and TSan in CI; use 60 for a real soak)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <gupsim/gupsim.h>

#define REGION		(4UL << 20)	/* two PMD-sized halves */
#define NPIN		64

struct soak {
	struct gupsim *sim;
	struct mm_struct *mm;
	unsigned long base;
	int stop;
	long pins, forks, remaps, faults;
};

static int stopped(struct soak *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void *pinner(void *arg)
{
	struct soak *s = (struct soak *)arg;
	struct page *pages[NPIN];
	unsigned int seed = (unsigned int)(uintptr_t)&pages;
	long n = 0;

	gupsim_kthread_use_mm(s->mm);
	while (!stopped(s)) {
		unsigned long addr = s->base + (rnd(&seed) % (REGION / PAGE_SIZE - NPIN)) * PAGE_SIZE;
		unsigned int flags = (rnd(&seed) & 1) ? FOLL_WRITE : 0;
		int nr = 1 + (int)(rnd(&seed) % NPIN);
		long got;

		if (rnd(&seed) % 4 == 0)
			flags |= FOLL_LONGTERM;
		if (rnd(&seed) & 1) {
			got = gupsim_pin_user_pages_fast(addr, nr, flags, pages);
		} else {
			gupsim_mmap_read_lock(s->mm);
			got = gupsim_pin_user_pages(addr, (unsigned long)nr, flags, pages);
			gupsim_mmap_read_unlock(s->mm);
		}
		if (got > 0) {
			n += got;
			gupsim_unpin_user_pages_dirty_lock(pages, (unsigned long)got, flags & FOLL_WRITE);
		}
	}
	gupsim_kthread_unuse_mm(s->mm);
	__atomic_fetch_add(&s->pins, n, __ATOMIC_RELAXED);
	return NULL;
}

static void *forker(void *arg)
{
	struct soak *s = (struct soak *)arg;
	long n = 0;

	while (!stopped(s)) {
		struct mm_struct *child = gupsim_fork(s->mm);

		if (!GUPSIM_IS_ERR_VALUE(child)) {
			char c = 'c';

			/* the child writes: COW in the child */
			gupsim_write(child, s->base + (unsigned long)(n % 512) * PAGE_SIZE, &c, 1);
			gupsim_mm_put(child);
			n++;
		}
	}
	__atomic_fetch_add(&s->forks, n, __ATOMIC_RELAXED);
	return NULL;
}

static void *mutator(void *arg)
{
	struct soak *s = (struct soak *)arg;
	unsigned int seed = 7;
	long remaps = 0, faults = 0;

	while (!stopped(s)) {
		unsigned long off = (rnd(&seed) % (REGION / PAGE_SIZE)) * PAGE_SIZE;
		char buf[64];

		switch (rnd(&seed) % 5) {
		case 0:	/* unmap a chunk and map it back: zaps, frees tables */
			gupsim_munmap(s->mm, s->base + (off & ~(PMD_SIZE - 1)), PMD_SIZE / 2);
			gupsim_mmap(s->mm, s->base + (off & ~(PMD_SIZE - 1)), PMD_SIZE / 2,
				    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				    NULL, 0);
			remaps++;
			break;
		case 1:
			gupsim_madvise(s->mm, s->base + off, PAGE_SIZE * 8, MADV_DONTNEED);
			break;
		case 2:	/* a partial mprotect splits a PMD THP */
			gupsim_mprotect(s->mm, s->base + off, PAGE_SIZE, PROT_READ);
			gupsim_mprotect(s->mm, s->base + off, PAGE_SIZE, PROT_READ | PROT_WRITE);
			break;
		default:
			memset(buf, (int)off, sizeof(buf));
			gupsim_write(s->mm, s->base + off, buf, sizeof(buf));
			faults++;
			break;
		}
	}
	__atomic_fetch_add(&s->remaps, remaps, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->faults, faults, __ATOMIC_RELAXED);
	return NULL;
}

int main(int argc, char **argv)
{
	struct gupsim_config cfg;
	struct soak s = { 0 };
	pthread_t t[4];
	unsigned long free0;
	double seconds = 5;
	long bad;

	if (getenv("GUPSIM_STRESS_SECONDS"))
		seconds = atof(getenv("GUPSIM_STRESS_SECONDS"));
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
	gupsim_config_init(&cfg);
	cfg.normal_mb = 96;
	cfg.movable_mb = 64;	/* long-term pins migrate out of it */
	cfg.thp = GUPSIM_THP_ALWAYS;
	cfg.debug_pins = true;
	s.sim = gupsim_create(&cfg);
	free0 = gupsim_nr_free_pages(s.sim);	/* before the mm and its tables */
	s.mm = gupsim_mm_create(s.sim);
	s.base = gupsim_mmap(s.mm, 0, REGION, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, NULL, 0);
	if (GUPSIM_IS_ERR_VALUE(s.base)) {
		fprintf(stderr, "mmap failed: %ld\n", (long)s.base);
		return 1;
	}

	pthread_create(&t[0], NULL, pinner, &s);
	pthread_create(&t[1], NULL, pinner, &s);
	pthread_create(&t[2], NULL, forker, &s);
	pthread_create(&t[3], NULL, mutator, &s);
	{
		struct timespec ts = { (time_t)seconds,
				       (long)((seconds - (double)(time_t)seconds) * 1e9) };

		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);

	printf("pages pinned %ld, forks %ld, remaps %ld, writes %ld; warnings %lu\n", s.pins,
	       s.forks, s.remaps, s.faults, gupsim_vmstat(s.sim, GUPSIM_NR_WARNINGS));
	printf("longterm migrations %lu, THP splits %lu, fork copies of pinned pages %lu\n",
	       gupsim_vmstat(s.sim, GUPSIM_NR_LONGTERM_MIGRATIONS),
	       gupsim_vmstat(s.sim, GUPSIM_NR_THP_SPLITS),
	       gupsim_vmstat(s.sim, GUPSIM_NR_FORK_PINNED_COPIES));
	bad = gupsim_check(s.sim);
	if (bad || gupsim_vmstat(s.sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) !=
		   gupsim_vmstat(s.sim, GUPSIM_NR_FOLL_PIN_RELEASED) ||
	    gupsim_vmstat(s.sim, GUPSIM_NR_WARNINGS) || gupsim_vmstat(s.sim, GUPSIM_NR_BAD_PAGES)) {
		fprintf(stderr, "FAILED: %ld invariant violations, acquired %lu released %lu, %lu warnings\n",
			bad, gupsim_vmstat(s.sim, GUPSIM_NR_FOLL_PIN_ACQUIRED),
			gupsim_vmstat(s.sim, GUPSIM_NR_FOLL_PIN_RELEASED),
			gupsim_vmstat(s.sim, GUPSIM_NR_WARNINGS));
		return 1;
	}
	gupsim_mm_put(s.mm);
	if (gupsim_huge_zero_folio(s.sim))
		free0 -= HPAGE_PMD_NR;
	if (gupsim_nr_free_pages(s.sim) != free0) {
		fprintf(stderr, "FAILED: %lu pages leaked\n", free0 - gupsim_nr_free_pages(s.sim));
		return 1;
	}
	gupsim_destroy(s.sim);
	printf("1 passed, 0 failed\n");
	return 0;
}
