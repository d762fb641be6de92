"""Issue 10, items 5 and 8: a checkpoint records the data it was trained on (name, source,
fingerprint); eval and --resume refuse other data in one line (--allow-data-change warns);
classifier checkpoints keep the CUDA RNG state when CUDA is there."""

import json
import sys

import pytest
import torch

import lecturelab.train.api as api
from lecturelab.cli import main
from lecturelab.data.cifar10 import SUBSET
from lecturelab.errors import LabError
from lecturelab.train import provenance
from lecturelab.train.checkpoint import POINTER, load_checkpoint
from lecturelab.train.loop import TrainConfig

CFG = TrainConfig(epochs=1, batch_size=8, lr=0.05)


@pytest.fixture
def use_data(monkeypatch, tiny_images):
    """use_data(seed): `load_dataset` gives the tiny images of `seed` (another seed: other
    data under the same name)."""
    return lambda seed: monkeypatch.setattr(api, "load_dataset",
                                            lambda name: tiny_images(seed=seed))


@pytest.fixture
def trained(tmp_path, use_data):
    use_data(0)
    api.train_classifier("mlp", "tiny", CFG, out_dir=tmp_path / "ck",
                         device=torch.device("cpu"), progress=False)
    return tmp_path / "ck"


def test_the_checkpoint_records_name_source_and_fingerprint(trained, tiny_images):
    record = json.loads((trained / POINTER).read_text())["dataset"]
    data = tiny_images(seed=0)
    assert record == {"name": "tiny", "source": "built in",
                      "fingerprint": provenance.array_digest(
                          (data.x_train, data.y_train, data.x_test, data.y_test))}
    assert len(record["fingerprint"]) == 64


def test_eval_refuses_other_data_and_warns_when_allowed(trained, use_data, monkeypatch, capsys):
    assert 0 <= api.evaluate_checkpoint(trained)["test_acc"] <= 1
    use_data(1)
    with pytest.raises(LabError, match=r"was trained on tiny \(built in, sha256 .* but eval "
                                       r"would use tiny \(built in.*--allow-data-change"):
        api.evaluate_checkpoint(trained)
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["lecturelab", "eval", str(trained)])
    with pytest.raises(SystemExit) as done:
        main()
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1 and "trained on tiny" in err, err
    monkeypatch.setattr(sys, "argv", ["lecturelab", "eval", str(trained),
                                      "--allow-data-change"])
    with pytest.raises(SystemExit) as done:
        main()
    captured = capsys.readouterr()
    assert done.value.code == 0 and "test_acc" in captured.out
    assert captured.err.startswith("warning: ") and "trained on tiny" in captured.err


def test_resume_refuses_other_data_unless_allowed(trained, use_data, capsys):
    use_data(1)
    more = TrainConfig(**{**CFG.__dict__, "epochs": 1})
    with pytest.raises(LabError, match="but --resume would use tiny"):
        api.train_classifier("mlp", "tiny", more, out_dir=trained, device=torch.device("cpu"),
                             progress=False, resume=True)
    api.train_classifier("mlp", "tiny", more, out_dir=trained, device=torch.device("cpu"),
                         progress=False, resume=True, allow_data_change=True)
    assert "warning: " in capsys.readouterr().err


def test_a_checkpoint_without_a_record_is_warned_about(trained, capsys):
    state = json.loads((trained / POINTER).read_text())
    del state["dataset"]
    (trained / POINTER).write_text(json.dumps(state))
    api.evaluate_checkpoint(trained)
    assert "records no fingerprint" in capsys.readouterr().err


def test_the_fingerprint_of_a_file_is_cached_by_path_size_and_time(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURELAB_CACHE", str(tmp_path))
    calls = []
    real = provenance.array_digest
    monkeypatch.setattr(provenance, "array_digest", lambda a: calls.append(1) or real(a))
    arrays = (torch.arange(10),)
    first = provenance.data_record("cifar10", str(SUBSET), arrays)
    second = provenance.data_record("cifar10", str(SUBSET), arrays)
    assert first == second and first["source"] == "shipped subset" and len(calls) == 1


def test_the_fingerprint_sees_every_byte_dtype_and_shape():
    x = torch.zeros(4, 3, dtype=torch.uint8)
    digests = {provenance.array_digest([x]), provenance.array_digest([x.reshape(3, 4)]),
               provenance.array_digest([x.to(torch.int16)]),
               provenance.array_digest([x.index_put((torch.tensor([3]), torch.tensor([2])),
                                                    torch.tensor(1, dtype=torch.uint8))])}
    assert len(digests) == 4


def test_classifier_checkpoints_keep_the_cuda_rng_state(trained, use_data, monkeypatch,
                                                       tmp_path):
    """Without a GPU, CUDA is mocked: the saved state has a "cuda" entry, and resume sets it."""
    assert "cuda" not in load_checkpoint(trained).rng_state or torch.cuda.is_available()
    fake = torch.arange(16, dtype=torch.uint8)
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda: fake.clone())
    monkeypatch.setattr(torch.cuda, "set_rng_state", restored.append)
    use_data(0)
    out = tmp_path / "cuda-ck"
    api.train_classifier("mlp", "tiny", CFG, out_dir=out, device=torch.device("cpu"),
                         progress=False)
    assert torch.equal(load_checkpoint(out).rng_state["cuda"], fake)
    two = TrainConfig(**{**CFG.__dict__, "epochs": 2})
    state = json.loads((out / POINTER).read_text())
    state["config"]["epochs"] = 2
    (out / POINTER).write_text(json.dumps(state))
    api.train_classifier("mlp", "tiny", two, out_dir=out, device=torch.device("cpu"),
                         progress=False, resume=True)
    assert len(restored) == 1 and torch.equal(restored[0], fake)
