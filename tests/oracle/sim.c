// SPDX-License-Identifier: MIT
/*
 * The gupsim side of the differential test: a machine configured like the
 * host (gupsim_config_from_host()), and the kernel functions the syscalls
 * of the kernel side end up in.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <gupsim/gupsim.h>

#include "oracle.h"

void gs_begin(struct gs *g)
{
	struct gupsim_config cfg;

	/* like with like: the host's faults, THP policy and release */
	gupsim_config_init(&cfg);
	gupsim_config_from_host(&cfg);
	cfg.normal_mb = 256;
	cfg.hugetlb_2m_pages = 8;
	g->sim = gupsim_create(&cfg);
	g->mm = gupsim_mm_create(g->sim);
	gupsim_kthread_use_mm(g->mm);
}

void gs_end(struct gs *g, struct result *r)
{
	r->acq = gupsim_vmstat(g->sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	r->rel = gupsim_vmstat(g->sim, GUPSIM_NR_FOLL_PIN_RELEASED);
	gupsim_kthread_unuse_mm(g->mm);
	gupsim_mm_put(g->mm);
	gupsim_destroy(g->sim);
}

unsigned long gs_map(struct gs *g, size_t len, int flags, int thp)
{
	unsigned long addr = gupsim_mmap(g->mm, 0, len, PROT_READ | PROT_WRITE,
					 flags | MAP_ANONYMOUS, NULL, 0);

	if (thp)
		gupsim_madvise(g->mm, addr, len, MADV_HUGEPAGE);
	return addr;
}

void gs_touch(struct gs *g, unsigned long addr, size_t len, int write)
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
long gs_uring_register(unsigned long addr, size_t len)
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
long gs_odirect(unsigned long addr, size_t len, int read_into_buf)
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

