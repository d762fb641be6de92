"""Helpers of the lecture-3 training experiments: data helpers, activation maximisation,
regularised evolution and random search, batch-norm probes, the residual checks."""

import random

import pytest
import torch
from torch import nn

from lecturelab.experiments.lecture3.architecture_search import (
    ArchitectureSearchConfig,
    proxy_data,
    random_search,
    regularized_evolution,
)
from lecturelab.experiments.lecture3.batchnorm import companion_effect, train_mode_accuracy
from lecturelab.experiments.lecture3.common import downsample
from lecturelab.experiments.lecture3.residual_depth import quick_checks
from lecturelab.models.small_cnn import SmallCNN
from lecturelab.nn.visualise import activation_maximisation, class_model, class_score

# --- data helpers ---------------------------------------------------------------------------

def test_downsample_is_area_averaging(tiny_images):
    data = tiny_images(size=4)
    small = downsample(data, 2)
    expected = data.x_train[0, 0, :2, :2].float().mean().round()
    assert small.x_train.dtype == torch.uint8 and small.input_shape == (3, 2, 2)
    assert small.x_train[0, 0, 0, 0] == expected
    with pytest.raises(ValueError, match="divide"):
        downsample(data, 3)


# --- activation maximisation -----------------------------------------------------------------

def tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Flatten(), nn.Linear(4 * 8 * 8, 3)).eval()


def test_activation_maximisation_raises_the_target_logit():
    net = tiny_net()
    x0 = 0.1 * torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([0, 1, 2])
    images = class_model(net, [0, 1, 2], input_shape=(3, 8, 8), steps=50, lr=0.05, jitter=1)
    with torch.no_grad():
        before = net(x0)[torch.arange(3), target]
        after = net(images)[torch.arange(3), target]
    assert (after - before > 0.1).all()
    assert all(p.requires_grad and p.grad is None for p in net.parameters())


def test_log_odds_score_is_the_log_odds_of_the_softmax_probability():
    logits = torch.randn(5, 7, generator=torch.Generator().manual_seed(1))
    target = torch.tensor([0, 3, 6, 2, 2])
    p = logits.softmax(1)[torch.arange(5), target]
    assert torch.allclose(class_score(logits, target, "log_odds"), torch.log(p / (1 - p)),
                          atol=1e-5)
    assert torch.allclose(class_score(logits, target, "log_prob"), p.log(), atol=1e-6)
    assert torch.equal(class_score(logits, target, "logit"), logits[torch.arange(5), target])


def test_l2_penalty_alone_shrinks_the_image_and_the_input_is_untouched():
    x = torch.ones(2, 1, 4, 4)
    out = activation_maximisation(lambda z: z.sum((1, 2, 3)) * 0, x, steps=20, lr=0.1, l2=1.0,
                                  jitter=0)
    assert torch.equal(x, torch.ones(2, 1, 4, 4)) and (out.abs() < x).all()


def test_activation_maximisation_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        activation_maximisation(lambda z: z.sum(), torch.zeros(3, 4), steps=1)
    with pytest.raises(ValueError, match="one score per image"):
        activation_maximisation(lambda z: z.sum(), torch.zeros(2, 1, 4, 4), steps=1)
    with pytest.raises(ValueError, match="score"):
        class_model(tiny_net(), [0], input_shape=(3, 8, 8), score="prob")


# --- regularised evolution and random search -------------------------------------------------

def one_max(bits: tuple[int, ...]) -> float:
    return float(sum(bits))


def random_bits(rng: random.Random) -> tuple[int, ...]:
    return tuple(rng.randrange(2) for _ in range(30))


def flip_one(bits: tuple[int, ...], rng: random.Random) -> tuple[int, ...]:
    i = rng.randrange(len(bits))
    return bits[:i] + (1 - bits[i],) + bits[i + 1:]


def test_regularized_evolution_removes_the_oldest_even_when_it_is_the_best():
    scores = iter([10.0, 1.0, 2.0, 3.0, 4.0])
    counter = iter(range(100))
    search = regularized_evolution(lambda c: next(scores), lambda rng: next(counter),
                                   lambda c, rng: next(counter), evaluations=5,
                                   population_size=2, sample_size=2, rng=random.Random(0))
    assert [s for _, s in search.history] == [10.0, 1.0, 2.0, 3.0, 4.0]
    assert [s for _, s in search.population] == [3.0, 4.0]
    assert search.best[1] == 10.0


def test_the_child_mutates_the_best_of_the_tournament():
    initial, parents = iter([5, 9, 1]), []

    def mutate(c, rng):
        parents.append(c)
        return -1

    regularized_evolution(float, lambda rng: next(initial), mutate, evaluations=4,
                          population_size=3, sample_size=50, rng=random.Random(3))
    assert parents == [9]


def test_evolution_beats_random_search_on_one_max():
    evolved = [regularized_evolution(one_max, random_bits, flip_one, evaluations=200,
                                     population_size=20, sample_size=5,
                                     rng=random.Random(s)).best[1] for s in range(3)]
    drawn = [random_search(one_max, random_bits, evaluations=200,
                           rng=random.Random(s)).best[1] for s in range(3)]
    assert min(evolved) > max(drawn)


def test_searches_share_their_first_random_candidates_and_check_sizes():
    evolution = regularized_evolution(one_max, random_bits, flip_one, evaluations=8,
                                      population_size=4, sample_size=2, rng=random.Random(7))
    drawn = random_search(one_max, random_bits, evaluations=8, rng=random.Random(7))
    assert [c for c, _ in evolution.history[:4]] == [c for c, _ in drawn.history[:4]]
    with pytest.raises(ValueError, match="population_size"):
        regularized_evolution(one_max, random_bits, flip_one, evaluations=3,
                              population_size=4, sample_size=2, rng=random.Random(0))


def test_proxy_data_splits_training_images_only(tiny_images):
    data = tiny_images(n_train=60, size=8)
    cfg = ArchitectureSearchConfig(n_train=20, n_val=20, size=4)
    proxy = proxy_data(data, cfg, seed=0)
    assert len(proxy.y_train) == 20 and len(proxy.y_test) == 20 and proxy.input_shape[-1] == 4
    rows = {tuple(r.flatten().tolist()) for r in downsample(data, 4).x_train}
    assert all(tuple(r.flatten().tolist()) in rows for r in proxy.x_test)


# --- batch norm probes and residual checks ---------------------------------------------------

def test_batch_companions_change_train_mode_logits_only(tiny_images):
    data = tiny_images(size=8)
    net = SmallCNN(widths=(4, 8), num_classes=4)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    train_change, eval_change = companion_effect(net, data, companions=3)
    assert train_change > 1e-3 and eval_change == 0.0
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
    acc = train_mode_accuracy(net, data, torch.device("cpu"), batch_size=2)
    assert 0.0 <= acc <= 1.0


def test_residual_quick_checks_on_hand_numbers():
    loss = {"plain20": 1.0, "plain56": 1.5, "resnet20": 0.9, "resnet56": 0.95}
    assert [c.passed for c in quick_checks(loss, 20, 56)] == [True, True, True]
    loss["resnet56"] = 1.3
    assert [c.passed for c in quick_checks(loss, 20, 56)] == [True, True, False]
    loss["plain56"] = 0.99
    assert [c.passed for c in quick_checks(loss, 20, 56)][0] is False
