/* SPDX-License-Identifier: MIT */
/* Shared CMocka fixtures for gupsim tests. */
#ifndef GUPSIM_TEST_HELPERS_H
#define GUPSIM_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <gupsim/gupsim.h>

/*
 * GUPSIM_TEST_KERNEL=A.B in the environment runs a test binary under that
 * release's rules (the fixtures put it in cfg.kernel_version); unset or
 * malformed: 0, the newest. ctest runs the conformance tables this way.
 */
static inline unsigned int test_kernel_version(void)
{
	const char *v = getenv("GUPSIM_TEST_KERNEL");
	char *end;
	unsigned long a, b;

	if (!v || !*v)
		return 0;
	a = strtoul(v, &end, 10);
	if (*end != '.')
		return 0;
	b = strtoul(end + 1, &end, 10);
	if (*end || a > 255 || b > 255)
		return 0;
	return (unsigned int)GUPSIM_KERNEL_VERSION(a, b, 0);
}

/* A table row whose rule changed in v@a.@b: skipped when the environment
 * selects an older release (the row states the newer rule). */
#define SKIP_BEFORE_KERNEL(a, b)						\
	do {								\
		unsigned int kv_ = test_kernel_version();		\
		if (kv_ && kv_ < (unsigned int)GUPSIM_KERNEL_VERSION(a, b, 0))	\
			skip();						\
	} while (0)

/* Collects WARN messages so a test can assert on them. */
struct warn_log {
	int count;
	char last[1024];
};

static inline void warn_log_fn(void *arg, const char *msg)
{
	struct warn_log *w = (struct warn_log *)arg;

	w->count++;
	strncpy(w->last, msg, sizeof(w->last) - 1);
	w->last[sizeof(w->last) - 1] = '\0';
}

/* A machine with a small NORMAL zone, its warnings captured. */
struct sim_fixture {
	struct gupsim *sim;
	struct warn_log warns;
};

static inline struct gupsim *fixture_sim(void **state)
{
	return ((struct sim_fixture *)*state)->sim;
}

static inline int sim_setup_cfg(void **state, const struct gupsim_config *cfg)
{
	struct sim_fixture *f = (struct sim_fixture *)calloc(1, sizeof(*f));
	struct gupsim_config c = *cfg;

	if (!f)
		return -1;
	/* GUPSIM_TEST_KERNEL selects the release unless the test chose one */
	if (!c.kernel_version)
		c.kernel_version = test_kernel_version();
	f->sim = gupsim_create(&c);
	if (!f->sim) {
		free(f);
		return -1;
	}
	gupsim_set_warn_handler(f->sim, warn_log_fn, &f->warns);
	*state = f;
	return 0;
}

static inline int sim_setup(void **state)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 64;
	return sim_setup_cfg(state, &cfg);
}

static inline int sim_teardown(void **state)
{
	struct sim_fixture *f = (struct sim_fixture *)*state;

	gupsim_destroy(f->sim);
	free(f);
	return 0;
}

#define fixture_warns(state) (&((struct sim_fixture *)*(state))->warns)

#endif /* GUPSIM_TEST_HELPERS_H */
