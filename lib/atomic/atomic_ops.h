/* SPDX-License-Identifier: MIT */
/*
 * Atomic backend on libatomic_ops (-DGUPSIM_ATOMICS=atomic_ops). AO_t is an
 * unsigned word; the int variants use AO_int_*. Every read-modify-write is
 * _full (sequentially consistent), like the kernel's value-returning atomics.
 */
#ifndef GUPSIM_ATOMIC_AO_H
#define GUPSIM_ATOMIC_AO_H

#include <stdbool.h>
#include <atomic_ops.h>

#define GUPSIM_ATOMIC_BACKEND "atomic_ops"

_Static_assert(sizeof(AO_t) == sizeof(unsigned long), "AO_t is a word");

static inline int __ao_int_load(const int *p) { return (int)AO_int_load((const unsigned *)p); }
static inline void __ao_int_store(int *p, int v) { AO_int_store((unsigned *)p, (unsigned)v); }
static inline int __ao_int_fetch_add(int *p, int v)
{ return (int)AO_int_fetch_and_add_full((unsigned *)p, (unsigned)v); }
static inline bool __ao_int_cas(int *p, int *old, int new_)
{
	unsigned seen = AO_int_fetch_compare_and_swap_full((unsigned *)p, (unsigned)*old,
							   (unsigned)new_);
	if (seen == (unsigned)*old)
		return true;
	*old = (int)seen;
	return false;
}
static inline int __ao_int_xchg(int *p, int v)
{
	int old = __ao_int_load(p);
	while (!__ao_int_cas(p, &old, v))
		;
	return old;
}

static inline long __ao_long_load(const long *p) { return (long)AO_load((const AO_t *)p); }
static inline void __ao_long_store(long *p, long v) { AO_store((AO_t *)p, (AO_t)v); }
static inline long __ao_long_fetch_add(long *p, long v)
{ return (long)AO_fetch_and_add_full((AO_t *)p, (AO_t)v); }
static inline bool __ao_long_cas(long *p, long *old, long new_)
{
	AO_t seen = AO_fetch_compare_and_swap_full((AO_t *)p, (AO_t)*old, (AO_t)new_);
	if (seen == (AO_t)*old)
		return true;
	*old = (long)seen;
	return false;
}

static inline unsigned long __ao_ulong_load(const unsigned long *p) { return AO_load((const AO_t *)p); }
static inline unsigned long __ao_ulong_load_acquire(const unsigned long *p)
{ return AO_load_acquire((const AO_t *)p); }
static inline void __ao_ulong_store(unsigned long *p, unsigned long v) { AO_store((AO_t *)p, v); }
static inline void __ao_ulong_store_release(unsigned long *p, unsigned long v)
{ AO_store_release((AO_t *)p, v); }
static inline bool __ao_ulong_cas(unsigned long *p, unsigned long *old, unsigned long new_)
{
	AO_t seen = AO_fetch_compare_and_swap_full((AO_t *)p, *old, new_);
	if (seen == *old)
		return true;
	*old = seen;
	return false;
}
static inline unsigned long __ao_ulong_fetch_or(unsigned long *p, unsigned long v)
{
	unsigned long old = __ao_ulong_load(p);
	while (!__ao_ulong_cas(p, &old, old | v))
		;
	return old;
}
static inline unsigned long __ao_ulong_fetch_and(unsigned long *p, unsigned long v)
{
	unsigned long old = __ao_ulong_load(p);
	while (!__ao_ulong_cas(p, &old, old & v))
		;
	return old;
}
static inline unsigned long __ao_ulong_xchg(unsigned long *p, unsigned long v)
{
	unsigned long old = __ao_ulong_load(p);
	while (!__ao_ulong_cas(p, &old, v))
		;
	return old;
}

static inline void __ao_mb(void) { AO_nop_full(); }
static inline void __ao_rmb(void) { AO_nop_read(); }
static inline void __ao_wmb(void) { AO_nop_write(); }

#endif /* GUPSIM_ATOMIC_AO_H */
