"""Callbacks of the training loop: progress bar, JSONL metrics, lecture-2 diagnostics, checkpoints.

Lecture 2's debugging advice made into code: monitor weight and gradient norms per layer and the
fraction of dead ReLUs, and stop at the first NaN / inf with the step and the layer named.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lecturelab.io import atomic_write_text
from lecturelab.nn.diagnostics import dead_relu_fraction, first_nonfinite, grad_norms, weight_norms
from lecturelab.train.checkpoint import Checkpoint, save_checkpoint

if TYPE_CHECKING:
    from lecturelab.train.loop import Trainer


class NonFiniteError(RuntimeError):
    """Training produced NaN or inf; the message names the step and the layer."""


class Callback:
    """Hooks called by the Trainer; override the ones you need."""

    def on_fit_start(self, trainer: Trainer) -> None: ...
    def after_backward(self, trainer: Trainer, loss: torch.Tensor) -> None: ...
    def on_step_end(self, trainer: Trainer, loss: float) -> None: ...
    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None: ...
    def on_fit_end(self, trainer: Trainer) -> None: ...


class ProgressBar(Callback):
    """A rich progress bar over all steps, showing the latest loss and test accuracy."""

    def on_fit_start(self, trainer: Trainer) -> None:
        total = trainer.cfg.epochs * len(trainer.train_loader)
        self.bar = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(),
                            MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                            TimeRemainingColumn())
        self.task = self.bar.add_task("train", total=total, completed=trainer.state.step,
                                      epoch=trainer.state.epoch + 1, info="")
        self.info = ""
        self.bar.start()

    def on_step_end(self, trainer: Trainer, loss: float) -> None:
        self.bar.update(self.task, advance=1, info=f"loss {loss:.4f} {self.info}")

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        self.info = f"test acc {row['test_acc']:.4f}"
        self.bar.update(self.task, epoch=min(row["epoch"] + 1, trainer.cfg.epochs))

    def on_fit_end(self, trainer: Trainer) -> None:
        self.bar.stop()


class MetricsLog(Callback):
    """metrics.jsonl: one row per epoch, rewritten atomically from the (resumable) history."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        lines = "".join(json.dumps(r) + "\n" for r in trainer.state.history)
        atomic_write_text(self.path, lines)


class Diagnostics(Callback):
    """Per-layer weight / gradient norms and dead-ReLU fractions into each epoch's row; NaN guard.

    Gradient norms are those of the epoch's last step. Parameters and gradients are checked for
    NaN / inf every `every` steps and whenever the loss is not finite.
    """

    def __init__(self, every: int = 50, probe_batches: int = 4) -> None:
        self.every = every
        self.probe_batches = probe_batches

    def after_backward(self, trainer: Trainer, loss: torch.Tensor) -> None:
        step = trainer.state.step + 1
        if not math.isfinite(loss.item()) or step % self.every == 0:
            bad = first_nonfinite(trainer.model)
            if bad is not None or not math.isfinite(loss.item()):
                where = bad or "the loss (parameters and gradients are finite)"
                raise NonFiniteError(f"non-finite value at step {step} in {where}")

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        probe = [x for (x, _), _ in zip(trainer.train_loader, range(self.probe_batches),
                                        strict=False)]
        stats = {
            **{f"dead_relu/{k}": v for k, v in dead_relu_fraction(trainer.model, probe).items()},
            **{f"weight_norm/{k}": v for k, v in weight_norms(trainer.model).items()},
            **{f"grad_norm/{k}": v for k, v in grad_norms(trainer.model).items()},
        }
        row.update(stats)


class Checkpointer(Callback):
    """Saves model, optimiser, schedule, RNG and history at every epoch end (main process only)."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.meta = meta

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        if not trainer.dist.is_main:
            return
        save_checkpoint(self.folder, Checkpoint(
            model_state=trainer.model.state_dict(),
            meta={**self.meta, "epoch": trainer.state.epoch, "step": trainer.state.step,
                  "history": trainer.state.history},
            optimizer_state=trainer.optimizer.state_dict(),
            scheduler_state=trainer.scheduler.state_dict(),
            rng_state=rng_states(),
        ))


def rng_states() -> dict[str, torch.Tensor]:
    """The CPU generator's state, and the current CUDA device's when CUDA is available."""
    states = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state()
    return states
