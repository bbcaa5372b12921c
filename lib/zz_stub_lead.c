// TEMPORARY stand-ins for lib/debug.c, lib/vmstat.c, lib/task.c (diag branch): DELETE this file when those land.
#include <stdlib.h>
#include "internal.h"
bool gupsim_warn(struct gupsim *sim, const char *file, int line, const char *func, const char *fmt, ...) { if (sim && sim->warn_fn) sim->warn_fn(sim->warn_arg, func); else fprintf(stderr, "WARN %s\n", func);  return true; }
void dump_page(const struct page *page, const char *reason) {}
void bad_page(struct page *page, const char *reason) { count_vm_event(page->sim, GUPSIM_NR_BAD_PAGES); gupsim_warn(page->sim, "", 0, reason, NULL); }
void gupsim_set_warn_handler(struct gupsim *sim, gupsim_warn_fn fn, void *arg) { sim->warn_fn = fn; sim->warn_arg = arg; }
