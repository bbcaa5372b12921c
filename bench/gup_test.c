// SPDX-License-Identifier: MIT
/*
 * gup_test: the kernel selftest tools/testing/selftests/mm/gup_test.c
 * (pre-rewrite CLI, semantics.md §9.2) driving a simulated machine instead of the
 * gup_test debugfs module (semantics.md §9.1). Same getopt string, same run
 * sequence, same TAP bytes on stdout, same exit codes. What the kernel
 * would print to dmesg (WARN, pr_warn, pr_info, dump_page) goes to stderr.
 *
 * This file is the "userspace" half; gup_test_module.c is the module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gupsim/gupsim.h>
#include "gup_test.h"
#include "ksft.h"

#define MB		(1UL << 20)
#define HPAGE_SIZE	(2UL * MB)	/* default_huge_page_size() of the model */

/* The selftest's globals. */
static unsigned long cmd = GUP_FAST_BENCHMARK;
static int repeats = 1;
static unsigned long size = 128 * MB;
static pthread_mutex_t print_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The simulated side: the machine, the process's mm and the "module". */
static struct gupsim *sim;
static struct mm_struct *mm;
static struct file *sim_file;

static unsigned long psize(void)
{
	return PAGE_SIZE;
}

static void usage(const char *prog)
{
	printf("Usage: %s [-abcLpUu] [-F flags] [-f file] [-j threads] [-m MB] [-n pages]\n"
	       "       %*s [-r repeats] [-tTwWSH] [page-index...]\n"
	       "\n"
	       "The kernel selftest gup_test (tools/testing/selftests/mm), run against a\n"
	       "gupsim simulated machine instead of /sys/kernel/debug/gup_test.\n"
	       "TAP goes to stdout, the kernel log (WARN, dump_page) to stderr.\n"
	       "\n"
	       "Command (last one wins):\n"
	       "  -u  GUP_FAST_BENCHMARK: get_user_pages_fast + put_page (default)\n"
	       "  -a  PIN_FAST_BENCHMARK: pin_user_pages_fast + unpin_user_pages\n"
	       "  -L  PIN_LONGTERM_BENCHMARK: pin_user_pages(FOLL_LONGTERM)\n"
	       "  -U  GUP_BASIC_TEST: get_user_pages\n"
	       "  -b  PIN_BASIC_TEST: pin_user_pages\n"
	       "  -c  DUMP_USER_PAGES_TEST: dump_page() of page 0, or of the 0-based\n"
	       "      page indices given as arguments (up to 8; strtol, so 0x1000 works)\n"
	       "  -p  with -c: pin_user_pages instead of get_user_pages\n"
	       "Options:\n"
	       "  -m MB     size of the mapping (default 128)\n"
	       "  -n N      pages per GUP call (default 1); negative: the whole mapping,\n"
	       "            computed from the -m seen so far\n"
	       "  -r N      repeats of a benchmark command (default 1)\n"
	       "  -j N      threads, each running the command on the same mapping\n"
	       "  -F flags  gup_flags (strtol: hex allowed)\n"
	       "  -w / -W   add FOLL_WRITE (default) / do not add it\n"
	       "  -t / -T   madvise(MADV_HUGEPAGE) / madvise(MADV_NOHUGEPAGE)\n"
	       "  -S        MAP_SHARED instead of MAP_PRIVATE\n"
	       "  -H        MAP_HUGETLB | MAP_ANONYMOUS: 2 MiB hugetlb pages, the size is\n"
	       "            rounded up and the machine gets a pool of exactly that many\n"
	       "  -f file   file to map (default /dev/zero: anonymous memory). Any other\n"
	       "            name maps a simulated regular disk file (GUPSIM_FILE_REGULAR)\n"
	       "            of the mapping's size; the host file is never opened. Other\n"
	       "            /dev nodes are not modeled: skipped (exit 4).\n"
	       "  -z        accepted by getopt but unhandled, as in the kernel: \"Wrong argument\"\n"
	       "  --help    this text\n"
	       "\n"
	       "The machine: ZONE_NORMAL sized for the mapping plus headroom, THP mode\n"
	       "\"madvise\" (as on the oracle machine), zero pages enabled. Pages are\n"
	       "faulted in by one user write per page before the command runs.\n"
	       "Exit: 0 (TAP carries failures), 1 bad argument or setup failure,\n"
	       "4 skipped.\n", prog, (int)strlen(prog), "");
}

static bool want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

static const char *cmd_to_str(unsigned long c)
{
	switch (c) {
	case GUP_FAST_BENCHMARK:
		return "GUP_FAST_BENCHMARK";
	case PIN_FAST_BENCHMARK:
		return "PIN_FAST_BENCHMARK";
	case PIN_LONGTERM_BENCHMARK:
		return "PIN_LONGTERM_BENCHMARK";
	case GUP_BASIC_TEST:
		return "GUP_BASIC_TEST";
	case PIN_BASIC_TEST:
		return "PIN_BASIC_TEST";
	case DUMP_USER_PAGES_TEST:
		return "DUMP_USER_PAGES_TEST";
	}
	return "Unknown command";
}

/* ioctl(gup_fd, cmd, &gup) against the simulated module: 0, or -1 + errno. */
static int sim_ioctl(unsigned long c, struct gup_test *gup)
{
	int ret = gup_test_ioctl(mm, (unsigned int)c, gup);

	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

static void *gup_thread(void *data)
{
	struct gup_test gup = *(struct gup_test *)data;
	int i, status = 0;

	gupsim_kthread_use_mm(mm);	/* this thread is the process */
	if (cmd == PIN_FAST_BENCHMARK || cmd == GUP_FAST_BENCHMARK ||
	    cmd == PIN_LONGTERM_BENCHMARK) {
		for (i = 0; i < repeats; i++) {
			gup.size = size;
			status = sim_ioctl(cmd, &gup);
			if (status)
				break;

			pthread_mutex_lock(&print_mutex);
			ksft_print_msg("%s: Time: get:%lld put:%lld us", cmd_to_str(cmd),
				       (long long)gup.get_delta_usec,
				       (long long)gup.put_delta_usec);
			if (gup.size != size)
				ksft_print_msg(", truncated (size: %lld)", (long long)gup.size);
			ksft_print_msg("\n");
			pthread_mutex_unlock(&print_mutex);
		}
	} else {
		gup.size = size;
		status = sim_ioctl(cmd, &gup);
		if (status)
			goto return_;

		pthread_mutex_lock(&print_mutex);
		ksft_print_msg("%s: done\n", cmd_to_str(cmd));
		if (gup.size != size)
			ksft_print_msg("Truncated (size: %lld)\n", (long long)gup.size);
		pthread_mutex_unlock(&print_mutex);
	}
return_:
	/* the result line too: never inside another thread's message lines */
	pthread_mutex_lock(&print_mutex);
	ksft_test_result(status == 0, "ioctl status %d\n", status);
	pthread_mutex_unlock(&print_mutex);
	gupsim_kthread_unuse_mm(mm);
	return NULL;
}

/* Options that shape the machine and the mapping. */
struct setup {
	const char *file;
	int flags;		/* MAP_* */
	int thp;		/* -1 unset, 0 -T, 1 -t */
	bool hugetlb;
};

static bool file_is_dev_zero(const char *file)
{
	return !strcmp(file, "/dev/zero");
}

/*
 * The machine for this run: ZONE_NORMAL holds the mapping twice (a
 * private file mapping keeps the page cache and the anon copies) plus
 * room for page tables and the zero pages; -H adds the hugetlb pool.
 */
static struct gupsim *machine_create(const struct setup *s)
{
	struct gupsim_config cfg;
	unsigned long mb = (size + MB - 1) / MB;

	if (size > (1UL << 40))		/* beyond any simulated machine */
		return errno = ENOMEM, NULL;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 2 * mb + mb / 8 + 64;
	if (s->hugetlb) {
		cfg.hugetlb_2m_pages = size / HPAGE_SIZE;
		cfg.normal_mb += size / MB;
	}
	return gupsim_create(&cfg);
}

/* mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0) in the model. */
static unsigned long sim_mmap(const struct setup *s)
{
	int flags = s->flags;

	if (!(flags & MAP_ANONYMOUS)) {
		if (file_is_dev_zero(s->file)) {
			/* mapping /dev/zero is anonymous memory (shmem if shared) */
			flags |= MAP_ANONYMOUS;
		} else {
			sim_file = gupsim_file_create(sim, GUPSIM_FILE_REGULAR, s->file, size);
			if (!sim_file)
				return (unsigned long)-errno;
		}
	}
	return gupsim_mmap(mm, 0, size, PROT_READ | PROT_WRITE, flags,
			   (flags & MAP_ANONYMOUS) ? NULL : sim_file, 0);
}

/* Step 11: "p[0] = 0" at every page, from user space. */
static void fault_in(unsigned long addr)
{
	static const char zero;

	for (unsigned long p = addr; p < addr + size; p += psize()) {
		if (gupsim_write(mm, p, &zero, 1) != 1) {
			/* the process would die of SIGSEGV/SIGBUS here */
			fprintf(stderr, "gup_test: user write at 0x%lx faulted\n", p);
			exit(128 + 11);
		}
	}
}

static void run_threads(struct gup_test *gup, int nthreads)
{
	pthread_t *tid = malloc(sizeof(pthread_t) * (size_t)nthreads);
	int i;

	if (!tid) {
		fprintf(stderr, "gup_test: %s: Assertion `tid' failed.\n", __func__);
		abort();
	}
	fflush(stdout);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tid[i], NULL, gup_thread, gup)) {
			fprintf(stderr, "gup_test: Assertion `ret == 0' failed.\n");
			abort();
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	free(tid);
}

int main(int argc, char **argv)
{
	struct gup_test gup = { 0 };
	struct setup s = { .file = "/dev/zero", .flags = MAP_PRIVATE, .thp = -1 };
	int i, opt, nr_pages = 1, write = 1, nthreads = 1;
	int sim_errno = 0;
	unsigned long addr;

	if (want_help(argc, argv)) {
		usage(argv[0]);
		return 0;
	}
	while ((opt = getopt(argc, argv, "m:r:n:F:f:abcj:tTLUuwWSHpz")) != -1) {
		switch (opt) {
		case 'a':
			cmd = PIN_FAST_BENCHMARK;
			break;
		case 'b':
			cmd = PIN_BASIC_TEST;
			break;
		case 'L':
			cmd = PIN_LONGTERM_BENCHMARK;
			break;
		case 'c':
			cmd = DUMP_USER_PAGES_TEST;
			gup.which_pages[0] = 1;	/* page 0; 1-based */
			break;
		case 'p':
			gup.test_flags |= GUP_TEST_FLAG_DUMP_PAGES_USE_PIN;
			break;
		case 'F':
			gup.gup_flags = (__u32)strtol(optarg, 0, 0);
			break;
		case 'j':
			nthreads = atoi(optarg);
			break;
		case 'm':
			size = atoi(optarg) * MB;
			break;
		case 'r':
			repeats = atoi(optarg);
			break;
		case 'n':
			nr_pages = atoi(optarg);
			if (nr_pages < 0)	/* at parse time: -m must come first */
				nr_pages = (int)(size / psize());
			break;
		case 't':
			s.thp = 1;
			break;
		case 'T':
			s.thp = 0;
			break;
		case 'U':
			cmd = GUP_BASIC_TEST;
			break;
		case 'u':
			cmd = GUP_FAST_BENCHMARK;
			break;
		case 'w':
			write = 1;
			break;
		case 'W':
			write = 0;
			break;
		case 'f':
			s.file = optarg;
			break;
		case 'S':
			s.flags &= ~MAP_PRIVATE;
			s.flags |= MAP_SHARED;
			break;
		case 'H':
			s.flags |= MAP_HUGETLB | MAP_ANONYMOUS;
			s.hugetlb = true;
			break;
		default:	/* '?' and the unhandled 'z' (semantics.md §9.2) */
			ksft_exit_fail_msg("Wrong argument\n");
		}
	}

	/* extra arguments: 0-based page indices, stored 1-based */
	for (i = 0; optind < argc && i < GUP_TEST_MAX_PAGES_TO_DUMP; i++, optind++)
		gup.which_pages[i] = (__u32)(strtol(argv[optind], 0, 0) + 1);

	ksft_print_header();

	if (s.hugetlb)
		size = (size + HPAGE_SIZE - 1) / HPAGE_SIZE * HPAGE_SIZE;
	if (!(s.flags & MAP_ANONYMOUS) && !file_is_dev_zero(s.file) &&
	    !strncmp(s.file, "/dev/", 5))
		ksft_exit_skip("mapping %s is not modeled by gupsim (only /dev/zero)\n", s.file);
	sim = machine_create(&s);
	if (!sim) {
		sim_errno = errno;
		if (s.hugetlb)
			ksft_exit_skip("Not enough huge pages\n");
	}

	ksft_set_plan(nthreads);

	gup.nr_pages_per_call = (__u32)nr_pages;
	if (write)
		gup.gup_flags |= FOLL_WRITE;

	/* the debugfs file always opens: the "module" is built in */
	if (sim) {
		mm = gupsim_mm_create(sim);
		if (!mm)
			sim_errno = errno;
	}
	if (!mm)
		ksft_exit_fail_msg("mmap: %s\n", strerror(sim_errno));

	addr = sim_mmap(&s);
	if (GUPSIM_IS_ERR_VALUE(addr)) {
		if (-(long)addr == ENOSYS || -(long)addr == EOPNOTSUPP)
			ksft_exit_skip("this mapping is not modeled by gupsim: %s\n",
				       strerror(-(int)(long)addr));
		ksft_exit_fail_msg("mmap: %s\n", strerror(-(int)(long)addr));
	}
	gup.addr = addr;

	if (s.thp == 1)
		gupsim_madvise(mm, addr, size, MADV_HUGEPAGE);
	else if (s.thp == 0)
		gupsim_madvise(mm, addr, size, MADV_NOHUGEPAGE);

	fault_in(addr);
	run_threads(&gup, nthreads);

	/* process exit: the mapping, the file and the machine go away */
	if (sim_file)
		gupsim_file_put(sim_file);
	gupsim_mm_put(mm);
	gupsim_destroy(sim);
	ksft_exit_pass();
}
