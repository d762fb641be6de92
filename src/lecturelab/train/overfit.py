"""Over-fit one batch first (lecture 2; Karpathy, "A Recipe for Training Neural Networks", 2019).

A correct model and pipeline drive the loss on one small batch to about zero; a loss that stays
up flags a bug before any real training is spent. `batch` is either the (x, y) pair itself or a
zero-argument callable returning it, called every step so that the data pipeline is exercised
too (a pipeline that, say, shuffles labels apart from their inputs then shows up).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from lecturelab.foundations.losses import cross_entropy

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass
class OverfitReport:
    """Whether the loss went below the target within the step budget; `losses[i]` is the loss
    after i optimiser steps, so `steps_taken == len(losses) - 1`."""

    passed: bool
    final_loss: float
    steps_taken: int
    losses: list[float] = field(default_factory=list)


LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def overfit_one_batch(model: nn.Module, batch: Batch | Callable[[], Batch], *,
                      loss_fn: LossFn | None = None, steps: int = 500, lr: float = 3e-3,
                      target_loss: float = 0.01) -> OverfitReport:
    """Train `model` with Adam(lr) on one batch for at most `steps` steps, stopping once the loss
    is below `target_loss`. `loss_fn(model(x), y)` defaults to the shape-checked cross-entropy."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    loss_fn = loss_fn or cross_entropy
    next_batch = batch if callable(batch) else lambda: batch
    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses: list[float] = []
    for step in range(steps + 1):
        x, y = next_batch()
        loss = loss_fn(model(x.to(device)), y.to(device))
        losses.append(loss.item())
        if losses[-1] < target_loss or step == steps:
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return OverfitReport(passed=losses[-1] < target_loss, final_loss=losses[-1],
                         steps_taken=len(losses) - 1, losses=losses)
