"""The CIFAR-10 ResNets and their plain twins, lecture 3 ("residual connections make training
deeper networks simpler").

He et al. 2016a, Sec. 4.2: a 3x3 conv with 16 filters, then three stages of n basic blocks at
16, 32 and 64 filters on 32x32, 16x16 and 8x8 maps (stride 2 in each stage's first conv), global
average pool and a 10-way fc: 6n+2 weighted layers. Shortcuts are option A - identity, with
zero-padded channels where the shape changes - so both twins have exactly the same parameters
(ResNet-20: 0.27M, ResNet-110: 1.7M, Table 6). The plain nets drop every shortcut.
"""

from __future__ import annotations

from lecturelab.models.resnet import ResNet
from lecturelab.nn.blocks import BasicBlock
from lecturelab.registry import register_model


def cifar_resnet(depth: int, *, residual: bool = True, num_classes: int = 10,
                 widths: tuple[int, int, int] = (16, 32, 64), **kw) -> ResNet:
    """The depth-(6n+2) net of Sec. 4.2, with option-A shortcuts or (residual=False) none."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n+2 with n >= 1, got {depth}")
    n = (depth - 2) // 6
    return ResNet(BasicBlock, (n, n, n), widths=widths, stem="cifar",
                  shortcut="A" if residual else "none", num_classes=num_classes, **kw)


@register_model
def resnet20(**kw) -> ResNet:
    """CIFAR ResNet-20 (n=3)."""
    return cifar_resnet(20, **kw)


@register_model
def resnet32(**kw) -> ResNet:
    """CIFAR ResNet-32 (n=5)."""
    return cifar_resnet(32, **kw)


@register_model
def resnet44(**kw) -> ResNet:
    """CIFAR ResNet-44 (n=7)."""
    return cifar_resnet(44, **kw)


@register_model
def resnet56(**kw) -> ResNet:
    """CIFAR ResNet-56 (n=9)."""
    return cifar_resnet(56, **kw)


@register_model
def resnet110(**kw) -> ResNet:
    """CIFAR ResNet-110 (n=18)."""
    return cifar_resnet(110, **kw)


@register_model
def plain20(**kw) -> ResNet:
    """CIFAR plain-20: ResNet-20 without shortcuts."""
    return cifar_resnet(20, residual=False, **kw)


@register_model
def plain32(**kw) -> ResNet:
    """CIFAR plain-32: ResNet-32 without shortcuts."""
    return cifar_resnet(32, residual=False, **kw)


@register_model
def plain44(**kw) -> ResNet:
    """CIFAR plain-44: ResNet-44 without shortcuts."""
    return cifar_resnet(44, residual=False, **kw)


@register_model
def plain56(**kw) -> ResNet:
    """CIFAR plain-56: ResNet-56 without shortcuts."""
    return cifar_resnet(56, residual=False, **kw)


@register_model
def plain110(**kw) -> ResNet:
    """CIFAR plain-110: ResNet-110 without shortcuts."""
    return cifar_resnet(110, residual=False, **kw)
