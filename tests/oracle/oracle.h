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

void host_probe(struct host_profile *hp);
void host_print(const struct host_profile *hp);
extern struct host_profile host;

void *map_anon(size_t len, size_t align);
void touch(char *p, size_t len, int write);
uint64_t pagemap_entry(const void *addr);
uint64_t pfn_of(const void *addr);
int pmd_mapped(char *p);
int read_sysfs_word(const char *path, char *buf, size_t len);

#endif
