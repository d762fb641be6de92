"""Capture-the-flag speed: game-steps per second of the vectorised game (G games stepped at
once in numpy arrays) against one game at a time, on one core, with and without computing the
agents' observations, and with a PPO learner in the loop.

Rates are game-steps (one step of one 2-vs-2 game) per CPU second of this process, so a busy
machine does not skew the ratios.

    python benchmarks/ctf.py                    # 256 and 1,024 games, about a minute
    python benchmarks/ctf.py --games 64 256 --steps 40
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lecturelab.ctf.agents import ConvPolicy
from lecturelab.ctf.baselines import RandomTeam
from lecturelab.ctf.game import CaptureTheFlag, GameConfig, MapPool
from lecturelab.ctf.maps import maps_for
from lecturelab.ctf.ppo import PPOConfig, ppo_update, rollout
from lecturelab.runtime import cpu_threads


def env_rate(game: CaptureTheFlag, games: int, *, observe: bool, min_steps: int) -> float:
    """Game-steps per CPU second playing random actions in batches of `games`."""
    rng = np.random.default_rng(0)
    done, seed = 0, 0
    start = time.process_time()
    while done < min_steps:
        state = game.reset(np.arange(games) % len(game.pool), np.arange(games) + seed)
        seed += games
        while not game.done(state):
            if observe:
                game.observe(state)
            state, _ = game.step(state, rng.integers(5, size=(games, 4)))
            done += games
    return done / (time.process_time() - start)


def training_rate(game: CaptureTheFlag, games: int, updates: int) -> float:
    """Game-steps per CPU second of self-play rollouts plus PPO updates."""
    policy = ConvPolicy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
    generator, rng = torch.Generator().manual_seed(0), np.random.default_rng(0)
    weights = torch.tensor([1.0, 2.0, 0.5, 0.2, -0.2, 0.1])
    start = time.process_time()
    for _ in range(updates):
        data = rollout(game, policy, RandomTeam(), rng.integers(len(game.pool), size=games),
                       rng.integers(2**62, size=games), generator)
        ppo_update(policy, optimizer, data, weights, PPOConfig(games=games), generator)
    return updates * games * game.cfg.time_limit / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, nargs="+", default=[256, 1024],
                        help="games stepped at once")
    parser.add_argument("--steps", type=int, default=200_000, help="game-steps per timing")
    parser.add_argument("--single-steps", type=int, default=4_000,
                        help="game-steps one game at a time")
    args = parser.parse_args()
    game = CaptureTheFlag(MapPool.from_maps(maps_for("train", 100, seed=0)), GameConfig())
    with cpu_threads(1):
        rows = []
        for observe in (False, True):
            one = env_rate(game, 1, observe=observe, min_steps=args.single_steps)
            many = [env_rate(game, g, observe=observe, min_steps=args.steps)
                    for g in args.games]
            rows.append(("step + observe" if observe else "step", one, many))
        one = training_rate(game, 1, 20)
        rows.append(("PPO in the loop", one, [training_rate(game, g, max(2, 20_000 // g // 4))
                                              for g in args.games]))
    head = "".join(f"   {g:>5} games   ratio" for g in args.games)
    print(f"{'game-steps / CPU s':18} {'one game':>10}{head}")
    for name, one, many in rows:
        cells = "".join(f" {m:13,.0f} {m / one:6.1f}x" for m in many)
        print(f"{name:18} {one:10,.0f}{cells}")


if __name__ == "__main__":
    main()
