// SPDX-License-Identifier: MIT
/*
 * gupsim-run: run a pinning scenario written as a small line-based script
 * and print what happens, with a one-character-per-page map of each range.
 * `expect` lines turn a script into a test. The language is documented in
 * docs/scenarios.md (its tables come from `gupsim-run --doc`); `gupsim-run
 * --help` prints a summary and the exit codes.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gupsim/gupsim.h>
#include <gupsim/version.h>
#include "gupsim-run.h"
#include "run_html.h"

/* Exit codes (docs/scenarios.md): bits, so both show when both happen. */
enum {
	EXIT_EXPECT = 1,	/* an expectation failed (or pins were left) */
	EXIT_SCRIPT = 2,	/* a script error, an unreadable file, a bad option */
};

__attribute__((format(printf, 2, 0)))
static void vsay(struct run *r, const char *fmt, va_list ap)
{
	if (r->out->quiet)
		return;
	if (r->out->tap)
		fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
}

/* A transcript line: "# "-prefixed in TAP mode, nothing with --quiet. */
void say(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(r, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 0)))
static void outcome(struct run *r, bool ok, const char *fmt, va_list ap)
{
	char where[300];

	if (r->line)
		snprintf(where, sizeof(where), "%s:%d", r->path, r->line);
	else	/* the checks after the last line */
		snprintf(where, sizeof(where), "%s: at the end", r->path);
	if (r->out->tap) {
		printf("%sok %d - %s: ", ok ? "" : "not ", ++r->out->tests, where);
	} else if (ok) {
		if (r->out->quiet)
			return;
		fputs("  ok: ", stdout);
	} else {
		printf("%s%s: FAILED: ", r->out->quiet ? "" : "  ", where);
	}
	vprintf(fmt, ap);
	putchar('\n');
}

/* An expectation that held. */
void passed(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outcome(r, true, fmt, ap);
	va_end(ap);
}

/* An expectation that failed: the script goes on, the exit code is 1. */
void failed(struct run *r, const char *fmt, ...)
{
	va_list ap;

	r->failures++;
	va_start(ap, fmt);
	outcome(r, false, fmt, ap);
	va_end(ap);
}

/* A WARN: in the transcript; on stderr too when strict mode will abort. */
static void warn_counter(void *arg, const char *msg)
{
	struct run *r = (struct run *)arg;
	size_t len = strcspn(msg, "\n");

	r->warnings++;
	say(r, "  ! %.*s", (int)len, msg);
	if (r->cfg.strict) {
		fputs(msg, stderr);
		if (!*msg || msg[strlen(msg) - 1] != '\n')
			fputc('\n', stderr);
		fprintf(stderr, "%s:%d: a WARN in strict mode: the run aborts\n", r->path, r->line);
	}
}

/* A script error: reported with its line, the script stops. */
int fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", r->path, r->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (r->out->tap) {
		printf("not ok %d - %s:%d: script error: ", ++r->out->tests, r->path, r->line);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	return -1;
}

/* ---- words and values ---- */

/* Split a line into words: -1 (reported) on a bad line. */
static int split(struct run *r, char *s, char **w)
{
	int n = 0;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			break;
		if (n == MAX_WORDS)
			return fail(r, "too many words (at most %d)", MAX_WORDS);
		if (*s == '"') {	/* a quoted string is one word, quotes kept */
			char *end = strchr(s + 1, '"');

			if (!end)
				return fail(r, "unterminated string %s", s);
			w[n++] = s;
			s = end + 1;
			if (*s && !isspace((unsigned char)*s))
				return fail(r, "a space must follow the closing quote of %s", w[n - 1]);
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

/* "text" → text, into buf (truncated to size) */
const char *unquote(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
		snprintf(buf, size, "%.*s", (int)(len - 2), s + 1);
	else
		snprintf(buf, size, "%s", s);
	return buf;
}

bool parse_long(const char *s, long *out)
{
	char *end;

	*out = strtol(s, &end, 0);
	return end != s && !*end;
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
	if (r->out->trace)	/* TAP: keep the stream TAP; trace to stderr */
		gupsim_set_trace(r->sim, gupsim_trace_print, r->out->tap ? stderr : stdout);
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

void print_map(struct run *r, struct range *rg, struct mm_struct *mm)
{
	unsigned long n = rg->len / PAGE_SIZE, step = 1;
	char map[520];
	size_t len = 0;

	if (n > 256)	/* large ranges: one character per 2 MiB block's first page */
		step = 512;
	for (unsigned long i = 0; i < n && len < sizeof(map) - 1; i += step)
		map[len++] = page_char(mm, rg->addr + i * PAGE_SIZE);
	map[len] = '\0';
	say(r, "  %-8s [%s]%s", rg->name, map, step > 1 ? " (one char per 2 MiB)" : "");
}

void print_page(struct run *r, const char *label, struct page *page)
{
	struct folio *folio = gupsim_page_folio(page);
	char large[64] = "";

	if (gupsim_folio_test_large(folio))
		snprintf(large, sizeof(large), " order %u pincount %d", gupsim_folio_order(folio),
			 gupsim_folio_pincount(folio));
	say(r, "  %s: pfn %#lx refcount %d mapcount %d%s zone %s%s%s", label,
	    gupsim_page_to_pfn(page), gupsim_folio_ref_count(folio), gupsim_page_mapcount(page),
	    large, gupsim_page_zonenum(page) == ZONE_MOVABLE ? "MOVABLE" :
	    gupsim_page_zonenum(page) == ZONE_DEVICE ? "DEVICE" : "NORMAL",
	    gupsim_is_migrate_cma_page(page) ? " (CMA)" : "",
	    gupsim_folio_maybe_dma_pinned(folio) ? " maybe-pinned" : "");
}

/* "= 8", "= -14 (-EFAULT: Bad address)"; remembered for `expect ret`. */
void print_result(struct run *r, long v)
{
	const char *en = errno_name(v);

	r->last = v;
	if (v < 0 && v >= -4095)
		say(r, "  = %ld (%s%s%s)", v, en ? en : "", en ? ": " : "", strerror((int)-v));
	else
		say(r, "  = %ld", v);
}

static const char *usage_text =
	"usage: gupsim-run [OPTION]... SCRIPT.gsim...   (- reads standard input)\n"
	"Run pinning scenarios on a simulated machine.\n"
	"  -t, --trace    also print the library's trace events\n"
	"  -q, --quiet    print only failed expectations, errors and the summary\n"
	"      --tap      TAP output (ok N - ... / not ok N - ..., plan line last)\n"
	"      --html OUT write a step-by-step page of the (one) script to OUT\n"
	"                 (docs/html.md)\n"
	"      --doc      print the Markdown tables of commands, expectations and\n"
	"                 machine keys (docs/scenarios.md)\n"
	"  -V, --version  print the version\n"
	"  -h, --help     print this help\n"
	"Map legend: . not present, 0 zero page, Z huge zero folio, P pinned,\n"
	"S COW-shared, T hugetlb, H PMD THP, L other large folio, a anon page,\n"
	"f file page.\n"
	"Exit status: 0 every expectation held; 1 an expectation failed or a script\n"
	"ended with pins or references outstanding (without `expect leaks`); 2 a\n"
	"script error (the script stops there; the next one still runs), a file\n"
	"that cannot be read or a bad option; 3 both 1 and 2.\n"
	"The language: docs/scenarios.md, gupsim-run(1).\n";

/* Pins and references the script still holds: a failure unless expected. */
static void check_leaks(struct run *r)
{
	unsigned long acq = 0, rel = 0;
	long pins, refs = 0;
	char msg[256];
	int len;

	if (!r->sim)
		return;
	acq = gupsim_vmstat(r->sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	rel = gupsim_vmstat(r->sim, GUPSIM_NR_FOLL_PIN_RELEASED);
	pins = (long)(acq - rel);
	for (int i = 0; i < r->nr_handles; i++)
		refs += r->handles[i].pinned ? 0 : r->handles[i].nr;
	r->line = 0;	/* "at the end" */
	if (!pins && !refs) {
		passed(r, "no pins or references outstanding");
		return;
	}
	len = snprintf(msg, sizeof(msg), "%ld pins outstanding (acquired %lu, released %lu)",
		       pins, acq, rel);
	if (refs)
		snprintf(msg + len, sizeof(msg) - (size_t)len,
			 "; %ld page references from get outstanding", refs);
	if (r->expect_leaks)
		passed(r, "%s, as `expect leaks` allows", msg);
	else
		failed(r, "%s (release them, or say `expect leaks`)", msg);
}

static int run_lines(struct run *r, FILE *f)
{
	char buf[1024];
	int err = 0;

	while (!err && fgets(buf, sizeof(buf), f)) {
		char *w[MAX_WORDS];
		char echo[1024];
		int n;

		r->line++;
		if (!strchr(buf, '\n') && !feof(f))
			return fail(r, "line too long (at most %zu characters)", sizeof(buf) - 2);
		buf[strcspn(buf, "\n")] = '\0';
		html_line(r->html, buf);
		snprintf(echo, sizeof(echo), "%s", buf);
		n = split(r, buf, w);
		if (n < 0)
			return -1;
		if (!n)
			continue;
		say(r, "%s:%d> %s", r->path, r->line, echo + strspn(echo, " \t"));
		err = run_command(r, w, n);
		html_step(r->html, r, err);
	}
	return err;
}

static int run_file(const char *path, struct output *out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct run r;
	int err;

	memset(&r, 0, sizeof(r));
	r.path = strcmp(path, "-") ? path : "<stdin>";
	r.out = out;
	if (!f) {
		fail(&r, "cannot open: %s", strerror(errno));
		return EXIT_SCRIPT;
	}
	gupsim_config_init(&r.cfg);
	r.cfg.normal_mb = 256;
	if (out->html && !(r.html = html_open(out->html, r.path)))
		err = -1;
	else
		err = run_lines(&r, f);
	if (f != stdin)
		fclose(f);
	if (html_close(r.html, &r))
		err = -1;
	if (!err)
		check_leaks(&r);
	cleanup(&r);
	if (err) {
		printf("%s%s: script error at line %d%s\n", out->tap ? "# " : "", r.path, r.line,
		       r.failures ? " (and failed expectations)" : "");
		return EXIT_SCRIPT | (r.failures ? EXIT_EXPECT : 0);
	}
	if (r.failures) {
		printf("%s%s: %d expectation(s) failed\n", out->tap ? "# " : "", r.path, r.failures);
		return EXIT_EXPECT;
	}
	if (!out->quiet)
		printf("%s%s: ok\n", out->tap ? "# " : "", r.path);
	return 0;
}

/* The tables of docs/scenarios.md, from the tables the parser uses. */
static void print_doc(void)
{
	printf("<!-- generated by `gupsim-run --doc`: edit tools/run_*.c, not this -->\n\n");
	printf("### Commands\n\n");
	print_doc_table("command", "what it does", commands, "");
	printf("\n### Machine keys\n\n");
	print_machine_doc();
	printf("\n### Expectations\n\n");
	print_doc_table("line", "passes when", expectations, "expect ");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trace", no_argument, NULL, 't' }, { "quiet", no_argument, NULL, 'q' },
		{ "tap", no_argument, NULL, 'T' }, { "html", required_argument, NULL, 'H' }, { "doc", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct output out = { 0 };
	int c, rc = 0;

	/* Every line out before a strict-mode abort, even into a file or pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "tqVh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': out.trace = true; break;
		case 'q': out.quiet = true; break;
		case 'T': out.tap = true; break;
		case 'H': out.html = optarg; break;
		case 'D': print_doc(); return 0;
		case 'V':
			printf("gupsim-run (gupsim) %s\n", gupsim_version());
			return 0;
		case 'h': fputs(usage_text, stdout); return 0;
		default:
			fputs("Try 'gupsim-run --help'.\n", stderr);
			return EXIT_SCRIPT;
		}
	}
	if (optind == argc) {
		fputs(usage_text, stderr);
		return EXIT_SCRIPT;
	}
	if (out.html && argc - optind != 1) {
		fputs("gupsim-run: --html takes one script\n", stderr);
		return EXIT_SCRIPT;
	}
	for (int i = optind; i < argc; i++)
		rc |= run_file(argv[i], &out);
	if (out.tap)
		printf("1..%d\n", out.tests);
	return rc;
}
