"""Atomic file writes and JSON conversion: nothing half-written is ever left behind."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it onto `path`.

    The rename is atomic on POSIX, so a reader (or a run killed half-way) sees either the old
    file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide results from other users
    try:
        write(Path(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)
    return path


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so that a rename into it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot fsync a folder; the rename is still atomic
        pass
    finally:
        os.close(fd)


STALE_TMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # mkstemp's names in atomic_write


def sweep_stale_tmp(folder: str | Path) -> list[Path]:
    """Delete the temporaries (`.<name>.<8 chars>.tmp`) that a killed `atomic_write` left in
    `folder`; returns them. Call it where no other process is writing into `folder` (a new run
    folder, a training folder owned by one trainer): a live writer's temporary looks the same."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = [p for p in folder.iterdir()
             if STALE_TMP.match(p.name) and p.is_file() and not p.is_symlink()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def is_inside(path: str | Path, folder: str | Path) -> bool:
    """Whether `path`, after following links, lies inside `folder`; False for a link loop."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(to_jsonable(obj), indent=2) + "\n")


def to_jsonable(obj: Any, where: str = "value") -> Any:
    """Convert numpy / torch scalars and arrays, paths and tuples into plain JSON values.

    Anything else JSON cannot hold (a set, bytes, an arbitrary object) raises TypeError naming
    it by its place in `obj`, e.g. "metrics['sizes'] is a set, which JSON cannot hold".
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v, f"{where}[{str(k)!r}]") for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, torch.Tensor):
        return to_jsonable(obj.detach().cpu().tolist(), where)
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), where)
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item(), where)
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no nan / inf
    if isinstance(obj, Path | torch.device):
        return str(obj)
    if obj is None or isinstance(obj, str | int | float):
        return obj
    raise TypeError(f"{where} is a {type(obj).__name__}, which JSON cannot hold; "
                    "give a number, string, bool, list or dict")
