"""Load torchvision's weights into the zoo's models (lecture 3, claim l3.architecture_zoo).

`from_torchvision(model, tv_model)` copies every parameter and buffer of a torchvision
classifier into the zoo model of the same architecture. Each torchvision family has an explicit
map from its module paths to ours: AlexNet, VGG and GoogLeNet share our names; ResNet renames
`layerN` to `layers.N-1` and `downsample` to `shortcut`; DenseNet renames `denselayerN` to
`layers.N-1`; MobileNetV2, MnasNet and EfficientNet index their blocks by position, so their
maps are spelled out block by block. The load is strict: every tensor of both models is used
exactly once, with the same shape, or a ValueError names the first keys that differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torchvision import models as tvm

from lecturelab.models.alexnet import AlexNet
from lecturelab.models.densenet import DenseNet
from lecturelab.models.googlenet import GoogLeNet
from lecturelab.models.mobilenet import InvertedResidualNet
from lecturelab.models.resnet import ResNet
from lecturelab.models.vgg import VGG

PathMap = dict[str, str]  # torchvision module path -> our module path


def _state_owners(module: nn.Module) -> list[str]:
    """Paths of the submodules that hold parameters or buffers themselves."""
    return [name for name, m in module.named_modules()
            if [*m.parameters(recurse=False), *m.buffers(recurse=False)]]


def _renamed(tv_model: nn.Module, rules: list[tuple[str, Callable[[re.Match], str] | str]]
             ) -> PathMap:
    paths = {}
    for path in _state_owners(tv_model):
        ours = path
        for pattern, repl in rules:
            ours = re.sub(pattern, repl, ours)
        paths[path] = ours
    return paths


def _same_names(tv_model: nn.Module) -> PathMap:
    return _renamed(tv_model, [])


def _resnet_paths(tv_model: nn.Module) -> PathMap:
    return _renamed(tv_model, [(r"^layer(\d+)", lambda m: f"layers.{int(m[1]) - 1}"),
                               (r"\.downsample\.", ".shortcut.")])


def _densenet_paths(tv_model: nn.Module) -> PathMap:
    return _renamed(tv_model, [(r"\.denselayer(\d+)\.", lambda m: f".layers.{int(m[1]) - 1}.")])


def _conv_bn(tv: str, ours: str) -> Iterator[tuple[str, str]]:
    """torchvision's Conv2dNormActivation (0: conv, 1: bn) -> our ConvBNAct."""
    yield f"{tv}.0", f"{ours}.conv"
    yield f"{tv}.1", f"{ours}.bn"


def _mobilenet_v2_paths(tv: tvm.MobileNetV2) -> PathMap:
    pairs = [*_conv_bn("features.0", "stem"), *_conv_bn(f"features.{len(tv.features) - 1}",
                                                        "head"), ("classifier.1", "classifier")]
    for i, block in enumerate(tv.features[1:-1]):
        tv_block, ours = f"features.{i + 1}.conv", f"blocks.{i}"
        expand = len(block.conv) == 4  # [expand], depthwise, project conv, project bn
        if expand:
            pairs += _conv_bn(f"{tv_block}.0", f"{ours}.expand")
        pairs += _conv_bn(f"{tv_block}.{int(expand)}", f"{ours}.depthwise")
        pairs += [(f"{tv_block}.{int(expand) + 1}", f"{ours}.project.conv"),
                  (f"{tv_block}.{int(expand) + 2}", f"{ours}.project.bn")]
    return dict(pairs)


def _mnasnet_paths(tv: tvm.MNASNet) -> PathMap:
    pairs = [("layers.0", "stem.conv"), ("layers.1", "stem.bn"),  # stem, then separable conv
             ("layers.3", "blocks.0.depthwise.conv"), ("layers.4", "blocks.0.depthwise.bn"),
             ("layers.6", "blocks.0.project.conv"), ("layers.7", "blocks.0.project.bn"),
             ("layers.14", "head.conv"), ("layers.15", "head.bn"), ("classifier.1", "classifier")]
    units = {0: "expand.conv", 1: "expand.bn", 3: "depthwise.conv", 4: "depthwise.bn",
             6: "project.conv", 7: "project.bn"}  # positions in an _InvertedResidual's layers
    index = 1
    for s in range(8, 14):
        for j in range(len(tv.layers[s])):
            pairs += [(f"layers.{s}.{j}.layers.{k}", f"blocks.{index}.{unit}")
                      for k, unit in units.items()]
            index += 1
    return dict(pairs)


def _efficientnet_paths(tv: tvm.EfficientNet) -> PathMap:
    last = len(tv.features) - 1
    pairs = [*_conv_bn("features.0", "stem"), *_conv_bn(f"features.{last}", "head"),
             ("classifier.1", "classifier")]
    index = 0
    for s in range(1, last):
        for j, block in enumerate(tv.features[s]):
            tv_block, ours = f"features.{s}.{j}.block", f"blocks.{index}"
            expand = len(block.block) == 4  # [expand], depthwise, SE, project
            units = (["expand"] if expand else []) + ["depthwise", "se", "project"]
            for k, unit in enumerate(units):
                if unit == "se":
                    pairs += [(f"{tv_block}.{k}.fc1", f"{ours}.se.fc1"),
                              (f"{tv_block}.{k}.fc2", f"{ours}.se.fc2")]
                else:
                    pairs += _conv_bn(f"{tv_block}.{k}", f"{ours}.{unit}")
            index += 1
    return dict(pairs)


FAMILIES: dict[type[nn.Module], tuple[type[nn.Module], Callable[[nn.Module], PathMap]]] = {
    tvm.AlexNet: (AlexNet, _same_names),
    tvm.VGG: (VGG, _same_names),
    tvm.GoogLeNet: (GoogLeNet, _same_names),
    tvm.ResNet: (ResNet, _resnet_paths),
    tvm.DenseNet: (DenseNet, _densenet_paths),
    tvm.MobileNetV2: (InvertedResidualNet, _mobilenet_v2_paths),
    tvm.MNASNet: (InvertedResidualNet, _mnasnet_paths),
    tvm.EfficientNet: (InvertedResidualNet, _efficientnet_paths),
}


def torchvision_state_dict(model: nn.Module, tv_model: nn.Module) -> dict[str, torch.Tensor]:
    """tv_model's parameters and buffers under our model's keys, checked one to one."""
    if type(tv_model) not in FAMILIES:
        names = ", ".join(t.__name__ for t in FAMILIES)
        raise ValueError(f"tv_model must be one of torchvision's {names}, "
                         f"got {type(tv_model).__name__}")
    ours_type, path_map = FAMILIES[type(tv_model)]
    if not isinstance(model, ours_type):
        raise ValueError(f"torchvision's {type(tv_model).__name__} loads into {ours_type.__name__}"
                         f", got {type(model).__name__}")
    paths = path_map(tv_model)
    state = {}
    for key, tensor in tv_model.state_dict().items():
        owner, name = key.rsplit(".", 1)
        if owner not in paths:
            raise ValueError(f"no counterpart for torchvision's {key!r}")
        state[f"{paths[owner]}.{name}"] = tensor
    _check_one_to_one(model.state_dict(), state)
    return state


def _check_one_to_one(ours: dict[str, torch.Tensor], theirs: dict[str, torch.Tensor]) -> None:
    missing, extra = sorted(ours.keys() - theirs.keys()), sorted(theirs.keys() - ours.keys())
    if missing or extra:
        raise ValueError(f"state dicts differ: missing {missing[:3]}, unexpected {extra[:3]}")
    shapes = [(k, tuple(ours[k].shape), tuple(theirs[k].shape)) for k in ours
              if ours[k].shape != theirs[k].shape]
    if shapes:
        raise ValueError(f"shapes differ (key, ours, torchvision's): {shapes[:3]}")


def from_torchvision(model: nn.Module, tv_model: nn.Module) -> nn.Module:
    """Copy tv_model's weights and BN statistics into model (in place); returns model."""
    model.load_state_dict(torchvision_state_dict(model, tv_model))
    return model
