"""Issue 10, items 5 and 12 for detectors: a detector run saves every tenth of its steps,
resumes exactly (the same weights as a run never stopped, on a CPU), records its scenes'
fingerprint, and eval / --resume refuse other scenes."""

import json

import pytest
import torch

import lecturelab.cli.detectors as cli_detectors
from lecturelab.cli.core import UserError
from lecturelab.errors import LabError
from lecturelab.train.checkpoint import POINTER, load_checkpoint

RUN = dict(profile="smoke", steps=6, batch_size=2, seed=1, device="cpu", progress=False)


class Stop(Exception):
    pass


def stop_after_saving(monkeypatch, step: int) -> None:
    save = cli_detectors.DetectorRun.save

    def save_then_stop(self, detector, state, metrics=None):
        save(self, detector, state, metrics)
        if state.step == step:
            raise Stop

    monkeypatch.setattr(cli_detectors.DetectorRun, "save", save_then_stop)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    metrics = cli_detectors.train_detector_command("retinanet", out=out, **RUN)
    return out, metrics


def test_a_stopped_run_resumes_to_the_same_weights(whole, tmp_path, monkeypatch):
    out, metrics = whole
    with monkeypatch.context() as m:
        stop_after_saving(m, 3)
        with pytest.raises(Stop):
            cli_detectors.train_detector_command("retinanet", out=tmp_path, **RUN)
    assert json.loads((tmp_path / POINTER).read_text())["step"] == 3
    resumed = cli_detectors.train_detector_command("retinanet", out=tmp_path, resume=True, **RUN)
    a, b = load_checkpoint(out), load_checkpoint(tmp_path)
    assert a.model_state.keys() == b.model_state.keys()
    assert all(torch.equal(a.model_state[k], b.model_state[k]) for k in a.model_state)
    assert a.meta["losses"] == b.meta["losses"] and len(b.meta["losses"]) == 6
    assert resumed == pytest.approx(metrics, nan_ok=True)
    assert cli_detectors.eval_detector_command(tmp_path, device="cpu") == pytest.approx(
        metrics, nan_ok=True)


def test_resume_of_a_finished_run_changes_no_weights(whole, tmp_path):
    import shutil

    out = shutil.copytree(whole[0], tmp_path / "again")
    before = load_checkpoint(out).model_state
    cli_detectors.train_detector_command("retinanet", out=out, resume=True, **RUN)
    after = load_checkpoint(out)
    assert all(torch.equal(before[k], after.model_state[k]) for k in before)
    assert len(after.meta["losses"]) == 6


def test_resume_refuses_other_options(whole, tmp_path):
    import shutil

    out = shutil.copytree(whole[0], tmp_path / "other")
    with pytest.raises(UserError, match="cannot resume .* its seed is 1, this run's is 2"):
        cli_detectors.train_detector_command("retinanet", out=out, resume=True,
                                             **{**RUN, "seed": 2})
    with pytest.raises(LabError, match="already holds a checkpoint; pass --resume"):
        cli_detectors.train_detector_command("retinanet", out=out, **RUN)


def test_eval_and_resume_refuse_other_scenes(whole, tmp_path):
    import shutil

    out = shutil.copytree(whole[0], tmp_path / "scenes")
    state = json.loads((out / POINTER).read_text())
    assert state["dataset"]["name"] == "shapes" and len(state["dataset"]["fingerprint"]) == 64
    state["dataset"]["fingerprint"] = "f" * 64  # as if the scene generator had changed
    (out / POINTER).write_text(json.dumps(state))
    with pytest.raises(LabError, match="was trained on shapes .* but eval would use shapes"):
        cli_detectors.eval_detector_command(out, device="cpu")
    cli_detectors.eval_detector_command(out, device="cpu", allow_data_change=True)
    with pytest.raises(LabError, match="but --resume would use shapes"):
        cli_detectors.train_detector_command("retinanet", out=out, resume=True, **RUN)


def test_scenes_too_large_for_memory_are_refused_before_rendering(whole, tmp_path):
    import shutil

    out = shutil.copytree(whole[0], tmp_path / "huge")
    state = json.loads((out / POINTER).read_text())
    state["scenes"]["n_test"] = 10**9
    (out / POINTER).write_text(json.dumps(state))
    with pytest.raises(UserError, match="would take .* GiB"):
        cli_detectors.eval_detector_command(out, device="cpu")
