"""How long the lab took: per experiment and per lecture, the sum, the wall time of the run, and
each experiment against its ledger budget and the seconds the package expects
(src/lecturelab/lab/durations.json, which orders the parallel runner's work).

Reads a run folder's result.json files (`seconds`: wall time of the experiment; `cpu_seconds`:
CPU time of its process, in records written since the runner recorded it). Budgets are judged
on CPU seconds where recorded, as the ledger means them: what an idle 2-core laptop would show
as wall time for a one-thread job. The run's wall time is from the first experiment's start
(its result.json's time less its seconds) to the last one's end.

    python benchmarks/lab_time.py                      # runs/latest
    python benchmarks/lab_time.py runs/20261201-010203
    python benchmarks/lab_time.py RUN --write-durations   # ship RUN's seconds as the new table

`--write-durations` replaces durations.json with the run's wall seconds (rounded up to whole
seconds; experiments the run lacks keep their entry): run it on a clean `make demo` on an idle
machine so that the parallel runner orders its work by what it will really take.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from lecturelab.io import atomic_write_text

# CLAIMS.md, "Rules of the ledger": quick finishes in at most 60 s an experiment, these named
# ones 120 s or 180 s, all of them together in at most 30 min.
DEFAULT_BUDGET = 60.0
BUDGETS = {
    **dict.fromkeys(
        ["l1.alphazero_tictactoe", "l4.optical_flow", "l4.action_recognition", "l4.slowfast",
         "l4.hard_negative_mining",
         # "the detection experiments l4.box_regression to l4.domain_randomization" (ledger rows)
         "l4.box_regression", "l4.faster_rcnn", "l4.focal_loss", "l4.one_vs_two_stage",
         "l4.unet", "l4.segmentation_metrics", "l4.instance_segmentation",
         "l4.domain_randomization"], 120.0),
    "l4.self_supervised": 180.0, "l1.capture_the_flag": 180.0,
}
TOTAL_BUDGET = 30 * 60.0
WALL_AIM = 12 * 60.0  # the whole lab on a 2-core laptop with `make demo` (-j 2)


def read_run(run_dir: Path) -> list[dict]:
    """The readable records of a run folder, each with the time its result.json was written."""
    records = []
    for path in sorted(run_dir.glob("*/result.json")):
        try:
            record = json.loads(path.read_text())
            record["ended"] = path.stat().st_mtime
            float(record["seconds"])
            records.append(record)
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"note: {path} skipped ({e})", file=sys.stderr)
    if not records:
        raise SystemExit(f"error: {run_dir} is not a run folder (no readable */result.json)")
    return records


def spent(record: dict) -> float:
    """The seconds judged against the budget: CPU seconds where recorded, else wall."""
    return float(record.get("cpu_seconds", record["seconds"]))


def cpu_sum(records: list[dict]) -> str:
    if not all("cpu_seconds" in r for r in records):
        return "-"
    return f"{sum(r['cpu_seconds'] for r in records):.1f}"


def wall_time(records: list[dict]) -> float:
    return max(r["ended"] for r in records) - min(r["ended"] - r["seconds"] for r in records)


def experiment_table(records: list[dict], expected: dict[str, float]) -> Table:
    table = Table(Column("id", no_wrap=True, min_width=26),
                  *(Column(name, no_wrap=True, justify="right")
                    for name in ("s", "CPU s", "budget", "used", "expect", "ratio")),
                  title="experiments: seconds, CPU seconds, the ledger's budget and the share "
                        "used (CPU s where recorded), durations.json's seconds and s / those")
    for r in records:
        budget = BUDGETS.get(r["id"], DEFAULT_BUDGET)
        share = spent(r) / budget
        known = expected.get(r["id"])
        table.add_row(
            Text(r["id"]), f"{r['seconds']:.1f}",
            f"{r['cpu_seconds']:.1f}" if "cpu_seconds" in r else "-", f"{budget:.0f}",
            Text(f"{share:.0%}", style="red" if share > 1 else ""),
            "-" if known is None else f"{known:.0f}",
            "-" if not known else f"{r['seconds'] / known:.2f}")
    return table


def lecture_table(records: list[dict]) -> Table:
    table = Table("lecture", "experiments", "seconds", "CPU s", "budget", title="per lecture")
    for lecture in sorted({r["lecture"] for r in records}, key=str):
        rs = [r for r in records if r["lecture"] == lecture]
        table.add_row(str(lecture), str(len(rs)), f"{sum(r['seconds'] for r in rs):.1f}",
                      cpu_sum(rs),
                      f"{sum(BUDGETS.get(r['id'], DEFAULT_BUDGET) for r in rs):.0f}")
    return table


def summary(records: list[dict], expected: dict[str, float]) -> list[str]:
    total, wall = sum(r["seconds"] for r in records), wall_time(records)
    over = [f"{r['id']} ({spent(r):.0f} of {BUDGETS.get(r['id'], DEFAULT_BUDGET):.0f} s)"
            for r in records if spent(r) > BUDGETS.get(r["id"], DEFAULT_BUDGET)]
    known = [r for r in records if expected.get(r["id"])]
    lines = [
        f"sum of experiment seconds {total:.1f} s ({total / 60:.1f} min), CPU s "
        f"{cpu_sum(records)}; the ledger's total budget {TOTAL_BUDGET / 60:.0f} min",
        f"wall time of the run {wall:.1f} s ({wall / 60:.1f} min): the sum is "
        f"{total / wall:.2f} x the wall time; the aim is {WALL_AIM / 60:.0f} min for "
        "`make demo` on 2 cores",
        f"over budget: {', '.join(over) if over else 'none'}",
    ]
    if known:
        ratio = sum(r["seconds"] for r in known) / sum(expected[r["id"]] for r in known)
        lines.append(f"against durations.json: {ratio:.2f} x the expected seconds "
                     f"({len(known)} experiments listed there)")
    missing = sorted(set(expected) - {r["id"] for r in records})
    if missing:
        lines.append(f"in durations.json but not in this run: {', '.join(missing)}")
    return lines


DURATIONS = Path(__file__).parents[1] / "src" / "lecturelab" / "lab" / "durations.json"


def updated_durations(records: list[dict], table: dict[str, float]) -> dict[str, int]:
    """`table` with each recorded experiment's wall seconds, rounded up, sorted by id."""
    new = {**table, **{str(r["id"]): math.ceil(float(r["seconds"])) for r in records}}
    return dict(sorted(new.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", type=Path, default=Path("runs/latest"),
                        help="a run folder (default runs/latest)")
    parser.add_argument("--write-durations", nargs="?", type=Path, const=DURATIONS,
                        metavar="PATH", help="write the run's seconds into durations.json "
                                             "(default: the package's own)")
    args = parser.parse_args()
    records = read_run(args.run_dir)
    expected = json.loads(resources.files("lecturelab.lab").joinpath("durations.json")
                          .read_text())
    console = Console()
    profiles = sorted({str(r.get("profile")) for r in records})
    console.print(Text(f"run {args.run_dir}: {len(records)} experiments, profile "
                       f"{', '.join(profiles)}"))
    if profiles != ["quick"]:
        console.print("note: the ledger's budgets are for the quick profile")
    console.print(experiment_table(records, expected))
    console.print(lecture_table(records))
    for line in summary(records, expected):
        console.print(Text(line))
    if args.write_durations:
        table = updated_durations(records, expected)
        atomic_write_text(args.write_durations, json.dumps(table, indent=1) + "\n")
        console.print(Text(f"wrote {len(records)} experiments' seconds to {args.write_durations}"))


if __name__ == "__main__":
    main()
