"""What changed between two runs: verdicts, and the measured value of every check.

Checks are data (lab/checks.py), so two run folders compare by machine: an experiment's checks
are matched by name (the k-th check of a name with the k-th), and a check changed when its
value or its pass / fail did. Both folders are read as the lab book reads them (lab/records.py):
a malformed record is compared by its verdict "malformed" and has no checks.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lecturelab.errors import LabError
from lecturelab.lab.records import MALFORMED, load_records

ABSENT = "absent"  # the verdict of an experiment a run does not have


@dataclass(frozen=True)
class VerdictChange:
    id: str
    before: str
    after: str


@dataclass(frozen=True)
class CheckChange:
    id: str
    name: str
    before: Any  # the measured value in run A (None: no such check there)
    after: Any
    passed_before: bool | None  # None: no such check in run A
    passed_after: bool | None

    @property
    def delta(self) -> float | None:
        """after - before, where both are numbers."""
        if is_number(self.before) and is_number(self.after):
            return float(self.after) - float(self.before)
        return None


@dataclass(frozen=True)
class Comparison:
    a: Path
    b: Path
    verdicts: list[VerdictChange]  # experiments whose verdict changed, appeared or went
    checks: list[CheckChange]  # checks (of experiments in both) whose value or pass changed
    experiments: int  # experiments in both runs
    checks_compared: int  # checks matched in both runs
    profiles: tuple[tuple[str, ...], tuple[str, ...]]  # the profiles run in A and in B


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def run_records(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The records of a run folder by id; LabError if it is not one."""
    if not run_dir.is_dir() or not any(run_dir.glob("*/result.json")):
        raise LabError(f"{run_dir} is not a run folder (no */result.json in it)")
    return {r["id"]: r for r in load_records(run_dir)}


def keyed_checks(record: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """A record's checks by (name, occurrence), so that repeated names still match."""
    if record["verdict"] == MALFORMED:
        return {}
    seen: Counter[str] = Counter()
    keyed = {}
    for check in record["checks"]:
        name = str(check.get("name", ""))
        keyed[(name, seen[name])] = check
        seen[name] += 1
    return keyed


def same_value(x: Any, y: Any) -> bool:
    if is_number(x) and is_number(y):
        return x == y or (math.isnan(x) and math.isnan(y))
    return x == y


def check_changes(id: str, a: dict[str, Any], b: dict[str, Any]) -> tuple[list[CheckChange], int]:
    """The changed checks of an experiment in both runs, and how many checks both have."""
    before, after = keyed_checks(a), keyed_checks(b)
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        x, y = before.get(key, {}), after.get(key, {})
        if key in before and key in after and same_value(x.get("value"), y.get("value")) \
                and x.get("passed") == y.get("passed"):
            continue
        changes.append(CheckChange(id, key[0], x.get("value"), y.get("value"),
                                   x.get("passed") is True if x else None,
                                   y.get("passed") is True if y else None))
    return changes, len(before.keys() & after.keys())


def compare_runs(a: Path, b: Path) -> Comparison:
    """What changed from run folder `a` to run folder `b`."""
    records_a, records_b = run_records(a), run_records(b)
    ids = sorted(records_a.keys() | records_b.keys())
    verdicts, checks, compared = [], [], 0
    for id in ids:
        ra, rb = records_a.get(id), records_b.get(id)
        va = ra["verdict"] if ra else ABSENT
        vb = rb["verdict"] if rb else ABSENT
        if va != vb:
            verdicts.append(VerdictChange(id, va, vb))
        if ra and rb:
            changed, n = check_changes(id, ra, rb)
            checks += changed
            compared += n
    both = len(records_a.keys() & records_b.keys())
    return Comparison(a, b, verdicts, checks, both, compared,
                      (profiles(records_a), profiles(records_b)))


def profiles(records: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted({r["profile"] for r in records.values() if r["verdict"] != MALFORMED}))
