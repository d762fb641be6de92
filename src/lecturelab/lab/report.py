"""The lab book: one self-contained HTML page for a run folder, figures embedded.

A summary table comes first (id, claim, verdict, key numbers, seconds), then a section per
experiment with its claim, criterion, checks with measured values, figures, config and log.

A run folder is input like any other: every field is HTML-escaped, a figure is embedded only if
it is a plain `.png` name inside its experiment's folder (no '/', '..' or link out), and a
result.json that is not a well-formed record is shown as "malformed" with its problems
(lab/records.py), so the page is always written.
"""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

from lecturelab.errors import LabError
from lecturelab.io import atomic_write_text, is_inside
from lecturelab.lab.records import MALFORMED, VERDICTS, checked, is_plain_name, load_records

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.reproduced{color:#17702a;font-weight:600}
.not-reproduced{color:#a15c00;font-weight:600}.error{color:#b00020;font-weight:600}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}img{max-width:100%}
section{border-top:2px solid #ddd;margin-top:2em}.pass{color:#17702a}.fail{color:#a15c00}
.malformed{color:#b00020;font-weight:600}
"""
MAX_DEPTH = 4  # nesting that a table cell shows before "..."



def fmt(value: Any, depth: int = 0) -> str:
    """A number short enough for a table cell."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and depth >= MAX_DEPTH:
        return "[...]"
    if isinstance(value, list):
        more = ", ..." if len(value) > 6 else ""
        return "[" + ", ".join(fmt(v, depth + 1) for v in value[:6]) + more + "]"
    if isinstance(value, dict):
        return "{...}"
    return str(value)


def key_numbers(record: dict[str, Any]) -> str:
    metrics = record.get("metrics", {})
    return "; ".join(f"{k} = {fmt(metrics[k])}" for k in record.get("headline", []) if k in metrics)


def verdict_span(verdict: str) -> str:
    css = verdict.replace(" ", "-") if verdict in (*VERDICTS, MALFORMED) else MALFORMED
    return f'<span class="{css}">{escape(verdict)}</span>'


def summary_row(r: dict[str, Any]) -> str:
    link = f'<a href="#{escape(r["id"])}">{escape(r["id"])}</a>'
    if r["verdict"] == MALFORMED:
        return (f"<tr><td>{link}</td><td></td><td>{verdict_span(MALFORMED)}</td>"
                f'<td>{escape("; ".join(r["problems"]))}</td><td></td></tr>')
    return (f'<tr><td>{link}</td><td>{escape(r["claim"])}</td><td>{verdict_span(r["verdict"])}'
            f'</td><td>{escape(key_numbers(r))}</td><td>{r["seconds"]:.1f}</td></tr>')


def summary_table(records: list[dict[str, Any]]) -> str:
    rows = "".join(summary_row(r) for r in records)
    return ("<table><tr><th>id</th><th>claim</th><th>verdict</th><th>key numbers</th>"
            f"<th>seconds</th></tr>{rows}</table>")


def figure_path(run_dir: Path, id: str, name: str) -> Path:
    """`run_dir/id/name` if it is a plain .png file inside the experiment's folder, else
    LabError saying why it is not embedded."""
    if not (is_plain_name(name) and name.lower().endswith(".png")):
        raise LabError(f"figure {name!r} is not a plain .png file name")
    folder, path = run_dir / id, run_dir / id / name
    if not (is_inside(folder, run_dir) and is_inside(path, folder)):
        raise LabError(f"figure {name!r} links outside the folder of {id}")
    if not path.is_file():
        raise LabError(f"figure {name!r} is missing")
    return path


def figure_tags(run_dir: Path, record: dict[str, Any]) -> str:
    tags = []
    for name in record["figures"]:
        try:
            data = base64.b64encode(figure_path(run_dir, record["id"], name).read_bytes())
        except (LabError, OSError) as e:
            tags.append(f'<p class="error">{escape(str(e))} (not shown)</p>')
            continue
        tags.append(f'<p><img alt="{escape(name)}" src="data:image/png;base64,'
                    f'{data.decode()}"></p>')
    return "".join(tags)


def check_row(c: dict[str, Any]) -> str:
    """One check as measured value against its threshold (checks as data, lab/checks.py)."""
    verdict = "pass" if c.get("passed") is True else "fail"
    threshold = c.get("threshold")
    criterion = (f"in [{fmt(threshold[0])}, {fmt(threshold[1])}]"
                 if c.get("comparison") == "between" and isinstance(threshold, list)
                 and len(threshold) == 2 else f"{fmt(c.get('comparison', ''))} {fmt(threshold)}")
    if c.get("tolerance"):
        criterion += f" +- {fmt(c['tolerance'])}"
    return (f'<tr><td>{escape(fmt(c.get("name", "")))}</td>'
            f'<td>{escape(fmt(c.get("value")))}</td><td>{escape(criterion)}</td>'
            f'<td class="{verdict}">{verdict}</td><td>{escape(fmt(c.get("detail", "")))}</td></tr>')


def as_json(value: Any, limit: int = 20_000, indent: int | None = 2) -> str:
    """JSON of a record's value, cut at `limit` characters."""
    try:
        text = json.dumps(value, indent=indent)
    except (ValueError, RecursionError):
        text = "(too deeply nested to show)"
    return text if len(text) <= limit else text[:limit] + "\n..."


def malformed_section(r: dict[str, Any]) -> str:
    items = "".join(f"<li>{escape(p)}</li>" for p in r["problems"])
    raw = "" if r["raw"] is None else f'<pre>{escape(as_json(r["raw"]))}</pre>'
    return (f'<section id="{escape(r["id"])}"><h2>{escape(r["id"])} {verdict_span(MALFORMED)}'
            f"</h2><p>This result.json is not a record the runner writes:</p><ul>{items}</ul>"
            f"{raw}</section>")


def section(run_dir: Path, r: dict[str, Any]) -> str:
    if r["verdict"] == MALFORMED:
        return malformed_section(r)
    checks = "".join(check_row(c) for c in r["checks"])
    metrics = "".join(f"<tr><td>{escape(k)}</td><td>{escape(fmt(v))}</td></tr>"
                      for k, v in r["metrics"].items())
    parts = [
        f'<section id="{escape(r["id"])}"><h2>{escape(r["id"])} {verdict_span(r["verdict"])}</h2>',
        f'<p><b>Claim (lecture {escape(str(r["lecture"]))}).</b> {escape(r["claim"])}</p>',
        f'<p><b>Criterion.</b> {escape(r["criterion"])}</p>',
        f'<p>profile {escape(r["profile"])}, seed {escape(str(r["seed"]))}, '
        f'device {escape(r["device"])}, '
        f'{r["seconds"]:.1f} s</p>',
    ]
    if r.get("error"):
        parts.append(f'<p class="error">{escape(r["error"])}</p>')
    if checks:
        parts.append("<table><tr><th>check</th><th>measured</th><th>criterion</th><th></th>"
                     f"<th>detail</th></tr>{checks}</table>")
    if r.get("notes"):
        parts.append("<ul>" + "".join(f"<li>{escape(fmt(n))}</li>" for n in r["notes"]) + "</ul>")
    if metrics:
        parts.append(f"<details><summary>metrics</summary><table>{metrics}</table></details>")
    parts.append(figure_tags(run_dir, r))
    if r.get("traceback"):
        parts.append(f'<pre class="error">{escape(r["traceback"])}</pre>')
    parts.append("<details><summary>config</summary><pre>"
                 f'{escape(as_json(r.get("config")))}</pre></details>')
    if r.get("log"):
        parts.append(f'<details><summary>log</summary><pre>{escape(r["log"])}</pre></details>')
    return "".join(parts) + "</section>"


def render_report(run_dir: Path, records: list[dict[str, Any]]) -> str:
    records = [checked(r) for r in records]
    counts = {v: sum(r["verdict"] == v for r in records) for v in VERDICTS}
    if any(r["verdict"] == MALFORMED for r in records):
        counts[MALFORMED] = sum(r["verdict"] == MALFORMED for r in records)
    tally = ", ".join(f"{n} {v}" for v, n in counts.items())
    env = next((r["environment"] for r in records if r["verdict"] != MALFORMED), {})
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>lecturelab lab book "
        f"{escape(run_dir.name)}</title><style>{STYLE}</style></head><body>"
        f"<h1>lecturelab lab book</h1><p>Run {escape(run_dir.name)}: {len(records)} "
        f"experiments, {tally}.</p><p>{escape(as_json(env, indent=None))}</p>"
        f"{summary_table(records)}{''.join(section(run_dir, r) for r in records)}</body></html>"
    )


def write_report(run_dir: Path) -> Path:
    """(Re)build `run_dir/report.html` from the result files in it."""
    html = render_report(run_dir, load_records(run_dir))
    try:
        return atomic_write_text(run_dir / "report.html", html)
    except OSError as e:
        raise LabError(f"cannot write the lab book {run_dir / 'report.html'}: {e}") from e
