import json
from dataclasses import dataclass

import pytest
import torch
from matplotlib.figure import Figure

from lecturelab.lab import Check, ExperimentSpec, Result, Run
from lecturelab.lab.report import write_report
from lecturelab.lab.runner import run_experiments


@dataclass(frozen=True)
class Cfg:
    n: int = 3  # number of random draws


def measure(cfg: Cfg, run: Run) -> Result:
    draws = torch.rand(cfg.n).tolist()
    run.log(f"drew {cfg.n}")
    fig = Figure()
    fig.subplots().plot(draws)
    return Result(metrics={"draws": draws, "mean": sum(draws) / cfg.n},
                  checks=[Check.below("mean", sum(draws) / cfg.n, 2)],
                  figures={"draws": fig}, headline=("mean",))


def failing(cfg: Cfg, run: Run) -> Result:
    x = torch.ones(()).item()
    return Result(metrics={"x": x}, checks=[Check.above("x", x, 2), Check.above("x", x, 0)])


def crashing(cfg: Cfg, run: Run) -> Result:
    raise RuntimeError("boom in the experiment")


def spec(id: str, fn) -> ExperimentSpec:
    cfgs = {"quick": Cfg(), "full": Cfg(n=5), "smoke": Cfg(n=1)}
    return ExperimentSpec(id, 2, f"claim of {id}", f"criterion of {id}", fn, cfgs)


def run_all(tmp_path, *specs, seed=0):
    return run_experiments(list(specs), profile="quick", seed=seed, device=torch.device("cpu"),
                           out_root=tmp_path)


def test_result_json_is_complete(tmp_path):
    run_dir, [rec] = run_all(tmp_path, spec("l2.a", measure))
    saved = json.loads((run_dir / "l2.a" / "result.json").read_text())
    assert saved["verdict"] == "reproduced"
    assert saved["config"] == {"n": 3} and saved["seed"] == 0 and saved["profile"] == "quick"
    [check] = saved["checks"]
    assert check["name"] == "mean" and check["comparison"] == "below"
    assert check["threshold"] == 2 and check["passed"] is True
    assert check["value"] == pytest.approx(saved["metrics"]["mean"])
    assert saved["figures"] == ["draws.png"] and (run_dir / "l2.a" / "draws.png").exists()
    assert saved["log"] == "drew 3\n"
    assert {"torch", "python", "git_commit"} <= set(saved["environment"])
    assert 0 <= saved["cpu_seconds"] and 0 <= saved["seconds"]  # CPU time judges budgets
    assert saved["seconds"] >= 0


def test_verdicts_are_computed_and_a_crash_does_not_stop_the_others(tmp_path):
    _, recs = run_all(tmp_path, spec("l2.crash", crashing), spec("l2.fail", failing),
                      spec("l2.ok", measure))
    assert [r["verdict"] for r in recs] == ["error", "not reproduced", "reproduced"]
    assert "boom in the experiment" in recs[0]["traceback"]


def test_same_seed_gives_identical_metrics(tmp_path):
    _, [a] = run_all(tmp_path / "a", spec("l2.a", measure), seed=7)
    _, [b] = run_all(tmp_path / "b", spec("l2.a", measure), seed=7)
    _, [c] = run_all(tmp_path / "c", spec("l2.a", measure), seed=8)
    assert a["metrics"] == b["metrics"] != c["metrics"]


def test_lab_book_has_every_result_and_latest_points_to_the_run(tmp_path):
    run_dir, _ = run_all(tmp_path, spec("l2.fail", failing), spec("l2.ok", measure))
    html = (run_dir / "report.html").read_text()
    for text in ("l2.fail", "l2.ok", "not reproduced", "criterion of l2.ok", "above 2",
                 "data:image/png;base64,", "1 reproduced, 1 not reproduced, 0 error"):
        assert text in html
    assert (tmp_path / "latest").resolve() == run_dir.resolve()
    (run_dir / "report.html").unlink()
    assert "l2.ok" in write_report(run_dir).read_text()


def test_a_result_without_checks_has_no_verdict():
    with pytest.raises(ValueError, match="at least one Check"):
        _ = Result(metrics={}, checks=[]).verdict


def test_unknown_profile_is_named():
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        spec("l2.a", measure).config("fast")


def threads_seen(cfg: Cfg, run: Run) -> Result:
    threads = torch.get_num_threads()
    return Result(metrics={"threads": threads}, checks=[Check.at_least("threads", threads, 1)])


def test_experiments_run_on_the_asked_cpu_threads_and_the_count_is_restored(tmp_path):
    before = torch.get_num_threads()
    _, [rec] = run_experiments([spec("l2.t", threads_seen)], profile="quick", seed=0,
                               device=torch.device("cpu"), out_root=tmp_path, threads=1)
    assert rec["metrics"]["threads"] == 1 and rec["threads"] == 1
    assert torch.get_num_threads() == before
