#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# ClusterFuzzLite / OSS-Fuzz entry point: everything is in tests/fuzz/build.sh.
"$SRC/gupsim/tests/fuzz/build.sh"
