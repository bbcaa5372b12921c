// SPDX-License-Identifier: MIT
/* gupsim-run: the commands of the scenario language (docs/scenarios.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gupsim-run.h"

#define ARGC(min, usage)						\
	do {								\
		if (n < (min))						\
			return fail(r, "usage: %s", usage);		\
	} while (0)

static bool on(const char *v) { return !strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "yes"); }

static int cmd_machine(struct run *r, char **w, int n)
{
	struct gupsim_config *c = &r->cfg;

	if (r->sim)
		return fail(r, "'machine' must come before anything that uses the machine");
	for (int i = 1; i < n; i++) {
		char *eq = strchr(w[i], '=');
		unsigned long v = 0;
		const char *val;

		if (!eq)
			return fail(r, "machine: expected key=value, got '%s'", w[i]);
		*eq = '\0';
		val = eq + 1;
		if (!strcmp(w[i], "thp")) {
			c->thp = !strcmp(val, "never") ? GUPSIM_THP_NEVER :
				 !strcmp(val, "always") ? GUPSIM_THP_ALWAYS : GUPSIM_THP_MADVISE;
			continue;
		}
		if (!strcmp(w[i], "zero")) { c->use_zero_page = on(val); continue; }
		if (!strcmp(w[i], "hugezero")) { c->use_huge_zero_page = on(val); continue; }
		if (!strcmp(w[i], "debug_pins")) { c->debug_pins = on(val); continue; }
		if (!strcmp(w[i], "strict")) { c->strict = on(val); continue; }
		if (!strcmp(w[i], "kernel")) {	/* kernel=6.6, kernel=6.12.3 */
			unsigned int a = 0, b = 0, cc = 0;
			int got = sscanf(val, "%u.%u.%u", &a, &b, &cc);

			if (got < 2 || a > 255 || b > 255 || cc > 255)
				return fail(r, "machine: bad kernel version '%s' (want A.B or A.B.C)", val);
			c->kernel_version = GUPSIM_KERNEL_VERSION(a, b, cc);
			continue;
		}
		if (!strcmp(w[i], "mthp")) {	/* mthp=16K,64K */
			char *save, *tok, copy[128];

			snprintf(copy, sizeof(copy), "%s", val);
			for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (!parse_size(tok, &v) || v < 16384 || (v & (v - 1)))
					return fail(r, "mthp: bad size '%s'", tok);
				c->mthp_orders |= v / PAGE_SIZE;
			}
			continue;
		}
		if (!parse_size(val, &v))
			return fail(r, "machine: bad value '%s' for %s", val, w[i]);
		if (!strcmp(w[i], "normal")) c->normal_mb = v >> 20;
		else if (!strcmp(w[i], "movable")) c->movable_mb = v >> 20;
		else if (!strcmp(w[i], "cma")) c->cma_mb = v >> 20;
		else if (!strcmp(w[i], "device")) c->device_mb = v >> 20;
		else if (!strcmp(w[i], "hugetlb2m")) c->hugetlb_2m_pages = v;
		else if (!strcmp(w[i], "hugetlb1g")) c->hugetlb_1g_pages = v;
		else return fail(r, "machine: unknown key '%s'", w[i]);
	}
	return need_machine(r);
}

static int cmd_mm(struct run *r, char **w, int n)
{
	ARGC(2, "mm NAME");
	if (need_mm(r))
		return -1;
	if (find_mm(r, w[1]) || r->nr_mms == 64)
		return fail(r, "mm '%s' exists already (or too many)", w[1]);
	r->mms[r->nr_mms].mm = gupsim_mm_create(r->sim);
	snprintf(r->mms[r->nr_mms].name, sizeof(r->mms[0].name), "%s", w[1]);
	r->nr_mms++;
	return 0;
}

static int cmd_use(struct run *r, char **w, int n)
{
	struct mm_struct *mm;

	ARGC(2, "use MM");
	if (need_mm(r))
		return -1;
	mm = find_mm(r, w[1]);
	if (!mm)
		return fail(r, "no mm named '%s'", w[1]);
	gupsim_kthread_unuse_mm(r->cur);
	r->cur = mm;
	gupsim_kthread_use_mm(mm);
	return 0;
}

static const struct { const char *name; enum gupsim_file_kind kind; } file_kinds[] = {
	{ "regular", GUPSIM_FILE_REGULAR }, { "shmem", GUPSIM_FILE_SHMEM },
	{ "memfd", GUPSIM_FILE_MEMFD }, { "hugetlbfs", GUPSIM_FILE_HUGETLBFS },
	{ "fsdax", GUPSIM_FILE_FSDAX }, { "pfnmap", GUPSIM_FILE_PFNMAP },
	{ "secretmem", GUPSIM_FILE_SECRETMEM },
};

static int cmd_file(struct run *r, char **w, int n)
{
	unsigned long size;
	struct file *f = NULL;

	ARGC(4, "file NAME regular|shmem|memfd|hugetlbfs|fsdax|pfnmap|secretmem SIZE");
	if (need_machine(r) || !parse_size(w[3], &size))
		return r->sim ? fail(r, "bad size '%s'", w[3]) : -1;
	for (size_t i = 0; i < sizeof(file_kinds) / sizeof(file_kinds[0]); i++)
		if (!strcmp(w[2], file_kinds[i].name))
			f = gupsim_file_create(r->sim, file_kinds[i].kind, w[1], size);
	if (!f)
		return fail(r, "cannot create file '%s' of kind '%s': %s", w[1], w[2],
			    strerror(errno));
	snprintf(r->files[r->nr_files].name, sizeof(r->files[0].name), "%s", w[1]);
	r->files[r->nr_files++].file = f;
	return 0;
}

static int cmd_mmap(struct run *r, char **w, int n)
{
	int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
	struct file *file = NULL;
	struct mm_struct *mm;
	unsigned long size, addr;
	struct range *rg;

	ARGC(3, "mmap NAME SIZE [anon|file:F] [private|shared] [rw|ro|none] [hugetlb] [populate]");
	if (need_mm(r))
		return -1;
	mm = r->cur;
	if (!parse_size(w[2], &size))
		return fail(r, "bad size '%s'", w[2]);
	for (int i = 3; i < n; i++) {
		if (!strncmp(w[i], "file:", 5)) {
			file = find_file(r, w[i] + 5);
			if (!file)
				return fail(r, "no file named '%s'", w[i] + 5);
			flags &= ~MAP_ANONYMOUS;
		} else if (!strcmp(w[i], "shared")) {
			flags = (flags & ~MAP_PRIVATE) | MAP_SHARED;
		} else if (!strcmp(w[i], "ro")) {
			prot = PROT_READ;
		} else if (!strcmp(w[i], "none")) {
			prot = PROT_NONE;
		} else if (!strcmp(w[i], "hugetlb")) {
			flags |= MAP_HUGETLB;
		} else if (!strcmp(w[i], "populate")) {
			flags |= MAP_POPULATE;
		} else if (strcmp(w[i], "anon") && strcmp(w[i], "private") && strcmp(w[i], "rw")) {
			return fail(r, "mmap: unknown option '%s'", w[i]);
		}
	}
	if (find_range(r, w[1]) || r->nr_ranges == 64)
		return fail(r, "mapping '%s' exists already (or too many)", w[1]);
	addr = gupsim_mmap(mm, 0, size, prot, flags, file, 0);
	r->last = (long)addr;
	if (GUPSIM_IS_ERR_VALUE(addr)) {
		printf("  = %ld (%s)\n", (long)addr, strerror((int)-(long)addr));
		return 0;
	}
	rg = &r->ranges[r->nr_ranges++];
	snprintf(rg->name, sizeof(rg->name), "%s", w[1]);
	rg->mm = mm;
	rg->addr = addr;
	rg->len = (size + PAGE_SIZE - 1) & PAGE_MASK;
	printf("  = %#lx\n", addr);
	return 0;
}

static void result(struct run *r, long v)
{
	r->last = v;
	if (v < 0 && v >= -4095)
		printf("  = %ld (%s)\n", v, strerror((int)-v));
	else
		printf("  = %ld\n", v);
}

static int cmd_munmap_like(struct run *r, char **w, int n)
{
	struct range *rg;
	unsigned long addr, size;
	int prot = PROT_READ | PROT_WRITE;

	ARGC(3, "munmap|mprotect|madvise ADDR SIZE [...]");
	if (parse_addr(r, w[1], &rg, &addr))
		return -1;
	if (!strcmp(w[2], "all"))
		size = rg->addr + rg->len - addr;
	else if (!parse_size(w[2], &size))
		return fail(r, "bad size '%s'", w[2]);
	if (!strcmp(w[0], "munmap")) {
		result(r, gupsim_munmap(r->cur, addr, size));
	} else if (!strcmp(w[0], "mprotect")) {
		ARGC(4, "mprotect ADDR SIZE rw|ro|none");
		if (!strcmp(w[3], "ro"))
			prot = PROT_READ;
		else if (!strcmp(w[3], "none"))
			prot = PROT_NONE;
		result(r, gupsim_mprotect(r->cur, addr, size, prot));
	} else {
		static const struct { const char *name; int advice; } advs[] = {
			{ "hugepage", MADV_HUGEPAGE }, { "nohugepage", MADV_NOHUGEPAGE },
			{ "dontneed", MADV_DONTNEED }, { "dontfork", MADV_DONTFORK },
			{ "dofork", MADV_DOFORK }, { "populate-read", MADV_POPULATE_READ },
			{ "populate-write", MADV_POPULATE_WRITE },
		};
		ARGC(4, "madvise ADDR SIZE hugepage|nohugepage|dontneed|dontfork|dofork|populate-read|populate-write");
		for (size_t i = 0; i < sizeof(advs) / sizeof(advs[0]); i++)
			if (!strcmp(w[3], advs[i].name)) {
				result(r, gupsim_madvise(r->cur, addr, size, advs[i].advice));
				return 0;
			}
		return fail(r, "unknown advice '%s'", w[3]);
	}
	return 0;
}

/* write/read ADDR ["text" | N]: without data, touch every page to the end. */
static int cmd_access(struct run *r, char **w, int n)
{
	bool write = !strcmp(w[0], "write");
	struct range *rg;
	unsigned long addr;
	long done = 0;
	char buf[256];

	ARGC(2, "write|read ADDR [\"text\"|N]");
	if (parse_addr(r, w[1], &rg, &addr))
		return -1;
	if (n > 2 && w[2][0] == '"') {
		const char *text = unquote(w[2]);
		size_t len = strlen(text) + 1;

		done = write ? gupsim_write(r->cur, addr, text, len) :
			       gupsim_read(r->cur, addr, buf, len < sizeof(buf) ? len : sizeof(buf));
	} else {
		for (unsigned long a = addr; a < rg->addr + rg->len; a += PAGE_SIZE) {
			char c = 'x';
			long got = write ? gupsim_write(r->cur, a, &c, 1) : gupsim_read(r->cur, a, &c, 1);

			if (got < 0) {
				done = done ? done : got;
				break;
			}
			done += got;
		}
	}
	result(r, done);
	print_map(rg, r->cur);
	return 0;
}

static struct handle *new_handle(struct run *r, char **w, int n, long nr)
{
	struct handle *h = &r->handles[r->nr_handles];
	const char *name = "pages";

	for (int i = 0; i + 1 < n; i++)
		if (!strcmp(w[i], "as"))
			name = w[i + 1];
	if (r->nr_handles == 64 || find_handle(r, name))
		return NULL;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pages = calloc((size_t)nr, sizeof(*h->pages));
	r->nr_handles++;
	return h;
}

/* pin|get ADDR NPAGES|all [write] [longterm] [fast|slow|remote|unlocked] [as H] */
static int cmd_gup(struct run *r, char **w, int n)
{
	bool pin = !strcmp(w[0], "pin");
	unsigned int flags = 0;
	struct range *rg;
	struct handle *h;
	unsigned long addr, nr;
	long got;

	ARGC(3, "pin|get ADDR NPAGES|all [write] [longterm] [fast|slow|remote|unlocked] [as NAME]");
	if (parse_addr(r, w[1], &rg, &addr))
		return -1;
	if (!strcmp(w[2], "all"))
		nr = (rg->addr + rg->len - addr) / PAGE_SIZE;
	else if (!parse_size(w[2], &nr) || !nr || nr > (1UL << 20))
		return fail(r, "bad page count '%s'", w[2]);
	if (has(w, n, "write"))
		flags |= FOLL_WRITE;
	if (has(w, n, "longterm"))
		flags |= FOLL_LONGTERM;
	if (has(w, n, "force"))
		flags |= FOLL_FORCE;
	h = new_handle(r, w, n, (long)nr);
	if (!h || !h->pages)
		return fail(r, "cannot record the pages (name taken, or too many handles)");
	h->pinned = pin;
	if (has(w, n, "slow")) {
		gupsim_mmap_read_lock(r->cur);
		got = pin ? gupsim_pin_user_pages(addr, nr, flags, h->pages) :
			    gupsim_get_user_pages(addr, nr, flags, h->pages);
		gupsim_mmap_read_unlock(r->cur);
	} else if (has(w, n, "remote")) {
		got = pin ? gupsim_pin_user_pages_remote(r->cur, addr, nr, flags, h->pages, NULL) :
			    gupsim_get_user_pages_remote(r->cur, addr, nr, flags, h->pages, NULL);
	} else if (has(w, n, "unlocked")) {
		got = pin ? gupsim_pin_user_pages_unlocked(addr, nr, h->pages, flags) :
			    gupsim_get_user_pages_unlocked(addr, nr, h->pages, flags);
	} else {
		got = pin ? gupsim_pin_user_pages_fast(addr, (int)nr, flags, h->pages) :
			    gupsim_get_user_pages_fast(addr, (int)nr, flags, h->pages);
	}
	h->nr = got > 0 ? got : 0;
	result(r, got);
	print_map(rg, r->cur);
	return 0;
}

static int cmd_release(struct run *r, char **w, int n)
{
	struct handle *h;

	ARGC(2, "unpin|put NAME [dirty]");
	h = find_handle(r, w[1]);
	if (!h)
		return fail(r, "no pages named '%s'", w[1]);
	if (!strcmp(w[0], "unpin")) {
		if (!h->pinned)
			printf("  (these pages were not pinned: expect a WARN)\n");
		gupsim_unpin_user_pages_dirty_lock(h->pages, (unsigned long)h->nr, has(w, n, "dirty"));
	} else {
		for (long i = 0; i < h->nr; i++)
			gupsim_put_page(h->pages[i]);
	}
	free(h->pages);
	*h = r->handles[--r->nr_handles];
	return 0;
}

static int cmd_fork(struct run *r, char **w, int n)
{
	struct mm_struct *parent = r->cur, *child;

	ARGC(2, "fork CHILD [of MM]");
	if (need_mm(r))
		return -1;
	parent = r->cur;
	if (n >= 4 && !strcmp(w[2], "of") && !(parent = find_mm(r, w[3])))
		return fail(r, "no mm named '%s'", w[3]);
	if (find_mm(r, w[1]) || r->nr_mms == 64)
		return fail(r, "mm '%s' exists already", w[1]);
	child = gupsim_fork(parent);
	if (GUPSIM_IS_ERR_VALUE(child)) {
		result(r, (long)child);
		return 0;
	}
	snprintf(r->mms[r->nr_mms].name, sizeof(r->mms[0].name), "%s", w[1]);
	r->mms[r->nr_mms++].mm = child;
	printf("  forked '%s'; fork copies of pinned pages so far: %lu\n", w[1],
	       gupsim_vmstat(r->sim, GUPSIM_NR_FORK_PINNED_COPIES));
	return 0;
}

static struct mm_struct *mm_arg(struct run *r, char **w, int n)
{
	for (int i = 0; i + 1 < n; i++)
		if (!strcmp(w[i], "in"))
			return find_mm(r, w[i + 1]);
	return r->cur;
}

static int cmd_dma(struct run *r, char **w, int n)
{
	struct range *rg;
	unsigned long addr;
	struct page *page;
	char buf[256];

	ARGC(3, "dma-write ADDR \"text\" | dma-read ADDR N");
	if (parse_addr(r, w[1], &rg, &addr))
		return -1;
	page = gupsim_follow_page(r->cur, addr);
	if (!page)
		return fail(r, "nothing is mapped at %s", w[1]);
	if (!strcmp(w[0], "dma-write")) {
		const char *text = unquote(w[2]);

		result(r, gupsim_dma_write(page, addr & ~PAGE_MASK, text, strlen(text) + 1));
	} else {
		long len;

		if (!parse_long(w[2], &len) || len <= 0 || len >= (long)sizeof(buf))
			return fail(r, "bad length '%s'", w[2]);
		result(r, gupsim_dma_read(page, addr & ~PAGE_MASK, buf, (size_t)len));
		buf[len] = '\0';
		printf("  \"%s\"\n", buf);
	}
	return 0;
}

static int cmd_show(struct run *r, char **w, int n)
{
	struct range *rg;
	unsigned long addr;
	struct mm_struct *mm = mm_arg(r, w, n);
	struct page *page;

	ARGC(2, "show ADDR [in MM]");
	if (!mm)
		return fail(r, "no such mm");
	if (parse_addr(r, w[1], &rg, &addr))
		return -1;
	print_map(rg, mm);
	page = gupsim_follow_page(mm, addr);
	if (page)
		print_page(r, w[1], page);
	return 0;
}

static int cmd_vmstat(struct run *r, char **w, int n)
{
	if (need_machine(r))
		return -1;
	for (int i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++) {
		const char *name = gupsim_vmstat_name((enum gupsim_vmstat_item)i);
		unsigned long v = gupsim_vmstat(r->sim, (enum gupsim_vmstat_item)i);

		if (n > 1 ? has(w, n, name) : v != 0)
			printf("  %s %lu\n", name, v);
	}
	return 0;
}

static int cmd_dump(struct run *r, char **w, int n)
{
	struct range *rg;
	unsigned long addr;
	struct page *page;

	ARGC(2, "dump ADDR");
	if (parse_addr(r, w[1], &rg, &addr))
		return -1;
	page = gupsim_follow_page(mm_arg(r, w, n), addr);
	if (!page)
		return fail(r, "nothing is mapped at %s", w[1]);
	fflush(stdout);
	gupsim_set_log(r->sim, stdout);
	gupsim_dump_page(page, "gupsim-run dump");
	return 0;
}

static int cmd_writeback(struct run *r, char **w, int n)
{
	struct file *f;

	ARGC(2, "writeback FILE");
	f = find_file(r, w[1]);
	if (!f)
		return fail(r, "no file named '%s'", w[1]);
	result(r, gupsim_file_writeback(f));
	printf("  pinned folios seen by writeback so far: %lu\n",
	       gupsim_vmstat(r->sim, GUPSIM_NR_WRITEBACK_PINNED));
	return 0;
}

static int cmd_check(struct run *r, char **w, int n)
{
	long v;

	if (need_machine(r))
		return -1;
	v = gupsim_check(r->sim);
	printf("  invariant violations: %ld\n", v);
	if (v) {
		r->failures++;
		printf("  FAILED: the machine is inconsistent\n");
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct run *r, char **w, int n);
} commands[] = {
	{ "machine", cmd_machine }, { "mm", cmd_mm }, { "use", cmd_use },
	{ "file", cmd_file }, { "mmap", cmd_mmap }, { "munmap", cmd_munmap_like },
	{ "mprotect", cmd_munmap_like }, { "madvise", cmd_munmap_like },
	{ "write", cmd_access }, { "read", cmd_access }, { "pin", cmd_gup },
	{ "get", cmd_gup }, { "unpin", cmd_release }, { "put", cmd_release },
	{ "fork", cmd_fork }, { "dma-write", cmd_dma }, { "dma-read", cmd_dma },
	{ "show", cmd_show }, { "vmstat", cmd_vmstat }, { "dump", cmd_dump },
	{ "writeback", cmd_writeback }, { "check", cmd_check }, { "expect", cmd_expect },
};

int run_command(struct run *r, char **w, int n)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(w[0], commands[i].name)) {
			if (strcmp(w[0], "machine") && strcmp(w[0], "file") && need_mm(r))
				return -1;
			return commands[i].fn(r, w, n);
		}
	return fail(r, "unknown command '%s' (see gupsim-run --help)", w[0]);
}

void cleanup(struct run *r)
{
	for (int i = 0; i < r->nr_handles; i++)
		free(r->handles[i].pages);
	if (!r->sim)
		return;
	if (r->cur)
		gupsim_kthread_unuse_mm(r->cur);
	gupsim_destroy(r->sim);	/* tears down every mm and file */
}
