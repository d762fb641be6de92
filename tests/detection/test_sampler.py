"""Balanced sampling and hard negative mining on hand-worked label vectors."""

import pytest
import torch

from lecturelab.detection.sampler import hard_negative_mask, sample_balanced


def labels(pos: int, neg: int, ignored: int = 0) -> torch.Tensor:
    return torch.tensor([1] * pos + [0] * neg + [-1] * ignored)


def test_few_positives_are_all_taken_and_negatives_fill_the_batch():
    pos, neg = sample_balanced(labels(3, 10, 4), batch_size=8, positive_fraction=0.5)
    assert sorted(pos.tolist()) == [0, 1, 2]
    assert len(neg) == 5 and len(set(neg.tolist())) == 5
    assert all(3 <= i < 13 for i in neg.tolist())


def test_positive_fraction_caps_the_positives():
    pos, neg = sample_balanced(labels(10, 10), batch_size=8, positive_fraction=0.25)
    assert len(pos) == 2 and len(neg) == 6
    assert all(i < 10 for i in pos.tolist()) and all(i >= 10 for i in neg.tolist())


def test_too_few_of_both():
    pos, neg = sample_balanced(labels(1, 2, 5), batch_size=256, positive_fraction=0.5)
    assert (len(pos), len(neg)) == (1, 2)


def test_seeded_draws_repeat():
    draw = [sample_balanced(labels(20, 50), batch_size=16, positive_fraction=0.5,
                            generator=torch.Generator().manual_seed(0)) for _ in range(2)]
    assert torch.equal(draw[0][0], draw[1][0]) and torch.equal(draw[0][1], draw[1][1])


def test_hard_negatives_one_to_three():
    losses = torch.tensor([0.1, 0.9, 0.5, 0.3, 0.8, 2.0, 0.7])
    mask = hard_negative_mask(losses, torch.tensor([1, 0, 0, 0, 0, -1, 0]))
    assert mask.tolist() == [True, True, False, False, True, False, True]


def test_hard_negatives_without_positives_use_the_minimum():
    mask = hard_negative_mask(torch.tensor([0.2, 0.4, 0.1]), torch.tensor([0, 0, 0]),
                              min_negatives=1)
    assert mask.tolist() == [False, True, False]


def test_bad_input():
    with pytest.raises(ValueError, match="labels must be"):
        sample_balanced(torch.zeros(2, 2), batch_size=4, positive_fraction=0.5)
    with pytest.raises(ValueError, match="positive_fraction"):
        sample_balanced(labels(1, 1), batch_size=4, positive_fraction=0.0)
    with pytest.raises(ValueError, match="losses and labels"):
        hard_negative_mask(torch.zeros(3), torch.zeros(4))
