// SPDX-License-Identifier: MIT
/*
 * The slow path proper: __get_user_pages() walks the range VMA by VMA,
 * checks each VMA (semantics.md §1.7), looks pages up with follow_page_mask(), faults
 * them in or unshares them (semantics.md §1.9, §5.2, §5.3) and grabs whole PMD/PUD
 * leaves at once (semantics.md §1.6). The caller holds the mmap lock.
 */
#include "gup_internal.h"

/* semantics.md §5.2 gup_must_unshare(): may a R/O pin of @page see it replaced by COW? */
bool gup_must_unshare(struct vm_area_struct *vma, unsigned int flags, struct page *page)
{
	/* only R/O pins: GET never unshares, a write pin needs a writable entry */
	if ((flags & (FOLL_WRITE | FOLL_PIN)) != FOLL_PIN)
		return false;
	if (!folio_test_anon(page_folio(page))) {
		/* file, zero and huge zero pages */
		if (!(flags & FOLL_LONGTERM))
			return false;	/* short-term pins may see stale data */
		if (!vma)
			return true;	/* GUP-fast: let the slow path decide */
		return is_cow_mapping(vma->vm_flags);
	}
	/* pairs with the barrier of folio_try_share_anon_rmap_*() (semantics.md §5.4) */
	smp_rmb();
	return !PageAnonExclusive(page);
}

/*
 * writable_file_mapping_allowed(): a R/W long-term pin of a file mapping
 * that needs dirty tracking would let the device dirty pages behind the
 * filesystem's back (semantics.md §4.4).
 */
static bool writable_file_mapping_allowed(struct vm_area_struct *vma, unsigned int gup_flags)
{
	if ((gup_flags & (FOLL_PIN | FOLL_LONGTERM)) != (FOLL_PIN | FOLL_LONGTERM))
		return true;
	return !vma_needs_dirty_tracking(vma);
}

/* The write half of semantics.md §1.7, rows 6 and 7. */
static int check_vma_write(struct vm_area_struct *vma, unsigned int gup_flags)
{
	unsigned long vm_flags = vma->vm_flags;

	if (!vma_is_anonymous(vma) && !writable_file_mapping_allowed(vma, gup_flags))
		return -EFAULT;
	if (vm_flags & VM_WRITE)
		return 0;
	if (!(gup_flags & FOLL_FORCE))
		return -EFAULT;
	/*
	 * check_vma_flags() refused FOLL_FORCE | FOLL_WRITE on hugetlb until
	 * v6.14; commit "mm/hugetlb: support FOLL_FORCE|FOLL_WRITE" (v6.14)
	 * dropped the check: hugetlb_wp() now gives the private copy, mapped
	 * read-only, and follow_huge_pmd() follows it once it is exclusive.
	 */
	if (is_vm_hugetlb_page(vma) && !kernel_at_least(vma->vm_mm->sim, 6, 14))
		return -EFAULT;
	/* FORCE writes only break COW in private mappings */
	if (!is_cow_mapping(vm_flags))
		return -EFAULT;
	return 0;
}

/* semantics.md §1.7 check_vma_flags(): the checks in the kernel's order. */
int check_vma_flags(struct vm_area_struct *vma, unsigned int gup_flags)
{
	unsigned long vm_flags = vma->vm_flags;

	if (vm_flags & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if ((gup_flags & FOLL_ANON) && !vma_is_anonymous(vma))
		return -EFAULT;
	if ((gup_flags & FOLL_LONGTERM) && vma_is_fsdax(vma))
		return -EOPNOTSUPP;
	if ((gup_flags & FOLL_SPLIT_PMD) && is_vm_hugetlb_page(vma))
		return -EOPNOTSUPP;
	if (vma_is_secretmem(vma))
		return -EFAULT;
	if (gup_flags & FOLL_WRITE)
		return check_vma_write(vma, gup_flags);
	if (!(vm_flags & VM_READ)) {
		/* ptrace may peek into PROT_NONE if the VMA could be readable */
		if (!(gup_flags & FOLL_FORCE))
			return -EFAULT;
		if (!(vm_flags & VM_MAYREAD))
			return -EFAULT;
	}
	/* no protection keys: arch_vma_access_permitted() always agrees */
	return 0;
}

/*
 * gup_vma_lookup(): GUP never expands a stack. An access just below a
 * VM_GROWSDOWN VMA, which older kernels served by growing it, is logged.
 */
struct vm_area_struct *gup_vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (!vma || addr >= vma->vm_start)
		return vma;
	if ((vma->vm_flags & VM_GROWSDOWN) && vma->vm_start - addr <= 65536)
		gupsim_log(mm->sim, "GUP no longer grows the stack in %d: %lx-%lx (%lx)\n",
			   gupsim_current()->pid, vma->vm_start, vma->vm_end, addr);
	return NULL;
}

static unsigned int gup_fault_flags(unsigned int flags, bool unshare)
{
	unsigned int fault_flags = 0;

	if (flags & FOLL_WRITE)
		fault_flags |= FAULT_FLAG_WRITE;
	if (flags & FOLL_REMOTE)
		fault_flags |= FAULT_FLAG_REMOTE;
	if (flags & FOLL_UNLOCKABLE) {
		fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
		/* non-fatal signals interrupt only callers that opted in */
		if (flags & FOLL_INTERRUPTIBLE)
			fault_flags |= FAULT_FLAG_INTERRUPTIBLE;
	}
	if (flags & FOLL_NOWAIT)
		fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT;
	if (flags & FOLL_TRIED)
		fault_flags |= FAULT_FLAG_TRIED;
	/* the fault's access check must allow what check_vma_flags() allowed */
	if (flags & FOLL_FORCE)
		fault_flags |= FAULT_FLAG_GUPSIM_FORCE;
	if (unshare)
		fault_flags |= FAULT_FLAG_UNSHARE;	/* never with WRITE: R/O pins only */
	return fault_flags;
}

/*
 * semantics.md §1.9 faultin_page(): 0 to look again, -EBUSY/-EAGAIN when the lock
 * was dropped (or NOWAIT would block), else an errno.
 */
static int faultin_page(struct vm_area_struct *vma, unsigned long address,
			unsigned int flags, bool unshare, int *locked)
{
	unsigned int fault_flags;
	vm_fault_t ret;

	if (flags & FOLL_NOFAULT)
		return -EFAULT;
	fault_flags = gup_fault_flags(flags, unshare);
	ret = handle_mm_fault(vma, address, fault_flags);
	if (ret & VM_FAULT_COMPLETED) {
		/* a NOWAIT fault never drops the lock */
		WARN_ON_ONCE(vma->vm_mm->sim, fault_flags & FAULT_FLAG_RETRY_NOWAIT);
		*locked = 0;
		return -EAGAIN;
	}
	if (ret & VM_FAULT_ERROR) {
		int err = vm_fault_to_errno(ret, flags);

		return err ? err : -EFAULT;
	}
	if (ret & VM_FAULT_RETRY) {
		if (!(fault_flags & FAULT_FLAG_RETRY_NOWAIT))
			*locked = 0;
		return -EBUSY;
	}
	return 0;
}

/* The VMA for @start, or an errno (semantics.md §1.6: first page or a VMA boundary). */
static struct vm_area_struct *gup_next_vma(struct mm_struct *mm, unsigned long start,
					   unsigned int gup_flags)
{
	struct vm_area_struct *vma;
	int err;

	if (gup_flags & FOLL_MADV_POPULATE) {
		/* MADV_POPULATE_* reports its own errnos */
		vma = vma_lookup(mm, start);
		if (!vma)
			return ERR_PTR(-ENOMEM);
		if (check_vma_flags(vma, gup_flags))
			return ERR_PTR(-EINVAL);
		return vma;
	}
	/* gupsim has no gate area (vsyscall page): no VMA is a hole */
	vma = gup_vma_lookup(mm, start);
	if (!vma)
		return ERR_PTR(-EFAULT);
	err = check_vma_flags(vma, gup_flags);
	return err ? ERR_PTR(err) : vma;
}

/*
 * Look up and grab the page at @start, faulting or unsharing as needed.
 * Returns the page, an ERR_PTR, or NULL when the loop must end with the
 * pages so far (the lock was dropped, or FOLL_NOWAIT would block).
 */
static struct page *gup_one(struct vm_area_struct *vma, unsigned long start,
			    unsigned int gup_flags, int *locked, unsigned long *page_mask)
{
	for (;;) {
		struct page *page = follow_page_mask(vma, start, gup_flags, page_mask);
		bool unshare = PTR_ERR(page) == -EMLINK;
		int ret;

		if (page && !unshare)
			return page;
		ret = faultin_page(vma, start, gup_flags, unshare, locked);
		if (!ret)
			continue;
		if (ret == -EBUSY || ret == -EAGAIN)
			return NULL;
		return ERR_PTR(ret);
	}
}

/*
 * Grab the rest of a PMD/PUD leaf (semantics.md §1.6): the lookup took one
 * reference or pin; the other page_increm - 1 come in one call.
 */
static int gup_grab_leaf_rest(struct page *page, unsigned long page_increm,
			      unsigned int gup_flags)
{
	struct folio *folio = page_folio(page);

	if (page_increm < 2)
		return 0;
	/* we hold a reference already, so this cannot race to zero */
	if (try_grab_folio(folio, (int)(page_increm - 1), gup_flags)) {
		gup_put_folio(folio, 1, gup_flags);
		return -EFAULT;
	}
	return 0;
}

/* semantics.md §1.6 __get_user_pages(): the number of pages done, or an errno if none. */
long __get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		      unsigned int gup_flags, struct page **pages, int *locked)
{
	struct vm_area_struct *vma = NULL;
	long ret = 0, i = 0;

	/* GET and PIN come with a pages array, populate comes without */
	if (WARN_ON_ONCE(mm->sim, !!pages != !!(gup_flags & (FOLL_GET | FOLL_PIN))))
		return -EINVAL;
	/* start is never aligned: each step takes the page containing it */
	while (nr_pages) {
		unsigned long page_mask = 0, page_increm;
		struct page *page;

		if (!vma || start >= vma->vm_end) {
			vma = gup_next_vma(mm, start, gup_flags);
			if (IS_ERR(vma)) {
				ret = PTR_ERR(vma);
				break;
			}
		}
		page = gup_one(vma, start, gup_flags, locked, &page_mask);
		if (!page) {
			ret = 0;
			break;
		}
		if (PTR_ERR(page) == -EEXIST) {
			/* no struct page: only populate (no pages array) goes on */
			if (pages) {
				ret = -EEXIST;
				break;
			}
		} else if (IS_ERR(page)) {
			ret = PTR_ERR(page);
			break;
		}

		page_increm = 1 + (~(start >> PAGE_SHIFT) & page_mask);
		if (page_increm > nr_pages)
			page_increm = nr_pages;
		if (pages) {
			ret = gup_grab_leaf_rest(page, page_increm, gup_flags);
			if (ret)
				break;
			for (unsigned long j = 0; j < page_increm; j++)
				pages[i + (long)j] = page + j;
		}
		i += (long)page_increm;
		start += page_increm << PAGE_SHIFT;
		nr_pages -= page_increm;
	}
	return i ? i : ret;
}
