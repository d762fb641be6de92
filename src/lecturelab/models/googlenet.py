"""GoogLeNet (Inception v1), lecture 3 ("inception modules: parallel branches, 1x1 reductions").

Szegedy et al. 2015, "Going Deeper with Convolutions", Table 1 and Fig. 3: stem (7x7/2 conv,
pool, 1x1 and 3x3 convs, pool), nine inception modules (3a-3b, 4a-4e, 5a-5b) with 3x3/2 max
pooling between groups, global average pool, dropout 0.2 (0.4 in the paper) and a linear
classifier. Optional auxiliary classifiers on 4a and 4d (Sec. 6), off by default; when on,
`forward_with_aux` returns (logits, aux1, aux2) for the training loss (weight 0.3 each in the
paper) and `forward` still returns only the logits. Deliberate departures, as torchvision (so
`from_torchvision` loads its weights, 6.6M parameters): batch norm in every conv, and a 3x3
kernel in the "5x5" branch (`kernel_5x5=5` restores the paper's).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lecturelab.nn.conv import check_images
from lecturelab.nn.inception import InceptionConv, InceptionModule
from lecturelab.registry import register_model

# (ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj) of Table 1
MODULES = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


class AuxiliaryClassifier(nn.Module):
    """4x4 average pool -> 1x1 conv (128) -> FC 1024 -> ReLU -> dropout 0.7 -> FC classes."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.conv = InceptionConv(in_channels, 128, 1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.act = nn.ReLU()
        self.dropout = nn.Dropout(0.7)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(F.adaptive_avg_pool2d(x, 4)).flatten(1)  # (B, 128*4*4)
        return self.fc2(self.dropout(self.act(self.fc1(x))))


class GoogLeNet(nn.Module):
    """Stem -> inception 3a..5b with max pools -> pool -> dropout -> fc; aux heads optional.

    `input_shape` is accepted and ignored, so that `create_model(name, input_shape=...)` works
    for every model; give `in_chans` for other than 3-channel images.
    """

    def __init__(self, *, num_classes: int = 1000, in_chans: int = 3,
                 input_shape: tuple[int, ...] | None = None, aux_logits: bool = False,
                 kernel_5x5: int = 3, dropout: float = 0.2) -> None:
        super().__init__()
        self.in_chans, self.num_classes, self.num_features = in_chans, num_classes, 1024
        self.conv1 = InceptionConv(in_chans, 64, 7, stride=2)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = InceptionConv(64, 64, 1)
        self.conv3 = InceptionConv(64, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        channels = 192
        for name, widths in MODULES.items():
            module = InceptionModule(channels, *widths, kernel_5x5=kernel_5x5)
            self.add_module(f"inception{name}", module)
            channels = module.out_channels
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.aux1 = AuxiliaryClassifier(512, num_classes) if aux_logits else None
        self.aux2 = AuxiliaryClassifier(528, num_classes) if aux_logits else None
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        """Truncated N(0, 0.01) for convs and FC layers, BN as identity (torchvision)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Features after 4a, 4d and 5b."""
        check_images(x, self.in_chans)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        after_4a = self.inception4a(x)
        after_4d = self.inception4d(self.inception4c(self.inception4b(after_4a)))
        x = self.maxpool4(self.inception4e(after_4d))
        return after_4a, after_4d, self.inception5b(self.inception5a(x))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Inception 5b's map, (B, 1024, h, w)."""
        return self._trunk(x)[2]

    def _classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(features.mean((2, 3))))  # (B, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._classify(self.forward_features(x))

    def forward_with_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                         torch.Tensor]:
        """(logits, aux1 logits, aux2 logits); needs aux_logits=True."""
        if self.aux1 is None or self.aux2 is None:
            raise ValueError("forward_with_aux needs a GoogLeNet built with aux_logits=True")
        after_4a, after_4d, features = self._trunk(x)
        return self._classify(features), self.aux1(after_4a), self.aux2(after_4d)

    def reset_classifier(self, num_classes: int) -> None:
        """New fc (and aux heads' fc2) for `num_classes` outputs."""
        self.num_classes = num_classes
        device = self.fc.weight.device
        self.fc = nn.Linear(1024, num_classes).to(device)
        for aux in (self.aux1, self.aux2):
            if aux is not None:
                aux.fc2 = nn.Linear(1024, num_classes).to(device)


@register_model
def googlenet(**kw) -> GoogLeNet:
    """GoogLeNet as torchvision (BN, 3x3 "5x5" branch), auxiliary heads off."""
    return GoogLeNet(**kw)
