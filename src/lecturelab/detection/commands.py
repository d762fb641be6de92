"""`lecturelab train` / `eval` for the lecture-4 detectors: train on shapes, save, evaluate.

A detector checkpoint is a folder holding `detector.safetensors` (the weights) and
`detector.json` (model name, recipe, scenes, schedule, seed and the held-out metrics), each
written atomically, the JSON last: it is the commit point, so a folder whose JSON reads is
complete. The held-out scenes are rebuilt from the stored scenes config and seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from lecturelab.data.shapes import CLASSES
from lecturelab.detection.evaluation import coco_evaluate
from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_SCENES,
    QUICK_TRAIN,
    DetectorRecipe,
    Scenes,
    faster_rcnn,
    retinanet,
    scene_tensors,
)
from lecturelab.detection.training import DetectorTrainConfig, predict_all, train_detector
from lecturelab.io import atomic_write, write_json
from lecturelab.runtime import resolve_device, seed_everything

MODELS = ("retinanet", "faster_rcnn", "mask_rcnn")
WEIGHTS, META = "detector.safetensors", "detector.json"
PROFILES: dict[str, tuple[Scenes, DetectorRecipe, DetectorTrainConfig]] = {
    "smoke": (Scenes(size=64, n_train=16, n_test=4),
              DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, representation=32,
                             head_convs=1),
              DetectorTrainConfig(steps=3, batch_size=4, warmup_steps=1)),
    "quick": (Scenes(), DetectorRecipe(), QUICK_TRAIN),
    "full": (PAPER_SCENES, PAPER_RECIPE,
             DetectorTrainConfig(steps=30_000, batch_size=16, optimizer="sgd", lr=0.01,
                                 warmup_steps=500)),
}


def build_detector(model: str, recipe: DetectorRecipe, scenes: Scenes) -> nn.Module:
    """An untrained detector by name, for the scenes' image size and the shapes classes."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "retinanet":
        return retinanet(recipe, scenes.size, len(CLASSES))
    return faster_rcnn(DetectorRecipe(**{**asdict(recipe), "masks": model == "mask_rcnn"}),
                       scenes.size, len(CLASSES))


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
                           steps: int | None = None, seed: int = 0, device: str = "auto",
                           progress: bool = True) -> dict[str, float]:
    """Train `model` on shapes scenes with the profile's recipe, save it to the folder `out`,
    and return its COCO metrics on the held-out scenes."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    scenes, recipe, train = PROFILES[profile]
    if steps is not None:
        train = DetectorTrainConfig(**{**asdict(train), "steps": steps,
                                       "warmup_steps": min(train.warmup_steps, steps)})
    dev = resolve_device(device)
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
    out = Path(out)
    atomic_write(out / WEIGHTS, lambda tmp: save_file(
        {k: v.contiguous().cpu() for k, v in detector.state_dict().items()}, str(tmp)))
    write_json(out / META, {"model": model, "recipe": asdict(recipe), "scenes": asdict(scenes),
                            "train": asdict(train), "seed": seed, "metrics": metrics})
    return metrics


def evaluate_detector(detector: nn.Module, model: str, scenes: Scenes, seed: int,
                      device: Any) -> dict[str, float]:
    """COCO box metrics on the held-out scenes; for mask_rcnn also the mask ones ("mask_AP"...)."""
    _, _, images, targets = scene_tensors(scenes, seed)
    predictions = predict_all(detector.eval().predict, images, device=device)
    size = (scenes.size, scenes.size)
    metrics = coco_evaluate(predictions, targets, image_size=size)
    if model == "mask_rcnn":
        segm = coco_evaluate(predictions, targets, iou_type="segm", image_size=size)
        metrics |= {f"mask_{k}": v for k, v in segm.items()}
    return metrics


def load_detector(checkpoint: Path) -> tuple[nn.Module, dict[str, Any]]:
    """The detector saved in `checkpoint` (its folder or its detector.json), in eval mode, and
    its meta."""
    folder = Path(checkpoint)
    folder = folder.parent if folder.name == META else folder
    meta_path, weights_path = folder / META, folder / WEIGHTS
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise FileNotFoundError(f"detector checkpoint {checkpoint}: {path} does not exist")
    try:
        meta = json.loads(meta_path.read_text())
        recipe = _dataclass(DetectorRecipe, meta["recipe"])
        scenes = _dataclass(Scenes, meta["scenes"])
        detector = build_detector(meta["model"], recipe, scenes)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"detector checkpoint {meta_path} is corrupt: {e}") from e
    try:
        detector.load_state_dict(load_file(str(weights_path)))
    except (SafetensorError, RuntimeError, OSError) as e:
        raise ValueError(f"detector weights {weights_path} are corrupt or do not match "
                         f"{meta['model']}: {e}") from e
    return detector.eval(), meta


def _dataclass(cls: type, values: dict[str, Any]) -> Any:
    """A frozen config dataclass from its JSON dict (lists back to tuples); unknown keys fail."""
    if not isinstance(values, dict) or set(values) - {f.name for f in fields(cls)}:
        raise ValueError(f"{cls.__name__} fields expected, got {values!r}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def eval_detector_command(checkpoint: Path, *, device: str = "auto") -> dict[str, float]:
    """COCO AP, AP50, AP75, AP_small, ... of a saved detector on its held-out scenes."""
    detector, meta = load_detector(checkpoint)
    dev = resolve_device(device)
    return evaluate_detector(detector.to(dev), meta["model"], _dataclass(Scenes, meta["scenes"]),
                             int(meta["seed"]), dev)
