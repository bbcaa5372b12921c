#!/bin/sh
# SPDX-License-Identifier: MIT
# gupsim-run's command line: --version, --help, a bad option, no script;
# --tap read by `prove` (when installed): a passing and a failing script.
# usage: options.sh path/to/gupsim-run SOURCE_DIR VERSION
set -u
runner=$1 src=$2 version=$3
bad=0
complain() { printf 'FAILED: %s\n' "$*"; bad=1; }

out=$("$runner" --version) || complain "--version exited $?"
[ "$out" = "gupsim-run (gupsim) $version" ] || complain "--version printed '$out'"
"$runner" --help | grep -q '^Exit status: 0' || complain "--help lacks the exit status"
"$runner" -h >/dev/null || complain "-h exited $?"
"$runner" --bogus "$src/examples/scenarios/case1_direct_io.gsim" >/dev/null 2>&1
[ $? -eq 2 ] || complain "a bad option does not exit 2"
"$runner" >/dev/null 2>&1
[ $? -eq 2 ] || complain "no script does not exit 2"
"$runner" /nonexistent.gsim >/dev/null 2>&1
[ $? -eq 2 ] || complain "an unreadable script does not exit 2"
out=$("$runner" -q "$src/examples/scenarios/case1_direct_io.gsim")
[ -z "$out" ] || complain "--quiet printed '$out' for a passing script"
out=$(printf 'mmap b 4K\nwrite b\nexpect ret 1\n' | "$runner" --tap -)
[ "$(printf '%s\n' "$out" | tail -n 1)" = "1..2" ] || complain "--tap: no plan line 1..2 last"

if command -v prove >/dev/null 2>&1; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	prove -e "$runner --tap" "$src"/examples/scenarios/*.gsim >"$tmp/log" 2>&1 ||
		{ cat "$tmp/log"; complain "prove does not pass the example scenarios"; }
	printf 'mmap b 4K\nwrite b\nexpect ret 2\n' >"$tmp/fails.gsim"
	if prove -e "$runner --tap" "$tmp/fails.gsim" >"$tmp/log" 2>&1; then
		cat "$tmp/log"; complain "prove passes a failing script"
	fi
	grep -q 'Failed 1/2 subtests' "$tmp/log" || { cat "$tmp/log"; complain "prove: not 1 of 2 failed"; }
else
	echo "prove is not installed: the TAP stream was checked without it"
fi
[ "$bad" -eq 0 ] && echo "options: ok"
exit "$bad"
