// SPDX-License-Identifier: MIT
/*
 * The VMA tree against a reference: 10^5 random mmap (MAP_FIXED), munmap,
 * mprotect and madvise(MADV_DONTFORK / MADV_DOFORK) calls over a window of
 * pages split, merge, insert and remove VMAs; after each one the VMA list
 * must be the reference's maximal runs, the tree must agree with the list
 * (order, AVL balance, subtree gaps), and find_vma, vma_lookup,
 * find_vma_intersection and the free-range searches of get_unmapped_area
 * must answer what a scan of the reference answers. A fork now and then
 * must give a child whose tree is the parent's minus MADV_DONTFORK ranges.
 * Then the tree at vm.max_map_count VMAs.
 */
#include "mm_helpers.h"

#define P		PAGE_SIZE
#define W		512UL			/* pages in the window */
#define BASE		0x100000000000UL	/* the window's first address */
#define MARGIN		16UL			/* pages either side searched too */
#define NR_OPS		100000
#define KIND_NONE	(-1)
#define KIND_DONTFORK	4

static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE };

/* The reference: what each page of the window is (KIND_NONE: unmapped). */
static int kind[W];
static struct mm_struct *locked;	/* read-locked by the test: unlocked on failure */
static unsigned long rng = 0x9e3779b97f4a7c15UL;

struct run {
	unsigned long start, end;
	int kind;
};

static struct run runs[W];
static unsigned long nr_runs;
static unsigned int mapped_before[W + 1];	/* mapped pages in [0, i) */

static void lock(struct mm_struct *mm)
{
	gupsim_mmap_read_lock(mm);
	locked = mm;
}

static void unlock(struct mm_struct *mm)
{
	locked = NULL;
	gupsim_mmap_read_unlock(mm);
}

/* A failed assertion leaves the lock held: let go before the mm goes. */
static int teardown(void **state)
{
	if (locked)
		unlock(locked);
	return mm_teardown(state);
}

static unsigned long rnd(unsigned long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static unsigned long page_addr(unsigned long i)
{
	return BASE + i * P;
}

/* The maximal runs of equal kind: the VMAs the kernel's merging leaves. */
static void reference_runs(void)
{
	nr_runs = 0;
	for (unsigned long i = 0; i < W; i++) {
		mapped_before[i + 1] = mapped_before[i] + (kind[i] != KIND_NONE);
		if (kind[i] == KIND_NONE)
			continue;
		if (nr_runs && runs[nr_runs - 1].end == page_addr(i) &&
		    runs[nr_runs - 1].kind == kind[i]) {
			runs[nr_runs - 1].end += P;
			continue;
		}
		runs[nr_runs++] = (struct run){ page_addr(i), page_addr(i + 1), kind[i] };
	}
}

static int vma_kind(const struct vm_area_struct *vma)
{
	unsigned long f = vma->vm_flags;
	int k = (f & VM_WRITE) ? 2 : (f & VM_READ) ? 1 : 0;

	return k + ((vma->_sim_flags & VMA_SIM_DONTFORK) ? KIND_DONTFORK : 0);
}

/* The list is the runs (without the DONTFORK ones in a child). */
static void check_list(struct mm_struct *mm, bool child)
{
	struct vm_area_struct *vma = mm->mmap;

	for (unsigned long r = 0; r < nr_runs; r++) {
		if (child && runs[r].kind >= KIND_DONTFORK)
			continue;
		assert_non_null(vma);
		assert_int_equal(vma->vm_start, runs[r].start);
		assert_int_equal(vma->vm_end, runs[r].end);
		assert_int_equal(vma_kind(vma) & ~(child ? KIND_DONTFORK : 0), runs[r].kind);
		vma = vma->vm_next;
	}
	assert_null(vma);
	assert_int_equal(vma_tree_check(mm), 0);
}

/* The first run with end > @addr, as find_vma() must answer. */
static const struct run *ref_find(unsigned long addr)
{
	for (unsigned long r = 0; r < nr_runs; r++)
		if (runs[r].end > addr)
			return &runs[r];
	return NULL;
}

static void check_lookup(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	const struct run *r = ref_find(addr);
	struct vm_area_struct *vma = find_vma(mm, addr);
	struct vm_area_struct *in = vma_lookup(mm, addr);
	struct vm_area_struct *x = find_vma_intersection(mm, addr, addr + len);

	if (!r) {
		assert_null(vma);
		assert_null(in);
		assert_null(x);
		return;
	}
	assert_non_null(vma);
	assert_int_equal(vma->vm_start, r->start);
	if (r->start <= addr)
		assert_ptr_equal(in, vma);
	else
		assert_null(in);
	if (r->start < addr + len)
		assert_ptr_equal(x, vma);
	else
		assert_null(x);
}

/* Whether [a, a + len) (addresses) is free: outside the window all is. */
static bool ref_free(unsigned long a, unsigned long len)
{
	unsigned long lo = a < BASE ? 0 : (a - BASE) / P;
	unsigned long hi = a + len <= BASE ? 0 : (a + len - BASE) / P;

	lo = lo < W ? lo : W;
	hi = hi < W ? hi : W;
	return lo >= hi || mapped_before[hi] == mapped_before[lo];
}

static void check_gap_search(struct mm_struct *mm)
{
	unsigned long lo = BASE - MARGIN * P + rnd(W + 2 * MARGIN) * P;
	unsigned long hi = BASE - MARGIN * P + rnd(W + 2 * MARGIN) * P;
	unsigned long len = (1 + rnd(16)) * P, align = P << rnd(4);
	unsigned long top = 0, bottom = 0, a;

	if (lo > hi) {
		a = lo;
		lo = hi;
		hi = a;
	}
	if (hi - lo >= len) {
		for (a = ALIGN_DOWN(hi - len, align); a >= lo && !top; a -= align)
			if (ref_free(a, len))
				top = a;
		for (a = ALIGN(lo, align); a + len <= hi && !bottom; a += align)
			if (ref_free(a, len))
				bottom = a;
	}
	assert_int_equal(vma_tree_gap_topdown(mm, len, align, lo, hi), top);
	assert_int_equal(vma_tree_gap_bottomup(mm, len, align, lo, hi), bottom);
}

/* One random call and its effect on the reference. */
static void random_op(struct mm_struct *mm)
{
	unsigned long first = rnd(W), n = 1 + rnd(rnd(4) ? 8 : 64), a = page_addr(first);
	unsigned long end = first + n < W ? first + n : W;
	int prot = prots[rnd(3)], expect = 0;
	bool holes = false;

	n = end - first;
	for (unsigned long i = first; i < end; i++)
		holes |= kind[i] == KIND_NONE;
	switch (rnd(4)) {
	case 0:
		assert_int_equal(mmap_anon(mm, a, n * P, prot, MAP_FIXED), a);
		for (unsigned long i = first; i < end; i++)
			kind[i] = (prot == PROT_NONE ? 0 : prot == PROT_READ ? 1 : 2);
		break;
	case 1:
		assert_int_equal(gupsim_munmap(mm, a, n * P), 0);
		for (unsigned long i = first; i < end; i++)
			kind[i] = KIND_NONE;
		break;
	case 2:
		/* all or nothing: a hole refuses the whole call */
		expect = holes ? -ENOMEM : 0;
		assert_int_equal(gupsim_mprotect(mm, a, n * P, prot), expect);
		for (unsigned long i = first; i < end && !holes; i++)
			kind[i] = (kind[i] & KIND_DONTFORK) +
				  (prot == PROT_NONE ? 0 : prot == PROT_READ ? 1 : 2);
		break;
	default: {
		bool dontfork = rnd(2);

		/* the mapped parts change; a hole is reported at the end */
		expect = holes ? -ENOMEM : 0;
		assert_int_equal(gupsim_madvise(mm, a, n * P,
						dontfork ? MADV_DONTFORK : MADV_DOFORK), expect);
		for (unsigned long i = first; i < end; i++)
			if (kind[i] != KIND_NONE)
				kind[i] = (kind[i] & ~KIND_DONTFORK) |
					  (dontfork ? KIND_DONTFORK : 0);
		break;
	}
	}
	reference_runs();
}

static void check_fork(struct mm_struct *mm)
{
	struct mm_struct *child = gupsim_fork(mm);

	assert_false(GUPSIM_IS_ERR_VALUE((unsigned long)child));
	lock(child);
	check_list(child, true);
	unlock(child);
	gupsim_mm_put(child);
}

static void tree_matches_a_sorted_reference(void **state)
{
	struct mm_struct *mm = fixture_mm(state);

	for (unsigned long i = 0; i < W; i++)
		kind[i] = KIND_NONE;
	reference_runs();
	for (int op = 0; op < NR_OPS; op++) {
		random_op(mm);
		lock(mm);
		check_list(mm, false);
		for (int k = 0; k < 4; k++)
			check_lookup(mm, BASE - 2 * P + rnd(W + 4) * P + rnd(P),
				     (1 + rnd(8)) * P);
		check_gap_search(mm);
		unlock(mm);
		if (op % 5000 == 4999)
			check_fork(mm);
	}
	/* every page of the window, and just outside it */
	lock(mm);
	for (unsigned long a = BASE - P; a <= BASE + W * P; a += P)
		check_lookup(mm, a, P);
	unlock(mm);
}

/* 65,530 VMAs: the tree stays within the AVL height bound, and it and the
 * gap search stay right as every other VMA goes. */
static void tree_holds_max_map_count_vmas(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long top = 0x400000000000UL, addr = top;

	for (unsigned long n = 0; n < MAX_MAP_COUNT; n++) {
		addr -= P;
		assert_int_equal(mmap_anon(mm, addr, P, (n & 1) ? PROT_READ : PROT_NONE,
					   MAP_FIXED), addr);
	}
	lock(mm);
	assert_int_equal(mm->map_count, MAX_MAP_COUNT);
	assert_int_equal(vma_tree_check(mm), 0);
	assert_true(mm->vma_root->vm_tree_height <= 23);	/* 1.44 log2(65,530) */
	assert_int_equal(find_vma(mm, addr + 1000 * P + 5)->vm_start, addr + 1000 * P);
	assert_int_equal(vma_tree_gap_topdown(mm, P, P, addr - P, top), addr - P);
	assert_int_equal(vma_tree_gap_bottomup(mm, P, P, addr - P, top + P), addr - P);
	unlock(mm);
	for (unsigned long n = 0; n < MAX_MAP_COUNT; n += 2)
		assert_int_equal(gupsim_munmap(mm, addr + n * P, P), 0);
	lock(mm);
	assert_int_equal(mm->map_count, MAX_MAP_COUNT / 2);
	assert_int_equal(vma_tree_check(mm), 0);
	assert_int_equal(vma_tree_gap_topdown(mm, P, P, addr, top - 2 * P), top - 4 * P);
	assert_int_equal(vma_tree_gap_bottomup(mm, P, P, addr + P, top), addr + 2 * P);
	assert_int_equal(vma_tree_gap_bottomup(mm, 2 * P, P, addr, top), 0);
	assert_int_equal(vma_tree_gap_bottomup(mm, 2 * P, P, addr, top + 2 * P), top);
	unlock(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tree_matches_a_sorted_reference, mm_setup,
						teardown),
		cmocka_unit_test_setup_teardown(tree_holds_max_map_count_vmas, mm_setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
