"""The one container every classification dataset of the lectures comes in.

Images are kept as uint8 (N, C, H, W) tensors and vectors as float32 (N, D), with int64 labels:
the whole set fits in memory (and on a GPU), and a `DeviceLoader` turns it into normalised float
batches there (the speed-run way, Jordan 2024 "airbench"; DESIGN.md, "Training").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from lecturelab.data.loader import Augmentation, DeviceLoader, check_examples


@dataclass(repr=False)
class ClassificationData:
    """A train / test split of labelled examples and what the labels mean.

    `mean` and `std` are per-channel statistics in [0, 1] units for images (None for vectors);
    `source` says where the examples were read from, when that matters (cifar10);
    `augmentation` is the one that suits these images (None: train without any), what
    `TrainConfig(augment=True)` and `lecturelab train --augment` apply.
    """

    name: str
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    num_classes: int
    classes: tuple[str, ...]
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    source: str = ""
    augmentation: Augmentation | None = None

    def __post_init__(self) -> None:
        check_examples(self.x_train, self.y_train, what=f"{self.name} train")
        check_examples(self.x_test, self.y_test, what=f"{self.name} test")
        if self.x_train.dtype != self.x_test.dtype or self.input_shape != self.x_test.shape[1:]:
            raise ValueError(f"{self.name}: x_test must match x_train's dtype and sample shape "
                             f"{self.x_train.dtype} {self.input_shape}, got {self.x_test.dtype} "
                             f"{tuple(self.x_test.shape[1:])}")
        if self.augmentation is not None and self.x_train.dim() != 4:
            raise ValueError(f"{self.name}: only images can declare an augmentation")
        if len(self.classes) != self.num_classes:
            raise ValueError(f"{self.name}: classes must name all {self.num_classes} classes, "
                             f"got {len(self.classes)}")
        for y in (self.y_train, self.y_test):
            if len(y) and not 0 <= int(y.min()) <= int(y.max()) < self.num_classes:
                raise ValueError(f"{self.name}: labels must lie in [0, {self.num_classes}), "
                                 f"got [{int(y.min())}, {int(y.max())}]")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example: (C, H, W) for images, (D,) for vectors."""
        return tuple(self.x_train.shape[1:])

    def __repr__(self) -> str:
        where = f", source={self.source!r}" if self.source else ""
        return (f"ClassificationData({self.name!r}, train={len(self.y_train)}, "
                f"test={len(self.y_test)}, input_shape={self.input_shape}, "
                f"num_classes={self.num_classes}{where})")

    def subset(
        self,
        n_train: int | None = None,
        n_test: int | None = None,
        classes: Sequence[int | str] | None = None,
        seed: int = 0,
    ) -> ClassificationData:
        """A class-balanced random subset, in the original order.

        `classes` (indices or names) keeps only those labels and renumbers them 0..k-1 in the
        order given. Each kept class gets n // k examples; the n % k left over go to randomly
        chosen classes, one each.
        """
        kept = self._class_indices(classes)
        gen = torch.Generator().manual_seed(seed)
        train = _balanced(self.y_train, kept, n_train, gen, what=f"{self.name} n_train")
        test = _balanced(self.y_test, kept, n_test, gen, what=f"{self.name} n_test")
        relabel = torch.full((self.num_classes,), -1, dtype=torch.int64)
        relabel[torch.tensor(kept)] = torch.arange(len(kept))
        return replace(
            self,
            x_train=self.x_train[train], y_train=relabel[self.y_train[train]],
            x_test=self.x_test[test], y_test=relabel[self.y_test[test]],
            num_classes=len(kept), classes=tuple(self.classes[c] for c in kept),
        )

    def loaders(
        self,
        batch_size: int,
        device: str | torch.device = "cpu",
        augment: bool = False,
        seed: int = 0,
        *,
        rank: int = 0,
        world_size: int = 1,
    ) -> tuple[DeviceLoader, DeviceLoader]:
        """(train, test) loaders on `device`: train shuffled (and sharded across `world_size`
        ranks), test in order, unsharded and never augmented."""
        train = DeviceLoader(self.x_train, self.y_train, batch_size=batch_size, device=device,
                             shuffle=True, augment=self.train_augmentation(augment),
                             mean=self.mean, std=self.std, seed=seed, rank=rank,
                             world_size=world_size)
        test = DeviceLoader(self.x_test, self.y_test, batch_size=batch_size, device=device,
                            shuffle=False, mean=self.mean, std=self.std)
        return train, test

    def train_augmentation(self, augment: bool) -> Augmentation | None:
        """The declared augmentation if `augment`, else None; asking for one that the dataset
        does not declare is an error."""
        if augment and self.augmentation is None:
            raise ValueError(f"{self.name} declares no augmentation (it suits no shift or flip "
                             f"of its examples); train without augment")
        return self.augmentation if augment else None

    def _class_indices(self, classes: Sequence[int | str] | None) -> list[int]:
        if classes is None:
            return list(range(self.num_classes))
        kept = [self._class_index(c) for c in classes]
        if len(set(kept)) != len(kept) or not kept:
            raise ValueError(f"{self.name}: classes must be distinct and at least one, "
                             f"got {classes}")
        return kept

    def _class_index(self, c: int | str) -> int:
        if isinstance(c, str) and c in self.classes:
            return self.classes.index(c)
        if not isinstance(c, str) and 0 <= int(c) < self.num_classes:
            return int(c)
        raise ValueError(f"{self.name}: a class must be an index in [0, {self.num_classes}) "
                         f"or a name from {self.classes}, got {c!r}")

def _balanced(
    y: Tensor, kept: list[int], n: int | None, gen: torch.Generator, *, what: str
) -> Tensor:
    """Sorted indices of n examples of the `kept` classes, as equal per class as n allows."""
    members = [torch.nonzero(y == c).flatten() for c in kept]
    if n is None:
        return torch.cat(members).sort().values
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}")
    counts = torch.full((len(kept),), n // len(kept), dtype=torch.int64)
    counts[torch.randperm(len(kept), generator=gen)[: n % len(kept)]] += 1
    chosen = []
    for c, idx, k in zip(kept, members, counts.tolist(), strict=True):
        if k > len(idx):
            raise ValueError(f"{what}={n} needs {k} examples of class {c}, which has {len(idx)}")
        chosen.append(idx[torch.randperm(len(idx), generator=gen)[:k]])
    return torch.cat(chosen).sort().values
