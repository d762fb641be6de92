"""Box coding: a box as offsets from its anchor, the regression targets of lecture 4.

Ren et al. 2015, "Faster R-CNN", Eq. 2 (after Girshick et al. 2014, R-CNN, Appendix C):
t_x = (x - x_a) / w_a, t_y = (y - y_a) / h_a, t_w = log(w / w_a), t_h = log(h / h_a), with
(x, y) the box centre. As in Fast R-CNN and torchvision, the targets are multiplied by weights
(w_x, w_y, w_w, w_h), e.g. (10, 10, 5, 5) in the second stage, which scales them to unit
variance, and predicted log-sizes are clamped at log(1000 / 16) before exponentiation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


def centre_size(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """xyxy -> (x_c, y_c, w, h), each (..., )."""
    w = boxes[..., 2] - boxes[..., 0]
    h = boxes[..., 3] - boxes[..., 1]
    return boxes[..., 0] + 0.5 * w, boxes[..., 1] + 0.5 * h, w, h


class BoxCoder:
    """Encode boxes relative to reference boxes (anchors or proposals), and decode back."""

    def __init__(self, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0), *,
                 clamp: float = math.log(1000.0 / 16)) -> None:
        if len(weights) != 4 or min(weights) <= 0:
            raise ValueError(f"weights must be 4 positive numbers, got {tuple(weights)}")
        self.weights = tuple(float(w) for w in weights)
        self.clamp = clamp

    def encode(self, boxes: Tensor, references: Tensor) -> Tensor:
        """The (N, 4) deltas (t_x, t_y, t_w, t_h) that turn `references` into `boxes`."""
        if boxes.shape != references.shape or boxes.shape[-1:] != (4,):
            raise ValueError(f"boxes and references must both be (N, 4), got "
                             f"{tuple(boxes.shape)} and {tuple(references.shape)}")
        wx, wy, ww, wh = self.weights
        x, y, w, h = centre_size(boxes)
        xa, ya, wa, ha = centre_size(references)
        return torch.stack([wx * (x - xa) / wa, wy * (y - ya) / ha,
                            ww * torch.log(w / wa), wh * torch.log(h / ha)], dim=-1)

    def decode(self, deltas: Tensor, references: Tensor) -> Tensor:
        """Boxes from deltas. deltas (N, 4k) -> (N, k, 4) for k class-specific sets, else (N, 4)."""
        if deltas.ndim != 2 or deltas.shape[1] % 4 or references.shape != (len(deltas), 4):
            raise ValueError(f"deltas must be (N, 4k) and references (N, 4), got "
                             f"{tuple(deltas.shape)} and {tuple(references.shape)}")
        d = deltas.reshape(len(deltas), deltas.shape[1] // 4, 4) / deltas.new_tensor(self.weights)
        xa, ya, wa, ha = (t[:, None] for t in centre_size(references))  # (N, 1) each
        x = xa + d[..., 0] * wa
        y = ya + d[..., 1] * ha
        w = wa * torch.exp(d[..., 2].clamp(max=self.clamp))
        h = ha * torch.exp(d[..., 3].clamp(max=self.clamp))
        boxes = torch.stack([x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h], dim=-1)
        return boxes[:, 0] if deltas.shape[1] == 4 else boxes
