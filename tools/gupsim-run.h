/* SPDX-License-Identifier: MIT */
/* gupsim-run: shared state of the script runner (gupsim-run.c, run_cmds.c). */
#ifndef GUPSIM_RUN_H
#define GUPSIM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <gupsim/gupsim.h>

#define MAX_WORDS	16
#define MAX_NAMES	64

struct range {			/* a named mapping */
	char name[32];
	struct mm_struct *mm;
	unsigned long addr;
	size_t len;
};

struct handle {			/* pages obtained by pin/get */
	char name[32];
	struct page **pages;
	long nr;
	bool pinned;
};

struct named_mm {
	char name[32];
	struct mm_struct *mm;
};

struct named_file {
	char name[32];
	struct file *file;
};

struct run {
	const char *path;
	int line;
	struct gupsim_config cfg;
	struct gupsim *sim;
	struct named_mm mms[MAX_NAMES];
	int nr_mms;
	struct mm_struct *cur;
	struct range ranges[MAX_NAMES];
	int nr_ranges;
	struct handle handles[MAX_NAMES];
	int nr_handles;
	struct named_file files[MAX_NAMES];
	int nr_files;
	long last;			/* the last command's result */
	int failures;
	int warnings;
	bool trace;
};

int fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool parse_size(const char *s, unsigned long *out);
bool parse_long(const char *s, long *out);
bool has(char **w, int n, const char *word);
struct range *find_range(struct run *r, const char *name);
int parse_addr(struct run *r, const char *s, struct range **rg, unsigned long *addr);
struct mm_struct *find_mm(struct run *r, const char *name);
struct handle *find_handle(struct run *r, const char *name);
struct file *find_file(struct run *r, const char *name);
int need_machine(struct run *r);
int need_mm(struct run *r);
char page_char(struct mm_struct *mm, unsigned long addr);
void print_map(struct range *rg, struct mm_struct *mm);
void print_page(struct run *r, const char *label, struct page *page);
const char *unquote(char *s);
int cmd_expect(struct run *r, char **w, int n);
int run_command(struct run *r, char **w, int n);
void cleanup(struct run *r);

#endif /* GUPSIM_RUN_H */
