// SPDX-License-Identifier: MIT
/*
 * Page contents: a page's 4 KiB of data exist only once something needs
 * them. The backing store (sim->mem, one frame per pfn, reserved with
 * MAP_NORESERVE) is only written when a page gets data: a CPU or DMA
 * write, a copy of a page that has data (COW, fork, migration), a page
 * table. Until then the page is in the "no data" state and reads as
 * zeros, as a freshly zeroed page does; so faulting and pinning memory
 * that is never written costs metadata only, on the host as well.
 *
 * The state is one bit per pfn in sim->data_map (a struct page has no
 * room for it: it stays the kernel's 64 bytes). The no data -> data
 * transition zeroes the frame and then publishes the bit with a release;
 * readers test the bit with an acquire, so whoever sees the bit sees the
 * zeroes and what was written after. Two writers racing on a page that
 * has no data yet serialise on one of a few striped mutexes. Freeing or
 * allocating a page clears its bit: O(1) per page, the frame untouched.
 *
 * Host memory goes back to the host in batches. Each 2 MiB chunk of the
 * backing store has a "touched" bit (some frame of it may hold non-zero
 * bytes) and a "pending" bit (queued for release). When a freed block
 * merges into a free block of at least pageblock_order, its touched
 * chunks are queued; when RELEASE_BATCH chunks are queued, those still
 * wholly free get madvise(MADV_DONTNEED), adjacent ones in one call, all
 * under zone_lock so that no allocation can hand one out meanwhile. A
 * chunk that was never touched, or released since, reads zeros from the
 * host: its first frame to get data needs no memset.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

#define BITS_PER_LONG		(8 * sizeof(unsigned long))
#define CHUNK_ORDER		pageblock_order		/* 2 MiB of frames */
#define CHUNK_TOUCHED(c)	(2 * (c))
#define CHUNK_PENDING(c)	(2 * (c) + 1)

static void *reserve_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t bitmap_bytes(unsigned long bits)
{
	return ALIGN(bits, BITS_PER_LONG) / 8;
}

int page_data_init(struct gupsim *sim)
{
	unsigned long chunks = ALIGN(sim->nr_pfns, 1UL << CHUNK_ORDER) >> CHUNK_ORDER;

	for (int i = 0; i < PAGE_DATA_LOCKS; i++)
		pthread_mutex_init(&sim->data_locks[i], NULL);
	sim->data_map_bytes = bitmap_bytes(sim->nr_pfns);
	sim->chunk_map_bytes = bitmap_bytes(2 * chunks);
	sim->data_map = reserve_map(sim->data_map_bytes);
	sim->chunk_map = reserve_map(sim->chunk_map_bytes);
	return sim->data_map && sim->chunk_map ? 0 : -ENOMEM;
}

void page_data_destroy(struct gupsim *sim)
{
	if (sim->data_map)
		munmap(sim->data_map, sim->data_map_bytes);
	if (sim->chunk_map)
		munmap(sim->chunk_map, sim->chunk_map_bytes);
	sim->data_map = sim->chunk_map = NULL;
}

static unsigned long *bit_word(unsigned long *map, unsigned long bit)
{
	return &map[bit / BITS_PER_LONG];
}

static bool map_test(unsigned long *map, unsigned long bit)
{
	return test_bit((unsigned int)(bit % BITS_PER_LONG), bit_word(map, bit));
}

static bool map_test_and_set(unsigned long *map, unsigned long bit)
{
	/* a plain read first: the common case (already set) writes nothing */
	if (map_test(map, bit))
		return true;
	return test_and_set_bit((unsigned int)(bit % BITS_PER_LONG), bit_word(map, bit));
}

static bool map_test_and_clear(unsigned long *map, unsigned long bit)
{
	if (!map_test(map, bit))
		return false;
	return test_and_clear_bit((unsigned int)(bit % BITS_PER_LONG), bit_word(map, bit));
}

/*
 * Mark @pfn's chunk touched (its frame is about to be written). Returns
 * true if it already was: the frame may then hold bytes of an earlier
 * owner and must be zeroed.
 */
static bool chunk_touch(struct gupsim *sim, unsigned long pfn)
{
	return map_test_and_set(sim->chunk_map, CHUNK_TOUCHED(pfn >> CHUNK_ORDER));
}

static void data_publish(struct gupsim *sim, unsigned long pfn)
{
	/* a fully ordered RMW: the frame's bytes are visible before the bit */
	if (!test_and_set_bit((unsigned int)(pfn % BITS_PER_LONG), bit_word(sim->data_map, pfn)))
		atomic_long_inc(&sim->nr_data_pages);
}

void *page_data_prepare(struct gupsim *sim, unsigned long pfn)
{
	pthread_mutex_t *lock = &sim->data_locks[pfn % PAGE_DATA_LOCKS];
	unsigned char *mem = pfn_mem(sim, pfn);

	pthread_mutex_lock(lock);
	if (!pfn_has_data(sim, pfn)) {
		if (chunk_touch(sim, pfn))
			memset(mem, 0, PAGE_SIZE);
		data_publish(sim, pfn);
	}
	pthread_mutex_unlock(lock);
	return mem;
}

void pfn_data_read(struct gupsim *sim, unsigned long pfn, size_t off, void *buf, size_t len)
{
	if (pfn_has_data(sim, pfn))
		memcpy(buf, pfn_mem(sim, pfn) + off, len);
	else
		memset(buf, 0, len);
}

void page_data_zero(struct page *page, size_t off, size_t len)
{
	struct gupsim *sim = page->sim;
	unsigned long pfn = page_to_pfn(page);

	if (pfn_has_data(sim, pfn))
		memset(pfn_mem(sim, pfn) + off, 0, len);
}

/*
 * Copy frame @src's contents into @dst, a page nobody else can reach yet
 * (a COW, fork or migration target): no data gives no data.
 */
void pfn_data_copy(struct gupsim *sim, unsigned long dst, unsigned long src)
{
	if (!pfn_has_data(sim, src)) {
		page_data_drop(sim, dst, 1);
		return;
	}
	chunk_touch(sim, dst);
	memcpy(pfn_mem(sim, dst), pfn_mem(sim, src), PAGE_SIZE);
	data_publish(sim, dst);
}

void folio_copy_contents(struct folio *dst, struct folio *src)
{
	long nr = folio_nr_pages(src);

	for (long i = 0; i < nr; i++)
		page_data_copy(folio_page(dst, i), folio_page(src, i));
}

/* The bits of one word in [pfn, pfn + nr), as a mask. */
static unsigned long word_mask(unsigned long pfn, unsigned long nr)
{
	unsigned long bit = pfn % BITS_PER_LONG;

	if (nr >= BITS_PER_LONG - bit)
		return ~0UL << bit;
	return ((1UL << nr) - 1) << bit;
}

void page_data_drop(struct gupsim *sim, unsigned long pfn, unsigned long nr)
{
	long dropped = 0;

	while (nr) {
		unsigned long mask = word_mask(pfn, nr);
		unsigned long *word = bit_word(sim->data_map, pfn);
		unsigned long n = (unsigned long)__builtin_popcountl(mask);

		if (READ_ONCE_UL(word) & mask)
			dropped += __builtin_popcountl(fetch_andnot_ul(word, mask) & mask);
		pfn += n;
		nr -= n;
	}
	if (dropped)
		atomic_long_sub(dropped, &sim->nr_data_pages);
}

unsigned long page_data_nr_pages(struct gupsim *sim)
{
	return (unsigned long)atomic_long_read(&sim->nr_data_pages);
}

/* ---- returning host memory ---- */

/* madvise(MADV_DONTNEED) the chunks [first, first + n): their frames read zero again. */
static void chunks_release(struct gupsim *sim, unsigned long first, unsigned long n)
{
	for (unsigned long c = first; c < first + n; c++)
		map_test_and_clear(sim->chunk_map, CHUNK_TOUCHED(c));
	madvise(pfn_mem(sim, first << CHUNK_ORDER), n << (CHUNK_ORDER + PAGE_SHIFT),
		MADV_DONTNEED);
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* zone_lock held: release the queued chunks that are still wholly free. */
static void release_flush(struct gupsim *sim)
{
	unsigned long *q = sim->release_queue, run = 0, n = 0;

	qsort(q, sim->nr_release_queued, sizeof(*q), cmp_ulong);
	for (unsigned int i = 0; i < sim->nr_release_queued; i++) {
		unsigned long c = q[i];

		map_test_and_clear(sim->chunk_map, CHUNK_PENDING(c));
		if (!buddy_range_free(sim, c << CHUNK_ORDER, CHUNK_ORDER))
			continue;
		if (n && run + n == c) {
			n++;
			continue;
		}
		if (n)
			chunks_release(sim, run, n);
		run = c;
		n = 1;
	}
	if (n)
		chunks_release(sim, run, n);
	sim->nr_release_queued = 0;
}

/*
 * zone_lock held: the freed pages [pfn, pfn + nr) are now part of a free
 * block of at least pageblock_order; queue their touched chunks.
 */
void page_data_release_queue(struct gupsim *sim, unsigned long pfn, unsigned long nr)
{
	unsigned long first = pfn >> CHUNK_ORDER;
	unsigned long last = (pfn + nr - 1) >> CHUNK_ORDER;

	for (unsigned long c = first; c <= last; c++) {
		if (!map_test(sim->chunk_map, CHUNK_TOUCHED(c)) ||
		    map_test_and_set(sim->chunk_map, CHUNK_PENDING(c)))
			continue;
		sim->release_queue[sim->nr_release_queued++] = c;
		if (sim->nr_release_queued == RELEASE_BATCH)
			release_flush(sim);
	}
}

/*
 * A folio nobody can reach (a hugetlb folio going back to its pool, at
 * least one chunk): drop its contents and give its touched chunks back.
 */
void page_data_release_folio(struct folio *folio)
{
	struct gupsim *sim = folio->sim;
	unsigned long pfn = page_to_pfn(&folio->page), nr = (unsigned long)folio_nr_pages(folio);
	unsigned long first = pfn >> CHUNK_ORDER, n = 0;

	page_data_drop(sim, pfn, nr);
	if (nr < (1UL << CHUNK_ORDER))
		return;
	for (unsigned long c = first; c < first + (nr >> CHUNK_ORDER); c++)
		n += map_test(sim->chunk_map, CHUNK_TOUCHED(c));
	if (n)
		chunks_release(sim, first, nr >> CHUNK_ORDER);
}
