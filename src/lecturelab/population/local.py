"""Population-based training of an MLP classifier in this process, checkpointed every round.

`run_population(folder, PopulationRun(...))` trains a population (population/classifier.py)
with PBT (population/pbt.py) and saves it after every round (population/checkpoint.py);
`resume=True` continues a killed run to the same population an unbroken run reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from lecturelab.data import load_dataset
from lecturelab.errors import LabError
from lecturelab.population.checkpoint import PopulationState, load_population, save_population
from lecturelab.population.classifier import ClassifierTask, ClassifierTaskConfig
from lecturelab.population.pbt import Member, PBTConfig, train_population
from lecturelab.train.checkpoint import training_folder


@dataclass(frozen=True)
class PopulationRun:
    members: int = 8  # population size
    steps: int = 1500  # SGD steps of each member
    interval: int = 150  # steps between exploit / explore decisions
    seed: int = 0  # weights, starting hyperparameters and PBT's choices
    dataset: str = "mnist1d"  # a registered vector dataset


def run_population(folder: Path, run: PopulationRun, *, resume: bool = False,
                   force: bool = False, device: torch.device | None = None,
                   on_round: Callable[[int, int], None] | None = None
                   ) -> tuple[list[Member], ClassifierTask]:
    """Train (or, with `resume`, continue) the population in `folder`; return it best first
    and its task. `on_round(done, total)` reports progress after each saved round."""
    device = device or torch.device("cpu")
    with training_folder(folder, resume=resume, force=force):
        task = ClassifierTask(load_dataset(run.dataset, seed=run.seed), ClassifierTaskConfig(),
                              device=device)
        state = (resumed(folder, task, run) if resume else
                 PopulationState(task.population(run.members, run.seed), 0,
                                 np.random.default_rng(run.seed), asdict(run)))
        rounds = -(-run.steps // run.interval)

        def saved(r: int) -> None:
            state.next_round = r + 1
            save_population(folder, task, state)
            if on_round:
                on_round(r + 1, rounds)

        best = train_population(state.members, task, PBTConfig(interval=run.interval),
                                steps=run.steps, rng=state.rng, first_round=state.next_round,
                                on_round=saved)
        return best, task


def resumed(folder: Path, task: ClassifierTask, run: PopulationRun) -> PopulationState:
    """The saved population, if it was started with the same settings as `run`."""
    state = load_population(folder, task)
    if state.config != asdict(run):
        changed = sorted(k for k in asdict(run) if state.config.get(k) != asdict(run)[k])
        raise LabError(f"{folder} was started with other settings ({', '.join(changed)}: "
                       f"{', '.join(str(state.config.get(k)) for k in changed)}); resume it "
                       f"with those")
    return state
