"""`lecturelab tune`: population-based training of an MLP's learning rate and weight decay on
mnist1d, on Ray Tune (population/ray_tune.py), on this machine or on a running Ray cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lecturelab.cli.core import UserError, app, console


@app.command()
def tune(
    members: Annotated[int, typer.Option(min=2, help="Trials in the population.")] = 8,
    steps: Annotated[int, typer.Option(min=1, help="SGD steps of each trial.")] = 1500,
    interval: Annotated[int, typer.Option(min=1, help="Steps between exploit / explore.")] = 150,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the starting hyperparameters.")] = 0,
    address: Annotated[str | None, typer.Option(help="A Ray cluster to join ('auto', or "
                                                "'ray://HEAD:10001'); default: a local Ray.")]
    = None,
    out: Annotated[Path, typer.Option(help="Folder for Ray Tune's trial results.")]
    = Path("runs/tune"),
) -> None:
    """Population-based training on Ray Tune: the worst quarter restores a top-quarter trial's
    checkpoint and perturbs its hyperparameters by x0.8 / x1.2."""
    try:
        import ray.tune  # noqa: F401

        from lecturelab.population.ray_tune import tune_classifier
    except ImportError:
        raise UserError("Ray Tune is not installed: pip install 'lecturelab[tune]'") from None
    rows = tune_classifier(members=members, steps=steps, interval=interval, seed=seed,
                           address=address, storage=out.resolve())
    table = Table("trial", "validation accuracy", "lr", "weight decay", "exploits",
                  title=f"PBT on Ray Tune: {members} trials x {steps} steps")
    for r in sorted(rows, key=lambda r: -r["accuracy"]):
        table.add_row(r["trial_id"], f"{r['accuracy']:.4f}", f"{r['config']['lr']:.3g}",
                      f"{r['config']['weight_decay']:.3g}", str(r["exploits"]))
    console.print(table)
