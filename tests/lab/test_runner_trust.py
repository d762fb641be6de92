"""Issue 10, items 9 and 10: one experiment's unwritable metric cannot abort a run, and a
`latest` that is the user's own folder is neither crashed on nor deleted."""

import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from lecturelab.lab import Check, ExperimentSpec, Result, Run
from lecturelab.lab.runner import point_latest, run_experiments


@dataclass(frozen=True)
class Cfg:
    n: int = 2  # unused: the experiments below return fixed kinds of metric


class Opaque:
    pass


def returning(metric):
    def fn(cfg: Cfg, run: Run) -> Result:
        x = float(torch.ones(()).item())
        return Result(metrics={"fine": x, "odd": metric}, checks=[Check.above("fine", x, 0)])
    return fn


def spec(id, fn):
    return ExperimentSpec(id, 2, f"claim of {id}", "criterion", fn,
                          {"quick": Cfg(), "full": Cfg(), "smoke": Cfg()})


def run_all(tmp_path, *specs):
    return run_experiments(list(specs), profile="quick", seed=0, device=torch.device("cpu"),
                           out_root=tmp_path)


@pytest.mark.parametrize(("metric", "kind"), [({1, 2}, "set"), (Opaque(), "Opaque"),
                                              ([1, b"raw"], "bytes"),
                                              (np.array(["a", Opaque()]), "Opaque"),
                                              ({"deep": {"deeper": 1j}}, "complex")])
def test_a_metric_json_cannot_hold_is_that_experiments_error(tmp_path, metric, kind):
    run_dir, recs = run_all(tmp_path, spec("l2.odd", returning(metric)),
                            spec("l2.ok", returning(1.5)))
    assert [r["verdict"] for r in recs] == ["error", "reproduced"]
    assert "metrics['odd']" in recs[0]["error"] and kind in recs[0]["error"]
    saved = json.loads((run_dir / "l2.odd" / "result.json").read_text())
    assert saved["verdict"] == "error" and "which JSON cannot hold" in saved["error"]
    html = (run_dir / "report.html").read_text()
    assert "1 reproduced, 0 not reproduced, 1 error" in html and "l2.ok" in html


def test_tensors_and_nan_metrics_are_recorded_as_json_values(tmp_path):
    """JSON holds these once converted: a tensor as a list, NaN as the text "nan"."""
    run_dir, [rec] = run_all(tmp_path, spec("l2.t", returning(
        [torch.tensor([1.0, float("nan")]), np.float32(np.inf)])))
    assert rec["verdict"] == "reproduced" and rec["metrics"]["odd"] == [[1.0, "nan"], "inf"]
    assert json.loads((run_dir / "l2.t" / "result.json").read_text())["metrics"] == rec["metrics"]


def test_a_latest_folder_of_the_users_is_left_and_said_so(tmp_path, capsys):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "mine.txt").write_text("keep me")
    run_dir, [rec] = run_all(tmp_path, spec("l2.ok", returning(1.5)))
    assert rec["verdict"] == "reproduced" and (run_dir / "report.html").exists()
    assert (tmp_path / "latest" / "mine.txt").read_text() == "keep me"
    assert "latest left as it is (it is not a link)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["latest", run_dir.name])


def test_latest_moves_from_run_to_run_and_a_file_is_not_replaced(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    assert point_latest(tmp_path, first) and point_latest(tmp_path, second)
    assert (tmp_path / "latest").resolve() == second.resolve()
    (tmp_path / "latest").unlink()
    (tmp_path / "latest").write_text("my notes")
    assert not point_latest(tmp_path, first)
    assert (tmp_path / "latest").read_text() == "my notes"
