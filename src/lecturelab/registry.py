"""Name -> constructor registries for models, datasets and experiments (DESIGN.md, "Registry").

Variants are data: an entry point is a short function that calls a generic class with the
variant's numbers. Unknown names raise `UnknownNameError`, whose message names close matches.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def did_you_mean(name: str, names: list[str]) -> str:
    """'; did you mean a, b?' for the names close to `name`, or ''."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


class UnknownNameError(KeyError):
    """A name that no registry entry has; the message suggests close matches."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class Registry:
    """A mapping from names to callables, filled by a decorator.

    `home` names the package whose import registers the entries; it is imported on first lookup,
    so `create_model("resnet50")` works without importing the zoo by hand.
    """

    def __init__(self, kind: str, home: str | None = None) -> None:
        self.kind = kind
        self.home = home
        self._entries: dict[str, Callable[..., Any]] = {}

    @property
    def entries(self) -> dict[str, Callable[..., Any]]:
        if self.home is not None:
            importlib.import_module(self.home)
        return self._entries

    def register(self, fn: F | None = None, *, name: str | None = None) -> Any:
        """Register `fn` under `name` (default: the function's name). Usable bare or called."""

        def add(f: F) -> F:
            key = name or f.__name__
            if key in self._entries:
                raise ValueError(f"{self.kind} {key!r} is registered twice")
            self._entries[key] = f
            return f

        return add(fn) if fn is not None else add

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self.entries:
            hint = did_you_mean(name, list(self.entries))
            raise UnknownNameError(f"unknown {self.kind} {name!r}{hint}")
        return self.entries[name]

    def create(self, name: str, **kwargs: Any) -> Any:
        return self.get(name)(**kwargs)

    def list(self, pattern: str = "*") -> list[str]:
        return sorted(n for n in self.entries if fnmatch.fnmatch(n, pattern))

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __len__(self) -> int:
        return len(self.entries)


models = Registry("model", home="lecturelab.models")
datasets = Registry("dataset", home="lecturelab.data")
experiments = Registry("experiment")  # filled by @experiment (lab/core.py), which imports it

register_model = models.register
create_model = models.create
list_models = models.list

register_dataset = datasets.register
list_datasets = datasets.list
