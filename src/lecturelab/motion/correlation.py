"""The correlation layer of FlowNetC (Dosovitskiy et al. 2015, Sec. 3, Eq. 1), in pure PyTorch.

For every pixel x of the first feature map and every displacement d with |d_x|, |d_y| at most
`max_displacement` (in steps of `stride`), c(x, d) = <f1(x), f2(x + d)> / C: a patch size of one
pixel (k = 0), as FlowNetC uses. f2 is zero outside the map. With `normalize`, each feature
vector is centred and scaled to unit length over its channels first, so c is a cosine
similarity in [-1, 1] (a departure that keeps a small FlowNetC from collapsing to a constant
flow: it is invariant to the features' brightness and scale).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def displacements(max_displacement: int, stride: int = 1) -> list[tuple[int, int]]:
    """The (dy, dx) of the output channels, row by row: channel k is displacements(...)[k]."""
    steps = range(-max_displacement, max_displacement + 1, stride)
    return [(dy, dx) for dy in steps for dx in steps]


def correlation(f1: Tensor, f2: Tensor, max_displacement: int, *, stride: int = 1,
                normalize: bool = False) -> Tensor:
    """(B, D*D, H, W) correlations of (B, C, H, W) maps f1, f2, D = 2 * max_displacement //
    stride + 1, one channel per displacement in `displacements` order."""
    if f1.shape != f2.shape or f1.ndim != 4:
        raise ValueError(f"f1 and f2 must be (B, C, H, W) of one shape, got {tuple(f1.shape)} "
                         f"and {tuple(f2.shape)}")
    if max_displacement < 0 or stride < 1:
        raise ValueError(f"need max_displacement >= 0 and stride >= 1, got {max_displacement}, "
                         f"{stride}")
    if normalize:
        f1, f2 = (F.normalize(f - f.mean(1, keepdim=True), dim=1) for f in (f1, f2))
        scale = 1.0
    else:
        scale = 1.0 / f1.shape[1]
    h, w, m = f1.shape[2], f1.shape[3], max_displacement
    padded = F.pad(f2, (m, m, m, m))  # (B, C, H + 2m, W + 2m)
    out = [(f1 * padded[:, :, m + dy:m + dy + h, m + dx:m + dx + w]).sum(1)
           for dy, dx in displacements(m, stride)]
    return torch.stack(out, 1) * scale


class Correlation(nn.Module):
    """`correlation` as a layer (no parameters)."""

    def __init__(self, max_displacement: int, *, stride: int = 1, normalize: bool = True
                 ) -> None:
        super().__init__()
        self.max_displacement, self.stride, self.normalize = max_displacement, stride, normalize
        self.out_channels = len(displacements(max_displacement, stride))

    def forward(self, f1: Tensor, f2: Tensor) -> Tensor:
        return correlation(f1, f2, self.max_displacement, stride=self.stride,
                           normalize=self.normalize)

    def extra_repr(self) -> str:
        return (f"max_displacement={self.max_displacement}, stride={self.stride}, "
                f"normalize={self.normalize}")
