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
typedef struct { int counter; } atomic_t;
/** The kernel's atomic_long_t. */
typedef struct { long counter; } atomic_long_t;

/** Page size of the simulated machine (x86-64). */
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
/** A PMD maps 2 MiB, a PUD 1 GiB. */
#define PMD_SHIFT		21
#define PMD_SIZE		(1UL << PMD_SHIFT)
#define PMD_MASK		(~(PMD_SIZE - 1))
#define PUD_SHIFT		30
#define PUD_SIZE		(1UL << PUD_SHIFT)
#define PUD_MASK		(~(PUD_SIZE - 1))
#define HPAGE_PMD_ORDER		(PMD_SHIFT - PAGE_SHIFT)
#define HPAGE_PMD_NR		(1 << HPAGE_PMD_ORDER)
#define HPAGE_PUD_ORDER		(PUD_SHIFT - PAGE_SHIFT)
#define HPAGE_PUD_NR		(1 << HPAGE_PUD_ORDER)
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

/*
 * The kernel's page->private and folio->private. `private` is a C++ keyword,
 * so C++ code sees the same field as private_.
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

/**
 * A simulated physical page frame (64 bytes, like the kernel's).
 *
 * flags holds the PG_* bits and the zone; compound_head is (head | 1) in a
 * tail page; _mapcount is -1 when unmapped; _refcount is the reference count
 * (only meaningful in a folio's head page). sim names the machine the page
 * belongs to.
 */
struct page {
	unsigned long flags;
	unsigned long compound_head;
	union {
		struct {			/* order-0 page or folio head */
			struct address_space *mapping;
			pgoff_t index;
			unsigned long GUPSIM_PRIVATE_FIELD;
		};
		struct {			/* page[1] of a large folio */
			unsigned char _folio_order;
			unsigned char _folio_pad[3];
			atomic_t _large_mapcount;
			atomic_t _entire_mapcount;
			atomic_t _nr_pages_mapped;
			atomic_t _pincount;
			unsigned int _folio_nr_pages;
		};
		struct {			/* a free block in the buddy allocator */
			struct page *buddy_next;
			struct page *buddy_prev;
			unsigned long buddy_order;
		};
	};
	atomic_t _mapcount;
	atomic_t _refcount;
	struct gupsim *sim;
	unsigned long _sim_private;	/* page-table lock of a page-table page */
};

/**
 * A folio: one or more physically contiguous pages managed as a unit. It
 * overlays its first two struct pages exactly as in the kernel.
 */
struct folio {
	union {
		struct {
			unsigned long flags;
			unsigned long _head_0;
			struct address_space *mapping;
			pgoff_t index;
			unsigned long GUPSIM_PRIVATE_FIELD;
			atomic_t _mapcount;
			atomic_t _refcount;
			struct gupsim *sim;
			unsigned long _sim_private;
		};
		struct page page;
	};
	union {
		struct {
			unsigned long _flags_1;
			unsigned long _head_1;
			unsigned char _folio_order;
			unsigned char _folio_pad[3];
			atomic_t _large_mapcount;
			atomic_t _entire_mapcount;
			atomic_t _nr_pages_mapped;
			atomic_t _pincount;
			unsigned int _folio_nr_pages;
		};
		struct page __page_1;
	};
};

/** The calling thread's task: `current->mm` via <gupsim/kernel.h>. */
struct task_struct {
	struct mm_struct *mm;
	unsigned int flags;		/* PF_MEMALLOC_PIN, … */
	int pid;
};

struct vm_area_struct;

/** A VMA's operations (a file-backed or special mapping has them). */
struct vm_operations_struct {
	const char *name;
};

/** A virtual memory area: [vm_start, vm_end) of one mm. */
struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct mm_struct *vm_mm;
	unsigned long vm_flags;
	unsigned long vm_pgoff;
	struct file *vm_file;
	const struct vm_operations_struct *vm_ops;
	void *vm_private_data;
	/* gupsim's own fields: do not touch */
	struct vm_area_struct *vm_next;
	struct vm_area_struct *vm_prev;
	struct anon_vma *anon_vma;
	struct vm_area_struct *i_mmap_next;	/* the file's list of mappings */
	struct vm_area_struct *i_mmap_prev;
	unsigned long _sim_flags;
};

GUPSIM_END_DECLS

#endif /* GUPSIM_TYPES_H */
