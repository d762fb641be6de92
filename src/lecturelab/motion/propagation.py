"""Propagating a keyframe's labels along optical flow (lecture 4: "labelling video is tedious:
humans label keyframes and methods propagate the labels").

`propagate_labels` carries a label map from frame 0 to every later frame: frame t+1 reads
frame t's (soft, one-hot) labels through the flow from t+1 back to t, by backward warping
(motion/warp.py), and the arg-max is its label. `copy_labels` is the baseline that repeats the
keyframe. `block_matching_flow` estimates flow without training: each pixel takes the
displacement whose 5x5 patch best matches (least squared difference) the other frame - the
correlation layer's comparison over a window, as in classical block matching.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from lecturelab.motion.correlation import displacements
from lecturelab.motion.warp import backward_warp

FlowEstimator = Callable[[Tensor, Tensor], Tensor]  # (frame1, frame2) -> flow 1 -> 2


@torch.no_grad()
def block_matching_flow(frame1: Tensor, frame2: Tensor, *, max_displacement: int = 6,
                        patch: int = 5) -> Tensor:
    """Whole-pixel flow (B, 2, H, W) from frame1 to frame2 ((B, C, H, W)) by matching
    `patch` x `patch` windows over displacements up to `max_displacement`."""
    h, w, m = frame1.shape[-2], frame1.shape[-1], max_displacement
    padded = F.pad(frame2, (m, m, m, m), mode="replicate")
    costs, moves = [], displacements(m)
    for dy, dx in moves:
        diff = (frame1 - padded[..., m + dy:m + dy + h, m + dx:m + dx + w]).pow(2).sum(1)
        costs.append(F.avg_pool2d(diff[:, None], patch, 1, patch // 2,
                                  count_include_pad=False)[:, 0])
    best = torch.stack(costs, 1).argmin(1)  # (B, H, W) index into moves
    table = torch.tensor([(dx, dy) for dy, dx in moves], dtype=frame1.dtype,
                         device=frame1.device)  # (D, 2) as (u, v)
    return table[best].permute(0, 3, 1, 2)  # (B, 2, H, W)


@torch.no_grad()
def propagate_labels(labels: Tensor, frames: Tensor, estimate: FlowEstimator,
                     num_labels: int) -> Tensor:
    """Label maps (B, T, H, W) for all frames (B, T, C, H, W) from frame 0's `labels`
    (B, H, W), carried forward frame by frame along the estimated flow."""
    soft = F.one_hot(labels, num_labels).permute(0, 3, 1, 2).float()  # (B, K, H, W)
    out = [labels]
    for t in range(frames.shape[1] - 1):
        back = estimate(frames[:, t + 1], frames[:, t])  # flow from frame t+1 to frame t
        soft = backward_warp(soft, back)
        out.append(soft.argmax(1))
    return torch.stack(out, 1)


def copy_labels(labels: Tensor, frames: int) -> Tensor:
    """The keyframe's labels (B, H, W) repeated for `frames` frames: (B, T, H, W)."""
    return labels[:, None].expand(-1, frames, -1, -1)
