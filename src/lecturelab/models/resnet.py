"""ResNet (v1.5) and pre-activation ResNet (v2), lecture 3.

He et al. 2016a, "Deep Residual Learning for Image Recognition", Table 1 (ImageNet: 7x7/2 conv,
3x3/2 max pool, four stages of basic or bottleneck blocks at widths 64-512, global average pool,
fc); projection shortcuts where the shape changes (option B). Deliberate departure: bottlenecks
stride in their 3x3 conv (v1.5), as torchvision, so `from_torchvision` loads its weights; this
costs ResNet-50 4.1G instead of 3.8G multiply-adds at 224x224. He et al. 2016b, "Identity
Mappings in Deep Residual Networks": pre-activation blocks (`preact_*`) with a final BN-ReLU
before the pool; the stem is the v1 stem for both. The same class builds the CIFAR ResNets
(`cifar_resnet.py`) and SE-ResNets (`senet.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from lecturelab.nn.blocks import (
    BasicBlock,
    Bottleneck,
    PreActBlock,
    PreActBottleneck,
    ResidualBlock,
    Shortcut,
)
from lecturelab.nn.conv import check_images
from lecturelab.nn.heads import new_classifier
from lecturelab.registry import register_model


class ResNet(nn.Module):
    """Stem -> stages of residual blocks (the first at stride 1, the rest at 2) -> pool -> fc.

    `input_shape` is accepted and ignored, so that `create_model(name, input_shape=...)` works
    for every model; give `in_chans` for other than 3-channel images.
    """

    def __init__(self, block: type[ResidualBlock], layers: Sequence[int], *,
                 num_classes: int = 1000, in_chans: int = 3,
                 input_shape: tuple[int, ...] | None = None,
                 widths: Sequence[int] = (64, 128, 256, 512),
                 stem: Literal["imagenet", "cifar"] = "imagenet", shortcut: Shortcut = "B",
                 se_reduction: int = 0) -> None:
        super().__init__()
        if len(layers) != len(widths) or min(layers) < 1:
            raise ValueError(f"layers must give a block count >= 1 per width {tuple(widths)}, "
                             f"got {tuple(layers)}")
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"stem must be 'imagenet' or 'cifar', got {stem!r}")
        self.in_chans, self.num_classes = in_chans, num_classes
        imagenet = stem == "imagenet"
        self.conv1 = nn.Conv2d(in_chans, widths[0], 7 if imagenet else 3,
                               stride=2 if imagenet else 1, padding=3 if imagenet else 1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.act1 = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1) if imagenet else nn.Identity()
        stages, channels = [], widths[0]
        for i, (depth, width) in enumerate(zip(layers, widths, strict=True)):
            blocks = []
            for j in range(depth):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(block(channels, width, stride=stride, shortcut=shortcut,
                                    se_reduction=se_reduction))
                channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*stages)
        self.final_norm = (nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU())
                           if block.preactivation else None)
        self.num_features = channels
        self.fc = nn.Linear(channels, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        """He init (fan_out) for convs, BN as identity; the fc keeps torch's default."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last stage's map, (B, num_features, H/32, W/32) for the ImageNet stem."""
        check_images(x, self.in_chans)
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layers(x)
        return x if self.final_norm is None else self.final_norm(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x).mean((2, 3)))  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = new_classifier(self.fc, num_classes)


@register_model
def resnet18(**kw) -> ResNet:
    """ResNet-18 (He et al. 2016a, Table 1): basic blocks 2-2-2-2."""
    return ResNet(BasicBlock, (2, 2, 2, 2), **kw)


@register_model
def resnet34(**kw) -> ResNet:
    """ResNet-34 (He et al. 2016a, Table 1): basic blocks 3-4-6-3."""
    return ResNet(BasicBlock, (3, 4, 6, 3), **kw)


@register_model
def resnet50(**kw) -> ResNet:
    """ResNet-50 (He et al. 2016a, Table 1): bottlenecks 3-4-6-3, v1.5 strides."""
    return ResNet(Bottleneck, (3, 4, 6, 3), **kw)


@register_model
def resnet101(**kw) -> ResNet:
    """ResNet-101 (He et al. 2016a, Table 1): bottlenecks 3-4-23-3, v1.5 strides."""
    return ResNet(Bottleneck, (3, 4, 23, 3), **kw)


@register_model
def resnet152(**kw) -> ResNet:
    """ResNet-152 (He et al. 2016a, Table 1): bottlenecks 3-8-36-3, v1.5 strides."""
    return ResNet(Bottleneck, (3, 8, 36, 3), **kw)


@register_model
def preact_resnet18(**kw) -> ResNet:
    """Pre-activation ResNet-18 (He et al. 2016b): v2 basic blocks 2-2-2-2."""
    return ResNet(PreActBlock, (2, 2, 2, 2), **kw)


@register_model
def preact_resnet34(**kw) -> ResNet:
    """Pre-activation ResNet-34 (He et al. 2016b): v2 basic blocks 3-4-6-3."""
    return ResNet(PreActBlock, (3, 4, 6, 3), **kw)


@register_model
def preact_resnet50(**kw) -> ResNet:
    """Pre-activation ResNet-50 (He et al. 2016b): v2 bottlenecks 3-4-6-3."""
    return ResNet(PreActBottleneck, (3, 4, 6, 3), **kw)


@register_model
def preact_resnet101(**kw) -> ResNet:
    """Pre-activation ResNet-101 (He et al. 2016b): v2 bottlenecks 3-4-23-3."""
    return ResNet(PreActBottleneck, (3, 4, 23, 3), **kw)


@register_model
def preact_resnet152(**kw) -> ResNet:
    """Pre-activation ResNet-152 (He et al. 2016b, Table 5): v2 bottlenecks 3-8-36-3."""
    return ResNet(PreActBottleneck, (3, 8, 36, 3), **kw)
