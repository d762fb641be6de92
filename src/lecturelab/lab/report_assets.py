"""The lab book's style sheet and its one script (the verdict and lecture filter), inline so the
page works offline. The page's Content-Security-Policy admits this script by its hash and
nothing else: no external resource loads, and no injected script could run."""

from __future__ import annotations

import base64
import hashlib

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;color:#222;
line-height:1.4}h1{margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:2px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.6em 0}td,th{border:1px solid #d4d4d4;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv{width:auto;margin:0}table.kv td{border:none;border-bottom:1px solid #eee;padding:1px 6px}
table.kv td:first-child{color:#555}
.reproduced{color:#17702a;font-weight:600}.not-reproduced{color:#a15c00;font-weight:600}
.error{color:#b00020;font-weight:600}.malformed{color:#b00020;font-weight:600}
td>.reproduced,td>.not-reproduced,td>.error{white-space:nowrap}
.pass{color:#17702a;font-weight:600;white-space:nowrap}
.fail{color:#a15c00;font-weight:600;white-space:nowrap}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}
section.exp{border:1px solid #ddd;border-left:6px solid #bbb;border-radius:4px;margin:1.2em 0;
padding:.2em 1em .6em}section.v-reproduced{border-left-color:#2e9d48}
section.v-not-reproduced{border-left-color:#e0a030}section.v-error,section.v-malformed{
border-left-color:#d03050}section.exp h3{margin:.5em 0 .3em}
blockquote{margin:.4em 0;padding:.2em .8em;border-left:3px solid #8aa;background:#f5f9f9}
figure{margin:.8em 0;display:inline-block;max-width:100%;vertical-align:top}
figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:13px;color:#444}
.meta{color:#555;font-size:14px}.filters{position:sticky;top:0;background:#fff;padding:.5em 0;
border-bottom:1px solid #ddd;z-index:1}.filters label{margin-right:1.2em}
.counts button{border:1px solid #ccc;background:#fafafa;border-radius:3px;margin:0 .3em 0 0;
cursor:pointer;font:inherit;padding:0 .4em}.back{font-size:13px;float:right}
[hidden]{display:none !important}
"""

SCRIPT = """
(function () {
  var verdict = document.getElementById("filter-verdict");
  var lecture = document.getElementById("filter-lecture");
  var shown = document.getElementById("filter-shown");
  function apply() {
    var total = 0, visible = 0;
    document.querySelectorAll(".exp").forEach(function (el) {
      var ok = (!verdict.value || el.dataset.verdict === verdict.value) &&
               (!lecture.value || el.dataset.lecture === lecture.value);
      el.hidden = !ok;
      if (el.tagName === "TR") { total += 1; visible += ok ? 1 : 0; }
    });
    document.querySelectorAll(".group").forEach(function (g) {
      g.hidden = g.querySelectorAll(".exp:not([hidden])").length === 0;
    });
    shown.textContent = "showing " + visible + " of " + total + " experiments";
  }
  verdict.addEventListener("change", apply);
  lecture.addEventListener("change", apply);
  document.querySelectorAll("button[data-verdict]").forEach(function (b) {
    b.addEventListener("click", function () {
      verdict.value = b.dataset.verdict;
      lecture.value = b.dataset.lecture;
      apply();
    });
  });
  apply();
})();
"""


def script_hash() -> str:
    """The CSP source that admits SCRIPT exactly (CSP Level 2, hash-source)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode() + "'"


def content_security_policy() -> str:
    """Nothing loads from anywhere; images only from data: URIs; only SCRIPT runs."""
    return (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src {script_hash()}")
