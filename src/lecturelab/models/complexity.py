"""Model cost: parameters and multiply-adds (lecture 3, "bottleneck blocks: ResNet-152 is
actually cheaper than VGG", "depthwise separable convolutions reduce complexity").

Multiply-adds (MACs) are counted by torch.utils.flop_counter.FlopCounterMode on one forward pass
at batch size 1 and halved (it counts a multiply-add as two FLOPs). Like the papers' numbers,
this covers convolutions and matrix products only; batch norm, activations, pooling and
additions are not counted. The papers' "FLOPs" (He et al. 2016a, Table 1; Simonyan & Zisserman
via He et al.) are multiply-adds in this sense.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameter entries (buffers such as BN statistics excluded)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_macs(model: nn.Module, input_size: Sequence[int]) -> int:
    """Multiply-adds of one forward pass on a single (C, H, W) input, in eval mode."""
    if len(input_size) != 3 or min(input_size) < 1:
        raise ValueError(f"input_size must be (C, H, W) with positive entries, got "
                         f"{tuple(input_size)}")
    device = next(model.parameters()).device
    x = torch.zeros(1, *input_size, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2
