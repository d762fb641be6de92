"""Group-equivariant convolution for the rotation group p4 (lecture 3, "group equivariant
convnets"), following Cohen & Welling 2016, "Group Equivariant Convolutional Networks", Sec. 6.

A p4 feature map has a rotation axis: shape (B, C, 4, H, W), entry r belonging to the filter
rotated by r x 90 degrees. The lifting layer (eq. 10, first layer) correlates an image with the
four rotations of each filter. The group-group layer (eq. 11) correlates a p4 map with filters
that are rotated spatially and cyclically shifted along the rotation axis:
W_r[o, i, s] = rot90^r(W[o, i, s - r mod 4]). Both are computed as one ordinary conv with the
stacked filter bank (their Sec. 7, "filter transformation"). With R = rot90 on (H, W),

    layer(R x) = R roll(layer(x), 1, dim=2)

for odd kernels, stride 1 and symmetric padding; `pool_rotations` then gives maps that just
rotate, and a global spatial pool after it is invariant to the four rotations. Batch norm over a
p4 map is nn.BatchNorm3d (one mean per channel, shared by the rotations).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ROTATIONS = 4


def _rotated(weight: torch.Tensor, r: int) -> torch.Tensor:
    return torch.rot90(weight, r, dims=(-2, -1))


class _P4Conv(nn.Module):
    def __init__(self, weight_shape: tuple[int, ...], *, padding: int, bias: bool) -> None:
        super().__init__()
        self.padding = padding
        self.weight = nn.Parameter(torch.empty(weight_shape))
        self.bias = nn.Parameter(torch.empty(weight_shape[0])) if bias else None
        bound = 1 / math.sqrt(math.prod(weight_shape[1:]))
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def _conv(self, x: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
        """Correlate x with the (C_out*4, ...) bank; returns (B, C_out, 4, H', W')."""
        bias = None if self.bias is None else self.bias.repeat_interleave(ROTATIONS)
        out = F.conv2d(x, bank, bias, padding=self.padding)  # (B, C_out*4, H', W')
        return out.unflatten(1, (-1, ROTATIONS))


class P4LiftingConv(_P4Conv):
    """Z^2 -> p4: (B, C_in, H, W) -> (B, C_out, 4, H', W'), the image against 4 filter turns."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *,
                 padding: int = 0, bias: bool = True) -> None:
        super().__init__((out_channels, in_channels, kernel_size, kernel_size), padding=padding,
                         bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.weight.shape[1]:
            raise ValueError(f"x must have shape (B, {self.weight.shape[1]}, H, W), "
                             f"got {tuple(x.shape)}")
        bank = torch.stack([_rotated(self.weight, r) for r in range(ROTATIONS)], dim=1)
        return self._conv(x, bank.flatten(0, 1))  # bank (C_out*4, C_in, k, k)


class P4GroupConv(_P4Conv):
    """p4 -> p4: (B, C_in, 4, H, W) -> (B, C_out, 4, H', W')."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *,
                 padding: int = 0, bias: bool = True) -> None:
        super().__init__((out_channels, in_channels, ROTATIONS, kernel_size, kernel_size),
                         padding=padding, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c_in = self.weight.shape[1]
        if x.ndim != 5 or x.shape[1:3] != (c_in, ROTATIONS):
            raise ValueError(f"x must have shape (B, {c_in}, {ROTATIONS}, H, W), "
                             f"got {tuple(x.shape)}")
        bank = torch.stack([_rotated(self.weight.roll(r, dims=2), r) for r in range(ROTATIONS)],
                           dim=1)  # (C_out, 4, C_in, 4, k, k)
        return self._conv(x.flatten(1, 2), bank.flatten(0, 1).flatten(1, 2))


def pool_rotations(x: torch.Tensor) -> torch.Tensor:
    """Max over the rotation axis: (B, C, 4, H, W) -> (B, C, H, W), rotation-invariant channels."""
    if x.ndim != 5 or x.shape[2] != ROTATIONS:
        raise ValueError(f"x must have shape (B, C, {ROTATIONS}, H, W), got {tuple(x.shape)}")
    return x.amax(dim=2)
