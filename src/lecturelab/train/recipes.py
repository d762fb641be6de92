"""Named training recipes for `lecturelab train --profile`, one table per kind of training.

Classifiers. full: He et al. 2016, Sec. 4.2 (the CIFAR-10 ResNets): SGD, momentum 0.9, weight
decay 1e-4, batch 128, lr 0.1 divided by 10 at 32k and 48k iterations, stopped at 64k (= 164
epochs of 391 steps, the "step" schedule's 50% and 75%), with the dataset's augmentation (for
CIFAR-10 4-px-padded random crops and horizontal flips). quick: the same recipe shrunk for a
CPU - at most 5,000 training images and 5 epochs, cosine decay. Augmentation is what the dataset
declares (`ClassificationData.augmentation`): none for digits, mnist1d and toy2d.

Detectors (on shapes scenes). quick: lecture 4's CPU recipe (detection/recipes.py); full: the
paper's settings (ResNet-50, 256-pixel scenes, 30,000 SGD steps); smoke: seconds, for tests.
AlphaZero's profiles live with it (games/alphazero.py, `training_config`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lecturelab.train.loop import TrainConfig

if TYPE_CHECKING:
    from lecturelab.data import ClassificationData
    from lecturelab.detection.recipes import DetectorRecipe, Scenes
    from lecturelab.detection.training import DetectorTrainConfig


@dataclass(frozen=True)
class Recipe:
    config: TrainConfig  # the optimiser and schedule
    train_subset: int | None  # at most this many class-balanced training images (None: all)


RECIPES = {
    "quick": Recipe(TrainConfig(epochs=5, batch_size=128, lr=0.1, weight_decay=5e-4,
                                schedule="cosine", augment=True), train_subset=5000),
    "full": Recipe(TrainConfig(epochs=164, batch_size=128, lr=0.1, momentum=0.9,
                               weight_decay=1e-4, schedule="step", augment=True),
                   train_subset=None),
}


def recipe(profile: str, data: ClassificationData, **overrides: Any) -> Recipe:
    """The `profile` recipe for `data` with the non-None `overrides` (TrainConfig fields and
    `train_subset`) applied. Augmentation defaults to the dataset's declared one, if any."""
    if profile not in RECIPES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(RECIPES)}")
    base = RECIPES[profile]
    n = len(data.y_train)
    subset = overrides.pop("train_subset", None)
    if subset is not None and not 0 < subset <= n:
        raise ValueError(f"subset must lie in [1, {n}] ({data.name} has {n} training "
                         f"examples), got {subset}")
    if subset is None and base.train_subset is not None and base.train_subset < n:
        subset = base.train_subset
    changes = {k: v for k, v in overrides.items() if v is not None}
    changes.setdefault("augment", base.config.augment and data.augmentation is not None)
    return Recipe(replace(base.config, **changes), subset)


def detector_profiles(model: str = "retinanet"
                      ) -> dict[str, tuple[Scenes, DetectorRecipe, DetectorTrainConfig]]:
    """(scenes, detector recipe, training schedule) of each detector profile for `model`: the
    quick schedule is the lecture-4 experiments' one of its kind (two-stage: its own lr)."""
    from lecturelab.detection.recipes import (
        PAPER_RECIPE,
        PAPER_SCENES,
        PAPER_TRAIN,
        QUICK_RECIPE,
        QUICK_SCENES,
        QUICK_TRAIN,
        QUICK_TRAIN_TWO_STAGE,
        DetectorRecipe,
        Scenes,
    )
    from lecturelab.detection.training import DetectorTrainConfig

    return {
        "smoke": (Scenes(size=64, n_train=16, n_test=4),
                  DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, representation=32,
                                 head_convs=1),
                  DetectorTrainConfig(steps=3, batch_size=4, warmup_steps=1)),
        "quick": (QUICK_SCENES, QUICK_RECIPE,
                  QUICK_TRAIN if model == "retinanet" else QUICK_TRAIN_TWO_STAGE),
        "full": (PAPER_SCENES, PAPER_RECIPE, PAPER_TRAIN),
    }


def detector_recipe(profile: str, model: str = "retinanet", **overrides: Any
                    ) -> tuple[Scenes, DetectorRecipe, DetectorTrainConfig]:
    """The detector `profile` of `model` with the non-None `overrides` (steps, batch_size, lr)
    applied to its schedule. With fewer steps, warm-up is cut to fit and only the training
    scenes that the steps can show (steps x batch size) are rendered."""
    profiles = detector_profiles(model)
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(profiles)}")
    scenes, detector, train = profiles[profile]
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "steps" in changes:
        changes["warmup_steps"] = min(train.warmup_steps, changes["steps"])
    train = replace(train, **changes)
    shown = train.steps * train.batch_size
    return replace(scenes, n_train=min(scenes.n_train, shown)), detector, train
