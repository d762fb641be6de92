"""The lab book: one self-contained HTML page for a run folder, figures embedded.

What a learner opens first: the verdicts counted per lecture, a summary table per lecture (id,
the claim in the lecture's words, verdict, key numbers, seconds) linked to a section per
experiment with the claim, the ledger's criterion, each check as measured value against its
threshold, the figures with captions, and the metrics, config and log as tables. A filter by
verdict and lecture (report_assets.py) works offline; numbers carry their uncertainty where the
run recorded one (numbers.py).

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
from lecturelab.lab.numbers import criterion, measured, short
from lecturelab.lab.records import MALFORMED, VERDICTS, checked, is_plain_name, load_records
from lecturelab.lab.report_assets import SCRIPT, STYLE, content_security_policy
from lecturelab.lab.report_values import value_html

LECTURES = {1: "Introduction", 2: "Neural network foundations", 3: "Convolutional networks",
            4: "Advanced computer vision"}  # the ledger's headings (CLAIMS.md)
INTRO = ("Each experiment puts one claim of the DeepMind x UCL lectures 1-4 to the test: the "
         "criterion was fixed in advance in the claims ledger (CLAIMS.md), and the verdict is "
         "computed from the measured checks, reproduced only when every check passes.")
UNREAD = "unread"  # the group of malformed records, whose lecture is not known


def key_numbers(record: dict[str, Any]) -> str:
    """The record's headline metrics, "name = value; ...", uncertainty included."""
    metrics = record.get("metrics", {})
    return "; ".join(f"{k} = {short(metrics[k])}" for k in record.get("headline", [])
                     if k in metrics)


def verdict_span(verdict: str) -> str:
    return f'<span class="{css_name(verdict)}">{escape(verdict)}</span>'


def css_name(verdict: str) -> str:
    return verdict.replace(" ", "-") if verdict in (*VERDICTS, MALFORMED) else MALFORMED


def group_of(r: dict[str, Any]) -> str:
    return UNREAD if r["verdict"] == MALFORMED else str(r["lecture"])


def group_title(group: str) -> str:
    if group == UNREAD:
        return "Unreadable records"
    return f"Lecture {group} - {LECTURES[int(group)]}" if int(group) in LECTURES \
        else f"Lecture {group}"


def data_attrs(r: dict[str, Any]) -> str:
    return f'data-verdict="{escape(r["verdict"])}" data-lecture="{escape(group_of(r))}"'


def summary_row(r: dict[str, Any]) -> str:
    link = f'<a href="#{escape(r["id"])}">{escape(r["id"])}</a>'
    head = f'<tr class="exp" id="row-{escape(r["id"])}" {data_attrs(r)}><td>{link}</td>'
    if r["verdict"] == MALFORMED:
        return (f"{head}<td></td><td>{verdict_span(MALFORMED)}</td>"
                f'<td>{escape("; ".join(r["problems"]))}</td><td></td></tr>')
    numbers = "<br>".join(escape(part) for part in key_numbers(r).split("; ") if part)
    return (f'{head}<td>{escape(r["claim"])}</td><td>{verdict_span(r["verdict"])}'
            f'{checks_passed(r)}</td><td>{numbers}</td><td class="num">{r["seconds"]:.1f}</td>'
            "</tr>")


def checks_passed(r: dict[str, Any]) -> str:
    if not r["checks"]:
        return ""
    passed = sum(c.get("passed") is True for c in r["checks"])
    return f'<br><span class="meta">{passed} of {len(r["checks"])} checks pass</span>'



def count_buttons(records: list[dict[str, Any]], group: str = "") -> str:
    """"n reproduced, ..." of `records`, each count a button that filters the page to them."""
    verdicts = [*VERDICTS, *([MALFORMED] if any(r["verdict"] == MALFORMED for r in records)
                             else [])]
    return '<span class="counts">' + "".join(
        f'<button type="button" data-verdict="{escape(v)}" data-lecture="{escape(group)}">'
        f'{sum(r["verdict"] == v for r in records)} {verdict_span(v)}</button>'
        for v in verdicts) + "</span>"


def summary_group(group: str, records: list[dict[str, Any]]) -> str:
    rows = "".join(summary_row(r) for r in records)
    return (f'<div class="group" id="summary-{escape(group)}"><h3>{escape(group_title(group))} '
            f'{count_buttons(records, group)}</h3><table><tr><th>id</th><th>the lecture says'
            "</th><th>verdict</th><th>key numbers</th><th>seconds</th></tr>"
            f"{rows}</table></div>")


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
    for k, name in enumerate(record["figures"], start=1):
        try:
            data = base64.b64encode(figure_path(run_dir, record["id"], name).read_bytes())
        except (LabError, OSError) as e:
            tags.append(f'<p class="error">{escape(str(e))} (not shown)</p>')
            continue
        caption = f"Figure {k} of {record['id']}: {name[:-4].replace('_', ' ')}"
        tags.append(f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,'
                    f'{data.decode()}"><figcaption>{escape(caption)}</figcaption></figure>')
    return "".join(tags)


def check_row(c: dict[str, Any], metrics: dict[str, Any]) -> str:
    """One check as measured value against its threshold (checks as data, lab/checks.py)."""
    result = '<td class="pass">\u2713 pass</td>' if c.get("passed") is True \
        else '<td class="fail">\u2717 fail</td>'
    return (f'<tr><td>{escape(short(c.get("name", "")))}</td>'
            f'<td class="num">{escape(measured(c, metrics))}</td>'
            f"<td>{escape(criterion(c))}</td>{result}"
            f'<td>{escape(short(c.get("detail", "")))}</td></tr>')


def checks_table(r: dict[str, Any]) -> str:
    rows = "".join(check_row(c, r["metrics"]) for c in r["checks"])
    return ("<table><tr><th>check</th><th>measured</th><th>needs</th><th>result</th>"
            f"<th>detail</th></tr>{rows}</table>") if rows else ""


def as_json(value: Any, limit: int = 20_000, indent: int | None = 2) -> str:
    """JSON of a record's value, cut at `limit` characters."""
    try:
        text = json.dumps(value, indent=indent)
    except (ValueError, RecursionError):
        text = "(too deeply nested to show)"
    return text if len(text) <= limit else text[:limit] + "\n..."


def back_link(r: dict[str, Any]) -> str:
    return f'<a class="back" href="#row-{escape(r["id"])}">back to the summary</a>'


def malformed_section(r: dict[str, Any]) -> str:
    items = "".join(f"<li>{escape(p)}</li>" for p in r["problems"])
    raw = "" if r["raw"] is None else f'<pre>{escape(as_json(r["raw"]))}</pre>'
    return (f'<section class="exp v-malformed" id="{escape(r["id"])}" {data_attrs(r)}>'
            f'{back_link(r)}<h3>{escape(r["id"])} {verdict_span(MALFORMED)}</h3>'
            f"<p>This result.json is not a record the runner writes:</p><ul>{items}</ul>"
            f"{raw}</section>")


def details(title: str, body: str) -> str:
    return f"<details><summary>{escape(title)}</summary>{body}</details>" if body else ""


def section(run_dir: Path, r: dict[str, Any]) -> str:
    if r["verdict"] == MALFORMED:
        return malformed_section(r)
    parts = [
        f'<section class="exp v-{css_name(r["verdict"])}" id="{escape(r["id"])}" '
        f'{data_attrs(r)}>{back_link(r)}<h3>{escape(r["id"])} {verdict_span(r["verdict"])}</h3>',
        f'<blockquote><b>The lecture says:</b> {escape(r["claim"])}</blockquote>',
        f'<p><b>Criterion (the ledger).</b> {escape(r["criterion"])}</p>',
        f'<p class="meta">profile {escape(r["profile"])}, seed {escape(str(r["seed"]))}, '
        f'device {escape(r["device"])}, {r["seconds"]:.1f} s{cpu_time(r)}</p>',
    ]
    if r.get("error"):
        parts.append(f'<p class="error">{escape(r["error"])}</p>')
    parts.append(checks_table(r))
    if r.get("notes"):
        parts.append("<ul>" + "".join(f"<li>{escape(short(n))}</li>" for n in r["notes"])
                     + "</ul>")
    parts.append(figure_tags(run_dir, r))
    parts.append(details(f"all metrics ({len(r['metrics'])})",
                         value_html(r["metrics"]) if r["metrics"] else ""))
    if r.get("traceback"):
        parts.append(f'<pre class="error">{escape(r["traceback"])}</pre>')
    parts.append(details("config", value_html(r.get("config"))))
    if r.get("log"):
        parts.append(details("log", f"<pre>{escape(r['log'])}</pre>"))
    return "".join(parts) + "</section>"


def cpu_time(r: dict[str, Any]) -> str:
    return f' ({r["cpu_seconds"]:.1f} s of CPU)' if "cpu_seconds" in r else ""


def filters(groups: dict[str, list[dict[str, Any]]]) -> str:
    verdicts = ["", *VERDICTS, *([MALFORMED] if UNREAD in groups else [])]
    verdict_options = "".join(f'<option value="{escape(v)}">{escape(v or "every verdict")}'
                              "</option>" for v in verdicts)
    lecture_options = '<option value="">every lecture</option>' + "".join(
        f'<option value="{escape(g)}">{escape(group_title(g))}</option>' for g in groups)
    return ('<div class="filters"><label>verdict <select id="filter-verdict">'
            f'{verdict_options}</select></label><label>lecture <select id="filter-lecture">'
            f'{lecture_options}</select></label><span id="filter-shown"></span></div>')


def grouped(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records by lecture (in lecture order), the malformed ones last."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(group_of(r), []).append(r)
    order = sorted((g for g in groups if g != UNREAD), key=int) + \
        ([UNREAD] if UNREAD in groups else [])
    return {g: groups[g] for g in order}


def head(run_dir: Path) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{content_security_policy()}\">"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<link rel='icon' href='data:,'>"
            f"<title>lecturelab lab book {escape(run_dir.name)}</title><style>{STYLE}</style>"
            "</head>")


def render_report(run_dir: Path, records: list[dict[str, Any]]) -> str:
    records = [checked(r) for r in records]
    groups = grouped(records)
    counts = {v: sum(r["verdict"] == v for r in records) for v in VERDICTS}
    if UNREAD in groups:
        counts[MALFORMED] = len(groups[UNREAD])
    tally = ", ".join(f"{n} {v}" for v, n in counts.items())
    env = next((r["environment"] for r in records if r["verdict"] != MALFORMED), {})
    sections = "".join(
        f'<div class="group" id="lecture-{escape(g)}"><h2>{escape(group_title(g))}</h2>'
        f'{"".join(section(run_dir, r) for r in rs)}</div>' for g, rs in groups.items())
    return (
        f"{head(run_dir)}<body><h1>lecturelab lab book</h1><p>{INTRO}</p>"
        f"<p>Run {escape(run_dir.name)}: "
        f"{len(records)} experiments, {tally}.</p><p>{count_buttons(records)}</p>"
        f"{details('environment', value_html(env))}{filters(groups)}"
        f'<h2 id="summary">Summary</h2>'
        f'{"".join(summary_group(g, rs) for g, rs in groups.items())}{sections}'
        f"<script>{SCRIPT}</script></body></html>"
    )


def write_report(run_dir: Path) -> Path:
    """(Re)build `run_dir/report.html` from the result files in it."""
    html = render_report(run_dir, load_records(run_dir))
    try:
        return atomic_write_text(run_dir / "report.html", html)
    except OSError as e:
        raise LabError(f"cannot write the lab book {run_dir / 'report.html'}: {e}") from e
