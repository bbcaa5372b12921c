#!/bin/sh
# SPDX-License-Identifier: MIT
# Format every man page of docs/man/man{1,3,7} and fail on any warning.
#   check-man.sh <docs/man directory>
# Uses groff (Debian: groff-base) if present, else man -l (man-db);
# exits 77 (skipped) if neither is installed.
set -u
dir=${1:?usage: check-man.sh <docs/man directory>}
cd "$dir" || exit 1

if command -v groff >/dev/null 2>&1; then
	tool=groff
elif command -v man >/dev/null 2>&1; then
	tool=man
else
	echo "check-man: neither groff nor man is installed; skipping"
	exit 77
fi

fail=0
n=0
for page in man1/*.1 man3/*.3 man7/*.7; do
	[ -e "$page" ] || continue
	n=$((n + 1))
	# alias pages are ".so man3/<page>.3", resolved from this directory:
	# the target must be a real page, formatted on its own turn (formatting
	# it again for each of its aliases took most of this test's time; shell
	# builtins only here, a process per alias costs as much)
	first='' second='' target_first=''
	{ IFS= read -r first; IFS= read -r second; } <"$page"
	case $first in
	.so\ *)
		target=${first#.so }
		[ -f "$target" ] && IFS= read -r target_first <"$target"
		case $target_first in
		''|.so\ *) ok=0 ;;
		*) ok=1 ;;
		esac
		if [ $ok -eq 0 ] || [ -n "$second" ]; then
			echo "check-man: $page: '$first' is not one line naming a page"
			fail=1
		fi
		continue ;;
	esac
	if [ "$tool" = groff ]; then
		out=$(groff -t -man -Tutf8 -ww -z "$page" 2>&1)
	else
		out=$(MANWIDTH=80 man --warnings=w -l -Tutf8 "$page" 2>&1 >/dev/null)
	fi
	rc=$?
	if [ $rc -ne 0 ] || [ -n "$out" ]; then
		echo "check-man: $page (exit $rc):"
		echo "$out"
		fail=1
	fi
	if ! grep -q '^\.SH NAME' "$page"; then
		echo "check-man: $page has no NAME section"
		fail=1
	fi
done
echo "check-man: $n pages checked with $tool"
exit $fail
