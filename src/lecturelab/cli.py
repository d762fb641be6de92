"""The `lecturelab` command: list, run and report experiments; train and evaluate models.

User errors (unknown names, invalid values, missing files) end with exit code 2 and one line
on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.exceptions import TyperException

from lecturelab.lab.core import PROFILES, ExperimentSpec, get_experiment, list_experiments
from lecturelab.registry import UnknownNameError, did_you_mean

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="The DeepMind x UCL Deep Learning lectures 1-4, run and checked.")
console = Console()


class UserError(Exception):
    """A mistake in what the user asked for; reported as one line, exit code 2."""


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
    seed: Annotated[int, typer.Option(help="Base seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    threads: Annotated[int, typer.Option(help="CPU threads per experiment (0: torch's "
                                          "default).")] = 1,
    out: Annotated[Path, typer.Option(help="Folder for run folders.")] = Path("runs"),
):
    """Run experiments, print a summary and write the lab book."""
    from lecturelab.lab.runner import run_experiments
    from lecturelab.runtime import resolve_device

    if threads < 0:
        raise UserError(f"threads must be 0 (torch's default) or positive, got {threads}")
    specs = select(ids or [], all_, lecture)
    profile = check_profile("quick" if quick else profile)
    dev = resolve_device(device)
    status = console.status("")

    def on_start(spec: ExperimentSpec) -> None:
        status.update(f"[{specs.index(spec) + 1}/{len(specs)}] {spec.id}: {spec.claim}")

    def on_end(record: dict) -> None:
        console.print(f"{record['id']:<36} {record['verdict']:<15} {record['seconds']:7.1f} s")

    with status:
        run_dir, records = run_experiments(specs, profile=profile, seed=seed, device=dev,
                                           out_root=out, threads=threads, on_start=on_start,
                                           on_end=on_end)
    print_summary(records)
    console.print(f"lab book: {(run_dir / 'report.html').resolve()}")


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
def train(
    model: Annotated[str, typer.Argument(help="A registered model (mlp, resnet20, ...) or "
                                         "alphazero.")],
    data: Annotated[str | None, typer.Option(help="A dataset: digits, cifar10, ...")] = None,
    game: Annotated[str | None, typer.Option(help="alphazero: tictactoe or connect4.")] = None,
    iterations: Annotated[int | None, typer.Option(help="alphazero: self-play rounds.")] = None,
    simulations: Annotated[int | None, typer.Option(help="alphazero: MCTS per move.")] = None,
    workers: Annotated[int | None, typer.Option(help="alphazero: self-play processes.")] = None,
    profile: Annotated[str, typer.Option(help="quick (CPU) or full (He et al.).")] = "quick",
    epochs: Annotated[int | None, typer.Option(help="Passes over the training set.")] = None,
    steps: Annotated[int | None, typer.Option(help="Detectors (--data shapes): steps.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size per process.")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate (SGD, Nesterov).")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="L2 penalty.")] = None,
    schedule: Annotated[str | None, typer.Option(help="cosine, step or constant.")] = None,
    augment: Annotated[bool | None, typer.Option(help="Random crop + flip (images).")] = None,
    subset: Annotated[int | None, typer.Option(help="Train on this many images.")] = None,
    compile: Annotated[bool, typer.Option(help="torch.compile the model.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    seed: Annotated[int, typer.Option(help="Seed for init, order and augmentation.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Training folder.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the checkpoint in --out.")] = False,
):
    """Train a classifier (progress bar, JSONL metrics, checkpoints; DDP under torchrun), or
    an AlphaZero agent by self-play (`train alphazero --game tictactoe`).

    The profile sets the recipe (see train/recipes.py); options given override it.
    """
    if model == "alphazero":
        from lecturelab.games.commands import train_alphazero

        if game is None:
            raise UserError("train alphazero needs --game tictactoe or --game connect4")
        path = train_alphazero(game, out=out or Path("checkpoints") / f"alphazero-{game}",
                               profile=profile, iterations=iterations, simulations=simulations,
                               workers=workers, seed=seed, device=device)
        console.print(f"checkpoint: {path}")
        return
    if data is None:
        raise UserError(f"train {model} needs --data (a dataset name, e.g. digits or cifar10)")
    if data == "shapes":
        train_detector(model, profile=profile, steps=steps, seed=seed, device=device, out=out)
        return
    from lecturelab.data import load_dataset
    from lecturelab.registry import models
    from lecturelab.runtime import resolve_device
    from lecturelab.train.api import train_classifier
    from lecturelab.train.checkpoint import POINTER
    from lecturelab.train.recipes import recipe

    models.get(model)  # an unknown name fails before any data is loaded
    images = len(load_dataset(data).input_shape) == 3
    plan = recipe(profile, images=images, epochs=epochs, batch_size=batch_size, lr=lr,
                  weight_decay=weight_decay, schedule=schedule, augment=augment,
                  compile=compile, seed=seed, train_subset=subset)
    out = out or Path("checkpoints") / f"{model}-{data}"
    if resume and not (out / POINTER).is_file():
        raise UserError(f"nothing to resume: {out / POINTER} does not exist")
    if not resume and (out / POINTER).exists():
        raise UserError(f"{out} already holds a checkpoint; pass --resume or another --out")
    state = train_classifier(model, data, plan.config, out_dir=out, device=resolve_device(device),
                             resume=resume, train_subset=plan.train_subset)
    last = state.history[-1] if state.history else {}
    console.print(f"{model} on {data}: test acc {last.get('test_acc', float('nan')):.4f} "
                  f"after {state.epoch} epochs; checkpoint: {out / POINTER}")


def train_detector(model: str, *, profile: str, steps: int | None, seed: int, device: str,
                   out: Path | None) -> None:
    """`train retinanet|faster_rcnn|mask_rcnn --data shapes`: a detector on shapes scenes."""
    from lecturelab.detection.commands import MODELS, train_detector_command

    if model not in MODELS:
        raise UserError(f"on shapes, train one of {', '.join(MODELS)}; got {model!r}"
                        f"{did_you_mean(model, list(MODELS))}")
    out = out or Path("checkpoints") / f"{model}-shapes"
    metrics = train_detector_command(model, out=out, profile=profile, steps=steps, seed=seed,
                                     device=device)
    print_coco_table(metrics)
    console.print(f"checkpoint: {out}")


def print_coco_table(metrics: dict[str, float]) -> None:
    table = Table("metric", "value", title="COCO evaluation (pycocotools)")
    for name, value in metrics.items():
        table.add_row(name, f"{value:.4f}")
    console.print(table)


@app.command("eval")
def eval_cmd(
    checkpoint: Annotated[Path, typer.Argument(help="A training folder or its checkpoint.json.")],
    data: Annotated[str | None, typer.Option(help="Dataset (default: the training data).")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
):
    """Evaluate a checkpoint: test loss and accuracy, or a detector's COCO table."""
    from lecturelab.runtime import resolve_device
    from lecturelab.train.api import evaluate_checkpoint

    if (checkpoint / "detector.json").is_file() or checkpoint.name == "detector.json":
        from lecturelab.detection.commands import eval_detector_command

        print_coco_table(eval_detector_command(checkpoint, device=device))
        return

    metrics = evaluate_checkpoint(checkpoint, data, device=resolve_device(device))
    console.print(" ".join(f"{k} {v:.4f}" for k, v in metrics.items()))


@app.command()
def play(
    game: Annotated[str, typer.Argument(help="tictactoe or connect4.")],
    checkpoint: Annotated[Path | None, typer.Option(help="An AlphaZero training folder.")] = None,
    simulations: Annotated[int, typer.Option(help="The agent's MCTS simulations a move.")] = 200,
    second: Annotated[bool, typer.Option(help="Let the agent move first.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the agent's search.")] = 0,
):
    """Play against the agent in the terminal (without a checkpoint: pure-rollout MCTS)."""
    from lecturelab.games.commands import play as play_game

    play_game(game, checkpoint=checkpoint, simulations=simulations, human_first=not second,
              seed=seed)


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


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


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except TyperException as e:
        if e.format_message():  # an empty message follows a help page already shown
            print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(2)
    except (UserError, UnknownNameError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
