"""Counting object instances: by the blobs of a semantic mask, or by detections (lecture 4).

Semantic segmentation labels pixels, not objects: two touching objects of one class form one
blob, so counting the connected components of each class of a semantic mask (4-connectivity,
scipy.ndimage.label) undercounts. A detector with a mask head (Mask R-CNN, He et al. 2017)
finds each instance first; its instances are the detections scoring at least a threshold,
after NMS across classes (one object found under two class labels is one instance).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor
from torchvision.ops import nms

Detection = dict[str, Tensor]


def components(semantic: Tensor) -> tuple[np.ndarray, int]:
    """The connected blobs (4-connectivity) of each class of an (H, W) semantic mask (0
    background), numbered 1..n across classes in an (H, W) map, and n; blobs of different
    classes are told apart even when they touch."""
    if semantic.ndim != 2:
        raise ValueError(f"semantic must be (H, W), got {tuple(semantic.shape)}")
    labels = semantic.cpu().numpy()
    numbered, n = np.zeros(labels.shape, dtype=np.int64), 0
    for c in np.unique(labels[labels != 0]):
        blobs, k = ndimage.label(labels == c)
        numbered[blobs > 0] = blobs[blobs > 0] + n
        n += k
    return numbered, n


def count_components(semantic: Tensor) -> int:
    """Objects counted as the connected blobs of each class (`components`)."""
    return components(semantic)[1]


def semantic_masks(targets: list[dict[str, Tensor]]) -> list[Tensor]:
    """Each image's (H, W) semantic mask, from its disjoint visible instance masks."""
    return [(t["labels"][:, None, None] * t["masks"]).sum(0) for t in targets]


def instance_indices(detection: Detection, threshold: float, nms_iou: float = 0.5) -> Tensor:
    """Indices of the detections that stand for objects: those scoring >= threshold, after NMS
    across classes (one object found under two class labels is one instance)."""
    above = torch.nonzero(detection["scores"] >= threshold).flatten()
    return above[nms(detection["boxes"][above], detection["scores"][above], nms_iou)]


def count_instances(detection: Detection, threshold: float) -> int:
    """How many objects an image's detections stand for (`instance_indices`)."""
    return len(instance_indices(detection, threshold))


def count_accuracy(detections: list[Detection], truth: Tensor, threshold: float) -> float:
    """The share of images whose instance count (`count_instances`) is exactly `truth`."""
    found = torch.tensor([count_instances(d, threshold) for d in detections])
    return (found == truth).float().mean().item()


def best_threshold(detections: list[Detection], truth: Tensor,
                   thresholds: tuple[float, ...]) -> float:
    """The threshold that counts right most often (the lowest among ties)."""
    return max(thresholds, key=lambda s: (count_accuracy(detections, truth, s), -s))
