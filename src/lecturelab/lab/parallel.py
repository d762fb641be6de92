"""Run experiments in worker processes, longest first, with shared models kept in one worker.

Experiments that share a model trained once per process (`@experiment(shares=...)`, served by
`runtime.computed_once`) form one group and run in one worker, in id order, as `-j 1` would run
them, so nothing trains twice and every number equals a one-process run's. Groups are handed
out longest first (greedy list scheduling) by the seconds that earlier runs recorded.
"""

from __future__ import annotations

import json
import multiprocessing
import queue as queue_module
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from lecturelab.lab.core import ExperimentSpec

Record = dict[str, Any]
DEFAULT_SECONDS = 20.0  # an experiment no run has timed yet


def share_groups(specs: Sequence[ExperimentSpec]) -> list[list[ExperimentSpec]]:
    """The specs split into groups that share no trained model with each other (connected
    components over the `shares` keys), each in the order given."""
    parent = list(range(len(specs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, spec in enumerate(specs):
        for key in spec.shares:
            parent[root(i)] = root(owner.setdefault(key, i))
    groups: dict[int, list[ExperimentSpec]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(root(i), []).append(spec)
    return list(groups.values())


def recorded_seconds(out_root: Path | None = None) -> dict[str, float]:
    """Seconds per experiment id: the table shipped with the package, updated by the latest run
    under `out_root` where there is one."""
    table = json.loads(resources.files("lecturelab.lab").joinpath("durations.json").read_text())
    latest = out_root / "latest" if out_root is not None else None
    if latest is not None and latest.is_dir():
        for path in latest.glob("*/result.json"):
            try:
                record = json.loads(path.read_text())
                table[str(record["id"])] = float(record["seconds"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a damaged record only loses its timing
    return table


def longest_first(groups: list[list[ExperimentSpec]],
                  seconds: dict[str, float]) -> list[list[ExperimentSpec]]:
    def cost(group: list[ExperimentSpec]) -> float:
        return sum(seconds.get(s.id, DEFAULT_SECONDS) for s in group)

    return sorted(groups, key=cost, reverse=True)


def run_group(specs: list[ExperimentSpec], profile: str, seed: int, device: str,
              run_dir: Path, threads: int, events: Any) -> list[Record]:
    """Worker: run one group in order, reporting ("start", id) and ("end", record) events."""
    from lecturelab.lab.runner import run_one

    records = []
    for spec in specs:
        events.put(("start", spec.id))
        record = run_one(spec, profile, seed, torch.device(device), run_dir, threads)
        events.put(("end", record))
        records.append(record)
    return records


def run_parallel(
    specs: Sequence[ExperimentSpec], *, jobs: int, profile: str, seed: int,
    device: torch.device, run_dir: Path, threads: int, seconds: dict[str, float],
    on_start: Callable[[ExperimentSpec], None] | None = None,
    on_end: Callable[[Record], None] | None = None,
) -> list[Record]:
    """Run `specs` on `jobs` worker processes; return their records in the order of `specs`."""
    by_id = {s.id: s for s in specs}
    groups = longest_first(share_groups(list(specs)), seconds)
    context = multiprocessing.get_context("spawn")  # safe with CUDA and with torch's threads
    with context.Manager() as manager, ProcessPoolExecutor(jobs, mp_context=context) as pool:
        events = manager.Queue()
        futures = [pool.submit(run_group, g, profile, seed, str(device), run_dir, threads,
                               events) for g in groups]
        relay(events, futures, by_id, on_start, on_end)
        records = {r["id"]: r for f in futures for r in f.result()}
    return [records[s.id] for s in specs]


def relay(events: Any, futures: list[Future], by_id: dict[str, ExperimentSpec],
          on_start: Callable[[ExperimentSpec], None] | None,
          on_end: Callable[[Record], None] | None) -> None:
    """Pass the workers' events to the callbacks until every group is done."""
    while True:
        try:
            kind, payload = events.get(timeout=0.2)
        except queue_module.Empty:
            if all(f.done() for f in futures):
                return
            continue
        if kind == "start" and on_start:
            on_start(by_id[payload])
        elif kind == "end" and on_end:
            on_end(payload)
