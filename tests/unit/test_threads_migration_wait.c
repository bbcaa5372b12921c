// SPDX-License-Identifier: MIT
/*
 * migration_entry_wait(): a user access that faults on a migration entry
 * waits for the migration to finish. Writers write a valid RW mapping in
 * ZONE_MOVABLE while another thread long-term pins it (which migrates each
 * page out of ZONE_MOVABLE) and zaps it again: not one write may fail or
 * come back short (they used to give up after 1000 yields). Run under TSan
 * in CI.
 */
#include <pthread.h>
#include <time.h>

#include "mm_helpers.h"

#define P		PAGE_SIZE
#define PAGES		16
#define WRITERS		2
#define ROUNDS		20

struct mig {
	struct mm_struct *mm;
	unsigned long base;
	int stop;		/* atomic */
	long failed;		/* atomic */
	long writes;		/* atomic */
	long migrated;
};

static void *writer(void *arg)
{
	struct mig *m = arg;
	unsigned char buf[64];
	unsigned long i = 0;

	memset(buf, 0x5a, sizeof(buf));
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		unsigned long addr = m->base + (i % PAGES) * P + (i * 64) % (P - 64);

		if (gupsim_write(m->mm, addr, buf, sizeof(buf)) != (long)sizeof(buf))
			__atomic_add_fetch(&m->failed, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&m->writes, 1, __ATOMIC_RELAXED);
		i++;
	}
	return NULL;
}

/* Pin long-term (migrating what is in ZONE_MOVABLE), unpin, zap, repeat. */
static void *migrator(void *arg)
{
	struct mig *m = arg;
	struct page *pages[PAGES];

	for (int r = 0; r < ROUNDS; r++) {
		long before = (long)gupsim_vmstat(gupsim_mm_sim(m->mm),
						  GUPSIM_NR_LONGTERM_MIGRATIONS);
		long n;

		gupsim_mmap_read_lock(m->mm);
		n = gupsim_pin_user_pages_remote(m->mm, m->base, PAGES,
						 FOLL_WRITE | FOLL_LONGTERM, pages, NULL);
		gupsim_mmap_read_unlock(m->mm);
		if (n > 0)
			gupsim_unpin_user_pages(pages, (unsigned long)n);
		m->migrated += (long)gupsim_vmstat(gupsim_mm_sim(m->mm),
						   GUPSIM_NR_LONGTERM_MIGRATIONS) - before;
		/* fault the pages back in as user memory: in ZONE_MOVABLE */
		gupsim_madvise(m->mm, m->base, PAGES * P, MADV_DONTNEED);
		gupsim_madvise(m->mm, m->base, PAGES * P, MADV_POPULATE_WRITE);
	}
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A secondary MMU that is slow to invalidate for a migration (a device
 * flushing its TLB): the migration entries stand that much longer, longer
 * than any bounded number of retries.
 */
static int slow_invalidate(struct mmu_notifier *sub, const struct mmu_notifier_range *range)
{
	struct timespec ts = { 0, 10000000 };	/* 10 ms */

	(void)sub;
	if (range->event == MMU_NOTIFY_MIGRATE)
		nanosleep(&ts, NULL);
	return 0;
}

static const struct mmu_notifier_ops slow_ops = {
	.invalidate_range_start = slow_invalidate,
};

static void writes_never_fail_during_longterm_migration(void **state)
{
	struct mm_struct *mm = fixture_mm(state);
	struct mmu_notifier slow = { .ops = &slow_ops };
	struct mig m = { .mm = mm };
	pthread_t w[WRITERS], g;

	assert_int_equal(gupsim_mmu_notifier_register(&slow, mm), 0);

	m.base = mmap_anon(mm, 0, PAGES * P, PROT_READ | PROT_WRITE, 0);
	assert_false(IS_ERR_VALUE(m.base));
	assert_int_equal(gupsim_madvise(mm, m.base, PAGES * P, MADV_POPULATE_WRITE), 0);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&w[i], NULL, writer, &m), 0);
	assert_int_equal(pthread_create(&g, NULL, migrator, &m), 0);
	pthread_join(g, NULL);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	print_message("%ld writes, %ld migrations, %ld failed\n", m.writes, m.migrated,
		      m.failed);
	assert_true(m.migrated > 0);
	assert_int_equal(m.failed, 0);
	assert_int_equal(fixture_warns(state)->count, 0);
	assert_int_equal(gupsim_check(gupsim_mm_sim(mm)), 0);
	gupsim_mmu_notifier_unregister(&slow, mm);
}

static int movable_setup(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.movable_mb = 16;
	return mm_setup_cfg(state, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(writes_never_fail_during_longterm_migration,
						movable_setup, mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
