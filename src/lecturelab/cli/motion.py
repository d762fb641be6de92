"""`lecturelab train flownet_s|flownet_c --data motion`: optical flow (lecture 4, FlowNet,
Dosovitskiy et al. 2015) trained on the procedural `motion` pairs with exact flow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lecturelab.cli.core import UserError, console
from lecturelab.cli.options import (
    Device,
    Force,
    Out,
    Seed,
    profile_option,
    refuse_resume_with_force,
)
from lecturelab.motion.training import FLOWNETS, PROFILES, train_flownet_command
from lecturelab.train.checkpoint import POINTER

flow_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@flow_app.command(name="flownet")
def train_flownet_cli(
    name: Annotated[str, typer.Argument(help="flownet_s or flownet_c.")],
    data: Annotated[str, typer.Option(help="motion (the only flow dataset).")] = "motion",
    profile: Annotated[str, profile_option(tuple(PROFILES), "quick: 64 px, 2,000 pairs.")]
    = "quick",
    steps: Annotated[int | None, typer.Option(min=1, help="Training steps (default: the "
                                              "profile's).")] = None,
    seed: Seed = 0, device: Device = "auto", out: Out = None,
    resume: Annotated[bool, typer.Option(help="Continue from the checkpoint in --out (same "
                                         "options).")] = False,
    force: Force = False,
) -> None:
    """Train FlowNetS or FlowNetC with the multi-scale end-point-error loss, checkpointing
    every 100 steps; prints the held-out EPE next to the zero-flow EPE."""
    if data != "motion":
        raise UserError(f"{name} trains on --data motion, got {data!r}")
    refuse_resume_with_force(resume, force)
    folder = out or Path(f"checkpoints/{name}-motion")
    metrics = train_flownet_command(name, out=folder, profile=profile, steps=steps, seed=seed,
                                    device=device, resume=resume, force=force)
    console.print(f"EPE {metrics['epe']:.3f} (zero flow {metrics['zero_flow_epe']:.3f}); "
                  f"checkpoint: {folder / POINTER}")


def flownet_names() -> list[str]:
    return list(FLOWNETS)
