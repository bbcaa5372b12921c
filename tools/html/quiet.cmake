# SPDX-License-Identifier: MIT
# cmake -DRUN=gupsim-run -DOUT=x.html -DSCRIPT=x.gsim -P quiet.cmake
# Build the HTML view of one scenario without printing its run; the build
# fails only if the page could not be written (a failed `expect` shows in
# the page itself).
execute_process(COMMAND "${RUN}" --html "${OUT}" "${SCRIPT}"
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(rc GREATER 1 OR NOT EXISTS "${OUT}")
  message(FATAL_ERROR "gupsim-run --html ${OUT} ${SCRIPT} failed (${rc}): ${err}")
endif()
