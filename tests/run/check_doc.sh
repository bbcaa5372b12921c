#!/bin/sh
# SPDX-License-Identifier: MIT
# The tables of docs/scenarios.md between the BEGIN/END markers are what
# `gupsim-run --doc` prints from the parser's own tables.
# usage: check_doc.sh path/to/gupsim-run path/to/docs/scenarios.md [--update]
set -eu
runner=$1 doc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$runner" --doc >"$tmp/want"
sed -n '/^<!-- BEGIN gupsim-run --doc -->$/,/^<!-- END gupsim-run --doc -->$/p' "$doc" |
	sed '1d;$d' >"$tmp/have"
if [ "${3:-}" = "--update" ]; then
	awk -v f="$tmp/want" '
		/^<!-- BEGIN gupsim-run --doc -->$/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- END gupsim-run --doc -->$/ { skip = 0 }
		!skip' "$doc" >"$tmp/new" && cat "$tmp/new" >"$doc"
	echo "updated $doc"
	exit 0
fi
if ! diff -u "$tmp/have" "$tmp/want"; then
	echo "docs/scenarios.md is out of date: run $0 $runner $doc --update" >&2
	exit 1
fi
echo "docs/scenarios.md matches gupsim-run --doc"
