"""The weight initialisation torchvision uses for VGG and the MobileNet family.

He et al. 2015 (fan_out, ReLU gain) for convolutions, batch norm as the identity, N(0, 0.01)
for linear layers, zero biases.
"""

from __future__ import annotations

from torch import nn


def he_fan_out_init(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
