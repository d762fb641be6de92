"""Build the model a checkpoint names only once its JSON is known to fit its weights file.

A checkpoint's JSON sizes the model (an MLP's width and depth, a network's channels and blocks,
a detector's widths). Crafted or damaged sizes could make building it allocate terabytes or
loop for hours, so before anything is allocated: every integer of the sizing JSON must be at
most the number of weights in the (verified) safetensors file, then the model is built on the
meta device (no memory) and its parameter names and shapes are compared with the file's. Only
a model that matches is built for real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lecturelab.errors import LabError, one_line

SIZING = {  # checkpoint kind -> the JSON entries that size its model
    "classifier": ("model_kwargs",),
    "detector": ("recipe",),
    "alphazero": ("net",),
    "simclr": ("recipe", "in_chans"),
    "embedding": ("recipe", "in_chans"),
}


def integers(value: Any, where: str) -> Iterator[tuple[str, int]]:
    """Every integer (not bool) inside nested dicts and lists, with where it sits."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield where, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from integers(v, f"{where}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from integers(v, f"{where}[{i}]")


def check_sizes(where: str | Path, kind: str, meta: dict[str, Any],
                state: dict[str, torch.Tensor]) -> None:
    """No size in the JSON may exceed the number of weights the file holds."""
    budget = sum(t.numel() for t in state.values())
    for key in SIZING.get(kind, ()):
        for name, value in integers(meta.get(key), key):
            if abs(value) > max(budget, 1):
                raise LabError(f"{where}: the weights do not match the {kind} they name: "
                               f"{name} is {value}, more than the {budget} weights in its file")


def shape_mismatch(expected: dict[str, torch.Tensor], got: dict[str, torch.Tensor]) -> str | None:
    """The first difference between two state dicts' names and shapes, in words, or None."""
    missing, unexpected = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing:
        return f"the file lacks {missing[0]!r}" + (f" (and {len(missing) - 1} more)"
                                                   if len(missing) > 1 else "")
    if unexpected:
        return f"the file has an unexpected {unexpected[0]!r}"
    for name, tensor in expected.items():
        if tuple(tensor.shape) != tuple(got[name].shape):
            return (f"{name} is {tuple(got[name].shape)} in the file, the model needs "
                    f"{tuple(tensor.shape)}")
    return None


def build_checked(where: str | Path, kind: str, meta: dict[str, Any],
                  state: dict[str, torch.Tensor], build: Callable[[], nn.Module],
                  what: str = "") -> nn.Module:
    """`build()` with `state` loaded, in eval mode, after the checks above; `what` names the
    model for a mismatch message (default: the kind). A JSON that lacks what `build` needs is
    a one-line LabError."""
    what = what or f"the {kind} they name"
    check_sizes(where, kind, meta, state)
    try:
        with torch.device("meta"):
            skeleton: nn.Module | None = build()
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise LabError(f"{where}: corrupt {kind} checkpoint state ({one_line(repr(e))})") from e
    except (RuntimeError, NotImplementedError):  # a model whose __init__ needs real values:
        skeleton = None  # the sizes were bounded above; load_state_dict compares the shapes
    problem = None if skeleton is None else shape_mismatch(skeleton.state_dict(), state)
    if problem is not None:
        raise LabError(f"{where}: the weights do not match {what}: {problem}")
    model = build()
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise LabError(f"{where}: the weights do not match {what}: "
                       f"{one_line(str(e).splitlines()[0])}") from e
    return model.eval()
