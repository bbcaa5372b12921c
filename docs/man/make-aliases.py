#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""(Re)create the .so alias pages of docs/man/man3.

Every name in the NAME section of a main page (a page that is not itself a
.so alias) gets an alias page that sources it; a kernel name also gets one
under its exported gupsim_ symbol (the mapping is read from
include/gupsim/kernel.h). With --check, report exported symbols of
lib/libgupsim.map that no page documents, and exit 1 if there are any.

Run from anywhere: python3 docs/man/make-aliases.py [--check]
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAN3 = os.path.join(HERE, "man3")
SKIP = {"current", "gupsim_kernel"}	# not function names


def kernel_map():
	text = open(os.path.join(ROOT, "include/gupsim/kernel.h")).read()
	return dict(re.findall(r"^#define\s+(\w+)\s+(gupsim_\w+)\s*$", text, re.M))


def main_pages():
	pages = {}
	for f in sorted(os.listdir(MAN3)):
		if not f.endswith(".3"):
			continue
		text = open(os.path.join(MAN3, f)).read()
		if text.startswith(".so "):
			continue
		m = re.search(r"^\.SH NAME\n(.*?)\\-", text, re.M | re.S)
		names = [n.strip() for n in m.group(1).replace("\n", " ").split(",")]
		pages[f[:-2]] = [n for n in names if n]
	return pages


def aliases():
	kmap = kernel_map()
	out = {}
	for page, names in main_pages().items():
		for n in names + [page]:
			for alias in (n, kmap.get(n)):
				if alias and alias != page and alias not in SKIP:
					out[alias] = page
	return out


def check(documented):
	text = open(os.path.join(ROOT, "lib/libgupsim.map")).read()
	syms = re.findall(r"^\s+(gupsim_\w+);", text, re.M)
	missing = [s for s in syms if s not in documented]
	for s in missing:
		print("undocumented exported symbol:", s)
	return 1 if missing else 0


def write():
	for f in os.listdir(MAN3):
		path = os.path.join(MAN3, f)
		if open(path).read().startswith(".so "):
			os.unlink(path)
	for alias, page in sorted(aliases().items()):
		with open(os.path.join(MAN3, alias + ".3"), "w") as f:
			f.write(".so man3/%s.3\n" % page)


if __name__ == "__main__":
	if "--check" in sys.argv:
		documented = set(aliases()) | set(main_pages())
		sys.exit(check(documented))
	write()
