"""VGG-11/13/16/19, with and without batch norm; lecture 3 ("stack 3x3 kernels").

Simonyan & Zisserman 2015, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", Table 1 (configurations A, B, D, E): 3x3 'same' convs in five blocks, each closed by
2x2/2 max pooling, then FC 4096 -> 4096 -> classes with dropout 0.5. The `_bn` variants add batch
norm after every conv (Ioffe & Szegedy 2015), as torchvision. Deliberate departure, as
torchvision: a 7x7 adaptive average pool before the classifier so small inputs work (at
224x224 it is the identity). VGG-16: 138.4M parameters, VGG-19: 143.7M, 19.6G multiply-adds.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lecturelab.nn.conv import check_images, same_conv
from lecturelab.nn.heads import new_classifier
from lecturelab.nn.init import he_fan_out_init
from lecturelab.registry import register_model

POOL = "M"
CONFIGS: dict[str, tuple[int | str, ...]] = {
    "A": (64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL),
    "B": (64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL),
    "D": (64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL,
          512, 512, 512, POOL),
    "E": (64, 64, POOL, 128, 128, POOL, 256, 256, 256, 256, POOL, 512, 512, 512, 512, POOL,
          512, 512, 512, 512, POOL),
}


def vgg_features(config: Sequence[int | str], in_chans: int, *, batch_norm: bool) -> nn.Sequential:
    """3x3 convs (+BN) + ReLU for every width in `config`, 2x2/2 max pool for every "M"."""
    layers: list[nn.Module] = []
    channels = in_chans
    for item in config:
        if item == POOL:
            layers.append(nn.MaxPool2d(2, stride=2))
            continue
        layers.append(same_conv(channels, int(item), 3))
        layers += [nn.BatchNorm2d(int(item)), nn.ReLU()] if batch_norm else [nn.ReLU()]
        channels = int(item)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """features -> 7x7 average pool -> classifier (three FC layers).

    `input_shape` is accepted and ignored, so that `create_model(name, input_shape=...)` works
    for every model; give `in_chans` for other than 3-channel images.
    """

    def __init__(self, config: Sequence[int | str], *, batch_norm: bool = False,
                 num_classes: int = 1000, in_chans: int = 3,
                 input_shape: tuple[int, ...] | None = None, dropout: float = 0.5) -> None:
        super().__init__()
        self.in_chans, self.num_classes = in_chans, num_classes
        self.features = vgg_features(config, in_chans, batch_norm=batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )
        he_fan_out_init(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last conv block's map, (B, 512, H/32, W/32)."""
        check_images(x, self.in_chans)
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.avgpool(self.forward_features(x)).flatten(1)  # (B, 512*7*7)
        return self.classifier(pooled)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        last = self.classifier[-1]
        self.classifier[-1] = new_classifier(last, num_classes)


@register_model
def vgg11(**kw) -> VGG:
    """VGG-11 (configuration A)."""
    return VGG(CONFIGS["A"], **kw)


@register_model
def vgg11_bn(**kw) -> VGG:
    """VGG-11 (configuration A) with batch norm."""
    return VGG(CONFIGS["A"], batch_norm=True, **kw)


@register_model
def vgg13(**kw) -> VGG:
    """VGG-13 (configuration B)."""
    return VGG(CONFIGS["B"], **kw)


@register_model
def vgg13_bn(**kw) -> VGG:
    """VGG-13 (configuration B) with batch norm."""
    return VGG(CONFIGS["B"], batch_norm=True, **kw)


@register_model
def vgg16(**kw) -> VGG:
    """VGG-16 (configuration D)."""
    return VGG(CONFIGS["D"], **kw)


@register_model
def vgg16_bn(**kw) -> VGG:
    """VGG-16 (configuration D) with batch norm."""
    return VGG(CONFIGS["D"], batch_norm=True, **kw)


@register_model
def vgg19(**kw) -> VGG:
    """VGG-19 (configuration E)."""
    return VGG(CONFIGS["E"], **kw)


@register_model
def vgg19_bn(**kw) -> VGG:
    """VGG-19 (configuration E) with batch norm."""
    return VGG(CONFIGS["E"], batch_norm=True, **kw)
