// SPDX-License-Identifier: MIT
/*
 * gupsim-run: the commands of the scenario language (docs/scenarios.md).
 * Each command's words are checked against its entry in commands[] before
 * it runs: a command only sees the positional words and options it allows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gupsim-run.h"

static int add_mm(struct run *r, const char *name, struct mm_struct *mm)
{
	if (find_mm(r, name) || r->nr_mms == MAX_NAMES)
		return fail(r, "mm '%s' exists already (or too many)", name);
	snprintf(r->mms[r->nr_mms].name, sizeof(r->mms[0].name), "%s", name);
	r->mms[r->nr_mms++].mm = mm;
	return 0;
}

static int cmd_mm(struct run *r, const struct args *a)
{
	struct mm_struct *mm;

	if (find_mm(r, a->pos[0]))
		return fail(r, "mm '%s' exists already", a->pos[0]);
	mm = gupsim_mm_create(r->sim);
	if (!mm)
		return fail(r, "cannot create an mm: %s", strerror(errno));
	return add_mm(r, a->pos[0], mm);
}

static int cmd_use(struct run *r, const struct args *a)
{
	struct mm_struct *mm = find_mm(r, a->pos[0]);

	if (!mm)
		return fail(r, "no mm named '%s'", a->pos[0]);
	gupsim_kthread_unuse_mm(r->cur);
	r->cur = mm;
	gupsim_kthread_use_mm(mm);
	return 0;
}

static const char *const file_kind_names[] = {
	"regular", "shmem", "memfd", "hugetlbfs", "fsdax", "pfnmap", "secretmem", NULL,
};
static const enum gupsim_file_kind file_kinds[] = {
	GUPSIM_FILE_REGULAR, GUPSIM_FILE_SHMEM, GUPSIM_FILE_MEMFD, GUPSIM_FILE_HUGETLBFS,
	GUPSIM_FILE_FSDAX, GUPSIM_FILE_PFNMAP, GUPSIM_FILE_SECRETMEM,
};

static int cmd_file(struct run *r, const struct args *a)
{
	unsigned long size;
	struct file *f = NULL;

	if (!parse_size(a->pos[2], &size))
		return fail(r, "file: bad size '%s'", a->pos[2]);
	if (find_file(r, a->pos[0]) || r->nr_files == MAX_NAMES)
		return fail(r, "file '%s' exists already (or too many)", a->pos[0]);
	if (need_machine(r))
		return -1;
	for (size_t i = 0; file_kind_names[i]; i++)
		if (!strcmp(a->pos[1], file_kind_names[i]))
			f = gupsim_file_create(r->sim, file_kinds[i], a->pos[0], size);
	if (!f)
		return fail(r, "cannot create file '%s' of kind '%s': %s", a->pos[0], a->pos[1],
			    strerror(errno));
	snprintf(r->files[r->nr_files].name, sizeof(r->files[0].name), "%s", a->pos[0]);
	r->files[r->nr_files++].file = f;
	return 0;
}

static int prot_of(const char *s)
{
	if (!s || !strcmp(s, "rw"))
		return PROT_READ | PROT_WRITE;
	return !strcmp(s, "ro") ? PROT_READ : PROT_NONE;
}

static int cmd_mmap(struct run *r, const struct args *a)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	int prot = prot_of(opt(a, "rw") ? "rw" : opt(a, "ro") ? "ro" : opt(a, "none"));
	const char *fname = opt(a, "file:");
	struct file *file = NULL;
	unsigned long size, addr;
	struct range *rg;

	if (!parse_size(a->pos[1], &size))
		return fail(r, "mmap: bad size '%s'", a->pos[1]);
	if (fname) {
		file = find_file(r, fname);
		if (!file)
			return fail(r, "no file named '%s'", fname);
		flags &= ~MAP_ANONYMOUS;
	}
	if (opt(a, "shared"))
		flags = (flags & ~MAP_PRIVATE) | MAP_SHARED;
	if (opt(a, "hugetlb"))
		flags |= MAP_HUGETLB;
	if (opt(a, "populate"))
		flags |= MAP_POPULATE;
	if (find_range(r, a->pos[0]) || r->nr_ranges == MAX_NAMES)
		return fail(r, "mapping '%s' exists already (or too many)", a->pos[0]);
	addr = gupsim_mmap(r->cur, 0, size, prot, flags, file, 0);
	r->last = (long)addr;
	if (GUPSIM_IS_ERR_VALUE(addr)) {
		print_result(r, (long)addr);
		return 0;
	}
	rg = &r->ranges[r->nr_ranges++];
	snprintf(rg->name, sizeof(rg->name), "%s", a->pos[0]);
	rg->mm = r->cur;
	rg->addr = addr;
	rg->len = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	say(r, "  = %#lx", addr);
	return 0;
}

/* ADDR SIZE|all → start and length */
static int addr_size(struct run *r, const struct args *a, unsigned long *addr,
		     unsigned long *size)
{
	struct range *rg;

	if (parse_addr(r, a->pos[0], &rg, addr))
		return -1;
	if (!strcmp(a->pos[1], "all"))
		*size = rg->addr + rg->len - *addr;
	else if (!parse_size(a->pos[1], size))
		return fail(r, "%s: bad size '%s'", a->spec->name, a->pos[1]);
	return 0;
}

static int cmd_munmap(struct run *r, const struct args *a)
{
	unsigned long addr, size;

	if (addr_size(r, a, &addr, &size))
		return -1;
	print_result(r, gupsim_munmap(r->cur, addr, size));
	return 0;
}

static int cmd_mprotect(struct run *r, const struct args *a)
{
	unsigned long addr, size;

	if (addr_size(r, a, &addr, &size))
		return -1;
	print_result(r, gupsim_mprotect(r->cur, addr, size, prot_of(a->pos[2])));
	return 0;
}

static const char *const advice_names[] = {
	"hugepage", "nohugepage", "dontneed", "dontfork", "dofork", "populate-read",
	"populate-write", NULL,
};
static const int advice_values[] = {
	MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK,
	MADV_POPULATE_READ, MADV_POPULATE_WRITE,
};

static int cmd_madvise(struct run *r, const struct args *a)
{
	unsigned long addr, size;

	if (addr_size(r, a, &addr, &size))
		return -1;
	for (size_t i = 0; advice_names[i]; i++)
		if (!strcmp(a->pos[2], advice_names[i]))
			print_result(r, gupsim_madvise(r->cur, addr, size, advice_values[i]));
	return 0;
}

/* Touch every page from addr to the end of the range: the bytes done. */
static long touch_pages(struct run *r, struct range *rg, unsigned long addr, bool write)
{
	long done = 0;

	for (unsigned long p = addr; p < rg->addr + rg->len; p = (p | (PAGE_SIZE - 1)) + 1) {
		char c = 'x';
		long got = write ? gupsim_write(r->cur, p, &c, 1) : gupsim_read(r->cur, p, &c, 1);

		if (got < 0)
			return done ? done : got;
		done += got;
	}
	return done;
}

/*
 * write ADDR ["text"]: the text and its terminating NUL (strlen + 1 bytes,
 * as a C string is stored). read ADDR ["text"|N]: N bytes, or as many as
 * `write` of that text would write; the bytes read are printed.
 */
static int cmd_access(struct run *r, const struct args *a)
{
	bool write = !strcmp(a->spec->name, "write");
	const char *data = a->pos[1];
	char text[256], buf[256];
	struct range *rg;
	unsigned long addr;
	long done, len = 0;

	if (parse_addr(r, a->pos[0], &rg, &addr))
		return -1;
	if (data && data[0] == '"')
		len = (long)strlen(unquote(data, text, sizeof(text))) + 1;
	else if (data && (!parse_long(data, &len) || len <= 0 || len >= (long)sizeof(buf)))
		return fail(r, "read: bad length '%s' (1 to %zu)", data, sizeof(buf) - 1);
	if (!data)
		done = touch_pages(r, rg, addr, write);
	else if (write)
		done = gupsim_write(r->cur, addr, text, (size_t)len);
	else
		done = gupsim_read(r->cur, addr, buf, (size_t)len);
	print_result(r, done);
	if (!write && data && done > 0) {
		buf[done < (long)sizeof(buf) ? done : (long)sizeof(buf) - 1] = '\0';
		say(r, "  \"%s\"", buf);
	}
	print_map(r, rg, r->cur);
	return 0;
}

static struct handle *new_handle(struct run *r, const char *name, long nr)
{
	struct handle *h = &r->handles[r->nr_handles];

	if (r->nr_handles == MAX_NAMES || find_handle(r, name))
		return NULL;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pages = calloc((size_t)nr, sizeof(*h->pages));
	if (!h->pages)
		return NULL;
	r->nr_handles++;
	return h;
}

static long do_gup(struct run *r, const struct args *a, bool pin, unsigned long addr,
		   unsigned long nr, unsigned int flags, struct page **pages)
{
	long got;

	if (opt(a, "slow")) {
		gupsim_mmap_read_lock(r->cur);
		got = pin ? gupsim_pin_user_pages(addr, nr, flags, pages) :
			    gupsim_get_user_pages(addr, nr, flags, pages);
		gupsim_mmap_read_unlock(r->cur);
		return got;
	}
	if (opt(a, "remote"))
		return pin ? gupsim_pin_user_pages_remote(r->cur, addr, nr, flags, pages, NULL) :
			     gupsim_get_user_pages_remote(r->cur, addr, nr, flags, pages, NULL);
	if (opt(a, "unlocked"))
		return pin ? gupsim_pin_user_pages_unlocked(addr, nr, pages, flags) :
			     gupsim_get_user_pages_unlocked(addr, nr, pages, flags);
	return pin ? gupsim_pin_user_pages_fast(addr, (int)nr, flags, pages) :
		     gupsim_get_user_pages_fast(addr, (int)nr, flags, pages);
}

/* pin|get ADDR N|all [write] [longterm] [force] [fast|slow|remote|unlocked] [as H] */
static int cmd_gup(struct run *r, const struct args *a)
{
	bool pin = !strcmp(a->spec->name, "pin");
	const char *name = opt(a, "as") ? opt(a, "as") : "pages";
	unsigned int flags = 0;
	struct range *rg;
	struct handle *h;
	unsigned long addr, nr;
	long got;

	if (parse_addr(r, a->pos[0], &rg, &addr))
		return -1;
	if (!strcmp(a->pos[1], "all"))
		nr = (rg->addr + rg->len - addr) / PAGE_SIZE;
	else if (!parse_size(a->pos[1], &nr) || !nr || nr > (1UL << 20))
		return fail(r, "%s: bad page count '%s'", a->spec->name, a->pos[1]);
	if (opt(a, "write"))
		flags |= FOLL_WRITE;
	if (opt(a, "longterm"))
		flags |= FOLL_LONGTERM;
	if (opt(a, "force"))
		flags |= FOLL_FORCE;
	h = new_handle(r, name, (long)nr);
	if (!h)
		return fail(r, "cannot record the pages as '%s' (name taken, or too many)", name);
	h->pinned = pin;
	got = do_gup(r, a, pin, addr, nr, flags, h->pages);
	h->nr = got > 0 ? got : 0;
	print_result(r, got);
	print_map(r, rg, r->cur);
	return 0;
}

static int cmd_release(struct run *r, const struct args *a)
{
	struct handle *h = find_handle(r, a->pos[0]);

	if (!h)
		return fail(r, "no pages named '%s'", a->pos[0]);
	if (!strcmp(a->spec->name, "unpin")) {
		if (!h->pinned)
			say(r, "  (these pages were not pinned: expect a WARN)");
		gupsim_unpin_user_pages_dirty_lock(h->pages, (unsigned long)h->nr, opt(a, "dirty"));
	} else {
		for (long i = 0; i < h->nr; i++)
			gupsim_put_page(h->pages[i]);
	}
	free(h->pages);
	*h = r->handles[--r->nr_handles];
	return 0;
}

static int cmd_fork(struct run *r, const struct args *a)
{
	struct mm_struct *parent = r->cur, *child;

	if (opt(a, "of") && !(parent = find_mm(r, opt(a, "of"))))
		return fail(r, "no mm named '%s'", opt(a, "of"));
	if (find_mm(r, a->pos[0]) || r->nr_mms == MAX_NAMES)
		return fail(r, "mm '%s' exists already (or too many)", a->pos[0]);
	child = gupsim_fork(parent);
	if (GUPSIM_IS_ERR_VALUE(child)) {
		print_result(r, (long)child);
		return 0;
	}
	add_mm(r, a->pos[0], child);
	say(r, "  forked '%s'; fork copies of pinned pages so far: %lu", a->pos[0],
	    gupsim_vmstat(r->sim, GUPSIM_NR_FORK_PINNED_COPIES));
	return 0;
}

/* The mm of `in MM`, or the current one. */
static struct mm_struct *mm_arg(struct run *r, const struct args *a)
{
	struct mm_struct *mm = opt(a, "in") ? find_mm(r, opt(a, "in")) : r->cur;

	if (!mm)
		fail(r, "no mm named '%s'", opt(a, "in"));
	return mm;
}

/* dma-write ADDR "text" (with its NUL), dma-read ADDR N */
static int cmd_dma(struct run *r, const struct args *a)
{
	struct range *rg;
	unsigned long addr;
	struct page *page;
	char buf[256];
	long len;

	if (parse_addr(r, a->pos[0], &rg, &addr))
		return -1;
	page = gupsim_follow_page(r->cur, addr);
	if (!page)
		return fail(r, "nothing is mapped at %s", a->pos[0]);
	if (!strcmp(a->spec->name, "dma-write")) {
		const char *text = unquote(a->pos[1], buf, sizeof(buf));

		print_result(r, gupsim_dma_write(page, addr & (PAGE_SIZE - 1), text,
						 strlen(text) + 1));
		return 0;
	}
	if (!parse_long(a->pos[1], &len) || len <= 0 || len >= (long)sizeof(buf))
		return fail(r, "dma-read: bad length '%s' (1 to %zu)", a->pos[1], sizeof(buf) - 1);
	print_result(r, gupsim_dma_read(page, addr & (PAGE_SIZE - 1), buf, (size_t)len));
	buf[len] = '\0';
	say(r, "  \"%s\"", buf);
	return 0;
}

static int cmd_show(struct run *r, const struct args *a)
{
	struct mm_struct *mm = mm_arg(r, a);
	struct range *rg;
	unsigned long addr;
	struct page *page;

	if (!mm || parse_addr(r, a->pos[0], &rg, &addr))
		return -1;
	print_map(r, rg, mm);
	page = gupsim_follow_page(mm, addr);
	if (page)
		print_page(r, a->pos[0], page);
	return 0;
}

static int cmd_dump(struct run *r, const struct args *a)
{
	struct mm_struct *mm = mm_arg(r, a);
	struct range *rg;
	unsigned long addr;
	struct page *page;

	if (!mm || parse_addr(r, a->pos[0], &rg, &addr))
		return -1;
	page = gupsim_follow_page(mm, addr);
	if (!page)
		return fail(r, "nothing is mapped at %s", a->pos[0]);
	if (r->out->quiet)
		return 0;
	fflush(stdout);
	gupsim_set_log(r->sim, r->out->tap ? stderr : stdout);
	gupsim_dump_page(page, "gupsim-run dump");
	return 0;
}

/* vmstat [NAME...]: the non-zero counters, or the named ones. */
static int cmd_vmstat(struct run *r, char **w, int n)
{
	char allowed[1024];
	size_t len = 0;

	if (need_machine(r))
		return -1;
	for (int j = 1; j < n; j++) {
		bool known = false;

		for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++)
			known |= !strcmp(w[j], gupsim_vmstat_name((enum gupsim_vmstat_item)i));
		if (known)
			continue;
		for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS && len < sizeof(allowed); i++)
			len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s",
						i ? " " : "",
						gupsim_vmstat_name((enum gupsim_vmstat_item)i));
		return unknown_word(r, w[j], "vmstat", allowed);
	}
	for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++) {
		const char *name = gupsim_vmstat_name((enum gupsim_vmstat_item)i);
		unsigned long v = gupsim_vmstat(r->sim, (enum gupsim_vmstat_item)i);
		bool named = false;

		for (int j = 1; j < n; j++)
			named |= !strcmp(w[j], name);
		if (n > 1 ? named : v != 0)
			say(r, "  %s %lu", name, v);
	}
	return 0;
}

static int cmd_writeback(struct run *r, const struct args *a)
{
	struct file *f = find_file(r, a->pos[0]);

	if (!f)
		return fail(r, "no file named '%s'", a->pos[0]);
	print_result(r, gupsim_file_writeback(f));
	say(r, "  pinned folios seen by writeback so far: %lu",
	    gupsim_vmstat(r->sim, GUPSIM_NR_WRITEBACK_PINNED));
	return 0;
}

static int cmd_check(struct run *r, const struct args *a)
{
	long v = gupsim_check(r->sim);

	(void)a;
	if (v)
		failed(r, "check: %ld invariant violation(s): the machine is inconsistent", v);
	else
		passed(r, "check: no invariant violations");
	return 0;
}

static const char *const prots[] = { "rw", "ro", "none", NULL };

static const struct opt_spec mmap_opts[] = {
	{ "anon", NULL, 1, false }, { "file:", "F", 1, true },
	{ "private", NULL, 2, false }, { "shared", NULL, 2, false },
	{ "rw", NULL, 3, false }, { "ro", NULL, 3, false }, { "none", NULL, 3, false },
	{ "hugetlb", NULL, 0, false }, { "populate", NULL, 0, false },
	{ NULL, NULL, 0, false },
};
static const struct opt_spec pin_opts[] = {
	{ "write", NULL, 0, false }, { "longterm", NULL, 0, false },
	{ "force", NULL, 0, false }, { "fast", NULL, 1, false }, { "slow", NULL, 1, false },
	{ "remote", NULL, 1, false }, { "unlocked", NULL, 1, false },
	{ "as", "NAME", 0, false }, { NULL, NULL, 0, false },
};
static const struct opt_spec dirty_opt[] = { { "dirty", NULL, 0, false }, { NULL, NULL, 0, false } };
static const struct opt_spec of_opt[] = { { "of", "MM", 0, false }, { NULL, NULL, 0, false } };
static const struct opt_spec in_opt[] = { { "in", "MM", 0, false }, { NULL, NULL, 0, false } };

#define ARG(name) { name, ARG_ANY, NULL, false }
#define CHOICE(set) { NULL, ARG_CHOICE, set, false }
#define OPTIONAL(name, kind) { name, kind, NULL, true }

const struct cmd_spec commands[] = {
	{ "machine", NULL, run_machine, { OPTIONAL("key=value...", ARG_ANY) }, NULL,
	  "configure the machine (before anything uses it): the keys are in the next table. "
	  "Default: 256 MiB NORMAL, THP madvise", true },
	{ "mm", cmd_mm, NULL, { ARG("NAME") }, NULL,
	  "create another address space (the first one, `init`, is created on demand and "
	  "is current)", false },
	{ "use", cmd_use, NULL, { ARG("MM") }, NULL,
	  "make MM the current mm (`kthread_use_mm`)", false },
	{ "file", cmd_file, NULL, { ARG("NAME"), { "KIND", ARG_CHOICE, file_kind_names, false },
	  ARG("SIZE") }, NULL,
	  "create a file: `regular` is a disk file (dirty-tracked, written back)", true },
	{ "mmap", cmd_mmap, NULL, { ARG("NAME"), ARG("SIZE") }, mmap_opts,
	  "map a range in the current mm and name it (default anon private rw)", false },
	{ "munmap", cmd_munmap, NULL, { ARG("ADDR"), ARG("SIZE|all") }, NULL,
	  "as the syscall; prints the result", false },
	{ "mprotect", cmd_mprotect, NULL, { ARG("ADDR"), ARG("SIZE|all"),
	  { "PROT", ARG_CHOICE, prots, false } }, NULL, "as the syscall; prints the result",
	  false },
	{ "madvise", cmd_madvise, NULL, { ARG("ADDR"), ARG("SIZE|all"),
	  { "ADVICE", ARG_CHOICE, advice_names, false } }, NULL,
	  "as the syscall; prints the result", false },
	{ "write", cmd_access, NULL, { ARG("ADDR"), OPTIONAL("\"text\"", ARG_TEXT) }, NULL,
	  "a user write (faults like a CPU) of the text **and its terminating NUL** "
	  "(strlen + 1 bytes); without text, one byte in every page from ADDR to the end "
	  "of its mapping", false },
	{ "read", cmd_access, NULL, { ARG("ADDR"), OPTIONAL("\"text\"|N", ARG_TEXT_OR_NUM) },
	  NULL, "a user read of N bytes (or of as many as `write \"text\"` writes), "
	  "printed; without a length, every page from ADDR to the end", false },
	{ "pin", cmd_gup, NULL, { ARG("ADDR"), ARG("N|all") }, pin_opts,
	  "`pin_user_pages_fast` (default), `pin_user_pages` (slow, under the mmap lock), "
	  "`_remote` or `_unlocked`; the pages are remembered as NAME (default `pages`)", false },
	{ "get", cmd_gup, NULL, { ARG("ADDR"), ARG("N|all") }, pin_opts,
	  "the same with `get_user_pages*` (FOLL_GET)", false },
	{ "unpin", cmd_release, NULL, { ARG("NAME") }, dirty_opt,
	  "`unpin_user_pages_dirty_lock(pages, n, dirty)`", false },
	{ "put", cmd_release, NULL, { ARG("NAME") }, NULL, "`put_page()` on each page", false },
	{ "fork", cmd_fork, NULL, { ARG("CHILD") }, of_opt,
	  "`fork()` the current mm (or MM) into a new mm named CHILD", false },
	{ "dma-write", cmd_dma, NULL, { ARG("ADDR"), { "\"text\"", ARG_TEXT, NULL, false } }, NULL,
	  "a device writes the text and its NUL to the page mapped at ADDR (no fault, no COW)",
	  false },
	{ "dma-read", cmd_dma, NULL, { ARG("ADDR"), ARG("N") }, NULL,
	  "a device reads N bytes of the page mapped at ADDR", false },
	{ "show", cmd_show, NULL, { ARG("ADDR") }, in_opt,
	  "the map of the range and the state of the page at ADDR", false },
	{ "dump", cmd_dump, NULL, { ARG("ADDR") }, in_opt,
	  "`dump_page()` of the page at ADDR", false },
	{ "vmstat", NULL, cmd_vmstat, { OPTIONAL("NAME...", ARG_ANY) }, NULL,
	  "the non-zero counters, or the named ones (`nr_foll_pin_acquired`, ...)", false },
	{ "writeback", cmd_writeback, NULL, { ARG("FILE") }, NULL,
	  "`gupsim_file_writeback()`", false },
	{ "check", cmd_check, NULL, { { NULL, ARG_ANY, NULL, false } }, NULL,
	  "`gupsim_check()`: every invariant of the machine; a violation fails the script",
	  false },
	{ "expect", NULL, cmd_expect, { ARG("WHAT"), OPTIONAL("...", ARG_ANY) }, NULL,
	  "an expectation: see the next table", false },
	{ NULL, NULL, NULL, { { NULL, ARG_ANY, NULL, false } }, NULL, NULL, false },
};

int run_command(struct run *r, char **w, int n)
{
	const struct cmd_spec *spec = find_spec(commands, w[0]);
	struct args a;
	char names[512];

	if (!spec) {
		list_names(names, sizeof(names), commands);
		return fail(r, "unknown command '%s'; allowed: %s", w[0], names);
	}
	if (spec->raw)
		return (spec->no_mm || !need_mm(r)) ? spec->raw(r, w, n) : -1;
	if (parse_args(r, spec, spec->name, w, n, &a))
		return -1;
	if (spec->no_mm ? need_machine(r) : need_mm(r))
		return -1;
	return spec->fn(r, &a);
}

/* Give back what the script still holds (after the leak report). */
void release_all(struct run *r)
{
	for (int i = 0; i < r->nr_handles; i++) {
		struct handle *h = &r->handles[i];

		if (h->pinned)
			gupsim_unpin_user_pages(h->pages, (unsigned long)h->nr);
		else
			for (long j = 0; j < h->nr; j++)
				gupsim_put_page(h->pages[j]);
		free(h->pages);
	}
	r->nr_handles = 0;
}

void cleanup(struct run *r)
{
	release_all(r);
	if (!r->sim)
		return;
	if (r->cur)
		gupsim_kthread_unuse_mm(r->cur);
	/* put the script's mms (init, mm, fork): gupsim_destroy() WARNs
	 * about mms the caller still holds, and strict mode would abort */
	for (int i = 0; i < r->nr_mms; i++)
		gupsim_mm_put(r->mms[i].mm);
	r->nr_mms = 0;
	r->cur = NULL;
	gupsim_destroy(r->sim);	/* tears down every file */
}
