// SPDX-License-Identifier: MIT
/*
 * fork() (semantics.md §5.4, §5.5, oracle fork_pinned_4k): COW in both directions,
 * eager copies of pinned exclusive pages, MADV_DONTFORK, MMF_HAS_PINNED
 * not inherited, write_protect_seq odd while the tables are copied, and a
 * teardown that returns every page. Large folios: test_fork_huge.c.
 */
#include "fork_test.h"

/* ---- COW ---- */

static void fork_shares_anon_pages_write_protected(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, 4 * PAGE_SIZE, ANON, NULL);
	struct page *page;

	put_str(parent, addr, "before fork");
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	page = gupsim_follow_page(parent, addr);
	assert_ptr_equal(gupsim_follow_page(child, addr), page);
	assert_int_equal(page_mapcount(page), 2);
	assert_int_equal(folio_ref_count(page_folio(page)), 2);
	assert_false(PageAnonExclusive(page));
	assert_false(pte_write(entry_at(parent, addr, NULL)));
	assert_false(pte_write(entry_at(child, addr, NULL)));
	assert_false(pte_young(entry_at(child, addr, NULL)));
	/* untouched pages stay unmapped in both */
	assert_null(gupsim_follow_page(child, addr + PAGE_SIZE));
	gupsim_mm_put(child);
	assert_int_equal(page_mapcount(page), 1);
	gupsim_mm_put(parent);
}

static void parent_write_after_fork_is_not_seen_by_child(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, PAGE_SIZE, ANON, NULL);
	unsigned long pfn;

	put_str(parent, addr, "shared");
	pfn = pfn_at(parent, addr);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	put_str(parent, addr, "parent");
	assert_reads(child, addr, "shared");
	assert_reads(parent, addr, "parent");
	/* the parent's write copied: the child keeps the old page */
	assert_int_equal(pfn_at(child, addr), pfn);
	assert_int_not_equal(pfn_at(parent, addr), pfn);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void child_write_after_fork_is_not_seen_by_parent(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, PAGE_SIZE, ANON, NULL);

	put_str(parent, addr, "shared");
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	put_str(child, addr, "child");
	assert_reads(parent, addr, "shared");
	assert_reads(child, addr, "child");
	gupsim_mm_put(parent);
	/* the child outlives the parent */
	assert_reads(child, addr, "child");
	gupsim_mm_put(child);
}

static void shared_mappings_stay_shared(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long anon = map(parent, PAGE_SIZE, MAP_SHARED | MAP_ANONYMOUS, NULL);
	struct file *file = gupsim_file_create(fixture_sim(state), GUPSIM_FILE_SHMEM, "s",
					       PAGE_SIZE);
	unsigned long shm = map(parent, PAGE_SIZE, MAP_SHARED, file);

	put_str(parent, anon, "anon");
	put_str(parent, shm, "shm");
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	/* vma_needs_copy(): shared mappings are not copied, the child
	 * faults the same pages in */
	assert_true(pte_none(entry_at(child, shm, NULL)));
	assert_true(pte_none(entry_at(child, anon, NULL)));
	assert_reads(child, shm, "shm");
	assert_int_equal(pfn_at(child, shm), pfn_at(parent, shm));
	/* no COW in shared mappings: the writes meet */
	put_str(child, anon, "from child");
	put_str(child, shm, "from child");
	assert_reads(parent, anon, "from child");
	assert_reads(parent, shm, "from child");
	assert_int_equal(atomic_read(&file->refcount), 3);	/* creator, 2 mappings */
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
	assert_int_equal(atomic_read(&file->refcount), 1);
	gupsim_file_put(file);
}

static void private_file_pages_are_shared_read_only(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	struct file *file = gupsim_file_create(fixture_sim(state), GUPSIM_FILE_REGULAR, "r",
					       PAGE_SIZE);
	unsigned long addr = map(parent, PAGE_SIZE, MAP_PRIVATE, file);
	char c;
	struct folio *folio;

	assert_int_equal(gupsim_read(parent, addr, &c, 1), 1);	/* a file page */
	folio = page_folio(gupsim_follow_page(parent, addr));
	assert_false(folio_test_anon(folio));
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	/* vma_needs_copy(): no anon_vma, so the child refaults the page */
	assert_true(pte_none(entry_at(child, addr, NULL)));
	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(gupsim_read(child, addr, &c, 1), 1);
	assert_ptr_equal(page_folio(gupsim_follow_page(child, addr)), folio);
	assert_false(pte_write(entry_at(child, addr, NULL)));
	assert_int_equal(folio_mapcount(folio), 2);
	put_str(child, addr, "cow");
	assert_reads(parent, addr, "");
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
	gupsim_file_put(file);
}

/* The small zero page gives the VMA no anon_vma (do_anonymous_page() reads
 * before vmf_anon_prepare()): vma_needs_copy() is false, the child refaults. */
static void zero_page_is_refaulted_by_the_child(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, PAGE_SIZE, ANON, NULL);
	char c = 1;

	assert_int_equal(gupsim_read(parent, addr, &c, 1), 1);
	assert_true(is_zero_page(gupsim_follow_page(parent, addr)));
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	assert_true(pte_none(entry_at(child, addr, NULL)));
	assert_int_equal(gupsim_read(child, addr, &c, 1), 1);
	assert_true(is_zero_page(gupsim_follow_page(child, addr)));
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void pfnmap_entries_are_copied_as_is(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	struct file *dev = gupsim_file_create(fixture_sim(state), GUPSIM_FILE_PFNMAP, "bar",
					      PAGE_SIZE);
	unsigned long addr = map(parent, PAGE_SIZE, MAP_SHARED, dev);
	pteval_t pe, ce;

	put_str(parent, addr, "mmio");
	pe = entry_at(parent, addr, NULL);
	assert_true(pte_special(pe));
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	ce = entry_at(child, addr, NULL);
	assert_true(pte_special(ce));
	assert_int_equal(pte_pfn(ce), pte_pfn(pe));
	assert_reads(child, addr, "mmio");
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
	gupsim_file_put(dev);
}

/* ---- pinned pages (semantics.md §5.4, oracle fork_pinned_4k) ---- */

static void fork_copies_pinned_exclusive_page(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, 2 * PAGE_SIZE, ANON, NULL);
	unsigned long pinned_pfn, control_pfn, acquired, copies;
	struct folio *pinned;
	pteval_t pe, ce;

	put_str(parent, addr, "registered");
	put_str(parent, addr + PAGE_SIZE, "control");
	pinned = pin_at(parent, addr);
	pinned_pfn = pfn_at(parent, addr);
	control_pfn = pfn_at(parent, addr + PAGE_SIZE);
	acquired = stat(state, GUPSIM_NR_FOLL_PIN_ACQUIRED);
	copies = stat(state, GUPSIM_NR_FORK_PINNED_COPIES);

	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	assert_int_equal(stat(state, GUPSIM_NR_FORK_PINNED_COPIES), copies + 1);
	assert_int_equal(stat(state, GUPSIM_NR_FOLL_PIN_ACQUIRED), acquired);

	/* the parent keeps its pinned page, exclusive and writable */
	assert_int_equal(pfn_at(parent, addr), pinned_pfn);
	pe = entry_at(parent, addr, NULL);
	assert_true(pte_write(pe));
	assert_true(PageAnonExclusive(&pinned->page));
	assert_int_equal(folio_ref_count(pinned), 1 + GUP_PIN_COUNTING_BIAS);
	assert_int_equal(folio_mapcount(pinned), 1);
	/* the child has a copy of its own, writable and dirty */
	assert_int_not_equal(pfn_at(child, addr), pinned_pfn);
	ce = entry_at(child, addr, NULL);
	assert_true(pte_write(ce));
	assert_true(pte_dirty(ce));
	assert_true(PageAnonExclusive(gupsim_follow_page(child, addr)));
	assert_reads(child, addr, "registered");
	/* the unpinned control page is COW-shared */
	assert_int_equal(pfn_at(child, addr + PAGE_SIZE), control_pfn);
	assert_false(pte_write(entry_at(parent, addr + PAGE_SIZE, NULL)));

	/* the device writes through the pin: the parent sees it, not the child */
	assert_int_equal(gupsim_dma_write(&pinned->page, 0, "DMA", 4), 4);
	assert_reads(parent, addr, "DMA");
	assert_reads(child, addr, "registered");
	/* a parent write needs no COW */
	put_str(parent, addr, "P");
	assert_int_equal(pfn_at(parent, addr), pinned_pfn);

	gupsim_unpin_user_page(&pinned->page);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void pinned_page_of_mm_that_never_pinned_is_shared(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, PAGE_SIZE, ANON, NULL);
	struct folio *folio;

	put_str(parent, addr, "x");
	folio = page_folio(gupsim_follow_page(parent, addr));
	/* pinned, but MMF_HAS_PINNED was never set (semantics.md §3.3) */
	assert_int_equal(gupsim_try_grab_folio(folio, 1, FOLL_PIN), 0);
	assert_false(gupsim_mm_has_pinned(parent));
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	assert_ptr_equal(page_folio(gupsim_follow_page(child, addr)), folio);
	assert_false(PageAnonExclusive(&folio->page));
	gupsim_unpin_user_page(&folio->page);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void has_pinned_is_not_inherited(void **state)
{
	struct mm_struct *parent = mm_new(state), *child, *grandchild;
	unsigned long addr = map(parent, PAGE_SIZE, ANON, NULL);
	struct folio *pinned;

	put_str(parent, addr, "x");
	pinned = pin_at(parent, addr);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	assert_true(gupsim_mm_has_pinned(parent));
	assert_false(gupsim_mm_has_pinned(child));
	/* the child's copy is exclusive but the child never pinned: its own
	 * fork shares it */
	grandchild = gupsim_fork(child);
	assert_false(IS_ERR(grandchild));
	assert_int_equal(pfn_at(grandchild, addr), pfn_at(child, addr));
	gupsim_unpin_user_page(&pinned->page);
	gupsim_mm_put(grandchild);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void dontfork_ranges_are_absent_in_child(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, 3 * PAGE_SIZE, ANON, NULL);
	char c;

	put_str(parent, addr, "a");
	put_str(parent, addr + PAGE_SIZE, "b");
	put_str(parent, addr + 2 * PAGE_SIZE, "c");
	assert_int_equal(gupsim_madvise(parent, addr + PAGE_SIZE, PAGE_SIZE, MADV_DONTFORK), 0);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	gupsim_mmap_read_lock(child);
	assert_non_null(gupsim_vma_lookup(child, addr));
	assert_null(gupsim_vma_lookup(child, addr + PAGE_SIZE));
	assert_non_null(gupsim_vma_lookup(child, addr + 2 * PAGE_SIZE));
	gupsim_mmap_read_unlock(child);
	assert_int_equal(gupsim_read(child, addr + PAGE_SIZE, &c, 1), -EFAULT);
	assert_reads(child, addr + 2 * PAGE_SIZE, "c");
	assert_reads(parent, addr + PAGE_SIZE, "b");
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

/* ---- write_protect_seq (semantics.md §5.5) ---- */

struct seq_watch {
	struct mmu_notifier mn;
	unsigned long seq_at_start, seq_at_end, seq_in_copy;
	int starts, copies;
	enum mmu_notifier_event event;
	unsigned long start, end;
};

static int watch_start(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct seq_watch *w = container_of(mn, struct seq_watch, mn);

	if (range->event != MMU_NOTIFY_PROTECTION_PAGE)
		return 0;
	w->starts++;
	w->event = range->event;
	w->start = range->start;
	w->end = range->end;
	w->seq_at_start = READ_ONCE_UL(&range->mm->write_protect_seq);
	return 0;
}

static void watch_end(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct seq_watch *w = container_of(mn, struct seq_watch, mn);

	if (range->event == MMU_NOTIFY_PROTECTION_PAGE)
		w->seq_at_end = READ_ONCE_UL(&range->mm->write_protect_seq);
}

static void watch_trace(void *arg, const struct gupsim_trace_record *rec)
{
	struct seq_watch *w = arg;

	if (rec->event != GUPSIM_TRACE_FORK_COPY)
		return;
	w->copies++;
	w->seq_in_copy = READ_ONCE_UL(&rec->mm->write_protect_seq);
}

/* Invalidations inside fork's copy (a THP split) see the odd count. */
static int watch_clear_start(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct seq_watch *w = container_of(mn, struct seq_watch, mn);

	if (range->event == MMU_NOTIFY_CLEAR) {
		w->starts++;
		w->start = range->start;
		w->seq_in_copy = READ_ONCE_UL(&range->mm->write_protect_seq);
	}
	return 0;
}

static const struct mmu_notifier_ops watch_clear_ops = {
	.invalidate_range_start = watch_clear_start,
};

static const struct mmu_notifier_ops watch_ops = {
	.invalidate_range_start = watch_start,
	.invalidate_range_end = watch_end,
};

static void write_protect_seq_is_odd_while_fork_copies(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, PAGE_SIZE, ANON, NULL);
	static struct seq_watch w;
	unsigned long seq0;
	struct folio *pinned;

	put_str(parent, addr, "x");
	pinned = pin_at(parent, addr);
	memset(&w, 0, sizeof(w));
	w.mn.ops = &watch_ops;
	assert_int_equal(gupsim_mmu_notifier_register(&w.mn, parent), 0);
	gupsim_set_trace(fixture_sim(state), watch_trace, &w);
	seq0 = READ_ONCE_UL(&parent->write_protect_seq);
	assert_int_equal(seq0 & 1, 0);

	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	gupsim_set_trace(fixture_sim(state), NULL, NULL);
	/* one COW VMA: one invalidation around one write section */
	assert_int_equal(w.starts, 1);
	assert_int_equal(w.start, addr);
	assert_int_equal(w.end, addr + PAGE_SIZE);
	assert_int_equal(w.seq_at_start, seq0);
	assert_int_equal(w.copies, 1);
	/* trace events raised under fork's locks are delivered once it let
	 * them go; fork's own folio_needs_cow_for_dma() WARNs (none below)
	 * unless the sequence is odd while it copies */
	assert_int_equal(w.seq_in_copy, seq0 + 2);
	assert_int_equal(w.seq_at_end, seq0 + 2);
	assert_int_equal(READ_ONCE_UL(&parent->write_protect_seq), seq0 + 2);
	/* outside fork the predicate WARNs */
	assert_int_equal(fixture_warns(state)->count, 0);
	gupsim_mmap_read_lock(parent);
	assert_true(gupsim_folio_needs_cow_for_dma(gupsim_vma_lookup(parent, addr), pinned));
	gupsim_mmap_read_unlock(parent);
	assert_int_equal(fixture_warns(state)->count, 1);

	gupsim_unpin_user_page(&pinned->page);
	gupsim_mmu_notifier_unregister(&w.mn, parent);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

static void write_protect_seq_is_odd_when_fork_splits_a_thp(void **state)
{
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map_thp(parent), splits;
	/* static: a failed assertion leaves it registered until teardown */
	static struct seq_watch w;
	unsigned long seq0;
	struct folio *thp;

	put_str(parent, addr, "thp");
	thp = pin_at(parent, addr);
	memset(&w, 0, sizeof(w));
	w.mn.ops = &watch_clear_ops;
	assert_int_equal(gupsim_mmu_notifier_register(&w.mn, parent), 0);
	seq0 = READ_ONCE_UL(&parent->write_protect_seq);
	splits = stat(state, GUPSIM_NR_THP_SPLITS);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	/* the PMD split is an invalidation of its own, inside the section */
	assert_int_equal(w.starts, 1);
	assert_int_equal(w.start, addr);
	assert_int_equal(w.seq_in_copy, seq0 + 1);
	assert_int_equal(stat(state, GUPSIM_NR_THP_SPLITS), splits + 1);
	/* one write section per COW VMA that vma_needs_copy() copies: the
	 * THP's (its neighbours never had an anon page) */
	assert_int_equal(READ_ONCE_UL(&parent->write_protect_seq), seq0 + 2);
	gupsim_unpin_user_page(&thp->page);
	gupsim_mmu_notifier_unregister(&w.mn, parent);
	gupsim_mm_put(child);
	gupsim_mm_put(parent);
}

/* ---- teardown and errors ---- */

static void fork_and_teardown_return_every_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long a = map(parent, 8 * PAGE_SIZE, ANON, NULL);
	unsigned long t = map_thp(parent);
	unsigned long h = map(parent, PMD_SIZE, ANON | MAP_HUGETLB, NULL);
	struct folio *pinned;

	for (unsigned long off = 0; off < 8 * PAGE_SIZE; off += PAGE_SIZE)
		put_str(parent, a + off, "page");
	put_str(parent, t, "thp");
	put_str(parent, h, "huge");
	pinned = pin_at(parent, a + 3 * PAGE_SIZE);
	child = gupsim_fork(parent);
	assert_false(IS_ERR(child));
	assert_consistent(parent, child);
	put_str(child, a, "child");
	put_str(parent, t, "parent");
	gupsim_unpin_user_page(&pinned->page);
	gupsim_mm_put(parent);
	gupsim_mm_put(child);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
	assert_int_equal(sim->hstates[0].nr_free, 4);
}

static void fork_of_null_is_einval(void **state)
{
	(void)state;
	assert_int_equal(PTR_ERR(gupsim_fork(NULL)), -EINVAL);
}

static void fork_out_of_memory_undoes_the_child(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *parent = mm_new(state), *child;
	unsigned long addr = map(parent, 8 * PAGE_SIZE, ANON, NULL);
	struct folio *hoard = NULL, *pinned[8];
	unsigned long free0;

	for (int i = 0; i < 8; i++) {
		put_str(parent, addr + i * PAGE_SIZE, "pinned");
		pinned[i] = pin_at(parent, addr + i * PAGE_SIZE);
	}
	free0 = gupsim_nr_free_pages(sim);
	/* leave a few pages: enough for the child's tables, not for 8 copies */
	while (gupsim_nr_free_pages(sim) > 6) {
		struct folio *f = gupsim_folio_alloc(sim, 0, 0);

		assert_non_null(f);
		f->page.private = (unsigned long)hoard;
		hoard = f;
	}
	child = gupsim_fork(parent);
	assert_int_equal(PTR_ERR(child), -ENOMEM);
	while (hoard) {
		struct folio *next = (struct folio *)hoard->page.private;

		hoard->page.private = 0;
		gupsim_folio_put(hoard);
		hoard = next;
	}
	/* the partial child is gone, the parent intact */
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pfn_at(parent, addr + i * PAGE_SIZE),
				 page_to_pfn(&pinned[i]->page));
		gupsim_unpin_user_page(&pinned[i]->page);
	}
	assert_reads(parent, addr + 7 * PAGE_SIZE, "pinned");
	gupsim_mm_put(parent);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, sim_setup_fork, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(fork_shares_anon_pages_write_protected),
		T(parent_write_after_fork_is_not_seen_by_child),
		T(child_write_after_fork_is_not_seen_by_parent),
		T(shared_mappings_stay_shared),
		T(private_file_pages_are_shared_read_only),
		T(zero_page_is_refaulted_by_the_child),
		T(pfnmap_entries_are_copied_as_is),
		T(fork_copies_pinned_exclusive_page),
		T(pinned_page_of_mm_that_never_pinned_is_shared),
		T(has_pinned_is_not_inherited),
		T(dontfork_ranges_are_absent_in_child),
		T(write_protect_seq_is_odd_while_fork_copies),
		T(write_protect_seq_is_odd_when_fork_splits_a_thp),
		T(fork_and_teardown_return_every_page),
		T(fork_of_null_is_einval),
		T(fork_out_of_memory_undoes_the_child),
	};

	return cmocka_run_group_tests_name("fork", tests, NULL, NULL);
}
