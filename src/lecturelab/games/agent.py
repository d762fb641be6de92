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

from lecturelab.games.base import Game, check_states, get_game
from lecturelab.games.mcts import MCTSPlayer
from lecturelab.games.network import NetworkEvaluator, PolicyValueNet
from lecturelab.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint


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


def load_network(path: str | Path) -> tuple[PolicyValueNet, dict[str, Any]]:
    """The network of an AlphaZero checkpoint and its JSON state."""
    ckpt = load_checkpoint(path)
    if ckpt.meta.get("kind") != "alphazero":
        raise ValueError(f"{path} is not an AlphaZero checkpoint (kind {ckpt.meta.get('kind')!r})")
    kwargs = {**ckpt.meta["net"], "board_shape": tuple(ckpt.meta["net"]["board_shape"])}
    net = PolicyValueNet(**kwargs)
    net.load_state_dict(ckpt.model_state)
    return net.eval(), ckpt.meta
