"""l1.population_training - a population of learners, each training individually, that copy
from and perturb each other like an evolutionary algorithm (lecture 1, capture the flag part).

Population-based training, Jaderberg et al. (2017): Sec. 3 (ready / exploit / explore),
Sec. 4.1 (truncation selection, perturbation by x0.8 / x1.2), Fig. 2 (the toy problem). Two
measurements: the toy, where a member's surrogate only sees one coordinate of theta, so only a
population that shares theta reaches the optimum; and a real task, the learning rate and weight
decay of an MLP on mnist1d, against independent runs of the same initial hyperparameters and
the same steps each (equal total compute). Departure, as in the paper's toy: there exploit
copies theta but not h (copying h too would leave every member with one surrogate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from lecturelab.data import load_dataset
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.population.classifier import ClassifierTask, ClassifierTaskConfig
from lecturelab.population.pbt import Member, PBTConfig, train_population
from lecturelab.population.toy import ToyTask, toy_population


@dataclass(frozen=True)
class PopulationConfig:
    toy_members: int = 4  # toy population: half h = (1, 0), half h = (0, 1)
    toy_steps: int = 400  # gradient-ascent steps of each toy member
    toy_interval: int = 4  # toy steps between ready decisions (the paper's Fig. 2)
    members: int = 8  # classifier population size (and number of independent runs)
    steps: int = 1500  # SGD steps of each classifier member
    interval: int = 150  # classifier steps between ready decisions


@experiment(
    "l1.population_training", lecture=1,
    claim="a population of agents, each trains individually; like evolutionary algorithms",
    criterion="PBT (truncation exploit of the worst 25% by the best 25%, explore by x0.8 / x1.2 "
              "perturbation) on Jaderberg et al.'s toy (Q(theta)=1.2-sum theta^2, surrogate "
              "Q(theta|h)) reaches Q at least 1.19, while the same population trained without "
              "exploit/explore (same steps) stays below 1.15; on a real training task "
              "(learning-rate and weight-decay schedule on mnist1d or cifar10) PBT's best at "
              "least equals the best of the independent runs of equal total compute",
    quick=PopulationConfig(), full=PopulationConfig(members=16, steps=6000, interval=300),
    smoke=PopulationConfig(toy_steps=40, members=4, steps=40, interval=20))
def population_training(cfg: PopulationConfig, run: Run) -> Result:
    toy = {name: toy_run(cfg, run.seed, **flags) for name, flags in TOY_VARIANTS.items()}
    task = ClassifierTask(load_dataset("mnist1d", seed=run.seed), ClassifierTaskConfig(),
                          device=run.device)
    pbt, independent = (train_population(task.population(cfg.members, run.seed), task,
                                         PBTConfig(interval=cfg.interval, exploit=on,
                                                   explore=on), steps=cfg.steps, seed=run.seed)
                        for on in (True, False))
    pbt_test, independent_test = task.test_accuracy(pbt[0]), task.test_accuracy(independent[0])
    run.log("toy Q: " + ", ".join(f"{k} {v[0][0].score:.4f}" for k, v in toy.items()))
    run.log(f"mnist1d test accuracy of the best by validation: PBT {pbt_test:.3f}, independent "
            f"{independent_test:.3f}; PBT's final hyperparameters {pbt[0].hyperparams}")
    return Result(
        metrics={**{f"toy_q_{k}": v[0][0].score for k, v in toy.items()},
                 "pbt_test_accuracy": pbt_test, "independent_test_accuracy": independent_test,
                 "pbt_validation_accuracy": pbt[0].score,
                 "independent_validation_accuracy": independent[0].score,
                 "pbt_final_lr": pbt[0].hyperparams["lr"],
                 "pbt_final_weight_decay": pbt[0].hyperparams["weight_decay"]},
        checks=[
            Check.at_least("toy: PBT's best Q", toy["pbt"][0][0].score, 1.19),
            Check.below("toy: best Q without exploit/explore", toy["independent"][0][0].score,
                        1.15),
            Check.at_least("mnist1d: test accuracy of PBT's best minus the independent runs' "
                           "best (each chosen by validation accuracy)",
                           pbt_test - independent_test, 0.0,
                           detail=f"PBT {pbt_test:.3f}, independent {independent_test:.3f}"),
        ],
        notes=[f"toy population of {cfg.toy_members}, {cfg.toy_steps} steps each; "
               f"{cfg.members} mnist1d members of {cfg.steps} SGD steps each, both arms"],
        figures={"toy_trajectories": toy_figure(toy),
                 "hyperparameter_schedules": schedule_figure(pbt)},
        headline=("toy_q_pbt", "toy_q_independent", "pbt_test_accuracy",
                  "independent_test_accuracy"),
    )


TOY_VARIANTS = {"pbt": dict(exploit=True, explore=True),
                "exploit_only": dict(exploit=True, explore=False),
                "explore_only": dict(exploit=False, explore=True),
                "independent": dict(exploit=False, explore=False)}


def toy_run(cfg: PopulationConfig, seed: int, *, exploit: bool,
            explore: bool) -> tuple[list[Member], ToyTask]:
    task = ToyTask()
    pbt = PBTConfig(interval=cfg.toy_interval, exploit=exploit, explore=explore,
                    copy_hyperparams=False)
    return train_population(toy_population(cfg.toy_members), task, pbt,
                            steps=cfg.toy_steps, seed=seed), task


def toy_figure(toy: dict[str, tuple[list[Member], ToyTask]]) -> Figure:
    """theta trajectories over the contours of Q, one panel per variant (the paper's Fig. 2)."""
    fig = Figure(figsize=(12, 3.4))
    grid = np.linspace(-0.05, 1.0, 100)
    gx, gy = np.meshgrid(grid, grid)
    for ax, (name, (_, task)) in zip(fig.subplots(1, len(toy)), toy.items(), strict=True):
        ax.contour(gx, gy, 1.2 - gx**2 - gy**2, levels=12, colors="#bbbbbb", linewidths=0.6)
        for path in task.trajectories.values():
            p = np.array(path)  # (steps + 1, 2)
            ax.plot(p[:, 0], p[:, 1], ".", markersize=1.5)
        ax.set(title=name.replace("_", " "), xlabel="theta_0", ylabel="theta_1", aspect="equal")
    return fig


def schedule_figure(population: list[Member]) -> Figure:
    """The learning-rate and weight-decay schedules PBT found, one line per member."""
    fig = Figure(figsize=(9, 3.4))
    ax_lr, ax_wd = fig.subplots(1, 2)
    for m in population:
        steps = [row["step"] for row in m.history]
        ax_lr.plot(steps, [row["hyperparams"]["lr"] for row in m.history])
        ax_wd.plot(steps, [row["hyperparams"]["weight_decay"] for row in m.history])
    ax_lr.set(yscale="log", xlabel="step", ylabel="learning rate")
    ax_wd.set(yscale="log", xlabel="step", ylabel="weight decay")
    return fig

