"""AlphaZero training runs shared by the lecture-1 experiments within one process.

l1.alphazero_connect4 and l1.search_per_decision measure the same connect-four run, and
l1.alphazero_tictactoe and l1.self_play_improvement the same tic-tac-toe run (its
checkpoints are what the Elo claim is about), so each (config, seed, device) trains once.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from lecturelab.games.alphazero import AlphaZeroConfig, TrainingRun, train_alphazero


@lru_cache(maxsize=8)
def training_run(cfg: AlphaZeroConfig, seed: int, device: str) -> TrainingRun:
    """Train (once per process) from random weights by self-play."""
    return train_alphazero(cfg, seed=seed, device=torch.device(device))
