#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the fuzz targets the way OSS-Fuzz and ClusterFuzzLite do: with the
# compiler and flags they give in $CC and $CFLAGS (sanitizers and
# -fsanitize=fuzzer-no-link included, so the library itself is
# instrumented), linked with $LIB_FUZZING_ENGINE, written to $OUT with a
# seed corpus and an options file.
#
#   CC=clang CFLAGS='-O1 -g -fsanitize=address,undefined -fsanitize=fuzzer-no-link' \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/fuzz-out tests/fuzz/build.sh
#
# $SRC/gupsim (OSS-Fuzz's checkout) or the directory above this script is
# the source tree; $WORK (default: a temporary directory) holds the build.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
src=${SRC:+$SRC/gupsim}
[ -n "$src" ] && [ -f "$src/CMakeLists.txt" ] || src=$here
: "${CC:=clang}"
: "${CFLAGS:=-O1 -g -fsanitize=address,undefined -fsanitize=fuzzer-no-link}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the directory that receives the fuzz targets}"
work=${WORK:-$(mktemp -d)}
build=$work/gupsim-fuzz-build
mkdir -p "$OUT"

# The static library only, with the caller's flags (CMake reads $CFLAGS);
# where they instrument for coverage, the invariant checker is left out
# (tests/fuzz/coverage-ignore.txt says why).
case "$CFLAGS" in
*fuzzer-no-link* | *sanitize-coverage=*)
	CFLAGS="$CFLAGS -fsanitize-coverage-ignorelist=$src/tests/fuzz/coverage-ignore.txt" ;;
esac
CC=$CC CFLAGS=$CFLAGS cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=None \
	-DGUPSIM_BUILD_TESTS=OFF -DGUPSIM_BUILD_BENCH=OFF -DGUPSIM_BUILD_EXAMPLES=OFF \
	>/dev/null
cmake --build "$build" --target gupsim_archive -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

# Two targets: fuzz_ops (legal operations, every invariant must hold) and
# fuzz_misuse (misuse mixed in: reported, never a crash or a hang).
for t in fuzz_ops fuzz_misuse; do
	def=
	[ "$t" = fuzz_misuse ] && def=-DFUZZ_MISUSE
	# shellcheck disable=SC2086  # $CFLAGS and $LIB_FUZZING_ENGINE are word lists
	$CC $CFLAGS -std=c11 -D_GNU_SOURCE $def -I"$src/include" -I"$build/include" \
		"$src/tests/fuzz/fuzz_ops.c" -o "$OUT/$t" \
		$LIB_FUZZING_ENGINE "$build/lib/libgupsim.a" -pthread
done

# Seed corpora (every seed and every regression input) and libFuzzer options.
seed() {
	rm -f "$OUT/$1_seed_corpus.zip"
	python3 - "$OUT/$1_seed_corpus.zip" "${@:2}" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for d in sys.argv[2:]:
        for name in sorted(os.listdir(d)):
            if not name.endswith(".md"):
                z.write(os.path.join(d, name), os.path.basename(d) + "-" + name)
PY
	cat >"$OUT/$1.options" <<'OPT'
[libfuzzer]
max_len = 2048
timeout = 30
OPT
}
seed fuzz_ops "$src/tests/fuzz/corpus" "$src/tests/fuzz/regressions"
seed fuzz_misuse "$src/tests/fuzz/corpus-misuse" "$src/tests/fuzz/regressions-misuse"
echo "build.sh: fuzz_ops and fuzz_misuse, their seed corpora and options, in $OUT"
