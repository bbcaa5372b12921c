/* SPDX-License-Identifier: MIT */
/*
 * The long-term half of the kernel's gup_test module (semantics.md §9.1), as
 * the selftests use it: PIN_LONGTERM_TEST_START pins a range with
 * FOLL_LONGTERM (+ FOLL_WRITE), through pin_user_pages() under the mmap
 * lock or pin_user_pages_fast(), until everything is pinned or a call
 * fails; _READ copies the pinned pages' current contents through the
 * kernel mapping (page_address); _STOP unpins.
 */
#ifndef GUPSIM_TEST_GUP_TEST_MODULE_H
#define GUPSIM_TEST_GUP_TEST_MODULE_H

#include "gup_fixture.h"

#define PIN_LONGTERM_TEST_FLAG_USE_WRITE	1
#define PIN_LONGTERM_TEST_FLAG_USE_FAST		2

struct pin_longterm_test {
	struct page **pages;
	unsigned long nr_pages;
	unsigned long nr_pinned;
};

/* PIN_LONGTERM_TEST_START: 0, or the errno of the call that failed. */
static inline long pin_longterm_test_start(struct gup_fx *fx, struct pin_longterm_test *t,
					   unsigned long addr, size_t size, unsigned int flags)
{
	unsigned int gup_flags = FOLL_LONGTERM;

	if ((addr | size) & (PAGE_SIZE - 1) || !size)
		return -EINVAL;
	if (flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE)
		gup_flags |= FOLL_WRITE;
	t->nr_pages = size / PAGE_SIZE;
	t->nr_pinned = 0;
	t->pages = (struct page **)calloc(t->nr_pages, sizeof(*t->pages));
	if (!t->pages)
		return -ENOMEM;
	while (t->nr_pinned < t->nr_pages) {
		unsigned long start = addr + t->nr_pinned * PAGE_SIZE;
		unsigned long left = t->nr_pages - t->nr_pinned;
		long ret;

		if (flags & PIN_LONGTERM_TEST_FLAG_USE_FAST)
			ret = gupsim_pin_user_pages_fast(start, (int)left, gup_flags,
							 t->pages + t->nr_pinned);
		else
			ret = fx_pup(fx, start, left, gup_flags, t->pages + t->nr_pinned);
		if (ret < 0) {
			gupsim_unpin_user_pages(t->pages, t->nr_pinned);
			free(t->pages);
			t->pages = NULL;
			t->nr_pinned = 0;
			return ret;
		}
		t->nr_pinned += (unsigned long)ret;
	}
	return 0;
}

/* PIN_LONGTERM_TEST_READ: what the device would read from each pinned page. */
static inline void pin_longterm_test_read(const struct pin_longterm_test *t, void *buf)
{
	for (unsigned long i = 0; i < t->nr_pinned; i++)
		memcpy((char *)buf + i * PAGE_SIZE, gupsim_page_address(t->pages[i]), PAGE_SIZE);
}

static inline void pin_longterm_test_stop(struct pin_longterm_test *t)
{
	if (t->pages)
		gupsim_unpin_user_pages(t->pages, t->nr_pinned);
	free(t->pages);
	t->pages = NULL;
	t->nr_pinned = 0;
}

/* What the process sees at [addr, addr + size), through its own mapping. */
static inline void read_user(struct mm_struct *mm, unsigned long addr, void *buf, size_t size)
{
	assert_int_equal(gupsim_read(mm, addr, buf, size), (long)size);
}

static inline void fill_user(struct mm_struct *mm, unsigned long addr, int byte, size_t size)
{
	unsigned char *buf = (unsigned char *)malloc(size);

	assert_non_null(buf);
	memset(buf, byte, size);
	assert_int_equal(gupsim_write(mm, addr, buf, size), (long)size);
	free(buf);
}

#endif /* GUPSIM_TEST_GUP_TEST_MODULE_H */
