/* SPDX-License-Identifier: MIT */
/*
 * gupsim-run: shared state of the script runner. gupsim-run.c reads the
 * command line and the scripts and prints; run_spec.c parses a line
 * against the command's table of allowed words (the same tables print the
 * docs); run_cmds.c and run_expect.c are the commands and the expectations.
 */
#ifndef GUPSIM_RUN_H
#define GUPSIM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <gupsim/gupsim.h>

#define MAX_WORDS	24
#define MAX_NAMES	64
#define MAX_ARGS	4
#define MAX_OPTS	16

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

/* How the run prints (the command line's options). */
struct output {
	bool tap;			/* --tap: TAP, the transcript as comments */
	bool quiet;			/* --quiet: failures and errors only */
	bool trace;			/* --trace: print trace events */
	const char *html;		/* --html OUT: write a step-by-step page */
	int tests;			/* TAP test points so far (all scripts) */
};

struct run {
	const char *path;
	int line;
	struct output *out;
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
	bool expect_leaks;		/* `expect leaks`: outstanding pins are fine */
	struct html_view *html;		/* --html: the recorder, or NULL */
};

/* ---- the tables of allowed words (run_spec.c) ---- */

enum arg_kind {
	ARG_ANY,		/* a name, an address, a number: the command checks */
	ARG_CHOICE,		/* one of .choices */
	ARG_TEXT,		/* a quoted string */
	ARG_TEXT_OR_NUM,	/* a quoted string or a number */
};

struct arg_spec {		/* a positional word */
	const char *name;	/* its placeholder in the synopsis: ADDR, N|all */
	enum arg_kind kind;
	const char *const *choices;	/* ARG_CHOICE: NULL-terminated */
	bool optional;
};

struct opt_spec {		/* a keyword that may follow the positional words */
	const char *word;	/* "write", "as", or a prefix such as "file:" */
	const char *value;	/* NULL, or the placeholder of its value: NAME */
	unsigned char group;	/* nonzero: at most one word of this group */
	bool prefix;		/* "file:F": the value is glued to the word */
};

struct args;

struct cmd_spec {
	const char *name;
	int (*fn)(struct run *r, const struct args *a);
	int (*raw)(struct run *r, char **w, int n);	/* parses its own words */
	struct arg_spec args[MAX_ARGS];	/* ends at .name == NULL */
	const struct opt_spec *opts;	/* ends at .word == NULL; may be NULL */
	const char *doc;		/* one line for docs/scenarios.md */
	bool no_mm;			/* does not create the first mm */
};

/* A parsed line: the positional words and the options present. */
struct args {
	const struct cmd_spec *spec;
	const char *pos[MAX_ARGS];	/* NULL: an optional word left out */
	const char *opt[MAX_OPTS];	/* by opt index: the word or its value */
};

int parse_args(struct run *r, const struct cmd_spec *spec, const char *what,
	       char **w, int n, struct args *a);
const char *opt(const struct args *a, const char *word);
void print_synopsis(char *buf, size_t size, const struct cmd_spec *spec, const char *prefix);
const struct cmd_spec *find_spec(const struct cmd_spec *table, const char *name);
int unknown_word(struct run *r, const char *word, const char *what, const char *allowed);
void list_names(char *buf, size_t size, const struct cmd_spec *table);
bool parse_errno(const char *s, long *out);
const char *errno_name(long v);
void print_doc_table(const char *title, const char *what, const struct cmd_spec *table,
		     const char *prefix);

extern const struct cmd_spec commands[];
extern const struct cmd_spec expectations[];
void print_machine_doc(void);
int run_machine(struct run *r, char **w, int n);
int cmd_expect(struct run *r, char **w, int n);

/* ---- the runner (gupsim-run.c) ---- */

int fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void passed(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void failed(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool parse_size(const char *s, unsigned long *out);
bool parse_long(const char *s, long *out);
struct range *find_range(struct run *r, const char *name);
int parse_addr(struct run *r, const char *s, struct range **rg, unsigned long *addr);
struct mm_struct *find_mm(struct run *r, const char *name);
struct handle *find_handle(struct run *r, const char *name);
struct file *find_file(struct run *r, const char *name);
int need_machine(struct run *r);
int need_mm(struct run *r);
char page_char(struct mm_struct *mm, unsigned long addr);
void print_map(struct run *r, struct range *rg, struct mm_struct *mm);
void print_page(struct run *r, const char *label, struct page *page);
const char *unquote(const char *s, char *buf, size_t size);
void print_result(struct run *r, long v);
int run_command(struct run *r, char **w, int n);
void release_all(struct run *r);
void cleanup(struct run *r);

#endif /* GUPSIM_RUN_H */
