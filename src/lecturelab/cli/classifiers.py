"""`lecturelab train MODEL --data DATASET`: any registered classifier on any registered dataset.

The profile sets the recipe (train/recipes.py); options given override it. Augmentation is the
dataset's own (`ClassificationData.augmentation`); `--augment/--no-augment` overrides it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lecturelab.cli.core import UserError, console
from lecturelab.cli.options import (
    AllowDataChange,
    BatchSize,
    Device,
    Force,
    Lr,
    Out,
    Seed,
    check_weight_decay,
    one_of,
    profile_option,
    refuse_resume_with_force,
)

train_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@train_app.command(name="classifier")
def train_classifier_command(
    model: Annotated[str, typer.Argument(help="A registered classifier: mlp, resnet20, ... "
                                         "(lecturelab.registry.list_models()).")],
    data: Annotated[str | None, typer.Option(help="A dataset: digits, cifar10, mnist1d, "
                                             "toy2d.")] = None,
    profile: Annotated[str, profile_option(("quick", "full"), "quick: at most 5,000 examples, "
                                           "5 epochs; full: He et al. 2016, Sec. 4.2.")] = "quick",
    epochs: Annotated[int | None, typer.Option(min=1, help="Passes over the training set.")
                      ] = None,
    batch_size: BatchSize = None,
    lr: Lr = None,
    weight_decay: Annotated[float | None, typer.Option(callback=check_weight_decay,
                                                       help="L2 penalty.")] = None,
    schedule: Annotated[str | None, typer.Option(callback=one_of(("cosine", "step", "constant")),
                                                 help="cosine, step or constant.")] = None,
    augment: Annotated[bool | None, typer.Option(
        "--augment/--no-augment", help="The dataset's declared augmentation (default: on where "
        "there is one: crop + flip for cifar10; digits, mnist1d and toy2d declare none).")
    ] = None,
    subset: Annotated[int | None, typer.Option(min=1, help="Train on this many class-balanced "
                                               "examples.")] = None,
    compile: Annotated[bool, typer.Option(help="torch.compile the model.")] = False,
    device: Device = "auto",
    seed: Seed = 0,
    out: Out = None,
    resume: Annotated[bool, typer.Option(help="Continue from the checkpoint in --out (same "
                                         "options).")] = False,
    force: Force = False,
    allow_data_change: AllowDataChange = False,
) -> None:
    """Train a classifier: progress bar, JSONL metrics, checkpoints; DDP under torchrun."""
    from lecturelab.data import ClassificationData, load_dataset
    from lecturelab.registry import models
    from lecturelab.runtime import resolve_device
    from lecturelab.train.api import train_classifier
    from lecturelab.train.checkpoint import POINTER
    from lecturelab.train.recipes import recipe

    if data is None:
        raise UserError(f"train {model} needs --data (a dataset: digits, cifar10, mnist1d, toy2d)")
    models.get(model)  # an unknown name fails before any data is loaded
    dataset = load_dataset(data)
    if not isinstance(dataset, ClassificationData):
        raise UserError(f"{data} is not a classification dataset; classifiers train on digits, "
                        f"cifar10, mnist1d or toy2d (detectors train on shapes)")
    if augment and dataset.augmentation is None:
        raise UserError(f"--augment: {data} declares no augmentation (no shift or flip of its "
                        f"examples keeps their label)")
    plan = recipe(profile, dataset, epochs=epochs, batch_size=batch_size, lr=lr,
                  weight_decay=weight_decay, schedule=schedule, augment=augment,
                  compile=compile, seed=seed, train_subset=subset)
    dev = resolve_device(device)
    out = out or Path("checkpoints") / f"{model}-{data}"
    refuse_resume_with_force(resume, force)
    state = train_classifier(model, data, plan.config, out_dir=out, device=dev, resume=resume,
                             force=force, train_subset=plan.train_subset,
                             allow_data_change=allow_data_change)
    last = state.history[-1] if state.history else {}
    console.print(f"{model} on {data}: test acc {last.get('test_acc', float('nan')):.4f} "
                  f"after {state.epoch} epochs; checkpoint: {out / POINTER}")
