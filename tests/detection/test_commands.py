import json

import pytest
import torch

from lecturelab.detection.commands import (
    META,
    WEIGHTS,
    eval_detector_command,
    load_detector,
    train_detector_command,
)

KEYS = {"AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large"}


@pytest.fixture(scope="module")
def retinanet_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("retinanet")
    metrics = train_detector_command("retinanet", out=out, profile="smoke", steps=2, seed=0,
                                     device="cpu", progress=False)
    return out, metrics


def test_train_writes_checkpoint_and_returns_coco_metrics(retinanet_checkpoint):
    out, metrics = retinanet_checkpoint
    assert KEYS <= set(metrics)
    meta = json.loads((out / META).read_text())
    assert meta["model"] == "retinanet" and meta["train"]["steps"] == 2
    assert (out / WEIGHTS).is_file()
    assert not list(out.glob(".*.tmp"))


def test_eval_rebuilds_the_same_detector(retinanet_checkpoint):
    out, metrics = retinanet_checkpoint
    assert eval_detector_command(out, device="cpu") == pytest.approx(metrics, nan_ok=True)
    assert eval_detector_command(out / META, device="cpu") == pytest.approx(metrics, nan_ok=True)


def test_mask_rcnn_reports_mask_metrics(tmp_path):
    metrics = train_detector_command("mask_rcnn", out=tmp_path, profile="smoke", steps=1,
                                     seed=1, device="cpu", progress=False)
    assert {"AP50", "mask_AP50"} <= set(metrics)
    model, meta = load_detector(tmp_path)
    assert meta["model"] == "mask_rcnn" and model.mask_head is not None
    assert not model.training


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=META):
        eval_detector_command(tmp_path / "nowhere", device="cpu")


def test_corrupt_meta_and_weights_are_value_errors(retinanet_checkpoint, tmp_path):
    out, _ = retinanet_checkpoint
    (tmp_path / META).write_text("{not json")
    (tmp_path / WEIGHTS).write_bytes((out / WEIGHTS).read_bytes())
    with pytest.raises(ValueError, match=META):
        load_detector(tmp_path)
    (tmp_path / META).write_text((out / META).read_text())
    (tmp_path / WEIGHTS).write_bytes(b"garbage")
    with pytest.raises(ValueError, match=WEIGHTS):
        load_detector(tmp_path)


def test_bad_names_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="model must be one of"):
        train_detector_command("yolo", out=tmp_path, profile="smoke", progress=False)
    with pytest.raises(ValueError, match="profile must be one of"):
        train_detector_command("retinanet", out=tmp_path, profile="huge", progress=False)
    assert not (tmp_path / META).exists()


def test_training_is_deterministic(tmp_path, retinanet_checkpoint):
    out, _ = retinanet_checkpoint
    train_detector_command("retinanet", out=tmp_path, profile="smoke", steps=2, seed=0,
                           device="cpu", progress=False)
    a, _ = load_detector(out)
    b, _ = load_detector(tmp_path)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name
