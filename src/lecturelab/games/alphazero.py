"""AlphaZero training: self-play, a replay buffer, and gradient steps on the policy-value net.

Follows Silver et al. 2018 (AlphaZero, Science), which keeps one network updated continually:
every round, the latest network plays itself (selfplay.py) and is then trained on positions
sampled from the most recent games, minimising (Silver et al. 2017, Methods, eq. 1)

    l = (z - v)^2 - pi^T log p + c ||theta||^2.

Continuous updates, not the checkpoint gating of AlphaGo Zero (a new network replaced the best
one only after winning 55% of 400 evaluation games): AlphaZero showed gating is not needed,
and on 2 CPU cores the evaluation games would cost more than the self-play itself.
Departures: Adam (AdamW's decoupled weight decay as c) instead of SGD with momentum and a
stepped learning rate, and small networks and replay buffers sized for minutes on a CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lecturelab.games.base import Game, get_game
from lecturelab.games.network import NetworkEvaluator, PolicyValueNet
from lecturelab.games.selfplay import Examples, ReplayBuffer, SelfPlayWorkers, self_play
from lecturelab.runtime import computed_once, cpu_threads, seed_everything


@dataclass(frozen=True)
class AlphaZeroConfig:
    game: str = "tictactoe"          # tictactoe or connect4
    iterations: int = 20             # rounds of self-play followed by training
    games_per_iteration: int = 128   # self-play games per round (played in lockstep)
    num_simulations: int = 32        # MCTS simulations per self-play move
    c_puct: float = 1.5              # exploration constant c_puct of the PUCT rule
    dirichlet_alpha: float = 1.0     # root noise Dir(alpha); about 10 / typical number of moves
    noise_fraction: float = 0.25     # eps, the weight of the root noise
    temperature_moves: int = 2       # opening moves sampled at temperature 1, then argmax
    buffer_size: int = 40_000        # positions kept in the replay buffer (with symmetries)
    train_steps: int = 60            # gradient steps per round
    batch_size: int = 256            # positions per gradient step
    lr: float = 2e-3                 # Adam learning rate
    weight_decay: float = 1e-4       # c, the L2 weight of eq. 1 (decoupled, AdamW)
    channels: int = 32               # width of the residual tower
    blocks: int = 2                  # residual blocks in the tower
    workers: int = 0                 # self-play worker processes; 0: batched in this process

    def __post_init__(self) -> None:
        get_game(self.game)  # an unknown name fails here, naming the valid games
        counts = ("iterations", "games_per_iteration", "num_simulations", "train_steps",
                  "batch_size", "buffer_size", "channels")
        for name in counts:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.workers < 0:
            raise ValueError(f"workers must be at least 0, got {self.workers}")

    def net_kwargs(self) -> dict[str, Any]:
        game = get_game(self.game)
        return {"board_shape": game.board_shape, "num_actions": game.num_actions,
                "channels": self.channels, "blocks": self.blocks}


def training_config(game: str, profile: str = "quick", **changes: Any) -> AlphaZeroConfig:
    """The training run of a profile (quick: minutes on a 2-core CPU; full: for a GPU)."""
    get_game(game)
    profiles = TRAINING_PROFILES[game]
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(profiles)}")
    return replace(profiles[profile], **changes)


SMOKE = dict(iterations=2, games_per_iteration=8, num_simulations=4, train_steps=2,
             batch_size=32, channels=8, blocks=1)
TRAINING_PROFILES = {
    # quick: about 10 CPU-s; tau = 1 all game long makes the self-play positions varied enough
    # that the agent meets every line of the perfect player (12 rounds lose none of 200 games
    # and leave no suboptimal position, seeds 0 and 1, as 16 did)
    "tictactoe": {"quick": AlphaZeroConfig(iterations=12, temperature_moves=9, train_steps=30),
                  "full": AlphaZeroConfig(iterations=40, num_simulations=64, temperature_moves=9,
                                          train_steps=60, channels=64, blocks=3),
                  "smoke": AlphaZeroConfig(**SMOKE)},
    "connect4": {"quick": AlphaZeroConfig(game="connect4", iterations=12, games_per_iteration=64,
                                          num_simulations=16, temperature_moves=10,
                                          train_steps=50, batch_size=128, channels=16),
                 "full": AlphaZeroConfig(game="connect4", iterations=200, games_per_iteration=256,
                                         num_simulations=100, temperature_moves=10,
                                         buffer_size=500_000, train_steps=200, batch_size=512,
                                         channels=64, blocks=5),
                 "smoke": AlphaZeroConfig(game="connect4", **SMOKE)},
}


@dataclass
class TrainingRun:
    """A finished run: the final network, its weights after every round, and the losses."""

    config: AlphaZeroConfig
    net: PolicyValueNet
    snapshots: list[dict[str, torch.Tensor]]  # [0] the initial weights, [i] after round i
    history: list[dict[str, float]]
    seconds: float  # wall-clock seconds of training
    cpu_seconds: float  # CPU seconds of this process (self-play workers not included)

    def network(self, round: int) -> PolicyValueNet:
        """A fresh network holding the weights after `round` (0: the random initial ones)."""
        net = PolicyValueNet(**self.config.net_kwargs())
        net.load_state_dict(self.snapshots[round])
        return net.eval()


@dataclass
class RoundState:
    """All a run needs to continue after round `round` exactly as if never stopped: the
    network, the optimizer, the replay buffer, both random generators and the history."""

    round: int  # rounds completed
    net: dict[str, torch.Tensor]
    optimizer: dict[str, Any]  # the AdamW state_dict
    buffer: Examples | None  # the replay buffer's positions (None before the first round)
    rng: dict[str, Any]  # the NumPy generator's bit_generator.state (self-play, sampling)
    torch_rng: torch.Tensor  # torch's CPU generator state
    history: list[dict[str, float]]


def train_alphazero(cfg: AlphaZeroConfig, *, seed: int, device: torch.device | str = "cpu",
                    on_round: Callable[[int, PolicyValueNet, dict[str, float]], None] | None
                    = None, start: RoundState | None = None,
                    on_state: Callable[[RoundState], None] | None = None) -> TrainingRun:
    """Train from random weights by self-play; `on_round(i, net, stats)` after each round, then
    `on_state(state)` with what resuming needs. `start` continues a run from such a state (its
    snapshots then begin with the state's weights)."""
    device, start_time, cpu_start = torch.device(device), time.perf_counter(), time.process_time()
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    game = get_game(cfg.game)
    net = PolicyValueNet(**cfg.net_kwargs()).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    buffer = ReplayBuffer(game, capacity=cfg.buffer_size)
    history: list[dict[str, float]] = []
    if start is not None:
        history = restore_round(start, net, optimizer, buffer, rng)
    snapshots = [weights(net)]
    workers = SelfPlayWorkers(cfg.game, cfg.net_kwargs(), workers=cfg.workers) \
        if cfg.workers else None
    try:
        with cpu_threads(1 if device.type == "cpu" else torch.get_num_threads()):
            for i in range(len(history) + 1, cfg.iterations + 1):
                round_start = time.perf_counter()
                examples = play_round(game, net, cfg, workers, rng=rng, device=device)
                buffer.add(examples)
                losses = [train_step(net, optimizer, buffer.sample(cfg.batch_size, rng), device)
                          for _ in range(cfg.train_steps)]
                stats = {"round": i, "positions": len(examples), "buffer": len(buffer),
                         **{k: float(np.mean([x[k] for x in losses])) for k in losses[0]},
                         "seconds": time.perf_counter() - round_start}
                history.append(stats)
                snapshots.append(weights(net))
                if on_round is not None:
                    on_round(i, net, stats)
                if on_state is not None:
                    on_state(RoundState(i, snapshots[-1], optimizer.state_dict(), buffer.data,
                                        rng.bit_generator.state, torch.get_rng_state(),
                                        list(history)))
    finally:
        if workers is not None:
            workers.close()
    return TrainingRun(cfg, net.eval(), snapshots, history, time.perf_counter() - start_time,
                       time.process_time() - cpu_start)


def restore_round(state: RoundState, net: PolicyValueNet, optimizer: torch.optim.Optimizer,
                  buffer: ReplayBuffer, rng: np.random.Generator) -> list[dict[str, float]]:
    """Put a saved round's state into a fresh run; returns its history."""
    if len(state.history) != state.round:
        raise ValueError(f"a state after round {state.round} needs {state.round} history rows, "
                         f"got {len(state.history)}")
    net.load_state_dict(state.net)
    optimizer.load_state_dict(state.optimizer)
    buffer.data = state.buffer
    rng.bit_generator.state = state.rng
    torch.set_rng_state(state.torch_rng)
    return list(state.history)


@computed_once
def shared_training_run(cfg: AlphaZeroConfig, seed: int, device: str = "cpu") -> TrainingRun:
    """`train_alphazero` once per process for each (config, seed, device): the run that several
    lecture-1 experiments measure (l1.alphazero_connect4 and l1.search_per_decision one
    connect-four run, l1.alphazero_tictactoe and l1.self_play_improvement one tic-tac-toe run).
    Users must not change the shared network: `TrainingRun.network(i)` gives a fresh copy."""
    return train_alphazero(cfg, seed=seed, device=torch.device(device))


def weights(net: PolicyValueNet) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}


def play_round(game: Game, net: PolicyValueNet, cfg: AlphaZeroConfig,
               workers: SelfPlayWorkers | None, *, rng: np.random.Generator,
               device: torch.device) -> Examples:
    net.eval()
    play_kwargs = {"num_simulations": cfg.num_simulations, "c_puct": cfg.c_puct,
                   "dirichlet_alpha": cfg.dirichlet_alpha, "noise_fraction": cfg.noise_fraction,
                   "temperature_moves": cfg.temperature_moves}
    if workers is not None:
        return workers.play(net, games=cfg.games_per_iteration, seed=int(rng.integers(2**31)),
                            **play_kwargs)
    return self_play(game, NetworkEvaluator(game, net, device=device),
                     games=cfg.games_per_iteration, rng=rng, **play_kwargs)


def train_step(net: PolicyValueNet, optimizer: torch.optim.Optimizer, batch: Examples,
               device: torch.device) -> dict[str, float]:
    """One step on l = (z - v)^2 - pi^T log p (the L2 term lives in the optimizer)."""
    net.train()
    planes, pi, z = (torch.from_numpy(a).to(device)
                     for a in (batch.planes, batch.policies, batch.values))
    logits, v = net(planes)
    value_loss = F.mse_loss(v, z)
    policy_loss = -(pi * F.log_softmax(logits, dim=1)).sum(1).mean()
    optimizer.zero_grad(set_to_none=True)
    (value_loss + policy_loss).backward()
    optimizer.step()
    net.eval()
    return {"value_loss": value_loss.item(), "policy_loss": policy_loss.item()}

