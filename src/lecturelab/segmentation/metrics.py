"""Semantic segmentation metrics of lecture 4 ("Metrics and benchmarks"): pixel accuracy,
intersection over union, boundary F1.

Pixel accuracy is the share of pixels labelled right; the notes call it foolish, since a
predictor of "background everywhere" already scores high. Mean IoU follows PASCAL VOC
(Everingham et al. 2010, Sec. 4.2): one confusion matrix over the whole set, IoU_c = TP / (TP +
FP + FN) per class, background (class 0) included, averaged over the classes that occur in the
truth or the prediction. Boundary F1 is the BF score of Csurka, Larlus & Perronnin 2013, "What
is a good evaluation measure for semantic segmentation?", Sec. 4: per image and class, the share
of predicted boundary pixels within `tolerance` of a true one (precision) and vice versa
(recall), their F1, averaged over the (image, class) pairs present in truth or prediction; the
default tolerance is theirs, 0.75% of the image diagonal. Departure: the tolerance is a square
(Chebyshev distance, by max pooling), not a disc, so it is floored to whole pixels: 0 up to
94 x 94 pixels (only the exact boundary pixel counts), 1 up to 188 x 188.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def confusion_matrix(pred: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """Counts int64 (C, C): row = true class, column = predicted class."""
    _check(pred, target, num_classes)
    pairs = target.reshape(-1) * num_classes + pred.reshape(-1)
    return torch.bincount(pairs, minlength=num_classes**2).reshape(num_classes, num_classes)


def pixel_accuracy(pred: Tensor, target: Tensor) -> float:
    """The share of pixels whose predicted class is the true one."""
    if pred.shape != target.shape or pred.numel() == 0:
        raise ValueError(f"pred and target must have the same non-empty shape, got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    return (pred == target).double().mean().item()


def class_iou(pred: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """IoU per class (C,) float64, NaN for a class in neither truth nor prediction."""
    counts = confusion_matrix(pred, target, num_classes).double()
    tp = counts.diagonal()
    union = counts.sum(0) + counts.sum(1) - tp
    return torch.where(union > 0, tp / union.clamp(min=1), torch.nan)


def mean_iou(pred: Tensor, target: Tensor, num_classes: int) -> float:
    """The mean of `class_iou` over the classes that occur."""
    return class_iou(pred, target, num_classes).nanmean().item()


def boundaries(masks: Tensor) -> Tensor:
    """The pixels of bool masks (..., H, W) with a 8-neighbour outside the mask; the image's
    edge is not a boundary."""
    m = masks.float().reshape(-1, 1, *masks.shape[-2:])  # (N, 1, H, W)
    eroded = -F.max_pool2d(-m, 3, stride=1, padding=1)  # padding is -inf: ignored
    return (m > eroded).reshape(masks.shape)


def boundary_f1(pred: Tensor, target: Tensor, num_classes: int, *,
                tolerance: int | None = None) -> float:
    """Mean BF score over the (image, class) pairs present in truth or prediction; labels
    (B, H, W) or (H, W). A class present on one side only scores 0. `tolerance` in pixels,
    default `bf_tolerance` of the image size."""
    _check(pred, target, num_classes)
    if pred.dim() == 2:
        pred, target = pred[None], target[None]
    if tolerance is None:
        tolerance = bf_tolerance(*pred.shape[-2:])
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 pixels, got {tolerance}")
    classes = torch.arange(num_classes, device=pred.device)[:, None, None]
    bp = boundaries(pred[:, None] == classes)  # (B, C, H, W)
    bt = boundaries(target[:, None] == classes)
    near_p, near_t = _dilate(bp, tolerance), _dilate(bt, tolerance)
    n_p, n_t = bp.flatten(2).sum(-1), bt.flatten(2).sum(-1)  # (B, C)
    precision = (bp & near_t).flatten(2).sum(-1) / n_p.clamp(min=1)
    recall = (bt & near_p).flatten(2).sum(-1) / n_t.clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    present = (pred[:, None] == classes).flatten(2).any(-1) | (
        target[:, None] == classes).flatten(2).any(-1)
    both_flat = (n_p == 0) & (n_t == 0) & present  # e.g. a class filling the whole image
    f1 = torch.where(both_flat, 1.0, f1)
    return f1[present].double().mean().item()


def bf_tolerance(height: int, width: int) -> int:
    """Csurka et al.'s tolerance, 0.75% of the diagonal, in whole pixels (floored)."""
    return int(0.0075 * (height**2 + width**2) ** 0.5)


def _dilate(masks: Tensor, radius: int) -> Tensor:
    m = masks.float().flatten(0, 1)[:, None]  # (B*C, 1, H, W)
    grown = F.max_pool2d(m, 2 * radius + 1, stride=1, padding=radius)
    return grown.reshape(masks.shape) > 0


def _check(pred: Tensor, target: Tensor, num_classes: int) -> None:
    if pred.shape != target.shape or pred.dim() not in (2, 3):
        raise ValueError(f"pred and target must both be (B, H, W) or (H, W), got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    for name, t in (("pred", pred), ("target", target)):
        if t.dtype != torch.int64:
            raise ValueError(f"{name} must hold int64 class labels, got {t.dtype}")
        if t.numel() and not 0 <= int(t.min()) <= int(t.max()) < num_classes:
            raise ValueError(f"{name} labels must lie in [0, {num_classes}), got "
                             f"[{int(t.min())}, {int(t.max())}]")
