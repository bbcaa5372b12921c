#!/bin/sh
# SPDX-License-Identifier: MIT
# The repository stands alone: no file a user reads cites documents outside
# it (the project's private reference or design notes, by path or by
# section number). Cite kernel functions and docs/semantics.md instead.
#   1. everywhere: no path beside the repository, no private document name,
#      no "ref"/"reference" followed by a section sign and number (also
#      when broken across a line);
#   2. in code (lib, include, tests, bench, tools, examples, cmake, scripts):
#      a section number names its document, "semantics.md §1.3", "api.md
#      §9.2" or "concepts.md §7", on its line or the line before (so that a
#      list may go on: "semantics.md §1.3, §1.5").
# usage: check-standalone.sh SOURCE_DIR
set -u
cd "${1:?usage: check-standalone.sh SOURCE_DIR}" || exit 1
command -v perl >/dev/null 2>&1 || { echo "check-standalone: no perl"; exit 77; }

all="lib include docs tools examples bench tests cmake scripts .ci
     README.md CHANGELOG.md CMakeLists.txt CMakePresets.json"
code="lib include tests bench tools examples cmake scripts"

files() {
	for d in "$@"; do
		[ -e "$d" ] && find "$d" -type f ! -name check-standalone.sh \
			! -path '*/corpus*/*' ! -name '*.png' \
			! \( -path '*/regressions*/*' ! -name '*.md' \)
	done
}

# shellcheck disable=SC2086
files $all | perl -e '
	binmode STDOUT, ":encoding(UTF-8)"; my $bad = 0;
	# spelt in pieces so that this file does not match itself
	my $re = qr{\.\./sha[r]ed/|sha[r]ed/(?:oracle|reference)/|gup-seman[t]ics\.md|
		    \b(?:DESI[G]N|STY[L]E)\.md|\b(?:re[f]|refer[e]nce)[\s*#/>]*\x{a7}}xi;
	while (my $f = <STDIN>) {
		chomp $f;
		open my $fh, "<:encoding(UTF-8)", $f or next;
		local $/; my $s = <$fh>; close $fh;
		next unless defined $s;
		while ($s =~ /$re/g) {
			my $line = 1 + (substr($s, 0, $-[0]) =~ tr/\n//);
			print "$f:$line: $&\n"; $bad = 1;
		}
	}
	exit $bad;' 2>/dev/null
rc1=$?

# shellcheck disable=SC2086
files $code | perl -e '
	binmode STDOUT, ":encoding(UTF-8)"; my $bad = 0;
	while (my $f = <STDIN>) {
		chomp $f;
		open my $fh, "<:encoding(UTF-8)", $f or next;
		my $prev = "";
		while (my $l = <$fh>) {
			my $named = qr{\b(?:semantics|api|concepts)(?:\.md)?\s+\x{a7}};
			if ($l =~ /\x{a7}/ && $l !~ $named && $prev !~ $named) {
				print "$f:$.: $l"; $bad = 1;
			}
			$prev = $l;
		}
	}
	exit $bad;' 2>/dev/null
rc2=$?

if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ]; then
	echo "check-standalone: the lines above cite documents outside the" \
	     "repository, or a section number without its document"
	exit 1
fi
echo "check-standalone: no citation outside the repository"
