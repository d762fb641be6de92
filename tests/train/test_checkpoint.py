"""The one checkpoint format: kind, model / config and weights file, for every kind of training."""

import json

import pytest
import torch

from lecturelab.games.agent import save_network
from lecturelab.games.network import PolicyValueNet
from lecturelab.train.api import load_trained
from lecturelab.train.checkpoint import POINTER, Checkpoint, load_checkpoint, save_checkpoint


def test_the_json_names_the_kind_and_the_weights_file(tmp_path):
    save_checkpoint(tmp_path, Checkpoint({"w": torch.ones(2)}, {"kind": "detector", "step": 7}))
    state = json.loads((tmp_path / POINTER).read_text())
    assert state["kind"] == "detector" and state["tensors"] == "checkpoints/step-000007.safetensors"
    save_checkpoint(tmp_path, Checkpoint({"w": torch.zeros(2)}, {"epoch": 3}))
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.kind == "classifier" and torch.equal(ckpt.model_state["w"], torch.zeros(2))
    files = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert files == ["epoch-0003.safetensors", "step-000007.safetensors"]  # the newest two kept


def test_unknown_kind_and_escaping_tensor_file_are_refused(tmp_path):
    with pytest.raises(ValueError, match="kind must be a name"):
        save_checkpoint(tmp_path, Checkpoint({}, {"kind": "../oracle"}))
    save_checkpoint(tmp_path, Checkpoint({}, {"kind": "oracle", "epoch": 1}))
    with pytest.raises(ValueError, match="unknown checkpoint kind 'oracle'"):
        load_trained(tmp_path)
    (tmp_path / POINTER).write_text(json.dumps({"kind": "classifier", "tensors": "../x"}))
    with pytest.raises(ValueError, match="outside the folder"):
        load_checkpoint(tmp_path)
    (tmp_path / POINTER).write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="corrupt checkpoint state"):
        load_checkpoint(tmp_path)


def test_an_alphazero_agent_loads_through_the_same_loader(tmp_path):
    net = PolicyValueNet(board_shape=(3, 3), num_actions=9, channels=4, blocks=1)
    save_network(tmp_path, net, game="tictactoe", round=1, meta={"config": {}})
    trained = load_trained(tmp_path)
    assert trained.kind == "alphazero" and trained.meta["game"] == "tictactoe"
    assert not trained.model.training
    for name, value in net.state_dict().items():
        assert torch.equal(trained.model.state_dict()[name], value), name
