"""Two-class problems in the plane, for lecture 2's pictures of what one layer and two can do.

"xor" is four Gaussian blobs at the corners (+-1, +-1), labelled by the XOR of the coordinates'
signs (Minsky & Papert 1969); the four exact points are `xor_points()`. "moons" and "circles" are
scikit-learn's; "spirals" is the two-spirals problem of Lang & Witbrock (1988), 1.5 turns per arm.
"""

from __future__ import annotations

import numpy as np
import torch

from lecturelab.data.core import ClassificationData
from lecturelab.registry import register_dataset

KINDS = ("xor", "moons", "circles", "spirals")


@register_dataset
def toy2d(
    kind: str = "xor", *, n_train: int = 400, n_test: int = 400, noise: float = 0.1, seed: int = 0
) -> ClassificationData:
    """2-D float32 points of two classes; `noise` is the std of Gaussian noise on each axis."""
    train_seed, test_seed = np.random.SeedSequence(seed).generate_state(2)
    x_train, y_train = make_toy2d(kind, n=n_train, noise=noise, seed=int(train_seed))
    x_test, y_test = make_toy2d(kind, n=n_test, noise=noise, seed=int(test_seed))
    return ClassificationData(f"toy2d-{kind}", x_train, y_train, x_test, y_test,
                              num_classes=2, classes=("0", "1"))


def make_toy2d(kind: str, *, n: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n points (float32 (n, 2)) and labels (int64 (n,)), n // 2 or so of each class."""
    if kind not in KINDS:
        raise ValueError(f"toy2d kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if n < 0 or noise < 0:
        raise ValueError(f"toy2d needs n >= 0 and noise >= 0, got n={n}, noise={noise}")
    from sklearn.datasets import make_circles, make_moons  # here: sklearn takes a second to import

    if kind == "moons":
        x, y = make_moons(n, noise=noise, random_state=seed)
    elif kind == "circles":
        x, y = make_circles(n, noise=noise, factor=0.5, random_state=seed)
    else:
        x, y = (_xor_blobs if kind == "xor" else _spirals)(n, noise, np.random.default_rng(seed))
    return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64)


def xor_points() -> tuple[np.ndarray, np.ndarray]:
    """The four points of XOR: x float64 (4, 2) in {0, 1}^2, y = x1 XOR x2 int64 (4,)."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([0, 1, 1, 0], dtype=np.int64)


def _xor_blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    corner = rng.permutation(np.arange(n) % 4)
    centres = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    x = centres[corner] + noise * rng.standard_normal((n, 2))
    return x, np.array([0, 1, 1, 0])[corner]


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.permutation(np.arange(n) % 2)
    t = np.sqrt(rng.uniform(0.0, 1.0, n))  # radius; sqrt spreads points evenly along the arm
    angle = 3 * np.pi * t + np.pi * y  # 1.5 turns; the second arm is the first rotated by pi
    x = t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return x + noise * rng.standard_normal((n, 2)), y
