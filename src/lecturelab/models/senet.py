"""SE-ResNet, lecture 3 ("squeeze-excitation: features incorporate global context").

Hu et al. 2018, "Squeeze-and-Excitation Networks", Table 14 / Fig. 3: ResNet-50 with a
squeeze-excitation (reduction r = 16) on every bottleneck's residual branch, before the addition.
Reported 28.1M parameters. The backbone is this package's ResNet, hence v1.5 strides.
"""

from __future__ import annotations

from lecturelab.models.resnet import ResNet
from lecturelab.nn.blocks import Bottleneck
from lecturelab.registry import register_model


@register_model
def se_resnet50(**kw) -> ResNet:
    """SE-ResNet-50: bottlenecks 3-4-6-3 with SE, r = 16."""
    return ResNet(Bottleneck, (3, 4, 6, 3), se_reduction=16, **kw)
