"""Mask head: instance segmentation as detection plus a per-RoI mask (lecture 4, task 3).

He et al. 2017, "Mask R-CNN", Sec. 3 and Fig. 4 (right, the FPN head): each foreground RoI is
RoIAligned to 14x14, four 3x3 conv + ReLU layers, a 2x2 stride-2 transposed conv to 28x28, and
a 1x1 conv to one mask per class (K sigmoid masks, no competition between classes); the loss is
the per-pixel binary cross-entropy of the ground-truth class's mask against the object's mask
resampled onto the RoI (Sec. 3, L_mask). At inference the predicted class's 28x28 mask is
resized onto its box and thresholded at 0.5 (Sec. 3.1).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import roi_align


class MaskHead(nn.Module):
    """(R, C, S, S) pooled RoIs (S = 14 in the paper) -> (R, K, 2S, 2S) mask logits."""

    def __init__(self, in_channels: int, num_classes: int, *, channels: int = 256,
                 convs: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(convs):
            layers += [nn.Conv2d(in_channels if i == 0 else channels, channels, 3, padding=1),
                       nn.ReLU()]
        self.convs = nn.Sequential(*layers)
        self.upsample = nn.ConvTranspose2d(channels if convs else in_channels, channels, 2,
                                           stride=2)
        self.logits = nn.Conv2d(channels, num_classes, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, pooled: Tensor) -> Tensor:
        return self.logits(F.relu(self.upsample(self.convs(pooled))))


def mask_targets(masks: Tensor, matched: Tensor, boxes: Tensor, size: int = 28) -> Tensor:
    """Each RoI's object mask (G, H, W) resampled onto the RoI box: (R, size, size) in [0, 1]."""
    if len(boxes) == 0:
        return boxes.new_zeros(0, size, size)
    rois = torch.cat([matched[:, None].to(boxes.dtype), boxes], 1)  # (R, 5)
    return roi_align(masks[:, None].float(), rois, (size, size), 1.0, 2, aligned=True)[:, 0]


def mask_loss(logits: Tensor, labels: Tensor, targets: Tensor) -> Tensor:
    """Mean per-pixel BCE of each RoI's true-class mask; logits (R, K, S, S), labels 1..K."""
    if len(labels) == 0:
        return logits.sum() * 0.0
    chosen = logits[torch.arange(len(labels), device=labels.device), labels - 1]  # (R, S, S)
    return F.binary_cross_entropy_with_logits(chosen, targets)


def paste_masks(probabilities: Tensor, boxes: Tensor, image_size: tuple[int, int]) -> Tensor:
    """(N, S, S) masks in [0, 1] resampled onto their boxes in an image: (N, H, W).

    Pixel centres are mapped into each box's [-1, 1] coordinates and bilinearly sampled;
    outside the box the mask is 0.
    """
    h, w = image_size
    if len(boxes) == 0:
        return probabilities.new_zeros(0, h, w)
    ys = torch.arange(h, device=boxes.device, dtype=boxes.dtype) + 0.5
    xs = torch.arange(w, device=boxes.device, dtype=boxes.dtype) + 0.5
    x1, y1, x2, y2 = (boxes[:, i, None] for i in range(4))  # (N, 1) each
    u = 2 * (xs - x1) / (x2 - x1).clamp(min=1e-6) - 1  # (N, W)
    v = 2 * (ys - y1) / (y2 - y1).clamp(min=1e-6) - 1  # (N, H)
    grid = torch.stack([u[:, None, :].expand(-1, h, -1), v[:, :, None].expand(-1, -1, w)], -1)
    return F.grid_sample(probabilities[:, None], grid, align_corners=False)[:, 0]  # (N, H, W)


def predicted_masks(head: MaskHead, pooled: Tensor, detections: Sequence[dict[str, Tensor]],
                    image_size: tuple[int, int], *, threshold: float = 0.5) -> None:
    """Add "masks" (N, H, W) bool to each image's detections, from the pooled RoIs of its boxes."""
    probabilities = torch.sigmoid(head(pooled))  # (R, K, 2S, 2S)
    labels = torch.cat([d["labels"] for d in detections])
    chosen = probabilities[torch.arange(len(labels), device=labels.device), labels - 1]
    for d, p in zip(detections, chosen.split([len(d["labels"]) for d in detections]),
                    strict=True):
        d["masks"] = paste_masks(p, d["boxes"], image_size) >= threshold
