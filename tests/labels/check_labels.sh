#!/bin/sh
# SPDX-License-Identifier: MIT
# The quick default of scripts/test (ctest -LE "$quick_exclude") leaves out
# the oracle differential test and the long gup_test matrix, and keeps
# the short gup_test run; the labels CI adds (.ci/run) select them.
# usage: check_labels.sh SOURCE_DIR BUILD_DIR CTEST
set -eu
src=$1 build=$2 ctest=$3

fail() { printf 'labels: %s\n' "$*" >&2; exit 1; }

ex=$(sed -n "s/^quick_exclude='\(.*\)'$/\1/p" "$src/scripts/test")
[ -n "$ex" ] || fail "scripts/test has no quick_exclude='...' line"
list() { "$ctest" --test-dir "$build" -N "$@" | sed -n 's/^ *Test *#[0-9]*: //p'; }

quick=$(list -LE "$ex")
extra=$(list -L "$ex")
echo "quick default: $(printf '%s\n' "$quick" | wc -l) tests; excluded ($ex): $extra"
for t in oracle_diff bench_gup_test_vmtests; do
	printf '%s\n' "$quick" | grep -qx "$t" && fail "$t is in the quick default"
	printf '%s\n' "$extra" | grep -qx "$t" || fail "$t is in neither label '$ex'"
done
# the gupsim-bench timing run (when built) and the plot of its CSV
for t in bench_gupsim_bench_quick bench_plot; do
	printf '%s\n' "$quick" | grep -qx "$t" && fail "$t is in the quick default"
done
for t in bench_gup_test_default unit_test_pin; do
	printf '%s\n' "$quick" | grep -qx "$t" || fail "$t is missing from the quick default"
done
grep -q -- "-L '$ex'\|-L \"$ex\"\|-L \"\$quick_exclude\"" "$src/.ci/run" ||
	fail ".ci/run does not run the labels '$ex'"
echo "labels: ok"
