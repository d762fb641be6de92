"""EfficientNet-B0 to B3, lecture 3 (compound scaling of a searched mobile architecture).

Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks":
the B0 table (Table 1) of MBConv stages with squeeze-excitation (ratio 0.25 of the block's input
channels) and SiLU (swish); B1-B3 scale width by w and depth by d (Sec. 3.3; the coefficients
of the reference implementation: B1 1.0/1.1, B2 1.1/1.2, B3 1.2/1.4), channels rounded to a
multiple of 8 and repeats rounded up. Stochastic depth rises linearly from 0 to 0.2 over the
blocks (off in eval mode). Deliberate departure, as torchvision: the resolution is not scaled
here, it is whatever the input has.
"""

from __future__ import annotations

import math
from dataclasses import replace

from torch import nn

from lecturelab.models.mobilenet import InvertedResidualNet, Stage
from lecturelab.registry import register_model

EFFICIENTNET_B0_STAGES = (
    Stage(1, 3, 1, 16, 1), Stage(6, 3, 2, 24, 2), Stage(6, 5, 2, 40, 2), Stage(6, 3, 2, 80, 3),
    Stage(6, 5, 1, 112, 3), Stage(6, 5, 2, 192, 4), Stage(6, 3, 1, 320, 1),
)


def round_channels(channels: float, divisor: int = 8) -> int:
    """Nearest multiple of `divisor`, never more than 10% below (the TF reference rounding)."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


def efficientnet(width: float, depth: float, *, dropout: float, **kw) -> InvertedResidualNet:
    """B0's table with channels x width and repeats x depth; head = 4 x the last stage."""
    stages = [replace(s, channels=round_channels(s.channels * width),
                      repeats=math.ceil(s.repeats * depth)) for s in EFFICIENTNET_B0_STAGES]
    return InvertedResidualNet(stages, stem_channels=round_channels(32 * width),
                               head_channels=4 * stages[-1].channels, activation=nn.SiLU,
                               se_ratio=0.25, drop_path=0.2, dropout=dropout, **kw)


@register_model
def efficientnet_b0(**kw) -> InvertedResidualNet:
    """EfficientNet-B0: width 1.0, depth 1.0, dropout 0.2."""
    return efficientnet(1.0, 1.0, dropout=0.2, **kw)


@register_model
def efficientnet_b1(**kw) -> InvertedResidualNet:
    """EfficientNet-B1: width 1.0, depth 1.1, dropout 0.2."""
    return efficientnet(1.0, 1.1, dropout=0.2, **kw)


@register_model
def efficientnet_b2(**kw) -> InvertedResidualNet:
    """EfficientNet-B2: width 1.1, depth 1.2, dropout 0.3."""
    return efficientnet(1.1, 1.2, dropout=0.3, **kw)


@register_model
def efficientnet_b3(**kw) -> InvertedResidualNet:
    """EfficientNet-B3: width 1.2, depth 1.4, dropout 0.3."""
    return efficientnet(1.2, 1.4, dropout=0.3, **kw)
