"""Short training runs that are scored once at the end (the lecture-3 experiments' way).

`fit` trains through `lecturelab.train.loop.Trainer` with the test split held back while it runs
(the Trainer evaluates every epoch, which would dominate runs of a few hundred steps), records
the loss of every step with a callback, and scores the test split once afterwards. Asked for,
`fit` puts the model in channels_last (NHWC) memory format on every device (the Trainer does so
on CUDA only): on a CPU the oneDNN convolutions of small nets run a third faster. `accuracy`
scores any split in eval mode; `normalised` turns uint8 images into the inputs the loaders give.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from lecturelab.data import ClassificationData, DeviceLoader
from lecturelab.train.callbacks import Callback
from lecturelab.train.loop import TrainConfig, Trainer, evaluate

SPLITS = ("train", "test")


@dataclass(frozen=True)
class Fitted:
    train_loss: float  # mean training loss over the last epoch
    test_acc: float  # final accuracy on the test split (0 when it is empty)
    step_losses: list[float]  # training loss of every step


def fit(model: nn.Module, data: ClassificationData, cfg: TrainConfig, device: torch.device, *,
        channels_last: bool = False) -> Fitted:
    """Train `model` on `data` with `cfg`, then score it once on the test split. A diverged run
    (non-finite loss) keeps going and scores what its predictions are worth. `channels_last`
    (2-D image models only) trains and leaves `model` in NHWC memory format: faster on a CPU,
    equal up to float rounding, which a few hundred steps grow into different final numbers."""
    if channels_last:
        model.to(memory_format=torch.channels_last)
    losses = StepLosses()
    state = Trainer(model, without_test(data), cfg, device=device, callbacks=[losses]).fit()
    test_acc = accuracy(model, data, device) if len(data.y_test) else 0.0
    return Fitted(state.history[-1]["train_loss"], test_acc, losses.losses)


def accuracy(model: nn.Module, data: ClassificationData, device: torch.device, *,
             split: str = "test") -> float:
    """Eval-mode accuracy of `model` on the (un-augmented) `split` of `data`."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
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


def without_test(data: ClassificationData) -> ClassificationData:
    """`data` with an empty test split, so that the Trainer skips its per-epoch evaluation."""
    return dataclasses.replace(data, x_test=data.x_test[:0], y_test=data.y_test[:0])


def normalised(data: ClassificationData, x: torch.Tensor) -> torch.Tensor:
    """uint8 images of `data` as the float inputs its loaders give: scaled, then normalised."""
    mean = torch.tensor(data.mean).view(1, -1, 1, 1)
    std = torch.tensor(data.std).view(1, -1, 1, 1)
    return (x.float() / 255 - mean) / std  # (N, C, H, W)
