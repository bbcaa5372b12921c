#!/bin/sh
# SPDX-License-Identifier: MIT
# Run one tests/run/*.gsim script through gupsim-run and check what its
# header says:
#   # exit: N          the exit status (default 0)
#   # args: ...        options before the script (e.g. --tap, --quiet)
#   # stderr: TEXT     stderr contains TEXT (a fixed string; repeatable)
#   # stdout: TEXT     stdout contains TEXT (repeatable)
#   # no-stdout: TEXT  stdout does not contain TEXT (repeatable)
# usage: run_case.sh path/to/gupsim-run path/to/script.gsim
set -u
runner=$1 script=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

want_exit=$(sed -n 's/^# exit: *//p' "$script" | head -n 1)
args=$(sed -n 's/^# args: *//p' "$script" | head -n 1)
# shellcheck disable=SC2086 # the options are words
"$runner" $args "$script" >"$tmp/out" 2>"$tmp/err"
rc=$?
bad=0
complain() { printf 'FAILED: %s\n' "$*"; bad=1; }

[ "$rc" = "${want_exit:-0}" ] || complain "exit status $rc, expected ${want_exit:-0}"
while IFS= read -r line; do
	case $line in
	"# stderr: "*) grep -qF -- "${line#\# stderr: }" "$tmp/err" ||
		complain "stderr lacks: ${line#\# stderr: }" ;;
	"# stdout: "*) grep -qF -- "${line#\# stdout: }" "$tmp/out" ||
		complain "stdout lacks: ${line#\# stdout: }" ;;
	"# no-stdout: "*) grep -qF -- "${line#\# no-stdout: }" "$tmp/out" &&
		complain "stdout has: ${line#\# no-stdout: }" ;;
	esac
done <"$script"
if [ "$bad" -ne 0 ]; then
	echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
	exit 1
fi
echo "ok: $script (exit $rc)"
