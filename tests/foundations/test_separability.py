"""LP separability against brute-force counts and Cover's function-counting theorem."""

from itertools import product
from math import comb

import numpy as np
import pytest

from lecturelab.foundations.separability import (
    cover_count,
    cover_fraction,
    linearly_separable,
)


def count_separable(x, *, bias):
    return sum(linearly_separable(x, np.array(y), bias=bias)
               for y in product([-1, 1], repeat=len(x)))


def test_xor_is_not_separable_and_and_is():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert not linearly_separable(x, np.array([0, 1, 1, 0]))
    assert linearly_separable(x, np.array([0, 0, 0, 1]))


def test_points_on_a_line_count_2n_affine_dichotomies():
    x = np.array([[-0.5], [1.0], [2.5], [4.0]])  # a threshold on R: 2N dichotomies
    assert count_separable(x, bias=True) == 8 == cover_count(4, 2)
    assert count_separable(x, bias=False) == 2 == cover_count(4, 1)  # sign(w x): w > 0 or < 0
    assert not linearly_separable(np.zeros((1, 1)), np.array([1]), bias=False)  # x = 0 on it


def test_points_in_general_position_match_cover_count():
    rng = np.random.default_rng(0)
    for n, d in [(5, 2), (6, 2), (6, 3)]:
        x = rng.normal(size=(n, d))
        assert count_separable(x, bias=False) == cover_count(n, d)
        assert count_separable(x, bias=True) == cover_count(n, d + 1)


def test_cover_count_hand_values():
    assert cover_count(4, 2) == 8  # 2 * (1 + 3)
    assert cover_count(3, 5) == 8  # N <= d: every labelling
    assert cover_count(10, 5) == 2 * sum(comb(9, k) for k in range(5)) == 512
    assert cover_fraction(10, 5) == 0.5  # N = 2d: half of all labellings


def test_bad_input_raises():
    with pytest.raises(ValueError, match="two classes"):
        linearly_separable(np.zeros((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        linearly_separable(np.zeros((3, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        linearly_separable(np.zeros(3), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="N >= 1"):
        cover_count(0, 2)
