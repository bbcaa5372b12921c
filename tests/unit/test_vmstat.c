// SPDX-License-Identifier: MIT
/* vmstat: per-thread shards folded on read, /proc/vmstat printing. */
#include "helpers.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define NR_THREADS	4
#define NR_EVENTS	1000000L

/* Shards of @sim (white-box: the list is the fold's input). */
static int nr_shards(struct gupsim *sim)
{
	struct vmstat_shard *s;
	int n = 0;

	pthread_mutex_lock(&sim->vmstat_lock);
	for (s = sim->shards; s; s = s->next)
		n++;
	pthread_mutex_unlock(&sim->vmstat_lock);
	return n;
}

static void names_match_proc_vmstat(void **state)
{
	(void)state;
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_FOLL_PIN_ACQUIRED), "nr_foll_pin_acquired");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_FOLL_PIN_RELEASED), "nr_foll_pin_released");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_THP_SPLITS), "thp_split_pmd");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_THP_FAULT_ALLOC), "thp_fault_alloc");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_THP_FAULT_FALLBACK), "thp_fault_fallback");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_THP_SPLIT_PAGE), "thp_split_page");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_PGFAULT), "pgfault");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_PGMIGRATE_SUCCESS), "pgmigrate_success");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_PGMIGRATE_FAIL), "pgmigrate_fail");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_WARNINGS), "gupsim_warnings");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_BAD_PAGES), "gupsim_bad_pages");
	assert_string_equal(gupsim_vmstat_name(GUPSIM_NR_PIN_SANITIZER_REPORTS),
			    "gupsim_pin_sanitizer_reports");
}

/* Every item has a distinct name: kernel names, or gupsim_* for our own. */
static void every_item_has_a_unique_name(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < GUPSIM_NR_VMSTAT_ITEMS; i++) {
		const char *n = gupsim_vmstat_name((enum gupsim_vmstat_item)i);

		assert_non_null(n);
		assert_null(strchr(n, ' '));
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, gupsim_vmstat_name((enum gupsim_vmstat_item)j));
	}
}

static void unknown_item_is_zero_and_unnamed(void **state)
{
	struct gupsim *sim = fixture_sim(state);

	assert_null(gupsim_vmstat_name(GUPSIM_NR_VMSTAT_ITEMS));
	assert_null(gupsim_vmstat_name((enum gupsim_vmstat_item)-1));
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_VMSTAT_ITEMS), 0);
	assert_int_equal(gupsim_vmstat(sim, (enum gupsim_vmstat_item)-1), 0);
	assert_int_equal(gupsim_vmstat(NULL, GUPSIM_NR_PGFAULT), 0);
}

static void fresh_machine_counts_zero(void **state)
{
	struct gupsim *sim = fixture_sim(state);

	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_COW_COPIES), 0);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_GUP_SLOW_CALLS), 0);
}

static void counts_add_and_subtract(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long before = gupsim_vmstat(sim, GUPSIM_NR_UNSHARES);

	count_vm_events(sim, GUPSIM_NR_UNSHARES, 5);
	count_vm_event(sim, GUPSIM_NR_UNSHARES);
	count_vm_events(sim, GUPSIM_NR_UNSHARES, -2);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_UNSHARES), before + 4);
	/* other items untouched */
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_COW_REUSES), 0);
}

struct counter_arg {
	struct gupsim *sim;
	pthread_barrier_t *start;
	volatile int *writers_done;
};

static void *count_many(void *p)
{
	struct counter_arg *a = p;
	long i;

	pthread_barrier_wait(a->start);
	for (i = 0; i < NR_EVENTS; i++)
		count_vm_event(a->sim, GUPSIM_NR_COW_COPIES);
	return NULL;
}

/* A reader folds concurrently with the writers: the sum never goes back. */
static void *fold_while_counting(void *p)
{
	struct counter_arg *a = p;
	unsigned long last = 0, v;
	long bad = 0;

	pthread_barrier_wait(a->start);
	while (!__atomic_load_n(a->writers_done, __ATOMIC_ACQUIRE)) {
		v = gupsim_vmstat(a->sim, GUPSIM_NR_COW_COPIES);
		if (v < last)
			bad++;
		last = v;
	}
	return (void *)bad;
}

static void four_threads_count_exactly(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	pthread_t writers[NR_THREADS], reader;
	pthread_barrier_t start;
	volatile int done = 0;
	struct counter_arg arg = { sim, &start, &done };
	int shards_before = nr_shards(sim);
	void *bad;
	int i;

	pthread_barrier_init(&start, NULL, NR_THREADS + 1);
	for (i = 0; i < NR_THREADS; i++)
		assert_int_equal(pthread_create(&writers[i], NULL, count_many, &arg), 0);
	assert_int_equal(pthread_create(&reader, NULL, fold_while_counting, &arg), 0);
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(writers[i], NULL);
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	pthread_join(reader, &bad);
	pthread_barrier_destroy(&start);

	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_COW_COPIES), NR_THREADS * NR_EVENTS);
	assert_int_equal((long)bad, 0);
	/* one shard per writer thread, folded into the machine when it exited */
	assert_int_equal(nr_shards(sim), shards_before);
}

/* Counts of a thread that has exited still count. */
static void exited_thread_counts_remain(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	pthread_barrier_t start;
	struct counter_arg arg = { sim, &start, NULL };
	pthread_t t;

	pthread_barrier_init(&start, NULL, 1);
	assert_int_equal(pthread_create(&t, NULL, count_many, &arg), 0);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&start);
	count_vm_events(sim, GUPSIM_NR_COW_COPIES, 3);
	assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_COW_COPIES), NR_EVENTS + 3);
}

static struct gupsim *small_sim(void)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	return sim;
}

/* One thread alternating between two machines keeps one shard in each. */
static void thread_switches_between_two_machines(void **state)
{
	struct gupsim *a = small_sim(), *b = small_sim();
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		count_vm_event(a, GUPSIM_NR_PGFAULT);
		count_vm_events(b, GUPSIM_NR_PGFAULT, 2);
	}
	assert_int_equal(gupsim_vmstat(a, GUPSIM_NR_PGFAULT), 1000);
	assert_int_equal(gupsim_vmstat(b, GUPSIM_NR_PGFAULT), 2000);
	assert_int_equal(nr_shards(a), 1);
	assert_int_equal(nr_shards(b), 1);
	gupsim_destroy(a);
	gupsim_destroy(b);
}

/* More machines than the thread-local table holds: still one shard each. */
static void thread_cycles_through_many_machines(void **state)
{
	enum { N = 12, ROUNDS = 50 };
	struct gupsim *sims[N];
	int i, r;

	(void)state;
	for (i = 0; i < N; i++)
		sims[i] = small_sim();
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < N; i++)
			count_vm_events(sims[i], GUPSIM_NR_FAULT_ANON, i + 1);
	for (i = 0; i < N; i++) {
		assert_int_equal(gupsim_vmstat(sims[i], GUPSIM_NR_FAULT_ANON), ROUNDS * (i + 1));
		assert_int_equal(nr_shards(sims[i]), 1);
		gupsim_destroy(sims[i]);
	}
}

/* A new machine (perhaps at the old address) never sees the old counts. */
static void recreated_machine_starts_from_zero(void **state)
{
	struct gupsim *sim;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		sim = small_sim();
		assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_FAULT_FILE), 0);
		count_vm_events(sim, GUPSIM_NR_FAULT_FILE, 7);
		assert_int_equal(gupsim_vmstat(sim, GUPSIM_NR_FAULT_FILE), 7);
		assert_int_equal(nr_shards(sim), 1);
		gupsim_destroy(sim);
	}
}

static char *print_to_string(struct gupsim *sim, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*ret = gupsim_vmstat_print(sim, f);
	fclose(f);
	return buf;
}

static void print_writes_proc_vmstat_lines(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	char *buf, *line, *save = NULL;
	char want[128];
	int ret, i = 0;

	count_vm_events(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED, 1536);
	count_vm_events(sim, GUPSIM_NR_FOLL_PIN_RELEASED, 512);
	count_vm_events(sim, GUPSIM_NR_THP_SPLITS, 2);
	buf = print_to_string(sim, &ret);
	assert_int_equal(ret, 0);
	assert_non_null(buf);
	assert_memory_equal(buf, "nr_foll_pin_acquired 1536\nnr_foll_pin_released 512\n",
			    strlen("nr_foll_pin_acquired 1536\nnr_foll_pin_released 512\n"));
	assert_non_null(strstr(buf, "\nthp_split_pmd 2\n"));
	assert_non_null(strstr(buf, "\ngupsim_cow_copies 0\n"));

	/* exactly one "name value" line per item, in enum order */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		assert_true(i < GUPSIM_NR_VMSTAT_ITEMS);
		snprintf(want, sizeof(want), "%s %lu",
			 gupsim_vmstat_name((enum gupsim_vmstat_item)i),
			 gupsim_vmstat(sim, (enum gupsim_vmstat_item)i));
		assert_string_equal(line, want);
	}
	assert_int_equal(i, GUPSIM_NR_VMSTAT_ITEMS);
	free(buf);
}

static void print_rejects_bad_arguments(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	FILE *ro = fopen("/dev/null", "r");

	assert_int_equal(gupsim_vmstat_print(NULL, stdout), -EINVAL);
	assert_int_equal(gupsim_vmstat_print(sim, NULL), -EINVAL);
	/* a stream that cannot be written: a negative errno, no crash */
	assert_non_null(ro);
	assert_true(gupsim_vmstat_print(sim, ro) < 0);
	fclose(ro);
}

#define SETUP(t) cmocka_unit_test_setup_teardown(t, sim_setup, sim_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_match_proc_vmstat),
		cmocka_unit_test(every_item_has_a_unique_name),
		SETUP(unknown_item_is_zero_and_unnamed),
		SETUP(fresh_machine_counts_zero),
		SETUP(counts_add_and_subtract),
		SETUP(four_threads_count_exactly),
		SETUP(exited_thread_counts_remain),
		cmocka_unit_test(thread_switches_between_two_machines),
		cmocka_unit_test(thread_cycles_through_many_machines),
		cmocka_unit_test(recreated_machine_starts_from_zero),
		SETUP(print_writes_proc_vmstat_lines),
		SETUP(print_rejects_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
