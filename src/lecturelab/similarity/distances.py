"""Pairwise Euclidean distances of a batch of embeddings, safe to differentiate at zero.

The distance convention of every loss and miner here: d(x, y) = ||x - y||_2 (or its square),
on the raw embeddings or, with `normalize=True`, on the embeddings projected onto the unit
sphere. pytorch-metric-learning's `LpDistance` is the same with `normalize_embeddings` and
`power` (1 or 2); note that it normalises by default while these functions do not.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def check_batch(embeddings: Tensor, labels: Tensor) -> None:
    """Embeddings (B, D) float and labels (B,) integer, or a ValueError naming both shapes."""
    if embeddings.dim() != 2 or not embeddings.is_floating_point():
        raise ValueError(f"embeddings must be a float (B, D) tensor, got {embeddings.dtype} "
                         f"{tuple(embeddings.shape)}")
    if labels.shape != (len(embeddings),) or labels.is_floating_point():
        raise ValueError(f"labels must be an integer ({len(embeddings)},) tensor for embeddings "
                         f"{tuple(embeddings.shape)}, got {labels.dtype} {tuple(labels.shape)}")


def pairwise_distances(embeddings: Tensor, reference: Tensor | None = None, *,
                       normalize: bool = False, squared: bool = False) -> Tensor:
    """(B, R) Euclidean distances between rows of `embeddings` and of `reference` (default: the
    batch itself). The square root has zero gradient where a distance is zero (the diagonal),
    where a plain `sqrt` would give NaN."""
    x = F.normalize(embeddings, dim=1) if normalize else embeddings
    y = x if reference is None else (F.normalize(reference, dim=1) if normalize else reference)
    gram = x @ y.T  # (B, R)
    d2 = (x.pow(2).sum(1, keepdim=True) - 2 * gram + y.pow(2).sum(1)).clamp_min(0)
    if reference is None:
        d2 = d2 * (1 - torch.eye(len(x), dtype=d2.dtype, device=d2.device))  # exact zeros
    if squared:
        return d2
    positive = d2 > 0
    return torch.where(positive, d2.masked_fill(~positive, 1).sqrt(), torch.zeros_like(d2))


def label_masks(labels: Tensor) -> tuple[Tensor, Tensor]:
    """(positive, negative) boolean (B, B) masks: same label without the diagonal, and
    different label."""
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same
