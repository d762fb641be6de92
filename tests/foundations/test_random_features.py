"""Random ReLU features and the minimum-norm least-squares readout."""

import pytest
import torch

from lecturelab.foundations.random_features import (
    RandomReLUFeatures,
    fit_random_features,
    min_norm_least_squares,
)


def test_min_norm_solution_equals_the_pseudo_inverse():
    g = torch.Generator().manual_seed(0)
    for n, p in [(20, 8), (8, 20), (12, 12)]:
        a = torch.randn(n, p, generator=g, dtype=torch.float64)
        b = torch.randn(n, 3, generator=g, dtype=torch.float64)
        torch.testing.assert_close(min_norm_least_squares(a, b), torch.linalg.pinv(a) @ b)


def test_under_determined_fit_interpolates_with_minimum_norm():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(5, 9, generator=g, dtype=torch.float64)
    b = torch.randn(5, 2, generator=g, dtype=torch.float64)
    w = min_norm_least_squares(a, b)
    torch.testing.assert_close(a @ w, b)
    null = torch.linalg.svd(a).Vh[5:]  # (4, 9): directions a cannot see
    torch.testing.assert_close(null @ w, torch.zeros(4, 2, dtype=torch.float64))


def test_features_are_relu_of_a_projection():
    g = torch.Generator().manual_seed(2)
    f = RandomReLUFeatures.sample(3, 7, generator=g)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    assert f(x).shape == (4, 7)
    torch.testing.assert_close(f(x), torch.relu(x @ f.projection))
    assert f.projection.std().item() == pytest.approx(3**-0.5, rel=0.6)


def test_over_parameterised_classifier_fits_its_training_set():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(30, 5, generator=g)
    y = torch.randint(0, 3, (30,), generator=g)
    clf = fit_random_features(x, y, num_features=200, num_classes=3, generator=g)
    assert clf.error(x, y) == 0.0
    assert clf.scores(x).shape == (30, 3)


def test_bad_input_raises():
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="same n"):
        min_norm_least_squares(torch.zeros(3, 2), torch.zeros(4, 1))
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        RandomReLUFeatures.sample(3, 4, generator=g)(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="y must have shape"):
        fit_random_features(torch.zeros(4, 2), torch.zeros(3), num_features=5, num_classes=2,
                            generator=g)
