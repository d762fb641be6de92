"""Fuzz the lab book: run folders of arbitrary and mutated result.json files (and figure names
aiming outside) always give a report.html, or one line of ValueError; the page never carries a
file from outside the experiment's folder or unescaped markup, and nothing else is written."""

import base64
import itertools
import json
import os

import pytest
from fuzz_strategies import HOSTILE, hostile_text, json_values, mutated
from hypothesis import given
from hypothesis import strategies as st

from lecturelab.lab.report import write_report
from lecturelab.lab.report_assets import SCRIPT

pytestmark = pytest.mark.stress
SECRET = b"\x89PNG secret bytes that must never reach a lab book"
PNG = b"\x89PNG\r\n\x1a\n a figure"
RECORD = {"id": "l2.a", "lecture": 2, "claim": "a claim", "criterion": "a criterion",
          "profile": "quick", "seed": 0, "device": "cpu", "threads": 1, "config": {"n": 3},
          "verdict": "reproduced", "metrics": {"m": 1.0, "v": [1, 2]}, "headline": ["m"],
          "checks": [{"name": "m", "value": 1.0, "comparison": "between", "threshold": [0, 2],
                      "tolerance": 0.0, "detail": "", "passed": True, "measured": "1 in [0, 2]"}],
          "notes": ["a note"], "figures": ["fig.png"], "seconds": 1.5, "log": "drew 3\n",
          "environment": {"torch": "2"}}
figure_names = st.lists(st.sampled_from(["fig.png", "link.png", "sub", "secret.png", ".png",
                                         *HOSTILE]), min_size=1, max_size=4).map("".join)
records = st.one_of(
    mutated(RECORD),
    st.builds(lambda field, value: {**RECORD, field: value},
              st.sampled_from(sorted(RECORD)), st.one_of(hostile_text, json_values)),
    st.builds(lambda names: {**RECORD, "figures": names}, st.lists(figure_names, max_size=3)),
    json_values,
)
contents = st.one_of(records.map(lambda r: json.dumps(r).encode()), st.binary(max_size=40))
COUNTER = itertools.count()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("report")


def snapshot(folder):
    return {p: (p.stat(follow_symlinks=False).st_mtime_ns, p.stat(follow_symlinks=False).st_size)
            for p in folder.rglob("*")}


def make_run(base, files):
    """case<n>/secret.png and a run folder case<n>/run holding each of `files` as
    <l2.a | l2.b | ...>/result.json, with fig.png and a link.png to the secret outside it."""
    case = base / f"case{next(COUNTER)}"
    case.mkdir()
    (case / "secret.png").write_bytes(SECRET)
    run_dir = case / "run"
    for k, data in enumerate(files):
        folder = run_dir / ("l2.a" if k == 0 else f"l2.{chr(98 + k)}")
        folder.mkdir(parents=True)
        (folder / "result.json").write_bytes(data)
        (folder / "fig.png").write_bytes(PNG)
        (folder / "link.png").symlink_to(os.path.relpath(case / "secret.png", folder))
    return run_dir


def check_report(run_dir):
    case = run_dir.parent
    before = snapshot(case)
    try:
        html = write_report(run_dir).read_text()
    except ValueError as e:
        assert "\n" not in str(e)
        html = None
    after = snapshot(case)
    new = set(after) - set(before)
    assert new <= {run_dir / "report.html"}
    unchanged = set(before) - {run_dir}  # whose mtime changes as report.html is added
    assert {p: after[p] for p in unchanged} == {p: before[p] for p in unchanged}
    if html is not None:
        assert base64.b64encode(SECRET).decode() not in html
        own = f"<script>{SCRIPT}</script>"  # the filter, once
        assert html.count(own) == 1
        assert "<script" not in html.replace(own, "") and "onerror=alert(1)>" not in html
        tally = html.split("experiments, ", 1)[1].split(".</p>", 1)[0]
        assert sum(int(part.split()[0]) for part in tally.split(", ")) == \
            len(list(run_dir.glob("*/result.json")))


@given(st.lists(contents, min_size=1, max_size=3))
def test_any_run_folder_gives_a_lab_book(base, files):
    check_report(make_run(base, files))


@given(records)
def test_a_mutated_record_gives_a_lab_book(base, record):
    check_report(make_run(base, [json.dumps(record).encode()]))
