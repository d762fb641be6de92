"""The inception module of lecture 3 (GoogLeNet).

Szegedy et al. 2015, "Going Deeper with Convolutions", Fig. 2(b) and Table 1: four parallel
branches concatenated along channels - 1x1; 1x1 reduce -> 3x3; 1x1 reduce -> 5x5; 3x3 max pool
-> 1x1 projection. Every conv is conv -> BN -> ReLU (BN eps 1e-3) as in torchvision; the paper
predates batch norm. `kernel_5x5` sets the third branch's kernel: 5 in the paper, 3 in torchvision
(and its ImageNet weights), which the zoo's `googlenet` follows for parity.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from lecturelab.nn.conv import ConvBNAct

InceptionConv = partial(ConvBNAct, norm=partial(nn.BatchNorm2d, eps=1e-3))


class InceptionModule(nn.Module):
    """Channels out: ch1x1 + ch3x3 + ch5x5 + pool_proj, spatial size kept."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3_reduce: int, ch3x3: int,
                 ch5x5_reduce: int, ch5x5: int, pool_proj: int, *, kernel_5x5: int = 5) -> None:
        super().__init__()
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
        self.branch1 = InceptionConv(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(InceptionConv(in_channels, ch3x3_reduce, 1),
                                     InceptionConv(ch3x3_reduce, ch3x3, 3))
        self.branch3 = nn.Sequential(InceptionConv(in_channels, ch5x5_reduce, 1),
                                     InceptionConv(ch5x5_reduce, ch5x5, kernel_5x5))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     InceptionConv(in_channels, pool_proj, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([branch(x) for branch in branches], dim=1)
