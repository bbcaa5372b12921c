// SPDX-License-Identifier: MIT
/*
 * More paths into the kernel's GUP, each compared with gupsim: io_uring
 * fixed buffers, Linux AIO, hugetlb and 64 KiB mTHP buffers. The last two
 * change a system setting for the scenario (as root) and restore it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gupsim/gupsim.h>

#include "oracle.h"

#define MTHP64_SYSFS	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define MTHP_LEN	(1UL << 20)
#define MTHP_ALIGN	(64UL << 10)

static int open_direct(size_t len)
{
	int fd = make_file(len);

	if (fd < 0)
		return -1;
	close(fd);
	return open(tmpfile_path, O_RDWR | O_DIRECT);
}

/*
 * io_uring fixed buffers: io_sqe_buffers_register() pins with
 * FOLL_WRITE | FOLL_LONGTERM once; READ_FIXED/WRITE_FIXED use the pinned
 * pages (io_import_fixed()), no GUP per I/O. extra = pins taken or dropped
 * during the two I/Os.
 */
static int k_uring_fixed(struct result *r)
{
	char *p = map_anon(N64, PG);
	struct iovec iov = { p, N64 };
	struct counts c1, c2;
	struct ring ring;
	int fd = open_direct(N64), rd, wr;

	if (fd < 0)
		return skip(r, "no O_DIRECT temp file");
	if (ring_init(&ring, 4)) {
		close(fd);
		return skip(r, "io_uring rings cannot be mapped");
	}
	touch(p, N64, 1);
	k_begin();
	r->rc = syscall(__NR_io_uring_register, ring.fd, IORING_REGISTER_BUFFERS, &iov, 1);
	read_pins(&c1);
	rd = ring_rw(&ring, IORING_OP_READ_FIXED, fd, p, N64, 0);
	wr = ring_rw(&ring, IORING_OP_WRITE_FIXED, fd, p, N64, 0);
	read_pins(&c2);
	syscall(__NR_io_uring_register, ring.fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
	k_end(r);
	ring_exit(&ring);
	close(fd);
	if (!r->rc)
		r->rc = rd == (int)N64 && wr == (int)N64 ? (long)N64 : (rd < 0 ? rd : wr);
	r->extra = (long)(c2.acquired - c1.acquired + c2.released - c1.released);
	return 0;
}

static void s_uring_fixed(struct result *r)
{
	unsigned long n = N64 / PG, a;
	struct page **pages = calloc(n, sizeof(*pages));
	unsigned long acq, rel;
	char buf[PG];
	struct gs g;
	long got;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 1);
	got = gupsim_pin_user_pages_fast(a, (int)n, FOLL_WRITE | FOLL_LONGTERM, pages);
	acq = gupsim_vmstat(g.sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	rel = gupsim_vmstat(g.sim, GUPSIM_NR_FOLL_PIN_RELEASED);
	memset(buf, 0, sizeof(buf));
	for (long i = 0; i < got; i++) {	/* the device reads, then writes */
		gupsim_dma_read(pages[i], 0, buf, PG);
		gupsim_dma_write(pages[i], 0, buf, PG);
	}
	r->extra = (long)(gupsim_vmstat(g.sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) - acq +
			  gupsim_vmstat(g.sim, GUPSIM_NR_FOLL_PIN_RELEASED) - rel);
	if (got > 0)
		gupsim_unpin_user_pages(pages, (unsigned long)got);
	r->rc = got == (long)n ? (long)N64 : got;
	free(pages);
	gs_end(&g, r);
}

/* Linux AIO O_DIRECT read: the same short-term FOLL_PIN as a pread(). */
static int k_aio_read_odirect(struct result *r)
{
	char *p = map_anon(N64, PG);
	int fd = open_direct(N64);

	if (fd < 0)
		return skip(r, "no O_DIRECT temp file");
	touch(p, N64, 1);
	k_begin();
	r->rc = aio_pread(fd, p, N64);
	k_end(r);
	close(fd);
	if (r->rc == -ENOSYS)
		return skip(r, "no Linux AIO (CONFIG_AIO off)");
	return 0;
}

static void s_aio_read_odirect(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 1);
	r->rc = gs_odirect(a, N64, 1);
	gs_end(&g, r);
}

/* ---- hugetlb: 2 MiB pages from a pool raised for the scenario ---- */

static const char *hugetlb_setup(void)
{
	char value[32];

	if (host.nr_hugepages < 0)
		return "no /proc/sys/vm/nr_hugepages";
	snprintf(value, sizeof(value), "%ld", host.nr_hugepages + 4);
	if (setting_change(NR_HUGEPAGES, value))
		return "cannot raise nr_hugepages";
	return NULL;
}

static void *map_hugetlb(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int k_hugetlb(struct result *r, int uring)
{
	char *p = map_hugetlb(2 * HPG);

	if (!p)
		return skip(r, "no free 2 MiB huge pages after raising nr_hugepages");
	touch(p, 2 * HPG, 1);
	k_begin();
	r->rc = uring ? uring_register(p, 2 * HPG) : odirect(p, 2 * HPG, 1);
	k_end(r);
	munmap(p, 2 * HPG);
	return 0;
}

static int k_uring_hugetlb(struct result *r) { return k_hugetlb(r, 1); }
static int k_odirect_hugetlb(struct result *r) { return k_hugetlb(r, 0); }

static void s_hugetlb(struct result *r, int uring)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gupsim_mmap(g.mm, 0, 2 * HPG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, NULL, 0);
	gs_touch(&g, a, 2 * HPG, 1);
	r->rc = uring ? gs_uring_register(a, 2 * HPG) : gs_odirect(a, 2 * HPG, 1);
	gs_end(&g, r);
}

static void s_uring_hugetlb(struct result *r) { s_hugetlb(r, 1); }
static void s_odirect_hugetlb(struct result *r) { s_hugetlb(r, 0); }

/* ---- mTHP: 64 KiB anon folios, enabled for the scenario ---- */

static const char *mthp64_setup(void)
{
	if (access(MTHP64_SYSFS, W_OK))
		return "no hugepages-64kB control (mTHP needs v6.8+)";
	if (!strcmp(host.thp_enabled, "never"))
		return "THP enabled=never: gupsim's mTHP orders follow the THP mode";
	if (setting_change(MTHP64_SYSFS, "madvise"))
		return "cannot enable hugepages-64kB";
	return NULL;
}

/* extra = 64 KiB chunks mapped by one naturally aligned 64 KiB folio */
static long k_count_64k_folios(char *p)
{
	long n = 0;

	for (unsigned long off = 0; off < MTHP_LEN; off += MTHP_ALIGN) {
		uint64_t first = pfn_of(p + off);
		int ok = first && first % 16 == 0;

		for (unsigned long i = 1; ok && i < 16; i++)
			ok = pfn_of(p + off + i * PG) == first + i;
		n += ok;
	}
	return n;
}

static int k_uring_mthp64k(struct result *r)
{
	char *p = map_anon(MTHP_LEN, MTHP_ALIGN);

	madvise(p, MTHP_LEN, MADV_HUGEPAGE);
	touch(p, MTHP_LEN, 1);
	r->extra = k_count_64k_folios(p);
	k_begin();
	r->rc = uring_register(p, MTHP_LEN);
	k_end(r);
	return 0;
}

static void s_uring_mthp64k(struct result *r)
{
	unsigned long a;
	struct gs g;

	gs_begin(&g);
	a = gupsim_mmap(g.mm, 0, MTHP_LEN + MTHP_ALIGN, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	a = (a + MTHP_ALIGN - 1) & ~(MTHP_ALIGN - 1);
	gupsim_madvise(g.mm, a, MTHP_LEN, MADV_HUGEPAGE);
	gs_touch(&g, a, MTHP_LEN, 1);
	r->extra = 0;
	for (unsigned long off = 0; off < MTHP_LEN; off += MTHP_ALIGN) {
		struct page *page = gupsim_follow_page(g.mm, a + off);

		r->extra += page && gupsim_folio_order(gupsim_page_folio(page)) == 4;
	}
	r->rc = gs_uring_register(a, MTHP_LEN);
	gs_end(&g, r);
}

const struct scenario more_scenarios[] = {
	SCENARIO("uring_fixed_read_write", k_uring_fixed, s_uring_fixed, 1),
	SCENARIO("aio_read_odirect", k_aio_read_odirect, s_aio_read_odirect, 0),
	{ .name = "uring_hugetlb_2x", .kernel = k_uring_hugetlb, .sim = s_uring_hugetlb,
	  .setup = hugetlb_setup, .teardown = setting_restore_all },
	{ .name = "odirect_read_hugetlb_2x", .kernel = k_odirect_hugetlb,
	  .sim = s_odirect_hugetlb, .setup = hugetlb_setup, .teardown = setting_restore_all },
	{ .name = "uring_mthp64k_256", .kernel = k_uring_mthp64k, .sim = s_uring_mthp64k,
	  .check_extra = 1, .setup = mthp64_setup, .teardown = setting_restore_all },
	{ .name = NULL },
};
