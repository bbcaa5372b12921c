// SPDX-License-Identifier: MIT
/*
 * mmap(2) and munmap(2): errnos, placement, VMA split and merge, MAP_FIXED,
 * hugetlb, MAP_POPULATE, max_map_count and teardown.
 */
#include "mm_helpers.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB	(30 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define P	PAGE_SIZE
#define ERR(x)	((unsigned long)(long)(x))

/* ---- mm lifecycle ---- */

static void mm_create_and_put_return_every_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long before = gupsim_nr_free_pages(sim);
	struct mm_struct *mm = gupsim_mm_create(sim);

	assert_non_null(mm);
	assert_ptr_equal(gupsim_mm_sim(mm), sim);
	assert_false(gupsim_mm_has_pinned(mm));
	/* the root page table */
	assert_int_equal(gupsim_nr_free_pages(sim), before - 1);
	gupsim_mm_get(mm);
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_nr_free_pages(sim), before - 1);
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_nr_free_pages(sim), before);
	assert_null(gupsim_mm_create(NULL));
	assert_int_equal(errno, EINVAL);
}

static void mm_put_unmaps_every_kind_of_mapping(void **state)
{
	struct mm_fixture *m = *state;
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *shm = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "shm", 16 * P);
	struct file *reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "reg", 16 * P);
	unsigned long a, b, c, d;

	assert_non_null(shm);
	assert_non_null(reg);
	a = mmap_anon(mm, 0, 8 * P, PROT_READ | PROT_WRITE, 0);
	b = gupsim_mmap(mm, 0, 8 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	c = gupsim_mmap(mm, 0, 8 * P, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	d = gupsim_mmap(mm, 0, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, reg, 4 * P);
	for (int i = 0; i < 8; i++) {
		write_byte(mm, a + i * P, 1);
		write_byte(mm, b + i * P, 2);
		write_byte(mm, c + i * P, 3);
		(void)read_byte(mm, d + i * P);
		if (i & 1)
			write_byte(mm, d + i * P, 4);
	}
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	/* the mappings hold their files: closing them first is fine */
	gupsim_file_put(shm);
	gupsim_file_put(reg);
	gupsim_mm_put(mm);
	m->mm = NULL;
	assert_int_equal(gupsim_nr_free_pages(sim), m->free_at_start);
	assert_int_equal(fixture_warns(state)->count, 0);
}

static void destroy_tears_down_live_mms(void **state)
{
	struct gupsim *sim = gupsim_create(NULL);
	struct mm_struct *mm;
	unsigned long a;

	(void)state;
	assert_non_null(sim);
	mm = gupsim_mm_create(sim);
	assert_non_null(mm);
	assert_non_null(gupsim_mm_create(sim));
	a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	write_byte(mm, a, 7);
	gupsim_destroy(sim);	/* ASan / LSan would see a leak or a bad access */
}

/* ---- mmap errnos ---- */

static void mmap_rejects_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "reg", 4 * P);
	struct file *sec = gupsim_file_create(sim, GUPSIM_FILE_SECRETMEM, "sec", 4 * P);
	int rw = PROT_READ | PROT_WRITE;

	assert_int_equal(gupsim_mmap(NULL, 0, P, rw, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0),
			 ERR(-EINVAL));
	/* neither MAP_SHARED nor MAP_PRIVATE, or an unknown type */
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, MAP_ANONYMOUS, NULL, 0), ERR(-EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, 0x0f | MAP_ANONYMOUS, NULL, 0), ERR(-EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, 0x0f, reg, 0), ERR(-EINVAL));
	assert_int_equal(mmap_anon(mm, 0, 0, rw, 0), ERR(-EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, MAP_PRIVATE, reg, 100), ERR(-EINVAL));
	assert_int_equal(mmap_anon(mm, 0x100000001000UL + 1, P, rw, MAP_FIXED), ERR(-EINVAL));
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, MAP_PRIVATE, NULL, 0), ERR(-EBADF));
	assert_int_equal(mmap_anon(mm, 0, TASK_SIZE + P, rw, 0), ERR(-ENOMEM));
	assert_int_equal(mmap_anon(mm, TASK_SIZE - P, 2 * P, rw, MAP_FIXED), ERR(-ENOMEM));
	assert_int_equal(mmap_anon(mm, 0, (size_t)-1, rw, 0), ERR(-ENOMEM));
	assert_int_equal(mmap_anon(mm, 0x1000, P, rw, MAP_FIXED), ERR(-EPERM));
	/* MAP_HUGETLB: a file that is not hugetlbfs, an unknown size */
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, MAP_PRIVATE | MAP_HUGETLB, reg, 0),
			 ERR(-EINVAL));
	assert_int_equal(mmap_anon(mm, 0, P, rw, MAP_HUGETLB | (22 << MAP_HUGE_SHIFT)),
			 ERR(-EINVAL));
	/* secretmem is shared only; MAP_SHARED_VALIDATE knows its flags */
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, MAP_PRIVATE, sec, 0), ERR(-EINVAL));
	assert_false(IS_ERR_VALUE(gupsim_mmap(mm, 0, P, rw, MAP_SHARED, sec, 0)));
	assert_int_equal(gupsim_mmap(mm, 0, P, rw, MAP_SHARED_VALIDATE | 0x80000 /* MAP_SYNC */, reg, 0),
			 ERR(-EOPNOTSUPP));
	assert_false(IS_ERR_VALUE(gupsim_mmap(mm, 0, P, rw, MAP_SHARED_VALIDATE, reg, 0)));
	/* the refused calls left nothing behind */
	assert_int_equal(map_count(mm), 2);
	gupsim_file_put(reg);
	gupsim_file_put(sec);
}

static void mmap_fixed_noreplace_refuses_an_overlap(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ, 0);

	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(mmap_anon(mm, a + 3 * P, 2 * P, PROT_READ, MAP_FIXED_NOREPLACE),
			 ERR(-EEXIST));
	assert_int_equal(mmap_anon(mm, a + 4 * P, 2 * P, PROT_WRITE, MAP_FIXED_NOREPLACE),
			 a + 4 * P);
	assert_int_equal(map_count(mm), 2);
}

/* ---- placement ---- */

static void mmap_places_top_down_and_merges_neighbours(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, 0);
	unsigned long b = mmap_anon(mm, 0, 2 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long start, end, flags;

	assert_int_equal(a, MMAP_TOP - P);
	assert_int_equal(b, MMAP_TOP - 3 * P);
	/* two compatible anon neighbours are one VMA */
	assert_int_equal(map_count(mm), 1);
	assert_true(vma_at(mm, b, &start, &end, &flags));
	assert_int_equal(start, b);
	assert_int_equal(end, MMAP_TOP);
	assert_int_equal(flags, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC);
	/* different protections do not merge */
	assert_int_equal(mmap_anon(mm, 0, P, PROT_READ, 0), MMAP_TOP - 4 * P);
	assert_int_equal(map_count(mm), 2);
	/* a free hint is taken as is */
	assert_int_equal(mmap_anon(mm, 0x200000000000UL, P, PROT_READ, 0), 0x200000000000UL);
	/* an occupied one is not */
	assert_int_equal(mmap_anon(mm, a, P, PROT_READ, 0), MMAP_TOP - 5 * P);
}

static void mmap_aligns_pmd_sized_anon_mappings(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long small = mmap_anon(mm, 0, P, PROT_READ, 0);
	unsigned long big = mmap_anon(mm, 0, 2 * PMD_SIZE, PROT_READ, 0);
	unsigned long odd = mmap_anon(mm, 0, PMD_SIZE + P, PROT_WRITE, 0);

	assert_int_equal(small, MMAP_TOP - P);
	/* a multiple of 2 MiB without a hint: THP aligned (thp_get_unmapped_area) */
	assert_int_equal(big, ALIGN_DOWN(small - 2 * PMD_SIZE, PMD_SIZE));
	/* other sizes are placed right below */
	assert_int_equal(odd, big - PMD_SIZE - P);
}

static void mmap_fixed_replaces_what_was_there(void **state)
{
	struct mm_fixture *m = *state;
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long used, start, end;

	for (int i = 0; i < 4; i++)
		write_byte(mm, a + i * P, (unsigned char)(10 + i));
	used = m->free_at_start - gupsim_nr_free_pages(sim);
	/* a compatible replacement merges back into one VMA */
	assert_int_equal(mmap_anon(mm, a + P, 2 * P, PROT_READ | PROT_WRITE, MAP_FIXED), a + P);
	assert_int_equal(map_count(mm), 1);
	assert_int_equal(m->free_at_start - gupsim_nr_free_pages(sim), used - 2);
	assert_int_equal(read_byte(mm, a), 10);
	assert_int_equal(read_byte(mm, a + P), 0);
	assert_int_equal(read_byte(mm, a + 2 * P), 0);
	assert_int_equal(read_byte(mm, a + 3 * P), 13);
	/* an incompatible one splits: three VMAs */
	assert_int_equal(mmap_anon(mm, a + P, P, PROT_READ, MAP_FIXED), a + P);
	assert_int_equal(map_count(mm), 3);
	assert_true(vma_at(mm, a + P, &start, &end, NULL));
	assert_int_equal(start, a + P);
	assert_int_equal(end, a + 2 * P);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

/* ---- munmap ---- */

static void munmap_rejects_bad_arguments(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 2 * P, PROT_READ, 0);

	assert_int_equal(gupsim_munmap(NULL, a, P), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, a + 1, P), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, a, 0), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, a, (size_t)-P), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, TASK_SIZE + P, P), -EINVAL);
	/* nothing mapped there: fine */
	assert_int_equal(gupsim_munmap(mm, 0x100000000000UL, P), 0);
	assert_int_equal(map_count(mm), 1);
	/* a length that is not a page multiple covers the last page */
	assert_int_equal(gupsim_munmap(mm, a, P + 1), 0);
	assert_int_equal(map_count(mm), 0);
}

static void munmap_splits_and_remap_merges(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 3 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long start, end;

	write_byte(mm, a, 1);
	write_byte(mm, a + P, 2);
	write_byte(mm, a + 2 * P, 3);
	assert_int_equal(gupsim_munmap(mm, a + P, P), 0);
	assert_int_equal(map_count(mm), 2);
	assert_false(vma_at(mm, a + P, NULL, NULL, NULL));
	assert_int_equal(pte_at(mm, a + P), 0);
	assert_true(vma_at(mm, a + 2 * P, &start, &end, NULL));
	assert_int_equal(start, a + 2 * P);
	assert_int_equal(end, a + 3 * P);
	assert_int_equal(gupsim_read(mm, a + P, &start, 1), -EFAULT);
	assert_int_equal(mmap_anon(mm, a + P, P, PROT_READ | PROT_WRITE, MAP_FIXED), a + P);
	assert_int_equal(map_count(mm), 1);
	assert_int_equal(read_byte(mm, a), 1);
	assert_int_equal(read_byte(mm, a + P), 0);
	assert_int_equal(read_byte(mm, a + 2 * P), 3);
	/* unmapping across VMAs and holes */
	assert_int_equal(mmap_anon(mm, a + 4 * P, P, PROT_READ, MAP_FIXED), a + 4 * P);
	assert_int_equal(gupsim_munmap(mm, a + P, 10 * P), 0);
	assert_int_equal(map_count(mm), 1);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void munmap_frees_page_tables(void **state)
{
	struct mm_fixture *m = *state;
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	/* far from anything else: its own PUD, PMD and PTE tables */
	unsigned long a = mmap_anon(mm, 0x300000000000UL, 4 * P, PROT_READ | PROT_WRITE, 0);
	unsigned long before = gupsim_nr_free_pages(sim);

	write_byte(mm, a, 1);
	/* a page, a PTE table, a PMD table, a PUD table */
	assert_int_equal(gupsim_nr_free_pages(sim), before - 4);
	assert_int_equal(gupsim_munmap(mm, a, 4 * P), 0);
	assert_int_equal(gupsim_nr_free_pages(sim), before);
	assert_int_equal(gupsim_nr_free_pages(sim), m->free_at_start - 1);
}

/* ---- hugetlb ---- */

static void mmap_hugetlb_rounds_and_aligns(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long small = mmap_anon(mm, 0, P, PROT_READ, 0);
	unsigned long h = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	unsigned long h2 = mmap_anon(mm, 0, 3 * PMD_SIZE, PROT_READ, MAP_HUGETLB | MAP_HUGE_2MB);
	struct file *hfile = gupsim_file_create(sim, GUPSIM_FILE_HUGETLBFS, "h", 4 * PMD_SIZE);
	unsigned long start, end, flags;

	assert_int_equal(small, MMAP_TOP - P);
	assert_int_equal(h, ALIGN_DOWN(small, PMD_SIZE) - PMD_SIZE);
	assert_true(vma_at(mm, h, &start, &end, &flags));
	assert_int_equal(end - start, PMD_SIZE);
	assert_true(flags & VM_HUGETLB);
	assert_int_equal(h2, h - 3 * PMD_SIZE);
	/* no 1 GiB pool, and not enough 2 MiB pages for 5 more */
	assert_int_equal(mmap_anon(mm, 0, P, PROT_READ, MAP_HUGETLB | MAP_HUGE_1GB), ERR(-ENOMEM));
	assert_int_equal(mmap_anon(mm, 0, 9 * PMD_SIZE, PROT_READ, MAP_HUGETLB), ERR(-ENOMEM));
	assert_false(IS_ERR_VALUE(mmap_anon(mm, 0, 9 * PMD_SIZE, PROT_READ,
					    MAP_HUGETLB | MAP_NORESERVE)));
	/* a MAP_FIXED hugetlb address must be huge aligned */
	assert_int_equal(mmap_anon(mm, 0x200000000000UL + P, P, PROT_READ, MAP_HUGETLB | MAP_FIXED),
			 ERR(-EINVAL));
	/* hugetlbfs files: huge-aligned offsets only */
	assert_non_null(hfile);
	assert_int_equal(gupsim_mmap(mm, 0, P, PROT_READ, MAP_SHARED, hfile, P), ERR(-EINVAL));
	h = gupsim_mmap(mm, 0, P, PROT_READ, MAP_SHARED, hfile, PMD_SIZE);
	assert_true(IS_ALIGNED(h, PMD_SIZE));
	assert_true(vm_flags_at(mm, h) & VM_HUGETLB);
	gupsim_file_put(hfile);
	/* partial hugetlb munmap: -EINVAL, nothing changed */
	assert_int_equal(gupsim_munmap(mm, h2, P), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, h2 + P, PMD_SIZE), -EINVAL);
	assert_int_equal(gupsim_munmap(mm, h2, PMD_SIZE), 0);
	assert_true(vma_at(mm, h2 + PMD_SIZE, &start, &end, NULL));
	assert_int_equal(start, h2 + PMD_SIZE);
	assert_int_equal(end, h2 + 3 * PMD_SIZE);
}

/* ---- special files ---- */

static void mmap_pfnmap_file_is_io(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *dev = gupsim_file_create(sim, GUPSIM_FILE_PFNMAP, "dev", 4 * P);
	unsigned long a = gupsim_mmap(mm, 0, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	unsigned long flags = vm_flags_at(mm, a);

	assert_true((flags & (VM_IO | VM_PFNMAP)) == (VM_IO | VM_PFNMAP));
	assert_true(flags & VM_SHARED);
	gupsim_file_put(dev);
}

static void mmap_shared_anon_is_shmem(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = gupsim_mmap(mm, 0, 2 * P, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	struct vm_area_struct *vma;
	struct folio *folio;

	write_byte(mm, a + P, 5);
	folio = folio_at(mm, a + P);
	assert_non_null(folio);
	assert_false(folio_test_anon(folio));
	assert_true(shmem_mapping(folio->mapping));
	assert_int_equal(folio->index, 1);
	gupsim_mmap_read_lock(mm);
	vma = gupsim_vma_lookup(mm, a);
	assert_true(vma_is_shmem(vma));
	assert_false(vma_is_anonymous(vma));
	assert_int_equal(vma->vm_pgoff, 0);
	assert_true((vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) == (VM_SHARED | VM_MAYSHARE));
	gupsim_mmap_read_unlock(mm);
	/* two shared anon mappings are two files: never merged */
	assert_int_equal(gupsim_mmap(mm, a - P, P, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), a - P);
	assert_int_equal(map_count(mm), 2);
}

/* ---- MAP_POPULATE ---- */

static void map_populate_faults_like_the_kernel(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long w = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, MAP_POPULATE);
	unsigned long r = mmap_anon(mm, 0x200000000000UL, 4 * P, PROT_READ, MAP_POPULATE);
	unsigned long n = mmap_anon(mm, 0x210000000000UL, 4 * P, PROT_NONE, MAP_POPULATE);
	unsigned long nb = mmap_anon(mm, 0x220000000000UL, P, PROT_READ | PROT_WRITE,
				     MAP_POPULATE | MAP_NONBLOCK);

	for (int i = 0; i < 4; i++) {
		pteval_t e = pte_at(mm, w + i * P);
		struct folio *folio = folio_at(mm, w + i * P);

		/* private writable: write faults, exclusive anon pages */
		assert_true(pte_present(e) && pte_write(e) && pte_dirty(e));
		assert_true(folio_test_anon(folio));
		assert_true(PageAnonExclusive(&folio->page));
		/* read-only: the zero page */
		assert_ptr_equal(gupsim_follow_page(mm, r + i * P), sim->zero_page);
		/* PROT_NONE: nothing, and no error */
		assert_int_equal(pte_at(mm, n + i * P), 0);
	}
	assert_int_equal(pte_at(mm, nb), 0);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void map_populate_of_a_shared_file_reads_its_pages(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "f", 4 * P);
	unsigned long s = gupsim_mmap(mm, 0, 4 * P, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_POPULATE, file, 0);

	for (int i = 0; i < 4; i++) {
		pteval_t e = pte_at(mm, s + i * P);
		struct folio *folio = folio_at(mm, s + i * P);

		/* shared: read faults (FOLL_FORCE, no FOLL_WRITE) map the cache's pages */
		assert_true(pte_present(e));
		assert_false(pte_dirty(e));
		assert_false(folio_test_anon(folio));
		assert_int_equal(folio->index, i);
	}
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	gupsim_file_put(file);
}

/* ---- max_map_count ---- */

static void map_count_is_limited(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long top = 0x400000000000UL, addr = top;
	unsigned long n;

	/* alternate protections so that nothing merges; each below the last */
	for (n = 0; n <= MAX_MAP_COUNT; n++) {
		addr -= P;
		assert_int_equal(mmap_anon(mm, addr, P, (n & 1) ? PROT_READ : PROT_NONE,
					   MAP_FIXED), addr);
	}
	/* the kernel refuses only once the count is above the limit */
	assert_int_equal(map_count(mm), MAX_MAP_COUNT + 1);
	assert_int_equal(mmap_anon(mm, addr - 2 * P, P, PROT_READ, MAP_FIXED), ERR(-ENOMEM));
	/* a merge adds no VMA but mmap checks first */
	assert_int_equal(map_count(mm), MAX_MAP_COUNT + 1);
	/* removing whole VMAs is always possible */
	assert_int_equal(gupsim_munmap(mm, addr, 2 * P), 0);
	assert_int_equal(map_count(mm), MAX_MAP_COUNT - 1);
	/* and so is a mapping again */
	assert_int_equal(mmap_anon(mm, addr, P, PROT_READ | PROT_WRITE, MAP_FIXED), addr);
	assert_int_equal(mmap_anon(mm, 0x100000000000UL, 4 * P, PROT_READ, MAP_FIXED),
			 0x100000000000UL);
	assert_int_equal(map_count(mm), MAX_MAP_COUNT + 1);
	/* punching a hole needs one more VMA: refused */
	assert_int_equal(gupsim_munmap(mm, 0x100000000000UL + P, P), -ENOMEM);
	assert_int_equal(gupsim_mprotect(mm, 0x100000000000UL + P, P, PROT_NONE), -ENOMEM);
	assert_int_equal(gupsim_madvise(mm, 0x100000000000UL + P, P, MADV_DONTFORK), -ENOMEM);
	assert_int_equal(map_count(mm), MAX_MAP_COUNT + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mm_create_and_put_return_every_page, sim_setup,
						sim_teardown),
		cmocka_unit_test_setup_teardown(mm_put_unmaps_every_kind_of_mapping, mm_setup,
						mm_teardown),
		cmocka_unit_test(destroy_tears_down_live_mms),
		cmocka_unit_test_setup_teardown(mmap_rejects_bad_arguments, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_fixed_noreplace_refuses_an_overlap, mm_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_places_top_down_and_merges_neighbours, mm_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_aligns_pmd_sized_anon_mappings, mm_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_fixed_replaces_what_was_there, mm_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(munmap_rejects_bad_arguments, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(munmap_splits_and_remap_merges, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(munmap_frees_page_tables, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_hugetlb_rounds_and_aligns, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_pfnmap_file_is_io, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(mmap_shared_anon_is_shmem, mm_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(map_populate_faults_like_the_kernel, mm_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(map_populate_of_a_shared_file_reads_its_pages, mm_setup,
						mm_teardown),
		cmocka_unit_test_setup_teardown(map_count_is_limited, mm_setup, mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
