"""SimCLR (Chen, Kornblith, Norouzi & Hinton 2020, "A simple framework for contrastive learning
of visual representations"): two augmented views of each image, an encoder, a projection head,
and the NT-Xent loss; the encoder's features are then judged by a linear probe.

Departures for a CPU: Adam instead of LARS, small batches (256 images, 512 views), a small CNN
encoder at 16 px in the quick profile (any registered zoo model can be the encoder).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from lecturelab.similarity.augment import SimCLRAugment
from lecturelab.similarity.encoders import build_encoder, embed
from lecturelab.similarity.images import normalise
from lecturelab.similarity.losses import simclr_loss
from lecturelab.similarity.probes import knn_accuracy, linear_probe


@dataclass(frozen=True)
class SimCLRRecipe:
    """How SimCLR pre-training runs."""

    steps: int = 300  # optimiser steps
    batch_size: int = 256  # images a step (2x as many views)
    lr: float = 2e-3  # Adam learning rate
    weight_decay: float = 1e-6  # Adam weight decay
    temperature: float = 0.5  # NT-Xent temperature tau
    proj_dim: int = 64  # output size of the projection head g
    encoder: str = "small_cnn"  # "small_cnn" or any registered zoo model
    widths: tuple[int, ...] = (32, 64, 128)  # small_cnn stage widths
    convs: int = 1  # small_cnn convs per stage
    augment: SimCLRAugment = field(default_factory=SimCLRAugment)  # the views' family


class SimCLR(nn.Module):
    """Encoder f and projection head g (Linear-ReLU-Linear, Sec. 2.1): z = g(f(x))."""

    def __init__(self, encoder: nn.Module, proj_dim: int = 64) -> None:
        super().__init__()
        self.encoder = encoder
        width = encoder.feature_dim
        self.head = nn.Sequential(nn.Linear(width, width), nn.ReLU(inplace=True),
                                  nn.Linear(width, proj_dim))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x))


def build_simclr(recipe: SimCLRRecipe, image_size: int) -> SimCLR:
    encoder = build_encoder(recipe.encoder, image_size=image_size, widths=recipe.widths,
                            convs=recipe.convs)
    return SimCLR(encoder, recipe.proj_dim)


def pretrain_simclr(model: SimCLR, images: Tensor, recipe: SimCLRRecipe, *,
                    mean: tuple[float, ...] | None, std: tuple[float, ...] | None,
                    seed: int = 0, on_step: Callable[[int, float], None] | None = None
                    ) -> list[float]:
    """Train `model` on float images in [0, 1] (N, 3, H, W) for `recipe.steps` steps; returns
    the loss per step. `on_step(step, loss)` is called after each step (progress, probes)."""
    if recipe.batch_size < 2 or recipe.batch_size > len(images):
        raise ValueError(f"batch_size must lie in [2, {len(images)}] (the training images), "
                         f"got {recipe.batch_size}")
    gen = torch.Generator().manual_seed(seed)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr,
                                 weight_decay=recipe.weight_decay)
    losses = []
    for step in range(recipe.steps):
        idx = torch.randperm(len(images), generator=gen)[:recipe.batch_size].to(images.device)
        batch = images[idx]
        views = [normalise(recipe.augment(batch, gen), mean, std) for _ in range(2)]
        z = model(torch.cat(views).contiguous(memory_format=torch.channels_last))  # (2B, d)
        loss = simclr_loss(z[:len(batch)], z[len(batch):], temperature=recipe.temperature)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step, losses[-1])
    return losses


def probe_encoder(encoder: nn.Module, train: Tensor, y_train: Tensor, test: Tensor,
                  y_test: Tensor) -> dict[str, float]:
    """Linear-probe and k-NN accuracy of a frozen encoder on normalised float images."""
    f_train, f_test = embed(encoder, train), embed(encoder, test)
    return {"probe_acc": linear_probe(f_train, y_train, f_test, y_test),
            "knn_acc": knn_accuracy(f_train, y_train, f_test, y_test)}


def train_supervised(encoder: nn.Module, images: Tensor, labels: Tensor, recipe: SimCLRRecipe,
                     *, mean: tuple[float, ...] | None, std: tuple[float, ...] | None,
                     num_classes: int, seed: int = 0) -> nn.Module:
    """The supervised baseline at equal budget: encoder + linear classifier trained with
    cross-entropy for the same steps and batch size, on crop + flip views."""
    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(encoder, nn.Linear(encoder.feature_dim, num_classes)).to(images.device)
    optimizer = torch.optim.Adam(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    augment = SimCLRAugment(colour=False)
    for _ in range(recipe.steps):
        idx = torch.randperm(len(images), generator=gen)[:recipe.batch_size].to(images.device)
        x = normalise(augment(images[idx], gen), mean, std)
        loss = nn.functional.cross_entropy(net(x), labels[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return net


@torch.no_grad()
def accuracy(net: nn.Module, x: Tensor, y: Tensor) -> float:
    """Classification accuracy of `net` on normalised images, in eval mode."""
    return float((embed(net, x).argmax(dim=1) == y).double().mean())
