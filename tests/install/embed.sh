#!/bin/sh
# SPDX-License-Identifier: MIT
# Configure tests/install/embed (add_subdirectory of this source tree),
# build its one program against gupsim::gupsim_static and run it.
# Environment: WORK_DIR SRC_DIR CMAKE CC GENERATOR EXTRA_FLAGS
set -eu
rm -rf "$WORK_DIR"
"$CMAKE" -S "$SRC_DIR/tests/install/embed" -B "$WORK_DIR" -G "$GENERATOR" \
	-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$EXTRA_FLAGS" -DGUPSIM_SOURCE_DIR="$SRC_DIR"
"$CMAKE" --build "$WORK_DIR" --target embedded -j 2
"$WORK_DIR/embedded"
echo "embedded build: ok"
