// SPDX-License-Identifier: MIT
/*
 * The small zero page and the huge zero folio are accounted differently.
 * A FOLL_PIN on the small zero page only pretends: no refcount change and
 * no nr_foll_pin_* count. The huge zero folio is an ordinary large folio
 * to GUP: each 4 KiB page pinned adds one to its refcount, its _pincount
 * and nr_foll_pin_acquired (measured on a live kernel: O_DIRECT write from
 * a read-faulted THP region counts 512/512 on Linux 6.18).
 */
#include "story.h"

int main(void)
{
	struct gupsim *sim = story_machine(64, 0);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct page *pages[512];
	unsigned long small, huge;
	char c;
	int ref;

	say("Small zero page vs huge zero folio: who counts a pin");
	kthread_use_mm(mm);

	step("Read-fault one page of an ordinary mapping: the small zero page.");
	small = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	expect(gupsim_read(mm, small, &c, 1) == 1);
	expect(is_zero_page(gupsim_follow_page(mm, small)));
	ref = page_count(gupsim_follow_page(mm, small));

	step("pin_user_pages_fast(0) on it (an O_DIRECT write would do this).");
	expect(pin_user_pages_fast(small, 1, 0, pages) == 1);
	expect(is_zero_page(pages[0]));
	say("    refcount %d -> %d, nr_foll_pin_acquired %lu", ref, page_count(pages[0]),
	    gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED));
	expect(page_count(pages[0]) == ref);
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) == 0);
	unpin_user_pages(pages, 1);
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED) == 0);

	step("Read-fault a 2 MiB THP range (MADV_HUGEPAGE): the huge zero folio.");
	huge = gupsim_mmap(mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	expect(gupsim_madvise(mm, huge, PMD_SIZE, MADV_HUGEPAGE) == 0);
	expect(gupsim_read(mm, huge, &c, 1) == 1);
	expect(is_huge_zero_folio(page_folio(gupsim_follow_page(mm, huge))));
	ref = page_count(gupsim_follow_page(mm, huge));

	step("pin_user_pages_fast(0) on all 512 pages.");
	expect(pin_user_pages_fast(huge, 512, 0, pages) == 512);
	show(sim, "huge zero", pages[0]);
	show_vmstat(sim);
	expect(page_count(pages[0]) == ref + 512);
	expect(gupsim_folio_pincount(page_folio(pages[0])) == 512);
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) == 512);
	unpin_user_pages(pages, 512);
	show_vmstat(sim);
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED) == 512);
	say("    the mapping stays the huge zero folio: %s",
	    is_huge_zero_folio(page_folio(gupsim_follow_page(mm, huge))) ? "yes" : "no");

	kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	expect(gupsim_check(sim) == 0);
	gupsim_destroy(sim);
	return 0;
}
