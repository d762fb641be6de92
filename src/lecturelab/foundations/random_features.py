"""Random ReLU features with a minimum-norm least-squares readout: double descent (lecture 2).

Lecture 2: over-parameterisation need not make things worse. Belkin et al. (2019), "Reconciling
modern machine-learning practice and the classical bias-variance trade-off", section 3 and
Fig. 2: with p random features fitted to n samples by the minimum-norm least-squares solution,
test error rises to a peak at the interpolation threshold p = n and falls again beyond it.

Features are relu(x V) with V ~ N(0, 1/d), no bias; targets are one-hot vectors (the paper's
multi-class regression). The readout is the minimum-norm solution (pseudo-inverse) in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class RandomReLUFeatures:
    """phi(x) = relu(x V) for a fixed random projection V (d, p)."""

    projection: torch.Tensor  # (d, p)

    @classmethod
    def sample(cls, in_features: int, num_features: int, *, generator: torch.Generator,
               device: torch.device | str = "cpu") -> RandomReLUFeatures:
        if in_features < 1 or num_features < 1:
            raise ValueError(f"need positive feature counts, got in_features={in_features}, "
                             f"num_features={num_features}")
        v = torch.randn(in_features, num_features, generator=generator, dtype=torch.float64)
        return cls((v / in_features**0.5).to(device))

    @property
    def num_features(self) -> int:
        return self.projection.shape[1]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.projection.shape[0]:
            raise ValueError(f"x must have shape (N, {self.projection.shape[0]}), got "
                             f"{tuple(x.shape)}")
        return torch.relu(x.to(self.projection) @ self.projection)  # (N, p)


def min_norm_least_squares(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """argmin ||w|| among the minimisers of ||a w - b||: the pseudo-inverse solution a^+ b.

    LAPACK's SVD-based gelsd on the CPU; an SVD pseudo-inverse on other devices (where torch's
    lstsq drivers do not return the minimum-norm solution of an under-determined system).
    """
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(f"need a (n, p) and b (n, k) with the same n, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if a.device.type == "cpu":
        return torch.linalg.lstsq(a, b, driver="gelsd").solution
    return torch.linalg.pinv(a) @ b


@dataclass(frozen=True)
class RandomFeatureClassifier:
    """Random features and their least-squares readout (p, classes); predicts the arg-max."""

    features: RandomReLUFeatures
    readout: torch.Tensor  # (p, classes)

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x) @ self.readout  # (N, classes)

    def error(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """Fraction of inputs whose arg-max score is not the label."""
        return (self.scores(x).argmax(dim=1) != y.to(self.readout.device)).double().mean().item()


def fit_random_features(x: torch.Tensor, y: torch.Tensor, *, num_features: int,
                        num_classes: int, generator: torch.Generator) -> RandomFeatureClassifier:
    """Sample p random ReLU features and fit one-hot targets by minimum-norm least squares."""
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},), got {tuple(y.shape)}")
    features = RandomReLUFeatures.sample(x.shape[1], num_features, generator=generator,
                                         device=x.device)
    targets = torch.nn.functional.one_hot(y.long(), num_classes).to(features.projection)
    return RandomFeatureClassifier(features, min_norm_least_squares(features(x), targets))
