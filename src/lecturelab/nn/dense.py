"""Dense block and transition of lecture 3 (DenseNet).

Huang et al. 2017, "Densely Connected Convolutional Networks", Sec. 3: layer l sees the
concatenation [x_0, ..., x_{l-1}] (eq. 2) and adds k (the growth rate) feature maps; DenseNet-B
layers are BN-ReLU-1x1 conv (4k maps)-BN-ReLU-3x3 conv (k maps); a transition (DenseNet-C with
compression 0.5 chosen by the caller) is BN-ReLU-1x1 conv-2x2 average pool. Names of the layers
inside follow torchvision (norm1, conv1, ...), so its weights load with one rename.
"""

from __future__ import annotations

import torch
from torch import nn


class DenseLayer(nn.Module):
    """BN-ReLU-conv1x1 (bn_size * k) -> BN-ReLU-conv3x3 (k): the k new feature maps."""

    def __init__(self, in_channels: int, growth_rate: int, *, bn_size: int = 4) -> None:
        super().__init__()
        width = bn_size * growth_rate
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(width)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, growth_rate, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(out)))


class DenseBlock(nn.Module):
    """`num_layers` dense layers; output channels in_channels + num_layers * growth_rate."""

    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, *,
                 bn_size: int = 4) -> None:
        super().__init__()
        self.out_channels = in_channels + num_layers * growth_rate
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size=bn_size)
            for i in range(num_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))  # input (B, C_0 + l*k, H, W)
        return torch.cat(features, dim=1)


class Transition(nn.Sequential):
    """BN-ReLU-conv1x1 to `out_channels`, then 2x2 average pooling (halves H and W)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.pool = nn.AvgPool2d(2, stride=2)
