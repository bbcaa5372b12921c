# SPDX-License-Identifier: MIT
# cmake -DIN=view.html -DOUT=run_html_template.h -P embed.cmake
# Embeds the page template of gupsim-run --html as a C array (bytes, so
# no quoting of the HTML/JS is needed), NUL-terminated.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
       "\\1\n" hex "${hex}")
file(WRITE "${OUT}.tmp" "/* generated from tools/html/view.html by tools/html/embed.cmake */\n"
     "static const char html_template[] = {\n${hex}0x00 };\n")
file(RENAME "${OUT}.tmp" "${OUT}")
