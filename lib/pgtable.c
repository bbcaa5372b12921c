// SPDX-License-Identifier: MIT
/*
 * Page tables: 4 levels of 512 entries (x86-64 without LA57). Each table
 * is a simulated page of the machine (PG_table) whose struct page holds the
 * table's lock in _sim_private, as the kernel's split page-table locks live
 * in the table's struct page. Entries are words read with READ_ONCE, so the
 * lockless GUP-fast walker can read them while others change them.
 *
 * A table is freed only when no lockless walker can still be reading it:
 * walkers bracket their walk with gup_fast_enter()/gup_fast_exit() (the
 * kernel disables interrupts), and free_pgtables() clears the parent entry,
 * then waits for every walker that was inside a walk to leave it (the
 * kernel's tlb_remove_table_sync_one() IPI) before freeing the table.
 */
#include <sched.h>
#include <stdlib.h>

#include "internal.h"

struct page *pt_page_of(struct gupsim *sim, const pteval_t *entry)
{
	unsigned long pfn = (unsigned long)((const unsigned char *)entry - sim->mem) >> PAGE_SHIFT;

	return sim->memmap + pfn;
}

void pt_lock(struct gupsim *sim, pteval_t *entry)
{
	spin_lock_word(&pt_page_of(sim, entry)->_sim_private);
	lib_lock_acquired();
}

void pt_unlock(struct gupsim *sim, pteval_t *entry)
{
	spin_unlock_word(&pt_page_of(sim, entry)->_sim_private);
	lib_lock_released();
}

bool pt_trylock(struct gupsim *sim, pteval_t *entry)
{
	if (!spin_trylock_word(&pt_page_of(sim, entry)->_sim_private))
		return false;
	lib_lock_acquired();
	return true;
}

struct page *pt_alloc(struct gupsim *sim)
{
	struct page *page = alloc_page_gfp(sim, GFP_KERNEL | __GFP_ZERO);

	if (page) {
		/* the walkers read the entries straight from the frame: give it data */
		page_address(page);
		SetPageFlag(page, PG_table);
	}
	return page;
}

void pt_free(struct page *page)
{
	ClearPageFlag(page, PG_table);
	page->_sim_private = 0;
	folio_put(page_folio(page));
}

int pgtable_init(struct mm_struct *mm)
{
	struct page *root = pt_alloc(mm->sim);

	if (!root)
		return -ENOMEM;
	mm->pgd_pfn = page_to_pfn(root);
	return 0;
}

static inline bool entry_is_table(pteval_t v, enum pt_level level)
{
	return level > PT_PTE && !pte_none(v) && !pte_leaf(v);
}

/* Install a new, empty table below @entry unless someone else did. */
static int pt_populate(struct gupsim *sim, pteval_t *entry)
{
	struct page *table = pt_alloc(sim);
	bool used = false;

	if (!table)
		return -ENOMEM;
	pt_lock(sim, entry);
	if (pte_none(pt_read(entry))) {
		/* the zeroed table is visible before the entry that points at it */
		smp_wmb();
		pt_write(entry, pfn_pte(page_to_pfn(table), _PAGE_TABLE));
		used = true;
	}
	pt_unlock(sim, entry);
	if (!used)
		pt_free(table);
	return 0;
}

pteval_t *pgtable_walk(struct mm_struct *mm, unsigned long addr, enum pt_level level,
		       bool alloc, enum pt_level *leaf_level)
{
	struct gupsim *sim = mm->sim;
	pteval_t *table = pt_table(sim, mm->pgd_pfn);

	for (enum pt_level lvl = PT_PGD; lvl > level; lvl--) {
		pteval_t *entry = &table[pt_index(addr, lvl)];
		pteval_t v = pt_read(entry);

		if (pte_none(v)) {
			if (!alloc || pt_populate(sim, entry)) {
				if (leaf_level)
					*leaf_level = lvl;
				return NULL;
			}
			v = pt_read(entry);
		}
		if (!entry_is_table(v, lvl)) {	/* a leaf covers @addr */
			if (leaf_level)
				*leaf_level = lvl;
			return NULL;
		}
		table = pt_table(sim, pte_pfn(v));
	}
	if (leaf_level)
		*leaf_level = level;
	return &table[pt_index(addr, level)];
}

pteval_t *pgtable_lookup(struct mm_struct *mm, unsigned long addr, enum pt_level *level)
{
	struct gupsim *sim = mm->sim;
	pteval_t *table = pt_table(sim, mm->pgd_pfn);

	for (enum pt_level lvl = PT_PGD; ; lvl--) {
		pteval_t *entry = &table[pt_index(addr, lvl)];
		pteval_t v = pt_read(entry);

		if (pte_none(v))
			return NULL;
		if (lvl == PT_PTE || !entry_is_table(v, lvl)) {
			if (level)
				*level = lvl;
			return entry;
		}
		table = pt_table(sim, pte_pfn(v));
	}
}

/* ---- lockless walkers and deferred table freeing ---- */

/*
 * One walker per (thread, machine), found through a small per-thread cache
 * and else in the machine's list, where each walker names its owner. A
 * thread that exits gives its walkers up (owner 0, seq even) and the next
 * thread that needs one in that machine takes it over: a machine has as
 * many walkers as threads ever ran GUP-fast in it at the same time, and a
 * thread rotating over more machines than its cache holds allocates
 * nothing more.
 */
struct fast_walker {
	struct fast_walker *next;
	unsigned long seq;		/* odd while inside a lockless walk */
	unsigned long owner;		/* task_thread_id(); 0: free (atomic) */
	struct task_link link;		/* on the owner's list (task_links lock) */
};

#define WALKER_CACHE 8
static _Thread_local struct {
	unsigned long sim_id;
	struct fast_walker *walker;
} walker_tls[WALKER_CACHE];
static _Thread_local unsigned int walker_tls_next;

/* Thread exit (task_links lock held, on the exiting thread). */
static void walker_exit(struct task_link *link)
{
	struct fast_walker *w = container_of(link, struct fast_walker, link);

	smp_store_release_ul(&w->owner, 0);
	memset(walker_tls, 0, sizeof(walker_tls));
}

/* The calling thread's walker in @sim: its own, a free one, or a new one. */
static struct fast_walker *walker_claim(struct gupsim *sim, unsigned long me, bool *claimed)
{
	struct fast_walker *w;

	*claimed = true;
	for (w = sim->walkers; w; w = w->next) {
		if (READ_ONCE_UL(&w->owner) == me) {
			*claimed = false;
			return w;
		}
	}
	for (w = sim->walkers; w; w = w->next)
		if (!READ_ONCE_UL(&w->owner) && cmpxchg_ul(&w->owner, 0, me) == 0)
			return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		abort();	/* a few bytes per thread: nothing sensible to do */
	w->owner = me;
	w->link.exit = walker_exit;
	w->next = sim->walkers;
	sim->walkers = w;
	sim->nr_walkers++;
	return w;
}

static struct fast_walker *walker_slow(struct gupsim *sim)
{
	struct fast_walker *w;
	unsigned int slot;
	bool claimed;

	pthread_mutex_lock(&sim->walker_lock);
	w = walker_claim(sim, task_thread_id(), &claimed);
	pthread_mutex_unlock(&sim->walker_lock);
	/* never under walker_lock, which is held while waiting for walkers */
	if (claimed) {
		task_links_lock();
		task_link_add(&w->link);
		task_links_unlock();
	}
	slot = walker_tls_next++ % WALKER_CACHE;
	walker_tls[slot].sim_id = sim->id;
	walker_tls[slot].walker = w;
	return w;
}

static struct fast_walker *this_walker(struct gupsim *sim)
{
	for (unsigned int i = 0; i < WALKER_CACHE; i++)
		if (walker_tls[i].sim_id == sim->id)
			return walker_tls[i].walker;
	return walker_slow(sim);
}

void gup_fast_enter(struct gupsim *sim)
{
	struct fast_walker *w = this_walker(sim);

	/* a fully ordered RMW: the walk's reads come after the announcement */
	(void)xchg_ul(&w->seq, READ_ONCE_UL(&w->seq) + 1);
}

void gup_fast_exit(struct gupsim *sim)
{
	struct fast_walker *w = this_walker(sim);

	smp_store_release_ul(&w->seq, READ_ONCE_UL(&w->seq) + 1);
}

/* Wait until every walker that is inside a walk now has left it. */
void tlb_remove_table_sync_one(struct gupsim *sim)
{
	smp_mb();	/* the cleared entries are visible to new walkers */
	pthread_mutex_lock(&sim->walker_lock);
	for (struct fast_walker *w = sim->walkers; w; w = w->next) {
		unsigned long seq = smp_load_acquire_ul(&w->seq);

		if (!(seq & 1))
			continue;
		while (smp_load_acquire_ul(&w->seq) == seq)
			sched_yield();
	}
	pthread_mutex_unlock(&sim->walker_lock);
}

void pgtable_walkers_destroy(struct gupsim *sim)
{
	struct fast_walker *w;

	pthread_mutex_lock(&sim->walker_lock);
	w = sim->walkers;
	sim->walkers = NULL;
	sim->nr_walkers = 0;
	pthread_mutex_unlock(&sim->walker_lock);
	task_links_lock();
	for (struct fast_walker *v = w; v; v = v->next)
		task_link_del(&v->link);
	task_links_unlock();
	while (w) {
		struct fast_walker *next = w->next;

		free(w);
		w = next;
	}
	sim->walkers = NULL;
	for (unsigned int i = 0; i < WALKER_CACHE; i++)
		if (walker_tls[i].sim_id == sim->id)
			walker_tls[i].sim_id = 0;
}

/* ---- freeing tables ---- */

struct pt_free_list {
	struct page *head;
};

static void defer_free(struct pt_free_list *list, struct page *table)
{
	table->buddy_next = list->head;
	list->head = table;
}

static bool table_empty(const pteval_t *table)
{
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pte_none(pt_read(&table[i])))
			return false;
	return true;
}

/*
 * Free the empty tables below @entry (a table entry of @level) that cover
 * part of [start, end); clear @entry too if its table ends up empty.
 */
static void free_below(struct gupsim *sim, pteval_t *entry, enum pt_level level,
		       unsigned long base, unsigned long start, unsigned long end,
		       struct pt_free_list *list)
{
	pteval_t v = pt_read(entry);
	pteval_t *table;
	unsigned long span;

	if (!entry_is_table(v, level))
		return;
	table = pt_table(sim, pte_pfn(v));
	span = 1UL << pt_shift((enum pt_level)(level - 1));
	if (level - 1 > PT_PTE) {
		for (int i = 0; i < PTRS_PER_TABLE; i++) {
			unsigned long lo = base + (unsigned long)i * span;

			if (lo >= end || lo + span <= start)
				continue;
			free_below(sim, &table[i], (enum pt_level)(level - 1), lo, start, end, list);
		}
	}
	if (!table_empty(table))
		return;
	pt_lock(sim, entry);
	if (pt_read(entry) == v && table_empty(table)) {
		pt_write(entry, 0);
		defer_free(list, pt_page_of(sim, table));
	}
	pt_unlock(sim, entry);
}

static void free_list_release(struct gupsim *sim, struct pt_free_list *list)
{
	if (!list->head)
		return;
	tlb_remove_table_sync_one(sim);
	while (list->head) {
		struct page *table = list->head;

		list->head = table->buddy_next;
		table->buddy_next = NULL;
		pt_free(table);
	}
}

void free_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct gupsim *sim = mm->sim;
	pteval_t *pgd = pt_table(sim, mm->pgd_pfn);
	struct pt_free_list list = { NULL };
	unsigned long span = 1UL << pt_shift(PT_PGD);

	if (start >= end)
		return;
	for (unsigned int i = pt_index(start, PT_PGD); i <= pt_index(end - 1, PT_PGD); i++)
		free_below(sim, &pgd[i], PT_PGD, (unsigned long)i * span, start, end, &list);
	free_list_release(sim, &list);
}

void pgtable_destroy(struct mm_struct *mm)
{
	struct gupsim *sim = mm->sim;
	pteval_t *pgd = pt_table(sim, mm->pgd_pfn);

	free_pgtables(mm, 0, TASK_SIZE_MAX + PAGE_SIZE);
	WARN(sim, !table_empty(pgd), "mm %d torn down with mappings left in its page tables\n",
	     mm->id);
	pt_free(pfn_to_page_sim(sim, mm->pgd_pfn));
	mm->pgd_pfn = 0;
}
