"""`lecturelab list`, `run`, `report` and `compare`: the experiments of the lectures, their lab
book, and what changed between two runs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column, Table
from rich.text import Text

from lecturelab.cli.core import UserError, app, console
from lecturelab.cli.options import MAX_SEED, check_run_out
from lecturelab.lab.core import PROFILES, ExperimentSpec, get_experiment, list_experiments

if TYPE_CHECKING:
    from lecturelab.lab.compare import Comparison


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise UserError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    return profile


@app.command("list")
def list_cmd(lecture: Annotated[int | None, typer.Option(help="Only this lecture.")] = None):
    """List the experiments: id, lecture and claim."""
    table = Table("id", "lecture", "claim")
    for spec in list_experiments(lecture=lecture):
        table.add_row(spec.id, str(spec.lecture), spec.claim)
    console.print(table)


def select(ids: list[str], all_: bool, lecture: int | None) -> list[ExperimentSpec]:
    if all_ or lecture is not None:
        if ids:
            raise UserError("give experiment ids, or --all / --lecture, not both")
        specs = list_experiments(lecture=lecture)
        if not specs:
            raise UserError("no experiments registered" if lecture is None
                            else f"no experiments for lecture {lecture}")
        return specs
    if not ids:
        raise UserError("name experiments to run (see `lecturelab list`), or pass --all")
    specs: list[ExperimentSpec] = []
    for pattern in ids:
        found = list_experiments(pattern) if any(c in pattern for c in "*?[") else \
            [get_experiment(pattern)]
        if not found:
            raise UserError(f"no experiment matches {pattern!r}")
        specs += [s for s in found if s not in specs]
    return specs


@app.command()
def run(
    ids: Annotated[list[str] | None, typer.Argument(help="Experiment ids or patterns.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Run every experiment.")] = False,
    lecture: Annotated[int | None, typer.Option(help="Run one lecture's experiments.")] = None,
    profile: Annotated[str, typer.Option(help="quick, full or smoke.")] = "quick",
    quick: Annotated[bool, typer.Option("--quick", help="Same as --profile quick.")] = False,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Base seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    threads: Annotated[int, typer.Option(help="CPU threads per experiment, torch's and "
                                          "NumPy's BLAS (0: their defaults).")] = 1,
    out: Annotated[Path, typer.Option(callback=check_run_out, help="Folder for run folders.")
                   ] = Path("runs"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (default: one per "
                                      "core); the numbers equal a -j 1 run's.")] = 0,
):
    """Run experiments, print a summary and write the lab book."""
    from lecturelab.lab.parallel import recorded_seconds
    from lecturelab.lab.runner import run_experiments
    from lecturelab.runtime import resolve_device

    if threads < 0:
        raise UserError(f"threads must be 0 (torch's default) or positive, got {threads}")
    if jobs < 0:
        raise UserError(f"--jobs must be 0 (one per core) or positive, got {jobs}")
    specs = select(ids or [], all_, lecture)
    profile = check_profile("quick" if quick else profile)
    dev = resolve_device(device)
    jobs = jobs or (1 if dev.type == "cuda" else os.cpu_count() or 1)
    board = Board(specs, recorded_seconds(out) if profile == "quick" else {}, jobs)
    with console.status("") as status:
        board.status = status
        run_dir, records = run_experiments(specs, profile=profile, seed=seed, device=dev,
                                           out_root=out, threads=threads, jobs=jobs,
                                           on_start=board.start, on_end=board.end)
    print_summary(records)
    console.print(f"lab book: {(run_dir / 'report.html').resolve()}")


class Board:
    """The live display of a run: what runs, done / total, elapsed and an estimate of the time
    left from the seconds that earlier runs recorded."""

    def __init__(self, specs: list[ExperimentSpec], seconds: dict[str, float], jobs: int):
        self.expected = {s.id: seconds.get(s.id, 20.0) for s in specs}
        self.claims = {s.id: s.claim for s in specs}
        self.jobs, self.begun = jobs, time.perf_counter()
        self.running: dict[str, float] = {}
        self.done: set[str] = set()
        self.status = None

    def start(self, spec: ExperimentSpec) -> None:
        self.running[spec.id] = time.perf_counter()
        self.show()

    def end(self, record: dict) -> None:
        self.running.pop(record["id"], None)
        self.done.add(record["id"])
        console.print(f"{record['id']:<36} {record['verdict']:<15} {record['seconds']:7.1f} s")
        self.show()

    def show(self) -> None:
        now = time.perf_counter()
        left = sum(max(self.expected[i] - (now - self.running.get(i, now)), 0.0)
                   for i in self.expected if i not in self.done) / self.jobs
        names = ", ".join(self.running) or "-"
        line = (f"[{len(self.done)}/{len(self.expected)}] {now - self.begun:.0f} s elapsed, "
                f"about {left:.0f} s left; running {names}")
        if len(self.running) == 1:
            line += f": {self.claims[next(iter(self.running))]}"
        if self.status is not None:
            self.status.update(line)


def print_summary(records: list[dict]) -> None:
    from lecturelab.lab.report import key_numbers

    colour = {"reproduced": "green", "not reproduced": "yellow", "error": "red"}
    table = Table("id", "verdict", "key numbers", "seconds", title="summary")
    for r in records:
        v = r["verdict"]
        table.add_row(r["id"], f"[{colour[v]}]{v}[/]", key_numbers(r), f"{r['seconds']:.1f}")
    console.print(table)


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder.")] = Path("runs/latest")):
    """Rebuild the lab book of a run folder from its result files."""
    from lecturelab.lab.report import write_report

    if not run_dir.is_dir() or not any(run_dir.glob("*/result.json")):
        raise UserError(f"{run_dir} is not a run folder (no */result.json in it)")
    console.print(f"lab book: {write_report(run_dir).resolve()}")


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="The earlier run folder.")],
    run_b: Annotated[Path, typer.Argument(help="The later run folder.")],
):
    """What changed from RUN_A to RUN_B: verdicts, and the measured value of each check."""
    from lecturelab.lab.compare import compare_runs

    print_comparison(compare_runs(run_a, run_b))


VERDICT_STYLE = {"reproduced": "green", "not reproduced": "yellow", "error": "red",
                 "malformed": "red"}


def verdict_text(verdict: str) -> Text:
    return Text(verdict, style=VERDICT_STYLE.get(verdict, "dim"))


def passed_text(passed: bool | None) -> Text:
    return Text("-" if passed is None else ("pass" if passed else "fail"),
                style="dim" if passed is None else ("green" if passed else "yellow"))


def value_text(value: Any, passed: bool | None) -> Text:
    from lecturelab.lab.numbers import short

    return Text("-" if passed is None else short(value))


def print_comparison(c: Comparison) -> None:
    """Rich tables of a lab.compare.Comparison; text from the run folders is never markup."""
    if c.profiles[0] != c.profiles[1]:
        console.print(Text(f"note: A ran profile {', '.join(c.profiles[0]) or '-'}, B "
                           f"{', '.join(c.profiles[1]) or '-'}: their numbers differ by design"))
    if c.verdicts:
        table = Table(Column("id", no_wrap=True), "A", "B",
                      title=Text(f"verdicts that changed (A = {c.a}, B = {c.b})"))
        for v in c.verdicts:
            table.add_row(Text(v.id), verdict_text(v.before), verdict_text(v.after))
        console.print(table)
    if c.checks:
        table = Table(Column("id", no_wrap=True), "check", "A", "B", "B - A", "A passed",
                      "B passed", title="checks that changed")
        for k in c.checks:
            delta = "" if k.delta is None else f"{k.delta:+.4g}"
            table.add_row(Text(k.id), Text(k.name), value_text(k.before, k.passed_before),
                          value_text(k.after, k.passed_after),
                          delta, passed_text(k.passed_before), passed_text(k.passed_after))
        console.print(table)
    console.print(Text(f"{c.experiments} experiments in both runs: {len(c.verdicts)} verdicts "
                       f"and {len(c.checks)} checks changed ({c.checks_compared} checks in "
                       "both)."))
