// SPDX-License-Identifier: MIT
/*
 * tools/testing/selftests/mm/cow.c (semantics.md §9.4): the anonymous test
 * cases on every memory variant gupsim has (base page, THP, PTE-mapped THP,
 * single PTE of THP, hugetlb), and the non-anonymous ones (zero page, huge
 * zero page, memfd, tmpfile, memfd hugetlb), each named as the selftest
 * prints it, with the kernel's outcome: PASS everywhere, except that the
 * vmsplice() cases leak on hugetlb (XFAIL: hugetlb_wp() reuses by
 * mapcount, not refcount; semantics.md §10).
 *
 * A forked child is an mm of its own here; "the child does X" is X on the
 * child mm. vmsplice() is a FOLL_GET R/O get_user_pages_fast() whose pages
 * are read back later through page_address(), as the pipe would.
 * Not ported: the swapped-out and mremap()/MADV_DOFORK variants and the
 * MADV_COLLAPSE cases (gupsim has no swap, mremap, MADV_DOFORK or khugepaged).
 */
#include <stdio.h>

#include "gup_test_module.h"

enum anon_kind { BASE, THP, PTE_THP, SINGLE_PTE_THP, HUGETLB };

struct variant {
	const char *name;
	int kind;		/* enum anon_kind or enum nonanon_kind */
};

static const struct variant anon_variants[] = {
	{ "base page", BASE },
	{ "THP (2048 kB)", THP },
	{ "PTE-mapped THP (2048 kB)", PTE_THP },
	{ "single PTE of THP (2048 kB)", SINGLE_PTE_THP },
	{ "hugetlb (2048 kB)", HUGETLB },
};

struct anon_case {
	const char *desc;
	void (*fn)(struct gup_fx *fx, unsigned long mem, size_t size, bool hugetlb);
};

/* ---- helpers ---- */

static struct mm_struct *current_mm_switch(struct gup_fx *fx, struct mm_struct *mm)
{
	struct mm_struct *old = gupsim_current()->mm;

	(void)fx;
	if (old)
		gupsim_kthread_unuse_mm(old);
	gupsim_kthread_use_mm(mm);
	return old;
}

static unsigned char *snapshot(struct mm_struct *mm, unsigned long addr, size_t size)
{
	unsigned char *buf = malloc(size);

	assert_non_null(buf);
	read_user(mm, addr, buf, size);
	return buf;
}

/* vmsplice(): FOLL_GET, read-only, by the mm's own thread. */
static struct page **vmsplice_get(struct gup_fx *fx, struct mm_struct *mm, unsigned long addr,
				  size_t size)
{
	int nr = (int)(size / PAGE_SIZE);
	struct page **pages = calloc((size_t)nr, sizeof(*pages));
	struct mm_struct *old = current_mm_switch(fx, mm);

	assert_int_equal(gupsim_get_user_pages_fast(addr, nr, 0, pages), nr);
	current_mm_switch(fx, old);
	return pages;
}

/* Reading the pipe: the contents of the referenced pages; then put them. */
static bool vmsplice_read_matches(struct page **pages, const unsigned char *expect, size_t size)
{
	bool same = true;

	for (size_t i = 0; i < size / PAGE_SIZE; i++) {
		if (memcmp(gupsim_page_address(pages[i]), expect + i * PAGE_SIZE, PAGE_SIZE))
			same = false;
		gupsim_put_page(pages[i]);
	}
	free(pages);
	return same;
}

static void mprotect_optimization(struct gup_fx *fx, unsigned long mem, size_t size)
{
	assert_int_equal(gupsim_mprotect(fx->mm, mem, size, PROT_READ), 0);
	assert_int_equal(gupsim_mprotect(fx->mm, mem, size, PROT_READ | PROT_WRITE), 0);
}

/* ---- "Basic COW after fork()" (+ mprotect() optimization) ---- */

static void do_test_cow_in_parent(struct gup_fx *fx, unsigned long mem, size_t size,
				  bool do_mprotect)
{
	struct mm_struct *child = gupsim_fork(fx->mm);
	unsigned char *old, *now;

	assert_false(IS_ERR(child));
	old = snapshot(child, mem, size);
	if (do_mprotect)
		mprotect_optimization(fx, mem, size);
	fill_user(fx->mm, mem, 0xff, size);
	now = snapshot(child, mem, size);
	/* "No leak from parent into child" */
	assert_memory_equal(now, old, size);
	free(now);
	now = snapshot(fx->mm, mem, size);
	assert_int_equal(now[size - 1], 0xff);
	free(now);
	free(old);
	gupsim_mm_put(child);
}

static void test_cow_in_parent(struct gup_fx *fx, unsigned long mem, size_t size, bool h)
{
	(void)h;
	do_test_cow_in_parent(fx, mem, size, false);
}

static void test_cow_in_parent_mprotect(struct gup_fx *fx, unsigned long mem, size_t size,
					bool h)
{
	(void)h;
	do_test_cow_in_parent(fx, mem, size, true);
}

/* ---- vmsplice() cases: R/O GET references must not see later writes ---- */

static void expect_vmsplice(bool same, bool hugetlb)
{
	/* hugetlb: the kernel leaks here, and so does gupsim (XFAIL) */
	if (hugetlb)
		assert_false(same);
	else
		assert_true(same);
}

static void do_test_vmsplice_in_child(struct gup_fx *fx, unsigned long mem, size_t size,
				      bool hugetlb, bool do_mprotect)
{
	struct mm_struct *child = gupsim_fork(fx->mm);
	unsigned char *old;
	struct page **pages;

	assert_false(IS_ERR(child));
	old = snapshot(child, mem, size);
	pages = vmsplice_get(fx, child, mem, size);
	assert_int_equal(gupsim_munmap(child, mem, size), 0);
	if (do_mprotect)
		mprotect_optimization(fx, mem, size);
	fill_user(fx->mm, mem, 0xff, size);
	/* "No leak from parent into child" */
	expect_vmsplice(vmsplice_read_matches(pages, old, size), hugetlb);
	free(old);
	gupsim_mm_put(child);
}

static void test_vmsplice_in_child(struct gup_fx *fx, unsigned long mem, size_t size, bool h)
{
	do_test_vmsplice_in_child(fx, mem, size, h, false);
}

static void test_vmsplice_in_child_mprotect(struct gup_fx *fx, unsigned long mem, size_t size,
					    bool h)
{
	do_test_vmsplice_in_child(fx, mem, size, h, true);
}

static void do_test_vmsplice_in_parent(struct gup_fx *fx, unsigned long mem, size_t size,
				       bool hugetlb, bool before_fork)
{
	struct mm_struct *child = NULL;
	struct page **pages = NULL;
	unsigned char *old = snapshot(fx->mm, mem, size);

	if (before_fork)
		pages = vmsplice_get(fx, fx->mm, mem, size);
	child = gupsim_fork(fx->mm);
	assert_false(IS_ERR(child));
	if (!before_fork)
		pages = vmsplice_get(fx, fx->mm, mem, size);
	assert_int_equal(gupsim_munmap(fx->mm, mem, size), 0);
	fill_user(child, mem, 0xff, size);
	/* "No leak from child into parent" */
	expect_vmsplice(vmsplice_read_matches(pages, old, size), hugetlb);
	free(old);
	gupsim_mm_put(child);
}

static void test_vmsplice_before_fork(struct gup_fx *fx, unsigned long mem, size_t size, bool h)
{
	do_test_vmsplice_in_parent(fx, mem, size, h, true);
}

static void test_vmsplice_after_fork(struct gup_fx *fx, unsigned long mem, size_t size, bool h)
{
	do_test_vmsplice_in_parent(fx, mem, size, h, false);
}

/* ---- io_uring fixed buffers: R/W long-term pins ---- */

static long iouring_register(struct gup_fx *fx, unsigned long mem, size_t size,
			     struct pin_longterm_test *t)
{
	t->nr_pages = size / PAGE_SIZE;
	t->pages = calloc(t->nr_pages, sizeof(*t->pages));
	t->nr_pinned = 0;
	if (gupsim_pin_user_pages_fast(mem, (int)t->nr_pages, FOLL_WRITE | FOLL_LONGTERM,
				       t->pages) != (long)t->nr_pages)
		return -EFAULT;
	t->nr_pinned = t->nr_pages;
	return 0;
}

/* The device reads the buffer: is it what the process wrote? */
static void expect_pin_reliable(struct gup_fx *fx, const struct pin_longterm_test *t,
				unsigned long mem, size_t size)
{
	unsigned char *dev = malloc(size);
	unsigned char *cpu = snapshot(fx->mm, mem, size);

	assert_non_null(dev);
	pin_longterm_test_read(t, dev);
	/* "Longterm R/W pin is reliable" / "Longterm R/O pin is reliable" */
	assert_memory_equal(dev, cpu, size);
	free(dev);
	free(cpu);
}

static void test_iouring_ro(struct gup_fx *fx, unsigned long mem, size_t size, bool h)
{
	struct pin_longterm_test t;
	long acq = ACQ(fx);

	(void)h;
	assert_int_equal(iouring_register(fx, mem, size, &t), 0);
	assert_int_equal(ACQ(fx) - acq, (long)(size / PAGE_SIZE));
	mprotect_optimization(fx, mem, size);
	fill_user(fx->mm, mem, 0xff, size);
	expect_pin_reliable(fx, &t, mem, size);
	pin_longterm_test_stop(&t);
}

static void test_iouring_fork(struct gup_fx *fx, unsigned long mem, size_t size, bool h)
{
	struct pin_longterm_test t;
	struct mm_struct *child;
	long copies = STAT(fx, GUPSIM_NR_FORK_PINNED_COPIES);

	(void)h;
	assert_int_equal(iouring_register(fx, mem, size, &t), 0);
	child = gupsim_fork(fx->mm);
	assert_false(IS_ERR(child));
	/* the pinned pages were copied for the child, not shared */
	assert_true(STAT(fx, GUPSIM_NR_FORK_PINNED_COPIES) > copies);
	assert_ptr_not_equal(gupsim_follow_page(child, mem), t.pages[0]);
	fill_user(fx->mm, mem, 0xff, size);
	expect_pin_reliable(fx, &t, mem, size);
	pin_longterm_test_stop(&t);
	gupsim_mm_put(child);
}

/* ---- R/O long-term pins on R/O-mapped pages ---- */

enum ro_pin_kind { RO_SHARED, RO_PREVIOUSLY_SHARED, RO_EXCLUSIVE };

static void do_test_ro_pin(struct gup_fx *fx, unsigned long mem, size_t size,
			   enum ro_pin_kind kind, bool fast)
{
	struct mm_struct *child = NULL;
	struct pin_longterm_test t = { 0 };
	long net = ACQ(fx) - REL(fx);

	if (kind != RO_EXCLUSIVE) {
		child = gupsim_fork(fx->mm);
		assert_false(IS_ERR(child));
		if (kind == RO_PREVIOUSLY_SHARED) {
			gupsim_mm_put(child);
			child = NULL;
		}
	}
	assert_int_equal(gupsim_mprotect(fx->mm, mem, size, PROT_READ), 0);
	assert_int_equal(pin_longterm_test_start(fx, &t, mem, size,
						 fast ? PIN_LONGTERM_TEST_FLAG_USE_FAST : 0), 0);
	/* net: GUP-fast may pin and put back a page that needs unsharing */
	assert_int_equal(ACQ(fx) - REL(fx) - net, (long)(size / PAGE_SIZE));
	assert_int_equal(gupsim_mprotect(fx->mm, mem, size, PROT_READ | PROT_WRITE), 0);
	fill_user(fx->mm, mem, 0xff, size);
	expect_pin_reliable(fx, &t, mem, size);
	pin_longterm_test_stop(&t);
	if (child) {
		unsigned char byte = 0;

		/* the child still sees the old contents */
		assert_int_equal(gupsim_read(child, mem, &byte, 1), 1);
		assert_int_equal(byte, 1);
		gupsim_mm_put(child);
	}
}

#define RO_PIN_FN(name, kind, fast)						\
static void name(struct gup_fx *fx, unsigned long mem, size_t size, bool h)	\
{										\
	(void)h;								\
	do_test_ro_pin(fx, mem, size, kind, fast);				\
}
RO_PIN_FN(test_ro_pin_on_shared, RO_SHARED, false)
RO_PIN_FN(test_ro_fast_pin_on_shared, RO_SHARED, true)
RO_PIN_FN(test_ro_pin_on_ro_previously_shared, RO_PREVIOUSLY_SHARED, false)
RO_PIN_FN(test_ro_fast_pin_on_ro_previously_shared, RO_PREVIOUSLY_SHARED, true)
RO_PIN_FN(test_ro_pin_on_ro_exclusive, RO_EXCLUSIVE, false)
RO_PIN_FN(test_ro_fast_pin_on_ro_exclusive, RO_EXCLUSIVE, true)

static const struct anon_case anon_cases[] = {
	{ "Basic COW after fork()", test_cow_in_parent },
	{ "Basic COW after fork() with mprotect() optimization", test_cow_in_parent_mprotect },
	{ "vmsplice() + unmap in child", test_vmsplice_in_child },
	{ "vmsplice() + unmap in child with mprotect() optimization",
	  test_vmsplice_in_child_mprotect },
	{ "vmsplice() before fork(), unmap in parent after fork()", test_vmsplice_before_fork },
	{ "vmsplice() + unmap in parent after fork()", test_vmsplice_after_fork },
	{ "R/O-mapping a page registered as iouring fixed buffer", test_iouring_ro },
	{ "fork() with an iouring fixed buffer", test_iouring_fork },
	{ "R/O GUP pin on R/O-mapped shared page", test_ro_pin_on_shared },
	{ "R/O GUP-fast pin on R/O-mapped shared page", test_ro_fast_pin_on_shared },
	{ "R/O GUP pin on R/O-mapped previously-shared page", test_ro_pin_on_ro_previously_shared },
	{ "R/O GUP-fast pin on R/O-mapped previously-shared page",
	  test_ro_fast_pin_on_ro_previously_shared },
	{ "R/O GUP pin on R/O-mapped exclusive page", test_ro_pin_on_ro_exclusive },
	{ "R/O GUP-fast pin on R/O-mapped exclusive page", test_ro_fast_pin_on_ro_exclusive },
};

/* Prepare the memory of an anon variant, populated with 1s; its size. */
static size_t anon_prepare(struct gup_fx *fx, enum anon_kind kind, unsigned long *mem)
{
	size_t size = PMD_SIZE;

	switch (kind) {
	case BASE:
		*mem = fx_map_anon(fx, 1);
		size = PAGE_SIZE;
		break;
	case HUGETLB:
		*mem = fx_mmap(fx, PMD_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, NULL);
		break;
	default:
		*mem = fx_map_thp(fx, 1);
		break;
	}
	fill_user(fx->mm, *mem, 1, size);
	if (kind == THP || kind == PTE_THP || kind == SINGLE_PTE_THP)
		assert_int_equal(gupsim_folio_order(gupsim_page_folio(fx_page(fx, *mem))),
				 HPAGE_PMD_ORDER);
	if (kind == PTE_THP || kind == SINGLE_PTE_THP) {
		/* PTE-map the THP by mapping one subpage R/O for a moment */
		assert_int_equal(gupsim_mprotect(fx->mm, *mem + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
		assert_int_equal(gupsim_mprotect(fx->mm, *mem + PAGE_SIZE, PAGE_SIZE,
						 PROT_READ | PROT_WRITE), 0);
	}
	if (kind == SINGLE_PTE_THP) {
		/* discard all but the first subpage */
		assert_int_equal(gupsim_madvise(fx->mm, *mem + PAGE_SIZE, PMD_SIZE - PAGE_SIZE,
						MADV_DONTNEED), 0);
		size = PAGE_SIZE;
	}
	return size;
}

/* ---- non-anonymous cases ---- */

enum nonanon_kind { ZEROPAGE, MEMFD, TMPFILE, HUGE_ZEROPAGE, MEMFD_HUGETLB };

static const struct variant nonanon_variants[] = {
	{ "shared zeropage", ZEROPAGE },
	{ "memfd", MEMFD },
	{ "tmpfile", TMPFILE },
	{ "huge zeropage", HUGE_ZEROPAGE },
	{ "memfd hugetlb (2048 kB)", MEMFD_HUGETLB },
};

struct nonanon_case {
	const char *desc;
	void (*fn)(struct gup_fx *fx, unsigned long mem, unsigned long smem, size_t size);
};

/* "Basic COW": writing the private mapping leaves the other one alone. */
static void test_cow(struct gup_fx *fx, unsigned long mem, unsigned long smem, size_t size)
{
	unsigned char *old = snapshot(fx->mm, smem, size);
	unsigned char *now;

	fill_user(fx->mm, mem, 0xff, size);
	now = snapshot(fx->mm, smem, size);
	/* "Other mapping not modified" */
	assert_memory_equal(now, old, size);
	free(now);
	free(old);
}

static void do_test_ro_pin_nonanon(struct gup_fx *fx, unsigned long mem, size_t size, bool fast)
{
	struct pin_longterm_test t = { 0 };
	long net = ACQ(fx) - REL(fx);

	assert_int_equal(pin_longterm_test_start(fx, &t, mem, size,
						 fast ? PIN_LONGTERM_TEST_FLAG_USE_FAST : 0), 0);
	assert_int_equal(ACQ(fx) - REL(fx) - net, (long)(size / PAGE_SIZE));
	/* a private mapping must not pin the shared page: unshared into anon */
	assert_true(gupsim_folio_test_anon(gupsim_page_folio(t.pages[0])));
	fill_user(fx->mm, mem, 0xff, size);
	expect_pin_reliable(fx, &t, mem, size);
	pin_longterm_test_stop(&t);
}

static void test_ro_pin(struct gup_fx *fx, unsigned long mem, unsigned long smem, size_t size)
{
	(void)smem;
	do_test_ro_pin_nonanon(fx, mem, size, false);
}

static void test_ro_fast_pin(struct gup_fx *fx, unsigned long mem, unsigned long smem,
			     size_t size)
{
	(void)smem;
	do_test_ro_pin_nonanon(fx, mem, size, true);
}

static const struct nonanon_case nonanon_cases[] = {
	{ "Basic COW", test_cow },
	{ "R/O longterm GUP pin", test_ro_pin },
	{ "R/O longterm GUP-fast pin", test_ro_fast_pin },
};

/* mem: private, read-faulted; smem: the other mapping of the same memory. */
static size_t nonanon_prepare(struct gup_fx *fx, enum nonanon_kind kind, unsigned long *mem,
			      unsigned long *smem, struct file **file)
{
	int prot = PROT_READ | PROT_WRITE;
	size_t size = PAGE_SIZE;

	*file = NULL;
	switch (kind) {
	case ZEROPAGE:
		*mem = fx_map_anon(fx, 1);
		*smem = fx_map_anon(fx, 1);
		break;
	case HUGE_ZEROPAGE:
		size = PMD_SIZE;
		*mem = fx_map_thp(fx, 1);
		*smem = fx_map_thp(fx, 1);
		break;
	default:
		if (kind == MEMFD_HUGETLB)
			size = PMD_SIZE;
		*file = gupsim_file_create(fx->sim, kind == MEMFD ? GUPSIM_FILE_MEMFD :
					   kind == TMPFILE ? GUPSIM_FILE_REGULAR :
					   GUPSIM_FILE_HUGETLBFS, "cow", size);
		assert_non_null(*file);
		*mem = fx_mmap(fx, size, prot, MAP_PRIVATE, *file);
		*smem = fx_mmap(fx, size, PROT_READ, MAP_SHARED, *file);
		break;
	}
	fx_read_fault(fx, *mem, size / PAGE_SIZE);
	fx_read_fault(fx, *smem, size / PAGE_SIZE);
	if (kind == ZEROPAGE)
		assert_true(gupsim_is_zero_page(fx_page(fx, *mem)));
	if (kind == HUGE_ZEROPAGE)
		assert_true(gupsim_is_huge_zero_folio(gupsim_page_folio(fx_page(fx, *mem))));
	return size;
}

/* ---- the table ---- */

struct row {
	char name[200];
	bool anon;
	int variant;
	const void *c;
};

#define NR_ANON_ROWS	(ARRAY_SIZE(anon_cases) * ARRAY_SIZE(anon_variants))
#define NR_ROWS		(NR_ANON_ROWS + ARRAY_SIZE(nonanon_cases) * ARRAY_SIZE(nonanon_variants))
static struct row rows[NR_ROWS];

static int row_setup(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.hugetlb_2m_pages = 4;
	return gup_fx_setup_cfg(state, &cfg);
}

static void run_row(void **state)
{
	struct gup_fx *fx = FX(state);
	const struct row *row = fx->priv;
	unsigned long mem, smem;
	struct file *file;
	size_t size;

	if (row->anon) {
		const struct anon_case *c = row->c;
		enum anon_kind kind = (enum anon_kind)anon_variants[row->variant].kind;

		size = anon_prepare(fx, kind, &mem);
		c->fn(fx, mem, size, kind == HUGETLB);
	} else {
		const struct nonanon_case *c = row->c;

		size = nonanon_prepare(fx, (enum nonanon_kind)nonanon_variants[row->variant].kind,
				       &mem, &smem, &file);
		c->fn(fx, mem, smem, size);
		if (file)
			gupsim_file_put(file);
	}
	assert_int_equal(ACQ(fx), REL(fx));
	assert_int_equal(WARNS(fx), 0);
}

int main(void)
{
	struct CMUnitTest tests[NR_ROWS];
	size_t n = 0;

	for (size_t c = 0; c < ARRAY_SIZE(anon_cases); c++) {
		for (size_t v = 0; v < ARRAY_SIZE(anon_variants); v++, n++) {
			rows[n] = (struct row){ .anon = true, .variant = (int)v, .c = &anon_cases[c] };
			snprintf(rows[n].name, sizeof(rows[n].name), "%s ... with %s",
				 anon_cases[c].desc, anon_variants[v].name);
		}
	}
	for (size_t c = 0; c < ARRAY_SIZE(nonanon_cases); c++) {
		for (size_t v = 0; v < ARRAY_SIZE(nonanon_variants); v++, n++) {
			rows[n] = (struct row){ .variant = (int)v, .c = &nonanon_cases[c] };
			snprintf(rows[n].name, sizeof(rows[n].name), "%s ... with %s",
				 nonanon_cases[c].desc, nonanon_variants[v].name);
		}
	}
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = rows[i].name,
			.test_func = run_row,
			.setup_func = row_setup,
			.teardown_func = gup_fx_teardown,
			.initial_state = &rows[i],
		};
	return _cmocka_run_group_tests("cow", tests, n, NULL, NULL);
}
