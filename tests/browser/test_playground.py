#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Open the playground in headless Chromium, served over HTTP, and check it.

usage: test_playground.py PLAYGROUND_DIR SOURCE_DIR ARTEFACT_DIR
PLAYGROUND_DIR holds index.html and gupsim-run.js (docs/playground, or
build/wasm/playground). Serves it as `python3 -m http.server` would (same
handler, a free port), runs every example from the dropdown, a script typed
into the editor and one passed in the URL fragment. Exits 77 (skipped)
without Chromium or without gupsim-run.js.
"""
import base64
import functools
import glob
import hashlib
import http.server
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
from test_view import steps  # noqa: E402

TYPED = """# typed in the editor
machine normal=64M
mmap buf 16K anon rw
write buf+0 "hello"
pin buf 2 write longterm as nic
expect ret 2
unpin nic
"""

SHARED = """machine normal=64M
mmap buf 8K anon rw
write buf+0 "x"
expect data buf "y"
"""


def sources_digest(src):
    """The digest scripts/build-playground writes to docs/playground/SOURCES."""
    h = hashlib.sha256()
    for pattern in ("lib/*.c", "lib/*.h", "lib/*/*.h", "include/gupsim/*.h", "tools/*.c",
                    "tools/*.h", "tools/html/view.html", "examples/scenarios/*.gsim"):
        for f in sorted(glob.glob(os.path.join(src, pattern))):
            with open(f, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def serve(directory):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def view(b, expr):
    """Evaluate @expr in the view's document (the playground's iframe)."""
    return b.eval("(d => %s)(document.getElementById('view').contentDocument)" % expr)


def ran(b, runs):
    b.wait("+document.body.dataset.runs >= %d && document.body.dataset.ready === '1'" % runs, 60)
    return b.eval("+document.body.dataset.exit")


def main():
    pg, src, out = sys.argv[1:4]
    chromium = cdp.find_chromium()
    if not chromium:
        print("chromium not found: skipped")
        return cdp.SKIP
    if not os.path.exists(os.path.join(pg, "gupsim-run.js")):
        print(f"{pg}/gupsim-run.js not built (scripts/build-playground): skipped")
        return cdp.SKIP
    try:
        built = open(os.path.join(pg, "SOURCES")).read().strip()
        if built != sources_digest(src):
            print("note: gupsim-run.js is older than the sources; "
                  "scripts/build-playground rebuilds it")
    except OSError:
        pass
    os.makedirs(out, exist_ok=True)
    httpd = serve(pg)
    url = "http://127.0.0.1:%d/index.html" % httpd.server_address[1]
    c = cdp.Checks()
    b = cdp.Browser(chromium)
    runs = 1
    try:
        b.goto(url, ready="+document.body.dataset.runs >= 1 && document.body.dataset.ready === '1'")
        names = b.eval("Array.from(document.querySelectorAll('#examples option'))"
                       ".map(o => o.value).filter(v => v)")
        want = sorted(os.path.basename(f)[:-5] for f in
                      glob.glob(os.path.join(src, "examples/scenarios/*.gsim")))
        c.check(names == want, "the examples are in the dropdown: %s" % names)
        c.check(b.eval("document.getElementById('examples').value") == "case2_rdma_longterm"
                and b.eval("+document.body.dataset.exit") == 0,
                "case 2 is loaded and run at start")
        b.screenshot(os.path.join(out, "playground-start.png"))

        for name in want:
            b.eval("(s => { s.value = %r; s.dispatchEvent(new Event('change')); })"
                   "(document.getElementById('examples'))" % name)
            runs += 1
            code = ran(b, runs)
            n = steps(os.path.join(src, "examples/scenarios", name + ".gsim"))
            c.check(code == 0 and view(b, "+d.body.dataset.frames") == n,
                    f"{name}: runs (exit {code}) and shows {n} frames")
        b.screenshot(os.path.join(out, "playground-last-example.png"))

        # type a script in the editor and run it with Ctrl+Enter
        b.eval("(t => { t.focus(); t.select(); })(document.getElementById('script'))")
        b.type(TYPED)
        b.key("Enter", keycode=13, modifiers=2)
        runs += 1
        code = ran(b, runs)
        c.check(code == 0, f"the typed script runs (exit {code})")
        c.check(view(b, "+d.body.dataset.frames") == steps_text(TYPED),
                "the typed script has a frame per command")
        view(b, "(d.querySelectorAll('#steps a')[3].click(), 0)")
        b.wait("(d => !!d.querySelector('tr.pinned'))(document.getElementById('view')"
               ".contentDocument)", 10)
        rows = view(b, "Array.from(d.querySelectorAll('tr.pinned')).map(e => e.textContent)"
                       ".join('\\n')")
        c.check("pin nic" in rows and "pinned ×1" in rows,
                "the typed script's pin shows: 2 pages pinned by 'nic'")
        b.screenshot(os.path.join(out, "playground-typed.png"))

        # share: the script in the URL fragment; a failing expectation
        frag = base64.urlsafe_b64encode(SHARED.encode()).decode().rstrip("=")
        b.goto(url + "#script=" + frag,
               ready="+document.body.dataset.runs >= 1 && document.body.dataset.ready === '1'")
        c.check(b.eval("document.getElementById('script').value") == SHARED,
                "a #script= link loads its script into the editor")
        c.check(b.eval("+document.body.dataset.exit") == 1 and
                "FAILED" in b.eval("document.getElementById('out').textContent"),
                "its failing expectation gives exit 1 and a FAILED line")
        b.eval("document.getElementById('share').click()")
        c.check(b.eval("location.hash") == "#script=" + frag,
                "Share link puts the same script in the URL")
        c.check(not b.errors, "no console errors or exceptions: %s" % b.errors)
    finally:
        b.close()
        httpd.shutdown()
    print(f"screenshots in {out}")
    return 1 if c.failed else 0


def steps_text(text):
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".gsim", delete=False) as f:
        f.write(text)
    try:
        return steps(f.name)
    finally:
        os.unlink(f.name)


if __name__ == "__main__":
    sys.exit(main())
