"""AlexNet, lecture 3 (the 2012 ImageNet winner: ReLU, dropout, big strided first layer).

Krizhevsky, Sutskever & Hinton 2012, Fig. 2: five conv layers (11x11/4, 5x5, 3x3 x3) with
overlapping 3x3/2 max pooling after the 1st, 2nd and 5th, then FC 4096 -> 4096 -> classes with
dropout 0.5. Deliberate departures, as torchvision (so `from_torchvision` loads its weights):
the one-tower widths 64-192-384-256-256 of Krizhevsky 2014 ("One weird trick") instead of
96-256-384-384-256, no local response normalisation, and a 6x6 adaptive average pool before the
classifier so small inputs work (at 224x224 it is the identity); 61.1M parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from lecturelab.nn.conv import check_images
from lecturelab.nn.heads import new_classifier
from lecturelab.registry import register_model


class AlexNet(nn.Module):
    """features (convs) -> 6x6 average pool -> classifier (three FC layers).

    `input_shape` is accepted and ignored, so that `create_model(name, input_shape=...)` works
    for every model; give `in_chans` for other than 3-channel images.
    """

    def __init__(self, *, num_classes: int = 1000, in_chans: int = 3,
                 input_shape: tuple[int, ...] | None = None, dropout: float = 0.5) -> None:
        super().__init__()
        self.in_chans, self.num_classes = in_chans, num_classes
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, 64, 11, stride=4, padding=2), nn.ReLU(),
            nn.MaxPool2d(3, stride=2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
            nn.MaxPool2d(3, stride=2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last conv stage's map, (B, 256, h, w); inputs must be at least 63x63."""
        check_images(x, self.in_chans)
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.avgpool(self.forward_features(x)).flatten(1)  # (B, 256*6*6)
        return self.classifier(pooled)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        last = self.classifier[-1]
        self.classifier[-1] = new_classifier(last, num_classes)


@register_model
def alexnet(**kw) -> AlexNet:
    """AlexNet, torchvision's one-tower variant."""
    return AlexNet(**kw)
