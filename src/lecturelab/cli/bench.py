"""`lecturelab bench`: the speed benchmarks of a source checkout (benchmarks/)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lecturelab.cli.core import UserError, app, console
from lecturelab.registry import did_you_mean

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="A script in benchmarks/ (no .py).")] = None,
):
    """Run a benchmark from the checkout's benchmarks/ folder; extra options go to it."""
    import runpy

    available = sorted(p.stem for p in BENCHMARKS.glob("*.py")) if BENCHMARKS.is_dir() else []
    if not available:
        raise UserError(f"no benchmarks at {BENCHMARKS} (they ship with a source checkout)")
    if name is None:
        console.print("benchmarks: " + ", ".join(available))
        return
    if name not in available:
        hint = did_you_mean(name, available)
        raise UserError(f"unknown benchmark {name!r}{hint} (available: {', '.join(available)})")
    sys.argv = [f"{name}.py", *ctx.args]
    runpy.run_path(str(BENCHMARKS / f"{name}.py"), run_name="__main__")
