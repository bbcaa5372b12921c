// SPDX-License-Identifier: MIT
/* dump_page() in the kernel's format (semantics.md §8), compared line by line. */
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* A log stream captured in memory */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void capture_start(struct gupsim *sim, struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	gupsim_set_log(sim, c->f);
}

/* Stop capturing (log back to stderr); the text stays in c->buf. */
static const char *capture_stop(struct gupsim *sim, struct capture *c)
{
	gupsim_set_log(sim, NULL);
	fclose(c->f);
	c->f = NULL;
	return c->buf;
}

#define MAX_LINES	16

/* Split @buf in place into lines (without their '\n'). */
static int split_lines(char *buf, char *lines[MAX_LINES])
{
	int n = 0;
	char *nl;

	while (*buf && n < MAX_LINES) {
		lines[n++] = buf;
		nl = strchr(buf, '\n');
		if (!nl)
			break;
		*nl = '\0';
		buf = nl + 1;
	}
	return n;
}

/* The expected "raw: " / "head: " line @row of the struct pages at @p. */
static const char *hex_line(const char *prefix, const void *p, int row)
{
	static char line[128];
	const unsigned long *w = (const unsigned long *)p + 4 * row;

	snprintf(line, sizeof(line), "%s%016lx %016lx %016lx %016lx", prefix, w[0], w[1], w[2],
		 w[3]);
	return line;
}

static char *dump_to_string(struct gupsim *sim, const struct page *page, const char *reason)
{
	struct capture c;

	capture_start(sim, &c);
	gupsim_dump_page(page, reason);
	return (char *)capture_stop(sim, &c);
}

#define PG(f)	(1UL << (f))

/* The example of semantics.md §8: a small anon page pinned once, mapped once. */
static void dump_small_anon_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folio = gupsim_folio_alloc(sim, 0, 0);
	struct page *page;
	char *out, *l[MAX_LINES], want[256];
	unsigned long pfn;

	assert_non_null(folio);
	page = &folio->page;
	pfn = page_to_pfn(page);
	assert_int_equal(gupsim_try_grab_folio(folio, 1, FOLL_PIN), 0);
	SetPageFlag(page, PG_uptodate);
	SetPageFlag(page, PG_lru);
	SetPageFlag(page, PG_swapbacked);
	folio->mapping = (struct address_space *)(0x5000UL | PAGE_MAPPING_ANON);
	folio->index = 0x7f1c2a400UL;
	atomic_set(&page->_mapcount, 0);

	out = dump_to_string(sim, page, "gup_test: dump_pages() test");
	assert_int_equal(split_lines(out, l), 5);
	snprintf(want, sizeof(want),
		 "page: refcount:1025 mapcount:1 mapping:0000000000000000 index:0x7f1c2a400 pfn:0x%lx",
		 pfn);
	assert_string_equal(l[0], want);
	snprintf(want, sizeof(want), "anon flags: 0x%lx(uptodate|lru|swapbacked|node=0|zone=0)",
		 PG(PG_uptodate) | PG(PG_lru) | PG(PG_swapbacked));
	assert_string_equal(l[1], want);
	assert_string_equal(l[2], hex_line("raw: ", page, 0));
	assert_string_equal(l[3], hex_line("raw: ", page, 1));
	/* _mapcount 0 and _refcount 0x401 share the sixth word, as in the kernel */
	assert_non_null(strstr(l[3], " 0000040100000000 "));
	assert_string_equal(l[4], "page dumped because: gup_test: dump_pages() test");
	free(out);

	folio->mapping = NULL;
	atomic_set(&page->_mapcount, -1);
	gupsim_unpin_user_page(page);
	gupsim_folio_put(folio);
	assert_int_equal(fixture_warns(state)->count, 0);
}

/* A tail page of a PMD-sized folio: the folio's counts, the page's index. */
static void dump_tail_page_of_large_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folio = gupsim_folio_alloc(sim, HPAGE_PMD_ORDER, 0);
	struct page *page;
	char *out, *l[MAX_LINES], want[256];
	int i;

	assert_non_null(folio);
	page = folio_page(folio, 5);
	assert_int_equal(gupsim_try_grab_folio(folio, 3, FOLL_PIN), 0);
	folio->mapping = (struct address_space *)(0x5000UL | PAGE_MAPPING_ANON);
	folio->index = 0x100;
	atomic_set(&folio->_large_mapcount, 1);		/* two mappings... */
	atomic_set(&folio->_entire_mapcount, 1);	/* ...both by PMD */

	out = dump_to_string(sim, page, NULL);
	assert_int_equal(split_lines(out, l), 9);
	snprintf(want, sizeof(want),
		 "page: refcount:4 mapcount:0 mapping:0000000000000000 index:0x105 pfn:0x%lx",
		 page_to_pfn(page));
	assert_string_equal(l[0], want);
	assert_string_equal(l[1],
		"head: order:9 mapcount:2 entire_mapcount:2 nr_pages_mapped:0 pincount:3");
	snprintf(want, sizeof(want), "anon flags: 0x%lx(head|node=0|zone=0)", PG(PG_head));
	assert_string_equal(l[2], want);
	assert_string_equal(l[3], hex_line("raw: ", page, 0));
	assert_string_equal(l[4], hex_line("raw: ", page, 1));
	for (i = 0; i < 4; i++)
		assert_string_equal(l[5 + i], hex_line("head: ", folio, i));
	free(out);

	folio->mapping = NULL;
	atomic_set(&folio->_large_mapcount, -1);
	atomic_set(&folio->_entire_mapcount, -1);
	gupsim_unpin_folio(folio);
	gupsim_unpin_user_pages(&page, 1);
	gupsim_unpin_user_pages(&page, 1);
	assert_int_equal(gupsim_folio_pincount(folio), 0);
	gupsim_folio_put(folio);
	assert_int_equal(fixture_warns(state)->count, 0);
}

/* A page-cache page: the dump_mapping() line, no "anon " prefix. */
static void dump_file_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folio = gupsim_folio_alloc(sim, 0, 0);
	struct file *file = calloc(1, sizeof(*file));
	char *out, *l[MAX_LINES], want[256];

	assert_non_null(folio);
	assert_non_null(file);
	strcpy(file->name, "data.bin");
	file->ino = 0x2a;
	file->mapping.host = file;
	file->mapping.a_ops_name = "shmem_aops";
	folio->mapping = &file->mapping;
	folio->index = 3;
	SetPageFlag(&folio->page, PG_dirty);

	out = dump_to_string(sim, &folio->page, "test");
	assert_int_equal(split_lines(out, l), 6);
	snprintf(want, sizeof(want),
		 "page: refcount:1 mapcount:0 mapping:%016lx index:0x3 pfn:0x%lx",
		 (unsigned long)&file->mapping, page_to_pfn(&folio->page));
	assert_string_equal(l[0], want);
	assert_string_equal(l[1], "aops:shmem_aops ino:2a dentry name(?):\"data.bin\"");
	snprintf(want, sizeof(want), "flags: 0x%lx(dirty|node=0|zone=0)", PG(PG_dirty));
	assert_string_equal(l[2], want);
	assert_string_equal(l[5], "page dumped because: test");
	free(out);

	/* no dentry name, then no host inode */
	file->name[0] = '\0';
	out = dump_to_string(sim, &folio->page, NULL);
	assert_int_equal(split_lines(out, l), 5);
	assert_string_equal(l[1], "aops:shmem_aops ino:2a");
	free(out);
	file->mapping.host = NULL;
	out = dump_to_string(sim, &folio->page, NULL);
	assert_int_equal(split_lines(out, l), 5);
	assert_string_equal(l[1], "aops:shmem_aops");
	free(out);

	folio->mapping = NULL;
	gupsim_folio_put(folio);
	free(file);
}

/* A free block: page_type buddy, mapcount 0, its list links not a mapping. */
static void dump_free_page_shows_buddy_type(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct page *page = sim->pools[POOL_NORMAL].free_area[0].head;
	char *out, *l[MAX_LINES], want[256];
	int i;

	for (i = 1; !page && i <= MAX_PAGE_ORDER; i++)
		page = sim->pools[POOL_NORMAL].free_area[i].head;
	assert_non_null(page);
	out = dump_to_string(sim, page, NULL);
	assert_int_equal(split_lines(out, l), 5);
	snprintf(want, sizeof(want), "page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x%lx pfn:0x%lx",
		 page->index, page_to_pfn(page));
	assert_string_equal(l[0], want);
	snprintf(want, sizeof(want), "flags: 0x%lx(node=0|zone=0)", page->flags);
	assert_string_equal(l[1], want);
	assert_string_equal(l[2], "page_type: f0(buddy)");
	free(out);
}

static void dump_cma_page_says_cma(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct folio *folio;
	char *out, *l[MAX_LINES], want[256];

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.cma_mb = 4;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	folio = gupsim_folio_alloc(sim, 0, GUPSIM_ALLOC_ONLY_CMA);
	assert_non_null(folio);
	out = dump_to_string(sim, &folio->page, NULL);
	assert_int_equal(split_lines(out, l), 4);
	snprintf(want, sizeof(want), "flags: 0x%lx(node=0|zone=0) CMA", folio->flags);
	assert_string_equal(l[1], want);
	free(out);
	gupsim_folio_put(folio);
	gupsim_destroy(sim);
}

static void dump_hugetlb_folio(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct folio *folio;
	char *out, *l[MAX_LINES], want[256];

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.hugetlb_2m_pages = 1;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	folio = hugetlb_folio_alloc(sim, HPAGE_PMD_ORDER);
	assert_non_null(folio);
	out = dump_to_string(sim, &folio->page, NULL);
	assert_int_equal(split_lines(out, l), 10);
	snprintf(want, sizeof(want),
		 "page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x%lx",
		 page_to_pfn(&folio->page));
	assert_string_equal(l[0], want);
	assert_string_equal(l[1],
		"head: order:9 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0");
	snprintf(want, sizeof(want), "flags: 0x%lx(head|node=0|zone=0)", folio->flags);
	assert_string_equal(l[2], want);
	assert_string_equal(l[3], "page_type: f4(hugetlb)");
	free(out);
	gupsim_folio_put(folio);
	gupsim_destroy(sim);
}

/* An uninitialised struct page (all ones) cannot name its machine: stderr. */
static void dump_poisoned_page(void **state)
{
	struct page poisoned;
	char buf[256] = "";
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;
	char want[128];

	(void)state;
	memset(&poisoned, 0xff, sizeof(poisoned));
	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	gupsim_dump_page(&poisoned, "poison test");
	gupsim_dump_page(NULL, "ignored");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	snprintf(want, sizeof(want),
		 "page:%016lx is uninitialized and poisoned\npage dumped because: poison test\n",
		 (unsigned long)&poisoned);
	assert_string_equal(buf, want);
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, sim_setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SETUP(dump_small_anon_page),
		SETUP(dump_tail_page_of_large_folio),
		SETUP(dump_file_page),
		SETUP(dump_free_page_shows_buddy_type),
		cmocka_unit_test(dump_cma_page_says_cma),
		cmocka_unit_test(dump_hugetlb_folio),
		cmocka_unit_test(dump_poisoned_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
