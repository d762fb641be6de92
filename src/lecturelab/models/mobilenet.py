"""MobileNetV2, and the generic inverted-residual network that MnasNet and EfficientNet reuse
(lecture 3, "depthwise / separable convolutions, inverted bottlenecks reduce complexity").

Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks", Table 2: a 3x3/2
conv stem with 32 channels, seven stages of inverted residual blocks given as (t, c, n, s),
a 1x1 conv to 1280 channels, global average pool, dropout and a linear classifier; 3.4M
parameters and 300M multiply-adds at 224x224 (Table 4). Layer layout and ReLU6 as torchvision,
so `from_torchvision` loads its weights. A network here is data: a stem width, a table of
`Stage`s, a head width, the activation, the SE ratio and the stochastic-depth rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from lecturelab.nn.conv import ConvBNAct, check_images
from lecturelab.nn.heads import new_classifier
from lecturelab.nn.init import he_fan_out_init
from lecturelab.nn.mbconv import InvertedResidual
from lecturelab.registry import register_model


@dataclass(frozen=True)
class Stage:
    """One row of a MobileNetV2 / EfficientNet table."""

    expand_ratio: float  # t: hidden channels = t x block input channels
    kernel_size: int  # k of the depthwise conv
    stride: int  # s of the stage's first block (the others use 1)
    channels: int  # c: output channels of every block in the stage
    repeats: int  # n: blocks in the stage


MOBILENET_V2_STAGES = (
    Stage(1, 3, 1, 16, 1), Stage(6, 3, 2, 24, 2), Stage(6, 3, 2, 32, 3), Stage(6, 3, 2, 64, 4),
    Stage(6, 3, 1, 96, 3), Stage(6, 3, 2, 160, 3), Stage(6, 3, 1, 320, 1),
)


class InvertedResidualNet(nn.Module):
    """Stem conv -> inverted residual stages -> 1x1 head conv -> pool -> dropout -> linear.

    `input_shape` is accepted and ignored, so that `create_model(name, input_shape=...)` works
    for every model; give `in_chans` for other than 3-channel images.
    """

    def __init__(self, stages: Sequence[Stage], *, num_classes: int = 1000, in_chans: int = 3,
                 input_shape: tuple[int, ...] | None = None, stem_channels: int = 32,
                 head_channels: int = 1280, activation: Callable[[], nn.Module] = nn.ReLU6,
                 se_ratio: float = 0.0, drop_path: float = 0.0, dropout: float = 0.2,
                 norm: Callable[[int], nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__()
        if not stages:
            raise ValueError("stages must not be empty")
        self.in_chans, self.num_classes, self.num_features = in_chans, num_classes, head_channels
        self.stem = ConvBNAct(in_chans, stem_channels, 3, stride=2, activation=activation,
                              norm=norm)
        total, blocks, channels = sum(s.repeats for s in stages), [], stem_channels
        for stage in stages:
            for j in range(stage.repeats):
                se_channels = max(1, int(channels * se_ratio)) if se_ratio else 0
                blocks.append(InvertedResidual(
                    channels, stage.channels, expand_ratio=stage.expand_ratio,
                    kernel_size=stage.kernel_size, stride=stage.stride if j == 0 else 1,
                    se_channels=se_channels, activation=activation, norm=norm,
                    drop_path=drop_path * len(blocks) / total))
                channels = stage.channels
        self.blocks = nn.Sequential(*blocks)
        self.head = ConvBNAct(channels, head_channels, 1, activation=activation, norm=norm)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head_channels, num_classes)
        he_fan_out_init(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The head conv's map, (B, head_channels, H/32, W/32)."""
        check_images(x, self.in_chans)
        return self.head(self.blocks(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.forward_features(x).mean((2, 3))  # (B, head_channels)
        return self.classifier(self.dropout(pooled))

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.classifier = new_classifier(self.classifier, num_classes)


@register_model
def mobilenet_v2(**kw) -> InvertedResidualNet:
    """MobileNetV2 1.0 (Sandler et al. 2018, Table 2)."""
    return InvertedResidualNet(MOBILENET_V2_STAGES, **kw)
