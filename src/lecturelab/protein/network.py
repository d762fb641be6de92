"""The distogram network: a deep 2-D residual network of dilated convolutions over the L x L
feature image, predicting 64 distance bins per pair (Senior et al. 2020, Fig. 2 and Methods;
AlphaFold 1 used 220 blocks of 128-256 channels, here a few of 32)."""

from __future__ import annotations

import torch
from torch import nn

from lecturelab.protein.distogram import BINS


class DilatedBlock(nn.Module):
    """BatchNorm-ELU-conv1x1 (halve), BatchNorm-ELU-dilated conv3x3, BatchNorm-ELU-conv1x1
    (restore), plus the identity: AlphaFold's residual block."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        mid = channels // 2
        self.body = nn.Sequential(
            nn.BatchNorm2d(channels), nn.ELU(), nn.Conv2d(channels, mid, 1),
            nn.BatchNorm2d(mid), nn.ELU(),
            nn.Conv2d(mid, mid, 3, padding=dilation, dilation=dilation),
            nn.BatchNorm2d(mid), nn.ELU(), nn.Conv2d(mid, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class DistogramNet(nn.Module):
    """(B, C, L, L) pair features -> (B, 64, L, L) distogram logits, symmetric in i and j."""

    def __init__(self, in_channels: int, *, channels: int = 32, blocks: int = 8,
                 dilations: tuple[int, ...] = (1, 2, 4, 8)) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, channels, 1)
        self.blocks = nn.Sequential(*[DilatedBlock(channels, dilations[k % len(dilations)])
                                      for k in range(blocks)])
        self.head = nn.Sequential(nn.BatchNorm2d(channels), nn.ELU(),
                                  nn.Conv2d(channels, BINS, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[-1] != x.shape[-2]:
            raise ValueError(f"pair features must be (B, C, L, L), got {tuple(x.shape)}")
        logits = self.head(self.blocks(self.stem(x)))
        return 0.5 * (logits + logits.transpose(-1, -2))
