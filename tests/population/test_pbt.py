"""PBT's pieces on hand-worked populations, the paper's toy, and the classifier task."""

import numpy as np
import pytest
import torch

from lecturelab.data import ClassificationData
from lecturelab.population.classifier import ClassifierTask, ClassifierTaskConfig
from lecturelab.population.pbt import (
    Member,
    PBTConfig,
    perturb,
    ready,
    resample,
    train_population,
    truncation_exploit,
)
from lecturelab.population.toy import ToyTask, objective, surrogate, toy_population


def population(*scores):
    return [Member(i, {"lr": 0.1}, None, score=s) for i, s in enumerate(scores)]


def test_the_worst_quarter_copies_from_the_best_quarter():
    pop = population(0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.6, 0.8)  # k = 2
    rng = np.random.default_rng(0)
    sources = {truncation_exploit(pop, pop[0], 0.25, rng).score for _ in range(50)}
    assert sources == {0.8, 0.9}
    assert truncation_exploit(pop, pop[5], 0.25, rng).score in (0.8, 0.9)
    for middle in (1, 3, 4, 6, 2, 7):
        assert truncation_exploit(pop, pop[middle], 0.25, rng) is None


def test_a_tie_counts_against_the_member_deciding():
    pop = population(0.5, 0.5)
    assert truncation_exploit(pop, pop[1], 0.25, np.random.default_rng(0)) is pop[0]
    alone = population(0.5)
    assert truncation_exploit(alone, alone[0], 0.25, np.random.default_rng(0)) is None


def test_explore_multiplies_by_the_factors_or_resamples():
    rng = np.random.default_rng(0)
    out = [perturb({"lr": 1.0, "wd": 10.0}, (0.8, 1.2), rng) for _ in range(40)]
    assert {o["lr"] for o in out} == {0.8, 1.2} and {o["wd"] for o in out} == {8.0, 12.0}
    assert resample({"lr": 1.0}, {"lr": lambda r: 5.0}, 1.0, rng) == {"lr": 5.0}
    assert resample({"lr": 1.0}, {"lr": lambda r: 5.0}, 0.0, rng) == {"lr": 1.0}


def test_ready_after_an_interval():
    m = Member(0, {}, None, steps=7, last_ready=4)
    assert not ready(m, 4) and ready(m, 3)


def test_toy_objective_and_surrogate_are_the_papers():
    theta = np.array([0.9, 0.9])
    assert objective(theta) == pytest.approx(1.2 - 1.62)
    assert surrogate(theta, np.array([1.0, 0.0])) == pytest.approx(1.2 - 0.81)


@pytest.mark.parametrize(("exploit", "explore", "reaches"),
                         [(True, True, True), (True, False, True), (False, True, False),
                          (False, False, False)])
def test_only_sharing_theta_reaches_the_toys_optimum(exploit, explore, reaches):
    cfg = PBTConfig(exploit=exploit, explore=explore, copy_hyperparams=False)
    best = train_population(toy_population(4), ToyTask(), cfg, steps=400, seed=0)[0]
    assert (best.score >= 1.19) is reaches
    if not reaches:
        assert best.score == pytest.approx(1.2 - 0.81, abs=1e-3)  # one coordinate left at 0.9


def small_task():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 6, generator=g)
    y = (x[:, 0] > 0).long()
    data = ClassificationData("toy", x[:200], y[:200], x[200:], y[200:], 2, ("a", "b"))
    return ClassifierTask(data, ClassifierTaskConfig(width=16, batch_size=32, validation=50),
                          device=torch.device("cpu"))


def test_classifier_members_learn_and_exploit_copies_a_detached_state():
    task = small_task()
    pop = train_population(task.population(4, seed=0), task, PBTConfig(interval=20),
                           steps=100, seed=0)
    assert pop[0].score > 0.8 and task.test_accuracy(pop[0]) > 0.8
    a, b = pop[0].state["model"], pop[1].state["model"]
    assert all(x.data_ptr() != y.data_ptr() for x, y in zip(a.values(), b.values(), strict=True))


def test_classifier_population_is_deterministic_by_seed():
    scores = [[m.score for m in train_population(small_task().population(3, seed=1),
                                                 t, PBTConfig(interval=10), steps=30, seed=1)]
              for t in (small_task(), small_task())]
    assert scores[0] == scores[1]
