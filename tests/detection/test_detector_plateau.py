"""Issue 15, item 2: benchmarks/detector_plateau.py profiles a quick detector step and finds the
step count where AP stops moving when the steps double."""

import json
import runpy
import sys
from pathlib import Path

import pytest

from lecturelab.detection import recipes

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "detector_plateau.py"


@pytest.fixture(scope="module")
def module():
    return runpy.run_path(str(SCRIPT))


def rows(*points):
    return [{"steps": s, "AP": ap, "AP50": ap50} for s, ap, ap50 in points]


def test_plateau_is_the_first_doubling_within_tolerance(module):
    plateau = module["plateau"]
    curve = rows((800, 0.49, 0.70), (1600, 0.65, 0.87), (3200, 0.735, 0.955),
                 (6400, 0.74, 0.96))
    assert plateau(curve, 0.01) == 3200
    assert plateau(curve, 0.1) == 1600
    assert plateau(curve, 0.001) is None  # never flat enough
    # AP flat but AP50 still rising: not a plateau
    assert plateau(rows((100, 0.5, 0.70), (200, 0.5, 0.75)), 0.01) is None
    assert plateau(rows((100, 0.5, 0.7), (300, 0.5, 0.7)), 0.01) is None  # no doubling run


def test_runs_end_to_end_on_tiny_scenes(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(recipes, "QUICK_SCENES", recipes.Scenes(n_train=16, n_test=8))
    out = tmp_path / "plateau.json"
    monkeypatch.setattr(sys, "argv", ["detector_plateau.py", "--kinds", "retinanet",
                                      "--steps", "2,4", "--profile-steps", "2",
                                      "--json", str(out)])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    text = capsys.readouterr().out
    assert "ms a step" in text and "aten::" in text and "plateau (AP and AP50" in text
    report = json.loads(out.read_text())["retinanet"]
    assert [r["steps"] for r in report["runs"]] == [2, 4]
    assert set(report["step_ms"]) == {"forward + loss", "backward", "clip", "optimiser"}
    assert all(0 <= r["AP"] <= 1 and r["cpu_seconds"] > 0 for r in report["runs"])


def test_unknown_kind_is_one_line(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["detector_plateau.py", "--kinds", "yolo"])
    with pytest.raises(SystemExit, match="unknown detector 'yolo'"):
        runpy.run_path(str(SCRIPT), run_name="__main__")
