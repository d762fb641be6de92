"""Named training recipes for `lecturelab train --profile`.

full: He et al. 2016, Sec. 4.2 (the CIFAR-10 ResNets): SGD, momentum 0.9, weight decay 1e-4,
batch 128, lr 0.1 divided by 10 at 32k and 48k iterations, stopped at 64k (= 164 epochs of 391
steps, the "step" schedule's 50% and 75%), 4-px-padded random crops and horizontal flips.
quick: the same recipe shrunk for a CPU - 5,000 training images and 5 epochs, cosine decay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lecturelab.train.loop import TrainConfig


@dataclass(frozen=True)
class Recipe:
    config: TrainConfig  # the optimiser and schedule
    train_subset: int | None  # class-balanced training images (None: all)


RECIPES = {
    "quick": Recipe(TrainConfig(epochs=5, batch_size=128, lr=0.1, weight_decay=5e-4,
                                schedule="cosine", augment=True), train_subset=5000),
    "full": Recipe(TrainConfig(epochs=164, batch_size=128, lr=0.1, momentum=0.9,
                               weight_decay=1e-4, schedule="step", augment=True),
                   train_subset=None),
}


def recipe(profile: str, *, images: bool, **overrides: Any) -> Recipe:
    """The `profile` recipe with the non-None `overrides` applied; no augmentation for vectors."""
    if profile not in RECIPES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(RECIPES)}")
    base = RECIPES[profile]
    subset = overrides.pop("train_subset", None) or base.train_subset
    changes = {k: v for k, v in overrides.items() if v is not None}
    changes.setdefault("augment", base.config.augment and images)
    return Recipe(replace(base.config, **changes), subset)
