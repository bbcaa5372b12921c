// SPDX-License-Identifier: MIT
/*
 * CASE 1 of Documentation/core-api/pin_user_pages.rst: Direct IO.
 *
 * A read(2) with O_DIRECT lets the disk DMA straight into the user's
 * buffer. The kernel pins the buffer with FOLL_PIN for the duration of the
 * I/O (short-term: no FOLL_LONGTERM), the device writes, and the pages are
 * unpinned and marked dirty when the I/O completes.
 */
#include <string.h>
#include "story.h"

#define NPAGES 4

int main(void)
{
	struct gupsim *sim = story_machine(64, 0);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct page *pages[NPAGES];
	const char disk[] = "data from the disk";
	char seen[sizeof(disk)];
	unsigned long buf;
	long n;

	say("CASE 1: Direct IO -- a short-term FOLL_PIN on the user's buffer");
	kthread_use_mm(mm);

	step("The process maps a 16 KiB buffer and touches it.");
	buf = gupsim_mmap(mm, 0, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	expect(!IS_ERR_VALUE(buf));
	for (int i = 0; i < NPAGES; i++)
		expect(gupsim_write(mm, buf + i * PAGE_SIZE, "u", 1) == 1);
	show(sim, "page 0", gupsim_follow_page(mm, buf));
	say("    one reference: the page-table mapping");

	step("read(O_DIRECT) pins the buffer: pin_user_pages_fast(FOLL_WRITE).");
	say("    FOLL_WRITE because the device will write into memory");
	n = pin_user_pages_fast(buf, NPAGES, FOLL_WRITE, pages);
	expect(n == NPAGES);
	show(sim, "page 0", pages[0]);
	show_vmstat(sim);
	say("    a small page's pin adds GUP_PIN_COUNTING_BIAS (1024) to its refcount");
	expect(page_count(pages[0]) == 1 + 1024);
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) == NPAGES);

	step("The disk DMAs into the pinned pages (no fault, no COW).");
	expect(gupsim_dma_write(pages[1], 0, disk, sizeof(disk)) == (long)sizeof(disk));

	step("I/O completes: unpin_user_pages_dirty_lock(pages, 4, true).");
	unpin_user_pages_dirty_lock(pages, NPAGES, true);
	show(sim, "page 0", gupsim_follow_page(mm, buf));
	show_vmstat(sim);
	expect(page_count(gupsim_follow_page(mm, buf)) == 1);
	expect(folio_test_dirty(page_folio(gupsim_follow_page(mm, buf + PAGE_SIZE))));
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED) == NPAGES);

	step("The process reads what the disk wrote.");
	expect(gupsim_read(mm, buf + PAGE_SIZE, seen, sizeof(seen)) == (long)sizeof(seen));
	say("    \"%s\"", seen);
	expect(!memcmp(seen, disk, sizeof(disk)));

	say("\nacquired == released: every short-term pin was returned.");
	kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	expect(gupsim_check(sim) == 0);
	gupsim_destroy(sim);
	return 0;
}
