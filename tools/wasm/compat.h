/* SPDX-License-Identifier: MIT */
/*
 * Included before every source of the wasm build (preset `wasm`), so that
 * lib/ and tools/ compile unchanged against emscripten's musl:
 * - its <limits.h> defines PAGE_SIZE as the 64 KiB wasm page; gupsim's
 *   <gupsim/types.h> defines the simulated 4 KiB one, which is meant.
 * - pthread_rwlockattr_setkind_np() is a glibc extension; the build is
 *   single-threaded, so a writer preference has nothing to prefer.
 * - syscall(SYS_gettid) names the calling task: there is one thread, 1.
 * - madvise() advice takes Linux's values; musl's headers here predate
 *   MADV_POPULATE_READ / _WRITE (Linux 5.14).
 * - prctl(PR_GET_NAME) is not there: it fails, and the task has no name.
 * - errno values are Linux's (scripts say `expect ret -14`); WASI numbers
 *   them differently. Only messages of failed libc calls are affected.
 */
#ifndef GUPSIM_WASM_COMPAT_H
#define GUPSIM_WASM_COMPAT_H
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#undef PAGE_SIZE
#define PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP 0
#define pthread_rwlockattr_setkind_np(attr, kind) ((void)(attr), (void)(kind), 0)
#ifndef SYS_gettid
#define SYS_gettid 0
#endif
#define syscall(...) 1L
#define prctl(...) (-1)
#undef EPERM
#define EPERM 1
#undef ENOENT
#define ENOENT 2
#undef ESRCH
#define ESRCH 3
#undef EINTR
#define EINTR 4
#undef EIO
#define EIO 5
#undef ENXIO
#define ENXIO 6
#undef E2BIG
#define E2BIG 7
#undef EBADF
#define EBADF 9
#undef ECHILD
#define ECHILD 10
#undef EAGAIN
#define EAGAIN 11
#undef ENOMEM
#define ENOMEM 12
#undef EACCES
#define EACCES 13
#undef EFAULT
#define EFAULT 14
#undef EBUSY
#define EBUSY 16
#undef EEXIST
#define EEXIST 17
#undef EXDEV
#define EXDEV 18
#undef ENODEV
#define ENODEV 19
#undef ENOTDIR
#define ENOTDIR 20
#undef EISDIR
#define EISDIR 21
#undef EINVAL
#define EINVAL 22
#undef ENFILE
#define ENFILE 23
#undef EMFILE
#define EMFILE 24
#undef ETXTBSY
#define ETXTBSY 26
#undef EFBIG
#define EFBIG 27
#undef ENOSPC
#define ENOSPC 28
#undef ESPIPE
#define ESPIPE 29
#undef EROFS
#define EROFS 30
#undef EMLINK
#define EMLINK 31
#undef EDOM
#define EDOM 33
#undef ERANGE
#define ERANGE 34
#undef EDEADLK
#define EDEADLK 35
#undef ENOSYS
#define ENOSYS 38
#undef EOVERFLOW
#define EOVERFLOW 75
#undef EOPNOTSUPP
#define EOPNOTSUPP 95
#undef ENOTSUP
#define ENOTSUP 95
#undef EREMOTEIO
#define EREMOTEIO 121
#undef ENOTRECOVERABLE
#define ENOTRECOVERABLE 131
#undef EHWPOISON
#define EHWPOISON 133
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#endif
