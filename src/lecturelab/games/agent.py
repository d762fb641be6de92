"""A trained AlphaZero agent: policy-value network plus MCTS, saved and loaded as checkpoints.

    agent = Agent.from_checkpoint("checkpoints/alphazero-connect4")
    move = agent.best_move(state)          # state: a canonical state of agent.game

A checkpoint is the project's format (train/checkpoint.py): safetensors weights and a JSON
state (game, network shape, training config, round, history), committed atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from lecturelab.errors import LabError, one_line
from lecturelab.games.alphazero import RoundState
from lecturelab.games.base import Game, check_states, get_game
from lecturelab.games.mcts import MCTSPlayer
from lecturelab.games.network import NetworkEvaluator, PolicyValueNet
from lecturelab.games.selfplay import Examples
from lecturelab.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from lecturelab.train.provenance import data_record


class Agent:
    """Plays the most visited move of a noise-free PUCT search guided by the network."""

    def __init__(self, game: Game, net: PolicyValueNet, *, num_simulations: int = 64,
                 c_puct: float = 1.5, device: torch.device | str = "cpu", seed: int = 0) -> None:
        self.game, self.net = game, net.to(device).eval()
        self.evaluate = NetworkEvaluator(game, self.net, device=device)
        self.player = MCTSPlayer(game, self.evaluate, num_simulations=num_simulations,
                                 c_puct=c_puct, rng=np.random.default_rng(seed))

    @classmethod
    def from_checkpoint(cls, path: str | Path, **kwargs: Any) -> Agent:
        """Load a checkpoint folder (or its checkpoint.json); kwargs go to `Agent(...)`."""
        net, meta = load_network(path)
        return cls(get_game(meta["game"]), net, **kwargs)

    def best_move(self, state: np.ndarray) -> int:
        """The agent's move in one canonical state."""
        return int(self.choose(check_states(self.game, state))[0])

    def choose(self, states: np.ndarray) -> np.ndarray:
        """(n,) moves for a batch of states: the arena's player interface."""
        return self.player.choose(states)

    def policy(self, states: np.ndarray) -> np.ndarray:
        """(n, A) the network's prior over legal moves, without search."""
        return self.evaluate(check_states(self.game, states))[0]


def save_network(folder: str | Path, net: PolicyValueNet, *, game: str, round: int,
                 meta: dict[str, Any]) -> Path:
    """Write weights + JSON state atomically; returns the checkpoint.json path."""
    state = {"kind": "alphazero", "game": game, "net": net.kwargs, "round": round,
             "epoch": round, **meta}
    return save_checkpoint(Path(folder), Checkpoint(model_state=net.state_dict(), meta=state))


def save_round(folder: str | Path, state: RoundState, *, game: str, net_kwargs: dict[str, Any],
               meta: dict[str, Any]) -> Path:
    """A checkpoint an AlphaZero run resumes from exactly: the network (what `load_network`
    and `play` read), the optimizer, the replay buffer (extra.buffer.*), torch's generator,
    the NumPy generator's state and the round's history in the JSON."""
    buffer = {} if state.buffer is None else {
        f"buffer.{name}": torch.from_numpy(getattr(state.buffer, name))
        for name in ("planes", "policies", "values")}
    json_state = {"kind": "alphazero", "game": game, "net": net_kwargs, "round": state.round,
                  "epoch": state.round, "history": state.history, "numpy_rng": state.rng,
                  "dataset": game_record(game), **meta}
    return save_checkpoint(Path(folder), Checkpoint(
        model_state=state.net, meta=json_state, optimizer_state=state.optimizer,
        rng_state={"torch": state.torch_rng}, extra=buffer))


def load_round(path: str | Path) -> tuple[RoundState, dict[str, Any]]:
    """The state an AlphaZero checkpoint resumes from, and its JSON state; a checkpoint that
    lacks part of it (written before resumable agents) is a one-line error."""
    ckpt = load_checkpoint(path)
    meta = ckpt.meta
    if ckpt.kind != "alphazero":
        raise LabError(f"cannot resume {path}: it holds a {ckpt.kind}, not an AlphaZero agent")
    try:
        buffer = (Examples(*(ckpt.extra[f"buffer.{name}"].numpy()
                             for name in ("planes", "policies", "values")))
                  if ckpt.extra else None)
        state = RoundState(int(meta["round"]), ckpt.model_state, ckpt.optimizer_state, buffer,
                           meta["numpy_rng"], ckpt.rng_state["torch"], list(meta["history"]))
    except (KeyError, TypeError, ValueError) as e:
        raise LabError(f"cannot resume {path}: its checkpoint lacks part of the training state "
                       f"({one_line(repr(e))}; written before AlphaZero runs could resume?)"
                       ) from e
    if state.optimizer is None:
        raise LabError(f"cannot resume {path}: its checkpoint holds no optimizer state "
                       f"(written before AlphaZero runs could resume)")
    return state, meta


def game_record(game: str) -> dict[str, str]:
    """The "dataset" record of an agent: the game is its data, fingerprinted by its rules'
    behaviour (board, moves and every position and result of 16 seeded random games)."""
    rules = get_game(game)
    rng = np.random.default_rng(0)
    states, seen = rules.initial_states(16), []
    while len(states):
        seen += [rules.encode(states), rules.legal_moves(states)]
        legal = rules.legal_moves(states)
        choice = np.array([rng.choice(np.flatnonzero(row)) for row in legal])
        states = rules.play(states, choice)
        over = rules.terminal_value(states)
        seen.append(over)
        states = states[np.isnan(over)]
    return data_record(game, "", [np.array(rules.board_shape), *seen])


def load_network(path: str | Path) -> tuple[PolicyValueNet, dict[str, Any]]:
    """The network of an AlphaZero checkpoint and its JSON state."""
    ckpt = load_checkpoint(path)
    if ckpt.meta.get("kind") != "alphazero":
        raise ValueError(f"{path} is not an AlphaZero checkpoint (kind {ckpt.meta.get('kind')!r})")
    kwargs = {**ckpt.meta["net"], "board_shape": tuple(ckpt.meta["net"]["board_shape"])}
    net = PolicyValueNet(**kwargs)
    net.load_state_dict(ckpt.model_state)
    return net.eval(), ckpt.meta
