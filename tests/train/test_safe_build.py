"""Issue 10, item 9: a checkpoint's JSON sizes its model; sizes that do not fit the weights file
are refused before anything is allocated (train/safe_build.py)."""

import pytest
import torch
from torch import nn

from lecturelab.errors import LabError
from lecturelab.train.safe_build import build_checked, check_sizes, shape_mismatch

STATE = {"weight": torch.zeros(3, 4), "bias": torch.zeros(3)}


def test_a_size_above_the_number_of_weights_is_refused_without_building():
    built = []
    with pytest.raises(LabError, match=r"model_kwargs.layers\[1\] is 1000000, more than the 15"):
        build_checked("ck", "classifier", {"model_kwargs": {"layers": [4, 10**6]}}, STATE,
                      lambda: built.append(1) or nn.Linear(4, 3))
    assert not built
    check_sizes("ck", "classifier", {"model_kwargs": {"width": 15, "relu": True}}, STATE)


def test_shapes_are_compared_on_the_meta_device_first():
    sizes = []

    def build():
        layer = nn.Linear(4, 5)
        sizes.append(layer.weight.device.type)
        return layer

    with pytest.raises(LabError, match=r"weight is \(3, 4\) in the file, the model needs "
                                       r"\(5, 4\)"):
        build_checked("ck", "classifier", {}, STATE, build)
    assert sizes == ["meta"]
    model = build_checked("ck", "classifier", {}, STATE, lambda: nn.Linear(4, 3))
    assert not model.training and torch.equal(model.weight, STATE["weight"])


def test_missing_or_extra_names_are_named():
    assert shape_mismatch({"a": torch.zeros(1)}, {}) == "the file lacks 'a'"
    assert shape_mismatch({}, {"b": torch.zeros(1)}) == "the file has an unexpected 'b'"


def test_a_json_without_what_the_builder_needs_is_one_line():
    with pytest.raises(LabError, match=r"corrupt alphazero checkpoint state \(KeyError"):
        build_checked("ck", "alphazero", {}, STATE, lambda: {}["net"])


def test_a_model_that_cannot_be_built_on_meta_is_still_checked_on_load():
    def needs_values():
        if torch.zeros(()).device.type == "meta":
            raise NotImplementedError("item() on meta")
        return nn.Linear(4, 5)

    with pytest.raises(LabError, match="the weights do not match"):
        build_checked("ck", "classifier", {}, STATE, needs_values)


def test_a_tensor_file_never_committed_is_swept_when_a_run_takes_the_folder(tmp_path):
    """A run killed after writing its tensor file and before switching checkpoint.json to it
    leaves a file no JSON lists; the next run removes it (only inside checkpoints/)."""
    from lecturelab.train.checkpoint import Checkpoint, save_checkpoint, training_folder

    save_checkpoint(tmp_path, Checkpoint({"w": torch.ones(2)}, {"kind": "classifier",
                                                                 "epoch": 1}))
    orphan = tmp_path / "checkpoints" / "epoch-0002.safetensors"
    orphan.write_bytes(b"written, never committed")
    elsewhere = tmp_path / "notes.safetensors"
    elsewhere.write_bytes(b"not ours to delete")
    with training_folder(tmp_path, resume=True):
        assert not orphan.exists() and elsewhere.exists()
        assert (tmp_path / "checkpoints" / "epoch-0001.safetensors").exists()
