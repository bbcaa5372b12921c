// SPDX-License-Identifier: MIT
/*
 * The VMA tree: the VMAs of an mm in an AVL tree keyed by vm_start, next
 * to the vm_next/vm_prev list (which keeps iteration in address order and
 * prev/next in O(1)). Why this tree, and how it is kept, is told at the
 * top of vma.c.
 *
 * Every node also knows the largest gap below a VMA of its subtree, where
 * a VMA's gap is [previous VMA's vm_end (0 for the first), vm_start): the
 * "augmented" tree of the kernel's rb-tree days (rb_subtree_gap, before
 * 6.1), which lets get_unmapped_area() find a free range in O(log n)
 * instead of walking every VMA.
 *
 * The functions recurse along one root-to-node path (at most ~1.44 log2 n
 * deep: 23 levels for 65,530 VMAs) and recompute heights and gaps on the
 * way back up. A VMA's gap depends on the list (its vm_prev), so the list
 * is always changed first and the tree told afterwards. The one VMA
 * whose gap an insert or a removal changes besides its own is the next
 * one, and that is always on the path just recomputed: the successor of
 * a new leaf is the nearest ancestor it hangs left of, and the successor
 * of a removed node is either the minimum of its right subtree (which
 * takes its place) or such an ancestor. A split or merge changes a
 * vm_end and then inserts or removes right after that VMA, so the same
 * holds.
 */
#include "internal.h"

#define LEFT(v)		((v)->vm_tree_left)
#define RIGHT(v)	((v)->vm_tree_right)

static unsigned long vma_gap(const struct vm_area_struct *v)
{
	return v->vm_start - (v->vm_prev ? v->vm_prev->vm_end : 0);
}

static int height(const struct vm_area_struct *v)
{
	return v ? v->vm_tree_height : 0;
}

static unsigned long subtree_gap(const struct vm_area_struct *v)
{
	return v ? v->vm_tree_gap : 0;
}

static void node_update(struct vm_area_struct *v)
{
	int hl = height(LEFT(v)), hr = height(RIGHT(v));
	unsigned long gap = vma_gap(v), gl = subtree_gap(LEFT(v)), gr = subtree_gap(RIGHT(v));

	v->vm_tree_height = 1 + (hl > hr ? hl : hr);
	if (gl > gap)
		gap = gl;
	v->vm_tree_gap = gr > gap ? gr : gap;
}

static struct vm_area_struct *rotate_right(struct vm_area_struct *v)
{
	struct vm_area_struct *l = LEFT(v);

	LEFT(v) = RIGHT(l);
	RIGHT(l) = v;
	node_update(v);
	node_update(l);
	return l;
}

static struct vm_area_struct *rotate_left(struct vm_area_struct *v)
{
	struct vm_area_struct *r = RIGHT(v);

	RIGHT(v) = LEFT(r);
	LEFT(r) = v;
	node_update(v);
	node_update(r);
	return r;
}

/* @v's subtrees are AVL trees whose heights differ by at most 2. */
static struct vm_area_struct *rebalance(struct vm_area_struct *v)
{
	int balance = height(LEFT(v)) - height(RIGHT(v));

	if (balance > 1) {
		if (height(LEFT(LEFT(v))) < height(RIGHT(LEFT(v))))
			LEFT(v) = rotate_left(LEFT(v));
		return rotate_right(v);
	}
	if (balance < -1) {
		if (height(RIGHT(RIGHT(v))) < height(LEFT(RIGHT(v))))
			RIGHT(v) = rotate_right(RIGHT(v));
		return rotate_left(v);
	}
	node_update(v);
	return v;
}

static struct vm_area_struct *tree_insert(struct vm_area_struct *root,
					  struct vm_area_struct *vma)
{
	if (!root) {
		LEFT(vma) = RIGHT(vma) = NULL;
		node_update(vma);
		return vma;
	}
	if (vma->vm_start < root->vm_start)
		LEFT(root) = tree_insert(LEFT(root), vma);
	else
		RIGHT(root) = tree_insert(RIGHT(root), vma);
	return rebalance(root);
}

static struct vm_area_struct *remove_min(struct vm_area_struct *root,
					 struct vm_area_struct **min)
{
	if (!LEFT(root)) {
		*min = root;
		return RIGHT(root);
	}
	LEFT(root) = remove_min(LEFT(root), min);
	return rebalance(root);
}

static struct vm_area_struct *tree_remove(struct vm_area_struct *root,
					  struct vm_area_struct *vma)
{
	struct vm_area_struct *min;

	if (!root)
		return NULL;
	if (root == vma) {
		if (!RIGHT(root))
			return LEFT(root);
		RIGHT(vma) = remove_min(RIGHT(vma), &min);
		LEFT(min) = LEFT(vma);
		RIGHT(min) = RIGHT(vma);
		LEFT(vma) = RIGHT(vma) = NULL;
		return rebalance(min);
	}
	if (vma->vm_start < root->vm_start)
		LEFT(root) = tree_remove(LEFT(root), vma);
	else
		RIGHT(root) = tree_remove(RIGHT(root), vma);
	return rebalance(root);
}

void vma_tree_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	mm->vma_root = tree_insert(mm->vma_root, vma);
}

void vma_tree_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	mm->vma_root = tree_remove(mm->vma_root, vma);
}

/* The next @n VMAs of the list from *@cursor as a balanced tree. */
static struct vm_area_struct *build(struct vm_area_struct **cursor, unsigned long n)
{
	struct vm_area_struct *left, *v;

	if (!n || !*cursor)
		return NULL;
	left = build(cursor, n / 2);
	v = *cursor;
	*cursor = v->vm_next;
	LEFT(v) = left;
	RIGHT(v) = build(cursor, n - n / 2 - 1);
	node_update(v);
	return v;
}

void vma_tree_build(struct mm_struct *mm)
{
	struct vm_area_struct *cursor = mm->mmap;

	mm->vma_root = build(&cursor, mm->map_count);
}

/* The first VMA with vm_end > @addr: VMAs do not overlap, so vm_end is
 * ordered like vm_start. */
struct vm_area_struct *vma_tree_find(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *v = mm->vma_root, *best = NULL;

	while (v) {
		if (v->vm_end > addr) {
			best = v;
			v = LEFT(v);
		} else {
			v = RIGHT(v);
		}
	}
	return best;
}

struct vm_area_struct *vma_tree_last(struct mm_struct *mm)
{
	struct vm_area_struct *v = mm->vma_root;

	while (v && RIGHT(v))
		v = RIGHT(v);
	return v;
}

/* ---- free ranges (get_unmapped_area) ---- */

struct gap_req {
	unsigned long len, align, lo, hi;
};

/* The highest aligned start of a range of len in [gs, ge) ∩ [lo, hi), or 0. */
static unsigned long fit_top(unsigned long gs, unsigned long ge, const struct gap_req *r)
{
	unsigned long cand;

	gs = gs > r->lo ? gs : r->lo;
	ge = ge < r->hi ? ge : r->hi;
	if (ge <= gs || ge - gs < r->len)
		return 0;
	cand = ALIGN_DOWN(ge - r->len, r->align);
	return cand >= gs ? cand : 0;
}

/* The lowest such start, or 0. */
static unsigned long fit_bottom(unsigned long gs, unsigned long ge, const struct gap_req *r)
{
	gs = ALIGN(gs > r->lo ? gs : r->lo, r->align);
	ge = ge < r->hi ? ge : r->hi;
	return ge > gs && ge - gs >= r->len ? gs : 0;
}

/*
 * Subtrees whose largest gap is too small are skipped; so are those wholly
 * above hi (right of a VMA starting at or above hi) or wholly below lo
 * (left of a VMA whose gap starts at or below lo).
 */
static unsigned long search_top(const struct vm_area_struct *v, const struct gap_req *r)
{
	unsigned long got, prev_end;

	if (!v || v->vm_tree_gap < r->len)
		return 0;
	if (v->vm_start < r->hi) {
		got = search_top(RIGHT(v), r);
		if (got)
			return got;
	}
	prev_end = v->vm_prev ? v->vm_prev->vm_end : 0;
	got = fit_top(prev_end, v->vm_start, r);
	if (got || prev_end <= r->lo)
		return got;
	return search_top(LEFT(v), r);
}

static unsigned long search_bottom(const struct vm_area_struct *v, const struct gap_req *r)
{
	unsigned long got, prev_end;

	if (!v || v->vm_tree_gap < r->len)
		return 0;
	prev_end = v->vm_prev ? v->vm_prev->vm_end : 0;
	if (prev_end > r->lo) {
		got = search_bottom(LEFT(v), r);
		if (got)
			return got;
	}
	got = fit_bottom(prev_end, v->vm_start, r);
	if (got || v->vm_start >= r->hi)
		return got;
	return search_bottom(RIGHT(v), r);
}

/* The gap above the last VMA reaches to the end of the address space. */
static unsigned long last_end(struct mm_struct *mm)
{
	return mm->mmap_last ? mm->mmap_last->vm_end : 0;
}

unsigned long vma_tree_gap_topdown(struct mm_struct *mm, unsigned long len,
				   unsigned long align, unsigned long lo, unsigned long hi)
{
	struct gap_req r = { len, align, lo, hi };
	unsigned long got = fit_top(last_end(mm), hi, &r);

	return got ? got : search_top(mm->vma_root, &r);
}

unsigned long vma_tree_gap_bottomup(struct mm_struct *mm, unsigned long len,
				    unsigned long align, unsigned long lo, unsigned long hi)
{
	struct gap_req r = { len, align, lo, hi };
	unsigned long got = search_bottom(mm->vma_root, &r);

	return got ? got : fit_bottom(last_end(mm), hi, &r);
}

/* ---- consistency ---- */

struct tree_check {
	struct mm_struct *mm;
	struct vm_area_struct *expect;	/* the list's next VMA, in order */
	unsigned long nodes;
	long problems;
};

static void tree_report(struct tree_check *c, const char *what, const struct vm_area_struct *v)
{
	c->problems++;
	gupsim_log(c->mm->sim, "vma_tree: mm %d: %s at VMA [%#lx, %#lx)\n", c->mm->id, what,
		   v->vm_start, v->vm_end);
}

/* Reads only: readers may share the mmap lock with the checker. */
static void check_node(struct tree_check *c, const struct vm_area_struct *v)
{
	int hl, hr;
	unsigned long gap;

	if (!v)
		return;
	check_node(c, LEFT(v));
	if (v != c->expect)
		tree_report(c, "tree order differs from the list", v);
	c->expect = v->vm_next;
	c->nodes++;
	check_node(c, RIGHT(v));
	hl = height(LEFT(v));
	hr = height(RIGHT(v));
	gap = vma_gap(v);
	if (subtree_gap(LEFT(v)) > gap)
		gap = subtree_gap(LEFT(v));
	if (subtree_gap(RIGHT(v)) > gap)
		gap = subtree_gap(RIGHT(v));
	if (v->vm_tree_height != 1 + (hl > hr ? hl : hr) || v->vm_tree_gap != gap)
		tree_report(c, "stale height or gap", v);
	if (hl - hr > 1 || hr - hl > 1)
		tree_report(c, "unbalanced", v);
}

long vma_tree_check(struct mm_struct *mm)
{
	struct tree_check c = { .mm = mm, .expect = mm->mmap };

	if (mm->vma_root)
		check_node(&c, mm->vma_root);
	if (c.nodes != mm->map_count || c.expect || vma_tree_last(mm) != mm->mmap_last) {
		c.problems++;
		gupsim_log(mm->sim, "vma_tree: mm %d: %lu nodes, %lu VMAs\n", mm->id, c.nodes,
			   mm->map_count);
	}
	return c.problems;
}
