/* SPDX-License-Identifier: MIT */
/*
 * Shared narration helpers for the examples: each example tells a short
 * story and prints the counters at every step. An example checks what it
 * tells: expect() exits non-zero when gupsim does not do what the kernel
 * would, so every example is also a test (ctest label `examples`).
 */
#ifndef GUPSIM_EXAMPLE_STORY_H
#define GUPSIM_EXAMPLE_STORY_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <gupsim/gupsim.h>
#include <gupsim/kernel.h>

static int story_step;

#define say(...) do { printf(__VA_ARGS__); printf("\n"); } while (0)

static inline void step(const char *what)
{
	printf("\n[%d] %s\n", ++story_step, what);
}

/* One line of state for the folio of @page. */
static inline void show(struct gupsim *sim, const char *label, struct page *page)
{
	struct folio *folio = page_folio(page);

	printf("    %-18s pfn %#-8lx refcount %-5d", label, page_to_pfn(page),
	       folio_ref_count(folio));
	if (folio_test_large(folio))
		printf(" pincount %-4d", gupsim_folio_pincount(folio));
	printf(" mapcount %d  maybe_dma_pinned=%s\n", folio_mapcount(folio),
	       folio_maybe_dma_pinned(folio) ? "yes" : "no");
	(void)sim;
}

static inline void show_vmstat(struct gupsim *sim)
{
	printf("    vmstat: nr_foll_pin_acquired %lu  nr_foll_pin_released %lu\n",
	       gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED),
	       gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED));
}

#define expect(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: expected %s\n", __FILE__,	\
				__LINE__, #cond);			\
			exit(1);					\
		}							\
	} while (0)

static inline struct gupsim *story_machine(unsigned long normal_mb, unsigned long movable_mb)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = normal_mb;
	cfg.movable_mb = movable_mb;
	cfg.strict = true;	/* any WARN is a bug in the story: abort */
	sim = gupsim_create(&cfg);
	if (!sim) {
		perror("gupsim_create");
		exit(1);
	}
	return sim;
}

#endif /* GUPSIM_EXAMPLE_STORY_H */
