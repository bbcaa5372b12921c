# GUPSIM_SANITIZE=address,undefined or thread: applied to every target.
if(GUPSIM_SANITIZE)
  add_compile_options(-fsanitize=${GUPSIM_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${GUPSIM_SANITIZE})
  if(GUPSIM_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()
