// SPDX-License-Identifier: MIT
/*
 * gupsim-run: `expect` lines, which make a scenario a test. Each failed
 * expectation prints what was expected and what was found.
 */
#include <stdio.h>
#include <string.h>

#include "gupsim-run.h"

static void check_long(struct run *r, const char *what, long want, long got)
{
	if (want == got)
		passed(r, "%s %ld", what, want);
	else
		failed(r, "expected %s %ld, got %ld", what, want, got);
}

/* The value of ADDR's page, or a failure saying that nothing is mapped. */
static struct page *page_at(struct run *r, const char *spec, struct mm_struct *mm, int *err)
{
	struct range *rg;
	unsigned long addr;

	*err = parse_addr(r, spec, &rg, &addr);
	return *err ? NULL : gupsim_follow_page(mm, addr);
}

static int want_number(struct run *r, const char *s, long *want)
{
	if (!parse_long(s, want))
		return fail(r, "expect: bad number '%s'", s);
	return 0;
}

/* expect ret N|-ERRNO */
static int exp_ret(struct run *r, const struct args *a)
{
	char want_s[64], got_s[64];
	const char *en;
	long want;

	if (!parse_errno(a->pos[0], &want))
		return fail(r, "expect ret: bad value '%s' (a number or -ERRNO, e.g. -EFAULT)",
			    a->pos[0]);
	en = errno_name(want);
	snprintf(want_s, sizeof(want_s), en ? "%ld (%s)" : "%ld", want, en);
	en = errno_name(r->last);
	snprintf(got_s, sizeof(got_s), en ? "%ld (%s)" : "%ld", r->last, en);
	if (r->last == want)
		passed(r, "ret %s", want_s);
	else
		failed(r, "expected ret %s, got %s", want_s, got_s);
	return 0;
}

static int exp_warnings(struct run *r, const struct args *a)
{
	long want;

	if (want_number(r, a->pos[0], &want))
		return -1;
	check_long(r, "warnings", want, r->warnings);
	return 0;
}

/* Pages from ADDR to the end of its range whose folio is maybe DMA-pinned. */
static int exp_pins(struct run *r, const struct args *a)
{
	struct range *rg;
	unsigned long addr;
	long want, n = 0;

	if (parse_addr(r, a->pos[0], &rg, &addr) || want_number(r, a->pos[1], &want))
		return -1;
	for (unsigned long p = addr; p < rg->addr + rg->len; p += PAGE_SIZE) {
		struct page *page = gupsim_follow_page(r->cur, p);

		n += page && !gupsim_is_zero_page(page) && gupsim_page_maybe_dma_pinned(page);
	}
	check_long(r, "pinned pages", want, n);
	return 0;
}

/* refcount / pincount / mapcount ADDR N */
static int exp_count(struct run *r, const struct args *a)
{
	const char *what = a->spec->name;
	struct page *p;
	long want, got;
	int err;

	p = page_at(r, a->pos[0], r->cur, &err);
	if (err || want_number(r, a->pos[1], &want))
		return -1;
	if (!p) {
		failed(r, "expected %s %ld at %s, but nothing is mapped there", what, want,
		       a->pos[0]);
		return 0;
	}
	if (!strcmp(what, "refcount"))
		got = gupsim_page_count(p);
	else if (!strcmp(what, "pincount"))
		got = gupsim_folio_pincount(gupsim_page_folio(p));
	else
		got = gupsim_page_mapcount(p);
	check_long(r, what, want, got);
	return 0;
}

static int exp_vmstat(struct run *r, const struct args *a)
{
	long want;

	if (want_number(r, a->pos[1], &want))
		return -1;
	for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++)
		if (!strcmp(gupsim_vmstat_name((enum gupsim_vmstat_item)i), a->pos[0])) {
			check_long(r, a->pos[0], want,
				   (long)gupsim_vmstat(r->sim, (enum gupsim_vmstat_item)i));
			return 0;
		}
	{
		char allowed[1024];
		size_t len = 0;

		allowed[0] = '\0';
		for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS && len < sizeof(allowed); i++)
			len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s",
						i ? " " : "",
						gupsim_vmstat_name((enum gupsim_vmstat_item)i));
		return unknown_word(r, a->pos[0], "expect vmstat", allowed);
	}
}

/* same / differ ADDR MM */
static int exp_same(struct run *r, const struct args *a)
{
	bool same = !strcmp(a->spec->name, "same");
	struct mm_struct *other = find_mm(r, a->pos[1]);
	struct page *x, *y;
	int err;

	if (!other)
		return fail(r, "no mm named '%s'", a->pos[1]);
	x = page_at(r, a->pos[0], r->cur, &err);
	if (err)
		return -1;
	y = page_at(r, a->pos[0], other, &err);
	if (!x || !y)
		failed(r, "expected %s page at %s in both mms, but it is %s", same ? "the same" :
		       "a different", a->pos[0], x ? "not mapped in the other mm" :
		       "not mapped in the current mm");
	else if ((x == y) == same)
		passed(r, "%s page at %s", same ? "same" : "different", a->pos[0]);
	else
		failed(r, "expected %s page at %s, got %s (pfn %#lx and %#lx)",
		       same ? "the same" : "a different", a->pos[0],
		       same ? "different pages" : "the same page", gupsim_page_to_pfn(x),
		       gupsim_page_to_pfn(y));
	return 0;
}

static const char *zone_name(int z)
{
	return z == ZONE_MOVABLE ? "movable" : z == ZONE_DEVICE ? "device" :
	       z == ZONE_NORMAL ? "normal" : "?";
}

static const char *const zones[] = { "normal", "movable", "device", NULL };

static int exp_zone(struct run *r, const struct args *a)
{
	int err;
	struct page *p = page_at(r, a->pos[0], r->cur, &err);

	if (err)
		return -1;
	if (!p)
		failed(r, "expected zone %s at %s, but nothing is mapped there", a->pos[1],
		       a->pos[0]);
	else if (!strcmp(zone_name((int)gupsim_page_zonenum(p)), a->pos[1]))
		passed(r, "zone %s", a->pos[1]);
	else
		failed(r, "expected zone %s, got %s", a->pos[1],
		       zone_name((int)gupsim_page_zonenum(p)));
	return 0;
}

/* data ADDR "text": a user read returns the text and its NUL. */
static int exp_data(struct run *r, const struct args *a)
{
	char text[256], buf[256];
	struct range *rg;
	unsigned long addr;
	size_t len;
	long got;

	unquote(a->pos[1], text, sizeof(text));
	len = strlen(text) + 1;
	if (parse_addr(r, a->pos[0], &rg, &addr))
		return -1;
	got = gupsim_read(r->cur, addr, buf, len);
	if (got == (long)len && !memcmp(buf, text, len)) {
		passed(r, "data \"%s\"", text);
		return 0;
	}
	if (got < 0) {
		failed(r, "expected data \"%s\", got read error %ld", text, got);
		return 0;
	}
	buf[got < (long)len ? got : (long)len - 1] = '\0';
	for (size_t i = 0; i < strlen(buf); i++)
		if (buf[i] < 32 || buf[i] > 126)
			buf[i] = '?';
	failed(r, "expected data \"%s\", got \"%s\"%s", text, buf,
	       got == (long)len && buf[len - 1] ? " (no NUL)" : "");
	return 0;
}

static int exp_map(struct run *r, const struct args *a)
{
	struct range *rg;
	unsigned long addr;
	char want[260], got[257];
	size_t i = 0;

	if (parse_addr(r, a->pos[0], &rg, &addr))
		return -1;
	unquote(a->pos[1], want, sizeof(want));
	for (unsigned long p = rg->addr; p < rg->addr + rg->len && i < 256; p += PAGE_SIZE, i++)
		got[i] = page_char(r->cur, p);
	got[i] = '\0';
	if (!strcmp(got, want))
		passed(r, "map %s \"%s\"", a->pos[0], want);
	else
		failed(r, "expected map %s \"%s\", got \"%s\"", a->pos[0], want, got);
	return 0;
}

static int exp_leaks(struct run *r, const struct args *a)
{
	(void)a;
	r->expect_leaks = true;
	say(r, "  pins and references may be left outstanding at the end");
	return 0;
}

#define ARG(name) { name, ARG_ANY, NULL, false }

const struct cmd_spec expectations[] = {
	{ "ret", exp_ret, NULL, { ARG("N|-ERRNO") }, NULL,
	  "the last command returned N: pages, bytes or `-errno`, as a number (`-14`) or a "
	  "name (`-EFAULT`)", false },
	{ "pins", exp_pins, NULL, { ARG("ADDR"), ARG("N") }, NULL,
	  "N pages from ADDR to the end of its mapping are maybe-DMA-pinned "
	  "(`folio_maybe_dma_pinned`)", false },
	{ "refcount", exp_count, NULL, { ARG("ADDR"), ARG("N") }, NULL,
	  "`page_count()` of the page at ADDR is N", false },
	{ "pincount", exp_count, NULL, { ARG("ADDR"), ARG("N") }, NULL,
	  "the large folio at ADDR has `_pincount` N", false },
	{ "mapcount", exp_count, NULL, { ARG("ADDR"), ARG("N") }, NULL,
	  "the page at ADDR is mapped N times", false },
	{ "vmstat", exp_vmstat, NULL, { ARG("NAME"), ARG("N") }, NULL,
	  "the counter NAME (`nr_foll_pin_acquired`, `gupsim_fork_pinned_copies`, ...: see "
	  "`vmstat`) is N", false },
	{ "same", exp_same, NULL, { ARG("ADDR"), ARG("MM") }, NULL,
	  "the current mm and MM map the same page at ADDR", false },
	{ "differ", exp_same, NULL, { ARG("ADDR"), ARG("MM") }, NULL,
	  "the current mm and MM map different pages at ADDR", false },
	{ "zone", exp_zone, NULL, { ARG("ADDR"), { "ZONE", ARG_CHOICE, zones, false } }, NULL,
	  "the page at ADDR is in that zone", false },
	{ "data", exp_data, NULL, { ARG("ADDR"), { "\"text\"", ARG_TEXT, NULL, false } }, NULL,
	  "a user read at ADDR returns the text and its terminating NUL", false },
	{ "map", exp_map, NULL, { ARG("NAME"), { "\"...\"", ARG_TEXT, NULL, false } }, NULL,
	  "the map of the range is exactly the string", false },
	{ "warnings", exp_warnings, NULL, { ARG("N") }, NULL,
	  "N WARNs have been reported so far", false },
	{ "leaks", exp_leaks, NULL, { { NULL, ARG_ANY, NULL, false } }, NULL,
	  "the script may end with pins or references outstanding (otherwise that fails it)",
	  false },
	{ NULL, NULL, NULL, { { NULL, ARG_ANY, NULL, false } }, NULL, NULL, false },
};

int cmd_expect(struct run *r, char **w, int n)
{
	const struct cmd_spec *spec;
	char names[512], what[64];
	struct args a;

	list_names(names, sizeof(names), expectations);
	if (n < 2)
		return fail(r, "expect: missing WHAT; allowed: %s", names);
	spec = find_spec(expectations, w[1]);
	if (!spec)
		return fail(r, "unknown expectation '%s'; allowed: %s", w[1], names);
	snprintf(what, sizeof(what), "expect %s", spec->name);
	if (parse_args(r, spec, what, w + 1, n - 1, &a))
		return -1;
	return spec->fn(r, &a);
}
