"""Train any registered classifier on any registered dataset; load and evaluate checkpoints.

What `lecturelab train` and `lecturelab eval` call; usable from Python the same way.
`load_trained(folder)` reads a checkpoint of any kind (classifier, detector, AlphaZero agent)
and builds its model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

import lecturelab.models  # noqa: F401  (registers the zoo)
from lecturelab.data import ClassificationData, DeviceLoader, load_dataset
from lecturelab.errors import LabError, one_line
from lecturelab.registry import create_model
from lecturelab.runtime import seed_everything
from lecturelab.train.callbacks import Checkpointer, Diagnostics, MetricsLog, ProgressBar
from lecturelab.train.checkpoint import Checkpoint, load_checkpoint, training_folder
from lecturelab.train.distributed import close_distributed, init_distributed
from lecturelab.train.loop import TrainConfig, Trainer, TrainState, evaluate
from lecturelab.train.provenance import check_data, classification_record
from lecturelab.train.safe_build import build_checked

if TYPE_CHECKING:
    from lecturelab.detection.recipes import DetectorRecipe, Scenes

DETECTORS = ("retinanet", "faster_rcnn", "mask_rcnn")  # the lecture-4 detectors, by name


def build_model(name: str, data: ClassificationData, **kwargs: Any) -> nn.Module:
    """`name` sized for `data`: its classes, and for images its channels."""
    shape = data.input_shape
    if len(shape) == 3:
        kwargs.setdefault("in_chans", shape[0])
    return create_model(name, num_classes=data.num_classes, input_shape=shape, **kwargs)


def train_classifier(model_name: str, data_name: str, cfg: TrainConfig, *, out_dir: Path,
                     device: torch.device, resume: bool = False, force: bool = False,
                     progress: bool = True,
                     model_kwargs: dict[str, Any] | None = None,
                     train_subset: int | None = None,
                     allow_data_change: bool = False) -> TrainState:
    """Train into `out_dir` (metrics.jsonl, checkpoint.json, checkpoints/); resume if asked.

    The folder is locked for the run; one that holds a checkpoint needs `resume` or `force`.
    The checkpoint records the data's fingerprint (train/provenance.py); resuming on other data
    is refused unless `allow_data_change` (then a warning).

    `train_subset` trains on that many class-balanced training examples (the test set stays
    whole).
    """
    model_kwargs = model_kwargs or {}
    dist = init_distributed(device)
    device = dist.device(device)
    try:
        with training_folder(out_dir, resume=resume, force=force, lock=dist.is_main):
            return _train_classifier(model_name, data_name, cfg, out_dir, device, dist, resume,
                                     progress, model_kwargs, train_subset, allow_data_change)
    finally:
        close_distributed()


def _train_classifier(model_name: str, data_name: str, cfg: TrainConfig, out_dir: Path,
                      device: torch.device, dist: Any, resume: bool, progress: bool,
                      model_kwargs: dict[str, Any], train_subset: int | None,
                      allow_data_change: bool) -> TrainState:
    """The run itself, in a held training folder."""
    seed_everything(cfg.seed)
    data = load_dataset(data_name)
    record = classification_record(data)
    if train_subset and train_subset < len(data.y_train):
        data = data.subset(n_train=train_subset, seed=cfg.seed)
    model = build_model(model_name, data, **model_kwargs)
    meta = {"kind": "classifier", "model": model_name, "model_kwargs": model_kwargs,
            "data": data_name, "dataset": record, "train_subset": train_subset,
            "config": dataclasses.asdict(cfg)}
    callbacks = [Diagnostics(), MetricsLog(out_dir / "metrics.jsonl"),
                 Checkpointer(out_dir, meta)]
    if progress and dist.is_main:
        callbacks.append(ProgressBar())
    trainer = Trainer(model, data, cfg, device=device, callbacks=callbacks, dist=dist)
    if resume:
        restore(trainer, out_dir, meta, allow_data_change)
    return trainer.fit()


def restore(trainer: Trainer, out_dir: Path, meta: dict[str, Any],
            allow_data_change: bool = False) -> None:
    """Continue from the checkpoint in `out_dir`; it must be for the same model, data (by
    fingerprint, unless `allow_data_change`), config."""
    ckpt = load_checkpoint(out_dir)
    check_data(out_dir, ckpt.meta.get("dataset"), meta["dataset"], action="--resume",
               allow_change=allow_data_change)
    for key in ("model", "data", "train_subset", "config", "model_kwargs"):
        if ckpt.meta.get(key) != meta[key]:
            raise ValueError(f"cannot resume {out_dir}: its {key} is {ckpt.meta.get(key)!r}, "
                             f"this run's is {meta[key]!r}")
    try:
        trainer.model.load_state_dict(ckpt.model_state)
        trainer.optimizer.load_state_dict(ckpt.optimizer_state)
        trainer.scheduler.load_state_dict(ckpt.scheduler_state)
        torch.set_rng_state(ckpt.rng_state["torch"])
        trainer.state = TrainState(epoch=int(ckpt.meta["epoch"]), step=int(ckpt.meta["step"]),
                                   history=list(ckpt.meta["history"]))
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise LabError(f"cannot resume {out_dir}: its checkpoint state is incomplete or "
                       f"damaged ({one_line(repr(e))})") from e
    if "cuda" in ckpt.rng_state and torch.cuda.is_available():
        torch.cuda.set_rng_state(ckpt.rng_state["cuda"])


def load_model(checkpoint: str | Path) -> nn.Module:
    """The trained model of a training folder (or its checkpoint.json), in eval mode."""
    return load_trained(checkpoint).model


@dataclass
class Trained:
    """What a checkpoint holds, built: what `lecturelab eval` and `play` need."""

    kind: str  # classifier | detector | alphazero
    model: nn.Module  # in eval mode; for alphazero the policy-value network
    meta: dict[str, Any]  # the checkpoint's JSON state (model name, data or game, config, ...)


def load_trained(checkpoint: str | Path) -> Trained:
    """Read the checkpoint of a training folder (or its checkpoint.json) of any kind and build
    its model with the trained weights (sizes checked against the weights file first:
    train/safe_build.py)."""
    ckpt = load_checkpoint(checkpoint)
    if not isinstance(ckpt.kind, str) or ckpt.kind not in BUILDERS:
        raise ValueError(f"{checkpoint}: unknown checkpoint kind {ckpt.kind!r}; expected one "
                         f"of {', '.join(BUILDERS)}")
    model = build_checked(checkpoint, ckpt.kind, ckpt.meta, ckpt.model_state,
                          lambda: BUILDERS[ckpt.kind](ckpt))
    return Trained(ckpt.kind, model, ckpt.meta)


def model_from(checkpoint: str | Path, ckpt: Checkpoint, data: ClassificationData
               ) -> nn.Module:
    """The checkpoint's classifier sized for `data`, with its weights; data of another input
    size or class count is a one-line error naming both."""
    meta = ckpt.meta
    what = (f"a {meta.get('model')} for {data.name} (input {data.input_shape}, "
            f"{data.num_classes} classes); it was trained on {meta.get('data')}")
    return build_checked(checkpoint, "classifier", meta, ckpt.model_state,
                         lambda: build_model(meta["model"], data, **meta["model_kwargs"]), what)


def build_detector(model: str, recipe: DetectorRecipe, scenes: Scenes) -> nn.Module:
    """An untrained lecture-4 detector by name, for the scenes' image size and shapes' classes."""
    from lecturelab.data.shapes import CLASSES
    from lecturelab.detection.recipes import faster_rcnn, retinanet

    if model not in DETECTORS:
        raise ValueError(f"detector must be one of {', '.join(DETECTORS)}, got {model!r}")
    if model == "retinanet":
        return retinanet(recipe, scenes.size, len(CLASSES))
    masked = dataclasses.replace(recipe, masks=model == "mask_rcnn")
    return faster_rcnn(masked, scenes.size, len(CLASSES))


def detector_setup(meta: dict[str, Any]) -> tuple[DetectorRecipe, Scenes]:
    """The detector recipe and scenes stored in a detector checkpoint's JSON state."""
    from lecturelab.detection.recipes import DetectorRecipe, Scenes

    return _dataclass(DetectorRecipe, meta["recipe"]), _dataclass(Scenes, meta["scenes"])


def _dataclass(cls: type, values: dict[str, Any]) -> Any:
    """A frozen config dataclass from its JSON dict (lists back to tuples); unknown keys fail."""
    if not isinstance(values, dict) or set(values) - {f.name for f in dataclasses.fields(cls)}:
        raise TypeError(f"{cls.__name__} fields expected, got {values!r}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _untrained_classifier(ckpt: Checkpoint) -> nn.Module:
    with torch.device("cpu"):  # the data is real even while the model is built on "meta"
        data = load_dataset(ckpt.meta["data"])
    return build_model(ckpt.meta["model"], data, **ckpt.meta.get("model_kwargs", {}))


def _untrained_detector(ckpt: Checkpoint) -> nn.Module:
    return build_detector(ckpt.meta["model"], *detector_setup(ckpt.meta))


def _untrained_agent_network(ckpt: Checkpoint) -> nn.Module:
    from lecturelab.games.network import PolicyValueNet

    net = ckpt.meta["net"]
    return PolicyValueNet(**{**net, "board_shape": tuple(net["board_shape"])})


def _untrained_flownet(ckpt: Checkpoint) -> nn.Module:
    from lecturelab.motion.training import build_flownet

    return build_flownet(ckpt)


BUILDERS: dict[str, Callable[[Checkpoint], nn.Module]] = {  # checkpoint kind -> its model
    "classifier": _untrained_classifier,
    "detector": _untrained_detector,
    "alphazero": _untrained_agent_network,
    "flownet": _untrained_flownet,
}


def evaluate_checkpoint(checkpoint: str | Path, data_name: str | None = None, *,
                        device: torch.device | str = "cpu",
                        allow_data_change: bool = False) -> dict[str, float]:
    """Test loss and accuracy of a checkpoint on `data_name` (default: the data it trained on,
    which must match the recorded fingerprint unless `allow_data_change`)."""
    ckpt = load_checkpoint(checkpoint)
    if ckpt.kind != "classifier":
        raise ValueError(f"{checkpoint} holds a {ckpt.kind}, not a classifier")
    trained_on = ckpt.meta.get("data")
    if not isinstance(trained_on, str):
        raise LabError(f"corrupt classifier checkpoint state {checkpoint}: no \"data\" name "
                       f"(got {trained_on!r})")
    data = load_dataset(data_name or trained_on)
    if data.name == trained_on:
        check_data(checkpoint, ckpt.meta.get("dataset"), classification_record(data),
                   action="eval", allow_change=allow_data_change)
    device = torch.device(device)
    model = model_from(checkpoint, ckpt, data).to(device)
    loader = DeviceLoader(data.x_test, data.y_test, batch_size=256, device=device,
                          shuffle=False, mean=data.mean, std=data.std)
    return evaluate(model, loader, device)
