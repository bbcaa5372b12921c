// SPDX-License-Identifier: MIT
/*
 * cfg.kernel_version: 0 is the newest modelled release, v6.6 to v7.3 are
 * accepted, anything else is EINVAL from gupsim_create(), and a caller built
 * against the header before the field existed keeps working.
 */
#include "helpers.h"
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

static void config_init_sets_newest(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	gupsim_config_init(&cfg);
	assert_int_equal(cfg.kernel_version, 0);
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	assert_int_equal(sim->kver, GUPSIM_KERNEL_VERSION_MAX);
	assert_true(kernel_at_least(sim, 7, 3));
	gupsim_destroy(sim);
}

static void macro_matches_kernel_version_h(void **state)
{
	(void)state;
	assert_int_equal(GUPSIM_KERNEL_VERSION(6, 6, 0), 0x060600);
	assert_int_equal(GUPSIM_KERNEL_VERSION(6, 12, 3), 0x060c03);
}

static struct gupsim *create_at(unsigned int version)
{
	struct gupsim_config cfg;

	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.kernel_version = version;
	errno = 0;
	return gupsim_create(&cfg);
}

static void lts_releases_are_modelled(void **state)
{
	static const unsigned int ok[] = {
		GUPSIM_KERNEL_VERSION(6, 6, 0), GUPSIM_KERNEL_VERSION(6, 6, 63),
		GUPSIM_KERNEL_VERSION(6, 12, 0), GUPSIM_KERNEL_VERSION(6, 18, 0),
		GUPSIM_KERNEL_VERSION(7, 3, 0), GUPSIM_KERNEL_VERSION(7, 3, 255),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct gupsim *sim = create_at(ok[i]);

		assert_non_null(sim);
		assert_int_equal(sim->kver, ok[i]);
		gupsim_destroy(sim);
	}
}

static void kernel_at_least_compares_major_minor(void **state)
{
	struct gupsim *sim = create_at(GUPSIM_KERNEL_VERSION(6, 12, 9));

	(void)state;
	assert_non_null(sim);
	assert_true(kernel_at_least(sim, 6, 6));
	assert_true(kernel_at_least(sim, 6, 12));
	assert_false(kernel_at_least(sim, 6, 13));
	assert_false(kernel_at_least(sim, 7, 0));
	gupsim_destroy(sim);
}

static void version_outside_range_is_einval(void **state)
{
	static const unsigned int bad[] = {
		GUPSIM_KERNEL_VERSION(5, 10, 0), GUPSIM_KERNEL_VERSION(6, 5, 255),
		GUPSIM_KERNEL_VERSION(7, 4, 0), GUPSIM_KERNEL_VERSION(8, 0, 0), 1,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(create_at(bad[i]));
		assert_int_equal(errno, EINVAL);
	}
}

/* The refusal says why, on stderr (no machine exists to log it). */
static void version_outside_range_is_said_on_stderr(void **state)
{
	FILE *tmp = tmpfile();
	char line[256] = "";
	int saved;

	(void)state;
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	assert_null(create_at(GUPSIM_KERNEL_VERSION(5, 15, 3)));
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	assert_non_null(fgets(line, sizeof(line), tmp));
	fclose(tmp);
	assert_non_null(strstr(line, "kernel_version 5.15.3"));
	assert_non_null(strstr(line, "outside the modelled range 6.6 to 7.3"));
}

/* A program built before kernel_version existed passes the older size:
 * whatever follows mthp_orders in its memory is not read. */
static void older_callers_get_the_newest(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.normal_mb = 16;
	cfg.size = offsetof(struct gupsim_config, kernel_version);
	cfg.kernel_version = GUPSIM_KERNEL_VERSION(2, 6, 32);	/* beyond size: ignored */
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	assert_int_equal(sim->cfg.kernel_version, 0);
	assert_int_equal(sim->kver, GUPSIM_KERNEL_VERSION_MAX);
	gupsim_destroy(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_init_sets_newest),
		cmocka_unit_test(macro_matches_kernel_version_h),
		cmocka_unit_test(lts_releases_are_modelled),
		cmocka_unit_test(kernel_at_least_compares_major_minor),
		cmocka_unit_test(version_outside_range_is_einval),
		cmocka_unit_test(version_outside_range_is_said_on_stderr),
		cmocka_unit_test(older_callers_get_the_newest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
