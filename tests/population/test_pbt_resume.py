"""In-process PBT saves the population every round; a run stopped after any round and resumed
ends with the same population, bit for bit, as one never stopped."""

from pathlib import Path

import pytest
import torch

from lecturelab.cli import main
from lecturelab.errors import LabError
from lecturelab.population.local import PopulationRun, run_population

RUN = PopulationRun(members=3, steps=40, interval=10, seed=1)


class Stopped(Exception):
    pass


def stop_after(rounds: int):
    def on_round(done: int, total: int) -> None:
        if done == rounds:
            raise Stopped
    return on_round


def same_population(a, b) -> None:
    assert [m.id for m in a] == [m.id for m in b]
    for x, y in zip(a, b, strict=True):
        assert (x.hyperparams, x.score, x.steps, x.history) == \
               (y.hyperparams, y.score, y.steps, y.history)
        for key, value in x.state["model"].items():
            assert torch.equal(value, y.state["model"][key])


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory):
    return run_population(tmp_path_factory.mktemp("unbroken"), RUN)[0]


@pytest.mark.parametrize("stop", [1, 3])
def test_a_stopped_population_resumes_to_the_unbroken_result(tmp_path: Path, unbroken, stop):
    with pytest.raises(Stopped):
        run_population(tmp_path, RUN, on_round=stop_after(stop))
    resumed = run_population(tmp_path, RUN, resume=True)[0]
    same_population(resumed, unbroken)
    assert any(m.history[-1]["hyperparams"] != m.history[0]["hyperparams"] for m in resumed)


def test_resume_refuses_other_settings_and_a_held_folder_needs_force(tmp_path: Path):
    with pytest.raises(Stopped):
        run_population(tmp_path, RUN, on_round=stop_after(1))
    with pytest.raises(LabError, match="steps: 40"):
        run_population(tmp_path, PopulationRun(members=3, steps=80, interval=10, seed=1),
                       resume=True)
    with pytest.raises(LabError, match="already holds a checkpoint"):
        run_population(tmp_path, RUN)
    with pytest.raises(LabError, match="nothing to resume"):
        run_population(tmp_path / "empty", RUN, resume=True)


def lecturelab(args, monkeypatch, capsys) -> tuple[int, str]:
    """(exit code, everything printed) of `lecturelab ARGS` in this process."""
    monkeypatch.setattr("sys.argv", ["lecturelab", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return done.value.code, out.out + out.err


def test_tune_local_prints_the_population_and_refuses_options_of_the_other_backend(
        tmp_path, monkeypatch, capsys):
    out = tmp_path / "pbt"
    args = ["tune", "--backend", "local", "--members", "2", "--steps", "20", "--interval", "10",
            "--out", str(out)]
    code, printed = lecturelab(args, monkeypatch, capsys)
    assert not code, printed
    assert "PBT in process" in printed and (out / "checkpoint.json").exists()
    for extra, message in ((["--address", "auto"], "--address is for --backend ray"),
                           (["--resume", "--force"], "give one"),
                           (["--steps", "30", "--resume"], "other settings (steps: 20)")):
        code, printed = lecturelab(args + extra, monkeypatch, capsys)
        assert code == 2 and message in printed, printed
    code, printed = lecturelab(["tune", "--resume", "--out", str(out)], monkeypatch, capsys)
    assert code == 2 and "--resume is for --backend local" in printed
