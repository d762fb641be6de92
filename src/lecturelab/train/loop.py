"""One plain training loop for classifiers, with callbacks (DESIGN.md, "Training").

SGD with Nesterov momentum and a learning-rate schedule; bf16 autocast and channels_last on CUDA;
optional torch.compile; DistributedDataParallel when launched by torchrun. Data order and
augmentation are a pure function of (seed, epoch), and checkpoints are taken at epoch ends, so a
resumed run repeats an uninterrupted one exactly on a CPU.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lecturelab.data import ClassificationData, DeviceLoader
from lecturelab.train.callbacks import Callback
from lecturelab.train.distributed import DistributedContext


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10  # passes over the training set
    batch_size: int = 128  # per process
    lr: float = 0.1  # peak learning rate
    momentum: float = 0.9  # Nesterov momentum
    weight_decay: float = 5e-4  # L2 penalty on all weights
    schedule: str = "cosine"  # cosine | step (x0.1 at 50% and 75%, He et al. 2016) | constant
    warmup_epochs: float = 0.0  # linear warm-up before the schedule
    label_smoothing: float = 0.0  # cross-entropy label smoothing
    augment: bool = False  # the dataset's declared augmentation (data.augmentation), images only
    compile: bool = False  # torch.compile the model
    seed: int = 0  # data order, augmentation and initialisation

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay}")
        if self.schedule not in ("cosine", "step", "constant"):
            raise ValueError(f"schedule must be cosine, step or constant, got {self.schedule!r}")


@dataclass
class TrainState:
    """What the loop knows between steps; saved in checkpoints."""

    epoch: int = 0  # completed epochs
    step: int = 0  # completed optimiser steps
    history: list[dict[str, float]] = field(default_factory=list)  # one row per epoch


def lr_factor(cfg: TrainConfig, progress: float) -> float:
    """The schedule's multiplier at `progress` in epochs (fractional)."""
    if cfg.warmup_epochs and progress < cfg.warmup_epochs:
        return (progress + 1e-8) / cfg.warmup_epochs
    t = progress / cfg.epochs
    if cfg.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if cfg.schedule == "step":
        return 0.1 ** ((t >= 0.5) + (t >= 0.75))
    return 1.0


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """SGD; no weight decay on biases and normalisation parameters (1-D tensors)."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.momentum > 0)


def autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def prepare_inputs(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    if device.type == "cuda" and x.ndim == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


class Trainer:
    """Trains `model` on `data` with `cfg`; callbacks observe (and may checkpoint) each step."""

    def __init__(self, model: nn.Module, data: ClassificationData, cfg: TrainConfig, *,
                 device: torch.device | str = "cpu", callbacks: Sequence[Callback] = (),
                 dist: DistributedContext | None = None) -> None:
        self.cfg = cfg
        self.data = data
        self.device = torch.device(device)
        self.dist = dist or DistributedContext()
        self.callbacks = list(callbacks)
        self.model = model.to(self.device)
        if self.device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = make_optimizer(self.model, cfg)
        self.train_loader = DeviceLoader(
            data.x_train, data.y_train, batch_size=cfg.batch_size, device=self.device,
            shuffle=True, drop_last=True, augment=data.train_augmentation(cfg.augment),
            mean=data.mean, std=data.std, seed=cfg.seed, rank=self.dist.rank,
            world_size=self.dist.world_size)
        if len(self.train_loader) == 0:
            raise ValueError(f"batch_size {cfg.batch_size} is larger than this process's share "
                             f"of the {len(data.y_train)} training examples")
        self.test_loader = DeviceLoader(
            data.x_test, data.y_test, batch_size=max(cfg.batch_size, 256), device=self.device,
            shuffle=False, mean=data.mean, std=data.std)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(cfg, step / len(self.train_loader)))
        self.forward_model = self.dist.wrap(self.model)
        if cfg.compile:
            self.forward_model = torch.compile(self.forward_model)
        self.state = TrainState()

    def emit(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.float(), y, label_smoothing=self.cfg.label_smoothing)

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.train_loader.set_epoch(self.state.epoch)
        for x, y in self.train_loader:
            yield prepare_inputs(x, self.device), y

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.model.train()
        with autocast(self.device):
            logits = self.forward_model(x)
        loss = self.loss(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.emit("after_backward", loss)
        self.optimizer.step()
        self.scheduler.step()
        self.state.step += 1
        return loss.item()

    def fit(self) -> TrainState:
        """Train from `self.state.epoch` (0, or where a checkpoint left off) to cfg.epochs."""
        self.emit("on_fit_start")
        while self.state.epoch < self.cfg.epochs:
            total, count = 0.0, 0
            for x, y in self.batches():
                loss = self.train_step(x, y)
                total, count = total + loss * len(y), count + len(y)
                self.emit("on_step_end", loss)
            self.state.epoch += 1
            row = {"epoch": self.state.epoch, "step": self.state.step,
                   "train_loss": total / max(count, 1), **self.evaluate()}
            self.state.history.append(row)
            self.emit("on_epoch_end", row)
        self.emit("on_fit_end")
        return self.state

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        return evaluate(self.model, self.test_loader, self.device)


@torch.no_grad()
def evaluate(model: nn.Module, loader: DeviceLoader, device: torch.device) -> dict[str, float]:
    """Mean cross-entropy and accuracy of `model` over `loader`, in eval mode."""
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in loader:
        with autocast(device):
            logits = model(prepare_inputs(x, device)).float()
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return {"test_loss": loss_sum / max(count, 1), "test_acc": correct / max(count, 1)}
