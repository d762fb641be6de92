"""The lab's contract: an experiment turns a config into a `Result` of metrics and checks.

A claim of the lectures (CLAIMS.md) is one `@experiment` function. Its verdict is never written
by hand: it is "reproduced" exactly when every `Check` passes, computed from measured numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from lecturelab.lab.checks import Check
from lecturelab.registry import experiments

PROFILES = ("quick", "full", "smoke")


@dataclass
class Result:
    """What an experiment measured. `headline` names the metrics shown in summary tables;
    `notes` are facts the reader needs that cannot fail (a config value, a count fixed by
    construction), so they are not checks."""

    metrics: dict[str, Any]
    checks: list[Check]
    figures: dict[str, Any] = field(default_factory=dict)  # name -> matplotlib Figure
    headline: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.checks:
            raise ValueError("a Result needs at least one Check to have a verdict")
        if not all(isinstance(c, Check) for c in self.checks):
            raise TypeError("Result.checks must hold Check objects")
        return "reproduced" if all(c.passed for c in self.checks) else "not reproduced"


@dataclass(frozen=True)
class Run:
    """The context an experiment runs in: profile, seed, device, and its own output folder."""

    profile: str
    seed: int
    device: torch.device
    out_dir: Path

    def log(self, message: str) -> None:
        """Append a line to the experiment's log (shown in the lab book)."""
        with open(self.out_dir / "log.txt", "a") as f:
            f.write(message.rstrip() + "\n")


@dataclass(frozen=True)
class ExperimentSpec:
    """A registered experiment: the claim, its fixed criterion, the function, its configs."""

    id: str
    lecture: int
    claim: str
    criterion: str
    fn: Callable[[Any, Run], Result]
    configs: dict[str, Any]
    shares: tuple[str, ...] = ()  # keys of models trained once and shared with other experiments

    def config(self, profile: str) -> Any:
        if profile not in self.configs:
            raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
        return self.configs[profile]




def experiment(
    id: str, *, lecture: int, claim: str, criterion: str, quick: Any, full: Any, smoke: Any,
    shares: tuple[str, ...] = (),
) -> Callable[[Callable[[Any, Run], Result]], Callable[[Any, Run], Result]]:
    """Register `fn(cfg, run) -> Result` as the experiment for one claim of CLAIMS.md.

    `quick`, `full` and `smoke` are instances of the experiment's frozen config dataclass.
    `shares` names the models it trains once per process and shares with other experiments
    (e.g. "detectors"): the parallel runner keeps experiments with a common key in one worker.
    """
    for name, cfg in (("quick", quick), ("full", full), ("smoke", smoke)):
        if not (dataclasses.is_dataclass(cfg) and cfg.__dataclass_params__.frozen):
            raise TypeError(f"{id}: the {name} config must be a frozen dataclass instance")

    def add(fn: Callable[[Any, Run], Result]) -> Callable[[Any, Run], Result]:
        spec = ExperimentSpec(id, lecture, claim, criterion, fn,
                              {"quick": quick, "full": full, "smoke": smoke}, tuple(shares))
        experiments.register(lambda: spec, name=id)
        return fn

    return add


def get_experiment(id: str) -> ExperimentSpec:
    """The spec for `id`. By convention "l<N>.<name>" lives in experiments/lecture<N>/<name>.py,
    so one experiment loads without importing the others."""
    if id not in experiments:
        import_by_convention(id)
    if id not in experiments:
        load_all_experiments()
    return experiments.get(id)()


def import_by_convention(id: str) -> None:
    import importlib.util

    lecture, _, name = id.partition(".")
    module = f"lecturelab.experiments.lecture{lecture[1:]}.{name}"
    if lecture[:1] != "l" or not name.isidentifier():
        return
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # no such lecture package
        found = False
    if found:
        importlib.import_module(module)


def list_experiments(pattern: str = "*", lecture: int | None = None) -> list[ExperimentSpec]:
    load_all_experiments()
    specs = [experiments.get(name)() for name in experiments.list(pattern)]
    return [s for s in specs if lecture is None or s.lecture == lecture]


def load_all_experiments() -> None:
    """Import every module under lecturelab.experiments so that their decorators run."""
    import importlib
    import pkgutil

    import lecturelab.experiments as pkg

    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(info.name)
