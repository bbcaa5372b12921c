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
	GUPSIM_THP_NEVER,
	GUPSIM_THP_MADVISE,
	GUPSIM_THP_ALWAYS,
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
	/* more fields may follow; never reorder */
};

/** @brief Fill @p cfg with the defaults. */
GUPSIM_API void gupsim_config_init(struct gupsim_config *cfg);
/**
 * @brief Create a simulated machine.
 * @param cfg configuration, or NULL for the defaults
 * @return the machine, or NULL with errno EINVAL (impossible sizes) or ENOMEM
 */
GUPSIM_API struct gupsim *gupsim_create(const struct gupsim_config *cfg);
/** @brief Destroy a machine and every mm, file and page it still holds. */
GUPSIM_API void gupsim_destroy(struct gupsim *sim);
/** @brief Library version string ("MAJOR.MINOR.PATCH"). */
GUPSIM_API const char *gupsim_version(void);

/** @brief Warning handler: receives each WARN's full text. */
typedef void (*gupsim_warn_fn)(void *arg, const char *message);
/** @brief Install a WARN handler; NULL @p fn restores the default (stderr). */
GUPSIM_API void gupsim_set_warn_handler(struct gupsim *sim, gupsim_warn_fn fn, void *arg);
/** @brief Stream for dump_page() and the default WARN text (stderr by default). */
GUPSIM_API void gupsim_set_log(struct gupsim *sim, FILE *out);
/** @brief The machine @p mm belongs to. */
GUPSIM_API struct gupsim *gupsim_mm_sim(struct mm_struct *mm);

/** @name Address spaces */
/**@{*/
/** @brief A new, empty address space (refcount 1). NULL + errno on error. */
GUPSIM_API struct mm_struct *gupsim_mm_create(struct gupsim *sim);
/** @brief mmput(): drop a reference; the last one tears everything down. */
GUPSIM_API void gupsim_mm_put(struct mm_struct *mm);
/** @brief mmget(): take a reference on @p mm. */
GUPSIM_API void gupsim_mm_get(struct mm_struct *mm);
/** @brief fork(): copy @p parent with the kernel's rules. ERR_PTR on error. */
GUPSIM_API struct mm_struct *gupsim_fork(struct mm_struct *parent);
/** @brief Whether MMF_HAS_PINNED is set on @p mm. */
GUPSIM_API bool gupsim_mm_has_pinned(struct mm_struct *mm);

/**
 * @brief mmap(2). @p prot, @p flags are the host's PROT_* and MAP_* values.
 * @return the address, or a negative errno (test with IS_ERR_VALUE)
 */
GUPSIM_API unsigned long gupsim_mmap(struct mm_struct *mm, unsigned long addr, size_t len,
				     int prot, int flags, struct file *file, off_t off);
GUPSIM_API int gupsim_munmap(struct mm_struct *mm, unsigned long addr, size_t len);
GUPSIM_API int gupsim_mprotect(struct mm_struct *mm, unsigned long addr, size_t len, int prot);
GUPSIM_API int gupsim_madvise(struct mm_struct *mm, unsigned long addr, size_t len, int advice);
/** @brief A user read: faults like a CPU; bytes read or -EFAULT. */
GUPSIM_API long gupsim_read(struct mm_struct *mm, unsigned long addr, void *buf, size_t len);
/** @brief A user write: faults like a CPU; bytes written or -EFAULT. */
GUPSIM_API long gupsim_write(struct mm_struct *mm, unsigned long addr, const void *buf,
			     size_t len);
/** @brief The page mapped at @p addr (no fault, no reference), or NULL. */
GUPSIM_API struct page *gupsim_follow_page(struct mm_struct *mm, unsigned long addr);
/**@}*/

/** @name Files */
/**@{*/
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
/** @brief Create a file of @p size bytes; NULL + errno on error. */
GUPSIM_API struct file *gupsim_file_create(struct gupsim *sim, enum gupsim_file_kind kind,
					   const char *name, size_t size);
/** @brief Drop the creator's reference (mappings keep their own). */
GUPSIM_API void gupsim_file_put(struct file *file);
/**
 * @brief Write back dirty folios: write-protect their shared mappings and
 * clean them, counting folios that are maybe DMA-pinned.
 * @return the number of folios written back, or a negative errno
 */
GUPSIM_API long gupsim_file_writeback(struct file *file);
GUPSIM_API int gupsim_file_truncate(struct file *file, size_t size);
/**@}*/

/** @name A DMA device */
/**@{*/
/** @brief A device writes @p len bytes at @p off of @p page (no fault, no COW). */
GUPSIM_API long gupsim_dma_write(struct page *page, size_t off, const void *buf, size_t len);
GUPSIM_API long gupsim_dma_read(struct page *page, size_t off, void *buf, size_t len);
/**@}*/

/** @name Kernel context */
/**@{*/
/** @brief The calling thread's task (`current` in <gupsim/kernel.h>). */
GUPSIM_API struct task_struct *gupsim_current(void);
GUPSIM_API void gupsim_kthread_use_mm(struct mm_struct *mm);
GUPSIM_API void gupsim_kthread_unuse_mm(struct mm_struct *mm);
GUPSIM_API void gupsim_mmap_read_lock(struct mm_struct *mm);
GUPSIM_API int gupsim_mmap_read_lock_killable(struct mm_struct *mm);
GUPSIM_API bool gupsim_mmap_read_trylock(struct mm_struct *mm);
GUPSIM_API void gupsim_mmap_read_unlock(struct mm_struct *mm);
GUPSIM_API void gupsim_mmap_write_lock(struct mm_struct *mm);
GUPSIM_API void gupsim_mmap_write_unlock(struct mm_struct *mm);
/** @brief The first VMA with vm_end > @p addr (mmap lock held). */
GUPSIM_API struct vm_area_struct *gupsim_find_vma(struct mm_struct *mm, unsigned long addr);
/** @brief The VMA containing @p addr, or NULL (mmap lock held). */
GUPSIM_API struct vm_area_struct *gupsim_vma_lookup(struct mm_struct *mm, unsigned long addr);
/**@}*/

/** @name VMA flags (the kernel's values) */
/**@{*/
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
	MMU_NOTIFY_UNMAP,
	MMU_NOTIFY_CLEAR,
	MMU_NOTIFY_PROTECTION_VMA,
	MMU_NOTIFY_PROTECTION_PAGE,
	MMU_NOTIFY_SOFT_DIRTY,
	MMU_NOTIFY_RELEASE,
	MMU_NOTIFY_MIGRATE,
	MMU_NOTIFY_EXCLUSIVE,
};
struct mmu_notifier_range {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	enum mmu_notifier_event event;
};
struct mmu_notifier_ops {
	void (*release)(struct mmu_notifier *subscription, struct mm_struct *mm);
	int (*invalidate_range_start)(struct mmu_notifier *subscription,
				      const struct mmu_notifier_range *range);
	void (*invalidate_range_end)(struct mmu_notifier *subscription,
				     const struct mmu_notifier_range *range);
};
struct mmu_notifier {
	const struct mmu_notifier_ops *ops;
	struct mm_struct *mm;
	struct mmu_notifier *next;	/* gupsim's list link */
};
GUPSIM_API int gupsim_mmu_notifier_register(struct mmu_notifier *subscription,
					    struct mm_struct *mm);
GUPSIM_API void gupsim_mmu_notifier_unregister(struct mmu_notifier *subscription,
					       struct mm_struct *mm);
/**@}*/

GUPSIM_END_DECLS

#endif /* GUPSIM_MM_H */
