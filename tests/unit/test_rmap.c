// SPDX-License-Identifier: MIT
/*
 * Reverse mapping: the mapcount conventions of mm_internal.h, the fork
 * duplication rule (semantics.md §5.4), rmap_walk() over anon families and file
 * mappings, zap, and the mm_check() consistency checker.
 */
#include <pthread.h>

#include "mm_helpers.h"

#define P	PAGE_SIZE

static int raw_exclusive(struct folio *folio, long i)
{
	return PageFlag(folio_page(folio, i), PG_anon_exclusive);
}

/* ---- new anon folios ---- */

static void new_small_anon_folio_is_mapped_once_and_exclusive(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, 0, true, false);

	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(page_mapcount(&folio->page), 1);
	assert_true(folio_test_anon(folio));
	assert_ptr_equal(folio_anon_vma(folio), mm->anon_vma);
	assert_int_equal(folio->index, a >> PAGE_SHIFT);
	assert_true(PageAnonExclusive(&folio->page));
	assert_true(PageFlag(&folio->page, PG_swapbacked));
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void new_mthp_folio_is_mapped_by_ptes(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, 2, true, false);

	for (long i = 0; i < 4; i++) {
		assert_int_equal(atomic_read(&folio_page(folio, i)->_mapcount), 0);
		assert_int_equal(page_mapcount(folio_page(folio, i)), 1);
		assert_true(raw_exclusive(folio, i));
	}
	assert_int_equal(folio_mapcount(folio), 4);
	assert_int_equal(atomic_read(&folio->_nr_pages_mapped), 4);
	assert_int_equal(atomic_read(&folio->_entire_mapcount), -1);
	assert_int_equal(folio_ref_count(folio), 4);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void new_pmd_folio_is_mapped_by_one_leaf(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, HPAGE_PMD_ORDER, true, false);

	assert_true(IS_ALIGNED(a, PMD_SIZE));
	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(atomic_read(&folio->_entire_mapcount), 0);
	assert_int_equal(atomic_read(&folio->_nr_pages_mapped), 0);
	assert_int_equal(page_mapcount(folio_page(folio, 100)), 1);
	assert_int_equal(atomic_read(&folio_page(folio, 100)->_mapcount), -1);
	/* folio_add_new_anon_rmap(), PMD branch: the mapping's exclusive
	 * state is on the head page only (spread to all at PMD split) */
	assert_true(raw_exclusive(folio, 0));
	for (long i = 1; i < HPAGE_PMD_NR; i++)
		assert_false(raw_exclusive(folio, i));
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void new_hugetlb_folio_is_exclusive_on_its_head(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	struct folio *folio = install_anon(mm, a, HPAGE_PMD_ORDER, true, true);

	assert_int_equal(folio_mapcount(folio), 1);
	assert_int_equal(atomic_read(&folio->_entire_mapcount), 0);
	assert_false(PageFlag(&folio->page, PG_swapbacked));
	assert_true(raw_exclusive(folio, 0));
	assert_false(raw_exclusive(folio, 1));
	assert_true(PageAnonExclusive(folio_page(folio, 1)));	/* reads the head */
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

/* ---- adding and removing ---- */

static void pte_mappings_count_per_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folio = folio_alloc_gfp(sim, 2, 0);
	struct page *p1 = folio_page(folio, 1);

	folio->mapping = (struct address_space *)((unsigned long)fixture_mm(state)->anon_vma |
						  PAGE_MAPPING_ANON);
	folio_add_anon_rmap_ptes(folio, p1, 1, NULL);
	folio_add_anon_rmap_ptes(folio, p1, 1, NULL);
	folio_add_anon_rmap_ptes(folio, folio_page(folio, 2), 2, NULL);
	assert_int_equal(page_mapcount(p1), 2);
	assert_int_equal(folio_mapcount(folio), 4);
	assert_int_equal(atomic_read(&folio->_nr_pages_mapped), 3);	/* pages 1, 2, 3 */
	folio_remove_rmap_ptes(folio, p1, 1, NULL);
	assert_int_equal(atomic_read(&folio->_nr_pages_mapped), 3);
	folio_remove_rmap_ptes(folio, p1, 1, NULL);
	assert_int_equal(atomic_read(&folio->_nr_pages_mapped), 2);
	folio_remove_rmap_ptes(folio, folio_page(folio, 2), 2, NULL);
	assert_false(folio_mapped(folio));
	assert_int_equal(fixture_warns(state)->count, 0);
	/* one more: reported, nothing goes below -1 */
	folio_remove_rmap_ptes(folio, p1, 1, NULL);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_non_null(strstr(fixture_warns(state)->last, "mapcount underflow"));
	assert_int_equal(atomic_read(&p1->_mapcount), -1);
	assert_int_equal(atomic_read(&folio->_large_mapcount), -1);
	assert_int_equal(atomic_read(&folio->_nr_pages_mapped), 0);
	folio->mapping = NULL;
	folio_put(folio);
}

static void pmd_mappings_count_per_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct folio *folio = folio_alloc_gfp(sim, HPAGE_PMD_ORDER, 0);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "f", P);

	folio->mapping = &file->mapping;	/* not in its cache: only named */
	folio_add_file_rmap_pmd(folio, NULL);
	folio_dup_file_rmap_pmd(folio);
	folio_dup_file_rmap_ptes(folio, folio_page(folio, 7), 1);
	assert_int_equal(folio_mapcount(folio), 3);
	assert_int_equal(page_mapcount(folio_page(folio, 7)), 3);
	assert_int_equal(page_mapcount(folio_page(folio, 8)), 2);
	folio_remove_rmap_pmd(folio, NULL);
	folio_remove_rmap_pmd(folio, NULL);
	folio_remove_rmap_ptes(folio, folio_page(folio, 7), 1, NULL);
	assert_false(folio_mapped(folio));
	folio_remove_rmap_pmd(folio, NULL);
	assert_int_equal(fixture_warns(state)->count, 1);
	assert_int_equal(atomic_read(&folio->_entire_mapcount), -1);
	folio->mapping = NULL;
	folio_put(folio);
	gupsim_file_put(file);
}

/* ---- fork (semantics.md §5.4) ---- */

static void dup_shares_an_unpinned_page(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, 0, true, false);
	struct vm_area_struct *vma;

	gupsim_mmap_read_lock(mm);
	vma = vma_lookup(mm, a);
	/* pinned, but the mm never pinned: fork shares (P = 0 row) */
	assert_int_equal(try_grab_folio(folio, 1, FOLL_PIN), 0);
	assert_int_equal(folio_try_dup_anon_rmap_ptes(folio, &folio->page, 1, vma, vma), 0);
	assert_false(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_mapcount(folio), 2);
	gupsim_mmap_read_unlock(mm);
	folio_remove_rmap_ptes(folio, &folio->page, 1, NULL);
	gup_put_folio(folio, 1, FOLL_PIN);
}

static void dup_refuses_a_maybe_pinned_exclusive_page(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 2 * P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, 0, true, false);
	struct folio *other = install_anon(mm, a + P, 0, true, false);
	struct vm_area_struct *vma;

	mm_set_has_pinned_flag(mm);
	gupsim_mmap_read_lock(mm);
	vma = vma_lookup(mm, a);
	/* P = 1, M = 0: shared */
	assert_int_equal(folio_try_dup_anon_rmap_ptes(other, &other->page, 1, vma, vma), 0);
	assert_false(PageAnonExclusive(&other->page));
	/* P = 1, M = 1, E = 1: -EBUSY, nothing changed */
	assert_int_equal(try_grab_folio(folio, 1, FOLL_PIN), 0);
	assert_int_equal(folio_try_dup_anon_rmap_ptes(folio, &folio->page, 1, vma, vma), -EBUSY);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_mapcount(folio), 1);
	/* P = 1, M = 1, E = 0: already shared, duplicated */
	ClearPageAnonExclusive(&folio->page);
	assert_int_equal(folio_try_dup_anon_rmap_ptes(folio, &folio->page, 1, vma, vma), 0);
	assert_int_equal(folio_mapcount(folio), 2);
	gupsim_mmap_read_unlock(mm);
	folio_remove_rmap_ptes(folio, &folio->page, 1, NULL);
	folio_remove_rmap_ptes(other, &other->page, 1, NULL);
	gup_put_folio(folio, 1, FOLL_PIN);
}

static void dup_of_a_large_folio_checks_every_page(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE, 0);
	unsigned long b = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	struct folio *thp = install_anon(mm, a, HPAGE_PMD_ORDER, true, false);
	struct folio *mthp = install_anon(mm, b, 2, true, false);
	struct vm_area_struct *vma;

	mm_set_has_pinned_flag(mm);
	assert_int_equal(try_grab_folio(thp, 1, FOLL_PIN), 0);
	assert_int_equal(try_grab_folio(mthp, 1, FOLL_PIN), 0);
	gupsim_mmap_read_lock(mm);
	vma = vma_lookup(mm, a);
	assert_int_equal(folio_try_dup_anon_rmap_pmd(thp, vma, vma), -EBUSY);
	/* pages 0 and 1 shared already, page 2 still exclusive: -EBUSY */
	ClearPageAnonExclusive(folio_page(mthp, 0));
	ClearPageAnonExclusive(folio_page(mthp, 1));
	assert_int_equal(folio_try_dup_anon_rmap_ptes(mthp, folio_page(mthp, 0), 3, vma, vma),
			 -EBUSY);
	assert_int_equal(folio_mapcount(mthp), 4);
	assert_int_equal(folio_try_dup_anon_rmap_ptes(mthp, folio_page(mthp, 0), 2, vma, vma), 0);
	assert_int_equal(folio_mapcount(mthp), 6);
	folio_remove_rmap_ptes(mthp, folio_page(mthp, 0), 2, NULL);
	/* unpinned: the PMD is shared, every page loses exclusive */
	gup_put_folio(thp, 1, FOLL_PIN);
	assert_int_equal(folio_try_dup_anon_rmap_pmd(thp, vma, vma), 0);
	assert_int_equal(atomic_read(&thp->_entire_mapcount), 1);
	for (long i = 0; i < HPAGE_PMD_NR; i++)
		assert_false(raw_exclusive(thp, i));
	folio_remove_rmap_pmd(thp, NULL);
	gupsim_mmap_read_unlock(mm);
	gup_put_folio(mthp, 1, FOLL_PIN);
}

/* ---- rmap_walk ---- */

struct walk_log {
	int calls;
	struct mm_struct *mm[4];
	unsigned long addr[4];
	enum pt_level level[4];
	bool table_locked[4];
	int stop_after;
};

static int log_mapping(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
		       pteval_t *entry, enum pt_level level, void *arg)
{
	struct walk_log *w = arg;
	struct gupsim *sim = vma->vm_mm->sim;

	(void)folio;
	if (w->calls < 4) {
		w->mm[w->calls] = vma->vm_mm;
		w->addr[w->calls] = addr;
		w->level[w->calls] = level;
		/* the walker holds the entry's table lock */
		w->table_locked[w->calls] = !pt_trylock(sim, entry);
		if (!w->table_locked[w->calls])
			pt_unlock(sim, entry);
	}
	w->calls++;
	return w->stop_after && w->calls == w->stop_after ? 42 : 0;
}

/* A second mm of @mm's anon family (what fork will set up). */
static struct mm_struct *family_member(struct mm_struct *mm)
{
	struct mm_struct *child = gupsim_mm_create(mm->sim);

	assert_non_null(child);
	assert_ptr_not_equal(child->anon_vma, mm->anon_vma);
	assert_int_equal(anon_vma_fork(child, mm), 0);
	assert_ptr_equal(child->anon_vma, mm->anon_vma);
	assert_int_equal(mm->anon_vma->nr_mms, 2);
	assert_int_equal(atomic_read(&mm->anon_vma->refcount), 2);
	return child;
}

/* Map @folio's page 0 at @addr in @child too, as fork would (PTE, + ref). */
static void dup_into(struct mm_struct *child, unsigned long addr, struct folio *folio)
{
	pteval_t *e;

	gupsim_mmap_read_lock(child);
	assert_int_equal(folio_try_dup_anon_rmap_ptes(folio, &folio->page, 1,
						      vma_lookup(child, addr),
						      vma_lookup(child, addr)), 0);
	folio_get(folio);
	e = pgtable_walk(child, addr, PT_PTE, true, NULL);
	pt_lock(child->sim, e);
	pt_write(e, pfn_pte(page_to_pfn(&folio->page), _PAGE_PRESENT | _PAGE_USER));
	pt_unlock(child->sim, e);
	gupsim_mmap_read_unlock(child);
}

static void rmap_walk_visits_every_mm_of_the_family(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	/* fork write-protects the parent's entry of a page it shares */
	struct folio *folio = install_anon(mm, a + 2 * P, 0, false, false);
	struct mm_struct *child = family_member(mm);
	struct walk_log w = { 0 };

	assert_int_equal(mmap_anon(child, a, 4 * P, PROT_READ | PROT_WRITE, MAP_FIXED), a);
	dup_into(child, a + 2 * P, folio);
	folio_get(folio);	/* the walker's caller holds a reference */
	assert_int_equal(rmap_walk(folio, log_mapping, &w), 0);
	assert_int_equal(w.calls, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(w.addr[i], a + 2 * P);
		assert_int_equal(w.level[i], PT_PTE);
		assert_true(w.table_locked[i]);
	}
	assert_true((w.mm[0] == mm && w.mm[1] == child) || (w.mm[0] == child && w.mm[1] == mm));
	/* a non-zero callback result stops the walk */
	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	assert_int_equal(rmap_walk(folio, log_mapping, &w), 42);
	assert_int_equal(w.calls, 1);
	/* the child goes: only the parent maps it */
	gupsim_mm_put(child);
	memset(&w, 0, sizeof(w));
	assert_int_equal(rmap_walk(folio, log_mapping, &w), 0);
	assert_int_equal(w.calls, 1);
	assert_ptr_equal(w.mm[0], mm);
	assert_int_equal(mm_check(mm), 0);
	/* unmapped: nothing to walk, the folio lives on our reference */
	assert_int_equal(gupsim_munmap(mm, a, 4 * P), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(rmap_walk(folio, log_mapping, &w), 0);
	assert_int_equal(w.calls, 0);
	assert_int_equal(folio_ref_count(folio), 1);
	folio_put(folio);
}

struct locker {
	struct mm_struct *mm;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;		/* 1: holds the mmap lock, 2: may release it */
};

static void *hold_mmap_lock(void *arg)
{
	struct locker *l = arg;

	gupsim_mmap_write_lock(l->mm);
	pthread_mutex_lock(&l->lock);
	l->stage = 1;
	pthread_cond_broadcast(&l->cond);
	while (l->stage != 2)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	gupsim_mmap_write_unlock(l->mm);
	return NULL;
}

static void rmap_walk_skips_a_busy_mm(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, 0, false, false);
	struct mm_struct *child = family_member(mm);
	struct locker l = { .mm = child, .lock = PTHREAD_MUTEX_INITIALIZER,
			    .cond = PTHREAD_COND_INITIALIZER };
	struct walk_log w = { 0 };
	pthread_t t;

	assert_int_equal(mmap_anon(child, a, P, PROT_READ | PROT_WRITE, MAP_FIXED), a);
	dup_into(child, a, folio);
	assert_int_equal(pthread_create(&t, NULL, hold_mmap_lock, &l), 0);
	pthread_mutex_lock(&l.lock);
	while (l.stage != 1)
		pthread_cond_wait(&l.cond, &l.lock);
	pthread_mutex_unlock(&l.lock);
	/* the child's lock is taken elsewhere: skipped, -EAGAIN */
	assert_int_equal(rmap_walk(folio, log_mapping, &w), -EAGAIN);
	assert_int_equal(w.calls, 1);
	assert_ptr_equal(w.mm[0], mm);
	pthread_mutex_lock(&l.lock);
	l.stage = 2;
	pthread_cond_broadcast(&l.cond);
	pthread_mutex_unlock(&l.lock);
	pthread_join(t, NULL);
	/* our own mm, locked by us for writing, is walked as is */
	memset(&w, 0, sizeof(w));
	gupsim_mmap_write_lock(mm);
	assert_int_equal(rmap_walk(folio, log_mapping, &w), 0);
	gupsim_mmap_write_unlock(mm);
	assert_int_equal(w.calls, 2);
	gupsim_mm_put(child);
}

static void rmap_walk_finds_file_mappings_at_their_offset(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "f", 8 * P);
	/* file pages 2..5 at a, pages 4..7 at b: page 5 is mapped twice */
	unsigned long a = gupsim_mmap(mm, 0, 4 * P, PROT_READ, MAP_SHARED, file, 2 * P);
	unsigned long b = gupsim_mmap(mm, 0, 4 * P, PROT_READ, MAP_SHARED, file, 4 * P);
	struct folio *folio = install_file(mm, a + 3 * P, file, 5, false);
	struct walk_log w = { 0 };

	assert_ptr_equal(install_file(mm, b + P, file, 5, false), folio);
	assert_int_equal(folio_mapcount(folio), 2);
	assert_int_equal(rmap_walk(folio, log_mapping, &w), 0);
	assert_int_equal(w.calls, 2);
	assert_true((w.addr[0] == a + 3 * P && w.addr[1] == b + P) ||
		    (w.addr[1] == a + 3 * P && w.addr[0] == b + P));
	/* cache + two mappings */
	assert_int_equal(folio_ref_count(folio), 3);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	gupsim_file_put(file);
}

/* ---- zap ---- */

static void munmap_drops_mappings_and_references(void **state)
{
	struct mm_fixture *m = *state;
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "f", 4 * P);
	unsigned long a = mmap_anon(mm, 0, 8 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long f = gupsim_mmap(mm, 0, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	struct folio *mthp = install_anon(mm, a, 2, true, false);
	struct folio *dirty, *clean;
	int zero_refs = folio_ref_count(page_folio(sim->zero_page));

	install_zero(mm, a + 4 * P);
	dirty = install_file(mm, f, file, 0, true);
	clean = install_file(mm, f + P, file, 1, false);
	assert_false(folio_test_dirty(dirty));
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	/* half of the mTHP goes: the folio stays, mapped by 2 PTEs */
	assert_int_equal(gupsim_munmap(mm, a + 2 * P, 6 * P), 0);
	assert_int_equal(folio_mapcount(mthp), 2);
	assert_int_equal(folio_ref_count(mthp), 2);
	assert_int_equal(atomic_read(&mthp->_nr_pages_mapped), 2);
	/* the zero page's entry held nothing */
	assert_int_equal(folio_ref_count(page_folio(sim->zero_page)), zero_refs);
	/* a dirty PTE's dirt goes to the folio */
	assert_int_equal(gupsim_munmap(mm, f, 4 * P), 0);
	assert_true(folio_test_dirty(dirty));
	assert_false(folio_test_dirty(clean));
	assert_int_equal(folio_ref_count(dirty), 1);	/* the page cache's */
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	gupsim_file_put(file);
	assert_int_equal(gupsim_munmap(mm, a, 2 * P), 0);
	assert_int_equal(gupsim_nr_free_pages(sim), m->free_at_start - 1);
}

static void munmap_of_a_pmd_leaf_frees_the_folio(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE, 0);
	unsigned long h = mmap_anon(mm, 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	unsigned long free_huge = sim->hstates[0].nr_free;
	struct folio *thp = install_anon(mm, a, HPAGE_PMD_ORDER, true, false);
	struct folio *huge = install_anon(mm, h, HPAGE_PMD_ORDER, true, true);

	assert_int_equal(sim->hstates[0].nr_free, free_huge - 1);
	folio_get(thp);
	assert_int_equal(gupsim_munmap(mm, a, PMD_SIZE), 0);
	assert_false(folio_mapped(thp));
	assert_int_equal(folio_ref_count(thp), 1);
	folio_put(thp);
	assert_true(folio_mapped(huge));
	assert_int_equal(gupsim_munmap(mm, h, PMD_SIZE), 0);
	/* back to the pool */
	assert_int_equal(sim->hstates[0].nr_free, free_huge);
}

/* ---- mm_check ---- */

static void mm_check_reports_planted_inconsistencies(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	struct folio *folio = install_anon(mm, a, 0, true, false);
	struct folio *second = install_anon(mm, a + P, 0, false, false);
	FILE *log = tmpfile();
	char line[256];
	int lines = 0;

	gupsim_set_log(sim, log);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	/* an extra reference: fine unless references must be exact */
	folio_get(folio);
	assert_int_equal(mm_check(mm), 0);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 1);
	folio_put(folio);
	/* a writable PTE of a shared anon page */
	ClearPageAnonExclusive(&folio->page);
	assert_int_equal(mm_check(mm), 1);
	SetPageAnonExclusive(&folio->page);
	/* a mapcount the tables do not show */
	atomic_inc(&second->_mapcount);
	assert_int_equal(mm_check(mm), 2);	/* mapcount, and refs < mappings */
	atomic_dec(&second->_mapcount);
	/* an entry outside every VMA */
	gupsim_mmap_write_lock(mm);
	mm->mmap->vm_start = a + 2 * P;
	gupsim_mmap_write_unlock(mm);
	assert_int_equal(mm_check(mm), 3);	/* two entries, and the VMA's pgoff */
	gupsim_mmap_write_lock(mm);
	mm->mmap->vm_start = a;
	gupsim_mmap_write_unlock(mm);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	gupsim_set_log(sim, stderr);
	rewind(log);
	while (fgets(line, sizeof(line), log))
		lines += strncmp(line, "mm_check: mm ", 13) == 0;
	fclose(log);
	assert_int_equal(lines, 7);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
	const struct CMUnitTest tests[] = {
		T(new_small_anon_folio_is_mapped_once_and_exclusive),
		T(new_mthp_folio_is_mapped_by_ptes),
		T(new_pmd_folio_is_mapped_by_one_leaf),
		T(new_hugetlb_folio_is_exclusive_on_its_head),
		T(pte_mappings_count_per_page),
		T(pmd_mappings_count_per_folio),
		T(dup_shares_an_unpinned_page),
		T(dup_refuses_a_maybe_pinned_exclusive_page),
		T(dup_of_a_large_folio_checks_every_page),
		T(rmap_walk_visits_every_mm_of_the_family),
		T(rmap_walk_skips_a_busy_mm),
		T(rmap_walk_finds_file_mappings_at_their_offset),
		T(munmap_drops_mappings_and_references),
		T(munmap_of_a_pmd_leaf_frees_the_folio),
		T(mm_check_reports_planted_inconsistencies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
