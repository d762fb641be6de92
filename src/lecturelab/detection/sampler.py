"""Choosing which labelled anchors enter the loss: balanced sampling and hard negative mining.

Ren et al. 2015, "Faster R-CNN", Sec. 3.1.3: each image contributes 256 anchors, up to half of
them positive, the rest negatives drawn at random ("the loss would be biased towards negative
samples, as they are dominant"); Fast R-CNN samples 25% foreground RoIs the same way. Online hard
negative mining (Shrivastava et al. 2016; the "OHEM 1:3" row of Lin et al. 2017, Table 1d)
keeps every positive and only the highest-loss negatives, three per positive.
"""

from __future__ import annotations

import torch
from torch import Tensor


def sample_balanced(labels: Tensor, *, batch_size: int, positive_fraction: float,
                    generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Indices of sampled positives and negatives; labels (N,): 1 positive, 0 negative, -1 ignore.

    At most `positive_fraction * batch_size` positives; negatives fill the batch up to
    `batch_size`. Draws are uniform without replacement (torch's RNG or `generator`).
    """
    if labels.ndim != 1:
        raise ValueError(f"labels must be (N,), got shape {tuple(labels.shape)}")
    if batch_size < 1 or not 0 < positive_fraction <= 1:
        raise ValueError(f"need batch_size >= 1 and 0 < positive_fraction <= 1, got "
                         f"{batch_size} and {positive_fraction}")
    positive = torch.nonzero(labels == 1).flatten()
    negative = torch.nonzero(labels == 0).flatten()
    num_pos = min(len(positive), int(batch_size * positive_fraction))
    num_neg = min(len(negative), batch_size - num_pos)
    pick_pos = torch.randperm(len(positive), generator=generator)[:num_pos].to(labels.device)
    pick_neg = torch.randperm(len(negative), generator=generator)[:num_neg].to(labels.device)
    return positive[pick_pos], negative[pick_neg]


def hard_negative_mask(losses: Tensor, labels: Tensor, *, negatives_per_positive: int = 3,
                       min_negatives: int = 0) -> Tensor:
    """Bool (N,) mask of every positive and the highest-loss negatives, 1 : ratio.

    losses (N,) per-candidate losses; labels (N,) as in `sample_balanced`. The number of negatives
    is `negatives_per_positive * #positives`, at least `min_negatives` (for images without
    objects), at most all of them.
    """
    if losses.shape != labels.shape or losses.ndim != 1:
        raise ValueError(f"losses and labels must both be (N,), got {tuple(losses.shape)} and "
                         f"{tuple(labels.shape)}")
    positive, negative = labels == 1, labels == 0
    wanted = max(negatives_per_positive * int(positive.sum()), min_negatives)
    num_neg = min(wanted, int(negative.sum()))
    neg_losses = torch.where(negative, losses.detach(), torch.full_like(losses, -float("inf")))
    hardest = neg_losses.topk(num_neg).indices
    mask = positive.clone()
    mask[hardest] = True
    return mask
