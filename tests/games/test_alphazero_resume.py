"""Issue 10, item 8: an AlphaZero run stopped after round k and resumed ends with the same
weights, bit for bit, as a run never stopped (on a CPU); the game's rules are its data."""

import json

import pytest
import torch

import lecturelab.cli.games as cli_games
from lecturelab.cli.core import UserError
from lecturelab.errors import LabError
from lecturelab.games.agent import game_record, load_network
from lecturelab.train.checkpoint import POINTER, load_checkpoint

RUN = dict(profile="smoke", iterations=3, seed=2, device="cpu", progress=False)


class Stop(Exception):
    pass


def stopped_after(monkeypatch, k: int) -> None:
    """Make the run stop right after round k's checkpoint is written."""
    save = cli_games.save_round

    def save_then_stop(folder, state, **kw):
        save(folder, state, **kw)
        if state.round == k:
            raise Stop

    monkeypatch.setattr(cli_games, "save_round", save_then_stop)


def test_resume_after_round_k_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    cli_games.train_alphazero("tictactoe", out=tmp_path / "whole", **RUN)
    with monkeypatch.context() as m:
        stopped_after(m, 1)
        with pytest.raises(Stop):
            cli_games.train_alphazero("tictactoe", out=tmp_path / "cut", **RUN)
    assert json.loads((tmp_path / "cut" / POINTER).read_text())["round"] == 1
    with pytest.raises(LabError, match="already holds a checkpoint; pass --resume"):
        cli_games.train_alphazero("tictactoe", out=tmp_path / "cut", **RUN)
    cli_games.train_alphazero("tictactoe", out=tmp_path / "cut", resume=True, **RUN)
    whole, cut = load_checkpoint(tmp_path / "whole"), load_checkpoint(tmp_path / "cut")
    assert whole.model_state.keys() == cut.model_state.keys()
    assert all(torch.equal(whole.model_state[k], cut.model_state[k]) for k in whole.model_state)
    assert all(torch.equal(whole.extra[k], cut.extra[k]) for k in whole.extra)
    assert [r["round"] for r in cut.meta["history"]] == [1, 2, 3]
    net, meta = load_network(tmp_path / "cut")
    assert meta["dataset"] == game_record("tictactoe")


def test_resume_refuses_another_config_seed_or_game_rules(tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        stopped_after(m, 1)
        with pytest.raises(Stop):
            cli_games.train_alphazero("tictactoe", out=tmp_path, **RUN)
    with pytest.raises(UserError, match="its seed is 2, this run's is 3"):
        cli_games.train_alphazero("tictactoe", out=tmp_path, resume=True, **{**RUN, "seed": 3})
    with pytest.raises(UserError, match="its config is"):
        cli_games.train_alphazero("tictactoe", out=tmp_path, resume=True,
                                  **{**RUN, "iterations": 4})
    state = json.loads((tmp_path / POINTER).read_text())
    state["dataset"]["fingerprint"] = "0" * 64
    (tmp_path / POINTER).write_text(json.dumps(state))
    with pytest.raises(LabError, match="was trained on tictactoe .* but --resume would use"):
        cli_games.train_alphazero("tictactoe", out=tmp_path, resume=True, **RUN)


def test_an_agent_saved_without_training_state_cannot_resume(tmp_path):
    from lecturelab.games.agent import save_network
    from lecturelab.games.network import PolicyValueNet

    save_network(tmp_path, PolicyValueNet(board_shape=(3, 3), num_actions=9, channels=4,
                                          blocks=1), game="tictactoe", round=1, meta={})
    with pytest.raises(LabError, match="cannot resume .*lacks part of the training state"):
        cli_games.train_alphazero("tictactoe", out=tmp_path, resume=True, **RUN)


def test_the_game_record_tells_the_games_apart():
    a, b = game_record("tictactoe"), game_record("connect4")
    assert a["fingerprint"] != b["fingerprint"] and a == game_record("tictactoe")
