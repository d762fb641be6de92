"""Backbones for the detectors: the lecture-3 zoo's convnets as lists of feature maps.

A detector's backbone maps images (B, 3, H, W) to feature maps from fine to coarse, and says
their `channels` and `strides`. `ResNetFeatures` takes any zoo ResNet (`create_model("resnet18")`)
and returns the outputs of chosen stages (C2..C5 in Lin et al. 2017, FPN Sec. 3);
`FinalFeatures` takes any zoo classifier through its `forward_features` (one map, the last).
`TinyResNet` is this package's addition for CPU runs: a ResNet stem and one basic block (He et
al. 2016, Fig. 2; `lecturelab.nn.blocks.BasicBlock`) per stage, each stage halving the map, as
small as a 64-128 pixel shapes scene allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from lecturelab.models.resnet import ResNet
from lecturelab.nn.blocks import BasicBlock
from lecturelab.nn.conv import ConvBNAct, check_images
from lecturelab.registry import create_model


class TinyResNet(nn.Module):
    """Stem (3x3 conv, stride 2) then one basic block per width, each at stride 2.

    Stage i's map has stride 2^(i+2); `return_stages` picks which are returned (0 = the first).
    """

    def __init__(self, *, widths: Sequence[int] = (32, 64, 128, 256),
                 return_stages: Sequence[int] = (1, 2, 3), stem_width: int = 16) -> None:
        super().__init__()
        if not return_stages or not set(return_stages) <= set(range(len(widths))):
            raise ValueError(f"return_stages must be a non-empty subset of 0..{len(widths) - 1}, "
                             f"got {tuple(return_stages)}")
        self.stem = ConvBNAct(3, stem_width, 3, stride=2)
        channels, stages = stem_width, []
        for width in widths:
            stages.append(BasicBlock(channels, width, stride=2))
            channels = width
        self.stages = nn.ModuleList(stages)
        self.return_stages = tuple(sorted(return_stages))
        self.channels = tuple(widths[i] for i in self.return_stages)
        self.strides = tuple(2 ** (i + 2) for i in self.return_stages)

    def forward(self, images: Tensor) -> list[Tensor]:
        check_images(images, 3)
        x, maps = self.stem(images), []
        for i, stage in enumerate(self.stages[: self.return_stages[-1] + 1]):
            x = stage(x)
            if i in self.return_stages:
                maps.append(x)
        return maps


class ResNetFeatures(nn.Module):
    """A zoo ResNet's stage outputs; stage i (0-based) has stride 2^(i+2) with the ImageNet stem."""

    def __init__(self, resnet: ResNet, *, return_stages: Sequence[int] = (1, 2, 3)) -> None:
        super().__init__()
        if not isinstance(resnet, ResNet):
            raise ValueError(f"resnet must be a lecturelab ResNet, got {type(resnet).__name__}")
        if not return_stages or not set(return_stages) <= set(range(len(resnet.layers))):
            raise ValueError(f"return_stages must be a non-empty subset of "
                             f"0..{len(resnet.layers) - 1}, got {tuple(return_stages)}")
        self.resnet = resnet
        self.return_stages = tuple(sorted(return_stages))
        self.channels, self.strides = probe(self)

    def forward(self, images: Tensor) -> list[Tensor]:
        check_images(images, 3)
        r = self.resnet
        x, maps = r.maxpool(r.act1(r.bn1(r.conv1(images)))), []
        for i, stage in enumerate(r.layers[: self.return_stages[-1] + 1]):
            x = stage(x)
            if i in self.return_stages:
                maps.append(x)
        return maps


class FinalFeatures(nn.Module):
    """Any zoo classifier as a one-map backbone, through its `forward_features`."""

    def __init__(self, model: nn.Module, *, probe_size: int = 128) -> None:
        super().__init__()
        if not hasattr(model, "forward_features"):
            raise ValueError(f"{type(model).__name__} has no forward_features method")
        self.model = model
        self.channels, self.strides = probe(self, size=probe_size)

    def forward(self, images: Tensor) -> list[Tensor]:
        return [self.model.forward_features(images)]


@torch.no_grad()
def probe(backbone: nn.Module, *, size: int = 128) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Channels and strides of `backbone`'s maps, from one blank image (BN statistics untouched)."""
    modes = {m: m.training for m in backbone.modules()}
    maps = backbone.eval()(torch.zeros(1, 3, size, size))
    for m, training in modes.items():
        m.train(training)
    return tuple(m.shape[1] for m in maps), tuple(size // m.shape[-1] for m in maps)


def zoo_backbone(name: str, *, return_stages: Sequence[int] = (1, 2, 3), **kwargs: Any
                 ) -> nn.Module:
    """A registered zoo model as a backbone: stage outputs for ResNets, else its last map."""
    model = create_model(name, **kwargs)
    if isinstance(model, ResNet):
        return ResNetFeatures(model, return_stages=return_stages)
    return FinalFeatures(model)
