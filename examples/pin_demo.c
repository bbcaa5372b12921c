/* SPDX-License-Identifier: MIT */
/*
 * pin_demo: what a DMA pin does to a page's counts.
 *
 * Pins a small (4 KiB) folio and a large (order-9, 2 MiB) folio the way
 * pin_user_pages() does, prints the refcount, the pincount and the
 * nr_foll_pin_* counters after each step, dumps both pages, then unpins and
 * shows every count back at its baseline. Written with the kernel's names
 * (<gupsim/kernel.h>); exits 1 if a count is not what the kernel would show.
 */
#include <stdio.h>
#include <gupsim/gupsim.h>
#include <gupsim/kernel.h>

static int unexpected;

struct demo {
	struct gupsim *sim;
	struct folio *small;
	struct folio *large;
};

static void show_header(void)
{
	printf("%-30s %9s %9s %9s %9s %9s\n", "", "small", "large", "large", "nr_foll_", "nr_foll_");
	printf("%-30s %9s %9s %9s %9s %9s\n", "step", "refcount", "refcount", "pincount",
	       "pin_acq", "pin_rel");
}

static void show(const struct demo *d, const char *step)
{
	printf("%-30s %9d %9d %9d %9lu %9lu\n", step,
	       folio_ref_count(d->small), folio_ref_count(d->large),
	       gupsim_folio_pincount(d->large),
	       gupsim_vmstat(d->sim, GUPSIM_NR_FOLL_PIN_ACQUIRED),
	       gupsim_vmstat(d->sim, GUPSIM_NR_FOLL_PIN_RELEASED));
}

static void expect(const char *what, long got, long want)
{
	if (got != want) {
		printf("UNEXPECTED: %s = %ld, the kernel gives %ld\n", what, got, want);
		unexpected++;
	}
}

static void expect_counts(const struct demo *d, int small_ref, int large_ref, int large_pins)
{
	expect("small refcount", folio_ref_count(d->small), small_ref);
	expect("large refcount", folio_ref_count(d->large), large_ref);
	expect("large pincount", gupsim_folio_pincount(d->large), large_pins);
}

int main(void)
{
	struct demo d;
	long nr;

	d.sim = gupsim_create(NULL);
	if (!d.sim) {
		perror("gupsim_create");
		return 1;
	}
	gupsim_set_log(d.sim, stdout);	/* dump_page() output */
	d.small = gupsim_folio_alloc(d.sim, 0, GUPSIM_ALLOC_MOVABLE);
	d.large = gupsim_folio_alloc(d.sim, HPAGE_PMD_ORDER, GUPSIM_ALLOC_MOVABLE);
	if (!d.small || !d.large) {
		perror("gupsim_folio_alloc");
		return 1;
	}
	nr = folio_nr_pages(d.large);

	printf("gupsim %s: one machine, a 4 KiB folio and a %ld KiB folio (order %u)\n\n",
	       gupsim_version(), nr * (long)(PAGE_SIZE / 1024), folio_order(d.large));
	show_header();
	show(&d, "allocated");
	expect_counts(&d, 1, 1, 0);

	/* A small folio has no pincount: a pin adds GUP_PIN_COUNTING_BIAS. */
	expect("try_grab_folio(small)", try_grab_folio(d.small, 1, FOLL_PIN), 0);
	show(&d, "pin small (ref += 1024)");
	expect_counts(&d, 1 + GUP_PIN_COUNTING_BIAS, 1, 0);

	/* A large folio counts pins in _pincount, plus one ref per pin: here
	 * one pin per page, as pinning the whole 2 MiB range does. */
	expect("try_grab_folio(large)", try_grab_folio(d.large, (int)nr, FOLL_PIN), 0);
	show(&d, "pin large (512 pages)");
	expect_counts(&d, 1 + GUP_PIN_COUNTING_BIAS, 1 + (int)nr, (int)nr);
	expect("nr_foll_pin_acquired", (long)gupsim_vmstat(d.sim, GUPSIM_NR_FOLL_PIN_ACQUIRED),
	       1 + nr);
	printf("\nfolio_maybe_dma_pinned: small %s, large %s\n\n",
	       folio_maybe_dma_pinned(d.small) ? "yes" : "no",
	       folio_maybe_dma_pinned(d.large) ? "yes" : "no");

	dump_page(folio_page(d.small, 0), "pinned small folio");
	printf("\n");
	dump_page(folio_page(d.large, 0), "pinned large folio");
	printf("\n");

	show_header();
	unpin_folio(d.small);
	show(&d, "unpin small");
	unpin_user_folio(d.large, (unsigned long)nr);
	show(&d, "unpin large (baseline)");
	expect_counts(&d, 1, 1, 0);
	expect("nr_foll_pin_released", (long)gupsim_vmstat(d.sim, GUPSIM_NR_FOLL_PIN_RELEASED),
	       1 + nr);
	printf("\nfolio_maybe_dma_pinned: small %s, large %s\n",
	       folio_maybe_dma_pinned(d.small) ? "yes" : "no",
	       folio_maybe_dma_pinned(d.large) ? "yes" : "no");

	folio_put(d.small);
	folio_put(d.large);
	gupsim_destroy(d.sim);
	if (unexpected) {
		printf("\n%d unexpected count(s)\n", unexpected);
		return 1;
	}
	printf("\nacquired - released = 0: every pin was returned.\n");
	return 0;
}
