"""Inflating a 2-D network into its 3-D twin (Carreira & Zisserman 2017, "Quo vadis, action
recognition?", Sec. 2.4: "Inflating 2D ConvNets into 3D" and "Bootstrapping 3D filters from
2D filters").

Every k x k convolution becomes a t x k x k one (t = min(k, `time_kernel`)) whose kernel is the
2-D kernel replicated t times along time and divided by t, so on a "boring" video - one frame
repeated - each 3-D filter responds exactly as the 2-D filter does on that frame. Time is padded
by repeating the first and last frames (the paper pads with zeros), so the whole net, not only
each filter, answers a repeated frame as the 2-D net answers the frame.

How: the frames travel folded into the batch, (B*T, C, H, W), so any zoo model runs unchanged
(its shape checks, its forward); only the convolutions unfold them to (B, C, T, H, W) to mix
time. Everything else is already the inflated layer: 2-D batch norm over (B*T, H, W) is 3-D
batch norm over (B, T, H, W), and 2-D pooling per frame is 1 x k x k pooling. The clip's
logits are the mean of the per-frame outputs of the head (for a linear head after global
average pooling, as in ResNets, exactly the head on features pooled over time too).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class InflatedConv3d(nn.Conv3d):
    """A t x k x k convolution on frames folded into the batch: input (B*T, C, H, W) with
    T = `self.frames`, replicate padding in time, zero padding in space."""

    frames: int = 1

    def forward(self, x: Tensor) -> Tensor:
        t = self.frames
        clip = x.view(x.shape[0] // t, t, *x.shape[1:]).transpose(1, 2)  # (B, C, T, H, W)
        pt = self.dilation[0] * (self.kernel_size[0] - 1) // 2
        if pt:
            clip = F.pad(clip, (0, 0, 0, 0, pt, pt), mode="replicate")
        out = super().forward(clip)  # (B, C', T, H', W'): no temporal stride
        return out.transpose(1, 2).reshape(-1, *out.shape[1:2], *out.shape[3:])


def inflate_conv(conv: nn.Conv2d, time_kernel: int) -> InflatedConv3d:
    """The 3-D twin of a 2-D convolution: its kernel replicated over time and divided by t."""
    if not isinstance(conv.padding, tuple) or conv.padding_mode != "zeros":
        raise ValueError(f"can inflate zero-padded convolutions with numeric padding, got {conv}")
    t = min(conv.kernel_size[0], time_kernel)
    out = InflatedConv3d(conv.in_channels, conv.out_channels, (t, *conv.kernel_size),
                         stride=(1, *conv.stride), padding=(0, *conv.padding),
                         dilation=(1, *conv.dilation), groups=conv.groups,
                         bias=conv.bias is not None)
    with torch.no_grad():
        out.weight.copy_(conv.weight[:, :, None].expand_as(out.weight) / t)  # replicate / t
        if conv.bias is not None:
            out.bias.copy_(conv.bias)
    return out.to(conv.weight.device)


class Inflated3d(nn.Module):
    """A 2-D classifier's 3-D twin: `forward(clip)` for clips (B, C, T, H, W)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.num_classes = getattr(net, "num_classes", None)

    def _fold(self, clip: Tensor) -> Tensor:
        if clip.ndim != 5:
            raise ValueError(f"clips must be (B, C, T, H, W), got {tuple(clip.shape)}")
        for m in self.net.modules():
            if isinstance(m, InflatedConv3d):
                m.frames = clip.shape[2]
        return clip.transpose(1, 2).flatten(0, 1)  # (B*T, C, H, W)

    def forward_features(self, clip: Tensor) -> Tensor:
        """Features (B, C', T, h, w)."""
        b = clip.shape[0]
        f = self.net.forward_features(self._fold(clip))  # (B*T, C', h, w)
        return f.view(b, -1, *f.shape[1:]).transpose(1, 2)

    def forward(self, clip: Tensor) -> Tensor:
        out = self.net(self._fold(clip))  # (B*T, classes)
        return out.view(clip.shape[0], -1, *out.shape[1:]).mean(1)  # (B, classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.net.reset_classifier(num_classes)
        self.num_classes = num_classes


def inflate(model: nn.Module, *, time_kernel: int = 3) -> Inflated3d:
    """The 3-D twin of a 2-D classifier (a copy; `model` is unchanged): every nn.Conv2d
    becomes an `InflatedConv3d` with time kernel min(k, time_kernel)."""
    net = copy.deepcopy(model)
    convs = [(name, m) for name, m in net.named_modules() if type(m) is nn.Conv2d]
    for name, conv in convs:
        parent, _, child = name.rpartition(".")
        setattr(net.get_submodule(parent) if parent else net, child,
                inflate_conv(conv, time_kernel))
    return Inflated3d(net)
