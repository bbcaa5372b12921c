// SPDX-License-Identifier: MIT
/*
 * folio_maybe_dma_pinned() can say "yes" when nothing is pinned: a small
 * folio counts pins as 1024 references each (GUP_PIN_COUNTING_BIAS), so
 * 1024 plain references look exactly like a pin. False positives are
 * accepted; false negatives are not. A large folio keeps an exact
 * _pincount and has no false positives.
 */
#include "story.h"

int main(void)
{
	struct gupsim *sim = story_machine(64, 0);
	struct folio *small = gupsim_folio_alloc(sim, 0, 0);
	struct folio *large = gupsim_folio_alloc(sim, 4, 0);
	int i;

	say("The false positive of folio_maybe_dma_pinned() on a small folio");
	step("A fresh small folio: refcount 1.");
	show(sim, "small", &small->page);
	expect(!folio_maybe_dma_pinned(small));

	step("1022 get_page()s: refcount 1023, still 'not pinned'.");
	for (i = 0; i < 1022; i++)
		folio_get(small);
	show(sim, "small", &small->page);
	expect(!folio_maybe_dma_pinned(small));

	step("One more: refcount 1024 = GUP_PIN_COUNTING_BIAS -> 'maybe pinned'.");
	folio_get(small);
	show(sim, "small", &small->page);
	show_vmstat(sim);
	expect(folio_maybe_dma_pinned(small));
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) == 0);
	say("    nothing was pinned: vmstat agrees, the predicate cannot tell");

	step("A large folio with 5000 references is never 'maybe pinned'.");
	for (i = 0; i < 5000; i++)
		folio_get(large);
	show(sim, "large (order 4)", &large->page);
	expect(!folio_maybe_dma_pinned(large));
	step("One real pin on it: _pincount 1 -> 'maybe pinned', exactly.");
	expect(try_grab_folio(large, 1, FOLL_PIN) == 0);
	show(sim, "large (order 4)", &large->page);
	expect(folio_maybe_dma_pinned(large));
	unpin_folio(large);

	folio_put_refs(small, 1024);
	folio_put_refs(large, 5001);
	gupsim_destroy(sim);
	return 0;
}
