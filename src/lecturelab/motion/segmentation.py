"""Segmenting video frame by frame or in space and time (lecture 4: "frame-wise segmentation
of video flickers").

`VideoSegmenter` is a stack of dilated convolutions (dilations 1, 2, 4, 8, 1 in space: a
receptive field of 31 pixels without pooling, as in the context module of Yu & Koltun 2016)
with kernels t x 3 x 3. With `time_kernel=1` it labels each frame on its own, a 2-D segmenter
applied frame by frame; with `time_kernel=3` every layer also sees the neighbouring frames
(a 3-D segmenter, zero-padded in time), so it can average away per-frame noise.
Input: clips (B, C, T, H, W); output: logits (B, classes, T, H, W).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn


class VideoSegmenter(nn.Module):
    def __init__(self, in_chans: int, num_classes: int, *, width: int = 16,
                 time_kernel: int = 1, dilations: Sequence[int] = (1, 2, 4, 8, 1)) -> None:
        super().__init__()
        if time_kernel < 1 or time_kernel % 2 == 0:
            raise ValueError(f"time_kernel must be odd and positive, got {time_kernel}")
        layers: list[nn.Module] = []
        cin = in_chans
        for d in dilations:
            layers += [nn.Conv3d(cin, width, (time_kernel, 3, 3), padding=(time_kernel // 2, d, d),
                                 dilation=(1, d, d), bias=False),
                       nn.BatchNorm3d(width), nn.ReLU(inplace=True)]
            cin = width
        layers.append(nn.Conv3d(width, num_classes, 1))
        self.layers = nn.Sequential(*layers)
        self.num_classes = num_classes

    def forward(self, clip: Tensor) -> Tensor:
        if clip.ndim != 5:
            raise ValueError(f"clips must be (B, C, T, H, W), got {tuple(clip.shape)}")
        return self.layers(clip)
