"""Anchors: the discretised box space of lecture 4 ("anchor point for (x_c, y_c), scales and
ratios for (h, w)").

Ren et al. 2015, "Faster R-CNN", Sec. 3.1.1: at every position of a feature map of stride s sit
k = |sizes| x |ratios| reference boxes centred on that position; a box of size a and ratio
r = h / w has w = a / sqrt(r), h = a sqrt(r), so its area is a^2 whatever the ratio. Lin et al.
2017, "Focal Loss for Dense Object Detection", Sec. 4: per pyramid level one base size times the
octave scales {2^0, 2^(1/3), 2^(2/3)} and ratios {1:2, 1:1, 2:1}, 9 anchors a position.
Deliberate departures from torchvision's AnchorGenerator: anchors are centred on the cell centre
((x + 0.5) s, not x s) and their corners are not rounded to integers.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def cell_anchors(sizes: Sequence[float], aspect_ratios: Sequence[float]) -> Tensor:
    """The (len(ratios) * len(sizes), 4) xyxy boxes centred on (0, 0); ratio-major order, as
    torchvision, so that heads trained there keep their meaning here."""
    if not sizes or not aspect_ratios or min(sizes) <= 0 or min(aspect_ratios) <= 0:
        raise ValueError(f"sizes and aspect_ratios must be non-empty and positive, got "
                         f"{tuple(sizes)} and {tuple(aspect_ratios)}")
    size = torch.tensor(sizes, dtype=torch.float32)[None, :]  # (1, S)
    ratio = torch.tensor(aspect_ratios, dtype=torch.float32)[:, None]  # (R, 1)
    half_w = (size / ratio.sqrt() / 2).reshape(-1)  # (R*S,)
    half_h = (size * ratio.sqrt() / 2).reshape(-1)
    return torch.stack([-half_w, -half_h, half_w, half_h], dim=1)


def octave_sizes(base_sizes: Sequence[float], scales_per_octave: int = 3
                 ) -> tuple[tuple[float, ...], ...]:
    """RetinaNet's per-level sizes: each base size times 2^(i / scales_per_octave)."""
    return tuple(tuple(b * 2 ** (i / scales_per_octave) for i in range(scales_per_octave))
                 for b in base_sizes)


class AnchorGenerator:
    """Anchors for a list of feature maps, one entry of `sizes` and `strides` per level.

    Anchors are ordered level by level, then row (y), column (x), then the cell's boxes: the
    order in which a head's (B, A*C, H, W) output is flattened to (B, H*W*A, C).
    """

    def __init__(self, sizes: Sequence[Sequence[float]], strides: Sequence[int], *,
                 aspect_ratios: Sequence[float] = (0.5, 1.0, 2.0)) -> None:
        if len(sizes) != len(strides):
            raise ValueError(f"need one sizes entry per stride, got {len(sizes)} sizes for "
                             f"strides {tuple(strides)}")
        if len({len(s) for s in sizes}) != 1:
            raise ValueError(f"every level needs the same number of sizes, got {tuple(sizes)}")
        self.strides = tuple(strides)
        self.cells = [cell_anchors(s, aspect_ratios) for s in sizes]

    @property
    def num_anchors_per_location(self) -> int:
        return len(self.cells[0])

    def grid_anchors(self, level: int, height: int, width: int,
                     device: torch.device | None = None) -> Tensor:
        """The (height * width * A, 4) anchors of one level's H x W map."""
        stride = self.strides[level]
        ys = (torch.arange(height, dtype=torch.float32, device=device) + 0.5) * stride
        xs = (torch.arange(width, dtype=torch.float32, device=device) + 0.5) * stride
        cy, cx = torch.meshgrid(ys, xs, indexing="ij")
        centres = torch.stack([cx, cy, cx, cy], dim=-1)  # (H, W, 4)
        boxes = centres[:, :, None, :] + self.cells[level].to(device)  # (H, W, A, 4)
        return boxes.reshape(-1, 4)

    def __call__(self, feature_sizes: Sequence[tuple[int, int]],
                 device: torch.device | None = None) -> Tensor:
        """All levels' anchors concatenated, (sum_l H_l W_l A, 4)."""
        if len(feature_sizes) != len(self.strides):
            raise ValueError(f"expected {len(self.strides)} feature maps, got "
                             f"{len(feature_sizes)}")
        return torch.cat([self.grid_anchors(i, h, w, device)
                          for i, (h, w) in enumerate(feature_sizes)])
