// SPDX-License-Identifier: MIT
/*
 * User accesses racing MADV_DONTNEED and MADV_POPULATE_WRITE in another
 * thread (both under the mmap lock for reading, as in the kernel): a read
 * sees the last value written or zero, never a freed page; the machine is
 * consistent afterwards and every page comes back. Run under TSan in CI.
 */
#include <pthread.h>

#include "mm_helpers.h"

#define P	PAGE_SIZE
#define PAGES	32
#define ROUNDS	20000

struct race {
	struct mm_struct *mm;
	unsigned long base;
	int stop;		/* atomic */
	int bad;
};

static void *accessor(void *arg)
{
	struct race *r = arg;
	unsigned long long seed = 1;

	for (int i = 0; i < ROUNDS; i++) {
		unsigned long addr;
		unsigned char v = (unsigned char)(1 + i % 250), back = 0xff;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		addr = r->base + ((seed >> 33) % PAGES) * P + (seed >> 20) % (P - 1);
		if (gupsim_write(r->mm, addr, &v, 1) != 1 ||
		    gupsim_read(r->mm, addr, &back, 1) != 1 || (back != v && back != 0))
			r->bad++;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *zapper(void *arg)
{
	struct race *r = arg;
	unsigned long n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		unsigned long first = (n * 7) % PAGES, len = 1 + n % 5;

		if (first + len > PAGES)
			len = PAGES - first;
		if (gupsim_madvise(r->mm, r->base + first * P, len * P,
				   (n & 3) ? MADV_DONTNEED : MADV_POPULATE_WRITE))
			r->bad++;
		n++;
	}
	return NULL;
}

static void accesses_race_dontneed(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct race r = { .mm = mm };
	pthread_t a, z;

	r.base = mmap_anon(mm, 0, PAGES * P, PROT_READ | PROT_WRITE, 0);
	assert_false(IS_ERR_VALUE(r.base));
	assert_int_equal(pthread_create(&z, NULL, zapper, &r), 0);
	assert_int_equal(pthread_create(&a, NULL, accessor, &r), 0);
	pthread_join(a, NULL);
	pthread_join(z, NULL);
	assert_int_equal(r.bad, 0);
	assert_int_equal(fixture_warns(state)->count, 0);
	assert_int_equal(mm_check_flags(mm, MM_CHECK_EXACT_REFS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(accesses_race_dontneed, mm_setup, mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
