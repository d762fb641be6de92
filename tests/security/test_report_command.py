"""Issue 10, item 9, end to end: `lecturelab report` on a run folder whose result.json lacks a
verdict writes the lab book (the record shown as malformed), with no traceback."""

import json
import subprocess
import sys


def test_report_on_a_record_without_verdict_writes_the_lab_book(tmp_path):
    (tmp_path / "l2.a").mkdir()
    (tmp_path / "l2.a" / "result.json").write_text(json.dumps({"id": "l2.a", "seconds": "x"}))
    out = subprocess.run([sys.executable, "-m", "lecturelab", "report", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    html = (tmp_path / "report.html").read_text()
    assert "0 reproduced, 0 not reproduced, 0 error, 1 malformed" in html
    assert "verdict must be text, got missing" in html
