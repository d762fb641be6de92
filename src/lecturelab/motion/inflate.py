"""Inflating a 2-D network into its 3-D twin (Carreira & Zisserman 2017, "Quo vadis, action
recognition?", Sec. 2.4: "Inflating 2D ConvNets into 3D" and "Bootstrapping 3D filters from
2D filters").

Every k x k convolution becomes a t x k x k one (t = min(k, `time_kernel`)) whose kernel is the
2-D kernel replicated t times along time and divided by t, so on a "boring" video - one frame
repeated - each 3-D filter responds exactly as the 2-D filter does on that frame. Batch norm
becomes 3-D with the same statistics; pooling becomes 1 x k x k. Time is padded by repeating
the first and last frames (the paper pads with zeros): then the whole net, not only the
filters, answers a repeated frame as the 2-D net answers the frame.

`inflate(model)` works on any zoo classifier whose `forward(x)` is a head applied to
`forward_features(x)`: the modules that `forward_features` calls are inflated; the head is
kept 2-D and is applied to the 3-D features averaged over time.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class InflatedConv3d(nn.Conv3d):
    """A 3-D convolution with replicate padding in time and zero padding in space."""

    def forward(self, x: Tensor) -> Tensor:
        pt = self.dilation[0] * (self.kernel_size[0] - 1) // 2
        if pt:
            x = F.pad(x, (0, 0, 0, 0, pt, pt), mode="replicate")
        return super().forward(x)


def inflate_conv(conv: nn.Conv2d, time_kernel: int) -> InflatedConv3d:
    if not isinstance(conv.padding, tuple) or conv.padding_mode != "zeros":
        raise ValueError(f"can inflate zero-padded convolutions with numeric padding, got "
                         f"{conv}")
    t = min(conv.kernel_size[0], time_kernel)
    out = InflatedConv3d(conv.in_channels, conv.out_channels, (t, *conv.kernel_size),
                         stride=(1, *conv.stride), padding=(0, *conv.padding),
                         dilation=(1, *conv.dilation), groups=conv.groups,
                         bias=conv.bias is not None)
    with torch.no_grad():
        out.weight.copy_(conv.weight[:, :, None].expand_as(out.weight) / t)  # replicate / t
        if conv.bias is not None:
            out.bias.copy_(conv.bias)
    return out


def inflate_module(m: nn.Module, time_kernel: int) -> nn.Module | None:
    """The 3-D twin of a 2-D layer, or None if the layer works on 5-D input unchanged."""
    if isinstance(m, nn.Conv2d):
        return inflate_conv(m, time_kernel)
    if isinstance(m, nn.BatchNorm2d):
        bn = nn.BatchNorm3d(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
        bn.load_state_dict(m.state_dict())
        return bn
    if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
        kind = nn.MaxPool3d if isinstance(m, nn.MaxPool2d) else nn.AvgPool3d
        k, s, p = (v if isinstance(v, tuple) else (v, v) for v in (m.kernel_size,
                                                                    m.stride or m.kernel_size,
                                                                    m.padding))
        extra = {"ceil_mode": m.ceil_mode}
        return kind((1, *k), (1, *s), (0, *p), **extra)
    if isinstance(m, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        kind = nn.AdaptiveAvgPool3d if isinstance(m, nn.AdaptiveAvgPool2d) else \
            nn.AdaptiveMaxPool3d
        size = m.output_size if isinstance(m.output_size, tuple) else (m.output_size,) * 2
        return kind((None, *size))  # per frame, as in 2-D
    if type(m).__module__.startswith("torch.nn") and any(
            isinstance(m, t) for t in (nn.Conv1d, nn.Conv3d, nn.BatchNorm1d, nn.Linear)):
        raise ValueError(f"cannot inflate {type(m).__name__} inside forward_features")
    return None


class Inflated3d(nn.Module):
    """A 2-D classifier's 3-D twin: `forward(clip)` for clips (B, C, T, H, W)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.num_classes = getattr(net, "num_classes", None)

    def forward_features(self, clip: Tensor) -> Tensor:
        if clip.ndim != 5:
            raise ValueError(f"clips must be (B, C, T, H, W), got {tuple(clip.shape)}")
        return self.net.forward_features(clip)

    def forward(self, clip: Tensor) -> Tensor:
        pooled = self.forward_features(clip).mean(2)  # (B, C, h, w): averaged over time
        net = self.net
        net.forward_features = lambda _x: pooled  # the 2-D head on the pooled features
        try:
            return type(net).forward(net, pooled)
        finally:
            del net.forward_features

    def reset_classifier(self, num_classes: int) -> None:
        self.net.reset_classifier(num_classes)
        self.num_classes = num_classes


def feature_modules(model: nn.Module, input_size: Sequence[int]) -> set[str]:
    """Names of the leaf modules that `model.forward_features` calls on a (1, *input_size)."""
    names = {m: n for n, m in model.named_modules()}
    called: set[str] = set()
    hooks = [m.register_forward_hook(lambda m, i, o: called.add(names[m]))
             for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            model.eval().forward_features(torch.zeros(1, *input_size))
    finally:
        for h in hooks:
            h.remove()
    return called


def inflate(model: nn.Module, *, time_kernel: int = 3,
            input_size: Sequence[int] | None = None) -> Inflated3d:
    """The 3-D twin of a 2-D classifier (a copy; `model` is unchanged). `input_size` (C, H, W)
    traces which layers the features use (default: the model's `default_input_size` or
    (in_chans, 32, 32))."""
    size = input_size or getattr(model, "default_input_size", None) or (
        getattr(model, "in_chans", 3), 32, 32)
    was_training = model.training
    used = feature_modules(model, size)
    model.train(was_training)
    net = copy.deepcopy(model)
    for name in sorted(used, key=len, reverse=True):
        parent, _, child = name.rpartition(".")
        owner = net.get_submodule(parent) if parent else net
        twin = inflate_module(getattr(owner, child), time_kernel)
        if twin is not None:
            setattr(owner, child, twin)
    return Inflated3d(net.train(was_training))
