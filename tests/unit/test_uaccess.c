// SPDX-License-Identifier: MIT
/*
 * gupsim_read / gupsim_write as CPU accesses: faults like a program's loads
 * and stores, -EFAULT where a program gets SIGSEGV, partial counts across
 * an inaccessible page, accessed/dirty bits, COW of private file pages, and
 * gupsim_follow_page().
 */
#include "mm_helpers.h"

#define P	PAGE_SIZE

static void reading_untouched_anon_memory_maps_the_zero_page(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 2 * P, PROT_READ | PROT_WRITE, 0);
	unsigned char buf[16];
	pteval_t e;

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(gupsim_read(mm, a + P - 8, buf, 16), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(buf[i], 0);
	assert_ptr_equal(gupsim_follow_page(mm, a), sim->zero_page);
	assert_ptr_equal(gupsim_follow_page(mm, a + P), sim->zero_page);
	e = pte_at(mm, a);
	assert_false(pte_write(e));
	assert_true(pte_young(e));
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void writing_faults_in_exclusive_pages(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 2 * P, PROT_READ | PROT_WRITE, 0);
	char out[12] = { 0 };
	struct folio *folio;
	pteval_t e;

	assert_int_equal(gupsim_write(mm, a + P - 5, "hello world", 11), 11);
	assert_int_equal(gupsim_read(mm, a + P - 5, out, 11), 11);
	assert_string_equal(out, "hello world");
	for (int i = 0; i < 2; i++) {
		e = pte_at(mm, a + i * P);
		assert_true(pte_write(e) && pte_dirty(e) && pte_young(e));
		folio = folio_at(mm, a + i * P);
		assert_true(folio_test_anon(folio));
		assert_true(PageAnonExclusive(&folio->page));
		assert_int_equal(folio_ref_count(folio), 1);	/* the access let go */
	}
	/* a read after a write reads the same page */
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void a_read_fault_then_a_write_fault(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, 0);

	assert_int_equal(read_byte(mm, a), 0);
	assert_ptr_equal(gupsim_follow_page(mm, a), sim->zero_page);
	write_byte(mm, a, 9);
	assert_ptr_not_equal(gupsim_follow_page(mm, a), sim->zero_page);
	assert_int_equal(read_byte(mm, a), 9);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

static void permissions_are_the_cpu_s(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long r = mmap_anon(mm, 0, P, PROT_READ, 0);
	unsigned long n = mmap_anon(mm, 0, P, PROT_NONE, 0);
	unsigned long w = mmap_anon(mm, 0, P, PROT_WRITE, 0);
	unsigned char v = 1;

	assert_int_equal(gupsim_write(mm, r, &v, 1), -EFAULT);
	assert_int_equal(pte_at(mm, r), 0);		/* no fault was taken */
	assert_int_equal(gupsim_read(mm, n, &v, 1), -EFAULT);
	assert_int_equal(gupsim_write(mm, n, &v, 1), -EFAULT);
	/* x86: a write-only mapping is readable */
	write_byte(mm, w, 5);
	assert_int_equal(read_byte(mm, w), 5);
	/* mprotect to PROT_NONE: the page stays, the access faults */
	assert_int_equal(gupsim_mprotect(mm, w, P, PROT_NONE), 0);
	assert_int_equal(gupsim_read(mm, w, &v, 1), -EFAULT);
	assert_int_equal(gupsim_mprotect(mm, w, P, PROT_READ), 0);
	assert_int_equal(read_byte(mm, w), 5);
	assert_int_equal(gupsim_write(mm, w, &v, 1), -EFAULT);
}

static void an_access_stops_at_the_first_bad_page(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 3 * P, PROT_READ | PROT_WRITE, 0);
	static unsigned char buf[3 * 4096];

	assert_int_equal(gupsim_mprotect(mm, a + 2 * P, P, PROT_READ), 0);
	/* into a read-only page: what was written before it counts */
	assert_int_equal(gupsim_write(mm, a + 100, buf, 3 * P - 100), 2 * P - 100);
	/* into a hole */
	assert_int_equal(gupsim_munmap(mm, a + P, P), 0);
	assert_int_equal(gupsim_read(mm, a + P - 10, buf, 20), 10);
	assert_int_equal(gupsim_read(mm, a + P, buf, 20), -EFAULT);
}

static void bad_arguments(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, P, PROT_READ | PROT_WRITE, 0);
	unsigned char v;

	assert_int_equal(gupsim_read(NULL, a, &v, 1), -EINVAL);
	assert_int_equal(gupsim_write(NULL, a, &v, 1), -EINVAL);
	assert_int_equal(gupsim_read(mm, a, NULL, 1), -EFAULT);
	assert_int_equal(gupsim_read(mm, a, &v, 0), 0);
	assert_int_equal(gupsim_read(mm, (unsigned long)-2, &v, 4), -EFAULT);
	assert_int_equal(gupsim_write(mm, TASK_SIZE - 1, &v, 2), -EFAULT);
	assert_null(gupsim_follow_page(NULL, a));
	assert_null(gupsim_follow_page(mm, a));		/* not faulted in */
	assert_null(gupsim_follow_page(mm, (unsigned long)-1));
	assert_int_equal(pte_at(mm, a), 0);
}

static void private_file_pages_are_copied_on_write(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "f", 2 * P);
	unsigned long s = gupsim_mmap(mm, 0, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	unsigned long p = gupsim_mmap(mm, 0, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, file, 0);
	struct folio *cached;

	write_byte(mm, s + P, 'f');
	cached = folio_at(mm, s + P);
	assert_false(folio_test_anon(cached));
	assert_true(pte_dirty(pte_at(mm, s + P)));
	/* the private mapping first sees the file's page */
	assert_int_equal(read_byte(mm, p + P), 'f');
	assert_ptr_equal(folio_at(mm, p + P), cached);
	assert_false(pte_write(pte_at(mm, p + P)));
	/* its write gets a private anon copy; the file keeps its byte */
	write_byte(mm, p + P, 'p');
	assert_true(folio_test_anon(folio_at(mm, p + P)));
	assert_int_equal(read_byte(mm, s + P), 'f');
	assert_int_equal(read_byte(mm, p + P), 'p');
	assert_int_equal(folio_mapcount(cached), 1);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	/* a dirty shared PTE dirties the folio when it goes */
	assert_int_equal(gupsim_munmap(mm, s, 2 * P), 0);
	assert_true(folio_test_dirty(cached));
	gupsim_file_put(file);
}

static void two_mms_share_a_file(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct mm_struct *mm = fixture_mm(state);
	struct mm_struct *other = gupsim_mm_create(sim);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_MEMFD, "m", P);
	unsigned long a = gupsim_mmap(mm, 0, P, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	unsigned long b = gupsim_mmap(other, 0, P, PROT_READ, MAP_SHARED, file, 0);

	gupsim_file_put(file);
	write_byte(mm, a + 7, 77);
	assert_int_equal(read_byte(other, b + 7), 77);
	assert_ptr_equal(folio_at(mm, a), folio_at(other, b));
	assert_int_equal(folio_mapcount(folio_at(mm, a)), 2);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
	assert_int_equal(mm_check_flags(other, MM_CHECK_EXACT_REFS), 0);
	gupsim_mm_put(other);
	assert_int_equal(folio_mapcount(folio_at(mm, a)), 1);
}

static void follow_page_takes_no_reference(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	unsigned long a = mmap_anon(mm, 0, 4 * P, PROT_READ | PROT_WRITE, 0);
	struct page *page;

	write_byte(mm, a + 2 * P + 3, 1);
	page = gupsim_follow_page(mm, a + 2 * P + 3);
	assert_non_null(page);
	assert_int_equal(gupsim_page_count(page), 1);
	assert_ptr_equal(page, gupsim_follow_page(mm, a + 2 * P));
	assert_null(gupsim_follow_page(mm, a + 3 * P));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, mm_setup, mm_teardown)
	const struct CMUnitTest tests[] = {
		T(reading_untouched_anon_memory_maps_the_zero_page),
		T(writing_faults_in_exclusive_pages),
		T(a_read_fault_then_a_write_fault),
		T(permissions_are_the_cpu_s),
		T(an_access_stops_at_the_first_bad_page),
		T(bad_arguments),
		T(private_file_pages_are_copied_on_write),
		T(two_mms_share_a_file),
		T(follow_page_takes_no_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
