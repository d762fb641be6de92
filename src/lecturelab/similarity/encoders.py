"""Encoders that map images to vectors: a small CNN, any zoo model, and an embedding head.

The small CNN is the quick profiles' network (conv3x3-BN-ReLU then 2x2 max-pool per stage,
global average pool); `ZooEncoder` wraps any registered model of the lecture-3 zoo
(`create_model`) and pools its `forward_features` map, for full-scale runs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lecturelab.registry import create_model


class ConvEncoder(nn.Module):
    """Stages of conv3x3-BN-ReLU (`convs` per stage) and a 2x2 max-pool; (B, widths[-1]) out."""

    def __init__(self, in_chans: int = 3, widths: tuple[int, ...] = (16, 32, 64),
                 convs: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_chans
        for width in widths:
            for _ in range(convs):
                layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False),
                           nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                channels = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.feature_dim = channels

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x).mean((2, 3))  # (B, C)


class ZooEncoder(nn.Module):
    """A registered zoo model's pooled `forward_features` (its classifier is left unused)."""

    def __init__(self, name: str, in_chans: int = 3, image_size: int = 32) -> None:
        super().__init__()
        self.net = create_model(name, num_classes=1, in_chans=in_chans)
        with torch.no_grad():
            self.net.eval()
            self.feature_dim = self(torch.zeros(1, in_chans, image_size, image_size)).shape[1]
            self.net.train()

    def forward(self, x: Tensor) -> Tensor:
        features = self.net.forward_features(x)
        return features.mean((2, 3)) if features.dim() == 4 else features  # (B, C)


def build_encoder(name: str = "small_cnn", *, in_chans: int = 3, image_size: int = 16,
                  widths: tuple[int, ...] = (16, 32, 64), convs: int = 1) -> nn.Module:
    """"small_cnn" (a `ConvEncoder`) or the name of any registered model."""
    if name == "small_cnn":
        return ConvEncoder(in_chans, widths, convs)
    return ZooEncoder(name, in_chans, image_size)


class EmbeddingNet(nn.Module):
    """An encoder followed by a linear map to `dim`-dimensional embeddings (not normalised:
    the losses choose)."""

    def __init__(self, encoder: nn.Module, dim: int = 64) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.feature_dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x))


@torch.no_grad()
def embed(model: nn.Module, x: Tensor, *, batch_size: int = 512) -> Tensor:
    """The model's outputs for `x` in eval mode, in batches; the mode is restored after."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out
