#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Every gup_test invocation of the kernel's run_vmtests.sh (semantics.md §9.2), the
# default set and the "-a" matrix, run against bench/gup_test: each must
# exit 0, print the selftest's TAP lines, and leave no WARN in the kernel
# log (stderr). A few more runs check the error paths and the quirks.
# Timings are never checked.
#
# usage: run_gup_test.sh path/to/gup_test [--default-only | --threads]
#   --threads: only several threads on one mm (-j), the runs that CI also
#   does under ThreadSanitizer (ctest label `threads`)
set -u

GUP_TEST=${1:?usage: $0 path/to/gup_test [--default-only | --threads]}
MODE=${2:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

nr=0
nfail=0

fail() {
	echo "not ok $nr $*"
	echo "#   stdout:"; sed 's/^/#     /' "$TMP/out"
	echo "#   stderr:"; head -n 40 "$TMP/err" | sed 's/^/#     /'
	nfail=$((nfail + 1))
}

# run <expected exit> <args...>: output in $TMP/out, $TMP/err
run() {
	local want=$1
	shift
	nr=$((nr + 1))
	"$GUP_TEST" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "gup_test $*: exit $rc, expected $want"
		return 1
	fi
	return 0
}

# out_has <regex>: a whole stdout line matches (grep -x -E)
out_has() { grep -qxE -- "$1" "$TMP/out"; }
err_has() { grep -qE -- "$1" "$TMP/err"; }

cmd_name() {
	case "$1" in
	-u) echo GUP_FAST_BENCHMARK ;;
	-a) echo PIN_FAST_BENCHMARK ;;
	-L) echo PIN_LONGTERM_BENCHMARK ;;
	-U) echo GUP_BASIC_TEST ;;
	-b) echo PIN_BASIC_TEST ;;
	esac
}

# check_tap <cmd flag> <args...>: the whole TAP stream of a one-thread run
check_run() {
	local cmd=$1 name
	shift
	name=$(cmd_name "$cmd")
	run 0 "$@" || return
	local line
	case "$cmd" in
	-u | -a | -L) line="# $name: Time: get:[0-9]+ put:[0-9]+ us# " ;;
	*) line="# $name: done" ;;
	esac
	local want
	want=$(printf '%s\n' "TAP version 13" "1..1" "$line" "ok 1 ioctl status 0" \
		"# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0")
	if ! diff -q <(echo "$want") <(sed -E 's/get:[0-9]+ put:[0-9]+/get:[0-9]+ put:[0-9]+/' \
			"$TMP/out") >/dev/null; then
		fail "gup_test $*: unexpected TAP"
		return
	fi
	if [ -s "$TMP/err" ]; then
		fail "gup_test $*: the kernel log is not empty"
		return
	fi
	echo "ok $nr gup_test $*"
}

# check_threads <threads> <repeats> <cmd> <args...>: -j runs on one mm
check_threads() {
	local j=$1 r=$2 cmd=$3 name n line
	shift 3
	name=$(cmd_name "$cmd")
	run 0 "$cmd" -j "$j" "$@" || return
	case "$cmd" in
	-u | -a | -L) line="^# $name: Time: get:[0-9]+ put:[0-9]+ us# \$"; n=$((j * r)) ;;
	*) line="^# $name: done\$"; n=$j ;;
	esac
	if out_has "1..$j" && [ "$(grep -cE "$line" "$TMP/out")" = "$n" ] &&
	   [ "$(grep -cE '^ok [0-9]+ ioctl status 0$' "$TMP/out")" = "$j" ] &&
	   out_has "# Totals: pass:$j fail:0 xfail:0 xpass:0 skip:0 error:0" &&
	   [ ! -s "$TMP/err" ]; then
		echo "ok $nr gup_test $cmd -j $j $*"
	else
		fail "gup_test $cmd -j $j $*: unexpected TAP or kernel log"
	fi
}

if [ "$MODE" = "--threads" ]; then
	echo "# several threads on one mm"
	check_threads 4 3 -a -m 16 -r 3 -n 64
	check_threads 2 1 -b -m 16 -n 123
	check_threads 3 2 -u -t -m 16 -r 2 -n 512
	check_threads 2 1 -L -S -m 8 -n 32
	check_threads 2 1 -a -H -m 16 -n 100
	check_threads 2 1 -U -T -m 8 -n -1
	echo "# $nr runs, $nfail failed"
	[ "$nfail" = 0 ]
	exit
fi

echo "# run_vmtests.sh: gup_test (default set)"
check_run -u -u -n 1
check_run -u -u -n -1
check_run -a -a -n 1
check_run -a -a -n -1

# -ct -F 0x1 0 19 0x1000: dump pages 0, 19 and 4096 of a THP region
if run 0 -ct -F 0x1 0 19 0x1000; then
	if out_has "# DUMP_USER_PAGES_TEST: done" && out_has "ok 1 ioctl status 0" &&
	   err_has "^---- page #0, starting from user virt addr: 0x[0-9a-f]+$" &&
	   err_has "^---- page #19, starting from user virt addr: 0x[0-9a-f]+$" &&
	   err_has "^---- page #4096, starting from user virt addr: 0x[0-9a-f]+$" &&
	   [ "$(grep -c '^page dumped because: gup_test: dump_pages() test$' "$TMP/err")" = 3 ] &&
	   [ "$(grep -c '^page: refcount:' "$TMP/err")" = 3 ]; then
		echo "ok $nr gup_test -ct -F 0x1 0 19 0x1000"
	else
		fail "gup_test -ct -F 0x1 0 19 0x1000: missing dump lines"
	fi
fi

if [ "$MODE" != "--default-only" ]; then
	echo "# run_vmtests.sh -a: run_gup_matrix"
	for huge in -t -T "-H -m 256"; do
		for cmd in -u -U -a -b -L; do
			for write in -w -W; do
				for share in -S " "; do
					for num in "-n 1" "-n 512" "-n 123" "-n -1"; do
						# word splitting of $huge, $share and $num is wanted
						# shellcheck disable=SC2086
						check_run $cmd $huge $cmd $write $share $num
					done
				done
			done
		done
	done
fi

echo "# the CLI's own behaviour"
# a bad option: "Bail out!" before any TAP header, exit 1
for bad in -z -x; do
	if run 1 $bad; then
		if [ "$(cat "$TMP/out")" = "$(printf '%s\n' 'Bail out! Wrong argument' \
				'# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:0 error:0')" ]; then
			echo "ok $nr gup_test $bad: Wrong argument"
		else
			fail "gup_test $bad: wrong bail-out text"
		fi
	fi
done
if run 0 --help && grep -q "PIN_FAST_BENCHMARK" "$TMP/out"; then
	echo "ok $nr gup_test --help"
fi
# threads and repeats: one result per thread, one timing line per repeat
if run 0 -a -m 8 -j 2 -r 3 -n 64; then
	if out_has "1..2" && out_has "ok 1 ioctl status 0" && out_has "ok 2 ioctl status 0" &&
	   [ "$(grep -cE '^# PIN_FAST_BENCHMARK: Time: get:[0-9]+ put:[0-9]+ us# $' "$TMP/out")" = 6 ] &&
	   out_has "# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0"; then
		echo "ok $nr gup_test -a -j 2 -r 3"
	else
		fail "gup_test -a -j 2 -r 3: unexpected TAP"
	fi
fi
# a longterm R/W pin of a shared regular file fails (semantics.md §4.5): the ioctl
# succeeds and the shortfall shows in the size, with the "us# , truncated" quirk
if run 0 -L -S -m 4 -n 16 -f "$TMP/file"; then
	if out_has "# PIN_LONGTERM_BENCHMARK: Time: get:[0-9]+ put:[0-9]+ us# , truncated \(size: 0\)# " &&
	   out_has "ok 1 ioctl status 0" && [ ! -e "$TMP/file" ]; then
		echo "ok $nr gup_test -L -S -f file: truncated"
	else
		fail "gup_test -L -S -f file: expected a truncated size 0"
	fi
fi
# a private file mapping is fine (COW to anon)
check_run -L -L -m 4 -n 16 -f "$TMP/file"
# an index past the pages pinned is zeroed, with the module's pr_warn
if run 0 -c -m 1 0 300; then
	if err_has "^ZEROING due to out of range: .which_pages\[1\]: 301$" &&
	   [ "$(grep -c '^page dumped because' "$TMP/err")" = 1 ]; then
		echo "ok $nr gup_test -c 0 300: out of range index zeroed"
	else
		fail "gup_test -c 0 300: no ZEROING line"
	fi
fi
# a partial call across the end: the size is still whole (-n 123 on 1 MiB)
check_run -b -b -m 1 -n 123
# a /dev node other than /dev/zero is not modeled: kselftest skip
if run 4 -f /dev/null; then
	if [ "$(cat "$TMP/out")" = "$(printf '%s\n' 'TAP version 13' \
			'1..0 # SKIP mapping /dev/null is not modeled by gupsim (only /dev/zero)')" ]; then
		echo "ok $nr gup_test -f /dev/null: skipped"
	else
		fail "gup_test -f /dev/null: wrong skip text"
	fi
fi

echo "# $nr runs, $nfail failed"
[ "$nfail" = 0 ]
