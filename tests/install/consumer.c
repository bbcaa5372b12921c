/* SPDX-License-Identifier: MIT */
/*
 * A program written against the *installed* gupsim: create a machine, pin a
 * small and a large folio, unpin them, and check every count on the way
 * (semantics.md §2.2, §2.3, §2.6). Exits non-zero on the first mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <gupsim/gupsim.h>

static int failures;

#define EXPECT(what, got, want)							\
	do {									\
		long g_ = (long)(got), w_ = (long)(want);			\
		if (g_ != w_) {							\
			fprintf(stderr, "consumer: %s = %ld, expected %ld\n",	\
				what, g_, w_);					\
			failures++;						\
		}								\
	} while (0)

int main(void)
{
	struct gupsim *sim = gupsim_create(NULL);
	struct folio *small, *large;
	unsigned long free0, acq0, rel0;
	long nr;

	if (!sim) {
		perror("gupsim_create");
		return 1;
	}
	free0 = gupsim_nr_free_pages(sim);
	acq0 = gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	rel0 = gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED);

	small = gupsim_folio_alloc(sim, 0, 0);
	large = gupsim_folio_alloc(sim, HPAGE_PMD_ORDER, 0);
	if (!small || !large) {
		perror("gupsim_folio_alloc");
		return 1;
	}
	nr = gupsim_folio_nr_pages(large);
	EXPECT("nr_pages(large)", nr, HPAGE_PMD_NR);
	EXPECT("free pages after alloc", gupsim_nr_free_pages(sim), free0 - 1 - HPAGE_PMD_NR);

	/* semantics.md §2.2: a small folio's pin adds GUP_PIN_COUNTING_BIAS ... */
	EXPECT("try_grab_folio(small, 1, FOLL_PIN)", gupsim_try_grab_folio(small, 1, FOLL_PIN), 0);
	EXPECT("refcount(small)", gupsim_folio_ref_count(small), 1 + GUP_PIN_COUNTING_BIAS);
	EXPECT("maybe_dma_pinned(small)", gupsim_folio_maybe_dma_pinned(small), 1);
	/* ... a large folio's pin adds refs to both refcount and _pincount. */
	EXPECT("try_grab_folio(large, nr, FOLL_PIN)",
	       gupsim_try_grab_folio(large, (int)nr, FOLL_PIN), 0);
	EXPECT("refcount(large)", gupsim_folio_ref_count(large), 1 + nr);
	EXPECT("pincount(large)", gupsim_folio_pincount(large), nr);
	EXPECT("maybe_dma_pinned(large)", gupsim_folio_maybe_dma_pinned(large), 1);
	/* semantics.md §2.6: counted per page. */
	EXPECT("nr_foll_pin_acquired", gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) - acq0,
	       1 + nr);

	gupsim_unpin_folio(small);
	gupsim_unpin_user_folio(large, (unsigned long)nr);
	EXPECT("refcount(small) after unpin", gupsim_folio_ref_count(small), 1);
	EXPECT("refcount(large) after unpin", gupsim_folio_ref_count(large), 1);
	EXPECT("pincount(large) after unpin", gupsim_folio_pincount(large), 0);
	EXPECT("maybe_dma_pinned(large) after unpin", gupsim_folio_maybe_dma_pinned(large), 0);
	EXPECT("nr_foll_pin_released", gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED) - rel0,
	       1 + nr);

	gupsim_folio_put(small);
	gupsim_folio_put(large);
	EXPECT("free pages after put", gupsim_nr_free_pages(sim), free0);
	gupsim_destroy(sim);

	if (failures)
		return 1;
	printf("consumer: gupsim %s ok (small + order-%d folio pinned and unpinned)\n",
	       gupsim_version(), HPAGE_PMD_ORDER);
	return 0;
}
