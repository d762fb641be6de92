"""Checkpoints: safetensors weights plus a JSON state, written atomically, resumable exactly.

One format for every kind of training (classifiers, detectors, AlphaZero agents). Layout of a
training folder:

    checkpoint.json                 the commit point: kind, model / config, state, and which
                                    tensor file is current ("tensors")
    checkpoints/epoch-0003.safetensors   model.*, optim.*, rng.* tensors

`kind` names what trained ("classifier", "detector", "alphazero"); the rest of the JSON is the
kind's: model name and data for a classifier, model, recipe and scenes for a detector, game and
network shape for an agent. `load_checkpoint` reads any kind; `lecturelab.train.api.load_trained`
builds the model of the kinds in its `BUILDERS` table (a new kind adds a row there).

A run killed at any moment leaves either the previous checkpoint or the new one, never a mix:
the tensor file is written first (atomically), then checkpoint.json is atomically switched to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from lecturelab.io import atomic_write, write_json

POINTER = "checkpoint.json"


@dataclass
class Checkpoint:
    """Everything needed to rebuild a model and to continue its training exactly."""

    model_state: dict[str, torch.Tensor]
    meta: dict[str, Any]  # kind, model name + kwargs, data name, config, epoch, step, history
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    rng_state: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """What trained: classifier, detector or alphazero (older classifier folders have no
        "kind")."""
        return self.meta.get("kind", "classifier")


def split_optimizer_state(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Optimizer state_dict -> (tensors keyed 'optim.<param>.<name>', the JSON-able rest)."""
    tensors, scalars = {}, {}
    for idx, per_param in state["state"].items():
        for name, value in per_param.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{idx}.{name}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def join_optimizer_state(tensors: dict[str, torch.Tensor], rest: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = value
    for key, value in rest["scalars"].items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": rest["param_groups"]}


def save_checkpoint(folder: Path, ckpt: Checkpoint) -> Path:
    """Write the tensors, then switch checkpoint.json to them; remove the superseded file."""
    folder = Path(folder)
    tensors = {f"model.{k}": v.detach().cpu().contiguous().clone()
               for k, v in ckpt.model_state.items()}
    meta = dict(ckpt.meta)
    if ckpt.optimizer_state is not None:
        optim_tensors, meta["optimizer"] = split_optimizer_state(ckpt.optimizer_state)
        tensors.update(optim_tensors)
    meta["scheduler"] = ckpt.scheduler_state
    tensors.update({f"rng.{k}": v.cpu() for k, v in ckpt.rng_state.items()})
    if not isinstance(ckpt.kind, str) or not ckpt.kind.isidentifier():
        raise ValueError(f"checkpoint kind must be a name such as 'classifier', got "
                         f"{ckpt.kind!r}")
    meta["kind"] = ckpt.kind
    name = (f"checkpoints/epoch-{meta['epoch']:04d}.safetensors" if "epoch" in meta
            else f"checkpoints/step-{meta.get('step', 0):06d}.safetensors")
    atomic_write(folder / name, lambda tmp: save_file(tensors, str(tmp)))
    old = read_pointer(folder).get("tensors") if (folder / POINTER).exists() else None
    write_json(folder / POINTER, {**meta, "tensors": name})
    if old and old != name:
        (folder / old).unlink(missing_ok=True)
    return folder / POINTER


def read_pointer(folder: Path) -> dict[str, Any]:
    path = Path(folder) / POINTER
    try:
        meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"corrupt checkpoint state {path}: {e}") from e
    if not isinstance(meta, dict) or not isinstance(meta.get("tensors"), str):
        raise ValueError(f"corrupt checkpoint state {path}: no \"tensors\" file named")
    return meta


def resolve_checkpoint(path: str | Path) -> Path:
    """Accept a training folder or its checkpoint.json; return the folder."""
    path = Path(path)
    folder = path.parent if path.name == POINTER else path
    if not (folder / POINTER).is_file():
        raise FileNotFoundError(f"no checkpoint at {path} (expected {folder / POINTER})")
    return folder


def load_checkpoint(path: str | Path) -> Checkpoint:
    """The checkpoint of a training folder (or its checkpoint.json), of any kind: weights,
    JSON state and, for classifiers, what resuming needs."""
    folder = resolve_checkpoint(path)
    meta = read_pointer(folder)
    tensor_file = folder / meta.pop("tensors")
    if not tensor_file.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"corrupt checkpoint state {folder / POINTER}: its tensor file "
                         f"{tensor_file} lies outside the folder")
    try:
        tensors = load_file(str(tensor_file))
    except (OSError, SafetensorError) as e:
        raise ValueError(f"cannot read checkpoint tensors {tensor_file}: {e}") from e
    groups: dict[str, dict[str, torch.Tensor]] = {"model": {}, "optim": {}, "rng": {}}
    for key, value in tensors.items():
        group, _, rest = key.partition(".")
        if group not in groups:
            raise ValueError(f"checkpoint tensors {tensor_file}: unexpected tensor {key!r}")
        groups[group][rest if group != "optim" else key] = value
    optimizer_rest = meta.pop("optimizer", None)
    return Checkpoint(
        model_state=groups["model"],
        meta=meta,
        optimizer_state=(join_optimizer_state(groups["optim"], optimizer_rest)
                         if optimizer_rest is not None else None),
        scheduler_state=meta.pop("scheduler", None),
        rng_state=groups["rng"],
    )
