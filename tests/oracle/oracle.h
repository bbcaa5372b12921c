/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the differential test (oracle_diff): the host probe and
 * the small memory helpers both sides of a scenario use.
 */
#ifndef GUPSIM_ORACLE_H
#define GUPSIM_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gupsim/gupsim.h>

#define PG	4096UL
#define HPG	(2UL << 20)
#define SKIP	77

/* What the running host does, measured before any scenario runs. */
struct host_profile {
	bool pfns_visible;	/* pagemap shows PFNs (CAP_SYS_ADMIN) */
	bool zero_page;		/* an anon read fault maps the shared zero page */
	bool thp_read_pmd;	/* a read fault on a MADV_HUGEPAGE range maps a PMD */
	bool huge_zero;		/* ... and that PMD is the huge zero folio */
	char thp_enabled[16];	/* the [selected] word, or "" */
	char thp_defrag[24];
	int use_zero_page;	/* /sys/.../use_zero_page, -1 when absent */
	char mthp[128];		/* enabled mTHP sizes ("64kB:madvise,..."), or "none" */
	long nr_hugepages;	/* -1 when unreadable */
	bool movable;		/* ZONE_MOVABLE has pages */
	bool cma;		/* CMA pages exist (nr_free_cma or CmaTotal) */
	bool io_uring;
};

/* ---- results and scenarios ---- */
struct counts {
	unsigned long acquired, released;
};

struct result {
	long rc;		/* 0 / count, or -errno */
	unsigned long acq, rel;	/* deltas over the whole scenario */
	long extra;		/* scenario-specific fact (e.g. pages copied by fork) */
	const char *why;	/* the reason, when the host cannot run it */
};

/*
 * One row: the kernel side (0, or SKIP with r->why when the host cannot run
 * it) and the gupsim side. setup, when set, runs before both (a sysctl the
 * scenario needs; NULL or the reason to skip) and teardown after both.
 */
struct scenario {
	const char *name;
	int (*kernel)(struct result *r);
	void (*sim)(struct result *r);
	int check_extra;
	const char *(*setup)(void);
	void (*teardown)(void);
};

#define SCENARIO(n, k, s, x) { .name = (n), .kernel = (k), .sim = (s), .check_extra = (x) }
#define N64	(64 * PG)

extern const struct scenario base_scenarios[];
extern const struct scenario more_scenarios[];
extern const struct scenario nopin_scenarios[];

/* ---- the kernel side (kernel.c) ---- */
int read_pins(struct counts *c);
int skip(struct result *r, const char *why);
void k_begin(void);
void k_end(struct result *r);
int uring_fd(void);
long uring_register(void *buf, size_t len);
extern const char *tmpfile_path;
int make_file(size_t len);
long odirect(void *buf, size_t len, int read_into_buf);

/* ---- kernel-side I/O drivers (kernel_io.c) ---- */
struct ring {
	int fd;
	void *sq;
	size_t sq_sz, cq_sz, sqes_sz;
	struct io_uring_sqe *sqes;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

int ring_init(struct ring *r, unsigned int entries);
void ring_exit(struct ring *r);
int ring_rw(struct ring *r, int opcode, int fd, void *buf, unsigned int len, int buf_index);
long aio_pread(int fd, void *buf, size_t len);

/* ---- the gupsim side (sim.c) ---- */
struct gs {
	struct gupsim *sim;
	struct mm_struct *mm;
};

void gs_begin(struct gs *g);
void gs_end(struct gs *g, struct result *r);
unsigned long gs_map(struct gs *g, size_t len, int flags, int thp);
void gs_touch(struct gs *g, unsigned long addr, size_t len, int write);
long gs_uring_register(unsigned long addr, size_t len);
long gs_odirect(unsigned long addr, size_t len, int read_into_buf);

/* ---- the host (host.c) ---- */
void host_probe(struct host_profile *hp);
void host_print(const struct host_profile *hp);
void host_restore_on_exit(void);
bool host_as_found(void);
int setting_change(const char *path, const char *value);
void setting_restore_all(void);
extern struct host_profile host;

void *map_anon(size_t len, size_t align);
void touch(char *p, size_t len, int write);
uint64_t pagemap_entry(const void *addr);
uint64_t pfn_of(const void *addr);
int pmd_mapped(char *p);
int read_sysfs_word(const char *path, char *buf, size_t len);

#endif
