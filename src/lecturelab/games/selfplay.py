"""Self-play and the replay buffer of AlphaZero (lecture 1: self-play generates the data).

Follows Silver et al. 2017 (AlphaGo Zero), Methods, "Self-play": every move is chosen by MCTS
with Dirichlet noise at the root; for the first `temperature_moves` moves a move is sampled in
proportion to its visit count (temperature 1), later the most visited move is played
(temperature -> 0). Each position yields (s, pi, z): the planes, the search policy
pi = N(s, .) / N(s), and the game's result z for the player to move at s.

All games of a call are played in lockstep, so one network call serves one simulation of every
game. `SelfPlayWorkers` spreads games over CPU worker processes instead; batched play in one
process is the default because on 2 cores the workers' start-up and their smaller batches cost
more than they save (benchmarks/mcts.py measures both).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lecturelab.games.base import Game, get_game
from lecturelab.games.mcts import Evaluator, search, select_action
from lecturelab.games.network import NetworkEvaluator, PolicyValueNet


@dataclass
class Examples:
    """Training positions: planes (n, 2, H, W), search policies (n, A), results z (n,)."""

    planes: np.ndarray
    policies: np.ndarray
    values: np.ndarray

    @classmethod
    def concat(cls, parts: list[Examples]) -> Examples:
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("planes", "policies", "values")))

    def __len__(self) -> int:
        return len(self.values)


def self_play(game: Game, evaluate: Evaluator, *, games: int, num_simulations: int,
              c_puct: float, dirichlet_alpha: float, noise_fraction: float = 0.25,
              temperature_moves: int, rng: np.random.Generator) -> Examples:
    """Play `games` games against itself, all in lockstep; return every position's (s, pi, z)."""
    states, playing = game.initial_states(games), np.arange(games)
    seen: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []  # (games, states, pi, ply)
    result, end_ply = np.zeros(games), np.zeros(games, np.int64)
    ply = 0
    while playing.size:
        visits = search(game, evaluate, states, num_simulations=num_simulations, c_puct=c_puct,
                        dirichlet_alpha=dirichlet_alpha, noise_fraction=noise_fraction,
                        rng=rng).visit_counts
        seen.append((playing, states, visits / visits.sum(1, keepdims=True), ply))
        temperature = 1.0 if ply < temperature_moves else 0.0
        states = game.play(states, select_action(visits, temperature=temperature, rng=rng))
        ply += 1
        over = game.terminal_value(states)
        done = ~np.isnan(over)
        result[playing[done]], end_ply[playing[done]] = over[done], ply
        states, playing = states[~done], playing[~done]
    return Examples(
        planes=np.concatenate([game.encode(s) for _, s, _, _ in seen]),
        policies=np.concatenate([pi for _, _, pi, _ in seen]).astype(np.float32),
        # z for the player to move at ply t: the final result, negated once per ply to the end
        values=np.concatenate([result[g] * (-1.0) ** (end_ply[g] - t) for g, _, _, t in seen]
                              ).astype(np.float32),
    )


class ReplayBuffer:
    """The most recent `capacity` positions, each stored with all of the board's symmetries
    (Silver et al. 2017 augment the training data by the dihedral group of the board)."""

    def __init__(self, game: Game, *, capacity: int) -> None:
        self.game, self.capacity = game, capacity
        self.data: Examples | None = None

    def add(self, examples: Examples) -> None:
        parts = [Examples(p, pi, examples.values)
                 for p, pi in self.game.symmetries(examples.planes, examples.policies)]
        merged = Examples.concat(parts if self.data is None else [self.data, *parts])
        keep = slice(max(0, len(merged) - self.capacity), None)
        self.data = Examples(merged.planes[keep], merged.policies[keep], merged.values[keep])

    def sample(self, batch_size: int, rng: np.random.Generator) -> Examples:
        if self.data is None:
            raise ValueError("the replay buffer is empty")
        idx = rng.integers(0, len(self.data), batch_size)
        return Examples(self.data.planes[idx], self.data.policies[idx], self.data.values[idx])

    def __len__(self) -> int:
        return 0 if self.data is None else len(self.data)


def play_in_worker(game_name: str, net_kwargs: dict[str, Any], weights: dict[str, torch.Tensor],
                   seed: list[int], play_kwargs: dict[str, Any]) -> Examples:
    torch.set_num_threads(1)
    game = get_game(game_name)
    net = PolicyValueNet(**net_kwargs)
    net.load_state_dict(weights)
    return self_play(game, NetworkEvaluator(game, net.eval()), rng=np.random.default_rng(seed),
                     **play_kwargs)


class SelfPlayWorkers:
    """Self-play spread over `workers` CPU processes (spawned once, reused every iteration)."""

    def __init__(self, game_name: str, net_kwargs: dict[str, Any], *, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.game_name, self.net_kwargs, self.workers = game_name, net_kwargs, workers
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def play(self, net: PolicyValueNet, *, games: int, seed: int, **play_kwargs: Any) -> Examples:
        weights = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        shares = [games // self.workers + (i < games % self.workers) for i in range(self.workers)]
        jobs = [self.pool.submit(play_in_worker, self.game_name, self.net_kwargs, weights,
                                 [seed, i], {**play_kwargs, "games": n})
                for i, n in enumerate(shares) if n]
        return Examples.concat([job.result() for job in jobs])

    def close(self) -> None:
        self.pool.shutdown()
