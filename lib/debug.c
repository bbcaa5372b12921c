// SPDX-License-Identifier: MIT
/*
 * Debugging output: WARN reports, bad_page() and dump_page() in the kernel's
 * format (semantics.md §8), and the machine's log stream.
 *
 * A report (WARN or bad page) is built as one text, counted, and handed to
 * the machine's warn handler; the default handler prints it to the log
 * stream (stderr unless gupsim_set_log() chose another). In strict mode
 * (cfg.strict) the report is followed by abort(). Nothing here allocates, so
 * reports still work when memory is exhausted.
 *
 * A report that belongs to no machine (sim NULL: a GUP call without an mm,
 * kthread_use_mm(NULL), a thread still using an mm of a destroyed machine)
 * goes to the process-wide handler (gupsim_set_global_warn_handler(),
 * stderr by default) and aborts if the process-wide strict flag is set
 * (gupsim_set_global_strict()): the one piece of process-wide state here,
 * since such a report has no machine to ask.
 */
#include <stdlib.h>
#include <sys/prctl.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* Text buffers */

struct dbuf {
	char *buf;
	size_t size;
	size_t len;			/* always < size; truncates silently */
};

#define DBUF_INIT(b) { .buf = (b), .size = sizeof(b), .len = 0 }

static __attribute__((format(printf, 2, 0)))
void dbuf_vprintf(struct dbuf *b, const char *fmt, va_list ap)
{
	int n;

	if (b->len + 1 >= b->size)
		return;
	n = vsnprintf(b->buf + b->len, b->size - b->len, fmt, ap);
	if (n > 0)
		b->len = min_t(size_t, b->len + (size_t)n, b->size - 1);
}

static __attribute__((format(printf, 2, 3)))
void dbuf_printf(struct dbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* The log stream and the warn handler */

/* The log stream of @sim (stderr by default); log_lock held. */
static FILE *sim_log(struct gupsim *sim)
{
	return sim && sim->log ? sim->log : stderr;
}

void gupsim_set_log(struct gupsim *sim, FILE *out)
{
	if (!sim)
		return;
	pthread_mutex_lock(&sim->log_lock);
	sim->log = out ? out : stderr;
	pthread_mutex_unlock(&sim->log_lock);
}

/* Print @text as whole lines and flush, so reports never interleave. */
static void log_write_locked(struct gupsim *sim, const char *text)
{
	FILE *out = sim_log(sim);
	size_t len = strlen(text);

	fputs(text, out);
	if (len && text[len - 1] != '\n')
		fputc('\n', out);
	fflush(out);
}

void gupsim_log(struct gupsim *sim, const char *fmt, ...)
{
	va_list ap;

	if (sim)
		pthread_mutex_lock(&sim->log_lock);
	va_start(ap, fmt);
	vfprintf(sim_log(sim), fmt, ap);
	va_end(ap);
	fflush(sim_log(sim));
	if (sim)
		pthread_mutex_unlock(&sim->log_lock);
}

void gupsim_set_warn_handler(struct gupsim *sim, gupsim_warn_fn fn, void *arg)
{
	if (!sim)
		return;
	pthread_mutex_lock(&sim->log_lock);
	sim->warn_fn = fn;
	sim->warn_arg = fn ? arg : NULL;
	pthread_mutex_unlock(&sim->log_lock);
}

/* The process-wide handler and strict flag, for reports of no machine. */
static pthread_mutex_t global_warn_lock = PTHREAD_MUTEX_INITIALIZER;
static gupsim_warn_fn global_warn_fn;
static void *global_warn_arg;
static atomic_t global_strict;

void gupsim_set_global_warn_handler(gupsim_warn_fn fn, void *arg)
{
	pthread_mutex_lock(&global_warn_lock);
	global_warn_fn = fn;
	global_warn_arg = fn ? arg : NULL;
	pthread_mutex_unlock(&global_warn_lock);
}

void gupsim_set_global_strict(bool strict)
{
	atomic_set(&global_strict, strict);
}

/* A report of no machine: the global handler, or stderr; global strict. */
static void report_global(const char *text)
{
	gupsim_warn_fn fn;
	void *arg;

	pthread_mutex_lock(&global_warn_lock);
	fn = global_warn_fn;
	arg = global_warn_arg;
	if (!fn)
		log_write_locked(NULL, text);
	pthread_mutex_unlock(&global_warn_lock);
	if (fn)
		fn(arg, text);
	if (atomic_read(&global_strict)) {
		fflush(stderr);
		abort();
	}
}

/*
 * Hand a finished report to the handler (outside the lock: a handler may
 * call into the library) or print it; strict mode then aborts.
 */
void report_deliver(struct gupsim *sim, const char *text)
{
	gupsim_warn_fn fn = NULL;
	void *arg = NULL;

	if (!sim) {
		report_global(text);
		return;
	}
	pthread_mutex_lock(&sim->log_lock);
	fn = sim->warn_fn;
	arg = sim->warn_arg;
	if (!fn)
		log_write_locked(sim, text);
	pthread_mutex_unlock(&sim->log_lock);
	if (fn)
		fn(arg, text);

	if (sim->cfg.strict) {
		pthread_mutex_lock(&sim->log_lock);
		fflush(sim_log(sim));
		pthread_mutex_unlock(&sim->log_lock);
		abort();
	}
}

/* Under a library lock the report waits until the thread holds none (deferred.c). */
static void report(struct gupsim *sim, const char *text)
{
	if (!report_defer(sim, text))
		report_deliver(sim, text);
}

static const char *file_basename(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;

	if (!file)
		return "?";
	return slash ? slash + 1 : file;
}

/*
 * WARN(): "WARNING: CPU: 0 PID: <tid> at mm/<file>:<line> <func>" and the
 * formatted message. lib/<x>.c mirrors mm/<x>.c, hence the mm/ prefix.
 * Every occurrence is reported (see WARN_ON_ONCE in internal.h).
 */
bool gupsim_warn(struct gupsim *sim, const char *file, int line, const char *func,
		 const char *fmt, ...)
{
	char text[2048];
	struct dbuf b = DBUF_INIT(text);
	va_list ap;

	text[0] = '\0';
	dbuf_printf(&b, "WARNING: CPU: 0 PID: %d at mm/%s:%d %s\n", gupsim_current()->pid,
		    file_basename(file), line, func ? func : "?");
	if (fmt) {
		va_start(ap, fmt);
		dbuf_vprintf(&b, fmt, ap);
		va_end(ap);
	}
	if (sim)
		count_vm_event(sim, GUPSIM_NR_WARNINGS);
	report(sim, text);
	return true;
}

/* ------------------------------------------------------------------ */
/* dump_page (semantics.md §8) */

/* The kernel's page type bytes (page_type >> 24) for the types we model. */
#define PGTY_buddy	0xf0
#define PGTY_table	0xf2
#define PGTY_hugetlb	0xf4

/* Names printed by %pGp, in bit order; page types are printed apart. */
static const char *const pageflag_names[__NR_PAGEFLAGS] = {
	[PG_locked]		= "locked",
	[PG_writeback]		= "writeback",
	[PG_referenced]		= "referenced",
	[PG_uptodate]		= "uptodate",
	[PG_dirty]		= "dirty",
	[PG_lru]		= "lru",
	[PG_head]		= "head",
	[PG_active]		= "active",
	[PG_reserved]		= "reserved",
	[PG_swapbacked]		= "swapbacked",
	[PG_anon_exclusive]	= "anon_exclusive",
	[PG_large_rmappable]	= "large_rmappable",
	[PG_hwpoison]		= "hwpoison",
};

#define STRUCT_PAGE_WORDS	(sizeof(struct page) / sizeof(unsigned long))

/*
 * A consistent copy of a page and of the start of its folio, as the
 * kernel's snapshot_page() takes: the page may be split, freed or
 * reallocated while it is dumped.
 */
struct page_snapshot {
	union {
		struct folio folio;
		unsigned long folio_words[2 * STRUCT_PAGE_WORDS];
	};
	union {
		struct page page;
		unsigned long page_words[STRUCT_PAGE_WORDS];
	};
	unsigned long idx;		/* the page's index in its folio */
	bool large;
	bool mismatch;			/* the page never matched a folio */
};

static void copy_words(unsigned long *dst, const void *src, size_t nwords)
{
	const unsigned long *s = src;
	size_t i;

	for (i = 0; i < nwords; i++)
		dst[i] = READ_ONCE_UL(&s[i]);
}

#define SNAPSHOT_TRIES	8

static void snapshot_page(const struct page *page, struct page_snapshot *ps)
{
	const struct folio *folio;
	unsigned long head;
	int tries;

	memset(ps, 0, sizeof(*ps));
	for (tries = 0; tries < SNAPSHOT_TRIES; tries++) {
		copy_words(ps->page_words, page, STRUCT_PAGE_WORDS);
		head = ps->page.compound_head;
		folio = (head & 1) ? (const struct folio *)(head - 1) : (const struct folio *)page;
		copy_words(ps->folio_words, folio, STRUCT_PAGE_WORDS);
		ps->large = folio_test_large(&ps->folio);
		if (ps->large)
			copy_words(ps->folio_words + STRUCT_PAGE_WORDS, &folio->__page_1,
				   STRUCT_PAGE_WORDS);
		if (folio == (const struct folio *)page) {
			ps->idx = 0;
			return;
		}
		/* a tail page: its head must be a large folio that covers it */
		ps->idx = (unsigned long)(page - &folio->page);
		if (ps->large && page > &folio->page &&
		    ps->idx < (unsigned long)folio_nr_pages(&ps->folio))
			return;
	}
	/* Like the kernel, dump the page as if it were its own folio. */
	ps->mismatch = true;
	memset(ps->folio_words, 0, sizeof(ps->folio_words));
	copy_words(ps->folio_words, ps->page_words, STRUCT_PAGE_WORDS);
	ps->large = false;
	ps->idx = 0;
}

/* The page type this (snapshot) page carries, 0 if none. */
static unsigned int page_type_of(const struct page *page, const char **name)
{
	if (PageFlag(page, PG_buddy)) {
		*name = "buddy";
		return PGTY_buddy;
	}
	if (PageFlag(page, PG_table)) {
		*name = "table";
		return PGTY_table;
	}
	if (PageFlag(page, PG_hugetlb)) {
		*name = "hugetlb";
		return PGTY_hugetlb;
	}
	*name = NULL;
	return 0;
}

/* Large-folio counters, read as the kernel's accessors do (-1 based). */
static int snap_large_mapcount(const struct folio *f)
{
	return atomic_read(&f->_large_mapcount) + 1;
}

static int snap_entire_mapcount(const struct folio *f)
{
	return atomic_read(&f->_entire_mapcount) + 1;
}

#define FOLIO_PAGES_MAPPED	(0x800000 - 1)	/* below the ENTIRELY_MAPPED bit */
static int snap_nr_pages_mapped(const struct folio *f)
{
	return atomic_read(&f->_nr_pages_mapped) & FOLIO_PAGES_MAPPED;
}

static int snap_pincount(const struct folio *f)
{
	return folio_has_pincount(f) ? atomic_read(&f->_pincount) : 0;
}

/* dump_mapping() (fs/inode.c): one line describing a file mapping. */
static void dump_mapping(struct dbuf *b, const struct address_space *mapping)
{
	const char *aops = mapping->a_ops_name ? mapping->a_ops_name : "empty_aops";
	const struct file *host = mapping->host;

	if (!host) {
		dbuf_printf(b, "aops:%s\n", aops);
		return;
	}
	if (!host->name[0]) {
		dbuf_printf(b, "aops:%s ino:%lx\n", aops, host->ino);
		return;
	}
	dbuf_printf(b, "aops:%s ino:%lx dentry name(?):\"%.63s\"\n", aops, host->ino,
		    host->name);
}

/* %pGp: "0x<hex>(<name>|...|node=0|zone=<n>)" */
static void dump_flags(struct dbuf *b, const char *type, const struct folio *folio,
		       bool cma)
{
	unsigned long flags = folio->flags;
	int i;

	dbuf_printf(b, "%sflags: 0x%lx(", type, flags);
	for (i = 0; i < __NR_PAGEFLAGS; i++) {
		if ((flags & BIT(i)) && pageflag_names[i])
			dbuf_printf(b, "%s|", pageflag_names[i]);
	}
	dbuf_printf(b, "node=0|zone=%d)%s\n", (int)page_zonenum(&folio->page), cma ? " CMA" : "");
}

/* print_hex_dump(prefix, 32 bytes per row, 8-byte groups) */
static void dump_hex(struct dbuf *b, const char *prefix, const unsigned long *words,
		     size_t nwords)
{
	size_t i;

	for (i = 0; i < nwords; i += 4)
		dbuf_printf(b, "%s%016lx %016lx %016lx %016lx\n", prefix, words[i], words[i + 1],
			    words[i + 2], words[i + 3]);
}

/*
 * The folio's mapping word, or NULL when the word means something else:
 * a free buddy block and a page table reuse it (the kernel's buddy pages
 * and page tables have no mapping either).
 */
static struct address_space *snap_mapping_word(const struct folio *folio)
{
	if (PageFlag(&folio->page, PG_buddy) || PageFlag(&folio->page, PG_table))
		return NULL;
	return folio->mapping;
}

/*
 * __dump_folio(): every line of semantics.md §8 step 2 for a consistent snapshot.
 * The kernel's %#lx prints 0 as "0x0" (glibc's prints "0"): hence 0x%lx.
 */
static void dump_folio_snapshot(struct dbuf *b, const struct page_snapshot *ps,
				unsigned long pfn, bool cma)
{
	const struct folio *folio = &ps->folio;
	struct address_space *mapping = snap_mapping_word(folio);
	bool anon = (unsigned long)mapping & PAGE_MAPPING_ANON;
	const char *type_name;
	unsigned int type;
	int mapcount = 0;

	if (!page_type_of(&ps->page, &type_name))
		mapcount = atomic_read(&ps->page._mapcount) + 1;
	dbuf_printf(b, "page: refcount:%d mapcount:%d mapping:%016lx index:0x%lx pfn:0x%lx\n",
		    folio_ref_count(folio), mapcount, anon ? 0UL : (unsigned long)mapping,
		    folio->index + ps->idx, pfn);
	if (ps->large)
		dbuf_printf(b, "head: order:%u mapcount:%d entire_mapcount:%d "
			    "nr_pages_mapped:%d pincount:%d\n", folio_order(folio),
			    snap_large_mapcount(folio), snap_entire_mapcount(folio),
			    snap_nr_pages_mapped(folio), snap_pincount(folio));
	if (!anon && mapping)
		dump_mapping(b, mapping);
	dump_flags(b, anon ? "anon " : "", folio, cma);

	type = page_type_of(&folio->page, &type_name);
	if (type)
		dbuf_printf(b, "page_type: %x(%s)\n", type, type_name);
	dump_hex(b, "raw: ", ps->page_words, STRUCT_PAGE_WORDS);
	if (ps->large)
		dump_hex(b, "head: ", ps->folio_words, 2 * STRUCT_PAGE_WORDS);
}

/* A page that was never initialised has every flag bit set (PagePoisoned). */
static bool page_poisoned(const struct page *page)
{
	return READ_ONCE_UL(&page->flags) == ~0UL;
}

/* The machine a page belongs to, or NULL when the page cannot tell. */
static struct gupsim *page_sim_safe(const struct page *page)
{
	unsigned long sim = READ_ONCE_UL(&page->sim);

	if (page_poisoned(page) || sim == 0 || sim == ~0UL)
		return NULL;
	return (struct gupsim *)sim;
}

static void format_dump_page(struct dbuf *b, const struct page *page, const char *reason)
{
	struct page_snapshot ps;
	struct gupsim *sim = page_sim_safe(page);

	if (!sim) {
		dbuf_printf(b, "page:%016lx is uninitialized and poisoned\n", (unsigned long)page);
	} else {
		snapshot_page(page, &ps);
		if (ps.mismatch)
			dbuf_printf(b, "page does not match folio\n");
		dump_folio_snapshot(b, &ps, page_to_pfn(page),
				    is_migrate_cma_page(page));
	}
	if (reason)
		dbuf_printf(b, "page dumped because: %s\n", reason);
}

/* Big enough for every line of a large folio's dump and a long reason. */
#define DUMP_BUF_SIZE	4096

void dump_page(const struct page *page, const char *reason)
{
	char text[DUMP_BUF_SIZE];
	struct dbuf b = DBUF_INIT(text);
	struct gupsim *sim;

	if (!page)
		return;
	text[0] = '\0';
	format_dump_page(&b, page, reason);
	sim = page_sim_safe(page);
	/* after the reports raised before it (deferred.c) */
	if (!log_defer(sim, text))
		log_deliver(sim, text);
}

void log_deliver(struct gupsim *sim, const char *text)
{
	if (sim)
		pthread_mutex_lock(&sim->log_lock);
	log_write_locked(sim, text);
	if (sim)
		pthread_mutex_unlock(&sim->log_lock);
}

void gupsim_dump_page(const struct page *page, const char *reason)
{
	dump_page(page, reason);
}

/* ------------------------------------------------------------------ */
/* bad_page (mm/page_alloc.c) */

/* current->comm: the calling thread's name. */
static void current_comm(char comm[16])
{
	if (prctl(PR_GET_NAME, comm, 0, 0, 0) != 0)
		strcpy(comm, "?");
	comm[15] = '\0';
}

/*
 * The kernel's "Bad page state" report: a page about to be freed (or
 * allocated) has state it must not have. Reported through the warn handler
 * with the dump, counted in gupsim_bad_pages; the caller decides what
 * happens to the page (the kernel leaks it rather than reuse it).
 */
void bad_page(struct page *page, const char *reason)
{
	char text[DUMP_BUF_SIZE + 128];
	struct dbuf b = DBUF_INIT(text);
	struct gupsim *sim;
	char comm[16];

	if (!page)
		return;
	sim = page_sim_safe(page);
	current_comm(comm);
	text[0] = '\0';
	dbuf_printf(&b, "BUG: Bad page state in process %s  pfn:%05lx\n", comm,
		    sim ? page_to_pfn(page) : 0UL);
	format_dump_page(&b, page, reason);
	if (sim)
		count_vm_event(sim, GUPSIM_NR_BAD_PAGES);
	report(sim, text);
}
