"""l3.architecture_search - AmoebaNet: an architecture found by an evolutionary algorithm, a DAG of
predefined layers (lecture 3, "Going deeper: case studies").

Real et al. 2019, "Regularized Evolution for Image Classifier Architecture Search", Algorithm 1:
a population of P cells, started at random; each cycle samples S members (with replacement),
mutates the best of them (`lecturelab.models.evolved.mutate`), scores the child, adds it and
removes the *oldest* member (age-based removal, the regularisation), so that a cell survives only
by being re-discovered. Random search draws every candidate from the same cell distribution;
both get the same number of scored candidates, and share their first P random cells. Each
candidate is scored by a short proxy training: an `EvolvedNet` of the cell, narrow and shallow,
trained on CIFAR-10 training images area-averaged to a small size and scored on held-out
training images (never the test set). The score is a deterministic function of the cell (fixed
seed), cached, as Real et al. score each model once. A search's result is the best proxy score it
found; the check compares evolution's mean over seeds with random search's median over seeds.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from matplotlib.figure import Figure

from lecturelab.data import ClassificationData
from lecturelab.experiments.lecture3.common import cifar10, downsample
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.evolved import EvolvedNet, Genotype, mutate, random_genotype
from lecturelab.train.loop import TrainConfig
from lecturelab.train.quick_fit import fit

Scored = tuple[Any, float]  # (candidate, score)


@dataclass(frozen=True)
class ArchitectureSearchConfig:
    seeds: int = 3  # search seeds, each a pair of searches
    evaluations: int = 20  # scored candidates a search (evolution's first population included)
    population: int = 6  # P: evolution's population size
    sample: int = 3  # S: members sampled for each tournament
    blocks: int = 5  # pairwise combinations a cell
    size: int = 8  # proxy image side (area averaging)
    n_train: int = 1000  # proxy training images
    n_val: int = 1000  # held-out training images that score the proxy
    channels: int = 8  # proxy net width
    stages: int = 1  # proxy net stages (one cell each)
    epochs: int = 2  # proxy training passes
    batch_size: int = 100  # proxy images a step
    lr: float = 0.2  # proxy peak learning rate (scaled with the batch, Goyal et al. 2017)


@experiment(
    "l3.architecture_search", lecture=3,
    claim="AmoebaNet: an architecture found by an evolutionary algorithm; a DAG of predefined "
          "layers.",
    criterion="regularised evolution (age-based removal) over a cell search space, each "
              "candidate scored by a short proxy training, beats the median of random search "
              "with the same number of evaluated candidates (mean over 3 seeds)",
    quick=ArchitectureSearchConfig(),
    full=ArchitectureSearchConfig(evaluations=200, population=40, sample=10, size=32,
                                  n_train=10_000, n_val=5_000, channels=16, stages=3, epochs=5),
    smoke=ArchitectureSearchConfig(seeds=1, evaluations=3, population=2, sample=2, blocks=2,
                                   n_train=100, n_val=100, epochs=1),
)
def architecture_search(cfg: ArchitectureSearchConfig, run: Run) -> Result:
    data = proxy_data(cifar10(run.profile), cfg, run.seed)
    cache: dict[Genotype, float] = {}

    def score(genotype: Genotype) -> float:
        if genotype not in cache:
            torch.manual_seed(run.seed)
            model = EvolvedNet(genotype, channels=cfg.channels, cells=1, stages=cfg.stages)
            train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                                seed=run.seed)
            cache[genotype] = fit(model, data, train, run.device, channels_last=True).test_acc
        return cache[genotype]

    def sample(rng: random.Random) -> Genotype:
        return random_genotype(rng, blocks=cfg.blocks)

    searches: dict[str, list[Search]] = {"evolution": [], "random": []}
    for i in range(cfg.seeds):
        searches["evolution"].append(regularized_evolution(
            score, sample, mutate, evaluations=cfg.evaluations, population_size=cfg.population,
            sample_size=cfg.sample, rng=random.Random(run.seed + i)))
        searches["random"].append(random_search(score, sample, evaluations=cfg.evaluations,
                                                rng=random.Random(run.seed + i)))
        run.log(f"seed {run.seed + i}: best evolution {searches['evolution'][-1].best[1]:.4f}, "
                f"best random {searches['random'][-1].best[1]:.4f}")
    best = {name: [s.best[1] for s in runs] for name, runs in searches.items()}
    evolution_mean = statistics.fmean(best["evolution"])
    random_median = statistics.median(best["random"])
    found = max((s.best for s in searches["evolution"]), key=lambda m: m[1])[0]
    run.log(f"best cell found by evolution: {found}")
    return Result(
        metrics={"best_score": best, "evolution_mean": evolution_mean,
                 "evolution_std": statistics.pstdev(best["evolution"]),
                 "random_median": random_median, "random_mean": statistics.fmean(best["random"]),
                 "random_std": statistics.pstdev(best["random"]), "cells_scored": len(cache),
                 "best_cell": [list(c) for c in found]},
        checks=[Check.above("evolution's best score (mean over seeds) minus the median of random "
                            "search's", evolution_mean - random_median, 0.0,
                            detail=f"evolution {evolution_mean:.4f} vs random median "
                                   f"{random_median:.4f}")],
        figures={"search": figure(searches)},
        headline=("evolution_mean", "random_median"),
    )


@dataclass
class Search:
    history: list[Scored]  # every scored candidate, in order
    population: list[Scored]  # the final population (evolution), oldest first

    @property
    def best(self) -> Scored:
        return max(self.history, key=lambda m: m[1])


def regularized_evolution(score: Callable[[Any], float], sample: Callable[[random.Random], Any],
                          mutate: Callable[[Any, random.Random], Any], *, evaluations: int,
                          population_size: int, sample_size: int, rng: random.Random) -> Search:
    """Real et al. 2019, Algorithm 1, with `evaluations` scored candidates in all."""
    if not 1 <= population_size <= evaluations or sample_size < 1:
        raise ValueError(f"need 1 <= population_size <= evaluations and sample_size >= 1, got "
                         f"{population_size}, {evaluations}, {sample_size}")
    population: deque[Scored] = deque()
    history: list[Scored] = []
    while len(history) < evaluations:
        if len(history) < population_size:
            child = sample(rng)
        else:
            parent = max((rng.choice(population) for _ in range(sample_size)), key=lambda m: m[1])
            child = mutate(parent[0], rng)
        member = (child, score(child))
        population.append(member)
        history.append(member)
        if len(population) > population_size:
            population.popleft()  # the oldest dies, however good
    return Search(history, list(population))


def random_search(score: Callable[[Any], float], sample: Callable[[random.Random], Any], *,
                  evaluations: int, rng: random.Random) -> Search:
    """`evaluations` candidates drawn independently; the best is kept."""
    history = [(c, score(c)) for c in (sample(rng) for _ in range(evaluations))]
    return Search(history, [])


def proxy_data(data: ClassificationData, cfg: ArchitectureSearchConfig,
               seed: int) -> ClassificationData:
    """Class-balanced training images, split into proxy-train and held-out validation."""
    pool = data.subset(n_train=cfg.n_train + cfg.n_val, n_test=0, seed=seed)
    order = torch.randperm(cfg.n_train + cfg.n_val, generator=torch.Generator().manual_seed(seed))
    train, val = order[: cfg.n_train], order[cfg.n_train:]
    split = dataclasses.replace(pool, x_train=pool.x_train[train], y_train=pool.y_train[train],
                                x_test=pool.x_train[val], y_test=pool.y_train[val])
    return downsample(split, cfg.size) if cfg.size != split.input_shape[-1] else split


def figure(searches: dict[str, list[Search]]) -> Figure:
    """Best proxy score found so far against candidates scored, mean over seeds."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for name, runs in searches.items():
        curves = torch.tensor([[s for _, s in r.history] for r in runs]).cummax(1).values
        ax.plot(range(1, curves.shape[1] + 1), curves.mean(0), label=name)
    ax.set(xlabel="candidates scored", ylabel="best proxy accuracy so far (mean over seeds)",
           title="Regularised evolution vs random search")
    ax.legend()
    return fig
