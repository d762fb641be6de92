"""Images for the similarity experiments: uint8 (N, C, H, W) to float, resized, normalised."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


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
