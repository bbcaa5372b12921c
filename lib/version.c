// SPDX-License-Identifier: MIT
#include <gupsim/version.h>
#include "internal.h"

const char *gupsim_version(void)
{
	return GUPSIM_VERSION_STRING;
}
