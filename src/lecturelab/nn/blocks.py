"""Residual blocks of lecture 3: basic (v1), pre-activation (v2), bottleneck, and shortcuts.

He et al. 2016a, "Deep Residual Learning for Image Recognition": the basic block (Fig. 2), the
bottleneck block (Fig. 5 right, 1x1 -> 3x3 -> 1x1 with 4x expansion), and the two shortcuts for a
change of shape (Sec. 3.3): option A, identity with zero-padded extra channels (no parameters),
and option B, a 1x1 projection. He et al. 2016b, "Identity Mappings in Deep Residual Networks":
the pre-activation block (Fig. 1b / 4e), BN -> ReLU -> conv, where a projection shortcut takes
the pre-activated input. Deliberate departure from 2016a: the bottleneck strides in its 3x3 conv
("ResNet v1.5", as torchvision), not its first 1x1. `shortcut="none"` gives the plain twins of
Sec. 4. `se_reduction` > 0 adds a squeeze-excitation on the residual branch before the addition
(Hu et al. 2018, Fig. 3).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from lecturelab.nn.conv import same_conv
from lecturelab.nn.se import SqueezeExcitation

Shortcut = Literal["A", "B", "none"]


class ZeroPadShortcut(nn.Module):
    """Option A: the identity subsampled by `stride`, with out - in zero channels appended."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f"option A can only add channels, got {in_channels} -> "
                             f"{out_channels}")
        self.extra_channels, self.stride = out_channels - in_channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


def make_shortcut(kind: Shortcut, in_channels: int, out_channels: int, stride: int, *,
                  norm: bool = True) -> nn.Module | None:
    """The skip path: None for a plain block, identity when the shape is kept, else A or B."""
    if kind not in ("A", "B", "none"):
        raise ValueError(f"shortcut must be 'A', 'B' or 'none', got {kind!r}")
    if kind == "none":
        return None
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if kind == "A":
        return ZeroPadShortcut(in_channels, out_channels, stride)
    projection = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)
    return nn.Sequential(projection, nn.BatchNorm2d(out_channels)) if norm else projection


def _squeeze_excitation(channels: int, reduction: int) -> SqueezeExcitation | None:
    return SqueezeExcitation(channels, channels // reduction) if reduction else None


def _merge(residual: torch.Tensor, skip: torch.Tensor, se: nn.Module | None,
           shortcut: nn.Module | None) -> torch.Tensor:
    """SE on the residual branch, then add the shortcut (if any)."""
    if se is not None:
        residual = se(residual)
    return residual if shortcut is None else residual + shortcut(skip)


class BasicBlock(nn.Module):
    """v1: relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))."""

    expansion = 1
    preactivation = False

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1,
                 shortcut: Shortcut = "B", se_reduction: int = 0) -> None:
        super().__init__()
        self.conv1 = same_conv(in_channels, channels, 3, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.act1 = nn.ReLU()
        self.conv2 = same_conv(channels, channels, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.se = _squeeze_excitation(channels, se_reduction)
        self.shortcut = make_shortcut(shortcut, in_channels, channels, stride)
        self.act2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act2(_merge(out, x, self.se, self.shortcut))


class Bottleneck(nn.Module):
    """v1.5: 1x1 reduce -> 3x3 (strided) -> 1x1 expand to 4 x channels, add, ReLU."""

    expansion = 4
    preactivation = False

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1,
                 shortcut: Shortcut = "B", se_reduction: int = 0) -> None:
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.act1 = nn.ReLU()
        self.conv2 = same_conv(channels, channels, 3, stride=stride, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.act2 = nn.ReLU()
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.se = _squeeze_excitation(out_channels, se_reduction)
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels, stride)
        self.act3 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.act3(_merge(out, x, self.se, self.shortcut))


class PreActBlock(nn.Module):
    """v2: x + conv3x3(relu(bn(conv3x3(relu(bn(x)))))), nothing after the addition."""

    expansion = 1
    preactivation = True

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1,
                 shortcut: Shortcut = "B", se_reduction: int = 0) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.act1 = nn.ReLU()
        self.conv1 = same_conv(in_channels, channels, 3, stride=stride, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.act2 = nn.ReLU()
        self.conv2 = same_conv(channels, channels, 3, bias=False)
        self.se = _squeeze_excitation(channels, se_reduction)
        self.shortcut = make_shortcut(shortcut, in_channels, channels, stride, norm=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.act1(self.bn1(x))
        out = self.conv2(self.act2(self.bn2(self.conv1(pre))))
        return _merge(out, _skip_input(self.shortcut, x, pre), self.se, self.shortcut)


class PreActBottleneck(nn.Module):
    """v2 bottleneck: BN-ReLU-1x1, BN-ReLU-3x3 (strided), BN-ReLU-1x1 to 4 x channels, add."""

    expansion = 4
    preactivation = True

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1,
                 shortcut: Shortcut = "B", se_reduction: int = 0) -> None:
        super().__init__()
        out_channels = channels * self.expansion
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.act1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.act2 = nn.ReLU()
        self.conv2 = same_conv(channels, channels, 3, stride=stride, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)
        self.act3 = nn.ReLU()
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.se = _squeeze_excitation(out_channels, se_reduction)
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels, stride, norm=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.act1(self.bn1(x))
        out = self.conv2(self.act2(self.bn2(self.conv1(pre))))
        out = self.conv3(self.act3(self.bn3(out)))
        return _merge(out, _skip_input(self.shortcut, x, pre), self.se, self.shortcut)


def _skip_input(shortcut: nn.Module | None, x: torch.Tensor, pre: torch.Tensor) -> torch.Tensor:
    """A v2 projection sees the pre-activated input; identity and option A see x itself."""
    return pre if isinstance(shortcut, nn.Conv2d) else x


ResidualBlock = BasicBlock | Bottleneck | PreActBlock | PreActBottleneck
