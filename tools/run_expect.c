// SPDX-License-Identifier: MIT
/* gupsim-run: `expect` lines, which make a scenario a test. */
#include <stdio.h>
#include <string.h>

#include "gupsim-run.h"

static int check(struct run *r, bool ok, const char *what, long want, long got)
{
	if (ok) {
		printf("  ok: %s %ld\n", what, want);
		return 0;
	}
	printf("  FAILED (line %d): expected %s %ld, got %ld\n", r->line, what, want, got);
	r->failures++;
	return 0;
}

static struct page *page_at(struct run *r, const char *spec, struct mm_struct *mm)
{
	struct range *rg;
	unsigned long addr;

	if (parse_addr(r, spec, &rg, &addr))
		return NULL;
	return gupsim_follow_page(mm, addr);
}

/* Pages of the range whose folio is maybe DMA-pinned. */
static long pinned_pages(struct run *r, const char *spec)
{
	struct range *rg;
	unsigned long addr;
	long n = 0;

	if (parse_addr(r, spec, &rg, &addr))
		return -1;
	for (unsigned long a = addr; a < rg->addr + rg->len; a += PAGE_SIZE) {
		struct page *p = gupsim_follow_page(r->cur, a);

		n += p && !gupsim_is_zero_page(p) && gupsim_page_maybe_dma_pinned(p);
	}
	return n;
}

static int expect_vmstat(struct run *r, const char *name, long want)
{
	for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++)
		if (!strcmp(gupsim_vmstat_name((enum gupsim_vmstat_item)i), name))
			return check(r, (long)gupsim_vmstat(r->sim, (enum gupsim_vmstat_item)i) == want,
				     name, want, (long)gupsim_vmstat(r->sim, (enum gupsim_vmstat_item)i));
	return fail(r, "no vmstat item named '%s'", name);
}

static int expect_same(struct run *r, char **w, int n, bool same)
{
	struct mm_struct *other;
	struct page *a, *b;

	if (n < 4)
		return fail(r, "usage: expect %s ADDR MM", same ? "same" : "differ");
	other = find_mm(r, w[3]);
	if (!other)
		return fail(r, "no mm named '%s'", w[3]);
	a = page_at(r, w[2], r->cur);
	b = page_at(r, w[2], other);
	if (!a || !b) {
		printf("  FAILED (line %d): %s is not mapped in both mms\n", r->line, w[2]);
		r->failures++;
		return 0;
	}
	return check(r, (a == b) == same, same ? "same page (1=yes)" : "different page (1=yes)",
		     1, (a == b) == same);
}

static int expect_map(struct run *r, char **w, int n)
{
	struct range *rg;
	unsigned long addr;
	const char *want;
	char got[257];
	size_t i = 0;

	if (n < 4 || parse_addr(r, w[2], &rg, &addr))
		return n < 4 ? fail(r, "usage: expect map NAME \"....\"") : -1;
	want = unquote(w[3]);
	for (unsigned long a = rg->addr; a < rg->addr + rg->len && i < 256; a += PAGE_SIZE, i++)
		got[i] = page_char(r->cur, a);
	got[i] = '\0';
	if (!strcmp(got, want)) {
		printf("  ok: map %s\n", want);
		return 0;
	}
	printf("  FAILED (line %d): expected map \"%s\", got \"%s\"\n", r->line, want, got);
	r->failures++;
	return 0;
}

/*
 * expect ret N | pins ADDR N | refcount ADDR N | pincount ADDR N |
 *        mapcount ADDR N | vmstat NAME N | same ADDR MM | differ ADDR MM |
 *        zone ADDR normal|movable|device | data ADDR "text" | map NAME "..." |
 *        warnings N
 */
int cmd_expect(struct run *r, char **w, int n)
{
	const char *what = n > 1 ? w[1] : "";
	long want = 0;
	struct page *p;

	if (n < 3)
		return fail(r, "usage: expect WHAT ... (see docs/scenarios.md)");
	if (!strcmp(what, "same") || !strcmp(what, "differ"))
		return expect_same(r, w, n, !strcmp(what, "same"));
	if (!strcmp(what, "map"))
		return expect_map(r, w, n);
	if (!strcmp(what, "ret") || !strcmp(what, "warnings")) {
		if (!parse_long(w[2], &want))
			return fail(r, "bad number '%s'", w[2]);
		return !strcmp(what, "ret") ? check(r, r->last == want, "ret", want, r->last) :
		       check(r, r->warnings == want, "warnings", want, r->warnings);
	}
	if (n < 4)
		return fail(r, "usage: expect %s ADDR VALUE", what);
	if (!strcmp(what, "vmstat")) {
		if (!parse_long(w[3], &want))
			return fail(r, "bad number '%s'", w[3]);
		return expect_vmstat(r, w[2], want);
	}
	if (!strcmp(what, "data")) {
		char buf[256];
		const char *text = unquote(w[3]);
		struct range *rg;
		unsigned long addr;
		size_t len = strlen(text) + 1;

		if (parse_addr(r, w[2], &rg, &addr) || len > sizeof(buf))
			return -1;
		if (gupsim_read(r->cur, addr, buf, len) == (long)len && !memcmp(buf, text, len)) {
			printf("  ok: data \"%s\"\n", text);
			return 0;
		}
		printf("  FAILED (line %d): expected data \"%s\"\n", r->line, text);
		r->failures++;
		return 0;
	}
	if (!strcmp(what, "zone")) {
		p = page_at(r, w[2], r->cur);
		want = !strcmp(w[3], "movable") ? ZONE_MOVABLE : !strcmp(w[3], "device") ?
		       ZONE_DEVICE : ZONE_NORMAL;
		return check(r, p && (long)gupsim_page_zonenum(p) == want, "zone", want,
			     p ? (long)gupsim_page_zonenum(p) : -1);
	}
	if (!parse_long(w[3], &want))
		return fail(r, "bad number '%s'", w[3]);
	if (!strcmp(what, "pins"))
		return check(r, pinned_pages(r, w[2]) == want, "pinned pages", want,
			     pinned_pages(r, w[2]));
	p = page_at(r, w[2], r->cur);
	if (!p) {
		printf("  FAILED (line %d): nothing is mapped at %s\n", r->line, w[2]);
		r->failures++;
		return 0;
	}
	if (!strcmp(what, "refcount"))
		return check(r, gupsim_page_count(p) == want, "refcount", want, gupsim_page_count(p));
	if (!strcmp(what, "pincount"))
		return check(r, gupsim_folio_pincount(gupsim_page_folio(p)) == want, "pincount", want,
			     gupsim_folio_pincount(gupsim_page_folio(p)));
	if (!strcmp(what, "mapcount"))
		return check(r, gupsim_page_mapcount(p) == want, "mapcount", want,
			     gupsim_page_mapcount(p));
	return fail(r, "unknown expectation '%s'", what);
}
