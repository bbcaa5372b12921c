// SPDX-License-Identifier: MIT
/*
 * The simulated machine: configuration, memory layout, creation and
 * teardown. Everything a machine owns hangs off struct gupsim; two machines
 * in one process never share state.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

/* Upper bound on simulated memory: 4 TiB (the memmap is then 64 GiB of
 * reserved, untouched address space). */
#define GUPSIM_MAX_MB	(4UL << 20)

static atomic_long_t next_sim_id = { 1 };

void gupsim_config_init(struct gupsim_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->normal_mb = 1024;
	cfg->thp = GUPSIM_THP_MADVISE;
	cfg->use_zero_page = true;
	cfg->use_huge_zero_page = true;
}

/* Orders 2..8 may be enabled for anon mTHP (the mTHP sizes of
 * /sys/kernel/mm/transparent_hugepage/hugepages-*kB: 16 KiB-1 MiB). */
#define MTHP_ALLOWED_ORDERS	(((1UL << 9) - 1) & ~3UL)

static int config_check(const struct gupsim_config *cfg)
{
	unsigned long total;

	/* each size first, so that their sum cannot wrap around */
	if (cfg->normal_mb < 4 || cfg->normal_mb > GUPSIM_MAX_MB ||
	    cfg->movable_mb > GUPSIM_MAX_MB || cfg->device_mb > GUPSIM_MAX_MB)
		return -EINVAL;
	total = cfg->normal_mb + cfg->movable_mb + cfg->device_mb;
	if (total > GUPSIM_MAX_MB)
		return -EINVAL;
	/* CMA is made of whole 2 MiB pageblocks and leaves NORMAL some room */
	if (cfg->cma_mb % 2 || cfg->cma_mb > cfg->normal_mb - 2)
		return -EINVAL;
	if (cfg->movable_mb % 2 || cfg->device_mb % 2)
		return -EINVAL;
	if ((unsigned int)cfg->thp > GUPSIM_THP_ALWAYS)
		return -EINVAL;
	if (cfg->mthp_orders & ~MTHP_ALLOWED_ORDERS)
		return -EINVAL;
	if (cfg->kernel_version &&
	    (cfg->kernel_version < GUPSIM_KERNEL_VERSION_MIN ||
	     cfg->kernel_version > GUPSIM_KERNEL_VERSION_MAX))
		return -EINVAL;
	if (cfg->hugetlb_2m_pages > total / 2 || cfg->hugetlb_1g_pages > total / 1024)
		return -ENOMEM;
	return 0;
}

/*
 * No machine exists yet whose log stream or warn handler could take the
 * message, so a kernel_version out of range is said on stderr (documented
 * in gupsim_create(3)); errno is EINVAL as for any impossible config.
 */
static void kernel_version_complain(const struct gupsim_config *cfg)
{
	unsigned int v = cfg->kernel_version;

	if (!v || (v >= GUPSIM_KERNEL_VERSION_MIN && v <= GUPSIM_KERNEL_VERSION_MAX))
		return;
	fprintf(stderr, "gupsim_create: kernel_version %u.%u.%u (0x%x) is outside the "
		"modelled range 6.6 to 7.3\n", v >> 16, (v >> 8) & 0xff, v & 0xff, v);
}

static void *reserve(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void layout_zones(struct gupsim *sim)
{
	const struct gupsim_config *cfg = &sim->cfg;
	unsigned long pages_per_mb = (1UL << 20) >> PAGE_SHIFT;
	unsigned long normal = cfg->normal_mb * pages_per_mb;
	unsigned long movable = cfg->movable_mb * pages_per_mb;
	unsigned long device = cfg->device_mb * pages_per_mb;
	unsigned long cma = cfg->cma_mb * pages_per_mb;

	sim->zone_start[ZONE_NORMAL] = 0;
	sim->zone_end[ZONE_NORMAL] = normal;
	sim->zone_start[ZONE_MOVABLE] = normal;
	sim->zone_end[ZONE_MOVABLE] = normal + movable;
	sim->zone_start[ZONE_DEVICE] = normal + movable;
	sim->zone_end[ZONE_DEVICE] = normal + movable + device;
	sim->nr_pfns = normal + movable + device;

	/* CMA: the last cma_mb of ZONE_NORMAL */
	sim->pools[POOL_NORMAL].start_pfn = 0;
	sim->pools[POOL_NORMAL].end_pfn = normal - cma;
	sim->pools[POOL_CMA].start_pfn = normal - cma;
	sim->pools[POOL_CMA].end_pfn = normal;
	sim->pools[POOL_MOVABLE].start_pfn = normal;
	sim->pools[POOL_MOVABLE].end_pfn = normal + movable;
	sim->device_next_pfn = sim->zone_start[ZONE_DEVICE];
}

static void sim_init_locks(struct gupsim *sim)
{
	pthread_mutex_init(&sim->zone_lock, NULL);
	pthread_mutex_init(&sim->huge_zero_lock, NULL);
	pthread_mutex_init(&sim->hugetlb_lock, NULL);
	pthread_mutex_init(&sim->vmstat_lock, NULL);
	pthread_mutex_init(&sim->log_lock, NULL);
	pthread_mutex_init(&sim->mm_list_lock, NULL);
	pthread_mutex_init(&sim->file_list_lock, NULL);
	pthread_mutex_init(&sim->walker_lock, NULL);
	pthread_mutex_init(&sim->migration_lock, NULL);
	pthread_cond_init(&sim->migration_done, NULL);
	pthread_mutex_init(&sim->vma_cache_lock, NULL);
}

static void sim_free_memory(struct gupsim *sim)
{
	if (sim->memmap)
		munmap(sim->memmap, sim->memmap_bytes);
	if (sim->mem)
		munmap(sim->mem, sim->mem_bytes);
	if (sim->pin_shadow)
		munmap(sim->pin_shadow, sim->nr_pfns * sizeof(int));
	page_data_destroy(sim);
}

struct gupsim *gupsim_create(const struct gupsim_config *user_cfg)
{
	struct gupsim *sim;
	int err;

	sim = calloc(1, sizeof(*sim));
	if (!sim) {
		errno = ENOMEM;
		return NULL;
	}
	gupsim_config_init(&sim->cfg);
	if (user_cfg) {
		/* versioned by size: take what the caller knows about */
		size_t n = user_cfg->size < sizeof(sim->cfg) ? user_cfg->size : sizeof(sim->cfg);

		if (n < offsetof(struct gupsim_config, mthp_orders)) {
			free(sim);
			errno = EINVAL;
			return NULL;
		}
		memcpy(&sim->cfg, user_cfg, n);
		sim->cfg.size = sizeof(sim->cfg);
	}
	err = config_check(&sim->cfg);
	if (err) {
		kernel_version_complain(&sim->cfg);
		free(sim);
		errno = -err;
		return NULL;
	}

	sim->kver = sim->cfg.kernel_version ? sim->cfg.kernel_version :
		    GUPSIM_KERNEL_VERSION_MAX;
	sim->id = (unsigned long)atomic_long_add_return(1, &next_sim_id);
	sim->log = stderr;
	sim_init_locks(sim);
	layout_zones(sim);

	sim->memmap_bytes = sim->nr_pfns * sizeof(struct page);
	sim->mem_bytes = sim->nr_pfns << PAGE_SHIFT;
	sim->memmap = reserve(sim->memmap_bytes);
	sim->mem = reserve(sim->mem_bytes);
	if (sim->cfg.debug_pins)
		sim->pin_shadow = reserve(sim->nr_pfns * sizeof(int));
	if (!sim->memmap || !sim->mem || (sim->cfg.debug_pins && !sim->pin_shadow) ||
	    page_data_init(sim)) {
		err = -ENOMEM;
		goto fail;
	}

	page_alloc_init(sim);
	err = zero_page_init(sim);
	if (!err)
		err = hugetlb_pools_init(sim);
	if (err)
		goto fail;
	/*
	 * From here on the memmap is written densely, 64 bytes per page
	 * faulted in: let the host back it with huge pages where it can (one
	 * host fault per 128 MiB of simulated memory instead of one per 256
	 * KiB). Not before: a new machine writes one struct page per free
	 * block, and those should cost 4 KiB each, not 2 MiB.
	 */
	madvise(sim->memmap, sim->memmap_bytes, MADV_HUGEPAGE);
	sim->free_at_create = gupsim_nr_free_pages(sim);
	return sim;

fail:
	hugetlb_pools_destroy(sim);
	sim_free_memory(sim);
	free(sim);
	errno = -err;
	return NULL;
}

/* What the caller still held when gupsim_destroy() was called. */
struct destroy_leaks {
	long pins, acquired, released;
	int mms, mm_users;
};

/* Before the teardown: pins not released, mms not put (and their users). */
static void leaks_before_teardown(struct gupsim *sim, struct destroy_leaks *l)
{
	l->acquired = (long)gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	l->released = (long)gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED);
	/* folio_add_pin() pins count as released only (debug_pins counts them) */
	l->pins = l->acquired + atomic_long_read(&sim->nr_add_pin) - l->released;
	pthread_mutex_lock(&sim->mm_list_lock);
	for (struct mm_struct *mm = sim->mm_list; mm; mm = mm->list_next) {
		l->mms++;
		l->mm_users += atomic_read(&mm->mm_users);
	}
	pthread_mutex_unlock(&sim->mm_list_lock);
}

/*
 * The leak report: once every mm and file is gone, every page the machine
 * had free at creation must be free again (the huge zero folio aside); any
 * other is held by a reference or pin the caller never dropped.
 */
static void report_leaks(struct gupsim *sim, const struct destroy_leaks *l)
{
	long pages = (long)sim->free_at_create - (long)gupsim_nr_free_pages(sim);

	if (READ_ONCE_UL(&sim->huge_zero_folio))
		pages -= HPAGE_PMD_NR;
	if (l->pins <= 0 && !l->mms && pages <= 0)
		return;
	WARN(sim, 1, "gupsim_destroy: %ld pins outstanding (acquired %ld, released %ld), "
	     "%d mm users (%d mms), %ld pages still referenced\n", l->pins > 0 ? l->pins : 0,
	     l->acquired, l->released, l->mm_users, l->mms, pages > 0 ? pages : 0);
}

void gupsim_destroy(struct gupsim *sim)
{
	struct destroy_leaks leaks = { 0 };

	if (!sim)
		return;
#ifndef NDEBUG
	/* debug builds verify every invariant before the machine goes */
	{
		long bad = gupsim_check(sim);

		WARN(sim, bad > 0, "gupsim_destroy: %ld invariant violation(s)\n", bad);
	}
#endif
	leaks_before_teardown(sim, &leaks);
	/* teardown of the simulated user side comes first: it returns pages */
	mms_destroy(sim);
	vma_cache_destroy(sim);
	files_destroy(sim);
	report_leaks(sim, &leaks);
	hugetlb_pools_destroy(sim);
	vmstat_destroy(sim);
	pgtable_walkers_destroy(sim);
	sim_free_memory(sim);
	free(sim);
}
