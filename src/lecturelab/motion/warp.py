"""Backward warping by a flow field with `grid_sample` (lecture 4, optical flow).

`backward_warp(image2, flow)` samples the second frame at x + flow(x): with the true flow from
frame 1 to frame 2 it reconstructs frame 1 wherever the point stays visible. Flow is in pixels,
(u, v) = (x, y), pixel centres at integer + 0.5 (align_corners=False).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def sampling_grid(flow: Tensor) -> Tensor:
    """The grid_sample grid (B, H, W, 2) in [-1, 1] that reads each pixel x at x + flow(x)."""
    b, _, h, w = flow.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=flow.device, dtype=flow.dtype) + 0.5,
                            torch.arange(w, device=flow.device, dtype=flow.dtype) + 0.5,
                            indexing="ij")
    x = (xs + flow[:, 0]) * (2 / w) - 1  # (B, H, W)
    y = (ys + flow[:, 1]) * (2 / h) - 1
    return torch.stack([x, y], dim=-1)


def backward_warp(image: Tensor, flow: Tensor, *, mode: str = "bilinear") -> Tensor:
    """`image` (B, C, H, W) read at x + flow(x) for flow (B, 2, H, W); zeros off the frame."""
    if flow.ndim != 4 or flow.shape[1] != 2 or image.shape[0] != flow.shape[0] \
            or image.shape[-2:] != flow.shape[-2:]:
        raise ValueError(f"need image (B, C, H, W) and flow (B, 2, H, W) of the same B, H, W; "
                         f"got {tuple(image.shape)} and {tuple(flow.shape)}")
    return F.grid_sample(image, sampling_grid(flow.to(image.dtype)), mode=mode,
                         padding_mode="zeros", align_corners=False)
