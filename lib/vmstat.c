// SPDX-License-Identifier: MIT
/*
 * Event counters, sharded per (thread, machine) and folded on read, as the
 * kernel's per-cpu vm_event_states are (semantics.md §2.6: nr_foll_pin_* count per
 * 4 KiB page).
 *
 * The hot path, count_vm_events() in internal.h, touches only the calling
 * thread's own shard with relaxed loads and stores: no lock, no RMW, no
 * shared cache line. A reader folds every shard with relaxed loads, so
 * writers and readers run concurrently without a data race.
 *
 * Shards are found through a thread-local cache keyed by the machine id
 * (sim->id, never reused in a process), so a machine destroyed and
 * reallocated at the same address is never confused with the old one. A
 * thread switching between machines looks in a small per-thread table of
 * (id, shard) pairs first, then in the machine's shard list (each shard
 * remembers the thread that owns it), and only then allocates: a thread
 * never owns more than one shard per machine.
 *
 * When a thread exits, its shards are folded into their machine's
 * vmstat_retired counts and freed (task_links_exit(), a pthread key
 * destructor): a machine has one shard per live thread that counted in
 * it, however many threads came and went. The rest are freed with the
 * machine (vmstat_destroy()).
 */
#include <stdlib.h>

#include "internal.h"

_Thread_local struct vmstat_tls gupsim_vmstat_tls;

/* A shard and the thread that owns it. */
struct vmstat_shard_owned {
	struct vmstat_shard shard;
	unsigned long owner;		/* task_thread_id() of the owner */
	struct gupsim *sim;
	struct task_link link;		/* on the owner's list (task_links lock) */
};

#define VMSTAT_TLS_SLOTS	8

/* The per-thread table of recently used machines. */
static _Thread_local struct vmstat_tls vmstat_tls_table[VMSTAT_TLS_SLOTS];
static _Thread_local unsigned int vmstat_tls_next;

/*
 * Where counts go when no shard can be allocated: they are lost, but the
 * hot path never sees a NULL shard. Written with relaxed atomics only.
 */
static struct vmstat_shard vmstat_discard;

static const char *const vmstat_names[GUPSIM_NR_VMSTAT_ITEMS] = {
	[GUPSIM_NR_FOLL_PIN_ACQUIRED]	= "nr_foll_pin_acquired",
	[GUPSIM_NR_FOLL_PIN_RELEASED]	= "nr_foll_pin_released",
	[GUPSIM_NR_COW_COPIES]		= "gupsim_cow_copies",
	[GUPSIM_NR_UNSHARES]		= "gupsim_unshares",
	[GUPSIM_NR_LONGTERM_MIGRATIONS]	= "gupsim_longterm_migrations",
	[GUPSIM_NR_FORK_PINNED_COPIES]	= "gupsim_fork_pinned_copies",
	[GUPSIM_NR_THP_SPLITS]		= "thp_split_pmd",
	[GUPSIM_NR_WARNINGS]		= "gupsim_warnings",
	[GUPSIM_NR_PIN_SANITIZER_REPORTS] = "gupsim_pin_sanitizer_reports",
	[GUPSIM_NR_GUP_FAST_CALLS]	= "gupsim_gup_fast_calls",
	[GUPSIM_NR_GUP_FAST_FALLBACKS]	= "gupsim_gup_fast_fallbacks",
	[GUPSIM_NR_GUP_SLOW_CALLS]	= "gupsim_gup_slow_calls",
	[GUPSIM_NR_PGFAULT]		= "pgfault",
	[GUPSIM_NR_FAULT_ANON]		= "gupsim_fault_anon",
	[GUPSIM_NR_FAULT_ZERO_PAGE]	= "gupsim_fault_zero_page",
	[GUPSIM_NR_FAULT_FILE]		= "gupsim_fault_file",
	[GUPSIM_NR_FAULT_HUGETLB]	= "gupsim_fault_hugetlb",
	[GUPSIM_NR_THP_FAULT_ALLOC]	= "thp_fault_alloc",
	[GUPSIM_NR_THP_FAULT_FALLBACK]	= "thp_fault_fallback",
	[GUPSIM_NR_MTHP_FAULT_ALLOC]	= "gupsim_mthp_fault_alloc",
	[GUPSIM_NR_COW_REUSES]		= "gupsim_cow_reuses",
	[GUPSIM_NR_LONGTERM_RETRIES]	= "gupsim_longterm_retries",
	[GUPSIM_NR_THP_SPLIT_PAGE]	= "thp_split_page",
	[GUPSIM_NR_WRITEBACK]		= "gupsim_writeback",
	[GUPSIM_NR_WRITEBACK_PINNED]	= "gupsim_writeback_pinned",
	[GUPSIM_NR_PGMIGRATE_SUCCESS]	= "pgmigrate_success",
	[GUPSIM_NR_PGMIGRATE_FAIL]	= "pgmigrate_fail",
	[GUPSIM_NR_BAD_PAGES]		= "gupsim_bad_pages",
};

/*
 * Thread exit (task_links lock held, on the exiting thread): fold the
 * shard into its machine and free it. The thread's caches go too, in case
 * a later destructor counts again.
 */
static void vmstat_shard_exit(struct task_link *link)
{
	struct vmstat_shard_owned *owned = container_of(link, struct vmstat_shard_owned, link);
	struct gupsim *sim = owned->sim;
	struct vmstat_shard **pp;
	int i;

	pthread_mutex_lock(&sim->vmstat_lock);
	for (i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++)
		sim->vmstat_retired[i] += __ao_long_load(&owned->shard.counters[i]);
	for (pp = &sim->shards; *pp; pp = &(*pp)->next) {
		if (*pp == &owned->shard) {
			*pp = owned->shard.next;
			break;
		}
	}
	sim->nr_shards--;
	pthread_mutex_unlock(&sim->vmstat_lock);
	free(owned);
	memset(vmstat_tls_table, 0, sizeof(vmstat_tls_table));
	memset(&gupsim_vmstat_tls, 0, sizeof(gupsim_vmstat_tls));
}

static struct vmstat_shard *vmstat_tls_lookup(unsigned long sim_id)
{
	unsigned int i;

	for (i = 0; i < VMSTAT_TLS_SLOTS; i++) {
		if (vmstat_tls_table[i].shard && vmstat_tls_table[i].sim_id == sim_id)
			return vmstat_tls_table[i].shard;
	}
	return NULL;
}

/* Remember @shard for @sim_id, evicting the oldest entry if full. */
static void vmstat_tls_insert(unsigned long sim_id, struct vmstat_shard *shard)
{
	unsigned int slot = vmstat_tls_next++ % VMSTAT_TLS_SLOTS;

	vmstat_tls_table[slot].sim_id = sim_id;
	vmstat_tls_table[slot].shard = shard;
}

/* The shard this thread owns in @sim, allocating it on first use. */
static struct vmstat_shard *vmstat_shard_find_or_add(struct gupsim *sim)
{
	unsigned long me = task_thread_id();
	struct vmstat_shard_owned *owned;
	struct vmstat_shard *s;

	task_links_lock();
	pthread_mutex_lock(&sim->vmstat_lock);
	for (s = sim->shards; s; s = s->next) {
		owned = container_of(s, struct vmstat_shard_owned, shard);
		if (owned->owner == me)
			goto out;
	}
	owned = calloc(1, sizeof(*owned));
	if (owned) {
		owned->owner = me;
		owned->sim = sim;
		owned->link.exit = vmstat_shard_exit;
		s = &owned->shard;
		s->next = sim->shards;
		sim->shards = s;
		sim->nr_shards++;
		task_link_add(&owned->link);
	}
out:
	pthread_mutex_unlock(&sim->vmstat_lock);
	task_links_unlock();
	return s;
}

/*
 * The slow path of count_vm_events(): the thread's cached shard belongs to
 * another machine (or none yet). Never returns NULL.
 */
struct vmstat_shard *vmstat_shard_slow(struct gupsim *sim)
{
	struct vmstat_shard *shard = vmstat_tls_lookup(sim->id);

	if (!shard) {
		shard = vmstat_shard_find_or_add(sim);
		if (unlikely(!shard))
			return &vmstat_discard;	/* not cached: retried next time */
		vmstat_tls_insert(sim->id, shard);
	}
	gupsim_vmstat_tls.sim_id = sim->id;
	gupsim_vmstat_tls.shard = shard;
	return shard;
}

/*
 * Free every shard of @sim. Called by gupsim_destroy() once nothing can
 * count into @sim any more; stale thread-local entries are harmless since
 * they are keyed by an id that is never handed out again.
 */
void vmstat_destroy(struct gupsim *sim)
{
	struct vmstat_shard *s, *next;

	task_links_lock();
	pthread_mutex_lock(&sim->vmstat_lock);
	s = sim->shards;
	sim->shards = NULL;
	sim->nr_shards = 0;
	for (next = s; next; next = next->next)
		task_link_del(&container_of(next, struct vmstat_shard_owned, shard)->link);
	pthread_mutex_unlock(&sim->vmstat_lock);
	task_links_unlock();
	for (; s; s = next) {
		next = s->next;
		free(container_of(s, struct vmstat_shard_owned, shard));
	}
}

/* Fold every shard of @sim into @sums (all items); caller holds vmstat_lock. */
static void vmstat_fold(struct gupsim *sim, long sums[GUPSIM_NR_VMSTAT_ITEMS])
{
	struct vmstat_shard *s;
	int i;

	memcpy(sums, sim->vmstat_retired, sizeof(long) * GUPSIM_NR_VMSTAT_ITEMS);
	for (s = sim->shards; s; s = s->next)
		for (i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++)
			sums[i] += __ao_long_load(&s->counters[i]);
}

static bool vmstat_item_valid(enum gupsim_vmstat_item item)
{
	return (unsigned int)item < GUPSIM_NR_VMSTAT_ITEMS;
}

unsigned long gupsim_vmstat(struct gupsim *sim, enum gupsim_vmstat_item item)
{
	struct vmstat_shard *s;
	long sum = 0;

	if (!sim || !vmstat_item_valid(item))
		return 0;
	pthread_mutex_lock(&sim->vmstat_lock);
	sum = sim->vmstat_retired[item];
	for (s = sim->shards; s; s = s->next)
		sum += __ao_long_load(&s->counters[item]);
	pthread_mutex_unlock(&sim->vmstat_lock);
	return (unsigned long)sum;
}

const char *gupsim_vmstat_name(enum gupsim_vmstat_item item)
{
	if (!vmstat_item_valid(item))
		return NULL;
	return vmstat_names[item];
}

/* One consistent fold, then one "name value" line per item, like /proc/vmstat. */
int gupsim_vmstat_print(struct gupsim *sim, FILE *out)
{
	long sums[GUPSIM_NR_VMSTAT_ITEMS];
	int i;

	if (!sim || !out)
		return -EINVAL;
	pthread_mutex_lock(&sim->vmstat_lock);
	vmstat_fold(sim, sums);
	pthread_mutex_unlock(&sim->vmstat_lock);

	errno = 0;
	for (i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++) {
		if (fprintf(out, "%s %lu\n", vmstat_names[i], (unsigned long)sums[i]) < 0)
			return errno ? -errno : -EIO;
	}
	if (fflush(out) == EOF || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
