// SPDX-License-Identifier: MIT
/*
 * The page cache, the i_mmap list of a file's mappings, truncation and
 * writeback (mm/filemap.c, mm/truncate.c, mm/page-writeback.c).
 *
 * mapping->cache is a flat array with one slot per PAGE_SIZE of the file;
 * a large folio (hugetlbfs) sits in every slot it covers and its index is
 * that of its first page. The cache holds folio_nr_pages() references on
 * each folio (the rmap conventions in mm_internal.h). Regular files, shmem,
 * memfd and secretmem cache small folios; fs-DAX and P2PDMA files hold one
 * ZONE_DEVICE page per slot. A PFNMAP file's "cache" holds the device's
 * frames (kernel pages, as a driver's remap_pfn_range() buffer): the fault
 * path maps their pfns with special entries, without references.
 * The array and the i_mmap list are only touched under mapping->lock.
 *
 * Lock order: mmap_lock -> folio lock -> mapping->lock -> page-table lock.
 */
#include <stdlib.h>

#include "internal.h"

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

static unsigned long size_to_slots(size_t size)
{
	return DIV_ROUND_UP((unsigned long)size, PAGE_SIZE);
}

static void folio_set_mapping(struct folio *folio, struct address_space *mapping)
{
	WRITE_ONCE_UL((unsigned long *)&folio->mapping, (unsigned long)mapping);
}

int filemap_init(struct address_space *mapping, size_t size)
{
	unsigned long nr = size_to_slots(size);

	mapping->nr_slots = nr;
	mapping->cache = NULL;
	if (!nr)
		return 0;
	mapping->cache = calloc(nr, sizeof(*mapping->cache));
	return mapping->cache ? 0 : -ENOMEM;
}

/* Take the folios of slots [start, end) out of the cache; each once. */
static unsigned long page_cache_detach(struct address_space *mapping, unsigned long start,
				       unsigned long end, struct folio **out)
{
	unsigned long n = 0;

	for (unsigned long i = start; i < end; i++) {
		struct folio *folio = mapping->cache[i];

		if (!folio)
			continue;
		if (folio->index == i || i == start)
			out[n++] = folio;
		mapping->cache[i] = NULL;
	}
	return n;
}

/* The cache's references go; the folio is no longer file-backed. */
static void page_cache_release(struct folio **folios, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		struct folio *folio = folios[i];

		folio_set_mapping(folio, NULL);
		ClearPageFlag(&folio->page, PG_dirty);
		folio_put_refs(folio, (int)folio_nr_pages(folio));
	}
}

/* The last fput() or files_destroy(): nothing maps the file any more. */
void filemap_destroy(struct address_space *mapping)
{
	for (unsigned long i = 0; i < mapping->nr_slots; i++) {
		struct folio *folio = mapping->cache[i];

		if (!folio || folio->index != i)
			continue;
		page_cache_release(&folio, 1);
	}
	free(mapping->cache);
	mapping->cache = NULL;
	mapping->nr_slots = 0;
}

/* ---- lookup and insertion ---- */

static struct folio *filemap_alloc_folio(struct file *file)
{
	struct gupsim *sim = file->sim;
	unsigned long flags = file->mapping.flags;

	if (flags & AS_HUGETLB)
		return hugetlb_folio_alloc(sim, file_hugetlb_order(file));
	if (flags & AS_FSDAX)
		return device_folio_alloc(sim, PGMAP_FSDAX);
	if (flags & AS_P2PDMA)
		return device_folio_alloc(sim, PGMAP_P2PDMA);
	/* secretmem pages and device frames are never movable */
	if (flags & (AS_SECRETMEM | AS_PFNMAP))
		return folio_alloc_gfp(sim, 0, GFP_KERNEL | __GFP_ZERO);
	return folio_alloc_gfp(sim, 0, GFP_HIGHUSER_MOVABLE | __GFP_ZERO);
}

/* __filemap_add_folio(): the cache takes folio_nr_pages() references. */
static void page_cache_insert(struct address_space *mapping, struct folio *folio,
			      pgoff_t first)
{
	long nr = folio_nr_pages(folio);

	folio->index = first;
	SetPageFlag(&folio->page, PG_uptodate);
	if (mapping->flags & AS_SHMEM)
		SetPageFlag(&folio->page, PG_swapbacked);
	folio_set_mapping(folio, mapping);
	folio_ref_add(folio, (int)nr);
	for (long i = 0; i < nr; i++)
		mapping->cache[first + i] = folio;
}

/*
 * Errors (*err): -EINVAL beyond the end of the file (a fault there is
 * SIGBUS), -ENOENT not cached and !@create, -ENOMEM no memory (or an
 * empty hugetlb pool).
 */
struct folio *filemap_get_folio(struct file *file, pgoff_t index, bool create, int *err)
{
	struct address_space *mapping = &file->mapping;
	struct folio *folio = NULL;
	int dummy;

	if (!err)
		err = &dummy;
	*err = 0;
	pthread_mutex_lock(&mapping->lock);
	if (index >= mapping->nr_slots) {
		*err = -EINVAL;
		goto out;
	}
	folio = mapping->cache[index];
	if (folio) {
		folio_get(folio);
		goto out;
	}
	if (!create) {
		*err = -ENOENT;
		goto out;
	}
	folio = filemap_alloc_folio(file);
	if (!folio) {
		*err = -ENOMEM;
		goto out;
	}
	/* the allocation's reference is the caller's */
	page_cache_insert(mapping, folio, ALIGN_DOWN(index, (pgoff_t)folio_nr_pages(folio)));
out:
	pthread_mutex_unlock(&mapping->lock);
	return folio;
}

struct folio *filemap_lookup(struct file *file, pgoff_t index)
{
	return filemap_get_folio(file, index, false, NULL);
}

/*
 * Migration: @new_ takes @old's place in every slot, with its mapping,
 * index and state; the cache's folio_nr_pages() references move from @old
 * to @new_. The caller holds its own references on both.
 */
void filemap_replace_folio(struct folio *old, struct folio *new_)
{
	struct address_space *mapping = folio_mapping(old);
	long nr = folio_nr_pages(old);
	pgoff_t first = old->index;

	if (WARN(old->sim, !mapping || folio_nr_pages(new_) != nr,
		 "filemap_replace_folio: folio not in a page cache or of another size\n"))
		return;
	pthread_mutex_lock(&mapping->lock);
	if (first + (unsigned long)nr > mapping->nr_slots || mapping->cache[first] != old) {
		pthread_mutex_unlock(&mapping->lock);
		return;		/* truncated meanwhile */
	}
	new_->index = first;
	SetPageFlag(&new_->page, PG_uptodate);
	if (PageFlag(&old->page, PG_swapbacked))
		SetPageFlag(&new_->page, PG_swapbacked);
	if (test_and_clear_bit(PG_dirty, &old->flags))
		folio_mark_dirty(new_);
	folio_set_mapping(new_, mapping);
	folio_ref_add(new_, (int)nr);
	for (long i = 0; i < nr; i++)
		mapping->cache[first + i] = new_;
	pthread_mutex_unlock(&mapping->lock);
	folio_put_refs(old, (int)nr);
}

/* ---- i_mmap: the VMAs that map a file ---- */

static bool i_mmap_contains(struct address_space *mapping, struct vm_area_struct *vma)
{
	for (struct vm_area_struct *v = mapping->i_mmap; v; v = v->i_mmap_next)
		if (v == vma)
			return true;
	return false;
}

/*
 * Both are idempotent: a VMA copied by vm_area_dup() carries its
 * original's links, so membership is checked on the list itself.
 */
void vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping;

	if (!vma->vm_file)
		return;
	mapping = &vma->vm_file->mapping;
	pthread_mutex_lock(&mapping->lock);
	if (!i_mmap_contains(mapping, vma)) {
		vma->i_mmap_prev = NULL;
		vma->i_mmap_next = mapping->i_mmap;
		if (mapping->i_mmap)
			mapping->i_mmap->i_mmap_prev = vma;
		WRITE_ONCE_UL((unsigned long *)&mapping->i_mmap, (unsigned long)vma);
	}
	pthread_mutex_unlock(&mapping->lock);
}

void vma_unlink_file(struct vm_area_struct *vma)
{
	struct address_space *mapping;

	if (!vma->vm_file)
		return;
	mapping = &vma->vm_file->mapping;
	pthread_mutex_lock(&mapping->lock);
	if (i_mmap_contains(mapping, vma)) {
		if (vma->i_mmap_prev)
			vma->i_mmap_prev->i_mmap_next = vma->i_mmap_next;
		else
			WRITE_ONCE_UL((unsigned long *)&mapping->i_mmap,
				      (unsigned long)vma->i_mmap_next);
		if (vma->i_mmap_next)
			vma->i_mmap_next->i_mmap_prev = vma->i_mmap_prev;
	}
	vma->i_mmap_next = NULL;
	vma->i_mmap_prev = NULL;
	pthread_mutex_unlock(&mapping->lock);
}

/* ---- truncation: the page-cache half ---- */

static int filemap_resize(struct address_space *mapping, unsigned long nr)
{
	struct folio **cache;

	if (!nr) {
		free(mapping->cache);
		mapping->cache = NULL;
		return 0;
	}
	cache = realloc(mapping->cache, nr * sizeof(*cache));
	if (!cache)
		return -ENOMEM;
	if (nr > mapping->nr_slots)
		memset(cache + mapping->nr_slots, 0, (nr - mapping->nr_slots) * sizeof(*cache));
	mapping->cache = cache;
	return 0;
}

/* truncate_inode_partial_folio(): the bytes past the new end read zero. */
static void zero_partial_tail(struct address_space *mapping, size_t size)
{
	unsigned long idx = (unsigned long)size >> PAGE_SHIFT;
	size_t off = size & (PAGE_SIZE - 1);
	struct folio *folio;

	if (!off || idx >= mapping->nr_slots)
		return;
	folio = mapping->cache[idx];
	if (folio) {
		struct page *page = folio_page(folio, idx - folio->index);

		page_data_zero(page, off, PAGE_SIZE - off);
	}
}

/*
 * Set the file's size to @size: slots past the new end lose their folios,
 * which are handed back in *@gone (their cache references still held, see
 * filemap_release_folios()); a partial last page is zeroed past the end.
 * Returns the number of slots before, or -ENOMEM.
 */
long filemap_set_size(struct file *file, size_t size, struct folio ***gone,
		     unsigned long *nr_gone)
{
	struct address_space *mapping = &file->mapping;
	unsigned long old_nr, new_nr = size_to_slots(size);
	struct folio **out = NULL;
	unsigned long n = 0;
	int err;

	pthread_mutex_lock(&mapping->lock);
	old_nr = mapping->nr_slots;
	if (new_nr < old_nr) {
		out = malloc((old_nr - new_nr) * sizeof(*out));
		if (!out) {
			pthread_mutex_unlock(&mapping->lock);
			return -ENOMEM;
		}
		n = page_cache_detach(mapping, new_nr, old_nr, out);
	}
	err = filemap_resize(mapping, new_nr);
	if (err && new_nr > old_nr) {
		pthread_mutex_unlock(&mapping->lock);
		return err;
	}
	/* a failed shrink keeps the bigger array: only nr_slots matters */
	mapping->nr_slots = new_nr;
	file->size = size;
	zero_partial_tail(mapping, size);
	pthread_mutex_unlock(&mapping->lock);
	*gone = out;
	*nr_gone = n;
	return (long)old_nr;
}

void filemap_release_folios(struct folio **folios, unsigned long n)
{
	page_cache_release(folios, n);
}
