/* SPDX-License-Identifier: MIT */
/*
 * gupsim_config_from_host() in parts, so that the unit tests can feed it a
 * fake sysfs tree and release string instead of the running host's.
 */
#ifndef GUPSIM_HOST_H
#define GUPSIM_HOST_H

#include <stdbool.h>
#include <gupsim/gupsim.h>

struct host_sources {
	const char *thp_dir;	/* /sys/kernel/mm/transparent_hugepage */
	const char *release;	/* uname -r, or NULL to leave kernel_version */
	bool probe_faults;	/* fault pages in and read /proc/self/pagemap */
};

int host_config_fill(struct gupsim_config *cfg, const struct host_sources *src);
int host_kernel_version(const char *release, unsigned int *version);

#endif
