// SPDX-License-Identifier: MIT
/*
 * CASE 3: an MMU-notifier driver (think of a GPU mirroring a process's
 * memory). It takes plain references with get_user_pages_fast() (neither
 * FOLL_PIN nor FOLL_LONGTERM) and gives them back as soon as the kernel
 * tells it, through invalidate_range_start(), that the range is going
 * away. Pinning is not needed because the driver never keeps a page the
 * kernel wants back.
 */
#include "story.h"

#define NPAGES 4

struct mirror {
	struct mmu_notifier mn;
	unsigned long start;
	struct page *pages[NPAGES];
	int invalidations;
};

static int mirror_invalidate(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct mirror *m = (struct mirror *)mn;

	m->invalidations++;
	for (int i = 0; i < NPAGES; i++) {
		unsigned long addr = m->start + (unsigned long)i * PAGE_SIZE;

		if (m->pages[i] && addr >= range->start && addr < range->end) {
			put_page(m->pages[i]);	/* drop the device's reference */
			m->pages[i] = NULL;
		}
	}
	return 0;
}

static const struct mmu_notifier_ops mirror_ops = {
	.invalidate_range_start = mirror_invalidate,
};

int main(void)
{
	struct gupsim *sim = story_machine(64, 0);
	unsigned long free_before = gupsim_nr_free_pages(sim);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct mirror m = { .mn = { .ops = &mirror_ops } };
	int n;

	say("CASE 3: MMU-notifier driver -- plain references, dropped on invalidation");
	kthread_use_mm(mm);

	step("The driver registers an MMU notifier on the process.");
	expect(mmu_notifier_register(&m.mn, mm) == 0);

	step("It mirrors 4 pages with get_user_pages_fast(FOLL_WRITE).");
	m.start = gupsim_mmap(mm, 0, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	n = get_user_pages_fast(m.start, NPAGES, FOLL_WRITE, m.pages);
	expect(n == NPAGES);
	show(sim, "page 0", m.pages[0]);
	show_vmstat(sim);
	say("    FOLL_GET adds 1 per page and no pin is counted");
	expect(page_count(m.pages[0]) == 2);
	expect(!folio_maybe_dma_pinned(page_folio(m.pages[0])));
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) == 0);

	step("The process unmaps the range: the notifier fires first.");
	expect(gupsim_munmap(mm, m.start, NPAGES * PAGE_SIZE) == 0);
	say("    invalidate_range_start called %d time(s); the driver let go of every page",
	    m.invalidations);
	expect(m.invalidations >= 1);
	for (int i = 0; i < NPAGES; i++)
		expect(m.pages[i] == NULL);

	mmu_notifier_unregister(&m.mn, mm);
	kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	say("\nEvery page and page table is back in the allocator: %s",
	    gupsim_nr_free_pages(sim) == free_before ? "yes" : "no");
	expect(gupsim_nr_free_pages(sim) == free_before);
	expect(gupsim_check(sim) == 0);
	gupsim_destroy(sim);
	return 0;
}
