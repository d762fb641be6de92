"""`lecturelab train retinanet|faster_rcnn|mask_rcnn --data shapes` and a detector's `eval`.

A detector is trained on shapes scenes with a profile's recipe (train/recipes.py), saved in the
project's one checkpoint format (train/checkpoint.py: kind "detector", the model name, recipe,
scenes, schedule, seed and held-out metrics, and the safetensors weights), and evaluated with
pycocotools on the held-out scenes, which are rebuilt from the stored scenes and seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import Tensor, nn

from lecturelab.cli.core import UserError, console, print_coco_table
from lecturelab.cli.options import (
    AllowDataChange,
    BatchSize,
    Device,
    Force,
    Lr,
    Out,
    Seed,
    profile_option,
    refuse_resume_with_force,
)
from lecturelab.detection.training import DetectorState
from lecturelab.errors import one_line
from lecturelab.train.checkpoint import (
    POINTER,
    Checkpoint,
    load_checkpoint,
    save_checkpoint,
    training_folder,
)
from lecturelab.train.provenance import check_data, data_record

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
    resume: Annotated[bool, typer.Option(help="Continue the run in --out from its last saved "
                                         "step (same options).")] = False,
    force: Force = False,
    allow_data_change: AllowDataChange = False,
) -> None:
    """Train a lecture-4 detector on shapes scenes, then print its COCO table."""
    if data != "shapes":
        raise UserError(f"detectors train on --data shapes (the detection dataset), got {data!r}")
    refuse_resume_with_force(resume, force)
    out = out or Path("checkpoints") / f"{model}-shapes"
    metrics = train_detector_command(model, out=out, profile=profile, steps=steps,
                                     batch_size=batch_size, lr=lr, seed=seed, device=device,
                                     force=force, resume=resume,
                                     allow_data_change=allow_data_change)
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
                           progress: bool = True, force: bool = False, resume: bool = False,
                           allow_data_change: bool = False) -> dict[str, float]:
    """Train `model` on shapes scenes with the profile's recipe, save it to the folder `out`
    (locked for the run; one holding a checkpoint needs `resume` or `force`; a checkpoint every
    tenth of the steps), and return its COCO metrics on the held-out scenes."""
    from lecturelab.runtime import resolve_device
    from lecturelab.train.recipes import detector_recipe

    scenes, recipe, train = detector_recipe(profile, model, steps=steps, batch_size=batch_size,
                                           lr=lr)
    dev = resolve_device(device)
    with training_folder(Path(out), force=force, resume=resume):
        run = DetectorRun(model, Path(out), scenes, recipe, train, seed)
        return run.train(dev, progress, resume, allow_data_change)


class DetectorRun:
    """One detector's training into a held folder: its JSON state, resume and saves."""

    def __init__(self, model: str, out: Path, scenes: Any, recipe: Any, train: Any,
                 seed: int) -> None:
        self.model, self.out, self.seed = model, out, seed
        self.scenes, self.recipe, self.train_cfg = scenes, recipe, train
        self.meta = json.loads(json.dumps(  # as read back: tuples become lists
            {"kind": "detector", "model": model, "recipe": asdict(recipe),
             "scenes": asdict(scenes), "train": asdict(train), "seed": seed}))

    def train(self, dev: Any, progress: bool, resume: bool,
              allow_data_change: bool) -> dict[str, float]:
        from lecturelab.detection.recipes import scene_tensors
        from lecturelab.detection.training import train_detector
        from lecturelab.runtime import seed_everything
        from lecturelab.train.api import build_detector

        seed_everything(self.seed)
        detector = build_detector(self.model, self.recipe, self.scenes).to(dev)
        self.tensors = scene_tensors(self.scenes, self.seed)
        self.meta["dataset"] = scene_record(self.tensors)
        start = self.resumed(detector, allow_data_change) if resume else None
        total = self.train_cfg.steps
        bar = Progress(TextColumn(f"training {self.model}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(),
                       disable=not progress)
        last: list[DetectorState] = [start] if start is not None else []
        with bar:
            task = bar.add_task("train", total=total, loss="-",
                                completed=start.step if start else 0)
            counted = _CountedSteps(detector, lambda losses: bar.update(
                task, advance=1, loss=f"{sum(v.item() for v in losses.values()):.3f}"))

            def on_state(state: DetectorState) -> None:
                last[:] = [state]
                if state.step < total:  # the last step is saved with the metrics below
                    self.save(detector, state)

            train_detector(counted, self.tensors[0], self.tensors[1], self.train_cfg,
                           seed=self.seed, start=start, on_state=on_state,
                           save_every=max(1, total // 10))
        metrics = evaluate_detector(detector, self.model, self.scenes, self.seed, dev,
                                    self.tensors[2:])
        self.save(detector, last[0], metrics)
        return metrics

    def save(self, detector: nn.Module, state: DetectorState,
             metrics: dict[str, float] | None = None) -> None:
        save_checkpoint(self.out, Checkpoint(
            model_state=detector.state_dict(),
            meta={**self.meta, "step": state.step, "losses": state.losses,
                  **({"metrics": metrics} if metrics is not None else {})},
            optimizer_state=state.optimizer, scheduler_state=state.schedule,
            rng_state={"torch": state.torch_rng, "generator": state.generator}))

    def resumed(self, detector: nn.Module, allow_data_change: bool) -> DetectorState:
        """The saved state of the run in `out` (same model, recipe, scenes, schedule, seed and
        scenes' fingerprint), its weights loaded into `detector`."""
        ckpt = load_checkpoint(self.out)
        for key in ("kind", "model", "recipe", "scenes", "train", "seed"):
            if ckpt.meta.get(key) != self.meta[key]:
                raise UserError(f"cannot resume {self.out}: its {key} is "
                                f"{ckpt.meta.get(key)!r}, this run's is {self.meta[key]!r}")
        check_data(self.out, ckpt.meta.get("dataset"), self.meta["dataset"], action="--resume",
                   allow_change=allow_data_change)
        try:
            detector.load_state_dict(ckpt.model_state)
            return DetectorState(int(ckpt.meta["step"]), list(ckpt.meta["losses"]),
                                 ckpt.optimizer_state, ckpt.scheduler_state,
                                 ckpt.rng_state["generator"], ckpt.rng_state["torch"])
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise UserError(f"cannot resume {self.out}: its checkpoint lacks part of the "
                            f"training state ({one_line(repr(e))}; written before detector "
                            f"runs could resume?)") from e


def scene_record(tensors: tuple[Tensor, list, Tensor, list]) -> dict[str, str]:
    """The "dataset" record of a detector: the rendered training and held-out scenes (images,
    boxes, labels, masks) fingerprinted."""
    train, train_targets, test, test_targets = tensors
    parts = [train, *(t[k] for t in train_targets for k in sorted(t)),
             test, *(t[k] for t in test_targets for k in sorted(t))]
    return data_record("shapes", "", parts)


def evaluate_detector(detector: nn.Module, model: str, scenes: Any, seed: int,
                      device: Any, held_out: tuple[Tensor, list] | None = None
                      ) -> dict[str, float]:
    """COCO box metrics on the held-out scenes (rendered from `scenes` and `seed` unless given
    as `held_out`); for mask_rcnn also the mask ones ("mask_AP"...)."""
    from lecturelab.detection.evaluation import coco_evaluate
    from lecturelab.detection.recipes import scene_tensors
    from lecturelab.detection.training import predict_all

    images, targets = held_out if held_out is not None else scene_tensors(scenes, seed)[2:]
    predictions = predict_all(detector.eval().predict, images, device=device)
    size = (scenes.size, scenes.size)
    metrics = coco_evaluate(predictions, targets, image_size=size)
    if model == "mask_rcnn":
        segm = coco_evaluate(predictions, targets, iou_type="segm", image_size=size)
        metrics |= {f"mask_{k}": v for k, v in segm.items()}
    return metrics


def eval_detector_command(checkpoint: Path, *, device: str = "auto",
                          allow_data_change: bool = False) -> dict[str, float]:
    """COCO AP, AP50, AP75, AP_small, ... of a saved detector on its held-out scenes, which
    must be the scenes it recorded (by fingerprint) unless `allow_data_change`."""
    from lecturelab.detection.recipes import scene_tensors
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
    check_scene_budget(checkpoint, scenes)
    tensors = scene_tensors(scenes, seed)
    check_data(checkpoint, trained.meta.get("dataset"), scene_record(tensors), action="eval",
               allow_change=allow_data_change)
    return evaluate_detector(trained.model.to(dev), trained.meta["model"], scenes, seed, dev,
                             tensors[2:])


MAX_SCENE_BYTES = 64 * 2**30  # more than the full profile's 17 GB of float scenes is no recipe


def check_scene_budget(checkpoint: Path, scenes: Any) -> None:
    """Refuse scenes whose images would take more memory than any profile's (a crafted JSON)."""
    need = (scenes.n_train + scenes.n_test) * 3 * scenes.size**2 * 4
    if need > MAX_SCENE_BYTES:
        raise UserError(f"corrupt detector checkpoint state {checkpoint}: its scenes "
                        f"({scenes.n_train} + {scenes.n_test} of {scenes.size} px) would take "
                        f"{need / 2**30:.0f} GiB, more than {MAX_SCENE_BYTES // 2**30} GiB")
