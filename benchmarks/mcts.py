"""MCTS speed: simulations per second and self-play games per minute, batched vs unbatched.

Batched: B trees searched in lockstep, their leaves evaluated in one network call
(games/mcts.py). Unbatched: one tree at a time, one network call per simulation. Self-play is
also timed with worker processes (games/selfplay.py, SelfPlayWorkers). Runs on the CPU, and on
the GPU too when one is present.

    python benchmarks/mcts.py                       # both games, about a minute
    python benchmarks/mcts.py --game connect4 --batch 256 --simulations 64
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lecturelab.games.alphazero import cpu_threads, training_config
from lecturelab.games.base import get_game
from lecturelab.games.mcts import RolloutEvaluator, search
from lecturelab.games.network import NetworkEvaluator, PolicyValueNet
from lecturelab.games.selfplay import SelfPlayWorkers, self_play


def simulations_per_second(game, evaluate, *, batch: int, simulations: int, rounds: int) -> float:
    rng = np.random.default_rng(0)
    roots = game.initial_states(batch)
    start = time.perf_counter()
    for _ in range(rounds):
        search(game, evaluate, roots, num_simulations=simulations, rng=rng)
    return rounds * batch * simulations / (time.perf_counter() - start)


def games_per_minute(game, net, *, games: int, batch: int, simulations: int, device) -> float:
    """Self-play `games` games, `batch` at a time in lockstep."""
    evaluate, rng = NetworkEvaluator(game, net, device=device), np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(games // batch):
        self_play(game, evaluate, games=batch, num_simulations=simulations, c_puct=1.5,
                  dirichlet_alpha=1.0, temperature_moves=4, rng=rng)
    return games / (time.perf_counter() - start) * 60


def worker_games_per_minute(name: str, net, *, games: int, workers: int, simulations: int) -> float:
    pool = SelfPlayWorkers(name, training_config(name).net_kwargs(), workers=workers)
    try:
        pool.play(net, games=workers, seed=0, num_simulations=2, c_puct=1.5,
                  dirichlet_alpha=1.0, temperature_moves=4)  # start the processes first
        start = time.perf_counter()
        pool.play(net, games=games, seed=1, num_simulations=simulations, c_puct=1.5,
                  dirichlet_alpha=1.0, temperature_moves=4)
        return games / (time.perf_counter() - start) * 60
    finally:
        pool.close()


def bench(name: str, device: torch.device, args: argparse.Namespace) -> None:
    game = get_game(name)
    net = PolicyValueNet(**training_config(name).net_kwargs()).to(device).eval()
    evaluators = {"network": NetworkEvaluator(game, net, device=device),
                  "rollout": RolloutEvaluator(game, rng=np.random.default_rng(0))}
    for kind, evaluate in evaluators.items():
        if kind == "rollout" and device.type != "cpu":
            continue
        one = simulations_per_second(game, evaluate, batch=1, simulations=args.simulations,
                                     rounds=4)
        many = simulations_per_second(game, evaluate, batch=args.batch,
                                      simulations=args.simulations, rounds=1)
        print(f"{name:9} {device.type:4} {kind:7} simulations/s: unbatched {one:9.0f}   "
              f"batched (B={args.batch}) {many:9.0f}   x{many / one:.1f}")
    one = games_per_minute(game, net, games=4, batch=1, simulations=args.simulations,
                           device=device)
    many = games_per_minute(game, net, games=args.games, batch=args.games,
                            simulations=args.simulations, device=device)
    line = (f"{name:9} {device.type:4} self-play games/min: unbatched {one:7.1f}   "
            f"batched (B={args.games}) {many:7.1f}")
    if device.type == "cpu" and args.workers:
        workers = worker_games_per_minute(name, net, games=args.games, workers=args.workers,
                                          simulations=args.simulations)
        line += f"   {args.workers} worker processes {workers:7.1f}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", choices=["tictactoe", "connect4", "both"], default="both")
    parser.add_argument("--batch", type=int, default=128, help="trees searched in lockstep")
    parser.add_argument("--games", type=int, default=64, help="self-play games, batched")
    parser.add_argument("--simulations", type=int, default=32, help="per move")
    parser.add_argument("--workers", type=int, default=2, help="self-play processes (0: skip)")
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available()
                                       else [])
    names = ["tictactoe", "connect4"] if args.game == "both" else [args.game]
    with cpu_threads(1):
        for device in devices:
            for name in names:
                bench(name, device, args)


if __name__ == "__main__":
    main()
