/* SPDX-License-Identifier: MIT */
/*
 * The gup_test UAPI (the kernel's mm/gup_test.h, semantics.md §9.1) and the
 * simulated module's entry point. The struct layout and the ioctl numbers
 * are the kernel's, so a dump of the struct reads the same.
 */
#ifndef GUPSIM_BENCH_GUP_TEST_H
#define GUPSIM_BENCH_GUP_TEST_H

#include <stdint.h>
#include <sys/ioctl.h>

struct mm_struct;

typedef uint64_t __u64;
typedef uint32_t __u32;

#define GUP_TEST_MAX_PAGES_TO_DUMP		8
#define GUP_TEST_FLAG_DUMP_PAGES_USE_PIN	0x1

struct gup_test {
	__u64 get_delta_usec;
	__u64 put_delta_usec;
	__u64 addr;
	__u64 size;
	__u32 nr_pages_per_call;
	__u32 gup_flags;
	__u32 test_flags;
	/*
	 * Each non-zero entry is the 1-based index of a page to dump_page();
	 * 0 means unused (1-based, so that zero can mean "nothing").
	 */
	__u32 which_pages[GUP_TEST_MAX_PAGES_TO_DUMP];
};
_Static_assert(sizeof(struct gup_test) == 80, "struct gup_test is 80 bytes in the UAPI");

#define GUP_FAST_BENCHMARK	_IOWR('g', 1, struct gup_test)
#define PIN_FAST_BENCHMARK	_IOWR('g', 2, struct gup_test)
#define PIN_LONGTERM_BENCHMARK	_IOWR('g', 3, struct gup_test)
#define GUP_BASIC_TEST		_IOWR('g', 4, struct gup_test)
#define PIN_BASIC_TEST		_IOWR('g', 5, struct gup_test)
#define DUMP_USER_PAGES_TEST	_IOWR('g', 6, struct gup_test)

/*
 * The module's ioctl for commands 1-6 (semantics.md §9.1), acting on @mm, which the
 * calling thread must have adopted with kthread_use_mm(). @gup is both the
 * input and the copied-back output.
 * Returns 0 or a negative errno (-EINVAL, -ENOMEM, -EINTR); a GUP failure
 * is not an error: it shows up as a shorter gup->size.
 */
int gup_test_ioctl(struct mm_struct *mm, unsigned int cmd, struct gup_test *gup);

#endif /* GUPSIM_BENCH_GUP_TEST_H */
