# GUPSIM_SANITIZE=address,undefined or thread: applied to every target.
include(CheckCCompilerFlag)
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
