/* SPDX-License-Identifier: MIT */
/**
 * @file mm.h
 * @brief The simulated machine and its address spaces (simulation control
 * API), plus the kernel's mm-side names: mmap lock, VMAs, MMU notifiers.
 */
#ifndef GUPSIM_MM_H
#define GUPSIM_MM_H

#include <stdio.h>
#include <sys/types.h>
#include <gupsim/types.h>

GUPSIM_BEGIN_DECLS

/** Transparent huge page mode (/sys/kernel/mm/transparent_hugepage/enabled). */
enum gupsim_thp_mode {
	GUPSIM_THP_NEVER,	/**< no THP faults (the huge zero folio neither) */
	GUPSIM_THP_MADVISE,	/**< THP only in MADV_HUGEPAGE ranges */
	GUPSIM_THP_ALWAYS,	/**< THP wherever a 2 MiB aligned range fits */
};

/**
 * Machine configuration. Initialise with gupsim_config_init(), then change
 * fields. Versioned by @c size: fields are only ever appended.
 */
struct gupsim_config {
	size_t size;			/**< sizeof(struct gupsim_config), set by _init */
	unsigned long normal_mb;	/**< ZONE_NORMAL, default 1024 */
	unsigned long movable_mb;	/**< ZONE_MOVABLE, default 0 */
	unsigned long cma_mb;		/**< CMA pageblocks inside ZONE_NORMAL, default 0 */
	unsigned long device_mb;	/**< ZONE_DEVICE (fsdax, P2PDMA), default 0 */
	unsigned long hugetlb_2m_pages;	/**< 2 MiB hugetlb pool, default 0 */
	unsigned long hugetlb_1g_pages;	/**< 1 GiB hugetlb pool, default 0 */
	enum gupsim_thp_mode thp;	/**< default GUPSIM_THP_MADVISE */
	bool use_zero_page;		/**< default true */
	bool use_huge_zero_page;	/**< default true */
	bool strict;			/**< a WARN aborts; default false */
	bool debug_pins;		/**< exact shadow pin counts, pin sanitizer */
	unsigned long mthp_orders;	/**< bitmask of anon mTHP orders (2..8), "inherit"; default 0 */
	/**
	 * GUPSIM_KERNEL_VERSION(a, b, c) of the release whose rules apply
	 * (between GUPSIM_KERNEL_VERSION_MIN and GUPSIM_KERNEL_VERSION_MAX);
	 * 0 = the newest modelled (default). Only a.b selects the rules.
	 */
	unsigned int kernel_version;
	/* more fields may follow; never reorder */
};

/** @brief A kernel release as a number, like the kernel's KERNEL_VERSION(). */
#define GUPSIM_KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
/** @brief The oldest release whose rules gupsim models (v6.6, an LTS). */
#define GUPSIM_KERNEL_VERSION_MIN GUPSIM_KERNEL_VERSION(6, 6, 0)
/** @brief The newest release whose rules gupsim models (v7.3, any 7.3.y). */
#define GUPSIM_KERNEL_VERSION_MAX GUPSIM_KERNEL_VERSION(7, 3, 255)

/**
 * @brief Fill @p cfg with the defaults and set cfg->size.
 * @param cfg the configuration to initialise (NULL is ignored)
 */
GUPSIM_API void gupsim_config_init(struct gupsim_config *cfg);
/**
 * @brief Make @p cfg describe the host the program runs on: whether its
 * anonymous read faults map the zero page and the huge zero folio (measured
 * by faulting pages in and reading /proc/self/pagemap; without visible PFNs
 * the pagemap "exclusive" bit and transparent_hugepage/use_zero_page
 * decide), the THP mode, the enabled anon mTHP sizes (mthp_orders) and the
 * running release (kernel_version, from uname(): older than
 * GUPSIM_KERNEL_VERSION_MIN gives _MIN, newer than _MAX gives 0, the newest).
 * Memory sizes and pools are left alone. Call after gupsim_config_init();
 * whatever cannot be read keeps its value. Works unprivileged.
 * @param cfg the configuration to fill (cfg->size set by gupsim_config_init)
 * @return 0, or -EINVAL for a NULL @p cfg or a cfg->size too small
 */
GUPSIM_API int gupsim_config_from_host(struct gupsim_config *cfg);
/**
 * @brief Create a simulated machine.
 * @param cfg configuration, or NULL for the defaults
 * @return the machine, or NULL with errno EINVAL (impossible sizes, or a
 * kernel_version outside GUPSIM_KERNEL_VERSION_MIN..MAX: then one line
 * saying so is also written to stderr, there being no machine whose log
 * stream could take it) or ENOMEM
 */
GUPSIM_API struct gupsim *gupsim_create(const struct gupsim_config *cfg);
/**
 * @brief Destroy a machine and every mm, file and page it still holds.
 * @param sim the machine (NULL is ignored); nothing of it may be used after
 */
GUPSIM_API void gupsim_destroy(struct gupsim *sim);
/**
 * @brief The version of the library actually linked.
 * @return "MAJOR.MINOR.PATCH" (compare GUPSIM_VERSION_STRING, the headers' version)
 */
GUPSIM_API const char *gupsim_version(void);

/**
 * @brief Warning handler: receives the full text of each report (a WARN:
 * "WARNING: CPU: 0 PID: <tid> at mm/<file>:<line> <function>" and the
 * kernel's message; or a "BUG: Bad page state" report with its dump).
 * @param arg     the pointer given to gupsim_set_warn_handler()
 * @param message the report, one or more '\n'-terminated lines
 */
typedef void (*gupsim_warn_fn)(void *arg, const char *message);
/**
 * @brief Install a WARN handler for @p sim. Every report reaches it (not
 * only the first per call site); in strict mode the process aborts after
 * the handler returns.
 * @param sim the machine (NULL is ignored)
 * @param fn  the handler, or NULL to restore the default: print to the
 *            log stream (gupsim_set_log(), stderr by default)
 * @param arg passed to @p fn
 */
GUPSIM_API void gupsim_set_warn_handler(struct gupsim *sim, gupsim_warn_fn fn, void *arg);
/**
 * @brief Install the process-wide WARN handler: it receives the reports
 * that belong to no machine (a GUP call or kthread_use_mm() without an mm,
 * a thread still using an mm of a destroyed machine). Without one
 * (the default, or @p fn NULL) they are printed to stderr.
 * @param fn  the handler, or NULL to restore printing to stderr
 * @param arg passed to @p fn
 */
GUPSIM_API void gupsim_set_global_warn_handler(gupsim_warn_fn fn, void *arg);
/**
 * @brief Process-wide strict mode, for the reports that belong to no
 * machine: when set, such a report aborts the process after the global
 * handler returns (a machine's own reports follow its cfg.strict). Off by
 * default.
 * @param strict true to abort on machine-less reports
 */
GUPSIM_API void gupsim_set_global_strict(bool strict);
/**
 * @brief Choose the stream for dump_page() output and for reports when no
 * warn handler is installed.
 * @param sim the machine (NULL is ignored)
 * @param out the stream; NULL restores stderr (the default)
 */
GUPSIM_API void gupsim_set_log(struct gupsim *sim, FILE *out);
/**
 * @brief The machine @p mm belongs to.
 * @param mm an address space
 * @return its machine
 */
GUPSIM_API struct gupsim *gupsim_mm_sim(struct mm_struct *mm);

/** @name Address spaces */
/**@{*/
/**
 * @brief A new, empty address space (a process without mappings).
 * @param sim the machine
 * @return the mm with one reference (release with gupsim_mm_put()), or
 * NULL with errno EINVAL (NULL @p sim) or ENOMEM
 */
GUPSIM_API struct mm_struct *gupsim_mm_create(struct gupsim *sim);
/**
 * @brief mmput(): drop a reference; the last one unmaps everything (pinned
 * pages stay allocated until unpinned, as munmap() of a pinned range does).
 * @param mm the address space (NULL is ignored)
 */
GUPSIM_API void gupsim_mm_put(struct mm_struct *mm);
/**
 * @brief mmget(): take a reference on @p mm.
 * @param mm the address space
 */
GUPSIM_API void gupsim_mm_get(struct mm_struct *mm);
/**
 * @brief fork(): a child address space copied from @p parent with the
 * kernel's rules (semantics.md §5.4): private anon pages are shared
 * copy-on-write and write-protected in both, except a page that may be
 * pinned (the parent has MMF_HAS_PINNED, folio_maybe_dma_pinned() and the
 * page is anon-exclusive): the child gets a copy at once and the parent
 * keeps the pinned page. MADV_DONTFORK ranges are not copied. The child
 * does not inherit MMF_HAS_PINNED.
 * @param parent the address space to copy
 * @return the child (one reference), or ERR_PTR(-ENOMEM) / ERR_PTR(-EINVAL)
 */
GUPSIM_API struct mm_struct *gupsim_fork(struct mm_struct *parent);
/**
 * @brief Whether MMF_HAS_PINNED is set on @p mm (a FOLL_PIN call reached
 * the mm; never cleared).
 * @param mm the address space
 * @return the flag
 */
GUPSIM_API bool gupsim_mm_has_pinned(struct mm_struct *mm);

/**
 * @brief mmap(2) in @p mm.
 *
 * MAP_PRIVATE or MAP_SHARED, with MAP_ANONYMOUS, MAP_FIXED, MAP_HUGETLB,
 * MAP_POPULATE; hugetlb mappings come back aligned to their huge page size.
 * A mapping holds its own reference on @p file.
 * @param mm    the address space
 * @param addr  hint, or the address with MAP_FIXED
 * @param len   length in bytes (rounded up to pages)
 * @param prot  the host's PROT_READ / PROT_WRITE / PROT_EXEC / PROT_NONE
 * @param flags the host's MAP_* flags
 * @param file  the file for a file mapping, NULL with MAP_ANONYMOUS
 * @param off   offset in @p file (page aligned)
 * @return the address, or a negative errno cast to unsigned long (test with
 * IS_ERR_VALUE) as mmap(2) gives it: -EINVAL (bad length, offset or
 * flags), -ENOMEM (no room, no memory)
 */
GUPSIM_API unsigned long gupsim_mmap(struct mm_struct *mm, unsigned long addr, size_t len,
				     int prot, int flags, struct file *file, off_t off);
/**
 * @brief munmap(2): remove the mappings in [addr, addr + len). Pinned pages
 * stay allocated until their pins are released.
 * @param mm   the address space
 * @param addr page-aligned start
 * @param len  length in bytes
 * @return 0, or -EINVAL (unaligned @p addr, zero @p len, out of range)
 */
GUPSIM_API int gupsim_munmap(struct mm_struct *mm, unsigned long addr, size_t len);
/**
 * @brief mprotect(2): change the protection of [addr, addr + len).
 * @param mm   the address space
 * @param addr page-aligned start
 * @param len  length in bytes
 * @param prot the host's PROT_* values
 * @return 0, or -EINVAL (unaligned @p addr, bad @p prot), -ENOMEM (part of
 * the range is not mapped)
 */
GUPSIM_API int gupsim_mprotect(struct mm_struct *mm, unsigned long addr, size_t len, int prot);
/**
 * @brief madvise(2) on [addr, addr + len).
 * @param mm     the address space
 * @param addr   page-aligned start
 * @param len    length in bytes
 * @param advice the host's MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTNEED,
 *               MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTFORK
 * @return 0, or a negative errno as madvise(2): -EINVAL (unknown advice,
 * unaligned @p addr), -ENOMEM (part of the range is not mapped), and for
 * the populate advices the fault's error (e.g. -EFAULT)
 */
GUPSIM_API int gupsim_madvise(struct mm_struct *mm, unsigned long addr, size_t len, int advice);
/**
 * @brief A user-space read of @p mm: faults like a CPU load (maps the zero
 * page for untouched anon memory).
 * @param mm   the address space
 * @param addr user address
 * @param buf  destination
 * @param len  number of bytes
 * @return the number of bytes read (short if a fault failed after some
 * bytes; 0 for a zero @p len), -EFAULT if nothing could be read, or
 * -EINVAL for a NULL @p mm
 */
GUPSIM_API long gupsim_read(struct mm_struct *mm, unsigned long addr, void *buf, size_t len);
/**
 * @brief A user-space write to @p mm: faults like a CPU store (allocates,
 * or breaks COW).
 * @param mm   the address space
 * @param addr user address
 * @param buf  source
 * @param len  number of bytes
 * @return the number of bytes written (0 for a zero @p len), -EFAULT if
 * nothing could be, or -EINVAL for a NULL @p mm
 */
GUPSIM_API long gupsim_write(struct mm_struct *mm, unsigned long addr, const void *buf,
			     size_t len);
/**
 * @brief The page mapped at @p addr, for inspection (no fault, no
 * reference taken).
 * @param mm   the address space
 * @param addr user address
 * @return the page (a subpage of a PMD-mapped folio; the zero page for a
 * zero-page entry), or NULL if nothing is mapped there
 */
GUPSIM_API struct page *gupsim_follow_page(struct mm_struct *mm, unsigned long addr);
/**@}*/

/** @name Files */
/**@{*/
/** What a gupsim file stands for; it decides page cache, writeback and pin rules. */
enum gupsim_file_kind {
	GUPSIM_FILE_REGULAR,	/**< disk file: dirty-tracked shared mappings, writeback */
	GUPSIM_FILE_SHMEM,	/**< tmpfs */
	GUPSIM_FILE_MEMFD,	/**< memfd_create() (shmem) */
	GUPSIM_FILE_HUGETLBFS,	/**< hugetlbfs, 2 MiB pages */
	GUPSIM_FILE_FSDAX,	/**< fs-DAX: pages in ZONE_DEVICE */
	GUPSIM_FILE_HUGETLBFS_1G, /**< hugetlbfs, 1 GiB pages */
	GUPSIM_FILE_PFNMAP,	/**< device memory mapped VM_IO | VM_PFNMAP */
	GUPSIM_FILE_SECRETMEM,	/**< memfd_secret() */
	GUPSIM_FILE_P2PDMA,	/**< PCI P2PDMA memory (ZONE_DEVICE) */
};
/**
 * @brief Create a file of @p size bytes (zero-filled, pages allocated on
 * first access).
 * @param sim  the machine
 * @param kind what the file stands for
 * @param name a name for dump_page() ("dentry name"), may be NULL
 * @param size size in bytes (hugetlbfs: a multiple of the huge page size)
 * @return the file with one reference (the creator's), or NULL with errno
 * EINVAL (NULL @p sim, unknown @p kind, hugetlbfs size not a multiple of
 * the huge page size, fs-DAX or P2PDMA without cfg.device_mb), EFBIG
 * (over 64 GiB) or ENOMEM
 */
GUPSIM_API struct file *gupsim_file_create(struct gupsim *sim, enum gupsim_file_kind kind,
					   const char *name, size_t size);
/**
 * @brief Drop the creator's reference, as close() does; the mappings keep
 * their own, so the file lives until it is unmapped.
 * @param file the file (NULL is ignored)
 */
GUPSIM_API void gupsim_file_put(struct file *file);
/**
 * @brief Write back dirty folios: write-protect their shared mappings and
 * clean them (page_mkclean), counting in gupsim_writeback_pinned the
 * folios that are folio_maybe_dma_pinned(): the data a device may still
 * be writing (CASE 5 of the kernel document).
 * @param file the file
 * @return the number of folios written back (0 for shmem, memfd and
 * hugetlbfs files, which have no writeback), or -EINVAL for a NULL @p file
 */
GUPSIM_API long gupsim_file_writeback(struct file *file);
/**
 * @brief ftruncate(2): change the file size; pages beyond it leave the page
 * cache and its mappings (pinned ones stay allocated until unpinned).
 * @param file the file
 * @param size new size in bytes
 * @return 0, or -EINVAL (NULL @p file, hugetlbfs size not a multiple of the
 * huge page size), -EFBIG (over 64 GiB), -ENOMEM
 */
GUPSIM_API int gupsim_file_truncate(struct file *file, size_t size);
/**@}*/

/** @name A DMA device */
/**@{*/
/**
 * @brief A device writes @p len bytes at offset @p off of @p page's
 * physical memory: no fault, no COW, no dirty bit, whatever maps the page.
 *
 * With cfg.debug_pins, the pin sanitizer reports (warn handler,
 * gupsim_pin_sanitizer_reports) an access to a page that holds no pin or
 * to a freed folio: DMA into memory the kernel may reuse.
 * @param page the page (the range may continue into the following pages
 *             of the same folio)
 * @param off  byte offset from the start of @p page
 * @param buf  source
 * @param len  number of bytes
 * @return @p len, or -EINVAL (NULL @p page, NULL @p buf with a non-zero
 * @p len, range past the end of the page's folio)
 */
GUPSIM_API long gupsim_dma_write(struct page *page, size_t off, const void *buf, size_t len);
/**
 * @brief A device reads @p len bytes at offset @p off of @p page; checked
 * by the pin sanitizer like gupsim_dma_write().
 * @param page the page
 * @param off  byte offset from the start of @p page
 * @param buf  destination
 * @param len  number of bytes
 * @return @p len, or -EINVAL (NULL page, range past the folio's end)
 */
GUPSIM_API long gupsim_dma_read(struct page *page, size_t off, void *buf, size_t len);
/**@}*/

/** @name Kernel context */
/**@{*/
/**
 * @brief The calling thread's task (`current` in <gupsim/kernel.h>).
 * @return the thread's task; its mm is NULL until gupsim_kthread_use_mm()
 */
GUPSIM_API struct task_struct *gupsim_current(void);
/**
 * @brief kthread_use_mm(): make @p mm the calling thread's current->mm,
 * which the plain, *_fast and *_unlocked GUP variants act on. Using a
 * second mm without unusing the first WARNs (the first is then unused).
 * The thread holds a reference on @p mm (the kernel's mmgrab() + mmget()
 * pairing) until gupsim_kthread_unuse_mm() or until it exits: the owner's
 * last gupsim_mm_put() leaves the mm alive meanwhile. gupsim_destroy() of
 * the machine while a thread still uses one of its mms WARNs; that
 * thread's calls then report a GUP without an mm (process-wide handler).
 * @param mm the address space (NULL WARNs)
 */
GUPSIM_API void gupsim_kthread_use_mm(struct mm_struct *mm);
/**
 * @brief kthread_unuse_mm(): clear current->mm and drop the reference
 * gupsim_kthread_use_mm() took; @p mm must be the one in use (otherwise
 * WARN and no change).
 * @param mm the address space in use
 */
GUPSIM_API void gupsim_kthread_unuse_mm(struct mm_struct *mm);
/**
 * @brief mmap_read_lock(): take @p mm's mmap lock shared.
 * @param mm the address space
 */
GUPSIM_API void gupsim_mmap_read_lock(struct mm_struct *mm);
/**
 * @brief mmap_read_lock_killable(): take the lock shared.
 * @param mm the address space
 * @return 0 (gupsim has no signals, so it never fails), or -EINVAL for a
 * NULL @p mm
 */
GUPSIM_API int gupsim_mmap_read_lock_killable(struct mm_struct *mm);
/**
 * @brief mmap_read_trylock(): take the lock shared without waiting.
 * @param mm the address space
 * @return true if taken
 */
GUPSIM_API bool gupsim_mmap_read_trylock(struct mm_struct *mm);
/**
 * @brief mmap_read_unlock(): release a shared hold.
 * @param mm the address space
 */
GUPSIM_API void gupsim_mmap_read_unlock(struct mm_struct *mm);
/**
 * @brief mmap_write_lock(): take the lock exclusive (as mmap, munmap,
 * mprotect and fork do).
 * @param mm the address space
 */
GUPSIM_API void gupsim_mmap_write_lock(struct mm_struct *mm);
/**
 * @brief mmap_write_unlock(): release an exclusive hold.
 * @param mm the address space
 */
GUPSIM_API void gupsim_mmap_write_unlock(struct mm_struct *mm);
/**
 * @brief find_vma(): the first VMA with vm_end > @p addr (mmap lock held).
 * @param mm   the address space
 * @param addr user address
 * @return the VMA (which may start above @p addr), or NULL
 */
GUPSIM_API struct vm_area_struct *gupsim_find_vma(struct mm_struct *mm, unsigned long addr);
/**
 * @brief vma_lookup(): the VMA containing @p addr (mmap lock held).
 * @param mm   the address space
 * @param addr user address
 * @return the VMA, or NULL
 */
GUPSIM_API struct vm_area_struct *gupsim_vma_lookup(struct mm_struct *mm, unsigned long addr);
/**@}*/

/** @name VMA flags (the kernel's values) */
/**@{*/
/** The kernel's VM_* flag of the same name, with the same value (vma->vm_flags). */
#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL
#define VM_GROWSDOWN	0x00000100UL
#define VM_PFNMAP	0x00000400UL
#define VM_LOCKED	0x00002000UL
#define VM_IO		0x00004000UL
#define VM_DONTCOPY	0x00020000UL
#define VM_DONTEXPAND	0x00040000UL
#define VM_ACCOUNT	0x00100000UL
#define VM_NORESERVE	0x00200000UL
#define VM_HUGETLB	0x00400000UL
#define VM_DONTDUMP	0x04000000UL
#define VM_MIXEDMAP	0x10000000UL
#define VM_HUGEPAGE	0x20000000UL
#define VM_NOHUGEPAGE	0x40000000UL
/**@}*/

/** @name MMU notifiers */
/**@{*/
struct mmu_notifier;
/** Why a range is being invalidated. */
enum mmu_notifier_event {
	MMU_NOTIFY_UNMAP,		/**< munmap, MADV_DONTNEED */
	MMU_NOTIFY_CLEAR,		/**< entries replaced (COW, unshare, THP split) */
	MMU_NOTIFY_PROTECTION_VMA,	/**< mprotect */
	MMU_NOTIFY_PROTECTION_PAGE,	/**< write-protection of pages (fork) */
	MMU_NOTIFY_SOFT_DIRTY,		/**< soft-dirty clearing */
	MMU_NOTIFY_RELEASE,		/**< the mm is torn down */
	MMU_NOTIFY_MIGRATE,		/**< page migration */
	MMU_NOTIFY_EXCLUSIVE,		/**< device-exclusive entries */
};
/** The range being invalidated, passed to the callbacks. */
struct mmu_notifier_range {
	struct mm_struct *mm;		/**< the address space */
	unsigned long start;		/**< first address */
	unsigned long end;		/**< first address after the range */
	enum mmu_notifier_event event;	/**< why */
};
/** A subscriber's callbacks; any may be NULL. */
struct mmu_notifier_ops {
	/** The mm is being torn down: drop everything. */
	void (*release)(struct mmu_notifier *subscription, struct mm_struct *mm);
	/**
	 * Before the range's mappings change (munmap, COW, migration, …):
	 * a driver drops its references on the range's pages here. Return 0.
	 */
	int (*invalidate_range_start)(struct mmu_notifier *subscription,
				      const struct mmu_notifier_range *range);
	/** After the change: the driver may look the pages up again. */
	void (*invalidate_range_end)(struct mmu_notifier *subscription,
				     const struct mmu_notifier_range *range);
};
/** A subscription; embed it in the driver's own structure. */
struct mmu_notifier {
	const struct mmu_notifier_ops *ops; /**< set by the caller */
	struct mm_struct *mm;		/**< set by registration */
	struct mmu_notifier *next;	/**< gupsim's list link */
};
/**
 * @brief mmu_notifier_register(): subscribe to invalidations of @p mm.
 * @param subscription with ops set; must stay valid until unregistered
 * @param mm           the address space
 * @return 0; -EINVAL for a NULL argument, NULL ops or an mm being torn
 * down; -EBUSY if @p subscription is registered already
 */
GUPSIM_API int gupsim_mmu_notifier_register(struct mmu_notifier *subscription,
					    struct mm_struct *mm);
/**
 * @brief mmu_notifier_unregister(): stop the subscription, calling
 * ops->release first unless the mm's teardown already did; no callback
 * runs after it returns. The caller keeps @p mm alive for the call.
 * @param subscription the registered subscription
 * @param mm           the address space it was registered on
 */
GUPSIM_API void gupsim_mmu_notifier_unregister(struct mmu_notifier *subscription,
					       struct mm_struct *mm);
/**@}*/

GUPSIM_END_DECLS

#endif /* GUPSIM_MM_H */
