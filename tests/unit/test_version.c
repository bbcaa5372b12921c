// SPDX-License-Identifier: MIT
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>

static void version_matches_header(void **state)
{
	char want[32];

	(void)state;
	snprintf(want, sizeof(want), "%d.%d.%d", GUPSIM_VERSION_MAJOR, GUPSIM_VERSION_MINOR,
		 GUPSIM_VERSION_PATCH);
	assert_string_equal(gupsim_version(), want);
	assert_string_equal(gupsim_version(), GUPSIM_VERSION_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_matches_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
