// SPDX-License-Identifier: MIT
/*
 * User accesses: gupsim_read() and gupsim_write() behave like the loads and
 * stores of a program running on the simulated machine. Page by page they
 * look at the page-table entry the CPU would use; a missing entry, a
 * protnone one, or a read-only one for a store is a page fault, handled by
 * handle_mm_fault() exactly as the kernel handles a user fault, after
 * which the access is retried. An address without a VMA, a VMA without the
 * permission (x86: any of read/write/exec allows a load, a store needs
 * VM_WRITE), or a fault that fails is where a real program gets SIGSEGV:
 * the access stops there and reports the bytes done, or -EFAULT if none.
 */
#include "internal.h"

/* A fault that keeps not resolving the access means a bug somewhere. */
#define FAULT_RETRIES_MAX	1000

static bool vma_permits(const struct vm_area_struct *vma, bool write)
{
	if (write)
		return vma->vm_flags & VM_WRITE;
	return vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC);
}

/* What the CPU's TLB fill accepts: present, not protnone, writable for a store. */
static bool entry_permits(pteval_t v, bool write)
{
	return pte_present(v) && !pte_protnone(v) && (!write || pte_write(v));
}

struct uaccess {
	struct mm_struct *mm;
	unsigned long addr;
	unsigned char *buf;
	size_t len;
	bool write;
};

/*
 * The folio @v maps has no reference although the entry still maps it.
 * Under the table lock an unchanged present entry holds its mapping's
 * reference (a split freezes the count only with every table of the folio
 * locked; migration replaces the entries first), so a count of 0 there is
 * a page freed while still mapped: one put_page() too many, which
 * bad_page() reported when it happened. The access fails (a program would
 * read memory the kernel reused) rather than retry forever.
 */
static bool freed_while_mapped(struct gupsim *sim, pteval_t *entry, pteval_t v)
{
	bool stale;

	pt_lock(sim, entry);
	stale = pt_read(entry) == v;
	pt_unlock(sim, entry);
	return stale;
}

/*
 * Copy through the entry @v found at @entry. The folio is held by a
 * reference taken with folio_try_get(), so a racing MADV_DONTNEED cannot
 * free it during the copy; a store runs under the table lock, so that it
 * cannot slip between a writeback's write-protect and its cleaning.
 * -EAGAIN: the entry changed, look again; -EFAULT: the page was freed
 * while mapped.
 */
static int copy_through(struct uaccess *u, pteval_t *entry, pteval_t v, enum pt_level level)
{
	struct gupsim *sim = u->mm->sim;
	unsigned long size = 1UL << pt_shift(level);
	unsigned long pfn = pte_pfn(v) + ((u->addr & (size - 1)) >> PAGE_SHIFT);
	struct page *page = pfn_to_page_sim(sim, pfn);
	struct folio *folio = page_folio(page);
	size_t off = u->addr & ~PAGE_MASK;
	/* special entries (zero page, pfnmap) are never freed by an unmap */
	bool ref = !pte_special(v);
	pteval_t young = _PAGE_ACCESSED | (u->write ? _PAGE_DIRTY : 0);

	if (ref && !folio_ref_try_add(folio, 1))
		return freed_while_mapped(sim, entry, v) ? -EFAULT : -EAGAIN;
	pt_lock(sim, entry);
	if (pt_read(entry) != v && (pte_pfn(pt_read(entry)) != pte_pfn(v) ||
				    !entry_permits(pt_read(entry), u->write))) {
		pt_unlock(sim, entry);
		if (ref)
			folio_put(folio);
		return -EAGAIN;
	}
	/*
	 * A store to a page without data: our reference is now known to be
	 * on the mapped folio, so the page stays ours to give data to, but
	 * not under the table lock (a mutex, maybe a host page fault): do it
	 * unlocked and look again. From the pfn: the struct page may be
	 * reinitialised meanwhile.
	 */
	if (u->write && !pfn_has_data(sim, pfn)) {
		pt_unlock(sim, entry);
		page_data_prepare(sim, pfn);
		if (ref)
			folio_put(folio);
		return -EAGAIN;
	}
	if (u->write)
		memcpy(pfn_mem(sim, pfn) + off, u->buf, u->len);
	if ((pt_read(entry) & young) != young)
		pt_write(entry, pt_read(entry) | young);
	pt_unlock(sim, entry);
	if (!u->write)
		pfn_data_read(sim, pfn, off, u->buf, u->len);
	if (ref)
		folio_put(folio);
	return 0;
}

/* One access inside one page. 0 or -EFAULT. */
static int access_page(struct uaccess *u)
{
	struct vm_area_struct *vma = vma_lookup(u->mm, u->addr);
	unsigned int fault_flags = FAULT_FLAG_USER | (u->write ? FAULT_FLAG_WRITE : 0);
	pteval_t prev = 0;

	if (!vma || !vma_permits(vma, u->write))
		return -EFAULT;
	for (int tries = 0;; tries++) {
		enum pt_level level = PT_PTE;
		pteval_t *entry = pgtable_lookup(u->mm, u->addr, &level);
		pteval_t v = entry ? pt_read(entry) : 0;

		/* only faults that change nothing count (a migration's does) */
		if (v != prev)
			tries = 0;
		prev = v;

		if (entry && entry_permits(v, u->write)) {
			int ret = copy_through(u, entry, v, level);

			if (ret != -EAGAIN)
				return ret;
			continue;
		}
		if (WARN(u->mm->sim, tries >= FAULT_RETRIES_MAX,
			 "%s fault at %#lx does not resolve (entry %#lx)\n",
			 u->write ? "write" : "read", u->addr, v))
			return -EFAULT;
		if (handle_mm_fault(vma, u->addr, fault_flags) & VM_FAULT_ERROR)
			return -EFAULT;
	}
}

static long user_access(struct mm_struct *mm, unsigned long addr, void *buf, size_t len,
			bool write)
{
	struct uaccess u = { .mm = mm, .buf = buf, .write = write };
	size_t done = 0;

	if (!mm)
		return -EINVAL;
	if (!len)
		return 0;
	/* access_ok(): the whole range must be user addresses */
	if (!buf || addr + len < addr || addr + len > TASK_SIZE)
		return -EFAULT;
	if (mm_read_lock(mm))
		return -EDEADLK;	/* WARNed: the caller holds this mm's lock */
	while (done < len) {
		u.addr = addr + done;
		u.len = PAGE_SIZE - (u.addr & ~PAGE_MASK);
		if (u.len > len - done)
			u.len = len - done;
		u.buf = (unsigned char *)buf + done;
		if (access_page(&u))
			break;
		done += u.len;
	}
	mm_read_unlock(mm);
	return done ? (long)done : -EFAULT;
}

long gupsim_read(struct mm_struct *mm, unsigned long addr, void *buf, size_t len)
{
	return user_access(mm, addr, buf, len, false);
}

long gupsim_write(struct mm_struct *mm, unsigned long addr, const void *buf, size_t len)
{
	return user_access(mm, addr, (void *)buf, len, true);
}

/*
 * The page mapped at @addr (a protnone entry maps its page too), without
 * faulting and without a reference: a snapshot for tests and debuggers.
 */
struct page *gupsim_follow_page(struct mm_struct *mm, unsigned long addr)
{
	struct gupsim *sim;
	enum pt_level level = PT_PTE;
	pteval_t *entry;
	pteval_t v = 0;
	unsigned long pfn;

	if (!mm || addr >= TASK_SIZE)
		return NULL;
	sim = mm->sim;
	/* a lockless walk: the tables cannot be freed while we are inside */
	gup_fast_enter(sim);
	entry = pgtable_lookup(mm, addr, &level);
	if (entry)
		v = pt_read(entry);
	gup_fast_exit(sim);
	if (!pte_present(v))
		return NULL;
	pfn = pte_pfn(v) + ((addr & ((1UL << pt_shift(level)) - 1)) >> PAGE_SHIFT);
	if (pfn >= sim->nr_pfns)
		return NULL;
	return pfn_to_page_sim(sim, pfn);
}
