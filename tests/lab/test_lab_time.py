"""Issue 15, item 3: benchmarks/lab_time.py reads a run folder and prints the per-lecture times,
the sum, the wall time, and each experiment against its ledger budget and durations.json."""

import os
import runpy
import sys
from pathlib import Path

import pytest
from labbook_runs import record, write_run

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "lab_time.py"


def lab_time(run_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["lab_time.py", str(run_dir)])
    monkeypatch.setenv("COLUMNS", "200")
    runpy.run_path(str(SCRIPT), run_name="__main__")
    return capsys.readouterr().out


def test_times_sums_and_budgets(tmp_path, monkeypatch, capsys):
    run_dir = write_run(tmp_path, record("l2.a", seconds=10.0, cpu_seconds=8.0),
                        record("l2.b", seconds=70.0, cpu_seconds=65.0),
                        record("l4.focal_loss", lecture=4, seconds=100.0, cpu_seconds=90.0))
    for id, end in (("l2.a", 1000.0), ("l2.b", 1080.0), ("l4.focal_loss", 1100.0)):
        os.utime(run_dir / id / "result.json", (end, end))
    out = lab_time(run_dir, monkeypatch, capsys)
    assert "3 experiments, profile quick" in out
    assert "sum of experiment seconds 180.0 s (3.0 min), CPU s 163.0" in out
    assert "wall time of the run 110.0 s (1.8 min): the sum is 1.64 x the wall time" in out
    assert "over budget: l2.b (65 of 60 s)" in out  # focal_loss has 120 s: within
    lecture4 = next(line for line in out.splitlines() if line.startswith("│ 4 "))
    assert [cell.strip() for cell in lecture4.split("│")][2:6] == ["1", "100.0", "90.0", "120"]
    assert "against durations.json:" in out


def test_not_a_run_folder(tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit, match="is not a run folder"):
        lab_time(tmp_path, monkeypatch, capsys)


def test_write_durations_takes_the_runs_seconds_rounded_up(tmp_path, monkeypatch, capsys):
    import json
    run_dir = write_run(tmp_path / "run", record("l2.a", seconds=10.2),
                        record("l2.b", seconds=70.0))
    target = tmp_path / "durations.json"
    monkeypatch.setattr(sys, "argv", ["lab_time.py", str(run_dir), "--write-durations",
                                      str(target)])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    table = json.loads(target.read_text())
    assert table["l2.a"] == 11 and table["l2.b"] == 70
    assert "l4.focal_loss" in table  # entries the run lacks are kept from the shipped table
    assert list(table) == sorted(table)
