"""Issue 15, item 5: the lab book in a real browser (headless Chromium): it loads with no
console error and no Content-Security-Policy violation, the verdict and lecture filter hides and
shows rows, and every figure renders. Skipped where no Chromium is installed.

The page is loaded as written, plus two test scripts admitted by adding their hashes to the
page's own CSP: one first in <head> records errors, one last in <body> drives the filter once
the page has loaded and writes what it saw into the DOM, which `--dump-dom` prints.
"""

import base64
import hashlib
import json
import re
import shutil
import subprocess

import pytest
from labbook_runs import record, write_run

from lecturelab.lab.report import write_report

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed "
                                "(apt-get install chromium)")

RECORD_ERRORS = """
window.seen = [];
window.addEventListener("error", function (e) { window.seen.push("error: " + e.message); });
document.addEventListener("securitypolicyviolation",
  function (e) { window.seen.push("csp: " + e.violatedDirective + " " + e.blockedURI); });
var consoleError = console.error;
console.error = function () { window.seen.push("console: " + [].join.call(arguments, " "));
  consoleError.apply(console, arguments); };
"""

DRIVE_FILTER = """
window.addEventListener("load", function () {
  function visible(sel) {
    return [].filter.call(document.querySelectorAll(sel), function (el) {
      return el.offsetParent !== null; }).map(function (el) { return el.id; });
  }
  function choose(id, value) {
    var select = document.getElementById(id);
    select.value = value;
    select.dispatchEvent(new Event("change"));
  }
  var out = {all: visible("tr.exp")};
  choose("filter-verdict", "not reproduced");
  out.not_reproduced = visible("tr.exp");
  out.sections = visible("section.exp");
  out.shown = document.getElementById("filter-shown").textContent;
  choose("filter-verdict", "");
  choose("filter-lecture", "4");
  out.lecture4 = visible("tr.exp");
  out.groups = visible(".group");
  choose("filter-lecture", "");
  document.querySelector('button[data-verdict="error"][data-lecture="2"]').click();
  out.button = visible("tr.exp");
  choose("filter-verdict", "");
  choose("filter-lecture", "");
  out.again = visible("tr.exp");
  out.images = [].map.call(document.images, function (i) { return i.complete && i.naturalWidth; });
  out.errors = window.seen;
  var pre = document.createElement("pre");
  pre.id = "selftest";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
"""


def csp_hash(script):
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def with_self_test(html):
    html, n = re.subn(r"script-src ('sha256-[^']+')",
                      lambda m: f"script-src {m.group(1)} {csp_hash(RECORD_ERRORS)} "
                                f"{csp_hash(DRIVE_FILTER)}", html)
    assert n == 1
    html = html.replace("<style>", f"<script>{RECORD_ERRORS}</script><style>", 1)
    return html.replace("</body>", f"<script>{DRIVE_FILTER}</script></body>")


def load(page, tmp_path):
    """The self-test's findings and the browser's console lines for `page`."""
    result = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90)
    found = re.search(r'<pre id="selftest">(.*?)</pre>', result.stdout, re.S)
    assert found, f"the self-test did not run: {result.stderr[-2000:]}"
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")), console


def test_the_lab_book_works_in_a_browser(tmp_path):
    run_dir = write_run(
        tmp_path / "run", record("l2.a", figures=["curve.png"]),
        record("l2.b", verdict="error", checks=[], metrics={}, headline=[], error="boom"),
        record("l4.c", lecture=4, verdict="not reproduced", figures=["curve.png", "grid.png"]),
        record("l4.d", lecture=4, verdict="not reproduced", figures=[]),
        figures=["curve.png", "grid.png"])
    page = tmp_path / "selftest.html"
    page.write_text(with_self_test(write_report(run_dir).read_text()))
    seen, console = load(page, tmp_path)
    assert seen["errors"] == [] and console == []
    assert seen["all"] == ["row-l2.a", "row-l2.b", "row-l4.c", "row-l4.d"] == seen["again"]
    assert seen["not_reproduced"] == ["row-l4.c", "row-l4.d"]
    assert seen["sections"] == ["l4.c", "l4.d"]
    assert seen["shown"] == "showing 2 of 4 experiments"
    assert seen["lecture4"] == ["row-l4.c", "row-l4.d"]
    assert seen["groups"] == ["summary-4", "lecture-4"]  # lecture 2's groups hidden
    assert seen["button"] == ["row-l2.b"]
    assert seen["images"] == [12, 12, 12]  # every figure decoded (the PNGs are 12 px wide)
