"""Shared helpers of the lecture-3 training experiments: CIFAR-10 by profile, a small CNN, one
training call that evaluates once at the end, and a CIFAR-10 CNN trained once per process.

The small CNN is the lecture's "simplified computational graph with convolutions, non-linearity,
pooling and fully connected layers": stages of [3x3 conv -> BN -> ReLU] with a 2x2 max pool
after each, then global average pooling (or the flattened last map) into one linear layer (the
VGG pattern of Simonyan & Zisserman 2015 at CIFAR size). Training goes through
`lecturelab.train.loop.Trainer`; the test split is held back while it runs (the Trainer
evaluates every epoch, which would dominate these short runs) and scored once afterwards, and a
callback records the loss of every step.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lecturelab.data import ClassificationData, DeviceLoader, load_dataset
from lecturelab.train.callbacks import Callback
from lecturelab.train.loop import TrainConfig, Trainer, evaluate


@functools.cache
def cifar10(profile: str) -> ClassificationData:
    """CIFAR-10 for `profile`: the shipped 6000-image subset for smoke, else the full set."""
    return load_dataset("cifar10", source="subset" if profile == "smoke" else None)


class SmallCNN(nn.Module):
    """Stages of [conv 3x3 -> BN -> ReLU] x `convs`, the first `pools` (default: all) followed by
    a 2x2 max pool; then global average pooling (`head="avg"`) or a flattened map
    (`head="flatten"`, for `input_size` images) into one linear layer.

    `norm=False` drops batch normalisation (the convs get biases instead). Convs start from
    He initialisation (He et al. 2015), so both variants begin at the same activation scale.
    """

    def __init__(self, *, widths: Sequence[int] = (16, 32, 64), convs: int = 1,
                 norm: bool = True, pools: int | None = None, head: str = "avg",
                 input_size: int = 32, num_classes: int = 10, in_chans: int = 3) -> None:
        super().__init__()
        pools = len(widths) if pools is None else pools
        if not widths or min(widths) < 1 or convs < 1 or not 0 <= pools <= len(widths):
            raise ValueError(f"widths must be positive, convs >= 1 and pools in [0, "
                             f"{len(widths)}], got {widths}, {convs}, {pools}")
        if head not in ("avg", "flatten"):
            raise ValueError(f"head must be 'avg' or 'flatten', got {head!r}")
        layers: list[nn.Module] = []
        channels = in_chans
        for stage, width in enumerate(widths):
            for _ in range(convs):
                layers.append(nn.Conv2d(channels, width, 3, padding=1, bias=not norm))
                layers += [nn.BatchNorm2d(width)] if norm else []
                layers.append(nn.ReLU())
                channels = width
            layers += [nn.MaxPool2d(2)] if stage < pools else []
        self.features = nn.Sequential(*layers)
        self.head, self.num_classes = head, num_classes
        side = input_size // 2**pools
        self.num_features = channels * side * side if head == "flatten" else channels
        self.fc = nn.Linear(self.num_features, num_classes)
        for m in self.features:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = x.flatten(1) if self.head == "flatten" else x.mean((2, 3))  # (B, num_features)
        return self.fc(x)  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.num_features, num_classes).to(self.fc.weight.device)


def without_test(data: ClassificationData) -> ClassificationData:
    """`data` with an empty test split, so that the Trainer skips its per-epoch evaluation."""
    return dataclasses.replace(data, x_test=data.x_test[:0], y_test=data.y_test[:0])


def normalised(data: ClassificationData, x: torch.Tensor) -> torch.Tensor:
    """uint8 images of `data` as the float inputs its loaders give: scaled, then normalised."""
    mean = torch.tensor(data.mean).view(1, -1, 1, 1)
    std = torch.tensor(data.std).view(1, -1, 1, 1)
    return (x.float() / 255 - mean) / std  # (N, C, H, W)


def accuracy(model: nn.Module, data: ClassificationData, device: torch.device, *,
             split: str = "test") -> float:
    """Eval-mode accuracy of `model` on the (un-augmented) `split` of `data`."""
    x, y = (data.x_test, data.y_test) if split == "test" else (data.x_train, data.y_train)
    loader = DeviceLoader(x, y, batch_size=500, device=device, shuffle=False,
                          mean=data.mean, std=data.std)
    return evaluate(model, loader, device)["test_acc"]


class StepLosses(Callback):
    """Records the training loss of every step."""

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_step_end(self, trainer: Trainer, loss: float) -> None:
        self.losses.append(loss)


@dataclass(frozen=True)
class Fitted:
    train_loss: float  # mean training loss over the last epoch
    test_acc: float  # final accuracy on the test split (0 when it is empty)
    step_losses: list[float]  # training loss of every step


def fit(model: nn.Module, data: ClassificationData, cfg: TrainConfig,
        device: torch.device) -> Fitted:
    """Train `model` on `data` with `cfg`, then score it once on the test split. A diverged run
    (non-finite loss) keeps going and scores what its predictions are worth."""
    losses = StepLosses()
    state = Trainer(model, without_test(data), cfg, device=device, callbacks=[losses]).fit()
    test_acc = accuracy(model, data, device) if len(data.y_test) else 0.0
    return Fitted(state.history[-1]["train_loss"], test_acc, losses.losses)


@dataclass(frozen=True)
class CNNRecipe:
    n_train: int  # CIFAR-10 training images (class-balanced subset)
    widths: tuple[int, ...]  # SmallCNN stage widths
    epochs: int  # passes over them
    batch_size: int  # images a step
    lr: float  # peak learning rate (SGD, Nesterov, cosine schedule)
    augment: bool  # random crop + flip


RECIPES = {  # the CIFAR-10 CNN of `trained_cnn`, by profile
    "smoke": CNNRecipe(n_train=1000, widths=(8, 16, 32), epochs=1, batch_size=100, lr=0.05,
                       augment=False),
    "quick": CNNRecipe(n_train=10_000, widths=(16, 32, 64), epochs=4, batch_size=128, lr=0.1,
                       augment=False),
    "full": CNNRecipe(n_train=50_000, widths=(64, 128, 256), epochs=40, batch_size=128, lr=0.1,
                      augment=True),
}


@functools.cache
def trained_cnn(profile: str, seed: int, device: torch.device) -> tuple[SmallCNN, float]:
    """A SmallCNN trained on CIFAR-10 with the recipe of `profile`, and its test accuracy.

    Trained once per (profile, seed, device) in a process and shared; callers must not modify
    it (copy it first)."""
    recipe = RECIPES[profile]
    data = cifar10(profile).subset(n_train=recipe.n_train, seed=seed)
    torch.manual_seed(seed)
    model = SmallCNN(widths=recipe.widths)
    cfg = TrainConfig(epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr,
                      augment=recipe.augment, seed=seed)
    return model.eval(), fit(model, data, cfg, device).test_acc


def downsample(data: ClassificationData, size: int) -> ClassificationData:
    """`data` with its images area-averaged to size x size (still uint8)."""
    def shrink(x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % size:
            raise ValueError(f"size must divide the image side {x.shape[-1]}, got {size}")
        small = F.adaptive_avg_pool2d(x.float(), size)  # (N, C, size, size)
        return small.round().to(torch.uint8)
    return dataclasses.replace(data, x_train=shrink(data.x_train), x_test=shrink(data.x_test))
