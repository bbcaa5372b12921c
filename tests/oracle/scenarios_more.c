// SPDX-License-Identifier: MIT
/*
 * More paths into the kernel's GUP, each compared with gupsim.
 */
#include "oracle.h"

const struct scenario more_scenarios[] = {
	{ .name = NULL },
};
