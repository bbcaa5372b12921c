// SPDX-License-Identifier: MIT
/*
 * Files: the simulated filesystems a mapping can be backed by, the struct
 * file objects, and the predicates the mm and GUP code ask about a
 * mapping. One file per "inode": the page cache in struct address_space
 * (filemap.c), an i_mmap list of the VMAs that map it, a refcount.
 *
 *   kind             mapping flags            folios                  aops
 *   REGULAR          AS_WRITEBACK             small, movable          ext4_da_aops
 *   SHMEM, MEMFD     AS_SHMEM                 small, movable          shmem_aops
 *   HUGETLBFS(_1G)   AS_HUGETLB               hugetlb pool folios     hugetlbfs_aops
 *   FSDAX            AS_FSDAX | AS_WRITEBACK  ZONE_DEVICE (fsdax)     ext4_dax_aops
 *   PFNMAP           AS_PFNMAP                device frames (kernel)  -
 *   SECRETMEM        AS_SECRETMEM             small, unmovable        secretmem_aops
 *   P2PDMA           AS_P2PDMA                ZONE_DEVICE (p2pdma)    -
 *
 * semantics.md §1.7: shmem/tmpfs and hugetlbfs cannot write back, so their shared
 * writable mappings need no dirty tracking; disk filesystems (ext4, and
 * fs-DAX on ext4) can, so theirs do.
 *
 * Refcounting (like struct file's f_count): the creator holds one reference, each mapping
 * one (vm_area_dup takes one for fork). The last fput() drops the page
 * cache and frees the file; files_destroy() frees what is left when the
 * machine goes away (the creator may never have called gupsim_file_put).
 */
#include <stdlib.h>

#include "internal.h"

struct file_kind_desc {
	const char *aops;
	unsigned long as_flags;
	unsigned int hugetlb_order;	/* 0: not hugetlbfs */
	const char *name_prefix;
};

static const struct file_kind_desc file_kinds[] = {
	[GUPSIM_FILE_REGULAR]	= { "ext4_da_aops", AS_WRITEBACK, 0, "" },
	[GUPSIM_FILE_SHMEM]	= { "shmem_aops", AS_SHMEM, 0, "" },
	[GUPSIM_FILE_MEMFD]	= { "shmem_aops", AS_SHMEM, 0, "memfd:" },
	[GUPSIM_FILE_HUGETLBFS]	= { "hugetlbfs_aops", AS_HUGETLB, HPAGE_PMD_ORDER, "" },
	[GUPSIM_FILE_FSDAX]	= { "ext4_dax_aops", AS_FSDAX | AS_WRITEBACK, 0, "" },
	[GUPSIM_FILE_HUGETLBFS_1G] = { "hugetlbfs_aops", AS_HUGETLB, HPAGE_PUD_ORDER, "" },
	[GUPSIM_FILE_PFNMAP]	= { NULL, AS_PFNMAP, 0, "" },
	[GUPSIM_FILE_SECRETMEM]	= { "secretmem_aops", AS_SECRETMEM, 0, "" },
	[GUPSIM_FILE_P2PDMA]	= { NULL, AS_P2PDMA, 0, "" },
};

static const struct file_kind_desc *file_kind(enum gupsim_file_kind kind)
{
	if ((unsigned int)kind >= ARRAY_SIZE(file_kinds))
		return NULL;
	return &file_kinds[kind];
}

/* The order of the folios a hugetlbfs file caches (0 for other files). */
unsigned int file_hugetlb_order(const struct file *file)
{
	return file_kinds[file->kind].hugetlb_order;
}

static int file_check_size(struct gupsim *sim, const struct file_kind_desc *desc,
			   size_t size)
{
	if (size > FILE_MAX_BYTES)
		return -EFBIG;
	/* hugetlbfs sizes are whole huge pages (ftruncate rounds in the kernel;
	 * gupsim asks for the exact size) */
	if (desc->hugetlb_order && !IS_ALIGNED(size, PAGE_SIZE << desc->hugetlb_order))
		return -EINVAL;
	/* ZONE_DEVICE files need the machine to have device memory */
	if ((desc->as_flags & (AS_FSDAX | AS_P2PDMA)) && !sim->cfg.device_mb)
		return -EINVAL;
	return 0;
}

static void file_set_name(struct file *file, const struct file_kind_desc *desc,
			  const char *name)
{
	snprintf(file->name, sizeof(file->name), "%s%s", desc->name_prefix, name ? name : "");
}

static struct file *file_alloc(struct gupsim *sim, enum gupsim_file_kind kind,
			       const struct file_kind_desc *desc, size_t size)
{
	struct file *file = calloc(1, sizeof(*file));

	if (!file)
		return NULL;
	file->sim = sim;
	file->kind = kind;
	file->size = size;
	atomic_set(&file->refcount, 1);
	file->mapping.host = file;
	file->mapping.flags = desc->as_flags;
	file->mapping.a_ops_name = desc->aops;
	pthread_mutex_init(&file->mapping.lock, NULL);
	if (filemap_init(&file->mapping, size)) {
		pthread_mutex_destroy(&file->mapping.lock);
		free(file);
		return NULL;
	}
	return file;
}

static void file_list_add(struct gupsim *sim, struct file *file)
{
	pthread_mutex_lock(&sim->file_list_lock);
	file->ino = ++sim->next_ino;
	file->list_next = sim->file_list;
	sim->file_list = file;
	pthread_mutex_unlock(&sim->file_list_lock);
}

static void file_list_del(struct gupsim *sim, struct file *file)
{
	pthread_mutex_lock(&sim->file_list_lock);
	for (struct file **pp = &sim->file_list; *pp; pp = &(*pp)->list_next) {
		if (*pp == file) {
			*pp = file->list_next;
			break;
		}
	}
	pthread_mutex_unlock(&sim->file_list_lock);
}

static void file_free(struct file *file)
{
	filemap_destroy(&file->mapping);
	pthread_mutex_destroy(&file->mapping.lock);
	free(file);
}

struct file *gupsim_file_create(struct gupsim *sim, enum gupsim_file_kind kind,
				const char *name, size_t size)
{
	const struct file_kind_desc *desc = file_kind(kind);
	struct file *file;
	int err;

	if (!sim || !desc) {
		errno = EINVAL;
		return NULL;
	}
	err = file_check_size(sim, desc, size);
	if (err) {
		errno = -err;
		return NULL;
	}
	file = file_alloc(sim, kind, desc, size);
	if (!file) {
		errno = ENOMEM;
		return NULL;
	}
	file_set_name(file, desc, name);
	file_list_add(sim, file);
	return file;
}

void get_file(struct file *file)
{
	atomic_inc(&file->refcount);
}

/*
 * The last reference: no VMA maps the file any more (each holds a
 * reference), so dropping the page cache unmaps nothing.
 */
void fput(struct file *file)
{
	struct gupsim *sim = file->sim;
	int c = atomic_dec_return(&file->refcount);

	if (c > 0)
		return;
	if (WARN(sim, c < 0, "file %lu: fput() with refcount %d\n", file->ino, c + 1)) {
		atomic_set(&file->refcount, 0);
		return;
	}
	/* a mapping's reference is missing: keep the file, files_destroy() frees it */
	if (WARN(sim, READ_ONCE_UL(&file->mapping.i_mmap) != 0,
		 "file %lu freed while still mapped\n", file->ino))
		return;
	file_list_del(sim, file);
	/*
	 * GUP-fast reads folio->mapping and then the mapping's flags with no
	 * lock (gup_fast_folio_allowed()): the kernel frees the inode only
	 * after an RCU grace period, which cannot end while a walker has
	 * interrupts disabled. Wait for the walkers inside a walk to leave.
	 */
	tlb_remove_table_sync_one(sim);
	file_free(file);
}

/*
 * The creator's reference goes once. A second call would drop a mapping's
 * reference (and free the file under it): WARN and change nothing. After
 * the file is unmapped and freed, a second call is a use after free the
 * caller must avoid, as close() of a closed descriptor would be.
 */
void gupsim_file_put(struct file *file)
{
	if (!file)
		return;
	if (WARN(file->sim, xchg_ul(&file->creator_put, 1) != 0,
		 "file %lu: gupsim_file_put() called twice\n", file->ino))
		return;
	fput(file);
}

/* gupsim_destroy(), after every mm is gone: free the files left behind. */
void files_destroy(struct gupsim *sim)
{
	struct file *file;

	pthread_mutex_lock(&sim->file_list_lock);
	file = sim->file_list;
	sim->file_list = NULL;
	pthread_mutex_unlock(&sim->file_list_lock);
	while (file) {
		struct file *next = file->list_next;

		file_free(file);
		file = next;
	}
}

/* ---- predicates on mappings and VMAs ---- */

bool shmem_mapping(const struct address_space *mapping)
{
	return mapping && (mapping->flags & AS_SHMEM);
}

static unsigned long vma_as_flags(const struct vm_area_struct *vma)
{
	return vma->vm_file ? vma->vm_file->mapping.flags : 0;
}

bool vma_is_shmem(const struct vm_area_struct *vma)
{
	return vma_as_flags(vma) & AS_SHMEM;
}

bool vma_is_fsdax(const struct vm_area_struct *vma)
{
	return vma_as_flags(vma) & AS_FSDAX;
}

bool vma_is_secretmem(const struct vm_area_struct *vma)
{
	return vma_as_flags(vma) & AS_SECRETMEM;
}

/*
 * semantics.md §1.7 vma_needs_dirty_tracking(): shared and writable, and the
 * filesystem can write back (gupsim models no vm_ops that want
 * write-notify on their own).
 */
bool vma_needs_dirty_tracking(const struct vm_area_struct *vma)
{
	if ((vma->vm_flags & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE))
		return false;
	return vma_as_flags(vma) & AS_WRITEBACK;
}

/*
 * The order of the huge pages of a hugetlb VMA: its hugetlbfs file's, or
 * for a VM_HUGETLB VMA without one (MAP_HUGETLB anonymous memory set up
 * without a file) the default 2 MiB.
 */
unsigned int vma_hugetlb_order(const struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_HUGETLB))
		return 0;
	if (vma->vm_file && (vma->vm_file->mapping.flags & AS_HUGETLB))
		return file_hugetlb_order(vma->vm_file);
	return HPAGE_PMD_ORDER;
}
