"""Focal loss: down-weight the easy negatives that overwhelm a dense detector (lecture 4).

Lin et al. 2017, "Focal Loss for Dense Object Detection", Sec. 3: with p_t the probability of
the true class, FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t) (Eq. 5); gamma = 0 and no alpha is
plain binary cross-entropy. Sec. 3.3: the classifier's bias starts at b = -log((1 - pi) / pi)
so that every anchor begins with foreground probability pi = 0.01 ("prior initialisation").
Fig. 4: the cumulative share of the total loss carried by the easiest negatives.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def sigmoid_focal_loss(logits: Tensor, targets: Tensor, *, alpha: float | None = 0.25,
                       gamma: float = 2.0) -> Tensor:
    """Element-wise FL for sigmoid outputs; targets in {0, 1}; `alpha=None` means alpha_t = 1."""
    if logits.shape != targets.shape:
        raise ValueError(f"logits and targets must have the same shape, got "
                         f"{tuple(logits.shape)} and {tuple(targets.shape)}")
    if gamma < 0 or (alpha is not None and not 0 <= alpha <= 1):
        raise ValueError(f"need gamma >= 0 and alpha in [0, 1] or None, got {gamma}, {alpha}")
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")  # -log(p_t)
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma if gamma else ce
    if alpha is not None:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    return loss


def prior_bias(pi: float = 0.01) -> float:
    """The classification bias b = -log((1 - pi) / pi) that makes sigmoid(b) = pi."""
    if not 0 < pi < 1:
        raise ValueError(f"the prior pi must be in (0, 1), got {pi}")
    return -math.log((1 - pi) / pi)


def easiest_share(losses: Tensor, fraction: float = 0.9) -> float:
    """The share of sum(losses) carried by the `fraction` of elements with the smallest losses."""
    if losses.ndim != 1 or len(losses) == 0 or not 0 < fraction <= 1:
        raise ValueError(f"losses must be a non-empty (N,) tensor and fraction in (0, 1], got "
                         f"shape {tuple(losses.shape)} and {fraction}")
    ordered = losses.detach().double().sort().values
    total = float(ordered.sum())
    return float(ordered[: int(fraction * len(ordered))].sum()) / total if total > 0 else 0.0
