"""Training and applying a semantic segmenter by pixel-wise cross-entropy (lecture 4).

Ronneberger, Fischer & Brox 2015 (U-Net, Sec. 3) train by a softmax cross-entropy over the
pixels; departure: AdamW with a one-cycle schedule (20% warm-up) on random minibatches, no
weight map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def train_segmenter(model: nn.Module, images: Tensor, labels: Tensor, *, steps: int,
                    batch_size: int, lr: float, seed: int) -> nn.Module:
    """Pixel-wise cross-entropy on random batches of the scenes (images (N, 3, H, W), labels
    (N, H, W) class indices); the model is returned in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps,
                                                   pct_start=0.2)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(images), (batch_size,), generator=gen).to(images.device)
        loss = F.cross_entropy(model(images[idx]), labels[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def segment(model: nn.Module, images: Tensor, batch: int = 64) -> Tensor:
    """The most likely class of each pixel, (N, H, W), predicted `batch` images at a time."""
    return torch.cat([model(images[i:i + batch]).argmax(1) for i in range(0, len(images), batch)])
