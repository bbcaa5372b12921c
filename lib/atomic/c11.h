/* SPDX-License-Identifier: MIT */
/*
 * Atomic backend on C11 <stdatomic.h> (the default). Plain-typed storage is
 * cast to _Atomic, as liburing's barrier.h does, so that the public struct
 * layouts stay plain C and C++.
 */
#ifndef GUPSIM_ATOMIC_C11_H
#define GUPSIM_ATOMIC_C11_H

#include <stdatomic.h>
#include <stdbool.h>

#define GUPSIM_ATOMIC_BACKEND "c11"

#define __gs_a(p)	((_Atomic __typeof__(*(p)) *)(p))
#define __gs_load(p, mo)	atomic_load_explicit(__gs_a(p), mo)
#define __gs_store(p, v, mo)	atomic_store_explicit(__gs_a(p), v, mo)

/* Word-sized primitives the kernel-style layer is built on. */
static inline int __ao_int_load(const int *p) { return __gs_load((int *)p, memory_order_relaxed); }
static inline void __ao_int_store(int *p, int v) { __gs_store(p, v, memory_order_relaxed); }
static inline int __ao_int_fetch_add(int *p, int v)
{ return atomic_fetch_add_explicit(__gs_a(p), v, memory_order_seq_cst); }
static inline bool __ao_int_cas(int *p, int *old, int new_)
{ return atomic_compare_exchange_strong_explicit(__gs_a(p), old, new_,
		memory_order_seq_cst, memory_order_relaxed); }
static inline int __ao_int_xchg(int *p, int v)
{ return atomic_exchange_explicit(__gs_a(p), v, memory_order_seq_cst); }

static inline long __ao_long_load(const long *p) { return __gs_load((long *)p, memory_order_relaxed); }
static inline void __ao_long_store(long *p, long v) { __gs_store(p, v, memory_order_relaxed); }
static inline long __ao_long_fetch_add(long *p, long v)
{ return atomic_fetch_add_explicit(__gs_a(p), v, memory_order_seq_cst); }
static inline bool __ao_long_cas(long *p, long *old, long new_)
{ return atomic_compare_exchange_strong_explicit(__gs_a(p), old, new_,
		memory_order_seq_cst, memory_order_relaxed); }

static inline unsigned long __ao_ulong_load(const unsigned long *p)
{ return __gs_load((unsigned long *)p, memory_order_relaxed); }
static inline unsigned long __ao_ulong_load_acquire(const unsigned long *p)
{ return __gs_load((unsigned long *)p, memory_order_acquire); }
static inline void __ao_ulong_store(unsigned long *p, unsigned long v)
{ __gs_store(p, v, memory_order_relaxed); }
static inline void __ao_ulong_store_release(unsigned long *p, unsigned long v)
{ __gs_store(p, v, memory_order_release); }
static inline unsigned long __ao_ulong_fetch_or(unsigned long *p, unsigned long v)
{ return atomic_fetch_or_explicit(__gs_a(p), v, memory_order_seq_cst); }
static inline unsigned long __ao_ulong_fetch_and(unsigned long *p, unsigned long v)
{ return atomic_fetch_and_explicit(__gs_a(p), v, memory_order_seq_cst); }
static inline bool __ao_ulong_cas(unsigned long *p, unsigned long *old, unsigned long new_)
{ return atomic_compare_exchange_strong_explicit(__gs_a(p), old, new_,
		memory_order_seq_cst, memory_order_relaxed); }
static inline unsigned long __ao_ulong_xchg(unsigned long *p, unsigned long v)
{ return atomic_exchange_explicit(__gs_a(p), v, memory_order_seq_cst); }

static inline void __ao_mb(void) { atomic_thread_fence(memory_order_seq_cst); }
static inline void __ao_rmb(void) { atomic_thread_fence(memory_order_acquire); }
static inline void __ao_wmb(void) { atomic_thread_fence(memory_order_release); }

#endif /* GUPSIM_ATOMIC_C11_H */
