"""LeNet-5, lecture 3 (the first convolutional network trained end to end with backprop).

LeCun, Bottou, Bengio & Haffner 1998, "Gradient-Based Learning Applied to Document
Recognition", Sec. II.B and Fig. 2: 32x32 input, C1 5x5 conv (6 maps, 28x28), S2 2x2
subsampling, C3 5x5 conv (16 maps, 10x10), S4 2x2 subsampling, C5 5x5 conv (120 maps, 1x1), F6
(84 units), 10 outputs. A 28x28 input (MNIST) is zero-padded by 2 in C1, which gives the same
maps. Deliberate departures, the usual modern reading: C3 connects to all six S2 maps (not the
sparse table of Table I: 2416 instead of 1516 weights), subsampling is plain average pooling
(no trainable coefficient and bias), tanh instead of 1.7159 tanh(2a/3), and a linear output layer
instead of the Euclidean RBF units; 61,706 parameters with 10 classes (the paper: 60,000).
"""

from __future__ import annotations

import torch
from torch import nn

from lecturelab.nn.conv import check_images
from lecturelab.nn.heads import new_classifier
from lecturelab.registry import register_model

IMAGE_SIZES = (28, 32)


class LeNet5(nn.Module):
    """features (C1, S2, C3, S4, C5 with tanh) -> classifier (F6, tanh, output)."""

    def __init__(self, *, num_classes: int = 10, in_chans: int = 1,
                 input_shape: tuple[int, ...] | None = None, image_size: int = 32) -> None:
        super().__init__()
        if input_shape is not None:
            if len(input_shape) != 3 or input_shape[1] != input_shape[2]:
                raise ValueError(f"input_shape must be (C, H, H), got {tuple(input_shape)}")
            in_chans, image_size = input_shape[0], input_shape[1]
        if image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {image_size}")
        self.in_chans, self.num_classes, self.num_features = in_chans, num_classes, 120
        self.image_size = image_size
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, 6, 5, padding=(32 - image_size) // 2), nn.Tanh(),  # C1
            nn.AvgPool2d(2),  # S2
            nn.Conv2d(6, 16, 5), nn.Tanh(),  # C3
            nn.AvgPool2d(2),  # S4
            nn.Conv2d(16, 120, 5), nn.Tanh(),  # C5
        )
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(),  # F6
                                        nn.Linear(84, num_classes))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """C5's maps, (B, 120, 1, 1)."""
        check_images(x, self.in_chans)
        if x.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(f"x must be {self.image_size}x{self.image_size}, "
                             f"got {tuple(x.shape)}")
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x).flatten(1))  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        last = self.classifier[-1]
        self.classifier[-1] = new_classifier(last, num_classes)


@register_model
def lenet5(**kw) -> LeNet5:
    """LeNet-5 for 32x32 (or, padded, 28x28) images, one channel by default."""
    return LeNet5(**kw)
