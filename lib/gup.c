// SPDX-License-Identifier: MIT
/*
 * get_user_pages() / pin_user_pages(): argument validation, the mmap-lock
 * driver of the slow path, the FOLL_LONGTERM retry loop and the exported
 * entry points (semantics.md §1.3-§1.6, §4.2, §10, §11).
 *
 * The page-table side of the slow path is in gup_slow.c and gup_follow.c,
 * the lockless walk in gup_fast.c, long-term migration in migrate.c and the
 * grab/release accounting in gup_pin.c.
 */
#include "gup_internal.h"

/* gupsim has no signals: nothing interrupts a GUP loop or a fault. */
static inline bool gup_signal_pending(unsigned int flags)
{
	(void)flags;
	return false;
}

void trace_gup(struct mm_struct *mm, const char *name, unsigned long start,
	       unsigned long nr_pages, unsigned int gup_flags, long ret)
{
	struct gupsim_trace_record rec = {
		.event = GUPSIM_TRACE_GUP,
		.name = name,
		.mm = mm,
		.addr = start,
		.nr = nr_pages,
		.flags = gup_flags,
		.ret = ret,
	};

	if (mm && trace_enabled(mm->sim))
		gupsim_trace_emit(mm->sim, &rec);
}

/*
 * semantics.md §1.3: is_valid_gup_args(). The checks run in the kernel's order and
 * each failure is one WARN. The internal-flag test runs before @to_set is
 * added, so only the caller's own flags can fail it.
 */
static bool is_valid_gup_args(struct gupsim *sim, struct page **pages, int *locked,
			      unsigned int *gup_flags_p, unsigned int to_set)
{
	unsigned int gup_flags = *gup_flags_p;

	if (WARN_ON_ONCE(sim, gup_flags & INTERNAL_GUP_FLAGS))
		return false;
	gup_flags |= to_set;
	if (locked) {
		/* the caller must hold the lock it says it holds */
		if (WARN_ON_ONCE(sim, *locked != 1))
			return false;
		gup_flags |= FOLL_UNLOCKABLE;
	}
	if (WARN_ON_ONCE(sim, (gup_flags & (FOLL_PIN | FOLL_GET)) == (FOLL_PIN | FOLL_GET)))
		return false;
	if (WARN_ON_ONCE(sim, !(gup_flags & FOLL_PIN) && (gup_flags & FOLL_LONGTERM)))
		return false;
	if (WARN_ON_ONCE(sim, (gup_flags & (FOLL_GET | FOLL_PIN)) && !pages))
		return false;
	/* semantics.md §4.6: the 2024 series lifting this is not merged */
	if (WARN_ON_ONCE(sim, (gup_flags & FOLL_LONGTERM) && (gup_flags & FOLL_PCI_P2PDMA)))
		return false;
	*gup_flags_p = gup_flags;
	return true;
}

/*
 * The kernel has no check for a NULL mm (it would oops); gupsim reports it
 * like an invalid argument: one WARN, and the caller returns what it
 * returns for invalid arguments.
 */
static bool valid_mm(struct mm_struct *mm)
{
	return !WARN(NULL, !mm, "GUP without an mm (no kthread_use_mm()?)\n");
}

static struct gupsim *mm_sim_or_null(struct mm_struct *mm)
{
	return mm ? mm->sim : NULL;
}

/* ------------------------------------------------------------------ */
/* The slow-path driver: semantics.md §1.6 __get_user_pages_locked() */

/*
 * After the fault handler dropped mmap_lock (UNLOCKABLE): retake it and
 * fetch pages one at a time with FOLL_TRIED until one succeeds normally.
 * Returns the number of pages obtained, or a negative errno when none was.
 */
static long gup_retry_unlocked(struct mm_struct *mm, unsigned long start,
			       unsigned long nr_pages, struct page **pages, int *locked,
			       unsigned int flags, long pages_done)
{
	long ret;

	for (;;) {
		if (gup_signal_pending(flags))
			return pages_done ? pages_done : -EINTR;
		ret = gupsim_mmap_read_lock_killable(mm);
		if (ret)
			return pages_done ? pages_done : ret;
		*locked = 1;
		ret = __get_user_pages(mm, start, 1, flags | FOLL_TRIED, pages, locked);
		if (!*locked)
			continue;	/* dropped again: the same page once more */
		if (ret != 1)
			return pages_done ? pages_done : ret;
		pages_done++;
		if (!--nr_pages)
			return pages_done;
		if (pages)
			pages++;
		start += PAGE_SIZE;

		ret = __get_user_pages(mm, start, nr_pages, flags, pages, locked);
		if (ret > 0) {
			nr_pages -= ret;
			pages_done += ret;
			if (!nr_pages)
				return pages_done;
		}
		if (*locked)
			return pages_done ? pages_done : ret;
		if (pages)
			pages += ret;
		start += (unsigned long)ret << PAGE_SHIFT;
	}
}

long __get_user_pages_locked(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			     struct page **pages, int *locked, unsigned int flags)
{
	bool must_unlock = false;
	long ret, pages_done = 0;

	/* semantics.md §1.6 step 1: before the lock and before MMF_HAS_PINNED */
	if (!nr_pages)
		return 0;

	if (!*locked) {
		/* -EDEADLK (WARNed): the caller holds it, e.g. GUP-fast's slow path */
		ret = mm_read_lock(mm);
		if (ret)
			return ret;
		must_unlock = true;
		*locked = 1;
	} else {
		mmap_assert_locked(mm);
	}
	count_vm_event(mm->sim, GUPSIM_NR_GUP_SLOW_CALLS);

	/* semantics.md §3.3: set before any page is grabbed, so failed pins set it too */
	if (flags & FOLL_PIN)
		mm_set_has_pinned_flag(mm);

	/* a pages array means references, even without FOLL_GET (semantics.md §1.6 step 4) */
	if (pages && !(flags & FOLL_PIN))
		flags |= FOLL_GET;

	ret = __get_user_pages(mm, start, nr_pages, flags, pages, locked);
	if (!(flags & FOLL_UNLOCKABLE) || *locked) {
		/* the lock was never dropped (or FOLL_NOWAIT kept it) */
		pages_done = ret;
	} else {
		/* VM_FAULT_RETRY/COMPLETED: ret counts the pages before the fault */
		if (ret > 0) {
			nr_pages -= ret;
			pages_done = ret;
		}
		must_unlock = true;
		if (nr_pages)
			pages_done = gup_retry_unlocked(mm, start + ((unsigned long)ret << PAGE_SHIFT),
							nr_pages, pages ? pages + ret : NULL,
							locked, flags, pages_done);
	}

	if (must_unlock && *locked) {
		mm_read_unlock(mm);
		*locked = 0;
	}

	/* semantics.md §1.5: failing to get anything means something went wrong */
	if (WARN_ON_ONCE(mm->sim, pages_done == 0 && !(flags & FOLL_NOWAIT)))
		return -EFAULT;
	return pages_done;
}

/*
 * semantics.md §4.2: long-term pins re-pin the same range until no pinned folio
 * had to be migrated. The kernel loops without a limit; each round either
 * succeeds or migrates, so gupsim's cap only catches a simulator bug.
 */
#define LONGTERM_RETRY_CAP	1000

long __gup_longterm_locked(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			   struct page **pages, int *locked, unsigned int gup_flags)
{
	long rc, nr_pinned_pages;
	unsigned int memalloc;
	int rounds = 0;

	if (!(gup_flags & FOLL_LONGTERM))
		return __get_user_pages_locked(mm, start, nr_pages, pages, locked, gup_flags);

	memalloc = memalloc_pin_save();
	do {
		nr_pinned_pages = __get_user_pages_locked(mm, start, nr_pages, pages, locked,
							  gup_flags);
		if (nr_pinned_pages <= 0) {
			rc = nr_pinned_pages;
			break;
		}
		/* a partial result is checked as is, never completed */
		rc = check_and_migrate_movable_pages((unsigned long)nr_pinned_pages, pages);
		if (rc == -EAGAIN) {
			count_vm_event(mm->sim, GUPSIM_NR_LONGTERM_RETRIES);
			if (WARN(mm->sim, ++rounds > LONGTERM_RETRY_CAP,
				 "long-term pin still migrating after %d rounds\n", rounds)) {
				rc = -ENOMEM;
				break;
			}
		}
	} while (rc == -EAGAIN);
	memalloc_pin_restore(memalloc);
	return rc ? rc : nr_pinned_pages;
}

/* ------------------------------------------------------------------ */
/* Entry points: semantics.md §1.4 (flags added), §1.3 (what invalid args return) */

long gupsim_get_user_pages_remote(struct mm_struct *mm, unsigned long start,
				  unsigned long nr_pages, unsigned int gup_flags,
				  struct page **pages, int *locked)
{
	int local_locked = 1;
	long ret;

	if (!is_valid_gup_args(mm_sim_or_null(mm), pages, locked, &gup_flags,
			       FOLL_TOUCH | FOLL_REMOTE))
		return -EINVAL;
	if (!valid_mm(mm))
		return -EINVAL;
	ret = __get_user_pages_locked(mm, start, nr_pages, pages,
				      locked ? locked : &local_locked, gup_flags);
	trace_gup(mm, "get_user_pages_remote", start, nr_pages, gup_flags, ret);
	return ret;
}

long gupsim_get_user_pages(unsigned long start, unsigned long nr_pages,
			   unsigned int gup_flags, struct page **pages)
{
	struct mm_struct *mm = current_mm();
	int locked = 1;
	long ret;

	if (!is_valid_gup_args(mm_sim_or_null(mm), pages, NULL, &gup_flags, FOLL_TOUCH))
		return -EINVAL;
	if (!valid_mm(mm))
		return -EINVAL;
	ret = __get_user_pages_locked(mm, start, nr_pages, pages, &locked, gup_flags);
	trace_gup(mm, "get_user_pages", start, nr_pages, gup_flags, ret);
	return ret;
}

long gupsim_get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
				    struct page **pages, unsigned int gup_flags)
{
	struct mm_struct *mm = current_mm();
	int locked = 0;
	long ret;

	if (!is_valid_gup_args(mm_sim_or_null(mm), pages, NULL, &gup_flags,
			       FOLL_TOUCH | FOLL_UNLOCKABLE))
		return -EINVAL;
	if (!valid_mm(mm))
		return -EINVAL;
	ret = __get_user_pages_locked(mm, start, nr_pages, pages, &locked, gup_flags);
	trace_gup(mm, "get_user_pages_unlocked", start, nr_pages, gup_flags, ret);
	return ret;
}

/* The fast variants take an int count; a negative one is sign-extended (semantics.md §1.10). */
static int gup_fast_entry(const char *name, unsigned long start, int nr_pages,
			  unsigned int gup_flags, struct page **pages, unsigned int to_set)
{
	struct mm_struct *mm = current_mm();
	long ret;

	if (!is_valid_gup_args(mm_sim_or_null(mm), pages, NULL, &gup_flags, to_set))
		return -EINVAL;
	if (!valid_mm(mm))
		return -EINVAL;
	ret = gup_fast_fallback(start, (unsigned long)(long)nr_pages, gup_flags, pages);
	trace_gup(mm, name, start, (unsigned long)(long)nr_pages, gup_flags, ret);
	return (int)ret;
}

int gupsim_get_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			       struct page **pages)
{
	/* FOLL_GET may or may not be passed by the caller: either is fine */
	return gup_fast_entry("get_user_pages_fast", start, nr_pages, gup_flags, pages,
			      FOLL_GET);
}

int gupsim_get_user_pages_fast_only(unsigned long start, int nr_pages,
				    unsigned int gup_flags, struct page **pages)
{
	return gup_fast_entry("get_user_pages_fast_only", start, nr_pages, gup_flags, pages,
			      FOLL_GET | FOLL_FAST_ONLY);
}

int gupsim_pin_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			       struct page **pages)
{
	return gup_fast_entry("pin_user_pages_fast", start, nr_pages, gup_flags, pages,
			      FOLL_PIN);
}

/* semantics.md §1.3: the pin_user_pages* family returns 0, not -EINVAL, on bad args */
long gupsim_pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
				  unsigned long nr_pages, unsigned int gup_flags,
				  struct page **pages, int *locked)
{
	int local_locked = 1;
	long ret;

	if (!is_valid_gup_args(mm_sim_or_null(mm), pages, locked, &gup_flags,
			       FOLL_PIN | FOLL_TOUCH | FOLL_REMOTE))
		return 0;
	if (!valid_mm(mm))
		return 0;
	ret = __gup_longterm_locked(mm, start, nr_pages, pages,
				    locked ? locked : &local_locked, gup_flags);
	trace_gup(mm, "pin_user_pages_remote", start, nr_pages, gup_flags, ret);
	return ret;
}

/* semantics.md §1.4: FOLL_PIN only, no FOLL_TOUCH */
long gupsim_pin_user_pages(unsigned long start, unsigned long nr_pages,
			   unsigned int gup_flags, struct page **pages)
{
	struct mm_struct *mm = current_mm();
	int locked = 1;
	long ret;

	if (!is_valid_gup_args(mm_sim_or_null(mm), pages, NULL, &gup_flags, FOLL_PIN))
		return 0;
	if (!valid_mm(mm))
		return 0;
	ret = __gup_longterm_locked(mm, start, nr_pages, pages, &locked, gup_flags);
	trace_gup(mm, "pin_user_pages", start, nr_pages, gup_flags, ret);
	return ret;
}

long gupsim_pin_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
				    struct page **pages, unsigned int gup_flags)
{
	struct mm_struct *mm = current_mm();
	int locked = 0;
	long ret;

	if (!is_valid_gup_args(mm_sim_or_null(mm), pages, NULL, &gup_flags,
			       FOLL_PIN | FOLL_TOUCH | FOLL_UNLOCKABLE))
		return 0;
	if (!valid_mm(mm))
		return 0;
	ret = __gup_longterm_locked(mm, start, nr_pages, pages, &locked, gup_flags);
	trace_gup(mm, "pin_user_pages_unlocked", start, nr_pages, gup_flags, ret);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The mm.h inlines, and the other gup.c users (semantics.md §1.4, §10) */

struct page *gupsim_get_user_page_vma_remote(struct mm_struct *mm, unsigned long addr,
					     int gup_flags, struct vm_area_struct **vmap)
{
	struct vm_area_struct *vma;
	struct page *page;
	long got;

	if (WARN_ON_ONCE(mm_sim_or_null(mm), (unsigned int)gup_flags & FOLL_NOWAIT))
		return ERR_PTR(-EINVAL);
	got = gupsim_get_user_pages_remote(mm, addr, 1, (unsigned int)gup_flags, &page, NULL);
	if (got < 0)
		return ERR_PTR(got);
	vma = vma_lookup(mm, addr);
	if (WARN_ON_ONCE(mm->sim, !vma)) {
		gupsim_put_page(page);
		return ERR_PTR(-EINVAL);
	}
	if (vmap)
		*vmap = vma;
	return page;
}

bool gupsim_get_user_page_fast_only(unsigned long addr, unsigned int gup_flags,
				    struct page **pagep)
{
	return gupsim_get_user_pages_fast_only(addr, 1, gup_flags, pagep) == 1;
}

/*
 * semantics.md §10: one page for a core dump. Holes, the zero pages and pfn-only
 * entries come back as NULL. A NULL @locked means the caller holds no lock.
 */
struct page *gupsim_get_dump_page(unsigned long addr, int *locked)
{
	struct mm_struct *mm = current_mm();
	struct page *page = NULL;
	int local_locked = 0;
	long ret;

	if (!valid_mm(mm))
		return NULL;
	ret = __get_user_pages_locked(mm, addr, 1, &page, locked ? locked : &local_locked,
				      FOLL_FORCE | FOLL_DUMP | FOLL_GET);
	trace_gup(mm, "get_dump_page", addr, 1, FOLL_FORCE | FOLL_DUMP | FOLL_GET, ret);
	return ret == 1 ? page : NULL;
}

/*
 * semantics.md §10: MADV_POPULATE_READ/WRITE. No pages array, so no references;
 * vma_lookup failures are -ENOMEM and VMA check failures -EINVAL.
 */
long faultin_page_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			bool write, int *locked)
{
	unsigned int gup_flags = FOLL_TOUCH | FOLL_HWPOISON | FOLL_UNLOCKABLE |
				 FOLL_MADV_POPULATE;

	if (WARN_ON_ONCE(mm->sim, !IS_ALIGNED(start, PAGE_SIZE) ||
			 !IS_ALIGNED(end, PAGE_SIZE) || end < start))
		return -EINVAL;
	if (write)
		gup_flags |= FOLL_WRITE;
	return __get_user_pages_locked(mm, start, (end - start) >> PAGE_SHIFT, NULL, locked,
				       gup_flags);
}

/* vma_permits_fault(): the access the fault is for must be allowed */
static bool vma_permits_fault(struct vm_area_struct *vma, unsigned int fault_flags)
{
	unsigned long need = (fault_flags & FAULT_FLAG_WRITE) ? VM_WRITE : VM_READ;

	return vma->vm_flags & need;
}

/*
 * semantics.md §10: resolve one fault for futex/KVM-style callers, who hold the
 * mmap lock. No reference is taken.
 */
int gupsim_fixup_user_fault(struct mm_struct *mm, unsigned long address,
			    unsigned int fault_flags, bool *unlocked)
{
	struct vm_area_struct *vma;
	vm_fault_t ret;

	if (WARN(NULL, !mm, "fixup_user_fault without an mm\n"))
		return -EFAULT;
	if (unlocked)
		fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
	for (;;) {
		vma = gup_vma_lookup(mm, address);
		if (!vma || !vma_permits_fault(vma, fault_flags))
			return -EFAULT;
		if ((fault_flags & FAULT_FLAG_KILLABLE) && gup_signal_pending(0))
			return -EINTR;
		ret = handle_mm_fault(vma, address, fault_flags);
		if (ret & VM_FAULT_COMPLETED) {
			/* the caller unlocks: give it a lock to drop */
			gupsim_mmap_read_lock(mm);
			*unlocked = true;
			return 0;
		}
		if (ret & VM_FAULT_ERROR)
			return vm_fault_to_errno(ret, 0);
		if (!(ret & VM_FAULT_RETRY))
			return 0;
		gupsim_mmap_read_lock(mm);
		*unlocked = true;
		fault_flags |= FAULT_FLAG_TRIED;
	}
}

/* ------------------------------------------------------------------ */
/* memfd_pin_folios(): semantics.md §4.7 */

/* Pin each distinct folio of [start, end] once; *nr counts them. */
static int memfd_pin_range(struct file *memfd, long long start, long long end,
			   struct folio **folios, unsigned int max_folios, pgoff_t *offset,
			   unsigned int *nr)
{
	/* hugetlbfs indexes whole huge pages, shifted to base-page indices */
	unsigned int order = (memfd->mapping.flags & AS_HUGETLB) ?
			     (memfd->kind == GUPSIM_FILE_HUGETLBFS_1G ? HPAGE_PUD_ORDER :
								       HPAGE_PMD_ORDER) : 0;
	pgoff_t idx = ALIGN_DOWN((pgoff_t)start >> PAGE_SHIFT, 1UL << order);
	pgoff_t end_idx = ALIGN_DOWN((pgoff_t)end >> PAGE_SHIFT, 1UL << order);

	for (*nr = 0; idx <= end_idx && *nr < max_folios; ) {
		struct folio *folio;
		int err = 0;

		/* found in the page cache, or allocated (memfd_alloc_folio()) */
		folio = filemap_get_folio(memfd, idx, true, &err);
		if (!folio)
			return err ? err : -ENOMEM;
		if (try_grab_folio(folio, 1, FOLL_PIN)) {
			folio_put(folio);
			return -EINVAL;
		}
		if (*nr == 0)
			*offset = (pgoff_t)start & ((PAGE_SIZE << folio_order(folio)) - 1);
		folios[(*nr)++] = folio;
		idx = ALIGN_DOWN(idx, (pgoff_t)folio_nr_pages(folio)) +
		      (pgoff_t)folio_nr_pages(folio);
		folio_put(folio);
	}
	return 0;
}

long gupsim_memfd_pin_folios(struct file *memfd, long long start, long long end,
			     struct folio **folios, unsigned int max_folios, pgoff_t *offset)
{
	unsigned int memalloc, nr = 0;
	long ret;

	if (start < 0 || start > end || !max_folios)
		return -EINVAL;
	if (!memfd || !(memfd->mapping.flags & (AS_SHMEM | AS_HUGETLB)))
		return -EINVAL;
	if ((unsigned long long)end >= memfd->size)
		return -EINVAL;
	/* the kernel would oops on these; gupsim calls them invalid too */
	if (WARN_ON_ONCE(memfd->sim, !folios || !offset))
		return -EINVAL;
	/*
	 * memfd_pin_folios() exists from v6.11 (commit "mm/gup: introduce
	 * memfd_pin_folios() for pinning memfd folios"); a driver built for
	 * an older release has no such call: -ENOSYS, nothing pinned.
	 */
	if (!kernel_at_least(memfd->sim, 6, 11))
		return -ENOSYS;

	/* no mm: MMF_HAS_PINNED is left alone, and nothing unshares */
	memalloc = memalloc_pin_save();
	do {
		ret = memfd_pin_range(memfd, start, end, folios, max_folios, offset, &nr);
		if (ret) {
			gupsim_unpin_folios(folios, nr);
			break;
		}
		ret = check_and_migrate_movable_folios(nr, folios);
	} while (ret == -EAGAIN);
	memalloc_pin_restore(memalloc);
	return ret ? ret : (long)nr;
}
