"""The lab book: one self-contained HTML page for a run folder, figures embedded.

A summary table comes first (id, claim, verdict, key numbers, seconds), then a section per
experiment with its claim, criterion, checks with measured values, figures, config and log.
"""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

from lecturelab.io import atomic_write_text

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.reproduced{color:#17702a;font-weight:600}
.not-reproduced{color:#a15c00;font-weight:600}.error{color:#b00020;font-weight:600}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}img{max-width:100%}
section{border-top:2px solid #ddd;margin-top:2em}.pass{color:#17702a}.fail{color:#a15c00}
"""


def fmt(value: Any) -> str:
    """A number short enough for a table cell."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and len(value) > 6:
        return "[" + ", ".join(fmt(v) for v in value[:6]) + ", ...]"
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


def key_numbers(record: dict[str, Any]) -> str:
    metrics = record.get("metrics", {})
    return "; ".join(f"{k} = {fmt(metrics[k])}" for k in record.get("headline", []) if k in metrics)


def verdict_span(verdict: str) -> str:
    return f'<span class="{verdict.replace(" ", "-")}">{escape(verdict)}</span>'


def summary_table(records: list[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td><a href="#{escape(r["id"])}">{escape(r["id"])}</a></td>'
        f'<td>{escape(r["claim"])}</td><td>{verdict_span(r["verdict"])}</td>'
        f'<td>{escape(key_numbers(r))}</td><td>{r["seconds"]:.1f}</td></tr>'
        for r in records
    )
    return ("<table><tr><th>id</th><th>claim</th><th>verdict</th><th>key numbers</th>"
            f"<th>seconds</th></tr>{rows}</table>")


def figure_tags(run_dir: Path, record: dict[str, Any]) -> str:
    tags = []
    for name in record.get("figures", []):
        path = run_dir / record["id"] / name
        if path.exists():
            data = base64.b64encode(path.read_bytes()).decode()
            tags.append(f'<p><img alt="{escape(name)}" src="data:image/png;base64,{data}"></p>')
    return "".join(tags)


def check_row(c: dict[str, Any]) -> str:
    """One check as measured value against its threshold (checks as data, lab/checks.py)."""
    verdict = "pass" if c.get("passed") is True else "fail"
    threshold = c.get("threshold")
    criterion = (f"in [{fmt(threshold[0])}, {fmt(threshold[1])}]"
                 if c.get("comparison") == "between" and isinstance(threshold, list)
                 else f"{c.get('comparison', '')} {fmt(threshold)}")
    if c.get("tolerance"):
        criterion += f" +- {fmt(c['tolerance'])}"
    return (f'<tr><td>{escape(str(c.get("name", "")))}</td>'
            f'<td>{escape(fmt(c.get("value")))}</td><td>{escape(criterion)}</td>'
            f'<td class="{verdict}">{verdict}</td><td>{escape(str(c.get("detail", "")))}</td></tr>')


def section(run_dir: Path, r: dict[str, Any]) -> str:
    checks = "".join(check_row(c) for c in r.get("checks", []))
    metrics = "".join(f"<tr><td>{escape(k)}</td><td>{escape(fmt(v))}</td></tr>"
                      for k, v in r.get("metrics", {}).items())
    parts = [
        f'<section id="{escape(r["id"])}"><h2>{escape(r["id"])} {verdict_span(r["verdict"])}</h2>',
        f'<p><b>Claim (lecture {r["lecture"]}).</b> {escape(r["claim"])}</p>',
        f'<p><b>Criterion.</b> {escape(r["criterion"])}</p>',
        f'<p>profile {escape(r["profile"])}, seed {r["seed"]}, device {escape(r["device"])}, '
        f'{r["seconds"]:.1f} s</p>',
    ]
    if checks:
        parts.append("<table><tr><th>check</th><th>measured</th><th>criterion</th><th></th>"
                     f"<th>detail</th></tr>{checks}</table>")
    if r.get("notes"):
        parts.append("<ul>" + "".join(f"<li>{escape(str(n))}</li>" for n in r["notes"]) + "</ul>")
    if metrics:
        parts.append(f"<details><summary>metrics</summary><table>{metrics}</table></details>")
    parts.append(figure_tags(run_dir, r))
    if r.get("traceback"):
        parts.append(f'<pre class="error">{escape(r["traceback"])}</pre>')
    parts.append("<details><summary>config</summary><pre>"
                 f'{escape(json.dumps(r["config"], indent=2))}</pre></details>')
    if r.get("log"):
        parts.append(f'<details><summary>log</summary><pre>{escape(r["log"])}</pre></details>')
    return "".join(parts) + "</section>"


def render_report(run_dir: Path, records: list[dict[str, Any]]) -> str:
    counts = {v: sum(r["verdict"] == v for r in records)
              for v in ("reproduced", "not reproduced", "error")}
    tally = ", ".join(f"{n} {v}" for v, n in counts.items())
    env = records[0]["environment"] if records else {}
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>lecturelab lab book "
        f"{escape(run_dir.name)}</title><style>{STYLE}</style></head><body>"
        f"<h1>lecturelab lab book</h1><p>Run {escape(run_dir.name)}: {len(records)} "
        f"experiments, {tally}.</p><p>{escape(json.dumps(env))}</p>"
        f"{summary_table(records)}{''.join(section(run_dir, r) for r in records)}</body></html>"
    )


def load_records(run_dir: Path) -> list[dict[str, Any]]:
    """Every result.json under `run_dir`, in experiment-id order."""
    return [json.loads(f.read_text()) for f in sorted(run_dir.glob("*/result.json"))]


def write_report(run_dir: Path) -> Path:
    """(Re)build `run_dir/report.html` from the result files in it."""
    records = load_records(run_dir)
    return atomic_write_text(run_dir / "report.html", render_report(run_dir, records))
