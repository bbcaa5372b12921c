// SPDX-License-Identifier: MIT
// --post-js of gupsim-run.js (preset `wasm`). Emscripten 3.1.6 reads a
// struct iovec as two 32-bit words even for wasm64, where it is a 64-bit
// pointer and a 64-bit length: every write then writes 0 bytes and musl's
// stdio retries for ever. Read and write with the wasm64 layout instead.
function gupsimIovPtr(iov, i) {
  return Number(HEAP64[(Number(iov) >> 3) + 2 * i]);
}
function gupsimIovLen(iov, i) {
  return Number(HEAP64[(Number(iov) >> 3) + 2 * i + 1]);
}
SYSCALLS.doReadv = function (stream, iov, iovcnt, offset) {
  let ret = 0;
  for (let i = 0; i < Number(iovcnt); i++) {
    const ptr = gupsimIovPtr(iov, i), len = gupsimIovLen(iov, i);
    const curr = FS.read(stream, HEAP8, ptr, len, offset);
    if (curr < 0)
      return -1;
    ret += curr;
    if (curr < len)
      break;
  }
  return ret;
};
SYSCALLS.doWritev = function (stream, iov, iovcnt, offset) {
  let ret = 0;
  for (let i = 0; i < Number(iovcnt); i++) {
    const ptr = gupsimIovPtr(iov, i), len = gupsimIovLen(iov, i);
    const curr = FS.write(stream, HEAP8, ptr, len, offset);
    if (curr < 0)
      return -1;
    ret += curr;
  }
  return ret;
};

// callMain() writes argv as 32-bit pointers too; main() reads 64-bit ones.
callMain = function (args) {
  const all = [thisProgram].concat(args || []);
  const argv = Number(stackAlloc((all.length + 1) * 8));
  for (let i = 0; i < all.length; i++)
    HEAP64[(argv >> 3) + i] = BigInt(Number(allocateUTF8OnStack(all[i])));
  HEAP64[(argv >> 3) + all.length] = BigInt(0);
  try {
    const ret = Module["_main"](all.length, argv);
    exit(ret, true);
    return ret;
  } catch (e) {
    return handleException(e);
  } finally {
    calledMain = true;
  }
};
Module["callMain"] = callMain;
