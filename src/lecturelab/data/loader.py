"""Batches from a dataset that lives on the device, augmented there (the speed-run way).

The whole set sits on the device as uint8 images (or float32 vectors); each batch is gathered,
augmented (random crops of a zero-padded copy, i.e. small shifts, and optionally horizontal
flips: `Augmentation`; for CIFAR-10 the 4-px crop + flip of He et al. 2016, Sec. 4.2), scaled to
[0, 1] and normalised, all as whole-batch tensor ops, as in Jordan's airbench (2024). There are
no per-sample workers. Order and augmentation are a pure function of (seed, epoch), so a run
resumed at an epoch boundary sees the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

PAD = 4  # pixels of zero padding before a random crop (He et al. 2016, Sec. 4.2)


@dataclass(frozen=True)
class Augmentation:
    """Label-preserving changes to training images, declared by each dataset for its images."""

    pad: int = 0  # shift by up to this many pixels: a random crop of the zero-padded image
    flip: bool = False  # flip half of the images left-right (not digits: a mirrored 7 is none)

    def __post_init__(self) -> None:
        if self.pad < 0:
            raise ValueError(f"pad must be >= 0, got {self.pad}")


CROP_FLIP = Augmentation(pad=PAD, flip=True)  # the CIFAR-10 recipe of He et al. 2016


def check_examples(x: Tensor, y: Tensor, *, what: str) -> None:
    """Images must be uint8 (N, C, H, W), vectors float32 (N, D), labels int64 (N,)."""
    is_image = x.dtype == torch.uint8 and x.dim() == 4
    is_vector = x.dtype == torch.float32 and x.dim() == 2
    if not (is_image or is_vector):
        raise ValueError(f"{what} x must be uint8 (N, C, H, W) images or float32 (N, D) "
                         f"vectors, got {x.dtype} {tuple(x.shape)}")
    if y.dtype != torch.int64 or y.shape != (len(x),):
        raise ValueError(f"{what} y must be int64 of shape ({len(x)},), "
                         f"got {y.dtype} {tuple(y.shape)}")


class DeviceLoader:
    """Iterate over (x, y) batches on `device`; x is float32, normalised for images.

    With `world_size` > 1 every rank draws the same permutation and takes every
    `world_size`-th example from position `rank`: shards are disjoint and of equal length
    (the last N % world_size examples of the permutation are left out), as
    DistributedDataParallel needs. Each pass advances the epoch; `set_epoch` fixes it.
    `augment` is an `Augmentation`, or True for `CROP_FLIP`.
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        *,
        batch_size: int,
        device: str | torch.device = "cpu",
        shuffle: bool = True,
        drop_last: bool = False,
        augment: bool | Augmentation = False,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        check_examples(x, y, what="DeviceLoader")
        images = x.dim() == 4
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must lie in [0, world_size={world_size}), got {rank}")
        if augment and not images:
            raise ValueError(f"augment needs uint8 (N, C, H, W) images, got {tuple(x.shape)}")
        if not images and (mean is not None or std is not None):
            raise ValueError("mean and std normalise uint8 images; float vectors pass through")
        self.device = torch.device(device)
        self.x, self.y = x.to(self.device), y.to(self.device)
        self.augment = CROP_FLIP if augment is True else augment or None
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0
        self.mean = self._channel_stat(mean, "mean", 0.0)
        self.std = self._channel_stat(std, "std", 1.0)

    def _channel_stat(self, stat: Sequence[float] | None, what: str, default: float) -> Tensor:
        channels = self.x.shape[1] if self.x.dim() == 4 else 1
        values = [default] * channels if stat is None else list(stat)
        if len(values) != channels or (what == "std" and min(values) <= 0):
            raise ValueError(f"{what} must give {channels} per-channel value(s)"
                             f"{' > 0' if what == 'std' else ''}, got {stat}")
        return torch.tensor(values, dtype=torch.float32, device=self.device).view(1, -1, 1, 1)

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass the one of `epoch` (order and augmentation depend on it only)."""
        self.epoch = epoch

    def __len__(self) -> int:
        n = len(self.y) // self.world_size
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        gen = torch.Generator().manual_seed(_mix(self.seed, self.epoch))
        self.epoch += 1
        order = self._order(gen)
        return (self._batch(order[i : i + self.batch_size], gen)
                for i in range(0, len(self) * self.batch_size, self.batch_size))

    def _order(self, gen: torch.Generator) -> Tensor:
        n = len(self.y)
        order = torch.randperm(n, generator=gen) if self.shuffle else torch.arange(n)
        return order[: n - n % self.world_size][self.rank :: self.world_size]

    def _batch(self, idx: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        idx = idx.to(self.device)
        x, y = self.x[idx], self.y[idx]
        if x.dim() == 2:
            return x, y
        if self.augment is not None:
            x = flip_crop(x, gen, pad=self.augment.pad, flip=self.augment.flip)
        x = x.float().div_(255).sub_(self.mean).div_(self.std)
        return x, y


def flip_crop(x: Tensor, gen: torch.Generator, *, pad: int = PAD, flip: bool = True) -> Tensor:
    """Randomly crop each image of (B, C, H, W) from its `pad`-px zero-padded copy, then (if
    `flip`) flip half of them left-right. The random numbers come from `gen` on the CPU, for
    every device."""
    b, _, h, w = x.shape
    shift = torch.randint(0, 2 * pad + 1, (2, b), generator=gen).to(x.device)
    flips = (torch.rand(b, generator=gen) < 0.5).to(x.device) & flip
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))  # (B, C, H+2pad, W+2pad)
    rows = shift[0, :, None] + torch.arange(h, device=x.device)  # (B, H)
    cols = shift[1, :, None] + torch.arange(w, device=x.device)  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    crops = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    crops = crops.permute(0, 3, 1, 2)  # (B, C, H, W)
    return torch.where(flips[:, None, None, None], crops.flip(3), crops).contiguous()


def _mix(seed: int, epoch: int) -> int:
    """One well-mixed 63-bit seed from (seed, epoch)."""
    state = np.random.SeedSequence([seed, epoch]).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])
