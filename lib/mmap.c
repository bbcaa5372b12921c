// SPDX-License-Identifier: MIT
/*
 * Address spaces (kernel/fork.c's mm side, mm/mmap.c): mm_struct creation
 * and teardown, mmap(2) and munmap(2) with the syscalls'
 * rules and errnos.
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif
#ifndef MAP_HUGE_MASK
#define MAP_HUGE_MASK	0x3f
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#define MAP_TYPE_MASK	0x0f

/* The flags mmap() always understood; MAP_SHARED_VALIDATE refuses others. */
#define LEGACY_MAP_MASK	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | \
			 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_GROWSDOWN | MAP_LOCKED | \
			 MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | \
			 MAP_HUGETLB | ((unsigned int)MAP_HUGE_MASK << MAP_HUGE_SHIFT))

#define MMAP_MIN_ADDR	65536UL			/* vm.mmap_min_addr */
#define MMAP_BASE	0x7f0000000000UL	/* top-down placement starts here */

/* ------------------------------------------------------------------ */
/* mm_struct lifecycle */

/*
 * An empty mm: mm_users 1, a root page table, an anon_vma family of its
 * own (fork moves the child into its parent's), on the machine's list.
 */
struct mm_struct *mm_alloc(struct gupsim *sim)
{
	struct mm_struct *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	mm->sim = sim;
	atomic_set(&mm->mm_users, 1);
	if (mmap_lock_init(mm)) {
		free(mm);
		return NULL;
	}
	pthread_mutex_init(&mm->notifier_lock, NULL);
	mm->mmap_base = MMAP_BASE;
	if (pgtable_init(mm))
		goto fail;
	mm->anon_vma = anon_vma_alloc();
	if (!mm->anon_vma || anon_vma_add_mm(mm->anon_vma, mm))
		goto fail_pgd;

	pthread_mutex_lock(&sim->mm_list_lock);
	/* the list head is always the newest mm: ids grow per machine */
	mm->id = sim->mm_list ? sim->mm_list->id + 1 : 1;
	mm->list_next = sim->mm_list;
	if (sim->mm_list)
		sim->mm_list->list_prev = mm;
	sim->mm_list = mm;
	pthread_mutex_unlock(&sim->mm_list_lock);
	return mm;

fail_pgd:
	anon_vma_put(mm->anon_vma);
	pgtable_destroy(mm);
fail:
	pthread_mutex_destroy(&mm->notifier_lock);
	pthread_rwlock_destroy(&mm->mmap_lock);
	free(mm);
	return NULL;
}

struct mm_struct *gupsim_mm_create(struct gupsim *sim)
{
	struct mm_struct *mm;

	if (!sim) {
		errno = EINVAL;
		return NULL;
	}
	mm = mm_alloc(sim);
	if (!mm)
		errno = ENOMEM;
	return mm;
}

/* exit_mmap(): unmap everything, free the tables, drop the VMAs. */
static void exit_mmap(struct mm_struct *mm)
{
	if (mm_write_lock(mm)) {
		/* WARNed: the last put came with this thread's hold on the lock */
		mmap_lock_forget(mm);
		if (mm_write_lock(mm))
			return;
	}
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next)
		zap_page_range(vma, vma->vm_start, vma->vm_end);
	free_pgtables(mm, 0, TASK_SIZE + PAGE_SIZE);
	remove_all_vmas(mm);
	mm_write_unlock(mm);
}

void __mmput(struct mm_struct *mm, bool keep_shell)
{
	struct gupsim *sim = mm->sim;

	/* secondary MMUs let go first, as in __mmput() */
	mmu_notifier_release(mm);
	exit_mmap(mm);
	pgtable_destroy(mm);
	anon_vma_remove_mm(mm->anon_vma, mm);
	anon_vma_put(mm->anon_vma);

	pthread_mutex_lock(&sim->mm_list_lock);
	if (mm->list_prev)
		mm->list_prev->list_next = mm->list_next;
	else
		sim->mm_list = mm->list_next;
	if (mm->list_next)
		mm->list_next->list_prev = mm->list_prev;
	pthread_mutex_unlock(&sim->mm_list_lock);

	pthread_mutex_destroy(&mm->notifier_lock);
	pthread_rwlock_destroy(&mm->mmap_lock);
	if (keep_shell)
		mm_orphan_done(mm);	/* a thread still has it as current->mm */
	else
		free(mm);
}

void gupsim_mm_get(struct mm_struct *mm)
{
	if (!mm)
		return;
	/* mmget() on a dead mm is a use after free in the kernel */
	if (WARN(mm->sim, atomic_inc_return(&mm->mm_users) <= 1,
		 "mmget: mm %d has no users\n", mm->id))
		atomic_dec(&mm->mm_users);
}

void gupsim_mm_put(struct mm_struct *mm)
{
	int users;

	if (!mm)
		return;
	users = atomic_dec_return(&mm->mm_users);
	if (users > 0)
		return;
	if (WARN(mm->sim, users < 0, "mmput: mm %d has no users\n", mm->id)) {
		atomic_inc(&mm->mm_users);
		return;
	}
	__mmput(mm, false);
}

/*
 * gupsim_destroy(): every mm still alive goes, whatever its users. One a
 * thread still uses (kthread_use_mm() without kthread_unuse_mm()) is
 * emptied but its struct stays for that thread (see task.c).
 */
void mms_destroy(struct gupsim *sim)
{
	int used = mms_orphan_used(sim);

	WARN(sim, used, "gupsim_destroy: %d thread(s) still use an mm of the machine "
	     "(kthread_use_mm() without kthread_unuse_mm())\n", used);
	for (;;) {
		struct mm_struct *mm;

		pthread_mutex_lock(&sim->mm_list_lock);
		mm = sim->mm_list;
		pthread_mutex_unlock(&sim->mm_list_lock);
		if (!mm)
			break;
		atomic_set(&mm->mm_users, 0);
		__mmput(mm, READ_ONCE_UL(&mm->orphaned));
	}
}

struct gupsim *gupsim_mm_sim(struct mm_struct *mm)
{
	return mm ? mm->sim : NULL;
}

bool gupsim_mm_has_pinned(struct mm_struct *mm)
{
	return mm && test_bit(MMF_HAS_PINNED, &mm->flags);
}

/* ------------------------------------------------------------------ */
/* Placement */

static bool range_is_free(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	return !find_vma_intersection(mm, start, end);
}

/*
 * The highest (unmapped_area_topdown) or lowest (unmapped_area)
 * @align-aligned range of @len in a gap of [lo, hi): O(log n) through the
 * gaps kept in the VMA tree.
 */
static unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long len,
					   unsigned long align, unsigned long lo, unsigned long hi)
{
	unsigned long addr = vma_tree_gap_topdown(mm, len, align, lo, hi);

	return addr ? addr : (unsigned long)-ENOMEM;
}

static unsigned long unmapped_area(struct mm_struct *mm, unsigned long len,
				   unsigned long align, unsigned long lo, unsigned long hi)
{
	unsigned long addr = vma_tree_gap_bottomup(mm, len, align, lo, hi);

	return addr ? addr : (unsigned long)-ENOMEM;
}

/*
 * get_unmapped_area(): MAP_FIXED takes @addr as is (aligned to @align or
 * -EINVAL; beyond TASK_SIZE -ENOMEM); a free hint is honoured; otherwise
 * the highest free range below mmap_base (top-down, as x86-64 does),
 * falling back to a bottom-up search above it.
 */
static unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long addr,
				       unsigned long len, unsigned long align, int flags)
{
	unsigned long ret;

	if (len > TASK_SIZE)
		return (unsigned long)-ENOMEM;
	if (flags & MAP_FIXED) {
		if (addr > TASK_SIZE - len)
			return (unsigned long)-ENOMEM;
		if (!IS_ALIGNED(addr, align))
			return (unsigned long)-EINVAL;
		/* security_mmap_addr(): below vm.mmap_min_addr needs CAP_SYS_RAWIO */
		if (addr < MMAP_MIN_ADDR)
			return (unsigned long)-EPERM;
		return addr;
	}
	if (addr) {
		addr = addr < MMAP_MIN_ADDR ? MMAP_MIN_ADDR : addr;
		addr = ALIGN(addr, align);
		if (addr && addr <= TASK_SIZE - len && range_is_free(mm, addr, addr + len))
			return addr;
	}
	ret = unmapped_area_topdown(mm, len, align, MMAP_MIN_ADDR, mm->mmap_base);
	if (IS_ERR_VALUE(ret))
		ret = unmapped_area(mm, len, align, mm->mmap_base, TASK_SIZE);
	return ret;
}

/* ------------------------------------------------------------------ */
/* mmap */

struct mmap_req {
	struct mm_struct *mm;
	unsigned long addr, len, pgoff;
	int prot, flags;
	struct file *file;		/* the caller's file; NULL for anonymous memory */
	unsigned int huge_order;	/* hugetlb mapping: page order, else 0 */
	unsigned long vm_flags;
	struct file *own_file;		/* shmem / hugetlbfs file made for anon memory */
};

/* MAP_HUGETLB | MAP_HUGE_<size>: 0 means the default (2 MiB). */
static int map_huge_order(int flags, unsigned int *order)
{
	unsigned int log = ((unsigned int)flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;

	if (!log || log == PMD_SHIFT)
		*order = HPAGE_PMD_ORDER;
	else if (log == PUD_SHIFT)
		*order = HPAGE_PUD_ORDER;
	else
		return -EINVAL;		/* no such hstate */
	return 0;
}

/* The checks ksys_mmap_pgoff() and do_mmap() make before looking at the mm. */
static int mmap_check_args(struct mmap_req *req, size_t len, off_t off)
{
	unsigned long hsize;
	int err;

	if ((unsigned long)off & ~PAGE_MASK)
		return -EINVAL;
	req->pgoff = (unsigned long)off >> PAGE_SHIFT;
	if (!(req->flags & MAP_ANONYMOUS)) {
		if (!req->file)
			return -EBADF;
		req->huge_order = file_hugetlb_order(req->file);
		if (!req->huge_order && (req->flags & MAP_HUGETLB))
			return -EINVAL;		/* MAP_HUGETLB on a non-hugetlbfs file */
	} else {
		req->file = NULL;		/* the fd of an anonymous mapping is ignored */
		if (req->flags & MAP_HUGETLB) {
			err = map_huge_order(req->flags, &req->huge_order);
			if (err)
				return err;
		}
	}
	if (!len)
		return -EINVAL;
	hsize = PAGE_SIZE << req->huge_order;
	req->len = ALIGN((unsigned long)len, hsize);
	if (!req->len)
		return -ENOMEM;			/* rounding up overflowed */
	if (req->pgoff + (req->len >> PAGE_SHIFT) < req->pgoff)
		return -EOVERFLOW;
	/* file_mmap_ok(): no file offset goes past MAX_LFS_FILESIZE (LLONG_MAX),
	 * neither the first (off) nor the last (off + len) */
	if (req->file && (off < 0 || req->len > (unsigned long)LLONG_MAX - (unsigned long)off))
		return -EOVERFLOW;
	return 0;
}

static unsigned long calc_vm_prot_bits(int prot)
{
	return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
	       ((prot & PROT_EXEC) ? VM_EXEC : 0);
}

/* The VMA flags of the new mapping; errors of the mapping type. */
static int mmap_vm_flags(struct mmap_req *req)
{
	int type = req->flags & MAP_TYPE_MASK;
	unsigned long vm_flags = calc_vm_prot_bits(req->prot) | VM_MAYREAD | VM_MAYWRITE |
				 VM_MAYEXEC;

	if (type == MAP_SHARED_VALIDATE) {
		if ((unsigned int)req->flags & ~(unsigned int)LEGACY_MAP_MASK)
			return -EOPNOTSUPP;
		type = MAP_SHARED;
	}
	if (type == MAP_SHARED)
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	else if (type != MAP_PRIVATE)
		return -EINVAL;
	if (req->flags & MAP_LOCKED)
		vm_flags |= VM_LOCKED;
	if (req->flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	if (req->huge_order)
		vm_flags |= VM_HUGETLB | VM_DONTEXPAND;
	if (req->file) {
		switch (req->file->kind) {
		case GUPSIM_FILE_HUGETLBFS:
		case GUPSIM_FILE_HUGETLBFS_1G:
			/* hugetlbfs_file_mmap(): the offset must be huge-page aligned */
			if (req->pgoff & ((1UL << req->huge_order) - 1))
				return -EINVAL;
			break;
		case GUPSIM_FILE_PFNMAP:
			/* remap_pfn_range() */
			vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
			break;
		case GUPSIM_FILE_SECRETMEM:
			/* secretmem_mmap(): shared only, never swapped or dumped */
			if (!(vm_flags & VM_SHARED))
				return -EINVAL;
			vm_flags |= VM_LOCKED | VM_DONTDUMP;
			break;
		default:
			break;
		}
	}
	req->vm_flags = vm_flags;
	return 0;
}

static const struct vm_operations_struct shmem_vm_ops = { .name = "shmem" };
static const struct vm_operations_struct hugetlb_vm_ops = { .name = "hugetlb" };
static const struct vm_operations_struct pfnmap_vm_ops = { .name = "pfnmap" };
static const struct vm_operations_struct secretmem_vm_ops = { .name = "secretmem" };
static const struct vm_operations_struct file_vm_ops = { .name = "file" };

static const struct vm_operations_struct *file_vm_ops_of(const struct file *file)
{
	switch (file->kind) {
	case GUPSIM_FILE_SHMEM:
	case GUPSIM_FILE_MEMFD:
		return &shmem_vm_ops;
	case GUPSIM_FILE_HUGETLBFS:
	case GUPSIM_FILE_HUGETLBFS_1G:
		return &hugetlb_vm_ops;
	case GUPSIM_FILE_PFNMAP:
		return &pfnmap_vm_ops;
	case GUPSIM_FILE_SECRETMEM:
		return &secretmem_vm_ops;
	default:
		return &file_vm_ops;
	}
}

/*
 * Anonymous memory that the kernel backs by a file: MAP_SHARED anon is a
 * shmem file ("/dev/zero (deleted)"), MAP_HUGETLB a hugetlbfs file
 * ("anon_hugepage (deleted)"). Without MAP_NORESERVE, a hugetlb mapping
 * needs its pages in the pool now (hugetlb_reserve_pages() -> -ENOMEM);
 * gupsim checks the free count but keeps no reservation.
 */
static int mmap_anon_file(struct mmap_req *req)
{
	struct gupsim *sim = req->mm->sim;
	enum gupsim_file_kind kind;
	const char *name;

	if (req->huge_order) {
		struct hstate *h = &sim->hstates[req->huge_order == HPAGE_PUD_ORDER];
		unsigned long need = req->len >> (PAGE_SHIFT + req->huge_order), have;

		pthread_mutex_lock(&sim->hugetlb_lock);
		have = h->nr_free;
		pthread_mutex_unlock(&sim->hugetlb_lock);
		if (!(req->flags & MAP_NORESERVE) && need > have)
			return -ENOMEM;
		kind = req->huge_order == HPAGE_PUD_ORDER ? GUPSIM_FILE_HUGETLBFS_1G :
							    GUPSIM_FILE_HUGETLBFS;
		name = "anon_hugepage (deleted)";
	} else if (req->vm_flags & VM_SHARED) {
		kind = GUPSIM_FILE_SHMEM;
		name = "/dev/zero (deleted)";
	} else {
		return 0;
	}
	req->own_file = gupsim_file_create(sim, kind, name, req->len);
	if (!req->own_file)
		return -ENOMEM;
	req->pgoff = 0;
	return 0;
}

static struct vm_area_struct *mmap_new_vma(struct mmap_req *req)
{
	struct vm_area_struct *vma = vm_area_alloc(req->mm);
	struct file *file = req->own_file ? req->own_file : req->file;

	if (!vma)
		return NULL;
	vma->vm_start = req->addr;
	vma->vm_end = req->addr + req->len;
	vma->vm_flags = req->vm_flags;
	if (file) {
		vma->vm_pgoff = req->pgoff;
		vma->vm_file = file;
		get_file(file);
		vma->vm_ops = file_vm_ops_of(file);
	} else {
		/* anon VMAs never move: their pgoff is their address */
		vma->vm_pgoff = req->addr >> PAGE_SHIFT;
	}
	return vma;
}

static unsigned long mmap_locked(struct mmap_req *req)
{
	struct mm_struct *mm = req->mm;
	unsigned long align = PAGE_SIZE << req->huge_order;
	struct vm_area_struct *vma;
	unsigned long addr;
	int err;

	if (mm->map_count > MAX_MAP_COUNT)
		return (unsigned long)-ENOMEM;
	if (req->flags & MAP_FIXED_NOREPLACE)
		req->flags |= MAP_FIXED;
	/* larger anon mappings are THP aligned (PMD-sized multiples, no hint) */
	if (!req->file && !req->huge_order && !req->addr && IS_ALIGNED(req->len, PMD_SIZE) &&
	    (req->flags & MAP_TYPE_MASK) == MAP_PRIVATE)
		align = PMD_SIZE;
	addr = get_unmapped_area(mm, req->addr, req->len, align, req->flags);
	if (IS_ERR_VALUE(addr))
		return addr;
	req->addr = addr;
	if ((req->flags & MAP_FIXED_NOREPLACE) && !range_is_free(mm, addr, addr + req->len))
		return (unsigned long)-EEXIST;
	err = mmap_vm_flags(req);
	if (!err && !req->file)
		err = mmap_anon_file(req);
	if (err)
		return (unsigned long)err;

	vma = mmap_new_vma(req);
	if (!vma) {
		err = -ENOMEM;
		goto out;
	}
	/* MAP_FIXED replaces what was there */
	err = do_munmap(mm, addr, addr + req->len);
	if (err) {
		vm_area_free(vma);
		goto out;
	}
	err = insert_vm_struct(mm, vma);
	if (WARN_ON_ONCE(mm->sim, err)) {
		vm_area_free(vma);
		goto out;
	}
	if (vma->vm_file)
		vma_link_file(vma);
	vma_merge_neighbours(vma);
out:
	if (req->own_file)
		gupsim_file_put(req->own_file);	/* the VMA holds its own reference */
	return err ? (unsigned long)err : addr;
}

unsigned long gupsim_mmap(struct mm_struct *mm, unsigned long addr, size_t len, int prot,
			  int flags, struct file *file, off_t off)
{
	struct mmap_req req = {
		.mm = mm, .addr = addr, .prot = prot, .flags = flags, .file = file,
	};
	unsigned long ret;
	int err;

	if (!mm)
		return (unsigned long)-EINVAL;
	err = mmap_check_args(&req, len, off);
	if (err)
		return (unsigned long)err;
	if (req.file && req.file->sim != mm->sim)
		return (unsigned long)-EINVAL;
	ret = (unsigned long)(long)mm_write_lock(mm);
	if (ret)
		return ret;	/* -EDEADLK: the caller holds this mm's lock */
	ret = mmap_locked(&req);
	mm_write_unlock(mm);
	if (IS_ERR_VALUE(ret))
		return ret;
	/* MAP_POPULATE (not MAP_NONBLOCK) and MAP_LOCKED prefault: mm_populate() */
	if ((req.vm_flags & VM_LOCKED) ||
	    (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE)
		mm_populate(mm, ret, req.len);
	return ret;
}

/*
 * populate_vma_page_range() for every VMA of [start, start + len), errors
 * ignored (semantics.md §10): write faults where a write would COW (private and
 * writable), read faults otherwise; FOLL_FORCE so that anything accessible
 * is populated. VM_IO / VM_PFNMAP VMAs are skipped.
 */
void mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end = start + len;

	if (mm_read_lock(mm))
		return;
	for (struct vm_area_struct *vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = vma->vm_next) {
		unsigned long s = start > vma->vm_start ? start : vma->vm_start;
		unsigned long e = end < vma->vm_end ? end : vma->vm_end;
		unsigned int gup_flags = FOLL_TOUCH;
		int locked = 1;

		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			continue;
		if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			gup_flags |= FOLL_WRITE;
		if (vma_is_accessible(vma))
			gup_flags |= FOLL_FORCE;
		(void)__get_user_pages_locked(mm, s, (e - s) >> PAGE_SHIFT, NULL, &locked,
					      gup_flags);
	}
	mm_read_unlock(mm);
}

/* ------------------------------------------------------------------ */
/* munmap */

/*
 * Unmap [start, end) (mmap lock held for writing). Refusals change
 * nothing: -EINVAL when a boundary falls inside a hugetlb page, -ENOMEM
 * when punching a hole would exceed max_map_count (the kernel lets the
 * count pass the limit by one otherwise).
 */
int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start), *last, *next;
	int err;

	if (!vma || vma->vm_start >= end)
		return 0;
	for (last = vma; last->vm_next && last->vm_next->vm_start < end; last = last->vm_next)
		;
	if (start > vma->vm_start) {
		if (end < vma->vm_end && mm->map_count >= MAX_MAP_COUNT)
			return -ENOMEM;
		err = vma_split_check(vma, start, 0);
		if (err == -EINVAL)
			return err;
	}
	if (end < last->vm_end && vma_split_check(last, end, 0) == -EINVAL)
		return -EINVAL;

	if (start > vma->vm_start) {
		err = __vma_split_at(vma, start);
		if (err)
			return err;
		vma = vma->vm_next;
		if (last->vm_start < start)
			last = vma;
	}
	if (end < last->vm_end) {
		err = __vma_split_at(last, end);
		if (err)
			return err;
	}

	mmu_notifier_invalidate_range_start(mm, start, end, MMU_NOTIFY_UNMAP);
	for (struct vm_area_struct *v = vma; v && v->vm_start < end; v = v->vm_next)
		zap_page_range(v, v->vm_start, v->vm_end);
	mmu_notifier_invalidate_range_end(mm, start, end, MMU_NOTIFY_UNMAP);
	free_pgtables(mm, start, end);
	for (; vma && vma->vm_start < end; vma = next) {
		next = vma->vm_next;
		remove_vma(vma);
	}
	return 0;
}

int gupsim_munmap(struct mm_struct *mm, unsigned long addr, size_t len)
{
	int ret;

	if (!mm)
		return -EINVAL;
	if ((addr & ~PAGE_MASK) || addr > TASK_SIZE || len > TASK_SIZE - addr)
		return -EINVAL;
	len = ALIGN(len, PAGE_SIZE);
	if (!len)
		return -EINVAL;
	ret = mm_write_lock(mm);
	if (ret)
		return ret;	/* -EDEADLK: the caller holds this mm's lock */
	ret = do_munmap(mm, addr, addr + len);
	mm_write_unlock(mm);
	return ret;
}
