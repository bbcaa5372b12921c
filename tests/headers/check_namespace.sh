#!/bin/sh
# SPDX-License-Identifier: MIT
# <gupsim/gupsim.h> alone defines no macro beyond gupsim_*/GUPSIM_* names and
# the kernel macros docs/api.md lists ("What <gupsim/gupsim.h> alone
# defines": the `* macros:` item), so the documentation is the contract and
# a new macro that could clash with a program's own (as PAGE_MASK did with
# <sys/user.h>) fails here until it is documented.
# usage: check_namespace.sh CC SRC_INCLUDE_DIR BUILD_INCLUDE_DIR docs/api.md
set -eu
cc=$1 inc=$2 binc=$3 api=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the documented names: backquoted words of the "* macros:" item, * = any
sed -n '/^What `<gupsim\/gupsim.h>` alone defines/,/^`<gupsim\/kernel.h>`/p' "$api" |
	sed -n '/^\* macros:/,/^$/p' | sed '1!{/^\*/,$d;}' |
	grep -o '`[A-Z_][A-Z0-9_]*\**`' | tr -d '`' | sed 's/\*$/[A-Za-z0-9_]*/; s/.*/^&$/' \
	>"$tmp/allowed"
[ -s "$tmp/allowed" ] || { echo "no '* macros:' list found in $api"; exit 1; }
echo '^(GUPSIM_|gupsim_|_GUPSIM)' >>"$tmp/allowed"

# the macros the gupsim headers define (not the system headers they include)
echo '#include <gupsim/gupsim.h>' >"$tmp/t.c"
"$cc" -std=c11 -E -dD -I"$inc" -I"$binc" "$tmp/t.c" |
	awk '/^# [0-9]+ "/ { f = $3 }
	     /^#define / && f ~ /gupsim\/[a-z_]+\.h"$/ { sub(/\(.*/, "", $2); print $2 }' |
	sort -u >"$tmp/defined"
[ -s "$tmp/defined" ] || { echo "no macro found in <gupsim/gupsim.h>"; exit 1; }
if grep -vEf "$tmp/allowed" "$tmp/defined" >"$tmp/extra"; then
	echo "<gupsim/gupsim.h> defines macros docs/api.md does not list:"
	sed 's/^/  /' "$tmp/extra"
	exit 1
fi
echo "<gupsim/gupsim.h>: $(wc -l <"$tmp/defined") macros, all gupsim_* or listed in docs/api.md"
