"""Reading a run folder's result.json files back, trusting none of them.

A record is shown as the runner wrote it only when every field is there with its type; anything
else (unreadable JSON, a missing verdict, a string where a number goes, a file that links out of
the run folder) becomes a "malformed" record that names its problems, so the lab book is still
written and says what is wrong.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from lecturelab.io import is_inside

VERDICTS = ("reproduced", "not reproduced", "error")
MALFORMED = "malformed"
PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")  # one path component, no '/'

TEXT, WHOLE, NUMBER = "text", "a whole number", "a number"
FIELDS: dict[str, str | type] = {
    "id": TEXT, "lecture": WHOLE, "claim": TEXT, "criterion": TEXT, "profile": TEXT,
    "seed": WHOLE, "device": TEXT, "verdict": TEXT, "seconds": NUMBER, "metrics": dict,
    "headline": list, "checks": list, "figures": list, "log": TEXT, "environment": dict,
}
OPTIONAL: dict[str, str | type] = {"notes": list, "traceback": TEXT, "error": TEXT,
                                   "threads": WHOLE, "cpu_seconds": NUMBER}


def is_plain_name(name: Any) -> bool:
    """A single file or folder name: no '/', no '..', not hidden."""
    return isinstance(name, str) and bool(PLAIN_NAME.match(name)) and ".." not in name


def has_kind(value: Any, kind: str | type) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    if kind == WHOLE:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))
    return isinstance(value, kind)


def describe(value: Any) -> str:
    return "missing" if value is None else f"{type(value).__name__} {short(value)}"


def short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def problems(raw: Any, folder: str | None = None) -> list[str]:
    """What keeps `raw` from being a record as the runner writes it (empty: nothing)."""
    if not isinstance(raw, dict):
        return [f"the record is a {type(raw).__name__}, not an object"]
    found = [f"{name} must be {kind if isinstance(kind, str) else kind.__name__}, "
             f"got {describe(raw.get(name))}"
             for fields, required in ((FIELDS, True), (OPTIONAL, False))
             for name, kind in fields.items()
             if (required or name in raw) and not has_kind(raw.get(name), kind)]
    if isinstance(raw.get("verdict"), str) and raw["verdict"] not in VERDICTS:
        found.append(f"verdict must be one of {', '.join(VERDICTS)}, got {short(raw['verdict'])}")
    if isinstance(raw.get("id"), str) and not is_plain_name(raw["id"]):
        found.append(f"id {short(raw['id'])} is not a plain name")
    elif folder is not None and isinstance(raw.get("id"), str) and raw["id"] != folder:
        found.append(f"id {short(raw['id'])} does not match its folder {short(folder)}")
    for key, kind in (("headline", str), ("checks", dict), ("figures", str)):
        items = raw.get(key)
        if isinstance(items, list) and not all(isinstance(v, kind) for v in items):
            found.append(f"every entry of {key} must be {kind.__name__}")
    return found


class Malformed(dict):
    """A record that could not be read: {"id", "verdict": "malformed", "problems", "raw"}.
    Its own type, so that no result.json can pass itself off as one."""


def checked(raw: Any, folder: str | None = None) -> dict[str, Any]:
    """`raw` itself if it is a well-formed record, else a malformed record naming why."""
    if isinstance(raw, Malformed):
        return raw
    found = problems(raw, folder)
    if not found:
        return raw
    name = folder if folder is not None else (raw.get("id") if isinstance(raw, dict) else None)
    return malformed(str(name), found, raw)


def malformed(name: str, found: list[str], raw: Any = None) -> Malformed:
    return Malformed(id=name, verdict=MALFORMED, problems=found, raw=raw)


def read_record(run_dir: Path, path: Path) -> dict[str, Any]:
    """The record in `path` (run_dir/<id>/result.json), checked; never raises for its content."""
    folder = path.parent.name
    if not (is_inside(path, run_dir) and path.is_file()):
        return malformed(folder, [f"{path} is not a file inside the run folder {run_dir}"])
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError, OSError) as e:  # bad JSON, bad UTF-8, too deep, unreadable
        return malformed(folder, [f"{path} cannot be read as JSON: {short(str(e), 200)}"])
    return checked(raw, folder)


def load_records(run_dir: Path) -> list[dict[str, Any]]:
    """Every result.json under `run_dir`, in experiment-id order; malformed ones as such."""
    return [read_record(run_dir, path) for path in sorted(run_dir.glob("*/result.json"))]
