// SPDX-License-Identifier: MIT
/*
 * FOLL_LONGTERM migration (semantics.md §4.2, §4.3): folios a long-term pin must not
 * hold (ZONE_MOVABLE, CMA) are unpinned, copied into pinnable memory and
 * their mappings and page-cache slots moved to the copy; the caller then
 * pins the range again.
 *
 * Moving a folio follows the kernel's migrate_pages(): lock it, replace each
 * mapping by a non-present migration entry (rmap_walk), freeze the refcount
 * at what the page cache and we hold (any other reference, e.g. a pin or a
 * racing GUP-fast grab, makes it busy), copy, replace it in the page cache
 * and point the migration entries at the copy. A fault on a migration entry
 * waits for it to go (memory.c); each mm with such an entry stays
 * read-locked meanwhile, so that its VMAs and page tables stay put: the rmap
 * walk locks each mm once (not once per mapping: a PTE-mapped THP has 512)
 * and keeps it locked until the entries are gone. An mm the caller holds is
 * not locked again, so a writer queued on it cannot make the walk fail.
 */
#include <sched.h>
#include <stdlib.h>

#include "gup_internal.h"

/* migrate_pages() tries a busy folio this many times (NR_MAX_MIGRATE_PAGES_RETRY) */
#define MIGRATE_BUSY_RETRIES	10
/* Waits for a busy mm's writer, which are not failures (a bound all the same) */
#define MIGRATE_MM_WAITS	1000

/* One mapping of the folio being migrated, replaced by a migration entry. */
struct migrate_map {
	struct vm_area_struct *vma;
	unsigned long addr;
	pteval_t *entry;
	pteval_t orig;			/* the entry before migration */
	pteval_t migration;		/* the migration entry we wrote */
	enum pt_level level;
	long idx;			/* page index in the folio (PTE level) */
};

struct migrate_ctx {
	struct folio *folio;
	struct migrate_map *maps;
	unsigned int nr, cap;
	int err;
	struct rmap_locks locks;	/* the mms the walk locked, until remapped */
};

static bool migrate_ctx_grow(struct migrate_ctx *ctx)
{
	struct migrate_map *maps;
	unsigned int cap;

	if (ctx->nr < ctx->cap)
		return true;
	cap = ctx->cap ? ctx->cap * 2 : 8;
	maps = realloc(ctx->maps, cap * sizeof(*maps));
	if (!maps)
		return false;
	ctx->maps = maps;
	ctx->cap = cap;
	return true;
}

/*
 * rmap_walk() callback, with the entry's table lock held: try_to_migrate_one().
 * The mapping's mm is read-locked (by the walk, in ctx->locks, or by the
 * caller) until the migration entry is gone, so neither the VMA nor the
 * page table can be freed meanwhile.
 */
static int unmap_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
		     pteval_t *entry, enum pt_level level, void *arg)
{
	struct migrate_ctx *ctx = arg;
	pteval_t e = pt_read(entry);
	struct migrate_map *m;

	if (!pte_present(e))
		return 0;
	if (!migrate_ctx_grow(ctx))
		return ctx->err = -ENOMEM;
	m = &ctx->maps[ctx->nr++];
	*m = (struct migrate_map){
		.vma = vma, .addr = addr, .entry = entry, .orig = e, .level = level,
		.idx = (long)(pte_pfn(e) - page_to_pfn(&folio->page)),
		.migration = (e & ~(_PAGE_PRESENT | _PAGE_PROTNONE)) | _PAGE_MIGRATION,
	};
	pt_write(entry, m->migration);
	if (level == PT_PTE)
		folio_remove_rmap_ptes(folio, folio_page(folio, (unsigned long)m->idx), 1, vma);
	else
		folio_remove_rmap_pmd(folio, vma);
	folio_put(folio);	/* a mapping holds a reference; we hold another */
	return 0;
}

/* Map @folio where a migration entry of @m still stands (remove_migration_pte()). */
static void remap_one(struct migrate_map *m, struct folio *folio)
{
	struct gupsim *sim = folio_sim(folio);
	pteval_t e;

	pt_lock(sim, m->entry);
	if (pt_read(m->entry) == m->migration) {	/* not zapped meanwhile */
		unsigned long pfn = page_to_pfn(&folio->page) +
				    (m->level == PT_PTE ? (unsigned long)m->idx : 0);

		e = (m->orig & ~PTE_PFN_MASK) | (pfn << PAGE_SHIFT);
		folio_get(folio);
		if (m->level == PT_PTE) {
			struct page *page = folio_page(folio, (unsigned long)m->idx);

			if (folio_test_anon(folio))
				folio_add_anon_rmap_ptes(folio, page, 1, m->vma);
			else
				folio_add_file_rmap_ptes(folio, page, 1, m->vma);
		} else if (folio_test_anon(folio)) {
			folio_add_anon_rmap_pmd(folio, m->vma);
		} else {
			folio_add_file_rmap_pmd(folio, m->vma);
		}
		pt_write(m->entry, e);
	}
	pt_unlock(sim, m->entry);
}

/*
 * migration_entry_wait(): the kernel sleeps on the folio lock, which the
 * migration holds until every migration entry is gone. gupsim sleeps on the
 * machine's migration_done condition instead (the migrated folio may be
 * freed meanwhile), rechecking the entry under migration_lock: remap_all()
 * rewrites the entries before it takes that lock to wake the sleepers, so
 * no wake-up is lost. The caller holds the mmap lock: the table stays.
 */
void migration_entry_wait(struct gupsim *sim, pteval_t *entry, pteval_t v)
{
	pthread_mutex_lock(&sim->migration_lock);
	while (pt_read(entry) == v)
		pthread_cond_wait(&sim->migration_done, &sim->migration_lock);
	pthread_mutex_unlock(&sim->migration_lock);
}

static void migration_wake_all(struct gupsim *sim)
{
	pthread_mutex_lock(&sim->migration_lock);
	pthread_cond_broadcast(&sim->migration_done);
	pthread_mutex_unlock(&sim->migration_lock);
}

/* Point every migration entry at @folio and wake the faults. */
static void remap_all(struct migrate_ctx *ctx, struct folio *folio)
{
	for (unsigned int i = 0; i < ctx->nr; i++)
		remap_one(&ctx->maps[i], folio);
	if (ctx->nr)
		migration_wake_all(folio_sim(folio));
	ctx->nr = 0;	/* the mms stay locked until the folio is unlocked */
}

static void notify_unmapped(struct migrate_ctx *ctx)
{
	for (unsigned int i = 0; i < ctx->nr; i++) {
		struct migrate_map *m = &ctx->maps[i];
		unsigned long size = 1UL << pt_shift(m->level);
		unsigned long start = m->addr & ~(size - 1);

		mmu_notifier_invalidate_range_start(m->vma->vm_mm, start, start + size,
						    MMU_NOTIFY_MIGRATE);
		mmu_notifier_invalidate_range_end(m->vma->vm_mm, start, start + size,
						  MMU_NOTIFY_MIGRATE);
	}
}

/* Page flags that move with the contents (not the allocator's or the lock). */
#define MIGRATE_FLAGS	(BIT(PG_referenced) | BIT(PG_uptodate) | BIT(PG_dirty) | \
			 BIT(PG_lru) | BIT(PG_active) | BIT(PG_swapbacked) | \
			 BIT(PG_large_rmappable))

/* folio_migrate_flags() + folio_migrate_mapping() for anon folios */
static void migrate_folio_state(struct folio *dst, struct folio *src)
{
	unsigned long flags = READ_ONCE_UL(&src->flags) & MIGRATE_FLAGS;
	long nr = folio_nr_pages(src);

	__ao_ulong_fetch_or(&dst->flags, flags);
	for (long i = 0; i < nr; i++) {
		/* per page for THP, the head only for hugetlb (semantics.md §5.1) */
		if (PageFlag(folio_page(src, (unsigned long)i), PG_anon_exclusive))
			SetPageFlag(folio_page(dst, (unsigned long)i), PG_anon_exclusive);
	}
	if (folio_test_anon(src)) {
		dst->index = src->index;
		WRITE_ONCE_UL(&dst->mapping, (unsigned long)src->mapping);
	}
}

/* The copy: pinnable memory only, whatever the caller's scope. */
static struct folio *alloc_migration_target(struct folio *src)
{
	struct gupsim *sim = folio_sim(src);
	unsigned int order = folio_order(src);

	if (folio_test_hugetlb(src))
		return hugetlb_folio_alloc_fresh(sim, order, GFP_KERNEL);
	return folio_alloc_gfp(sim, order, GFP_KERNEL | __GFP_NOWARN);
}

static void trace_migrate(struct folio *src, struct folio *dst, long ret)
{
	struct gupsim *sim = folio_sim(src);
	struct gupsim_trace_record rec = {
		.event = GUPSIM_TRACE_MIGRATE,
		.name = "migrate_folio_longterm",
		.nr = (unsigned long)folio_nr_pages(src),
		.ret = ret,
		.pfn = page_to_pfn(&src->page),
		.new_pfn = dst ? page_to_pfn(&dst->page) : 0,
	};

	if (trace_enabled(sim))
		gupsim_trace_emit(sim, &rec);
}

/* Unmapped @src, whose only references are ours and the page cache's. */
static void migrate_unmapped(struct migrate_ctx *ctx, struct folio *src, struct folio *dst,
			     bool cached)
{
	folio_copy_contents(dst, src);
	migrate_folio_state(dst, src);
	/* @dst takes the cache's references, @src gives them up */
	if (cached)
		filemap_replace_folio(src, dst);
	remap_all(ctx, dst);
}

/*
 * folio_ref_freeze() at the references we know of: a pin, a GUP reference
 * or a GUP-fast grab racing with the unmap makes the folio busy. filemap.c
 * takes page-cache references with folio_get(), which a frozen folio would
 * refuse, so a cached folio is only checked, not frozen; a page-cache
 * lookup between this check and filemap_replace_folio() is the one race
 * the kernel's freeze closes and gupsim does not.
 */
static bool migrate_refs_frozen(struct folio *folio, bool cached)
{
	if (cached)
		return folio_ref_count(folio) == 1 + (int)folio_nr_pages(folio);
	return folio_ref_freeze(folio, 1);
}

/*
 * Migrate one isolated folio (the caller holds a reference on it) into
 * pinnable memory: 0, -EAGAIN (busy: extra references, or an mm that
 * cannot be locked now, then *@busy_mm with an mm_users reference) or
 * -ENOMEM.
 */
static int migrate_folio_try(struct folio *folio, struct mm_struct **busy_mm)
{
	struct migrate_ctx ctx = { .folio = folio, .locks.want_busy = true };
	struct folio *dst;
	int ret = 0, walk;
	bool cached;

	folio_lock(folio);
	cached = !folio_test_anon(folio) && READ_ONCE_UL(&folio->mapping);
	if (!cached && !folio_mapped(folio)) {
		/* someone else migrated or unmapped it already: nothing to move */
		folio_unlock(folio);
		return 0;
	}
	dst = alloc_migration_target(folio);
	if (!dst) {
		folio_unlock(folio);
		trace_migrate(folio, NULL, -ENOMEM);
		return -ENOMEM;
	}

	/* a busy mm (-EAGAIN) keeps its mapping, and so a reference */
	walk = rmap_walk_locked(folio, unmap_one, &ctx, &ctx.locks);
	notify_unmapped(&ctx);
	if (walk == -EAGAIN || ctx.err || !migrate_refs_frozen(folio, cached)) {
		ret = ctx.err == -ENOMEM ? -ENOMEM : -EAGAIN;
		remap_all(&ctx, folio);
		folio_put(dst);
	} else {
		migrate_unmapped(&ctx, folio, dst, cached);
		if (!cached)
			folio_ref_unfreeze(folio, 1);	/* our isolation reference */
		count_vm_events(folio_sim(folio), GUPSIM_NR_PGMIGRATE_SUCCESS,
				folio_nr_pages(folio));
		count_vm_event(folio_sim(folio), GUPSIM_NR_LONGTERM_MIGRATIONS);
		trace_migrate(folio, dst, 0);
		folio_put(dst);		/* the allocation reference */
	}
	folio_unlock(folio);
	free(ctx.maps);
	*busy_mm = ctx.locks.busy;	/* the caller puts it */
	ctx.locks.busy = NULL;
	rmap_locks_release(&ctx.locks);	/* unlock and put the walk's mms */
	return ret;
}

int migrate_folio_longterm(struct folio *folio)
{
	struct mm_struct *busy = NULL;
	int ret = migrate_folio_try(folio, &busy);

	if (busy)
		gupsim_mm_put(busy);
	return ret;
}

/* ------------------------------------------------------------------ */
/* check_and_migrate_movable_{pages,folios}(): semantics.md §4.3 */

struct isolated {
	struct folio **folios;
	unsigned long nr, cap;
};

static bool isolated_has(const struct isolated *iso, const struct folio *folio)
{
	for (unsigned long i = 0; i < iso->nr; i++)
		if (iso->folios[i] == folio)
			return true;
	return false;
}

/*
 * collect_longterm_unpinnable_folios(): one reference per distinct folio
 * that must move (the kernel's LRU / hugetlb isolation).
 */
static int isolate_unpinnable(struct isolated *iso, struct folio *folio)
{
	if (folio_is_longterm_pinnable(folio) || isolated_has(iso, folio))
		return 0;
	if (iso->nr == iso->cap) {
		unsigned long cap = iso->cap ? iso->cap * 2 : 8;
		struct folio **f = realloc(iso->folios, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		iso->folios = f;
		iso->cap = cap;
	}
	folio_get(folio);
	iso->folios[iso->nr++] = folio;
	return 0;
}

static int migrate_one_isolated(struct folio *folio)
{
	struct gupsim *sim = folio_sim(folio);
	long nr = folio_nr_pages(folio);
	struct mm_struct *held = NULL;
	int ret = -EAGAIN, waits = 0;

	for (int pass = 0; pass < MIGRATE_BUSY_RETRIES && ret == -EAGAIN;) {
		struct mm_struct *busy = NULL;

		ret = migrate_folio_try(folio, &busy);
		if (held) {
			mm_read_unlock(held);
			gupsim_mm_put(held);
			held = NULL;
		}
		/*
		 * A writer holds or waits for @busy's lock (the kernel's walk takes
		 * no mmap lock and would not care): wait for the lock, which is no
		 * failure, and try again holding it, so that the next writer to
		 * queue cannot fail the walk. Only a thread that holds no mmap
		 * lock (and no folio lock here) may block: no lock cycle can form.
		 */
		if (ret == -EAGAIN && busy && waits < MIGRATE_MM_WAITS && !mmap_locks_held() &&
		    !mm_read_lock(busy)) {
			held = busy;
			waits++;
			continue;
		}
		if (busy)
			gupsim_mm_put(busy);
		pass++;
		if (ret == -EAGAIN)
			sched_yield();
	}
	if (ret)
		count_vm_events(sim, GUPSIM_NR_PGMIGRATE_FAIL, nr);
	return ret;
}

/*
 * migrate_longterm_unpinnable_folios(): the caller dropped every pin. Any
 * failure is -ENOMEM for the GUP caller; success is -EAGAIN: pin again.
 */
static long migrate_isolated(struct isolated *iso)
{
	long ret = -EAGAIN;

	for (unsigned long i = 0; i < iso->nr; i++) {
		if (ret == -EAGAIN && migrate_one_isolated(iso->folios[i]))
			ret = -ENOMEM;
		folio_put(iso->folios[i]);	/* putback / the migrated original */
	}
	free(iso->folios);
	return ret;
}

/* Drop every pin (the caller pins the range again), then migrate. */
static long unpin_and_migrate(struct isolated *iso, int err, unsigned long nr,
			      struct folio *(*folio_at)(void *, unsigned long), void *array)
{
	for (unsigned long i = 0; i < nr; i++)
		gup_put_folio(folio_at(array, i), 1, FOLL_PIN);
	if (err) {
		for (unsigned long i = 0; i < iso->nr; i++)
			folio_put(iso->folios[i]);
		free(iso->folios);
		return err;
	}
	return migrate_isolated(iso);
}

static struct folio *page_array_folio(void *array, unsigned long i)
{
	struct page **pages = array;
	struct folio *folio = page_folio(pages[i]);

	pages[i] = NULL;
	return folio;
}

static struct folio *folio_array_folio(void *array, unsigned long i)
{
	struct folio **folios = array;
	struct folio *folio = folios[i];

	folios[i] = NULL;
	return folio;
}

long check_and_migrate_movable_pages(unsigned long nr_pages, struct page **pages)
{
	struct isolated iso = { 0 };
	struct folio *prev = NULL;
	int err = 0;

	for (unsigned long i = 0; i < nr_pages && !err; i++) {
		struct folio *folio = page_folio(pages[i]);

		if (folio != prev)
			err = isolate_unpinnable(&iso, folio);
		prev = folio;
	}
	if (!iso.nr && !err) {
		free(iso.folios);
		return 0;	/* everything may stay pinned */
	}
	return unpin_and_migrate(&iso, err, nr_pages, page_array_folio, pages);
}

long check_and_migrate_movable_folios(unsigned long nr_folios, struct folio **folios)
{
	struct isolated iso = { 0 };
	int err = 0;

	for (unsigned long i = 0; i < nr_folios && !err; i++)
		err = isolate_unpinnable(&iso, folios[i]);
	if (!iso.nr && !err) {
		free(iso.folios);
		return 0;
	}
	return unpin_and_migrate(&iso, err, nr_folios, folio_array_folio, folios);
}
