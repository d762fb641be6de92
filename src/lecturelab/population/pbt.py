"""Population-based training (Jaderberg et al. 2017, "Population Based Training of Neural
Networks", Sec. 3): members train independently and, when `ready`, `exploit` the population
(copy the weights and hyperparameters of a better member) and `explore` (perturb the copied
hyperparameters). Lecture 1: "a population of agents, each trains individually; like
evolutionary algorithms".

The loop is asynchronous in the paper's sense: members are stepped one after another, and each
decides against the population as it is at that moment; no generation barrier. A `Trainable`
says how to train, score and copy one member, so the same loop drives the paper's toy
(population/toy.py), a classifier (population/classifier.py) or anything else.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

Hyperparams = dict[str, float]


@dataclass(eq=False)
class Member:
    """One member of the population: its hyperparameters h, its state (weights) theta, its
    latest score, and a history of (step, score, h) rows for figures."""

    id: int
    hyperparams: Hyperparams
    state: Any
    score: float = float("-inf")
    steps: int = 0
    last_ready: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


class Trainable(Protocol):
    """What PBT needs of a training task."""

    def train(self, member: Member, steps: int) -> None:
        """Advance `member.state` by `steps` steps with `member.hyperparams`."""

    def evaluate(self, member: Member) -> float:
        """The member's score (higher is better), e.g. validation accuracy."""


@dataclass(frozen=True)
class PBTConfig:
    interval: int = 4  # steps between `ready` decisions (Sec. 3: "ready" after a fixed budget)
    fraction: float = 0.25  # truncation selection: the worst 25% copy the best 25% (Sec. 4.1)
    factors: tuple[float, ...] = (0.8, 1.2)  # explore: multiply each hyperparameter by one
    exploit: bool = True  # False: members never copy (the "explore only" ablation)
    explore: bool = True  # False: copies keep their hyperparameters ("exploit only")
    copy_hyperparams: bool = True  # exploit copies h with theta; the paper's toy copies theta only


def ready(member: Member, interval: int) -> bool:
    """A member is ready once it has trained `interval` steps since its last decision."""
    return member.steps - member.last_ready >= interval


def truncation_exploit(population: Sequence[Member], member: Member, fraction: float,
                       rng: np.random.Generator) -> Member | None:
    """If `member` ranks in the bottom `fraction` by score, a member of the top `fraction` of
    the others chosen uniformly to copy; otherwise None (Sec. 4.1, "truncation selection").

    Ties count against the member deciding: it is in the bottom `fraction` when fewer than that
    many members score strictly below it, so a population of equals still shares its progress.
    """
    k = max(1, int(round(fraction * len(population))))
    others = sorted((m for m in population if m is not member), key=lambda m: m.score)
    if not others or sum(m.score < member.score for m in others) >= k:
        return None
    top = others[-k:]
    return top[int(rng.integers(len(top)))]


def perturb(hyperparams: Hyperparams, factors: Sequence[float],
            rng: np.random.Generator) -> Hyperparams:
    """Explore by perturbation: each hyperparameter times a factor drawn from `factors`."""
    return {name: value * float(rng.choice(factors)) for name, value in hyperparams.items()}


def resample(hyperparams: Hyperparams, priors: dict[str, Callable[[np.random.Generator], float]],
             probability: float, rng: np.random.Generator) -> Hyperparams:
    """Explore by resampling: each hyperparameter redrawn from its prior with `probability`."""
    return {name: priors[name](rng) if rng.random() < probability else value
            for name, value in hyperparams.items()}


def step_member(population: Sequence[Member], member: Member, task: Trainable, cfg: PBTConfig,
                rng: np.random.Generator) -> None:
    """Train one member for one interval, score it, and if ready exploit and explore."""
    task.train(member, cfg.interval)
    member.steps += cfg.interval
    member.score = task.evaluate(member)
    if ready(member, cfg.interval):
        member.last_ready = member.steps
        source = truncation_exploit(population, member, cfg.fraction, rng) if cfg.exploit \
            else None
        if source is not None:
            member.state = copy.deepcopy(source.state)
            if cfg.copy_hyperparams:
                member.hyperparams = dict(source.hyperparams)
            member.score = source.score
        if cfg.explore and (source is not None or not cfg.exploit):
            member.hyperparams = perturb(member.hyperparams, cfg.factors, rng)
    member.history.append({"step": member.steps, "score": member.score,
                           "hyperparams": dict(member.hyperparams)})


def train_population(population: Sequence[Member], task: Trainable, cfg: PBTConfig, *,
                     steps: int, seed: int = 0, rng: np.random.Generator | None = None,
                     first_round: int = 0,
                     on_round: Callable[[int], None] | None = None) -> list[Member]:
    """Run PBT until every member has trained `steps` steps; return the population, best first.

    Members take turns an interval at a time (asynchronous: each decides against the others'
    latest scores). With exploit and explore off this is independent training of equal compute.
    `rng` (default: seeded by `seed`) drives exploit and explore; a resumed run passes the saved
    one with `first_round`, the round to start from. `on_round(r)` runs after each round.
    """
    rng = rng if rng is not None else np.random.default_rng(seed)
    if first_round == 0:
        for member in population:
            member.score = task.evaluate(member)
    rounds = -(-steps // cfg.interval)
    for r in range(first_round, rounds):
        for member in population:
            step_member(population, member, task, cfg, rng)
        if on_round:
            on_round(r)
    return sorted(population, key=lambda m: m.score, reverse=True)
