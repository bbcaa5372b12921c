// SPDX-License-Identifier: MIT
// C++ twin of the public headers: <gupsim/gupsim.h> and <gupsim/kernel.h>
// compile as C++ (-Wpedantic), before the standard library's headers
// (whose members named `current` must not meet a macro), and a kernel name
// used from C++ links against the C library.
#include <gupsim/gupsim.h>
#include <gupsim/kernel.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>
#include <sys/user.h>	// its PAGE_SIZE/PAGE_MASK agree with gupsim's

// The layouts C code relies on hold in C++ too.
static_assert(sizeof(struct page) <= 64, "struct page fits in 64 bytes");
static_assert(sizeof(struct folio) == 2 * sizeof(struct page),
	      "a folio overlays its first two pages");
static_assert(std::is_standard_layout<struct page>::value, "struct page is plain data");
// page->private is spelt private_ in C++ (a keyword); same place as in C.
static_assert(offsetof(struct page, private_) == offsetof(struct folio, private_),
	      "folio->private overlays page->private");
static_assert(std::is_trivially_copyable<struct folio>::value, "struct folio is plain data");

// Kernel names resolve to gupsim_* functions with the kernel's signatures.
static_assert(std::is_same<decltype(&pin_user_pages),
			   long (*)(unsigned long, unsigned long, unsigned int,
				    struct page **)>::value, "pin_user_pages");
static_assert(std::is_same<decltype(&unpin_user_pages),
			   void (*)(struct page **, unsigned long)>::value, "unpin_user_pages");
static_assert(std::is_same<decltype(&folio_put), void (*)(struct folio *)>::value,
	      "folio_put");
static_assert(std::is_same<decltype(&try_grab_folio),
			   int (*)(struct folio *, int, unsigned int)>::value, "try_grab_folio");
static_assert((FOLL_PIN & INTERNAL_GUP_FLAGS) != 0, "FOLL_PIN is internal");

int main()
{
	const char *v = gupsim_version();

	if (std::strcmp(v, GUPSIM_VERSION_STRING) != 0) {
		std::fprintf(stderr, "gupsim_version() = %s, header says %s\n", v,
			     GUPSIM_VERSION_STRING);
		return 1;
	}
	void *e = ERR_PTR(-12);
	if (!IS_ERR(e) || PTR_ERR(e) != -12 || IS_ERR_OR_NULL(v)) {
		std::fprintf(stderr, "ERR_PTR helpers are wrong in C++\n");
		return 1;
	}

	// A pin from C++ through the kernel names (semantics.md §2.2).
	struct gupsim *sim = gupsim_create(nullptr);
	struct folio *folio = sim ? gupsim_folio_alloc(sim, 0, 0) : nullptr;
	if (!folio) {
		std::perror("gupsim_create/gupsim_folio_alloc");
		return 1;
	}
	int ok = try_grab_folio(folio, 1, FOLL_PIN) == 0 &&
		 folio_ref_count(folio) == 1 + (int)GUP_PIN_COUNTING_BIAS &&
		 folio_maybe_dma_pinned(folio);
	unpin_folio(folio);
	ok = ok && folio_ref_count(folio) == 1 && !folio_maybe_dma_pinned(folio);
	folio_put(folio);
	gupsim_destroy(sim);
	if (!ok) {
		std::fprintf(stderr, "pin/unpin counts are wrong from C++\n");
		return 1;
	}
	// Containers and iterators (std::reverse_iterator has a member named
	// `current`) next to the kernel names, and `current` itself.
	std::vector<struct page *> pages(4, nullptr);
	std::map<std::string, long> counts{{"pins", 0}};
	long nulls = std::count(pages.rbegin(), pages.rend(), nullptr);
	struct task_struct *task = current;
	if (nulls != 4 || counts.at("pins") != 0 || task != gupsim_current() ||
	    (current->mm != nullptr) != (gupsim_current()->mm != nullptr)) {
		std::fprintf(stderr, "containers or current are wrong from C++\n");
		return 1;
	}
	std::printf("C++%ld twin: gupsim %s\n", (long)__cplusplus, v);
	return 0;
}
