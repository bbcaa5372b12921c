// SPDX-License-Identifier: MIT
/*
 * gupsim-run --html OUT.html: after every command of a script, record the
 * state of the machine as a JSON frame; at the end write one HTML page
 * (tools/html/view.html, embedded at build time) with the frames inside.
 * The page's JavaScript draws them; nothing is fetched from the network.
 *
 * A frame holds, for every mm, its VMAs and, in each VMA, the pages folded
 * into runs: consecutive pages in the same state (kind, order, zone,
 * counts, flags, page-table leaf level, pinning handles) are one run with
 * a count, so a 1 GiB mapping is a handful of runs. Only the public API is
 * used; the page-table leaf level (PTE, PMD or PUD) is inferred from the
 * folio: hugetlb folios of 2 MiB / 1 GiB are PMD / PUD leaves, the huge
 * zero folio is a PMD leaf, and a PMD-sized THP is PMD-mapped when its
 * entire mapcount says so and no page of it is mapped by a PTE.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gupsim-run.h"
#include "run_html.h"
#include "run_html_template.h"	/* generated: html_template[] */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct html_view {
	char *out;
	char *script;
	struct sbuf frames;	/* "{...},{...}" of the finished frames */
	struct sbuf cur;	/* the last frame, without its closing brace */
	struct sbuf expects;	/* the `expect` lines that follow it */
	struct sbuf notes;	/* comment lines waiting for the next frame */
	struct sbuf source;	/* the script as read */
	char cmd[1024];		/* the last line read, without comment */
	unsigned long vmstat[GUPSIM_NR_VMSTAT_ITEMS];
	int nr_frames;
	int failures;
	int error_line;
};

/* ---- a growing string ---- */

static void sb_grow(struct sbuf *b, size_t more)
{
	char *p;
	size_t cap;

	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A JSON string; '<', '>' and '&' escaped so that it is safe in <script>. */
static void sb_json(struct sbuf *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			sb_printf(b, "\\u%04x", c);
		else
			sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

static void sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- who holds the pages: the handles of pin/get, by folio ---- */

struct holder {
	unsigned long pfn;	/* the folio's head pfn */
	int handle;
};

struct holders {
	struct holder *v;
	size_t n;
};

static int holder_cmp(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->handle - y->handle;
}

static unsigned long head_pfn(struct page *page)
{
	return gupsim_page_to_pfn(gupsim_folio_page(gupsim_page_folio(page), 0));
}

static void holders_build(struct run *r, struct holders *hs)
{
	size_t total = 0;

	for (int i = 0; i < r->nr_handles; i++)
		total += (size_t)r->handles[i].nr;
	hs->n = 0;
	hs->v = total ? calloc(total, sizeof(*hs->v)) : NULL;
	if (!hs->v)
		return;
	for (int i = 0; i < r->nr_handles; i++)
		for (long j = 0; j < r->handles[i].nr; j++)
			if (r->handles[i].pages[j])
				hs->v[hs->n++] = (struct holder){
					head_pfn(r->handles[i].pages[j]), i };
	qsort(hs->v, hs->n, sizeof(*hs->v), holder_cmp);
}

/* The handles holding the folio with head @pfn, as a bit mask. */
static uint64_t holders_of(const struct holders *hs, unsigned long pfn)
{
	size_t lo = 0, hi = hs->n;
	uint64_t mask = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (hs->v[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < hs->n && hs->v[lo].pfn == pfn; lo++)
		mask |= 1ULL << hs->v[lo].handle;
	return mask;
}

/* ---- the state of one page, and runs of pages in the same state ---- */

struct pstate {
	char kind;		/* page_char(): '.', '0', 'Z', 'P', 'S', 'T', 'H', 'L', 'a', 'f' */
	char leaf;		/* 'e' PTE, 'm' PMD leaf, 'u' PUD leaf */
	unsigned char order, zone;
	bool cma, anon, ae, dirty, large, pinned;
	int ref, map, fmap, pin;
	uint64_t holders;
};

static char leaf_level(struct folio *folio, unsigned long addr, struct page *page)
{
	unsigned int order = gupsim_folio_order(folio);
	unsigned long idx = gupsim_page_to_pfn(page) - gupsim_page_to_pfn(&folio->page);
	unsigned long start = addr - idx * PAGE_SIZE;

	if (order == HPAGE_PUD_ORDER && !(start & ~PUD_MASK))
		return 'u';
	if (order != HPAGE_PMD_ORDER || (start & ~PMD_MASK))
		return 'e';
	if (gupsim_folio_test_hugetlb(folio) || gupsim_is_huge_zero_folio(folio))
		return 'm';
	/* a THP: PMD-mapped somewhere and by no PTE */
	if (__atomic_load_n(&folio->_entire_mapcount.counter, __ATOMIC_RELAXED) >= 0 &&
	    __atomic_load_n(&folio->_nr_pages_mapped.counter, __ATOMIC_RELAXED) == 0)
		return 'm';
	return 'e';
}

static void page_state(struct mm_struct *mm, unsigned long addr, const struct holders *hs,
		       struct pstate *s, unsigned long *pfn)
{
	struct page *page = gupsim_follow_page(mm, addr);
	struct folio *folio;

	memset(s, 0, sizeof(*s));
	s->kind = page_char(mm, addr);
	if (!page)
		return;
	folio = gupsim_page_folio(page);
	*pfn = gupsim_page_to_pfn(page);
	s->leaf = leaf_level(folio, addr, page);
	s->order = (unsigned char)gupsim_folio_order(folio);
	s->zone = (unsigned char)gupsim_page_zonenum(page);
	s->cma = gupsim_is_migrate_cma_page(page);
	s->anon = gupsim_folio_test_anon(folio);
	s->ae = s->anon && gupsim_PageAnonExclusive(page);
	s->dirty = gupsim_folio_test_dirty(folio);
	s->large = gupsim_folio_test_large(folio);
	s->pinned = gupsim_folio_maybe_dma_pinned(folio);
	s->ref = gupsim_folio_ref_count(folio);
	s->map = gupsim_page_mapcount(page);
	s->fmap = gupsim_folio_mapcount(folio);
	s->pin = gupsim_folio_has_pincount(folio) ? gupsim_folio_pincount(folio) :
		 s->ref / (int)GUP_PIN_COUNTING_BIAS;
	s->holders = holders_of(hs, head_pfn(page));
}

static const char *zone_name(const struct pstate *s)
{
	static const char *const names[] = { "NORMAL", "MOVABLE", "DEVICE" };

	return s->zone < 3 ? names[s->zone] : "?";
}

static void emit_run(struct sbuf *b, struct run *r, unsigned long off, unsigned long n,
		     const struct pstate *s, unsigned long pfn, unsigned long last_pfn,
		     bool *first)
{
	sb_printf(b, "%s{\"o\":%lu,\"n\":%lu,\"k\":\"%c\"", *first ? "" : ",", off, n,
		  s->kind);
	*first = false;
	if (s->kind == '.') {
		sb_add(b, "}", 1);
		return;
	}
	sb_printf(b, ",\"pfn\":%lu,\"pfn2\":%lu,\"leaf\":\"%s\",\"ord\":%u,\"zone\":\"%s%s\","
		  "\"ref\":%d,\"map\":%d,\"fmap\":%d,\"pin\":%d,\"pinc\":%s,\"ae\":%d,"
		  "\"dirty\":%d,\"anon\":%d,\"mdp\":%d,\"by\":[", pfn, last_pfn,
		  s->leaf == 'u' ? "PUD" : s->leaf == 'm' ? "PMD" : "PTE", s->order,
		  zone_name(s), s->cma ? " (CMA)" : "", s->ref, s->map, s->fmap, s->pin,
		  s->large ? "true" : "false", s->ae, s->dirty, s->anon, s->pinned);
	for (int i = 0, k = 0; i < r->nr_handles; i++)
		if (s->holders & (1ULL << i)) {
			sb_printf(b, "%s{\"h\":", k++ ? "," : "");
			sb_json(b, r->handles[i].name);
			sb_printf(b, ",\"pin\":%d}", r->handles[i].pinned);
		}
	sb_add(b, "]}", 2);
}

static void emit_runs(struct sbuf *b, struct run *r, struct mm_struct *mm,
		      const struct vm_area_struct *vma, const struct holders *hs)
{
	unsigned long npages = (vma->vm_end - vma->vm_start) / PAGE_SIZE;
	unsigned long start = 0, pfn0 = 0, pfn = 0, prev_pfn = 0;
	struct pstate s0, s;
	bool first = true;

	page_state(mm, vma->vm_start, hs, &s0, &pfn0);
	prev_pfn = pfn0;
	for (unsigned long i = 1; i < npages; i++) {
		page_state(mm, vma->vm_start + i * PAGE_SIZE, hs, &s, &pfn);
		if (!memcmp(&s, &s0, sizeof(s))) {
			prev_pfn = pfn;
			continue;
		}
		emit_run(b, r, start, i - start, &s0, pfn0, prev_pfn, &first);
		start = i;
		s0 = s;
		pfn0 = prev_pfn = pfn;
	}
	emit_run(b, r, start, npages - start, &s0, pfn0, prev_pfn, &first);
}

/* ---- VMAs and mms ---- */

static void vma_names(struct run *r, struct mm_struct *mm, const struct vm_area_struct *vma,
		      const char **range, const char **file)
{
	*range = *file = NULL;
	for (int i = 0; i < r->nr_ranges; i++)
		if (r->ranges[i].addr < vma->vm_end &&
		    r->ranges[i].addr + r->ranges[i].len > vma->vm_start &&
		    (r->ranges[i].mm == mm || !*range))
			*range = r->ranges[i].name;
	for (int i = 0; i < r->nr_files; i++)
		if (vma->vm_file && r->files[i].file == vma->vm_file)
			*file = r->files[i].name;
}

static void emit_vma(struct sbuf *b, struct run *r, struct mm_struct *mm,
		     const struct vm_area_struct *vma, const struct holders *hs)
{
	static const struct { unsigned long bit; const char *name; } flags[] = {
		{ VM_SHARED, "shared" }, { VM_HUGETLB, "hugetlb" }, { VM_PFNMAP, "pfnmap" },
		{ VM_MIXEDMAP, "mixedmap" }, { VM_IO, "io" }, { VM_DONTCOPY, "dontfork" },
		{ VM_HUGEPAGE, "hugepage" }, { VM_NOHUGEPAGE, "nohugepage" },
		{ VM_LOCKED, "locked" },
	};
	unsigned long f = vma->vm_flags;
	const char *range, *file;

	vma_names(r, mm, vma, &range, &file);
	sb_printf(b, "{\"start\":%lu,\"end\":%lu,\"prot\":\"%c%c%c\",\"flags\":\"%s",
		  vma->vm_start, vma->vm_end, f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-',
		  f & VM_EXEC ? 'x' : '-', f & VM_SHARED ? "" : "private");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (f & flags[i].bit)
			sb_printf(b, "%s%s", i ? " " : "", flags[i].name);
	sb_printf(b, "%s\",\"name\":", vma->vm_file ? "" : " anon");
	sb_json(b, range ? range : "");
	sb_add(b, ",\"file\":", 8);
	if (vma->vm_file)
		sb_json(b, file ? file : "(file)");
	else
		sb_add(b, "null", 4);
	sb_add(b, ",\"runs\":[", 9);
	emit_runs(b, r, mm, vma, hs);
	sb_add(b, "]}", 2);
}

static void emit_mm(struct sbuf *b, struct run *r, int i, const struct holders *hs)
{
	struct mm_struct *mm = r->mms[i].mm;
	struct vm_area_struct *vma;
	bool first = true;

	sb_add(b, "{\"name\":", 8);
	sb_json(b, r->mms[i].name);
	sb_printf(b, ",\"cur\":%s,\"vmas\":[", mm == r->cur ? "true" : "false");
	gupsim_mmap_read_lock(mm);
	for (vma = gupsim_find_vma(mm, 0); vma; vma = gupsim_find_vma(mm, vma->vm_end)) {
		if (!first)
			sb_add(b, ",", 1);
		first = false;
		emit_vma(b, r, mm, vma, hs);
	}
	gupsim_mmap_read_unlock(mm);
	sb_add(b, "]}", 2);
}

static void emit_vmstat(struct html_view *h, struct sbuf *b, struct run *r)
{
	bool first = true;

	sb_add(b, ",\"vmstat\":{", 11);
	for (int i = 0; r->sim && i < GUPSIM_NR_VMSTAT_ITEMS; i++) {
		enum gupsim_vmstat_item item = (enum gupsim_vmstat_item)i;
		unsigned long v = gupsim_vmstat(r->sim, item);

		if (v != h->vmstat[i]) {
			sb_printf(b, "%s", first ? "" : ",");
			sb_json(b, gupsim_vmstat_name(item));
			sb_printf(b, ":%ld", (long)(v - h->vmstat[i]));
			first = false;
		}
		h->vmstat[i] = v;
	}
	sb_add(b, "}", 1);
}

/* ---- the recorder ---- */

struct html_view *html_open(const char *out, const char *script)
{
	struct html_view *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->out = strdup(out);
	h->script = strdup(script);
	if (!h->out || !h->script) {
		free(h->out);
		free(h->script);
		free(h);
		return NULL;
	}
	return h;
}

void html_line(struct html_view *h, const char *line)
{
	if (!h)
		return;
	sb_add(&h->source, line, strlen(line));
	sb_add(&h->source, "\n", 1);
	snprintf(h->cmd, sizeof(h->cmd), "%s", line);
	h->cmd[strcspn(h->cmd, "#")] = '\0';	/* a trailing comment */
	for (size_t n = strlen(h->cmd); n && (h->cmd[n - 1] == ' ' || h->cmd[n - 1] == '\t'); n--)
		h->cmd[n - 1] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != '#')
		return;
	line++;
	if (*line == ' ')
		line++;
	if (h->notes.len)
		sb_add(&h->notes, ",", 1);
	sb_json(&h->notes, line);
}

static void finish_frame(struct html_view *h)
{
	if (!h->cur.len)
		return;
	if (h->frames.len)
		sb_add(&h->frames, ",\n", 2);
	sb_add(&h->frames, h->cur.p, h->cur.len);
	sb_add(&h->frames, ",\"expects\":[", 12);
	if (h->expects.len)
		sb_add(&h->frames, h->expects.p, h->expects.len);
	sb_add(&h->frames, "]}", 2);
	h->cur.len = h->expects.len = 0;
}

static void take_frame(struct html_view *h, struct run *r, const char *cmd, int err)
{
	struct holders hs = { NULL, 0 };
	struct sbuf *b = &h->cur;

	finish_frame(h);
	sb_printf(b, "{\"line\":%d,\"cmd\":", r->line);
	sb_json(b, cmd);
	sb_printf(b, ",\"ret\":%ld,\"error\":%d,\"notes\":[", r->last, err != 0);
	if (h->notes.len)
		sb_add(b, h->notes.p, h->notes.len);
	h->notes.len = 0;
	sb_add(b, "],\"mms\":[", 9);
	holders_build(r, &hs);
	for (int i = 0; i < r->nr_mms; i++) {
		if (i)
			sb_add(b, ",", 1);
		emit_mm(b, r, i, &hs);
	}
	free(hs.v);
	sb_add(b, "]", 1);
	emit_vmstat(h, b, r);
	h->nr_frames++;
}

void html_step(struct html_view *h, struct run *r, int err)
{
	const char *cmd = h ? h->cmd : "";

	if (!h)
		return;
	if (err)
		h->error_line = r->line;
	if (!strncmp(cmd, "expect ", 7) && h->cur.len && !err) {
		if (h->expects.len)
			sb_add(&h->expects, ",", 1);
		sb_printf(&h->expects, "{\"line\":%d,\"ok\":%s,\"text\":", r->line,
			  r->failures == h->failures ? "true" : "false");
		sb_json(&h->expects, cmd);
		sb_add(&h->expects, "}", 1);
		h->failures = r->failures;
		return;
	}
	h->failures = r->failures;
	take_frame(h, r, cmd, err);
}

static int write_page(struct html_view *h, FILE *f)
{
	static const char marker[] = "/*@FRAMES@*/";
	const char *at = strstr(html_template, marker);
	struct sbuf head = { NULL, 0, 0, false };
	bool oom;

	if (!at)
		return -1;
	sb_add(&head, "{\"script\":", 10);
	sb_json(&head, h->script);
	sb_add(&head, ",\"source\":", 10);
	sb_json(&head, h->source.p ? h->source.p : "");
	sb_printf(&head, ",\"error_line\":%d,\"frames\":[\n", h->error_line);
	fwrite(html_template, 1, (size_t)(at - html_template), f);
	fwrite(head.p, 1, head.len, f);
	if (h->frames.len)
		fwrite(h->frames.p, 1, h->frames.len, f);
	fputs("]}", f);
	fputs(at + sizeof(marker) - 1, f);
	oom = head.oom || h->frames.oom || h->source.oom;
	sb_free(&head);
	return oom ? -1 : 0;
}

int html_close(struct html_view *h, struct run *r)
{
	FILE *f;
	int ret = -1;

	if (!h)
		return 0;
	(void)r;
	finish_frame(h);
	f = fopen(h->out, "w");
	if (f) {
		ret = write_page(h, f);
		if (fclose(f))
			ret = -1;
	}
	if (ret)
		fprintf(stderr, "gupsim-run: cannot write %s: %s\n", h->out,
			h->frames.oom ? "out of memory" : strerror(errno));
	sb_free(&h->frames);
	sb_free(&h->cur);
	sb_free(&h->expects);
	sb_free(&h->notes);
	sb_free(&h->source);
	free(h->out);
	free(h->script);
	free(h);
	return ret;
}
