// SPDX-License-Identifier: MIT
/*
 * Paths that reach GUP without FOLL_PIN (vmsplice, MSG_ZEROCOPY: FOLL_GET
 * references through iov_iter_get_pages2(); MADV_POPULATE_WRITE and mlock:
 * faults without a pages array) and one that pins for as long as a socket
 * lives (AF_XDP umem registration), each compared with gupsim.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_xdp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <gupsim/gupsim.h>

#include "oracle.h"

#ifndef AF_XDP
#define AF_XDP		44
#endif
#ifndef SOL_XDP
#define SOL_XDP		283
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY	0x4000000
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* gupsim side of a FOLL_GET user: references taken and dropped, no pins */
static void s_get_and_put(struct result *r)
{
	unsigned long n = N64 / PG, a;
	struct page **pages = calloc(n, sizeof(*pages));
	struct gs g;
	int got;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 1);
	got = gupsim_get_user_pages_fast(a, (int)n, 0, pages);
	for (int i = 0; i < got; i++)
		gupsim_put_page(pages[i]);
	r->rc = got == (int)n ? (long)N64 : got;
	free(pages);
	gs_end(&g, r);
}

/* vmsplice() of user pages into a pipe (iter_to_pipe()), then drained. */
static int k_vmsplice(struct result *r)
{
	char *p = map_anon(N64, PG), *drain = malloc(N64);
	struct iovec iov = { p, N64 };
	int fds[2];
	long got = 0, n;

	if (!drain || pipe(fds)) {
		free(drain);
		return skip(r, "no pipe");
	}
	if (fcntl(fds[1], F_SETPIPE_SZ, (int)N64) < (int)N64) {
		close(fds[0]);
		close(fds[1]);
		free(drain);
		return skip(r, "pipe cannot hold 64 pages (pipe-max-size)");
	}
	touch(p, N64, 1);
	k_begin();
	r->rc = vmsplice(fds[1], &iov, 1, 0);
	if (r->rc < 0)
		r->rc = -errno;
	while (got < r->rc && (n = read(fds[0], drain + got, N64 - got)) > 0)
		got += n;
	k_end(r);
	close(fds[0]);
	close(fds[1]);
	free(drain);
	return 0;
}

/* A connected TCP pair over loopback. */
static int tcp_pair(int *tx, int *rx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*tx = socket(AF_INET, SOCK_STREAM, 0);
	*rx = -1;
	if (l < 0 || *tx < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen) ||
	    connect(*tx, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	*rx = accept(l, NULL, NULL);
out:
	if (l >= 0)
		close(l);
	if (*rx < 0 && *tx >= 0)
		close(*tx);
	return *rx < 0 ? -1 : 0;
}

/* send(MSG_ZEROCOPY): skb frags take page references, not pins. */
static int k_msg_zerocopy(struct result *r)
{
	char *p = map_anon(N64, PG), *in = malloc(N64);
	int one = 1, tx, rx;
	long got = 0, n;

	if (!in || tcp_pair(&tx, &rx)) {
		free(in);
		return skip(r, "no loopback TCP");
	}
	if (setsockopt(tx, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one))) {
		close(tx);
		close(rx);
		free(in);
		return skip(r, "SO_ZEROCOPY unsupported");
	}
	touch(p, N64, 1);
	k_begin();
	r->rc = send(tx, p, N64, MSG_ZEROCOPY);
	if (r->rc < 0)
		r->rc = -errno;
	while (got < r->rc && (n = recv(rx, in + got, N64 - got, 0)) > 0)
		got += n;
	close(tx);
	close(rx);
	k_end(r);
	free(in);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * XDP_UMEM_REG: xdp_umem_pin_pages() pins with FOLL_WRITE | FOLL_LONGTERM;
 * the pins go when the socket's umem is released, from a work item after
 * close(). extra = pins held while the socket is open.
 */
static int k_xdp_umem_reg(struct result *r)
{
	char *p = map_anon(N64, PG);
	struct xdp_umem_reg mr;
	int s = socket(AF_XDP, SOCK_RAW, 0);

	if (s < 0)
		return skip(r, "no AF_XDP socket (CONFIG_XDP_SOCKETS off?)");
	memset(&mr, 0, sizeof(mr));
	mr.addr = (uintptr_t)p;
	mr.len = N64;
	mr.chunk_size = PG;
	touch(p, N64, 1);
	k_begin();
	r->rc = setsockopt(s, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ? -errno : 0;
	close(s);
	/* the release is deferred: wait (up to 2 s) until it has happened */
	for (int i = 0; i < 200; i++) {
		k_end(r);
		if (r->rel >= r->acq)
			break;
		sleep_ms(10);
	}
	r->extra = (long)r->acq;
	return 0;
}

static void s_xdp_umem_reg(struct result *r)
{
	unsigned long n = N64 / PG, a;
	struct page **pages = calloc(n, sizeof(*pages));
	struct gs g;
	long got;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	gs_touch(&g, a, N64, 1);
	gupsim_mmap_read_lock(g.mm);
	got = gupsim_pin_user_pages(a, n, FOLL_WRITE | FOLL_LONGTERM, pages);
	gupsim_mmap_read_unlock(g.mm);
	r->extra = (long)gupsim_vmstat(g.sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	if (got > 0)	/* xdp_umem_unpin_pages() */
		gupsim_unpin_user_pages_dirty_lock(pages, (unsigned long)got, true);
	r->rc = got == (long)n ? 0 : (got < 0 ? got : -ENOMEM);
	free(pages);
	gs_end(&g, r);
}

/* extra = pages present afterwards: the range was faulted in, unpinned */
static long k_present(char *p)
{
	long n = 0;

	for (unsigned long i = 0; i < N64; i += PG)
		n += pfn_of(p + i) != 0;
	return n;
}

static long s_present(struct gs *g, unsigned long a)
{
	long n = 0;

	for (unsigned long i = 0; i < N64; i += PG)
		n += gupsim_follow_page(g->mm, a + i) != NULL;
	return n;
}

static int k_populate_write(struct result *r)
{
	char *p = map_anon(N64, PG);

	k_begin();
	r->rc = madvise(p, N64, MADV_POPULATE_WRITE) ? -errno : 0;
	k_end(r);
	if (r->rc == -EINVAL)
		return skip(r, "no MADV_POPULATE_WRITE (v5.14+)");
	r->extra = k_present(p);
	return 0;
}

static void s_populate_write(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gs_map(&g, N64, MAP_PRIVATE, 0);
	r->rc = gupsim_madvise(g.mm, a, N64, MADV_POPULATE_WRITE);
	r->extra = s_present(&g, a);
	gs_end(&g, r);
}

/* mlock(): populate_vma_page_range(), GUP without pages. gupsim has no
 * mlock(); MAP_LOCKED populates the same way (__mm_populate()). */
static int k_mlock(struct result *r)
{
	char *p = map_anon(N64, PG);

	k_begin();
	/* the raw syscall: sanitizer runtimes turn mlock() into a no-op */
	r->rc = syscall(__NR_mlock, p, N64) ? -errno : 0;
	k_end(r);
	if (r->rc)
		return skip(r, "mlock refused (RLIMIT_MEMLOCK)");
	r->extra = k_present(p);
	syscall(__NR_munlock, p, N64);
	return 0;
}

static void s_mlock(struct result *r)
{
	struct gs g;
	unsigned long a;

	gs_begin(&g);
	a = gupsim_mmap(g.mm, 0, N64, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, NULL, 0);
	r->rc = GUPSIM_IS_ERR_VALUE(a) ? (long)a : 0;
	r->extra = s_present(&g, a);
	gs_end(&g, r);
}

const struct scenario nopin_scenarios[] = {
	SCENARIO("vmsplice_to_pipe", k_vmsplice, s_get_and_put, 0),
	SCENARIO("tcp_msg_zerocopy", k_msg_zerocopy, s_get_and_put, 0),
	SCENARIO("xdp_umem_reg", k_xdp_umem_reg, s_xdp_umem_reg, 1),
	SCENARIO("madv_populate_write", k_populate_write, s_populate_write, 1),
	SCENARIO("mlock", k_mlock, s_mlock, 1),
	{ .name = NULL },
};
