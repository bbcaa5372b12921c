// SPDX-License-Identifier: MIT
/*
 * A page's first data, raced: a device (DMA) and the CPU (a user write)
 * write different bytes of the same page that has no data yet, at the
 * same time. Whichever gives the page its data first, neither write is
 * lost and the rest of the page reads zeros. Run under TSan in CI.
 */
#include <pthread.h>

#include "mm_helpers.h"

#define ADDR	0x20000000UL
#define PAGES	64
#define ROUNDS	40

struct race {
	struct mm_struct *mm;
	struct page *pages[PAGES];
	pthread_barrier_t go;
	int bad;
};

static void *device(void *arg)
{
	struct race *r = arg;

	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&r->go);
		for (int i = 0; i < PAGES; i++)
			if (gupsim_dma_write(r->pages[i], 8, "dev", 3) != 3)
				r->bad++;
		pthread_barrier_wait(&r->go);
	}
	return NULL;
}

static void *cpu(void *arg)
{
	struct race *r = arg;
	int bad = 0;

	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&r->go);
		/* from the last page down: the two meet in the middle */
		for (int i = PAGES - 1; i >= 0; i--)
			if (gupsim_write(r->mm, ADDR + (unsigned long)i * PAGE_SIZE + 2048,
					 "cpu", 3) != 3)
				bad++;
		pthread_barrier_wait(&r->go);
	}
	return (void *)(long)bad;
}

static void check_page(struct race *r, int i)
{
	static unsigned char buf[PAGE_SIZE], want[PAGE_SIZE];

	memset(want, 0, sizeof(want));
	memcpy(want + 8, "dev", 3);
	memcpy(want + 2048, "cpu", 3);
	assert_int_equal(gupsim_read(r->mm, ADDR + (unsigned long)i * PAGE_SIZE, buf, PAGE_SIZE),
			 PAGE_SIZE);
	assert_memory_equal(buf, want, PAGE_SIZE);
}

static void first_data_raced_by_dma_and_cpu_loses_no_write(void **state)
{
	struct race r = { .mm = fixture_mm(state) };
	pthread_t dev, user;
	void *bad;

	assert_int_equal(mmap_anon(r.mm, ADDR, PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
				   MAP_FIXED), ADDR);
	pthread_barrier_init(&r.go, NULL, 3);
	assert_int_equal(pthread_create(&dev, NULL, device, &r), 0);
	assert_int_equal(pthread_create(&user, NULL, cpu, &r), 0);
	gupsim_kthread_use_mm(r.mm);
	for (int round = 0; round < ROUNDS; round++) {
		/* new pages without data, pinned for the device */
		assert_int_equal(gupsim_pin_user_pages_fast(ADDR, PAGES, FOLL_WRITE, r.pages),
				 PAGES);
		for (int i = 0; i < PAGES; i++)
			assert_false(page_has_data(r.pages[i]));
		pthread_barrier_wait(&r.go);
		pthread_barrier_wait(&r.go);
		for (int i = 0; i < PAGES; i++)
			check_page(&r, i);
		gupsim_unpin_user_pages(r.pages, PAGES);
		assert_int_equal(gupsim_madvise(r.mm, ADDR, PAGES * PAGE_SIZE, MADV_DONTNEED), 0);
	}
	gupsim_kthread_unuse_mm(r.mm);
	pthread_join(dev, NULL);
	pthread_join(user, &bad);
	pthread_barrier_destroy(&r.go);
	assert_int_equal(r.bad + (int)(long)bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_data_raced_by_dma_and_cpu_loses_no_write,
						mm_setup, mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
