// SPDX-License-Identifier: MIT
/*
 * fork(): dup_mm() and copy_page_range() (kernel/fork.c, mm/memory.c,
 * mm/hugetlb.c) with the rules for pages that may be pinned for DMA.
 *
 * semantics.md §5.4: an anon page is shared with the child and write-protected in
 * both, unless the parent has MMF_HAS_PINNED, the folio is maybe DMA-pinned
 * and the page is anon-exclusive: then the child gets its own copy at fork
 * time and the parent keeps the pinned page as it was. A PMD-mapped THP
 * that needs this is PTE-split in the parent first and copied page by page;
 * a hugetlb folio is copied whole into a new pool folio. Each copy counts
 * its base pages in gupsim_fork_pinned_copies (512 for a 2 MiB folio) and
 * is traced as mm_fork_copy.
 *
 * vma_needs_copy(): page tables a fault can fill again are not copied.
 * Only VM_PFNMAP / VM_MIXEDMAP mappings and VMAs with an anon_vma (some
 * anon folio was ever mapped there, or a THP read fault) are; shared file
 * and shmem mappings, read-only private file mappings and anon memory that
 * only saw the small zero page are left to fault in the child. gupsim has
 * no userfaultfd, so the uffd-wp case never arises.
 *
 * semantics.md §5.5: while the page tables of a COW mapping are copied, the
 * parent's write_protect_seq is odd, so that GUP-fast either sees the
 * count change and backs off, or fork sees its pin and copies.
 *
 * Both mmap locks are held for write for the whole copy. The child is not
 * visible to anyone else yet, but its table locks are taken all the same.
 */
#include <stdlib.h>

#include "internal.h"

/* ---- write_protect_seq (raw_write_seqcount_begin/end) ---- */

static void raw_write_seqcount_begin(unsigned long *seq)
{
	WRITE_ONCE_UL(seq, READ_ONCE_UL(seq) + 1);
	/* the odd count is visible before any pin count is read or any
	 * entry write-protected (pairs with GUP-fast's barrier after its pin) */
	smp_mb();
}

static void raw_write_seqcount_end(unsigned long *seq)
{
	/* every entry change is visible before the count is even again */
	smp_store_release_ul(seq, READ_ONCE_UL(seq) + 1);
}

/* semantics.md §3.3 */
bool folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio)
{
	struct mm_struct *mm = vma->vm_mm;

	WARN(mm->sim, !(READ_ONCE_UL(&mm->write_protect_seq) & 1),
	     "folio_needs_cow_for_dma() outside fork's write_protect_seq section\n");
	if (!test_bit(MMF_HAS_PINNED, &mm->flags))
		return false;
	return folio_maybe_dma_pinned(folio);
}

bool gupsim_folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio)
{
	if (!vma || !vma->vm_mm || !folio)
		return false;
	return folio_needs_cow_for_dma(vma, folio);
}

/* ---- the copy of one VMA ---- */

/* Fork copies made under a table lock, traced once the lock is dropped. */
struct fork_copy_rec {
	unsigned long addr, pfn, new_pfn, nr;
};

struct copy_ctx {
	struct gupsim *sim;
	struct vm_area_struct *dst_vma, *src_vma;
	bool cow;			/* is_cow_mapping(src) */
	bool shared;			/* VM_SHARED: the child's entries are clean */
	unsigned int nr_recs;
	struct fork_copy_rec recs[PTRS_PER_TABLE];
};

static void fork_copy_record(struct copy_ctx *c, unsigned long addr, unsigned long pfn,
			     unsigned long new_pfn, long nr_pages)
{
	count_vm_events(c->sim, GUPSIM_NR_FORK_PINNED_COPIES, nr_pages);
	if (!trace_enabled(c->sim) || c->nr_recs == ARRAY_SIZE(c->recs))
		return;
	c->recs[c->nr_recs++] = (struct fork_copy_rec){ addr, pfn, new_pfn,
							(unsigned long)nr_pages };
}

static void fork_copy_trace(struct copy_ctx *c)
{
	for (unsigned int i = 0; i < c->nr_recs; i++) {
		struct gupsim_trace_record rec = {
			.event = GUPSIM_TRACE_FORK_COPY,
			.mm = c->src_vma->vm_mm,
			.addr = c->recs[i].addr,
			.nr = c->recs[i].nr,
			.pfn = c->recs[i].pfn,
			.new_pfn = c->recs[i].new_pfn,
		};

		gupsim_trace_emit(c->sim, &rec);
	}
	c->nr_recs = 0;
}

/*
 * __copy_present_ptes(): a COW mapping is write-protected in the parent
 * and the child; the child's entries are old, and clean in a shared
 * mapping. Used for leaves of every level.
 */
static void copy_entries(struct copy_ctx *c, pteval_t *dst, pteval_t *src, long nr)
{
	for (long i = 0; i < nr; i++) {
		pteval_t v = pt_read(&src[i]);

		if (c->cow && pte_write(v)) {
			v &= ~(pteval_t)_PAGE_RW;
			pt_write(&src[i], v);
		}
		if (c->shared)
			v &= ~(pteval_t)_PAGE_DIRTY;
		pt_write(&dst[i], v & ~(pteval_t)_PAGE_ACCESSED);
	}
}

/*
 * copy_nonpresent_pte(): a migration entry is copied; in a COW mapping it
 * becomes a read-only one in both (make_readable_migration_entry).
 */
static void copy_nonpresent(struct copy_ctx *c, pteval_t *dst, pteval_t *src)
{
	pteval_t v = pt_read(src);

	if (c->cow && pte_is_migration(v) && (v & _PAGE_RW)) {
		v &= ~(pteval_t)_PAGE_RW;
		pt_write(src, v);
	}
	pt_write(dst, v);
}

/* The entry of a page the child gets for itself: maybe_mkwrite(pte_mkdirty()). */
static pteval_t new_page_entry(struct copy_ctx *c, unsigned long pfn, pteval_t old)
{
	pteval_t prot = vm_get_page_prot(c->dst_vma->vm_flags) | _PAGE_ACCESSED | _PAGE_DIRTY;

	prot |= old & (_PAGE_PSE | _PAGE_SOFT_DIRTY);
	return maybe_mkwrite(pfn_pte(pfn, prot), c->dst_vma);
}

/*
 * copy_present_page(): the page may be pinned, so the child gets a copy,
 * mapped exclusive (and writable if the VMA is); the parent's entry and
 * page stay as they are.
 */
static int copy_present_page(struct copy_ctx *c, pteval_t *dst, pteval_t v,
			     unsigned long addr, struct page *page)
{
	struct folio *new_folio = folio_alloc_gfp(c->sim, 0, GFP_HIGHUSER_MOVABLE);

	if (!new_folio)
		return -ENOMEM;
	page_data_copy(&new_folio->page, page);
	folio_add_new_anon_rmap(new_folio, c->dst_vma, addr, true);
	pt_write(dst, new_page_entry(c, page_to_pfn(&new_folio->page), v));
	fork_copy_record(c, addr, page_to_pfn(page), page_to_pfn(&new_folio->page), 1);
	return 1;
}

/* folio_pte_batch(): consecutive entries mapping consecutive pages of @folio. */
static long folio_pte_batch(struct folio *folio, struct page *page, pteval_t *src,
			    long max_nr)
{
	unsigned long pfn = page_to_pfn(page);
	long left = folio_nr_pages(folio) - (long)(page - &folio->page);
	long nr = 1;

	max_nr = min_t(long, max_nr, left);
	while (nr < max_nr) {
		pteval_t v = pt_read(&src[nr]);

		if (!pte_present(v) || pte_special(v) || pte_pfn(v) != pfn + (unsigned long)nr)
			break;
		nr++;
	}
	return nr;
}

/*
 * copy_present_ptes(): the entries handled (>= 1) or -ENOMEM. A batch of
 * a large folio's pages is tried first; if it may be pinned, page by page.
 */
static long copy_present_ptes(struct copy_ctx *c, pteval_t *dst, pteval_t *src,
			      unsigned long addr, long max_nr)
{
	pteval_t v = pt_read(src);
	struct page *page = vm_normal_page(c->src_vma, addr, v);
	struct folio *folio;
	long nr = 1;

	if (!page) {
		copy_entries(c, dst, src, 1);
		return 1;
	}
	folio = page_folio(page);
	if (folio_test_large(folio) && max_nr > 1)
		nr = folio_pte_batch(folio, page, src, max_nr);
	folio_ref_add(folio, (int)nr);
	if (folio_test_anon(folio)) {
		if (folio_try_dup_anon_rmap_ptes(folio, page, (int)nr, c->dst_vma, c->src_vma)) {
			/* -EBUSY: maybe pinned and exclusive (semantics.md §5.4) */
			folio_ref_add(folio, -(int)nr);
			if (nr > 1)
				return copy_present_ptes(c, dst, src, addr, 1);
			return copy_present_page(c, dst, v, addr, page);
		}
	} else {
		folio_dup_file_rmap_ptes(folio, page, (int)nr);
	}
	copy_entries(c, dst, src, nr);
	return nr;
}

/* copy_pte_range() for [addr, end) inside one PTE table. */
static int copy_pte_range(struct copy_ctx *c, pteval_t *src, unsigned long addr,
			  unsigned long end)
{
	long n = (long)((end - addr) >> PAGE_SHIFT);
	pteval_t *dst = pgtable_walk(c->dst_vma->vm_mm, addr, PT_PTE, true, NULL);
	int err = 0;

	if (!dst)
		return -ENOMEM;
	pt_lock(c->sim, dst);
	pt_lock(c->sim, src);
	for (long i = 0; i < n; ) {
		pteval_t v = pt_read(&src[i]);
		long ret;

		if (pte_none(v)) {
			i++;
			continue;
		}
		if (!pte_present(v)) {
			copy_nonpresent(c, &dst[i], &src[i]);
			i++;
			continue;
		}
		ret = copy_present_ptes(c, &dst[i], &src[i], addr + ((unsigned long)i << PAGE_SHIFT),
					n - i);
		if (ret < 0) {
			err = (int)ret;
			break;
		}
		i += ret;
	}
	pt_unlock(c->sim, src);
	pt_unlock(c->sim, dst);
	fork_copy_trace(c);
	return err;
}

/* ---- PMD / PUD leaves: THP, the huge zero folio, hugetlb ---- */

/*
 * copy_hugetlb_page_range(): a maybe-pinned exclusive anon hugetlb folio
 * is copied into a new folio of the pool for the child.
 */
static int copy_hugetlb_folio(struct copy_ctx *c, pteval_t *dst, pteval_t v,
			      unsigned long addr, struct folio *folio)
{
	struct folio *new_folio = hugetlb_folio_alloc(c->sim, folio_order(folio));
	unsigned long haddr = ALIGN_DOWN(addr, PAGE_SIZE << folio_order(folio));

	if (!new_folio)
		return -ENOMEM;
	folio_copy_contents(new_folio, folio);
	folio_add_new_anon_rmap(new_folio, c->dst_vma, haddr, true);
	pt_write(dst, new_page_entry(c, page_to_pfn(&new_folio->page), v));
	fork_copy_record(c, haddr, page_to_pfn(&folio->page), page_to_pfn(&new_folio->page),
			 folio_nr_pages(folio));
	return 0;
}

/*
 * One present leaf: 0 copied, -EBUSY (a THP that must be split first) or
 * -ENOMEM. The huge zero folio is mapped by a special entry: the child
 * shares it as is.
 */
static int copy_huge_leaf(struct copy_ctx *c, pteval_t *dst, pteval_t *src,
			  unsigned long addr)
{
	pteval_t v = pt_read(src);
	struct page *page = vm_normal_page(c->src_vma, addr, v);
	struct folio *folio;

	if (!page || is_huge_zero_folio(page_folio(page))) {
		copy_entries(c, dst, src, 1);
		return 0;
	}
	folio = page_folio(page);
	folio_ref_add(folio, 1);
	if (folio_test_anon(folio)) {
		if (folio_try_dup_anon_rmap_pmd(folio, c->dst_vma, c->src_vma)) {
			folio_ref_add(folio, -1);
			if (folio_test_hugetlb(folio))
				return copy_hugetlb_folio(c, dst, v, addr, folio);
			return -EBUSY;
		}
	} else {
		folio_dup_file_rmap_pmd(folio);
	}
	copy_entries(c, dst, src, 1);
	return 0;
}

/*
 * copy_huge_pmd() / hugetlb: the leaf at @level covering @addr. Returns 0,
 * -EAGAIN when the range must be walked again (the parent's PMD was split,
 * or the leaf went away meanwhile) or -ENOMEM.
 */
static int copy_huge_entry(struct copy_ctx *c, pteval_t *src, enum pt_level level,
			   unsigned long addr)
{
	pteval_t *dst = pgtable_walk(c->dst_vma->vm_mm, addr, level, true, NULL);
	pteval_t v;
	int ret = 0;

	if (!dst)
		return -ENOMEM;
	pt_lock(c->sim, dst);
	pt_lock(c->sim, src);
	v = pt_read(src);
	if (!pte_none(v) && !pte_leaf(v))
		ret = -EAGAIN;		/* a table now */
	else if (!pte_none(v) && !pte_present(v))
		copy_nonpresent(c, dst, src);
	else if (!pte_none(v))
		ret = copy_huge_leaf(c, dst, src, addr);
	pt_unlock(c->sim, src);
	pt_unlock(c->sim, dst);
	fork_copy_trace(c);
	if (ret != -EBUSY)
		return ret;

	/* a maybe-pinned exclusive THP: split the parent's PMD and copy its
	 * pages one by one (oracle fork_pinned_thp) */
	ret = split_huge_pmd(c->src_vma, src, addr & PMD_MASK);
	if (ret)
		return ret;
	v = pt_read(src);
	if (WARN(c->sim, pte_leaf(v) && pte_present(v),
		 "fork: PMD at %#lx still a leaf after split_huge_pmd()\n", addr & PMD_MASK))
		return -ENOMEM;
	return -EAGAIN;
}

static unsigned long level_end(unsigned long addr, enum pt_level level)
{
	return (addr | ((1UL << pt_shift(level)) - 1)) + 1;
}

/* Walk the parent's tables over the VMA: PTE tables, leaves and holes. */
static int copy_range(struct copy_ctx *c)
{
	struct mm_struct *src_mm = c->src_vma->vm_mm;
	unsigned long addr = c->src_vma->vm_start, end = c->src_vma->vm_end;

	while (addr < end) {
		enum pt_level level = PT_PTE;
		pteval_t *src = pgtable_walk(src_mm, addr, PT_PTE, false, &level);
		unsigned long next;
		int err;

		if (src) {
			next = min_t(unsigned long, level_end(addr, PT_PMD), end);
			err = copy_pte_range(c, src, addr, next);
		} else {
			next = min_t(unsigned long, level_end(addr, level), end);
			src = pgtable_walk(src_mm, addr, level, false, NULL);
			err = 0;
			if (src && !pte_none(pt_read(src)))
				err = copy_huge_entry(c, src, level, addr);
			if (err == -EAGAIN)
				continue;	/* walk @addr again */
		}
		if (err)
			return err;
		addr = next;
	}
	return 0;
}

/*
 * copy_page_range(): for a COW mapping, inside an MMU-notifier invalidation
 * of the parent, with write_protect_seq odd (semantics.md §5.5); hugetlb uses
 * MMU_NOTIFY_CLEAR as the kernel's copy_hugetlb_page_range() does.
 */
static int copy_page_range(struct copy_ctx *c, struct vm_area_struct *dst_vma,
			   struct vm_area_struct *src_vma)
{
	struct mm_struct *src_mm = src_vma->vm_mm;
	enum mmu_notifier_event event = is_vm_hugetlb_page(src_vma) ?
		MMU_NOTIFY_CLEAR : MMU_NOTIFY_PROTECTION_PAGE;
	int err;

	c->sim = src_mm->sim;
	c->dst_vma = dst_vma;
	c->src_vma = src_vma;
	c->cow = is_cow_mapping(src_vma->vm_flags);
	c->shared = src_vma->vm_flags & VM_SHARED;
	c->nr_recs = 0;
	if (c->cow) {
		mmu_notifier_invalidate_range_start(src_mm, src_vma->vm_start, src_vma->vm_end,
						    event);
		raw_write_seqcount_begin(&src_mm->write_protect_seq);
	}
	err = copy_range(c);
	if (c->cow) {
		raw_write_seqcount_end(&src_mm->write_protect_seq);
		mmu_notifier_invalidate_range_end(src_mm, src_vma->vm_start, src_vma->vm_end,
						  event);
	}
	return err;
}

/* ---- the address space ---- */

/* The child joins the parent's anon_vma family (anon_vma_fork()). */
static int dup_anon_vma(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct anon_vma *av = oldmm->anon_vma, *old = mm->anon_vma;
	int err;

	if (!av || av == old)
		return 0;
	err = anon_vma_add_mm(av, mm);
	if (err)
		return err;
	anon_vma_get(av);
	mm->anon_vma = av;
	if (old) {
		anon_vma_remove_mm(old, mm);
		anon_vma_put(old);
	}
	return 0;
}

/* vma_needs_copy(): may the child refault the range instead? */
static bool vma_needs_copy(const struct vm_area_struct *src)
{
	if (src->vm_flags & (VM_PFNMAP | VM_MIXEDMAP))
		return true;
	return src->_sim_flags & VMA_SIM_ANON_VMA;
}

/* MADV_DONTFORK (VM_DONTCOPY) ranges do not exist in the child. */
static bool vma_skipped_by_fork(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_DONTCOPY) || (vma->_sim_flags & VMA_SIM_DONTFORK);
}

/* The VMAs in address order; one copy context (16 KiB) for all of them. */
static int dup_vmas(struct mm_struct *mm, struct mm_struct *oldmm, struct copy_ctx *c)
{
	int err;

	mm->mmap_base = oldmm->mmap_base;
	/* semantics.md §3.3: MMF_HAS_PINNED is not in MMF_INIT_MASK: not inherited */
	for (struct vm_area_struct *vma = oldmm->mmap; vma; vma = vma->vm_next) {
		struct vm_area_struct *tmp;

		if (vma_skipped_by_fork(vma))
			continue;
		tmp = vm_area_dup(vma);
		if (!tmp)
			return -ENOMEM;
		/* in address order: appended, no lookup (fork stays linear) */
		vma_append(mm, tmp);
		vma_link_file(tmp);
		if (!vma_needs_copy(vma))
			continue;
		err = copy_page_range(c, tmp, vma);
		if (err)
			return err;
	}
	return 0;
}

static int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct copy_ctx *c;
	int err = dup_anon_vma(mm, oldmm);

	if (err)
		return err;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = dup_vmas(mm, oldmm, c);
	free(c);
	return err;
}

struct mm_struct *dup_mm(struct mm_struct *oldmm)
{
	struct mm_struct *mm = mm_alloc(oldmm->sim);
	int err;

	if (!mm)
		return ERR_PTR(-ENOMEM);
	err = mm_write_lock(oldmm);	/* -EDEADLK: the caller holds it */
	if (!err) {
		err = mm_write_lock(mm);
		if (!err) {
			err = dup_mmap(mm, oldmm);
			vma_tree_build(mm);	/* the child's tree, in one O(n) pass */
			mm_write_unlock(mm);
		}
		mm_write_unlock(oldmm);
	}
	if (err) {
		/* the partial child is torn down like any mm; the parent keeps
		 * what fork did to it (write-protected entries, split PMDs) */
		gupsim_mm_put(mm);
		return ERR_PTR(err);
	}
	return mm;
}

struct mm_struct *gupsim_fork(struct mm_struct *parent)
{
	if (!parent)
		return ERR_PTR(-EINVAL);
	return dup_mm(parent);
}
