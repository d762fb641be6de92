"""Run experiments, record each as `runs/<stamp>/<id>/result.json`, and build the lab book.

An experiment that raises, or returns a metric that JSON cannot hold, is recorded with verdict
"error", a one-line `error` and its traceback; the others go on.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from lecturelab.io import atomic_write, sweep_stale_tmp, to_jsonable, write_json
from lecturelab.lab.core import ExperimentSpec, Result, Run
from lecturelab.lab.parallel import recorded_seconds, run_parallel
from lecturelab.lab.report import write_report
from lecturelab.runtime import cpu_threads, environment, seed_everything

Record = dict[str, Any]


def new_run_dir(root: Path) -> Path:
    """A fresh `root/<stamp>` folder; a suffix keeps two runs in one second apart."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = root / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a new run folder under {root}")


def run_one(spec: ExperimentSpec, profile: str, seed: int, device: torch.device,
            run_dir: Path, threads: int = 1) -> Record:
    """Run one experiment and write its result.json and figures; never raises for its errors.

    On the CPU it runs on `threads` torch threads (0: torch's default), so that its numbers do
    not depend on the machine's core count.
    """
    out = run_dir / spec.id
    out.mkdir(parents=True, exist_ok=True)
    sweep_stale_tmp(out)
    cfg = spec.config(profile)
    run = Run(profile=profile, seed=seed, device=device, out_dir=out)
    record: Record = {
        "id": spec.id, "lecture": spec.lecture, "claim": spec.claim,
        "criterion": spec.criterion, "profile": profile, "seed": seed,
        "device": str(device), "threads": threads, "config": config_record(cfg),
    }
    seed_everything(seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        with cpu_threads(threads if device.type == "cpu" else 0):
            result = spec.fn(cfg, run)
        if not isinstance(result, Result):
            raise TypeError(f"{spec.id} returned {type(result).__name__}, expected Result")
        record.update(result_fields(result, out))
    except Exception as e:  # an experiment's crash is its own result, not the runner's
        record.update(verdict="error", error=f"{type(e).__name__}: {e}".splitlines()[0],
                      traceback=traceback.format_exc(), metrics={}, checks=[], figures=[],
                      headline=[], notes=[])
    record["seconds"] = round(time.perf_counter() - start, 3)
    record["cpu_seconds"] = round(time.process_time() - cpu_start, 3)  # this process's threads
    record["environment"] = environment()
    log = out / "log.txt"
    record["log"] = log.read_text() if log.exists() else ""
    write_json(out / "result.json", record)
    return record


def config_record(cfg: Any) -> Any:
    """The config as JSON, or its repr where a field is not JSON (so the record is written)."""
    try:
        return to_jsonable(dataclasses.asdict(cfg), "config")
    except TypeError:
        return {"repr": repr(cfg)}


def result_fields(result: Result, out: Path) -> Record:
    """The result's part of the record, as JSON values: a metric (or note) that JSON cannot
    hold raises TypeError naming it, which makes the experiment's verdict "error"."""
    fields = {
        "verdict": result.verdict,
        "metrics": to_jsonable(result.metrics, "metrics"),
        "headline": list(result.headline) or list(result.metrics)[:3],
        "checks": to_jsonable([c.as_record() for c in result.checks], "checks"),
        "notes": to_jsonable(list(result.notes), "notes"),
    }
    names = []
    for name, fig in result.figures.items():
        atomic_write(out / f"{name}.png", lambda tmp, f=fig: f.savefig(tmp, format="png", dpi=110,
                                                                       bbox_inches="tight"))
        names.append(f"{name}.png")
    return {**fields, "figures": names}


def run_experiments(
    specs: Sequence[ExperimentSpec], *, profile: str, seed: int, device: torch.device,
    out_root: Path, threads: int = 1, on_start: Callable[[ExperimentSpec], None] | None = None,
    on_end: Callable[[Record], None] | None = None, jobs: int = 1,
) -> tuple[Path, list[Record]]:
    """Run `specs` into a new stamped folder, in order or on `jobs` worker processes (the same
    numbers either way: lab/parallel.py); return the folder and the records in `specs` order."""
    seconds = recorded_seconds(out_root)  # read before this run's folder exists
    run_dir = new_run_dir(out_root)
    if jobs > 1 and len(specs) > 1:
        records = run_parallel(specs, jobs=jobs, profile=profile, seed=seed, device=device,
                               run_dir=run_dir, threads=threads, seconds=seconds,
                               on_start=on_start, on_end=on_end)
    else:
        records = []
        for spec in specs:
            if on_start:
                on_start(spec)
            record = run_one(spec, profile, seed, device, run_dir, threads)
            records.append(record)
            if on_end:
                on_end(record)
    write_report(run_dir)
    point_latest(out_root, run_dir)
    return run_dir, records


def point_latest(root: Path, run_dir: Path) -> bool:
    """Make `root/latest` a symlink to `run_dir`, replacing any old link atomically. Anything
    else called `latest` (a folder, a file) is the user's: it is left as it is, with a note on
    stderr, and False is returned."""
    latest = root / "latest"
    if os.path.lexists(latest) and not latest.is_symlink():
        return _latest_left(latest, run_dir, "it is not a link")
    tmp = root / f".latest.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_dir.name)
    try:
        os.replace(tmp, latest)
    except OSError as e:  # e.g. a folder made there meanwhile: rename never replaces one
        tmp.unlink(missing_ok=True)
        return _latest_left(latest, run_dir, e.strerror or str(e))
    return True


def _latest_left(latest: Path, run_dir: Path, why: str) -> bool:
    print(f"note: {latest} left as it is ({why}); this run is {run_dir}", file=sys.stderr)
    return False
