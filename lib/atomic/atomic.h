/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style atomics for gupsim: atomic_read, atomic_add_return,
 * atomic_add_unless, atomic_sub_and_test, atomic_cmpxchg, READ_ONCE,
 * smp_mb__after_atomic, set_bit... The backend is chosen at configure time:
 * GUPSIM_ATOMICS_AO selects libatomic_ops, otherwise C11 <stdatomic.h>.
 *
 * Ordering follows the kernel: atomic_read/atomic_set and the void RMW ops
 * are relaxed; value-returning RMW ops are fully ordered.
 */
#ifndef GUPSIM_ATOMIC_H
#define GUPSIM_ATOMIC_H

#include <stdbool.h>
#include <gupsim/types.h>

#ifdef GUPSIM_ATOMICS_AO
#include "atomic_ops.h"
#else
#include "c11.h"
#endif

/* ---- atomic_t ---- */
static inline int atomic_read(const atomic_t *v) { return __ao_int_load(&v->counter); }
static inline void atomic_set(atomic_t *v, int i) { __ao_int_store(&v->counter, i); }
/* (atomic_fetch_add is <stdatomic.h>'s name: the backend's __ao_int_fetch_add stands in) */
static inline int atomic_add_return(int i, atomic_t *v) { return __ao_int_fetch_add(&v->counter, i) + i; }
static inline int atomic_sub_return(int i, atomic_t *v) { return __ao_int_fetch_add(&v->counter, -i) - i; }
static inline void atomic_add(int i, atomic_t *v) { (void)__ao_int_fetch_add(&v->counter, i); }
static inline void atomic_sub(int i, atomic_t *v) { (void)__ao_int_fetch_add(&v->counter, -i); }
static inline void atomic_inc(atomic_t *v) { atomic_add(1, v); }
static inline void atomic_dec(atomic_t *v) { atomic_sub(1, v); }
static inline int atomic_inc_return(atomic_t *v) { return atomic_add_return(1, v); }
static inline int atomic_dec_return(atomic_t *v) { return atomic_sub_return(1, v); }
static inline bool atomic_sub_and_test(int i, atomic_t *v) { return atomic_sub_return(i, v) == 0; }
static inline bool atomic_dec_and_test(atomic_t *v) { return atomic_sub_and_test(1, v); }
static inline bool atomic_inc_and_test(atomic_t *v) { return atomic_add_return(1, v) == 0; }
static inline bool atomic_add_negative(int i, atomic_t *v) { return atomic_add_return(i, v) < 0; }
static inline bool atomic_try_cmpxchg(atomic_t *v, int *old, int new_)
{ return __ao_int_cas(&v->counter, old, new_); }
static inline int atomic_cmpxchg(atomic_t *v, int old, int new_)
{
	__ao_int_cas(&v->counter, &old, new_);
	return old;
}
static inline int atomic_xchg(atomic_t *v, int new_) { return __ao_int_xchg(&v->counter, new_); }
/* Add @a unless the value is @u; returns true if the add happened. */
static inline bool atomic_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_read(v);

	do {
		if (c == u)
			return false;
	} while (!atomic_try_cmpxchg(v, &c, c + a));
	return true;
}
static inline bool atomic_inc_not_zero(atomic_t *v) { return atomic_add_unless(v, 1, 0); }

/* ---- atomic_long_t ---- */
static inline long atomic_long_read(const atomic_long_t *v) { return __ao_long_load(&v->counter); }
static inline void atomic_long_set(atomic_long_t *v, long i) { __ao_long_store(&v->counter, i); }
static inline long atomic_long_add_return(long i, atomic_long_t *v)
{ return __ao_long_fetch_add(&v->counter, i) + i; }
static inline void atomic_long_add(long i, atomic_long_t *v) { (void)__ao_long_fetch_add(&v->counter, i); }
static inline void atomic_long_sub(long i, atomic_long_t *v) { (void)__ao_long_fetch_add(&v->counter, -i); }
static inline void atomic_long_inc(atomic_long_t *v) { atomic_long_add(1, v); }
static inline void atomic_long_dec(atomic_long_t *v) { atomic_long_sub(1, v); }
static inline bool atomic_long_try_cmpxchg(atomic_long_t *v, long *old, long new_)
{ return __ao_long_cas(&v->counter, old, new_); }

/* ---- plain words: READ_ONCE / WRITE_ONCE, bit ops, cmpxchg ---- */
#define READ_ONCE_UL(p)		__ao_ulong_load((const unsigned long *)(p))
#define WRITE_ONCE_UL(p, v)	__ao_ulong_store((unsigned long *)(p), (unsigned long)(v))
static inline unsigned long smp_load_acquire_ul(const unsigned long *p) { return __ao_ulong_load_acquire(p); }
static inline void smp_store_release_ul(unsigned long *p, unsigned long v) { __ao_ulong_store_release(p, v); }
static inline unsigned long cmpxchg_ul(unsigned long *p, unsigned long old, unsigned long new_)
{
	__ao_ulong_cas(p, &old, new_);
	return old;
}
static inline bool try_cmpxchg_ul(unsigned long *p, unsigned long *old, unsigned long new_)
{ return __ao_ulong_cas(p, old, new_); }
static inline unsigned long xchg_ul(unsigned long *p, unsigned long v) { return __ao_ulong_xchg(p, v); }
/* Clear the bits of @mask, fully ordered; returns the old value. */
static inline unsigned long fetch_andnot_ul(unsigned long *p, unsigned long mask)
{ return __ao_ulong_fetch_and(p, ~mask); }

#define BIT(nr)			(1UL << (nr))
static inline void set_bit(unsigned int nr, unsigned long *addr) { __ao_ulong_fetch_or(addr, BIT(nr)); }
static inline void clear_bit(unsigned int nr, unsigned long *addr) { __ao_ulong_fetch_and(addr, ~BIT(nr)); }
static inline bool test_bit(unsigned int nr, const unsigned long *addr)
{ return (READ_ONCE_UL(addr) >> nr) & 1; }
static inline bool test_and_set_bit(unsigned int nr, unsigned long *addr)
{ return (__ao_ulong_fetch_or(addr, BIT(nr)) >> nr) & 1; }
static inline bool test_and_clear_bit(unsigned int nr, unsigned long *addr)
{ return (__ao_ulong_fetch_and(addr, ~BIT(nr)) >> nr) & 1; }
/* Lock-bit helpers: acquire on set, release on clear. */
static inline bool test_and_set_bit_lock(unsigned int nr, unsigned long *addr) { return test_and_set_bit(nr, addr); }
static inline void clear_bit_unlock(unsigned int nr, unsigned long *addr) { clear_bit(nr, addr); }

/* ---- barriers ---- */
static inline void smp_mb(void) { __ao_mb(); }
static inline void smp_rmb(void) { __ao_rmb(); }
static inline void smp_wmb(void) { __ao_wmb(); }
static inline void smp_mb__after_atomic(void) { __ao_mb(); }
static inline void smp_mb__before_atomic(void) { __ao_mb(); }

#endif /* GUPSIM_ATOMIC_H */
