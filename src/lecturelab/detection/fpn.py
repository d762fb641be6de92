"""Feature pyramid network: the U shape that RetinaNet and U-Net share (lecture 4).

Lin et al. 2017, "Feature Pyramid Networks for Object Detection", Sec. 3: a 1x1 lateral conv
brings each backbone map C_i to d channels; the top-down path upsamples the coarser merged map by
nearest neighbour and adds it; a 3x3 conv on each sum gives P_i. Lin et al. 2017, "Focal Loss",
Sec. 4: P6 is a 3x3 stride-2 conv on C5 and P7 a 3x3 stride-2 conv on ReLU(P6).
Why not U-Net's decoder: there the path concatenates the skip and applies two 3x3 conv + ReLU
at every scale and outputs only the finest map; here the path is linear (addition, no
nonlinearity, one channel width d everywhere) and every scale is an output for its own head.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn


class FeaturePyramidNetwork(nn.Module):
    """[C_i, ..., C_last] -> [P_i, ..., P_last, (P_last+1, P_last+2)], all with `out_channels`."""

    def __init__(self, in_channels: Sequence[int], out_channels: int, *,
                 extra_levels: int = 0) -> None:
        super().__init__()
        if not in_channels or out_channels < 1 or extra_levels not in (0, 1, 2):
            raise ValueError(f"need in_channels, out_channels >= 1 and extra_levels in 0..2, got "
                             f"{tuple(in_channels)}, {out_channels}, {extra_levels}")
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.output = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1)
                                    for _ in in_channels)
        extra_in = [in_channels[-1]] + [out_channels] * (extra_levels - 1)
        self.extra = nn.ModuleList(nn.Conv2d(c, out_channels, 3, stride=2, padding=1)
                                   for c in extra_in[:extra_levels])
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.zeros_(m.bias)

    def forward(self, features: Sequence[Tensor]) -> list[Tensor]:
        if len(features) != len(self.lateral):
            raise ValueError(f"expected {len(self.lateral)} feature maps, got {len(features)}")
        merged = self.lateral[-1](features[-1])
        pyramid = [self.output[-1](merged)]
        for c, lateral, output in zip(features[-2::-1], self.lateral[-2::-1],
                                      self.output[-2::-1], strict=True):
            merged = lateral(c) + F.interpolate(merged, size=c.shape[-2:], mode="nearest")
            pyramid.insert(0, output(merged))
        x = features[-1]
        for i, conv in enumerate(self.extra):
            x = conv(F.relu(x) if i else x)
            pyramid.append(x)
        return pyramid
