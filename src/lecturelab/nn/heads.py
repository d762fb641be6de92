"""The classifier head swap behind every zoo model's `reset_classifier(n)` (timm's contract)."""

from __future__ import annotations

from torch import nn


def new_classifier(old: nn.Linear, num_classes: int) -> nn.Linear:
    """A freshly initialised linear classifier with `old`'s input width, on `old`'s device."""
    return nn.Linear(old.in_features, num_classes).to(old.weight.device)
