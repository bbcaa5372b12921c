// SPDX-License-Identifier: MIT
/*
 * CASE 4: only the struct page is needed, never the data. For instance a
 * driver that looks up which zone a user page lives in, or whether it is
 * anonymous and exclusive. Plain get_user_pages() is right: a reference
 * keeps the struct page valid; nothing reads or writes the memory, so no
 * pin is taken and none is counted.
 */
#include "story.h"

int main(void)
{
	struct gupsim *sim = story_machine(64, 0);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct page *page;
	unsigned long buf;
	long n;

	say("CASE 4: only the struct page -- get_user_pages(), then put_page()");
	kthread_use_mm(mm);
	buf = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	expect(gupsim_write(mm, buf, "x", 1) == 1);

	step("get_user_pages(buf, 1, 0, &page) under the mmap lock.");
	mmap_read_lock(mm);
	n = get_user_pages(buf, 1, 0, &page);
	mmap_read_unlock(mm);
	expect(n == 1);
	show(sim, "page", page);
	show_vmstat(sim);
	say("    zone %d, anon %s, exclusive %s", page_zonenum(page),
	    folio_test_anon(page_folio(page)) ? "yes" : "no",
	    PageAnonExclusive(page) ? "yes" : "no");
	expect(page_count(page) == 2);
	expect(gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) == 0);

	step("put_page(page): the reference goes, nothing was pinned.");
	put_page(page);
	show(sim, "page", page);
	expect(page_count(page) == 1);

	step("Read the zero page the same way: a plain reference counts on it too.");
	buf = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	mmap_read_lock(mm);
	n = get_user_pages(buf, 1, 0, &page);
	mmap_read_unlock(mm);
	expect(n == 1 && is_zero_page(page));
	say("    an untouched read-only page is the shared zero page: is_zero_page() = yes");
	put_page(page);

	kthread_unuse_mm(mm);
	gupsim_mm_put(mm);
	expect(gupsim_check(sim) == 0);
	gupsim_destroy(sim);
	return 0;
}
