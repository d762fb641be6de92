"""scikit-learn's 8x8 handwritten digits (the UCI optical digits test set, Alpaydin & Kaynak
1998): 1,797 images of 0-9 with 17 grey levels, rescaled 0..16 -> 0..255 and stored as uint8
(N, 1, 8, 8) images, split into train and test with the class proportions kept.
"""

from __future__ import annotations

import numpy as np
import torch

from lecturelab.data.core import ClassificationData
from lecturelab.registry import register_dataset


@register_dataset
def digits(test_fraction: float = 0.2, seed: int = 0) -> ClassificationData:
    """A stratified split of the digits; mean/std are the training images' grey-level stats."""
    from sklearn.datasets import load_digits  # here: sklearn takes a second to import
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    bunch = load_digits()
    images = np.round(bunch.images * (255 / 16)).astype(np.uint8)[:, None]  # (N, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, bunch.target, test_size=test_fraction, stratify=bunch.target, random_state=seed)
    pixels = x_train.astype(np.float64) / 255
    return ClassificationData(
        "digits", torch.from_numpy(x_train), torch.from_numpy(y_train.astype(np.int64)),
        torch.from_numpy(x_test), torch.from_numpy(y_test.astype(np.int64)),
        num_classes=10, classes=tuple(str(d) for d in range(10)),
        mean=(float(pixels.mean()),), std=(float(pixels.std()),),
    )
