// SPDX-License-Identifier: MIT
/*
 * Files and fork under concurrency (run under TSan in CI): writeback
 * write-protecting PTEs while another thread writes through them, fork
 * copying an mm while other threads write to it and take pins, and GUP-fast
 * pinning against fork's write_protect_seq (semantics.md §5.5).
 */
#include <pthread.h>
#include <sys/mman.h>

#include "helpers.h"
#include "internal.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ROUNDS	20000

struct writer {
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long nr_pages;
	atomic_t done;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	for (unsigned int i = 1; i <= ROUNDS; i++) {
		unsigned long page = i % w->nr_pages;

		if (gupsim_write(w->mm, w->addr + page * PAGE_SIZE, &i, sizeof(i)) != sizeof(i))
			return (void *)1;
	}
	atomic_set(&w->done, 1);
	return NULL;
}

static void writeback_races_with_cpu_writes(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	struct file *file = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "wb", 4 * PAGE_SIZE);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct writer w = { .mm = mm, .nr_pages = 4 };
	unsigned int last = 0;
	pthread_t t;
	void *ret;

	assert_non_null(file);
	assert_non_null(mm);
	w.addr = gupsim_mmap(mm, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, file, 0);
	assert_false(IS_ERR_VALUE(w.addr));
	assert_int_equal(pthread_create(&t, NULL, writer_fn, &w), 0);
	while (!atomic_read(&w.done))
		assert_true(gupsim_file_writeback(file) >= 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);

	/* whatever interleaving: after one more pass, everything is clean
	 * and write-protected, and the data is the last write's */
	assert_true(gupsim_file_writeback(file) >= 0);
	assert_int_equal(gupsim_file_writeback(file), 0);
	for (unsigned long p = 0; p < 4; p++) {
		struct folio *folio = page_folio(gupsim_follow_page(mm, w.addr + p * PAGE_SIZE));
		pteval_t *e = pgtable_lookup(mm, w.addr + p * PAGE_SIZE, NULL);

		assert_false(folio_test_dirty(folio));
		assert_false(pte_write(pt_read(e)));
		assert_int_equal(folio_ref_count(folio), 2);
		assert_int_equal(folio_mapcount(folio), 1);
	}
	assert_int_equal(gupsim_read(mm, w.addr + (ROUNDS % 4) * PAGE_SIZE, &last, sizeof(last)),
			 sizeof(last));
	assert_int_equal(last, ROUNDS);
	gupsim_mm_put(mm);
	gupsim_file_put(file);
}

struct pinner {
	struct mm_struct *mm;
	unsigned long addr;
	atomic_t stop;
};

/* Takes and drops pins on a page, as a driver would (no page tables). */
static void *pinner_fn(void *arg)
{
	struct pinner *p = arg;
	struct folio *folio = page_folio(gupsim_follow_page(p->mm, p->addr));

	while (!atomic_read(&p->stop)) {
		if (gupsim_try_grab_folio(folio, 1, FOLL_PIN))
			return (void *)1;
		gupsim_unpin_user_page(&folio->page);
	}
	return NULL;
}

static void fork_races_with_writes_and_pins(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct writer w = { .mm = mm, .nr_pages = 8 };
	struct pinner p = { .mm = mm };
	pthread_t tw, tp;
	void *ret;

	assert_non_null(mm);
	w.addr = gupsim_mmap(mm, 0, 9 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_false(IS_ERR_VALUE(w.addr));
	p.addr = w.addr + 8 * PAGE_SIZE;
	assert_int_equal(gupsim_write(mm, p.addr, "pin", 4), 4);
	mm_set_has_pinned_flag(mm);
	assert_int_equal(pthread_create(&tw, NULL, writer_fn, &w), 0);
	assert_int_equal(pthread_create(&tp, NULL, pinner_fn, &p), 0);
	while (!atomic_read(&w.done)) {
		struct mm_struct *child = gupsim_fork(mm);
		char buf[4];

		assert_false(IS_ERR(child));
		assert_int_equal(gupsim_read(child, p.addr, buf, 4), 4);
		assert_string_equal(buf, "pin");
		gupsim_mm_put(child);
	}
	atomic_set(&p.stop, 1);
	assert_int_equal(pthread_join(tw, &ret), 0);
	assert_null(ret);
	assert_int_equal(pthread_join(tp, &ret), 0);
	assert_null(ret);
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
}

struct fast_pinner {
	struct mm_struct *mm;
	unsigned long addr;
	atomic_t stop;
	atomic_t pinned;
};

/*
 * pin_user_pages_fast(FOLL_WRITE) in a loop. With debug_pins each pin is
 * checked (sanity_check_pinned_pages, semantics.md §5.6): a page fork shared while
 * it was being pinned would not be exclusive any more and WARN.
 */
static void *fast_pinner_fn(void *arg)
{
	struct fast_pinner *p = arg;

	gupsim_kthread_use_mm(p->mm);
	while (!atomic_read(&p->stop)) {
		struct page *page;

		if (gupsim_pin_user_pages_fast(p->addr, 1, FOLL_WRITE, &page) != 1)
			return (void *)1;
		if (!PageAnonExclusive(page) || gupsim_follow_page(p->mm, p->addr) != page) {
			gupsim_unpin_user_page(page);
			return (void *)2;
		}
		atomic_inc(&p->pinned);
		gupsim_unpin_user_page(page);
	}
	gupsim_kthread_unuse_mm(p->mm);
	return NULL;
}

static int sim_setup_debug_pins(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	cfg.debug_pins = true;
	return sim_setup_cfg(state, &cfg);
}

static void fork_races_with_gup_fast_pins(void **state)
{
	struct gupsim *sim = fixture_sim(state);
	unsigned long free0 = gupsim_nr_free_pages(sim);
	struct mm_struct *mm = gupsim_mm_create(sim);
	struct fast_pinner p = { .mm = mm };
	pthread_t t;
	void *ret;

	assert_non_null(mm);
	p.addr = gupsim_mmap(mm, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_false(IS_ERR_VALUE(p.addr));
	assert_int_equal(gupsim_write(mm, p.addr, "pin", 4), 4);
	assert_int_equal(pthread_create(&t, NULL, fast_pinner_fn, &p), 0);
	for (int i = 0; i < 2000 || atomic_read(&p.pinned) < 1000; i++) {
		struct mm_struct *child = gupsim_fork(mm);
		char buf[4];

		assert_false(IS_ERR(child));
		assert_int_equal(gupsim_read(child, p.addr, buf, 4), 4);
		assert_string_equal(buf, "pin");
		gupsim_mm_put(child);
	}
	atomic_set(&p.stop, 1);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_int_equal(fixture_warns(state)->count, 0);
	gupsim_mm_put(mm);
	assert_int_equal(gupsim_nr_free_pages(sim), free0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(writeback_races_with_cpu_writes, sim_setup,
						sim_teardown),
		cmocka_unit_test_setup_teardown(fork_races_with_writes_and_pins, sim_setup,
						sim_teardown),
		cmocka_unit_test_setup_teardown(fork_races_with_gup_fast_pins,
						sim_setup_debug_pins, sim_teardown),
	};

	return cmocka_run_group_tests_name("threads_files", tests, NULL, NULL);
}
