#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Open the pages of `gupsim-run --html` in headless Chromium and check them.

usage: test_view.py HTML_DIR SCENARIO_DIR ARTEFACT_DIR
HTML_DIR holds NAME.html for every SCENARIO_DIR/NAME.gsim (built by the
`scenario-html` target). Exits 77 (skipped) without Chromium.
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402


def steps(script):
    """The frames a script should give: one per command, `expect` joins."""
    n = 0
    for line in open(script):
        line = line.split("#", 1)[0].strip()
        if line and not (line.startswith("expect ") and n):
            n += 1
    return n


def frame_of(b, prefix):
    i = b.eval("JSON.parse(document.getElementById('gupsim-data').textContent)"
               ".frames.findIndex(f => f.cmd.startsWith(%r))" % prefix)
    return i + 1


def text(b, selector):
    return b.eval("Array.from(document.querySelectorAll(%r)).map(e => e.textContent)"
                  ".join('\\n')" % selector)


def main():
    html_dir, scen_dir, out = sys.argv[1:4]
    chromium = cdp.find_chromium()
    if not chromium:
        print("chromium not found: skipped")
        return cdp.SKIP
    os.makedirs(out, exist_ok=True)
    c = cdp.Checks()
    b = cdp.Browser(chromium)
    try:
        for script in sorted(glob.glob(os.path.join(scen_dir, "*.gsim"))):
            name = os.path.basename(script)[:-5]
            page = os.path.abspath(os.path.join(html_dir, name + ".html"))
            c.check(os.path.exists(page), f"{name}: the page was built")
            if not os.path.exists(page):
                continue
            b.goto("file://" + page)
            want = steps(script)
            c.check(b.eval("+document.body.dataset.frames") == want,
                    f"{name}: {want} frames")
            c.check(b.eval("document.querySelectorAll('#steps a').length") == want,
                    f"{name}: {want} step buttons")
            b.screenshot(os.path.join(out, name + ".png"))

        # case 2: the long-term pin migrated the pages out of ZONE_MOVABLE
        b.goto("file://" + os.path.abspath(os.path.join(html_dir, "case2_rdma_longterm.html")))
        pin = frame_of(b, "pin mr")
        b.goto(f"file://{os.path.abspath(html_dir)}/case2_rdma_longterm.html#step-{pin - 1}")
        c.check("MOVABLE" in text(b, ".mm[data-mm=init] table.folios"),
                "case2: before the pin, the pages are in ZONE_MOVABLE")
        b.key("ArrowRight", keycode=39)
        c.check(b.eval("location.hash") == f"#step-{pin}", "case2: ArrowRight steps (#step-N)")
        rows = text(b, ".mm[data-mm=init] tr.pinned")
        c.check("pin reg" in rows and "pinned ×1" in rows and "1 (bias)" in rows,
                "case2: the pinned pages are marked pinned by 'reg', 1 pin each (bias)")
        c.check("NORMAL" in rows and "MOVABLE" not in rows,
                "case2: after the long-term pin the pages are in ZONE_NORMAL")
        c.check("+8 gupsim_longterm_migrations" in text(b, ".vm"),
                "case2: the step's vmstat delta shows 8 migrations")
        c.check(b.eval("document.querySelectorAll('g.run.pinned[data-n=\"8\"]').length") == 1,
                "case2: the 8 pinned pages fold into one box of 8")
        b.screenshot(os.path.join(out, "case2_rdma_longterm-pin.png"))

        # fork with a pinned buffer: the child has a copy, the rest is shared
        fork_page = os.path.abspath(os.path.join(html_dir, "fork_pinned.html"))
        b.goto("file://" + fork_page)
        fork = frame_of(b, "fork child")
        b.goto(f"file://{fork_page}#step-{fork}")
        c.check(b.eval("document.querySelectorAll('.mm').length") == 2,
                "fork: parent and child side by side")
        c.check("pin dev" in text(b, ".mm[data-mm=init] tr.pinned"),
                "fork: the parent's page is pinned by 'dev'")
        c.check(b.eval("document.querySelectorAll('.mm[data-mm=child] g.run.fork-copy').length") == 1
                and "fork copy of pinned" in text(b, ".mm[data-mm=child] .tag.copy"),
                "fork: the child's page is a copy of the pinned page")
        b.wait("document.querySelectorAll('#links path').length >= 1", 10)
        c.check(True, "fork: the COW-shared page is linked between the two mms")
        b.screenshot(os.path.join(out, "fork_pinned-fork.png"))

        # zero pages: pinning the huge zero folio counts in _pincount
        zp = os.path.abspath(os.path.join(html_dir, "zero_pages.html"))
        b.goto("file://" + zp)
        b.goto(f"file://{zp}#step-{frame_of(b, 'pin huge')}")
        rows = text(b, "tr.pinned")
        c.check("huge zero folio" in rows and "pinned ×512" in rows,
                "zero: the huge zero folio is pinned 512 times (_pincount)")
        c.check(not b.errors, "no console errors or exceptions: %s" % b.errors)
    finally:
        b.close()
    print(f"screenshots in {out}")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
