/* SPDX-License-Identifier: MIT */
/*
 * The simulated user side: mm_struct, VMAs, page tables, faults, rmap,
 * files, fork, GUP internals and migration. Included by internal.h.
 */
#ifndef GUPSIM_MM_INTERNAL_H
#define GUPSIM_MM_INTERNAL_H

/* ------------------------------------------------------------------ */
/* mm_struct */

#define MMF_HAS_PINNED	27	/* bit in mm->flags (semantics.md §3.3) */

struct anon_vma {			/* one per fork family (see rmap.c) */
	atomic_t refcount;
	pthread_mutex_t lock;
	struct mm_struct **mms;		/* every mm that may map its folios */
	unsigned int nr_mms, cap_mms;
};

struct mm_struct {
	struct gupsim *sim;		/* NULL once orphaned (see task.c) */
	atomic_t mm_users;
	int kthread_users;		/* threads with it as current->mm (task_mm_lock) */
	unsigned long orphaned;		/* machine destroyed while in use: set under
					 * task_mm_lock, read with READ_ONCE_UL */
	pthread_rwlock_t mmap_lock;
	unsigned long pgd_pfn;		/* the root page-table page */
	unsigned long page_table_lock;	/* upper-level table installs */
	struct vm_area_struct *mmap;	/* VMAs sorted by address (vm_next list) */
	struct vm_area_struct *mmap_last; /* the highest VMA */
	struct vm_area_struct *vma_root; /* the same VMAs in a tree (vma_tree.c) */
	unsigned long map_count;
	unsigned long flags;		/* MMF_* bits, atomic */
	unsigned long write_protect_seq; /* seqcount: odd while fork copies */
	struct anon_vma *anon_vma;	/* the family's anon_vma */
	pthread_mutex_t notifier_lock;
	struct mmu_notifier *notifiers;
	struct mm_struct *list_next, *list_prev; /* sim->mm_list */
	unsigned long mmap_base;	/* top-down search start */
	int id;
};

/* VMA flags private to gupsim (vma->_sim_flags) */
#define VMA_SIM_DONTFORK	(1UL << 0)	/* MADV_DONTFORK (VM_DONTCOPY mirror) */
/*
 * The kernel's vma->anon_vma != NULL: set where it would have called
 * anon_vma_prepare() (the first anon folio mapped into the VMA, or a THP
 * read fault), kept by split and fork. gupsim gives every VMA its family's
 * anon_vma up front, so this bit is what vma_needs_copy() asks.
 */
#define VMA_SIM_ANON_VMA_BIT	1
#define VMA_SIM_ANON_VMA	(1UL << VMA_SIM_ANON_VMA_BIT)

static inline void vma_anon_prepare(struct vm_area_struct *vma)
{
	/* faults run in parallel under the mmap read lock: atomic set */
	if (!test_bit(VMA_SIM_ANON_VMA_BIT, &vma->_sim_flags))
		set_bit(VMA_SIM_ANON_VMA_BIT, &vma->_sim_flags);
}

static inline bool vma_is_anonymous(const struct vm_area_struct *vma) { return !vma->vm_ops; }
static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}
static inline bool is_vm_hugetlb_page(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_HUGETLB;
}
bool vma_is_fsdax(const struct vm_area_struct *vma);
bool vma_is_secretmem(const struct vm_area_struct *vma);
bool vma_needs_dirty_tracking(const struct vm_area_struct *vma);
bool vma_is_shmem(const struct vm_area_struct *vma);
unsigned int vma_hugetlb_order(const struct vm_area_struct *vma); /* 0 if not hugetlb */

static inline void mm_set_has_pinned_flag(struct mm_struct *mm)
{
	if (!test_bit(MMF_HAS_PINNED, &mm->flags))
		set_bit(MMF_HAS_PINNED, &mm->flags);
}

/* mmap.c */
struct mm_struct *mm_alloc(struct gupsim *sim);	/* empty mm, mm_users 1, on sim->mm_list */
void mms_destroy(struct gupsim *sim);		/* gupsim_destroy(): tear down every mm */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig); /* for fork; file ref taken */
void vm_area_free(struct vm_area_struct *vma);
void vma_cache_destroy(struct gupsim *sim);	/* gupsim_destroy(): the free VMAs */
int insert_vm_struct(struct mm_struct *mm, struct vm_area_struct *vma); /* sorted insert */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
/* The first VMA that intersects [start, end), or NULL: O(log n). */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end);
/* Unlink and free every VMA of @mm at once (exit_mmap): O(VMAs). */
void remove_all_vmas(struct mm_struct *mm);
/* fork: append @vma (above every VMA of @mm) to the list only; the tree is
 * built once the copy is done (vma_tree_build). */
void vma_append(struct mm_struct *mm, struct vm_area_struct *vma);

/* vma_tree.c: the VMAs of an mm in an AVL tree keyed by vm_start, each
 * subtree knowing its largest gap; all O(log n) unless said otherwise. */
/* Insert / remove @vma, already linked into / unlinked from the list. */
void vma_tree_insert(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_tree_remove(struct mm_struct *mm, struct vm_area_struct *vma);
/* The tree of the whole vm_next list, balanced, in O(VMAs). */
void vma_tree_build(struct mm_struct *mm);
struct vm_area_struct *vma_tree_find(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *vma_tree_last(struct mm_struct *mm);
/* The highest (lowest) @align-aligned start of @len bytes free in [lo, hi), or 0. */
unsigned long vma_tree_gap_topdown(struct mm_struct *mm, unsigned long len,
				   unsigned long align, unsigned long lo, unsigned long hi);
unsigned long vma_tree_gap_bottomup(struct mm_struct *mm, unsigned long len,
				    unsigned long align, unsigned long lo, unsigned long hi);
/* Consistency of the tree with the list (order, balance, gaps): the number
 * of problems found, each logged. O(VMAs); for tests and mm_check(). */
long vma_tree_check(struct mm_struct *mm);
int vma_split_at(struct vm_area_struct *vma, unsigned long addr); /* 0, -EINVAL or -ENOMEM */
#define MAX_MAP_COUNT	65530	/* sysctl_max_map_count's default */
/* The same without the max_map_count check (munmap may exceed it by one). */
int __vma_split_at(struct vm_area_struct *vma, unsigned long addr);
/* What vma_split_at() would answer, with @extra splits already planned. */
int vma_split_check(const struct vm_area_struct *vma, unsigned long addr, unsigned long extra);
/* [start, end) of @vma as a VMA of its own (split as needed), or ERR_PTR. */
struct vm_area_struct *vma_isolate(struct vm_area_struct *vma, unsigned long start,
				   unsigned long end);
/* Merge @vma with compatible neighbours; returns the VMA now covering it. */
struct vm_area_struct *vma_merge_neighbours(struct vm_area_struct *vma);
/* Unlink @vma from its mm's list and its file, and free it. */
void remove_vma(struct vm_area_struct *vma);
/* Remove every mapping in [start, end) of @vma (munmap / MADV_DONTNEED core). */
void zap_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* munmap core, mmap lock held for writing: 0, -EINVAL or -ENOMEM. */
int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long end);
/* MAP_POPULATE: prefault [start, start + len) like the kernel, errors ignored. */
void mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len);
/* Free an mm, or (@keep_shell) empty it and keep the struct for the threads
 * that still use it; see task.c. */
void __mmput(struct mm_struct *mm, bool keep_shell);

/* mmap_lock.c */
/* Set up @mm's mmap lock (writer-preferring, like the kernel's rwsem): 0 or -errno. */
int mmap_lock_init(struct mm_struct *mm);
/*
 * The library's own holds for the length of one call: 0, or -EDEADLK (and
 * a lockdep-style WARN) when the calling thread already holds @mm's lock.
 * Reports raised under them are delivered at the thread's last release.
 */
int mm_read_lock(struct mm_struct *mm);
int mm_write_lock(struct mm_struct *mm);
bool mm_read_trylock(struct mm_struct *mm);	/* false if busy or held by this thread */
void mm_read_unlock(struct mm_struct *mm);
void mm_write_unlock(struct mm_struct *mm);
/* Release the calling thread's hold on @mm (it is being torn down). */
void mmap_lock_forget(struct mm_struct *mm);
/* How many mm locks the calling thread holds. */
unsigned int mmap_locks_held(void);
/* Whether the calling thread holds @mm's mmap lock (read or write). */
bool mmap_lock_held(struct mm_struct *mm);
void mmap_assert_locked(struct mm_struct *mm);

/* ------------------------------------------------------------------ */
/* Page tables: 4 levels of 512 entries, each table a simulated page whose
 * struct page holds the table's lock in _sim_private. Entries are words
 * read with READ_ONCE by the lockless walker. */

typedef unsigned long pteval_t;
#define _PAGE_PRESENT	(1UL << 0)
#define _PAGE_RW	(1UL << 1)
#define _PAGE_USER	(1UL << 2)
#define _PAGE_ACCESSED	(1UL << 5)
#define _PAGE_DIRTY	(1UL << 6)
#define _PAGE_PSE	(1UL << 7)	/* leaf at PMD/PUD level */
#define _PAGE_PROTNONE	(1UL << 8)	/* present for the kernel, not for the CPU */
#define _PAGE_SPECIAL	(1UL << 9)	/* no struct page to refcount (zero page, pfnmap) */
#define _PAGE_SOFT_DIRTY (1UL << 11)
#define _PAGE_MIGRATION	(1UL << 10)	/* non-present migration entry, pfn kept */
#define PTE_PFN_MASK	0x000ffffffffff000UL

enum pt_level { PT_PTE = 1, PT_PMD = 2, PT_PUD = 3, PT_PGD = 4 };
#define PTRS_PER_TABLE	512
static inline unsigned int pt_shift(enum pt_level level) { return PAGE_SHIFT + 9 * (level - 1); }
static inline unsigned int pt_index(unsigned long addr, enum pt_level level)
{
	return (addr >> pt_shift(level)) & (PTRS_PER_TABLE - 1);
}

static inline unsigned long pte_pfn(pteval_t e) { return (e & PTE_PFN_MASK) >> PAGE_SHIFT; }
static inline bool pte_none(pteval_t e) { return e == 0; }
static inline bool pte_present(pteval_t e) { return e & (_PAGE_PRESENT | _PAGE_PROTNONE); }
static inline bool pte_write(pteval_t e) { return e & _PAGE_RW; }
static inline bool pte_dirty(pteval_t e) { return e & _PAGE_DIRTY; }
static inline bool pte_young(pteval_t e) { return e & _PAGE_ACCESSED; }
static inline bool pte_special(pteval_t e) { return e & _PAGE_SPECIAL; }
static inline bool pte_protnone(pteval_t e) { return (e & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE; }
static inline bool pte_leaf(pteval_t e) { return e & _PAGE_PSE; } /* PMD / PUD entries */
static inline bool pte_is_migration(pteval_t e) { return !pte_present(e) && (e & _PAGE_MIGRATION); }
/* pte_access_permitted(): present to the CPU, user, and writable if @write */
static inline bool pte_access_permitted(pteval_t e, bool write)
{
	if ((e & (_PAGE_PRESENT | _PAGE_USER)) != (_PAGE_PRESENT | _PAGE_USER))
		return false;
	return !write || (e & _PAGE_RW);
}
static inline pteval_t pfn_pte(unsigned long pfn, pteval_t prot) { return (pfn << PAGE_SHIFT) | prot; }

/* The table whose entries live in the frame of @table_pfn. */
static inline pteval_t *pt_table(struct gupsim *sim, unsigned long table_pfn)
{
	return (pteval_t *)(sim->mem + (table_pfn << PAGE_SHIFT));
}
/*
 * Entries are read with acquire and written with release: a walker that
 * follows an entry then sees the table (or page) it points at as it was
 * when the entry was written (the kernel relies on address dependencies;
 * on x86 both are plain moves).
 */
static inline pteval_t pt_read(const pteval_t *entry) { return smp_load_acquire_ul(entry); }
static inline void pt_write(pteval_t *entry, pteval_t v) { smp_store_release_ul(entry, v); }
/* The struct page of the table that contains @entry, and its lock. */
struct page *pt_page_of(struct gupsim *sim, const pteval_t *entry);
void pt_lock(struct gupsim *sim, pteval_t *entry);
bool pt_trylock(struct gupsim *sim, pteval_t *entry);
void pt_unlock(struct gupsim *sim, pteval_t *entry);
/* A table entry (not a leaf): present, writable, user; the CPU checks the
 * permissions at the leaf. */
#define _PAGE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
/* A zeroed page-table page (PG_table) and its release: split_huge_pmd()
 * fills a PTE table before it publishes it (pte_alloc_one / pte_free). */
struct page *pt_alloc(struct gupsim *sim);
void pt_free(struct page *page);

/* pgtable.c */
int pgtable_init(struct mm_struct *mm);		/* root table */
void pgtable_destroy(struct mm_struct *mm);	/* every table (all entries must be none) */
/*
 * Walk to the entry of @level for @addr. With @alloc, missing tables are
 * allocated (NULL on ENOMEM). Returns NULL when a table is missing (no
 * alloc) or a leaf at a higher level covers @addr; *leaf_level (if not NULL)
 * then says which level holds the leaf or the hole.
 */
pteval_t *pgtable_walk(struct mm_struct *mm, unsigned long addr, enum pt_level level,
		       bool alloc, enum pt_level *leaf_level);
/* Lockless lookup for the fast path and follow_page: the lowest entry that
 * maps @addr (PTE, or a PMD/PUD leaf) and its level; NULL if none. */
pteval_t *pgtable_lookup(struct mm_struct *mm, unsigned long addr, enum pt_level *level);
/* Free page tables entirely inside [start, end) once no lockless walker can
 * still see them (tlb_remove_table + IPI sync). */
void free_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end);
/* Lockless walkers (gup_fast) announce themselves; table freeing waits. */
void gup_fast_enter(struct gupsim *sim);	/* local_irq_save() */
void gup_fast_exit(struct gupsim *sim);		/* local_irq_restore() */
void tlb_remove_table_sync_one(struct gupsim *sim);
void pgtable_walkers_destroy(struct gupsim *sim);	/* gupsim_destroy() */

/* pagewalk.c: range walks with the mmap lock held (tables cannot go away).
 * The callback gets each PTE or PMD/PUD leaf that is not none and the
 * address the entry starts at; it returns 0 to go on, PT_WALK_AGAIN to be
 * called again for the same slot (e.g. after splitting a leaf), anything
 * else to stop the walk with that value. */
#define PT_WALK_AGAIN	1
typedef int (*pt_walk_fn)(struct mm_struct *mm, pteval_t *entry, enum pt_level level,
			  unsigned long addr, void *arg);
int walk_page_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		    pt_walk_fn fn, void *arg);
/* @addr maps nothing: the end of the hole (missing table or none entry). */
unsigned long pgtable_hole_end(struct mm_struct *mm, unsigned long addr);

/* ------------------------------------------------------------------ */
/* Faults (memory.c, huge_memory.c, hugetlb.c) */

typedef unsigned int vm_fault_t;
#define VM_FAULT_OOM		0x000001
#define VM_FAULT_SIGBUS		0x000002
#define VM_FAULT_MAJOR		0x000004
#define VM_FAULT_HWPOISON	0x000010
#define VM_FAULT_HWPOISON_LARGE	0x000020
#define VM_FAULT_SIGSEGV	0x000040
#define VM_FAULT_NOPAGE		0x000100
#define VM_FAULT_LOCKED		0x000200
#define VM_FAULT_RETRY		0x000400
#define VM_FAULT_FALLBACK	0x000800
#define VM_FAULT_DONE_COW	0x001000
#define VM_FAULT_NEEDDSYNC	0x002000
#define VM_FAULT_COMPLETED	0x004000
#define VM_FAULT_ERROR	(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | \
			 VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)

/* handle_mm_fault(): mmap lock held for read; never drops it here. */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags);
/* Populate / user access helper: fault until @addr is mapped as needed.
 * mmap lock held (read); 0, -EFAULT (SIGSEGV/SIGBUS) or -ENOMEM. */
int fault_in_user(struct mm_struct *mm, unsigned long addr, bool write);

/*
 * gupsim-private fault flag: the fault comes from GUP with FOLL_FORCE
 * (ptrace-style access). VM_READ is then not required, and a write fault is
 * accepted in a COW mapping without VM_WRITE: the page is made exclusive anon
 * and mapped dirty but NOT writable (semantics.md §1.11, §10 FOLL_FORCE).
 */
#define FAULT_FLAG_GUPSIM_FORCE	(1U << 24)

/* A VMA a user access may touch at all (not PROT_NONE). */
static inline bool vma_is_accessible(const struct vm_area_struct *vma)
{
	return vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC);
}
/* vm_page_prot: the bits of a new user entry; present + user for an
 * accessible VMA, PROTNONE for a PROT_NONE one. Never writable: writable
 * entries come from maybe_mkwrite() where the fault rules allow it. */
static inline pteval_t vm_get_page_prot(unsigned long vm_flags)
{
	if (vm_flags & (VM_READ | VM_WRITE | VM_EXEC))
		return _PAGE_PRESENT | _PAGE_USER;
	return _PAGE_PROTNONE;
}
static inline pteval_t maybe_mkwrite(pteval_t e, const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_WRITE) ? (e | _PAGE_RW) : e;
}
/* The struct page an entry maps, or NULL for special entries (zero pages,
 * VM_PFNMAP pfns). For a PMD/PUD leaf: the first page of the leaf. */
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pteval_t pte);

/* huge_memory.c */
bool thp_vma_allowable(struct vm_area_struct *vma, unsigned long addr, unsigned int order);
/* Split a PMD leaf mapping into PTEs (the folio stays large). 0 or -ENOMEM. */
int split_huge_pmd(struct vm_area_struct *vma, pteval_t *pmd, unsigned long addr);
/* Split a large anon folio into small ones; -EAGAIN if pinned or mapped by PMD. */
int split_folio(struct folio *folio);

/* ------------------------------------------------------------------ */
/* rmap.c: mapcounts and reverse mapping
 *
 * Conventions (the kernel's; gupsim_check() verifies them):
 * - every PTE that maps a page of a folio holds one folio reference and one
 *   page->_mapcount; for a large folio also one _large_mapcount, and
 *   _nr_pages_mapped counts its pages mapped by at least one PTE;
 * - a PMD/PUD leaf holds one folio reference, one _entire_mapcount and one
 *   _large_mapcount (hugetlb folios are always mapped this way);
 * - the small zero page and the huge zero folio are mapped by "special"
 *   entries: no reference, no mapcount;
 * - the page cache holds folio_nr_pages() references on each folio it caches;
 * - anon folios: mapping = anon_vma | PAGE_MAPPING_ANON and
 *   index = address >> PAGE_SHIFT of the folio's first page (anon VMAs have
 *   vm_pgoff = vm_start >> PAGE_SHIFT and never move);
 * - PageAnonExclusive is set on every page of a new anon folio, per page for
 *   THP, on the head for hugetlb (semantics.md §5.1).
 */

struct anon_vma *anon_vma_alloc(void);
void anon_vma_get(struct anon_vma *av);
void anon_vma_put(struct anon_vma *av);
int anon_vma_add_mm(struct anon_vma *av, struct mm_struct *mm);
void anon_vma_remove_mm(struct anon_vma *av, struct mm_struct *mm);
/* fork: move @child from its own family into @parent's (before it maps
 * anon folios of its own); 0 or -ENOMEM. */
int anon_vma_fork(struct mm_struct *child, struct mm_struct *parent);

void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, bool exclusive);
void folio_add_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
			      struct vm_area_struct *vma);
void folio_add_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma);
void folio_add_file_rmap_ptes(struct folio *folio, struct page *page, int nr,
			      struct vm_area_struct *vma);
void folio_add_file_rmap_pmd(struct folio *folio, struct vm_area_struct *vma);
void folio_remove_rmap_ptes(struct folio *folio, struct page *page, int nr,
			    struct vm_area_struct *vma);
void folio_remove_rmap_pmd(struct folio *folio, struct vm_area_struct *vma);
/* fork: -EBUSY if the folio may be pinned and a page is exclusive (semantics.md §5.4) */
int folio_try_dup_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
				 struct vm_area_struct *dst, struct vm_area_struct *src);
int folio_try_dup_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *dst,
				struct vm_area_struct *src);
void folio_dup_file_rmap_ptes(struct folio *folio, struct page *page, int nr);
void folio_dup_file_rmap_pmd(struct folio *folio);
int folio_mapcount(const struct folio *folio);
int page_mapcount(const struct page *page);
bool folio_mapped(const struct folio *folio);
/* Call @fn for every (mm, vma, address, entry level) mapping @folio; the
 * callback runs with the entry's table lock held. Stops on non-zero. */
typedef int (*rmap_fn)(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
		       pteval_t *entry, enum pt_level level, void *arg);
int rmap_walk(struct folio *folio, rmap_fn fn, void *arg);
/* The mm locks an rmap walk took (each mm once), and the first busy mm. */
struct rmap_locks {
	struct mm_struct **mm;
	unsigned int nr, cap;
	bool want_busy;			/* record @busy */
	struct mm_struct *busy;		/* with an mm_users reference, or NULL */
};
/* rmap_walk() that leaves the mms it locked in @locks (for migration). */
int rmap_walk_locked(struct folio *folio, rmap_fn fn, void *arg, struct rmap_locks *locks);
/* Unlock what @locks holds and drop its busy mm's reference. */
void rmap_locks_release(struct rmap_locks *locks);
/* Consistency check of @mm's page tables against its VMAs and the folios'
 * mapcounts and refcounts; each problem is logged. Returns the number of
 * problems. With MM_CHECK_EXACT_REFS the caller promises that no one holds
 * references other than mappings and the page cache (no pins, no GUP
 * references), so refcounts are checked for equality. */
#define MM_CHECK_EXACT_REFS	1u
long mm_check(struct mm_struct *mm);
long mm_check_flags(struct mm_struct *mm, unsigned int flags);

/* ------------------------------------------------------------------ */
/* Files (filemap.c, shmem.c) */

#define AS_SHMEM	(1UL << 0)
#define AS_HUGETLB	(1UL << 1)
#define AS_WRITEBACK	(1UL << 2)	/* can write back: shared writable maps need dirty tracking */
#define AS_FSDAX	(1UL << 3)
#define AS_SECRETMEM	(1UL << 4)
#define AS_PFNMAP	(1UL << 5)
#define AS_P2PDMA	(1UL << 6)

struct address_space {
	struct file *host;
	unsigned long flags;		/* AS_* */
	const char *a_ops_name;		/* printed by dump_page as aops:%ps */
	pthread_mutex_t lock;		/* page cache and i_mmap */
	struct folio **cache;		/* indexed by page offset; large folios at each index */
	unsigned long nr_slots;
	struct vm_area_struct *i_mmap;	/* VMAs mapping the file (i_mmap_next links) */
};

struct file {
	struct gupsim *sim;
	enum gupsim_file_kind kind;
	char name[64];
	atomic_t refcount;		/* creator + one per mapping */
	unsigned long creator_put;	/* the creator's reference is gone (xchg) */
	unsigned long ino;
	size_t size;
	struct address_space mapping;
	struct file *list_next;		/* sim->file_list */
};

void get_file(struct file *file);
void fput(struct file *file);
/* The folio caching @index, allocating it (ref held for the caller) or NULL
 * with *err set. Hugetlb files return their huge folio. */
struct folio *filemap_get_folio(struct file *file, pgoff_t index, bool create, int *err);
struct folio *filemap_lookup(struct file *file, pgoff_t index); /* + ref, or NULL */
void vma_link_file(struct vm_area_struct *vma);
void vma_unlink_file(struct vm_area_struct *vma);
bool shmem_mapping(const struct address_space *mapping);
/* Replace @old by @new in its page cache (migration); the cache's
 * folio_nr_pages() references move from @old to @new_. */
void filemap_replace_folio(struct folio *old, struct folio *new_);
void files_destroy(struct gupsim *sim);
/* filemap.c / shmem.c internals */
#define FILE_MAX_BYTES	(64UL << 30)	/* larger files: -EFBIG */
int filemap_init(struct address_space *mapping, size_t size);
void filemap_destroy(struct address_space *mapping);	/* drops every cached folio */
/* Resize the cache; the folios past the new end come back in *gone with
 * their cache references, for filemap_release_folios() once unmapped.
 * Returns the old number of slots or -ENOMEM. */
long filemap_set_size(struct file *file, size_t size, struct folio ***gone,
		     unsigned long *nr_gone);
void filemap_release_folios(struct folio **folios, unsigned long n);
unsigned int file_hugetlb_order(const struct file *file); /* 0 unless hugetlbfs */

/* ------------------------------------------------------------------ */
/* fork.c, mmu_notifier.c, migrate.c, gup.c */

struct mm_struct *dup_mm(struct mm_struct *parent);
/* semantics.md §3.3: only inside fork's write_protect_seq section (WARNs otherwise). */
bool folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio);
void mmu_notifier_invalidate_range_start(struct mm_struct *mm, unsigned long start,
					 unsigned long end, enum mmu_notifier_event event);
void mmu_notifier_invalidate_range_end(struct mm_struct *mm, unsigned long start,
				       unsigned long end, enum mmu_notifier_event event);
void mmu_notifier_release(struct mm_struct *mm);

/* Move @folio's contents and mappings to a new folio allocated with
 * PF_MEMALLOC_PIN rules; 0, -EAGAIN (busy) or -ENOMEM. */
int migrate_folio_longterm(struct folio *folio);
/* migration_entry_wait(): a fault found the migration entry @v at @entry
 * (mmap lock held): sleep until that migration has put a mapping back. */
void migration_entry_wait(struct gupsim *sim, pteval_t *entry, pteval_t v);
long check_and_migrate_movable_pages(unsigned long nr_pages, struct page **pages);
long check_and_migrate_movable_folios(unsigned long nr_folios, struct folio **folios);

/* gup.c internals used by the fast path and populate */
bool gup_must_unshare(struct vm_area_struct *vma, unsigned int flags, struct page *page);
long __get_user_pages_locked(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			     struct page **pages, int *locked, unsigned int flags);
long __gup_longterm_locked(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			   struct page **pages, int *locked, unsigned int gup_flags);
long faultin_page_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			bool write, int *locked);
void sanity_check_pinned_pages(struct page **pages, unsigned long npages);

#endif /* GUPSIM_MM_INTERNAL_H */
