"""U-Net: an encoder-decoder whose skip connections carry high-frequency detail (lecture 4).

Ronneberger, Fischer & Brox 2015, "U-Net: Convolutional networks for biomedical image
segmentation", Sec. 2 and Fig. 1: the contracting path repeats two 3x3 conv + ReLU and a 2x2
max pool that doubles the channels; the expanding path repeats a 2x2 up-convolution that halves
them, concatenation with the encoder map of the same scale (the skip connection), and two 3x3
conv + ReLU; a 1x1 conv gives the class scores. Trained with pixel-wise cross-entropy.

Departures: "same" padding, so the output has the input's size and skips need no cropping;
batch norm after every conv (trains faster at this scale); depth and width are parameters (the
paper: 4 poolings, 64 channels). `skips=False` is the same net with its skip connections cut.

`UEncoder` and `UDecoder` are the two halves of the U. The decoder takes any list of encoder
maps (finest first, each twice the size of the next) and returns its map at every scale, so a
dense head can read the finest and a detection head any scale: the U shape that U-Net shares
with a feature pyramid (RetinaNet's FPN, detection/fpn.py, merges by a linear sum instead).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class DoubleConv(nn.Sequential):
    """Two (3x3 conv, batch norm, ReLU) units with "same" padding: U-Net's unit of work."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
        )


class UEncoder(nn.Module):
    """The contracting path: maps at `depth` + 1 scales, finest first; channels width * 2^i."""

    def __init__(self, in_channels: int, *, depth: int, width: int) -> None:
        super().__init__()
        self.channels = [width * 2**i for i in range(depth + 1)]
        ins = [in_channels, *self.channels[:-1]]
        self.stages = nn.ModuleList(DoubleConv(i, o) for i, o in zip(ins, self.channels,
                                                                     strict=True))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: Tensor) -> list[Tensor]:
        features = [self.stages[0](x)]
        for stage in self.stages[1:]:
            features.append(stage(self.pool(features[-1])))
        return features


class UDecoder(nn.Module):
    """The expanding path over encoder maps with `channels` (finest first).

    From the coarsest map up: a 2x2 up-convolution to the next scale's channels, concatenation
    with that scale's encoder map (when `skips`), a DoubleConv. Returns the decoded maps, finest
    first (the coarsest is the encoder's own).
    """

    def __init__(self, channels: Sequence[int], *, skips: bool = True) -> None:
        super().__init__()
        if len(channels) < 2:
            raise ValueError(f"need encoder channels at >= 2 scales, got {list(channels)}")
        self.skips = skips
        fine, coarse = channels[:-1], channels[1:]
        self.up = nn.ModuleList(nn.ConvTranspose2d(c, f, 2, stride=2)
                                for f, c in zip(fine, coarse, strict=True))
        self.merge = nn.ModuleList(DoubleConv(f * (2 if skips else 1), f) for f in fine)

    def forward(self, features: Sequence[Tensor]) -> list[Tensor]:
        if len(features) != len(self.up) + 1:
            raise ValueError(f"expected {len(self.up) + 1} encoder maps, got {len(features)}")
        x, decoded = features[-1], [features[-1]]
        for skip, up, merge in zip(features[-2::-1], self.up[::-1], self.merge[::-1],
                                   strict=True):
            x = up(x)
            x = merge(torch.cat([skip, x], 1) if self.skips else x)  # (B, C_skip + C, H, W)
            decoded.insert(0, x)
        return decoded


class UNet(nn.Module):
    """Per-pixel class scores (B, num_classes, H, W) of images (B, in_channels, H, W), with H
    and W divisible by 2^depth."""

    def __init__(self, in_channels: int = 3, num_classes: int = 2, *, depth: int = 4,
                 width: int = 64, skips: bool = True) -> None:
        super().__init__()
        if depth < 1 or width < 1 or num_classes < 1:
            raise ValueError(f"need depth, width, num_classes >= 1, got {depth}, {width}, "
                             f"{num_classes}")
        self.depth, self.num_classes = depth, num_classes
        self.encoder = UEncoder(in_channels, depth=depth, width=width)
        self.decoder = UDecoder(self.encoder.channels, skips=skips)
        self.head = nn.Conv2d(width, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[-1] % 2**self.depth or x.shape[-2] % 2**self.depth:
            raise ValueError(f"x must be (B, C, H, W) with H, W divisible by "
                             f"{2**self.depth}, got {tuple(x.shape)}")
        return self.head(self.decoder(self.encoder(x))[0])
