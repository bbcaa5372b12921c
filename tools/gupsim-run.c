// SPDX-License-Identifier: MIT
/*
 * gupsim-run: run a pinning scenario written as a small line-based script
 * and print what happens, with a one-character-per-page map of each range.
 * `expect` lines turn a script into a test. The language is documented in
 * docs/scenarios.md; `gupsim-run --help` prints a summary.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gupsim/gupsim.h>
#include "gupsim-run.h"

static void warn_counter(void *arg, const char *msg)
{
	struct run *r = (struct run *)arg;

	r->warnings++;
	printf("  ! %s", msg);
	if (!*msg || msg[strlen(msg) - 1] != '\n')
		printf("\n");
}

/* A script error: reported with its line, the run stops. */
int fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", r->path, r->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -1;
}

/* ---- words and values ---- */

static int split(char *s, char **w)
{
	int n = 0;

	while (*s && n < MAX_WORDS) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			break;
		if (*s == '"') {	/* a quoted string is one word, quotes kept */
			char *end = strchr(s + 1, '"');

			w[n++] = s;
			if (!end)
				break;
			s = end + 1;
			if (*s)
				*s++ = '\0';
			continue;
		}
		w[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

/* 4096, 16K, 2M, 1G, 0x1000 */
bool parse_size(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	switch (toupper((unsigned char)*end)) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (end == s || *end)
		return false;
	*out = v;
	return true;
}

const char *unquote(char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s[len - 1] = '\0';
		return s + 1;
	}
	return s;
}

bool parse_long(const char *s, long *out)
{
	char *end;

	*out = strtol(s, &end, 0);
	return end != s && !*end;
}

bool has(char **w, int n, const char *word)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i], word))
			return true;
	return false;
}

struct range *find_range(struct run *r, const char *name)
{
	for (int i = 0; i < r->nr_ranges; i++)
		if (!strcmp(r->ranges[i].name, name))
			return &r->ranges[i];
	return NULL;
}

/* "buf", "buf+8K", "buf+3p" (pages) → the range and an address in it */
int parse_addr(struct run *r, const char *s, struct range **rg, unsigned long *addr)
{
	char name[32];
	const char *plus = strchr(s, '+');
	size_t n = plus ? (size_t)(plus - s) : strlen(s);
	unsigned long off = 0;

	if (n >= sizeof(name))
		return fail(r, "name too long: %s", s);
	memcpy(name, s, n);
	name[n] = '\0';
	*rg = find_range(r, name);
	if (!*rg)
		return fail(r, "no mapping named '%s' (create it with mmap)", name);
	if (plus) {
		size_t len = strlen(plus + 1);

		if (len && plus[len] == 'p') {
			char tmp[32];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)len - 1, plus + 1);
			if (!parse_size(tmp, &off))
				return fail(r, "bad offset '%s'", plus + 1);
			off *= PAGE_SIZE;
		} else if (!parse_size(plus + 1, &off)) {
			return fail(r, "bad offset '%s'", plus + 1);
		}
	}
	if (off >= (*rg)->len)
		return fail(r, "offset %#lx is beyond '%s' (%zu bytes)", off, name, (*rg)->len);
	*addr = (*rg)->addr + off;
	return 0;
}

struct mm_struct *find_mm(struct run *r, const char *name)
{
	for (int i = 0; i < r->nr_mms; i++)
		if (!strcmp(r->mms[i].name, name))
			return r->mms[i].mm;
	return NULL;
}

struct handle *find_handle(struct run *r, const char *name)
{
	for (int i = 0; i < r->nr_handles; i++)
		if (!strcmp(r->handles[i].name, name))
			return &r->handles[i];
	return NULL;
}

struct file *find_file(struct run *r, const char *name)
{
	for (int i = 0; i < r->nr_files; i++)
		if (!strcmp(r->files[i].name, name))
			return r->files[i].file;
	return NULL;
}

int need_machine(struct run *r)
{
	if (r->sim)
		return 0;
	r->sim = gupsim_create(&r->cfg);
	if (!r->sim)
		return fail(r, "cannot create the machine: %s", strerror(errno));
	gupsim_set_warn_handler(r->sim, warn_counter, r);
	if (r->trace)
		gupsim_set_trace(r->sim, gupsim_trace_print, stdout);
	return 0;
}

int need_mm(struct run *r)
{
	if (need_machine(r))
		return -1;
	if (r->cur)
		return 0;
	r->cur = gupsim_mm_create(r->sim);
	if (!r->cur)
		return fail(r, "cannot create an mm");
	snprintf(r->mms[0].name, sizeof(r->mms[0].name), "init");
	r->mms[0].mm = r->cur;
	r->nr_mms = 1;
	gupsim_kthread_use_mm(r->cur);
	return 0;
}

/* ---- the page map ---- */

/* One character per page: see docs/scenarios.md. */
char page_char(struct mm_struct *mm, unsigned long addr)
{
	struct page *page = gupsim_follow_page(mm, addr);
	struct folio *folio;

	if (!page)
		return '.';
	if (gupsim_is_zero_page(page))
		return '0';
	folio = gupsim_page_folio(page);
	if (gupsim_is_huge_zero_folio(folio))
		return 'Z';
	if (gupsim_folio_maybe_dma_pinned(folio))
		return 'P';
	if (gupsim_page_mapcount(page) > 1)
		return 'S';
	if (gupsim_folio_test_hugetlb(folio))
		return 'T';
	if (gupsim_folio_order(folio) == HPAGE_PMD_ORDER)
		return 'H';
	if (gupsim_folio_test_large(folio))
		return 'L';
	return gupsim_folio_test_anon(folio) ? 'a' : 'f';
}

void print_map(struct range *rg, struct mm_struct *mm)
{
	unsigned long n = rg->len / PAGE_SIZE, step = 1;

	if (n > 256)	/* large ranges: one character per 2 MiB block's first page */
		step = 512;
	printf("  %-8s [", rg->name);
	for (unsigned long i = 0; i < n; i += step)
		putchar(page_char(mm, rg->addr + i * PAGE_SIZE));
	printf("]%s\n", step > 1 ? " (one char per 2 MiB)" : "");
}

void print_page(struct run *r, const char *label, struct page *page)
{
	struct folio *folio = gupsim_page_folio(page);

	printf("  %s: pfn %#lx refcount %d mapcount %d", label, gupsim_page_to_pfn(page),
	       gupsim_folio_ref_count(folio), gupsim_page_mapcount(page));
	if (gupsim_folio_test_large(folio))
		printf(" order %u pincount %d", gupsim_folio_order(folio),
		       gupsim_folio_pincount(folio));
	printf(" zone %s%s%s\n", gupsim_page_zonenum(page) == ZONE_MOVABLE ? "MOVABLE" :
	       gupsim_page_zonenum(page) == ZONE_DEVICE ? "DEVICE" : "NORMAL",
	       gupsim_is_migrate_cma_page(page) ? " (CMA)" : "",
	       gupsim_folio_maybe_dma_pinned(folio) ? " maybe-pinned" : "");
	(void)r;
}

static const char *usage_text =
	"usage: gupsim-run [--trace] [--quiet] SCRIPT.gsim...\n"
	"       gupsim-run --help\n"
	"Run pinning scenarios on a simulated machine. Map legend: . not present,\n"
	"0 zero page, Z huge zero folio, P pinned, S COW-shared, T hugetlb, H PMD THP,\n"
	"L other large folio, a anon page, f file page. See docs/scenarios.md.\n";

static int run_file(const char *path, bool trace)
{
	struct run r;
	char buf[1024];
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int err = 0;

	if (!f) {
		fprintf(stderr, "gupsim-run: %s: %s\n", path, strerror(errno));
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.trace = trace;
	gupsim_config_init(&r.cfg);
	r.cfg.normal_mb = 256;
	while (!err && fgets(buf, sizeof(buf), f)) {
		char *w[MAX_WORDS];
		int n;

		r.line++;
		buf[strcspn(buf, "\n")] = '\0';
		n = split(buf, w);
		if (!n)
			continue;
		printf("%s:%d> ", path, r.line);
		for (int i = 0; i < n; i++)
			printf("%s%s", i ? " " : "", w[i]);
		printf("\n");
		err = run_command(&r, w, n);
	}
	if (f != stdin)
		fclose(f);
	cleanup(&r);
	if (err)
		return 2;
	if (r.failures) {
		printf("%s: %d expectation(s) failed\n", path, r.failures);
		return 1;
	}
	printf("%s: ok\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	bool trace = false;
	int rc = 0, files = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--trace")) {
			trace = true;
			continue;
		}
		files++;
		rc |= run_file(argv[i], trace);
	}
	if (!files) {
		fputs(usage_text, stderr);
		return 2;
	}
	return rc;
}
