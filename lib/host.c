// SPDX-License-Identifier: MIT
/*
 * gupsim_config_from_host(): make the simulated machine behave like the one
 * it runs on. What the host's faults really do is measured (the kernel may
 * be built or patched so that anonymous read faults never map the zero page,
 * whatever use_zero_page says); the THP and mTHP policy is read from sysfs;
 * the release from uname().
 *
 * The fault probe reads /proc/self/pagemap (Documentation/admin-guide/mm/
 * pagemap.rst): bit 63 present, bit 56 "exclusively mapped", bits 0-54 the
 * PFN, which reads as 0 without CAP_SYS_ADMIN. The shared zero page is
 * never a normal page (vm_normal_page() returns NULL for it), so
 * pte_to_pagemap_entry() never marks it exclusive, while a fresh anonymous
 * page is.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "host.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define HOST_PAGE	4096UL
#define HOST_PMD	(2UL << 20)

/* Does the caller's cfg (versioned by size) hold @field? */
#define CFG_HAS(cfg, field) \
	((cfg)->size >= offsetof(struct gupsim_config, field) + sizeof((cfg)->field))

/* The first line of a sysfs file; for "a [b] c" files, the selected word. */
static int read_selected(const char *dir, const char *name, char *word, size_t len)
{
	char path[512], line[256] = "", *l, *r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	l = strchr(line, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r) {
		*r = 0;
		snprintf(word, len, "%s", l + 1);
	} else {
		snprintf(word, len, "%s", line);
	}
	return word[0] ? 0 : -EINVAL;
}

static int thp_mode_of(const char *word, enum gupsim_thp_mode *mode)
{
	if (!strcmp(word, "always"))
		*mode = GUPSIM_THP_ALWAYS;
	else if (!strcmp(word, "madvise"))
		*mode = GUPSIM_THP_MADVISE;
	else if (!strcmp(word, "never"))
		*mode = GUPSIM_THP_NEVER;
	else
		return -EINVAL;
	return 0;
}

/*
 * The PMD size's own control (hugepages-2048kB/enabled, v6.8+) overrides
 * the top-level one unless it says "inherit".
 */
static void read_thp(struct gupsim_config *cfg, const char *dir)
{
	enum gupsim_thp_mode mode;
	char word[32];

	if (!CFG_HAS(cfg, thp))
		return;
	if (!read_selected(dir, "enabled", word, sizeof(word)) && !thp_mode_of(word, &mode))
		cfg->thp = mode;
	if (!read_selected(dir, "hugepages-2048kB/enabled", word, sizeof(word)) &&
	    !thp_mode_of(word, &mode))
		cfg->thp = mode;
}

/*
 * Anon mTHP sizes 16 KiB..1 MiB (orders 2..8). gupsim's orders follow the
 * machine's thp mode ("inherit"); a size set to its own "always" or
 * "madvise" counts as enabled too, "never" as disabled.
 */
static void read_mthp(struct gupsim_config *cfg, const char *dir)
{
	unsigned long orders = 0;
	bool any = false;
	char name[64], word[32];

	if (!CFG_HAS(cfg, mthp_orders))
		return;
	for (unsigned int order = 2; order <= 8; order++) {
		snprintf(name, sizeof(name), "hugepages-%lukB/enabled", (HOST_PAGE >> 10) << order);
		if (read_selected(dir, name, word, sizeof(word)))
			continue;
		any = true;
		if (strcmp(word, "never") != 0)
			orders |= 1UL << order;
	}
	if (any)
		cfg->mthp_orders = orders;
}

static uint64_t pagemap_entry(int fd, const void *addr)
{
	uint64_t e = 0;

	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr / HOST_PAGE) * 8) != sizeof(e))
		return 0;
	return e;
}

static void *map_aligned(size_t len, size_t align, void **base)
{
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*base = p == MAP_FAILED ? NULL : p;
	if (p == MAP_FAILED)
		return NULL;
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

static void read_fault(const void *p)
{
	(void)*(const volatile char *)p;
}

/*
 * Two read-faulted small pages: the zero page is one shared PFN, or, with
 * the PFNs hidden, a present page that is not exclusive. Returns whether the
 * PFNs are visible, or -1 when the probe could not run.
 */
static int probe_zero_page(int fd, struct gupsim_config *cfg)
{
	char *p = mmap(NULL, 2 * HOST_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e0, e1;
	int visible;

	if (p == MAP_FAILED)
		return -1;
	madvise(p, 2 * HOST_PAGE, MADV_NOHUGEPAGE);
	read_fault(p);
	read_fault(p + HOST_PAGE);
	e0 = pagemap_entry(fd, p);
	e1 = pagemap_entry(fd, p + HOST_PAGE);
	munmap(p, 2 * HOST_PAGE);
	if (!(e0 & PM_PRESENT) || !(e1 & PM_PRESENT))
		return -1;
	visible = (e0 & PM_PFN_MASK) != 0;
	if (visible)
		cfg->use_zero_page = (e0 & PM_PFN_MASK) == (e1 & PM_PFN_MASK);
	else
		cfg->use_zero_page = !(e0 & PM_EXCLUSIVE);
	return visible;
}

/* 512 consecutive, 2 MiB-aligned PFNs (sampled): one PMD mapping. */
static bool pmd_mapped(int fd, const char *p)
{
	uint64_t first = pagemap_entry(fd, p) & PM_PFN_MASK;

	if (!first || first % 512)
		return false;
	for (unsigned long i = 1; i < 512; i += 37)
		if ((pagemap_entry(fd, p + i * HOST_PAGE) & PM_PFN_MASK) != first + i)
			return false;
	return true;
}

/*
 * Two read-faulted MADV_HUGEPAGE 2 MiB ranges: PMD-mapped by the same PFNs
 * is the huge zero folio, by their own PFNs a fresh THP. Without visible
 * PFNs, or when no PMD was mapped, an exclusive page means the fault
 * allocated memory (no huge zero folio), and otherwise use_zero_page
 * decides, as it does in do_huge_pmd_anonymous_page().
 */
static void probe_huge_zero(int fd, struct gupsim_config *cfg, bool visible, int sysfs_zero)
{
	void *base_a, *base_b;
	char *a = map_aligned(HOST_PMD, HOST_PMD, &base_a);
	char *b = map_aligned(HOST_PMD, HOST_PMD, &base_b);
	uint64_t e;

	if (!a || !b || madvise(a, HOST_PMD, MADV_HUGEPAGE) ||
	    madvise(b, HOST_PMD, MADV_HUGEPAGE))
		goto out;
	read_fault(a);
	read_fault(b);
	e = pagemap_entry(fd, a);
	if (visible && pmd_mapped(fd, a) && pmd_mapped(fd, b))
		cfg->use_huge_zero_page = (e & PM_PFN_MASK) == (pagemap_entry(fd, b) & PM_PFN_MASK);
	else if ((e & PM_PRESENT) && (e & PM_EXCLUSIVE))
		cfg->use_huge_zero_page = false;
	else if (sysfs_zero >= 0)
		cfg->use_huge_zero_page = sysfs_zero;
out:
	if (base_a)
		munmap(base_a, HOST_PMD + HOST_PMD);
	if (base_b)
		munmap(base_b, HOST_PMD + HOST_PMD);
}

static int read_use_zero_page(const char *dir)
{
	char word[16];

	if (read_selected(dir, "use_zero_page", word, sizeof(word)))
		return -1;
	return word[0] == '1';
}

static void probe_faults(struct gupsim_config *cfg, const char *dir)
{
	int sysfs_zero = read_use_zero_page(dir);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int visible;

	if (fd < 0) {
		if (sysfs_zero >= 0)
			cfg->use_huge_zero_page = sysfs_zero;
		return;
	}
	visible = probe_zero_page(fd, cfg);
	probe_huge_zero(fd, cfg, visible > 0, sysfs_zero);
	close(fd);
}

/*
 * "6.18.44-fc-v1252" -> GUPSIM_KERNEL_VERSION(6, 18, 44); a sublevel above
 * 255 saturates, as the kernel's LINUX_VERSION_CODE does. A release older
 * than the oldest modelled is modelled by the oldest (v6.6); a newer one
 * than the newest modelled by the newest (0). -EINVAL when unparsable.
 */
int host_kernel_version(const char *release, unsigned int *version)
{
	unsigned long a, b, c = 0;
	unsigned int v;
	char *end;

	if (!release)
		return -EINVAL;
	a = strtoul(release, &end, 10);
	if (end == release || *end != '.')
		return -EINVAL;
	release = end + 1;
	b = strtoul(release, &end, 10);
	if (end == release || a > 255 || b > 255)
		return -EINVAL;
	if (*end == '.')
		c = strtoul(end + 1, NULL, 10);
	v = GUPSIM_KERNEL_VERSION((unsigned int)a, (unsigned int)b,
				  (unsigned int)(c > 255 ? 255 : c));
	if (v < GUPSIM_KERNEL_VERSION_MIN)
		v = GUPSIM_KERNEL_VERSION_MIN;
	else if (v > GUPSIM_KERNEL_VERSION_MAX)
		v = 0;
	*version = v;
	return 0;
}

int host_config_fill(struct gupsim_config *cfg, const struct host_sources *src)
{
	unsigned int version;

	if (!cfg || !src || cfg->size < offsetof(struct gupsim_config, mthp_orders))
		return -EINVAL;
	read_thp(cfg, src->thp_dir);
	read_mthp(cfg, src->thp_dir);
	if (src->probe_faults)
		probe_faults(cfg, src->thp_dir);
	if (CFG_HAS(cfg, kernel_version) && !host_kernel_version(src->release, &version))
		cfg->kernel_version = version;
	return 0;
}

int gupsim_config_from_host(struct gupsim_config *cfg)
{
	struct host_sources src = {
		.thp_dir = "/sys/kernel/mm/transparent_hugepage",
		.probe_faults = true,
	};
	struct utsname u;

	if (uname(&u) == 0)
		src.release = u.release;
	return host_config_fill(cfg, &src);
}
