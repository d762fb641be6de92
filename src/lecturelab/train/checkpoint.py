"""Checkpoints: safetensors weights plus a JSON state, written atomically, resumable exactly.

One format for every kind of training (classifiers, detectors, AlphaZero agents). Layout of a
training folder:

    checkpoint.json                 the commit point: kind, model / config, state, which
                                    tensor file is current ("tensors"), and the kept files
                                    with their sha256 and size ("files", newest first)
    .lock                           flock'ed by the one run writing the folder
    checkpoints/epoch-0003.safetensors   model.*, optim.*, rng.*, extra.* tensors

`kind` names what trained ("classifier", "detector", "alphazero"); the rest of the JSON is the
kind's: model name and data for a classifier, model, recipe and scenes for a detector, game and
network shape for an agent. `load_checkpoint` reads any kind; `lecturelab.train.api.load_trained`
builds the model of the kinds in its `BUILDERS` table (a new kind adds a row there).

A run killed at any moment leaves either the previous checkpoint or the new one, never a mix:
the tensor file is written first (atomically), then checkpoint.json is atomically switched to it.
Loading checks the current file's size and sha256; tensor paths must stay inside checkpoints/.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save_file

from lecturelab.errors import LabError
from lecturelab.io import atomic_write, fsync_folder, is_inside, sweep_stale_tmp, write_json

POINTER = "checkpoint.json"
WEIGHTS = "checkpoints"  # the only folder tensor files are read from or deleted in
LOCK = ".lock"  # held (flock) by the one run that writes the folder
KEEP = 2  # tensor files kept, newest first, so that one damaged file does not lose the run


@dataclass
class Checkpoint:
    """Everything needed to rebuild a model and to continue its training exactly."""

    model_state: dict[str, torch.Tensor]
    meta: dict[str, Any]  # kind, model name + kwargs, data name, config, epoch, step, history
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    rng_state: dict[str, torch.Tensor] = field(default_factory=dict)
    extra: dict[str, torch.Tensor] = field(default_factory=dict)  # a kind's own tensors (an
    # ^ AlphaZero replay buffer), saved as "extra.<name>"

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


def save_checkpoint(folder: Path, ckpt: Checkpoint, keep: int = KEEP) -> Path:
    """Write the tensors, then switch checkpoint.json to them (the commit point); keep the
    newest `keep` tensor files, each listed with its sha256 and size, and remove older ones."""
    folder = Path(folder)
    tensors = {f"model.{k}": v.detach().cpu().contiguous().clone()
               for k, v in ckpt.model_state.items()}
    meta = dict(ckpt.meta)
    if ckpt.optimizer_state is not None:
        optim_tensors, meta["optimizer"] = split_optimizer_state(ckpt.optimizer_state)
        tensors.update(optim_tensors)
    meta["scheduler"] = ckpt.scheduler_state
    tensors.update({f"rng.{k}": v.cpu() for k, v in ckpt.rng_state.items()})
    tensors.update({f"extra.{k}": v.detach().cpu().contiguous() for k, v in ckpt.extra.items()})
    if not isinstance(ckpt.kind, str) or not ckpt.kind.isidentifier():
        raise ValueError(f"checkpoint kind must be a name such as 'classifier', got "
                         f"{ckpt.kind!r}")
    meta["kind"] = ckpt.kind
    name = (f"{WEIGHTS}/epoch-{meta['epoch']:04d}.safetensors" if "epoch" in meta
            else f"{WEIGHTS}/step-{meta.get('step', 0):06d}.safetensors")
    atomic_write(folder / name, lambda tmp: write_tensors(tensors, tmp))
    old = previous_files(folder)
    entry = {"path": name, **digest((folder / name).read_bytes())}
    files = [entry] + [f for f in old if f["path"] != name][:max(keep, 1) - 1]
    write_json(folder / POINTER, {**meta, "tensors": name, "files": files})
    remove_files(folder, [f["path"] for f in old if f not in files and f["path"] != name])
    return folder / POINTER


def write_tensors(tensors: dict[str, torch.Tensor], tmp: Path) -> None:
    """safetensors' file, with the umask's permissions (save_file creates it 0600)."""
    save_file(tensors, str(tmp))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


def digest(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def previous_files(folder: Path) -> list[dict[str, Any]]:
    """The tensor files the current checkpoint.json lists (none if it is missing or unreadable),
    those confined to checkpoints/ only."""
    if not (folder / POINTER).is_file():
        return []
    try:
        return listed_files(folder, read_pointer(folder))
    except ValueError:
        return []


def remove_files(folder: Path, names: list[str]) -> None:
    """Unlink superseded tensor files, after the folder holding the new JSON is on disk; only
    ever inside checkpoints/."""
    if not names:
        return
    fsync_folder(folder)
    fsync_folder(folder / WEIGHTS)
    for name in names:
        path = weights_path(folder, name)
        path.unlink(missing_ok=True)


def discard_checkpoint(folder: Path) -> None:
    """Remove a training folder's checkpoint (for --force): the JSON first, then its files."""
    folder = Path(folder)
    names = [f["path"] for f in previous_files(folder)]
    (folder / POINTER).unlink(missing_ok=True)
    remove_files(folder, names)


def weights_path(folder: Path, name: Any) -> Path:
    """`folder / name` if `name` is a relative path that stays inside the folder's checkpoints/;
    otherwise a LabError (an absolute or `..` path would read, and later delete, another
    folder's file)."""
    where = Path(folder) / POINTER
    if (not isinstance(name, str) or not name or Path(name).is_absolute()
            or ".." in Path(name).parts
            or not is_inside(Path(folder) / name, Path(folder) / WEIGHTS)
            or Path(name).parent != Path(WEIGHTS)):
        raise LabError(f"corrupt checkpoint state {where}: its tensor file {name!r} lies "
                       f"outside the folder's {WEIGHTS}/")
    return Path(folder) / name


def listed_files(folder: Path, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The "files" entries of a checkpoint.json, newest first, each checked for its place and
    form; the first is the current "tensors" file."""
    where = Path(folder) / POINTER
    weights_path(folder, meta["tensors"])
    files = meta.get("files")
    if not isinstance(files, list) or not files:
        raise LabError(f"corrupt checkpoint state {where}: no \"files\" list with the sha256 "
                       f"and size of its tensor files (written before checksums? retrain)")
    for f in files:
        if (not isinstance(f, dict) or not isinstance(f.get("sha256"), str)
                or not isinstance(f.get("size"), int)):
            raise LabError(f"corrupt checkpoint state {where}: a \"files\" entry needs path, "
                           f"sha256 and size, got {f!r}")
        weights_path(folder, f.get("path"))
    if files[0]["path"] != meta["tensors"]:
        raise LabError(f"corrupt checkpoint state {where}: \"tensors\" is {meta['tensors']!r} "
                       f"but the newest listed file is {files[0]['path']!r}")
    return files


def damage(folder: Path, entry: dict[str, Any]) -> tuple[str | None, bytes]:
    """(what is wrong with a listed tensor file or None, its bytes)."""
    try:
        data = weights_path(folder, entry["path"]).read_bytes()
    except OSError as e:
        return f"cannot be read ({e.strerror})", b""
    if len(data) != entry["size"]:
        return (f"size {len(data)} bytes, expected {entry['size']} (the file was changed or "
                f"damaged)"), data
    if digest(data)["sha256"] != entry["sha256"]:
        return "sha256 mismatch (the file was changed or damaged)", data
    return None, data


def verified_tensors(folder: Path, meta: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The current tensor file, read once, checked against its listed size and sha256, parsed;
    a damaged one is refused naming the newest older file that is intact."""
    files = listed_files(folder, meta)
    problem, data = damage(folder, files[0])
    if problem is not None:
        intact = next((f["path"] for f in files[1:] if damage(folder, f)[0] is None), None)
        fallback = (f"; the previous checkpoint {intact} is intact" if intact
                    else "; no intact earlier checkpoint is kept")
        raise LabError(f"cannot read checkpoint tensors {files[0]['path']}: {problem}{fallback}")
    try:
        return load(data)
    except SafetensorError as e:
        raise LabError(f"cannot read checkpoint tensors {files[0]['path']}: {e}") from e


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
    tensors = verified_tensors(folder, meta)
    tensor_file = meta.pop("tensors")
    meta.pop("files")
    groups: dict[str, dict[str, torch.Tensor]] = {"model": {}, "optim": {}, "rng": {},
                                                  "extra": {}}
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
        extra=groups["extra"],
    )


def sweep_unlisted(folder: Path) -> None:
    """Remove tensor files in checkpoints/ that checkpoint.json does not list (a run killed
    after writing one and before switching the JSON to it); none if the JSON is unreadable."""
    if not (folder / WEIGHTS).is_dir() or not (folder / POINTER).is_file():
        return
    try:
        listed = {f["path"] for f in listed_files(folder, read_pointer(folder))}
    except ValueError:
        return
    for path in (folder / WEIGHTS).glob("*.safetensors"):
        if f"{WEIGHTS}/{path.name}" not in listed:
            path.unlink(missing_ok=True)


@contextmanager
def training_folder(folder: Path, *, resume: bool = False, force: bool = False,
                    lock: bool = True, resumable: bool = True) -> Iterator[Path]:
    """Hold `folder` for one training run: an exclusive lock on `<folder>/.lock` (released at
    exit), stale temporaries swept, and an existing checkpoint refused unless `resume` (continue
    it) or `force` (discard it). `lock=False` for the non-main processes of a DDP run;
    `resumable=False` for kinds that cannot continue a run (the message then offers --force)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a") as handle:
        if lock:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LabError(f"{folder} is in use by another training run (it holds the lock "
                               f"{folder / LOCK})") from None
            sweep_stale_tmp(folder)
            sweep_stale_tmp(folder / WEIGHTS)
            sweep_unlisted(folder)
        held = (folder / POINTER).exists()
        if resume and not held:
            raise LabError(f"nothing to resume: {folder / POINTER} does not exist")
        if held and not resume and not force:
            how = "--resume to continue it, --force" if resumable else "--force"
            raise LabError(f"{folder} already holds a checkpoint; pass {how} to replace it, "
                           f"or another --out")
        if held and force and not resume and lock:
            discard_checkpoint(folder)
        yield folder
