// SPDX-License-Identifier: MIT
/*
 * The gup_test kernel module (mm/gup_test.c, CONFIG_GUP_TEST), commands
 * 1-6, re-implemented from semantics.md §9.1 on the gupsim API. The calling thread
 * has adopted the process's mm (kthread_use_mm), so the *_fast and plain
 * GUP calls act on it, as they act on current->mm in the ioctl.
 *
 * Its "dmesg" (WARN, pr_warn, pr_info and dump_page) goes to stderr, the
 * machine's default log stream.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gupsim/kernel.h>
#include "gup_test.h"

/* The kernel log: where the machine's dump_page() output goes too. */
#define klog	stderr

static long long ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ktime_us_delta(): whole microseconds. */
static __u64 ktime_us_delta(long long later, long long earlier)
{
	return (__u64)((later - earlier) / 1000);
}

/*
 * WARN(1, fmt, ...) from the module: the lib's WARN layout ("WARNING: CPU:
 * 0 PID: <tid> at <file>:<line> <func>", then the message). The module is
 * not part of the library, so the report goes straight to the log.
 */
static __attribute__((format(printf, 3, 4)))
void module_warn(int line, const char *func, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(klog, "WARNING: CPU: 0 PID: %d at mm/gup_test.c:%d %s\n",
		current->pid, line, func);
	va_start(ap, fmt);
	vfprintf(klog, fmt, ap);
	va_end(ap);
	fflush(klog);
}

static bool is_pin_command(unsigned int cmd)
{
	return cmd == PIN_FAST_BENCHMARK || cmd == PIN_BASIC_TEST ||
	       cmd == PIN_LONGTERM_BENCHMARK;
}

/* Untimed: every page a PIN_* command got must look dma-pinned. */
static void verify_dma_pinned(unsigned int cmd, struct page **pages, unsigned long nr_pages)
{
	if (!is_pin_command(cmd))
		return;
	for (unsigned long i = 0; i < nr_pages; i++) {
		struct folio *folio = page_folio(pages[i]);

		if (!folio_maybe_dma_pinned(folio)) {
			module_warn(__LINE__, __func__, "pages[%lu] is NOT dma-pinned\n", i);
			dump_page(&folio->page, "gup_test failure");
			break;
		}
		if (cmd == PIN_LONGTERM_BENCHMARK && !folio_is_longterm_pinnable(folio)) {
			module_warn(__LINE__, __func__,
				    "pages[%lu] is NOT pinnable but pinned\n", i);
			dump_page(&folio->page, "gup_test failure");
			break;
		}
	}
}

static void put_back_pages(unsigned int cmd, struct page **pages, unsigned long nr_pages,
			   unsigned int test_flags)
{
	bool pinned = is_pin_command(cmd) ||
		      (cmd == DUMP_USER_PAGES_TEST &&
		       (test_flags & GUP_TEST_FLAG_DUMP_PAGES_USE_PIN));

	if (pinned) {
		unpin_user_pages(pages, nr_pages);
		return;
	}
	for (unsigned long i = 0; i < nr_pages; i++)
		put_page(pages[i]);
}

static void dump_pages_test(struct gup_test *gup, struct page **pages, unsigned long nr_pages)
{
	unsigned int i;

	/* which_pages[] is 1-based: anything past what was pinned is dropped */
	for (i = 0; i < GUP_TEST_MAX_PAGES_TO_DUMP; i++) {
		if (gup->which_pages[i] > nr_pages) {
			fprintf(klog, "ZEROING due to out of range: .which_pages[%u]: %u\n",
				i, gup->which_pages[i]);
			gup->which_pages[i] = 0;
		}
	}
	for (i = 0; i < GUP_TEST_MAX_PAGES_TO_DUMP; i++) {
		unsigned int index_to_dump = gup->which_pages[i];

		if (!index_to_dump)
			continue;
		index_to_dump--;
		fprintf(klog, "---- page #%u, starting from user virt addr: 0x%llx\n",
			index_to_dump, (unsigned long long)gup->addr);
		fflush(klog);
		dump_page(pages[index_to_dump], "gup_test: dump_pages() test");
	}
	fflush(klog);
}

/* One GUP call of the loop: the API each command benchmarks. */
static long gup_call(unsigned int cmd, const struct gup_test *gup, unsigned long addr,
		     long nr, struct page **pages)
{
	switch (cmd) {
	case GUP_FAST_BENCHMARK:
		return get_user_pages_fast(addr, (int)nr, gup->gup_flags, pages);
	case PIN_FAST_BENCHMARK:
		return pin_user_pages_fast(addr, (int)nr, gup->gup_flags, pages);
	case PIN_LONGTERM_BENCHMARK:
		return pin_user_pages(addr, (unsigned long)nr, gup->gup_flags | FOLL_LONGTERM,
				      pages);
	case GUP_BASIC_TEST:
		return get_user_pages(addr, (unsigned long)nr, gup->gup_flags, pages);
	case PIN_BASIC_TEST:
		return pin_user_pages(addr, (unsigned long)nr, gup->gup_flags, pages);
	case DUMP_USER_PAGES_TEST:
		if (gup->test_flags & GUP_TEST_FLAG_DUMP_PAGES_USE_PIN)
			return pin_user_pages(addr, (unsigned long)nr, gup->gup_flags, pages);
		return get_user_pages(addr, (unsigned long)nr, gup->gup_flags, pages);
	}
	return -EINVAL;
}

/*
 * The timed loop. Returns the number of pages obtained; *end is where it
 * stopped. After a short (but positive) call, addr has already moved past
 * the whole requested chunk, so the reported size includes it (semantics.md §9.1).
 */
static unsigned long gup_loop(unsigned int cmd, struct gup_test *gup, struct page **pages,
			      unsigned long *end)
{
	unsigned long i = 0, addr, next;
	long nr = gup->nr_pages_per_call;

	for (addr = gup->addr; addr < gup->addr + gup->size; addr = next) {
		if (nr != (long)gup->nr_pages_per_call)
			break;
		next = addr + (unsigned long)nr * PAGE_SIZE;
		if (next > gup->addr + gup->size) {
			next = gup->addr + gup->size;
			nr = (long)((next - addr) / PAGE_SIZE);
		}
		nr = gup_call(cmd, gup, addr, nr, pages + i);
		if (nr <= 0)
			break;
		i += (unsigned long)nr;
	}
	*end = addr;
	return i;
}

static bool known_command(unsigned int cmd)
{
	switch (cmd) {
	case GUP_FAST_BENCHMARK:
	case PIN_FAST_BENCHMARK:
	case PIN_LONGTERM_BENCHMARK:
	case GUP_BASIC_TEST:
	case PIN_BASIC_TEST:
	case DUMP_USER_PAGES_TEST:
		return true;
	}
	return false;
}

int gup_test_ioctl(struct mm_struct *mm, unsigned int cmd, struct gup_test *gup)
{
	bool needs_mmap_lock = cmd != GUP_FAST_BENCHMARK && cmd != PIN_FAST_BENCHMARK;
	unsigned long nr_pages, end;
	struct page **pages;
	long long start_time, end_time;

	if (!known_command(cmd))
		return -EINVAL;
	if (gup->addr + gup->size < gup->addr)	/* addr + size overflows */
		return -EINVAL;

	nr_pages = gup->size / PAGE_SIZE;
	/* kvcalloc(0) succeeds (ZERO_SIZE_PTR): so does this */
	pages = calloc(nr_pages ? nr_pages : 1, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	if (needs_mmap_lock && mmap_read_lock_killable(mm)) {
		free(pages);
		return -EINTR;
	}

	start_time = ktime_get_ns();
	nr_pages = gup_loop(cmd, gup, pages, &end);	/* now: the pages obtained */
	end_time = ktime_get_ns();
	gup->get_delta_usec = ktime_us_delta(end_time, start_time);
	gup->size = end - gup->addr;

	verify_dma_pinned(cmd, pages, nr_pages);
	if (cmd == DUMP_USER_PAGES_TEST)
		dump_pages_test(gup, pages, nr_pages);

	start_time = ktime_get_ns();
	put_back_pages(cmd, pages, nr_pages, gup->test_flags);
	end_time = ktime_get_ns();
	gup->put_delta_usec = ktime_us_delta(end_time, start_time);

	if (needs_mmap_lock)
		mmap_read_unlock(mm);
	free(pages);
	return 0;
}
