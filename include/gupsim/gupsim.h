/* SPDX-License-Identifier: MIT */
/**
 * @file gupsim.h
 * @brief Umbrella header: the whole gupsim API under gupsim_* names.
 *
 * Include <gupsim/kernel.h> as well to use the kernel's names
 * (pin_user_pages(), folio_put(), current->mm, ...).
 */
#ifndef GUPSIM_GUPSIM_H
#define GUPSIM_GUPSIM_H

#include <gupsim/version.h>
#include <gupsim/export.h>
#include <gupsim/types.h>
#include <gupsim/folio.h>
#include <gupsim/mm.h>
#include <gupsim/gup.h>
#include <gupsim/vmstat.h>
#include <gupsim/trace.h>

GUPSIM_BEGIN_DECLS

/** The largest errno value an ERR_PTR / IS_ERR_VALUE can carry. */
#define GUPSIM_MAX_ERRNO	4095
/** True if @p x, cast to unsigned long, is a negative errno (-4095..-1). */
#define GUPSIM_IS_ERR_VALUE(x)	((unsigned long)(x) >= (unsigned long)-GUPSIM_MAX_ERRNO)

/**
 * @brief Check every invariant of the machine (page tables against folio
 * counts, free lists, pin balance); each violation is reported with
 * dump_page.
 * @param sim the machine
 * @return the number of violations found
 */
GUPSIM_API long gupsim_check(struct gupsim *sim);

GUPSIM_END_DECLS

#endif /* GUPSIM_GUPSIM_H */
