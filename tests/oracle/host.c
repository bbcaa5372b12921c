// SPDX-License-Identifier: MIT
/*
 * The host profile: what the running kernel does on the faults the
 * scenarios depend on, read from /proc/self/pagemap after real faults, and
 * the sysfs/procfs settings that shape it. The oracle prints it first and
 * configures the gupsim machine to match, so both sides are compared like
 * with like (a host whose read faults map fresh pages instead of the zero
 * page is configured, not failed).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>

#include "oracle.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define THP_SYSFS	"/sys/kernel/mm/transparent_hugepage"

struct host_profile host;

void *map_anon(size_t len, size_t align)
{
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

void touch(char *p, size_t len, int write)
{
	for (size_t i = 0; i < len; i += PG) {
		if (write)
			p[i] = 1;
		else
			(void)*(volatile char *)(p + i);
	}
}

uint64_t pagemap_entry(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((uintptr_t)addr / PG) * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

uint64_t pfn_of(const void *addr)
{
	uint64_t e = pagemap_entry(addr);

	return (e & PM_PRESENT) ? (e & PM_PFN_MASK) : 0;
}

/* A 2 MiB region mapped by one PMD: 512 contiguous, aligned PFNs. */
int pmd_mapped(char *p)
{
	uint64_t first = pfn_of(p);

	if (!first || first % 512)
		return 0;
	for (unsigned long i = 1; i < 512; i += 37)
		if (pfn_of(p + i * PG) != first + i)
			return 0;
	return 1;
}

/* The first line of a sysfs file; for "a [b] c" files, the selected word. */
int read_sysfs_word(const char *path, char *buf, size_t len)
{
	char line[256] = "", *l, *r;
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	l = strchr(line, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r) {
		*r = 0;
		snprintf(buf, len, "%s", l + 1);
	} else {
		snprintf(buf, len, "%s", line);
	}
	return 0;
}

/* Two read-faulted small pages: the zero page is one shared, non-exclusive PFN. */
static void probe_small_read_fault(struct host_profile *hp)
{
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e0, e1;

	if (p == MAP_FAILED)
		return;
	madvise(p, 2 * PG, MADV_NOHUGEPAGE);
	touch(p, 2 * PG, 0);
	e0 = pagemap_entry(p);
	e1 = pagemap_entry(p + PG);
	hp->pfns_visible = (e0 & PM_PFN_MASK) != 0;
	if (hp->pfns_visible)
		hp->zero_page = (e0 & PM_PFN_MASK) == (e1 & PM_PFN_MASK);
	else
		hp->zero_page = (e0 & PM_PRESENT) && !(e0 & PM_EXCLUSIVE);
	munmap(p, 2 * PG);
}

/*
 * Two read-faulted MADV_HUGEPAGE 2 MiB ranges: PMD-mapped with the same
 * PFNs is the huge zero folio; PMD-mapped with their own PFNs is a fresh THP.
 */
static void probe_thp_read_fault(struct host_profile *hp)
{
	char *a = map_anon(HPG, HPG), *b = map_anon(HPG, HPG);

	if (a && b && hp->pfns_visible) {
		madvise(a, HPG, MADV_HUGEPAGE);
		madvise(b, HPG, MADV_HUGEPAGE);
		touch(a, PG, 0);
		touch(b, PG, 0);
		hp->thp_read_pmd = pmd_mapped(a) && pmd_mapped(b);
		hp->huge_zero = hp->thp_read_pmd && pfn_of(a) == pfn_of(b);
	} else {
		hp->huge_zero = hp->use_zero_page == 1;
	}
	if (a)
		munmap(a, HPG);
	if (b)
		munmap(b, HPG);
}

static void probe_mthp(struct host_profile *hp)
{
	static const unsigned int kb[] = { 8, 16, 32, 64, 128, 256, 512, 1024 };
	char path[128], word[32];
	size_t n = 0;

	hp->mthp[0] = 0;
	for (size_t i = 0; i < sizeof(kb) / sizeof(kb[0]); i++) {
		snprintf(path, sizeof(path), THP_SYSFS "/hugepages-%ukB/enabled", kb[i]);
		if (read_sysfs_word(path, word, sizeof(word)) || !strcmp(word, "never"))
			continue;
		n += (size_t)snprintf(hp->mthp + n, sizeof(hp->mthp) - n, "%s%ukB:%s",
				      n ? "," : "", kb[i], word);
		if (n >= sizeof(hp->mthp))
			break;
	}
	if (!n)
		snprintf(hp->mthp, sizeof(hp->mthp), "none");
}

/* ZONE_MOVABLE with present pages; CMA pages anywhere. */
static void probe_zones(struct host_profile *hp)
{
	char line[256];
	int in_movable = 0;
	unsigned long v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node", 4))
			in_movable = strstr(line, "zone  Movable") || strstr(line, "zone Movable");
		else if (in_movable && sscanf(line, " present %lu", &v) == 1 && v)
			hp->movable = true;
		else if (sscanf(line, " nr_free_cma %lu", &v) == 1 && v)
			hp->cma = true;
	}
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CmaTotal: %lu", &v) == 1 && v)
			hp->cma = true;
	fclose(f);
}

static void probe_io_uring(struct host_profile *hp)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	hp->io_uring = fd >= 0;
	if (fd >= 0)
		close(fd);
}

void host_probe(struct host_profile *hp)
{
	char word[32];
	FILE *f;

	memset(hp, 0, sizeof(*hp));
	read_sysfs_word(THP_SYSFS "/enabled", hp->thp_enabled, sizeof(hp->thp_enabled));
	read_sysfs_word(THP_SYSFS "/defrag", hp->thp_defrag, sizeof(hp->thp_defrag));
	hp->use_zero_page = read_sysfs_word(THP_SYSFS "/use_zero_page", word, sizeof(word))
			    ? -1 : word[0] == '1';
	hp->nr_hugepages = -1;
	f = fopen("/proc/sys/vm/nr_hugepages", "r");
	if (f) {
		if (fscanf(f, "%ld", &hp->nr_hugepages) != 1)
			hp->nr_hugepages = -1;
		fclose(f);
	}
	probe_small_read_fault(hp);
	probe_thp_read_fault(hp);
	probe_mthp(hp);
	probe_zones(hp);
	probe_io_uring(hp);
}

void host_print(const struct host_profile *hp)
{
	printf("host profile: read_fault=%s thp_read_fault=%s pfns=%s thp_enabled=%s "
	       "thp_defrag=%s use_zero_page=%d mthp=%s nr_hugepages=%ld movable=%d cma=%d "
	       "io_uring=%d\n",
	       hp->zero_page ? "zero_page" : "fresh_page",
	       !hp->thp_read_pmd ? "no_pmd" : hp->huge_zero ? "huge_zero_folio" : "fresh_thp",
	       hp->pfns_visible ? "visible" : "hidden",
	       hp->thp_enabled[0] ? hp->thp_enabled : "?",
	       hp->thp_defrag[0] ? hp->thp_defrag : "?", hp->use_zero_page, hp->mthp,
	       hp->nr_hugepages, hp->movable, hp->cma, hp->io_uring);
}

/*
 * System settings a scenario changes (nr_hugepages, an mTHP size), written
 * back after the scenario, at exit and on fatal signals. The handler uses
 * only open/write/close on values saved beforehand.
 */
#define MAX_SAVED	4

static struct saved_setting {
	char path[128];
	char value[64];
	size_t len;
	volatile sig_atomic_t dirty;
} saved[MAX_SAVED];

static int write_file(const char *path, const char *value, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int setting_change(const char *path, const char *value)
{
	struct saved_setting *s = NULL;
	char line[64] = "";
	FILE *f;

	for (int i = 0; i < MAX_SAVED && !s; i++)
		if (!saved[i].dirty)
			s = &saved[i];
	f = fopen(path, "r");
	if (!s || !f) {
		if (f)
			fclose(f);
		return -1;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	/* "always inherit [madvise] never" files are written back as the word */
	read_sysfs_word(path, s->value, sizeof(s->value));
	s->len = strlen(s->value);
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (!s->len)
		return -1;
	s->dirty = 1;
	if (write_file(path, value, strlen(value))) {
		setting_restore_all();
		return -1;
	}
	return 0;
}

void setting_restore_all(void)
{
	for (int i = 0; i < MAX_SAVED; i++) {
		if (!saved[i].dirty)
			continue;
		write_file(saved[i].path, saved[i].value, saved[i].len);
		saved[i].dirty = 0;
	}
}

static void restore_on_signal(int sig)
{
	setting_restore_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void host_restore_on_exit(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT };

	atexit(setting_restore_all);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], restore_on_signal);
}

/* The settings a scenario may change are back to what the probe read. */
bool host_as_found(void)
{
	struct host_profile now;
	bool same;

	setting_restore_all();
	host_probe(&now);
	same = now.nr_hugepages == host.nr_hugepages && !strcmp(now.mthp, host.mthp) &&
	       !strcmp(now.thp_enabled, host.thp_enabled);
	printf("host restored: nr_hugepages=%ld mthp=%s (%s)\n", now.nr_hugepages, now.mthp,
	       same ? "as found" : "CHANGED");
	return same;
}
