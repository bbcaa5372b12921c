/* SPDX-License-Identifier: MIT */
/**
 * @file export.h
 * @brief Symbol visibility for the gupsim library.
 *
 * The library is built with hidden visibility; only declarations marked
 * GUPSIM_API are exported, and the linker version script (lib/libgupsim.map)
 * names each of them in the GUPSIM_0.1 node.
 */
#ifndef GUPSIM_EXPORT_H
#define GUPSIM_EXPORT_H

#if defined(GUPSIM_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define GUPSIM_API __attribute__((visibility("default")))
#else
#define GUPSIM_API
#endif

#if defined(__cplusplus)
#define GUPSIM_BEGIN_DECLS extern "C" {
#define GUPSIM_END_DECLS }
#else
#define GUPSIM_BEGIN_DECLS
#define GUPSIM_END_DECLS
#endif

/*
 * An anonymous struct member (of the unions in struct page and struct
 * folio): ISO C11, and in C++ a GNU extension that __extension__ keeps
 * quiet under -Wpedantic.
 */
#if defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__))
#define GUPSIM_ANON_STRUCT __extension__ struct
#else
#define GUPSIM_ANON_STRUCT struct
#endif

#endif /* GUPSIM_EXPORT_H */
