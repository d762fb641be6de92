"""`lecturelab train retinanet|faster_rcnn|mask_rcnn --data shapes` and a detector's `eval`.

A detector is trained on shapes scenes with a profile's recipe (train/recipes.py), saved in the
project's one checkpoint format (train/checkpoint.py: kind "detector", the model name, recipe,
scenes, schedule, seed and held-out metrics, and the safetensors weights), and evaluated with
pycocotools on the held-out scenes, which are rebuilt from the stored scenes and seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import Tensor, nn

from lecturelab.cli.core import UserError, console, print_coco_table
from lecturelab.cli.options import BatchSize, Device, Force, Lr, Out, Seed, profile_option
from lecturelab.train.checkpoint import POINTER, Checkpoint, save_checkpoint, training_folder

PROFILES = ("smoke", "quick", "full")
train_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@train_app.command(name="detector")
def train_detector_cli(
    model: Annotated[str, typer.Argument(help="A detector: retinanet, faster_rcnn or "
                                         "mask_rcnn.")],
    data: Annotated[str, typer.Option(help="Detection data: shapes (procedural scenes).")
                    ] = "shapes",
    profile: Annotated[str, profile_option(PROFILES, "quick: about a minute a detector on a "
                                           "CPU; full: the paper's settings.")] = "quick",
    steps: Annotated[int | None, typer.Option(min=1, help="Optimiser steps (default: the "
                                              "profile's; quick 1,200).")] = None,
    batch_size: BatchSize = None,
    lr: Lr = None,
    device: Device = "auto",
    seed: Seed = 0,
    out: Out = None,
    force: Force = False,
) -> None:
    """Train a lecture-4 detector on shapes scenes, then print its COCO table."""
    if data != "shapes":
        raise UserError(f"detectors train on --data shapes (the detection dataset), got {data!r}")
    out = out or Path("checkpoints") / f"{model}-shapes"
    metrics = train_detector_command(model, out=out, profile=profile, steps=steps,
                                     batch_size=batch_size, lr=lr, seed=seed, device=device,
                                     force=force)
    print_coco_table(metrics)
    console.print(f"checkpoint: {out / POINTER}")


class _CountedSteps(nn.Module):
    """The wrapped detector, calling `on_step(losses)` after each `loss` (one per step)."""

    def __init__(self, model: nn.Module, on_step: Callable[[dict[str, Tensor]], None]) -> None:
        super().__init__()
        self.model, self.on_step = model, on_step

    def loss(self, images: Tensor, targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        losses = self.model.loss(images, targets)
        self.on_step(losses)
        return losses


def train_detector_command(model: str, *, out: Path, profile: str = "quick",
                           steps: int | None = None, batch_size: int | None = None,
                           lr: float | None = None, seed: int = 0, device: str = "auto",
                           progress: bool = True, force: bool = False) -> dict[str, float]:
    """Train `model` on shapes scenes with the profile's recipe, save it to the folder `out`
    (locked for the run; one holding a checkpoint needs `force`), and return its COCO metrics
    on the held-out scenes."""
    from lecturelab.runtime import resolve_device
    from lecturelab.train.recipes import detector_recipe

    scenes, recipe, train = detector_recipe(profile, steps=steps, batch_size=batch_size, lr=lr)
    dev = resolve_device(device)
    with training_folder(Path(out), force=force, resumable=False):
        return _train_detector(model, Path(out), scenes, recipe, train, seed, dev, progress)


def _train_detector(model: str, out: Path, scenes: Any, recipe: Any, train: Any, seed: int,
                    dev: Any, progress: bool) -> dict[str, float]:
    """The run itself, in a held training folder."""
    from lecturelab.detection.recipes import scene_tensors
    from lecturelab.detection.training import train_detector
    from lecturelab.runtime import seed_everything
    from lecturelab.train.api import build_detector

    seed_everything(seed)
    detector = build_detector(model, recipe, scenes).to(dev)
    images, targets, _, _ = scene_tensors(scenes, seed)
    bar = Progress(TextColumn(f"training {model}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(),
                   disable=not progress)
    with bar:
        task = bar.add_task("train", total=train.steps, loss="-")
        counted = _CountedSteps(detector, lambda losses: bar.update(
            task, advance=1, loss=f"{sum(v.item() for v in losses.values()):.3f}"))
        train_detector(counted, images, targets, train, seed=seed)
    metrics = evaluate_detector(detector, model, scenes, seed, dev)
    save_checkpoint(Path(out), Checkpoint(model_state=detector.state_dict(), meta={
        "kind": "detector", "model": model, "recipe": asdict(recipe), "scenes": asdict(scenes),
        "train": asdict(train), "step": train.steps, "seed": seed, "metrics": metrics}))
    return metrics


def evaluate_detector(detector: nn.Module, model: str, scenes: Any, seed: int,
                      device: Any) -> dict[str, float]:
    """COCO box metrics on the held-out scenes; for mask_rcnn also the mask ones ("mask_AP"...)."""
    from lecturelab.detection.evaluation import coco_evaluate
    from lecturelab.detection.recipes import scene_tensors
    from lecturelab.detection.training import predict_all

    _, _, images, targets = scene_tensors(scenes, seed)
    predictions = predict_all(detector.eval().predict, images, device=device)
    size = (scenes.size, scenes.size)
    metrics = coco_evaluate(predictions, targets, image_size=size)
    if model == "mask_rcnn":
        segm = coco_evaluate(predictions, targets, iou_type="segm", image_size=size)
        metrics |= {f"mask_{k}": v for k, v in segm.items()}
    return metrics


def eval_detector_command(checkpoint: Path, *, device: str = "auto") -> dict[str, float]:
    """COCO AP, AP50, AP75, AP_small, ... of a saved detector on its held-out scenes."""
    from lecturelab.runtime import resolve_device
    from lecturelab.train.api import detector_setup, load_trained

    trained = load_trained(checkpoint)
    if trained.kind != "detector":
        raise UserError(f"{checkpoint} holds a {trained.kind}, not a detector")
    seed = trained.meta.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise UserError(f"corrupt detector checkpoint state {checkpoint}: its \"seed\" (which "
                        f"rebuilds the held-out scenes) must be an integer >= 0, got {seed!r}")
    dev = resolve_device(device)
    _, scenes = detector_setup(trained.meta)
    return evaluate_detector(trained.model.to(dev), trained.meta["model"], scenes, seed, dev)
