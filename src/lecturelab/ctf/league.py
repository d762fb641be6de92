"""A population of capture-the-flag agents trained by self-play with Elo matchmaking, whose
internal reward weights and learning rate evolve by population-based training (FTW, Jaderberg
et al. 2019, "Population based training" and "Learning internal rewards"; PBT from
lecturelab.population.pbt). With exploit/explore off and hand-set weights the same task trains
the fixed-reward population of equal compute.

A member's state is its policy, optimiser and Elo (exploit copies all three); its
hyperparameters are "lr" and one weight per game event; its PBT score is its Elo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from lecturelab.ctf.agents import ConvPolicy, PolicyTeam
from lecturelab.ctf.baselines import RandomTeam
from lecturelab.ctf.game import EVENTS, CaptureTheFlag
from lecturelab.ctf.match import Record, elo_update, play_games
from lecturelab.ctf.ppo import PPOConfig, ppo_update, rollout
from lecturelab.population.pbt import Member

HAND_SET = {"pickup": 1.0, "capture": 2.0, "return": 0.5, "tag": 0.2, "tagged": -0.2,
            "closer": 0.1}  # the fixed population's internal reward, one weight per event
HAND_SET_LR = 2e-3


@dataclass(frozen=True)
class LeagueConfig:
    ppo: PPOConfig = PPOConfig()  # the PPO update each training step
    elo_k: float = 32.0  # Elo step per match (a match = the games of one training step)
    match_scale: float = 200.0  # matchmaking: opponent drawn with weight exp(-|dElo| / scale)
    eval_games: int = 64  # games against a random team on training maps per evaluation
    spread: float = 2.0  # PBT's initial weights and lr: hand-set times up to x/÷ this


@dataclass
class AgentState:
    policy: ConvPolicy
    optimizer: torch.optim.Optimizer
    elo: float = 1000.0


@dataclass
class LeagueTask:
    """The PBT `Trainable` (population/pbt.py): one training step = one PPO update on a batch
    of self-play games against an opponent from the same population chosen by Elo."""

    game: CaptureTheFlag
    cfg: LeagueConfig = LeagueConfig()
    seed: int = 0
    members: list[Member] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 7])
        self.generator = torch.Generator().manual_seed(self.seed)

    def population(self, n: int, *, evolve: bool) -> list[Member]:
        """`n` fresh members: hand-set hyperparameters, or (`evolve`) each drawn log-uniformly
        within a factor `spread` of them."""
        if n < 2:
            raise ValueError(f"a league needs at least 2 members, got {n}")
        self.members = []
        for i in range(n):
            hyper = {"lr": HAND_SET_LR, **HAND_SET}
            if evolve:
                hyper = {k: v * math.exp(self.rng.uniform(-1, 1) * math.log(self.cfg.spread))
                         for k, v in hyper.items()}
            torch.manual_seed(self.seed * 1000 + i)
            policy = ConvPolicy()
            state = AgentState(policy, torch.optim.Adam(policy.parameters(), lr=hyper["lr"]))
            self.members.append(Member(i, hyper, state))
        return self.members

    def matchmake(self, member: Member) -> Member:
        """An opponent from the others, closer Elo more likely."""
        others = [m for m in self.members if m is not member]
        gap = np.array([abs(m.state.elo - member.state.elo) for m in others])
        p = np.exp(-gap / self.cfg.match_scale)
        return others[int(self.rng.choice(len(others), p=p / p.sum()))]

    def train(self, member: Member, steps: int) -> None:
        state: AgentState = member.state
        for group in state.optimizer.param_groups:
            group["lr"] = member.hyperparams["lr"]
        weights = torch.tensor([member.hyperparams[e] for e in EVENTS], dtype=torch.float32)
        n = self.cfg.ppo.games
        for _ in range(steps):
            opponent = self.matchmake(member)
            rival = PolicyTeam(opponent.state.policy, seed=int(self.rng.integers(2**31)))
            data = rollout(self.game, state.policy, rival,
                           self.rng.integers(len(self.game.pool), size=n),
                           self.rng.integers(2**62, size=n), self.generator)
            ppo_update(state.policy, state.optimizer, data, weights, self.cfg.ppo,
                       self.generator)
            state.elo, opponent.state.elo = elo_update(state.elo, opponent.state.elo,
                                                       data.outcome, k=self.cfg.elo_k)

    def evaluate(self, member: Member) -> float:
        """Logs the member's record against a random team on training maps; scores its Elo."""
        record = self.against_random(member, self.cfg.eval_games,
                                     seed=int(self.rng.integers(2**31)))
        self.log.append({"member": member.id, "step": member.steps, "elo": member.state.elo,
                         "win_rate": record.wins / record.games,
                         "hyperparams": dict(member.hyperparams)})
        return member.state.elo

    def against_random(self, member: Member, games: int, *, seed: int,
                       game: CaptureTheFlag | None = None) -> Record:
        """The member's team against a random team over `games` games (team 0)."""
        game = game or self.game
        seeds = np.arange(games, dtype=np.uint64) + np.uint64(seed) * np.uint64(1_000_003)
        outcome, _ = play_games(game, PolicyTeam(member.state.policy, seed=seed),
                                RandomTeam(seed), np.arange(games) % len(game.pool), seeds)
        return Record.of(outcome)
