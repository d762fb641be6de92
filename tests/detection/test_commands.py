"""`lecturelab train DETECTOR` / `eval` as functions: train on shapes, save, evaluate."""

import json

import pytest
import torch

from lecturelab.cli.detectors import eval_detector_command, train_detector_command
from lecturelab.train.api import load_trained
from lecturelab.train.checkpoint import POINTER

KEYS = {"AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large"}


@pytest.fixture(scope="module")
def retinanet_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("retinanet")
    metrics = train_detector_command("retinanet", out=out, profile="smoke", steps=2, seed=0,
                                     device="cpu", progress=False)
    return out, metrics


def test_train_writes_the_shared_checkpoint_format_and_returns_coco_metrics(retinanet_checkpoint):
    out, metrics = retinanet_checkpoint
    assert KEYS <= set(metrics)
    meta = json.loads((out / POINTER).read_text())
    assert meta["kind"] == "detector" and meta["model"] == "retinanet"
    assert meta["train"]["steps"] == 2 and meta["scenes"]["n_train"] == 8  # 2 steps x 4 scenes
    assert (out / meta["tensors"]).is_file()
    assert not list(out.rglob(".*.tmp"))


def test_eval_rebuilds_the_same_detector(retinanet_checkpoint):
    out, metrics = retinanet_checkpoint
    assert eval_detector_command(out, device="cpu") == pytest.approx(metrics, nan_ok=True)
    assert eval_detector_command(out / POINTER, device="cpu") == pytest.approx(metrics,
                                                                               nan_ok=True)


def test_mask_rcnn_reports_mask_metrics(tmp_path):
    metrics = train_detector_command("mask_rcnn", out=tmp_path, profile="smoke", steps=1,
                                     seed=1, device="cpu", progress=False)
    assert {"AP50", "mask_AP50"} <= set(metrics)
    trained = load_trained(tmp_path)
    assert trained.kind == "detector" and trained.meta["model"] == "mask_rcnn"
    assert trained.model.mask_head is not None and not trained.model.training


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=POINTER):
        eval_detector_command(tmp_path / "nowhere", device="cpu")


def test_corrupt_state_and_weights_are_value_errors(retinanet_checkpoint, tmp_path):
    out, _ = retinanet_checkpoint
    meta = json.loads((out / POINTER).read_text())
    (tmp_path / POINTER).write_text("{not json")
    with pytest.raises(ValueError, match=POINTER):
        load_trained(tmp_path)
    (tmp_path / POINTER).write_text(json.dumps({**meta, "recipe": {"widths": 3, "nope": 1}}))
    (tmp_path / meta["tensors"]).parent.mkdir()
    (tmp_path / meta["tensors"]).write_bytes((out / meta["tensors"]).read_bytes())
    with pytest.raises(ValueError, match="corrupt detector checkpoint"):
        load_trained(tmp_path)
    (tmp_path / POINTER).write_text(json.dumps(meta))
    (tmp_path / meta["tensors"]).write_bytes(b"garbage")
    with pytest.raises(ValueError, match="cannot read checkpoint tensors"):
        load_trained(tmp_path)


def test_bad_names_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="detector must be one of"):
        train_detector_command("yolo", out=tmp_path, profile="smoke", progress=False)
    with pytest.raises(ValueError, match="unknown profile"):
        train_detector_command("retinanet", out=tmp_path, profile="huge", progress=False)
    assert not (tmp_path / POINTER).exists()


def test_training_is_deterministic(tmp_path, retinanet_checkpoint):
    out, _ = retinanet_checkpoint
    train_detector_command("retinanet", out=tmp_path, profile="smoke", steps=2, seed=0,
                           device="cpu", progress=False)
    a, b = load_trained(out).model, load_trained(tmp_path).model
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name
