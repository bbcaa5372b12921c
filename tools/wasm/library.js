// SPDX-License-Identifier: MIT
// --js-library of gupsim-run.js (preset `wasm`): emscripten 3.1.6's
// fd_read for wasm64 uses its 64-bit arguments as numbers and stores the
// byte count (a size_t, 64-bit) as 32 bits. This one converts and stores
// 64 bits; the iovecs are read by SYSCALLS.doReadv (iovec.js). Same for
// emscripten_memcpy_big.
mergeInto(LibraryManager.library, {
  // memcpy() of large blocks: its pointers and length come as BigInt.
  emscripten_memcpy_big: function (dest, src, num) {
    HEAPU8.copyWithin(Number(dest), Number(src), Number(src) + Number(num));
    return dest;
  },
  fd_read__deps: ['$SYSCALLS'],
  fd_read: function (fd, iov, iovcnt, pnum) {
    try {
      var stream = SYSCALLS.getStreamFromFD(fd);
      var num = SYSCALLS.doReadv(stream, Number(iov), Number(iovcnt));
      HEAP64[Number(pnum) >> 3] = BigInt(num);
      return 0;
    } catch (e) {
      if (typeof FS == 'undefined' || !(e instanceof FS.ErrnoError)) throw e;
      return e.errno;
    }
  },
});
