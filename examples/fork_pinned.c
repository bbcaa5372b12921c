// SPDX-License-Identifier: MIT
/*
 * fork() with a pinned buffer. A pinned anonymous page is never shared
 * copy-on-write with a child: fork copies it for the child at once, so the
 * device keeps writing into the parent's page and the parent keeps seeing
 * those writes (copy_present_page(), docs/semantics.md §5.4; measured on
 * a live Linux 6.18 kernel). Unpinned pages stay shared.
 */
#include <string.h>
#include "story.h"

int main(void)
{
	struct gupsim *sim = story_machine(64, 0);
	struct mm_struct *parent = gupsim_mm_create(sim), *child;
	struct page *pinned;
	unsigned long buf;
	char p[8], c[8];

	say("fork() with a pinned buffer: the child gets a copy, the device stays with the parent");
	kthread_use_mm(parent);
	buf = gupsim_mmap(parent, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	expect(gupsim_write(parent, buf, "before", 7) == 7);
	expect(gupsim_write(parent, buf + PAGE_SIZE, "control", 8) == 8);

	step("A driver pins page 0 long-term (FOLL_WRITE | FOLL_LONGTERM).");
	expect(pin_user_pages_fast(buf, 1, FOLL_WRITE | FOLL_LONGTERM, &pinned) == 1);
	show(sim, "page 0 (pinned)", pinned);
	say("    MMF_HAS_PINNED is now set on the parent: %s",
	    gupsim_mm_has_pinned(parent) ? "yes" : "no");

	step("fork().");
	child = gupsim_fork(parent);
	expect(!IS_ERR(child));
	say("    page 0: parent pfn %#lx, child pfn %#lx -> copied at fork",
	    page_to_pfn(gupsim_follow_page(parent, buf)), page_to_pfn(gupsim_follow_page(child, buf)));
	say("    page 1: parent pfn %#lx, child pfn %#lx -> shared copy-on-write",
	    page_to_pfn(gupsim_follow_page(parent, buf + PAGE_SIZE)),
	    page_to_pfn(gupsim_follow_page(child, buf + PAGE_SIZE)));
	expect(gupsim_follow_page(parent, buf) == pinned);
	expect(gupsim_follow_page(child, buf) != pinned);
	expect(gupsim_follow_page(child, buf + PAGE_SIZE) == gupsim_follow_page(parent, buf + PAGE_SIZE));
	say("    fork copies of pinned pages: %lu", gupsim_vmstat(sim, GUPSIM_NR_FORK_PINNED_COPIES));
	say("    the child did not inherit MMF_HAS_PINNED: %s", gupsim_mm_has_pinned(child) ? "no" : "yes");
	expect(!gupsim_mm_has_pinned(child));

	step("The device writes into the pinned page.");
	expect(gupsim_dma_write(pinned, 0, "device", 7) == 7);
	expect(gupsim_read(parent, buf, p, 7) == 7);
	expect(gupsim_read(child, buf, c, 7) == 7);
	say("    parent reads \"%s\", child reads \"%s\"", p, c);
	expect(!strcmp(p, "device") && !strcmp(c, "before"));

	unpin_user_page(pinned);
	gupsim_mm_put(child);
	kthread_unuse_mm(parent);
	gupsim_mm_put(parent);
	expect(gupsim_check(sim) == 0);
	gupsim_destroy(sim);
	return 0;
}
