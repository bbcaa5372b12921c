// SPDX-License-Identifier: MIT
/*
 * gupsim-run: `machine key=value...`. One table of keys, with the allowed
 * values of each, drives the parsing, the errors and the docs.
 */
#include <stdio.h>
#include <string.h>

#include "gupsim-run.h"

enum key_kind { KEY_MB, KEY_COUNT, KEY_CHOICE, KEY_SIZES, KEY_VERSION };

struct key_spec {
	const char *key;
	enum key_kind kind;
	const char *const *choices;	/* KEY_CHOICE: NULL-terminated */
	int (*set)(struct gupsim_config *c, unsigned long v);
	const char *doc;
};

static const char *const on_off[] = { "on", "off", NULL };
static const char *const thp_modes[] = { "never", "madvise", "always", NULL };

static int set_normal(struct gupsim_config *c, unsigned long v) { c->normal_mb = v; return 0; }
static int set_movable(struct gupsim_config *c, unsigned long v) { c->movable_mb = v; return 0; }
static int set_cma(struct gupsim_config *c, unsigned long v) { c->cma_mb = v; return 0; }
static int set_device(struct gupsim_config *c, unsigned long v) { c->device_mb = v; return 0; }
static int set_h2m(struct gupsim_config *c, unsigned long v) { c->hugetlb_2m_pages = v; return 0; }
static int set_h1g(struct gupsim_config *c, unsigned long v) { c->hugetlb_1g_pages = v; return 0; }
static int set_zero(struct gupsim_config *c, unsigned long v) { c->use_zero_page = !v; return 0; }
static int set_hzero(struct gupsim_config *c, unsigned long v) { c->use_huge_zero_page = !v; return 0; }
static int set_dpins(struct gupsim_config *c, unsigned long v) { c->debug_pins = !v; return 0; }
static int set_strict(struct gupsim_config *c, unsigned long v) { c->strict = !v; return 0; }
static int set_mthp(struct gupsim_config *c, unsigned long v) { c->mthp_orders = v; return 0; }
static int set_kernel(struct gupsim_config *c, unsigned long v)
{
	c->kernel_version = (unsigned int)v;
	return 0;
}

static int set_thp(struct gupsim_config *c, unsigned long v)
{
	static const enum gupsim_thp_mode modes[] = {
		GUPSIM_THP_NEVER, GUPSIM_THP_MADVISE, GUPSIM_THP_ALWAYS,
	};

	c->thp = modes[v];
	return 0;
}

/* For KEY_CHOICE, v is the index of the value in .choices (on = 0). */
static const struct key_spec keys[] = {
	{ "normal", KEY_MB, NULL, set_normal, "ZONE_NORMAL size (default 256M)" },
	{ "movable", KEY_MB, NULL, set_movable, "ZONE_MOVABLE size (default 0)" },
	{ "cma", KEY_MB, NULL, set_cma, "CMA pageblocks inside ZONE_NORMAL (default 0)" },
	{ "device", KEY_MB, NULL, set_device, "ZONE_DEVICE size: fsdax, P2PDMA (default 0)" },
	{ "hugetlb2m", KEY_COUNT, NULL, set_h2m, "pages in the 2 MiB hugetlb pool" },
	{ "hugetlb1g", KEY_COUNT, NULL, set_h1g, "pages in the 1 GiB hugetlb pool" },
	{ "thp", KEY_CHOICE, thp_modes, set_thp,
	  "transparent_hugepage/enabled (default madvise)" },
	{ "zero", KEY_CHOICE, on_off, set_zero, "map the zero page on read faults (default on)" },
	{ "hugezero", KEY_CHOICE, on_off, set_hzero, "the huge zero folio (default on)" },
	{ "mthp", KEY_SIZES, NULL, set_mthp,
	  "anonymous mTHP sizes, comma-separated powers of two from 16K to 1M (e.g. 16K,64K)" },
	{ "kernel", KEY_VERSION, NULL, set_kernel,
	  "the release whose rules apply, 6.6 to 7.3 (e.g. 6.12, 6.12.3; default the newest)" },
	{ "debug_pins", KEY_CHOICE, on_off, set_dpins,
	  "exact shadow pin counts, the pin sanitizer (default off)" },
	{ "strict", KEY_CHOICE, on_off, set_strict, "a WARN aborts the run (default off)" },
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

static void key_syntax(char *buf, size_t size, const struct key_spec *k)
{
	size_t len = (size_t)snprintf(buf, size, "%s=", k->key);

	if (k->kind == KEY_CHOICE) {
		for (int i = 0; k->choices[i] && len < size; i++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "|" : "",
						k->choices[i]);
	} else {
		snprintf(buf + len, size - len, "%s", k->kind == KEY_MB ? "SIZE" :
			 k->kind == KEY_COUNT ? "N" : k->kind == KEY_VERSION ? "A.B[.C]" :
			 "SIZE,...");
	}
}

static int bad_key(struct run *r, const char *word)
{
	char allowed[512];
	size_t len = 0;

	allowed[0] = '\0';
	for (size_t i = 0; i < NR_KEYS && len < sizeof(allowed); i++)
		len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s=", i ? " " : "",
					keys[i].key);
	return unknown_word(r, word, "machine", allowed);
}

/* mthp=16K,64K → a bitmask of orders */
static int parse_mthp(struct run *r, const char *val, unsigned long *orders)
{
	char copy[128], *save, *tok;
	unsigned long v;

	*orders = 0;
	snprintf(copy, sizeof(copy), "%s", val);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!parse_size(tok, &v) || v < 16384 || v > (1UL << 20) || (v & (v - 1)))
			return fail(r, "machine: bad mthp size '%s' (allowed: powers of two "
				    "from 16K to 1M)", tok);
		*orders |= v / PAGE_SIZE;	/* 2^order pages: bit `order` */
	}
	return 0;
}

/* kernel=6.12 or 6.12.3 → GUPSIM_KERNEL_VERSION() */
static int parse_version(struct run *r, const char *val, unsigned long *v)
{
	unsigned int a = 0, b = 0, c = 0;
	char extra;
	int got = sscanf(val, "%u.%u.%u%c", &a, &b, &c, &extra);

	if ((got != 2 && got != 3) || a > 255 || b > 255 || c > 255)
		return fail(r, "machine: bad kernel version '%s' (A.B or A.B.C, e.g. 6.12)", val);
	*v = GUPSIM_KERNEL_VERSION(a, b, c);
	if (*v < GUPSIM_KERNEL_VERSION_MIN || *v > GUPSIM_KERNEL_VERSION_MAX)
		return fail(r, "machine: kernel %s is outside the modelled releases 6.6 to 7.3",
			    val);
	return 0;
}

static int key_value(struct run *r, const struct key_spec *k, const char *val,
		     unsigned long *v)
{
	char syntax[128];

	switch (k->kind) {
	case KEY_CHOICE:
		for (unsigned long i = 0; k->choices[i]; i++)
			if (!strcmp(k->choices[i], val)) {
				*v = i;
				return 0;
			}
		key_syntax(syntax, sizeof(syntax), k);
		return fail(r, "unknown value '%s' for machine %s; allowed: %s", val, k->key,
			    syntax + strlen(k->key) + 1);
	case KEY_SIZES:
		return parse_mthp(r, val, v);
	case KEY_VERSION:
		return parse_version(r, val, v);
	case KEY_MB:
		if (!parse_size(val, v) || (*v & ((1UL << 20) - 1)))
			return fail(r, "machine: bad size '%s' for %s (whole MiB: 64M, 1G)", val,
				    k->key);
		*v >>= 20;
		return 0;
	default:
		if (!parse_size(val, v))
			return fail(r, "machine: bad number '%s' for %s", val, k->key);
		return 0;
	}
}

/* machine key=value...: parsed here, not by parse_args (the words are key=value). */
int run_machine(struct run *r, char **w, int n)
{
	if (r->sim)
		return fail(r, "'machine' must come before anything that uses the machine");
	for (int i = 1; i < n; i++) {
		const char *eq = strchr(w[i], '=');
		size_t klen = eq ? (size_t)(eq - w[i]) : strlen(w[i]);
		const struct key_spec *k = NULL;
		unsigned long v;

		for (size_t j = 0; j < NR_KEYS; j++)
			if (strlen(keys[j].key) == klen && !strncmp(keys[j].key, w[i], klen))
				k = &keys[j];
		if (!k)
			return bad_key(r, w[i]);
		if (!eq)
			return fail(r, "machine: '%s' needs a value (%s=...)", w[i], k->key);
		if (key_value(r, k, eq + 1, &v) || k->set(&r->cfg, v))
			return -1;
	}
	return need_machine(r);
}

void print_machine_doc(void)
{
	char syntax[128];

	printf("| key | what it sets |\n|---|---|\n");
	for (size_t i = 0; i < NR_KEYS; i++) {
		key_syntax(syntax, sizeof(syntax), &keys[i]);
		printf("| `");
		for (const char *s = syntax; *s; s++) {
			if (*s == '|')
				putchar('\\');
			putchar(*s);
		}
		printf("` | %s |\n", keys[i].doc);
	}
}
