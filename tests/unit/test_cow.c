// SPDX-License-Identifier: MIT
/* semantics.md §5.3: write-protect faults, COW reuse and copy, FAULT_FLAG_UNSHARE. */
#include "fault_test.h"

#define BASE	0x40000000UL

/*
 * What fork does to one anon page (semantics.md §5.4, unpinned case): the child maps
 * the same page, both entries read-only, the page no longer exclusive.
 */
static void share_page(struct mm_struct *src, struct mm_struct *dst, unsigned long addr)
{
	struct vm_area_struct *svma, *dvma;
	pteval_t *s, *d, v;
	struct page *page;

	gupsim_mmap_read_lock(src);
	gupsim_mmap_read_lock(dst);
	svma = vma_lookup(src, addr);
	dvma = vma_lookup(dst, addr);
	s = pgtable_walk(src, addr, PT_PTE, false, NULL);
	d = pgtable_walk(dst, addr, PT_PTE, true, NULL);
	assert_non_null(s);
	assert_non_null(d);
	v = pt_read(s) & ~_PAGE_RW;
	page = pfn_to_page_sim(src->sim, pte_pfn(v));
	assert_int_equal(folio_try_dup_anon_rmap_ptes(page_folio(page), page, 1, dvma, svma), 0);
	folio_get(page_folio(page));
	pt_write(s, v);
	pt_write(d, v);
	gupsim_mmap_read_unlock(dst);
	gupsim_mmap_read_unlock(src);
}

/* Two mms with the same private anon range; page 0 written in the first. */
static struct mm_struct *two_mms_sharing(struct mm_fixture *f, unsigned char val)
{
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);

	assert_non_null(mm2);
	map_anon_at(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	map_anon_at(mm2, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, val);
	share_page(f->mm, mm2, BASE);
	return mm2;
}

static void cow_reuses_exclusive_page(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	entry_update(f->mm, BASE, _PAGE_RW, 0);		/* as after mprotect R/O -> R/W */
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE), 0);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);
	assert_true(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
}

static void cow_copies_shared_page(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = two_mms_sharing(f, 0x11);
	struct folio *old = folio_at(f->mm, BASE), *new;

	assert_int_equal(folio_ref_count(old), 2);
	assert_int_equal(folio_mapcount(old), 2);
	assert_false(PageAnonExclusive(&old->page));

	write_byte(f->mm, BASE + 1, 0x22);
	new = folio_at(f->mm, BASE);
	assert_ptr_not_equal(new, old);
	assert_true(PageAnonExclusive(&new->page));
	assert_int_equal(folio_ref_count(new), 1);
	assert_int_equal(folio_mapcount(new), 1);
	assert_true(pte_write(pte_at(f->mm, BASE)) && pte_dirty(pte_at(f->mm, BASE)));
	/* the old page lost one mapping and one reference */
	assert_int_equal(folio_ref_count(old), 1);
	assert_int_equal(folio_mapcount(old), 1);
	/* contents were copied; the other mm does not see the write */
	assert_int_equal(read_byte(f->mm, BASE), 0x11);
	assert_int_equal(read_byte(mm2, BASE + 1), 0);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);

	/* semantics.md §5.3: the last user reuses the page (ref == 1), now exclusive */
	write_byte(mm2, BASE + 2, 0x33);
	assert_ptr_equal(folio_at(mm2, BASE), old);
	assert_true(PageAnonExclusive(&old->page));
	assert_true(pte_write(pte_at(mm2, BASE)));
	assert_int_equal(read_byte(f->mm, BASE + 2), 0);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	gupsim_mm_put(mm2);
}

/* semantics.md §5.3: a small page with any extra reference (GUP, a pin) is copied. */
static void cow_copies_page_with_extra_reference(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	ClearPageAnonExclusive(&folio->page);		/* previously shared */
	entry_update(f->mm, BASE, _PAGE_RW, 0);
	folio_get(folio);				/* e.g. a FOLL_GET reference */
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_WRITE), 0);
	assert_ptr_not_equal(folio_at(f->mm, BASE), folio);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(folio_mapcount(folio), 0);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	folio_put(folio);
}

/* semantics.md §5.3: unshare gives an exclusive copy but leaves the PTE read-only. */
static void unshare_copies_and_keeps_pte_readonly(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = two_mms_sharing(f, 0x44);
	struct folio *old = folio_at(f->mm, BASE), *new;
	pteval_t e;

	entry_update(f->mm, BASE, 0, _PAGE_SOFT_DIRTY);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	new = folio_at(f->mm, BASE);
	assert_ptr_not_equal(new, old);
	assert_true(PageAnonExclusive(&new->page));
	e = pte_at(f->mm, BASE);
	assert_false(pte_write(e));
	assert_false(pte_dirty(e));
	assert_true(e & _PAGE_SOFT_DIRTY);		/* kept from the old PTE */
	assert_int_equal(read_byte(f->mm, BASE), 0x44);
	assert_int_equal(folio_ref_count(old), 1);
	assert_int_equal(folio_mapcount(old), 1);
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
	gupsim_mm_put(mm2);
}

/* semantics.md §5.3 table: a previously shared page whose other user went is marked
 * exclusive in place by the unshare fault, no copy. */
static void unshare_reuses_previously_shared_page(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = two_mms_sharing(f, 0x55);
	struct folio *folio = folio_at(f->mm, BASE);

	gupsim_mm_put(mm2);				/* the child exits */
	assert_int_equal(folio_ref_count(folio), 1);
	assert_false(PageAnonExclusive(&folio->page));
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);
	assert_true(PageAnonExclusive(&folio->page));
	assert_false(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
}

/* semantics.md §1.11, §2.4: unshare of the zero page gives a new zeroed page, R/O. */
static void unshare_of_zero_page_allocates_zeroed(void **state)
{
	struct mm_fixture *f = F(state);
	struct page *page;

	map_anon_at(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(read_byte(f->mm, BASE), 0);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	page = page_at(f->mm, BASE);
	assert_false(is_zero_page(page));
	assert_true(PageAnonExclusive(page));
	assert_false(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(((unsigned char *)page_address(page))[100], 0);
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
}

/* semantics.md §5.3: unshare only applies to COW mappings; a shared one just reads. */
static void unshare_is_dropped_on_shared_mapping(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_REGULAR, "f", PAGE_SIZE);
	struct folio *folio;

	assert_int_equal(gupsim_mmap(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, file, 0), BASE);
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	folio = folio_at(f->mm, BASE);
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_ptr_equal(folio_at(f->mm, BASE), folio);
	assert_false(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 0);
	gupsim_file_put(file);
}

/* semantics.md §5.3: a file page in a MAP_PRIVATE mapping is unshared to an anon copy. */
static void unshare_of_private_file_page_copies(void **state)
{
	struct mm_fixture *f = F(state);
	struct file *file = gupsim_file_create(f->sim, GUPSIM_FILE_MEMFD, "m", PAGE_SIZE);
	struct folio *cached;

	assert_int_equal(gupsim_mmap(f->mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_FIXED, file, 0), BASE);
	assert_int_equal(fault(f->mm, BASE, 0), 0);
	cached = folio_at(f->mm, BASE);
	assert_false(folio_test_anon(cached));
	assert_int_equal(fault(f->mm, BASE, FAULT_FLAG_UNSHARE), 0);
	assert_true(folio_test_anon(folio_at(f->mm, BASE)));
	assert_true(PageAnonExclusive(page_at(f->mm, BASE)));
	assert_false(pte_write(pte_at(f->mm, BASE)));
	assert_int_equal(folio_mapcount(cached), 0);
	assert_int_equal(VMSTAT(f->sim, UNSHARES), 1);
	gupsim_file_put(file);
}

/* ---- MMU notifiers around COW ---- */

struct notif {
	struct mmu_notifier mn;
	int starts, ends;
	unsigned long start, end;
	enum mmu_notifier_event event;
};

static int notif_start(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	struct notif *n = container_of(mn, struct notif, mn);

	n->starts++;
	n->start = r->start;
	n->end = r->end;
	n->event = r->event;
	return 0;
}

static void notif_end(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	struct notif *n = container_of(mn, struct notif, mn);

	(void)r;
	n->ends++;
}

static const struct mmu_notifier_ops notif_ops = {
	.invalidate_range_start = notif_start,
	.invalidate_range_end = notif_end,
};

static void cow_copy_calls_mmu_notifier(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = two_mms_sharing(f, 1);
	struct notif n = { .mn = { .ops = &notif_ops } };

	assert_int_equal(gupsim_mmu_notifier_register(&n.mn, f->mm), 0);
	write_byte(f->mm, BASE, 2);
	assert_int_equal(n.starts, 1);
	assert_int_equal(n.ends, 1);
	assert_int_equal(n.start, BASE);
	assert_int_equal(n.end, BASE + PAGE_SIZE);
	assert_int_equal(n.event, MMU_NOTIFY_CLEAR);
	/* a reuse changes no page: no notification */
	entry_update(f->mm, BASE, _PAGE_RW, 0);
	write_byte(f->mm, BASE, 3);
	assert_int_equal(n.starts, 1);
	gupsim_mmu_notifier_unregister(&n.mn, f->mm);
	gupsim_mm_put(mm2);
}

/* ---- large (mTHP) folios: gupsim's exact reuse rule ---- */

static int mthp_setup(void **state)
{
	struct gupsim_config cfg;

	mm_default_cfg(&cfg);
	cfg.thp = GUPSIM_THP_ALWAYS;
	cfg.mthp_orders = BIT(2);
	return mm_setup_cfg(state, &cfg);
}

static void large_folio_reused_when_only_this_table_maps_it(void **state)
{
	struct mm_fixture *f = F(state);
	struct folio *folio;

	SKIP_BEFORE_KERNEL(6, 15);	/* the v6.15 reuse rule */
	map_anon_at(f->mm, BASE, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	assert_int_equal(folio_order(folio), 2);
	ClearPageAnonExclusive(folio_page(folio, 1));
	entry_update(f->mm, BASE + PAGE_SIZE, _PAGE_RW, 0);
	write_byte(f->mm, BASE + PAGE_SIZE, 2);
	assert_ptr_equal(folio_at(f->mm, BASE + PAGE_SIZE), folio);
	assert_true(PageAnonExclusive(folio_page(folio, 1)));
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 0);
}

static void large_folio_copied_when_mapped_elsewhere_or_referenced(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *mm2 = gupsim_mm_create(f->sim);
	struct folio *folio;

	SKIP_BEFORE_KERNEL(6, 8);	/* no anon mTHP before v6.8 */
	map_anon_at(f->mm, BASE, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	map_anon_at(mm2, BASE, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	share_page(f->mm, mm2, BASE + 3 * PAGE_SIZE);	/* one page of it shared */
	ClearPageAnonExclusive(folio_page(folio, 1));
	entry_update(f->mm, BASE + PAGE_SIZE, _PAGE_RW, 0);
	write_byte(f->mm, BASE + PAGE_SIZE, 2);
	assert_ptr_not_equal(folio_at(f->mm, BASE + PAGE_SIZE), folio);
	assert_int_equal(folio_mapcount(folio), 4);	/* 3 here + 1 in mm2 */
	assert_int_equal(folio_ref_count(folio), 4);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	gupsim_mm_put(mm2);

	/* now only this table maps it, but a GUP reference is held */
	folio_get(folio);
	ClearPageAnonExclusive(folio_page(folio, 2));
	entry_update(f->mm, BASE + 2 * PAGE_SIZE, _PAGE_RW, 0);
	write_byte(f->mm, BASE + 2 * PAGE_SIZE, 3);
	assert_ptr_not_equal(folio_at(f->mm, BASE + 2 * PAGE_SIZE), folio);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 2);
	folio_put(folio);
}

/* ---- after a real fork ---- */

static struct mm_struct *fork_mm(struct mm_struct *parent)
{
	struct mm_struct *child = gupsim_fork(parent);

	assert_false(IS_ERR(child));
	return child;
}

/* semantics.md §5.4, §9.4 "Basic COW after fork()": neither side sees the other's writes. */
static void cow_after_fork_in_both_directions(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *child;
	struct folio *folio;

	map_anon_at(f->mm, BASE, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	write_byte(f->mm, BASE + PAGE_SIZE, 1);
	folio = folio_at(f->mm, BASE);
	child = fork_mm(f->mm);
	assert_ptr_equal(folio_at(child, BASE), folio);
	assert_int_equal(folio_ref_count(folio), 2);
	assert_int_equal(folio_mapcount(folio), 2);
	assert_false(PageAnonExclusive(&folio->page));
	assert_false(pte_write(pte_at(f->mm, BASE)) || pte_write(pte_at(child, BASE)));

	write_byte(f->mm, BASE, 2);			/* parent: copy */
	assert_ptr_not_equal(folio_at(f->mm, BASE), folio);
	assert_int_equal(read_byte(child, BASE), 1);
	write_byte(child, BASE, 3);			/* child: last user, reuse */
	assert_ptr_equal(folio_at(child, BASE), folio);
	assert_int_equal(read_byte(f->mm, BASE), 2);

	write_byte(child, BASE + PAGE_SIZE, 4);		/* child first: copy */
	assert_int_equal(read_byte(f->mm, BASE + PAGE_SIZE), 1);
	write_byte(f->mm, BASE + PAGE_SIZE, 5);		/* parent: reuse */
	assert_int_equal(read_byte(child, BASE + PAGE_SIZE), 4);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 2);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 2);
	assert_int_equal(mm_check(child), 0);
	gupsim_mm_put(child);
}

/* After fork an mTHP folio is mapped by both: a write copies one page. */
static void mthp_after_fork_copies_one_page(void **state)
{
	struct mm_fixture *f = F(state);
	struct mm_struct *child;
	struct folio *folio;

	SKIP_BEFORE_KERNEL(6, 15);	/* the v6.15 reuse rule */
	map_anon_at(f->mm, BASE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
	write_byte(f->mm, BASE, 1);
	folio = folio_at(f->mm, BASE);
	assert_int_equal(folio_order(folio), 2);
	child = fork_mm(f->mm);
	assert_int_equal(folio_mapcount(folio), 8);
	write_byte(f->mm, BASE + 2 * PAGE_SIZE, 2);
	assert_false(folio_test_large(folio_at(f->mm, BASE + 2 * PAGE_SIZE)));
	assert_ptr_equal(folio_at(f->mm, BASE + 3 * PAGE_SIZE), folio);
	assert_int_equal(folio_mapcount(folio), 7);
	assert_int_equal(read_byte(child, BASE + 2 * PAGE_SIZE), 0);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	/* the child exits: every remaining mapping is now the parent's own */
	gupsim_mm_put(child);
	write_byte(f->mm, BASE + 3 * PAGE_SIZE, 3);
	assert_ptr_equal(folio_at(f->mm, BASE + 3 * PAGE_SIZE), folio);
	assert_int_equal(VMSTAT(f->sim, COW_COPIES), 1);
	assert_int_equal(VMSTAT(f->sim, COW_REUSES), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
		T(cow_reuses_exclusive_page),
		T(cow_copies_shared_page),
		T(cow_copies_page_with_extra_reference),
		T(unshare_copies_and_keeps_pte_readonly),
		T(unshare_reuses_previously_shared_page),
		T(unshare_of_zero_page_allocates_zeroed),
		T(unshare_is_dropped_on_shared_mapping),
		T(unshare_of_private_file_page_copies),
		T(cow_copy_calls_mmu_notifier),
		cmocka_unit_test_setup_teardown(large_folio_reused_when_only_this_table_maps_it,
						mthp_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(large_folio_copied_when_mapped_elsewhere_or_referenced,
						mthp_setup, mm_teardown),
		T(cow_after_fork_in_both_directions),
		cmocka_unit_test_setup_teardown(mthp_after_fork_copies_one_page,
						mthp_setup, mm_teardown),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
