#!/bin/sh
# SPDX-License-Identifier: MIT
# The installed static library exports what the shared one does: every
# global symbol libgupsim.a defines is a name of lib/libgupsim.map (the
# kernel-named internals, find_vma, get_file, dump_page..., are local).
# usage: check_static.sh NM libgupsim.a libgupsim.map
set -eu
nm=$1 archive=$2 map=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$nm" -g --defined-only "$archive" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/defined"
sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' "$map" | sort -u >"$tmp/map"
[ -s "$tmp/defined" ] || { echo "no global symbols in $archive"; exit 1; }
comm -23 "$tmp/defined" "$tmp/map" >"$tmp/extra"
if [ -s "$tmp/extra" ]; then
	echo "libgupsim.a defines $(wc -l <"$tmp/extra") global symbols outside the map:"
	sed 's/^/  /' "$tmp/extra" | head -n 40
	exit 1
fi
echo "libgupsim.a: $(wc -l <"$tmp/defined") global symbols, all in the map"
