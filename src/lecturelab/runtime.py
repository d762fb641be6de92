"""Seeds, devices and the facts about the environment that every result records."""

from __future__ import annotations

import functools
import inspect
import platform
import random
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import lecturelab

F = TypeVar("F", bound=Callable[..., Any])
_ONCE_CACHES: list[dict[tuple, Any]] = []


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) so a run repeats exactly on a CPU."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextmanager
def cpu_threads(n: int) -> Iterator[None]:
    """Run torch's CPU ops, and NumPy's BLAS and OpenMP pools, on `n` threads (0: leave as is),
    restoring the old counts after.

    One thread makes CPU results independent of the core count (reductions split differently
    over threads round differently) and avoids threads contending on a busy machine: a BLAS
    pool left at the core count spins while it waits, which doubled the CPU seconds of a
    NumPy-heavy experiment on two loaded cores.
    """
    old = torch.get_num_threads()
    with threadpool_limits(limits=n if n > 0 else None):
        if n > 0:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(old)


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present, else the CPU; 'cuda' without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise ValueError(f"unknown device {name!r}; expected auto, cpu or cuda")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but no CUDA GPU is available")
    return torch.device(name)


def git_commit() -> str | None:
    root = Path(lecturelab.__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment() -> dict[str, str | None]:
    """Versions and device facts recorded with each result."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "lecturelab": lecturelab.__version__,
        "platform": platform.platform(),
        "cpu_threads": str(torch.get_num_threads()),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "git_commit": git_commit(),
    }


def computed_once(fn: F) -> F:
    """Memoise `fn` for the process by its arguments as bound to its signature, defaults filled
    in, so `f(x)`, `f(x=x)` and `f(x, loss="focal")` (the default) share one result.

    The one way the lab trains a model once and shares it between the experiments of a run
    (shared detectors, AlphaZero runs, lecture-3 classifiers). Arguments must be hashable:
    frozen config dataclasses, numbers, strings, devices. A shared result must not be changed
    by its users: copy it first.
    """
    signature = inspect.signature(fn)
    cache: dict[tuple, Any] = {}
    _ONCE_CACHES.append(cache)

    @functools.wraps(fn)
    def once(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = tuple(bound.arguments.items())
        if key not in cache:
            cache[key] = fn(*args, **kwargs)
        return cache[key]

    once.cache_clear = cache.clear  # type: ignore[attr-defined]
    return once  # type: ignore[return-value]


def forget_computed() -> None:
    """Drop every `computed_once` result of this process (tests, and runs that need memory)."""
    for cache in _ONCE_CACHES:
        cache.clear()
