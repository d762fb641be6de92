"""Training and scoring the lecture's video classifiers and segmenters on uint8 clips.

Clips are stored as uint8 (N, T, 3, H, W), as `motion` data makes them, and become float
(B, 3, T, H, W) in about [-2, 2] one minibatch at a time. One loop for both tasks: AdamW with a
one-cycle schedule on the cross-entropy (per clip, or per pixel and frame for segmenters).

Clips and 3-D kernels are kept channels-last (`torch.channels_last_3d`): the same numbers, but
oneDNN's 3-D convolutions run about 1.3-2.5x faster on a CPU in that layout.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim.lr_scheduler import LRScheduler


def clip_input(frames: Tensor) -> Tensor:
    """uint8 (B, T, 3, H, W) -> float (B, 3, T, H, W), centred and scaled, channels-last."""
    clip = (frames.float() / 255 - 0.5).transpose(1, 2) * 4
    return clip.contiguous(memory_format=torch.channels_last_3d)


def channels_last(model: nn.Module) -> nn.Module:
    """`model` with its 5-D (3-D convolution) weights made channels-last in place; other
    tensors unchanged (`nn.Module.to` refuses a 3-D memory format for 4-D weights)."""
    for p in model.parameters():
        if p.ndim == 5:
            p.data = p.data.contiguous(memory_format=torch.channels_last_3d)
    return model


def fit(model: nn.Module, frames: Tensor, targets: Tensor, *, steps: int, batch_size: int,
        lr: float, seed: int = 0, weight_decay: float = 1e-4,
        inputs: Callable[[Tensor], Tensor] = clip_input) -> nn.Module:
    """Cross-entropy training on random minibatches of (frames, targets): targets (N,) class
    labels for classifiers or (N, T, H, W) / (N, H, W) label maps for segmenters."""
    gen = torch.Generator().manual_seed(seed)
    optimizer, schedule = one_cycle_adamw(model, lr=lr, steps=steps, weight_decay=weight_decay)
    channels_last(model).train()
    for _ in range(steps):
        idx = torch.randint(len(frames), (batch_size,), generator=gen).to(frames.device)
        sgd_step(optimizer, schedule, F.cross_entropy(model(inputs(frames[idx])), targets[idx]))
    return model.eval()


def one_cycle_adamw(model: nn.Module, *, lr: float, steps: int, weight_decay: float = 1e-4,
                    pct_start: float = 0.2) -> tuple[torch.optim.AdamW, LRScheduler]:
    """AdamW on the model's parameters with a one-cycle schedule peaking at `lr` over `steps`
    (the recipe every trainer of lecture 4's part 2 shares)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return optimizer, torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps,
                                                          pct_start=pct_start)


def sgd_step(optimizer: torch.optim.Optimizer, schedule: LRScheduler | None, loss: Tensor
             ) -> None:
    """One gradient step on `loss`, then one step of the learning-rate schedule (if any)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if schedule is not None:
        schedule.step()


@torch.no_grad()
def predict(model: nn.Module, frames: Tensor, *, batch: int = 64,
            inputs: Callable[[Tensor], Tensor] = clip_input) -> Tensor:
    """The arg-max of the model's outputs over classes (dim 1), in eval mode."""
    channels_last(model).eval()
    return torch.cat([model(inputs(frames[i:i + batch])).argmax(1)
                      for i in range(0, len(frames), batch)])


def accuracy(model: nn.Module, frames: Tensor, labels: Tensor, **kw) -> float:
    return (predict(model, frames, **kw) == labels).float().mean().item()
