"""Shared pieces of the lecture-3 training experiments: CIFAR-10 by profile, images at a smaller
side, and a CIFAR-10 `SmallCNN` trained once per process (`lecturelab.runtime.computed_once`).

The CNN and the training helpers are library code (`lecturelab.models.small_cnn`,
`lecturelab.train.quick_fit`); what stays here is which data and recipe each profile uses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from lecturelab.data import ClassificationData, load_dataset
from lecturelab.models.small_cnn import SmallCNN
from lecturelab.runtime import computed_once
from lecturelab.train.loop import TrainConfig
from lecturelab.train.quick_fit import fit


@dataclass(frozen=True)
class CNNRecipe:
    n_train: int  # CIFAR-10 training images (class-balanced subset)
    widths: tuple[int, ...]  # SmallCNN stage widths
    epochs: int  # passes over them
    batch_size: int  # images a step
    lr: float  # peak learning rate (SGD, Nesterov, cosine schedule)
    augment: bool  # random crop + flip


RECIPES = {  # the CIFAR-10 CNN of `trained_cnn`, by profile
    "smoke": CNNRecipe(n_train=1000, widths=(8, 16, 32), epochs=1, batch_size=100, lr=0.05,
                       augment=False),
    "quick": CNNRecipe(n_train=10_000, widths=(16, 32, 64), epochs=4, batch_size=128, lr=0.1,
                       augment=False),
    "full": CNNRecipe(n_train=50_000, widths=(64, 128, 256), epochs=40, batch_size=128, lr=0.1,
                      augment=True),
}


@computed_once
def cifar10(profile: str) -> ClassificationData:
    """CIFAR-10 for `profile`: the shipped 6000-image subset for smoke, else the full set."""
    return load_dataset("cifar10", source="subset" if profile == "smoke" else None)


@computed_once
def trained_cnn(profile: str, seed: int, device: torch.device) -> tuple[SmallCNN, float]:
    """A SmallCNN trained on CIFAR-10 with the recipe of `profile`, and its test accuracy.

    Trained once per (profile, seed, device) in a process and shared; callers must not modify
    it (copy it first)."""
    recipe = RECIPES[profile]
    data = cifar10(profile).subset(n_train=recipe.n_train, seed=seed)
    torch.manual_seed(seed)
    model = SmallCNN(widths=recipe.widths)
    cfg = TrainConfig(epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr,
                      augment=recipe.augment, seed=seed)
    return model.eval(), fit(model, data, cfg, device).test_acc


def downsample(data: ClassificationData, size: int) -> ClassificationData:
    """`data` with its images area-averaged to size x size (still uint8)."""
    def shrink(x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % size:
            raise ValueError(f"size must divide the image side {x.shape[-1]}, got {size}")
        small = F.adaptive_avg_pool2d(x.float(), size)  # (N, C, size, size)
        return small.round().to(torch.uint8)
    return dataclasses.replace(data, x_train=shrink(data.x_train), x_test=shrink(data.x_test))
