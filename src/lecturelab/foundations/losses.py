"""Shape-checked losses (lecture 2: "add shape asserts, because of broadcasting").

`(pred - target) ** 2` with a (B, 1) prediction and a (B,) target broadcasts to (B, B) and returns a
wrong number without a word; every loss here raises a ValueError naming both shapes instead.
Cross-entropy is written three ways, which lecture 2 says are one loss: softmax cross-entropy,
negative log likelihood of the labels, and (2 classes) the logistic loss of the logit difference.
All keep the input dtype, so float64 inputs give float64 losses.
"""

from __future__ import annotations

import torch

REDUCTIONS = ("mean", "sum", "none")


def check_same_shape(a: torch.Tensor, b: torch.Tensor, *, names: tuple[str, str]) -> None:
    """Raise a ValueError naming both shapes unless `a` and `b` have exactly the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} has shape {tuple(a.shape)} but {names[1]} has shape "
                         f"{tuple(b.shape)}; they must match exactly (no broadcasting)")


def check_labels(scores: torch.Tensor, labels: torch.Tensor, *, names: tuple[str, str]) -> None:
    """`scores` must be (B, K) and `labels` (B,) integer class indices."""
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f"{names[0]} must have shape (B, K) and {names[1]} shape (B,), got "
                         f"{tuple(scores.shape)} and {tuple(labels.shape)}")
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(f"{names[1]} must be integer class indices, got dtype {labels.dtype}")


def softplus(x: torch.Tensor) -> torch.Tensor:
    """log(1 + exp(x)) exactly; F.softplus returns x itself above its threshold of 20."""
    return torch.logaddexp(torch.zeros_like(x), x)


def reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def mse_loss(pred: torch.Tensor, target: torch.Tensor, *, reduction: str = "mean") -> torch.Tensor:
    """Mean squared error; `pred` and `target` must have the same shape."""
    check_same_shape(pred, target, names=("pred", "target"))
    return reduce((pred - target) ** 2, reduction)


def binary_cross_entropy_with_logits(logits: torch.Tensor, targets: torch.Tensor, *,
                                     reduction: str = "mean") -> torch.Tensor:
    """Logistic loss of real-valued logits against 0/1 targets of the same shape."""
    check_same_shape(logits, targets, names=("logits", "targets"))
    return reduce(softplus(logits) - targets * logits, reduction)  # -log sigmoid(+-logit)


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, *,
                  reduction: str = "mean") -> torch.Tensor:
    """Softmax cross-entropy, logsumexp(z) - z_y, of (B, K) logits and (B,) labels."""
    check_labels(logits, labels, names=("logits", "labels"))
    z_y = logits.gather(1, labels[:, None])[:, 0]  # (B,)
    return reduce(torch.logsumexp(logits, dim=1) - z_y, reduction)


def nll(probs: torch.Tensor, labels: torch.Tensor, *, reduction: str = "mean") -> torch.Tensor:
    """Negative log likelihood -log p_y of (B,) labels under (B, K) predicted probabilities."""
    check_labels(probs, labels, names=("probs", "labels"))
    return reduce(-torch.log(probs.gather(1, labels[:, None])[:, 0]), reduction)


def logistic_loss(logit_diff: torch.Tensor, labels: torch.Tensor, *,
                  reduction: str = "mean") -> torch.Tensor:
    """log(1 + exp(-s z)) with s = +1 for label 1 and -1 for label 0; z = z_1 - z_0, (B,)."""
    if logit_diff.ndim != 1:
        raise ValueError(f"logit_diff must have shape (B,), got {tuple(logit_diff.shape)}")
    check_same_shape(logit_diff, labels, names=("logit_diff", "labels"))
    sign = 2 * labels.to(logit_diff.dtype) - 1
    return reduce(softplus(-sign * logit_diff), reduction)
