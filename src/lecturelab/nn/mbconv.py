"""The inverted bottleneck (MBConv) of lecture 3: MobileNetV2, MnasNet, EfficientNet.

Sandler et al. 2018, "MobileNetV2", Sec. 3.3 and Table 1: 1x1 expansion by t -> k x k depthwise
(strided) -> 1x1 linear projection (no activation: the "linear bottleneck"), with a residual
connection when stride is 1 and the channel count is kept. Tan et al. 2019 (MnasNet) use 5x5
kernels too; Tan & Le 2019 (EfficientNet, Sec. 4) add squeeze-excitation between depthwise and
projection, the SiLU (swish) activation and stochastic depth on the residual branch (Huang et al.
2016; torchvision.ops.stochastic_depth, per sample, off in eval mode).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision.ops import stochastic_depth

from lecturelab.nn.conv import ConvBNAct
from lecturelab.nn.se import SqueezeExcitation


class InvertedResidual(nn.Module):
    """MBConv: expand (1x1, t x) -> depthwise (k x k) -> [SE] -> project (1x1, linear) [+ x]."""

    def __init__(self, in_channels: int, out_channels: int, *, expand_ratio: float,
                 kernel_size: int = 3, stride: int = 1, se_channels: int = 0,
                 activation: Callable[[], nn.Module] = nn.ReLU6,
                 norm: Callable[[int], nn.Module] = nn.BatchNorm2d,
                 drop_path: float = 0.0) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if not 0.0 <= drop_path < 1.0:
            raise ValueError(f"drop_path must be in [0, 1), got {drop_path}")
        hidden = round(in_channels * expand_ratio)
        self.use_residual = stride == 1 and in_channels == out_channels
        self.drop_path = drop_path
        self.expand = (ConvBNAct(in_channels, hidden, 1, activation=activation, norm=norm)
                       if hidden != in_channels else None)
        self.depthwise = ConvBNAct(hidden, hidden, kernel_size, stride=stride, groups=hidden,
                                   activation=activation, norm=norm)
        self.se = (SqueezeExcitation(hidden, se_channels, activation=activation)
                   if se_channels else None)
        self.project = ConvBNAct(hidden, out_channels, 1, activation=None, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.expand is None else self.expand(x)
        out = self.depthwise(out)
        if self.se is not None:
            out = self.se(out)
        out = self.project(out)
        if not self.use_residual:
            return out
        return x + stochastic_depth(out, self.drop_path, "row", self.training)
