# Warnings for every gupsim target: gupsim_set_warnings(<target>)
set(GUPSIM_WARNING_FLAGS
    -Wall -Wextra -Wshadow
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes> $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes>
    -Wpointer-arith $<$<COMPILE_LANGUAGE:C>:-Wwrite-strings> -Wformat=2 -Wundef -Wvla
    -Wno-unused-parameter)
function(gupsim_set_warnings target)
  target_compile_options(${target} PRIVATE ${GUPSIM_WARNING_FLAGS})
  if(GUPSIM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
