# GUPSIM_SANITIZE=address,undefined or thread: applied to every target.
# GUPSIM_FUZZ=ON (clang): every target, the library included, is also
# compiled with -fsanitize=fuzzer-no-link, so that libFuzzer sees the
# library's edges and not only the harness's; the fuzz target alone links
# the libFuzzer runtime (tests/fuzz/CMakeLists.txt).
include(CheckCCompilerFlag)
option(GUPSIM_FUZZ "Build the libFuzzer targets, library instrumented (clang only)" OFF)
if(GUPSIM_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "GUPSIM_FUZZ needs clang (CC=clang, or the `fuzz` preset)")
  endif()
  # the invariant checker is the fuzzers' oracle, not code under test:
  # its edges and comparisons are left out of the feedback (and the time)
  add_compile_options(-fsanitize=fuzzer-no-link
    -fsanitize-coverage-ignorelist=${PROJECT_SOURCE_DIR}/tests/fuzz/coverage-ignore.txt)
  if(NOT GUPSIM_SANITIZE)
    set(GUPSIM_SANITIZE "address,undefined")
  endif()
endif()
if(GUPSIM_SANITIZE)
  add_compile_options(-fsanitize=${GUPSIM_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${GUPSIM_SANITIZE})
  if(GUPSIM_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  if(GUPSIM_SANITIZE MATCHES "thread")
    # GCC >= 12 warns that TSan does not model atomic_thread_fence (smp_mb
    # in lib/atomic/c11.h); with -Werror that would stop the build. The
    # fences are kept; TSan reports what it sees of the atomics around them.
    check_c_compiler_flag(-Wtsan GUPSIM_HAVE_WTSAN)
    if(GUPSIM_HAVE_WTSAN)
      add_compile_options(-Wno-tsan)
    endif()
  endif()
endif()
