"""`lecturelab tune`: population-based training of an MLP's learning rate and weight decay on
mnist1d, in this process (`--backend local`, checkpointed every round, `--resume` after a kill)
or on Ray Tune (population/ray_tune.py), on this machine or on a running Ray cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from lecturelab.cli.core import UserError, app, console
from lecturelab.cli.options import Device, Force, one_of, refuse_resume_with_force


@app.command()
def tune(
    members: Annotated[int, typer.Option(min=2, help="Members (trials) in the population.")]
    = 8,
    steps: Annotated[int, typer.Option(min=1, help="SGD steps of each member.")] = 1500,
    interval: Annotated[int, typer.Option(min=1, help="Steps between exploit / explore.")] = 150,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the starting hyperparameters.")] = 0,
    backend: Annotated[str, typer.Option(callback=one_of(("ray", "local")),
                                         help="ray: Ray Tune's PopulationBasedTraining; local: "
                                              "this process, checkpointed every round.")]
    = "ray",
    address: Annotated[str | None, typer.Option(help="ray: a Ray cluster to join ('auto', or "
                                                "'ray://HEAD:10001'); default: a local Ray.")]
    = None,
    out: Annotated[Path, typer.Option(help="Folder for the population (local) or Ray Tune's "
                                           "trial results.")] = Path("runs/tune"),
    resume: Annotated[bool, typer.Option(help="local: continue the population in --out.")]
    = False,
    force: Force = False,
    device: Device = "auto",
) -> None:
    """Population-based training: the worst quarter copies a top-quarter member's weights and
    hyperparameters and perturbs them by x0.8 / x1.2."""
    if backend == "local":
        if address is not None:
            raise UserError("--address is for --backend ray")
        refuse_resume_with_force(resume, force, "population")
        tune_locally(members, steps, interval, seed, out, resume, force, device)
        return
    for name, given in (("--resume", resume), ("--force", force), ("--device", device != "auto")):
        if given:
            raise UserError(f"{name} is for --backend local")
    tune_on_ray(members, steps, interval, seed, address, out)


def tune_locally(members: int, steps: int, interval: int, seed: int, out: Path, resume: bool,
                 force: bool, device: str) -> None:
    from lecturelab.population.local import PopulationRun, run_population
    from lecturelab.runtime import resolve_device

    run = PopulationRun(members=members, steps=steps, interval=interval, seed=seed)
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("PBT rounds", total=None)
        best, task = run_population(out, run, resume=resume, force=force,
                                    device=resolve_device(device),
                                    on_round=lambda done, total: progress.update(
                                        bar, completed=done, total=total))
    table = Table("member", "validation accuracy", "test accuracy", "lr", "weight decay",
                  title=f"PBT in process: {members} members x {steps} steps ({out})")
    for m in best:
        table.add_row(str(m.id), f"{m.score:.4f}", f"{task.test_accuracy(m):.4f}",
                      f"{m.hyperparams['lr']:.3g}", f"{m.hyperparams['weight_decay']:.3g}")
    console.print(table)


def tune_on_ray(members: int, steps: int, interval: int, seed: int, address: str | None,
                out: Path) -> None:
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
