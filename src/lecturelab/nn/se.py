"""Squeeze-and-excitation: features re-weighted by global context (lecture 3, SENet).

Hu et al. 2018, "Squeeze-and-Excitation Networks", Sec. 3 and Fig. 3: squeeze by global average
pooling (eq. 2), excite with FC -> ReLU -> FC -> sigmoid (eq. 3, W1 and W2 with reduction r),
scale each channel (eq. 4). The two FC layers are 1x1 convolutions with bias (same parameters),
named fc1 / fc2 as in torchvision's SqueezeExcitation. Every output pixel depends on every input
pixel through the pooled context, whatever the receptive field of the convolutions around it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class SqueezeExcitation(nn.Module):
    """x * sigmoid(W2 delta(W1 avgpool(x))), W1: C -> squeeze_channels, W2: back to C."""

    def __init__(self, channels: int, squeeze_channels: int, *,
                 activation: Callable[[], nn.Module] = nn.ReLU) -> None:
        super().__init__()
        if squeeze_channels < 1:
            raise ValueError(f"squeeze_channels must be at least 1, got {squeeze_channels}")
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)
        self.act = activation()
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        context = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(context))))
