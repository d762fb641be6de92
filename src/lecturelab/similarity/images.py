"""Images for the similarity experiments: uint8 (N, C, H, W) to float, resized, normalised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from lecturelab.data import ClassificationData, load_dataset
from lecturelab.runtime import computed_once


def to_float(images: Tensor, size: int | None = None) -> Tensor:
    """uint8 images to float in [0, 1], area-resized to size x size when `size` is given (the
    quick profiles' 16-px CIFAR-10)."""
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"images must be uint8 (N, C, H, W), got {images.dtype} "
                         f"{tuple(images.shape)}")
    x = images.float() / 255
    if size is not None and size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="area")
    return x


def normalise(x: Tensor, mean: Sequence[float] | None, std: Sequence[float] | None) -> Tensor:
    """Per-channel (x - mean) / std, or x unchanged when the dataset has no statistics."""
    if mean is None or std is None:
        return x
    m = torch.tensor(mean, dtype=x.dtype, device=x.device)[:, None, None]
    s = torch.tensor(std, dtype=x.dtype, device=x.device)[:, None, None]
    return (x - m) / s


@dataclass(frozen=True)
class ImageSubset:
    """Which labelled images an experiment uses (hashable: a `computed_once` key)."""

    dataset: str = "cifar10"  # a registered image dataset
    n_train: int | None = 10_000  # class-balanced training images (None: all)
    n_test: int | None = 2_000  # class-balanced held-out images (None: all)
    size: int | None = 16  # side in pixels after area resizing (None: as stored)
    seed: int = 0  # which balanced subset


@computed_once
def load_subset(subset: ImageSubset) -> tuple[Tensor, Tensor, Tensor, Tensor, ClassificationData]:
    """(x_train, y_train, x_test, y_test, data): float images in [0, 1] at `subset.size`;
    `data` keeps the class names and the normalisation statistics. Shared by the process."""
    data = load_dataset(subset.dataset).subset(n_train=subset.n_train, n_test=subset.n_test,
                                               seed=subset.seed)
    return (to_float(data.x_train, subset.size), data.y_train,
            to_float(data.x_test, subset.size), data.y_test, data)
