// SPDX-License-Identifier: MIT
/*
 * tools/testing/selftests/mm/gup_longterm.c (semantics.md §9.3), row by row:
 * every case on every backing, named as the selftest names it, with the
 * outcome the kernel gives. The selftest's procedure: a file of one (huge)
 * page, mapped R/W shared or private, written with memset() (private
 * mappings get anon COW copies), mprotect(PROT_READ) for the R/O cases,
 * then PIN_LONGTERM_TEST_START and _STOP.
 *
 *   should_work = !shared || !rw || fs in {tmpfs, hugetlbfs}
 *
 * The io_uring rows register the buffer as a fixed buffer, which is
 * pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM): the R/W column.
 */
#include <stdio.h>

#include "gup_test_module.h"

struct backing {
	const char *name;
	enum gupsim_file_kind kind;
	size_t size;
	bool tmpfs_or_hugetlbfs;	/* no dirty tracking of shared mappings */
};

static const struct backing backings[] = {
	{ "memfd", GUPSIM_FILE_MEMFD, PAGE_SIZE, true },
	/* tmpfile(3) on a disk filesystem: the ext4/xfs/btrfs column */
	{ "tmpfile", GUPSIM_FILE_REGULAR, PAGE_SIZE, false },
	{ "shmem (tmpfs file)", GUPSIM_FILE_SHMEM, PAGE_SIZE, true },
	{ "memfd hugetlb (2048 kB)", GUPSIM_FILE_HUGETLBFS, PMD_SIZE, true },
};

enum lt_flavour { LT_GUP, LT_GUP_FAST, LT_IOURING };

struct lt_case {
	const char *name;
	bool shared, rw;
	enum lt_flavour flavour;
};

static const struct lt_case cases[] = {
	{ "R/W longterm GUP pin in MAP_SHARED file mapping", true, true, LT_GUP },
	{ "R/W longterm GUP-fast pin in MAP_SHARED file mapping", true, true, LT_GUP_FAST },
	{ "R/O longterm GUP pin in MAP_SHARED file mapping", true, false, LT_GUP },
	{ "R/O longterm GUP-fast pin in MAP_SHARED file mapping", true, false, LT_GUP_FAST },
	{ "R/W longterm GUP pin in MAP_PRIVATE file mapping", false, true, LT_GUP },
	{ "R/W longterm GUP-fast pin in MAP_PRIVATE file mapping", false, true, LT_GUP_FAST },
	{ "R/O longterm GUP pin in MAP_PRIVATE file mapping", false, false, LT_GUP },
	{ "R/O longterm GUP-fast pin in MAP_PRIVATE file mapping", false, false, LT_GUP_FAST },
	{ "io_uring fixed buffer with MAP_SHARED file mapping", true, true, LT_IOURING },
	{ "io_uring fixed buffer with MAP_PRIVATE file mapping", false, true, LT_IOURING },
};

struct row {
	const struct backing *backing;
	const struct lt_case *c;
	char name[160];
};

static struct row rows[ARRAY_SIZE(backings) * ARRAY_SIZE(cases)];

static int row_setup(void **state)
{
	struct gupsim_config cfg;

	gup_fx_config(&cfg);
	cfg.hugetlb_2m_pages = 4;	/* the file's page and a private COW copy */
	return gup_fx_setup_cfg(state, &cfg);
}

/* io_uring: pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM), all or nothing. */
static long iouring_register(struct gup_fx *fx, unsigned long addr, size_t size,
			     struct pin_longterm_test *t)
{
	int nr = (int)(size / PAGE_SIZE);
	long ret;

	t->pages = calloc((size_t)nr, sizeof(*t->pages));
	ret = gupsim_pin_user_pages_fast(addr, nr, FOLL_WRITE | FOLL_LONGTERM, t->pages);
	if (ret >= 0 && ret != nr) {	/* io_pin_pages() undoes a short pin */
		gupsim_unpin_user_pages(t->pages, (unsigned long)ret);
		ret = -EFAULT;
	}
	t->nr_pinned = ret > 0 ? (unsigned long)ret : 0;
	if (ret < 0) {
		free(t->pages);
		t->pages = NULL;
		return ret;
	}
	return 0;
}

static void run_row(void **state)
{
	struct gup_fx *fx = FX(state);
	const struct row *row = fx->priv;
	const struct backing *b = row->backing;
	const struct lt_case *c = row->c;
	bool should_work = !c->shared || !c->rw || b->tmpfs_or_hugetlbfs;
	struct pin_longterm_test t = { 0 };
	struct file *file;
	unsigned long addr;
	unsigned int flags = 0;
	long ret, acq0, rel0;

	file = gupsim_file_create(fx->sim, b->kind, "gup_longterm", b->size);
	assert_non_null(file);
	addr = fx_mmap(fx, b->size, PROT_READ | PROT_WRITE, c->shared ? MAP_SHARED : MAP_PRIVATE,
		       file);
	fill_user(fx->mm, addr, 0, b->size);	/* memset(): fault in writably */
	if (!c->rw)
		assert_int_equal(gupsim_mprotect(fx->mm, addr, b->size, PROT_READ), 0);

	acq0 = ACQ(fx);
	rel0 = REL(fx);
	if (c->flavour == LT_IOURING) {
		ret = iouring_register(fx, addr, b->size, &t);
	} else {
		if (c->rw)
			flags |= PIN_LONGTERM_TEST_FLAG_USE_WRITE;
		if (c->flavour == LT_GUP_FAST)
			flags |= PIN_LONGTERM_TEST_FLAG_USE_FAST;
		ret = pin_longterm_test_start(fx, &t, addr, b->size, flags);
	}

	if (should_work) {
		unsigned long nr = b->size / PAGE_SIZE;

		assert_int_equal(ret, 0);
		assert_int_equal(t.nr_pinned, nr);
		/* one count per 4 KiB page, and every page pinned is mapped here */
		assert_int_equal(ACQ(fx) - REL(fx) - (acq0 - rel0), (long)nr);
		for (unsigned long i = 0; i < nr; i++)
			assert_ptr_equal(t.pages[i], fx_page(fx, addr + i * PAGE_SIZE));
		/* a private mapping pins its anon COW copy, never the file */
		assert_true(gupsim_folio_test_anon(gupsim_page_folio(t.pages[0])) == !c->shared);
	} else {
		assert_int_equal(ret, -EFAULT);
		assert_null(t.pages);
		/* nothing is left pinned (GUP-fast may have put back a transient pin) */
		assert_int_equal(ACQ(fx) - acq0, REL(fx) - rel0);
		assert_true(ACQ(fx) - acq0 <= (c->flavour == LT_GUP ? 0 : 1));
	}
	pin_longterm_test_stop(&t);
	assert_int_equal(ACQ(fx), REL(fx));
	gupsim_file_put(file);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(rows)];
	size_t n = 0;

	for (size_t b = 0; b < ARRAY_SIZE(backings); b++) {
		for (size_t c = 0; c < ARRAY_SIZE(cases); c++, n++) {
			rows[n].backing = &backings[b];
			rows[n].c = &cases[c];
			snprintf(rows[n].name, sizeof(rows[n].name), "%s (%s)", cases[c].name,
				 backings[b].name);
			tests[n] = (struct CMUnitTest){
				.name = rows[n].name,
				.test_func = run_row,
				.setup_func = row_setup,
				.teardown_func = gup_fx_teardown,
				.initial_state = &rows[n],
			};
		}
	}
	return _cmocka_run_group_tests("gup_longterm", tests, n, NULL, NULL);
}
