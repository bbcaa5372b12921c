// SPDX-License-Identifier: MIT
/*
 * A test harness with its own stubs of kernel functions links the static
 * library: gupsim's internals of the same names are local to libgupsim.a,
 * and each call below reaches this file's definition.
 */
#include <stdio.h>
#include <gupsim/gupsim.h>

/* The harness's own kernel stubs (gupsim defines each of these names). */
int find_vma(int x);
int get_file(int x);
int handle_mm_fault(int x);
int dump_page(int x);
int spin_lock_word(int x);
int find_vma(int x) { return x + 1; }
int get_file(int x) { return x + 2; }
int handle_mm_fault(int x) { return x + 3; }
int dump_page(int x) { return x + 4; }
int spin_lock_word(int x) { return x + 5; }

static void count_warn(void *arg, const char *msg)
{
	(void)msg;
	++*(int *)arg;
}

int main(void)
{
	struct gupsim *sim = gupsim_create(NULL);
	struct mm_struct *mm = sim ? gupsim_mm_create(sim) : NULL;
	struct vm_area_struct *vma;
	int sum, warns = 0;

	if (!mm) {
		fprintf(stderr, "cannot create the machine\n");
		return 1;
	}
	/* the library's own find_vma still works inside it */
	gupsim_set_warn_handler(sim, count_warn, &warns);
	gupsim_mmap_read_lock(mm);
	vma = gupsim_find_vma(mm, 0x1000);
	gupsim_mmap_read_unlock(mm);
	gupsim_mm_put(mm);
	gupsim_destroy(sim);
	if (vma || warns) {
		fprintf(stderr, "an empty mm has a VMA, or %d WARN(s)\n", warns);
		return 1;
	}
	sum = find_vma(0) + get_file(0) + handle_mm_fault(0) + dump_page(0) + spin_lock_word(0);
	if (sum != 15) {
		fprintf(stderr, "the harness's stubs were not called (sum %d)\n", sum);
		return 1;
	}
	puts("static library linked beside the harness's own kernel stubs");
	return 0;
}
