// SPDX-License-Identifier: MIT
/*
 * Per-thread state stays bounded. A thread that rotates GUP-fast over more
 * machines than its cache holds allocates no new walker per call (it used
 * to add one to the machine's list each time); threads that exit fold
 * their vmstat shards into the machine and give their walkers up, so many
 * short threads leave one shard and one walker behind, not one each, and
 * no count is lost. Internal counts are asserted, never time.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

#define MACHINES	12
#define CALLS		600
#define SHORT_THREADS	300

static unsigned long list_len_shards(struct gupsim *sim)
{
	unsigned long n = 0;

	pthread_mutex_lock(&sim->vmstat_lock);
	for (struct vmstat_shard *s = sim->shards; s; s = s->next)
		n++;
	pthread_mutex_unlock(&sim->vmstat_lock);
	return n;
}

/* struct fast_walker is private to pgtable.c: its first word links it. */
static unsigned long list_len_walkers(struct gupsim *sim)
{
	unsigned long n = 0;

	pthread_mutex_lock(&sim->walker_lock);
	for (void **w = (void **)sim->walkers; w; w = (void **)*w)
		n++;
	pthread_mutex_unlock(&sim->walker_lock);
	return n;
}

struct box {
	struct gupsim *sim;
	struct mm_struct *mm;
	unsigned long addr;
	struct warn_log warns;
};

static void box_init(struct box *b)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 8;
	b->sim = gupsim_create(&cfg);
	assert_non_null(b->sim);
	gupsim_set_warn_handler(b->sim, warn_log_fn, &b->warns);
	b->mm = gupsim_mm_create(b->sim);
	assert_non_null(b->mm);
	b->addr = gupsim_mmap(b->mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, NULL, 0);
	assert_false(IS_ERR_VALUE(b->addr));
}

static void box_fini(struct box *b)
{
	assert_int_equal(b->warns.count, 0);
	assert_int_equal(gupsim_check(b->sim), 0);
	gupsim_mm_put(b->mm);
	gupsim_destroy(b->sim);
}

static void pin_once(struct box *b)
{
	struct page *page;

	gupsim_kthread_use_mm(b->mm);
	assert_int_equal(gupsim_pin_user_pages_fast(b->addr, 1, FOLL_WRITE, &page), 1);
	gupsim_unpin_user_page(page);
	gupsim_kthread_unuse_mm(b->mm);
}

static void rotating_over_many_machines_allocates_no_walker_per_call(void **state)
{
	static struct box boxes[MACHINES];

	(void)state;
	for (int i = 0; i < MACHINES; i++)
		box_init(&boxes[i]);
	for (int c = 0; c < CALLS; c++)
		pin_once(&boxes[c % MACHINES]);
	for (int i = 0; i < MACHINES; i++) {
		assert_int_equal(list_len_walkers(boxes[i].sim), 1);
		assert_int_equal(list_len_shards(boxes[i].sim), 1);
		assert_int_equal(gupsim_vmstat(boxes[i].sim, GUPSIM_NR_GUP_FAST_CALLS),
				 CALLS / MACHINES);
	}
	for (int i = 0; i < MACHINES; i++)
		box_fini(&boxes[i]);
}

static void *short_thread(void *arg)
{
	pin_once(arg);
	return NULL;
}

static void short_threads_leave_one_shard_and_one_walker(void **state)
{
	struct box b = { 0 };

	(void)state;
	box_init(&b);
	for (int i = 0; i < SHORT_THREADS; i++) {
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, short_thread, &b), 0);
		pthread_join(th, NULL);
	}
	/* the main thread's shard (it mapped and populated) */
	assert_true(list_len_shards(b.sim) <= 1);
	assert_true(list_len_walkers(b.sim) <= 1);
	/* nothing the exited threads counted is lost */
	assert_int_equal(gupsim_vmstat(b.sim, GUPSIM_NR_GUP_FAST_CALLS), SHORT_THREADS);
	assert_int_equal(gupsim_vmstat(b.sim, GUPSIM_NR_FOLL_PIN_ACQUIRED), SHORT_THREADS);
	assert_int_equal(gupsim_vmstat(b.sim, GUPSIM_NR_FOLL_PIN_RELEASED), SHORT_THREADS);
	box_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rotating_over_many_machines_allocates_no_walker_per_call),
		cmocka_unit_test(short_threads_leave_one_shard_and_one_walker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
