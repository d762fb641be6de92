"""Options that several kinds of training share, each validated as it is parsed: a bad value
ends with one line that names the option (exit code 2)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer

from lecturelab.cli.core import UserError

MAX_LR = 10.0  # a larger peak learning rate is a typo, not a recipe
MAX_SEED = 2**63 - 1  # the largest seed every generator takes (torch's are 64-bit)


def check_lr(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 < value <= MAX_LR):
        raise typer.BadParameter(f"must be a number in (0, {MAX_LR:g}], got {value}")
    return value


def check_weight_decay(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 <= value < 1):
        raise typer.BadParameter(f"must be a number in [0, 1), got {value}")
    return value


def refuse_resume_with_force(resume: bool, force: bool, what: str = "checkpoint") -> None:
    """--resume continues what --out holds and --force replaces it: never both."""
    if resume and force:
        raise UserError(f"--resume continues the {what} in --out, --force replaces it; give one")


def check_out(value: Path | None) -> Path | None:
    if value is not None and value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file; give a folder for the checkpoint")
    return value


def check_run_out(value: Path) -> Path:
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file; give a folder for the run folders")
    return value


def one_of(choices: Sequence[str]) -> Callable[[str | None], str | None]:
    """A callback that accepts only `choices` (or no value)."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def profile_option(choices: Sequence[str], help: str) -> typer.models.OptionInfo:
    return typer.Option(callback=one_of(choices), help=f"{' | '.join(choices)}. {help}")


Device = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
Seed = Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Seed of initialisation, data "
                                   "order and augmentation (0 to 2^63 - 1).")]
Out = Annotated[Path | None, typer.Option(callback=check_out, help="Training folder (default: "
                                          "checkpoints/<model>-<data or game>).")]
Force = Annotated[bool, typer.Option(help="Replace the checkpoint already in --out (its weight "
                                      "files are deleted).")]
Lr = Annotated[float | None, typer.Option(callback=check_lr, help="Peak learning rate (default: "
                                          "the profile's).")]
BatchSize = Annotated[int | None, typer.Option(min=1, help="Examples a step, per process "
                                               "(default: the profile's).")]
AllowDataChange = Annotated[bool, typer.Option(
    "--allow-data-change", help="Go on (with a warning) when the data differs from what the "
    "checkpoint recorded it was trained on (its fingerprint).")]
