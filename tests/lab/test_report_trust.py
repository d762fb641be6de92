"""Issue 10, items 3 and 9: a crafted or broken run folder cannot leak files into the lab book,
inject HTML, or stop the lab book from being written."""

import base64
import json

import pytest

from lecturelab.lab.report import write_report
from lecturelab.lab.report_assets import SCRIPT

PNG = b"\x89PNG\r\n\x1a\n" + b"fake image bytes"
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def record(id="l2.a", **fields):
    base = {"id": id, "lecture": 2, "claim": "a claim", "criterion": "a criterion",
            "profile": "quick", "seed": 0, "device": "cpu", "threads": 1, "config": {"n": 3},
            "verdict": "reproduced", "metrics": {"m": 1.0}, "headline": ["m"], "notes": [],
            "checks": [{"name": "m", "value": 1.0, "comparison": "below", "threshold": 2,
                        "passed": True}],
            "figures": [], "seconds": 1.5, "environment": {"torch": "2"}, "log": ""}
    return {**base, **fields}


def write_run(run_dir, *records):
    """Write each record (a dict, or raw text or bytes) as <its id or l2.a>/result.json."""
    for r in records:
        folder = run_dir / (r["id"] if isinstance(r, dict) and "/" not in r["id"] else "l2.a")
        folder.mkdir(parents=True, exist_ok=True)
        data = r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode()
        (folder / "result.json").write_bytes(data)
    return run_dir


def without_own_script(html):
    """The page less the lab book's one script (the filter), which must be there once."""
    own = f"<script>{SCRIPT}</script>"
    assert html.count(own) == 1
    return html.replace(own, "")


def b64(data):
    return base64.b64encode(data).decode()


def test_figures_outside_the_experiment_folder_are_not_embedded(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG the private key of the lab")
    run_dir = tmp_path / "runs" / "r1"
    names = ["../../../secret.png", str(secret), "link.png", "ok.png", "sub/ok.png", "..png",
             "notes.txt"]
    write_run(run_dir, record(figures=names))
    (run_dir / "l2.a" / "ok.png").write_bytes(PNG)
    (run_dir / "l2.a" / "link.png").symlink_to(secret)
    html = write_report(run_dir).read_text()
    assert b64(secret.read_bytes()) not in html
    assert html.count("data:image/png;base64,") == 1 and b64(PNG) in html
    assert "figure &#x27;link.png&#x27; links outside the folder of l2.a" in html
    assert "figure &#x27;../../../secret.png&#x27; is not a plain .png file name" in html
    assert html.count("(not shown)") == len(names) - 1


def test_an_experiment_folder_linking_out_of_the_run_is_refused(tmp_path):
    elsewhere = write_run(tmp_path / "elsewhere", record(figures=["f.png"]))
    (elsewhere / "l2.a" / "f.png").write_bytes(b"\x89PNG private")
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "l2.a").symlink_to(elsewhere / "l2.a", target_is_directory=True)
    html = write_report(run_dir).read_text()
    assert b64(b"\x89PNG private") not in html and "a claim" not in html
    assert "is not a file inside the run folder" in html and "1 malformed" in html


@pytest.mark.parametrize("field", ["claim", "criterion", "profile", "device", "log",
                                   "traceback", "error"])
def test_every_text_field_is_escaped(tmp_path, field):
    write_run(tmp_path, record(**{field: PAYLOAD}))
    html = without_own_script(write_report(tmp_path).read_text())
    assert PAYLOAD not in html and "<script" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("fields", [
    {"lecture": PAYLOAD}, {"seed": PAYLOAD}, {"verdict": PAYLOAD}, {"seconds": PAYLOAD},
    {"id": PAYLOAD}, {"metrics": {PAYLOAD: PAYLOAD}}, {"notes": [PAYLOAD]},
    {"checks": [{"name": PAYLOAD, "value": PAYLOAD, "comparison": PAYLOAD, "threshold": PAYLOAD,
                 "detail": PAYLOAD, "tolerance": PAYLOAD}]},
    {"environment": {PAYLOAD: PAYLOAD}}, {"config": {PAYLOAD: [PAYLOAD]}},
    {"headline": [PAYLOAD], "metrics": {PAYLOAD: PAYLOAD}}, {"figures": [PAYLOAD]},
])
def test_every_other_field_is_escaped(tmp_path, fields):
    write_run(tmp_path, {**record(), **fields, "id": "l2.a"}, {**record("l2.b"), **fields})
    html = without_own_script(write_report(tmp_path).read_text())
    assert "<script" not in html and "onerror=alert(1)>" not in html


@pytest.mark.parametrize("broken", [
    {k: v for k, v in record().items() if k != "verdict"},
    record(verdict="probably"), record(seconds="fast"), record(lecture=2.5),
    record(headline="m"), record(checks=["m"]), record(metrics=[1, 2]), record(seed=True),
    record(seconds=float("nan")), record(id="../l2.a"), record(), [1, 2, 3], "{not json",
    b"\xff\xfe", json.dumps({"a": [[[[[[[[1]]]]]]]]}), "[" * 100_000,
])
def test_a_malformed_record_is_shown_as_such_and_the_report_still_written(tmp_path, broken):
    write_run(tmp_path, record("l2.ok"), broken)
    if broken == record():
        (tmp_path / "l2.a").rename(tmp_path / "l2.other")  # the id does not match its folder
    html = write_report(tmp_path).read_text()
    assert "1 reproduced, 0 not reproduced, 0 error, 1 malformed" in html
    assert 'class="malformed"' in html and "a claim" in html


def test_a_result_json_that_is_a_folder_is_malformed(tmp_path):
    (tmp_path / "l2.a" / "result.json").mkdir(parents=True)
    assert "1 malformed" in write_report(tmp_path).read_text()


def test_a_record_calling_itself_malformed_is_checked_like_any_other(tmp_path):
    write_run(tmp_path, record(verdict="malformed", problems=PAYLOAD, raw=None))
    html = write_report(tmp_path).read_text()
    assert "verdict must be one of reproduced, not reproduced, error, got &#x27;malformed" in html


def test_symlink_loops_are_refused_not_crashed_on(tmp_path):
    write_run(tmp_path, record(figures=["loop.png"]))
    (tmp_path / "l2.a" / "loop.png").symlink_to("loop.png")
    (tmp_path / "l2.b").mkdir()
    (tmp_path / "l2.b" / "result.json").symlink_to("result.json")
    html = write_report(tmp_path).read_text()
    assert "figure &#x27;loop.png&#x27; links outside the folder of l2.a" in html
    assert "1 experiments, 1 reproduced, 0 not reproduced, 0 error." in html  # the loop: no file
