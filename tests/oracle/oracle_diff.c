// SPDX-License-Identifier: MIT
/*
 * Differential test against the running kernel.
 *
 * Each scenario runs twice: once on the host kernel, through the syscalls
 * that reach its pin paths (io_uring buffer registration is
 * pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM), O_DIRECT is a short-term
 * FOLL_PIN, process_vm_readv is pin_user_pages_remote), reading the
 * nr_foll_pin_acquired/released deltas from /proc/vmstat after
 * /proc/sys/vm/stat_refresh; and once in gupsim, through the same kernel
 * functions the syscalls use. Return values, errnos and counter deltas must
 * match. One row per scenario; exit 77 when the kernel side cannot run
 * (not root, no io_uring, no counters).
 *
 * Hosts differ: some map fresh pages on anonymous read faults instead of
 * the zero page (or a fresh THP instead of the huge zero folio). The host
 * profile is measured first and the gupsim machine is configured to match,
 * so "zeropage" scenarios compare a read-faulted buffer on both sides,
 * whatever the host maps for it. A scenario the host cannot run is a skip
 * with its reason, never a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gupsim/gupsim.h>

#include "oracle.h"

/* ---------------- the kernel side ---------------- */

struct counts {
	unsigned long acquired, released;
};

static int read_pins(struct counts *c)
{
	FILE *f;
	char name[64];
	unsigned long v;
	int found = 0;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* fold the per-CPU diffs, or small deltas read as 0 */
	if (fd < 0 || write(fd, "1", 1) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lu", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired")) {
			c->acquired = v;
			found++;
		} else if (!strcmp(name, "nr_foll_pin_released")) {
			c->released = v;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

struct result {
	long rc;		/* 0 / count, or -errno */
	unsigned long acq, rel;	/* deltas over the whole scenario */
	long extra;		/* scenario-specific fact (e.g. pages copied by fork) */
	const char *why;	/* the reason, when the host cannot run it */
};

static int skip(struct result *r, const char *why)
{
	r->why = why;
	return SKIP;
}

static struct counts before;
static void k_begin(void) { read_pins(&before); }
static void k_end(struct result *r)
{
	struct counts after;

	read_pins(&after);
	r->acq = after.acquired - before.acquired;
	r->rel = after.released - before.released;
}

static int uring_fd(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return (int)syscall(__NR_io_uring_setup, 4, &p);
}

/* io_uring buffer registration: pin_user_pages_fast(WRITE | LONGTERM). */
static long uring_register(void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	int fd = uring_fd();
	long rc;

	if (fd < 0)
		return -errno;
	rc = syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1);
	if (rc < 0)
		rc = -errno;
	else
		syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
	close(fd);
	return rc;
}

static const char *tmpfile_path = "/tmp/gupsim_oracle.dat";

static int make_file(size_t len)
{
	int fd = open(tmpfile_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *zero;

	if (fd < 0)
		return -1;
	zero = calloc(1, len);
	if (!zero || write(fd, zero, len) != (ssize_t)len) {
		free(zero);
		close(fd);
		return -1;
	}
	free(zero);
	fsync(fd);
	return fd;
}

/* O_DIRECT: a short-term FOLL_PIN, released before the syscall returns. */
static long odirect(void *buf, size_t len, int read_into_buf)
{
	int fd = make_file(len);
	long rc;

	if (fd < 0)
		return -errno;
	close(fd);
	fd = open(tmpfile_path, O_RDWR | O_DIRECT);
	if (fd < 0)
		return -errno;
	rc = read_into_buf ? pread(fd, buf, len, 0) : pwrite(fd, buf, len, 0);
	if (rc < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* ---------------- the gupsim side ---------------- */

struct gs {
	struct gupsim *sim;
	struct mm_struct *mm;
	struct counts c0;
};

static void gs_begin(struct gs *g)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 256;
	/* like with like: the host's read faults decide the zero pages */
	cfg.use_zero_page = host.zero_page;
	cfg.use_huge_zero_page = host.huge_zero;
	g->sim = gupsim_create(&cfg);
	g->mm = gupsim_mm_create(g->sim);
	gupsim_kthread_use_mm(g->mm);
}

static void gs_end(struct gs *g, struct result *r)
{
	r->acq = gupsim_vmstat(g->sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	r->rel = gupsim_vmstat(g->sim, GUPSIM_NR_FOLL_PIN_RELEASED);
	gupsim_kthread_unuse_mm(g->mm);
	gupsim_mm_put(g->mm);
	gupsim_destroy(g->sim);
}

static unsigned long gs_map(struct gs *g, size_t len, int flags, int thp)
{
	unsigned long addr = gupsim_mmap(g->mm, 0, len, PROT_READ | PROT_WRITE,
					 flags | MAP_ANONYMOUS, NULL, 0);

	if (thp)
		gupsim_madvise(g->mm, addr, len, MADV_HUGEPAGE);
	return addr;
}

static void gs_touch(struct gs *g, unsigned long addr, size_t len, int write)
{
	char c = 1;

	for (size_t i = 0; i < len; i += PG) {
		if (write)
			gupsim_write(g->mm, addr + i, &c, 1);
		else
			gupsim_read(g->mm, addr + i, &c, 1);
	}
}

/* io_uring's io_pin_pages(): all or nothing. */
static long gs_uring_register(unsigned long addr, size_t len)
{
	unsigned long n = len / PG;
	struct page **pages = calloc(n, sizeof(*pages));
	long got = gupsim_pin_user_pages_fast(addr, (int)n, FOLL_WRITE | FOLL_LONGTERM, pages);

	if (got >= 0 && (unsigned long)got != n) {
		gupsim_unpin_user_pages(pages, (unsigned long)got);
		got = -EFAULT;
	} else if (got > 0) {
		gupsim_unpin_user_pages(pages, n);	/* unregister */
		got = 0;
	}
	free(pages);
	return got;
}

/* bio_iov_iter_get_pages + bio_release_pages: pin, "I/O", unpin. */
static long gs_odirect(unsigned long addr, size_t len, int read_into_buf)
{
	unsigned long n = len / PG;
	struct page **pages = calloc(n, sizeof(*pages));
	long got = gupsim_pin_user_pages_fast(addr, (int)n, read_into_buf ? FOLL_WRITE : 0, pages);

	if (got > 0)
		gupsim_unpin_user_pages_dirty_lock(pages, (unsigned long)got, read_into_buf);
	free(pages);
	if (got < 0)
		return got;
	return (unsigned long)got == n ? (long)len : -EFAULT;
}

/* ---------------- scenarios ---------------- */

struct scenario {
	const char *name;
	int (*kernel)(struct result *r);	/* 0, or SKIP when the host cannot */
	void (*sim)(struct result *r);
	int check_extra;
};

#define N64 (64 * PG)

static int k_uring_anon_write(struct result *r)
{
	char *p = map_anon(N64, PG);

	touch(p, N64, 1);
	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	return 0;
}

static void s_uring_anon_write(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 1);
	r->rc = gs_uring_register(a, N64);
	gs_end(&g, r);
}

static int k_uring_anon_zeropage(struct result *r)
{
	char *p = map_anon(N64, PG);

	touch(p, N64, 0);
	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	r->extra = pfn_of(p) != pfn_of(p + PG);	/* no longer the one zero page */
	return 0;
}

static void s_uring_anon_zeropage(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 0);
	r->rc = gs_uring_register(a, N64);
	r->extra = gupsim_follow_page(g.mm, a) != gupsim_follow_page(g.mm, a + PG);
	gs_end(&g, r);
}

static int k_uring_anon_untouched(struct result *r)
{
	char *p = map_anon(N64, PG);

	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	return 0;
}

static void s_uring_anon_untouched(struct result *r)
{
	struct gs g;

	gs_begin(&g);
	r->rc = gs_uring_register(gs_map(&g, N64, MAP_PRIVATE, 0), N64);
	gs_end(&g, r);
}

static int k_uring_anon_protread(struct result *r)
{
	char *p = map_anon(N64, PG);

	touch(p, N64, 0);
	mprotect(p, N64, PROT_READ);
	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	return 0;
}

static void s_uring_anon_protread(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 0);
	gupsim_mprotect(g.mm, a, N64, PROT_READ);
	r->rc = gs_uring_register(a, N64);
	gs_end(&g, r);
}

static int k_uring_shared_anon(struct result *r)
{
	char *p = mmap(NULL, N64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	touch(p, N64, 1);
	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	return 0;
}

static void s_uring_shared_anon(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_SHARED, 0);
	gs_touch(&g, a, N64, 1);
	r->rc = gs_uring_register(a, N64);
	gs_end(&g, r);
}

static int k_uring_hole_at_32(struct result *r)
{
	char *p = map_anon(N64, PG);

	touch(p, N64, 1);
	munmap(p + 32 * PG, 4 * PG);
	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	return 0;
}

static void s_uring_hole_at_32(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 1);
	gupsim_munmap(g.mm, a + 32 * PG, 4 * PG);
	r->rc = gs_uring_register(a, N64);
	gs_end(&g, r);
}

/* MAP_SHARED of a regular ext4 file: a writable long-term pin is refused. */
static int k_uring_file_shared_write(struct result *r)
{
	int fd = make_file(N64);
	char *p;

	if (fd < 0)
		return skip(r, "cannot create the temp file");
	p = mmap(NULL, N64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	touch(p, N64, 1);
	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	munmap(p, N64);
	close(fd);
	return 0;
}

static void s_uring_file_shared_write(struct result *r)
{
	struct gs g;
	struct file *f;
	unsigned long a;

	gs_begin(&g);
	f = gupsim_file_create(g.sim, GUPSIM_FILE_REGULAR, "oracle.dat", N64);
	a = gupsim_mmap(g.mm, 0, N64, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	gs_touch(&g, a, N64, 1);
	r->rc = gs_uring_register(a, N64);
	gupsim_file_put(f);
	gs_end(&g, r);
}

static int k_uring_file_private_readfault(struct result *r)
{
	int fd = make_file(N64);
	char *p;

	if (fd < 0)
		return skip(r, "cannot create the temp file");
	p = mmap(NULL, N64, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	touch(p, N64, 0);
	k_begin();
	r->rc = uring_register(p, N64);
	k_end(r);
	munmap(p, N64);
	close(fd);
	return 0;
}

static void s_uring_file_private_readfault(struct result *r)
{
	struct gs g;
	struct file *f;
	unsigned long a;

	gs_begin(&g);
	f = gupsim_file_create(g.sim, GUPSIM_FILE_REGULAR, "oracle.dat", N64);
	a = gupsim_mmap(g.mm, 0, N64, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0);
	gs_touch(&g, a, N64, 0);
	r->rc = gs_uring_register(a, N64);
	gupsim_file_put(f);
	gs_end(&g, r);
}

static int k_odirect_read_anon(struct result *r)
{
	char *p = map_anon(N64, PG);

	touch(p, N64, 1);
	k_begin();
	r->rc = odirect(p, N64, 1);
	k_end(r);
	return 0;
}

static void s_odirect_read_anon(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 1);
	r->rc = gs_odirect(a, N64, 1);
	gs_end(&g, r);
}

/* A FOLL_PIN without FOLL_WRITE on the small zero page is not counted. */
static int k_odirect_write_zeropage(struct result *r)
{
	char *p = map_anon(N64, PG);

	touch(p, N64, 0);
	k_begin();
	r->rc = odirect(p, N64, 0);
	k_end(r);
	return 0;
}

static void s_odirect_write_zeropage(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 0);
	r->rc = gs_odirect(a, N64, 0);
	gs_end(&g, r);
}

static int thp_usable(void)
{
	return host.thp_enabled[0] && strcmp(host.thp_enabled, "never") != 0;
}

static int k_odirect_read_thp(struct result *r)
{
	char *p;

	if (!thp_usable())
		return skip(r, "THP disabled (enabled=never)");
	p = map_anon(2 * HPG, HPG);
	madvise(p, 2 * HPG, MADV_HUGEPAGE);
	touch(p, 2 * HPG, 1);
	if (!pmd_mapped(p) || !pmd_mapped(p + HPG))
		return skip(r, "written MADV_HUGEPAGE range is not PMD-mapped");
	k_begin();
	r->rc = odirect(p, 2 * HPG, 1);
	k_end(r);
	return 0;
}

static void s_odirect_read_thp(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, 2 * HPG, MAP_PRIVATE, 1);
	gs_touch(&g, a, 2 * HPG, 1);
	r->rc = gs_odirect(a, 2 * HPG, 1);
	gs_end(&g, r);
}

/* The huge zero folio IS counted, per 4 KiB page (so is a fresh THP). */
static int k_odirect_write_thp_zeropage(struct result *r)
{
	char *p;

	if (!thp_usable())
		return skip(r, "THP disabled (enabled=never)");
	p = map_anon(HPG, HPG);
	madvise(p, HPG, MADV_HUGEPAGE);
	touch(p, HPG, 0);
	if (!pmd_mapped(p))
		return skip(r, "read-faulted MADV_HUGEPAGE range is not PMD-mapped");
	k_begin();
	r->rc = odirect(p, HPG, 0);
	k_end(r);
	return 0;
}

static void s_odirect_write_thp_zeropage(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, HPG, MAP_PRIVATE, 1);
	gs_touch(&g, a, HPG, 0);
	r->rc = gs_odirect(a, HPG, 0);
	gs_end(&g, r);
}

/* process_vm_readv pins the remote side with pin_user_pages_remote. */
static int k_process_vm_readv(struct result *r, int write_first)
{
	char *p = map_anon(N64, PG), *local = malloc(N64);
	struct iovec l = { local, N64 }, rv = { p, N64 };

	touch(p, N64, write_first);
	touch(local, N64, 1);
	k_begin();
	r->rc = process_vm_readv(getpid(), &l, 1, &rv, 1, 0);
	if (r->rc < 0)
		r->rc = -errno;
	k_end(r);
	free(local);
	return 0;
}

static int k_pvm_readv_anon(struct result *r) { return k_process_vm_readv(r, 1); }
static int k_pvm_readv_zeropage(struct result *r) { return k_process_vm_readv(r, 0); }

static void s_process_vm_readv(struct result *r, int write_first)
{
	struct gs g;
	unsigned long a, n = N64 / PG;
	struct page **pages = calloc(n, sizeof(*pages));
	long got;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, write_first);
	/* locked == NULL: the caller holds the mmap lock */
	gupsim_mmap_read_lock(g.mm);
	got = gupsim_pin_user_pages_remote(g.mm, a, n, 0, pages, NULL);
	gupsim_mmap_read_unlock(g.mm);
	if (got > 0)
		gupsim_unpin_user_pages(pages, (unsigned long)got);
	r->rc = got == (long)n ? (long)N64 : got;
	free(pages);
	gs_end(&g, r);
}

static void s_pvm_readv_anon(struct result *r) { s_process_vm_readv(r, 1); }
static void s_pvm_readv_zeropage(struct result *r) { s_process_vm_readv(r, 0); }

/* fork with a registered buffer: the pinned pages are copied for the child. */
static int k_fork_pinned(struct result *r)
{
	char *p = map_anon(16 * PG, PG);
	struct iovec iov = { p, 8 * PG };
	int fd = uring_fd(), pipefd[2];
	uint64_t parent[16], child[16];
	pid_t pid;

	if (fd < 0 || pipe(pipefd))
		return skip(r, "io_uring or pipe unavailable");
	touch(p, 16 * PG, 1);
	k_begin();
	r->rc = syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1);
	for (int i = 0; i < 16; i++)
		parent[i] = pfn_of(p + i * PG);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 16; i++)
			child[i] = pfn_of(p + i * PG);
		if (write(pipefd[1], child, sizeof(child)) != sizeof(child))
			_exit(1);
		_exit(0);
	}
	if (read(pipefd[0], child, sizeof(child)) != sizeof(child))
		memset(child, 0, sizeof(child));
	waitpid(pid, NULL, 0);
	syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
	close(fd);
	k_end(r);
	/* extra = pinned pages copied * 100 + control pages still shared */
	r->extra = 0;
	for (int i = 0; i < 8; i++)
		r->extra += (child[i] != parent[i]) * 100;
	for (int i = 8; i < 16; i++)
		r->extra += child[i] == parent[i];
	close(pipefd[0]);
	close(pipefd[1]);
	return 0;
}

static void s_fork_pinned(struct result *r)
{
	struct gs g;
	struct page *pages[8];
	struct mm_struct *child;
	unsigned long a;
	long got;

	gs_begin(&g);
	a = gs_map(&g, 16 * PG, MAP_PRIVATE, 0);
	gs_touch(&g, a, 16 * PG, 1);
	got = gupsim_pin_user_pages_fast(a, 8, FOLL_WRITE | FOLL_LONGTERM, pages);
	r->rc = got == 8 ? 0 : got;
	child = gupsim_fork(g.mm);
	r->extra = 0;
	if (!GUPSIM_IS_ERR_VALUE(child)) {
		for (int i = 0; i < 8; i++)
			r->extra += (gupsim_follow_page(child, a + i * PG) !=
				     gupsim_follow_page(g.mm, a + i * PG)) * 100;
		for (int i = 8; i < 16; i++)
			r->extra += gupsim_follow_page(child, a + i * PG) ==
				    gupsim_follow_page(g.mm, a + i * PG);
		gupsim_mm_put(child);
	}
	if (got > 0)
		gupsim_unpin_user_pages(pages, (unsigned long)got);
	gs_end(&g, r);
}

static const struct scenario scenarios[] = {
	{ "uring_anon_write", k_uring_anon_write, s_uring_anon_write, 0 },
	{ "uring_anon_zeropage", k_uring_anon_zeropage, s_uring_anon_zeropage, 1 },
	{ "uring_anon_untouched", k_uring_anon_untouched, s_uring_anon_untouched, 0 },
	{ "uring_anon_protread", k_uring_anon_protread, s_uring_anon_protread, 0 },
	{ "uring_shared_anon_write", k_uring_shared_anon, s_uring_shared_anon, 0 },
	{ "uring_hole_at_32", k_uring_hole_at_32, s_uring_hole_at_32, 0 },
	{ "uring_file_shared_write", k_uring_file_shared_write, s_uring_file_shared_write, 0 },
	{ "uring_file_private_readfault", k_uring_file_private_readfault,
	  s_uring_file_private_readfault, 0 },
	{ "odirect_read_anon", k_odirect_read_anon, s_odirect_read_anon, 0 },
	{ "odirect_write_zeropage", k_odirect_write_zeropage, s_odirect_write_zeropage, 0 },
	{ "odirect_read_thp_2x", k_odirect_read_thp, s_odirect_read_thp, 0 },
	{ "odirect_write_thp_zeropage", k_odirect_write_thp_zeropage,
	  s_odirect_write_thp_zeropage, 0 },
	{ "process_vm_readv_anon", k_pvm_readv_anon, s_pvm_readv_anon, 0 },
	{ "process_vm_readv_zeropage", k_pvm_readv_zeropage, s_pvm_readv_zeropage, 0 },
	{ "fork_pinned_4k", k_fork_pinned, s_fork_pinned, 1 },
};

static int host_ready(void)
{
	struct counts c;
	int fd;

	if (geteuid() != 0) {
		printf("# SKIP: needs root (stat_refresh, pagemap PFNs)\n");
		return 0;
	}
	if (read_pins(&c)) {
		printf("# SKIP: /proc/vmstat has no nr_foll_pin_* counters\n");
		return 0;
	}
	fd = uring_fd();
	if (fd < 0) {
		printf("# SKIP: no io_uring (%s)\n", strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

int main(void)
{
	int passed = 0, failed = 0, skipped = 0;

	if (!host_ready())
		return SKIP;
	host_probe(&host);
	host_print(&host);
	printf("%-30s %-28s %-28s %s\n", "scenario", "kernel rc/acq/rel",
	       "gupsim rc/acq/rel", "match");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		struct result k = { 0 }, g = { 0 };
		char kb[64], gb[64];
		int match;

		if (s->kernel(&k) == SKIP) {
			printf("%-30s skip: %s\n", s->name, k.why ? k.why : "host cannot");
			skipped++;
			continue;
		}
		s->sim(&g);
		match = k.rc == g.rc && k.acq == g.acq && k.rel == g.rel &&
			(!s->check_extra || k.extra == g.extra);
		snprintf(kb, sizeof(kb), "%ld/%lu/%lu", k.rc, k.acq, k.rel);
		snprintf(gb, sizeof(gb), "%ld/%lu/%lu", g.rc, g.acq, g.rel);
		if (s->check_extra) {
			snprintf(kb + strlen(kb), sizeof(kb) - strlen(kb), " x%ld", k.extra);
			snprintf(gb + strlen(gb), sizeof(gb) - strlen(gb), " x%ld", g.extra);
		}
		printf("%-30s %-28s %-28s %s\n", s->name, kb, gb, match ? "yes" : "NO");
		match ? passed++ : failed++;
	}
	unlink(tmpfile_path);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
