"""Causal 3-D convolution (lecture 4: "3-D convolutions are non-causal; masked 3-D
convolutions for real time").

An ordinary 3x3x3 convolution centred in time mixes frame t+1 into the output at t, so a live
system would have to wait for the future. Padding time only at the front, by (k_t - 1) x
dilation zeros, makes output t depend on frames t - (k_t - 1) d .. t only - the same as
masking the kernel's future half (as in WaveNet, van den Oord et al. 2016, Sec. 2.1, and
PixelCNN's masked convolutions), with the same weights and parameter count as nn.Conv3d.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class CausalConv3d(nn.Conv3d):
    """nn.Conv3d whose output at frame t sees no frame after t; space is "same" padded.
    Takes nn.Conv3d's arguments except `padding`."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int | tuple[int, int, int], **kwargs) -> None:
        if "padding" in kwargs:
            raise ValueError("CausalConv3d sets its own padding: front in time, same in space")
        super().__init__(in_channels, out_channels, kernel_size, padding=0, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        (kt, kh, kw), (dt, dh, dw) = self.kernel_size, self.dilation
        ph, pw = dh * (kh - 1) // 2, dw * (kw - 1) // 2
        x = F.pad(x, (pw, pw, ph, ph, dt * (kt - 1), 0))  # (W left/right, H, T front only)
        return super().forward(x)
