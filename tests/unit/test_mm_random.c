// SPDX-License-Identifier: MIT
/*
 * 1000 random steps of mmap / munmap / mprotect / madvise / read / write in
 * an 8 MiB window (fixed seed), then 1000 more with fork and pins too:
 * every call answers with a value its syscall could give, mm_check() finds
 * the tables, VMAs and folio counts consistent all along (no pin is held
 * at a check, so refcounts are exact), nothing WARNs, and when the mms and
 * their files go every page and huge page is back.
 */
#include "mm_helpers.h"

#define P		PAGE_SIZE
#define WIN		0x500000000000UL	/* 2 MiB aligned */
#define WIN_PAGES	2048UL			/* 8 MiB */
#define FILE_PAGES	64UL
#define STEPS		1000

struct rnd_ctx {
	struct mm_struct *mm;		/* the one this step acts on */
	struct mm_struct *parent, *child;
	struct page *pins[256];
	int nr_pins;
	struct file *shm, *reg;
	unsigned long long seed;
	int counts[8];		/* successful calls per kind of step */
};

static unsigned long rnd(struct rnd_ctx *c)
{
	/* xorshift64*: small, fixed, reproducible */
	c->seed ^= c->seed >> 12;
	c->seed ^= c->seed << 25;
	c->seed ^= c->seed >> 27;
	return (unsigned long)((c->seed * 2685821657736338717ULL) >> 16);
}

/* A random page-aligned range of 1..max pages inside the window. */
static void rnd_range(struct rnd_ctx *c, unsigned long max, unsigned long *addr,
		      unsigned long *len)
{
	unsigned long first = rnd(c) % WIN_PAGES;
	unsigned long n = 1 + rnd(c) % max;

	if (first + n > WIN_PAGES)
		n = WIN_PAGES - first;
	*addr = WIN + first * P;
	*len = n * P;
}

static int rnd_prot(struct rnd_ctx *c)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_WRITE, PROT_WRITE };

	return prots[rnd(c) % ARRAY_SIZE(prots)];
}

static void step_mmap(struct rnd_ctx *c)
{
	int prot = rnd_prot(c), flags = MAP_FIXED | ((rnd(c) % 8) ? 0 : MAP_POPULATE);
	unsigned long addr, len, kind = rnd(c) % 8, ret, off = 0;
	struct file *file = NULL;

	rnd_range(c, 48, &addr, &len);
	switch (kind) {
	case 0: case 1: case 2:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case 3:
		flags |= MAP_SHARED | MAP_ANONYMOUS;
		break;
	case 4: case 5:
		file = kind == 4 ? c->shm : c->reg;
		flags |= (rnd(c) & 1) ? MAP_SHARED : MAP_PRIVATE;
		off = (rnd(c) % FILE_PAGES) * P;
		break;
	case 6:
		/* a hugetlb mapping: a 2 MiB slot of the window */
		flags |= MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
		addr = WIN + (rnd(c) % (WIN_PAGES / HPAGE_PMD_NR)) * PMD_SIZE;
		len = PMD_SIZE;
		break;
	default:
		/* THP-sized anon memory for MADV_HUGEPAGE to act on */
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		addr = WIN + (rnd(c) % (WIN_PAGES / HPAGE_PMD_NR)) * PMD_SIZE;
		len = PMD_SIZE;
		break;
	}
	ret = gupsim_mmap(c->mm, addr, len, prot, flags, file, (off_t)off);
	if (ret == addr && kind == 7) {
		/* a THP (or the huge zero folio) for the other steps to split */
		unsigned char v = 1;

		assert_int_equal(gupsim_madvise(c->mm, addr, len, MADV_HUGEPAGE), 0);
		if (prot & PROT_WRITE)
			assert_int_equal(gupsim_write(c->mm, addr + P, &v, 1), 1);
		else if (prot & PROT_READ)
			assert_int_equal(gupsim_read(c->mm, addr + P, &v, 1), 1);
	}
	if (ret == addr) {
		c->counts[0]++;
		return;
	}
	/* replacing part of a hugetlb mapping, or an empty pool */
	assert_true(ret == (unsigned long)-EINVAL || ret == (unsigned long)-ENOMEM);
}

static void step_munmap(struct rnd_ctx *c)
{
	unsigned long addr, len;
	int ret;

	rnd_range(c, 64, &addr, &len);
	ret = gupsim_munmap(c->mm, addr, len);
	assert_true(ret == 0 || ret == -EINVAL);	/* -EINVAL: inside a huge page */
	c->counts[1] += !ret;
}

static void step_mprotect(struct rnd_ctx *c)
{
	unsigned long addr, len;
	int ret;

	rnd_range(c, 64, &addr, &len);
	ret = gupsim_mprotect(c->mm, addr, len, rnd_prot(c));
	assert_true(ret == 0 || ret == -ENOMEM || ret == -EINVAL);
	c->counts[2] += !ret;
}

static void step_madvise(struct rnd_ctx *c)
{
	static const int advice[] = { MADV_DONTNEED, MADV_DONTNEED, MADV_HUGEPAGE,
				      MADV_NOHUGEPAGE, MADV_DONTFORK, MADV_DOFORK,
				      MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_WILLNEED };
	unsigned long addr, len;
	int ret;

	rnd_range(c, 64, &addr, &len);
	ret = gupsim_madvise(c->mm, addr, len, advice[rnd(c) % ARRAY_SIZE(advice)]);
	assert_true(ret == 0 || ret == -ENOMEM || ret == -EINVAL || ret == -EFAULT);
	c->counts[3] += !ret;
}

static void step_access(struct rnd_ctx *c, bool write)
{
	static unsigned char buf[3 * 4096];
	unsigned long addr = WIN + rnd(c) % (WIN_PAGES * P - sizeof(buf));
	size_t len = 1 + rnd(c) % sizeof(buf);
	long ret;

	if (write) {
		memset(buf, (int)(rnd(c) & 0xff), len);
		ret = gupsim_write(c->mm, addr, buf, len);
	} else {
		ret = gupsim_read(c->mm, addr, buf, len);
	}
	assert_true(ret == -EFAULT || (ret > 0 && (size_t)ret <= len));
	c->counts[write ? 5 : 4] += ret > 0;
}

/* pin_user_pages_remote() of a few pages, write or not, long-term or not */
static void step_pin(struct rnd_ctx *c)
{
	unsigned long addr, len, n;
	unsigned int flags = ((rnd(c) & 1) ? FOLL_WRITE : 0) | ((rnd(c) & 3) ? 0 : FOLL_LONGTERM);
	long ret;

	rnd_range(c, 8, &addr, &len);
	n = len >> PAGE_SHIFT;
	if (c->nr_pins + (int)n > (int)ARRAY_SIZE(c->pins))
		return;
	gupsim_mmap_read_lock(c->mm);
	ret = gupsim_pin_user_pages_remote(c->mm, addr, n, flags, c->pins + c->nr_pins, NULL);
	gupsim_mmap_read_unlock(c->mm);
	assert_true((ret > 0 && ret <= (long)n) || ret == -EFAULT || ret == -ENOMEM);
	if (ret > 0) {
		c->nr_pins += (int)ret;
		c->counts[6]++;
	}
}

static void unpin_all(struct rnd_ctx *c)
{
	gupsim_unpin_user_pages(c->pins, (unsigned long)c->nr_pins);
	c->nr_pins = 0;
}

/* A new child of the parent, replacing the old one (pins stay). */
static void step_fork(struct rnd_ctx *c)
{
	struct mm_struct *child = gupsim_fork(c->parent);

	if (IS_ERR(child)) {
		/* a pinned hugetlb page needs a copy from an empty pool */
		assert_int_equal(PTR_ERR(child), -ENOMEM);
		return;
	}
	if (c->child)
		gupsim_mm_put(c->child);
	c->child = child;
	c->counts[7]++;
}

static void check_all(struct rnd_ctx *c)
{
	unpin_all(c);
	assert_int_equal(mm_check_flags(c->parent, MM_CHECK_EXACT_REFS), 0);
	if (c->child)
		assert_int_equal(mm_check_flags(c->child, MM_CHECK_EXACT_REFS), 0);
}

/*
 * The same with a forked child and pins: each step acts on the parent or
 * the child; fork (copying maybe-pinned pages, semantics.md §5.4), long-term pins
 * that migrate out of ZONE_MOVABLE, and munmap of pinned pages all take
 * part. Pins are dropped before each check, so refcounts are exact there.
 */
static void random_sequence_with_fork_and_pins(void **state)
{
	struct mm_fixture *m = *state;
	struct gupsim *sim = fixture_sim(state);
	unsigned long pool = sim->hstates[0].nr_free;
	struct rnd_ctx c = {
		.parent = fixture_mm(state),
		.shm = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "shm", FILE_PAGES * P),
		.reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "reg", FILE_PAGES * P),
		.seed = 0x2545f4914f6cdd1dULL,
	};

	assert_non_null(c.shm);
	assert_non_null(c.reg);
	if (getenv("GUPSIM_TEST_SEED"))
		c.seed = strtoull(getenv("GUPSIM_TEST_SEED"), NULL, 0) | 1;
	for (int i = 0; i < STEPS; i++) {
		c.mm = (c.child && (rnd(&c) & 1)) ? c.child : c.parent;
		switch (rnd(&c) % 12) {
		case 0: case 1:
			step_mmap(&c);
			break;
		case 2:
			step_munmap(&c);
			break;
		case 3:
			step_mprotect(&c);
			break;
		case 4:
			step_madvise(&c);
			break;
		case 5:
			step_access(&c, false);
			break;
		case 6: case 7:
			step_access(&c, true);
			break;
		case 8: case 9:
			step_pin(&c);
			break;
		case 10:
			if (rnd(&c) % 4 == 0)
				step_fork(&c);
			else
				unpin_all(&c);
			break;
		default:
			step_access(&c, true);
			break;
		}
		if (i % 50 == 49)
			check_all(&c);
	}
	print_message("steps done: mmap %d munmap %d mprotect %d madvise %d read %d write %d "
		      "pin %d fork %d; fork copies %lu, migrations %lu\n",
		      c.counts[0], c.counts[1], c.counts[2], c.counts[3], c.counts[4], c.counts[5],
		      c.counts[6], c.counts[7], gupsim_vmstat(sim, GUPSIM_NR_FORK_PINNED_COPIES),
		      gupsim_vmstat(sim, GUPSIM_NR_LONGTERM_MIGRATIONS));
	for (int k = 0; k < 8; k++)
		assert_true(c.counts[k] > 5);
	check_all(&c);
	assert_int_equal(fixture_warns(state)->count, 0);

	if (c.child)
		gupsim_mm_put(c.child);
	gupsim_mm_put(c.parent);
	m->mm = NULL;
	gupsim_file_put(c.shm);
	gupsim_file_put(c.reg);
	assert_int_equal(gupsim_nr_free_pages(sim), m->free_at_start);
	assert_int_equal(sim->hstates[0].nr_free, pool);
}

static void random_sequence_keeps_the_machine_consistent(void **state)
{
	struct mm_fixture *m = *state;
	struct gupsim *sim = fixture_sim(state);
	unsigned long pool = sim->hstates[0].nr_free;
	struct rnd_ctx c = {
		.mm = fixture_mm(state),
		.parent = fixture_mm(state),
		.shm = gupsim_file_create(sim, GUPSIM_FILE_SHMEM, "shm", FILE_PAGES * P),
		.reg = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, "reg", FILE_PAGES * P),
		.seed = 0x9e3779b97f4a7c15ULL,
	};

	assert_non_null(c.shm);
	assert_non_null(c.reg);
	/* GUPSIM_TEST_SEED explores other sequences; the test runs the fixed one */
	if (getenv("GUPSIM_TEST_SEED"))
		c.seed = strtoull(getenv("GUPSIM_TEST_SEED"), NULL, 0) | 1;
	for (int i = 0; i < STEPS; i++) {
		switch (rnd(&c) % 8) {
		case 0: case 1:
			step_mmap(&c);
			break;
		case 2:
			step_munmap(&c);
			break;
		case 3:
			step_mprotect(&c);
			break;
		case 4:
			step_madvise(&c);
			break;
		case 5:
			step_access(&c, false);
			break;
		default:
			step_access(&c, true);
			break;
		}
		if (i % 50 == 49)
			assert_int_equal(mm_check_flags(c.mm, MM_CHECK_EXACT_REFS), 0);
	}
	print_message("steps done: mmap %d munmap %d mprotect %d madvise %d read %d write %d; "
		      "THP faults %lu, PMD splits %lu, hugetlb faults %lu\n",
		      c.counts[0], c.counts[1], c.counts[2], c.counts[3], c.counts[4], c.counts[5],
		      gupsim_vmstat(sim, GUPSIM_NR_THP_FAULT_ALLOC),
		      gupsim_vmstat(sim, GUPSIM_NR_THP_SPLITS),
		      gupsim_vmstat(sim, GUPSIM_NR_FAULT_HUGETLB));
	/* every kind of step did something */
	for (int k = 0; k < 6; k++)
		assert_true(c.counts[k] > 10);
	assert_int_equal(fixture_warns(state)->count, 0);

	gupsim_mm_put(c.mm);
	m->mm = NULL;
	gupsim_file_put(c.shm);
	gupsim_file_put(c.reg);
	assert_int_equal(gupsim_nr_free_pages(sim), m->free_at_start);
	assert_int_equal(sim->hstates[0].nr_free, pool);
}

static int random_setup(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 128;
	cfg.hugetlb_2m_pages = 4;
	cfg.thp = GUPSIM_THP_MADVISE;
	return mm_setup_cfg(state, &cfg);
}

/* with ZONE_MOVABLE, where user memory goes first: long-term pins migrate */
static int random_movable_setup(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 128;
	cfg.movable_mb = 64;
	cfg.hugetlb_2m_pages = 4;
	cfg.thp = GUPSIM_THP_MADVISE;
	return mm_setup_cfg(state, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(random_sequence_keeps_the_machine_consistent,
						random_setup, mm_teardown),
		cmocka_unit_test_setup_teardown(random_sequence_with_fork_and_pins,
						random_movable_setup, mm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
