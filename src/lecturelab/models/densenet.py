"""DenseNet-121/169/201 (DenseNet-BC), lecture 3 ("dense connections: every layer sees all
earlier feature maps").

Huang et al. 2017, "Densely Connected Convolutional Networks", Table 1: 7x7/2 conv with 2k
channels (k = 32 the growth rate), 3x3/2 max pool, four dense blocks (6-12-24-16, 6-12-32-32,
6-12-48-32 layers) with transitions halving channels and resolution between them, final BN-ReLU,
global average pool, linear classifier. Layout and names as torchvision (`features.conv0`,
`features.denseblock1`, ...) so `from_torchvision` loads its weights.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from lecturelab.nn.conv import check_images
from lecturelab.nn.dense import DenseBlock, Transition
from lecturelab.nn.heads import new_classifier
from lecturelab.registry import register_model


class DenseNet(nn.Module):
    """features (stem, dense blocks and transitions, norm5) -> ReLU -> pool -> classifier.

    `input_shape` is accepted and ignored, so that `create_model(name, input_shape=...)` works
    for every model; give `in_chans` for other than 3-channel images.
    """

    def __init__(self, block_config: Sequence[int], *, growth_rate: int = 32,
                 num_init_features: int = 64, bn_size: int = 4, num_classes: int = 1000,
                 in_chans: int = 3, input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.in_chans, self.num_classes = in_chans, num_classes
        layers: OrderedDict[str, nn.Module] = OrderedDict(
            conv0=nn.Conv2d(in_chans, num_init_features, 7, stride=2, padding=3, bias=False),
            norm0=nn.BatchNorm2d(num_init_features),
            relu0=nn.ReLU(),
            pool0=nn.MaxPool2d(3, stride=2, padding=1),
        )
        channels = num_init_features
        for i, num_layers in enumerate(block_config, start=1):
            block = DenseBlock(num_layers, channels, growth_rate, bn_size=bn_size)
            layers[f"denseblock{i}"], channels = block, block.out_channels
            if i < len(block_config):
                layers[f"transition{i}"] = Transition(channels, channels // 2)
                channels //= 2
        layers["norm5"] = nn.BatchNorm2d(channels)
        self.features = nn.Sequential(layers)
        self.act = nn.ReLU()
        self.num_features = channels
        self.classifier = nn.Linear(channels, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        """He init for convs, BN as identity, zero classifier bias (torchvision)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The activated last dense block, (B, num_features, H/32, W/32)."""
        check_images(x, self.in_chans)
        return self.act(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x).mean((2, 3)))  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.classifier = new_classifier(self.classifier, num_classes)


@register_model
def densenet121(**kw) -> DenseNet:
    """DenseNet-121: blocks 6-12-24-16, k = 32."""
    return DenseNet((6, 12, 24, 16), **kw)


@register_model
def densenet169(**kw) -> DenseNet:
    """DenseNet-169: blocks 6-12-32-32, k = 32."""
    return DenseNet((6, 12, 32, 32), **kw)


@register_model
def densenet201(**kw) -> DenseNet:
    """DenseNet-201: blocks 6-12-48-32, k = 32."""
    return DenseNet((6, 12, 48, 32), **kw)
