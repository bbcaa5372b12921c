// SPDX-License-Identifier: MIT
/*
 * Operation fuzzer: the input bytes are decoded into a sequence of
 * operations on a machine with up to three address spaces -- mmap, munmap,
 * mprotect, madvise, user reads and writes, fork, every get/pin variant
 * with any flag combination, every unpin variant, DMA, writeback -- after
 * which the invariant checker must find nothing, and releasing everything
 * must return every count to its baseline: pins balanced, every page back
 * in the allocator.
 *
 * Misuse mode (built with -DFUZZ_MISUSE: the fuzz_misuse targets, corpus in
 * corpus-misuse/): the sequence also misuses the API
 * the way a buggy caller would -- double unpins, put_page() of a pinned
 * page, a reference too many on a mapped page, unlocking an mmap lock that
 * is not held, a file put twice, offsets that overflow. Each must end in a
 * WARN or an errno, never a crash, a hang or a sanitizer report; the
 * invariants are then no longer required to hold, but checking them,
 * releasing everything and destroying the machine must still be safe.
 *
 * Built as a libFuzzer target with clang (-DGUPSIM_FUZZ=ON), and as a
 * corpus replayer with any compiler (ctest `fuzz`): see tests/fuzz/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gupsim/gupsim.h>

#define MAX_MMS		3
#define MAX_RANGES	12
#define MAX_HANDLES	16
#define MAX_FILES	4

struct range {
	unsigned long addr, len;
};

struct handle {
	struct page **pages;
	long nr;
	bool pinned;
};

struct fz {
	const uint8_t *data;
	size_t size, pos;
	struct gupsim *sim;
	struct mm_struct *mms[MAX_MMS];
	struct range ranges[MAX_MMS][MAX_RANGES];
	struct handle handles[MAX_HANDLES];
	struct file *files[MAX_FILES];
	int cur;
	unsigned long base_free;	/* free pages before the first mm */
	unsigned long bad_pages;	/* bad_page() reports before this input */
	int thp;			/* which of the reused machines */
	bool misuse;			/* misuse mode: see the top of the file */
	bool file_put[MAX_FILES];	/* misuse: the harness's file reference is gone */
};

static uint8_t byte(struct fz *f)
{
	return f->pos < f->size ? f->data[f->pos++] : 0;
}

static uint32_t u16(struct fz *f)
{
	return (uint32_t)byte(f) | (uint32_t)byte(f) << 8;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;	/* invalid arguments WARN by design; invariants are checked below */
}

static void fatal(struct fz *f, const char *what)
{
	fprintf(stderr, "fuzz_ops: %s (input offset %zu)\n", what, f->pos);
	abort();
}

static struct mm_struct *pick_mm(struct fz *f)
{
	int i = byte(f) % MAX_MMS;

	return f->mms[i] ? f->mms[i] : f->mms[0];
}

static int mm_index(struct fz *f, struct mm_struct *mm)
{
	for (int i = 0; i < MAX_MMS; i++)
		if (f->mms[i] == mm)
			return i;
	return 0;
}

/* An address inside (or just past) one of the mm's ranges. */
static unsigned long pick_addr(struct fz *f, struct mm_struct *mm, unsigned long *room)
{
	struct range *r = &f->ranges[mm_index(f, mm)][byte(f) % MAX_RANGES];
	unsigned long off;

	if (!r->len) {
		*room = 16;
		return 0x10000000UL;	/* nothing mapped: a hole */
	}
	off = (u16(f) % (r->len / PAGE_SIZE + 1)) * PAGE_SIZE;
	*room = (r->len - (off < r->len ? off : r->len)) / PAGE_SIZE + 2;
	return r->addr + off + (byte(f) % 7 == 0 ? 123 : 0);	/* sometimes unaligned */
}

static void op_mmap(struct fz *f)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };
	struct mm_struct *mm = pick_mm(f);
	unsigned int kind = byte(f) % 7, pages = 1 + u16(f) % 1024;
	int prot = prots[byte(f) % 3], flags = MAP_PRIVATE | MAP_ANONYMOUS;
	struct file *file = NULL;
	unsigned long addr;
	struct range *slot = &f->ranges[mm_index(f, mm)][byte(f) % MAX_RANGES];

	switch (kind) {
	case 1: flags = MAP_SHARED | MAP_ANONYMOUS; break;
	case 2: case 3: case 4:
		if (f->file_put[kind - 2])
			return;
		file = f->files[kind - 2];
		flags = (byte(f) & 1) ? MAP_SHARED : MAP_PRIVATE;
		if (pages > 16)
			pages = 16;
		break;
	case 5: flags |= MAP_HUGETLB; pages = 512; break;
	case 6: flags |= MAP_POPULATE; break;
	default: break;
	}
	addr = gupsim_mmap(mm, 0, pages * PAGE_SIZE, prot, flags, file, 0);
	if (GUPSIM_IS_ERR_VALUE(addr))
		return;
	if (byte(f) & 1)
		gupsim_madvise(mm, addr, pages * PAGE_SIZE, MADV_HUGEPAGE);
	slot->addr = addr;
	slot->len = pages * PAGE_SIZE;
}

static void op_unmap_protect_advise(struct fz *f, uint8_t op)
{
	static const int advice[] = { MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
				      MADV_DONTFORK, MADV_DOFORK, MADV_POPULATE_READ,
				      MADV_POPULATE_WRITE, 12345 };
	struct mm_struct *mm = pick_mm(f);
	unsigned long room, addr = pick_addr(f, mm, &room);
	size_t len = (1 + u16(f) % room) * PAGE_SIZE;

	if (op == 0)
		gupsim_munmap(mm, addr, len);
	else if (op == 1)
		gupsim_mprotect(mm, addr, len, byte(f) % 8);
	else
		gupsim_madvise(mm, addr, len, advice[byte(f) % 8]);
}

static void op_access(struct fz *f, bool write)
{
	struct mm_struct *mm = pick_mm(f);
	unsigned long room, addr = pick_addr(f, mm, &room);
	char buf[3 * 4096];
	size_t len = 1 + u16(f) % sizeof(buf);

	memset(buf, byte(f), sizeof(buf));
	if (write)
		gupsim_write(mm, addr, buf, len);
	else
		gupsim_read(mm, addr, buf, len);
}

static void op_fork(struct fz *f)
{
	struct mm_struct *child;

	for (int i = 1; i < MAX_MMS; i++) {
		struct mm_struct *parent;

		if (f->mms[i])
			continue;
		parent = pick_mm(f);
		child = gupsim_fork(parent);
		if (GUPSIM_IS_ERR_VALUE(child))
			return;
		f->mms[i] = child;
		memcpy(f->ranges[i], f->ranges[mm_index(f, parent)], sizeof(f->ranges[i]));
		return;
	}
}

static void op_gup(struct fz *f)
{
	struct handle *h = &f->handles[byte(f) % MAX_HANDLES];
	unsigned int variant = byte(f) % 10;
	unsigned int flags = u16(f) & 0x1fff;	/* public FOLL_* bits, any mix */
	struct mm_struct *mm = f->mms[f->cur];
	unsigned long room, addr = pick_addr(f, mm, &room);
	long nr = 1 + (long)(u16(f) % room), got;
	int locked = 1;

	if (h->pages)
		return;		/* slot busy */
	if (byte(f) % 5 == 0)
		flags |= 1u << (16 + byte(f) % 7);	/* an internal flag: must be refused */
	h->pages = calloc((size_t)nr, sizeof(*h->pages));
	if (!h->pages)
		return;
	h->pinned = variant >= 5;
	switch (variant) {
	case 0: gupsim_mmap_read_lock(mm); got = gupsim_get_user_pages(addr, (unsigned long)nr, flags, h->pages); gupsim_mmap_read_unlock(mm); break;
	case 1: got = gupsim_get_user_pages_fast(addr, (int)nr, flags, h->pages); break;
	case 2: got = gupsim_get_user_pages_fast_only(addr, (int)nr, flags, h->pages); break;
	case 3: got = gupsim_get_user_pages_unlocked(addr, (unsigned long)nr, h->pages, flags); break;
	case 4: got = gupsim_get_user_pages_remote(pick_mm(f), addr, (unsigned long)nr, flags, h->pages, (byte(f) & 1) ? &locked : NULL); break;
	case 5: gupsim_mmap_read_lock(mm); got = gupsim_pin_user_pages(addr, (unsigned long)nr, flags, h->pages); gupsim_mmap_read_unlock(mm); break;
	case 6: got = gupsim_pin_user_pages_fast(addr, (int)nr, flags, h->pages); break;
	case 7: got = gupsim_pin_user_pages_unlocked(addr, (unsigned long)nr, h->pages, flags); break;
	case 8: got = gupsim_pin_user_pages_remote(pick_mm(f), addr, (unsigned long)nr, flags, h->pages, (byte(f) & 1) ? &locked : NULL); break;
	default: got = gupsim_pin_user_pages_fast(addr, (int)nr, flags | FOLL_LONGTERM | FOLL_WRITE, h->pages); break;
	}
	if (got > nr)
		fatal(f, "a GUP call returned more pages than asked for");
	if (got <= 0) {
		free(h->pages);
		h->pages = NULL;
		return;
	}
	for (long i = 0; i < got; i++)
		if (!h->pages[i])
			fatal(f, "a GUP call left a NULL page inside its result");
	h->nr = got;
}

static void release(struct handle *h, unsigned int how)
{
	if (!h->pages)
		return;
	if (!h->pinned) {
		for (long i = 0; i < h->nr; i++)
			gupsim_put_page(h->pages[i]);
	} else if (how % 3 == 0) {
		gupsim_unpin_user_pages(h->pages, (unsigned long)h->nr);
	} else if (how % 3 == 1) {
		gupsim_unpin_user_pages_dirty_lock(h->pages, (unsigned long)h->nr, how & 4);
	} else {
		for (long i = 0; i < h->nr; i++)
			gupsim_unpin_user_page(h->pages[i]);
	}
	free(h->pages);
	h->pages = NULL;
	h->nr = 0;
}

static void op_dma(struct fz *f)
{
	struct handle *h = &f->handles[byte(f) % MAX_HANDLES];
	char buf[64];

	if (!h->pages)
		return;
	memset(buf, byte(f), sizeof(buf));
	if (byte(f) & 1)
		gupsim_dma_write(h->pages[byte(f) % h->nr], byte(f) * 16, buf, sizeof(buf));
	else
		gupsim_dma_read(h->pages[byte(f) % h->nr], byte(f) * 16, buf, sizeof(buf));
}

static void op_mm_put(struct fz *f)
{
	int i = 1 + byte(f) % (MAX_MMS - 1);

	if (!f->mms[i] || f->cur == i)
		return;
	gupsim_mm_put(f->mms[i]);
	f->mms[i] = NULL;
	memset(f->ranges[i], 0, sizeof(f->ranges[i]));
}

static void op_switch(struct fz *f)
{
	int i = byte(f) % MAX_MMS;

	if (!f->mms[i])
		return;
	gupsim_kthread_unuse_mm(f->mms[f->cur]);
	f->cur = i;
	gupsim_kthread_use_mm(f->mms[i]);
}

/* ---- misuse mode ---- */

static unsigned long warnings(struct fz *f)
{
	return gupsim_vmstat(f->sim, GUPSIM_NR_WARNINGS);
}

/* A misuse that the library must always report: fail if it did not. */
static void must_warn(struct fz *f, unsigned long before, const char *what)
{
	if (warnings(f) == before) {
		fprintf(stderr, "fuzz_ops: misuse not reported: %s\n", what);
		fatal(f, "a misuse went unreported");
	}
}

/* Release a handle's pages a second time (a double unpin or put), or
 * with the wrong release call for how they were taken. */
static void misuse_release(struct fz *f)
{
	struct handle *h = &f->handles[byte(f) % MAX_HANDLES];
	struct page *page;

	if (!h->pages)
		return;
	page = h->pages[byte(f) % h->nr];
	switch (byte(f) % 3) {
	case 0:	/* put_page() of a page taken with FOLL_PIN, or the reverse */
		if (h->pinned)
			gupsim_put_page(page);
		else
			gupsim_unpin_user_page(page);
		break;
	case 1:	/* one extra reference dropped on a page that may be mapped */
		gupsim_put_page(page);
		break;
	default: {	/* release the whole handle, then once more */
		struct page **copy = malloc((size_t)h->nr * sizeof(*copy));
		long nr = h->nr;
		bool pinned = h->pinned;

		if (!copy)
			return;
		memcpy(copy, h->pages, (size_t)nr * sizeof(*copy));
		release(h, byte(f));
		if (pinned)
			gupsim_unpin_user_pages(copy, (unsigned long)nr);
		else
			for (long i = 0; i < nr; i++)
				gupsim_put_page(copy[i]);
		free(copy);
		return;
	}
	}
	/* the handle's counts are no longer the harness's to release */
	free(h->pages);
	h->pages = NULL;
	h->nr = 0;
}

static void misuse_lock(struct fz *f)
{
	struct mm_struct *mm = pick_mm(f);
	unsigned long w = warnings(f);

	/* lockdep: "bad unlock balance detected!" */
	if (byte(f) & 1)
		gupsim_mmap_read_unlock(mm);
	else
		gupsim_mmap_write_unlock(mm);
	must_warn(f, w, "mmap unlock without holding the lock");
}

static void misuse_args(struct fz *f)
{
	struct mm_struct *mm = pick_mm(f);
	unsigned int i = byte(f) % MAX_FILES;
	unsigned long addr;

	switch (byte(f) % 3) {
	case 0: {	/* a page-aligned offset whose end overflows */
		unsigned long k = byte(f) % 4;
		off_t off = (off_t)(((~0UL >> 1) & ~(PAGE_SIZE - 1)) - k * PAGE_SIZE);

		if (f->file_put[i])
			break;
		addr = gupsim_mmap(mm, 0, (k + 1) * PAGE_SIZE, PROT_READ, MAP_SHARED,
				   f->files[i], off);
		if (addr != (unsigned long)-EOVERFLOW)
			fatal(f, "mmap with an overflowing offset did not fail with EOVERFLOW");
		break;
	}
	case 1: {	/* DMA into the shared zero page */
		unsigned long w = warnings(f);
		char c = 1;

		gupsim_dma_write(gupsim_zero_page(f->sim), byte(f), &c, 1);
		must_warn(f, w, "DMA write to the zero page");
		break;
	}
	default: {
		/* a file put twice while a mapping holds it: the second put is
		 * the misuse (it must WARN and change nothing). The harness
		 * never uses the file again: once unmapped it may be freed. */
		unsigned long w;

		if (f->file_put[i])
			break;
		addr = gupsim_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, f->files[i], 0);
		if (GUPSIM_IS_ERR_VALUE(addr))
			break;
		f->file_put[i] = true;
		gupsim_file_put(f->files[i]);
		w = warnings(f);
		gupsim_file_put(f->files[i]);
		must_warn(f, w, "gupsim_file_put() of a file with no reference left");
		gupsim_munmap(mm, addr, PAGE_SIZE);
		break;
	}
	}
}

static void op_misuse(struct fz *f)
{
	switch (byte(f) % 3) {
	case 0: misuse_release(f); break;
	case 1: misuse_lock(f); break;
	default: misuse_args(f); break;
	}
}

static void op_writeback(struct fz *f)
{
	unsigned int i = byte(f) % MAX_FILES;

	if (!f->file_put[i])
		gupsim_file_writeback(f->files[i]);
}

/*
 * Machines are reused from one input to the next (one per THP mode):
 * creating and destroying one costs more than most inputs. An input
 * starts from a machine whose every mm and file was released by the
 * previous one, so only the order of the free lists differs from a fresh
 * machine. FUZZ_FRESH_MACHINE=1 in the environment creates a new machine
 * per input instead (to check that a finding does not depend on history).
 */
static struct gupsim *machines[2];

static struct gupsim *machine_create(int thp)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 48;
	cfg.movable_mb = 16;
	cfg.cma_mb = 8;
	cfg.hugetlb_2m_pages = 2;
	cfg.debug_pins = true;
	cfg.mthp_orders = (1UL << 2) | (1UL << 4);
	cfg.thp = thp ? GUPSIM_THP_ALWAYS : GUPSIM_THP_MADVISE;
	sim = gupsim_create(&cfg);
	if (!sim)
		return NULL;
	gupsim_set_warn_handler(sim, quiet, NULL);
	/* the huge zero folio lives as long as the machine: allocate it now
	 * so that the free count of every input starts and ends with it */
	gupsim_huge_zero_folio(sim);
	return sim;
}

static void setup(struct fz *f)
{
	static const enum gupsim_file_kind kinds[MAX_FILES] = {
		GUPSIM_FILE_REGULAR, GUPSIM_FILE_SHMEM, GUPSIM_FILE_MEMFD, GUPSIM_FILE_REGULAR,
	};
	int thp = byte(f) & 1;

#ifdef FUZZ_MISUSE
	f->misuse = true;
#endif
	f->thp = thp;
	if (!machines[thp])
		machines[thp] = machine_create(thp);
	f->sim = machines[thp];
	if (!f->sim)
		fatal(f, "gupsim_create failed");
	f->bad_pages = gupsim_vmstat(f->sim, GUPSIM_NR_BAD_PAGES);
	for (int i = 0; i < MAX_FILES; i++)
		f->files[i] = gupsim_file_create(f->sim, kinds[i], "fuzz", 16 * PAGE_SIZE);
	f->base_free = gupsim_nr_free_pages(f->sim);
	f->mms[0] = gupsim_mm_create(f->sim);
	if (!f->mms[0])
		fatal(f, "gupsim_mm_create failed");
	gupsim_kthread_use_mm(f->mms[0]);
}

/* Keep the machine for the next input, or destroy it. */
static void machine_done(struct fz *f, bool clean)
{
	static int fresh = -1;

	if (fresh < 0)
		fresh = getenv("FUZZ_FRESH_MACHINE") != NULL;
	if (clean && !fresh)
		return;
	gupsim_destroy(f->sim);
	machines[f->thp] = NULL;
}

/* After misuse nothing is promised but safety: check, release, destroy. */
static void teardown_misuse(struct fz *f)
{
	gupsim_check(f->sim);
	for (int i = 0; i < MAX_HANDLES; i++)
		release(&f->handles[i], i);
	gupsim_check(f->sim);
	gupsim_kthread_unuse_mm(f->mms[f->cur]);
	for (int i = 0; i < MAX_MMS; i++)
		if (f->mms[i])
			gupsim_mm_put(f->mms[i]);
	for (int i = 0; i < MAX_FILES; i++)
		if (!f->file_put[i])
			gupsim_file_put(f->files[i]);
	/* reuse the machine only if the misuse left nothing behind */
	machine_done(f, gupsim_check(f->sim) == 0 &&
		     gupsim_nr_free_pages(f->sim) == f->base_free &&
		     gupsim_vmstat(f->sim, GUPSIM_NR_BAD_PAGES) == f->bad_pages);
}

static void teardown(struct fz *f)
{
	struct gupsim *sim = f->sim;

	if (f->misuse) {
		teardown_misuse(f);
		return;
	}
	bool held = false;

	if (gupsim_check(sim) != 0)
		fatal(f, "invariant violated after the operations");
	for (int i = 0; i < MAX_HANDLES; i++) {
		held |= f->handles[i].pages != NULL;
		release(&f->handles[i], i);
	}
	if (gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_ACQUIRED) !=
	    gupsim_vmstat(sim, GUPSIM_NR_FOLL_PIN_RELEASED))
		fatal(f, "pins not balanced after releasing everything");
	if (held && gupsim_check(sim) != 0)
		fatal(f, "invariant violated after releasing everything");
	gupsim_kthread_unuse_mm(f->mms[f->cur]);
	for (int i = 0; i < MAX_MMS; i++)
		if (f->mms[i])
			gupsim_mm_put(f->mms[i]);
	for (int i = 0; i < MAX_FILES; i++)
		gupsim_file_put(f->files[i]);
	/* the free count before the first mm and files: every page is back */
	if (gupsim_nr_free_pages(sim) != f->base_free)
		fatal(f, "pages leaked: the free count did not return to its start");
	if (gupsim_vmstat(sim, GUPSIM_NR_BAD_PAGES) != f->bad_pages)
		fatal(f, "bad_page() reported");
	machine_done(f, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * ASan's defaults keep 256 MiB of freed memory in quarantine, so that every
 * allocation of the checker's tables is fresh memory the host must fault
 * in. An input frees far less than 16 MiB: a use-after-free within one
 * input is still caught. ASAN_OPTIONS in the environment overrides this.
 */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16:malloc_context_size=10";
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { .data = data, .size = size };

	setup(&f);
	for (int steps = 0; f.pos < f.size && steps < 200; steps++) {
		uint8_t op = byte(&f) % 12;

		switch (op) {
		case 0: op_mmap(&f); break;
		case 1: case 2: case 3: op_unmap_protect_advise(&f, op - 1); break;
		case 4: op_access(&f, false); break;
		case 5: op_access(&f, true); break;
		case 6: op_fork(&f); break;
		case 7: case 8: op_gup(&f); break;
		case 9: release(&f.handles[byte(&f) % MAX_HANDLES], byte(&f)); break;
		case 10: op_dma(&f); break;
		default:
			switch (byte(&f) % (f.misuse ? 5 : 3)) {
			case 0: op_mm_put(&f); break;
			case 1: op_switch(&f); break;
			case 2: op_writeback(&f); break;
			default: op_misuse(&f); break;
			}
		}
	}
	teardown(&f);
	return 0;
}
