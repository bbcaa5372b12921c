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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/io_uring.h>

#include <gupsim/gupsim.h>

#include "oracle.h"

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

const struct scenario base_scenarios[] = {
	SCENARIO("uring_anon_write", k_uring_anon_write, s_uring_anon_write, 0),
	SCENARIO("uring_anon_zeropage", k_uring_anon_zeropage, s_uring_anon_zeropage, 1),
	SCENARIO("uring_anon_untouched", k_uring_anon_untouched, s_uring_anon_untouched, 0),
	SCENARIO("uring_anon_protread", k_uring_anon_protread, s_uring_anon_protread, 0),
	SCENARIO("uring_shared_anon_write", k_uring_shared_anon, s_uring_shared_anon, 0),
	SCENARIO("uring_hole_at_32", k_uring_hole_at_32, s_uring_hole_at_32, 0),
	SCENARIO("uring_file_shared_write", k_uring_file_shared_write, s_uring_file_shared_write, 0),
	SCENARIO("uring_file_private_readfault", k_uring_file_private_readfault,
	  s_uring_file_private_readfault, 0),
	SCENARIO("odirect_read_anon", k_odirect_read_anon, s_odirect_read_anon, 0),
	SCENARIO("odirect_write_zeropage", k_odirect_write_zeropage, s_odirect_write_zeropage, 0),
	SCENARIO("odirect_read_thp_2x", k_odirect_read_thp, s_odirect_read_thp, 0),
	SCENARIO("odirect_write_thp_zeropage", k_odirect_write_thp_zeropage,
	  s_odirect_write_thp_zeropage, 0),
	SCENARIO("process_vm_readv_anon", k_pvm_readv_anon, s_pvm_readv_anon, 0),
	SCENARIO("process_vm_readv_zeropage", k_pvm_readv_zeropage, s_pvm_readv_zeropage, 0),
	SCENARIO("fork_pinned_4k", k_fork_pinned, s_fork_pinned, 1),
	{ .name = NULL },
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

static void print_row(const struct scenario *s, const struct result *k,
		      const struct result *g, int match)
{
	char kb[64], gb[64];

	snprintf(kb, sizeof(kb), "%ld/%lu/%lu", k->rc, k->acq, k->rel);
	snprintf(gb, sizeof(gb), "%ld/%lu/%lu", g->rc, g->acq, g->rel);
	if (s->check_extra) {
		snprintf(kb + strlen(kb), sizeof(kb) - strlen(kb), " x%ld", k->extra);
		snprintf(gb + strlen(gb), sizeof(gb) - strlen(gb), " x%ld", g->extra);
	}
	printf("%-30s %-28s %-28s %s\n", s->name, kb, gb, match ? "yes" : "NO");
}

/* 1 match, 0 mismatch, SKIP when the host cannot run it */
static int run_one(const struct scenario *s)
{
	struct result k = { 0 }, g = { 0 };
	const char *why = s->setup ? s->setup() : NULL;
	int match;

	if (why || s->kernel(&k) == SKIP) {
		printf("%-30s skip: %s\n", s->name, why ? why : k.why ? k.why : "host cannot");
		if (s->teardown)
			s->teardown();
		return SKIP;
	}
	s->sim(&g);
	if (s->teardown)
		s->teardown();
	match = k.rc == g.rc && k.acq == g.acq && k.rel == g.rel &&
		(!s->check_extra || k.extra == g.extra);
	print_row(s, &k, &g, match);
	return match;
}

/*
 * gupsim_config_from_host() must see what the oracle's own probe saw: the
 * machine of every scenario is configured by it.
 */
static int config_agrees(void)
{
	struct gupsim_config cfg;
	int ok;

	gupsim_config_init(&cfg);
	if (gupsim_config_from_host(&cfg)) {
		printf("gupsim_config_from_host failed\n");
		return 0;
	}
	ok = cfg.use_zero_page == host.zero_page &&
	     (!host.thp_read_pmd || cfg.use_huge_zero_page == host.huge_zero);
	printf("gupsim config: use_zero_page=%d use_huge_zero_page=%d thp=%d mthp_orders=%#lx "
	       "kernel_version=%u.%u.%u (%s)\n", cfg.use_zero_page, cfg.use_huge_zero_page, cfg.thp,
	       cfg.mthp_orders, cfg.kernel_version >> 16, (cfg.kernel_version >> 8) & 0xff,
	       cfg.kernel_version & 0xff, ok ? "agrees" : "DISAGREES with the probe");
	return ok;
}

int main(void)
{
	static const struct scenario *const tables[] = {
		base_scenarios, more_scenarios, nopin_scenarios,
	};
	int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* rows survive a kill */
	if (!host_ready())
		return SKIP;
	host_restore_on_exit();
	host_probe(&host);
	host_print(&host);
	if (!config_agrees())
		failed++;
	printf("%-30s %-28s %-28s %s\n", "scenario", "kernel rc/acq/rel",
	       "gupsim rc/acq/rel", "match");
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (const struct scenario *s = tables[t]; s->name; s++) {
			int rc = run_one(s);

			if (rc == SKIP)
				skipped++;
			else if (rc)
				passed++;
			else
				failed++;
		}
	}
	unlink(tmpfile_path);
	if (!host_as_found())
		failed++;
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
