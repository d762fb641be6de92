"""Fuzz checkpoint.json (issue 10, items 9 and 11): a classifier's and an agent's JSON state,
mutated anywhere (values replaced, deleted or added, sizes up to 2^70), either loads or ends in
the project's one-line errors (ValueError / LabError, a missing file, an unknown name); nothing
allocates beyond the weights file's sizes and no file outside the folder is touched."""

import json

import pytest
import torch
from fuzz_strategies import mutated
from hypothesis import given

from lecturelab.data import load_dataset
from lecturelab.games.agent import save_network
from lecturelab.games.network import PolicyValueNet
from lecturelab.registry import UnknownNameError
from lecturelab.train.api import build_model, evaluate_checkpoint, load_trained
from lecturelab.train.checkpoint import POINTER, Checkpoint, save_checkpoint

pytestmark = pytest.mark.stress
ALLOWED = (ValueError, FileNotFoundError, UnknownNameError)


def classifier_folder(folder):
    with torch.random.fork_rng():
        torch.manual_seed(0)  # the same weights (and sha256) in every folder made
        model = build_model("mlp", load_dataset("toy2d"), width=8)
    save_checkpoint(folder, Checkpoint(model.state_dict(), {
        "kind": "classifier", "model": "mlp", "model_kwargs": {"width": 8}, "data": "toy2d",
        "train_subset": None, "epoch": 1, "step": 3, "history": []}))
    return folder


def agent_folder(folder):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = PolicyValueNet(board_shape=(3, 3), num_actions=9, channels=4, blocks=1)
    save_network(folder, net, game="tictactoe", round=1, meta={"seed": 0})
    return folder


def _state(make) -> dict:
    """The JSON state of a freshly saved folder (made once, at import, in a temporary folder)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        return json.loads((make(Path(tmp)) / POINTER).read_text())


CLASSIFIER_STATE = _state(classifier_folder)
AGENT_STATE = _state(agent_folder)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-ck")
    outside = root / "outside.txt"
    outside.write_text("untouched")
    made = {"classifier": classifier_folder(root / "classifier"),
            "alphazero": agent_folder(root / "alphazero")}
    assert json.loads((made["classifier"] / POINTER).read_text()) == CLASSIFIER_STATE
    assert json.loads((made["alphazero"] / POINTER).read_text()) == AGENT_STATE
    for kind, folder in made.items():  # unmutated, both load
        assert load_trained(folder).kind == kind
    return made, outside


def load_or_refuse(kind, folder) -> None:
    try:
        if kind == "classifier":
            evaluate_checkpoint(folder)
        load_trained(folder)
    except ALLOWED:
        pass


@given(doc=mutated(CLASSIFIER_STATE))
def test_a_mutated_classifier_state_loads_or_is_refused(folders, doc):
    check(folders, "classifier", doc)


@given(doc=mutated(AGENT_STATE))
def test_a_mutated_agent_state_loads_or_is_refused(folders, doc):
    check(folders, "alphazero", doc)


def check(folders, kind, doc) -> None:
    made, outside = folders
    folder = made[kind]
    before = sorted(p.name for p in (folder / "checkpoints").iterdir())
    (folder / POINTER).write_text(json.dumps(doc))
    load_or_refuse(kind, folder)
    assert outside.read_text() == "untouched"
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == before
