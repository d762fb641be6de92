"""Training and scoring the lecture's video classifiers and segmenters on uint8 clips.

Clips are stored as uint8 (N, T, 3, H, W), as `motion` data makes them, and become float
(B, 3, T, H, W) in about [-2, 2] one minibatch at a time. One loop for both tasks: AdamW with a
one-cycle schedule on the cross-entropy (per clip, or per pixel and frame for segmenters).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def clip_input(frames: Tensor) -> Tensor:
    """uint8 (B, T, 3, H, W) -> float (B, 3, T, H, W), centred and scaled."""
    return (frames.float() / 255 - 0.5).transpose(1, 2) * 4


def fit(model: nn.Module, frames: Tensor, targets: Tensor, *, steps: int, batch_size: int,
        lr: float, seed: int = 0, weight_decay: float = 1e-4,
        inputs: Callable[[Tensor], Tensor] = clip_input) -> nn.Module:
    """Cross-entropy training on random minibatches of (frames, targets): targets (N,) class
    labels for classifiers or (N, T, H, W) / (N, H, W) label maps for segmenters."""
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps,
                                                   pct_start=0.2)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(frames), (batch_size,), generator=gen).to(frames.device)
        loss = F.cross_entropy(model(inputs(frames[idx])), targets[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, frames: Tensor, *, batch: int = 64,
            inputs: Callable[[Tensor], Tensor] = clip_input) -> Tensor:
    """The arg-max of the model's outputs over classes (dim 1), in eval mode."""
    model.eval()
    return torch.cat([model(inputs(frames[i:i + batch])).argmax(1)
                      for i in range(0, len(frames), batch)])


def accuracy(model: nn.Module, frames: Tensor, labels: Tensor, **kw) -> float:
    return (predict(model, frames, **kw) == labels).float().mean().item()
