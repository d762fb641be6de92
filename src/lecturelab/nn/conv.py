"""The convolution variants of lecture 3, with their padding arithmetic spelled out.

Lecture 3 ("Convolutional neural networks"), following Dumoulin & Visin 2016, "A guide to
convolution arithmetic for deep learning" (Sec. 2-4): for input size n, kernel k, stride s,
padding p and dilation d the output size is floor((n + 2p - d(k-1) - 1) / s) + 1 (their
Relationship 6; Sec. 5.1 for dilation). A dilated kernel covers d(k-1)+1 input pixels.

  valid    p = 0                  output n - d(k-1)
  full     p = d(k-1)             output n + d(k-1)
  same     p = d(k-1)/2           output n (odd effective kernel only, see `same_padding`)
  strided  same padding, s > 1    output ceil(n / s)
  dilated  same padding, d > 1    output n, receptive field d(k-1)+1

The helpers return plain `nn.Conv2d` / `nn.ConvTranspose2d` modules, so parameter counts and
speed are torch's; pooling is torch's nn.MaxPool2d / nn.AvgPool2d, whose output sizes
`conv_output_size` also gives. `LocallyConnected2d` is the step before weight sharing (lecture
3, "locally connected"; LeCun 1989): a conv's wiring with its own filter at every position.
`ConvBNAct` is the conv -> batch norm -> activation unit the zoo stacks.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def conv_output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output length of a convolution (or pooling) along one axis, floor division as torch."""
    if min(n, k, s, d) < 1 or p < 0:
        raise ValueError(f"need n, k, s, d >= 1 and p >= 0, got n={n} k={k} s={s} p={p} d={d}")
    span = n + 2 * p - d * (k - 1)
    if span < 1:
        raise ValueError(f"kernel of effective size {d * (k - 1) + 1} does not fit input {n} "
                         f"with padding {p}")
    return (span - 1) // s + 1


def transposed_conv_output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1,
                                output_padding: int = 0) -> int:
    """Output length of a transposed convolution: (n-1)s - 2p + d(k-1) + output_padding + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def receptive_field(k: int, d: int = 1) -> int:
    """Input pixels one output pixel of a dilated kernel sees along an axis: d(k-1)+1."""
    return d * (k - 1) + 1


def full_padding(k: int, d: int = 1) -> int:
    """Padding that lets the kernel touch every input pixel at every overlap: d(k-1)."""
    return d * (k - 1)


def same_padding(k: int, d: int = 1) -> int:
    """Symmetric padding that keeps the size at stride 1: d(k-1)/2, so d(k-1) must be even."""
    if d * (k - 1) % 2:
        raise ValueError(f"'same' padding needs an odd effective kernel size, got kernel {k} "
                         f"with dilation {d} (effective {receptive_field(k, d)})")
    return d * (k - 1) // 2


def valid_conv(in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
               dilation: int = 1, bias: bool = True) -> nn.Conv2d:
    """No padding: the kernel only visits positions where it fits entirely."""
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=0,
                     dilation=dilation, bias=bias)


def full_conv(in_channels: int, out_channels: int, kernel_size: int, *, dilation: int = 1,
              bias: bool = True) -> nn.Conv2d:
    """Padding d(k-1): every partial overlap of kernel and input gives an output."""
    return nn.Conv2d(in_channels, out_channels, kernel_size,
                     padding=full_padding(kernel_size, dilation), dilation=dilation, bias=bias)


def same_conv(in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
              dilation: int = 1, groups: int = 1, bias: bool = True) -> nn.Conv2d:
    """Padding d(k-1)/2: output size n at stride 1, ceil(n/s) at stride s."""
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                     padding=same_padding(kernel_size, dilation), dilation=dilation,
                     groups=groups, bias=bias)


def strided_conv(in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 2,
                 bias: bool = True) -> nn.Conv2d:
    """A 'same'-padded convolution evaluated every `stride` pixels: output ceil(n/s)."""
    if stride < 2:
        raise ValueError(f"a strided convolution needs stride >= 2, got {stride}")
    return same_conv(in_channels, out_channels, kernel_size, stride=stride, bias=bias)


def dilated_conv(in_channels: int, out_channels: int, kernel_size: int, *, dilation: int = 2,
                 bias: bool = True) -> nn.Conv2d:
    """Kernel taps `dilation` pixels apart: receptive field d(k-1)+1 at k^2 weights."""
    if dilation < 2:
        raise ValueError(f"a dilated convolution needs dilation >= 2, got {dilation}")
    return same_conv(in_channels, out_channels, kernel_size, dilation=dilation, bias=bias)


def depthwise_conv(channels: int, kernel_size: int, *, stride: int = 1, dilation: int = 1,
                   bias: bool = True) -> nn.Conv2d:
    """One k x k filter per channel (groups = channels): C k^2 weights (+ C biases)."""
    return same_conv(channels, channels, kernel_size, stride=stride, dilation=dilation,
                     groups=channels, bias=bias)


def depthwise_separable_conv(in_channels: int, out_channels: int, kernel_size: int, *,
                             stride: int = 1, bias: bool = True) -> nn.Sequential:
    """Depthwise k x k then pointwise 1x1 (Howard et al. 2017, Sec. 3.1).

    Without biases it costs C_in k^2 + C_in C_out weights (and as many multiply-adds per output
    pixel), a ratio 1/C_out + 1/k^2 of the standard convolution's C_in C_out k^2.
    """
    return nn.Sequential(OrderedDict(
        depthwise=depthwise_conv(in_channels, kernel_size, stride=stride, bias=bias),
        pointwise=nn.Conv2d(in_channels, out_channels, 1, bias=bias),
    ))


def transposed_conv(in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 2,
                    bias: bool = True) -> nn.ConvTranspose2d:
    """Learned upsampling by `stride`: padding and output_padding chosen so n -> n * stride."""
    if kernel_size < stride:
        raise ValueError(f"kernel_size must be >= stride to cover the output, got "
                         f"{kernel_size} < {stride}")
    padding = math.ceil((kernel_size - stride) / 2)
    output_padding = 2 * padding - kernel_size + stride
    return nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride,
                              padding=padding, output_padding=output_padding, bias=bias)


class ConvBNAct(nn.Sequential):
    """conv ('same' padding, no bias) -> batch norm -> activation; `activation=None` omits it."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, *,
                 stride: int = 1, groups: int = 1,
                 activation: Callable[[], nn.Module] | None = nn.ReLU,
                 norm: Callable[[int], nn.Module] = nn.BatchNorm2d) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict(
            conv=same_conv(in_channels, out_channels, kernel_size, stride=stride, groups=groups,
                           bias=False),
            bn=norm(out_channels),
        )
        if activation is not None:
            layers["act"] = activation()
        super().__init__(layers)


class LocallyConnected2d(nn.Module):
    """A convolution's connectivity without weight sharing: one filter per output position.

    Parameters: H_out W_out C_out (C_in k^2 + 1) with bias, against C_out (C_in k^2 + 1) for the
    convolution; with all positions' filters equal it computes exactly `nn.Conv2d`.
    """

    def __init__(self, in_channels: int, out_channels: int, input_size: tuple[int, int],
                 kernel_size: int, *, stride: int = 1, padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.in_channels, self.input_size = in_channels, tuple(input_size)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.output_size = tuple(conv_output_size(n, kernel_size, stride, padding)
                                 for n in self.input_size)
        positions = self.output_size[0] * self.output_size[1]
        self.weight = nn.Parameter(torch.empty(positions, out_channels,
                                               in_channels * kernel_size**2))
        self.bias = nn.Parameter(torch.empty(out_channels, *self.output_size)) if bias else None
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the bound of nn.Conv2d's default init."""
        bound = 1 / math.sqrt(self.weight.shape[2])
        self.weight.uniform_(-bound, bound)
        if self.bias is not None:
            self.bias.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_channels, *self.input_size):
            raise ValueError(f"x must have shape (B, {self.in_channels}, {self.input_size[0]}, "
                             f"{self.input_size[1]}), got {tuple(x.shape)}")
        patches = F.unfold(x, self.kernel_size, padding=self.padding, stride=self.stride)
        # patches: (B, C_in*k*k, H_out*W_out)
        out = torch.einsum("bfl,lof->bol", patches, self.weight)  # (B, C_out, H_out*W_out)
        out = out.reshape(x.shape[0], -1, *self.output_size)  # (B, C_out, H_out, W_out)
        return out if self.bias is None else out + self.bias


def check_images(x: torch.Tensor, channels: int) -> None:
    """Raise ValueError unless x is a (B, channels, H, W) batch."""
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"x must have shape (B, {channels}, H, W), got {tuple(x.shape)}")
