"""Matching anchors (or proposals) to ground-truth boxes by IoU, the labelling step of lecture 4.

Ren et al. 2015, "Faster R-CNN", Sec. 3.1.2: an anchor is positive when its IoU with some
ground-truth box is above `high` (0.7), negative when below `low` (0.3) for all of them, and
ignored in between; the anchors with the highest IoU for a ground-truth box are positive too,
whatever their IoU ("low-quality matches", so that every object gets an anchor; ties all count,
as in torchvision's Matcher). The second stage uses high = low = 0.5 without low-quality matches;
RetinaNet 0.5 / 0.4 (Lin et al. 2017, Sec. 4).
"""

from __future__ import annotations

import torch
from torch import Tensor

BELOW_LOW = -1  # negative: background
BETWEEN = -2  # ignored in the loss


class Matcher:
    """iou (G, N) -> for each of the N candidates the index of its ground truth, or a code.

    A batch (B, G, N) of padded matrices (IoU -1 in the rows of absent objects) gives (B, N) at
    once, as B separate (G_b, N) matrices would.
    """

    def __init__(self, high: float, low: float, *, allow_low_quality_matches: bool) -> None:
        if not 0 <= low <= high <= 1:
            raise ValueError(f"need 0 <= low <= high <= 1, got low={low}, high={high}")
        self.high, self.low = high, low
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, iou: Tensor) -> Tensor:
        if iou.ndim not in (2, 3):
            raise ValueError(f"iou must be a (G, N) or (B, G, N) matrix, got shape "
                             f"{tuple(iou.shape)}")
        if iou.shape[-2] == 0:  # no objects: every candidate is background
            return torch.full((*iou.shape[:-2], iou.shape[-1]), BELOW_LOW, dtype=torch.int64,
                              device=iou.device)
        best, matches = iou.max(dim=-2)  # (..., N) each
        result = matches.clone()
        result[best < self.high] = BETWEEN
        result[best < self.low] = BELOW_LOW
        if self.allow_low_quality_matches:
            best_per_gt = iou.max(dim=-1, keepdim=True).values  # (..., G, 1)
            candidates = ((iou == best_per_gt) & (best_per_gt > 0)).any(dim=-2)  # (..., N)
            result[candidates] = matches[candidates]
        return result
