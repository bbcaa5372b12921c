// SPDX-License-Identifier: MIT
/*
 * gupsim-run: one table of allowed words per command drives the parsing,
 * the error messages ("unknown word 'wirte' for pin; allowed: ...") and the
 * tables of docs/scenarios.md (`gupsim-run --doc`, checked by a test).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gupsim-run.h"

const struct cmd_spec *find_spec(const struct cmd_spec *table, const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}

void list_names(char *buf, size_t size, const struct cmd_spec *table)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; table->name && len < size; table++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", table->name);
}

int unknown_word(struct run *r, const char *word, const char *what, const char *allowed)
{
	if (!*allowed)
		return fail(r, "unexpected word '%s' for %s: it takes no more words", word, what);
	return fail(r, "unknown word '%s' for %s; allowed: %s", word, what, allowed);
}

static size_t add(char *buf, size_t size, size_t len, const char *s)
{
	if (len < size)
		len += (size_t)snprintf(buf + len, size - len, "%s", s);
	return len < size ? len : size;
}

static size_t add_choices(char *buf, size_t size, size_t len, const char *const *c,
			  const char *sep)
{
	for (int i = 0; c[i]; i++) {
		len = add(buf, size, len, i ? sep : "");
		len = add(buf, size, len, c[i]);
	}
	return len;
}

/* "write", "as NAME", "file:F" */
static size_t add_opt(char *buf, size_t size, size_t len, const struct opt_spec *o)
{
	len = add(buf, size, len, o->word);
	if (o->value) {
		len = add(buf, size, len, o->prefix ? "" : " ");
		len = add(buf, size, len, o->value);
	}
	return len;
}

/* What may come after the positional words: "write longterm ... as NAME". */
static void allowed_words(char *buf, size_t size, const struct cmd_spec *spec, int next_pos)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = next_pos; i < MAX_ARGS && spec->args[i].name; i++) {
		len = add(buf, size, len, len ? " " : "");
		if (spec->args[i].kind == ARG_CHOICE)
			len = add_choices(buf, size, len, spec->args[i].choices, " ");
		else
			len = add(buf, size, len, spec->args[i].name);
	}
	for (const struct opt_spec *o = spec->opts; o && o->word; o++) {
		len = add(buf, size, len, len ? " " : "");
		len = add_opt(buf, size, len, o);
	}
}

/* "pin ADDR N|all [write] [fast|slow|remote|unlocked] [as NAME]" */
void print_synopsis(char *buf, size_t size, const struct cmd_spec *spec, const char *prefix)
{
	size_t len = 0;

	buf[0] = '\0';
	len = add(buf, size, len, prefix);
	len = add(buf, size, len, spec->name);
	for (int i = 0; i < MAX_ARGS && spec->args[i].name; i++) {
		const struct arg_spec *a = &spec->args[i];

		len = add(buf, size, len, a->optional ? " [" : " ");
		if (a->kind == ARG_CHOICE)
			len = add_choices(buf, size, len, a->choices, "|");
		else
			len = add(buf, size, len, a->name);
		len = add(buf, size, len, a->optional ? "]" : "");
	}
	for (const struct opt_spec *o = spec->opts; o && o->word; o++) {
		bool first = o == spec->opts || o[-1].group != o->group || !o->group;
		bool last = !o[1].word || o[1].group != o->group || !o->group;

		len = add(buf, size, len, first ? " [" : "|");
		len = add_opt(buf, size, len, o);
		len = add(buf, size, len, last ? "]" : "");
	}
}

static int match_opt(const struct cmd_spec *spec, const char *word)
{
	for (int i = 0; spec->opts && spec->opts[i].word; i++) {
		const struct opt_spec *o = &spec->opts[i];

		if (o->prefix ? !strncmp(word, o->word, strlen(o->word)) : !strcmp(word, o->word))
			return i;
	}
	return -1;
}

static bool fits(const struct arg_spec *s, const char *word)
{
	switch (s->kind) {
	case ARG_CHOICE:
		for (int i = 0; s->choices[i]; i++)
			if (!strcmp(s->choices[i], word))
				return true;
		return false;
	case ARG_TEXT:
		return word[0] == '"';
	case ARG_TEXT_OR_NUM: {
		long v;

		return word[0] == '"' || parse_long(word, &v);
	}
	default:
		return true;
	}
}

static int bad_positional(struct run *r, const struct cmd_spec *spec, const char *what,
			  int i, const char *word)
{
	char allowed[512];
	const struct arg_spec *s = &spec->args[i];

	if (s->kind == ARG_CHOICE) {
		allowed[0] = '\0';
		add_choices(allowed, sizeof(allowed), 0, s->choices, " ");
		return unknown_word(r, word, what, allowed);
	}
	return fail(r, "%s: expected %s, got '%s'", what, s->name, word);
}

static int take_opt(struct run *r, const struct cmd_spec *spec, const char *what,
		    char **w, int n, int *i, struct args *a)
{
	int k = match_opt(spec, w[*i]);
	const struct opt_spec *o = &spec->opts[k];

	for (int j = 0; spec->opts[j].word; j++)
		if (a->opt[j] && (j == k || (o->group && spec->opts[j].group == o->group)))
			return fail(r, "%s: '%s' conflicts with '%s'", what, w[*i],
				    spec->opts[j].word);
	if (o->prefix) {
		a->opt[k] = w[*i] + strlen(o->word);
		if (!*a->opt[k])
			return fail(r, "%s: '%s' needs a value: %s%s", what, w[*i], o->word, o->value);
	} else if (o->value) {
		if (*i + 1 >= n)
			return fail(r, "%s: '%s' needs a value: %s %s", what, w[*i], o->word, o->value);
		a->opt[k] = w[++*i];
	} else {
		a->opt[k] = w[*i];
	}
	return 0;
}

/*
 * Parse w[1..n-1] against spec: the required positional words in order,
 * then options and optional positional words in any order. Any other word
 * is an error naming the allowed ones. `what` names the command in errors.
 */
int parse_args(struct run *r, const struct cmd_spec *spec, const char *what,
	       char **w, int n, struct args *a)
{
	char buf[512];
	int p = 0, i = 1;

	memset(a, 0, sizeof(*a));
	a->spec = spec;
	for (; p < MAX_ARGS && spec->args[p].name && !spec->args[p].optional; p++, i++) {
		if (i >= n) {
			print_synopsis(buf, sizeof(buf), spec,
				       strncmp(what, "expect ", 7) ? "" : "expect ");
			return fail(r, "%s: missing %s (usage: %s)", what, spec->args[p].name, buf);
		}
		if (!fits(&spec->args[p], w[i]))
			return bad_positional(r, spec, what, p, w[i]);
		a->pos[p] = w[i];
	}
	for (; i < n; i++) {
		if (match_opt(spec, w[i]) >= 0) {
			if (take_opt(r, spec, what, w, n, &i, a))
				return -1;
			continue;
		}
		if (p < MAX_ARGS && spec->args[p].name && fits(&spec->args[p], w[i])) {
			a->pos[p++] = w[i];
			continue;
		}
		if (p < MAX_ARGS && spec->args[p].name && spec->args[p].kind == ARG_CHOICE)
			return bad_positional(r, spec, what, p, w[i]);
		allowed_words(buf, sizeof(buf), spec, p);
		return unknown_word(r, w[i], what, buf);
	}
	return 0;
}

/* The value of option `word` (the word itself for a flag), NULL if absent. */
const char *opt(const struct args *a, const char *word)
{
	for (int i = 0; a->spec->opts && a->spec->opts[i].word; i++)
		if (!strcmp(a->spec->opts[i].word, word))
			return a->opt[i];
	fprintf(stderr, "gupsim-run: internal error: %s has no option '%s'\n",
		a->spec->name, word);
	abort();
}

/* ---- errno names: expect ret -EFAULT ---- */

#define E(x) { #x, x }
static const struct { const char *name; int value; } errnos[] = {
	E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(EBADF),
	E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST),
	E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS),
	E(EDOM), E(ERANGE), E(EDEADLK), E(ENOSYS), E(ENOTSUP), E(EOVERFLOW),
	E(EHWPOISON), E(ENOTRECOVERABLE), E(ESRCH), E(ECHILD),
};
#undef E

/* "-EFAULT", "-14", "8" */
bool parse_errno(const char *s, long *out)
{
	if (parse_long(s, out))
		return true;
	if (s[0] != '-')
		return false;
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(s + 1, errnos[i].name)) {
			*out = -errnos[i].value;
			return true;
		}
	return false;
}

/* "-EFAULT" for -14; NULL if v is no errno we know */
const char *errno_name(long v)
{
	static char buf[32];

	for (size_t i = 0; v < 0 && i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].value == -v) {
			snprintf(buf, sizeof(buf), "-%s", errnos[i].name);
			return buf;
		}
	return NULL;
}

/* ---- docs/scenarios.md tables ---- */

static void print_cell(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
}

void print_doc_table(const char *title, const char *what, const struct cmd_spec *table,
		     const char *prefix)
{
	char buf[512];

	printf("| %s | %s |\n|---|---|\n", title, what);
	for (; table->name; table++) {
		print_synopsis(buf, sizeof(buf), table, prefix);
		printf("| `");
		print_cell(buf);
		printf("` | ");
		print_cell(table->doc);
		printf(" |\n");
	}
}
