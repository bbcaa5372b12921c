// SPDX-License-Identifier: MIT
/*
 * VMAs (mm/vma.c, kernel/fork.c's vm_area_* helpers): lookup, split, merge
 * of compatible neighbours, and zap_page_range(), the core of munmap and
 * MADV_DONTNEED.
 *
 * Design note: how an mm keeps its VMAs.
 *
 * Each mm keeps its VMAs twice: in a doubly linked list sorted by address
 * (vm_next / vm_prev: iteration in address order, prev and next in O(1),
 * as callers and the public struct have always had them) and in an AVL
 * tree keyed by vm_start (vma_tree.c) whose nodes also carry the largest
 * gap of their subtree. Lookups (find_vma, vma_lookup,
 * find_vma_intersection) and free-range searches (get_unmapped_area) go
 * through the tree in O(log n); an insert or removal costs O(log n) for
 * the tree and O(1) for the list, so mmap, munmap, mprotect and madvise
 * cost O(log n + VMAs changed). fork appends the child's VMAs to its list
 * and builds the balanced tree in one O(n) pass at the end; teardown
 * frees the list without touching the tree. Both are linear in VMAs.
 *
 * Why an AVL tree of our own rather than the kernel's maple tree (a
 * B-tree of ranges with RCU readers) or an rb-tree: the mmap-lock rules do
 * not change - readers hold mmap_lock and lockless GUP-fast never reads
 * VMAs - so the maple tree's RCU-safe nodes buy nothing here, and it is a
 * large piece to re-implement. An intrusive tree needs no allocation on
 * insert (a split or merge cannot fail for the tree's sake) and keeps the
 * VMAs in place. AVL over red-black: recursive insert and delete with no
 * parent pointers stay short and easy to check (vma_tree_check() verifies
 * order, balance and gaps), its height is at most 1.44 log2 n (23 levels
 * at vm.max_map_count = 65,530), and the gap augmentation is recomputed on
 * the same path. The kernel used an rb-tree with the same gap augmentation
 * (rb_subtree_gap) up to 6.0.
 *
 * The list and the tree are changed only with the mmap lock held for
 * writing and read with it held for reading.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Free VMAs are kept per machine for reuse, like the kernel's
 * vm_area_cachep slab: building, forking and tearing down processes of
 * tens of thousands of VMAs then costs no host malloc() (whose heap
 * trimming and refaulting grew with the number of VMAs). At most
 * VMA_CACHE_MAX are kept. Under AddressSanitizer every VMA is malloc()ed
 * and free()d, so that a use after free is still caught.
 */
#define VMA_CACHE_MAX	(2UL * MAX_MAP_COUNT)

#if defined(__SANITIZE_ADDRESS__)
#define VMA_CACHE	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMA_CACHE	0
#endif
#endif
#ifndef VMA_CACHE
#define VMA_CACHE	1
#endif

static struct vm_area_struct *vma_cache_get(struct gupsim *sim)
{
	struct vm_area_struct *vma = NULL;

	if (VMA_CACHE) {
		pthread_mutex_lock(&sim->vma_cache_lock);
		vma = sim->vma_cache;
		if (vma) {
			sim->vma_cache = vma->vm_next;
			sim->nr_vma_cache--;
		}
		pthread_mutex_unlock(&sim->vma_cache_lock);
	}
	return vma ? vma : malloc(sizeof(*vma));
}

/* Give back the @n VMAs of the vm_next chain @first ... @last. */
static void vma_cache_put(struct gupsim *sim, struct vm_area_struct *first,
			  struct vm_area_struct *last, unsigned long n)
{
	struct vm_area_struct *next;

	if (VMA_CACHE) {
		pthread_mutex_lock(&sim->vma_cache_lock);
		if (sim->nr_vma_cache + n <= VMA_CACHE_MAX) {
			last->vm_next = sim->vma_cache;
			sim->vma_cache = first;
			sim->nr_vma_cache += n;
			first = NULL;
		}
		pthread_mutex_unlock(&sim->vma_cache_lock);
	}
	for (; first; first = next) {
		next = first == last ? NULL : first->vm_next;
		free(first);
	}
}

void vma_cache_destroy(struct gupsim *sim)
{
	struct vm_area_struct *vma = sim->vma_cache, *next;

	for (; vma; vma = next) {
		next = vma->vm_next;
		free(vma);
	}
	sim->vma_cache = NULL;
	sim->nr_vma_cache = 0;
	pthread_mutex_destroy(&sim->vma_cache_lock);
}

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = vma_cache_get(mm->sim);

	if (vma) {
		memset(vma, 0, sizeof(*vma));
		vma->vm_mm = mm;
	}
	return vma;
}

/*
 * A copy of @orig for a split or for fork: same range, flags, file (with a
 * reference of its own), not on any list. The caller inserts it and links
 * it to the file (vma_link_file) once its range and mm are final.
 */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = vma_cache_get(orig->vm_mm->sim);

	if (!vma)
		return NULL;
	*vma = *orig;
	vma->vm_next = vma->vm_prev = NULL;
	vma->vm_tree_left = vma->vm_tree_right = NULL;
	vma->i_mmap_next = vma->i_mmap_prev = NULL;
	if (vma->vm_file)
		get_file(vma->vm_file);
	return vma;
}

/* Free a VMA that is on no list any more (vma_unlink_file done). */
void vm_area_free(struct vm_area_struct *vma)
{
	if (!vma)
		return;
	if (vma->vm_file)
		fput(vma->vm_file);
	vma_cache_put(vma->vm_mm->sim, vma, vma, 1);
}

/* ---- lookup ---- */

/*
 * The first VMA with vm_end > @addr, or NULL. While fork builds a child,
 * its VMAs are on the list only (vma_append): the list answers then.
 */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	if (mm->vma_root || !mm->mmap)
		return vma_tree_find(mm, addr);
	for (vma = mm->mmap; vma; vma = vma->vm_next)
		if (vma->vm_end > addr)
			return vma;
	return NULL;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

/* The VMA that contains @addr, or NULL. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (vma && addr < vma->vm_start)
		return NULL;
	return vma;
}

struct vm_area_struct *gupsim_find_vma(struct mm_struct *mm, unsigned long addr)
{
	if (!mm)
		return NULL;
	mmap_assert_locked(mm);
	return find_vma(mm, addr);
}

struct vm_area_struct *gupsim_vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	if (!mm)
		return NULL;
	mmap_assert_locked(mm);
	return vma_lookup(mm, addr);
}

/* ---- the list and the tree ---- */

/* Link @vma after @prev (NULL: first): the list first, then the tree. */
static void vma_link(struct mm_struct *mm, struct vm_area_struct *vma,
		     struct vm_area_struct *prev)
{
	struct vm_area_struct *next = prev ? prev->vm_next : mm->mmap;

	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next)
		next->vm_prev = vma;
	else
		mm->mmap_last = vma;
	mm->map_count++;
	vma_tree_insert(mm, vma);
}

static void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma->vm_next;

	if (vma->vm_prev)
		vma->vm_prev->vm_next = next;
	else
		mm->mmap = next;
	if (next)
		next->vm_prev = vma->vm_prev;
	else
		mm->mmap_last = vma->vm_prev;
	vma_tree_remove(mm, vma);
	vma->vm_next = vma->vm_prev = NULL;
	mm->map_count--;
}

/*
 * Insert @vma into @mm's list and tree. -ENOMEM if it overlaps a VMA (the
 * kernel's insert_vm_struct() answer). Anon VMAs get the mm's anon_vma;
 * a VMA copied by fork keeps its family's.
 */
int insert_vm_struct(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = find_vma(mm, vma->vm_start);

	if (next && next->vm_start < vma->vm_end)
		return -ENOMEM;
	vma->vm_mm = mm;
	if (!vma->anon_vma)
		vma->anon_vma = mm->anon_vma;
	vma_link(mm, vma, next ? next->vm_prev : mm->mmap_last);
	return 0;
}

/* fork: @vma goes after every VMA of @mm, on the list only. */
void vma_append(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *last = mm->mmap_last;

	vma->vm_mm = mm;
	if (!vma->anon_vma)
		vma->anon_vma = mm->anon_vma;
	vma->vm_prev = last;
	vma->vm_next = NULL;
	if (last)
		last->vm_next = vma;
	else
		mm->mmap = vma;
	mm->mmap_last = vma;
	mm->map_count++;
}

/* Take @vma off every list and free it. */
void remove_vma(struct vm_area_struct *vma)
{
	vma_unlink(vma->vm_mm, vma);
	if (vma->vm_file)
		vma_unlink_file(vma);
	vm_area_free(vma);
}

/* exit_mmap(): every VMA goes; the tree is dropped whole. */
void remove_all_vmas(struct mm_struct *mm)
{
	struct vm_area_struct *vma = mm->mmap, *first = vma, *last = NULL, *next;
	unsigned long n = 0;

	mm->vma_root = NULL;
	mm->mmap = NULL;
	mm->mmap_last = NULL;
	mm->map_count = 0;
	if (!vma)
		return;
	for (; vma; vma = next) {
		next = vma->vm_next;
		if (vma->vm_file) {
			vma_unlink_file(vma);
			fput(vma->vm_file);
		}
		n++;
		last = vma;
	}
	vma_cache_put(mm->sim, first, last, n);
}

/* ---- split and merge ---- */

/* The page size of a hugetlb VMA, PAGE_SIZE otherwise. */
static unsigned long vma_page_size(const struct vm_area_struct *vma)
{
	if (!is_vm_hugetlb_page(vma))
		return PAGE_SIZE;
	return PAGE_SIZE << vma_hugetlb_order(vma);
}

/*
 * Whether vma_split_at(@vma, @addr) would be refused: -EINVAL inside a
 * huge page of a hugetlb VMA (hugetlb_vm_op_split), -ENOMEM at the
 * max_map_count limit (@extra splits are already planned).
 */
int vma_split_check(const struct vm_area_struct *vma, unsigned long addr, unsigned long extra)
{
	if (!IS_ALIGNED(addr, vma_page_size(vma)))
		return -EINVAL;
	if (vma->vm_mm->map_count + extra >= MAX_MAP_COUNT)
		return -ENOMEM;
	return 0;
}

/*
 * A PMD-mapped THP that straddles a new VMA boundary is split into PTEs
 * first (the kernel's vma_adjust_trans_huge()), so that each VMA maps only
 * its own part.
 */
static int split_huge_pmd_at(struct vm_area_struct *vma, unsigned long addr)
{
	pteval_t *pmd;

	if (IS_ALIGNED(addr, PMD_SIZE) || is_vm_hugetlb_page(vma))
		return 0;
	pmd = pgtable_walk(vma->vm_mm, addr, PT_PMD, false, NULL);
	if (!pmd || !pte_leaf(pt_read(pmd)))
		return 0;
	return split_huge_pmd(vma, pmd, ALIGN_DOWN(addr, PMD_SIZE));
}

/*
 * Split @vma at @addr: @vma keeps [vm_start, addr), a new VMA gets
 * [addr, vm_end). No max_map_count check (munmap lets the count go just
 * above the limit); 0, -EINVAL (hugetlb alignment) or -ENOMEM.
 */
int __vma_split_at(struct vm_area_struct *vma, unsigned long addr)
{
	struct vm_area_struct *new;
	int err;

	if (WARN_ON_ONCE(vma->vm_mm->sim, addr <= vma->vm_start || addr >= vma->vm_end ||
			 !IS_ALIGNED(addr, PAGE_SIZE)))
		return -EINVAL;
	if (!IS_ALIGNED(addr, vma_page_size(vma)))
		return -EINVAL;
	err = split_huge_pmd_at(vma, addr);
	if (err)
		return err;
	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	new->vm_start = addr;
	new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	vma->vm_end = addr;
	vma_link(vma->vm_mm, new, vma);
	if (new->vm_file)
		vma_link_file(new);
	return 0;
}

/* split_vma(): the same, refused at the max_map_count limit. */
int vma_split_at(struct vm_area_struct *vma, unsigned long addr)
{
	int err = vma_split_check(vma, addr, 0);

	return err ? err : __vma_split_at(vma, addr);
}

/* VM_SPECIAL VMAs never merge (the kernel's is_mergeable_vma()). */
#define VM_SPECIAL	(VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)

static bool vmas_mergeable(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	if (!a || !b || a->vm_end != b->vm_start)
		return false;
	if (a->vm_flags != b->vm_flags || (a->vm_flags & VM_SPECIAL))
		return false;
	if (a->vm_file != b->vm_file || a->vm_ops != b->vm_ops || a->anon_vma != b->anon_vma)
		return false;
	/* is_mergeable_anon_vma(): one side without an anon_vma merges */
	if ((a->_sim_flags ^ b->_sim_flags) & ~VMA_SIM_ANON_VMA)
		return false;
	if (a->vm_private_data != b->vm_private_data)
		return false;
	return a->vm_pgoff + ((a->vm_end - a->vm_start) >> PAGE_SHIFT) == b->vm_pgoff;
}

/* @b goes; @a grows over it. The page tables do not change. */
static void vma_merge_into(struct vm_area_struct *a, struct vm_area_struct *b)
{
	a->vm_end = b->vm_end;
	a->_sim_flags |= b->_sim_flags & VMA_SIM_ANON_VMA;
	remove_vma(b);
}

/*
 * Merge @vma with its neighbours where they are compatible (after mmap,
 * mprotect and madvise changed it). Returns the VMA that now covers
 * @vma's range.
 */
struct vm_area_struct *vma_merge_neighbours(struct vm_area_struct *vma)
{
	if (vmas_mergeable(vma, vma->vm_next))
		vma_merge_into(vma, vma->vm_next);
	if (vmas_mergeable(vma->vm_prev, vma)) {
		struct vm_area_struct *prev = vma->vm_prev;

		vma_merge_into(prev, vma);
		vma = prev;
	}
	return vma;
}

/*
 * Make [start, end) (inside @vma) a VMA of its own, splitting @vma as
 * needed. Returns that VMA or an ERR_PTR.
 */
struct vm_area_struct *vma_isolate(struct vm_area_struct *vma, unsigned long start,
				   unsigned long end)
{
	int err;

	if (start > vma->vm_start) {
		err = vma_split_at(vma, start);
		if (err)
			return ERR_PTR(err);
		vma = vma->vm_next;
	}
	if (end < vma->vm_end) {
		err = vma_split_at(vma, end);
		if (err)
			return ERR_PTR(err);
	}
	return vma;
}

/* ---- zap ---- */

struct zap_args {
	struct vm_area_struct *vma;
	unsigned long start, end;
};

/*
 * The entry @v no longer maps its page: drop the mapping's rmap and, after
 * the table lock is released, its reference. Special entries (zero page,
 * huge zero folio, pfnmap) hold neither; a migration entry holds nothing
 * either (the migration owns the folio).
 */
static struct folio *zap_rmap(struct vm_area_struct *vma, pteval_t v, enum pt_level level)
{
	struct page *page;
	struct folio *folio;

	if (!pte_present(v) || pte_special(v))
		return NULL;
	page = pfn_to_page_sim(vma->vm_mm->sim, pte_pfn(v));
	folio = page_folio(page);
	if (level == PT_PTE)
		folio_remove_rmap_ptes(folio, page, 1, vma);
	else
		folio_remove_rmap_pmd(folio, vma);
	/* the dirty bit of a file page's entry is the only record of the write */
	if (!folio_test_anon(folio) && pte_dirty(v))
		folio_mark_dirty(folio);
	return folio;
}

static int zap_entry(struct mm_struct *mm, pteval_t *entry, enum pt_level level,
		     unsigned long addr, void *arg)
{
	struct zap_args *z = arg;
	unsigned long size = 1UL << pt_shift(level);
	struct folio *folio;
	pteval_t v;

	if (level > PT_PTE && (addr < z->start || addr + size > z->end)) {
		/* a leaf only partly inside the range: its PTEs are zapped one by one */
		if (level == PT_PMD && !is_vm_hugetlb_page(z->vma) &&
		    !split_huge_pmd(z->vma, entry, addr))
			return PT_WALK_AGAIN;
		WARN(mm->sim, 1, "zap_page_range: cannot split the leaf at %#lx\n", addr);
		return 0;
	}
	pt_lock(mm->sim, entry);
	v = pt_read(entry);
	if (level > PT_PTE && !pte_none(v) && !pte_leaf(v)) {
		pt_unlock(mm->sim, entry);
		return PT_WALK_AGAIN;	/* split under us: walk the new table */
	}
	WARN(mm->sim, !pte_none(v) && !pte_present(v) && !pte_is_migration(v),
	     "zap_page_range: bad entry %#lx at %#lx\n", v, addr);
	pt_write(entry, 0);
	folio = zap_rmap(z->vma, v, level);
	pt_unlock(mm->sim, entry);
	if (folio)
		folio_put(folio);
	return 0;
}

/*
 * Remove every mapping in [start, end) of @vma (unmap_page_range). The
 * caller holds the mmap lock and wraps the call in MMU-notifier
 * invalidation; the page tables themselves stay (free_pgtables).
 */
void zap_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct zap_args z = {
		.vma = vma,
		.start = start > vma->vm_start ? start : vma->vm_start,
		.end = end < vma->vm_end ? end : vma->vm_end,
	};

	walk_page_range(vma->vm_mm, z.start, z.end, zap_entry, &z);
}
