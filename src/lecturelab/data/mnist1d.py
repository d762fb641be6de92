"""MNIST-1D (Greydanus & Kobak 2024): ten 1-D digit templates, shifted, scaled, sheared and
made noisy, 40 features each; small enough for CPU experiments, hard enough to separate models.

Generated locally with the `mnist1d` package's own recipe (`make_dataset` with the defaults of
`get_dataset_args`: 5,000 samples, 4,000 train / 1,000 test) and cached. Departure: `seed` is
added to the package's seed 42, so seed 0 is the published dataset.
"""

from __future__ import annotations

import random
from importlib.metadata import version

import numpy as np
import torch

from lecturelab.data.cache import cached_arrays
from lecturelab.data.core import ClassificationData
from lecturelab.registry import register_dataset


@register_dataset
def mnist1d(seed: int = 0) -> ClassificationData:
    """4,000 train / 1,000 test float32 (N, 40) signals of the digits 0-9."""
    arrays = cached_arrays(f"mnist1d-{version('mnist1d')}-seed{42 + seed}",
                           lambda: make_mnist1d(42 + seed))
    x_train, y_train, x_test, y_test = (torch.from_numpy(arrays[k])
                                        for k in ("x_train", "y_train", "x_test", "y_test"))
    return ClassificationData("mnist1d", x_train, y_train, x_test, y_test,
                              num_classes=10, classes=tuple(str(d) for d in range(10)))


def make_mnist1d(seed: int) -> dict[str, np.ndarray]:
    """Run mnist1d's generator with `seed`, leaving the global random states as they were."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)  # seeds numpy's and Python's global generators
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {"x_train": data["x"].astype(np.float32), "y_train": data["y"].astype(np.int64),
            "x_test": data["x_test"].astype(np.float32), "y_test": data["y_test"].astype(np.int64)}
