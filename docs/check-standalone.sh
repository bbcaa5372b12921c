#!/bin/sh
# SPDX-License-Identifier: MIT
# The repository stands alone: no file a user reads cites documents outside
# it (the project's private reference by section, or paths beside the
# repository). Cite kernel functions and docs/semantics.md instead.
# usage: check-standalone.sh SOURCE_DIR
set -u
cd "${1:?usage: check-standalone.sh SOURCE_DIR}" || exit 1
# spelt in pieces so that this file does not match itself
pattern='ref'' §|\.\./sha''red/|sha''red/(oracle|reference)/|gup-seman''tics\.md'
if grep -rnE "$pattern" lib include docs tools examples bench tests README.md; then
	echo "check-standalone: the lines above cite documents outside the repository"
	exit 1
fi
echo "check-standalone: no citation outside the repository"
