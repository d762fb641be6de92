"""The small CNN of lecture 3: the lecture's "simplified computational graph with convolutions,
non-linearity, pooling and fully connected layers", at CIFAR size.

Stages of [3x3 conv -> BN -> ReLU] with a 2x2 max pool after each, then global average pooling
(or the flattened last map) into one linear layer: the VGG pattern of Simonyan & Zisserman
(2015, Sec. 2.1) scaled down, with batch normalisation (Ioffe & Szegedy 2015) after each conv.
The lecture-3 training experiments (batch norm, augmentation, transfer learning, translation
equivariance, activation maximisation) use it with different widths and switches.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lecturelab.registry import register_model


class SmallCNN(nn.Module):
    """Stages of [conv 3x3 -> BN -> ReLU] x `convs`, the first `pools` (default: all) followed by
    a 2x2 max pool; then global average pooling (`head="avg"`) or a flattened map
    (`head="flatten"`, for `input_size` images) into one linear layer.

    `norm=False` drops batch normalisation (the convs get biases instead). Convs start from
    He initialisation (He et al. 2015, Sec. 2.2), so both variants begin at the same
    activation scale.
    """

    def __init__(self, *, widths: Sequence[int] = (16, 32, 64), convs: int = 1,
                 norm: bool = True, pools: int | None = None, head: str = "avg",
                 input_size: int = 32, num_classes: int = 10, in_chans: int = 3) -> None:
        super().__init__()
        pools = len(widths) if pools is None else pools
        if not widths or min(widths) < 1 or convs < 1 or not 0 <= pools <= len(widths):
            raise ValueError(f"widths must be positive, convs >= 1 and pools in [0, "
                             f"{len(widths)}], got {tuple(widths)}, {convs}, {pools}")
        if head not in ("avg", "flatten"):
            raise ValueError(f"head must be 'avg' or 'flatten', got {head!r}")
        self.features = nn.Sequential(*stages(in_chans, widths, convs=convs, norm=norm,
                                              pools=pools))
        self.head, self.num_classes, self.in_chans = head, num_classes, in_chans
        side = input_size // 2**pools
        self.num_features = widths[-1] * side * side if head == "flatten" else widths[-1]
        self.fc = nn.Linear(self.num_features, num_classes)
        for m in self.features:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last stage's feature map, (B, widths[-1], H', W')."""
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = x.flatten(1) if self.head == "flatten" else x.mean((2, 3))  # (B, num_features)
        return self.fc(x)  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.num_features, num_classes).to(self.fc.weight.device)


def stages(in_chans: int, widths: Sequence[int], *, convs: int, norm: bool,
           pools: int) -> list[nn.Module]:
    """The conv stages as a flat list of layers."""
    layers: list[nn.Module] = []
    channels = in_chans
    for stage, width in enumerate(widths):
        for _ in range(convs):
            layers.append(nn.Conv2d(channels, width, 3, padding=1, bias=not norm))
            layers += [nn.BatchNorm2d(width)] if norm else []
            layers.append(nn.ReLU())
            channels = width
        layers += [nn.MaxPool2d(2)] if stage < pools else []
    return layers


@register_model
def small_cnn(**kw) -> SmallCNN:
    """The lecture-3 small CNN: three [3x3 conv -> BN -> ReLU -> 2x2 max pool] stages of 16, 32
    and 64 channels, global average pooling, one linear layer (VGG pattern at CIFAR size)."""
    return SmallCNN(**kw)
