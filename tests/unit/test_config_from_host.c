// SPDX-License-Identifier: MIT
/*
 * gupsim_config_from_host(): whatever the host, the result is a
 * configuration gupsim_create() accepts; the sysfs THP/mTHP policy and the
 * release are read as the kernel documents them (checked on a fake sysfs
 * tree); what cannot be read keeps its value; and an unprivileged caller,
 * who cannot see PFNs, measures the same zero-page behaviour as root.
 */
#include "helpers.h"
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "host.h"

#define MTHP_MASK	0x1fcUL	/* orders 2..8 */

static void host_config_is_accepted_by_create(void **state)
{
	struct gupsim_config cfg;
	struct gupsim *sim;

	(void)state;
	gupsim_config_init(&cfg);
	assert_int_equal(gupsim_config_from_host(&cfg), 0);
	assert_true(cfg.thp <= GUPSIM_THP_ALWAYS);
	assert_int_equal(cfg.mthp_orders & ~MTHP_MASK, 0);
	assert_true(cfg.kernel_version == 0 ||
		    (cfg.kernel_version >= GUPSIM_KERNEL_VERSION_MIN &&
		     cfg.kernel_version <= GUPSIM_KERNEL_VERSION_MAX));
	assert_int_equal(cfg.normal_mb, 1024);	/* sizes are left alone */
	cfg.normal_mb = 16;
	sim = gupsim_create(&cfg);
	assert_non_null(sim);
	gupsim_destroy(sim);
}

static void null_or_short_config_is_einval(void **state)
{
	struct gupsim_config cfg;

	(void)state;
	assert_int_equal(gupsim_config_from_host(NULL), -EINVAL);
	gupsim_config_init(&cfg);
	cfg.size = offsetof(struct gupsim_config, thp);
	assert_int_equal(gupsim_config_from_host(&cfg), -EINVAL);
}

static char fake_dir[] = "/tmp/gupsim_fake_thp_XXXXXX";

static void fake_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_dir, name);
	if (strchr(name, '/')) {
		char dir[256];

		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = 0;
		mkdir(dir, 0700);
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", text);
	fclose(f);
}

static int fake_setup(void **state)
{
	(void)state;
	return mkdtemp(fake_dir) ? 0 : -1;
}

static int fake_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* "[word]" is the setting; sizes at "never" are off, the others on. */
static void sysfs_policy_is_read(void **state)
{
	struct host_sources src = { .thp_dir = fake_dir, .release = "6.12.9-foo" };
	struct gupsim_config cfg;

	(void)state;
	fake_file("enabled", "always madvise [never]");
	fake_file("hugepages-2048kB/enabled", "always [inherit] madvise never");
	fake_file("hugepages-16kB/enabled", "always inherit madvise [never]");
	fake_file("hugepages-32kB/enabled", "always [inherit] madvise never");
	fake_file("hugepages-64kB/enabled", "always inherit [madvise] never");
	gupsim_config_init(&cfg);
	assert_int_equal(host_config_fill(&cfg, &src), 0);
	assert_int_equal(cfg.thp, GUPSIM_THP_NEVER);
	assert_int_equal(cfg.mthp_orders, (1UL << 3) | (1UL << 4));
	assert_int_equal(cfg.kernel_version, GUPSIM_KERNEL_VERSION(6, 12, 9));
	assert_true(cfg.use_zero_page);		/* no probe asked for */
}

/* The PMD size's own control wins over the top-level one (v6.8+). */
static void pmd_size_control_overrides_enabled(void **state)
{
	struct host_sources src = { .thp_dir = fake_dir };
	struct gupsim_config cfg;

	(void)state;
	fake_file("enabled", "always [madvise] never");
	fake_file("hugepages-2048kB/enabled", "[always] inherit madvise never");
	gupsim_config_init(&cfg);
	assert_int_equal(host_config_fill(&cfg, &src), 0);
	assert_int_equal(cfg.thp, GUPSIM_THP_ALWAYS);
}

static void missing_sysfs_keeps_values(void **state)
{
	struct host_sources src = { .thp_dir = "/nonexistent/gupsim", .release = "not a release" };
	struct gupsim_config cfg, before;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.thp = GUPSIM_THP_ALWAYS;
	cfg.mthp_orders = 1UL << 4;
	cfg.kernel_version = GUPSIM_KERNEL_VERSION(6, 6, 0);
	before = cfg;
	assert_int_equal(host_config_fill(&cfg, &src), 0);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static unsigned int version_of(const char *release)
{
	unsigned int v = 0xdead;

	assert_int_equal(host_kernel_version(release, &v), 0);
	return v;
}

/* Outside the modelled range: the nearest end (0 is the newest). */
static void release_is_parsed_and_clamped(void **state)
{
	unsigned int v = 7;

	(void)state;
	assert_int_equal(version_of("6.18.44-fc-v1252"), GUPSIM_KERNEL_VERSION(6, 18, 44));
	assert_int_equal(version_of("6.6"), GUPSIM_KERNEL_VERSION(6, 6, 0));
	assert_int_equal(version_of("6.13-rc2"), GUPSIM_KERNEL_VERSION(6, 13, 0));
	assert_int_equal(version_of("6.12.300"), GUPSIM_KERNEL_VERSION(6, 12, 255));
	assert_int_equal(version_of("5.15.0-91-generic"), GUPSIM_KERNEL_VERSION_MIN);
	assert_int_equal(version_of("6.5.13"), GUPSIM_KERNEL_VERSION_MIN);
	assert_int_equal(version_of("7.4.0"), 0);
	assert_int_equal(version_of("12.0.1"), 0);
	assert_int_equal(host_kernel_version("linux", &v), -EINVAL);
	assert_int_equal(host_kernel_version("6", &v), -EINVAL);
	assert_int_equal(host_kernel_version(NULL, &v), -EINVAL);
	assert_int_equal(v, 7);
}

/* A caller built before kernel_version existed: nothing past its size. */
static void fields_beyond_size_are_untouched(void **state)
{
	struct host_sources src = { .thp_dir = fake_dir, .release = "6.12.1" };
	struct gupsim_config cfg;

	(void)state;
	gupsim_config_init(&cfg);
	cfg.size = offsetof(struct gupsim_config, kernel_version);
	cfg.kernel_version = 12345;
	assert_int_equal(host_config_fill(&cfg, &src), 0);
	assert_int_equal(cfg.kernel_version, 12345);
}

/* The zero-page probe of an unprivileged child (PFNs hidden, the
 * exclusive bit decides) against root's (PFNs compared). */
static void unprivileged_probe_agrees_with_root(void **state)
{
	struct gupsim_config root, user;
	int pipefd[2], status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	gupsim_config_init(&root);
	assert_int_equal(gupsim_config_from_host(&root), 0);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct gupsim_config c;

		gupsim_config_init(&c);
		/* setuid() leaves the task undumpable: /proc/self/ would be root's */
		if (setgid(65534) || setuid(65534) || prctl(PR_SET_DUMPABLE, 1) ||
		    gupsim_config_from_host(&c) ||
		    write(pipefd[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &user, sizeof(user)), (ssize_t)sizeof(user));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pipefd[0]);
	close(pipefd[1]);
	assert_int_equal(user.use_zero_page, root.use_zero_page);
	assert_int_equal(user.use_huge_zero_page, root.use_huge_zero_page);
	assert_int_equal(user.thp, root.thp);
	assert_int_equal(user.mthp_orders, root.mthp_orders);
	assert_int_equal(user.kernel_version, root.kernel_version);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_config_is_accepted_by_create),
		cmocka_unit_test(null_or_short_config_is_einval),
		cmocka_unit_test(sysfs_policy_is_read),
		cmocka_unit_test(pmd_size_control_overrides_enabled),
		cmocka_unit_test(missing_sysfs_keeps_values),
		cmocka_unit_test(release_is_parsed_and_clamped),
		cmocka_unit_test(fields_beyond_size_are_untouched),
		cmocka_unit_test(unprivileged_probe_agrees_with_root),
	};
	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
