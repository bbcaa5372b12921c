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

int main(void)
{
	struct gupsim *sim = gupsim_create(NULL);
	struct mm_struct *mm = sim ? gupsim_mm_create(sim) : NULL;
	int sum;

	if (!mm) {
		fprintf(stderr, "cannot create the machine\n");
		return 1;
	}
	/* the library's own find_vma still works inside it */
	if (gupsim_find_vma(mm, 0x1000) != NULL) {
		fprintf(stderr, "an empty mm has a VMA\n");
		return 1;
	}
	gupsim_destroy(sim);
	sum = find_vma(0) + get_file(0) + handle_mm_fault(0) + dump_page(0) + spin_lock_word(0);
	if (sum != 15) {
		fprintf(stderr, "the harness's stubs were not called (sum %d)\n", sum);
		return 1;
	}
	puts("static library linked beside the harness's own kernel stubs");
	return 0;
}
