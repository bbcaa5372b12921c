/* SPDX-License-Identifier: MIT */
/**
 * @file types.h
 * @brief The kernel types gupsim models: struct page, struct folio, VMAs.
 *
 * The layouts follow the kernel's so that kernel-style code (pointer
 * arithmetic on struct page, folio->mapping, vma->vm_flags) compiles as is.
 * struct page is 64 bytes; a large folio keeps its metadata (order,
 * mapcounts, _pincount) in its first tail page, as in the kernel.
 * Fields whose name starts with an underscore are the kernel's private
 * fields: read them through the accessor functions.
 */
#ifndef GUPSIM_TYPES_H
#define GUPSIM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gupsim/export.h>

GUPSIM_BEGIN_DECLS

/** Page-cache index (the kernel's pgoff_t). */
typedef unsigned long pgoff_t;

/**
 * The kernel's atomic_t. Accessed only through the library's atomic backend
 * (C11 <stdatomic.h> or libatomic_ops); plain int storage keeps the public
 * headers valid C11 and C++.
 */
typedef struct { int counter; /**< the value (library accessors only) */ } atomic_t;
/** The kernel's atomic_long_t. */
typedef struct { long counter; /**< the value (library accessors only) */ } atomic_long_t;

/** @name Page and huge page geometry of the simulated machine (x86-64) */
/**@{*/
#define PAGE_SHIFT		12			/**< log2 of PAGE_SIZE */
#define PAGE_SIZE		(1UL << PAGE_SHIFT)	/**< 4096 */
/* spelt as <sys/user.h> spells them, so both headers may be included */
#define PAGE_MASK		(~(PAGE_SIZE-1))	/**< clears the offset in a page */
#define PMD_SHIFT		21			/**< a PMD entry maps 2 MiB */
#define PMD_SIZE		(1UL << PMD_SHIFT)	/**< 2 MiB */
#define PMD_MASK		(~(PMD_SIZE - 1))	/**< clears the offset in a PMD */
#define PUD_SHIFT		30			/**< a PUD entry maps 1 GiB */
#define PUD_SIZE		(1UL << PUD_SHIFT)	/**< 1 GiB */
#define PUD_MASK		(~(PUD_SIZE - 1))	/**< clears the offset in a PUD */
#define HPAGE_PMD_ORDER		(PMD_SHIFT - PAGE_SHIFT) /**< 9: order of a PMD THP */
#define HPAGE_PMD_NR		(1 << HPAGE_PMD_ORDER)	/**< 512 pages in a PMD THP */
#define HPAGE_PUD_ORDER		(PUD_SHIFT - PAGE_SHIFT) /**< 18: order of a 1 GiB page */
#define HPAGE_PUD_NR		(1 << HPAGE_PUD_ORDER)	/**< 262144 pages in a 1 GiB page */
/**@}*/
/** The largest folio order the allocator hands out (1 GiB). */
#define MAX_PAGE_ORDER		HPAGE_PUD_ORDER
/** One user pin adds this much to a small folio's _refcount. */
#define GUP_PIN_COUNTING_BIAS	(1U << 10)

/** The zones of the simulated machine. */
enum zone_type {
	ZONE_NORMAL,
	ZONE_MOVABLE,
	ZONE_DEVICE,
	__MAX_NR_ZONES
};

/**
 * The name of the kernel's page->private and folio->private field:
 * `private` in C; `private` is a C++ keyword, so C++ code sees the same
 * field as `private_`.
 */
#ifdef __cplusplus
#define GUPSIM_PRIVATE_FIELD private_
#else
#define GUPSIM_PRIVATE_FIELD private
#endif

struct gupsim;
struct address_space;
struct mm_struct;
struct file;
struct anon_vma;

/* clang -Wpedantic: the anonymous structs below are C11, fine in C++ too */
#if defined(__cplusplus) && defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnested-anon-types"
#pragma clang diagnostic ignored "-Wgnu-anonymous-struct"
#endif

/**
 * A simulated physical page frame (64 bytes, like the kernel's).
 *
 * flags holds the PG_* bits and the zone; compound_head is (head | 1) in a
 * tail page; _mapcount is -1 when unmapped; _refcount is the reference count
 * (only meaningful in a folio's head page). sim names the machine the page
 * belongs to.
 */
struct page {
	unsigned long flags;		/**< PG_* bits; the zone in the top bits */
	unsigned long compound_head;	/**< (head | 1) in a tail page, else 0 */
	union {
		GUPSIM_ANON_STRUCT {			/* order-0 page or folio head */
			/** anon_vma | 1 for anon, the file's mapping, or NULL */
			struct address_space *mapping;
			pgoff_t index;		/**< offset in the file, or address >> PAGE_SHIFT */
			unsigned long GUPSIM_PRIVATE_FIELD; /**< owner's private word */
		};
		GUPSIM_ANON_STRUCT {			/* page[1] of a large folio */
			unsigned char _folio_order;	/**< the folio's order */
			unsigned char _folio_pad[3];	/**< padding */
			atomic_t _large_mapcount;	/**< all mappings of the folio, -1 based */
			atomic_t _entire_mapcount;	/**< PMD/PUD mappings, -1 based */
			atomic_t _nr_pages_mapped;	/**< pages mapped by PTEs */
			atomic_t _pincount;		/**< exact pins of a large folio */
			unsigned int _folio_nr_pages;	/**< 1 << _folio_order */
		};
		GUPSIM_ANON_STRUCT {			/* a free block in the buddy allocator */
			struct page *buddy_next;	/**< next free block of this order */
			struct page *buddy_prev;	/**< previous free block */
			unsigned long buddy_order;	/**< order of the free block */
		};
	};
	atomic_t _mapcount;		/**< PTE mappings of this page, -1 based */
	atomic_t _refcount;		/**< references (a folio's head only; 0 in tails) */
	struct gupsim *sim;		/**< the machine the page belongs to */
	unsigned long _sim_private;	/**< page-table lock of a page-table page */
};

/**
 * A folio: one or more physically contiguous pages managed as a unit. It
 * overlays its first two struct pages exactly as in the kernel.
 */
struct folio {
	union {
		GUPSIM_ANON_STRUCT {
			unsigned long flags;		/**< the head page's flags */
			unsigned long _head_0;		/**< 0: the head is no tail */
			struct address_space *mapping;	/**< anon_vma | 1, file mapping, or NULL */
			pgoff_t index;			/**< offset of the first page */
			unsigned long GUPSIM_PRIVATE_FIELD; /**< owner's private word */
			atomic_t _mapcount;		/**< the head page's own PTE mapcount */
			atomic_t _refcount;		/**< the folio's reference count */
			struct gupsim *sim;		/**< the machine */
			unsigned long _sim_private;	/**< gupsim's own use */
		};
		struct page page;		/**< the head page */
	};
	union {
		GUPSIM_ANON_STRUCT {
			unsigned long _flags_1;		/**< page[1]'s flags */
			unsigned long _head_1;		/**< page[1]'s compound_head */
			unsigned char _folio_order;	/**< order (large folios only) */
			unsigned char _folio_pad[3];	/**< padding */
			atomic_t _large_mapcount;	/**< all mappings, -1 based */
			atomic_t _entire_mapcount;	/**< PMD/PUD mappings, -1 based */
			atomic_t _nr_pages_mapped;	/**< pages mapped by PTEs */
			atomic_t _pincount;		/**< exact pin count (large folios) */
			unsigned int _folio_nr_pages;	/**< number of pages */
		};
		struct page __page_1;		/**< the first tail page */
	};
};

#if defined(__cplusplus) && defined(__clang__)
#pragma clang diagnostic pop
#endif

/** The calling thread's task: `current->mm` via <gupsim/kernel.h>. */
struct task_struct {
	struct mm_struct *mm;		/**< set by kthread_use_mm(), else NULL */
	unsigned int flags;		/**< PF_* bits (PF_MEMALLOC_PIN, …) */
	int pid;			/**< the thread's id */
};

struct vm_area_struct;

/** A VMA's operations (a file-backed or special mapping has them). */
struct vm_operations_struct {
	const char *name;		/**< which kind of mapping (for messages) */
};

/** A virtual memory area: [vm_start, vm_end) of one mm. */
struct vm_area_struct {
	unsigned long vm_start;		/**< first address */
	unsigned long vm_end;		/**< first address after the VMA */
	struct mm_struct *vm_mm;	/**< the address space */
	unsigned long vm_flags;		/**< VM_* flags */
	unsigned long vm_pgoff;		/**< file offset in pages (anon: vm_start >> PAGE_SHIFT) */
	struct file *vm_file;		/**< the mapped file, or NULL */
	const struct vm_operations_struct *vm_ops; /**< NULL for anonymous memory */
	void *vm_private_data;		/**< owner's private pointer */
	/* gupsim's own fields: do not touch */
	struct vm_area_struct *vm_next;	/**< gupsim: next VMA by address */
	struct vm_area_struct *vm_prev;	/**< gupsim: previous VMA */
	struct anon_vma *anon_vma;	/**< gupsim: the fork family's anon_vma */
	struct vm_area_struct *i_mmap_next; /**< gupsim: the file's list of mappings */
	struct vm_area_struct *i_mmap_prev; /**< gupsim: the file's list of mappings */
	unsigned long _sim_flags;	/**< gupsim: private VMA flags */
	struct vm_area_struct *vm_tree_left;  /**< gupsim: the mm's VMA tree */
	struct vm_area_struct *vm_tree_right; /**< gupsim: the mm's VMA tree */
	unsigned long vm_tree_gap;	/**< gupsim: largest gap below a VMA of the subtree */
	int vm_tree_height;		/**< gupsim: height of the subtree */
};

GUPSIM_END_DECLS

#endif /* GUPSIM_TYPES_H */
