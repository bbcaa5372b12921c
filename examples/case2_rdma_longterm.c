// SPDX-License-Identifier: MIT
/*
 * CASE 2: RDMA -- a long-lived DMA buffer: FOLL_PIN | FOLL_LONGTERM.
 *
 * A long-term pin must not sit in memory the kernel wants to keep movable
 * (ZONE_MOVABLE, CMA): pin_user_pages() first migrates such pages to
 * ordinary memory, then pins the copies. And a writable long-term pin of a
 * shared mapping of a disk file is refused: the file system could not
 * write the page back while a device writes to it at any time.
 */
#include <string.h>
#include "story.h"

#define NPAGES 8

int main(void)
{
	/* 64 MiB of ordinary memory and 64 MiB of ZONE_MOVABLE: user memory
	 * is placed in ZONE_MOVABLE first (docs/api.md, placement policy) */
	struct gupsim *sim = story_machine(64, 64);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct page *pages[NPAGES];
	struct page *before;
	struct file *file;
	unsigned long buf, fbuf;
	char seen[8];
	long n;

	say("CASE 2: RDMA -- FOLL_PIN | FOLL_LONGTERM, and migration out of ZONE_MOVABLE");
	kthread_use_mm(mm);

	step("The application fills a 32 KiB buffer; it lands in ZONE_MOVABLE.");
	buf = gupsim_mmap(mm, 0, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	for (int i = 0; i < NPAGES; i++)
		expect(gupsim_write(mm, buf + i * PAGE_SIZE, "rdma", 5) == 5);
	before = gupsim_follow_page(mm, buf);
	show(sim, "page 0", before);
	say("    zone: %s", page_zonenum(before) == ZONE_MOVABLE ? "ZONE_MOVABLE" : "other");
	expect(page_zonenum(before) == ZONE_MOVABLE);
	expect(!folio_is_longterm_pinnable(page_folio(before)));

	step("ibv_reg_mr(): pin_user_pages(FOLL_WRITE | FOLL_LONGTERM).");
	mmap_read_lock(mm);
	n = pin_user_pages(buf, NPAGES, FOLL_WRITE | FOLL_LONGTERM, pages);
	mmap_read_unlock(mm);
	expect(n == NPAGES);
	show(sim, "page 0", pages[0]);
	say("    zone now: %s; the pfn changed: the page was migrated, contents and all",
	    page_zonenum(pages[0]) == ZONE_NORMAL ? "ZONE_NORMAL" : "other");
	expect(page_zonenum(pages[0]) == ZONE_NORMAL);
	expect(pages[0] != before);
	expect(gupsim_follow_page(mm, buf) == pages[0]);
	expect(!memcmp(page_address(pages[0]), "rdma", 5));
	say("    longterm migrations: %lu", gupsim_vmstat(sim, GUPSIM_NR_LONGTERM_MIGRATIONS));
	expect(gupsim_vmstat(sim, GUPSIM_NR_LONGTERM_MIGRATIONS) == NPAGES);
	show_vmstat(sim);

	step("The NIC writes into the region at any time; the process sees it.");
	expect(gupsim_dma_write(pages[3], 0, "nic", 4) == 4);
	expect(gupsim_read(mm, buf + 3 * PAGE_SIZE, seen, 4) == 4);
	expect(!strcmp(seen, "nic"));
	say("    \"%s\"", seen);

	step("ibv_dereg_mr(): unpin_user_pages_dirty_lock(pages, 8, true).");
	unpin_user_pages_dirty_lock(pages, NPAGES, true);
	show_vmstat(sim);

	step("Registering a shared mapping of a disk file is refused.");
	file = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "data.bin", NPAGES * PAGE_SIZE);
	fbuf = gupsim_mmap(mm, 0, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	expect(gupsim_write(mm, fbuf, "x", 1) == 1);
	n = pin_user_pages_fast(fbuf, NPAGES, FOLL_WRITE | FOLL_LONGTERM, pages);
	say("    pin_user_pages_fast() = %ld (-EFAULT): the file needs dirty tracking", n);
	expect(n == -EFAULT);
	n = pin_user_pages_fast(fbuf, NPAGES, FOLL_LONGTERM, pages);
	say("    a read-only long-term pin of it is fine: %ld", n);
	expect(n == NPAGES);
	unpin_user_pages(pages, NPAGES);
	show_vmstat(sim);
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) ==
	       gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED));

	gupsim_file_put(file);
	kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	expect(gupsim_check(sim) == 0);
	gupsim_destroy(sim);
	return 0;
}
