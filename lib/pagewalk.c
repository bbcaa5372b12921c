// SPDX-License-Identifier: MIT
/*
 * Page-table range walks (mm/pagewalk.c): visit every entry that maps
 * something in a range, skipping missing tables a whole table at a time.
 * The caller holds the mmap lock, so no table can be freed under the walk
 * (free_pgtables() runs with the lock held for writing); entries are read
 * with pt_read() and the callback takes the table lock it needs.
 */
#include "internal.h"

static int walk_table(struct mm_struct *mm, pteval_t *table, enum pt_level level,
		      unsigned long base, unsigned long start, unsigned long end,
		      pt_walk_fn fn, void *arg)
{
	unsigned long span = 1UL << pt_shift(level);
	unsigned int i = base < start ? pt_index(start, level) : 0;

	for (; i < PTRS_PER_TABLE; i++) {
		unsigned long lo = base + (unsigned long)i * span;
		pteval_t *entry = &table[i];
		pteval_t v;
		int ret;

		if (lo >= end)
			break;
again:
		v = pt_read(entry);
		if (pte_none(v))
			continue;
		if (level > PT_PTE && !pte_leaf(v)) {
			ret = walk_table(mm, pt_table(mm->sim, pte_pfn(v)),
					 (enum pt_level)(level - 1), lo, start, end, fn, arg);
		} else {
			ret = fn(mm, entry, level, lo, arg);
			if (ret == PT_WALK_AGAIN)
				goto again;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Call @fn for every entry that is not none and maps part of [start, end):
 * PTEs and PMD/PUD leaves, with the address the entry starts at (a leaf
 * may begin before @start). @fn returns 0 to go on, PT_WALK_AGAIN to be
 * called again for the same slot (after splitting a leaf, say), anything
 * else to stop the walk with that value.
 */
int walk_page_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		    pt_walk_fn fn, void *arg)
{
	if (start >= end)
		return 0;
	return walk_table(mm, pt_table(mm->sim, mm->pgd_pfn), PT_PGD, 0, start, end, fn, arg);
}

/*
 * @addr is not mapped: the first address after it that may be, i.e. the
 * end of the missing table (or none entry) that covers @addr.
 */
unsigned long pgtable_hole_end(struct mm_struct *mm, unsigned long addr)
{
	enum pt_level level = PT_PTE;
	unsigned long size;

	if (pgtable_walk(mm, addr, PT_PTE, false, &level))
		level = PT_PTE;
	size = 1UL << pt_shift(level);
	return ALIGN_DOWN(addr, size) + size;
}
