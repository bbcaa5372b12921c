// SPDX-License-Identifier: MIT
/*
 * CASE 5: "pin, write to the page's data, unpin" -- even without a device.
 * Code that writes into user pages through the kernel mapping must use
 * FOLL_PIN, not get_user_pages() + put_page(): only a pin tells the rest of
 * the kernel (writeback, page_mkclean) that the page may change behind the
 * page tables' back. Here a file's writeback runs while the page is pinned
 * and sees folio_maybe_dma_pinned(); with a plain reference it cannot.
 */
#include <string.h>
#include "story.h"

int main(void)
{
	struct gupsim *sim = story_machine(64, 0);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "log.txt", PAGE_SIZE);
	struct page *page;
	unsigned long map;
	char seen[16];
	long n;

	say("CASE 5: writing to a page's data -- FOLL_PIN, then a dirty unpin");
	kthread_use_mm(mm);
	map = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	expect(!IS_ERR_VALUE(map));
	expect(gupsim_write(mm, map, "hello", 6) == 6);

	step("pin_user_pages_fast(FOLL_WRITE) on a shared file mapping (short-term: allowed).");
	n = pin_user_pages_fast(map, 1, FOLL_WRITE, &page);
	expect(n == 1);
	show(sim, "file page", page);
	show_vmstat(sim);

	step("The kernel writes into the page through its own mapping.");
	memcpy((char *)page_address(page) + 6, "world", 6);

	step("Writeback runs now: it sees the page may be pinned.");
	n = gupsim_file_writeback(file);
	say("    written back: %ld folio(s); of which maybe DMA-pinned: %lu", n,
	    gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED));
	expect(n == 1);
	expect(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED) == 1);

	step("unpin_user_pages_dirty_lock(&page, 1, true): the folio is dirty again.");
	unpin_user_pages_dirty_lock(&page, 1, true);
	expect(folio_test_dirty(page_folio(page)));
	show(sim, "file page", page);
	show_vmstat(sim);
	expect(gupsim_read(mm, map + 6, seen, 6) == 6);
	say("    the process reads \"%s\"", seen);
	expect(!strcmp(seen, "world"));

	step("The wrong way: get_user_pages_fast() + put_page().");
	n = get_user_pages_fast(map, 1, FOLL_WRITE, &page);
	expect(n == 1);
	memcpy(page_address(page), "HELLO", 5);
	n = gupsim_file_writeback(file);
	say("    writeback of %ld folio(s): pinned ones seen: still %lu -- it cannot know",
	    n, gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED));
	expect(gupsim_vmstat(sim, GUPSIM_NR_WRITEBACK_PINNED) == 1);
	put_page(page);

	gupsim_file_put(file);
	kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	expect(gupsim_check(sim) == 0);
	gupsim_destroy(sim);
	return 0;
}
