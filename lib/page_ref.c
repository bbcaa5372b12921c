// SPDX-License-Identifier: MIT
/*
 * Plain references (include/linux/page_ref.h, mm.h): get_page, put_page,
 * folio_get, folio_put, folio_put_refs, folio_try_get; mapcounts; page
 * flags that drivers touch (dirty, lock).
 *
 * The kernel leaves ordinary references unguarded; gupsim reports what
 * would be a VM_BUG (a reference on a freed folio, a put below zero)
 * through the warn handler and leaves the count untouched, so the machine
 * stays consistent.
 */
#include <sched.h>

#include "internal.h"

void folio_get(struct folio *folio)
{
	int c = atomic_read(&folio->_refcount);

	do {
		if (c == 0) {
			/* VM_BUG_ON_FOLIO(folio_ref_zero_or_close_to_overflow) */
			WARN(folio->sim, 1, "folio_get() on a folio with refcount 0\n");
			dump_page(&folio->page, "folio_get on a free folio");
			return;
		}
	} while (!atomic_try_cmpxchg(&folio->_refcount, &c, (int)((unsigned int)c + 1)));
}

/*
 * Drop @refs references. The count is treated as unsigned for the
 * underflow test, so a count that wrapped negative through pin overflow
 * (semantics.md §2.5) still unwinds the way the kernel's does.
 */
/*
 * The zero page and the huge zero folio live as long as the machine; their
 * entries take no reference, so a put of their last reference is always a
 * put without a get. The kernel's zero pages have huge counts that such a
 * put never brings to 0 (and freeing a PG_reserved page is a bad_page()):
 * gupsim reports it and keeps them, or the allocator would hand out memory
 * that every zero-page mapping still reads.
 */
static bool folio_is_permanent(const struct folio *folio)
{
	return PageFlag(&folio->page, PG_reserved) || is_huge_zero_folio(folio);
}

void folio_put_refs(struct folio *folio, int refs)
{
	int c = atomic_read(&folio->_refcount);

	if (refs <= 0)
		return;
	do {
		if ((unsigned int)c < (unsigned int)refs) {
			WARN(folio->sim, 1, "page refcount underflow: refcount %d, dropping %d\n",
			     c, refs);
			dump_page(&folio->page, "refcount underflow");
			return;
		}
		if (unlikely(c == refs && folio_is_permanent(folio))) {
			WARN(folio->sim, 1, "put of the last reference of a zero page\n");
			dump_page(&folio->page, "zero page put without a get");
			return;
		}
	} while (!atomic_try_cmpxchg(&folio->_refcount, &c,
				     (int)((unsigned int)c - (unsigned int)refs)));
	if (c == refs)
		__folio_put(folio);
}

void folio_put(struct folio *folio)
{
	folio_put_refs(folio, 1);
}

/* ---- mapcounts ---- */

int folio_mapcount(const struct folio *folio)
{
	if (folio_test_large(folio))
		return atomic_read(&folio->_large_mapcount) + 1;
	return atomic_read(&folio->_mapcount) + 1;
}

/* Mappings of this page: PTE maps of it plus PMD/PUD maps of its folio. */
int page_mapcount(const struct page *page)
{
	struct folio *folio = page_folio(page);
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (folio_test_large(folio))
		mapcount += atomic_read(&folio->_entire_mapcount) + 1;
	return mapcount;
}

bool folio_mapped(const struct folio *folio)
{
	return folio_mapcount(folio) > 0;
}

/* ---- flags ---- */

bool folio_mark_dirty(struct folio *folio)
{
	return !test_and_set_bit(PG_dirty, (unsigned long *)&folio->flags);
}

/*
 * The folio lock. The library's own holds count as library locks
 * (deferred.c); a lock the caller takes with gupsim_folio_lock() does not.
 */
static bool folio_trylock_raw(struct folio *folio)
{
	return !test_and_set_bit_lock(PG_locked, (unsigned long *)&folio->flags);
}

static void folio_lock_raw(struct folio *folio)
{
	while (!folio_trylock_raw(folio))
		sched_yield();
}

static void folio_unlock_raw(struct folio *folio)
{
	WARN(folio->sim, !PageFlag(&folio->page, PG_locked), "folio_unlock() of an unlocked folio\n");
	clear_bit_unlock(PG_locked, (unsigned long *)&folio->flags);
}

bool folio_trylock(struct folio *folio)
{
	if (!folio_trylock_raw(folio))
		return false;
	lib_lock_acquired();
	return true;
}

void folio_lock(struct folio *folio)
{
	folio_lock_raw(folio);
	lib_lock_acquired();
}

void folio_unlock(struct folio *folio)
{
	folio_unlock_raw(folio);
	lib_lock_released();
}

/* ---- exported wrappers: argument checks, then the kernel's behaviour ---- */

#define CHECK_PTR(p, ret)					\
	do {							\
		if (!(p)) {					\
			errno = EINVAL;				\
			return ret;				\
		}						\
	} while (0)

struct folio *gupsim_page_folio(const struct page *page)
{
	CHECK_PTR(page, NULL);
	return page_folio(page);
}

struct page *gupsim_folio_page(struct folio *folio, unsigned long n)
{
	CHECK_PTR(folio, NULL);
	if (n >= (unsigned long)folio_nr_pages(folio)) {
		errno = EINVAL;
		return NULL;
	}
	return folio_page(folio, n);
}

long gupsim_folio_nr_pages(const struct folio *folio)
{
	CHECK_PTR(folio, 0);
	return folio_nr_pages(folio);
}

unsigned int gupsim_folio_order(const struct folio *folio)
{
	CHECK_PTR(folio, 0);
	return folio_order(folio);
}

bool gupsim_folio_test_large(const struct folio *folio)
{
	return folio && folio_test_large(folio);
}

bool gupsim_folio_has_pincount(const struct folio *folio)
{
	return folio && folio_has_pincount(folio);
}

int gupsim_folio_ref_count(const struct folio *folio)
{
	CHECK_PTR(folio, 0);
	return folio_ref_count(folio);
}

/* page_ref_count() reads this struct page's own field: 0 in a tail page. */
int gupsim_page_ref_count(const struct page *page)
{
	CHECK_PTR(page, 0);
	return atomic_read(&page->_refcount);
}

/* page_count(): the refcount of the page's folio. */
int gupsim_page_count(const struct page *page)
{
	CHECK_PTR(page, 0);
	return folio_ref_count(page_folio(page));
}

int gupsim_folio_pincount(const struct folio *folio)
{
	CHECK_PTR(folio, 0);
	return folio_has_pincount(folio) ? atomic_read(&folio->_pincount) : 0;
}

int gupsim_folio_mapcount(const struct folio *folio)
{
	CHECK_PTR(folio, 0);
	return folio_mapcount(folio);
}

int gupsim_page_mapcount(const struct page *page)
{
	CHECK_PTR(page, 0);
	return page_mapcount(page);
}

void gupsim_get_page(struct page *page)
{
	if (page)
		folio_get(page_folio(page));
}

/*
 * debug_pins: a put_page() / folio_put() from the caller of a pinned folio
 * that would drop references the caller does not hold: those of the pins
 * (a pin released with put_page() instead of unpin_user_page()), of the
 * mappings or of the page cache. The kernel cannot tell; the shadow count
 * knows the exact pins and the mapcounts the mappings, so gupsim reports
 * it at the put (a pin-sanitizer finding) and drops nothing: the later
 * unpin then balances, and nothing is freed twice. Racing pins, unpins,
 * maps and unmaps only make the check more lenient: each takes its
 * reference before its count and drops its count before its reference.
 */
static bool put_of_pinned_refs(struct folio *folio, int refs)
{
	int pins = pin_shadow_count(folio);
	long held, c;

	if (pins <= 0 || folio_is_permanent(folio))
		return false;
	held = folio_has_pincount(folio) ? pins : (long)pins * GUP_PIN_COUNTING_BIAS;
	held += folio_mapcount(folio);
	if (!folio_test_anon(folio) && READ_ONCE_UL(&folio->mapping))
		held += folio_nr_pages(folio);		/* the page cache's */
	c = folio_ref_count(folio);
	if (c - refs >= held)
		return false;
	WARN(folio->sim, 1, "put_page() of a pinned page: refcount %ld, dropping %d, but "
	     "%d pin(s) and the mappings hold %ld (unpin_user_page() releases a pin)\n",
	     c, refs, pins, held);
	dump_page(&folio->page, "put_page() on a pinned page");
	count_vm_event(folio->sim, GUPSIM_NR_PIN_SANITIZER_REPORTS);
	return true;
}

/* The caller's put: with debug_pins, never into the pins' references. */
static void user_folio_put_refs(struct folio *folio, int refs)
{
	if (unlikely(folio->sim->pin_shadow) && refs > 0 && put_of_pinned_refs(folio, refs))
		return;
	folio_put_refs(folio, refs);
}

void gupsim_put_page(struct page *page)
{
	if (page)
		user_folio_put_refs(page_folio(page), 1);
}

void gupsim_folio_get(struct folio *folio)
{
	if (folio)
		folio_get(folio);
}

void gupsim_folio_put(struct folio *folio)
{
	if (folio)
		user_folio_put_refs(folio, 1);
}

void gupsim_folio_put_refs(struct folio *folio, int refs)
{
	if (folio)
		user_folio_put_refs(folio, refs);
}

bool gupsim_folio_try_get(struct folio *folio)
{
	return folio && folio_ref_try_add(folio, 1);
}

bool gupsim_folio_test_dirty(const struct folio *folio)
{
	return folio && folio_test_dirty(folio);
}

bool gupsim_folio_mark_dirty(struct folio *folio)
{
	return folio && folio_mark_dirty(folio);
}

bool gupsim_folio_test_anon(const struct folio *folio)
{
	return folio && folio_test_anon(folio);
}

bool gupsim_folio_test_hugetlb(const struct folio *folio)
{
	return folio && folio_test_hugetlb(folio);
}

bool gupsim_PageAnonExclusive(const struct page *page)
{
	return page && PageAnonExclusive(page);
}

void gupsim_folio_lock(struct folio *folio)
{
	if (folio)
		folio_lock_raw(folio);
}

void gupsim_folio_unlock(struct folio *folio)
{
	if (folio)
		folio_unlock_raw(folio);
}
