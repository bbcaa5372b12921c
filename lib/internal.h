/* SPDX-License-Identifier: MIT */
/*
 * gupsim internals shared by the lib/ files: the machine, page flags, the
 * allocator, vmstat, WARN, tracing and the mm-side structures. Each lib file
 * mirrors one kernel file (lib/gup.c ~ mm/gup.c) and declares here what the
 * others call.
 */
#ifndef GUPSIM_INTERNAL_H
#define GUPSIM_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <gupsim/gupsim.h>
#include "atomic/atomic.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN(x, a)	(((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)	((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define IS_ERR_VALUE(x)	GUPSIM_IS_ERR_VALUE(x)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* x86-64 with 4-level tables: 47-bit user address space. */
#define TASK_SIZE_MAX	((1UL << 47) - PAGE_SIZE)
#define TASK_SIZE	TASK_SIZE_MAX

/* ------------------------------------------------------------------ */
/* Page flags (bit numbers in page->flags); the zone lives in the top bits. */

enum pageflags {
	PG_locked,
	PG_writeback,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_head,
	PG_active,
	PG_reserved,
	PG_swapbacked,
	PG_anon_exclusive,	/* per page (head only for hugetlb), semantics.md §5.1 */
	PG_large_rmappable,
	PG_hwpoison,
	/* page types (the kernel keeps these in page_type) */
	PG_buddy,
	PG_table,
	PG_hugetlb,
	PG_device,		/* ZONE_DEVICE page (fsdax / p2pdma) */
	__NR_PAGEFLAGS
};

#define ZONES_PGSHIFT	60
#define ZONES_MASK	3UL

static inline enum zone_type page_zonenum(const struct page *page)
{
	return (enum zone_type)((READ_ONCE_UL(&page->flags) >> ZONES_PGSHIFT) & ZONES_MASK);
}

static inline bool PageFlag(const struct page *page, enum pageflags f)
{
	return test_bit(f, &page->flags);
}
static inline void SetPageFlag(struct page *page, enum pageflags f) { set_bit(f, (unsigned long *)&page->flags); }
static inline void ClearPageFlag(struct page *page, enum pageflags f) { clear_bit(f, (unsigned long *)&page->flags); }

/* Tail pages point at their head with bit 0 set (the kernel's encoding). */
static inline bool PageTail(const struct page *page)
{
	return READ_ONCE_UL(&page->compound_head) & 1;
}
static inline struct folio *page_folio(const struct page *page)
{
	unsigned long head = READ_ONCE_UL(&page->compound_head);

	if (head & 1)
		return (struct folio *)(head - 1);
	return (struct folio *)page;
}
static inline struct page *folio_page(struct folio *folio, unsigned long n)
{
	return &folio->page + n;
}
static inline bool folio_test_large(const struct folio *folio)
{
	return PageFlag(&folio->page, PG_head);
}
static inline unsigned int folio_order(const struct folio *folio)
{
	return folio_test_large(folio) ? folio->_folio_order : 0;
}
static inline long folio_nr_pages(const struct folio *folio)
{
	return 1L << folio_order(folio);
}
/* 64-bit rule: every large folio has a _pincount (semantics.md §2.1). */
static inline bool folio_has_pincount(const struct folio *folio)
{
	return folio_test_large(folio);
}
static inline int folio_ref_count(const struct folio *folio)
{
	return atomic_read(&folio->_refcount);
}
/*
 * A struct page the machine never initialised: the memmap is touched
 * lazily, so the inner pages of a free block are still all zeros. Only
 * pointer arithmetic past a folio reaches one (gupsim_pfn_to_page()
 * initialises what it returns); exported calls refuse them.
 */
static inline bool page_uninit(const struct page *page) { return !page->sim; }
static inline struct gupsim *folio_sim(const struct folio *folio) { return folio->sim; }
static inline struct gupsim *page_sim(const struct page *page) { return page->sim; }

/* anon folios: mapping = anon_vma | PAGE_MAPPING_ANON */
#define PAGE_MAPPING_ANON	1UL
static inline bool folio_test_anon(const struct folio *folio)
{
	return ((unsigned long)folio->mapping & PAGE_MAPPING_ANON) != 0;
}
static inline struct anon_vma *folio_anon_vma(const struct folio *folio)
{
	if (!folio_test_anon(folio))
		return NULL;
	return (struct anon_vma *)((unsigned long)folio->mapping - PAGE_MAPPING_ANON);
}
static inline struct address_space *folio_mapping(const struct folio *folio)
{
	return folio_test_anon(folio) ? NULL : folio->mapping;
}
static inline bool folio_test_hugetlb(const struct folio *folio) { return PageFlag(&folio->page, PG_hugetlb); }
static inline bool folio_test_dirty(const struct folio *folio) { return PageFlag(&folio->page, PG_dirty); }
static inline bool PageAnonExclusive(const struct page *page)
{
	/* hugetlb keeps the flag on the head page only (semantics.md §5.1) */
	struct folio *folio = page_folio(page);

	if (folio_test_hugetlb(folio))
		page = &folio->page;
	return PageFlag(page, PG_anon_exclusive);
}
static inline void SetPageAnonExclusive(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (folio_test_hugetlb(folio))
		page = &folio->page;
	SetPageFlag(page, PG_anon_exclusive);
}
static inline void ClearPageAnonExclusive(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (folio_test_hugetlb(folio))
		page = &folio->page;
	ClearPageFlag(page, PG_anon_exclusive);
}

/* ------------------------------------------------------------------ */
/* Allocation flags (gfp): the public GUPSIM_ALLOC_* bits plus internal ones. */

typedef unsigned int gfp_t;
#define __GFP_MOVABLE		GUPSIM_ALLOC_MOVABLE
#define __GFP_ZERO		GUPSIM_ALLOC_ZERO
#define __GFP_ONLY_MOVABLE	GUPSIM_ALLOC_ONLY_MOVABLE
#define __GFP_ONLY_CMA		GUPSIM_ALLOC_ONLY_CMA
#define __GFP_NOWARN		GUPSIM_ALLOC_NOWARN
#define GFP_KERNEL		0u
#define GFP_HIGHUSER_MOVABLE	__GFP_MOVABLE

/* current->flags */
#define PF_MEMALLOC_PIN		0x10000000u	/* allocations avoid MOVABLE and CMA */

/* Pageblocks: migratetype per 2 MiB block (semantics.md §4.1). */
#define pageblock_order		HPAGE_PMD_ORDER
enum migratetype { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_CMA, MIGRATE_ISOLATE };

/* ------------------------------------------------------------------ */
/* The machine */

struct free_area {
	struct page *head;		/* doubly linked through buddy_next/prev */
	unsigned long nr_free;
};

/* A pool of pages handed out by the buddy allocator. NORMAL has two: its
 * ordinary pageblocks and its CMA pageblocks. */
struct buddy_pool {
	unsigned long start_pfn, end_pfn;
	struct free_area free_area[MAX_PAGE_ORDER + 1];
	atomic_long_t nr_free;		/* pages */
};

enum { POOL_NORMAL, POOL_CMA, POOL_MOVABLE, NR_POOLS };

struct hstate {				/* a hugetlb pool (2 MiB or 1 GiB) */
	unsigned int order;
	struct folio **free;		/* stack of free huge folios */
	unsigned long nr_free, nr_huge_pages, nr_surplus;
};

struct vmstat_shard;
struct fast_walker;

#define PAGE_DATA_LOCKS	16	/* striped locks of the no data -> data transition */
#define RELEASE_BATCH	16	/* 2 MiB chunks given back to the host per batch */

struct gupsim {
	struct gupsim_config cfg;
	unsigned int kver;		/* cfg.kernel_version, 0 resolved to the newest */
	unsigned long id;		/* unique per machine ever created */
	unsigned long nr_pfns;
	struct page *memmap;		/* lazily touched */
	unsigned char *mem;		/* backing store, 4 KiB per pfn, lazily touched */
	size_t memmap_bytes, mem_bytes;
	unsigned long zone_start[__MAX_NR_ZONES], zone_end[__MAX_NR_ZONES];

	pthread_mutex_t zone_lock;
	struct buddy_pool pools[NR_POOLS];

	unsigned long device_next_pfn;	/* ZONE_DEVICE bump allocator */
	struct page *device_free;	/* freed device pages (buddy_next list) */

	struct page *zero_page;
	struct folio *huge_zero_folio;	/* allocated on first use (READ_ONCE) */
	pthread_mutex_t huge_zero_lock;

	pthread_mutex_t hugetlb_lock;
	struct hstate hstates[2];	/* [0] 2 MiB, [1] 1 GiB */

	pthread_mutex_t vmstat_lock;
	struct vmstat_shard *shards;	/* one per live thread that counted here */
	unsigned long nr_shards;
	long vmstat_retired[GUPSIM_NR_VMSTAT_ITEMS]; /* folded shards of exited threads */

	pthread_mutex_t log_lock;
	FILE *log;
	gupsim_warn_fn warn_fn;
	void *warn_arg;
	gupsim_trace_fn trace_fn;
	void *trace_arg;

	pthread_mutex_t mm_list_lock;
	struct mm_struct *mm_list;
	pthread_mutex_t file_list_lock;	/* file_list, next_ino */
	struct file *file_list;
	unsigned long next_ino;

	pthread_mutex_t migration_lock;	/* migration_entry_wait() sleeps on */
	pthread_cond_t migration_done;	/* ... this, broadcast by remap_all() */

	pthread_mutex_t walker_lock;	/* lockless page-table walkers */
	struct fast_walker *walkers;	/* at most one per live thread */
	unsigned long nr_walkers;

	/* page contents (page_data.c) */
	unsigned long *data_map;	/* a bit per pfn: the page has data (lazily touched) */
	unsigned long *chunk_map;	/* 2 bits per 2 MiB of frames: touched, queued */
	size_t data_map_bytes, chunk_map_bytes;
	atomic_long_t nr_data_pages;	/* bits set in data_map */
	pthread_mutex_t data_locks[PAGE_DATA_LOCKS]; /* no data -> data, striped by pfn */
	unsigned long release_queue[RELEASE_BATCH]; /* chunks to give back (zone_lock) */
	unsigned int nr_release_queued;

	pthread_mutex_t vma_cache_lock;	/* free VMAs for reuse (vma.c) */
	struct vm_area_struct *vma_cache;
	unsigned long nr_vma_cache;

	int *pin_shadow;		/* debug_pins: exact pins per pfn (lazily touched) */
	atomic_long_t nr_add_pin;	/* debug_pins: folio_add_pin() calls (never "acquired") */
	unsigned long free_at_create;	/* gupsim_nr_free_pages(): the leak report's base */
};

/*
 * Rules that changed between the releases gupsim models (cfg.kernel_version,
 * v6.6 to v7.3) test the machine's release with this: true when the rules
 * of v@a.@b or later apply. Each caller cites the commit that changed it.
 */
static inline bool kernel_at_least(const struct gupsim *sim, unsigned int a, unsigned int b)
{
	return sim->kver >= (unsigned int)GUPSIM_KERNEL_VERSION(a, b, 0);
}

/* page_alloc.c */
void page_alloc_init(struct gupsim *sim);
struct folio *folio_alloc_gfp(struct gupsim *sim, unsigned int order, gfp_t gfp);
struct page *alloc_page_gfp(struct gupsim *sim, gfp_t gfp);
/* Called when the refcount reached 0: bad_page checks, then back to its pool. */
void __folio_put(struct folio *folio);
/* Initialise @page (pfn known) as part of a fresh folio; used by split too. */
void prep_compound_page(struct page *head, unsigned int order);
void bad_page(struct page *page, const char *reason);
struct page *pfn_to_page_sim(struct gupsim *sim, unsigned long pfn);
static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - page->sim->memmap);
}
/* True if @pfn is inside a free buddy block of at least @order (zone_lock held). */
bool buddy_range_free(struct gupsim *sim, unsigned long pfn, unsigned int order);

/*
 * page_data.c: a page's contents exist only once something needs data.
 * A page with no data reads as zeros; page_address() gives it data (a
 * zeroed frame) because its caller may write through the pointer. Paths
 * that only read use page_data_read(); copies use page_data_copy().
 */
int page_data_init(struct gupsim *sim);
void page_data_destroy(struct gupsim *sim);
static inline unsigned char *pfn_mem(const struct gupsim *sim, unsigned long pfn)
{
	return sim->mem + (pfn << PAGE_SHIFT);
}
static inline bool pfn_has_data(const struct gupsim *sim, unsigned long pfn)
{
	const unsigned long *word = &sim->data_map[pfn / (8 * sizeof(unsigned long))];

	return (smp_load_acquire_ul(word) >> (pfn % (8 * sizeof(unsigned long)))) & 1;
}
static inline bool page_has_data(const struct page *page)
{
	return pfn_has_data(page->sim, page_to_pfn(page));
}
/* The no data -> data transition: a zeroed frame, published; returns it. */
void *page_data_prepare(struct gupsim *sim, unsigned long pfn);
/* Frame @pfn, given data if it had none (the caller may write). */
static inline void *pfn_address(struct gupsim *sim, unsigned long pfn)
{
	if (unlikely(!pfn_has_data(sim, pfn)))
		return page_data_prepare(sim, pfn);
	return pfn_mem(sim, pfn);
}
static inline void *page_address(const struct page *page)
{
	return pfn_address(page->sim, page_to_pfn(page));
}
/* The head page's frame only: a large folio's pages get data one by one. */
static inline void *folio_address(const struct folio *folio) { return page_address(&folio->page); }
/* [off, off + len) of one frame into @buf: zeros if it has no data. */
void pfn_data_read(struct gupsim *sim, unsigned long pfn, size_t off, void *buf, size_t len);
static inline void page_data_read(const struct page *page, size_t off, void *buf, size_t len)
{
	pfn_data_read(page->sim, page_to_pfn(page), off, buf, len);
}
/* Zero [off, off + len) of one page: nothing to do if it has no data. */
void page_data_zero(struct page *page, size_t off, size_t len);
/* Frame @src's contents into @dst, which nobody else can reach yet. */
void pfn_data_copy(struct gupsim *sim, unsigned long dst, unsigned long src);
static inline void page_data_copy(struct page *dst, const struct page *src)
{
	pfn_data_copy(dst->sim, page_to_pfn(dst), page_to_pfn(src));
}
/* Free or newly allocated pages: their contents go, in O(1) per page. */
void page_data_drop(struct gupsim *sim, unsigned long pfn, unsigned long nr);
/* zone_lock held: freed pages now in a free block >= pageblock_order. */
void page_data_release_queue(struct gupsim *sim, unsigned long pfn, unsigned long nr);
/* A folio of whole 2 MiB chunks nobody can reach: contents and host memory go. */
void page_data_release_folio(struct folio *folio);
/* Pages that have data (a test hook). */
unsigned long page_data_nr_pages(struct gupsim *sim);
enum migratetype get_pageblock_migratetype(const struct page *page);
bool is_migrate_cma_page(const struct page *page);
bool folio_is_zone_movable(const struct folio *folio);
bool folio_is_zone_device(const struct folio *folio);
/* ZONE_DEVICE pages for fsdax / p2pdma files: a folio of order 0 with ref 1. */
struct folio *device_folio_alloc(struct gupsim *sim, unsigned long pgmap_type);
#define PGMAP_FSDAX	1UL
#define PGMAP_P2PDMA	2UL
bool folio_is_fsdax(const struct folio *folio);
bool folio_is_pci_p2pdma(const struct folio *folio);
/* A copy of @src's contents and its pincount-free state, into @dst. */
void folio_copy_contents(struct folio *dst, struct folio *src);

/* hugetlb.c */
struct folio *hugetlb_folio_alloc(struct gupsim *sim, unsigned int order); /* from the pool */
struct folio *hugetlb_folio_alloc_fresh(struct gupsim *sim, unsigned int order, gfp_t gfp);
void hugetlb_folio_free(struct folio *folio);	/* back to the pool */
int hugetlb_pools_init(struct gupsim *sim);
void hugetlb_pools_destroy(struct gupsim *sim);

/* zero_page.c */
int zero_page_init(struct gupsim *sim);
static inline bool is_zero_page(const struct page *page) { return page == page->sim->zero_page; }
static inline bool is_zero_folio(const struct folio *folio) { return is_zero_page(&folio->page); }
static inline bool is_huge_zero_folio(const struct folio *folio)
{
	return folio == (const struct folio *)READ_ONCE_UL(&folio->sim->huge_zero_folio);
}
struct folio *mm_get_huge_zero_folio(struct gupsim *sim); /* NULL if disabled / no memory */

/* page_ref.c / gup.c release side */
static inline void folio_ref_add(struct folio *folio, int nr) { atomic_add(nr, &folio->_refcount); }
static inline bool folio_ref_try_add(struct folio *folio, int nr)
{
	return atomic_add_unless(&folio->_refcount, nr, 0);
}
static inline bool folio_ref_freeze(struct folio *folio, int count)
{
	return atomic_cmpxchg(&folio->_refcount, count, 0) == count;
}
static inline void folio_ref_unfreeze(struct folio *folio, int count)
{
	atomic_set(&folio->_refcount, count);
}
bool folio_maybe_dma_pinned(struct folio *folio);
void gup_put_folio(struct folio *folio, int refs, unsigned int flags);
struct folio *try_grab_folio_fast(struct page *page, int refs, unsigned int flags);
int try_grab_folio(struct folio *folio, int refs, unsigned int flags);
void folio_add_pin(struct folio *folio);
int folio_add_pins(struct folio *folio, unsigned int pins);
void folio_put_refs(struct folio *folio, int refs);
void folio_put(struct folio *folio);
void folio_get(struct folio *folio);
bool folio_is_longterm_pinnable(struct folio *folio);
bool folio_mark_dirty(struct folio *folio);
void folio_lock(struct folio *folio);
bool folio_trylock(struct folio *folio);
void folio_unlock(struct folio *folio);
/* debug_pins shadow accounting (no-ops unless cfg.debug_pins) */
void pin_shadow_add(struct folio *folio, int refs);
void pin_shadow_sub(struct folio *folio, int refs);
void pin_shadow_reset(struct folio *folio);
int pin_shadow_count(const struct folio *folio);	/* -1 without debug_pins */

/* ------------------------------------------------------------------ */
/* vmstat.c: per-thread shards, folded on read */

struct vmstat_shard {
	struct vmstat_shard *next;
	long counters[GUPSIM_NR_VMSTAT_ITEMS];
};
struct vmstat_tls {
	unsigned long sim_id;
	struct vmstat_shard *shard;
};
extern _Thread_local struct vmstat_tls gupsim_vmstat_tls;
struct vmstat_shard *vmstat_shard_slow(struct gupsim *sim);
void vmstat_destroy(struct gupsim *sim);

/* Counting never bounces a shared line: the shard is the thread's own. */
static inline void count_vm_events(struct gupsim *sim, enum gupsim_vmstat_item item, long delta)
{
	struct vmstat_shard *shard = gupsim_vmstat_tls.shard;
	long *c;

	if (unlikely(gupsim_vmstat_tls.sim_id != sim->id))
		shard = vmstat_shard_slow(sim);
	c = &shard->counters[item];
	__ao_long_store(c, __ao_long_load(c) + delta);
}
static inline void count_vm_event(struct gupsim *sim, enum gupsim_vmstat_item item)
{
	count_vm_events(sim, item, 1);
}
/* node_stat_mod_folio(folio, NR_FOLL_PIN_*, refs) */
static inline void node_stat_mod_folio(struct folio *folio, enum gupsim_vmstat_item item, long nr)
{
	count_vm_events(folio->sim, item, nr);
}

/* ------------------------------------------------------------------ */
/* debug.c: WARN, bad_page, dump_page, the log */

/* Report a WARN (sim may be NULL when no machine is known); returns true. */
bool gupsim_warn(struct gupsim *sim, const char *file, int line, const char *func,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void gupsim_log(struct gupsim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dump_page(const struct page *page, const char *reason);

static inline bool __gs_warn_on(struct gupsim *sim, bool cond, const char *file, int line,
				const char *func)
{
	if (unlikely(cond))
		gupsim_warn(sim, file, line, func, NULL);
	return cond;
}
/* The kernel's WARN_ON_ONCE(cond): every occurrence reaches the handler. */
#define WARN_ON_ONCE(sim, cond)	__gs_warn_on((sim), !!(cond), __FILE__, __LINE__, __func__)
#define WARN_ON(sim, cond)	WARN_ON_ONCE(sim, cond)
/* WARN(cond, fmt, ...) with the kernel's message. */
static inline bool __gs_warned(bool v) { return v; }
#define WARN(sim, cond, ...) \
	__gs_warned(unlikely(cond) && gupsim_warn((sim), __FILE__, __LINE__, __func__, __VA_ARGS__))

/* trace.c */
void gupsim_trace_emit(struct gupsim *sim, const struct gupsim_trace_record *rec);
/* Hand @rec to the callback now (gupsim_trace_emit() or deferred.c). */
void trace_deliver(struct gupsim *sim, const struct gupsim_trace_record *rec);
/* debug.c: hand a report to the warn handler now; strict mode aborts. */
void report_deliver(struct gupsim *sim, const char *text);

/* deferred.c: reports and trace events wait until no library lock is held */
extern _Thread_local unsigned int lib_lock_depth;
extern _Thread_local bool lib_deferred_pending;
bool report_defer(struct gupsim *sim, const char *text);	/* true: queued */
bool log_defer(struct gupsim *sim, const char *text);
void log_deliver(struct gupsim *sim, const char *text);	/* debug.c: print now */
bool trace_defer(struct gupsim *sim, const struct gupsim_trace_record *rec);
void deferred_flush(void);
/* Every library lock (library mmap holds, page-table and folio locks) */
static inline void lib_lock_acquired(void)
{
	lib_lock_depth++;
}
static inline void lib_lock_released(void)
{
	if (lib_lock_depth && !--lib_lock_depth && lib_deferred_pending)
		deferred_flush();
}
static inline bool trace_enabled(const struct gupsim *sim)
{
	return READ_ONCE_UL(&sim->trace_fn) != 0;
}

/* ------------------------------------------------------------------ */
/* A tiny spinlock on a word (page-table locks live in the table's struct
 * page, as the kernel's split PTE locks do). */

void spin_lock_word(unsigned long *word);
static inline bool spin_trylock_word(unsigned long *word)
{
	unsigned long zero = 0;

	return try_cmpxchg_ul(word, &zero, 1);
}
static inline void spin_unlock_word(unsigned long *word) { smp_store_release_ul(word, 0); }

/* task.c: the calling thread's current */
extern _Thread_local struct task_struct gupsim_current_task;
static inline struct task_struct *get_current(void) { return &gupsim_current_task; }
/* current->mm, or NULL (with a WARN) if its machine was destroyed. */
struct mm_struct *current_mm(void);
/* gupsim_destroy(): orphan the mms threads still use; returns how many. */
struct mm_struct;
int mms_orphan_used(struct gupsim *sim);
/* An orphaned mm's contents are gone: free it now if no thread uses it. */
void mm_orphan_done(struct mm_struct *mm);
/* Make sure task_exit() runs when the calling thread exits. */
void task_arm_exit(void);
/*
 * What a thread owns in a machine (its vmstat shard, its GUP-fast walker)
 * is linked on the thread's list, so that thread exit lets it go, and on
 * the machine's, so that gupsim_destroy() frees it. The thread lists are
 * protected by the process-wide task_links lock; it may be taken before a
 * machine's vmstat_lock, never while a machine lock is held. At thread
 * exit each link is unlinked and its ->exit() called, under that lock.
 */
struct task_link {
	struct task_link *prev, *next;	/* NULL: on no thread's list */
	void (*exit)(struct task_link *link);
};
void task_links_lock(void);
void task_links_unlock(void);
void task_link_add(struct task_link *link);	/* the calling thread's list */
void task_link_del(struct task_link *link);	/* whichever list it is on */
/* A process-unique number of the calling thread (from 1, never reused). */
unsigned long task_thread_id(void);

#include "mm_internal.h"

#endif /* GUPSIM_INTERNAL_H */
